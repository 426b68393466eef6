"""The result of a memory estimate: :class:`MemoryEstimate`, its :class:`Fix`, and the one fit rule.

The one-sentence verdict (:attr:`MemoryEstimate.message`) lives here because the plan's policy notices
(:mod:`planner.verdict.policy`) use it; the table every surface shows is rendered in
:mod:`planner.surfaces.memory_text`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from ...arrays import ArrayLike
from ...format import fmt_gib
from ..parallelism import Parallelism

#: The parts of a total, in the order surfaces show them.
COMPONENTS = ("weights", "gradients", "optimizer", "activations", "buffers", "allocator", "overhead")


@overload
def fit_state(total: float, capacity: float, activations_known: bool, band: float = 0.0) -> bool | None: ...
@overload
def fit_state(total: ArrayLike, capacity: float, activations_known: bool | npt.NDArray[Any],
              band: float = 0.0) -> bool | None | npt.NDArray[np.object_]: ...
def fit_state(total: ArrayLike, capacity: float, activations_known: bool | npt.NDArray[Any],
              band: float = 0.0) -> bool | None | npt.NDArray[np.object_]:
    """The one fit rule: False when the estimate's upper bound is over capacity; True within it when the
    activations are known; None (unknown) within it.

    The upper bound is ``total × (1 + band)``: a run fits only when it fits even if the estimate is low by
    the model's uncertainty. The activations are unknown for a bare parameter count and for layers that are
    not attention; an unknown fit is not a misfit. Vectorised: object arrays of True/False/None for arrays.

    Args:
        total: bytes per GPU (the known parts).
        capacity: the accelerator's bytes.
        activations_known: whether ``total`` includes the activations.
        band: the estimate's relative uncertainty (:data:`~planner.training.memory.calibration.BAND`).

    Returns:
        True, False or None (an object array for array inputs).
    """
    if np.ndim(total) == 0 and np.ndim(activations_known) == 0:
        return False if total * (1 + band) > capacity else (True if activations_known else None)
    over = np.asarray(total) * (1 + band) > capacity
    known = np.broadcast_to(np.asarray(activations_known, dtype=bool), over.shape)
    unknown = np.array(None, dtype=object)  # None as numpy.where reads it (an object array)
    return np.where(over, False, np.where(known, True, unknown)).astype(object)


#: The largest part of a total, in words ("mostly optimizer state").
DOMINANT_WORDS = {"weights": "weights", "gradients": "gradients", "optimizer": "optimizer state",
                  "activations": "activations", "buffers": "communication buffers",
                  "allocator": "allocator reserve", "overhead": "overhead"}


@dataclass(frozen=True)
class Fix:
    """A layout change that makes the run fit: the new layout, what changed, and its estimate.

    Args:
        layout: the changed layout.
        changes: ``{field: new value}`` for each changed field (``tp``, ``pp``, ``cp``, ``zero``, ``recompute``,
            ``offload``, ``gpus``).
        estimate: the :class:`MemoryEstimate` of ``layout``.
    """

    layout: Parallelism
    changes: dict[str, int | str]
    estimate: MemoryEstimate = field(repr=False)

    @property
    def description(self) -> str:
        """The change as command-line options, e.g. ``--tp 2 --recompute selective``."""
        return " ".join(f"--{k.replace('_', '-')} {v}" for k, v in self.changes.items())

    @property
    def words(self) -> str:
        """The change in words, e.g. ``TP 2, selective recompute on 2 GPUs``."""
        c = self.changes
        parts = [f"{k.upper()} {c[k]}" for k in ("tp", "pp", "cp") if k in c]
        parts += [f"ZeRO stage {c['zero']}"] if "zero" in c else []
        parts += [f"{c['recompute']} recompute"] if "recompute" in c else []
        parts += [f"{c['offload']} offloaded to CPU"] if "offload" in c else []
        n = self.layout.num_gpus
        return f"{', '.join(parts) or 'the same layout'} on {n:,} GPU{'s' if n != 1 else ''}"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the changes, the GPUs of the new layout and its total bytes per GPU.

        Returns:
            ``{"changes": {...}, "gpus": n, "total": bytes}``.
        """
        return {"changes": self.changes, "gpus": self.layout.num_gpus, "total": round(self.estimate.total)}


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per GPU for one model and layout, and whether they fit an accelerator.

    Built by :func:`~planner.training.memory.memory_estimate`. The parts are bytes per GPU on the binding
    GPU: the pipeline stage with the larger total.

    Args:
        params: the model's total parameters.
        layout: the layout estimated (its ``dropout`` decided).
        weights: weight bytes per GPU.
        gradients: gradient bytes per GPU.
        optimizer: optimizer-state bytes per GPU.
        activations: activation bytes per GPU, or None when unknown (a bare parameter count; layers that
            are not attention, such as Mamba's, are not modelled); ``total`` then counts the rest only.
        activations_per_layer: one layer's activations for one micro-batch, or None when unknown.
        buffers: the framework's communication buffers (FSDP gathers, DDP buckets, DeepSpeed buckets).
        allocator: what PyTorch's caching allocator reserves beyond the tensors (fitted share).
        overhead: bytes outside PyTorch's allocator (CUDA context, NCCL).
        total: the sum of the known parts.
        stage: ``"first"``, ``"second"`` or ``"last"`` pipeline stage, ``"only"`` without pipeline parallelism.
        stage_layers: the layers on that stage, None for a bare parameter count.
        band: the estimate's relative uncertainty; "fits" requires ``total × (1 + band)`` to fit.
        accelerator: the accelerator's name, or None without one.
        capacity: its memory in bytes, or None.
        max_micro_batch: the largest micro-batch that fits (0 if none), None without a capacity or activations.
        fix: when it does not fit, the smallest change of recompute, ZeRO stage and TP degree that fits, or None.
        params_only: only a parameter count was given (no architecture, no activations).
    """

    params: int
    layout: Parallelism
    weights: float
    gradients: float
    optimizer: float
    activations: float | None
    activations_per_layer: float | None
    buffers: float
    allocator: float
    overhead: float
    total: float
    stage: str
    stage_layers: int | None = None
    band: float = 0.0
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
        return None if self.capacity is None else fit_state(self.total, self.capacity, self.activations is not None,
                                                            self.band)

    @property
    def reserved(self) -> float:
        """What PyTorch's allocator reserves at the peak (``torch.cuda.max_memory_reserved``): total minus overhead."""
        return self.total - self.overhead

    @property
    def upper(self) -> float:
        """The upper end of the estimate's band: ``total × (1 + band)``, what "fits" is judged by."""
        return self.total * (1 + self.band)

    @property
    def lower(self) -> float:
        """The lower end of the estimate's band: ``total × (1 − band)``."""
        return self.total * (1 - self.band)

    @property
    def headroom(self) -> float | None:
        """Capacity minus the band's upper end in bytes (negative when it does not fit); None without a capacity."""
        return None if self.capacity is None else self.capacity - self.upper

    @property
    def dominant(self) -> str:
        """The largest part: weights, gradients, optimizer, activations or overhead."""
        parts: dict[str, float] = {k: getattr(self, k) for k in COMPONENTS if getattr(self, k) is not None}
        return max(parts, key=lambda k: parts[k])

    @property
    def message(self) -> str:
        """The fit verdict in one sentence (for a plan's notices); says the smallest fix when it does not fit."""
        used = f"{fmt_gib(self.total)} ± {self.band:.0%} per GPU" if self.band else f"{fmt_gib(self.total)} per GPU"
        if self.capacity is None:
            return f"Memory: {used} (no accelerator capacity to compare with)."
        if self.fits is None:
            return (f"Memory: fit on {self.accelerator} unknown: the model states and overhead take {used} of "
                    f"{fmt_gib(self.capacity)}; the activations are unknown.")
        if self.fits:
            headroom = self.headroom
            assert headroom is not None  # there is a capacity (checked above)
            margin = " even at the upper end" if self.band else ""
            return (f"Memory: fits {self.accelerator}: {used}, {fmt_gib(headroom)} headroom{margin}; "
                    f"largest micro-batch {self.max_micro_batch:,}.")
        fix = ("no change of recompute, ZeRO stage, offload, TP, PP or CP degree fits" if self.fix is None else
               f"smallest fix: {self.fix.words} ({fmt_gib(self.fix.estimate.total)} per GPU)")
        within = " (within the estimate's uncertainty: it may run out of memory)" if self.total <= self.capacity else ""
        return (f"Memory: does not fit {self.accelerator}: {used} against {fmt_gib(self.capacity)}{within} "
                f"(mostly {DOMINANT_WORDS[self.dominant]}); {fix}.")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: bytes per GPU as whole numbers, the layout, and the fit when there is a capacity.

        Returns:
            A dict of plain numbers, strings and dicts (the command line's ``--json``).
        """
        def r(x: float | None) -> int | None:
            return None if x is None else round(x)

        d: dict[str, object] = {"params": self.params, **{k: r(getattr(self, k)) for k in
             ("weights", "gradients", "optimizer", "activations", "activations_per_layer", "buffers", "allocator",
              "overhead", "total", "reserved", "lower", "upper")},
             "band": self.band, "stage": self.stage, "stage_layers": self.stage_layers, "dominant": self.dominant,
             "framework": self.layout.framework, "layout": self.layout.to_dict()}
        if self.capacity is not None:
            d.update(accelerator=self.accelerator, capacity=r(self.capacity), fits=self.fits, message=self.message,
                     headroom=r(self.headroom), max_micro_batch=self.max_micro_batch,
                     fix=None if self.fix is None else self.fix.to_dict())
        return d
