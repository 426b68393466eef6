"""`planner params` and `planner models`: exact N of a config, and the catalog."""

from __future__ import annotations

import json

from ..format import fmt_int
from ..model.catalog import architecture, list_models
from ..model.params import count_params
from .common import EXIT_OK


def _print_params(arch, pc, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"model": arch.name, "model_type": arch.family, **pc.to_dict()}, indent=2))
        return
    print(f"Model          {arch.name} ({arch.family})")
    print(f"Dimensions     {arch.num_layers} layers, hidden {arch.hidden_size:,}, {arch.num_heads} heads "
          f"({arch.num_kv_heads} kv, head_dim {arch.head_dim}), intermediate {arch.intermediate_size:,}, "
          f"vocab {arch.vocab_size:,}, {'tied' if arch.tied_embeddings else 'untied'} head")
    if arch.is_moe:
        print(f"Experts        {arch.num_experts} per MoE layer ({arch.moe_layers} layers), "
              f"{arch.experts_per_token} active per token")
    print("Breakdown")
    for k, v in pc.breakdown.items():
        if v:
            print(f"  {k:<12} {fmt_int(v):>20}  {v / pc.total:6.1%}")
    print(f"Total N        {fmt_int(pc.total):>20}")
    print(f"Embedding      {fmt_int(pc.embedding):>20}  (token embeddings + untied head)")
    print(f"Non-embedding  {fmt_int(pc.non_embedding):>20}  (Kaplan convention)")
    if pc.active is not None:
        print(f"Active N       {fmt_int(pc.active):>20}  (top-{arch.experts_per_token} experts per token)")


def cmd_params(args) -> int:
    arch = architecture(args.config)
    _print_params(arch, count_params(arch), args.json)
    return EXIT_OK



def cmd_params(args) -> int:
    arch = architecture(args.config)
    _print_params(arch, count_params(arch), args.json)
    return EXIT_OK


def cmd_models(args) -> int:
    for name in list_models():
        print(name)
    return EXIT_OK

def register(sub) -> None:
    sp = sub.add_parser("params", help="exact parameter count of a config.json or catalog model")
    sp.add_argument("config", help="path to a config.json, or a catalog model name (see `planner models`)")
    sp.add_argument("--json", action="store_true", help="print a JSON object")
    sp.set_defaults(func=cmd_params)

    sm = sub.add_parser("models", help="list the catalog's model names")
    sm.set_defaults(func=cmd_models)
