"""The layout search's answer as text lines and as an HTML table: what `planner layout` prints and the review shows.

The numbers come from :class:`planner.verdict.layouts.LayoutReport`; nothing is computed here but the wording.
"""

from __future__ import annotations

from html import escape

from ..format import fmt_gib, fmt_hours, fmt_hours_span, fmt_int, fmt_money
from ..model.params import count_params
from ..training.parallelism import Parallelism
from ..training.throughput_calibration import TP_HIDDEN
from ..verdict.layouts import LayoutOption, LayoutReport

#: How each stack that can overlap TP's collectives with the matmuls names it.
_OVERLAP_WORDS = {"megatron": "--tp-comm-overlap", "torchtitan": "async TP, enable_async_tensor_parallel"}
#: How a kept setting reads.
_KEPT_WORDS = {"tp": "TP", "pp": "PP", "vpp": "virtual stages", "cp": "CP", "ep": "EP", "etp": "ETP", "dp": "DP",
               "micro_batch": "micro-batch", "recompute": "recompute", "zero": "ZeRO"}
#: The table's columns: heading and the text of an option.
COLUMNS = ("TP", "PP", "CP", "EP", "DP", "micro", "accum", "recompute", "sharding", "memory/GPU", "tokens/s/GPU",
           "MFU", "step", "to the line")


def _sharding(o: LayoutOption) -> str:
    """FSDP, ZeRO k or none."""
    p = o.layout
    return "FSDP" if p.zero_stage == 3 else f"ZeRO {p.zero_stage}" if p.zero_stage else "none"


def layout_lines(r: LayoutReport) -> list[str]:
    """The report as text lines: what was searched, one line per layout, the fastest first.

    Args:
        r: a :class:`~planner.verdict.layouts.LayoutReport`.

    Returns:
        The lines.
    """
    plan, b = r.plan, r.plan.budget
    assert plan.model is not None and b.seq_len is not None    # plan_layouts refuses anything else
    n = count_params(plan.model).total
    head = [f"Layouts for {plan.name}: {plan.model.name}, {fmt_int(n)} parameters, {r.gpus:,} × "
            f"{plan.hardware['name']}{f' (the fewest GPUs within {r.limit})' if r.limit else ''}",
            f"Global batch {fmt_int(b.tokens_per_step)} tokens ({b.tokens_per_step // b.seq_len:,} × {b.seq_len:,}); "
            f"the {r.line:g}× line in {fmt_int(r.steps)} steps"]
    if r.keep:
        head.append(f"Kept as given: {kept_words(r.keep)}; the rest searched.")
    if not r.options:
        why = f"no GPU count up to {r.gpus:,} keeps to {r.limit}" if r.limit else (
            f"no layout of {r.gpus:,} GPUs has {kept_words(r.keep)}" if r.keep and not r.searched else
            "no layout fits")
        return [*head, f"None: {why} ({fmt_int(r.searched)} layouts searched)."]
    rows = [f"{'':>3} {'TP':>3} {'PP':>5} {'CP':>3} {'EP':>3} {'DP':>6} {'micro':>5} {'accum':>5} "
            f"{'recompute':<10}{'sharding':<9}{'memory/GPU':>11} {'tokens/s/GPU':>13} {'MFU':>5} {'step':>8}  "
            f"to the line"]
    for i, o in enumerate(r.options, 1):
        p = o.layout
        money = "" if o.cost is None else f", {fmt_money(o.cost)}"
        rows.append(f"{i:>3} {p.tp:>3} {_pp(p):>5} {p.cp:>3} {_ep(p):>3} {p.data_parallel:>6,} {p.micro_batch:>5} "
                    f"{p.micro_batches or 1:>5} {p.recompute:<10}{_sharding(o):<9}{fmt_gib(o.memory):>11} "
                    f"{o.tokens_per_gpu_s:>13,.0f} {o.mfu:>5.0%} {o.step_seconds:>7.2f}s  "
                    f"{fmt_hours(o.days * 24)}{money}")
    foot = [f"{fmt_int(r.fitting)} of {fmt_int(r.searched)} layouts fit (memory ± 10%, judged at the upper end); "
            "equally fast ones shown once, the simplest.",
            f"Memory as {r.options[0].layout.framework} runs it; times at goodput {plan.goodput:g}, within "
            f"± {r.band:.0%} by the throughput model's band (the fastest: {_span(r.options[0])})."]
    folded = next((o.layout for o in r.options if _folded(o.layout)), None)
    if folded is not None:
        whole = "whole on one GPU" if folded.expert_tp == 1 else f"split over {folded.expert_tp} GPUs"
        foot.append(f"EP {_ep(folded)}: {folded.ep} expert-parallel ranks with each expert {whole} (ETP "
                    f"{folded.expert_tp}), the EP group spanning the TP ranks too (Megatron's MoE parallel folding).")
    if any(o.layout.tp_overlap for o in r.options):
        fw = r.options[0].layout.framework
        foot.append(f"With TP above 1 its collectives overlap the matmuls ({_OVERLAP_WORDS.get(fw, fw)}), hiding "
                    f"{TP_HIDDEN.get(fw, 0.0):.0%} of their time.")
    return [*head, *rows, *foot]


def kept_words(keep: dict[str, int | str]) -> str:
    """The settings a search kept, in words (``TP 8, CP 1``).

    Args:
        keep: :attr:`~planner.verdict.layouts.LayoutReport.keep`.

    Returns:
        The text.
    """
    return ", ".join(f"{_KEPT_WORDS[k]} {v}" for k, v in keep.items())


def option_cells(o: LayoutOption) -> tuple[str, ...]:
    """One option's cells, in the order of :data:`COLUMNS`.

    Args:
        o: a :class:`~planner.verdict.layouts.LayoutOption`.

    Returns:
        The cells as text.
    """
    p = o.layout
    money = "" if o.cost is None else f", {fmt_money(o.cost)}"
    return (str(p.tp), _pp(p), str(p.cp), _ep(p), f"{p.data_parallel:,}", str(p.micro_batch),
            str(p.micro_batches or 1), p.recompute, _sharding(o), fmt_gib(o.memory), f"{o.tokens_per_gpu_s:,.0f}",
            f"{o.mfu:.0%}", f"{o.step_seconds:.2f} s", f"{fmt_hours(o.days * 24)}{money}")


def layout_table_html(r: LayoutReport) -> str:
    """The report as an HTML table with its heading lines (the review's layout section).

    Args:
        r: a :class:`~planner.verdict.layouts.LayoutReport`.

    Returns:
        HTML: the heading lines as paragraphs and a ``table.planner-layouts``.
    """
    lines = layout_lines(r)
    n = 3 if r.keep else 2                    # the heading lines: what was searched, the batch, what was kept
    heads = "".join(f"<p>{escape(x)}</p>" for x in lines[:n])
    if not r.options:
        return heads + f"<p>{escape(lines[-1])}</p>"
    foot = "".join(f"<p>{escape(x)}</p>" for x in lines[n + 1 + len(r.options):])
    th = "".join(f"<th style='text-align:right;padding:0 6px'>{escape(c)}</th>" for c in COLUMNS)
    rows = "".join("<tr>" + "".join(f"<td style='text-align:right;padding:0 6px'>{escape(c)}</td>"
                                    for c in option_cells(o)) + "</tr>" for o in r.options)
    return heads + f"<table class='planner-layouts' style='font-size:12px'><tr>{th}</tr>{rows}</table>" + foot


def _folded(p: Parallelism) -> bool:
    """Whether the experts are split otherwise than attention's TP."""
    return p.expert_tp != p.tp


def _ep(p: Parallelism) -> str:
    """EP, with the experts' own TP after a slash where it is not attention's (``32/1``)."""
    return f"{p.ep}/{p.expert_tp}" if _folded(p) else str(p.ep)


def _span(o: LayoutOption) -> str:
    """An option's days to the line at the band's two ends."""
    lo, hi = o.days_range
    return fmt_hours_span(lo * 24, hi * 24)


def _pp(p: Parallelism) -> str:
    """The pipeline degree, with its virtual stages per GPU when interleaved (``8×2``)."""
    return f"{p.pp}×{p.vpp}" if p.vpp > 1 else str(p.pp)
