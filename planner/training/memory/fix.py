"""The smallest layout change that makes a run fit: a search over recompute, ZeRO stage and TP degree."""

from __future__ import annotations

import itertools
import math

from ...errors import PlannerError
from ..parallelism import RECOMPUTE, Parallelism, tp_degrees
from .partition import ModelParts, check_layout, layout_estimate
from .result import Fix

#: What each recompute mode costs in throughput, in the units of the ranking (a ZeRO stage step is 1,
#: a doubling of TP 2).
_RECOMPUTE_COST = {"none": 0, "selective": 1, "full": 3}
#: The TP degrees the search tries (powers of two, as clusters are built).
_FIX_TP = (1, 2, 4, 8, 16, 32, 64)


def find_fix(model: ModelParts, layout: Parallelism, capacity: float) -> Fix | None:
    """The cheapest layout change among recompute, ZeRO stage and TP degree that fits.

    Candidates are ranked by GPUs needed (more TP ranks need more GPUs unless the GPU count is
    fixed), then by how many settings change, then by their cost to throughput: selective recompute
    (1) < ZeRO stage steps (1 each) < full recompute (3), each doubling of TP (2). With a fixed GPU
    count, changes that keep it are tried first; when none fits, the same changes with more GPUs
    (the data-parallel degree kept, the GPU count growing with TP) are tried, and the fix says so.

    Args:
        model: the model's parts.
        layout: the layout that does not fit (checked, ``dropout`` decided).
        capacity: the accelerator's bytes.

    Returns:
        The ``Fix``, or None when no change among these fits.
    """
    fix = _search_fix(model, layout, capacity, keep_gpus=True)
    if fix is None and layout.gpus is not None:
        fix = _search_fix(model, layout, capacity, keep_gpus=False)
    return fix


def _search_fix(model: ModelParts, layout: Parallelism, capacity: float, *, keep_gpus: bool) -> Fix | None:
    """The first fitting candidate in rank order, keeping the GPU count or not."""
    a = model.arch
    suits = _FIX_TP if a is None else tp_degrees(a.num_heads, a.num_kv_heads, limit=_FIX_TP[-1])
    tps = [t for t in _FIX_TP if t >= layout.tp and t in suits]
    recomputes = [r for r in RECOMPUTE if _RECOMPUTE_COST[r] >= _RECOMPUTE_COST[layout.recompute]]
    zeros = range(layout.zero_stage, 4)
    candidates: list[tuple[tuple[int, int, int, int, int], Parallelism, dict[str, int | str]]] = []
    for t, r, z in itertools.product(tps, recomputes, zeros):
        changes: dict[str, int | str] = {}
        if t != layout.tp:
            changes["tp"] = t
        if r != layout.recompute:
            changes["recompute"] = r
        if z != layout.zero_stage:
            changes["zero"] = z
        if not changes:
            continue
        kw: dict[str, int | str | None] = dict(tp=t, recompute=r)
        if layout.gpus is not None:
            if keep_gpus:
                kw["dp"] = None  # a fixed GPU count: the data-parallel degree follows the new TP degree
            else:
                gpus = layout.data_parallel * t * layout.pp
                kw.update(dp=layout.data_parallel, gpus=gpus)
                if gpus != layout.gpus:
                    changes["gpus"] = gpus
        if z != layout.zero_stage:
            kw.update(zero=z, fsdp=None)
        try:
            new = layout.with_(**kw)
            check_layout(model, new)
        except PlannerError:
            continue
        cost = (_RECOMPUTE_COST[r] - _RECOMPUTE_COST[layout.recompute] + (z - layout.zero_stage)
                + 2 * (int(math.log2(t)) - int(math.log2(layout.tp))))
        candidates.append(((new.num_gpus, len(changes), cost, t, z), new, changes))
    for _, new, changes in sorted(candidates, key=lambda c: c[0]):
        est = layout_estimate(model, new)
        if est.total <= capacity and (est.activations is not None or a is None):
            return Fix(layout=new, changes=changes, estimate=est)
    return None
