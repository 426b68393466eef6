"""The model's parameters split into stage parts, and the bytes per GPU of each pipeline stage.

Tensor parallelism (t) splits the layers' matrices and the vocabulary, pipeline parallelism (p) the
layers; norms and routers are replicated over TP ranks; expert parallelism (e) splits the experts, whose
states are sharded over the N_d/e ranks that hold the same experts. The first pipeline stage holds the
embedding and p micro-batches in flight (1F1B); the last holds the LM head and the loss (fp32 logits,
4sbv/t). The binding GPU is the stage with the larger total. Everything is vectorised over layout values,
so a sweep is one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import validate
from ...errors import InputError
from ...model.architecture import Architecture
from ...model.params import count_params, norm_size
from ..parallelism import RECOMPUTE, Parallelism, check_tp
from .formulas import layer_activations, model_states
from .result import MemoryEstimate

# The layout values and stage parts below are dicts of ``Any``: each value is a scalar or, in a sweep, a numpy array
# (of floats, bools or codes), so one dict holds numbers, flags and arrays by name.


@dataclass(frozen=True)
class ModelParts:
    """A model's parameters split into the groups a layout divides differently, read once from an Architecture.

    Args:
        params: the total parameters.
        arch: the :class:`~planner.model.architecture.Architecture`, or None for a bare parameter count
            (then only ``params`` is known).
        body: layer parameters split over TP (attention, dense MLPs, shared experts).
        replicated: layer parameters replicated over TP (norms, routers).
        experts: routed experts (split over TP and EP).
        embeddings: the token embedding (vocabulary-parallel).
        first_extra: positions and half the input/output projection, replicated, on the first stage.
        head: an untied LM head (vocabulary-parallel).
        last_extra: the final norm and half the projection, replicated, on the last stage.
    """

    params: int
    arch: Architecture | None = None
    body: float = 0.0         # layer parameters split over TP (attention, dense MLPs, shared experts)
    replicated: float = 0.0   # layer parameters replicated over TP (norms, routers)
    experts: float = 0.0      # routed experts (split over TP and EP)
    embeddings: float = 0.0   # token embedding (vocabulary-parallel)
    first_extra: float = 0.0  # positions and input projection, replicated
    head: float = 0.0         # untied LM head (vocabulary-parallel)
    last_extra: float = 0.0   # final norm and output projection, replicated


def model_parts(arch_or_params: Architecture | float | str) -> ModelParts:
    """The parameter groups of an architecture, or a bare parameter count.

    Args:
        arch_or_params: an :class:`~planner.model.architecture.Architecture` or a parameter count
            (``7e9``, ``"7B"``).

    Returns:
        The ``ModelParts``.

    Raises:
        InputError: a count that is not a whole number >= 1.
    """
    if not isinstance(arch_or_params, Architecture):
        return ModelParts(params=validate.count("params", arch_or_params))
    a = arch_or_params
    pc = count_params(a)
    d = a.hidden_size
    experts = pc.experts
    final_norm = norm_size(a.norm, d) if a.final_norm else 0
    replicated = pc.norms - final_norm + pc.router
    body = pc.total - experts - replicated - pc.embeddings - pc.positions - pc.projection - pc.head - final_norm
    return ModelParts(params=pc.total, arch=a, body=float(body), replicated=float(replicated), experts=float(experts),
                      embeddings=float(pc.embeddings), first_extra=float(pc.positions + pc.projection / 2),
                      head=float(pc.head), last_extra=float(final_norm + pc.projection / 2))


def with_dropout(model: ModelParts, p: Parallelism) -> Parallelism:
    """The layout with ``dropout`` decided: as given, else as the model trains (a rate above zero stores masks).

    Args:
        model: the model's parts.
        p: the layout.

    Returns:
        ``p``, or a copy with ``dropout`` set (False for a bare parameter count).
    """
    if p.dropout is not None:
        return p
    return p.with_(dropout=model.arch is not None and model.arch.dropout > 0)


def check_layout(model: ModelParts, p: Parallelism) -> None:
    """The checks that need the model: TP suits the heads (:func:`~planner.training.parallelism.check_tp`), PP
    divides the layers, EP the experts.

    Args:
        model: the model's parts.
        p: the layout.

    Returns:
        None.

    Raises:
        InputError: naming ``tp``, ``pp`` or ``ep``.
    """
    a = model.arch
    if a is None:
        if p.ep > 1:
            raise InputError("ep", "1 when only a parameter count is known (no experts to split)", p.ep)
        return
    check_tp(a.num_heads, a.num_kv_heads, p.tp)
    if a.num_layers % p.pp:
        raise InputError("pp", f"a divisor of the number of layers ({a.num_layers})", p.pp)
    if p.ep > 1:
        if not a.num_experts:
            raise InputError("ep", "1 for a dense model (it has no experts to split)", p.ep)
        if a.num_experts % p.ep:
            raise InputError("ep", f"a divisor of the number of experts ({a.num_experts})", p.ep)


def activation_widths(a: Architecture) -> dict[str, Any] | None:
    """The architecture's widths as :func:`~planner.training.memory.formulas.layer_activations` takes them.

    Args:
        a: an :class:`~planner.model.architecture.Architecture`.

    Returns:
        Keyword arguments (hidden size, heads, Q/K/V widths, MLP width; latent attention's widths), or None
            when the layers are not attention (their activations are not modelled).
    """
    if getattr(a, "mixer", "attention") != "attention":
        return None
    e = a.head_dim
    kw = dict(hidden_size=a.hidden_size, num_heads=a.num_heads, q_width=a.num_heads * e,
              kv_width=a.num_kv_heads * e, ffn=a.intermediate_size, gated_mlp=a.gated_mlp)
    if getattr(a, "is_mla", False):  # K is decompressed to every head; V has its own width
        ev = getattr(a, "v_head_dim", None) or e
        kw.update(kv_width=a.num_heads * e, v_width=a.num_heads * ev,
                  latent_width=(getattr(a, "q_lora_rank", None) or 0) + (a.kv_lora_rank or 0)
                  + (a.qk_rope_head_dim or 0))
    return kw


def _moe_widths(a: Architecture) -> dict[str, Any]:
    """An MoE layer's expert counts and widths as :func:`layer_activations` takes them."""
    shared = getattr(a, "num_shared_experts", 0) or 0
    shared_f = ((getattr(a, "shared_expert_intermediate_size", None) or a.moe_intermediate_size or 0) * shared
                if shared else 0)
    return dict(num_experts=a.num_experts, experts_per_token=a.experts_per_token,
                expert_ffn=a.moe_intermediate_size, shared_ffn=shared_f)


def stage_bytes(model: ModelParts, v: dict[str, Any]) -> dict[str, Any]:
    """Every part in bytes per GPU for the first and the last pipeline stage.

    Args:
        model: the model's parts.
        v: layout values (:func:`layout_values`), any of them an array in a sweep.

    Returns:
        ``{"first": {part: bytes}, "last": {part: bytes}, "per_layer": bytes or None}``; the stages have
            ``activations`` only when they are known.
    """
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
    out: dict[str, Any] = {}
    for stage, dense in (("first", first_dense), ("last", last_dense)):
        w1, g1, o1 = model_states(dense, dp, zero, weight_bytes=wb, grad_bytes=gb, optimizer_bytes=ob)
        w2, g2, o2 = model_states(experts, dp / ep, zero, weight_bytes=wb, grad_bytes=gb, optimizer_bytes=ob)
        out[stage] = {"weights": np.asarray(w1 + w2), "gradients": np.asarray(g1 + g2),
                      "optimizer": np.asarray(o1 + o2)}
    out["per_layer"] = None
    kw = None if a is None else activation_widths(a)
    if a is not None and kw is not None:
        common = dict(micro_batch=v["micro_batch"], seq_len=v["seq_len"], tp=t, sp=v["sp"],
                      flash_attention=v["flash_attention"], dropout=v["dropout"], act_bytes=v["act_bytes"])
        rc = np.asarray(v["recompute"])
        dense_layer = layer_activations(recompute=rc, **common, **kw)
        dense_full = layer_activations(recompute=0, **common, **kw)
        n_moe = a.moe_layers if a.num_experts else 0
        if n_moe:
            moe_layer = layer_activations(recompute=rc, **common, **kw, **_moe_widths(a))
            moe_full = layer_activations(recompute=0, **common, **kw, **_moe_widths(a))
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


def layout_values(p: Parallelism, **overrides: Any) -> dict[str, Any]:
    """A layout's values as :func:`stage_bytes` takes them (recompute as its code 0/1/2).

    Args:
        p: the layout.
        **overrides: values to use instead (arrays in a sweep).

    Returns:
        ``{name: value}``.
    """
    v = {"tp": p.tp, "pp": p.pp, "dp": p.data_parallel, "ep": p.ep, "zero": p.zero_stage, "sp": p.sp,
         "micro_batch": p.micro_batch, "seq_len": p.seq_len, "recompute": RECOMPUTE.index(p.recompute),
         "flash_attention": p.flash_attention, "dropout": p.dropout, "weight_bytes": p.weight_bytes,
         "grad_bytes": p.grad_bytes, "optimizer_bytes": p.optimizer_bytes, "act_bytes": p.activation_bytes}
    v.update(overrides)
    return v


def binding_stage(parts: dict[str, Any], overhead: float) -> dict[str, Any]:
    """The parts of the stage with the larger total: the binding GPU.

    Args:
        parts: :func:`stage_bytes`'s result.
        overhead: the allowance per GPU, in bytes.

    Returns:
        ``{part: bytes, "total": bytes, "stage": "first" or "last"}`` (arrays in a sweep).
    """
    keys = [k for k in ("weights", "gradients", "optimizer", "activations") if k in parts["first"]]
    tot = {s: sum(parts[s][k] for k in keys) + overhead for s in ("first", "last")}
    use_first = tot["first"] >= tot["last"]
    out = {k: np.where(use_first, parts["first"][k], parts["last"][k]) for k in keys}
    out["total"] = np.where(use_first, tot["first"], tot["last"])
    out["stage"] = np.where(use_first, "first", "last")
    return out


def layout_estimate(model: ModelParts, layout: Parallelism) -> MemoryEstimate:
    """The estimate of one layout on the binding GPU, without an accelerator.

    Args:
        model: the model's parts.
        layout: a checked layout with ``dropout`` decided.

    Returns:
        The ``MemoryEstimate`` (no capacity).
    """
    parts = stage_bytes(model, layout_values(layout))
    b = binding_stage(parts, float(layout.overhead))
    stage = str(b["stage"]) if layout.pp > 1 and model.arch is not None else "only"
    acts = None if parts["per_layer"] is None else float(b["activations"])
    per_layer = None if parts["per_layer"] is None else float(parts["per_layer"])
    return MemoryEstimate(params=model.params, layout=layout, weights=float(b["weights"]),
                          gradients=float(b["gradients"]), optimizer=float(b["optimizer"]), activations=acts,
                          activations_per_layer=per_layer, overhead=float(layout.overhead), total=float(b["total"]),
                          stage=stage, params_only=model.arch is None)
