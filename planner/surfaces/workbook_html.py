"""What the workbook shows beside its controls, as HTML: the verdict readout, the numbers, memory, the advice.

Plain functions of an :class:`~planner.verdict.assessment.Assessment` (no widgets): the shell
(:mod:`planner.surfaces.widgets`) puts their HTML into its ``HTML`` widgets. The verdict banner is
:func:`~planner.surfaces.report.verdict_html`, the one rendering every surface shares.
"""

from __future__ import annotations

import html

from ..format import fmt_int, fmt_si
from ..training.memory.result import MemoryEstimate
from ..verdict.assessment import Assessment
from .memory_bar import memory_bar_html
from .report import strip_html, summary_rows, verdict_html

#: Summary rows the workbook shows in a place of their own (not repeated in the details table).
SHOWN_ELSEWHERE = ("Batch size and learning rate",)


def readout_html(a: Assessment, base_name: str, departures: list[str]) -> str:
    """The verdict banner with its notices, the key numbers and the base-model line.

    Args:
        a: the :class:`~planner.verdict.assessment.Assessment` of the current settings.
        base_name: what the base model is called.
        departures: how the architecture departs from it (``["layers 24 → 25"]``; empty: unchanged).

    Returns:
        HTML: a ``div.planner-verdict`` with ``data-current="true"`` and the verdict's level, status, N, D and
            steps to the line as ``data-`` attributes (what the browser tests read).
    """
    g, v = a.gate, a.verdict
    base = (f"Base model <b>{html.escape(base_name)}</b>"
            + (f" — <b>modified</b>: {html.escape(', '.join(departures))}" if departures else " (unchanged)"))
    return (f"<div class='planner-verdict' data-current='true' data-level='{v.level}' data-status='{v.status}' "
            f"data-blocked='{str(v.blocked).lower()}' data-params='{a.params}' data-tokens='{g.tokens}' "
            f"data-steps-to-optimal='{'' if v.steps_to_optimal is None else v.steps_to_optimal}' "
            f"style='font-family:sans-serif'>{verdict_html(v, font_size='16px')}{strip_html(a)}"
            f"<div class='planner-base' style='margin:4px 0 0 0;font-size:13px'>{base}</div></div>")


def error_html(error: str) -> str:
    """The readout when the settings cannot be assessed: the reason, and that the chart is not current.

    Args:
        error: the message, in the controls' words.

    Returns:
        HTML: a ``div.planner-verdict`` with ``data-current="false"``.
    """
    return (f"<div class='planner-verdict' data-current='false' data-level='' style='font-family:sans-serif'>"
            f"<div style='background:#fff3f3;border:2px solid #b71c1c;color:#b71c1c;padding:10px 14px;"
            f"border-radius:6px;font-weight:bold'>Cannot assess these settings: {html.escape(error)}</div>"
            f"<p style='color:#555;margin:4px 0'>The chart below shows the last settings that could be "
            f"assessed: it is <b>not current</b>.</p></div>")


def details_html(a: Assessment) -> str:
    """Every number of the assessment (the package's summary rows but the verdict and :data:`SHOWN_ELSEWHERE`), in
    two columns.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        HTML: a ``<table>``.
    """
    cells = [f"<th>{html.escape(k)}</th><td>{html.escape(v)}</td>" for k, v in summary_rows(a)[1:]
             if k not in SHOWN_ELSEWHERE]
    per = -(-len(cells) // 2)
    rows = "".join("<tr>" + cells[i] + (cells[i + per] if i + per < len(cells) else "") + "</tr>"
                   for i in range(per))
    return f"<table>{rows}</table>"


def memory_html(mem: MemoryEstimate | None) -> str:
    """The per-GPU memory bar with its layout and the capacity line.

    Args:
        mem: a :class:`~planner.training.memory.MemoryEstimate`, or ``None`` (no layout).

    Returns:
        HTML, or ``""`` without an estimate.
    """
    if mem is None:
        return ""
    return (f"<div style='font-family:sans-serif;margin:6px 0'><b>Memory per GPU</b> "
            f"<span style='color:#555'>({html.escape(mem.layout.describe())})</span>"
            f"{memory_bar_html(mem)}</div>")


def batch_advice_html(a: Assessment) -> str:
    """The batch size and learning rate the law recommends (``assessment.science.hyperparameters``), said once: the
    details table leaves its row out (:data:`SHOWN_ELSEWHERE`).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        HTML: the batch in tokens (and in sequences of the plan's length), the learning rate, and the plan's batch
            against it when it is off by more than 2× (the law's own ``batch_off``).
    """
    h = a.science.hyperparameters
    seq = a.plan.budget.seq_len
    seqs = "" if not seq else f" ≈ {h.batch_tokens_opt / seq:,.0f} sequences of {fmt_int(seq)}"
    law = f"{h.law} law" + (", extrapolated" if h.extrapolated else "")
    off = ""
    if h.batch_off is not None and h.batch_ratio is not None:
        effect = "more steps and wall-clock than needed" if h.batch_off == "too small" else "more tokens than needed"
        off = (f"<div style='color:#8d6e63'>This plan's {fmt_int(h.tokens_per_step or 0)} tokens per step are "
               f"{h.batch_ratio:.2g}× that: {h.batch_off} ({effect}).</div>")
    return (f"<div style='font-size:12px;color:#37474f;margin:2px 0 4px 0'>"
            f"Recommended: batch <b class='planner-batch-opt'>{fmt_si(h.batch_tokens_opt)}</b> tokens{seqs}, "
            f"learning rate <b class='planner-lr-opt'>{h.learning_rate_opt:.3g}</b> "
            f"<span style='color:#78909c'>({html.escape(law)})</span>{off}</div>")


def gpus_note_html(data_parallel: int, tp: int, pp: int, cp: int = 1) -> str:
    """The line under the GPUs control with a layout on.

    Args:
        data_parallel: the data-parallel degree.
        tp: the tensor-parallel degree.
        pp: the pipeline-parallel degree.
        cp: the context-parallel degree (a loaded layout's; shown when above 1).

    Returns:
        HTML: ``= data parallel 4 × TP 2 × PP 1 (the layout)``.
    """
    return (f"<span style='font-size:12px;color:#546e7a;margin-left:118px'>= data parallel {data_parallel:,} × "
            f"TP {tp} × PP {pp}{f' × CP {cp}' if cp > 1 else ''} (the layout)</span>")


NOTHING_TO_FIX = "<p class='planner-advice-none'>Nothing to fix: the plan is compute-optimal.</p>"
