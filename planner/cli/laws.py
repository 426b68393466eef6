"""`planner optimal`: the compute-optimal N and D for a FLOP budget."""

from __future__ import annotations

import json

from .common import EXIT_OK


def cmd_optimal(args) -> int:
    from ..laws.fits import compute_optimal
    o = compute_optimal(args.flops, args.fit)
    if args.json:
        print(json.dumps({"params": o.params, "tokens": o.tokens, "tokens_per_param": o.tokens_per_param,
                          "loss": o.loss, "flops": o.flops, "fit": o.fit}, indent=2))
    else:
        print(f"Compute-optimal for C = {o.flops:.3g} FLOPs ({o.fit} fit)")
        print(f"N              {o.params:.4g} parameters")
        print(f"D              {o.tokens:.4g} tokens")
        print(f"D/N            {o.tokens_per_param:.1f} tokens per parameter")
        print(f"Loss           {o.loss:.3f} (predicted)")
    return EXIT_OK

def register(sub) -> None:
    so = sub.add_parser("optimal", help="compute-optimal N and D for a FLOP budget")
    so.add_argument("--flops", required=True, help="training compute in FLOPs (e.g. 5.76e23)")
    so.add_argument("--fit", default="chinchilla", choices=["chinchilla", "epoch"],
                    help="scaling-law fit (default chinchilla: Approach 3, unrounded)")
    so.add_argument("--json", action="store_true", help="print a JSON object")
    so.set_defaults(func=cmd_optimal)
