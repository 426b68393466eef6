"""`planner check` and `planner report`: the verdict on one plan."""

from __future__ import annotations

import json
import sys

from ..format import fmt_int, fmt_ratio, fmt_si
from ..model.catalog import architecture
from ..model.params import count_params
from ..training.budget import budget as make_budget
from ..validate import count
from ..verdict.gate import Thresholds, assess
from .common import EXIT_BLOCKED, EXIT_OK, UsageError


def _params_for(args) -> tuple[int, str, str]:
    """(N, which N, model description) from --config / --model / --params."""
    if args.params is not None:
        return count("params", args.params), "total", "given"
    arch = architecture(args.config if args.config is not None else args.model)
    pc = count_params(arch)
    return pc.get(args.param_kind), args.param_kind, f"{arch.name} ({arch.family})"


def cmd_check(args) -> int:
    if args.config is None and args.model is None and args.params is None:
        raise UsageError("one of --config, --model or --params is required")
    if args.tokens_per_step is not None and (args.micro_batch is not None or args.seq_len is not None
                                             or args.grad_accum is not None or args.data_parallel is not None):
        raise UsageError("--tokens-per-step cannot be combined with --micro-batch/--seq-len/--grad-accum/"
                         "--data-parallel")
    if args.tokens_per_step is None and (args.micro_batch is None or args.seq_len is None):
        raise UsageError("give --micro-batch and --seq-len (with optional --grad-accum, --data-parallel), "
                         "or --tokens-per-step")
    n, kind, model = _params_for(args)
    b = make_budget(args.steps, micro_batch=args.micro_batch, seq_len=args.seq_len, grad_accum=args.grad_accum,
                    data_parallel=args.data_parallel, tokens_per_step=args.tokens_per_step,
                    prior_tokens=args.prior_tokens or 0)
    t = Thresholds(args.severe, args.block, args.optimal)
    unique, corpus_name = args.unique_tokens, args.corpus
    if unique is not None and corpus_name is not None:
        raise UsageError("--corpus and --unique-tokens cannot be combined")
    if corpus_name is not None:
        from ..training.corpus import corpus_tokens
        unique = corpus_tokens(corpus_name)
    r = assess(n, b.tokens, tokens_per_step=b.tokens_per_step, prior_tokens=b.prior_tokens, thresholds=t,
               param_kind=kind, unique_tokens=unique, corpus_name=corpus_name)
    forced = r.blocked and args.force_under_provisioned
    if args.json:
        print(json.dumps({**r.to_dict(), "forced": forced, "steps": b.steps}, indent=2))
    else:
        print(f"Model          {model}")
        print(f"N ({kind.replace('_', '-')})".ljust(15) + f"{fmt_int(n)} parameters")
        print(f"Tokens/step    {b.describe()}")
        print(f"Steps          {fmt_int(b.steps)}")
        print(f"D              {fmt_int(b.tokens)} tokens")
        if b.prior_tokens:
            print(f"Prior tokens   {fmt_int(b.prior_tokens)} (seen by the starting checkpoint)")
            print(f"D/N new        {fmt_ratio(r.new_ratio)}")
            print(f"D/N cumulative {fmt_ratio(r.cumulative_ratio)}  <- judged")
        else:
            print(f"D/N            {fmt_ratio(r.ratio)} tokens per parameter (on {kind.replace('_', '-')} N)")
        print(f"Level          {r.level}{' (blocked)' if r.blocked else ''}")
        if r.level != "compute-optimal":
            print(f"To reach {t.optimal:g}×".ljust(15) + f"{fmt_int(r.steps_to_optimal)} steps "
                  f"({fmt_int(r.tokens_to_optimal)} {'new ' if r.prior_tokens else ''}tokens)")
        if r.corpus is not None:
            c = r.corpus
            print(f"Corpus         {fmt_si(c.unique_tokens)} unique tokens: {c.epochs:.3g} epochs ({c.repetition}); "
                  f"D/N ceiling {fmt_ratio(c.ceiling_1_epoch)}× at 1 epoch, {fmt_ratio(c.ceiling_4_epochs)}× at 4")
    return _verdict_exit(r, forced)


def _verdict_exit(gate, forced: bool) -> int:
    """Exit code and stderr lines shared by check and report."""
    if gate.corpus is not None and gate.corpus.repeats_too_much:
        print(f"planner: warning: {gate.corpus.message}", file=sys.stderr)
    if gate.blocked and not forced:
        print(f"planner: {gate.message} Pass --force-under-provisioned to launch anyway.", file=sys.stderr)
        return EXIT_BLOCKED
    if gate.level != "compute-optimal":
        print(f"planner: warning: {gate.message}" + (" (forced past the gate)" if forced else ""), file=sys.stderr)
    return EXIT_OK


def cmd_report(args) -> int:
    from ..verdict.plan import assess_plan, load_plan
    from ..surfaces.report import render_text
    a = assess_plan(load_plan(args.plan))
    forced = a.gate.blocked and args.force_under_provisioned
    if args.json:
        print(json.dumps({**a.to_dict(), "forced": forced}, indent=2))
    else:
        print(render_text(a))
    return _verdict_exit(a.gate, forced)


def register(sub) -> None:
    sc = sub.add_parser("check", help="judge a training plan's D/N; exit 1 when blocked")
    src = sc.add_mutually_exclusive_group()
    src.add_argument("--config", help="path to a config.json")
    src.add_argument("--model", help="a catalog model name")
    src.add_argument("--params", help="N directly (e.g. 494032768, 7e9, 7B)")
    sc.add_argument("--param-kind", default="total", choices=["total", "non_embedding", "active"],
                    help="which N the ratio uses (default total, the Chinchilla convention)")
    sc.add_argument("--steps", required=True, help="optimizer steps")
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
    sc.add_argument("--json", action="store_true", help="print a JSON object")
    sc.set_defaults(func=cmd_check)

    sr = sub.add_parser("report", help="the whole assessment of a plan file; exit 1 when blocked")
    sr.add_argument("plan", help="a plan TOML file (see data/plans/)")
    sr.add_argument("--force-under-provisioned", action="store_true", help="exit 0 even when blocked (still warns)")
    sr.add_argument("--json", action="store_true", help="print a JSON object")
    sr.set_defaults(func=cmd_report)

