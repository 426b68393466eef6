"""The smallest layout change that makes a run fit: one vectorised search over recompute, ZeRO stage, offload, and
the tensor-, pipeline- and context-parallel degrees."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ...errors import PlannerError
from ..frameworks import framework
from ..parallelism import OFFLOAD, RECOMPUTE, Parallelism, experts_tile, tp_degrees
from .calibration import BAND
from .partition import ModelParts, check_layout
from .result import Fix, fit_state
from .stages import layout_values, stage_bytes
from .totals import binding_stage, layout_estimate

#: What each change costs in throughput, in the units of the ranking: selective recompute 1, full 3, a ZeRO
#: stage step 1, each doubling of TP, PP or CP 2, offloading the optimizer 3, also the weights 5.
_RECOMPUTE_COST = {"none": 0, "selective": 1, "full": 3}
_OFFLOAD_COST = {"none": 0, "optimizer": 3, "params": 5}
#: The fewest tokens per GPU the search splits a sequence into with context parallelism (CP serves long
#: sequences: torchtitan's measured runs keep 32K per GPU).
_CP_CHUNK = 1024
#: The degrees the search tries (powers of two, as clusters are built).
_DEGREES = (1, 2, 4, 8, 16, 32, 64)


def find_fix(model: ModelParts, layout: Parallelism, capacity: float) -> Fix | None:
    """The cheapest layout change that fits, with the estimate's band.

    Candidates are every combination of recompute, ZeRO stage, offload (when the layout already shards its
    states with ZeRO or FSDP, or runs on DeepSpeed) and TP, PP and CP degrees at least the current ones,
    ranked by GPUs needed, then by how many settings change, then by their cost to throughput (selective
    recompute 1 < a ZeRO stage step 1 < full recompute 3 = optimizer offload 3, each doubling of TP, PP or CP 2,
    weight offload 5). With a fixed GPU count, changes that keep it are tried
    first (the data-parallel degree shrinks); when none fits, the same changes with more GPUs (the
    data-parallel degree kept), and the fix says so. All candidates are estimated in one vectorised call.

    Args:
        model: the model's parts.
        layout: the layout that does not fit (checked, ``dropout`` decided).
        capacity: the accelerator's bytes.

    Returns:
        The ``Fix``, or None when no change among these fits.
    """
    fix = _search(model, layout, capacity, keep_gpus=True)
    if fix is None and layout.gpus is not None:
        fix = _search(model, layout, capacity, keep_gpus=False)
    return fix


def _axes(model: ModelParts, layout: Parallelism) -> dict[str, list[int | str]]:
    """The values each setting may take: the current one and the heavier ones."""
    a = model.arch
    fw = framework(layout.framework)          # only what the stack runs: its degrees, recompute modes, ZeRO stages
    suits = _DEGREES if a is None else tp_degrees(a.num_heads, a.num_kv_heads, limit=_DEGREES[-1])
    axes: dict[str, list[int | str]] = {
        "tp": [t for t in _DEGREES if t >= layout.tp and t in suits and (t == layout.tp or "tp" in fw.degrees)]
        or [layout.tp],
        "recompute": [r for r in RECOMPUTE if _RECOMPUTE_COST[r] >= _RECOMPUTE_COST[layout.recompute]
                      and (r == layout.recompute or r in fw.recompute)],
        "zero": [z for z in range(layout.zero_stage, 4) if z == layout.zero_stage or z in fw.zero_stages],
        # offload is offered where the stack already shards the states (ZeRO-Offload, FSDP's CPU offload)
        "offload": [o for o in OFFLOAD if _OFFLOAD_COST[o] >= _OFFLOAD_COST[layout.offload]]
        if layout.zero_stage >= 1 or layout.framework == "deepspeed" else [layout.offload],
    }
    pps, cps = [layout.pp], [layout.cp]
    if a is not None and "pp" in fw.degrees:
        pps += [p for p in _DEGREES if p > layout.pp and _valid(model, layout, pp=p)]
    if a is not None and "cp" in fw.degrees:
        cps += [c for c in _DEGREES if c > layout.cp and layout.seq_len % c == 0 and layout.seq_len // c >= _CP_CHUNK]
    axes["pp"], axes["cp"] = list(pps), list(cps)
    return axes


def _valid(model: ModelParts, layout: Parallelism, **changes: Any) -> bool:
    """Whether the model can be laid out with ``changes`` (its layers over the stages), on any GPU count: the
    experts' spread over the data-parallel ranks is checked with the GPUs, in :func:`_search`."""
    try:
        check_layout(model, layout.with_(dp=None, gpus=None, ep=1, etp=None, **changes))
    except PlannerError:
        return False
    return True


def _search(model: ModelParts, layout: Parallelism, capacity: float, *, keep_gpus: bool) -> Fix | None:
    """The first fitting candidate in rank order, keeping the GPU count or not."""
    axes = _axes(model, layout)
    names = list(axes)
    combos = list(itertools.product(*(axes[k] for k in names)))
    cols = {k: np.array([c[i] for c in combos], dtype=object) for i, k in enumerate(names)}
    tp, pp, cp = (cols[k].astype(float) for k in ("tp", "pp", "cp"))
    zero = cols["zero"].astype(float)
    offload = np.array([OFFLOAD.index(o) for o in cols["offload"]])
    rc = np.array([RECOMPUTE.index(r) for r in cols["recompute"]])
    ok = ~((offload == 2) & (zero < 3))
    ok &= (pp == 1) | (zero <= framework(layout.framework).pp_zero)     # DeepSpeed pipelines: ZeRO 0-1
    if layout.gpus is not None and keep_gpus:
        dp = layout.gpus / (tp * pp * cp)
        ok &= (dp >= 1) & (dp == np.floor(dp))
        dp = np.maximum(1.0, np.floor(dp))
    else:
        dp = np.full(len(combos), float(layout.data_parallel))
    ok &= experts_tile(tp, dp, cp, layout.ep, layout.etp)
    if layout.micro_batches is not None:   # a pipeline of more stages than micro-batches idles: the search's rule
        ok &= (pp == layout.pp) | (pp <= layout.micro_batches)
    gpus = dp * tp * pp * cp
    v = layout_values(layout, tp=tp, pp=pp, cp=cp, dp=dp, zero=zero, recompute=rc, offload=offload)
    parts = stage_bytes(model, v)
    total = np.broadcast_to(binding_stage(parts, float(layout.overhead))["total"], tp.shape)
    ok &= np.asarray(fit_state(total, capacity, True, BAND), dtype=bool)
    if model.arch is not None and parts["per_layer"] is None:
        return None                        # the activations are not known: no fix can be shown to fit
    changed = {k: cols[k] != getattr(layout, k if k != "zero" else "zero_stage") for k in names}
    n_changes = sum(c.astype(int) for c in changed.values())
    ok &= n_changes > 0
    if not ok.any():
        return None
    log2 = np.log2
    cost = (np.array([_RECOMPUTE_COST[r] for r in cols["recompute"]]) - _RECOMPUTE_COST[layout.recompute]
            + (zero - layout.zero_stage) + np.array([_OFFLOAD_COST[o] for o in cols["offload"]])
            - _OFFLOAD_COST[layout.offload]
            + 2 * (log2(tp / layout.tp) + log2(pp / layout.pp) + log2(cp / layout.cp)))
    order = np.lexsort((cost, n_changes, gpus))
    for i in order[ok[order]][:8]:       # the best few, built and checked as layouts
        changes: dict[str, int | str] = {k: _plain(cols[k][i]) for k in names if changed[k][i]}
        kw: dict[str, object] = {k: _plain(cols[k][i]) for k in names}
        kw["fsdp"] = None if kw["zero"] != layout.zero_stage else layout.fsdp
        if kw["fsdp"] is not None:
            kw.pop("zero")
        if layout.gpus is not None:
            kw.update(dp=None if keep_gpus else layout.data_parallel, gpus=int(gpus[i]))
            if int(gpus[i]) != layout.gpus:
                changes["gpus"] = int(gpus[i])
        try:
            new = layout.with_(**kw)
            check_layout(model, new)
        except PlannerError:
            continue
        return Fix(layout=new, changes=changes, estimate=layout_estimate(model, new))
    return None


def _plain(x: object) -> int | str:
    """A numpy value of a candidate column as the int or str a layout field takes (the degrees are whole)."""
    if isinstance(x, str):
        return x
    assert isinstance(x, (int, float, np.integer, np.floating))
    return int(x)
