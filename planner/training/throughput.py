"""Step time and tokens per second of a layout, from the matmuls, the memory traffic and the communication.

Per GPU and micro-batch of b sequences of s tokens (s/cp per GPU with context parallelism), on the pipeline
stage with the head (the busiest):

* **matmuls**: 6 FLOPs per weight per token over the stage's share of the active matmul weights (layers ÷ pp,
  each ÷ tp, experts ÷ ep but k of them per token), plus what recompute runs again (full: the forward, +2 per
  weight; torchtitan's op-level selective: the matmuls it does not keep, every one under float8, whose
  ``_scaled_mm`` is not on its save list; Megatron's selective: none), at
  :data:`MATMUL_EFFICIENCY` of the dense peak (:data:`FP8_SPEEDUP` times it for float8 matmuls), less for small
  matmuls, by the roofline on HBM bandwidth: × M/(M + k) × N/(N + k) with M the tokens of the micro-batch on the
  GPU, N the width on it (h/t) and k the matmul rate over the bandwidth (FLOPs per byte: 233 on H100, 121 on A100
  for bf16) — the time to stream the weights (or the inputs) added to the time to multiply them;
* **attention**: 12·L·H·Q per token and key, over s keys without flash attention (the whole square is computed,
  then masked) and over the unmasked keys with it: s/2 causal, w − w²/(2s) on a sliding-window layer of window w;
  plus its forward again under recompute (torchtitan's op-level policy keeps the attention kernel's output), at
  :data:`ATTENTION_EFFICIENCY` of FlashAttention-2's benchmarked rate on the accelerator (:attr:`Link.attention`);
* **memory traffic**: the elementwise work (norms, activations, residuals, rotary, softmax of the loss) reads
  and writes about :data:`ELEMENTWISE_BYTES` bytes per token and layer per unit of width, at the HBM bandwidth,
  again under full or op-level recompute (fused kernels — ``torch.compile``, or a framework's own — leave
  :data:`FUSED_SHARE` of it, a stack measured to leave less its own share), split over the TP ranks: all of it
  under sequence parallelism, without it all but the h-wide tensors every rank holds whole
  (:attr:`Shape.replicated_share`);
* **tensor parallelism**: 4 collectives of b·s·h bf16 values per layer (2 forward, 2 backward; 2 more under
  full recompute), ring time 2·(t − 1)/t × bytes / bandwidth, between the matmuls (Korthikanti et al. 2022, §4);
  with TP overlap (Megatron's ``--tp-comm-overlap``, torchtitan's async TP) they run in pieces under the
  matmuls, and the framework's :data:`TP_HIDDEN` of their time is hidden;
* **expert parallelism**: 4 all-to-alls of the k routed copies of a GPU's tokens (1/t of them under sequence
  parallelism) per MoE layer, the share for the EP ranks on its node over NVLink while the share for the others
  leaves on its network port; EP groups of ETP-split experts tile the TP × DP × CP ranks (Megatron's MoE parallel
  folding), their ranks ETP apart; experts split over ETP > 1 ranks all-gather and reduce-scatter the k copies
  (two all-reduces' worth per MoE layer); a routed expert's matmuls run at the roofline of its own tokens (the k
  copies an EP group dispatches, spread over the E experts); **context parallelism**: the
  ring exchange of K and V, hidden behind the attention when it is faster; **pipeline**: one activation
  send per micro-batch and (virtual) stage boundary;
* **the pipeline bubble**: 1F1B runs m micro-batches in m + (p − 1)/v slots (Narayanan et al. 2021, §2.2);
* **data parallelism**: all-reduce (ZeRO 0-1) once per step; ZeRO 2 reduce-scatters every micro-batch (FSDP's
  SHARD_GRAD_OP also gathers the weights for each forward, DeepSpeed once a step); all-gather twice and
  reduce-scatter (ZeRO 3, FSDP) for every micro-batch (once a step under PyTorch's pipelining, which defers the
  reduce-scatter), of the stage's weights over the shard group, whose rings cross the nodes on as many network
  ports as the group has GPUs on each node; :data:`OVERLAP` of the compute time can hide it. Each sharded
  micro-batch also copies the gathered weights and the gradients through memory (:data:`GATHER_PASS_BYTES`,
  :data:`GRADIENT_PASS_BYTES` per parameter at the HBM bandwidth);
* **optimizer**: reading and writing the sharded states once per step at the HBM bandwidth.

Bandwidths come from ``data/interconnects.csv`` (NVLink inside a node of 8, the network per GPU across nodes).
The three fitted constants and the estimated ones live in :mod:`planner.training.throughput_calibration`.
Everything is vectorised over layout values, so the layout search (:mod:`planner.training.layout_search`) times
10⁴ layouts in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..datafiles import lookup
from ..errors import InputError, UnknownModelError
from ..model.architecture import Architecture
from ..model.params import count_params
from .compute import accelerator as accelerator_row
from .flops import token_flops
from .frameworks import framework
from .parallelism import RECOMPUTE, Parallelism
from .throughput_calibration import (
    ATTENTION_EFFICIENCY,
    BAND,
    ELEMENTWISE_BYTES,
    FP8_SPEEDUP,
    FUSED_SHARE,
    FUSED_SHARE_BY_FRAMEWORK,
    GATHER_PASS_BYTES,
    GRADIENT_PASS_BYTES,
    MATMUL_EFFICIENCY,
    OVERLAP,
    TP_HIDDEN,
)

#: FlashAttention-2's benchmarked share of the peak on H100 SXM5 (335 of 989.4 TFLOP/s, Dao 2023, §4.1), taken for an
#: accelerator without a published benchmark of its own.
_UNBENCHMARKED_ATTENTION = 335 / 989.4


@dataclass(frozen=True)
class Link:
    """An accelerator's memory and interconnect bandwidths (``data/interconnects.csv``), bytes per second.

    Args:
        peak: the dense BF16 peak, FLOP/s.
        hbm: HBM bandwidth.
        nvlink: NVLink bandwidth each way per GPU inside a node.
        network: network bandwidth each way per GPU across nodes.
        gpus_per_node: GPUs that share NVLink.
        attention: the share of the dense peak FlashAttention-2's forward and backward reach on this accelerator
            in its authors' benchmark (Dao 2023); H100's where none is published.
    """

    peak: float
    hbm: float
    nvlink: float
    network: float
    gpus_per_node: int
    attention: float


def link(accelerator: str) -> Link:
    """The bandwidths of an accelerator by key or name.

    Args:
        accelerator: a key or name of ``data/accelerators.csv`` with a row in ``data/interconnects.csv``.

    Returns:
        The :class:`Link`.

    Raises:
        UnknownModelError: an unknown accelerator.
        InputError: (field ``accelerator``) an accelerator without known bandwidths.
    """
    acc = accelerator_row(accelerator)
    try:
        row = lookup(acc["key"], "interconnects.csv", ("key",), "accelerator")
    except UnknownModelError:
        raise InputError("accelerator", "an accelerator with known bandwidths (data/interconnects.csv: "
                         "a100, a100-80gb, a100-40gb, h100-sxm, h200, b200)", accelerator) from None
    peak = acc["peak_tflops"] * 1e12
    attention = (float(row["attention_tflops"]) * 1e12 / peak if row["attention_tflops"].strip()
                 else _UNBENCHMARKED_ATTENTION)
    return Link(peak=peak, hbm=float(row["hbm_gbs"]) * 1e9, nvlink=float(row["nvlink_gbs"]) * 1e9,
                network=float(row["network_gbs"]) * 1e9, gpus_per_node=int(row["gpus_per_node"]), attention=attention)


@dataclass(frozen=True)
class Shape:
    """What the step time needs of an architecture, read once.

    Args:
        layers: L.
        hidden: h.
        heads: H.
        head_dim: Q, the width of a head's Q·K and P·V on average (latent attention: (192 + 128) / 2).
        kv_width: the K (= V) width.
        vocab: V.
        layer_matmul: active matmul weights of one average layer (attention, MLP or k routed experts and the
            shared ones, router), from the exact parameter count.
        recomputed_sac: of those, the weights torchtitan's op-level policy recomputes (K, O and the MLP's
            second matmul).
        moe_layers: MoE layers.
        routed: routed experts per token (k).
        params: all parameters (their states are communicated and updated).
        experts: the routed experts' parameters.
        expert_matmul: of ``layer_matmul``, the k routed experts' weights a token runs through (an average layer).
        num_experts: routed experts per MoE layer (E), 0 for a dense model.
        window: the sliding window (tokens), 0 without one.
        window_share: the share of layers that use it.
        replicated_share: the share of a layer's elementwise work on tensors every TP rank holds whole without
            sequence parallelism: the h-wide norm and matmul inputs, 4h of the 4h + 2q + 2kv + (2 or 3)·f widths
            Korthikanti et al. 2022 (§4) count per token; the rest (Q, K, V, the attention output, the MLP's
            f-wide tensors) is split over the TP ranks.
    """

    layers: int
    hidden: int
    heads: int
    head_dim: float
    kv_width: int
    vocab: int
    layer_matmul: float
    recomputed_sac: float
    moe_layers: int
    routed: int
    params: float
    experts: float
    expert_matmul: float = 0.0
    num_experts: int = 0
    window: int = 0
    window_share: float = 0.0
    replicated_share: float = 1.0


def shape_of(a: Architecture) -> Shape:
    """The :class:`Shape` of an attention architecture.

    Args:
        a: the architecture.

    Returns:
        The ``Shape``.

    Raises:
        InputError: (field ``model``) layers that are not attention (their step time is not modelled).
    """
    if getattr(a, "mixer", "attention") != "attention":
        raise InputError("model", "an attention model (the step time of other layers is not modelled)", a.name)
    pc = count_params(a)
    h, q, kv = a.hidden_size, a.num_heads * a.head_dim, a.num_kv_heads * a.head_dim
    mlp_mult = 3 if a.gated_mlp else 2
    moe = a.moe_layers if a.num_experts else 0
    routed = a.experts_per_token or 0
    shared = 0
    if moe:
        shared = (getattr(a, "num_shared_experts", 0) or 0) * (
            getattr(a, "shared_expert_intermediate_size", None) or a.moe_intermediate_size or 0)
    # the active matmul weights from the exact count: attention (latent attention's down- and up-projections as
    # they are), dense MLPs, shared experts, routers and k of the routed experts per token
    routed_weights = pc.experts * routed / a.num_experts if moe else 0
    active = pc.attention + pc.mlp + pc.shared_experts + pc.router + routed_weights
    per_layer = active / a.num_layers
    second = h * a.intermediate_size      # the MLP's second matmul (up of a gated MLP, the down of a plain one)
    f = ((a.num_layers - moe) * a.intermediate_size
         + moe * (routed * (a.moe_intermediate_size or 0) + shared)) / a.num_layers
    replicated = 4 * h / (4 * h + 2 * q + 2 * kv + mlp_mult * f)
    # attention computes Q·K over the query-key width and P·V over the value width (latent attention: 192 and 128)
    head_dim = (a.head_dim + (getattr(a, "v_head_dim", None) or a.head_dim)) / 2
    return Shape(layers=a.num_layers, hidden=h, heads=a.num_heads, head_dim=head_dim, kv_width=kv,
                 vocab=a.vocab_size, layer_matmul=float(per_layer), recomputed_sac=float(h * kv + q * h + second),
                 moe_layers=moe, routed=routed if moe else 0, params=float(pc.total),
                 experts=float(pc.experts), expert_matmul=float(routed_weights / a.num_layers),
                 num_experts=a.num_experts if moe else 0, window=a.sliding_window or 0,
                 window_share=(a.sliding_window_layers / a.num_layers) if a.sliding_window else 0.0,
                 replicated_share=float(replicated))


def step_seconds(shape: Shape, v: dict[str, Any], net: Link) -> dict[str, Any]:
    """Seconds of one optimizer step per part, vectorised over the layout values ``v``.

    Args:
        shape: the model's :class:`Shape`.
        v: layout values as :func:`planner.training.memory.stages.layout_values` gives them (arrays in a search),
            plus ``micro_batches`` (m per pipeline per step).
        net: the accelerator's :class:`Link`.

    Returns:
        ``{"compute", "attention", "memory", "passes", "tp", "ep", "cp", "pp", "bubble", "dp", "optimizer", "step"}`` in
            seconds per step (``step`` the total), and ``tokens_per_gpu_s``.
    """
    f = {k: np.asarray(v[k], dtype=float) for k in ("tp", "pp", "cp", "dp", "ep", "vpp", "micro_batch", "seq_len",
                                                      "zero")}
    tp, pp, cp, dp, ep, vpp, b, s, zero = (f[k] for k in ("tp", "pp", "cp", "dp", "ep", "vpp", "micro_batch",
                                                          "seq_len", "zero"))
    m = np.asarray(v["micro_batches"], dtype=float)
    m = np.where(np.isnan(m), 1.0, m)
    rc = np.asarray(v["recompute"])
    fw = framework(v["framework"])
    gpus = tp * pp * cp * dp
    tokens = b * s / cp                                    # per GPU per micro-batch
    layers = shape.layers / pp
    h = float(shape.hidden)
    # matmuls: the stage's layers and the head, 6 per weight per token, plus what recompute runs again
    weights = layers * shape.layer_matmul / tp + shape.vocab * h / tp
    fp8 = np.asarray(v["fp8"], dtype=bool)
    # torchtitan's op-level policy keeps every other aten.mm; float8 linears run torch._scaled_mm, which it never
    # keeps, so under float8 it recomputes every matmul
    sac = np.where(fp8, shape.layer_matmul, shape.recomputed_sac)
    again = np.where(rc == 2, 2.0 * layers * shape.layer_matmul / tp,
                     np.where((rc == 1) & (fw.selective == "op-sac"), 2.0 * layers * sac / tp, 0.0))
    rate = net.peak * float(v.get("matmul_efficiency", MATMUL_EFFICIENCY)) * np.where(
        fp8, FP8_SPEEDUP, 1.0)
    # the roofline, added rather than maxed: a matmul streams its weights (2 bytes each, 1 in float8) from HBM while
    # it computes 2 FLOPs per weight and token, so with M tokens it runs at M/(M + knee) of the rate, knee = rate /
    # bandwidth × bytes / 2; its inputs stream the same way against the width N it computes per token
    knee = rate / net.hbm * np.where(fp8, 0.5, 1.0)
    size = tokens / (tokens + knee) * (h / tp) / (h / tp + knee)
    # a routed expert streams its weights for its own tokens: the k copies of the tokens an EP group dispatches,
    # spread over the E experts (each rank's sequence share under SP, gathered over the expert's own TP)
    etp = np.asarray(v.get("etp", tp), dtype=float)
    sp = np.asarray(v["sp"], dtype=bool)
    smaller = 0.0                                   # the time the experts' smaller matmuls add
    if shape.num_experts:
        per_expert = np.where(sp, tokens * etp / tp, tokens) * shape.routed * ep / shape.num_experts
        size_e = per_expert / (per_expert + knee) * (h / etp) / (h / etp + knee)
        share = shape.expert_matmul / shape.layer_matmul
        smaller = (6.0 * layers * shape.expert_matmul / tp + again * share) * tokens * (1 / size_e - 1 / size) / rate
    t_mm = (6.0 * weights + again) * tokens / (rate * size) + smaller
    # keys each query computes: the whole square without flash attention; with it, the causal half (s/2), and on
    # sliding-window layers min(i, w) keys, w − w²/(2s) on average
    w = float(shape.window)
    windowed = np.where(s > w, w - w * w / (2 * s), s / 2) if shape.window else s / 2
    causal = (1 - shape.window_share) * s / 2 + shape.window_share * windowed
    keys = np.where(np.asarray(v["flash_attention"], dtype=bool), causal, s)
    # recompute runs the attention forward again, except torchtitan's op-level policy, which keeps its output
    attn_again = (rc == 2) | ((rc == 1) & (fw.selective != "op-sac"))
    attn = 12.0 * layers * (shape.heads / tp) * shape.head_dim * keys * tokens * np.where(attn_again, 4 / 3, 1.0)
    t_attn = attn / (net.peak * net.attention * float(v.get("attention_efficiency", ATTENTION_EFFICIENCY)))
    sp_div = np.where(np.asarray(v["sp"], dtype=bool), tp, 1.0)
    fused = np.where(np.asarray(v["compile"], dtype=bool) | fw.fused_kernels,
                     float(v.get("fused_share", FUSED_SHARE_BY_FRAMEWORK.get(fw.key, FUSED_SHARE))), 1.0)
    # each TP rank does its share: all of it split with sequence parallelism, else the replicated share whole
    per_rank = np.where(np.asarray(v["sp"], dtype=bool), 1.0 / tp, shape.replicated_share
                        + (1 - shape.replicated_share) / tp)
    traffic = float(v.get("elementwise_bytes", ELEMENTWISE_BYTES)) * h * tokens * layers * per_rank * fused
    t_mem = traffic * np.where((rc == 2) | ((rc == 1) & (fw.selective == "op-sac")), 4 / 3, 1.0) / net.hbm
    node = net.gpus_per_node

    def bw(group: Any) -> Any:        # a point-to-point or all-to-all exchange: off the node, each GPU's own port
        return np.where(group <= node, net.nvlink, net.network)

    def ring_bw(group: Any, stride: Any) -> Any:
        # NCCL's rings cross the nodes on every port of a node at once: a group with j GPUs on each node (ranks
        # ``stride`` apart) moves its data at j ports' bandwidth, at most NVLink's
        return np.where(group * stride <= node, net.nvlink,
                        np.minimum(net.nvlink, net.network * np.maximum(1.0, node / stride)))

    act = tokens * h * 2.0                                  # one bf16 activation of the micro-batch
    t_tp = np.where(tp > 1, (4.0 + 2.0 * (rc == 2)) * layers * 2 * (tp - 1) / tp * act / bw(tp), 0.0)
    hidden = float(v.get("tp_hidden", TP_HIDDEN.get(fw.key, 0.0)))
    t_tp = t_tp * np.where(np.asarray(v.get("tp_overlap", False), dtype=bool), 1.0 - hidden, 1.0)
    # expert all-to-all: each GPU sends 1/ep of the k routed copies of its tokens (its sequence-parallel share under
    # SP) to every rank of its EP group (ranks etp apart), to the j − 1 on its node over NVLink and to the ep − j off
    # it over its own network port, at once
    moe = shape.moe_layers / pp
    on_node = np.minimum(ep, np.maximum(1.0, node // etp))
    t_ep = np.where(ep > 1, 4.0 * moe * shape.routed * act / sp_div / ep * np.maximum(
        (on_node - 1) / net.nvlink, (ep - on_node) / net.network), 0.0)
    # experts split over ETP ranks gather the dispatched copies from them and reduce-scatter the experts' output,
    # forward and backward: two all-reduces' worth of k copies per MoE layer (ETP 1, folded, has none)
    t_ep = t_ep + np.where(etp > 1, 2.0 * moe * shape.routed * 2 * (etp - 1) / etp * act / bw(etp), 0.0)
    kv = 2.0 * shape.kv_width * tokens * 2.0 / tp
    t_cp = np.where(cp > 1, np.maximum(0.0, 3.0 * layers * kv * (cp - 1) / bw(cp * tp) - t_attn), 0.0)
    t_p2p = np.where(pp > 1, 2.0 * vpp * act / sp_div / bw(gpus), 0.0)     # every virtual stage sends its own
    # data parallel: the stage's weights, sharded over dp × cp. FSDP (ZeRO 3) gathers the weights for the forward
    # and the backward and reduce-scatters the gradients every micro-batch (once a step under PyTorch's pipelining,
    # :mod:`planner.training.frameworks`); ZeRO 2 reduce-scatters the gradients every micro-batch, FSDP's
    # SHARD_GRAD_OP also gathering the weights for each forward, DeepSpeed once a step after the update; ZeRO 0-1
    # all-reduce the accumulated gradients once a step
    shard = dp * cp
    sharded = shard > 1
    stage_params = (shape.params - shape.experts) / (tp * pp) + shape.experts / (etp * pp * ep)
    grad_bytes = np.asarray(v["grad_bytes"], dtype=float)
    reduce = np.maximum(grad_bytes, 4.0 if fw.key == "torchtitan" else 2.0)     # torchtitan reduces in fp32
    full = (zero >= 3) & ~((pp > 1) & fw.pp_unsharded_grads)
    z2 = zero == 2
    gathers = np.where(full, 2.0, np.where(z2 & (fw.zero2 == "fsdp"), 1.0, 0.0))   # weight gathers per micro-batch
    per_micro = np.where(full, 4.0 + reduce, np.where(z2, grad_bytes + 2.0 * gathers, 0.0))
    per_step = np.where(zero >= 3, np.where(full, 0.0, 4.0 + reduce),
                        np.where(z2, np.where(fw.zero2 == "fsdp", 0.0, 2.0), 2.0 * grad_bytes))
    # each of those micro-batches also passes over the unsharded weights and gradients in memory (copies, casts)
    passes = np.where(sharded & (full | z2), gathers * GATHER_PASS_BYTES + GRADIENT_PASS_BYTES, 0.0)
    t_pass = passes * stage_params / net.hbm
    micro = t_mm + t_attn + t_mem + t_tp + t_ep + t_cp + t_p2p + t_pass
    slots = m + (pp - 1) / vpp
    compute = micro * slots
    bubble = micro * (pp - 1) / vpp
    t_dp_all = np.where(sharded, stage_params * (per_micro * m + per_step) * (shard - 1) / shard
                        / ring_bw(shard, tp), 0.0)
    t_dp = np.maximum(0.0, t_dp_all - OVERLAP * compute)
    states = stage_params * 16.0 / np.where(zero >= 1, shard, 1.0)
    t_opt = 2.0 * states / net.hbm
    step = compute + t_dp + t_opt
    return {"compute": t_mm * slots, "attention": t_attn * slots, "memory": t_mem * slots,
            "passes": t_pass * slots, "tp": t_tp * slots,
            "ep": t_ep * slots, "cp": t_cp * slots, "pp": t_p2p * slots, "bubble": bubble, "dp": t_dp,
            "optimizer": t_opt, "step": step, "tokens_per_gpu_s": m * b * s * dp / step / gpus}


@dataclass(frozen=True)
class Throughput:
    """The step time of one layout and what follows from it.

    Args:
        layout: the layout.
        accelerator: the accelerator's key.
        step_seconds: one optimizer step.
        parts: seconds per step of each part (:func:`step_seconds`).
        tokens_per_gpu_s: training tokens per second per GPU.
        mfu: model FLOPs utilisation on 6·N (the active N) + attention (palm) FLOPs, predicted.
        band: the model's uncertainty on the rate, either way (:data:`BAND`).
    """

    layout: Parallelism
    accelerator: str
    step_seconds: float
    parts: dict[str, float]
    tokens_per_gpu_s: float
    mfu: float
    band: float = BAND

    @property
    def tokens_per_gpu_s_range(self) -> tuple[float, float]:
        """Tokens per second per GPU at the band's two ends."""
        return self.tokens_per_gpu_s * (1 - self.band), self.tokens_per_gpu_s * (1 + self.band)

    @property
    def step_seconds_range(self) -> tuple[float, float]:
        """The step time at the band's two ends (:func:`time_range`)."""
        return time_range(self.step_seconds, self.band)


def time_range(seconds: float, band: float = BAND) -> tuple[float, float]:
    """A predicted time inside the throughput model's band: the rate within ±band, so the time from
    seconds/(1 + band) to seconds/(1 − band).

    Args:
        seconds: the predicted time (a step, or the whole run to the line).
        band: the rate's uncertainty either way (default :data:`BAND`).

    Returns:
        (shortest, longest).

    Examples:
        >>> time_range(100.0, 0.2)
        (83.33333333333334, 125.0)
    """
    return seconds / (1 + band), seconds / (1 - band)


def throughput(arch: Architecture, layout: Parallelism, accelerator: str) -> Throughput:
    """Predicted step time, tokens per second per GPU and MFU of a model, a layout and an accelerator.

    Args:
        arch: an attention :class:`~planner.Architecture`.
        layout: the :class:`~planner.training.parallelism.Parallelism` (``micro_batches`` is the gradient
            accumulation per pipeline; default 1, or ``pp`` with pipeline parallelism).
        accelerator: a key or name with known bandwidths (``data/interconnects.csv``).

    Returns:
        The :class:`Throughput`.

    Raises:
        InputError: naming the field: a layout that is not a ``Parallelism``, a model that is not an attention
            ``Architecture``, an accelerator that is not a known name or has no bandwidths.
        UnknownModelError: an unknown accelerator.
    """
    if not isinstance(layout, Parallelism):
        raise InputError("layout", "a planner.training.parallelism.Parallelism", type(layout).__name__)
    if not isinstance(arch, Architecture):
        raise InputError("arch", "a planner.Architecture", type(arch).__name__)
    shape = shape_of(arch)
    net = link(accelerator)
    m = layout.micro_batches if layout.micro_batches is not None else (layout.pp if layout.pp > 1 else 1)
    v = _values(layout, m)
    t = step_seconds(shape, v, net)
    flops_per_token = token_flops(arch, layout.seq_len).model      # the default (palm) convention's count
    tps = float(t["tokens_per_gpu_s"])
    return Throughput(layout=layout, accelerator=accelerator, step_seconds=float(t["step"]),
                      parts={k: float(x) for k, x in t.items() if k not in ("step", "tokens_per_gpu_s")},
                      tokens_per_gpu_s=tps, mfu=tps * flops_per_token / net.peak)


def _values(layout: Parallelism, micro_batches: int) -> dict[str, Any]:
    """The layout's values for :func:`step_seconds`."""
    return {"tp": layout.tp, "pp": layout.pp, "cp": layout.cp, "dp": layout.data_parallel, "ep": layout.ep,
            "vpp": layout.vpp, "micro_batch": layout.micro_batch, "seq_len": layout.seq_len,
            "zero": layout.zero_stage, "micro_batches": micro_batches,
            "recompute": RECOMPUTE.index(layout.recompute), "framework": layout.framework, "fp8": layout.fp8,
            "flash_attention": layout.flash_attention, "sp": layout.sp, "compile": layout.compile,
            "grad_bytes": layout.grad_bytes, "tp_overlap": layout.tp_overlap, "etp": layout.expert_tp}
