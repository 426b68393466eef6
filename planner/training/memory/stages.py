"""Bytes per GPU of every part on the pipeline stages that can bind: the memory model's arithmetic.

A layout's GPUs differ only by pipeline stage, so three stages are evaluated: the first (the embedding
and the most micro-batches in flight), the second (the most layers when the split is uneven) and the
last (the LM head and the loss). On each:

* **model states** (:func:`~planner.training.memory.formulas.model_states`) of the stage's layers, embedding
  and head, sharded over ``dp × cp`` by the ZeRO stage; with offload the optimizer state (and the
  weights) live in CPU memory;
* **activations**: the stored layers of the micro-batches in flight (1F1B: stage i holds min(p − i, m);
  interleaved schedules a factor 1 + (p − 1)/(p·v), Korthikanti et al. 2022 §4.2.3), the last stage's
  loss (logits at the bytes the loss implementation keeps, vocabulary-parallel over TP), and the
  backward's working set: the layer being rematerialised under recompute plus the gradients in flight
  (:data:`~planner.training.memory.calibration.BACKWARD_LAYERS` layers' worth, fitted, or the bound of
  :data:`~planner.training.memory.calibration.BACKWARD_LAYERS_BY_FRAMEWORK` for the stack);
* **buffers**: the framework's communication buffers (:mod:`planner.training.frameworks`).

Everything is vectorised over layout values, so a sweep or the fix search is one call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..frameworks import framework
from ..parallelism import OFFLOAD, RECOMPUTE, Parallelism
from .calibration import BACKWARD_LAYERS, BACKWARD_LAYERS_BY_FRAMEWORK, COMPILED_LOSS_BYTES, LOSS_BYTES
from .formulas import layer_activations, states_bytes
from .partition import ModelParts, activation_widths, moe_widths, stage_layers

# The layout values and stage parts below are dicts of ``Any``: each value is a scalar or, in a sweep, a numpy array
# (of floats, bools or codes), so one dict holds numbers, flags and arrays by name.

#: The stages evaluated, in order.
STAGES = ("first", "second", "last")
#: The parts each stage has (activations only when the model's layers are modelled).
PARTS = ("weights", "gradients", "optimizer", "activations", "buffers")
_DEEPSPEED_BUCKET = 5e8        # reduce_bucket_size and allgather_bucket_size (elements), DeepSpeed's defaults
_DEEPSPEED_LIVE = 1e9          # stage3_max_live_parameters (elements)


def layout_values(p: Parallelism, **overrides: Any) -> dict[str, Any]:
    """A layout's values as :func:`stage_bytes` takes them (recompute and offload as codes).

    Args:
        p: the layout.
        **overrides: values to use instead (arrays in a sweep).

    Returns:
        ``{name: value}``; ``framework`` and ``loss`` stay names (one per call).
    """
    v = {"tp": p.tp, "pp": p.pp, "dp": p.data_parallel, "cp": p.cp, "ep": p.ep, "etp": p.expert_tp, "vpp": p.vpp,
         "zero": p.zero_stage, "sp": p.sp, "micro_batch": p.micro_batch, "seq_len": p.seq_len,
         "micro_batches": np.nan if p.micro_batches is None else p.micro_batches,
         "recompute": RECOMPUTE.index(p.recompute),
         "recompute_layers": np.nan if p.recompute_layers is None else p.recompute_layers,
         "flash_attention": p.flash_attention, "dropout": p.dropout, "weight_bytes": p.weight_bytes,
         "grad_bytes": p.grad_bytes, "optimizer_bytes": p.optimizer_bytes, "act_bytes": p.activation_bytes,
         "offload": OFFLOAD.index(p.offload), "fp8": p.fp8, "compile": p.compile, "framework": p.framework,
         "loss": p.loss_kind,
         "backward_layers": BACKWARD_LAYERS_BY_FRAMEWORK.get(p.framework, BACKWARD_LAYERS)}
    v.update(overrides)
    return v


def _states(model: ModelParts, v: dict[str, Any], layers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Weights, gradients and optimizer state per stage, sharded and offloaded."""
    t, pp, ep, etp = (np.asarray(v[k], dtype=float) for k in ("tp", "pp", "ep", "etp"))
    shard = np.asarray(v["dp"], dtype=float) * np.asarray(v["cp"], dtype=float)
    zero, off = np.asarray(v["zero"]), np.asarray(v["offload"])
    wb, gb, ob = v["weight_bytes"], v["grad_bytes"], v["optimizer_bytes"]
    a = model.arch
    out: dict[str, dict[str, Any]] = {}
    for s in STAGES:
        if a is None:
            dense, experts = model.params / (t * pp), 0.0 * t
        else:
            dense = (model.body / t + model.replicated) * layers[s] / a.num_layers
            experts = model.experts / (etp * ep) * layers[s] / a.num_layers
            if s == "first":
                dense = dense + model.embeddings / t + model.first_extra
            if s == "last" or s == "first":
                tied = model.embeddings / t if a.tied_embeddings else 0.0  # Megatron keeps the tied head on the last
                head = model.head / t + model.last_extra + (np.where(pp > 1, tied, 0.0) if s == "last" else 0.0)
                dense = dense + (head if s == "last" else np.where(pp > 1, 0.0, head))
        w1, g1, o1 = states_bytes(dense, shard, zero, wb, gb, ob)
        w2, g2, o2 = states_bytes(experts, t * shard / (etp * ep), zero, wb, gb, ob)   # over expert-DP
        w, g, o = np.asarray(w1 + w2), np.asarray(g1 + g2), np.asarray(o1 + o2)
        out[s] = {"weights": np.where(off >= 2, 0.0, w), "gradients": g, "optimizer": np.where(off >= 1, 0.0, o),
                  "params": np.asarray(dense + experts)}
    return out


def _buffers(model: ModelParts, v: dict[str, Any], states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The framework's communication buffers per stage (:mod:`planner.training.frameworks`)."""
    fw = framework(v["framework"])
    t, pp, etp, ep = (np.asarray(v[k], dtype=float) for k in ("tp", "pp", "etp", "ep"))
    shard = np.asarray(v["dp"], dtype=float) * np.asarray(v["cp"], dtype=float)
    zero = np.asarray(v["zero"])
    wb = float(v["weight_bytes"])
    a = model.arch
    out: dict[str, Any] = {}
    for s in STAGES:
        params = states[s]["params"]
        if a is None:   # a bare count: no layers to size the buffers by
            out[s] = 0.0 * params
            continue
        layer = (model.body / t + model.replicated + model.experts / (etp * ep)) / a.num_layers
        unit = np.maximum(layer, np.maximum(model.embeddings, model.head) / t)
        fp8 = layer * (1.0 if v["fp8"] else 0.0)   # one layer's fp8 weight casts (the head stays in 16 bits)
        sharded = zero >= 3
        if fw.buffers == "megatron":
            b = 0.0 * params
        elif fw.buffers == "deepspeed":
            bucket = np.minimum(params, _DEEPSPEED_BUCKET)
            b = np.where(sharded, np.minimum(params, _DEEPSPEED_LIVE) * wb + bucket * v["grad_bytes"],
                         np.where(shard > 1, bucket * (wb + v["grad_bytes"]), 0.0))
        else:
            gathered = np.where(pp > 1, params, 2 * unit) if not fw.reshard_under_pp else 2 * unit
            fsdp = gathered * wb + unit * (float(v["weight_bytes"]) + 4.0)
            if fw.pp_unsharded_grads:   # the stage's fp32 gradients, accumulated until the last micro-batch
                m = np.asarray(v["micro_batches"], dtype=float)
                fsdp = fsdp + np.where((pp > 1) & (np.where(np.isnan(m), pp, m) > 1), params * 4.0, 0.0)
            ddp = np.where(shard > 1, params * v["grad_bytes"], 0.0)   # DDP's bucket copy of the gradients
            b = np.where(sharded, fsdp, np.where(zero >= 1, unit * (float(v["weight_bytes"]) + 4.0), ddp))
        out[s] = np.asarray(b + fp8) * 1.0
    return out


def _loss_bytes(v: dict[str, Any]) -> float:
    """Bytes per logit the loss holds at its peak."""
    if v["compile"] and v["loss"] == "fp32-upcast":
        return COMPILED_LOSS_BYTES
    return LOSS_BYTES[v["loss"]]


def _activations(model: ModelParts, v: dict[str, Any], layers: dict[str, Any]) -> tuple[dict[str, Any], Any] | None:
    """Activation bytes per stage and one layer's stored bytes, or None when the layers are not modelled."""
    a = model.arch
    kw = None if a is None else activation_widths(a)
    if a is None or kw is None:
        return None
    fw = framework(v["framework"])
    t, pp, cp = (np.asarray(v[k], dtype=float) for k in ("tp", "pp", "cp"))
    seq = np.asarray(v["seq_len"], dtype=float) / cp
    common = dict(micro_batch=v["micro_batch"], seq_len=np.maximum(1.0, np.floor(seq)), tp=t, sp=v["sp"],
                  flash_attention=v["flash_attention"], dropout=v["dropout"], act_bytes=v["act_bytes"],
                  selective=fw.selective, sp_gathered=fw.sp_gathered,
                  fp8_inputs=np.asarray(v["fp8"], dtype=bool) & fw.fp8_inputs)
    rc = np.asarray(v["recompute"])
    n_moe = a.moe_layers if a.num_experts else 0
    dense, dense_full = (layer_activations(recompute=r, **common, **kw) for r in (rc, 0))
    if n_moe:
        moe, moe_full = (layer_activations(recompute=r, **common, **kw, **moe_widths(a)) for r in (rc, 0))
    else:
        moe = moe_full = 0.0 * dense
    per_layer = np.maximum(dense, moe)
    avg = ((a.num_layers - n_moe) * dense + n_moe * moe) / a.num_layers
    avg_full = ((a.num_layers - n_moe) * dense_full + n_moe * moe_full) / a.num_layers
    full_layer = np.maximum(dense_full, moe_full)
    remat = np.where((rc == 2) | ((rc == 1) & (fw.selective == "op-sac")), full_layer - per_layer, 0.0)
    working = remat + float(v["backward_layers"]) * full_layer
    tokens = np.floor(seq) * np.asarray(v["micro_batch"], dtype=float)
    e = np.asarray(v["act_bytes"], dtype=float)
    sp_div = np.where(np.asarray(v["sp"], dtype=bool), t, 1.0)
    embed_mask = tokens * a.hidden_size * (1.0 if v["dropout"] else 0.0) / sp_div
    loss = 2 * e * tokens * a.hidden_size / sp_div + _loss_bytes(v) * tokens * a.vocab_size / t
    m = np.asarray(v["micro_batches"], dtype=float)
    m = np.where(np.isnan(m), np.inf, m)           # unknown: as many as the schedule holds in flight
    interleave = np.where(np.asarray(v["vpp"]) > 1, 1 + (pp - 1) / (pp * np.asarray(v["vpp"], dtype=float)), 1.0)
    k = np.asarray(v["recompute_layers"], dtype=float)
    out: dict[str, Any] = {}
    for i, s in enumerate(STAGES):
        n = layers[s]
        kept = np.where(np.isnan(k), n * avg, np.minimum(k, n) * avg + np.maximum(n - k, 0.0) * avg_full)
        index = np.where(s == "last", pp - 1, np.minimum(i, pp - 1))
        # 1F1B holds p − i micro-batches on stage i, interleaving (p − i)(1 + (p − 1)/(p·v)), never more than m
        in_flight = np.maximum(1.0, np.minimum((pp - index) * interleave, np.maximum(m, 1.0)))
        acts = in_flight * (kept + (embed_mask if s == "first" else 0.0)) + working
        has_loss = (s == "last") | (pp == 1) | ((s == "second") & (pp == 2))
        out[s] = np.where(has_loss, acts + loss, acts)
    return out, per_layer


def stage_bytes(model: ModelParts, v: dict[str, Any]) -> dict[str, Any]:
    """Every part in bytes per GPU for the first, second and last pipeline stage.

    Args:
        model: the model's parts.
        v: layout values (:func:`layout_values`), any of them an array in a sweep.

    Returns:
        ``{stage: {part: bytes}, "per_layer": bytes or None}`` for each stage of :data:`STAGES`; a stage has
            ``activations`` only when they are known.
    """
    a = model.arch
    pp = np.asarray(v["pp"], dtype=float)
    if a is None:
        layers = {s: 0.0 * pp for s in STAGES}
    else:
        split = framework(v["framework"]).pp_split
        layers = dict(zip(STAGES, stage_layers(a.num_layers, pp, split), strict=True))
    states = _states(model, v, layers)
    buffers = _buffers(model, v, states)
    acts = _activations(model, v, layers)
    out: dict[str, Any] = {}
    for s in STAGES:
        out[s] = {k: states[s][k] for k in ("weights", "gradients", "optimizer")}
        out[s]["buffers"] = buffers[s]
        if acts is not None:
            out[s]["activations"] = acts[0][s]
        out[s]["layers"] = layers[s]
    out["per_layer"] = None if acts is None else acts[1]
    return out
