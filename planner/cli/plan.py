"""`planner check` and `planner report`: the verdict on one plan.

Both build one :class:`~planner.verdict.schema.Plan`, assess it once, print it with
:mod:`planner.surfaces.report` and exit as :class:`~planner.verdict.policy.Verdict` says.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .. import validate
from ..errors import ConfigError, UnknownModelError
from ..model.architecture import Architecture
from ..model.catalog import architecture, inspect, list_models
from ..surfaces.advisor_view import advice_text
from ..surfaces.report import SECTIONS, assessment_json, render_text
from ..training.budget import budget as make_budget
from ..training.compute import MFU_RANGE
from ..training.flops import CONVENTIONS, DEFAULT_CONVENTION
from ..verdict.advisor import Advice, advise
from ..verdict.assessment import Assessment, assess_plan
from ..verdict.planfile import load_plan
from ..verdict.schema import Plan
from .common import Subparsers, UsageError
from .launch import add_launch_options, add_plan_options, apply_plan_options, plan_from_launch_options

CHECK_SECTIONS = ("verdict", "model", "budget", "corpus")


def _model(args: argparse.Namespace) -> tuple[Architecture | None, int | None]:
    """(architecture, params) from --config / --model / --params; --config may be a config.json, a model folder or a
    checkpoint (safetensors, its index, GGUF): a checkpoint without a countable config gives N from its headers."""
    if args.params is not None:
        return None, args.params
    if args.model is not None:
        if args.model.lower() not in {m.lower() for m in list_models()}:
            raise UnknownModelError("model", f"{args.model!r} is not in the catalog (see `planner models`); "
                                             "for a config.json file use --config")
        return architecture(args.model), None
    try:
        arch, counts, _ = inspect(args.config)
    except ConfigError as e:
        if e.field.startswith("config."):
            raise
        raise ConfigError("config", e.problem) from None  # named as the option the user typed
    return (arch, None) if arch is not None else (None, counts.total)


def plan_from_args(args: argparse.Namespace) -> Plan:
    """The plan ``planner check``'s options describe.

    Args:
        args: the parsed options.

    Returns:
        The ``Plan``.

    Raises:
        UsageError: missing or conflicting options.
        PlannerError: a bad value (the error names the option).
    """
    launched = plan_from_launch_options(args)
    if launched is not None:
        if any(v is not None for v in (args.config, args.model, args.params, args.steps, args.micro_batch,
                                       args.grad_accum, args.data_parallel, args.seq_len, args.tokens_per_step)):
            raise UsageError("--launch-config gives the model and the budget: drop --config/--model/--params/"
                             "--steps/--micro-batch/--grad-accum/--data-parallel/--seq-len/--tokens-per-step")
        return apply_time_options(apply_plan_options(launched, args).with_(param_kind=args.param_kind), args)
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
    arch, params = _model(args)
    b = make_budget(args.steps, micro_batch=args.micro_batch, seq_len=args.seq_len, grad_accum=args.grad_accum,
                    data_parallel=args.data_parallel, tokens_per_step=args.tokens_per_step)
    return apply_time_options(apply_plan_options(Plan(budget=b, model=arch, params=params, name="check",
                                                      param_kind=args.param_kind), args), args)


def show(a: Assessment, args: argparse.Namespace, sections: Sequence[str], messages: bool,
         advice: Advice | None = None) -> int:
    """Print an assessment (text or JSON), the advisor's options when asked, and the verdict's notices.

    Args:
        a: the :class:`~planner.verdict.assessment.Assessment`.
        args: the parsed options (``--json``, the forces, ``--require-fit``).
        sections: the report sections to print.
        messages: print the report's messages.
        advice: the advisor's options, or None.

    Returns:
        The verdict's exit code.
    """
    v = a.verdict
    force, force_no_fit = args.force_under_provisioned, args.force_no_fit
    code = v.exit_code(force=force, force_no_fit=force_no_fit)
    if args.json:
        j = assessment_json(a, forced=v.gate_blocked and force, forced_no_fit=v.memory_blocked and force_no_fit)
        if advice is not None:
            j["advice"] = advice.to_dict()
        print(json.dumps(j, indent=2))
    else:
        print(render_text(a, sections, messages=messages))
        if advice is not None:
            print("\n" + advice_text(advice))
    for notice in v.notices:
        if notice.kind == "gate" and v.gate_blocked and not force:
            print(f"planner: {notice.text} Pass --force-under-provisioned to launch anyway.", file=sys.stderr)
        elif notice.kind == "memory" and v.memory_blocked and not force_no_fit:
            print(f"planner: {notice.text} Pass --force-no-fit to launch anyway.", file=sys.stderr)
        else:
            forced = (notice.kind == "gate" and v.gate_blocked) or (notice.kind == "memory" and v.memory_blocked)
            print(f"planner: warning: {notice.text}" + (" (forced)" if forced else ""), file=sys.stderr)
    if args.require_fit and v.fits is None:
        print("planner: warning: --require-fit: memory was not assessed (the plan has no [parallelism] layout)"
              if a.memory is None else "planner: warning: --require-fit: the memory estimate cannot decide the fit",
              file=sys.stderr)
    return code


def cmd_check(args: argparse.Namespace) -> int:
    """``planner check``: the verdict on a plan given by options.

    Args:
        args: the parsed options.

    Returns:
        The verdict's exit code (0 launch, 1 blocked).

    Raises:
        UsageError: missing or conflicting options.
        PlannerError: a bad value.
    """
    return show(assess_plan(plan_from_args(args)), args, CHECK_SECTIONS, messages=False)


def cmd_report(args: argparse.Namespace) -> int:
    """``planner report``: the whole assessment of a plan file or launch file.

    Args:
        args: the parsed options.

    Returns:
        The verdict's exit code (0 launch, 1 blocked).

    Raises:
        UsageError: neither or both of a plan file and ``--launch-config``.
        PlannerError: an unreadable or invalid plan.
    """
    if (args.plan is None) == (args.launch_config is None):
        raise UsageError("give a plan file or --launch-config FILE --format ..., exactly one")
    plan = apply_time_options(apply_plan_options(plan_from_launch_options(args) or load_plan(args.plan), args), args)
    advice = None
    if args.advice:
        advice = advise(plan)
    return show(assess_plan(plan), args, SECTIONS, messages=True, advice=advice)


def add_time_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that time the run: ``--mfu``, ``--mfu-convention``, ``--goodput``.

    Args:
        parser: an argparse parser.
    """
    parser.add_argument("--mfu", help="model FLOPs utilisation, a fraction of the dense peak (e.g. 0.4 or 40%%); "
                                      "replaces the plan's mfu or achieved_tflops")
    parser.add_argument("--mfu-convention", choices=list(CONVENTIONS),
                        help=f"which FLOPs the MFU counts (default {DEFAULT_CONVENTION}: 6·(N − embedding) + "
                             "12·L·H·Q·T, as torchtitan, nanochat and PaLM; megatron; llm-foundry; 6nd: 6·N only)")
    parser.add_argument("--goodput", help="fraction of wall-clock spent on useful steps (default 1; e.g. 0.9)")


def apply_time_options(plan: Plan, args: argparse.Namespace) -> Plan:
    """``plan`` with the options of :func:`add_time_options` that were given.

    Args:
        plan: the plan from the options, a plan file or a launch file.
        args: the parsed options.

    Returns:
        ``plan`` itself when none was given, else a new plan with them.

    Raises:
        InputError: a value the plan refuses (named ``hardware.mfu``, ``hardware.goodput``).
    """
    changes: dict[str, object] = {}
    if args.mfu is not None:
        changes.update(mfu=validate.positive_real("--mfu", args.mfu, minimum=MFU_RANGE[0], inclusive=True,
                                                  maximum=MFU_RANGE[1], percent=True), achieved_tflops=None)
    if args.mfu_convention is not None:
        changes["mfu_convention"] = args.mfu_convention
    if args.goodput is not None:
        changes["goodput"] = validate.positive_real("--goodput", args.goodput, maximum=1.0, percent=True)
    return plan.with_(**changes) if changes else plan


def add_verdict_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that decide the exit code: the two forces and ``--require-fit``.

    Args:
        parser: an argparse parser.
    """
    parser.add_argument("--force-under-provisioned", action="store_true",
                        help="exit 0 even when the gate blocks the plan's D/N (still warns)")
    parser.add_argument("--force-no-fit", action="store_true",
                        help="exit 0 even when the memory estimate says the plan does not fit (still warns)")
    parser.add_argument("--require-fit", action="store_true",
                        help="also warn when memory was not assessed (a plan that does not fit exits 1 anyway)")


def register(sub: Subparsers) -> None:
    """Add the ``check`` and ``report`` commands to the command line's subparsers.

    Args:
        sub: the ``add_subparsers()`` object.
    """
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
    add_plan_options(sc)
    add_time_options(sc)
    add_verdict_options(sc)
    sc.add_argument("--json", action="store_true", help="print a JSON object")
    sc.add_argument("--launch-config", metavar="FILE",
                    help="a framework's launch file instead of the model and budget options (with --format)")
    add_launch_options(sc)
    sc.set_defaults(func=cmd_check)

    sr = sub.add_parser("report", help="the whole assessment of a plan file; exit 1 when blocked")
    sr.add_argument("plan", nargs="?", help="a plan TOML file (see data/plans/)")
    sr.add_argument("--launch-config", metavar="FILE",
                    help="a framework's launch file instead of a plan (with --format)")
    add_launch_options(sr)
    add_plan_options(sr)
    add_time_options(sr)
    sr.add_argument("--advice", action="store_true",
                    help="also print what would fix it (the advisor's options; JSON key advice)")
    add_verdict_options(sr)
    sr.add_argument("--json", action="store_true", help="print a JSON object")
    sr.set_defaults(func=cmd_report)

