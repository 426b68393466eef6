"""The what-if workbook: controls over a plan, a live readout, a chart that follows without holding it up.

A thin ipywidgets shell over :class:`~planner.surfaces.workbook_state.WorkbookState`, which holds the values,
keeps every architecture the controls can reach valid, builds the :class:`~planner.verdict.schema.Plan` and
judges it. This module builds the controls, forwards each move to the state, and shows the answer
(:mod:`planner.surfaces.workbook_html`, and :class:`~planner.surfaces.plots.PlanChart` for the chart).

- **Typed values mean what they show.** Every number has a text box read by :mod:`planner.validate`
  (:mod:`planner.surfaces.controls`, :mod:`planner.surfaces.fields`); limits are the package's own.
- **The readout never waits for a chart.** The readout is written in the control's callback; the chart
  is drawn off its path, newest state only (:mod:`planner.surfaces.chart_worker`).
- **Plan files in and out.** :meth:`Workbook.save` writes the plan TOML that ``planner report`` reads;
  :meth:`Workbook.open_plan` loads one, :meth:`Workbook.show_plan` a :class:`Plan` object.
- **The advisor on demand.** *What would fix it?* runs the advisor (a tenth of a second or more, so never on a
  slider move) and offers each option as a card with a button that loads its plan.
"""

from __future__ import annotations

import contextlib
import functools
import html
import importlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as W

from ..datafiles import DATA_DIR
from ..errors import PlannerError
from ..model.architecture import Architecture
from ..training.budget import Budget
from ..training.frameworks import FRAMEWORKS
from ..training.parallelism import PRECISIONS, RECOMPUTE, Parallelism
from ..verdict.advisor import Advice
from ..verdict.assessment import Assessment
from ..verdict.layouts import LayoutOption, LayoutReport, plan_layouts
from ..verdict.schema import Plan
from .advisor_view import advice_caption, option_cards
from .chart_worker import ChartWorker
from .controls import NumberControl
from .layout_text import layout_table_html
from .plots import PlanChart
from .workbook_html import (
    NOTHING_TO_FIX,
    batch_advice_html,
    details_html,
    error_html,
    gpus_note_html,
    memory_html,
    readout_html,
)
from .workbook_layout import SLIDERS, place
from .workbook_state import ORIGIN_PLAN, WorkbookState
from .workbook_values import divisors  # noqa: F401 - re-exported: the workbook's valid-move rules
from .workbook_words import fit_words, in_control_words, shown_path

#: What a notebook opened cold shows until the workbook's cell has run (the app's CSS hides it).
START_HTML = ("<div class='planner-start' style='font:15px sans-serif;padding:10px 14px;background:#e3f2fd;"
              "border-left:4px solid #1565c0'><b>To start the workbook, run this cell</b>: Shift+Enter, or "
              "<i>Run → Run All Cells</i>.</div>")
#: The numbers that can be greyed out (:meth:`WorkbookState.inactive`).
CAN_BE_INACTIVE = ("head_dim", "intermediate", "unique", "prior", "gpus")


class Workbook:
    """All the workbook's controls, its readout and chart, and its update loop.

    ``Workbook()`` opens on the origin-case plan (``data/plans/origin-case.toml``: Qwen2.5-0.5B,
    2,700 steps of 4 × 2,048 tokens, 1.24B unique tokens, one A100). Display it in a notebook; drive it
    from code with :meth:`set`. Every control is an attribute (``wb.steps``, ``wb.model``), also in
    :attr:`numbers` and :attr:`choices` by name.

    Args:
        plan: a plan file to open.
        model: a catalog model to open instead of the plan's (with the plan's budget).
        fits: paths of saved fitted laws (``planner fit --save NAME.toml``) to offer beside the built-in
            fits; the *add fit* box adds more.
        background_chart: draw the chart on a worker thread (default: when an event loop is running, as in
            a kernel). Without one — plain Python, tests — every update draws in line.

    Raises:
        InputError: a plan that gives N directly, an unknown model, a file that is not a saved fit.
        PlanFileError: a plan file that cannot be read.
    """

    # The numeric controls, one attribute per name of SLIDERS (set in _build); the other widgets are Any
    # (ipywidgets ship no types).
    layers: NumberControl
    hidden: NumberControl
    heads: NumberControl
    head_dim: NumberControl
    kv_heads: NumberControl
    intermediate: NumberControl
    vocab: NumberControl
    experts: NumberControl
    top_k: NumberControl
    expert_size: NumberControl
    shared_experts: NumberControl
    steps: NumberControl
    micro_batch: NumberControl
    grad_accum: NumberControl
    data_parallel: NumberControl
    seq_len: NumberControl
    prior: NumberControl
    unique: NumberControl
    gpus: NumberControl
    mfu: NumberControl
    price: NumberControl
    inference: NumberControl
    tp: NumberControl
    pp: NumberControl
    zero: NumberControl

    def __init__(self, plan: str | os.PathLike[str] = ORIGIN_PLAN, *, model: str | None = None,
                 fits: Iterable[str | os.PathLike[str]] = (), background_chart: bool | None = None) -> None:
        self.state = WorkbookState(plan, model=model, fits=fits)
        self._hold = False
        self._syncing = False
        self.chart = PlanChart()
        self._charts = ChartWorker(self.chart, self._show_chart, background_chart)
        self._build()
        # the built-in default by its name, not by where the package is installed
        shown = "data/plans/origin-case.toml" if Path(plan) == ORIGIN_PLAN else shown_path(plan)
        self.file_note.value = f"opened {html.escape(shown)}"
        self.update()

    # -- building ------------------------------------------------------------------------------------
    def _build(self) -> None:
        """Make every control and output widget, place them and wire them to the state."""
        s, v = self.state, self.state.values
        dd: dict[str, Any] = dict(style={"description_width": "118px"}, layout=W.Layout(width="290px"))
        self.numbers = {name: NumberControl(s.fields[name], v[name], **look) for name, look in SLIDERS.items()}
        for name, control in self.numbers.items():
            setattr(self, name, control)
        self.model = W.Dropdown(options=s.model_options, value=v["model"], description="base model", **dd)
        self.tied = W.Checkbox(v["tied"], description="tied embeddings", indent=False)
        self.gated = W.Checkbox(v["gated"], description="gated MLP", indent=False)
        self.continued = W.Checkbox(v["continued"], description="continued pretraining", indent=False)
        self.corpus = W.Dropdown(options=s.corpus_options, value=v["corpus"], description="corpus", **dd)
        self.accelerator = W.Dropdown(options=[(n, k) for k, n in s.accelerator_names.items()],
                                      value=v["accelerator"], description="accelerator", **dd)
        self.fit = W.Dropdown(options=s.fit_options, value=v["fit"], description="loss law", **dd)
        self.layout_on = W.Checkbox(v["layout"], description="per-GPU memory (layout)", indent=False)
        self.recompute = W.Dropdown(options=list(RECOMPUTE), value=v["recompute"], description="recompute", **dd)
        self.precision = W.Dropdown(options=list(PRECISIONS), value=v["precision"], description="precision", **dd)
        self.framework = W.Dropdown(options=list(FRAMEWORKS), value=v["framework"], description="framework", **dd)
        self.choices = {"model": self.model, "tied": self.tied, "gated": self.gated, "continued": self.continued,
                        "corpus": self.corpus, "accelerator": self.accelerator, "fit": self.fit,
                        "layout": self.layout_on, "recompute": self.recompute, "precision": self.precision,
                        "framework": self.framework}

        def html_out(cls: str, **layout: str) -> Any:
            w = W.HTML(layout=W.Layout(**layout))
            w.add_class(cls)
            return w

        def button(text: str, action: Callable[[], object], width: str = "96px") -> Any:
            b = W.Button(description=text, layout=W.Layout(width=width))
            b.on_click(lambda _: action())
            return b

        self.base_note, self.gpus_note = W.HTML(), W.HTML()
        self.fit_about = html_out("planner-fit-about")   # the law in words: "epoch" is Epoch AI, not data epochs
        self.batch_advice = html_out("planner-batch-advice", width="310px")
        self.fit_path = W.Text(placeholder="saved fit: path/to/law.toml", layout=W.Layout(width="190px"))
        self.fit_path.add_class("planner-fit-path")
        self.fit_note = html_out("planner-fit-note")
        self.fit_button = button("add fit", lambda: self._guard(lambda: self.add_fit(self.fit_path.value),
                                                                self.fit_note))
        self.layout_box = W.VBox([self.framework, self.recompute, self.zero.widgets(), self.tp.widgets(),
                                  self.pp.widgets(), self.precision])
        self.advice_out = html_out("planner-advice-out")
        self.advise_button = button("What would fix it?", lambda: self._guard(self.what_would_fix_it,
                                                                              self.advice_out), "160px")
        self.advise_button.add_class("planner-advise")
        self.advice_cards = W.HBox([], layout=W.Layout(flex_flow="row wrap"))   # one card per option, with its button
        self.advice_cards.add_class("planner-cards")
        self.layouts_out = html_out("planner-layouts-out")
        self.layouts_button = button("Fastest layouts", lambda: self._guard(self.fastest_layouts, self.layouts_out),
                                     "160px")
        self.layouts_button.add_class("planner-layouts")
        self.layouts_keep = W.Text(placeholder="keep as given: cp=1, tp=8", layout=W.Layout(width="210px"))
        self.layouts_keep.add_class("planner-layouts-keep")
        self.layout_buttons = W.HBox([], layout=W.Layout(flex_flow="row wrap"))   # one "use" button per layout
        self.layouts: LayoutReport | None = None
        plans = sorted(str(p.relative_to(DATA_DIR.parent)) for p in (DATA_DIR / "plans").glob("*.toml"))
        self.plan_path = W.Combobox(options=plans, placeholder="path/to/plan.toml", ensure_option=False,
                                    layout=W.Layout(width="290px"))
        self.plan_path.add_class("planner-plan-path")
        self.overwrite = W.Checkbox(False, description="overwrite", indent=False, layout=W.Layout(width="96px"))
        self.file_note = html_out("planner-file-note")
        self.open_button = button("open plan", lambda: self._guard(lambda: self.open_plan(self.plan_path.value)))
        self.save_button = button("save plan", lambda: self._guard(
            lambda: self.save(self.plan_path.value, overwrite=self.overwrite.value)))
        self.readout = html_out("planner-readout", width="100%")
        self.details = html_out("planner-details", width="100%")
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="840px"))
        self.image.add_class("planner-chart")
        self.memory = html_out("planner-memory-out", display="none")   # per-GPU memory: the bar and its verdict
        self.moe_box = W.VBox([c.widgets() for c in (self.experts, self.top_k, self.expert_size,
                                                     self.shared_experts)])
        self.widget, self.groups = place(self)
        for name, w in {**self.numbers, **self.choices}.items():
            w.observe(functools.partial(self._on_control, name), "value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        """Show the one instruction a notebook opened cold needs, then the app (which hides the instruction).

        A stored notebook keeps no widget state, so JupyterLab shows the instruction until the cell runs; once the
        app is on the page its CSS hides it (Voila runs the cell itself and shows the app).
        """
        ipd: Any = importlib.import_module("IPython.display")   # Any: IPython's display functions are untyped
        ipd.display(ipd.HTML(START_HTML))
        ipd.display(self.widget)

    # -- the state's -----------------------------------------------------------------------------------
    @property
    def assessment(self) -> Assessment | None:
        """The assessment the readout shows (``None`` while the settings cannot be assessed)."""
        return self.state.assessment

    @property
    def error(self) -> str | None:
        """Why the settings cannot be assessed, in the controls' words (``None`` when they can)."""
        return self.state.error

    @property
    def advice(self) -> Advice | None:
        """The advisor's last answer (``None`` until asked, and after every move)."""
        return self.state.advice

    @property
    def plan_name(self) -> str:
        """The name of the opened plan (a saved plan takes its file's name)."""
        return self.state.plan_name

    @property
    def plan_description(self) -> str:
        """The description of the opened plan."""
        return self.state.plan_description

    def architecture(self) -> Architecture:
        """The architecture the controls describe (:meth:`WorkbookState.architecture`).

        Returns:
            An :class:`~planner.model.architecture.Architecture`.

        Raises:
            InputError: the values make no valid architecture.
        """
        return self.state.architecture()

    def departures(self) -> list[str]:
        """How the architecture departs from its base (:meth:`WorkbookState.departures`).

        Returns:
            Phrases in the controls' words (``["layers 24 → 25"]``).
        """
        return self.state.departures()

    def plan(self) -> Plan:
        """The plan the controls describe (:meth:`WorkbookState.plan`).

        Returns:
            A :class:`~planner.verdict.schema.Plan`.

        Raises:
            PlannerError: the values make no valid plan.
        """
        return self.state.plan()

    def layout(self) -> Parallelism | None:
        """The parallelism layout the controls describe (:meth:`WorkbookState.layout`).

        Returns:
            A :class:`~planner.training.parallelism.Parallelism`, or ``None`` with the layout off.

        Raises:
            InputError: a layout the model or the GPUs refuse.
        """
        return self.state.layout()

    # -- driving it ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def hold(self) -> Iterator[Workbook]:
        """Change several controls with one update at the end (none when the block raises).

        Returns:
            A context manager yielding the workbook.
        """
        held, self._hold = self._hold, True
        try:
            yield self
        except BaseException:
            self._sync()   # the controls show what the state kept
            raise
        finally:
            self._hold = held
        if not held:
            self.update()

    def set(self, **values: Any) -> Workbook:   # Any: as typed, before the state reads them
        """Set controls by name (``steps=1e6, layers=24``) and update once.

        Args:
            **values: control names and values; ``model`` is applied first (it loads the architecture), the
                others then override it. Numbers may be given as text, as typed (``steps="1.2M"``).

        Returns:
            The workbook.

        Raises:
            AttributeError: no control has that name.
            InputError: a control refuses its value (the ones before it are kept).
        """
        with self.hold():
            if "model" in values:
                self.load_model(values.pop("model"))
            for name, value in values.items():
                self.state.set(name, value)
        return self

    def _on_control(self, name: str, change: Mapping[str, Any]) -> None:
        """A person moved a control: tell the state, then show what follows."""
        if self._syncing:
            return
        self._clear_messages()   # a refusal is about the value typed then: a later move makes it old news
        if name == "model":
            self.load_model(change["new"])
            return
        self.state.set(name, change["new"])
        if self._hold:
            self._sync()
        else:
            self.update()

    def _guard(self, action: Callable[[], object], note: Any = None) -> None:
        """Run a button's action; a refusal is shown under the button, in the controls' words."""
        note = note or self.file_note
        try:
            action()
        except PlannerError as e:
            note.value = f"<span style='color:#b71c1c'>{html.escape(in_control_words(str(e)))}</span>"

    def add_fit(self, path: str | os.PathLike[str], *, select: bool = True) -> str:
        """Offer a saved fitted law in the fit dropdown (:meth:`WorkbookState.add_fit`); select it by default.

        Args:
            path: the saved fit (``planner fit --save NAME.toml``), as typed.
            select: make it the plan's fit.

        Returns:
            The fit's name as the plan stores it.

        Raises:
            InputError: (field ``fit``) the path is not a readable saved fit.
        """
        with self.hold():
            name = self.state.add_fit(path, select=select)
        self.fit_note.value = f"added {html.escape(shown_path(path))}" if select else ""
        return name

    def load_model(self, name: str) -> None:
        """Make a catalog model (or ``"custom"``, a Llama-style block) the base and set its controls.

        Args:
            name: a catalog model name or ``"custom"``.

        Raises:
            InputError: an unknown model.
        """
        with self.hold():
            self.state.load_model(name)

    def open_plan(self, path: str | os.PathLike[str]) -> Plan:
        """Load a plan TOML into the controls (:meth:`WorkbookState.open_plan`).

        Args:
            path: as typed: from the folder the workbook was launched from, else as given or from the project.

        Returns:
            The plan loaded.

        Raises:
            InputError: no path, or a plan that gives N directly.
            PlanFileError: the file cannot be read or is not a valid plan.
        """
        with self.hold():
            self._clear_messages()
            plan = self.state.open_plan(path)
        self.file_note.value = f"opened {html.escape(shown_path(path))}"
        return plan

    def show_plan(self, plan: Plan, note: str = "", *, source: str = "the plan") -> Plan:
        """Put a :class:`Plan` into the controls (what *open plan* and the advisor's buttons do).

        Args:
            plan: the plan.
            note: HTML shown under the plan-file buttons.
            source: how a refusal names the plan.

        Returns:
            ``plan``.

        Raises:
            InputError: the plan gives N directly (the controls need an architecture).
        """
        with self.hold():
            self._clear_messages()
            self.state.show_plan(plan, source=source)
        self.file_note.value = note
        return plan

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the current plan as a TOML plan file (:meth:`WorkbookState.save`).

        Args:
            path: as typed, ending in ``.toml``.
            overwrite: replace an existing file.

        Returns:
            The path written.

        Raises:
            InputError: no path, not ``.toml``, an existing file without ``overwrite``, settings that cannot be
                assessed.
        """
        p = self.state.save(path, overwrite=overwrite)
        self.file_note.value = f"saved {html.escape(shown_path(path))}"
        return p

    def _clear_messages(self) -> None:
        for c in self.numbers.values():
            c.clear_message()

    # -- showing the state ---------------------------------------------------------------------------
    def _sync(self) -> None:
        """Move every control to the state's value, options and availability (without feeding back)."""
        s, v = self.state, self.state.values
        self._syncing = True
        try:
            for name, c in self.numbers.items():
                opts = s.fields[name].options or ()   # a choice's allowed values (s.options of a number)
                if c.kind == "choice" and (tuple(opts) != c.options or c.value != v[name]):
                    c.set_options(opts, v[name])
                elif c.value != v[name]:
                    c.value = v[name]
            # the hidden size steps by one head width while the head width is derived (heads follow, whole)
            self.hidden.set_step(64 if s.explicit_head_dim else max(v["head_dim"], 1))
            top = max(s.fields["top_k"].maximum, 1)
            if self.top_k.slider.max != top:
                self.top_k.slider.max = top
            if list(self.fit.options) != s.fit_options:
                self.fit.options = list(s.fit_options)
            for name, w in self.choices.items():
                if w.value != v[name]:
                    w.value = v[name]
            inactive = s.inactive()
            for name in CAN_BE_INACTIVE:
                self.numbers[name].disabled = name in inactive
            base = s.base
            assert base is not None   # the state opens a plan in __init__
            self.moe_box.layout.display = None if base.num_experts > 0 else "none"
            self.shared_experts.layout.display = None if base.num_shared_experts else "none"
            self.layout_box.layout.display = None if v["layout"] else "none"
            self.fit_about.value = (f"<span style='font-size:12px;color:#546e7a;margin-left:118px'>"
                                    f"{html.escape(fit_words(v['fit']))}</span>")
            self.gpus_note.value = (gpus_note_html(v["data_parallel"], v["tp"], v["pp"], self.state.context_parallel)
                                    if v["layout"] else "")
        finally:
            self._syncing = False

    def update(self) -> None:
        """Judge the settings and rewrite the readout now; ask for the chart (drawn in the background in a kernel)."""
        a = self.state.assess()
        self._sync()
        self._clear_advice()
        token = self._charts.new_state()
        # the chart is greyed before the readout changes: the page never shows a new verdict beside an old chart
        self.image.add_class("planner-stale")
        if a is None:
            assert self.state.error is not None   # assess() says why there is no assessment
            self.readout.value = error_html(self.state.error)
            for w in (self.memory, self.batch_advice):
                w.add_class("planner-stale")
            return
        s = self.state
        self.readout.value = readout_html(a, s.base_name, s.departures())
        self.memory.remove_class("planner-stale")
        self.memory.value = memory_html(a.memory)
        self.memory.layout.display = "none" if a.memory is None else None
        self.batch_advice.remove_class("planner-stale")
        self.batch_advice.value = batch_advice_html(a)
        self._request_chart(token, a)
        self.details.value = details_html(a)

    # -- the advisor -----------------------------------------------------------------------------------
    def _clear_advice(self) -> None:
        if self.advice_cards.children or self.advice_out.value:
            self.advice_out.value = ""
            self.advice_cards.children = ()

    def what_would_fix_it(self) -> Advice | None:
        """Run the advisor on the current plan; show its options as cards, each with a button that loads its plan.

        Returns:
            The :class:`~planner.verdict.advisor.Advice` (also in :attr:`advice`), or ``None`` for a
                compute-optimal plan: the panel says there is nothing to fix.

        Raises:
            InputError: the settings cannot be assessed.
        """
        advice = self.state.advise()
        if advice is None:
            self._clear_advice()
            self.advice_out.value = NOTHING_TO_FIX
            return None
        self.advice_out.value = advice_caption(advice)
        self.advice_cards.children = option_cards(advice, self.load_option).children
        return advice

    def load_option(self, plan: Plan) -> None:
        """Load an advisor option's plan into the controls (the option buttons' callback).

        Args:
            plan: the option's plan.
        """
        self._guard(lambda: self.show_plan(plan, f"loaded the option <i>{html.escape(plan.name)}</i>",
                                           source=f"the option {plan.name!r}"), self.advice_out)

    # -- the layout search ---------------------------------------------------------------------------------------
    def fastest_layouts(self, top: int = 3) -> LayoutReport:
        """Search the layouts of the plan's GPUs that fit, fastest to its line first (``planner layout``), keeping
        the settings typed beside the button as given (``cp=1, tp=8``: ``--keep``); show them as a table with a
        button per layout that puts it into the controls.

        Args:
            top: how many layouts to show.

        Returns:
            The :class:`~planner.verdict.layouts.LayoutReport` (also in :attr:`layouts`).

        Raises:
            InputError: the settings cannot be laid out (no batch shape, an accelerator without bandwidths), or a
                kept setting is unknown or not a whole number (field ``keep``).
        """
        report = plan_layouts(self.plan(), top=top, keep=self.layouts_keep.value.strip() or None)
        self.layouts = report
        self.layouts_out.value = layout_table_html(report)
        buttons = []
        for k, option in enumerate(report.options, 1):
            b = W.Button(description=f"Use layout {k}", layout=W.Layout(width="110px"))
            b.on_click(lambda _, o=option: self.use_layout(o))
            buttons.append(b)
        self.layout_buttons.children = tuple(buttons)
        return report

    def use_layout(self, option: LayoutOption) -> Plan:
        """Put a searched layout into the controls: its parallel degrees, sharding and recompute in
        ``[parallelism]``, its micro-batch, accumulation and data parallel in the batch (the global batch kept).

        Args:
            option: one of :attr:`layouts`' options.

        Returns:
            The plan now in the controls.
        """
        plan = self.plan()
        p, b = option.layout, plan.budget
        budget = Budget.from_batch(b.steps, p.micro_batch, p.seq_len, grad_accum=p.micro_batches or 1,
                                   data_parallel=p.data_parallel, prior_tokens=b.prior_tokens)
        return self.show_plan(plan.with_(budget=budget, parallelism=p.with_(micro_batches=None), count=p.num_gpus),
                              "put the searched layout into the controls", source="the layout")

    # -- the chart, off the readout's path (planner.surfaces.chart_worker) -------------------------------------
    @property
    def _token(self) -> int:
        return self._charts.token

    @property
    def _drawn(self) -> int:
        return self._charts.drawn

    def _request_chart(self, token: int, a: Assessment) -> None:
        self._charts.request(token, a)

    def _show_chart(self, png: bytes) -> None:
        self.image.value = png
        self.image.remove_class("planner-stale")

    def flush(self) -> Workbook:
        """Draw the chart for the current state now, if the worker has not yet (for code and tests).

        Returns:
            The workbook.
        """
        if self.assessment is not None and self._drawn != self._token:
            self._charts.draw_now(self._token, self.assessment)
        return self
