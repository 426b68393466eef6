"""The per-GPU memory bar: a stacked bar of the parts with the accelerator's capacity line, as HTML.

Plain HTML and inline CSS (no plotting library), so the workbook can redraw it on every slider move and
the review can embed it in a self-contained file. The numbers come from
:class:`planner.training.memory.MemoryEstimate`; nothing is computed here.
"""

from __future__ import annotations

from html import escape

from ..format import fmt_gib
from ..training.memory.result import MemoryEstimate
from .memory_text import behaviour_words, memory_rows

#: Colour of each part (colour-blind-safe Okabe–Ito palette).
COLOURS = {"weights": "#0072B2", "gradients": "#56B4E9", "optimizer": "#009E73", "activations": "#E69F00",
           "buffers": "#CC79A7", "allocator": "#F0E442", "overhead": "#999999"}


def memory_bar_html(estimate: MemoryEstimate, width_px: int = 480) -> str:
    """HTML of a horizontal stacked bar of ``estimate``'s parts, with a line at the accelerator's capacity.

    The bar spans the larger of the band's upper end and the capacity, so a plan that does not fit shows the
    part beyond the line; a hatched segment after the parts shows the band's upper end. The capacity line is
    labelled and turns red when the plan does not fit. Unknown activations (a bare parameter count) are left
    out and said so.

    Args:
        estimate: a :class:`~planner.training.memory.MemoryEstimate`.
        width_px: the bar's width in pixels.

    Returns:
        A string of HTML with the verdict sentence (:attr:`MemoryEstimate.message`) below the bar.
    """
    parts = [(k, getattr(estimate, k)) for k in COLOURS if getattr(estimate, k) is not None]
    scale = max(estimate.upper, estimate.capacity or 0.0) or 1.0
    segments = "".join(
        f'<div title="{k}: {fmt_gib(v)}" style="width:{v / scale * 100:.3f}%;background:{COLOURS[k]};'
        f'height:100%"></div>' for k, v in parts if v > 0)
    band = estimate.upper - estimate.total
    if band > 0:
        hatch = "repeating-linear-gradient(45deg,#bbb 0 3px,#eee 3px 6px)"
        segments += (f'<div title="uncertainty: up to {fmt_gib(estimate.upper)}" '
                     f'style="width:{band / scale * 100:.3f}%;height:100%;background:{hatch}"></div>')
    colour = "#D55E00" if estimate.fits is False else "#333"
    line = "" if estimate.capacity is None else (
        f'<div title="capacity: {fmt_gib(estimate.capacity)}" style="position:absolute;top:-6px;bottom:-6px;'
        f'left:{estimate.capacity / scale * 100:.3f}%;border-left:3px solid {colour}">'
        f'<span style="position:absolute;top:-14px;left:3px;font-size:10px;white-space:nowrap;color:{colour}">'
        f'{escape(fmt_gib(estimate.capacity))}</span></div>')
    legend = " · ".join(f'<span style="color:{COLOURS[k]}">■</span> {k} {fmt_gib(v)}' for k, v in parts if v > 0)
    if band > 0:
        legend += f" · ▨ ± {estimate.band:.0%} up to {fmt_gib(estimate.upper)}"
    if estimate.activations is None:
        legend += " · activations unknown"
    legend += f"<br>as {escape(behaviour_words(estimate))}"
    state = {True: "fits", False: "does-not-fit", None: "unknown"}[estimate.fits]
    return (f'<div class="planner-memory" data-fits="{state}" style="font-size:12px;line-height:1.5">'
            f'<div style="position:relative;display:flex;width:{int(width_px)}px;height:18px;margin-top:14px;'
            f'background:#eee">{segments}{line}</div>'
            f'<div>{legend}</div><div>{escape(estimate.message)}</div></div>')


def memory_table_html(estimate: MemoryEstimate) -> str:
    """HTML of the memory table (:func:`~planner.surfaces.memory_text.memory_rows`): labels and text left-aligned,
    nothing cut short.

    Args:
        estimate: a :class:`~planner.training.memory.MemoryEstimate`.

    Returns:
        A ``<table class="planner-memory-table">`` string.
    """
    rows = "".join(f'<tr><th style="text-align:left;padding-right:12px">{escape(k)}</th>'
                   f'<td style="text-align:left;white-space:pre-wrap">{escape(v.strip())}</td></tr>'
                   for k, v in memory_rows(estimate))
    return f'<table class="planner-memory-table" style="font-size:12px">{rows}</table>'
