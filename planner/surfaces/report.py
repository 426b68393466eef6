"""Render one :class:`~planner.plan.Assessment`: text for the terminal, HTML and tables for notebooks.

Every surface formats numbers through :mod:`planner.format`, so the command line, the
workbook and the review show the same digits.
"""

from __future__ import annotations

import html

from ..format import fmt_gpu_hours, fmt_hours, fmt_int, fmt_money, fmt_ratio, fmt_si
from ..verdict.gate import LEVEL_TEXT

LEVEL_COLOURS = {"severe": "#b71c1c", "blocked": "#e65100", "below-optimal": "#f9a825", "compute-optimal": "#2e7d32"}


SECTIONS = ("verdict", "model", "budget", "corpus", "compute", "memory", "law", "science")


def summary_rows(a, sections=SECTIONS) -> list[tuple[str, str]]:
    """(label, value) pairs of an assessment, verdict first, for the chosen ``sections``.

    ``planner check`` shows verdict, model, budget and corpus; ``planner report``, the card and the review show
    every section. The verdict comes from :attr:`~planner.verdict.plan.Assessment.verdict`, the one policy.
    """
    p, g, v = a.plan, a.gate, a.verdict
    kind = p.param_kind.replace("_", "-")
    lines = (p.thresholds.severe, p.thresholds.block, p.thresholds.optimal)
    r = lambda x: fmt_ratio(x, lines)  # noqa: E731
    rows: list[tuple[str, str]] = []
    if "verdict" in sections:
        rows.append(("Verdict", v.headline))
        if g.on_effective:
            rows += [("D'/N (effective)", f"{r(g.ratio)} tokens per parameter after repetition, on {kind} N  <- judged"),
                     ("D/N (raw)", f"{r(g.raw_ratio)} tokens per parameter")]
        else:
            rows.append(("D/N", f"{r(g.ratio)} tokens per parameter ({g.judged} tokens, on {kind} N)  <- judged"))
        if g.prior_tokens:
            rows.append(("D/N new / cumulative", f"{r(g.new_ratio)} / {r(g.cumulative_ratio)}"))
        if g.level != "compute-optimal":
            reach = (f"{fmt_int(g.steps_to_optimal)} steps ({fmt_int(g.tokens_to_optimal)} "
                     f"{'new ' if g.prior_tokens else ''}tokens)" if g.steps_to_optimal is not None
                     else f"{fmt_int(g.tokens_to_optimal)} {'new ' if g.prior_tokens else ''}tokens")
            rows.append((f"To reach {p.thresholds.optimal:g}×", reach))
            if a.corpus is not None and not g.optimal_reachable:
                rows.append((f"To reach {p.thresholds.optimal:g}× effective", "out of reach on this corpus "
                             f"(repetition caps D'/N at {r(a.corpus.max_effective_ratio)})"))
            elif g.effective_steps_to_optimal is not None and g.effective_steps_to_optimal != g.steps_to_optimal:
                rows.append((f"To reach {p.thresholds.optimal:g}× effective",
                             f"{fmt_int(g.effective_steps_to_optimal)} steps "
                             f"({g.effective_tokens_to_optimal / a.corpus.unique_tokens:.3g} epochs)"))
    if "model" in sections:
        model = ("N given directly" if p.model is None else "custom dimensions" if p.model.family == "custom"
                 else f"{p.model.name} ({p.model.family})")
        rows += [("Model", model), (f"N ({kind})", f"{fmt_int(a.params)} parameters")]
        if a.counts is not None:
            rows.append(("N total / non-embedding", f"{fmt_int(a.counts.total)} / {fmt_int(a.counts.non_embedding)}"))
            if a.counts.is_moe:
                rows.append(("N active (MoE)", fmt_int(a.counts.active)))
    if "budget" in sections:
        rows += [("Tokens per step", p.budget.describe()), ("Steps", fmt_int(p.budget.steps)),
                 ("D", f"{fmt_int(g.tokens)} tokens")]
        if g.prior_tokens:
            rows.append(("Prior tokens", fmt_int(g.prior_tokens)))
    if "corpus" in sections and a.corpus is not None:
        c = a.corpus
        rows += [("Corpus", f"{c.name}: {fmt_si(c.unique_tokens)} unique tokens"),
                 ("Epochs", f"{c.epochs:.3g} ({c.repetition}; {c.efficiency:.0%} counts as fresh data)"),
                 ("Corpus ceiling", f"D/N {r(c.ceiling_1_epoch)}× at 1 epoch, {r(c.ceiling_4_epochs)}× at 4 epochs")]
    if "compute" in sections:
        k = a.compute
        attention = (f"{k.flops_with_attention:.3g} with attention{' (causal half)' if k.causal_halving else ''}"
                     if a.attention_known else "attention term unknown (no sequence length)")
        rows += [("Training FLOPs", f"{k.flops:.3g} (6·N·D, N = {fmt_int(a.compute_params)}); {attention}"),
                 ("Hardware", f"{fmt_int(k.count)} × {k.accelerator} ({k.peak_tflops:g} TFLOP/s dense BF16) at "
                              f"{k.mfu:.0%} MFU"),
                 ("GPU-hours", fmt_gpu_hours(k.gpu_hours)), ("Wall-clock", fmt_hours(k.wall_clock_hours)),
                 ("Cost", "—" if k.cost is None else f"{fmt_money(k.cost)} at {fmt_money(k.price_per_gpu_hour)}/GPU-hour")]
    if "memory" in sections and a.memory is not None:
        rows.append(("Layout", a.plan.parallelism.describe()))
        rows += [(f"Memory: {k.lower()}", v.strip()) for k, v in a.memory.rows()]
    if "law" in sections:
        o = a.optimal
        same = "the same total FLOPs (prior + new tokens)" if g.prior_tokens else "the same FLOPs"
        rows += [("Predicted loss", f"{a.loss:.3f} ({p.fit} fit, N = {fmt_si(a.compute_params)})"),
                 (f"Compute-optimal at {same}", f"N = {fmt_si(o.params)}, D = {fmt_si(o.tokens)} "
                                                f"({fmt_ratio(o.tokens_per_param, ())} tokens/param), "
                                                f"loss {o.loss:.3f} at {o.flops:.3g} FLOPs"
                                                + (" (extrapolated: outside the fit's compute range)"
                                                   if o.extrapolated else ""))]
    if "science" in sections:
        rows += science_rows(a)
    return rows


def science_rows(a) -> list[tuple[str, str]]:
    """The data-constrained optimum (with a corpus), the inference-aware plan (with inference tokens) and the batch
    size and learning rate to start from (:attr:`~planner.verdict.plan.Assessment.science`)."""
    s = a.science
    rows = []
    if s.corpus is not None:
        c = s.corpus
        for label, o in (("Best model for this corpus at this budget", c.at_budget),
                         (f"Best model for this corpus at the budget of {a.plan.thresholds.optimal:g}× N", c.at_20x)):
            if o is not None:
                rows.append((label, f"N = {fmt_si(o.params)}, D = {fmt_si(o.tokens)} ({o.epochs:.3g} epochs), "
                                    f"loss {o.loss:.3f}"))
        if c.corpus_for_optimal is not None:
            rows.append(("Corpus that makes this N compute-optimal", f"{fmt_si(c.corpus_for_optimal)} unique tokens"))
    if s.inference is not None:
        i = s.inference
        rows.append(("Inference-aware plan", f"N = {fmt_si(i.params)}, D = {fmt_si(i.tokens)} "
                                             f"({fmt_ratio(i.tokens / i.params, ())} tokens/param), "
                                             f"{i.flops_saved_fraction:.0%} fewer lifetime FLOPs"))
    rows.append(("Batch size and learning rate", s.hyperparameters.message))
    fit = a.plan.fit
    if fit.endswith(".toml"):  # a law fitted to the user's runs: is the verdict inside its uncertainty?
        from ..laws.ladder import judge_plan, load_bootstrap
        boot = load_bootstrap(fit)
        if boot is not None:
            rows += [("Fitted law's uncertainty", m) for m in judge_plan(boot, a.plan).messages]
    return rows


def render_text(a, sections=SECTIONS, *, messages: bool = True) -> str:
    """The assessment as aligned text: ``planner report`` (every section, then the gate's and the corpus's
    messages), ``planner check`` (fewer sections, no plan header, messages on stderr only)."""
    rows = summary_rows(a, sections)
    width = max(len(k) for k, _ in rows) + 2
    lines = [f"Plan: {a.plan.name}"] + ([a.plan.description] if a.plan.description else []) if messages else []
    lines += [f"{k:<{width}}{v}" for k, v in rows]
    if messages:
        lines += ["", a.gate.message] + ([a.corpus.message] if a.corpus is not None else [])
    return "\n".join(lines)


def card_html(a, columns: int = 1) -> str:
    """A one-screen plan card: the verdict in colour, then the numbers (in 1 or 2 column pairs)."""
    g = a.gate
    colour = LEVEL_COLOURS[g.level]
    cells = [f"<th style='text-align:left;padding:2px 12px 2px 0'>{html.escape(k)}</th>"
             f"<td style='text-align:left;padding-right:24px'>{html.escape(v)}</td>" for k, v in summary_rows(a)[1:]]
    per = -(-len(cells) // columns)
    rows = "".join("<tr>" + "".join(cells[i + c * per] for c in range(columns) if i + c * per < len(cells)) + "</tr>"
                   for i in range(per))
    return (f"<div style='font-family:sans-serif'>"
            f"<div style='background:{colour};color:white;padding:10px 14px;border-radius:6px;font-size:1.2em'>"
            f"<b>{html.escape(a.verdict.headline)}</b> — {html.escape(LEVEL_TEXT[g.level].split(': ', 1)[1])}</div>"
            f"<h3 style='margin:8px 0 4px 0'>{html.escape(a.plan.name)}</h3>"
            f"<p style='margin:0 0 6px 0'>{html.escape(a.plan.description)}</p>"
            f"<table>{rows}</table></div>")


# ---- tables (pandas imported on use) ---------------------------------------------------------

def params_frame(names=None):
    """Parameter breakdown of catalog models, one row each (DataFrame)."""
    import pandas as pd

    from ..model.catalog import architecture, list_models
    from ..model.params import count_params
    rows = []
    for name in names or list_models():
        arch = architecture(name)
        pc = count_params(arch)
        rows.append({"model": name, "model_type": arch.family, **pc.breakdown, "total": pc.total,
                     "embedding": pc.embedding, "non_embedding": pc.non_embedding, "active": pc.active})
    return pd.DataFrame(rows).astype({"active": "Int64"}).set_index("model")  # exact ints, <NA> when dense


def real_models_frame():
    """Real models' N and D with their sources (``data/real_models.csv``)."""
    import pandas as pd

    from ..datafiles import DATA_DIR
    df = pd.read_csv(DATA_DIR / "real_models.csv")
    return df[pd.to_numeric(df["tokens_D"], errors="coerce").notna()].astype({"tokens_D": float})


def corpora_frame():
    import pandas as pd

    from ..datafiles import DATA_DIR
    return pd.read_csv(DATA_DIR / "corpora.csv")


def cost_frame(a):
    """Compute, time and money of one assessment as a one-column table."""
    import pandas as pd
    k = a.compute
    return pd.DataFrame({"value": {
        "FLOPs (6·N·D)": f"{k.flops:.3g}", "FLOPs with attention": f"{k.flops_with_attention:.3g}",
        "accelerator": k.accelerator, "count": str(k.count), "MFU": f"{k.mfu:.0%}",
        "GPU-hours": fmt_gpu_hours(k.gpu_hours), "wall-clock": fmt_hours(k.wall_clock_hours),
        "cost": "—" if k.cost is None else fmt_money(k.cost)}})


def corpus_frame(a):
    """Epochs, effective data and ceilings of one assessment (empty without a corpus)."""
    import pandas as pd
    c = a.corpus
    if c is None:
        return pd.DataFrame({"value": {}})
    return pd.DataFrame({"value": {
        "corpus": c.name, "unique tokens": fmt_si(c.unique_tokens), "training tokens": fmt_si(c.tokens),
        "epochs": f"{c.epochs:.3g}", "effective tokens (Muennighoff)": fmt_si(c.effective_tokens),
        "fresh fraction": f"{c.efficiency:.0%}", "D/N ceiling, 1 epoch": fmt_ratio(c.ceiling_1_epoch),
        "D/N ceiling, 4 epochs": fmt_ratio(c.ceiling_4_epochs), "repetition": c.repetition}})


def optimal_frame(a):
    """The plan beside the compute-optimal plan for the same (total) FLOPs, both on the compute N."""
    import pandas as pd
    o = a.optimal
    d = a.gate.prior_tokens + a.gate.tokens
    t = a.plan.thresholds
    lines = (t.severe, t.block, t.optimal)  # as the card prints it: never past a line the plan has not reached
    return pd.DataFrame({
        "this plan": {"N": fmt_si(a.compute_params), "D": fmt_si(d),
                      "tokens per parameter": fmt_ratio(d / a.compute_params, lines), "predicted loss": f"{a.loss:.3f}"},
        f"compute-optimal ({o.fit})": {"N": fmt_si(o.params), "D": fmt_si(o.tokens),
                                       "tokens per parameter": fmt_ratio(o.tokens_per_param, ()),
                                       "predicted loss": f"{o.loss:.3f}" + (" (extrapolated)" if o.extrapolated
                                                                            else "")}})


def chinchilla_frame(fits=("chinchilla", "epoch")):
    """Chinchilla's Table 3 (Approach 1) beside what each fit predicts for the same FLOPs.

    Columns: the paper's N, FLOPs and D (Hoffmann et al. 2022, ``data/chinchilla_table3.csv``),
    then per fit the compute-optimal N, D and tokens per parameter at those FLOPs.
    """
    import pandas as pd

    from ..datafiles import DATA_DIR
    from ..laws.fits import fit as get_fit
    paper = pd.read_csv(DATA_DIR / "chinchilla_table3.csv")
    out = pd.DataFrame({"paper N": paper["params"], "paper FLOPs": paper["a1_flops"], "paper D": paper["a1_tokens"],
                        "paper D/N": paper["a1_tokens"] / paper["params"]})
    for name in fits:
        n, d = get_fit(name).optimal(out["paper FLOPs"].to_numpy())
        out[f"{name} N"] = n
        out[f"{name} D"] = d
        out[f"{name} D/N"] = d / n
    return out
