"""Model FLOPs per token as the field counts them for MFU: the parameters' 6·N and the attention scores.

A training token costs 2 FLOPs per matmul weight forward and 4 backward (6·N), plus the two s²
matmuls of attention (Q·Kᵀ and scores·V): 2·2·H·Q·T forward per layer, three times that with the
backward, so 12·L·H·Q·T per token (PaLM, arXiv:2204.02311, appendix B). Where the field differs is
which N it multiplies and how it counts the masked half; each *MFU convention* below is one
source's own rule, so an MFU quoted by that source times the run correctly:

* ``palm`` (the default): 6·(N − token embedding) + 12·L·H·Q·T, the full square. torchtitan
  ``get_nparams_and_flops`` (``torchtitan/models/utils.py``: ``6 * (nparams - nparams_embedding) +
  12 * l * h * q * t``, "we follow the convention and do not account for sparsity in causal
  attention"), nanochat ``GPT.estimate_flops`` (``nanochat/gpt.py``, the same with sliding windows
  capping ``t`` per layer) and PaLM appendix B. The lookups (token and learned position embeddings)
  do no matmul; a tied head is dropped with the embedding it shares, as torchtitan does.
* ``megatron``: every GEMM, the logit layer included: 6·(N − lookups, + the tied head) + 12·L·H·Q·T,
  which for a GPT-3-style model is Korthikanti et al. 2022's 72·B·s·l·h²·(1 + s/(6h) + V/(12·h·l))
  per iteration (arXiv:2205.05198, §6 / Megatron-LM ``num_floating_point_operations``; Narayanan
  et al. 2021 eq. 3 is the same with the recompute, 96·B·s·l·h²·(...)).
* ``llm-foundry``: 6·N_total + 12·L·d·s (d the model width; llm-foundry
  ``scripts/train/benchmarking/README.md`` and ``MPTForCausalLM.flops_per_batch``: all parameters,
  the embedding included, and the full square).
* ``6nd``: 6·N, no attention: the planner's old rule, kept for users who quote an MFU of it.

Causal attention (``causal=True``) counts only the unmasked part: a query at position i sees
min(i, w) keys, on average w − w²/(2T) for a window w ≤ T (T/2 without a window). The named
conventions all count the full square; ``causal`` is for an MFU quoted on the unmasked half.
Sliding-window layers count min(T, w) keys instead of T (nanochat ``estimate_flops``).

Mixture of experts: N is the *active* N, the parameters one token uses (the top-k routed experts,
the shared experts, the router and everything dense). gpt-oss's card quotes 5.1B active for
gpt-oss-120b: the active N without the token embedding, which is ``palm``'s N (5.13B); DeepSeek-V3
quotes "37B activated": the active N with both embedding matrices (37.55B; 36.6B without the
embedding), its multi-token-prediction module left out.

Hardware FLOPs (HFU's numerator) add what recompute executes again: full recompute re-runs the
forward, +2·N and the attention's forward third; selective recompute (Korthikanti et al.) re-runs
the attention core, its forward third.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np

from .. import validate
from ..arrays import ArrayLike, FloatArray, FloatOrArray, floats, like
from ..errors import InputError
from ..model.architecture import Architecture
from ..model.params import ParamCount, count_params

#: The MFU conventions: name → the FLOPs per token each counts (see the module's docstring for sources).
CONVENTIONS = {
    "palm": "6·(N − embedding) + 12·L·H·Q·T",
    "megatron": "6·(N − embedding lookups + logit layer) + 12·L·H·Q·T",
    "llm-foundry": "6·N + 12·L·d·T",
    "6nd": "6·N",
}
#: The field's common MFU definition (torchtitan, nanochat, PaLM): attention included, the lookups left out.
DEFAULT_CONVENTION = "palm"
#: The recompute modes: what each executes again, in FLOPs per parameter and fractions of the attention term.
RECOMPUTE = {"none": (0.0, 0.0), "selective": (0.0, 1 / 3), "full": (2.0, 1 / 3)}


def convention(name: str, field: str = "hardware.mfu_convention") -> str:
    """Check an MFU convention's name.

    Args:
        name: one of :data:`CONVENTIONS`.
        field: the field named in the error.

    Returns:
        The name.

    Raises:
        InputError: naming ``field``: not a known convention.
    """
    if not isinstance(name, str) or name not in CONVENTIONS:
        raise InputError(field, f"one of {', '.join(CONVENTIONS)}", name)
    return name


def recompute_extra(params: ArrayLike, attention: ArrayLike, recompute: str,
                    field: str = "parallelism.recompute") -> FloatOrArray:
    """FLOPs per token that activation recompute executes again (vectorised).

    Args:
        params: the N the convention multiplies by 6.
        attention: the attention FLOPs per token (forward and backward).
        recompute: ``none``, ``selective`` (the attention core's forward again) or ``full`` (the whole
            forward again: 2·N and the attention's forward third).
        field: the field named in the error.

    Returns:
        The extra FLOPs per token: a float, or an array when an input is one.

    Raises:
        InputError: naming ``field``: an unknown recompute mode.

    Examples:
        >>> recompute_extra(1e9, 3e8, "full")
        2100000000.0
    """
    try:
        per_param, attention_share = RECOMPUTE[recompute]
    except (KeyError, TypeError):
        raise InputError(field, f"one of {', '.join(RECOMPUTE)}", recompute) from None
    n, a = floats(params, attention)
    return like(per_param * n + attention_share * a, params, attention)


@overload
def attention_flops_per_token(num_layers: float, num_heads: float, head_dim: float, seq_len: float,
                              causal: bool = False, *, v_head_dim: float | None = None, window: float | None = None,
                              window_layers: float | None = None) -> float: ...
@overload
def attention_flops_per_token(num_layers: ArrayLike, num_heads: ArrayLike, head_dim: ArrayLike, seq_len: ArrayLike,
                              causal: bool = False, *, v_head_dim: ArrayLike | None = None,
                              window: ArrayLike | None = None,
                              window_layers: ArrayLike | None = None) -> FloatOrArray: ...
def attention_flops_per_token(num_layers: ArrayLike, num_heads: ArrayLike, head_dim: ArrayLike, seq_len: ArrayLike,
                              causal: bool = False, *, v_head_dim: ArrayLike | None = None,
                              window: ArrayLike | None = None, window_layers: ArrayLike | None = None) -> FloatOrArray:
    """Training FLOPs per token of the attention scores: 6·H·(Q + Q_v)·keys per layer (12·L·H·Q·T in full).

    Each query meets T keys (the full square); min(T, w) in a sliding-window layer; with ``causal`` only
    the unmasked ones, on average w − w²/(2T) (T/2 without a window). Callers validate the inputs.

    Args:
        num_layers: L, the attention layers.
        num_heads: H, query heads.
        head_dim: Q, the query/key dimension of a head.
        seq_len: T, tokens per sequence.
        causal: count only the unmasked keys.
        v_head_dim: the value dimension of a head when it differs from ``head_dim`` (latent attention).
        window: w, the sliding window of the windowed layers (None: none).
        window_layers: how many of the ``num_layers`` use the window (default: all of them, when a
            window is given).

    Returns:
        FLOPs per token: a float, or an array when any input is one.

    Examples:
        GPT-2 124M at T = 1,024 (nanoGPT's ``transformer_sizing.ipynb``): 12·12·12·64·1,024.

        >>> attention_flops_per_token(12, 12, 64, 1024)
        113246208.0
        >>> attention_flops_per_token(12, 12, 64, 1024, causal=True)
        56623104.0
    """
    layers, heads, q, t = floats(num_layers, num_heads, head_dim, seq_len)
    qv = q if v_head_dim is None else floats(v_head_dim)[0]

    def keys(w: FloatArray) -> FloatArray:   # keys one query meets, on average, in a layer of window w
        return w - w * w / (2.0 * t) if causal else w

    total = layers * keys(t)
    if window is not None:
        windowed = layers if window_layers is None else floats(window_layers)[0]
        total = total + windowed * (keys(np.minimum(t, floats(window)[0])) - keys(t))
    per_key = 6.0 * heads * (q + qv)
    return like(per_key * total, num_layers, num_heads, head_dim, seq_len)


@dataclass(frozen=True)
class TokenFlops:
    """The model FLOPs of one training token under one MFU convention (forward and backward).

    Attributes:
        convention: the MFU convention (:data:`CONVENTIONS`).
        params: the N the convention multiplies by 6 (active N for a mixture of experts).
        attention: the attention FLOPs per token (0 when unknown; known but not counted under ``6nd``).
        causal: the attention counts only the unmasked keys.
        attention_known: an architecture and a sequence length were given (else only 6·N is counted).
        window: the sliding window counted (None without one).
        window_layers: the layers it applies to (None: all).
    """

    convention: str
    params: float
    attention: float
    causal: bool = False
    attention_known: bool = False
    window: int | None = None
    window_layers: int | None = None

    @property
    def counted_attention(self) -> float:
        """The attention FLOPs the convention counts: :attr:`attention`, or 0 under ``6nd``."""
        return 0.0 if self.convention == "6nd" else self.attention

    @property
    def model(self) -> float:
        """Model FLOPs per token, MFU's numerator: 6·N + the counted attention."""
        return 6.0 * self.params + self.counted_attention

    def hardware(self, recompute: str = "none") -> float:
        """Executed FLOPs per token, HFU's numerator: the model FLOPs plus what ``recompute`` runs again.

        Args:
            recompute: ``none``, ``selective`` or ``full``.

        Returns:
            FLOPs per token.

        Raises:
            InputError: naming ``parallelism.recompute``: an unknown mode.
        """
        return self.model + float(recompute_extra(self.params, self.counted_attention, recompute))

    def describe(self) -> str:
        """What the MFU counts, in words (``"6·(N − embedding) + 12·L·H·Q·T (palm), full square"``).

        Returns:
            One phrase.
        """
        if self.convention == "6nd":
            return "6·N (6nd, no attention)"
        if not self.attention_known:
            return f"6·N only ({self.convention}; attention unknown: no architecture or sequence length)"
        keys = "causal half" if self.causal else "full square"
        if self.window:
            layers = "every layer" if self.window_layers is None else f"{self.window_layers} layers"
            keys += f", a {self.window:,}-token window on {layers}"
        return f"{CONVENTIONS[self.convention]} ({self.convention}), {keys}"


def convention_params(counts: ParamCount, arch: Architecture, name: str = DEFAULT_CONVENTION) -> int:
    """The N an MFU convention multiplies by 6, from an architecture's exact count.

    Args:
        counts: the architecture's :class:`~planner.model.params.ParamCount`.
        arch: the architecture (whether its head is tied to the embedding).
        name: the convention (:data:`CONVENTIONS`).

    Returns:
        ``palm``: active N − token and position embeddings; ``megatron``: active N − the position
            embeddings and an untied token embedding (a tied one is the logit layer's weight);
            ``llm-foundry`` and ``6nd``: the active N.

    Raises:
        InputError: naming ``hardware.mfu_convention``; or ``param_kind`` for a mixture of experts whose
            config does not state its top-k (active N unknown).
    """
    n = counts.get("active") if counts.is_moe else counts.total
    convention(name)
    if name == "palm":
        return n - counts.embeddings - counts.positions
    if name == "megatron":
        return n - counts.positions - (0 if arch.tied_embeddings else counts.embeddings)
    return n


def token_flops(model: Architecture | int, seq_len: int | None = None, name: str = DEFAULT_CONVENTION,
                causal: bool = False, *, window: int | None = None, window_layers: int | None = None) -> TokenFlops:
    """Model FLOPs per token of an architecture (or a bare N) at a sequence length, under one MFU convention.

    Args:
        model: an :class:`~planner.model.architecture.Architecture`, or N (then only 6·N is known).
        seq_len: T, tokens per sequence (None: attention unknown).
        name: the MFU convention (:data:`CONVENTIONS`, default :data:`DEFAULT_CONVENTION`).
        causal: count only the unmasked keys.
        window: a sliding window (tokens) of ``window_layers`` attention layers (None: none).
        window_layers: how many attention layers use the window (default all).

    Returns:
        The :class:`TokenFlops`.

    Raises:
        InputError: naming ``hardware.mfu_convention``, ``training.seq_len``, ``window`` or ``window_layers``.

    Examples:
        Llama 3 8B at 8,192 tokens, as torchtitan counts it: 6·(8,030,261,248 − 525,336,576) +
        12·32·32·128·8,192.

        >>> from planner.model.catalog import architecture
        >>> token_flops(architecture("llama-3-8b"), 8192).model
        57914449920.0
    """
    convention(name)
    causal = validate.flag("hardware.causal_attention_halving", causal)
    if not isinstance(model, Architecture):
        return TokenFlops(name, float(validate.count("params", model)), 0.0, causal, False)
    params = convention_params(count_params(model), model, name)
    if seq_len is None:
        return TokenFlops(name, float(params), 0.0, causal, False)
    t = validate.count("training.seq_len", seq_len)
    if window is not None:
        window = validate.count("window", window)
    layers = model.num_attention_layers
    if window_layers is not None:
        window_layers = validate.count("window_layers", window_layers, minimum=0, maximum=layers)
    if name == "llm-foundry":   # 12·L·d·s: the model width stands for H·Q
        attention = attention_flops_per_token(layers, 1, model.hidden_size, t, causal, window=window,
                                              window_layers=window_layers)
    else:
        attention = attention_flops_per_token(layers, model.num_heads, model.head_dim, t, causal,
                                              v_head_dim=model.v_head_dim, window=window, window_layers=window_layers)
    return TokenFlops(name, float(params), float(attention), causal, True,
                      window if window and window < t else None, window_layers if window and window < t else None)
