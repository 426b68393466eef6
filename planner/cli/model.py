"""`planner params` and `planner models`: exact N of a config or checkpoint, and the catalog."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..format import fmt_int
from ..model import checkpoints
from ..model.architecture import Architecture
from ..model.catalog import inspect, list_models
from ..model.checkpoints.count import CheckpointCount
from ..model.params import ParamCount
from .common import EXIT_OK, Subparsers


def _json(arch: Architecture | None, pc: ParamCount, ckpt: CheckpointCount | None,
          source: str) -> dict[str, object]:
    """The ``--json`` object of ``planner params``."""
    model_type: object   # the family, or what the checkpoint's metadata says
    if arch is not None:
        name, model_type = arch.name, arch.family
    elif ckpt is not None:
        name, model_type = Path(source).name, ckpt.metadata.get("general.architecture")
    else:  # counted by transformers (the native counter refused the config)
        return {"model": Path(str(source)).name, **pc.to_dict(), "source": "transformers"}
    out: dict[str, object] = {"model": name, "model_type": model_type, **pc.to_dict(),
                              "source": "config" if arch is not None else "checkpoint"}
    if ckpt is not None:
        out["checkpoint"] = ckpt.to_dict()
        out["checkpoint_total"] = ckpt.total
        if arch is not None:
            out["agrees"] = ckpt.total == pc.total
            out["differences"] = _reasons(arch, pc, ckpt)
    return out


def _reasons(arch: Architecture | None, pc: ParamCount, ckpt: CheckpointCount) -> list[str]:
    """Why the checkpoint's count differs from the config's."""
    return checkpoints.explain(ckpt, pc.total, tied=getattr(arch, "tied_embeddings", None),
                               num_layers=getattr(arch, "num_layers", None))


def _print_arch(arch: Architecture) -> None:
    print(f"Model          {arch.name} ({arch.family})")
    print(f"Dimensions     {arch.num_layers} layers, hidden {arch.hidden_size:,}, {arch.num_heads} heads "
          f"({arch.num_kv_heads} kv, head_dim {arch.head_dim}), intermediate {arch.intermediate_size:,}, "
          f"vocab {arch.vocab_size:,}, {'tied' if arch.tied_embeddings else 'untied'} head")
    if arch.is_moe:
        print(f"Experts        {arch.num_experts} per MoE layer ({arch.moe_layers} layers), "
              f"{arch.experts_per_token} active per token")


def _print_counts(pc: ParamCount, note: str = "") -> None:
    print(f"Breakdown{note}")
    for k, v in pc.breakdown.items():
        if v:
            print(f"  {k:<14} {fmt_int(v):>18}  {v / pc.total:6.1%}")
    print(f"Total N        {fmt_int(pc.total):>20}")
    print(f"Embedding      {fmt_int(pc.embedding):>20}  (token embeddings + untied head)")
    print(f"Non-embedding  {fmt_int(pc.non_embedding):>20}  (Kaplan convention)")
    if pc.active is not None:
        print(f"Active N       {fmt_int(pc.active):>20}  (routed experts beyond the top-k excluded)")
    if pc.vision:
        print(f"Vision         {fmt_int(pc.vision):>20}  (vision tower and projector, not in N)")


def _print_checkpoint(ckpt: CheckpointCount) -> None:
    files = ckpt.files
    where = Path(files[0]).name if len(files) == 1 else f"{len(files)} shards"
    dtypes = ", ".join(f"{k} {fmt_int(n)}" for k, (n, _) in sorted(ckpt.dtypes.items(), key=lambda kv: -kv[1][0]))
    print(f"Checkpoint     {where} ({ckpt.format}): {fmt_int(len(ckpt.tensors))} tensors, "
          f"{fmt_int(ckpt.nbytes)} bytes of weights")
    print(f"  dtypes       {dtypes}")


def cmd_params(args: argparse.Namespace) -> int:
    """``planner params``: the exact N of a config, catalog model or checkpoint, with its breakdown.

    Args:
        args: the parsed options.

    Returns:
        0.

    Raises:
        ConfigError: an unreadable or malformed config or checkpoint.
        UnknownModelError: a name that is neither a file nor in the catalog.
    """
    arch, pc, ckpt = inspect(args.config)
    if args.json:
        print(json.dumps(_json(arch, pc, ckpt, args.config), indent=2))
        return EXIT_OK
    if arch is not None:
        _print_arch(arch)
        _print_counts(pc)
    elif ckpt is None:
        print(f"Model          {Path(str(args.config)).name} (not counted natively; counted by {pc.counted_by})")
        _print_counts(pc, " (by transformers: 'other' is everything but the embedding and head)")
    else:
        reason = ("no config.json" if ckpt.config is None
                  else "its config.json names a model_type the planner cannot count")
        print(f"Model          {Path(args.config).name} (counted from the checkpoint headers: {reason})")
        _print_counts(pc, " (by tensor name)")
    if ckpt is not None:
        _print_checkpoint(ckpt)
        if arch is not None:
            reasons = _reasons(arch, pc, ckpt)
            diff = ckpt.total - pc.total
            verdict = "agrees with the config" if not diff else f"{diff:+,} against the config's total"
            print(f"N (headers)    {fmt_int(ckpt.total):>20}  ({verdict})")
            for r in reasons:
                print(f"  - {r}")
        elif ckpt.metadata_total is not None and ckpt.metadata_total != ckpt.total:
            for r in checkpoints.explain(ckpt, ckpt.total):
                print(f"  - {r}")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    """``planner models``: print the catalog's model names.

    Args:
        args: the parsed options (none are used).

    Returns:
        0.
    """
    for name in list_models():
        print(name)
    return EXIT_OK


def register(sub: Subparsers) -> None:
    """Add the ``params`` and ``models`` commands to the command line's subparsers.

    Args:
        sub: the ``add_subparsers()`` object.
    """
    sp = sub.add_parser("params", help="exact parameter count of a config.json, catalog model or checkpoint")
    sp.add_argument("config", help="a config.json, a catalog model name (see `planner models`), a model folder "
                                   "(config.json + weights), a .safetensors file, a model.safetensors.index.json "
                                   "or a .gguf file")
    sp.add_argument("--json", action="store_true", help="print a JSON object")
    sp.set_defaults(func=cmd_params)

    sm = sub.add_parser("models", help="list the catalog's model names")
    sm.set_defaults(func=cmd_models)
