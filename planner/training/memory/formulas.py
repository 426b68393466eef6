"""The papers' formulas for memory per GPU, vectorised: any argument may be a numpy array or a pandas Series.

* :func:`model_states` — weights, gradients and optimizer state per GPU, ZeRO-sharded (Rajbhandari et al.
  2020, arXiv:1910.02054, Fig. 1);
* :func:`layer_activations` — the activations one transformer layer stores for the backward pass
  (Korthikanti et al. 2022, arXiv:2205.05198, §4 and Table 2), term by term.

Nothing here knows an architecture or a layout object: :mod:`planner.training.memory.partition` feeds
them the model's parts and the layout's values.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import numpy.typing as npt

from ... import validate
from ...arrays import ArrayLike, FloatOrArray, any_array, floats, like
from ...errors import InputError
from ..parallelism import RECOMPUTE

# ``_vec``'s value is typed ``Any``: the caller's input (a number, a numpy array, a pandas Series) before validation.


def _vec(field: str, value: Any, *, minimum: int = 1, maximum: int | None = None,
         real: bool = False) -> float | npt.NDArray[Any]:
    """A validated count (or positive real) as given, or as a numpy array for arrays and pandas Series."""
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        value = value.to_numpy()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if real:
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "iuf" or not np.all(np.isfinite(value)) or np.any(value < minimum):
                raise InputError(field, f"finite numbers >= {minimum}", detail=f"must be finite numbers >= {minimum}")
            arr: npt.NDArray[Any] = value
            return arr
        return validate.positive_real(field, value, minimum=minimum, inclusive=True)
    return validate.count(field, value, minimum=minimum, maximum=maximum, vector=True)


@overload
def model_states(params: float, dp: float = 1, zero: int = 0, *, weight_bytes: float = 2, grad_bytes: float = 2,
                 optimizer_bytes: float = 12) -> tuple[float, float, float]: ...
@overload
def model_states(params: ArrayLike, dp: ArrayLike = 1, zero: ArrayLike = 0, *, weight_bytes: ArrayLike = 2,
                 grad_bytes: ArrayLike = 2,
                 optimizer_bytes: ArrayLike = 12) -> tuple[FloatOrArray, FloatOrArray, FloatOrArray]: ...
def model_states(params: ArrayLike, dp: ArrayLike = 1, zero: ArrayLike = 0, *, weight_bytes: ArrayLike = 2,
                 grad_bytes: ArrayLike = 2,
                 optimizer_bytes: ArrayLike = 12) -> tuple[FloatOrArray, FloatOrArray, FloatOrArray]:
    """Weights, gradients and optimizer bytes per GPU for ``params`` parameters held by its model-parallel group.

    ZeRO Fig. 1: 2Ψ + 2Ψ + KΨ without sharding; stage 1 shards the optimizer state over the ``dp``
    ranks, stage 2 also the gradients, stage 3 also the weights.

    Args:
        params: parameters held by the GPU's model-parallel group (Ψ), >= 0.
        dp: data-parallel ranks the states are sharded over (N_d).
        zero: the ZeRO stage (0: none, 1: optimizer, 2: + gradients, 3: + weights).
        weight_bytes: bytes per weight (2 in mixed precision).
        grad_bytes: bytes per gradient.
        optimizer_bytes: optimizer state per parameter (K in the ZeRO paper: 12 for mixed-precision Adam).

    Returns:
        ``(weights, gradients, optimizer)`` in bytes: Python floats for scalar inputs, arrays if any input
            is an array.

    Raises:
        InputError: naming the argument: a negative or non-finite value, a ZeRO stage outside 0-3.
    """
    params, dp = _vec("params", params, minimum=0, real=True), _vec("dp", dp, real=True)
    zero = _vec("zero", zero, minimum=0, maximum=3)
    weight_bytes, grad_bytes = _vec("weight_bytes", weight_bytes, real=True), _vec("grad_bytes", grad_bytes, real=True)
    optimizer_bytes = _vec("optimizer_bytes", optimizer_bytes, minimum=0, real=True)
    n, d, z, wb, gb, ob = floats(params, dp, zero, weight_bytes, grad_bytes, optimizer_bytes)
    w, g, o = states_bytes(n, d, z, wb, gb, ob)
    ins = (params, dp, zero, weight_bytes, grad_bytes, optimizer_bytes)
    return like(w, *ins), like(g, *ins), like(o, *ins)


def states_bytes(params: Any, dp: Any, zero: Any, weight_bytes: Any, grad_bytes: Any,
                 optimizer_bytes: Any) -> tuple[Any, Any, Any]:
    """:func:`model_states`' arithmetic on values already checked (the memory model's inner loop): floats or arrays.

    Args:
        params: parameters held.
        dp: ranks the states are sharded over.
        zero: the ZeRO stage.
        weight_bytes: bytes per weight.
        grad_bytes: bytes per gradient.
        optimizer_bytes: optimizer state per parameter.

    Returns:
        ``(weights, gradients, optimizer)`` bytes.
    """
    n, d, z = (np.asarray(x, dtype=float) for x in (params, dp, zero))
    return (n * weight_bytes / np.where(z >= 3, d, 1.0), n * grad_bytes / np.where(z >= 2, d, 1.0),
            n * optimizer_bytes / np.where(z >= 1, d, 1.0))


def layer_activations(micro_batch: ArrayLike, seq_len: ArrayLike, hidden_size: ArrayLike, num_heads: ArrayLike, *,
                      kv_width: float | None = None, q_width: float | None = None, ffn: float | None = None,
                      gated_mlp: bool = False, tp: ArrayLike = 1, sp: bool | npt.NDArray[Any] = False,
                      recompute: str | ArrayLike = "none", flash_attention: bool | npt.NDArray[Any] = False,
                      dropout: bool = True, act_bytes: ArrayLike = 2, experts_per_token: float = 0,
                      num_experts: int = 0, expert_ffn: float = 0, shared_ffn: float = 0, latent_width: float = 0,
                      v_width: float | None = None, selective: str = "attention-core",
                      sp_gathered: bool = False, fp8_inputs: bool | npt.NDArray[Any] = False) -> FloatOrArray:
    """Activation bytes one transformer layer stores for the backward pass, per GPU and micro-batch.

    Korthikanti et al. 2022, §4 term by term (s = ``seq_len``, b = ``micro_batch``, h =
    ``hidden_size``, a = ``num_heads``, t = ``tp``, E = ``act_bytes``, m = 1 byte per dropout mask):

    * replicated over TP ranks unless ``sp``: the two norms' inputs (2·E·sbh), the QKV and MLP inputs
      (2·E·sbh; whole on every rank with ``sp_gathered``), two dropout masks (2·m·sbh) — 10sbh in the paper;
    * split over TP: Q and K (E·sb·(q + k)), V (E·sb·v), the output projection's input (E·sb·q), the MLP
      (plain: E·sb·2f, the GeLU input and the second matrix's input; gated: E·sb·3f, gate and up
      outputs and the down projection's input) — 24sbh for GPT-3's MHA with f = 4h;
    * the attention scores, split over TP: softmax output E·as²b, with dropout also its mask (m) and
      output (E): 5as²b; dropped by selective recompute; flash attention stores only the fp32
      log-sum-exp (4·asb) instead;
    * MoE layers: router logits in fp32 (4·sb·experts), the top-k copies of the tokens
      (E·sbh·k, replicated unless ``sp``) and k experts' MLPs (split over TP); shared experts as a
      dense MLP of width ``shared_ffn``; latent attention's compressed q/kv (E·sb·``latent_width``).

    With ``fp8_inputs`` (Transformer Engine's float8 linears keep their inputs for the weight gradient in float8):
    the QKV and MLP inputs (an MoE layer's k routed copies too) and the down projection's input take 1 byte a
    value, and the output projection keeps a float8 copy of the attention output beside the one the attention
    kernel keeps (+1·sb·q).

    With ``recompute="full"`` only the layer's input is kept: E·sbh, divided by t with ``sp`` (each
    TP rank then holds s/t of the sequence).

    With ``recompute="selective"`` and ``selective="op-sac"`` (torchtitan's op-level policy: the outputs of
    the attention kernel and of every other matmul are kept, everything else is recomputed from the
    layer's input), a layer in the order Q, K, V, O, gate (or up), up, down keeps its input (E·sbh,
    ÷t with ``sp``), Q and V (E·sb·(q + v)/t), the attention output and its log-sum-exp
    (E·sb·q/t + 4·asb/t), the MLP's first matmul (E·sb·f/t) and, for a gated MLP, the down projection's
    output (E·sbh). For an MoE layer f is the k routed experts' width plus the shared experts'.

    Args:
        micro_batch: sequences per micro-batch (b).
        seq_len: tokens per sequence (s).
        hidden_size: the model width (h).
        num_heads: attention heads (a).
        kv_width: width of K (default h: multi-head attention).
        q_width: width of Q (default h).
        ffn: the MLP's inner width (default 4h).
        gated_mlp: a gated MLP (SwiGLU: three f-wide tensors).
        tp: the tensor-parallel degree (t).
        sp: sequence parallelism.
        recompute: ``"none"``, ``"selective"`` or ``"full"``, or in a sweep an array of codes 0/1/2.
        flash_attention: no s² scores are stored.
        dropout: the model trains with dropout (its masks are stored).
        act_bytes: bytes per stored value (E).
        experts_per_token: routed experts per token (k), for an MoE layer.
        num_experts: routed experts, for an MoE layer (0: a dense layer).
        expert_ffn: one expert's inner width.
        shared_ffn: the shared experts' total inner width.
        latent_width: latent attention's compressed q/kv width.
        v_width: width of V (default ``kv_width``).
        selective: what ``"selective"`` keeps: ``"attention-core"`` (Korthikanti's) or ``"op-sac"``
            (torchtitan's op-level policy).
        sp_gathered: with ``sp``, the QKV and MLP inputs are kept as gathered over the TP ranks (PyTorch's
            DTensor sequence parallelism saves the all-gathered matmul input; Megatron keeps its shard and
            gathers again in the backward).
        fp8_inputs: the linears keep their inputs in float8 (Transformer Engine under ``--fp8-format``).

    Returns:
        The bytes: a Python float for scalar inputs, an array if any input is an array.

    Raises:
        InputError: naming the argument: not a whole number >= 1, an unknown recompute mode or selective policy.
    """
    if selective not in ("attention-core", "op-sac"):
        raise InputError("selective", "attention-core or op-sac", selective)
    micro_batch, seq_len = _vec("micro_batch", micro_batch), _vec("seq_len", seq_len)
    hidden_size, num_heads = _vec("hidden_size", hidden_size), _vec("num_heads", num_heads)
    tp, act_bytes = _vec("tp", tp), _vec("act_bytes", act_bytes, real=True)
    if isinstance(recompute, str):
        if recompute not in RECOMPUTE:
            raise InputError("recompute", f"one of {', '.join(RECOMPUTE)}", recompute)
    else:
        recompute = _vec("recompute", recompute, minimum=0, maximum=2)
    ins = (micro_batch, seq_len, hidden_size, num_heads, tp, sp, flash_attention, act_bytes, recompute, fp8_inputs)
    b, s, h, a, t = (np.asarray(x, dtype=float) for x in (micro_batch, seq_len, hidden_size, num_heads, tp))
    e = np.asarray(act_bytes, dtype=float)
    spl = np.asarray(sp, dtype=bool)
    fl = np.asarray(flash_attention, dtype=bool)
    rc = np.asarray(RECOMPUTE.index(recompute) if isinstance(recompute, str) else recompute)
    m = 1.0 if dropout else 0.0
    q = h if q_width is None else float(q_width)
    kv = h if kv_width is None else float(kv_width)
    v = kv if v_width is None else float(v_width)
    f = 4 * h if ffn is None else float(ffn)
    tokens = s * b
    mlp_mult = 3.0 if gated_mlp else 2.0
    replicated = tokens * (h * (4 * e + 2 * m) + e * float(latent_width))
    split = tokens * e * (2 * q + kv + v)
    if sp_gathered:   # under SP the two matmul inputs stay whole on every rank: t × their shard, split over t
        replicated = replicated - np.where(spl, tokens * 2 * e * h, 0.0)
        split = split + np.where(spl, tokens * 2 * e * h * t, 0.0)
    if num_experts:
        replicated = replicated + tokens * (4.0 * num_experts + e * h * experts_per_token)
    width = (experts_per_token * float(expert_ffn) + float(shared_ffn)) if num_experts else f
    split = split + tokens * e * mlp_mult * width
    # float8 linears: the QKV and MLP inputs (and an MoE layer's k routed copies), the down projection's input at
    # 1 byte, and a float8 copy of the attention output for the output projection
    f8 = np.asarray(fp8_inputs, dtype=bool)
    inputs = tokens * 2 * h * (e - 1.0)
    copies = tokens * h * experts_per_token * (e - 1.0) if num_experts else 0.0
    replicated = replicated - np.where(f8 & ~(spl & sp_gathered), inputs, 0.0) - np.where(f8, copies, 0.0)
    split = split - np.where(f8 & spl & sp_gathered, inputs * t, 0.0) + np.where(
        f8, tokens * (q - width * (e - 1.0)), 0.0)
    scores = a * s * s * b * (e + (m + e if dropout else 0.0))  # softmax output (+ dropout mask and output)
    lse = 4.0 * a * s * b
    attention_core = np.where(fl, lse, np.where(rc == 0, scores, 0.0))
    full_layer = replicated / np.where(spl, t, 1.0) + (split + attention_core) / t
    kept_input = tokens * h * e / np.where(spl, t, 1.0)
    out = np.where(rc == 2, kept_input, full_layer)
    if selective == "op-sac":
        f_kept = (experts_per_token * float(expert_ffn) + float(shared_ffn)) if num_experts else f
        sac = (kept_input + tokens * (e * (2 * q + v + f_kept) + 4.0 * a) / t
               + (tokens * e * h if gated_mlp else 0.0))
        out = np.where(rc == 1, sac, out)
    return out if any_array(*ins) else float(out)
