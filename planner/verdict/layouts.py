"""The layouts that reach a plan's line fastest: :func:`plan_layouts`.

For the plan's model, global batch and accelerator, :func:`planner.training.layout_search.search_layouts` lists the
layouts of a GPU count that fit (memory with its band) by predicted step time; here each is priced as the plan's
verdict counts: the steps to its line (the gate's one "steps to the line", on effective tokens with a corpus) times
the step time, over the plan's goodput, on the GPUs at the plan's price. With a limit in days or dollars instead of a
GPU count, the fewest GPUs (powers of two) whose fastest layout keeps to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import validate
from ..errors import InputError
from ..training.flops import token_flops
from ..training.layout_search import kept_settings, layout_of_row, search_layouts, unsearched
from ..training.parallelism import Parallelism
from ..training.throughput import link, time_range
from ..training.throughput_calibration import BAND
from .assessment import assess_plan
from .schema import Plan

#: The GPU counts a limit in days or dollars tries, smallest first.
GPU_COUNTS = tuple(2**i for i in range(0, 17))


@dataclass(frozen=True)
class LayoutOption:
    """One layout, its predicted speed and the time and money to the plan's line.

    Args:
        layout: the layout (its GPU count set).
        step_seconds: one optimizer step, predicted.
        tokens_per_gpu_s: training tokens per second per GPU.
        mfu: model FLOPs utilisation on the default (palm) FLOPs.
        memory: bytes per GPU, the estimate; ``memory_upper`` its band's upper end (what "fits" is judged by).
        memory_upper: see ``memory``.
        days: wall-clock days to the line (over the goodput).
        cost: dollars to the line, None without a price.
    """

    layout: Parallelism
    step_seconds: float
    tokens_per_gpu_s: float
    mfu: float
    memory: float
    memory_upper: float
    days: float
    cost: float | None

    @property
    def days_range(self) -> tuple[float, float]:
        """The days to the line at the two ends of the throughput model's band."""
        return time_range(self.days)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the layout's fields and the numbers.

        Returns:
            A dict.
        """
        return {"layout": self.layout.to_dict(), "step_seconds": self.step_seconds,
                "tokens_per_gpu_s": self.tokens_per_gpu_s, "mfu": self.mfu, "memory": round(self.memory),
                "memory_upper": round(self.memory_upper), "days": self.days, "days_range": list(self.days_range),
                "cost": self.cost}


@dataclass(frozen=True)
class LayoutReport:
    """The search's answer for a plan.

    Args:
        plan: the plan.
        gpus: the GPU count searched (chosen by the limit when one was given).
        steps: the steps to the plan's line.
        line: the line (tokens per parameter).
        searched: candidates considered at that GPU count.
        fitting: how many of them fit.
        options: the fastest layouts, fastest first.
        limit: the limit in words, when one was given.
        band: the throughput model's uncertainty on the rate, either way (the times range from t/(1 + band) to
            t/(1 − band)).
        keep: the settings kept as given (:func:`~planner.training.layout_search.kept_settings`), empty when the
            search varied them all.
    """

    plan: Plan
    gpus: int
    steps: int
    line: float
    searched: int
    fitting: int
    options: tuple[LayoutOption, ...]
    limit: str | None = None
    band: float = BAND
    keep: dict[str, int | str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready.

        Returns:
            A dict with the plan's name, the GPUs, the steps and line, the counts, the settings kept and the options.
        """
        return {"plan": self.plan.name, "gpus": self.gpus, "accelerator": self.plan.accelerator,
                "steps_to_line": self.steps, "line": self.line, "searched": self.searched, "fitting": self.fitting,
                "limit": self.limit, "band": self.band, "keep": dict(self.keep),
                "options": [o.to_dict() for o in self.options]}


def plan_layouts(plan: Plan, *, gpus: int | None = None, max_days: float | None = None,
                 max_cost: float | None = None, top: int = 5, framework: str | None = None,
                 keep: Mapping[str, Any] | str | None = None) -> LayoutReport:
    """The layouts that reach the plan's line fastest on its accelerator.

    Args:
        plan: a plan with an architecture, a batch shape (micro-batch × accumulation × data parallel × sequence)
            and an accelerator with known bandwidths.
        gpus: the GPUs to lay out (default: the plan's count); not with a limit.
        max_days: instead of a GPU count: the fewest GPUs whose fastest layout reaches the line within these days.
        max_cost: the same within these dollars (needs the plan's price).
        top: how many layouts to return.
        framework: the stack to lay out for (its sharding and memory behaviour); default: the plan's layout's.
        keep: settings the search keeps as given, the rest ranked (``{"cp": 1}``, ``"tp=8, cp=1"``; the names of
            :data:`~planner.training.layout_search.KEEP_KEYS`).

    Returns:
        The :class:`LayoutReport` (no options when nothing fits or no GPU count keeps to the limit).

    Raises:
        InputError: naming the field: not a plan, a plan without an architecture or a sequence length, a bad count
            or limit, a cost limit without a price, a GPU count given with a limit, a kept setting
            (``keep tp``) that is unknown or not a whole number.
    """
    if not isinstance(plan, Plan):
        raise InputError("plan", "a planner.Plan", type(plan).__name__)
    if plan.model is None:
        raise InputError("model", "an architecture (a parameter count has no layers to lay out)", plan.params)
    b = plan.budget
    if b.seq_len is None:
        raise InputError("training.seq_len", "a sequence length (give micro_batch, grad_accum, data_parallel and "
                         "seq_len)", None)
    top = validate.count("top", top, maximum=1000)
    kept = kept_settings(keep)
    if gpus is not None and (max_days is not None or max_cost is not None):
        raise InputError("gpus", "a GPU count or a limit in days or dollars, not both", gpus)
    if max_cost is not None and plan.price_per_gpu_hour is None:
        raise InputError("max_cost", "a plan with a price per GPU-hour", max_cost)
    a = assess_plan(plan)
    steps = a.gate.steps_to_optimal
    if steps is None:
        raise InputError("training.tokens_per_step", "a plan whose line can be reached", None)
    # the plan's own degrees, sharding and recompute are what the search varies: it starts from none of them
    base = unsearched(plan.parallelism or Parallelism(flash_attention=True)).with_(seq_len=b.seq_len)
    if framework is not None:
        base = base.with_(framework=framework)
    link(plan.accelerator)   # refuse an accelerator without bandwidths before searching
    limit = None
    if max_days is not None or max_cost is not None:
        days = None if max_days is None else validate.positive_real("max_days", max_days)
        cost = None if max_cost is None else validate.positive_real("max_cost", max_cost)
        limit = " and ".join(x for x in (f"{days:g} days" if days else "", f"${cost:,.0f}" if cost else "") if x)
        for count in GPU_COUNTS:
            report = _report(plan, base, count, steps, top, plan.thresholds.optimal, limit, kept)
            best = report.options[0] if report.options else None
            if best is not None and (days is None or best.days <= days) and (
                    cost is None or (best.cost is not None and best.cost <= cost)):
                return report
        return LayoutReport(plan, GPU_COUNTS[-1], steps, plan.thresholds.optimal, 0, 0, (), limit, keep=kept)
    count = validate.count("gpus", plan.count if gpus is None else gpus, maximum=10**7)
    return _report(plan, base, count, steps, top, plan.thresholds.optimal, limit, kept)


def _report(plan: Plan, base: Parallelism, gpus: int, steps: int, top: int, line: float,
            limit: str | None, kept: dict[str, int | str]) -> LayoutReport:
    b = plan.budget
    assert plan.model is not None and b.seq_len is not None   # checked by plan_layouts
    frame = search_layouts(plan.model, gpus, plan.accelerator, seq_len=b.seq_len, tokens_per_step=b.tokens_per_step,
                           base=base, keep=kept)
    options = []
    for _, row in frame[frame["distinct"]].head(top).iterrows():     # equally fast layouts once, the simplest
        seconds = steps * float(row["step_seconds"]) / plan.goodput
        days = seconds / 86400
        cost = None if plan.price_per_gpu_hour is None else seconds / 3600 * gpus * plan.price_per_gpu_hour
        layout = layout_of_row(row, base, gpus)
        tps = float(row["tokens_per_gpu_s"])
        options.append(LayoutOption(layout=layout, step_seconds=float(row["step_seconds"]), tokens_per_gpu_s=tps,
                                    mfu=_mfu(plan, tps), memory=float(row["memory"]),
                                    memory_upper=float(row["memory_upper"]), days=days, cost=cost))
    return LayoutReport(plan, gpus, steps, line, int(frame.attrs["searched"]), len(frame), tuple(options), limit,
                        keep=kept)


def _mfu(plan: Plan, tokens_per_gpu_s: float) -> float:
    """MFU of a throughput on the plan's own MFU convention's FLOPs."""
    assert plan.model is not None and plan.budget.seq_len is not None
    per_token = token_flops(plan.model, plan.budget.seq_len, plan.mfu_convention).model
    return tokens_per_gpu_s * per_token / (plan.hardware["peak_tflops"] * 1e12)
