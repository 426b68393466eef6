"""Memory per GPU: will a model train on an accelerator with a given layout?

Bytes per GPU split into five parts, each derived from a published formula:

* **model states** (weights, gradients, optimizer) — per parameter held by a GPU, mixed-precision
  AdamW keeps 2 bytes of 16-bit weights, 2 of gradients and K = 12 of optimizer state (fp32 master
  copy, m, v), 16Ψ in all (ZeRO, Rajbhandari et al. 2020, Fig. 1). ZeRO shards them over the N_d
  data-parallel ranks: stage 1 the optimizer (4Ψ + KΨ/N_d), stage 2 also the gradients
  (2Ψ + (2+K)Ψ/N_d), stage 3 also the weights ((4+K)Ψ/N_d); FSDP's FULL_SHARD is stage 3 and
  SHARD_GRAD_OP stage 2. Megatron's fp32 gradients make it 18Ψ (6Ψ + 12Ψ/N_d with its distributed
  optimizer, i.e. ZeRO-1). Tensor parallelism (t) splits the layers' matrices and the vocabulary,
  pipeline parallelism (p) the layers; norms and routers are replicated over TP ranks. Expert
  parallelism (e) splits the experts, whose states are then sharded over the N_d/e ranks that
  hold the same experts.
* **activations** — per layer and micro-batch, Korthikanti et al. 2022 (arXiv:2205.05198, Table 2;
  s sequence, b micro-batch, h hidden, a heads, 2-byte values, dropout masks of one byte):
  sbh(34 + 5as/h) without parallelism, sbh(10 + 24/t + 5as/(ht)) with TP, sbh(34/t + 5as/(ht))
  with TP and sequence parallelism; selective recompute or flash attention drops the 5as/h
  scores term; full recompute keeps the layer input (2sbh) plus one layer being recomputed. The
  34 is derived term by term (:func:`layer_activations`) so it follows the real architecture:
  GQA's narrower K and V, a gated MLP's three f-wide tensors, MoE's top-k expert copies, shared
  experts, latent attention's compressed K/V. The first pipeline stage holds p micro-batches in
  flight (1F1B); the last holds the loss: fp32 logits, 4sbv/t.
* **overhead** — an allowance for the CUDA context, communication buffers and allocator
  fragmentation (:data:`~planner.training.parallelism.DEFAULT_OVERHEAD`, 2 GiB; change it with
  ``Parallelism(overhead=...)``).

The binding GPU is the pipeline stage with the larger total (first: embedding and p micro-batches
in flight; last: LM head and loss). All arithmetic is vectorised: :func:`memory_sweep` evaluates a
grid of layouts in one call.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from .. import validate
from ..format import fmt_gib
from ..errors import InputError, PlannerError
from .parallelism import RECOMPUTE, Parallelism

COMPONENTS = ("weights", "gradients", "optimizer", "activations", "overhead")
_GIB = 2**30


# ---- the formulas (vectorised: any argument may be a numpy array) -------------------------------

def _vec(field: str, value, *, minimum=1, maximum=None, real: bool = False):
    """A validated count (or positive real) as given, or as a numpy array for arrays and pandas Series."""
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):
        value = value.to_numpy()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if real:
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "iuf" or not np.all(np.isfinite(value)) or np.any(value < minimum):
                raise InputError(field, f"finite numbers >= {minimum}", detail=f"must be finite numbers >= {minimum}")
            return value
        return validate.positive_real(field, value, minimum=minimum, inclusive=True)
    return validate.count(field, value, minimum=minimum, maximum=maximum, vector=True)


def model_states(params, dp=1, zero=0, *, weight_bytes=2, grad_bytes=2, optimizer_bytes=12):
    """Weights, gradients and optimizer bytes per GPU for ``params`` parameters held by its model-parallel group.

    ``dp`` is the number of data-parallel ranks the states are sharded over, ``zero`` the ZeRO stage
    (0: none, 1: optimizer, 2: + gradients, 3: + weights), ``weight_bytes``/``grad_bytes`` the bytes
    per weight and gradient, ``optimizer_bytes`` the optimizer state per parameter (K in the ZeRO
    paper: 12 for mixed-precision Adam). Returns a tuple ``(weights, gradients, optimizer)`` in bytes:
    Python floats for scalar inputs, arrays if any input is an array.
    """
    from ..arrays import floats, like
    params, dp = _vec("params", params, minimum=0, real=True), _vec("dp", dp, real=True)
    zero = _vec("zero", zero, minimum=0, maximum=3)
    weight_bytes, grad_bytes = _vec("weight_bytes", weight_bytes, real=True), _vec("grad_bytes", grad_bytes, real=True)
    optimizer_bytes = _vec("optimizer_bytes", optimizer_bytes, minimum=0, real=True)
    n, d, z, wb, gb, ob = floats(params, dp, zero, weight_bytes, grad_bytes, optimizer_bytes)
    w = n * wb / np.where(z >= 3, d, 1.0)
    g = n * gb / np.where(z >= 2, d, 1.0)
    o = n * ob / np.where(z >= 1, d, 1.0)
    ins = (params, dp, zero, weight_bytes, grad_bytes, optimizer_bytes)
    return like(w, *ins), like(g, *ins), like(o, *ins)


def layer_activations(micro_batch, seq_len, hidden_size, num_heads, *, kv_width=None, q_width=None, ffn=None,
                      gated_mlp=False, tp=1, sp=False, recompute="none", flash_attention=False, dropout=True,
                      act_bytes=2, experts_per_token=0, num_experts=0, expert_ffn=0, shared_ffn=0,
                      latent_width=0, v_width=None):
    """Activation bytes one transformer layer stores for the backward pass, per GPU and micro-batch.

    Korthikanti et al. 2022, §4 term by term (s = ``seq_len``, b = ``micro_batch``, h =
    ``hidden_size``, a = ``num_heads``, t = ``tp``, E = ``act_bytes``, m = 1 byte per dropout mask):

    * replicated over TP ranks unless ``sp``: the two norms' inputs (2·E·sbh), the QKV and MLP inputs
      (2·E·sbh), two dropout masks (2·m·sbh) — 10sbh in the paper;
    * split over TP: Q and K (E·sb·(q + k)), V (E·sb·v), the output projection's input (E·sb·q), the MLP
      (plain: E·sb·2f, the GeLU input and the second matrix's input; gated: E·sb·3f, gate and up
      outputs and the down projection's input) — 24sbh for GPT-3's MHA with f = 4h;
    * the attention scores, split over TP: softmax output E·as²b, with dropout also its mask (m) and
      output (E): 5as²b; dropped by selective recompute; flash attention stores only the fp32
      log-sum-exp (4·asb) instead;
    * MoE layers: router logits in fp32 (4·sb·experts), the top-k copies of the tokens
      (E·sbh·k, replicated unless ``sp``) and k experts' MLPs (split over TP); shared experts as a
      dense MLP of width ``shared_ffn``; latent attention's compressed q/kv (E·sb·``latent_width``).

    With ``recompute="full"`` only the layer's input is kept: E·sbh (÷t with ``sp``).
    ``kv_width``/``q_width`` default to h (multi-head attention), ``ffn`` to 4h, ``v_width`` to
    ``kv_width``. ``recompute`` may be an array of codes 0/1/2 (none/selective/full) in a sweep.
    Returns bytes: a Python float for scalar inputs, an array if any input is an array.
    """
    from ..arrays import any_array
    micro_batch, seq_len = _vec("micro_batch", micro_batch), _vec("seq_len", seq_len)
    hidden_size, num_heads = _vec("hidden_size", hidden_size), _vec("num_heads", num_heads)
    tp, act_bytes = _vec("tp", tp), _vec("act_bytes", act_bytes, real=True)
    if isinstance(recompute, str):
        if recompute not in RECOMPUTE:
            raise InputError("recompute", f"one of {', '.join(RECOMPUTE)}", recompute)
    else:
        recompute = _vec("recompute", recompute, minimum=0, maximum=2)
    ins = (micro_batch, seq_len, hidden_size, num_heads, tp, sp, flash_attention, act_bytes, recompute)
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
    if num_experts:
        replicated = replicated + tokens * (4.0 * num_experts + e * h * experts_per_token)
        split = split + tokens * e * mlp_mult * (experts_per_token * float(expert_ffn) + float(shared_ffn))
    else:
        split = split + tokens * e * mlp_mult * f
    scores = a * s * s * b * (e + (m + e if dropout else 0.0))  # softmax output (+ dropout mask and output)
    lse = 4.0 * a * s * b
    attention_core = np.where(fl, lse, np.where(rc == 0, scores, 0.0))
    full_layer = replicated / np.where(spl, t, 1.0) + (split + attention_core) / t
    kept_input = tokens * h * e / np.where(spl, t, 1.0)
    out = np.where(rc == 2, kept_input, full_layer)
    return out if any_array(*ins) else float(out)


# ---- the model, as memory sees it ---------------------------------------------------------------

@dataclass(frozen=True)
class _Model:
    """Parameter groups and dimensions of a model, read once from an Architecture (or a bare count)."""

    params: int
    arch: object = None
    body: float = 0.0         # layer parameters split over TP (attention, dense MLPs, shared experts)
    replicated: float = 0.0   # layer parameters replicated over TP (norms, routers)
    experts: float = 0.0      # routed experts (split over TP and EP)
    embeddings: float = 0.0   # token embedding (vocabulary-parallel)
    first_extra: float = 0.0  # positions and input projection, replicated
    head: float = 0.0         # untied LM head (vocabulary-parallel)
    last_extra: float = 0.0   # final norm and output projection, replicated


def _model(arch_or_params) -> _Model:
    from ..model.architecture import Architecture
    from ..model.params import count_params, mlp_size, norm_size
    if not isinstance(arch_or_params, Architecture):
        return _Model(params=validate.count("params", arch_or_params))
    a = arch_or_params
    pc = count_params(a)
    d = a.hidden_size
    experts = getattr(pc, "experts", None)
    if experts is None:  # counts without an experts field: every expert of every MoE layer
        experts = a.moe_layers * a.num_experts * mlp_size(d, a.moe_intermediate_size, a.gated_mlp, a.mlp_bias) \
            if a.num_experts else 0
    final_norm = norm_size(a.norm, d) if a.final_norm else 0
    replicated = pc.norms - final_norm + pc.router
    body = pc.total - experts - replicated - pc.embeddings - pc.positions - pc.projection - pc.head - final_norm
    return _Model(params=pc.total, arch=a, body=float(body), replicated=float(replicated), experts=float(experts),
                  embeddings=float(pc.embeddings), first_extra=float(pc.positions + pc.projection / 2),
                  head=float(pc.head), last_extra=float(final_norm + pc.projection / 2))


def _with_dropout(model: _Model, p: Parallelism) -> Parallelism:
    """The layout with ``dropout`` decided: as given, else as the model trains (a rate above zero stores masks)."""
    if p.dropout is not None:
        return p
    return p.with_(dropout=model.arch is not None and model.arch.dropout > 0)


def _check_layout(model: _Model, p: Parallelism) -> None:
    """The checks that need the model: TP divides the heads, PP the layers, EP the experts."""
    a = model.arch
    if a is None:
        if p.ep > 1:
            raise InputError("ep", "1 when only a parameter count is known (no experts to split)", p.ep)
        return
    if a.num_heads % p.tp:
        raise InputError("tp", f"a divisor of the number of attention heads ({a.num_heads})", p.tp)
    kv = a.num_kv_heads
    if kv % p.tp and p.tp % kv:
        raise InputError("tp", f"a divisor or a multiple of the number of key/value heads ({kv})", p.tp)
    if a.num_layers % p.pp:
        raise InputError("pp", f"a divisor of the number of layers ({a.num_layers})", p.pp)
    if p.ep > 1:
        if not a.num_experts:
            raise InputError("ep", "1 for a dense model (it has no experts to split)", p.ep)
        if a.num_experts % p.ep:
            raise InputError("ep", f"a divisor of the number of experts ({a.num_experts})", p.ep)


def _activation_kwargs(a) -> dict | None:
    """The architecture's widths for :func:`layer_activations`; None when the layers are not attention."""
    if getattr(a, "mixer", "attention") != "attention":
        return None
    e = a.head_dim
    kw = dict(hidden_size=a.hidden_size, num_heads=a.num_heads, q_width=a.num_heads * e,
              kv_width=a.num_kv_heads * e, ffn=a.intermediate_size, gated_mlp=a.gated_mlp)
    if getattr(a, "is_mla", False):  # K is decompressed to every head; V has its own width
        ev = getattr(a, "v_head_dim", None) or e
        kw.update(kv_width=a.num_heads * e, v_width=a.num_heads * ev,
                  latent_width=(getattr(a, "q_lora_rank", None) or 0) + a.kv_lora_rank + (a.qk_rope_head_dim or 0))
    return kw


def _moe_kwargs(a) -> dict:
    shared = getattr(a, "num_shared_experts", 0) or 0
    shared_f = (getattr(a, "shared_expert_intermediate_size", None) or a.moe_intermediate_size) * shared if shared else 0
    return dict(num_experts=a.num_experts, experts_per_token=a.experts_per_token,
                expert_ffn=a.moe_intermediate_size, shared_ffn=shared_f)


def _core(model: _Model, v: dict) -> dict:
    """Every part in bytes per GPU for the first and the last pipeline stage; ``v`` holds (arrays of) layout values."""
    t, pp, dp, ep, zero = (np.asarray(v[k], dtype=float) for k in ("tp", "pp", "dp", "ep", "zero"))
    wb, gb, ob = v["weight_bytes"], v["grad_bytes"], v["optimizer_bytes"]
    a = model.arch
    if a is None:
        per_gpu = model.params / (t * pp)
        first_dense, last_dense, experts = per_gpu, per_gpu, 0.0 * per_gpu
    else:
        layers = (model.body / t + model.replicated) / pp
        first_dense = layers + model.embeddings / t + model.first_extra
        tied_copy = model.embeddings / t if a.tied_embeddings else 0.0  # Megatron keeps the tied head on the last stage
        last_dense = layers + model.head / t + model.last_extra + np.where(pp > 1, tied_copy, 0.0)
        first_dense = np.where(pp > 1, first_dense, first_dense + model.head / t + model.last_extra)
        experts = model.experts / (t * pp * ep)
    out = {}
    for stage, dense in (("first", first_dense), ("last", last_dense)):
        w1, g1, o1 = model_states(dense, dp, zero, weight_bytes=wb, grad_bytes=gb, optimizer_bytes=ob)
        w2, g2, o2 = model_states(experts, dp / ep, zero, weight_bytes=wb, grad_bytes=gb, optimizer_bytes=ob)
        out[stage] = {"weights": np.asarray(w1 + w2), "gradients": np.asarray(g1 + g2),
                      "optimizer": np.asarray(o1 + o2)}
    out["per_layer"] = None
    kw = None if a is None else _activation_kwargs(a)
    if kw is not None:
        common = dict(micro_batch=v["micro_batch"], seq_len=v["seq_len"], tp=t, sp=v["sp"],
                      flash_attention=v["flash_attention"], dropout=v["dropout"], act_bytes=v["act_bytes"])
        rc = np.asarray(v["recompute"])
        dense_layer = layer_activations(recompute=rc, **common, **kw)
        dense_full = layer_activations(recompute=0, **common, **kw)
        n_moe = a.moe_layers if a.num_experts else 0
        if n_moe:
            moe_layer = layer_activations(recompute=rc, **common, **kw, **_moe_kwargs(a))
            moe_full = layer_activations(recompute=0, **common, **kw, **_moe_kwargs(a))
        else:
            moe_layer = moe_full = 0.0
        per_layer = np.maximum(dense_layer, moe_layer)
        stage_layers = ((a.num_layers - n_moe) * dense_layer + n_moe * moe_layer) / pp  # average mix per stage
        working = np.where(rc == 2, np.maximum(dense_full, moe_full), 0.0)  # one layer rematerialised in backward
        tokens = np.asarray(v["seq_len"], dtype=float) * np.asarray(v["micro_batch"], dtype=float)
        e = np.asarray(v["act_bytes"], dtype=float)
        sp_div = np.where(np.asarray(v["sp"], dtype=bool), t, 1.0)
        h = a.hidden_size
        embed_mask = tokens * h * (1.0 if v["dropout"] else 0.0) / sp_div
        loss = 2 * e * tokens * h / sp_div + 4.0 * tokens * a.vocab_size / t  # final norm, head input, fp32 logits
        first = pp * (stage_layers + embed_mask) + working
        last = stage_layers + working + loss
        out["first"]["activations"] = np.where(pp > 1, first, first + loss)
        out["last"]["activations"] = last
        out["per_layer"] = per_layer
    return out


def _values(p: Parallelism, **overrides) -> dict:
    v = {"tp": p.tp, "pp": p.pp, "dp": p.data_parallel, "ep": p.ep, "zero": p.zero_stage, "sp": p.sp,
         "micro_batch": p.micro_batch, "seq_len": p.seq_len, "recompute": RECOMPUTE.index(p.recompute),
         "flash_attention": p.flash_attention, "dropout": p.dropout, "weight_bytes": p.weight_bytes,
         "grad_bytes": p.grad_bytes, "optimizer_bytes": p.optimizer_bytes, "act_bytes": p.activation_bytes}
    v.update(overrides)
    return v


def _binding(parts: dict, overhead) -> dict:
    """The components of the stage with the larger total, plus ``total``."""
    keys = [k for k in ("weights", "gradients", "optimizer", "activations") if k in parts["first"]]
    tot = {s: sum(parts[s][k] for k in keys) + overhead for s in ("first", "last")}
    use_first = tot["first"] >= tot["last"]
    out = {k: np.where(use_first, parts["first"][k], parts["last"][k]) for k in keys}
    out["total"] = np.where(use_first, tot["first"], tot["last"])
    out["stage"] = np.where(use_first, "first", "last")
    return out


# ---- the result ---------------------------------------------------------------------------------

def fit_state(total, capacity, activations_known):
    """The one fit rule: False over capacity; True within it when the activations are known; None (unknown) within
    it when they are not (a bare parameter count, non-attention layers). Vectorised: object arrays of
    True/False/None for arrays.

    Args:
        total: bytes per GPU (the known parts).
        capacity: the accelerator's bytes.
        activations_known: whether ``total`` includes the activations.

    Returns:
        True, False or None (an object array for array inputs).
    """
    if np.ndim(total) == 0 and np.ndim(activations_known) == 0:
        return False if total > capacity else (True if activations_known else None)
    over = np.asarray(total) > capacity
    known = np.broadcast_to(np.asarray(activations_known, dtype=bool), over.shape)
    return np.where(over, False, np.where(known, True, None)).astype(object)


#: The largest part of a total, in words ("mostly optimizer state").
DOMINANT_WORDS = {"weights": "weights", "gradients": "gradients", "optimizer": "optimizer state",
                  "activations": "activations", "overhead": "overhead"}


@dataclass(frozen=True)
class Fix:
    """A layout change that makes the run fit: the new layout, what changed, and its estimate."""

    layout: Parallelism
    changes: dict
    estimate: "MemoryEstimate" = field(repr=False)

    @property
    def description(self) -> str:
        """The change as command-line options, e.g. ``--tp 2 --recompute selective``."""
        return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in self.changes.items())

    @property
    def words(self) -> str:
        """The change in words, e.g. ``TP 2, selective recompute on 2 GPUs``."""
        c = self.changes
        parts = [f"TP {c['tp']}"] if "tp" in c else []
        parts += [f"ZeRO stage {c['zero']}"] if "zero" in c else []
        parts += [f"{c['recompute']} recompute"] if "recompute" in c else []
        n = self.layout.num_gpus
        return f"{', '.join(parts) or 'the same layout'} on {n:,} GPU{'s' if n != 1 else ''}"

    def to_dict(self) -> dict:
        return {"changes": self.changes, "gpus": self.layout.num_gpus, "total": round(self.estimate.total)}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per GPU for one model and layout, and whether they fit an accelerator.

    ``weights``, ``gradients``, ``optimizer``, ``overhead`` and ``total`` are bytes per GPU on the
    binding GPU (``stage``: the first or last pipeline stage, ``"only"`` without PP). ``activations``
    and ``activations_per_layer`` (one layer, one micro-batch) are None when only a parameter count
    is known; ``total`` then counts the model states and overhead only. With an accelerator:
    ``capacity`` (bytes), ``fits`` (None when activations are unknown and the known part fits),
    ``headroom`` (capacity − total), ``max_micro_batch`` (largest micro-batch that fits, 0 if none)
    and ``fix`` (when it does not fit: the smallest change of recompute, ZeRO stage and TP degree that
    fits, or None). ``params_only`` is True when only a parameter count was given; activations are also
    None for layers that are not attention (Mamba), which are not modelled.
    """

    params: int
    layout: Parallelism
    weights: float
    gradients: float
    optimizer: float
    activations: float | None
    activations_per_layer: float | None
    overhead: float
    total: float
    stage: str
    accelerator: str | None = None
    capacity: float | None = None
    max_micro_batch: int | None = None
    fix: Fix | None = None
    params_only: bool = False   # only a parameter count was given: no architecture, no activations

    @property
    def model_states(self) -> float:
        """Weights + gradients + optimizer state, bytes per GPU."""
        return self.weights + self.gradients + self.optimizer

    @property
    def fits(self) -> bool | None:
        """True if the total fits the capacity, False if not, None without a capacity or when activations are unknown
        and the rest fits."""
        return None if self.capacity is None else fit_state(self.total, self.capacity, self.activations is not None)

    @property
    def headroom(self) -> float | None:
        """Capacity minus total in bytes (negative when it does not fit); None without a capacity."""
        return None if self.capacity is None else self.capacity - self.total

    @property
    def dominant(self) -> str:
        """The largest part: weights, gradients, optimizer, activations or overhead."""
        parts = {k: getattr(self, k) for k in COMPONENTS if getattr(self, k) is not None}
        return max(parts, key=parts.get)

    @property
    def message(self) -> str:
        """The fit verdict in one sentence (for a plan's notices); says the smallest fix when it does not fit."""
        used = f"{fmt_gib(self.total)} per GPU"
        if self.capacity is None:
            return f"Memory: {used} (no accelerator capacity to compare with)."
        if self.fits is None:
            return (f"Memory: fit on {self.accelerator} unknown: the model states and overhead take {used} of "
                    f"{fmt_gib(self.capacity)}; the activations are unknown.")
        if self.fits:
            return (f"Memory: fits {self.accelerator} with {fmt_gib(self.headroom)} headroom ({used}); "
                    f"largest micro-batch {self.max_micro_batch:,}.")
        fix = ("no change of recompute, ZeRO stage or TP degree fits" if self.fix is None else
               f"smallest fix: {self.fix.words} ({fmt_gib(self.fix.estimate.total)} per GPU)")
        return (f"Memory: does not fit {self.accelerator}: {used} against {fmt_gib(self.capacity)} "
                f"(mostly {DOMINANT_WORDS[self.dominant]}); {fix}.")

    def rows(self) -> list[tuple[str, str]]:
        """(label, text) rows every surface shows: the parts in GiB, the total, the accelerator and the verdict."""
        per_layer = "" if self.activations_per_layer is None else f"  ({fmt_gib(self.activations_per_layer)} per layer)"
        out = [(name, ("unknown (a parameter count has no activations)" if self.params_only else "unknown (not modelled for "
                 "non-attention layers)") if v is None else f"{fmt_gib(v):>13}{note}")
               for name, v, note in (("Weights", self.weights, ""), ("Gradients", self.gradients, ""),
                                     ("Optimizer", self.optimizer, ""), ("Activations", self.activations, per_layer),
                                     ("Overhead", self.overhead, "  (allowance)"))]
        stage = "" if self.stage == "only" else f" (the {self.stage} pipeline stage)"
        out.append(("Total", f"{fmt_gib(self.total):>13} per GPU{stage}"
                             f"{'' if self.activations is not None else ' without activations'}"))
        if self.capacity is None:
            return out
        out.append(("Accelerator", f"{self.accelerator}: {fmt_gib(self.capacity)}"))
        if self.fits is None:
            out.append(("Fits", f"unknown: the model states leave {fmt_gib(self.headroom)}; the activations are "
                                "unknown"))
            return out
        verdict = (f"yes, {fmt_gib(self.headroom)} headroom ({self.headroom / self.capacity:.0%} of capacity)"
                   if self.fits else f"no, {fmt_gib(-self.headroom)} over (mostly {DOMINANT_WORDS[self.dominant]})")
        largest = "" if self.max_micro_batch is None else f"; largest micro-batch {self.max_micro_batch:,}"
        out.append(("Fits", verdict + largest))
        if not self.fits:
            out.append(("Smallest fix", "none among recompute, ZeRO stage and TP degree" if self.fix is None else
                        f"{self.fix.words}: {fmt_gib(self.fix.estimate.total)} per GPU"))
        return out

    def to_dict(self) -> dict:
        """JSON-ready: bytes per GPU as whole numbers, the layout, and the fit when there is a capacity."""
        r = (lambda x: None if x is None else round(x))
        d = {"params": self.params, **{k: r(getattr(self, k)) for k in
             ("weights", "gradients", "optimizer", "activations", "activations_per_layer", "overhead", "total")},
             "stage": self.stage, "dominant": self.dominant, "layout": self.layout.to_dict()}
        if self.capacity is not None:
            d.update(accelerator=self.accelerator, capacity=r(self.capacity), fits=self.fits, message=self.message,
                     headroom=r(self.headroom), max_micro_batch=self.max_micro_batch,
                     fix=None if self.fix is None else self.fix.to_dict())
        return d




def accelerator_memory(name) -> tuple[str, float]:
    """(name, capacity in bytes) of an accelerator key or name in ``data/accelerators.csv``."""
    from .compute import accelerator
    acc = accelerator(name)
    if acc.get("memory_bytes") is None:
        raise InputError("accelerator", "an accelerator with a known memory capacity", name)
    return acc["name"], float(acc["memory_bytes"])


def _capacity(accelerator) -> tuple[str | None, float | None]:
    if accelerator is None:
        return None, None
    if isinstance(accelerator, str):
        return accelerator_memory(accelerator)
    cap = validate.positive_real("capacity", accelerator)
    return f"{cap / _GIB:g} GiB", cap


def _estimate(model: _Model, layout: Parallelism) -> MemoryEstimate:
    parts = _core(model, _values(layout))
    b = _binding(parts, float(layout.overhead))
    stage = str(b["stage"]) if layout.pp > 1 and model.arch is not None else "only"
    acts = None if parts["per_layer"] is None else float(b["activations"])
    per_layer = None if parts["per_layer"] is None else float(parts["per_layer"])
    return MemoryEstimate(params=model.params, layout=layout, weights=float(b["weights"]),
                          gradients=float(b["gradients"]), optimizer=float(b["optimizer"]), activations=acts,
                          activations_per_layer=per_layer, overhead=float(layout.overhead), total=float(b["total"]),
                          stage=stage, params_only=model.arch is None)


def _max_micro_batch(model: _Model, layout: Parallelism, capacity: float) -> int | None:
    """Largest b with total(b) ≤ capacity: every stage's activations are proportional to b."""
    if model.arch is None or _activation_kwargs(model.arch) is None:
        return None
    parts = _core(model, _values(layout, micro_batch=1))
    best = None
    for s in ("first", "last"):
        fixed = sum(float(parts[s][k]) for k in ("weights", "gradients", "optimizer")) + layout.overhead
        slope = float(parts[s]["activations"])
        n = max(0, math.floor((capacity - fixed) / slope)) if slope > 0 else 10**8
        best = n if best is None else min(best, n)
    return min(best, 10**8)


_RECOMPUTE_COST = {"none": 0, "selective": 1, "full": 3}


def _find_fix(model: _Model, layout: Parallelism, capacity: float) -> Fix | None:
    """The cheapest layout change among recompute, ZeRO stage and TP degree that fits.

    Candidates are ranked by GPUs needed (more TP ranks need more GPUs unless the GPU count is
    fixed), then by how many settings change, then by their cost to throughput: selective recompute
    (1) < ZeRO stage steps (1 each) < full recompute (3), each doubling of TP (2). With a fixed GPU
    count, changes that keep it are tried first; when none fits, the same changes with more GPUs
    (the data-parallel degree kept, the GPU count growing with TP) are tried, and the fix says so.
    """
    fix = _search_fix(model, layout, capacity, keep_gpus=True)
    if fix is None and layout.gpus is not None:
        fix = _search_fix(model, layout, capacity, keep_gpus=False)
    return fix


def _search_fix(model: _Model, layout: Parallelism, capacity: float, *, keep_gpus: bool) -> Fix | None:
    a = model.arch
    heads = a.num_heads if a is not None else 1
    tps = [t for t in (1, 2, 4, 8, 16, 32, 64) if t >= layout.tp and (a is None or heads % t == 0)
           and (a is None or a.num_kv_heads % t == 0 or t % a.num_kv_heads == 0)]
    recomputes = [r for r in RECOMPUTE if _RECOMPUTE_COST[r] >= _RECOMPUTE_COST[layout.recompute]]
    zeros = range(layout.zero_stage, 4)
    candidates = []
    for t, r, z in itertools.product(tps, recomputes, zeros):
        changes = {}
        if t != layout.tp:
            changes["tp"] = t
        if r != layout.recompute:
            changes["recompute"] = r
        if z != layout.zero_stage:
            changes["zero"] = z
        if not changes:
            continue
        kw = dict(tp=t, recompute=r)
        if layout.gpus is not None:
            if keep_gpus:
                kw["dp"] = None  # a fixed GPU count: the data-parallel degree follows the new TP degree
            else:
                kw.update(dp=layout.data_parallel, gpus=layout.data_parallel * t * layout.pp)
                if kw["gpus"] != layout.gpus:
                    changes["gpus"] = kw["gpus"]
        if z != layout.zero_stage:
            kw.update(zero=z, fsdp=None)
        try:
            new = layout.with_(**kw)
            _check_layout(model, new)
        except PlannerError:
            continue
        cost = (_RECOMPUTE_COST[r] - _RECOMPUTE_COST[layout.recompute] + (z - layout.zero_stage)
                + 2 * (int(math.log2(t)) - int(math.log2(layout.tp))))
        candidates.append(((new.num_gpus, len(changes), cost, t, z), new, changes))
    for _, new, changes in sorted(candidates, key=lambda c: c[0]):
        est = _estimate(model, new)
        if est.total <= capacity and (est.activations is not None or a is None):
            return Fix(layout=new, changes=changes, estimate=est)
    return None


def memory_estimate(arch_or_params, layout: Parallelism | None = None, accelerator=None) -> MemoryEstimate:
    """Bytes per GPU of training a model with a layout, and whether it fits an accelerator.

    ``arch_or_params`` is an :class:`~planner.Architecture` (everything is derived, activations
    included) or a parameter count (``7e9``, ``"7B"``: model states only, activations None).
    ``layout`` is a :class:`~planner.training.parallelism.Parallelism` (default: one GPU, micro-batch 1,
    sequence 2048, bf16 mixed precision, AdamW). ``accelerator`` is a key or name from
    ``data/accelerators.csv`` (``"h100-sxm"``) or a capacity in bytes; with it the result also says
    whether it fits, the headroom, the largest micro-batch that fits and, if it does not fit, the
    smallest fix.

    Returns a :class:`MemoryEstimate`. Raises :class:`~planner.errors.InputError` naming the field
    when the layout does not suit the model (``tp`` not dividing the heads, ``pp`` not dividing the
    layers, ``ep`` not dividing the experts) and :class:`~planner.errors.UnknownModelError` for an
    unknown accelerator.
    """
    layout = Parallelism() if layout is None else layout
    if not isinstance(layout, Parallelism):
        raise InputError("layout", "a planner.training.parallelism.Parallelism", type(layout).__name__)
    model = _model(arch_or_params)
    layout = _with_dropout(model, layout)
    _check_layout(model, layout)
    est = _estimate(model, layout)
    name, cap = _capacity(accelerator)
    if cap is None:
        return est
    fix = _find_fix(model, layout, cap) if est.total > cap else None
    return MemoryEstimate(**{**est.__dict__, "accelerator": name, "capacity": cap,
                             "max_micro_batch": _max_micro_batch(model, layout, cap), "fix": fix})


# ---- sweeps -------------------------------------------------------------------------------------

SWEEP_AXES = ("micro_batch", "seq_len", "tp", "pp", "dp", "ep", "zero", "recompute", "sp", "flash_attention")


def memory_sweep(arch_or_params, layout: Parallelism | None = None, *, accelerator=None, grid: bool = True, **axes):
    """Memory per GPU over a grid of layouts in one vectorised call; a pandas DataFrame.

    ``axes`` map layout fields (any of :data:`SWEEP_AXES`) to sequences of values, e.g.
    ``micro_batch=[1, 2, 4, 8], tp=[1, 2, 4], recompute=["none", "selective", "full"]``; the other
    fields come from ``layout``. With ``grid=True`` (default) every combination is evaluated,
    otherwise the sequences are zipped (equal lengths). Every distinct value is validated as
    :func:`memory_estimate` would (the error names the field). Columns: the axes, ``weights``,
    ``gradients``, ``optimizer``, ``activations`` (NaN with a bare parameter count), ``overhead``,
    ``total``, ``stage``; with an accelerator also ``capacity``, ``headroom`` and ``fits``.
    """
    import pandas as pd
    layout = Parallelism() if layout is None else layout
    if not isinstance(layout, Parallelism):
        raise InputError("layout", "a planner.training.parallelism.Parallelism", type(layout).__name__)
    unknown = sorted(set(axes) - set(SWEEP_AXES))
    if unknown:
        raise InputError(unknown[0], f"one of the sweepable fields {', '.join(SWEEP_AXES)}", detail=None)
    model = _model(arch_or_params)
    layout = _with_dropout(model, layout)
    values = {}
    for k, seq in axes.items():
        arr = list(np.asarray(seq).ravel()) if not isinstance(seq, (str, bytes)) else [seq]
        if not arr:
            raise InputError(k, "a non-empty sequence of values", detail=f"must be a non-empty sequence, got {seq!r}")
        values[k] = [x.item() if isinstance(x, np.generic) else x for x in arr]
        for x in values[k]:
            if not isinstance(x, (int, float, str)):  # a dict, a list inside a list: not a value of a layout field
                raise InputError(k, "a sequence of numbers or names",
                                 detail=f"must be a sequence of numbers or names, got {validate.shown(seq)}")
    if not grid and len({len(v) for v in values.values()}) > 1:
        raise InputError(next(iter(values)), "sequences of equal length when grid=False",
                         detail="must have the same length as the other axes when grid=False")
    # Validate each combination of the structural fields once (batch shape separately, vectorised).
    structural = [k for k in values if k not in ("micro_batch", "seq_len")]
    for combo in itertools.product(*(dict.fromkeys(values[k]) for k in structural)):
        p = layout.with_(**dict(zip(structural, combo)))
        _check_layout(model, p)
    for k in ("micro_batch", "seq_len"):
        if k in values:
            layout.with_(**{k: values[k][0]})
            validate.count(k, np.asarray(values[k]), maximum=10**8, vector=True)
    if grid:
        mesh = np.meshgrid(*(np.arange(len(v)) for v in values.values()), indexing="ij")
        cols = {k: np.asarray(v, dtype=object)[i.ravel()] for (k, v), i in zip(values.items(), mesh)}
    else:
        cols = {k: np.asarray(v, dtype=object) for k, v in values.items()}
    v = _values(layout)
    for k, col in cols.items():
        if k == "recompute":
            v[k] = np.array([RECOMPUTE.index(x) for x in col])
        elif k == "zero":
            v[k] = col.astype(float)
        elif k in ("sp", "flash_attention"):
            v[k] = col.astype(bool)
        elif k == "dp":
            v[k] = col.astype(float)
        else:
            v[k] = col.astype(float)
    if "dp" not in cols and layout.gpus is not None and layout.dp is None and ({"tp", "pp"} & set(cols)):
        v["dp"] = layout.gpus / (np.asarray(v["tp"], dtype=float) * np.asarray(v["pp"], dtype=float))
    parts = _core(model, v)
    b = _binding(parts, float(layout.overhead))
    n = max((len(c) for c in cols.values()), default=1)
    df = pd.DataFrame({k: list(c) for k, c in cols.items()})
    for k in ("weights", "gradients", "optimizer"):
        df[k] = np.broadcast_to(b[k], (n,)).astype(float)
    df["activations"] = np.broadcast_to(b["activations"], (n,)).astype(float) if "activations" in b else np.nan
    df["overhead"] = float(layout.overhead)
    df["total"] = np.broadcast_to(b["total"], (n,)).astype(float)
    df["stage"] = np.broadcast_to(b["stage"], (n,)) if layout.pp > 1 or "pp" in cols else "only"
    name, cap = _capacity(accelerator)
    if cap is not None:
        df["capacity"] = cap
        df["headroom"] = cap - df["total"]
        df["fits"] = fit_state(df["total"].to_numpy(), cap, df["activations"].notna().to_numpy())
    return df
