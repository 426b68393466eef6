"""`planner import`: a plan from a training framework's launch file.

Also the options other commands add to take a launch file instead of a plan
(:func:`add_launch_options`, :func:`plan_from_launch_options`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .. import files, validate
from ..errors import ConfigError, InputError
from ..format import fmt_int
from ..launch import LaunchConfig, read_launch_config
from ..verdict.assessment import assess_plan
from ..verdict.gate import Thresholds
from ..verdict.planfile import plan_to_dict
from ..verdict.schema import Plan
from .common import EXIT_OK, Subparsers, UsageError

FORMATS = ("megatron", "torchtitan", "litgpt", "nanogpt", "hf-trainer")  # planner.launch.FORMATS, without importing it


def add_launch_options(parser: argparse.ArgumentParser, *, required: bool = False,
                       seq_len_option: str = "--launch-seq-len") -> None:
    """``--format … [--gpus G] [--nodes N] [--gpus-per-node K] [--dataset-size S] [--seq-len L]``.

    The launch file itself is added by the caller (a positional for ``import``,
    ``--launch-config FILE`` elsewhere); ``seq_len_option`` names the sequence-length option
    (``--seq-len`` for ``import``; commands that already have a ``--seq-len`` use the default).
    An option the parser already has (``memory``'s ``--gpus``, the same total) is not added twice.

    Args:
        parser: The command's :class:`argparse.ArgumentParser`.
        required: ``--format`` is required (``import``, whose launch file is positional).
        seq_len_option: The name of the sequence-length option (its dest is ``launch_seq_len``).
    """
    options: list[tuple[str, dict[str, Any]]] = [   # argparse's keyword arguments, option by option
        ("--format", dict(choices=FORMATS, required=required, help="the framework the launch file is for")),
        ("--gpus", dict(metavar="G", help="total GPUs of the run, when the file does not say "
                             "(data-parallel = GPUs / (tensor × pipeline × context parallel))")),
        ("--nodes", dict(metavar="N", help="number of nodes (with --gpus-per-node, or --gpus as the total)")),
        ("--gpus-per-node", dict(metavar="K", help="GPUs per node (with --nodes)")),
        ("--dataset-size", dict(metavar="S", help="training samples, for an epoch-based Hugging Face run")),
        (seq_len_option, dict(dest="launch_seq_len", metavar="L",
                              help="tokens per sample, for Hugging Face arguments that do not state it")),
    ]
    for name, kwargs in options:
        if name not in parser._option_string_actions:
            parser.add_argument(name, **kwargs)


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    """Add the plan options every command that builds a plan takes, with or without a launch file.

    They are the prior tokens, the corpus and the gate's lines (``--prior-tokens``,
    ``--unique-tokens``/``--corpus``, ``--severe``, ``--block``, ``--optimal``); each overrides what the
    plan file or launch file says (:func:`apply_plan_options`).

    Args:
        parser: The command's :class:`argparse.ArgumentParser`.
    """
    parser.add_argument("--prior-tokens", help="tokens the starting checkpoint already saw (continued pretraining)")
    parser.add_argument("--unique-tokens", help="unique tokens in the corpus (adds epochs and the D/N ceiling)")
    parser.add_argument("--corpus", help="a corpus name from data/corpora.csv, instead of --unique-tokens")
    parser.add_argument("--severe", help="severe line in tokens per parameter (default 5)")
    parser.add_argument("--block", help="launch threshold (default 10)")
    parser.add_argument("--optimal", help="compute-optimal line (default 20)")


def apply_plan_options(plan: Plan, args: argparse.Namespace) -> Plan:
    """``plan`` with the options of :func:`add_plan_options` that were given (the one meaning of each option).

    Args:
        plan: The :class:`~planner.verdict.schema.Plan` read from a plan or launch file.
        args: The parsed arguments.

    Returns:
        ``plan`` itself when no option was given, else a new plan with them applied.

    Raises:
        UsageError: Both ``--corpus`` and ``--unique-tokens`` were given.
        InputError: A line out of order (named ``--severe``/``--block``/``--optimal`` when only that one
            was given), or ``--prior-tokens`` not a whole number from 0; or a value the plan refuses.
    """
    from dataclasses import replace

    if args.unique_tokens is not None and args.corpus is not None:
        raise UsageError("--corpus and --unique-tokens cannot be combined")
    changes: dict[str, object] = {}
    if args.corpus is not None:
        changes.update(corpus_name=args.corpus, unique_tokens=None)
    elif args.unique_tokens is not None:
        changes.update(unique_tokens=args.unique_tokens, corpus_name=None)
    lines = {k: getattr(args, k) for k in ("severe", "block", "optimal") if getattr(args, k) is not None}
    if lines:
        t = plan.thresholds
        try:
            changes["thresholds"] = Thresholds(**{"severe": t.severe, "block": t.block, "optimal": t.optimal, **lines})
        except InputError as e:   # name the option the user gave when they gave one line
            if len(lines) == 1 and not e.field.endswith(next(iter(lines))):
                name = next(iter(lines))
                raise InputError(f"--{name}", "", detail=f"must keep the lines in order, severe <= launch (block) <= "
                                 f"optimal (the others are severe {t.severe:g}, block {t.block:g}, optimal "
                                 f"{t.optimal:g}), got {lines[name]}") from None
            raise
    if args.prior_tokens is not None:
        prior = validate.count("--prior-tokens", args.prior_tokens, minimum=0)
        changes["budget"] = replace(plan.budget, prior_tokens=prior)
    return plan.with_(**changes) if changes else plan


def read_from_options(path: str, args: argparse.Namespace) -> LaunchConfig:
    """The :class:`planner.launch.LaunchConfig` of ``path`` with the options of :func:`add_launch_options`.

    Args:
        path: The launch file.
        args: The parsed arguments (``format``, ``gpus``, ``nodes``, ``gpus_per_node``, ``dataset_size``,
            ``launch_seq_len``).

    Returns:
        The launch config.

    Raises:
        UsageError: ``--format`` was not given.
        ConfigError: The launch file cannot be read or does not describe a run (from
            :func:`planner.launch.read_launch_config`).
    """
    if args.format is None:
        raise UsageError(f"--format is required with a launch file (one of {', '.join(FORMATS)})")
    return read_launch_config(path, args.format, gpus=args.gpus, nodes=args.nodes,
                              gpus_per_node=args.gpus_per_node, dataset_size=args.dataset_size,
                              seq_len=getattr(args, "launch_seq_len", None))


def plan_from_launch_options(args: argparse.Namespace) -> Plan | None:
    """The :class:`planner.Plan` of ``--launch-config FILE --format …``, or ``None`` without ``--launch-config``.

    Args:
        args: The parsed arguments.

    Returns:
        The plan the launch file describes, or None.

    Raises:
        UsageError: ``--launch-config`` without ``--format``.
        ConfigError: As for :func:`read_from_options`.
    """
    if getattr(args, "launch_config", None) is None:
        return None
    return read_from_options(args.launch_config, args).plan()


def _value(v: object) -> str:
    if isinstance(v, bool) or not isinstance(v, int):
        return str(v)
    return fmt_int(v)


def print_fields(lc: LaunchConfig) -> None:
    """Print the fields read (with their lines) and the values assumed (with why).

    Args:
        lc: The :class:`planner.launch.LaunchConfig`.
    """
    print(f"Read from {lc.path.name} ({lc.format})")
    for f in sorted(lc.read, key=lambda f: (f.line is None, f.line or 0)):
        where = f"line {f.line}" if f.line else "-"
        print(f"  {where:<9} {f.key} = {_value(f.value)}  -> {f.sets}")
    if lc.assumed:
        print("Assumed")
        for a in lc.assumed:
            print(f"  {a.key} = {_value(a.value)}  ({a.why})")


def cmd_import(args: argparse.Namespace) -> int:
    """``planner import FILE --format …``: print (and with ``-o`` write) the plan a launch file describes.

    Args:
        args: The parsed arguments of the ``import`` subcommand.

    Returns:
        :data:`EXIT_OK` (0): the plan is printed whatever its verdict.
    """
    import tomli_w

    lc = read_from_options(args.file, args)
    plan = apply_plan_options(lc.plan(), args)
    a = assess_plan(plan)
    text = lc.to_toml() if plan == lc.plan() else tomli_w.dumps({**lc.document, **plan_to_dict(plan)})
    if args.output:
        files.write_text(args.output, text, "-o", error=ConfigError)
    if args.json:
        print(json.dumps({**lc.to_dict(), "params": a.params, "tokens": a.gate.tokens, "ratio": a.gate.ratio,
                          "level": a.gate.level, "blocked": a.verdict.blocked, "verdict": a.verdict.to_dict(),
                          "output": args.output}, indent=2, default=str))
        return EXIT_OK
    print_fields(lc)
    print("Plan" + (f" (written to {args.output})" if args.output else ""))
    for line in text.rstrip().splitlines():
        print(f"  {line}" if line else "")
    print(f"N {fmt_int(a.params)} parameters, D {fmt_int(a.gate.tokens)} tokens; verdict {a.verdict.headline}")
    if lc.parallelism:
        print("Parallelism " + ", ".join(f"{k} {v}" for k, v in lc.parallelism.items()))
    return EXIT_OK


def register(sub: Subparsers) -> None:
    """Add the ``import`` subcommand.

    Args:
        sub: The subparsers of the ``planner`` parser.
    """
    sp = sub.add_parser("import", help="a plan from a launch file (Megatron-LM, torchtitan, LitGPT, nanoGPT, "
                                       "Hugging Face Trainer)")
    sp.add_argument("file", help="the launch file: a Megatron-LM script or argument file, a torchtitan TOML, a "
                                 "LitGPT YAML, a nanoGPT config, Hugging Face TrainingArguments JSON/YAML")
    add_launch_options(sp, required=True, seq_len_option="--seq-len")
    add_plan_options(sp)
    sp.add_argument("-o", "--output", help="write the plan as a plan TOML file (readable by `planner report`)")
    sp.add_argument("--json", action="store_true", help="print a JSON object")
    sp.set_defaults(func=cmd_import)
