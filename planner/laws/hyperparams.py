"""Batch size and learning rate for a compute budget (DeepSeek LLM, arXiv:2401.02954, §3.1).

DeepSeek fitted the near-optimal hyperparameters of their small runs against compute:

    η_opt = 0.3118 · C^−0.1250,      B_opt = 0.2920 · C^0.3271 tokens,

with C = M·D and M = 72·L·d² + 6·L·d·s the non-embedding FLOPs per token (L layers, model width d,
sequence length s; attention included, the vocabulary excluded). For DeepSeek LLM 7B (30 layers,
d 4096, s 4096, 2T tokens) the laws give η ≈ 4.29e-4 and B ≈ 9.0M tokens (they trained with 4.2e-4 and
9.44M); for 67B (95 layers, d 8192) η ≈ 3.14e-4 and B ≈ 20.4M (they used 3.2e-4 and 18.9M).

The laws were fitted on small runs (:data:`DEEPSEEK.fitted_flops`); far beyond them a recommendation is
an extrapolation, and says so (DeepSeek used it that way for their own 7B and 67B). A plan whose tokens
per step are more than 2× away from B_opt, either way, gets a note: too large a batch wastes tokens,
too small a one wastes steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from .. import limits, validate
from ..arrays import like
from ..errors import InputError
from ..format import fmt_ratio, fmt_si
from .power_law import FloatOrArray

# A user's number (flops, layers, width, tokens) is typed Any: it is validated here.

#: Beyond this factor from B_opt (either way) a batch gets a note.
BATCH_TOLERANCE = 2.0


@dataclass(frozen=True)
class HyperparameterLaw:
    """η_opt = lr_coef·C^lr_exp and B_opt = batch_coef·C^batch_exp (C = M·D in FLOPs).

    Args:
        name: the law's name.
        lr_coef: coefficient of the learning-rate law.
        lr_exp: exponent of the learning-rate law.
        batch_coef: coefficient of the batch-size law (tokens).
        batch_exp: exponent of the batch-size law.
        fitted_flops: the compute range the law was fitted on.
        source: where the constants come from.
    """

    name: str
    lr_coef: float
    lr_exp: float
    batch_coef: float
    batch_exp: float
    fitted_flops: tuple[float, float]
    source: str

    @overload
    def learning_rate(self, flops: float | str) -> float: ...
    @overload
    def learning_rate(self, flops: Any) -> FloatOrArray: ...

    def learning_rate(self, flops: Any) -> FloatOrArray:
        """η_opt = lr_coef·C^lr_exp for a compute budget C = M·D (vectorised).

        Args:
            flops: C in FLOPs (1 to 10^61): a number, a numpy array or a pandas Series.

        Returns:
            The learning rate (a float, or an array for array input).

        Raises:
            InputError: ``flops`` out of range.
        """
        c = validate.real_array("flops", flops, minimum=1.0, inclusive=True, maximum=limits.MAX_FLOPS)
        out: FloatOrArray = like(self.lr_coef * np.asarray(c) ** self.lr_exp, c)
        return out

    @overload
    def batch_tokens(self, flops: float | str) -> float: ...
    @overload
    def batch_tokens(self, flops: Any) -> FloatOrArray: ...

    def batch_tokens(self, flops: Any) -> FloatOrArray:
        """B_opt = batch_coef·C^batch_exp, in tokens per step, for a compute budget C = M·D (vectorised).

        Args:
            flops: C in FLOPs (1 to 10^61): a number, a numpy array or a pandas Series.

        Returns:
            Tokens per optimizer step (a float, or an array for array input).

        Raises:
            InputError: ``flops`` out of range.
        """
        c = validate.real_array("flops", flops, minimum=1.0, inclusive=True, maximum=limits.MAX_FLOPS)
        out: FloatOrArray = like(self.batch_coef * np.asarray(c) ** self.batch_exp, c)
        return out


#: DeepSeek LLM's fit (arXiv:2401.02954, §3.1, Figure 3), made on small runs of 1e17 to 2e19 FLOPs.
DEEPSEEK = HyperparameterLaw("deepseek-llm", 0.3118, -0.1250, 0.2920, 0.3271, (1e17, 2e19),
                             "DeepSeek LLM (arXiv:2401.02954), §3.1: batch size and learning rate against "
                             "compute C = M·D, M = 72·L·d² + 6·L·d·s")


def flops_per_token(num_layers: Any, hidden_size: Any, seq_len: Any) -> FloatOrArray:
    """M = 72·L·d² + 6·L·d·s: DeepSeek's non-embedding training FLOPs per token, attention included. Vectorised.

    Args:
        num_layers: transformer layers L.
        hidden_size: model width d.
        seq_len: training sequence length s.

    Returns:
        M in FLOPs per token (a float, or an array for array input).

    Raises:
        InputError: a value that is not a whole number from 1 to 1e9, naming the argument.
    """
    layers = validate.count("num_layers", num_layers, maximum=10**9, vector=True)
    d = validate.count("hidden_size", hidden_size, maximum=10**9, vector=True)
    s = validate.count("seq_len", seq_len, maximum=10**9, vector=True)
    ll, dd, ss = (np.asarray(x, dtype=float) for x in (layers, d, s))
    out: FloatOrArray = like(72.0 * ll * dd ** 2 + 6.0 * ll * dd * ss, layers, d, s)
    return out


@dataclass(frozen=True)
class HyperparameterAdvice:
    """The batch size and learning rate a law recommends for one plan, and how the plan's batch compares.

    Args:
        law: the law's name.
        flops_per_token: M, DeepSeek's FLOPs per token.
        tokens: D, the plan's training tokens.
        tokens_per_step: the plan's batch in tokens, or None when not known.
        learning_rate_opt: the recommended learning rate.
        batch_tokens_opt: the recommended batch in tokens per step.
        fitted_flops: the compute range the law was fitted on.
    """

    law: str
    flops_per_token: float
    tokens: float
    tokens_per_step: float | None
    learning_rate_opt: float
    batch_tokens_opt: float
    fitted_flops: tuple[float, float]

    @property
    def flops(self) -> float:
        """C = M·D, the compute the law is evaluated at."""
        return self.flops_per_token * self.tokens

    @property
    def extrapolated(self) -> bool:
        """True outside the compute range the law was fitted on."""
        return not self.fitted_flops[0] <= self.flops <= self.fitted_flops[1]

    @property
    def batch_ratio(self) -> float | None:
        """The plan's tokens per step over B_opt (None without a batch)."""
        return None if self.tokens_per_step is None else self.tokens_per_step / self.batch_tokens_opt

    @property
    def batch_off(self) -> str | None:
        """``"too large"`` / ``"too small"`` beyond 2× either way, else None."""
        r = self.batch_ratio
        if r is None or 1 / BATCH_TOLERANCE <= r <= BATCH_TOLERANCE:
            return None
        return "too large" if r > BATCH_TOLERANCE else "too small"

    @property
    def message(self) -> str:
        """The recommendation in words, with the plan's batch against it and any extrapolation."""
        text = (f"Batch {fmt_si(self.batch_tokens_opt)} tokens and learning rate {self.learning_rate_opt:.3g} "
                f"({self.law} law at C = M·D = {self.flops:.3g} FLOPs).")
        r = self.batch_ratio
        if r is not None:
            # two significant digits below 1 (never "0.00×"), as D/N is written
            text += f" The plan's {self.tokens_per_step:,.0f} tokens per step are {fmt_ratio(r, ())}× that"
            if self.batch_off == "too large":
                text += ": more than 2× too large, so the run spends more tokens than this loss needs."
            elif self.batch_off == "too small":
                text += ": less than half, so the run takes more optimizer steps (and wall-clock) than it needs."
            else:
                text += ", within 2×."
        if self.extrapolated:
            lo, hi = self.fitted_flops
            text += f" Extrapolated: the law was fitted on {lo:.0e} to {hi:.0e} FLOPs."
        return text

    def to_dict(self) -> dict[str, Any]:
        """The advice as JSON.

        Returns:
            Every field, with ``flops``, ``batch_ratio``, ``batch_off``, ``extrapolated`` and ``message``.
        """
        return {"law": self.law, "flops_per_token": self.flops_per_token, "tokens": self.tokens,
                "flops": self.flops, "tokens_per_step": self.tokens_per_step,
                "batch_tokens_opt": self.batch_tokens_opt, "learning_rate_opt": self.learning_rate_opt,
                "batch_ratio": self.batch_ratio, "batch_off": self.batch_off,
                "fitted_flops": list(self.fitted_flops), "extrapolated": self.extrapolated,
                "message": self.message}


def advise(flops_per_token: Any, tokens: Any, *, tokens_per_step: Any = None,
           law: HyperparameterLaw = DEEPSEEK) -> HyperparameterAdvice:
    """Batch size and learning rate for C = M·D, and a check of the plan's batch against B_opt.

    For a plan without an architecture, M ≈ 6·N (non-embedding N) is the usual stand-in; with one, use
    :func:`recommend`, which forms DeepSeek's M from the layers, the width and the sequence length.

    Args:
        flops_per_token: M, non-embedding training FLOPs per token (1 to 10^30).
        tokens: training tokens D (1 to 10^30).
        tokens_per_step: the plan's batch in tokens (optional): compared with B_opt.
        law: the fitted law (default :data:`DEEPSEEK`).

    Returns:
        A ``HyperparameterAdvice``.

    Raises:
        InputError: a value out of range, naming the argument.
    """
    m = float(validate.positive_real("flops_per_token", flops_per_token, minimum=1.0, inclusive=True))
    d = float(validate.quantity("tokens", tokens, minimum=1))
    tps = None if tokens_per_step is None else float(validate.quantity("tokens_per_step", tokens_per_step, minimum=1))
    c = m * d
    return HyperparameterAdvice(law=law.name, flops_per_token=m, tokens=d, tokens_per_step=tps,
                                learning_rate_opt=law.learning_rate(c), batch_tokens_opt=law.batch_tokens(c),
                                fitted_flops=law.fitted_flops)


def recommend(num_layers: Any, hidden_size: Any, seq_len: Any, tokens: Any, *, tokens_per_step: Any = None,
              law: HyperparameterLaw = DEEPSEEK) -> HyperparameterAdvice:
    """Batch size and learning rate for a model and its training tokens, and a check of the plan's batch.

    Args:
        num_layers: transformer layers L.
        hidden_size: model width d.
        seq_len: training sequence length s.
        tokens: training tokens D.
        tokens_per_step: the plan's batch in tokens (optional): compared with B_opt.
        law: the fitted law (default :data:`DEEPSEEK`).

    Returns:
        A ``HyperparameterAdvice`` (``batch_tokens_opt``, ``learning_rate_opt``, the batch check,
            ``extrapolated`` and a one-paragraph ``message``).

    Raises:
        InputError: a value out of range, naming the argument.
    """
    m = flops_per_token(num_layers, hidden_size, seq_len)
    if isinstance(m, np.ndarray):
        raise InputError("num_layers", "a single number", detail="must be single numbers here")
    return advise(m, tokens, tokens_per_step=tokens_per_step, law=law)
