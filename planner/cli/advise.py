"""`planner shape` and `planner advise`: an architecture for a target size, and what would fix a plan."""

from __future__ import annotations

import argparse
import json

from ..files import checked_path, display
from ..format import fmt_int
from ..model.shapes import aspect_range, propose_shapes
from ..surfaces.advisor_view import advice_text
from ..verdict.advisor import Constraints, advise
from ..verdict.planfile import load_plan, save_plan
from .common import EXIT_OK, Subparsers, UsageError


def cmd_shape(args: argparse.Namespace) -> int:
    """Run ``planner shape``: architectures of a family whose exact N is within 2% of a target.

    Args:
        args: the parsed command line.

    Returns:
        The exit code (0).
    """
    shapes = propose_shapes(args.params, args.family, count=args.count)
    if args.json:
        print(json.dumps([{"config": s.config, "params": s.params, "active": s.active, "error": s.error}
                          for s in shapes], indent=2))
        return EXIT_OK
    lo, hi, _, names = aspect_range(shapes[0].target)
    print(f"{args.family} shapes for N = {fmt_int(shapes[0].target)} (within 2%; width/depth {lo:.0f}-{hi:.0f}, "
          f"from {', '.join(names)})")
    for i, s in enumerate(shapes, 1):
        moe = f", active {fmt_int(s.active)}" if s.active != s.params else ""
        print(f"{i}. N {fmt_int(s.params)} ({s.error:+.2%}{moe}): {s.num_layers} layers, hidden {s.hidden_size:,}, "
              f"{s.num_heads} heads ({s.num_kv_heads} kv, head_dim {s.head_dim}), intermediate "
              f"{s.intermediate_size:,}")
    return EXIT_OK


def cmd_advise(args: argparse.Namespace) -> int:
    """Run ``planner advise``: what would fix a plan, each option priced (and saved with ``-o``).

    Args:
        args: the parsed command line.

    Returns:
        The exit code (0).

    Raises:
        UsageError: ``-o`` names a file or a folder that cannot be written.
        PlannerError: a plan or a limit the planner refuses.
    """
    plan = load_plan(args.plan)
    limits = {k: getattr(args, k) for k in ("max_days", "max_gpus", "max_cost", "max_epochs", "unique_tokens")
              if getattr(args, k) is not None}
    constraints = Constraints(**limits, fixed_model=args.fixed_model, fixed_corpus=args.fixed_corpus)
    advice = advise(plan, constraints)
    if args.output is not None:
        out = checked_path(args.output, "-o", error=lambda f, p: UsageError(f"{f}: {p}"))
        if out.exists() and not out.is_dir():
            raise UsageError(f"-o: {display(out)} is a file; give a folder for the option plans")
        try:
            out.mkdir(parents=True, exist_ok=True)
            for o in advice.options:
                save_plan(o.plan, out / f"{o.kind}.toml", overwrite=True)
        except OSError as e:
            raise UsageError(f"-o: cannot write the option plans to the folder {display(out)}: "
                             f"{e.strerror or e}") from None
    if args.json:
        print(json.dumps([o.to_dict() for o in advice.options], indent=2))
        return EXIT_OK
    print(advice_text(advice))
    return EXIT_OK


def register(sub: Subparsers) -> None:
    """Add ``planner shape`` and ``planner advise`` to the command line.

    Args:
        sub: the parser's sub-parsers.
    """
    ss = sub.add_parser("shape", help="architectures of a family whose exact N is within 2%% of a target")
    ss.add_argument("--params", required=True, help="the target total N (e.g. 1.3e9, 1.3B)")
    ss.add_argument("--family", required=True,
                    help="llama, mistral, qwen2, qwen3, gemma2, mixtral, gpt2 or gpt_neox")
    ss.add_argument("--count", default=3, help="how many candidates (default 3)")
    ss.add_argument("--json", action="store_true", help="print a JSON list of {config, params, active, error}")
    ss.set_defaults(func=cmd_shape)

    sa = sub.add_parser("advise", help="what would fix a plan: train longer, a smaller model, a wider corpus, "
                                       "the data-constrained optimum, each priced")
    sa.add_argument("plan", help="a plan TOML file")
    sa.add_argument("--max-days", default=None, help="the longest wall-clock time allowed, in days")
    sa.add_argument("--max-gpus", default=None, help="the most GPUs the options may use")
    sa.add_argument("--max-cost", default=None, help="the most money the options may cost (needs a price)")
    sa.add_argument("--max-epochs", default=None, help="the most passes over the corpus an option may make "
                                                       "(default 16, the gate's own limit; 4 keeps repeated data "
                                                       "almost as good as fresh)")
    sa.add_argument("--unique-tokens", default=None, help="the corpus size, when it differs from the plan's")
    sa.add_argument("--fixed-model", action="store_true", help="the model cannot change")
    sa.add_argument("--fixed-corpus", action="store_true", help="the corpus cannot grow")
    sa.add_argument("-o", "--output", default=None, help="a folder to save each option as a plan TOML")
    sa.add_argument("--json", action="store_true", help="print a JSON list of options")
    sa.set_defaults(func=cmd_advise)
