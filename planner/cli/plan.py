"""`planner check` and `planner report`: the verdict on one plan.

Both build one :class:`~planner.verdict.plan.Plan`, assess it once, print it with
:mod:`planner.surfaces.report` and exit as :class:`~planner.verdict.policy.Verdict` says.
"""

from __future__ import annotations

import json
import sys

from ..errors import ConfigError, UnknownModelError
from ..model.catalog import architecture, list_models
from ..surfaces.report import SECTIONS, render_text
from ..training.budget import budget as make_budget
from ..verdict.gate import Thresholds
from ..verdict.plan import Plan, assess_plan, load_plan
from .common import UsageError
from .launch import add_launch_options, plan_from_launch_options

CHECK_SECTIONS = ("verdict", "model", "budget", "corpus")


def _model(args):
    """(architecture, params) from --config / --model / --params; --config may be a config.json, a model folder or a
    checkpoint (safetensors, its index, GGUF): a checkpoint without a countable config gives N from its headers."""
    if args.params is not None:
        return None, args.params
    if args.model is not None:
        if args.model.lower() not in {m.lower() for m in list_models()}:
            raise UnknownModelError("model", f"{args.model!r} is not in the catalog (see `planner models`); "
                                             "for a config.json file use --config")
        return architecture(args.model), None
    from ..model.catalog import inspect
    try:
        arch, counts, _ = inspect(args.config)
    except ConfigError as e:
        if e.field.startswith("config."):
            raise
        raise ConfigError("config", e.problem) from None  # named as the option the user typed
    return (arch, None) if arch is not None else (None, counts.total)


def plan_from_args(args) -> Plan:
    """The plan ``planner check``'s options describe (errors name the option)."""
    launched = plan_from_launch_options(args)
    if launched is not None:
        if any(v is not None for v in (args.config, args.model, args.params, args.steps, args.micro_batch,
                                       args.grad_accum, args.data_parallel, args.seq_len, args.tokens_per_step)):
            raise UsageError("--launch-config gives the model and the budget: drop --config/--model/--params/"
                             "--steps/--micro-batch/--grad-accum/--data-parallel/--seq-len/--tokens-per-step")
        if args.unique_tokens is not None and args.corpus is not None:
            raise UsageError("--corpus and --unique-tokens cannot be combined")
        return launched.with_(corpus_name=args.corpus, unique_tokens=args.unique_tokens, param_kind=args.param_kind,
                              thresholds=Thresholds(args.severe, args.block, args.optimal))
    if args.steps is None:
        raise UsageError("--steps is required (or --launch-config FILE --format ...)")
    if args.config is None and args.model is None and args.params is None:
        raise UsageError("one of --config, --model or --params is required")
    if args.tokens_per_step is not None and (args.micro_batch is not None or args.seq_len is not None
                                             or args.grad_accum is not None or args.data_parallel is not None):
        raise UsageError("--tokens-per-step cannot be combined with --micro-batch/--seq-len/--grad-accum/"
                         "--data-parallel")
    if args.tokens_per_step is None and (args.micro_batch is None or args.seq_len is None):
        raise UsageError("give --micro-batch and --seq-len (with optional --grad-accum, --data-parallel), "
                         "or --tokens-per-step")
    if args.unique_tokens is not None and args.corpus is not None:
        raise UsageError("--corpus and --unique-tokens cannot be combined")
    arch, params = _model(args)
    b = make_budget(args.steps, micro_batch=args.micro_batch, seq_len=args.seq_len, grad_accum=args.grad_accum,
                    data_parallel=args.data_parallel, tokens_per_step=args.tokens_per_step,
                    prior_tokens=0 if args.prior_tokens is None else args.prior_tokens)
    return Plan(budget=b, model=arch, params=params, name="check", corpus_name=args.corpus,
                unique_tokens=args.unique_tokens, thresholds=Thresholds(args.severe, args.block, args.optimal),
                param_kind=args.param_kind)


def show(a, args, sections, messages: bool) -> int:
    """Print an assessment (text or JSON) and its notices; return the verdict's exit code."""
    v = a.verdict
    force = args.force_under_provisioned
    forced = v.blocked and force
    if args.json:
        print(json.dumps({**a.to_dict(), "forced": forced}, indent=2))
    else:
        print(render_text(a, sections, messages=messages))
    code = v.exit_code(force=force, require_fit=args.require_fit)
    for notice in v.notices:
        if notice.kind == "gate" and code:
            print(f"planner: {notice.text} Pass --force-under-provisioned to launch anyway.", file=sys.stderr)
        else:
            print(f"planner: warning: {notice.text}" + (" (forced past the gate)" if forced and notice.kind == "gate"
                                                      else ""), file=sys.stderr)
    if args.require_fit and v.fits is None:
        print("planner: warning: --require-fit: memory was not assessed (the plan has no [parallelism] layout)",
              file=sys.stderr)
    return code


def cmd_check(args) -> int:
    return show(assess_plan(plan_from_args(args)), args, CHECK_SECTIONS, messages=False)


def cmd_report(args) -> int:
    if (args.plan is None) == (args.launch_config is None):
        raise UsageError("give a plan file or --launch-config FILE --format ..., exactly one")
    plan = plan_from_launch_options(args) or load_plan(args.plan)
    return show(assess_plan(plan), args, SECTIONS, messages=True)


def register(sub) -> None:
    sc = sub.add_parser("check", help="judge a training plan's D/N; exit 1 when blocked")
    src = sc.add_mutually_exclusive_group()
    src.add_argument("--config", help="path to a config.json")
    src.add_argument("--model", help="a catalog model name")
    src.add_argument("--params", help="N directly (e.g. 494032768, 7e9, 7B)")
    sc.add_argument("--param-kind", default="total", choices=["total", "non_embedding", "active"],
                    help="which N the ratio uses (default total, the Chinchilla convention)")
    sc.add_argument("--steps", help="optimizer steps")
    sc.add_argument("--micro-batch", help="sequences per device per micro-step")
    sc.add_argument("--grad-accum", help="gradient-accumulation steps (default 1)")
    sc.add_argument("--data-parallel", help="data-parallel ranks (default 1)")
    sc.add_argument("--seq-len", help="tokens per sequence")
    sc.add_argument("--tokens-per-step", help="tokens per optimizer step, instead of the batch layout")
    sc.add_argument("--prior-tokens", help="tokens the starting checkpoint already saw (continued pretraining)")
    sc.add_argument("--unique-tokens", help="unique tokens in the corpus (adds epochs and the D/N ceiling)")
    sc.add_argument("--corpus", help="a corpus name from data/corpora.csv, instead of --unique-tokens")
    sc.add_argument("--severe", default=5.0, help="severe line in tokens per parameter (default 5)")
    sc.add_argument("--block", default=10.0, help="launch threshold (default 10)")
    sc.add_argument("--optimal", default=20.0, help="compute-optimal line (default 20)")
    sc.add_argument("--force-under-provisioned", action="store_true", help="exit 0 even when blocked (still warns)")
    sc.add_argument("--require-fit", action="store_true", help="exit 1 when the plan does not fit in GPU memory")
    sc.add_argument("--json", action="store_true", help="print a JSON object")
    sc.add_argument("--launch-config", metavar="FILE",
                    help="a framework's launch file instead of the model and budget options (with --format)")
    add_launch_options(sc)
    sc.set_defaults(func=cmd_check)

    sr = sub.add_parser("report", help="the whole assessment of a plan file; exit 1 when blocked")
    sr.add_argument("plan", nargs="?", help="a plan TOML file (see data/plans/)")
    sr.add_argument("--launch-config", metavar="FILE", help="a framework's launch file instead of a plan (with --format)")
    add_launch_options(sr)
    sr.add_argument("--require-fit", action="store_true", help="exit 1 when the plan does not fit in GPU memory")
    sr.add_argument("--force-under-provisioned", action="store_true", help="exit 0 even when blocked (still warns)")
    sr.add_argument("--json", action="store_true", help="print a JSON object")
    sr.set_defaults(func=cmd_report)

