"""`planner memory`: bytes per GPU for a model and a layout, and whether it fits an accelerator."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import InputError, PlanFileError, UnknownModelError
from ..format import fmt_gib, fmt_int
from ..model.architecture import Architecture
from ..model.catalog import architecture
from ..surfaces.memory_text import memory_rows
from ..training.frameworks import FRAMEWORKS
from ..training.memory import memory_estimate
from ..training.memory.result import MemoryEstimate
from ..training.parallelism import LOSSES, OFFLOAD, OPTIMIZERS, PRECISIONS, RECOMPUTE, Parallelism
from .common import EXIT_BLOCKED, EXIT_OK, Subparsers, UsageError
from .launch import add_launch_options, read_from_options

_VALUES = ("micro_batch", "seq_len", "tp", "pp", "dp", "ep", "cp", "etp", "vpp", "micro_batches", "zero", "fsdp",
           "gpus", "overhead", "recompute", "recompute_layers", "precision", "optimizer", "framework", "loss",
           "offload")


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The layout fields the options set (flags only when switched on)."""
    # Any: the options as typed, before Parallelism validates them
    kw = {k: getattr(args, k) for k in _VALUES if getattr(args, k) is not None}
    kw.update({k: True for k in ("sp", "flash_attention", "fp32_grads", "compile", "fp8", "tp_overlap")
               if getattr(args, k)})
    if args.dropout is not None:
        kw["dropout"] = args.dropout
    if args.no_master_weights:
        kw["master_weights"] = False
    return kw


def _layout(args: argparse.Namespace, base: Parallelism | None = None, source: str = "") -> Parallelism:
    """The layout of the options, or a launch file's layout with the options given on top of it.

    An option overrides the file: ``--zero`` replaces the file's FSDP sharding and ``--fsdp`` its ZeRO stage.
    An error about a value the file set (not an option given) names the file and the field, not an option.
    """
    if base is not None:
        given = _given(args)
        if "zero" in given and "fsdp" not in given:
            given["fsdp"] = None
        if "fsdp" in given and "zero" not in given:
            given["zero"] = 0
        try:
            return base.with_(**given)
        except InputError as e:
            if e.field in _given(args):
                raise
            raise PlanFileError(f"{source}: parallelism.{e.field}", f"{e.problem} (set by the launch file; "
                                f"override it with --{e.field.replace('_', '-')})") from None
    for k in ("micro_batch", "seq_len"):
        if getattr(args, k) is None:
            raise UsageError(f"--{k.replace('_', '-')} is required (or --launch-config FILE --format ...)")
    return Parallelism(**_given(args))


def _print(e: MemoryEstimate, model: str) -> None:
    """Print the model, the layout and the memory table."""
    print(f"Model          {model}, {fmt_int(e.params)} parameters")
    print(f"Layout         {e.layout.describe()}")
    for label, text in memory_rows(e):
        print(f"{label:<15}{text}")


def cmd_memory(args: argparse.Namespace) -> int:
    """``planner memory``: print the estimate; with ``--require-fit`` exit 1 only on a proven misfit.

    An unknown fit (a bare parameter count, non-attention layers) is not a misfit: it exits 0 with a warning.

    Args:
        args: the parsed options.

    Returns:
        The exit code: 0, or 1 when ``--require-fit`` is given and the estimate does not fit.

    Raises:
        UsageError: not exactly one model source, or ``--require-fit`` without ``--accelerator``.
        PlannerError: a bad value (the error names the option or the launch file's field).
    """
    sources = [s for s in (args.config, args.model, args.params, args.launch_config) if s is not None]
    if len(sources) != 1:
        raise UsageError("give exactly one of --config, --model, --params or --launch-config")
    if args.require_fit and args.accelerator is None:
        raise UsageError("--require-fit needs --accelerator")
    base = None
    model: Architecture | int | str   # an architecture, or N (a plan's, or as typed)
    if args.launch_config is not None:
        lc = read_from_options(args.launch_config, args)
        plan = lc.plan()
        try:   # the file's accumulation is its micro-batches per step
            base = lc.layout().with_accumulation(plan.budget.grad_accum)
        except InputError as e:
            raise PlanFileError(f"{lc.path.name}: parallelism.{e.field}", e.problem) from None
        if plan.model is not None:
            model, name = plan.model, f"{plan.model.name} ({plan.model.family})"
        else:
            assert plan.params is not None   # a plan without an architecture gives N
            model, name = plan.params, "given"
    elif args.params is not None:
        model, name = args.params, "given"
    else:
        model = architecture(args.config if args.config is not None else args.model)
        name = f"{model.name} ({model.family})"
    layout = _layout(args, base, lc.path.name if base is not None else "")
    try:
        est = memory_estimate(model, layout, args.accelerator)
    except UnknownModelError as err:
        if err.field == "hardware.accelerator":
            raise UnknownModelError("accelerator", err.problem) from None
        raise
    if args.json:
        print(json.dumps({"model": name, **est.to_dict()}, indent=2))
    else:
        _print(est, name)
    if args.require_fit and est.fits is False:
        assert est.capacity is not None   # a misfit is measured against a capacity
        print(f"planner: does not fit: {fmt_gib(est.total)} ± {est.band:.0%} per GPU against {fmt_gib(est.capacity)} "
              "(--require-fit)", file=sys.stderr)
        return EXIT_BLOCKED
    if args.require_fit and est.fits is None:
        print("planner: warning: the fit cannot be confirmed: the activations are unknown", file=sys.stderr)
    return EXIT_OK


def register(sub: Subparsers) -> None:
    """Add the ``memory`` command to the command line's subparsers.

    Args:
        sub: the ``add_subparsers()`` object.
    """
    sm = sub.add_parser("memory", help="memory per GPU for a model and a parallel layout; does it fit?")
    src = sm.add_argument_group("model (exactly one)")
    src.add_argument("--config", help="path to a config.json")
    src.add_argument("--model", help="a catalog model name")
    src.add_argument("--params", help="N directly (model states only: activations need an architecture)")
    src.add_argument("--launch-config", metavar="FILE", help="a framework's launch file: its model and layout "
                                                               "(with --format; options given here override it)")
    sm.add_argument("--micro-batch", help="sequences per GPU per forward pass (required without --launch-config)")
    sm.add_argument("--seq-len", help="tokens per sequence (required without --launch-config)")
    sm.add_argument("--tp", help="tensor-parallel degree (divides the heads; default 1)")
    sm.add_argument("--pp", help="pipeline-parallel degree (default 1); uneven layer counts are split as the "
                                 "framework splits them (the embedding and the head count as a layer each)")
    sm.add_argument("--vpp", help="virtual pipeline stages per GPU (interleaved 1F1B; default 1)")
    sm.add_argument("--micro-batches", help="micro-batches per step per pipeline (default: at least --pp)")
    sm.add_argument("--cp", help="context-parallel degree: each sequence split over CP GPUs (default 1)")
    sm.add_argument("--sp", action="store_true", help="sequence parallelism (with TP)")
    sm.add_argument("--dp", help="data-parallel degree (default: GPUs / (TP × PP), else 1)")
    sm.add_argument("--ep", help="expert-parallel degree (MoE; divides the experts, and with --etp divides "
                                  "TP × DP × CP / ETP: DP × CP when the experts split as TP)")
    sm.add_argument("--etp", help="expert tensor-parallel degree (MoE; default: --tp)")
    sm.add_argument("--zero", help="ZeRO stage 0, 1, 2 or 3 (default 0)")
    sm.add_argument("--fsdp", help="FSDP sharding instead of --zero: full (= ZeRO-3) or grad-op (= ZeRO-2)")
    sm.add_argument("--recompute", help=f"activation recompute: {', '.join(RECOMPUTE)} (default none); what "
                                        "selective keeps follows --framework")
    sm.add_argument("--recompute-layers", help="with --recompute full: layers per stage recomputed (default all)")
    sm.add_argument("--framework", help=f"the training stack whose memory behaviour to follow: "
                                        f"{', '.join(FRAMEWORKS)} (default pytorch; a launch file sets its own)")
    sm.add_argument("--loss", help=f"how the loss holds the logits: {', '.join(LOSSES)} (default: the framework's)")
    sm.add_argument("--compile", action="store_true", help="torch.compile (fuses each layer and the loss's cast)")
    sm.add_argument("--fp8", action="store_true", help="float8 matmuls (their weight casts are counted)")
    sm.add_argument("--tp-overlap", action="store_true", help="TP's collectives overlap the matmuls (Megatron's "
                                                               "--tp-comm-overlap, torchtitan's async TP)")
    sm.add_argument("--offload", help=f"what lives in CPU memory: {', '.join(OFFLOAD)} (default none)")
    sm.add_argument("--flash-attention", action="store_true", help="no s² attention scores are stored")
    sm.add_argument("--precision", help=f"{', '.join(PRECISIONS)} (default bf16-mixed)")
    sm.add_argument("--optimizer", help=f"{', '.join(OPTIMIZERS)} (default adamw)")
    sm.add_argument("--no-master-weights", action="store_true", help="no fp32 master copy in mixed precision")
    sm.add_argument("--fp32-grads", action="store_true", help="fp32 gradient buffers (Megatron's default)")
    sm.add_argument("--dropout", action=argparse.BooleanOptionalAction, default=None,
                    help="the model trains with dropout (its masks are stored); default: as the config's dropout "
                         "rates say (transformers' defaults included: GPT-2's 0.1) or the launch file")
    sm.add_argument("--overhead", help="bytes per GPU outside PyTorch's allocator: CUDA context, NCCL (default 1 GiB "
                                       "= 1073741824)")
    sm.add_argument("--accelerator", help="key or name from data/accelerators.csv: adds capacity and the fit")
    sm.add_argument("--gpus", help="number of GPUs (must equal DP × TP × PP × CP)")
    sm.add_argument("--require-fit", action="store_true", help="exit 1 when it does not fit the accelerator")
    sm.add_argument("--json", action="store_true", help="print a JSON object (bytes per GPU)")
    add_launch_options(sm)
    sm.set_defaults(func=cmd_memory)
