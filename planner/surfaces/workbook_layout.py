"""Where the workbook's controls sit: the sliders' look, the collapsible groups, the page and its CSS.

Only placement and style; what the controls mean is :mod:`planner.surfaces.workbook_state`'s, what they
do is :mod:`planner.surfaces.widgets`'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as W

from .advisor_view import CARD_CSS
from .controls import NumberControl

if TYPE_CHECKING:   # the workbook places its widgets with this module
    from .widgets import Workbook

#: How each number's slider looks (its limits and allowed values are the state's fields), in control order.
SLIDERS: dict[str, dict[str, Any]] = {   # NumberControl's keyword arguments, by control name
    # whole-number dimensions: a window of steps around the value (the hidden size steps by one head width)
    "layers": {"slider_max": 256, "window": 16},
    "hidden": {"slider_min": 64, "slider_max": 32768, "step": 64, "window": 16},
    "heads": {"kind": "choice"}, "head_dim": {"slider_min": 8, "slider_max": 512, "step": 8, "window": 16},
    "kv_heads": {"kind": "choice", "name": "kv-heads"},
    "intermediate": {"slider_min": 64, "slider_max": 131072, "step": 64, "window": 32},
    "vocab": {"slider_min": 256, "slider_max": 262144, "step": 128, "window": 32},
    "experts": {"slider_max": 256, "window": 16}, "top_k": {"slider_max": 8},
    "expert_size": {"slider_min": 64, "slider_max": 65536, "step": 64, "window": 32},
    "shared_experts": {"slider_max": 8},
    # counts over many decades: half a decade either side, 2.3 % a step
    "steps": {"kind": "log", "slider_max": 10**10, "step": 0.01, "window": 50},
    "micro_batch": {"kind": "log", "base": 2, "slider_max": 4096, "name": "micro-batch"},
    "grad_accum": {"kind": "log", "base": 2, "slider_max": 1024},
    "data_parallel": {"kind": "log", "base": 2, "slider_max": 2**17},
    "seq_len": {"kind": "log", "base": 2, "slider_min": 64, "slider_max": 2**20},
    "prior": {"kind": "log", "slider_max": 10**15, "step": 0.01, "window": 50},
    "unique": {"kind": "log", "slider_min": 10**6, "slider_max": 10**15, "step": 0.01, "window": 50,
               "name": "unique-tokens"},
    "gpus": {"kind": "log", "base": 2, "slider_max": 2**20},
    "mfu": {"kind": "float", "slider_min": 0.01, "slider_max": 1.0, "step": 0.01},
    "price": {"kind": "none", "name": "price"},
    "inference": {"kind": "log", "slider_min": 10**9, "slider_max": 10**16, "step": 0.01, "window": 50,
                  "name": "inference-tokens"},
    "tp": {"kind": "choice", "name": "tp"}, "pp": {"kind": "choice", "name": "pp"},
    "zero": {"kind": "choice", "name": "zero"},
}
CSS = """<style>
body:has(.planner-app) .planner-start {display: none;}
.planner-stale {opacity: .35; filter: grayscale(1);}
.planner-app .planner-box input {font-variant-numeric: tabular-nums; text-align: right;}
.planner-controls h4 {margin: 10px 0 2px 0; font-size: 13px; color: #37474f; border-bottom: 1px solid #cfd8dc;}
.planner-controls .widget-label {font-size: 13px;}
.planner-controls > *, .planner-controls .widget-vbox > * {flex-shrink: 0;}
.planner-details table {font-size: 12px; border-collapse: collapse;}
.planner-details th, .planner-details td {padding: 1px 10px 1px 0; vertical-align: top; text-align: left;}
.planner-answer {position: sticky; top: 0; z-index: 2; background: white; padding-bottom: 4px;}
.planner-app, .planner-app .widget-container, .jp-OutputArea-output:has(.planner-app),
.jp-OutputArea-child:has(.planner-app), .jp-OutputArea:has(.planner-app) {overflow: visible !important;}
.planner-answer img {max-width: 100%; height: auto;}
.planner-answer, .planner-answer > *, .planner-app > .widget-vbox {min-width: 0; max-width: 100%;
  box-sizing: border-box;}
.planner-app .widget-html, .planner-app .widget-html-content {min-width: 0; max-width: 100%;}
.planner-group button, button.planner-group {text-align: left; font-weight: bold; color: #37474f;
  background: #eceff1; margin-top: 8px;}
""" + CARD_CSS + "</style>"


def place(wb: Workbook) -> tuple[Any, dict[str, tuple[Any, Any]]]:
    """Lay out a :class:`~planner.surfaces.widgets.Workbook`'s widgets: collapsible groups of controls on the left
    (every group starts open but Inference; the page, not the column, scrolls); the verdict, the chart and the
    numbers on the right.

    Args:
        wb: the workbook, its controls and outputs built.

    Returns:
        ``(page, groups)``: the page (an ``HBox`` with class ``planner-app``) and ``{title: (heading button, body)}``.
    """
    # Any: ipywidgets ship no types
    groups: dict[str, tuple[Any, Any]] = {}

    def section(title: str, *items: Any, open_: bool = True) -> list[Any]:
        body = W.VBox([i.widgets() if isinstance(i, NumberControl) else i for i in items],
                      layout=W.Layout(display=None if open_ else "none"))
        head = W.Button(description=("▾ " if open_ else "▸ ") + title, tooltip=f"show or hide {title}",
                        layout=W.Layout(width="100%", height="26px"))
        head.add_class("planner-group")

        def toggle(_: object) -> None:
            shown = body.layout.display == "none"
            body.layout.display = None if shown else "none"
            head.description = ("▾ " if shown else "▸ ") + title
        head.on_click(toggle)
        groups[title] = (head, body)
        return [head, body]

    left = W.VBox(
        section("Plan file", W.HBox([wb.plan_path]), W.HBox([wb.open_button, wb.save_button, wb.overwrite]),
                wb.file_note)
        + section("Model", wb.model, wb.base_note, wb.layers, wb.hidden, wb.heads, wb.head_dim,
                  wb.kv_heads, wb.intermediate, wb.vocab, W.HBox([wb.tied, wb.gated]), wb.moe_box)
        + section("Training", wb.steps, wb.micro_batch, wb.grad_accum, wb.data_parallel, wb.seq_len,
                  wb.batch_advice, wb.continued, wb.prior)
        + section("Data and hardware", wb.corpus, wb.unique, wb.accelerator, wb.gpus, wb.gpus_note,
                  wb.mfu, wb.price, wb.fit, wb.fit_about, W.HBox([wb.fit_path, wb.fit_button]), wb.fit_note)
        + section("Memory per GPU", wb.layout_on, wb.layout_box)
        + section("Inference", wb.inference),
        layout=W.Layout(width="330px", min_width="330px", padding="0 6px 0 0"))
    left.add_class("planner-controls")
    advisor = W.VBox([wb.advise_button, wb.advice_out, wb.advice_cards, W.HBox([wb.layouts_button, wb.layouts_keep]),
                      wb.layouts_out, wb.layout_buttons])
    # the verdict, its numbers and the chart stay in view while the page scrolls the controls
    answer = W.VBox([wb.readout, wb.image], layout=W.Layout(width="100%"))
    answer.add_class("planner-answer")
    right = W.VBox([answer, wb.memory, advisor, wb.details],
                   layout=W.Layout(flex="1 1 420px", min_width="420px", padding="0 0 0 12px"))
    page = W.HBox([W.HTML(CSS), left, right], layout=W.Layout(flex_flow="row wrap", width="100%"))
    page.add_class("planner-app")
    return page, groups
