"""`planner optimal`: the best N and D for a FLOP budget, under a corpus limit or a lifetime of inference."""

from __future__ import annotations

import argparse
import json

from .. import validate
from ..laws.data_constrained import data_constrained_optimal, law_fit
from ..laws.inference import inference_optimal
from ..laws.optimal import compute_optimal
from ..laws.power_law import FITS
from ..verdict.gate import Thresholds
from .common import EXIT_OK, Subparsers


def cmd_optimal(args: argparse.Namespace) -> int:
    """Run ``planner optimal``: the compute-optimal, data-constrained or inference-aware plan for a budget.

    Args:
        args: the parsed command line (see :func:`register`).

    Returns:
        The exit code: 0.

    Raises:
        InputError: a value out of range or an unknown fit (the CLI exits 2).
    """
    f = law_fit(args.fit)
    o = data_constrained_optimal(args.flops, args.unique_tokens, f)
    line = Thresholds().optimal if args.optimal is None else validate.positive_real("--optimal", args.optimal)
    out = {"params": o.params, "tokens": o.tokens, "tokens_per_param": o.tokens_per_param, "loss": o.loss,
           "flops": o.flops, "fit": o.fit, "extrapolated": o.extrapolated}
    if args.unique_tokens is None and args.inference_tokens is None:
        # the recommendation the gate accepts: on the line when the law's own optimum sits below it
        c = compute_optimal(o.flops, f.name if f.name in FITS else args.fit, line=line)
        out.update(params=c.params, tokens=c.tokens, tokens_per_param=c.tokens_per_param, loss=c.loss, line=c.line,
                   on_line=c.on_line, law_params=c.law_params, law_tokens=c.law_tokens,
                   law_tokens_per_param=c.law_tokens_per_param, law_loss=c.law_loss)
    if args.unique_tokens is not None:
        out.update(unique_tokens=o.unique_tokens, epochs=o.epochs, limited=o.limited,
                   unconstrained={"params": o.unconstrained_params, "tokens": o.unconstrained_tokens,
                                  "loss": o.unconstrained_loss})
    inf = None
    if args.inference_tokens is not None:
        inf = inference_optimal(args.inference_tokens, flops=o.flops, fit=f, unique_tokens=args.unique_tokens)
        out.update(params=inf.params, tokens=inf.tokens, tokens_per_param=inf.tokens_per_param, loss=inf.loss,
                   inference_tokens=inf.inference_tokens, training_flops=inf.training_flops,
                   inference_flops=inf.inference_flops, flops_saved=inf.flops_saved,
                   flops_saved_fraction=inf.flops_saved_fraction,
                   reference={"params": inf.reference_params, "tokens": inf.reference_tokens,
                              "training_flops": inf.reference_training_flops})
        if args.unique_tokens is not None:
            out["epochs"] = inf.epochs
    if args.json:
        print(json.dumps(out, indent=2))
        return EXIT_OK
    what = ("Inference-aware" if inf else "Data-constrained optimum" if args.unique_tokens is not None
            else "Compute-optimal")
    print(f"{what} for C = {o.flops:.3g} FLOPs ({o.fit} fit)")
    print(f"N              {out['params']:.4g} parameters")
    print(f"D              {out['tokens']:.4g} tokens")
    print(f"D/N            {out['tokens_per_param']:.1f} tokens per parameter")
    print(f"Loss           {out['loss']:.3f} (predicted)")
    if out.get("on_line"):
        print(f"On the line    the {o.fit} fit's own minimum is N {out['law_params']:.4g}, D {out['law_tokens']:.4g} "
              f"({out['law_tokens_per_param']:.1f} tokens per parameter, loss {out['law_loss']:.4f}): below the "
              f"{out['line']:g}× line the gate judges, so the same FLOPs are split on the line")
    if args.unique_tokens is not None:
        print(f"Epochs         {(inf or o).epochs:.3g} over {o.unique_tokens:.3g} unique tokens")
        if o.limited and not inf:
            print(f"Without limit  N {o.unconstrained_params:.4g}, D {o.unconstrained_tokens:.4g}, "
                  f"loss {o.unconstrained_loss:.3f}")
    if inf:
        print(f"Inference      {inf.inference_tokens:.3g} tokens: {inf.inference_flops:.3g} FLOPs "
              f"(training {inf.training_flops:.3g})")
        print(f"Saved          {inf.flops_saved:.3g} FLOPs ({inf.flops_saved_fraction:.1%}) against the "
              f"{'data-constrained optimum' if args.unique_tokens is not None else 'compute-optimal'} "
              f"{inf.reference_params:.4g} parameters, same loss")
    if o.extrapolated:
        print("Note           outside the compute range the fits were made on: an extrapolation")
    return EXIT_OK


def register(sub: Subparsers) -> None:
    """Add the ``optimal`` command to the CLI's subparsers.

    Args:
        sub: the ``argparse`` subparsers action.
    """
    so = sub.add_parser("optimal", help="the best N and D for a FLOP budget (with a corpus limit or inference)")
    so.add_argument("--flops", required=True, help="training compute in FLOPs (e.g. 5.76e23)")
    so.add_argument("--unique-tokens", default=None,
                    help="unique tokens in the corpus: the data-constrained optimum (Muennighoff et al. 2023)")
    so.add_argument("--inference-tokens", default=None,
                    help="lifetime inference tokens: the plan with the same loss and the least training + "
                         "inference FLOPs (Sardana & Frankle 2023); with --unique-tokens, under the corpus limit")
    so.add_argument("--fit", default=None,
                    help="scaling-law fit: epoch, chinchilla, muennighoff, ... (default: the planner's default fit)")
    so.add_argument("--optimal", default=None, help="the gate's compute-optimal line in tokens per parameter "
                                                     "(default 20): the recommendation is never below it")
    so.add_argument("--json", action="store_true", help="print a JSON object")
    so.set_defaults(func=cmd_optimal)
