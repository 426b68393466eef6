"""`planner layout`: the layouts that fit a plan's GPUs, ranked by predicted time to its line."""

from __future__ import annotations

import argparse
import json

from ..format import fmt_gib, fmt_hours, fmt_int, fmt_money
from ..model.params import count_params
from ..verdict.layouts import LayoutOption, LayoutReport, plan_layouts
from ..verdict.planfile import load_plan
from .common import EXIT_BLOCKED, EXIT_OK, Subparsers


def _sharding(o: LayoutOption) -> str:
    p = o.layout
    return "FSDP" if p.zero_stage == 3 else f"ZeRO {p.zero_stage}" if p.zero_stage else "none"


def layout_lines(r: LayoutReport) -> list[str]:
    """The report as text lines: what was searched, one line per layout, the fastest first.

    Args:
        r: a :class:`~planner.verdict.layouts.LayoutReport`.

    Returns:
        The lines.
    """
    plan, b = r.plan, r.plan.budget
    assert plan.model is not None and b.seq_len is not None    # plan_layouts refuses anything else
    n = count_params(plan.model).total
    head = [f"Layouts for {plan.name}: {plan.model.name}, {fmt_int(n)} parameters, {r.gpus:,} × "
            f"{plan.hardware['name']}{f' (the fewest GPUs within {r.limit})' if r.limit else ''}",
            f"Global batch {fmt_int(b.tokens_per_step)} tokens ({b.tokens_per_step // b.seq_len:,} × {b.seq_len:,}); "
            f"the {r.line:g}× line in {fmt_int(r.steps)} steps"]
    if not r.options:
        why = f"no GPU count up to {r.gpus:,} keeps to {r.limit}" if r.limit else "no layout fits"
        return [*head, f"None: {why} ({fmt_int(r.searched)} layouts searched)."]
    rows = [f"{'':>3} {'TP':>3} {'PP':>3} {'CP':>3} {'EP':>3} {'DP':>6} {'micro':>5} {'accum':>5} "
            f"{'recompute':<10}{'sharding':<9}{'memory/GPU':>11} {'tokens/s/GPU':>13} {'MFU':>5} {'step':>8}  "
            f"to the line"]
    for i, o in enumerate(r.options, 1):
        p = o.layout
        money = "" if o.cost is None else f", {fmt_money(o.cost)}"
        rows.append(f"{i:>3} {p.tp:>3} {p.pp:>3} {p.cp:>3} {p.ep:>3} {p.data_parallel:>6,} {p.micro_batch:>5} "
                    f"{p.micro_batches or 1:>5} {p.recompute:<10}{_sharding(o):<9}{fmt_gib(o.memory):>11} "
                    f"{o.tokens_per_gpu_s:>13,.0f} {o.mfu:>5.0%} {o.step_seconds:>7.2f}s  "
                    f"{fmt_hours(o.days * 24)}{money}")
    foot = [f"{fmt_int(r.fitting)} of {fmt_int(r.searched)} layouts fit (memory ± 10%, judged at the upper end); "
            f"memory as {r.options[0].layout.framework} runs it; times at goodput {plan.goodput:g}."]
    return [*head, *rows, *foot]


def cmd_layout(args: argparse.Namespace) -> int:
    """Run ``planner layout``: print the fastest layouts (text or JSON); exit 1 when none fits.

    Args:
        args: the parsed command line.

    Returns:
        The exit code: 0, or 1 when no layout fits (or keeps to the limit).

    Raises:
        PlannerError: a bad plan, option or accelerator (the error names the field).
    """
    plan = load_plan(args.plan)
    report = plan_layouts(plan, gpus=args.gpus, max_days=args.max_days, max_cost=args.max_cost, top=args.top)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print("\n".join(layout_lines(report)))
    return EXIT_OK if report.options else EXIT_BLOCKED


def register(sub: Subparsers) -> None:
    """Add ``planner layout`` to the command line.

    Args:
        sub: the parser's sub-parsers.
    """
    sl = sub.add_parser("layout", help="the layouts that fit a plan's GPUs, fastest to its line first")
    sl.add_argument("plan", help="a plan TOML file with a model, a batch shape and an accelerator")
    sl.add_argument("--gpus", help="GPUs to lay out (default: the plan's [hardware] count)")
    sl.add_argument("--max-days", help="instead of --gpus: the fewest GPUs that reach the line within these days")
    sl.add_argument("--max-cost", help="instead of --gpus: the fewest GPUs that reach the line within these dollars")
    sl.add_argument("--top", default=5, help="how many layouts to show (default 5)")
    sl.add_argument("--json", action="store_true", help="print a JSON object")
    sl.set_defaults(func=cmd_layout)
