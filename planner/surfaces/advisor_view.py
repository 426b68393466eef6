""""What would fix it", shown: the advisor's options as text, a table, HTML and buttons (the command line, the
review, the workbook).

Every function renders an :class:`~planner.verdict.advisor.Advice` (from :func:`planner.verdict.advisor.advise`);
none computes a number of its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..format import fmt_gpu_hours, fmt_hours, fmt_int, fmt_money, fmt_ratio, fmt_si
from ..verdict.advisor import Advice, Option
from ..verdict.schema import Plan
from .report import LEVEL_COLOURS

if TYPE_CHECKING:   # pandas is imported when a table is first made
    import pandas as pd

#: Column order of :func:`advice_rows` / :func:`advice_table`.
COLUMNS = ("option", "N", "tokens", "epochs", "judged D/N", "level", "reachable", "wall-clock", "GPU time", "cost",
           "loss", "loss with repeats", "why not")


def advice_rows(advice: Advice) -> list[dict[str, str]]:
    """One dict per option, keyed by :data:`COLUMNS`, formatted for display (strings).

    Args:
        advice: an :class:`~planner.verdict.advisor.Advice`.

    Returns:
        One dict of strings per option.
    """
    rows = []
    for o in advice.options:
        a = o.assessment
        rows.append({
            "option": o.title,
            "N": fmt_int(a.params),
            "tokens": fmt_si(a.gate.tokens),
            "epochs": "" if o.epochs is None else f"{o.epochs:.3g}",
            "judged D/N": fmt_ratio(a.gate.ratio),
            "level": a.verdict.level,
            "reachable": "yes" if o.reachable else "no",
            "wall-clock": fmt_hours(a.compute.wall_clock_hours),    # as the cards say it: "8.8 min", "76 h (3.2 days)"
            "GPU time": fmt_gpu_hours(a.compute.gpu_hours),
            "cost": "" if a.compute.cost is None else fmt_money(a.compute.cost),
            "loss": f"{a.loss:.3f}",
            "loss with repeats": "" if "loss_with_repetition" not in dict(o.extra)
            else f"{dict(o.extra)['loss_with_repetition']:.3f}",
            "why not": "; ".join(o.reasons),
        })
    return rows


def advice_table(advice: Advice) -> pd.DataFrame:
    """The options as a pandas DataFrame (one row per option, :data:`COLUMNS`).

    Args:
        advice: an :class:`~planner.verdict.advisor.Advice`.

    Returns:
        A pandas DataFrame.
    """
    import pandas as pd
    return pd.DataFrame(advice_rows(advice), columns=list(COLUMNS))


def advice_text(advice: Advice) -> str:
    """The options as plain text (what ``planner advise`` prints).

    Args:
        advice: an :class:`~planner.verdict.advisor.Advice`.

    Returns:
        The text, one option per block of lines.
    """
    a = advice.assessment
    lines = [f"{advice.plan.name}: {a.verdict.headline}",
             f"What would fix it (target {advice.target:g}×; new models sized for {advice.budget_basis}, "
             f"{advice.budget_flops:.3g} FLOPs):"]
    for o in advice.options:
        x = o.assessment
        cost = "" if x.compute.cost is None else f", {fmt_money(x.compute.cost)}"
        lines.append(f"- {o.title}")
        rep = dict(o.extra).get("loss_with_repetition")
        loss = f"loss {x.loss:.3f}" + ("" if rep is None else f" ({rep:.3f} with repeats)")
        lines.append(f"    {x.verdict.headline}; {x.compute.gpu_hours:,.1f} GPU-hours, {x.compute.days:.3g} days"
                     f"{cost}; {loss}; {'reachable' if o.reachable else 'not reachable'}")
        if o.shape is not None:
            s = o.shape
            lines.append(f"    architecture: {s.num_layers} layers, hidden {s.hidden_size:,}, {s.num_heads} heads "
                         f"({s.num_kv_heads} kv, head_dim {s.head_dim}), intermediate {s.intermediate_size:,}, "
                         f"N {fmt_int(s.params)}")
        for r in o.reasons:
            lines.append(f"    why not: {r}")
    return "\n".join(lines)


def advice_html(advice: Advice) -> str:
    """The options as a self-contained HTML table (``<table class="planner-advice">``), for the review.

    Args:
        advice: an :class:`~planner.verdict.advisor.Advice`.

    Returns:
        HTML.
    """
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in COLUMNS) + "</tr>"
                   for r in advice_rows(advice))
    caption = html.escape(f"What would fix it (target {advice.target:g}×; new models sized for "
                          f"{advice.budget_basis})")
    return (f'<table class="planner-advice"><caption>{caption}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


#: Button labels of the option kinds (the workbook).
LABELS = {"train-longer": "Train longer", "smaller-model": "Smaller model", "wider-corpus": "Wider corpus",
          "data-constrained": "Data-constrained optimum"}


def option_buttons(advice: Advice, load: Callable[[Plan], object]) -> Any:
    """One ipywidgets button per option; clicking it calls ``load(option.plan)`` (the workbook's plan loader).

    Args:
        advice: an :class:`~planner.verdict.advisor.Advice`.
        load: a callable taking a :class:`~planner.Plan` (e.g. a workbook method that puts a plan into the sliders).

    Returns:
        An ``ipywidgets.HBox`` of buttons, labelled by kind, with the option's title and reasons as tooltip;
            reachable options are styled ``success``.
    """
    import ipywidgets as w  # no types: the HBox returned is Any

    buttons = []
    for o in advice.options:
        b = w.Button(description=LABELS.get(o.kind, o.kind), button_style="success" if o.reachable else "",
                     tooltip="\n".join([o.title, *o.reasons]))
        b.on_click(lambda _b, plan=o.plan: load(plan))
        buttons.append(b)
    return w.HBox(buttons)


def card_html(option: Option) -> str:
    """One option as a card: what it changes, its verdict, and its numbers in words a person reads at a glance.

    Args:
        option: an :class:`~planner.verdict.advisor.Option`.

    Returns:
        HTML: a ``div.planner-card`` with ``data-kind`` and ``data-level``.
    """
    a = option.assessment
    k, level = a.compute, a.verdict.level
    measure = "D′/N" if a.gate.on_effective else "D/N"
    gpus = f"{fmt_int(k.count)} GPU{'s' if k.count != 1 else ''}"
    epochs = "" if option.epochs is None else f" · {option.epochs:.3g} epoch{'' if option.epochs == 1 else 's'}"
    label = LABELS.get(option.kind, option.kind)
    title = option.title.removeprefix(f"{label}:").strip()   # the heading already names the kind
    cost = "" if k.cost is None else f" · {fmt_money(k.cost)}"
    rep = dict(option.extra).get("loss_with_repetition")
    loss = f"loss {a.loss:.3f}" + ("" if rep is None or round(rep, 3) == round(a.loss, 3)
                                   else f" ({rep:.3f} with repeats)")
    why = "".join(f"<div class='planner-card-why'>✗ {html.escape(r)}</div>" for r in option.reasons)
    return (f"<div class='planner-card' data-kind='{option.kind}' data-level='{level}'>"
            f"<div class='planner-card-head'><b>{html.escape(label)}</b> "
            f"<span class='planner-card-level' style='background:{LEVEL_COLOURS[level]}'>{level} · {measure} "
            f"{fmt_ratio(a.gate.ratio)}</span></div>"
            f"<div class='planner-card-title'>{html.escape(title)}</div>"
            f"<div>N {fmt_si(a.params)} · D {fmt_si(a.gate.tokens)} tokens{epochs}</div>"
            f"<div>{fmt_hours(k.wall_clock_hours)} on {gpus} · {fmt_gpu_hours(k.gpu_hours)}{cost}</div>"
            f"<div>{loss}</div>{why}</div>")


#: The cards' look (the workbook puts it on the page once).
CARD_CSS = """
.planner-cards {flex-wrap: wrap; gap: 8px;}
.planner-card-box {width: 270px; border: 1px solid #cfd8dc; border-radius: 6px; padding: 6px 8px;
  background: #fafafa;}
.planner-card {font-family: sans-serif; font-size: 12px; line-height: 1.45; color: #263238;}
.planner-card-head b {font-size: 13px;}
.planner-card-level {color: white; border-radius: 3px; padding: 0 5px; font-size: 11px; white-space: nowrap;}
.planner-card-title {color: #546e7a; margin: 2px 0;}
.planner-card-why {color: #b71c1c;}
"""


def option_cards(advice: Advice, load: Callable[[Plan], object]) -> Any:
    """One card per option, each with a button that loads its plan (``load(option.plan)``, the workbook's loader).

    Args:
        advice: an :class:`~planner.verdict.advisor.Advice`.
        load: a callable taking a :class:`~planner.Plan`.

    Returns:
        An ``ipywidgets.HBox`` (class ``planner-cards``, wrapping) of ``VBox`` cards; each card's button reads
            ``Load: <kind>`` and is styled ``success`` when the option is reachable.
    """
    import ipywidgets as w  # no types: the boxes returned are Any

    cards = []
    for o in advice.options:
        b = w.Button(description=f"Load: {LABELS.get(o.kind, o.kind)}", button_style="success" if o.reachable else "",
                     tooltip="put this option's plan into the controls", layout=w.Layout(width="auto"))
        b.on_click(lambda _b, plan=o.plan: load(plan))
        card = w.VBox([w.HTML(card_html(o)), b])
        card.add_class("planner-card-box")
        cards.append(card)
    box = w.HBox(cards, layout=w.Layout(flex_flow="row wrap"))
    box.add_class("planner-cards")
    return box


def advice_caption(advice: Advice) -> str:
    """The line above the option cards: the target and the budget new models are sized for.

    Args:
        advice: an :class:`~planner.verdict.advisor.Advice`.

    Returns:
        HTML.
    """
    return (f"<div class='planner-advice-caption' style='font-family:sans-serif;font-size:13px;margin:4px 0'>"
            f"<b>What would fix it</b> (target {advice.target:g}×; new models sized for "
            f"{html.escape(advice.budget_basis)})</div>")
