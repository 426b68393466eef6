"""Memory per GPU of one model and layout, and whether it fits an accelerator: :func:`memory_estimate`."""

from __future__ import annotations

import math

import numpy as np

from ... import validate
from ...errors import InputError
from ...model.architecture import Architecture
from ..compute import accelerator as accelerator_row
from ..parallelism import Parallelism
from .calibration import ALLOCATOR_SHARE, BAND
from .fix import find_fix
from .partition import ModelParts, activation_widths, check_layout, model_parts, with_dropout
from .result import MemoryEstimate
from .stages import PARTS, STAGES, layout_values, stage_bytes
from .totals import layout_estimate


def accelerator_memory(name: str) -> tuple[str, float]:
    """(name, capacity in bytes) of an accelerator key or name in ``data/accelerators.csv``.

    Args:
        name: the accelerator's key (``"h100-sxm"``) or name.

    Returns:
        ``(name, capacity in bytes)``.

    Raises:
        UnknownModelError: not in the table.
        InputError: the accelerator's memory capacity is not known.
    """
    acc = accelerator_row(name)
    memory = acc["memory_bytes"]
    if memory is None:
        raise InputError("accelerator", "an accelerator with a known memory capacity", name)
    return acc["name"], float(memory)


def capacity_of(accelerator: str | float | None) -> tuple[str | None, float | None]:
    """(name, bytes) of an accelerator key or name, or of a capacity in bytes; (None, None) for None.

    Args:
        accelerator: None, an accelerator key or name, or a capacity in bytes.

    Returns:
        ``(name, capacity)``; a bare capacity is named by its size (``"20 GiB"``).

    Raises:
        UnknownModelError: an unknown accelerator.
        InputError: an accelerator without a known capacity, or a capacity that is not a positive number.
    """
    if accelerator is None:
        return None, None
    if isinstance(accelerator, str):
        return accelerator_memory(accelerator)
    cap = validate.positive_real("capacity", accelerator)
    return f"{cap / 2**30:g} GiB", cap


def _max_micro_batch(model: ModelParts, layout: Parallelism, capacity: float) -> int | None:
    """Largest b whose estimate fits with its band on every stage: each stage's bytes are linear in b."""
    if model.arch is None or activation_widths(model.arch) is None:
        return None
    both = stage_bytes(model, layout_values(layout, micro_batch=np.array([1.0, 2.0])))   # b = 1 and 2 in one call
    room = (capacity / (1 + BAND) - layout.overhead) / (1 + ALLOCATOR_SHARE)   # allocated bytes that fit
    best = 10**8
    for s in STAGES:
        at = np.sum([np.broadcast_to(both[s][k], (2,)) for k in PARTS if k in both[s]], axis=0)
        a1, slope = float(at[0]), float(at[1] - at[0])
        fixed = a1 - slope
        n = max(0, math.floor((room - fixed) / slope)) if slope > 0 else 10**8
        best = min(best, n)
    return best


def memory_estimate(arch_or_params: Architecture | float | str, layout: Parallelism | None = None,
                    accelerator: str | float | None = None) -> MemoryEstimate:
    """Bytes per GPU of training a model with a layout, and whether it fits an accelerator.

    Args:
        arch_or_params: an :class:`~planner.Architecture` (everything is derived, activations included)
            or a parameter count (``7e9``, ``"7B"``: model states only, activations None).
        layout: a :class:`~planner.training.parallelism.Parallelism` (default: one GPU, micro-batch 1,
            sequence 2048, bf16 mixed precision, AdamW).
        accelerator: a key or name from ``data/accelerators.csv`` (``"h100-sxm"``) or a capacity in
            bytes; with it the result also says whether it fits, the headroom, the largest micro-batch
            that fits and, if it does not fit, the smallest fix.

    Returns:
        A ``MemoryEstimate``.

    Raises:
        InputError: naming the field: a layout that is not a ``Parallelism``, a bad count, or a layout
            that does not suit the model (``tp`` not dividing the heads, ``pp`` the layers, ``ep`` the experts).
        UnknownModelError: an unknown accelerator.

    Examples:
        A bare 7B count on one GPU: 2 + 2 + 12 bytes per parameter of weights, gradients and AdamW state
        (16Ψ, Rajbhandari et al. 2020) — 112 GB, which does not fit an 80 GB H100; splitting the matrices
        over two GPUs (tensor parallelism) does:

        >>> e = memory_estimate("7B", accelerator="h100-sxm")
        >>> e.weights / 1e9, e.gradients / 1e9, e.optimizer / 1e9
        (14.0, 14.0, 84.0)
        >>> e.fits, e.fix.changes, e.fix.estimate.model_states / 1e9
        (False, {'tp': 2}, 56.0)
    """
    layout = Parallelism() if layout is None else layout
    if not isinstance(layout, Parallelism):
        raise InputError("layout", "a planner.training.parallelism.Parallelism", type(layout).__name__)
    model = model_parts(arch_or_params)
    layout = with_dropout(model, layout)
    check_layout(model, layout)
    est = layout_estimate(model, layout)
    name, cap = capacity_of(accelerator)
    if cap is None:
        return est
    fix = find_fix(model, layout, cap) if est.upper > cap else None
    return MemoryEstimate(**{**est.__dict__, "accelerator": name, "capacity": cap,
                             "max_micro_batch": _max_micro_batch(model, layout, cap), "fix": fix})
