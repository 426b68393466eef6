"""`planner layout`: the layouts that fit a plan's GPUs, ranked by predicted time to its line."""

from __future__ import annotations

import argparse
import json

from ..surfaces.layout_text import layout_lines
from ..verdict.layouts import plan_layouts
from ..verdict.planfile import load_plan
from .common import EXIT_BLOCKED, EXIT_OK, Subparsers


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
