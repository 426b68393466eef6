"""From the stages' parts to the binding GPU's total: allocator share, overhead, and the estimate of one layout."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..parallelism import Parallelism
from .calibration import ALLOCATOR_SHARE, BAND
from .partition import ModelParts
from .result import MemoryEstimate
from .stages import PARTS, STAGES, layout_values, stage_bytes


def binding_stage(parts: dict[str, Any], overhead: float) -> dict[str, Any]:
    """The parts of the stage with the largest total: the binding GPU.

    The tensors' bytes (weights, gradients, optimizer, activations, buffers) are what PyTorch allocates;
    its caching allocator reserves :data:`~planner.training.memory.calibration.ALLOCATOR_SHARE` more
    (``allocator``), and ``overhead`` lies outside it.

    Args:
        parts: :func:`~planner.training.memory.stages.stage_bytes`'s result.
        overhead: bytes per GPU outside PyTorch's allocator.

    Returns:
        ``{part: bytes, "allocator": bytes, "reserved": bytes, "total": bytes, "stage": name, "layers": count}``
            (arrays in a sweep).
    """
    keys = [k for k in PARTS if k in parts["first"]]
    allocated = {s: sum(parts[s][k] for k in keys) for s in STAGES}
    best = np.argmax(np.stack(np.broadcast_arrays(*(allocated[s] for s in STAGES))), axis=0)
    out: dict[str, Any] = {}
    for k in [*keys, "layers"]:
        out[k] = np.choose(best, np.broadcast_arrays(*(np.asarray(parts[s][k], dtype=float) for s in STAGES)))
    alloc = np.choose(best, np.broadcast_arrays(*(allocated[s] for s in STAGES)))
    out["allocator"] = ALLOCATOR_SHARE * alloc
    out["reserved"] = alloc + out["allocator"]
    out["total"] = out["reserved"] + overhead
    out["stage"] = np.asarray(STAGES)[best]
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
                          activations_per_layer=per_layer, buffers=float(b["buffers"]),
                          allocator=float(b["allocator"]), overhead=float(layout.overhead), total=float(b["total"]),
                          stage=stage, stage_layers=None if model.arch is None else int(b["layers"]),
                          band=BAND, params_only=model.arch is None)
