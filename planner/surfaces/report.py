"""Render one :class:`~planner.plan.Assessment`: text for the terminal, HTML and tables for notebooks.

Every surface formats numbers through :mod:`planner.format`, so the command line, the
workbook and the review show the same digits.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypedDict

from ..datafiles import DATA_DIR
from ..errors import PlannerError
from ..format import fmt_gpu_hours, fmt_hours, fmt_hours_span, fmt_int, fmt_money, fmt_ratio, fmt_si
from ..laws.ladder import load_bootstrap
from ..laws.registry import fit as get_fit
from ..model.catalog import architecture, list_models
from ..model.params import count_params
from ..verdict.advisor import fit_name
from ..verdict.assessment import Assessment
from ..verdict.gate import assess
from ..verdict.judge import judge_plan
from ..verdict.policy import Verdict
from .memory_text import memory_rows

if TYPE_CHECKING:   # pandas is imported when a table is first made
    import pandas as pd

LEVEL_COLOURS = {"severe": "#b71c1c", "blocked": "#e65100", "below-optimal": "#f9a825", "compute-optimal": "#2e7d32"}
#: The colour of each verdict status (:data:`planner.verdict.policy.STATUSES`): the levels, and ``does-not-fit``.
STATUS_COLOURS = {**LEVEL_COLOURS, "does-not-fit": "#880e4f"}


SECTIONS = ("verdict", "model", "budget", "corpus", "compute", "memory", "law", "science")


def summary_rows(a: Assessment, sections: Sequence[str] = SECTIONS) -> list[tuple[str, str]]:
    """(label, value) pairs of an assessment, verdict first, for the chosen ``sections``.

    ``planner check`` shows verdict, model, budget and corpus; ``planner report``, the card and the review show
    every section. The verdict comes from :attr:`~planner.verdict.assessment.Assessment.verdict`, the one policy.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.
        sections: which of :data:`SECTIONS` to include.

    Returns:
        ``(label, value)`` pairs, as strings.
    """
    p, g, v = a.plan, a.gate, a.verdict
    kind = p.param_kind.replace("_", "-")
    lines = (p.thresholds.severe, p.thresholds.block, p.thresholds.optimal)

    def r(x: float) -> str:
        return fmt_ratio(x, lines)

    rows: list[tuple[str, str]] = []
    if "verdict" in sections:
        rows.append(("Verdict", v.headline))
        if g.on_effective:
            rows += [("D'/N (effective)", f"{r(g.ratio)} tokens per parameter after repetition, on {kind} N (judged)"),
                     ("D/N (raw)", f"{r(g.raw_ratio)} tokens per parameter")]
        else:
            rows.append(("D/N", f"{r(g.ratio)} tokens per parameter ({g.judged} tokens, on {kind} N; judged)"))
        if g.prior_tokens:
            rows.append(("D/N new / cumulative", f"{r(g.new_ratio)} / {r(g.cumulative_ratio)}"))
        if g.level != "compute-optimal":
            rows.append((f"To reach {p.thresholds.optimal:g}×", g.reach))
        if a.memory is not None and "memory" not in sections and v.fits is not True:
            rows.append(("Memory", a.memory.message.removeprefix("Memory: ")))
    if "model" in sections:
        model = ("N given directly" if p.model is None else "custom dimensions" if p.model.family == "custom"
                 else f"{p.model.name} ({p.model.family})")
        rows += [("Model", model), (f"N ({kind})", f"{fmt_int(a.params)} parameters")]
        if a.counts is not None:
            rows.append(("N total / non-embedding", f"{fmt_int(a.counts.total)} / {fmt_int(a.counts.non_embedding)}"))
            if a.counts.is_moe:
                assert a.counts.active is not None   # a MoE count has its active N
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
                 ("Corpus ceiling", f"D'/N {r(c.ceiling_1_epoch)}× at 1 epoch, {r(c.ceiling_4_epochs)}× at 4, "
                                    f"{r(c.ceiling_16_epochs)}× at 16 epochs")]
    if "compute" in sections:
        rows += compute_rows(a)
    if "memory" in sections and a.memory is not None:
        assert a.plan.parallelism is not None   # memory is estimated for a plan with a layout
        rows.append(("Layout", a.plan.parallelism.describe()))
        rows += [(f"Memory: {k.lower()}", v.strip()) for k, v in memory_rows(a.memory)]
    if "law" in sections:
        o = a.optimal
        same = "the same total FLOPs (prior + new tokens)" if g.prior_tokens else "the same FLOPs"
        law = ""
        if o.on_line:
            assert o.law_params is not None and o.law_tokens is not None   # on_line: the law's own minimum is known
            law = (f"; the {fit_name(o.fit)} fit's own minimum: N = {fmt_si(o.law_params)}, D = {fmt_si(o.law_tokens)} "
                   f"({fmt_ratio(o.law_tokens_per_param, ())} tokens/param), loss {o.law_loss:.3f}")
        rows += [("Predicted loss", f"{a.loss:.3f} ({fit_name(p.fit)} fit, N = {fmt_si(a.compute_params)})"),
                 (f"Compute-optimal at {same}", f"N = {fmt_si(o.params)}, D = {fmt_si(o.tokens)} "
                                                f"({fmt_ratio(o.tokens_per_param, ())} tokens/param"
                                                f"{', on the gate' + chr(39) + 's line' if o.on_line else ''}), "
                                                f"loss {o.loss:.3f} at {o.flops:.3g} FLOPs{law}"
                                                + (" (extrapolated: outside the fit's compute range)"
                                                   if o.extrapolated else "") + _judged_note(a, "compute-optimal"))]
    if "science" in sections:
        rows += science_rows(a)
    return rows


def compute_rows(a: Assessment) -> list[tuple[str, str]]:
    """The compute section's (label, value) pairs: FLOPs, the FLOPs the MFU counts, hardware, time and cost.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        ``(label, value)`` pairs, as strings.
    """
    k = a.compute
    attention = (f"{k.flops_with_attention:.3g} with attention{' (causal half)' if k.causal_halving else ''}"
                 if a.attention_known else "attention term unknown (no sequence length)")
    speed = (f"{k.mfu:.0%} MFU" if k.achieved_tflops is None
             else f"{k.achieved_tflops:g} TFLOP/s achieved = {k.mfu:.0%} MFU") + f" of {k.mfu_convention} FLOPs"
    if k.hardware_flops != k.mfu_flops:
        speed += f", {k.hfu:.0%} HFU ({k.recompute} recompute)"
    rows = [("Training FLOPs", f"{k.model_flops:.3g} (6·N·D, N = {fmt_int(a.compute_params)}); {attention}"),
            ("MFU counts", f"{k.mfu_flops:.3g} FLOPs: D × ({k.mfu_basis})"),
            ("Hardware", f"{fmt_int(k.count)} × {k.accelerator} ({k.peak_tflops:g} TFLOP/s dense BF16) at {speed}"),
            ("GPU-hours", fmt_gpu_hours(k.gpu_hours) + (f" ({fmt_gpu_hours(k.useful_gpu_hours)} of useful steps at "
                                                        f"{k.goodput:.0%} goodput)" if k.goodput != 1 else "")),
            ("Wall-clock", fmt_hours(k.wall_clock_hours)),
            ("Cost", "—" if k.cost is None or k.price_per_gpu_hour is None   # a cost has a price
             else f"{fmt_money(k.cost)} at {fmt_money(k.price_per_gpu_hour)}/GPU-hour")]
    if a.predicted is not None:
        rows.append(("Predicted", predicted_text(a)))
    return rows


def predicted_text(a: Assessment) -> str:
    """The throughput model's answer for the plan's layout in words: tokens/s per GPU, MFU, step time, the line.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment` with a prediction.

    Returns:
        e.g. ``7,543 tokens/s per GPU ± 20% (MFU 44%), 34.8 s a step with this layout; the 20× line in 92 h
            (3.9 days), 3.2-4.8 days within the band``.
    """
    t = a.predicted
    assert t is not None
    days, span = a.predicted_days_to_line, a.predicted_days_range
    line = ("" if days is None or span is None else f"; the {a.plan.thresholds.optimal:g}× line in "
            f"{fmt_hours(days * 24)}, {fmt_hours_span(span[0] * 24, span[1] * 24)} within the band")
    return (f"{t.tokens_per_gpu_s:,.0f} tokens/s per GPU ± {t.band:.0%} (MFU {t.mfu:.0%}), {t.step_seconds:.3g} s a "
            f"step with this layout{line}")




class Recommendation(TypedDict):
    """One plan the assessment recommends, as the gate judges it (an item of :func:`recommendations`)."""

    kind: str
    params: float
    tokens: float
    level: str | None   # None: past the count limit, beyond any plan the gate judges
    ratio: float
    judged: str
    repetition_capped: bool


def recommendations(a: Assessment) -> list[Recommendation]:
    """Every plan the assessment recommends, judged by the gate like any plan: the compute-optimal alternative, the
    data-constrained optima (with a corpus) and the inference-aware plan (with inference tokens).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        One dict per plan: ``kind``, ``params``, ``tokens``, and the gate's ``level``, judged ``ratio`` and
            ``judged`` measure for it (on the plan's corpus and lines; N and D rounded to whole numbers). A plan
            judged below the line says so on every surface.
    """
    s, t = a.science_or_none, a.plan.thresholds
    u = None if a.corpus is None else a.corpus.unique_tokens
    plans = [("compute-optimal", a.optimal.params, a.optimal.tokens)]
    if s is not None and s.corpus is not None:
        plans += [(kind, o.params, o.tokens) for kind, o in (("data-constrained at budget", s.corpus.at_budget),
                                                              ("data-constrained at the line", s.corpus.at_20x))
                  if o is not None]
    if s is not None and s.inference is not None:
        plans.append(("inference-aware", s.inference.params, s.inference.tokens))
    out: list[Recommendation] = []
    for kind, n, d in plans:
        try:
            g = assess(max(1, round(n)), max(1, round(d)), unique_tokens=u, thresholds=t)
        except PlannerError:   # past the count limit (10^30): beyond any plan the gate judges
            out.append({"kind": kind, "params": n, "tokens": d, "level": None, "ratio": d / n, "judged": "raw",
                        "repetition_capped": False})
            continue
        out.append({"kind": kind, "params": n, "tokens": d, "level": g.level, "ratio": g.ratio,
                    "judged": "effective" if g.on_effective else "raw", "repetition_capped": g.repetition_capped})
    return out


def _judged_note(a: Assessment, kind: str) -> str:
    """`` — judged below-optimal by the gate (D'/N 12.3)`` for a recommended plan below the line, else ``""``."""
    r = next((r for r in recommendations(a) if r["kind"] == kind), None)
    if r is None or r["level"] in ("compute-optimal", None):
        return ""
    why = f", past {16} epochs of repetition" if r["repetition_capped"] else ""
    measure = "D'/N" if r["judged"] == "effective" else "D/N"
    return f" — judged {r['level']} by the gate ({measure} {fmt_ratio(r['ratio'])}{why})"


def science_rows(a: Assessment) -> list[tuple[str, str]]:
    """The data-constrained optimum (with a corpus), the inference-aware plan (with inference tokens) and the batch
    size and learning rate to start from (:attr:`~planner.verdict.assessment.Assessment.science`); a recommended plan
    the gate judges below the line says so.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        ``(label, value)`` pairs (one row saying so when the laws do not reach the budget).
    """
    s = a.science_or_none
    rows = []
    if s is None:
        return [("Science", "the scaling laws do not reach this budget")]
    if s.corpus is not None:
        c = s.corpus
        for kind, label, o in (("data-constrained at budget", "Best model for this corpus at this budget", c.at_budget),
                               ("data-constrained at the line",
                                f"Best model for this corpus at the budget of {a.plan.thresholds.optimal:g}× N",
                                c.at_20x)):
            if o is not None:
                rows.append((label, f"N = {fmt_si(o.params)}, D = {fmt_si(o.tokens)} ({o.epochs:.3g} epochs), "
                                    f"loss {o.loss:.3f}" + _judged_note(a, kind)))
        if c.corpus_for_optimal is not None:
            rows.append(("Corpus that makes this N compute-optimal", f"{fmt_si(c.corpus_for_optimal)} unique tokens"))
    if s.inference is not None:
        i = s.inference
        epochs = "" if i.epochs is None else f", {i.epochs:.3g} epochs"
        rows.append(("Inference-aware plan", f"N = {fmt_si(i.params)}, D = {fmt_si(i.tokens)} "
                                             f"({fmt_ratio(i.tokens / i.params, ())} tokens/param{epochs}), "
                                             f"loss {i.loss:.3f} (the plan's), {i.flops_saved_fraction:.0%} fewer "
                                             f"lifetime FLOPs" + _judged_note(a, "inference-aware")))
    rows.append(("Batch size and learning rate", s.hyperparameters.message))
    fit = a.plan.fit
    if fit.endswith(".toml"):  # a law fitted to the user's runs: is the verdict inside its uncertainty?
        boot = load_bootstrap(fit)
        if boot is not None:
            rows += [("Fitted law's uncertainty", m) for m in judge_plan(boot, a.plan).messages]
    return rows


#: The version of the JSON ``planner check/report --json`` print (``data/schemas/assessment.schema.json``).
SCHEMA_VERSION = 2


def assessment_json(a: Assessment, *, forced: bool = False, forced_no_fit: bool = False) -> dict[str, object]:
    """The complete assessment as JSON: every number the text, the card and the review show.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.
        forced: the gate blocked the plan and ``--force-under-provisioned`` let it launch.
        forced_no_fit: memory blocked the plan and ``--force-no-fit`` let it launch.

    Returns:
        A JSON-ready dict described by ``data/schemas/assessment.schema.json`` (``schema_version``
            :data:`SCHEMA_VERSION`): the plan's numbers, ``verdict`` (headline, notices, exit decision),
            ``memory``, ``science`` (data-constrained and inference-aware plans, batch size and learning rate),
            ``recommendations`` (each recommended plan as the gate judges it) and ``rows`` (the text report's rows).
    """
    return {"schema_version": SCHEMA_VERSION, **a.to_dict(), "forced": forced, "forced_no_fit": forced_no_fit,
            "recommendations": recommendations(a), "rows": [{"label": k, "value": v} for k, v in summary_rows(a)]}


def render_text(a: Assessment, sections: Sequence[str] = SECTIONS, *, messages: bool = True) -> str:
    """The assessment as aligned text: ``planner report`` (every section, then the gate's and the corpus's
    messages), ``planner check`` (fewer sections, no plan header, messages on stderr only).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.
        sections: which of :data:`SECTIONS` to include.
        messages: the report's form (plan header, then the gate's and corpus's messages) rather than the check's.

    Returns:
        The text, one row per line.
    """
    rows = summary_rows(a, sections)
    width = max(len(k) for k, _ in rows) + 2
    lines = [f"Plan: {a.plan.name}"] + ([a.plan.description] if a.plan.description else []) if messages else []
    lines += [f"{k:<{width}}{v}" for k, v in rows]
    if not messages:   # check: the verdict's notices below the rows (the gate's own message is the verdict row)
        lines += [f"{'Notice (' + n.kind + ')':<{width}}{n.text}" for n in a.verdict.notices if n.kind != "gate"]
    if messages:
        lines += ["", a.gate.message] + ([a.corpus.message] if a.corpus is not None else [])
    return "\n".join(lines)


def verdict_html(v: Verdict, *, font_size: str = "1.2em") -> str:
    """The verdict as every surface shows it: the headline and its explanation on the status colour, then each
    notice (memory, gate, repetition, unreachable) as a line below.

    Args:
        v: a :class:`~planner.verdict.policy.Verdict`.
        font_size: the headline's CSS font size.

    Returns:
        HTML (a ``div.planner-verdict-banner`` with ``data-status`` and ``data-level``).
    """
    notices = "".join(f"<li class='planner-notice' data-kind='{n.kind}'>{html.escape(n.text)}</li>"
                      for n in v.notices if n.kind != "gate")
    return (f"<div class='planner-verdict-banner' data-status='{v.status}' data-level='{v.level}'>"
            f"<div style='background:{STATUS_COLOURS[v.status]};color:white;padding:8px 12px;border-radius:6px;"
            f"font-size:{font_size}'><b>{html.escape(v.headline)}</b> — {html.escape(v.explanation)}</div>"
            + (f"<ul class='planner-notices' style='margin:4px 0;padding-left:18px;font-size:13px;color:#4a148c'>"
               f"{notices}</ul>" if notices else "") + "</div>")


def key_numbers(a: Assessment) -> list[tuple[str, str]]:
    """The numbers a reviewer reads first, beside the verdict: N, D, epochs, the steps to the line, memory,
    wall-clock and cost (the workbook's verdict strip and the review's heading).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        ``(label, value)`` pairs, in reading order (epochs only with a corpus, memory only with a layout).
    """
    g, k, t = a.gate, a.compute, a.plan.thresholds
    out = [("N", fmt_si(a.params)), ("D", fmt_si(g.tokens) + (f" + {fmt_si(g.prior_tokens)} prior" if g.prior_tokens
                                                              else ""))]
    if a.corpus is not None:
        out.append(("epochs", f"{a.corpus.epochs:.3g}"))
    if g.level == "compute-optimal" and not g.repetition_capped:
        line = "reached"
    elif not g.optimal_reachable:
        line = "not reachable on this corpus"
    elif g.steps_to_optimal is not None:
        line = f"{fmt_int(g.steps_to_optimal)} steps"
    else:
        assert g.tokens_to_optimal is not None   # reachable: the tokens that reach the line are known
        line = f"{fmt_si(g.tokens_to_optimal)} tokens"
    out.append((f"{t.optimal:g}×", line))
    m = a.memory
    if m is not None:
        state = {True: "fits", False: "does not fit", None: "fit unknown"}[m.fits]
        out.append(("memory", state if m.capacity is None else
                    f"{state}: {m.total / 2**30:,.1f} of {m.capacity / 2**30:,.0f} GiB"))
    out += [("wall-clock", f"{fmt_hours(k.wall_clock_hours)} on {fmt_int(k.count)} GPU{'s' if k.count != 1 else ''}"),
            ("cost", "—" if k.cost is None else fmt_money(k.cost))]
    days, span = a.predicted_days_to_line, a.predicted_days_range
    if days is not None and span is not None:
        within = fmt_hours_span(span[0] * 24, span[1] * 24)
        out.append((f"{t.optimal:g}× in", f"{fmt_hours(days * 24)} predicted ({within})"))
    return out


def strip_html(a: Assessment) -> str:
    """:func:`key_numbers` as one line of labelled values (``div.planner-strip``).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        HTML.
    """
    cells = " ".join(f"<span class='planner-key' data-key='{html.escape(k)}' "
                    "style='margin-right:14px;white-space:nowrap'>"
                    f"<span style='color:#607d8b'>{html.escape(k)}</span> <b>{html.escape(v)}</b></span>"
                    for k, v in key_numbers(a))
    return f"<div class='planner-strip' style='font-size:13px;margin:4px 0;line-height:1.6'>{cells}</div>"


def card_html(a: Assessment, columns: int = 1) -> str:
    """A one-screen plan card: the verdict in colour with its notices, then the numbers (in 1 or 2 column pairs).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.
        columns: how many label/value column pairs.

    Returns:
        HTML (self-contained, inline styles).
    """
    cells = [f"<th style='text-align:left;padding:2px 12px 2px 0'>{html.escape(k)}</th>"
             f"<td style='text-align:left;padding-right:24px'>{html.escape(v)}</td>" for k, v in summary_rows(a)[1:]]
    per = -(-len(cells) // columns)
    rows = "".join("<tr>" + "".join(cells[i + c * per] for c in range(columns) if i + c * per < len(cells)) + "</tr>"
                   for i in range(per))
    return (f"<div style='font-family:sans-serif'>{verdict_html(a.verdict)}{strip_html(a)}"
            f"<h3 style='margin:8px 0 4px 0'>{html.escape(a.plan.name)}</h3>"
            f"<p style='margin:0 0 6px 0'>{html.escape(a.plan.description)}</p>"
            f"<table>{rows}</table></div>")


# ---- tables (pandas imported on use) ---------------------------------------------------------

def params_frame(names: Iterable[str] | None = None) -> pd.DataFrame:
    """Parameter breakdown of catalog models, one row each (DataFrame).

    Args:
        names: catalog model names (default: every one).

    Returns:
        A pandas DataFrame indexed by model: the count's breakdown, total, embedding, non-embedding, active.

    Raises:
        InputError: an unknown model name.
    """
    import pandas as pd

    rows = []
    for name in names or list_models():
        arch = architecture(name)
        pc = count_params(arch)
        rows.append({"model": name, "model_type": arch.family, **pc.breakdown, "total": pc.total,
                     "embedding": pc.embedding, "non_embedding": pc.non_embedding, "active": pc.active})
    return pd.DataFrame(rows).astype({"active": "Int64"}).set_index("model")  # exact ints, <NA> when dense


def real_models_frame() -> pd.DataFrame:
    """Real models' N and D with their sources (``data/real_models.csv``).

    Returns:
        A pandas DataFrame of the models with a known D.
    """
    import pandas as pd

    df = pd.read_csv(DATA_DIR / "real_models.csv")
    return df[pd.to_numeric(df["tokens_D"], errors="coerce").notna()].astype({"tokens_D": float})


def cost_frame(a: Assessment) -> pd.DataFrame:
    """Compute, time and money of one assessment as a one-column table.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        A pandas DataFrame with one ``value`` column.
    """
    import pandas as pd
    k = a.compute
    return pd.DataFrame({"value": {
        "FLOPs (6·N·D)": f"{k.flops:.3g}", "FLOPs with attention": f"{k.flops_with_attention:.3g}",
        "FLOPs the MFU counts": f"{k.mfu_flops:.3g} ({k.mfu_convention})",
        "accelerator": k.accelerator, "count": str(k.count), "MFU": f"{k.mfu:.0%}", "HFU": f"{k.hfu:.0%}",
        "goodput": f"{k.goodput:.0%}",
        "GPU-hours": fmt_gpu_hours(k.gpu_hours), "wall-clock": fmt_hours(k.wall_clock_hours),
        "cost": "—" if k.cost is None else fmt_money(k.cost)}})


def corpus_frame(a: Assessment) -> pd.DataFrame:
    """Epochs, effective data and ceilings of one assessment (empty without a corpus).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        A pandas DataFrame with one ``value`` column (no rows without a corpus).
    """
    import pandas as pd
    c = a.corpus
    if c is None:
        return pd.DataFrame({"value": {}})
    return pd.DataFrame({"value": {
        "corpus": c.name, "unique tokens": fmt_si(c.unique_tokens), "training tokens": fmt_si(c.tokens),
        "epochs": f"{c.epochs:.3g}", "effective tokens (Muennighoff)": fmt_si(c.effective_tokens),
        "fresh fraction": f"{c.efficiency:.0%}", "D/N ceiling, 1 epoch": fmt_ratio(c.ceiling_1_epoch),
        "D/N ceiling, 4 epochs": fmt_ratio(c.ceiling_4_epochs), "repetition": c.repetition}})


def optimal_frame(a: Assessment) -> pd.DataFrame:
    """The plan beside the compute-optimal plan for the same (total) FLOPs, both on the compute N.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        A pandas DataFrame: one column per plan, rows N, D, tokens per parameter, predicted loss.
    """
    import pandas as pd
    o = a.optimal
    d = a.gate.prior_tokens + a.gate.tokens
    t = a.plan.thresholds
    lines = (t.severe, t.block, t.optimal)  # as the card prints it: never past a line the plan has not reached
    return pd.DataFrame({
        "this plan": {"N": fmt_si(a.compute_params), "D": fmt_si(d),
                      "tokens per parameter": fmt_ratio(d / a.compute_params, lines),
                      "predicted loss": f"{a.loss:.3f}"},
        f"compute-optimal ({o.fit})": {"N": fmt_si(o.params), "D": fmt_si(o.tokens),
                                       "tokens per parameter": fmt_ratio(o.tokens_per_param, ()),
                                       "predicted loss": f"{o.loss:.3f}" + (" (extrapolated)" if o.extrapolated
                                                                            else "")}})


def chinchilla_frame(fits: Iterable[str] = ("chinchilla", "epoch")) -> pd.DataFrame:
    """Chinchilla's Table 3 (Approach 1) beside what each fit predicts for the same FLOPs.

    Columns: the paper's N, FLOPs and D (Hoffmann et al. 2022, ``data/chinchilla_table3.csv``),
    then per fit the compute-optimal N, D and tokens per parameter at those FLOPs.

    Args:
        fits: names of fits (:data:`planner.laws.power_law.FITS`) to set beside the paper.

    Returns:
        A pandas DataFrame, one row per row of the paper's table.

    Raises:
        InputError: an unknown fit.
    """
    import pandas as pd

    paper = pd.read_csv(DATA_DIR / "chinchilla_table3.csv")
    out = pd.DataFrame({"paper N": paper["params"], "paper FLOPs": paper["a1_flops"], "paper D": paper["a1_tokens"],
                        "paper D/N": paper["a1_tokens"] / paper["params"]})
    for name in fits:
        n, d = get_fit(name).optimal(out["paper FLOPs"].to_numpy())
        out[f"{name} N"] = n
        out[f"{name} D"] = d
        out[f"{name} D/N"] = d / n
    return out
