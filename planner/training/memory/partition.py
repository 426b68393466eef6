"""The model's parameters split into the groups a layout divides differently, and the checks that need the model.

Tensor parallelism (t) splits the layers' matrices and the vocabulary, pipeline parallelism (p) the
layers; norms and routers are replicated over TP ranks; expert parallelism (e) splits the experts, whose
states are sharded over the ranks that hold the same experts. :mod:`planner.training.memory.stages` turns
the parts into bytes per GPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import validate
from ...errors import InputError
from ...model.architecture import Architecture
from ...model.params import count_params, norm_size
from ..frameworks import framework
from ..parallelism import Parallelism, check_tp

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
    split = framework(p.framework).pp_split
    if p.pp > 1 and min(float(x) for x in stage_layers(a.num_layers, p.pp, split)) < 1:
        raise InputError("pp", f"a stage count that leaves a layer on every stage ({a.num_layers} layers; "
                               "the embedding and the head count as one layer each)", p.pp)
    if p.etp is not None and p.etp != p.tp and not a.num_experts:
        raise InputError("etp", "unset for a dense model (it has no experts)", p.etp)
    if p.ep > 1:
        if not a.num_experts:
            raise InputError("ep", "1 for a dense model (it has no experts to split)", p.ep)
        if a.num_experts % p.ep:
            raise InputError("ep", f"a divisor of the number of experts ({a.num_experts})", p.ep)


def carried_layout(model: ModelParts, p: Parallelism) -> Parallelism:
    """A layout carried over to another model: its expert parallelism dropped where the model has no experts for
    it (a dense model, or experts it does not divide), everything else as it was.

    Args:
        model: the model's parts.
        p: the layout.

    Returns:
        The layout (``p`` itself when the model can use its EP).
    """
    experts = 0 if model.arch is None else (model.arch.num_experts or 0)
    if (p.ep > 1 and (not experts or experts % p.ep)) or (p.etp is not None and not experts):
        return p.with_(ep=1, etp=None)
    return p


def stages_of(num_layers: int, per_stage: int) -> int:
    """The stages ``per_stage`` whole layers make of the layers, the embedding and the head (a layer each):
    ``ceil((L + 2) / per_stage)``, torchtitan's ``pipeline_parallel_layers_per_stage``.

    Args:
        num_layers: L.
        per_stage: layers per stage.

    Returns:
        The stages in all.

    Examples:
        >>> stages_of(126, 4), stages_of(32, 5)
        (32, 7)
    """
    return -(-(num_layers + 2) // per_stage)


def layers_per_stage(num_layers: int, stages: int) -> int | None:
    """The whole layers per stage that split the layers, the embedding and the head (a layer each) into exactly
    ``stages`` stages, ``ceil((L + 2) / n)`` of them: torchtitan's ``pipeline_parallel_layers_per_stage``.

    Args:
        num_layers: L.
        stages: the stages in all (PP × virtual stages per GPU).

    Returns:
        The smallest such n, or None when none gives that many stages.

    Examples:
        Llama 3.1 405B's 126 layers in 32 or 64 stages; Llama 3 8B's 32 in 8 (34 units: 9 stages of 4 or 7 of 5):

        >>> layers_per_stage(126, 32), layers_per_stage(126, 64), layers_per_stage(32, 8)
        (4, 2, None)
    """
    return next((n for n in range(1, num_layers + 3) if stages_of(num_layers, n) == stages), None)


def stage_layers(num_layers: int, pp: Any, split: str) -> tuple[Any, Any, Any]:
    """Layers on the first, second and last pipeline stage.

    ``even``: L/p each when p divides L; otherwise (and always with ``units``) the embedding and the head
    count as one layer each and the L + 2 units are spread evenly, the first stages taking the remainder
    (:mod:`planner.training.frameworks`). Llama 3.1 405B's 126 layers on 8 stages: 15, 16, ..., 16, 15;
    BLOOM-176B's 70 on 12: 5, 6, ..., 6, 5.

    Args:
        num_layers: L.
        pp: the pipeline degree (an array in a sweep).
        split: ``"even"`` or ``"units"``.

    Returns:
        ``(first, second, last)`` layer counts (floats or arrays); with one stage all three are L.
    """
    p = np.asarray(pp, dtype=float)
    units, rem = np.floor((num_layers + 2) / p), np.mod(num_layers + 2, p)
    first = units + (rem > 0) - 1
    second = units + (rem > 1)
    last = units - 1
    if split == "even":
        even = np.mod(num_layers, p) == 0
        first, second, last = (np.where(even, num_layers / p, x) for x in (first, second, last))
    second = np.where(p == 2, last, second)
    one = p == 1
    return tuple(np.where(one, float(num_layers), x) for x in (first, second, last))  # type: ignore[return-value]


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


def moe_widths(a: Architecture) -> dict[str, Any]:
    """An MoE layer's expert counts and widths as :func:`layer_activations` takes them.

    Args:
        a: an MoE :class:`~planner.model.architecture.Architecture`.

    Returns:
        Keyword arguments: the routed experts, experts per token, one expert's width, the shared experts' width.
    """
    shared = getattr(a, "num_shared_experts", 0) or 0
    shared_f = ((getattr(a, "shared_expert_intermediate_size", None) or a.moe_intermediate_size or 0) * shared
                if shared else 0)
    return dict(num_experts=a.num_experts, experts_per_token=a.experts_per_token,
                expert_ffn=a.moe_intermediate_size, shared_ffn=shared_f)
