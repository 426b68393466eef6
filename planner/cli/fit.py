"""`planner fit`: fit L = E + A/N^α + B/D^β to a CSV of your own runs, with bootstrap intervals."""

from __future__ import annotations

import argparse
import json
import sys

from .. import validate
from ..errors import InputError
from ..files import checked_path
from ..format import fmt_si
from ..laws.bootstrap import Interval
from ..laws.identifiability import why
from ..laws.ladder import EXTRAPOLATION_LIMIT, fit_ladder, read_runs
from ..limits import MAX_FLOPS
from .common import EXIT_OK, Subparsers

#: The budget at which the fitted optimum is reported by default (Gopher's, as in Chinchilla).
DEFAULT_FLOPS = 5.76e23


def _num(v: float) -> str:
    return "not determined" if v != v else f"{v:.4g}"


def _span(iv: Interval) -> str:
    if not iv.identified:
        return "  (unbounded: not determined by these runs)"
    return f"  [{iv.low:.4g}, {iv.high:.4g}]"


def cmd_fit(args: argparse.Namespace) -> int:
    """Run ``planner fit``: fit the runs, print the constants, intervals and optimum, save the law if asked.

    Args:
        args: the parsed command line (see :func:`register`).

    Returns:
        The exit code: 0.

    Raises:
        InputError: a bad option, a bad runs file or an unwritable ``--save`` path (the CLI exits 2).
    """
    flops = validate.positive_real("flops", args.flops, maximum=MAX_FLOPS)
    samples = validate.count("bootstrap", args.bootstrap, minimum=0, maximum=100_000)  # 1e1 is 10, as for counts
    drop_highest = validate.count("drop_highest", args.drop_highest, minimum=0, maximum=10**9)
    delta = validate.positive_real("delta", args.delta, maximum=10.0)
    seed = validate.count("seed", args.seed, minimum=0, maximum=2**63)
    save = None
    if args.save is not None:
        save = checked_path(args.save, "save", error=lambda f, p: InputError(f, "a file path", detail=p))
    if 0 < samples < 10:
        raise InputError("bootstrap", "0 (no intervals) or at least 10 resamples", samples)
    runs = read_runs(args.runs, drop=tuple(args.drop or ()), drop_highest=drop_highest)
    name = save.stem if save else "ladder"
    f = fit_ladder(runs, delta=delta, name=name)
    boot = f.bootstrap(samples, seed=seed) if samples else None
    iv = boot.intervals() if boot else {}
    opt_iv = boot.optimal(flops) if boot else {}
    factor = f.extrapolation(flops)
    at: dict[str, float | None]
    if f.identified:
        n_opt, d_opt = f.optimal(flops)
        at = {"flops": flops, "params": n_opt, "tokens": d_opt, "tokens_per_param": d_opt / n_opt,
              "extrapolation": factor}
    else:
        at = {"flops": flops, "params": None, "tokens": None, "tokens_per_param": None, "extrapolation": factor}
    if save:
        f.save(save, boot)  # an unwritable path is an InputError (field save)
    if args.json:
        out: dict[str, object] = {k: (v if v == v else None) for k, v in f.constants().items()}
        out.update(tokens_per_param_at=at, runs=len(f.runs), dropped=list(f.runs.dropped),
                   unidentified=list(f.unidentified), delta=f.delta,
                   intervals=({**{k: v.to_dict() for k, v in iv.items()},
                               **{k: v.to_dict() for k, v in opt_iv.items()}} if boot else None),
                   bootstrap=({"samples": samples, "seed": seed, "level": boot.level} if boot else None),
                   saved=args.save)
        print(json.dumps(out, indent=2))
        return EXIT_OK
    dropped = f", {len(f.runs.dropped)} dropped" if f.runs.dropped else ""
    print(f"Fit            L = E + A/N^alpha + B/D^beta to {len(f.runs)} runs{dropped} (Huber delta {f.delta:g})")
    if boot:
        print(f"Intervals      {boot.level:.0%}, {samples} bootstrap resamples (seed {seed})")
    c = f.constants()
    for k in ("E", "A", "B", "alpha", "beta"):
        print(f"{k:<15}{_num(c[k]):<15}{_span(iv[k]) if boot else ''}".rstrip())
    print(f"Optimum        at {flops:.3g} FLOPs:", end=" ")
    if f.identified:
        r = opt_iv.get("tokens_per_param")
        span = f"  [{r.low:.1f}, {r.high:.1f}]" if r is not None and r.identified else ""
        print(f"N {fmt_si(n_opt)}, D {fmt_si(d_opt)}, {d_opt / n_opt:.1f} tokens/param{span}")
    else:
        print("not determined")
        print(f"planner: warning: {why(f.runs, f.unidentified)}", file=sys.stderr)
    if factor > EXTRAPOLATION_LIMIT:
        lo, hi = f.flops_range
        print(f"Note           {flops:.3g} FLOPs is {factor:,.0f}x outside the runs' compute ({lo:.3g} to {hi:.3g}): "
              "a far extrapolation")
    if args.save:
        print(f"Saved          {args.save} (use it as --fit {args.save})")
    return EXIT_OK


def register(sub: Subparsers) -> None:
    """Add the ``fit`` command to the CLI's subparsers.

    Args:
        sub: the ``argparse`` subparsers action.
    """
    sf = sub.add_parser("fit", help="fit a scaling law to your own runs (CSV), with bootstrap intervals")
    sf.add_argument("runs", help="CSV with columns params, tokens (or flops) and loss; optional weight, name")
    sf.add_argument("--drop-highest", default=0, metavar="K", help="leave out the K highest-loss runs")
    sf.add_argument("--drop", nargs="+", metavar="NAME", help="leave out these runs (the name column, or row numbers)")
    sf.add_argument("--delta", default=1e-3, help="Huber delta on log-loss residuals (default 1e-3)")
    sf.add_argument("--bootstrap", default=200, metavar="B",
                    help="bootstrap resamples for 95%% intervals (default 200; 0 for none)")
    sf.add_argument("--seed", default=0, help="seed of the bootstrap (default 0)")
    sf.add_argument("--flops", default=DEFAULT_FLOPS, help="budget at which to report the optimum (default 5.76e23)")
    sf.add_argument("--save", metavar="NAME.toml", help="save the fitted law (usable as --fit NAME.toml)")
    sf.add_argument("--json", action="store_true", help="print a JSON object")
    sf.set_defaults(func=cmd_fit)
