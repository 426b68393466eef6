"""`planner layout`: the layouts that fit a plan's GPUs, ranked by predicted time to its line."""

from __future__ import annotations

import argparse
import json

from .. import validate
from ..errors import InputError
from ..files import write_text
from ..launch.write import WRITE_FORMATS, write_launch
from ..surfaces.layout_text import layout_lines
from ..training.frameworks import FRAMEWORKS
from ..training.layout_search import KEEP_KEYS, kept_settings
from ..verdict.layouts import LayoutReport, plan_layouts
from ..verdict.planfile import load_plan
from .common import EXIT_BLOCKED, EXIT_OK, Subparsers, UsageError


def cmd_layout(args: argparse.Namespace) -> int:
    """Run ``planner layout``: print the fastest layouts (text or JSON); exit 1 when none fits.

    Args:
        args: the parsed command line.

    Returns:
        The exit code: 0, or 1 when no layout fits (or keeps to the limit).

    Raises:
        PlannerError: a bad plan, option or accelerator (the error names the field).
    """
    if (args.write is None) != (args.output is None):
        raise UsageError("--write FORMAT and -o FILE go together")
    if args.rank is not None and args.write is None:
        raise UsageError("--rank N chooses the layout --write writes")
    plan = load_plan(args.plan)
    if args.write is not None and args.write not in WRITE_FORMATS:
        raise InputError("--write", f"one of {', '.join(WRITE_FORMATS)}", args.write)
    if args.framework is not None and args.framework not in FRAMEWORKS:
        raise InputError("--framework", f"one of {', '.join(FRAMEWORKS)}", args.framework)
    if args.write is not None and args.framework not in (None, args.write):
        raise InputError("--framework", f"{args.write!r} with --write {args.write} (the file runs on it)",
                         args.framework)
    keep = None if not args.keep else kept_settings(",".join(args.keep), "--keep")
    report = plan_layouts(plan, gpus=args.gpus, max_days=args.max_days, max_cost=args.max_cost, top=args.top,
                          framework=args.write or args.framework, keep=keep)
    rank = None if args.rank is None else validate.count("--rank", args.rank, maximum=max(1, len(report.options)))
    written = None if args.write is None else _write(report, args.write, args.output, rank)
    if args.json:
        print(json.dumps({**report.to_dict(), "written": written}, indent=2))
    else:
        print("\n".join(layout_lines(report)))
        if written is not None:
            print(f"Wrote layout {written['rank']} as a {args.write} launch file: {written['path']} "
                  f"(read it back: {written['read_back']})")
    return EXIT_OK if report.options else EXIT_BLOCKED


def _write(report: LayoutReport, fmt: str, output: str, chosen: int | None) -> dict[str, object] | None:
    """Write the chosen option, or the fastest the format can state; its rank and path, or None when there is
    none."""
    plan = report.plan.with_(count=report.gpus)
    refusals = []
    for rank, option in enumerate(report.options, 1):
        if chosen is not None and rank != chosen:
            continue
        try:   # the accumulation is the global batch over micro-batch × DP, which both formats state
            text = write_launch(plan, option.layout.with_(micro_batches=None), fmt)
        except InputError as e:
            refusals.append(f"layout {rank}: {e.field}")
            continue
        path = write_text(output, text, "-o", error=InputError)
        return {"rank": rank, "path": str(path), "format": fmt,
                "read_back": f"planner import {path} --format {fmt} --gpus {report.gpus}"}
    if report.options and chosen is not None:
        raise InputError("--rank", f"a layout {fmt} can state", detail=f"{fmt} cannot state layout {chosen} "
                         f"({refusals[0].split(': ', 1)[1]}); choose another")
    if report.options:
        raise InputError("--write", f"a layout {fmt} can state", detail=f"{fmt} cannot state any of the "
                         f"{len(report.options)} layouts shown ({'; '.join(refusals)}); show more with --top")
    return None


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
    sl.add_argument("--write", help=f"write the fastest layout shown that the format can state as a launch file: "
                                    f"{', '.join(WRITE_FORMATS)} (the search then follows that framework)")
    sl.add_argument("-o", "--output", help="the launch file to write (with --write)")
    sl.add_argument("--rank", help="with --write: the layout to write, by its number in the table (default: the "
                                   "fastest the format can state)")
    sl.add_argument("--framework", help=f"search as this stack runs: {', '.join(FRAMEWORKS)} (its parallelism, "
                                        "recompute, sharding and memory; default: the plan's [parallelism] "
                                        "framework, else pytorch)")
    sl.add_argument("--keep", action="append", metavar="SETTINGS",
                    help=f"settings to keep as given, the rest searched: name=value among {', '.join(KEEP_KEYS)} "
                         "(--keep tp=8,cp=1; repeatable)")
    sl.set_defaults(func=cmd_layout)
