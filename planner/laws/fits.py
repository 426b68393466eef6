"""Scaling laws: predicted loss L(N, D) = E + A/N^α + B/D^β and the compute-optimal split.

Two named fits; :data:`DEFAULT_FIT` (``epoch``) is the one the planner uses unless told otherwise,
because its compute-optimal split agrees with the 20× line the gate judges against:

* ``chinchilla`` — Hoffmann et al. 2022 (arXiv:2203.15556), Approach 3 with the
  *unrounded* constants: ~59 tokens per parameter at Gopher's 5.76e23 FLOPs, as in the
  paper's Table A3 (the ~20 of Table 3 comes from Approaches 1 and 2). The rounded
  constants printed in the paper (1.69, 406.4, 410.7, 0.34, 0.28) move that optimum to ~93:
  they are kept here only as :data:`CHINCHILLA_ROUNDED`, to show the trap.
* ``epoch`` — Besiroglu et al. 2024 (arXiv:2404.10102), Epoch AI's replication;
  ~18–23 tokens per parameter across practical budgets.

For a budget C ≈ 6·N·D: G = (αA / (βB))^(1/(α+β)), N_opt = G·(C/6)^(β/(α+β)),
D_opt = C / (6·N_opt).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .. import validate
from ..arrays import like
from ..errors import InputError
from ..limits import MAX_FLOPS


@dataclass(frozen=True)
class Fit:
    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str
    fitted_flops: tuple[float, float] | None = None  # the compute range of the runs behind it; None: FITTED_FLOPS

    @property
    def compute_range(self) -> tuple[float, float]:
        """Training compute of the runs the fit was made on: outside it a prediction is an extrapolation."""
        return FITTED_FLOPS if self.fitted_flops is None else self.fitted_flops

    def loss(self, params, tokens):
        """Predicted final training loss (nats per token), vectorised.

        Args:
            params: model size N, > 0 (a number, text such as ``"7B"``, a numpy array or a pandas Series), at
                most 10^61 (the compute-optimal N and D of any budget up to the FLOPs limit stay inside it).
            tokens: training tokens D, likewise.

        Returns:
            A float, or an array (a Series) when an input is one.

        Raises:
            InputError: ``params`` or ``tokens`` not a positive finite number up to 10^61.
        """
        n = validate.real_array("params", params, maximum=MAX_FLOPS)
        d = validate.real_array("tokens", tokens, maximum=MAX_FLOPS)
        return like(self.E + self.A / n ** self.alpha + self.B / d ** self.beta, params, tokens)

    def optimal(self, flops):
        """(N_opt, D_opt) that minimise the loss for ``flops`` ≈ 6·N·D. Vectorised.

        Args:
            flops: training compute C, > 0 and at most 10^61 (a number, a numpy array or a pandas Series).

        Returns:
            ``(N_opt, D_opt)``: floats, or arrays when ``flops`` is one.

        Raises:
            InputError: ``flops`` not a positive finite number up to 10^61.
        """
        c = validate.real_array("flops", flops, maximum=MAX_FLOPS)
        a, b = np.float64(self.alpha), np.float64(self.beta)
        with np.errstate(all="ignore"):  # a saved law's extreme constants: refused below, never a float error
            g = (a * self.A / (b * self.B)) ** (1.0 / (a + b))
            n = g * (c / 6.0) ** (b / (a + b))
            d = c / (6.0 * n)
        if not (np.all(np.isfinite(n)) and np.all(np.isfinite(d)) and np.all(n > 0) and np.all(d > 0)):
            raise InputError("fit", "a law with a finite optimum",
                             detail=f"the law {self.name} gives no finite optimum at this budget (alpha {self.alpha:g}, "
                                    f"beta {self.beta:g})")
        return like(n, flops), like(d, flops)


#: The one registry of named fits: every surface (a plan's ``[law] fit``, ``--fit``, the workbook) accepts these
#: names, or the path of a fit saved by ``planner fit --save``.
FITS = {
    "chinchilla": Fit("chinchilla", 1.6934, 406.40, 410.72, 0.33917, 0.28491,
                      "Hoffmann et al. 2022 (arXiv:2203.15556), Approach 3, unrounded constants"),
    "epoch": Fit("epoch", 1.8172, 482.01, 2085.43, 0.3478, 0.3658,
                 "Besiroglu et al. 2024 (arXiv:2404.10102), Epoch AI replication of Approach 3"),
    # The C4 fit of Muennighoff et al. 2023 (github.com/huggingface/datablations README), kept in log space as
    # published: fitted together with the decay constants of planner.laws.data_constrained.
    "muennighoff": Fit("muennighoff", math.exp(0.6254804), math.exp(6.255414), math.exp(7.3049974),
                       0.3526596, 0.3526596,
                       "Muennighoff et al. 2023 (arXiv:2305.16264), data-constrained C4 fit "
                       "(R_D* = 15.387756, R_N* = 5.309743)"),
}

#: The rounded constants as printed in the Chinchilla paper: NOT used for predictions.
CHINCHILLA_ROUNDED = Fit("chinchilla-rounded", 1.69, 406.4, 410.7, 0.34, 0.28,
                         "Hoffmann et al. 2022, rounded constants (a known trap: ~93 tokens/param)")


#: The fit behind every "compute-optimal" the planner prints: Epoch's refit puts the optimum at ~20 tokens per
#: parameter, the same line the gate uses; Chinchilla's Approach 3 (~59 at Gopher's compute) stays available by name.
DEFAULT_FIT = "epoch"


def fit(name: str = DEFAULT_FIT) -> Fit:
    """The named fit, or a law fitted to your own runs and saved as TOML (``planner fit --save``).

    Args:
        name: a name of :data:`FITS` (``epoch``, the default; ``chinchilla``; ``muennighoff``), or the path of a
            saved fit (``*.toml``).

    Returns:
        The :class:`Fit` with its constants and source; a saved fit is named by the path given.

    Raises:
        InputError: ``fit`` is not a known name, or the file is missing or not a saved fit.
    """
    if isinstance(name, str) and name not in FITS and name.strip().lower().endswith(".toml"):
        from .ladder import load_law
        return load_law(name)
    if not isinstance(name, str) or name not in FITS:
        accepted = f"one of {', '.join(FITS)}, or a saved fit (.toml)"
        raise InputError("fit", accepted, detail=f"must be {accepted}, got "
                         f"{validate.shown(name) if isinstance(name, str) or name is None else type(name).__name__}")
    return FITS[name]


#: Training compute of the runs behind the fits (Chinchilla's models: ~6e18 to ~3e21 FLOPs, its
#: largest run 5.76e23). Outside this range a prediction is an extrapolation, and says so.
FITTED_FLOPS = (1e18, 1e24)
#: Budgets accepted at all: from a toy run to far past any plan; the fits' outputs stay finite.
FLOPS_RANGE = (1.0, MAX_FLOPS)  # planner.limits.MAX_FLOPS (10**61: 6·N·D at the count limits), the one FLOPs limit


@dataclass(frozen=True)
class OptimalPlan:
    """The recommended N and D for a FLOP budget, and the law's own optimum beside it.

    ``params``, ``tokens``, ``tokens_per_param``, ``loss``: the recommendation. ``law_params``, ``law_tokens``,
    ``law_tokens_per_param``, ``law_loss``: the fit's minimum-loss split of the same FLOPs. They are the same
    unless a ``line`` was given and the law's optimum sits below it (Epoch's fit puts ~18 tokens per parameter
    at 10²⁴ FLOPs against the gate's 20): the recommendation is then the plan at the same FLOPs on the line,
    which the gate judges compute-optimal (``on_line`` True), at a loss a hair above the law's minimum.
    """

    fit: str
    flops: float
    params: float
    tokens: float
    tokens_per_param: float
    loss: float
    fitted_flops: tuple[float, float] = None  # the fit's compute range (Fit.compute_range)
    law_params: float | None = None
    law_tokens: float | None = None
    law_loss: float | None = None
    line: float | None = None

    @property
    def on_line(self) -> bool:
        """True when the recommendation was moved from the law's optimum to the gate's line."""
        return self.law_params is not None and self.law_params != self.params

    @property
    def law_tokens_per_param(self) -> float:
        return self.tokens_per_param if self.law_params is None else self.law_tokens / self.law_params

    @property
    def extrapolated(self) -> bool:
        """True outside the compute range the fit was made on (a built-in fit's :data:`FITTED_FLOPS`, a fitted
        ladder's own runs)."""
        lo, hi = FITTED_FLOPS if self.fitted_flops is None else self.fitted_flops
        return not lo <= self.flops <= hi

    def to_dict(self) -> dict:
        return {**asdict(self), "extrapolated": self.extrapolated, "on_line": self.on_line,
                "law_tokens_per_param": self.law_tokens_per_param}


def on_line(flops: float, line: float) -> tuple[float, float]:
    """The N and D that spend ``flops`` (6·N·D) at ``line`` tokens per parameter: N = ⌊√(C / (6·line))⌋ and
    D = ⌈line·N⌉, whole numbers, so D/N is on or just above the line (the gate passes it exactly)."""
    n = float(max(1, math.floor(math.sqrt(flops / (6.0 * line)))))
    return n, float(math.ceil(line * n))


def compute_optimal(flops, fit_name: str = DEFAULT_FIT, *, line=None) -> OptimalPlan:
    """The compute-optimal N and D for a FLOP budget, with the loss the fit predicts.

    Args:
        flops: training compute C in FLOPs (C ≈ 6·N·D), from 1 to 10^61.
        fit_name: a fit name (see :func:`fit`); default :data:`DEFAULT_FIT`.
        line: the gate's compute-optimal line in tokens per parameter (e.g. 20), or None. When the law's optimum
            sits below it, the recommendation is the split of the same FLOPs on the line (which the gate judges
            compute-optimal); the law's optimum stays in ``law_params``/``law_tokens``/``law_loss``.

    Returns:
        An :class:`OptimalPlan` (N, D, tokens per parameter, loss; ``extrapolated`` outside the fits' range).

    Raises:
        InputError: ``flops`` out of range, ``line`` not a positive number, or ``fit`` unknown.

    Examples:
        >>> o = compute_optimal(1e24, line=20)
        >>> round(o.law_tokens_per_param, 1), round(o.tokens_per_param, 1), o.on_line
        (18.1, 20.0, True)
    """
    f = fit(fit_name)
    c = validate.positive_real("flops", flops, minimum=FLOPS_RANGE[0], inclusive=True, maximum=FLOPS_RANGE[1])
    n0, d0 = f.optimal(c)
    loss0 = f.loss(n0, d0)
    n, d, loss = n0, d0, loss0
    if line is not None:
        line = validate.positive_real("line", line)
        if d0 / n0 < line:
            n, d = on_line(c, line)
            loss = f.loss(n, d)
    return OptimalPlan(fit=f.name, flops=c, params=n, tokens=d, tokens_per_param=d / n, loss=loss,
                       fitted_flops=f.compute_range, law_params=n0, law_tokens=d0, law_loss=loss0, line=line)
