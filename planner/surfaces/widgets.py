"""The what-if workbook: controls over a plan, a live readout, a chart that follows without holding it up.

Thin on purpose: the controls build a :class:`~planner.verdict.plan.Plan`,
:func:`~planner.verdict.plan.assess_plan` judges it, the readout shows its verdict (the one phrase of
:mod:`planner.verdict.policy`) and :func:`~planner.surfaces.report.summary_rows`, and
:class:`~planner.surfaces.plots.PlanChart` draws the chart.

- **Typed values mean what they show.** Every number has a text box read by
  :mod:`planner.validate` (see :mod:`planner.surfaces.controls`); limits are the package's own.
- **Every architecture the controls can reach is valid.** Heads are chosen among the divisors of
  the hidden size (or move freely beside an explicit head-dim control when the model's config
  states its head_dim), kv heads among the divisors of heads, top-k among 1…experts; layers
  keep the family's MoE layer rule (:class:`~planner.model.architecture.Architecture` derives it).
- **The readout never waits for a chart.** The readout is written in the control's callback;
  the chart is drawn on a worker thread and handed back to the kernel's event loop, newest
  only: a redraw for a state that is no longer current is dropped, never shown.
- **Plan files in and out.** :meth:`Workbook.save` writes the plan TOML that ``planner report``
  reads; :meth:`Workbook.open_plan` loads one, :meth:`Workbook.show_plan` a :class:`Plan` object.
- **Memory per GPU.** With the layout on, recompute, ZeRO stage, TP, PP and precision set the plan's
  :class:`~planner.training.parallelism.Parallelism` (TP among the divisors of the heads that suit the kv
  heads, PP among the divisors of the layers; GPUs = data parallel × TP × PP) and
  :func:`~planner.surfaces.memory_bar.memory_bar_html` draws the assessment's memory.
- **The science beside the controls.** The batch and learning rate the law recommends
  (``assessment.science.hyperparameters``) sit under the batch controls; inference tokens (blank: off)
  feed the inference-aware plan.
- **The advisor on demand.** *What would fix it?* runs :func:`~planner.verdict.advisor.advise` (a tenth of a
  second or more, so never on a slider move) and offers each option as a button that loads its plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import os
import threading
from pathlib import Path

import ipywidgets as W

from ..errors import InputError, PlannerError
from ..format import fmt_int, fmt_si
from ..laws.fits import FITS
from ..model.architecture import MAX_DIM, Architecture
from ..model.catalog import architecture, list_models
from ..training.budget import Budget
from ..training.compute import DEFAULT_MFU, MAX_PRICE, MFU_RANGE, accelerators
from ..training.corpus import corpora
from ..datafiles import DATA_DIR, read_csv
from ..training.parallelism import FSDP_ZERO, PLAN_KEYS, PRECISIONS, RECOMPUTE
from ..verdict.plan import Plan, assess_plan, load_plan
from .controls import NumberControl, count_text

ORIGIN_PLAN = DATA_DIR / "plans" / "origin-case.toml"
CUSTOM = "custom"
NO_CORPUS = "none"
CUSTOM_CORPUS = "custom (unique tokens)"
#: Plan fields the workbook's controls set; the others are kept from the opened plan file.
CONTROLLED = {"budget", "model", "params", "name", "description", "corpus_name", "unique_tokens", "accelerator",
              "count", "mfu", "price_per_gpu_hour", "fit", "parallelism", "inference_tokens"}
#: Layout settings the workbook's controls set; the others (sp, ep, flash attention, optimizer, ...) are kept
#: from the opened plan's [parallelism] table.
LAYOUT_CONTROLLED = {"tp", "pp", "zero", "fsdp", "recompute", "precision"}
MIN_HEAD_DIM = 8   # heads offered for a hidden size: the divisors that leave a head at least this wide
CSS = """<style>
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
.planner-answer, .planner-answer > *, .planner-app > .widget-vbox {min-width: 0; max-width: 100%; box-sizing: border-box;}
.planner-app .widget-html, .planner-app .widget-html-content {min-width: 0; max-width: 100%;}
.planner-group button, button.planner-group {text-align: left; font-weight: bold; color: #37474f;
  background: #eceff1; margin-top: 8px;}
</style>"""

# What the package calls a field, in the words of the control that sets it (for messages).
FIELD_LABELS = {
    "num_layers": "layers", "hidden_size": "hidden size", "num_heads": "heads", "num_kv_heads": "kv heads",
    "head_dim": "head dim", "intermediate_size": "intermediate size", "vocab_size": "vocab",
    "num_experts": "experts", "experts_per_token": "top-k", "moe_intermediate_size": "expert size",
    "num_shared_experts": "shared experts", "micro_batch": "micro-batch", "grad_accum": "grad accum",
    "data_parallel": "data parallel", "seq_len": "seq len", "prior_tokens": "prior tokens",
    "unique_tokens": "unique tokens", "hardware.mfu": "MFU", "hardware.count": "GPUs",
    "hardware.price_per_gpu_hour": "$ per GPU-hour", "tokens_per_step": "tokens per step",
    "parallelism.tp": "TP", "parallelism.pp": "PP", "parallelism.zero": "ZeRO stage",
    "inference.tokens": "inference tokens",
}


def in_control_words(message: str) -> str:
    """``num_heads: must be ...`` → ``heads: must be ...`` (the field named as its control is)."""
    for field, label in sorted(FIELD_LABELS.items(), key=lambda kv: -len(kv[0])):
        message = message.replace(f"{field}:", f"{label}:").replace(f"({field})", f"({label})")
    return message


#: Set by ``planner workbook`` to the folder it was launched from: the workbook's relative paths start there (the
#: kernel itself runs in the notebook's folder).
WORKDIR_ENV = "PLANNER_WORKDIR"


def user_path(path) -> Path:
    """A path the person typed, as they mean it: ``~`` expanded, and a relative path taken from the folder the
    workbook was launched from (:data:`WORKDIR_ENV`), else from the kernel's working directory."""
    p = Path(str(path).strip()).expanduser()
    base = os.environ.get(WORKDIR_ENV)
    return p if p.is_absolute() or not base else Path(base) / p


def shown_path(path) -> str:
    """A path as the workbook shows it: as the person typed it (never re-rooted at the kernel's folder)."""
    return str(path).strip()


def divisors(n: int) -> list[int]:
    """Every divisor of ``n``, ascending."""
    small, large = [], []
    i = 1
    while i * i <= n:
        if n % i == 0:
            small.append(i)
            if i * i != n:
                large.append(n // i)
        i += 1
    return small + large[::-1]


def head_options(hidden: int) -> list[int]:
    """Head counts offered for ``hidden``: its divisors leaving heads at least MIN_HEAD_DIM wide."""
    opts = [d for d in divisors(hidden) if hidden // d >= MIN_HEAD_DIM]
    return opts or [1]


def tp_options(heads: int, kv_heads: int) -> list[int]:
    """TP degrees offered: divisors of the heads that divide the kv heads or are a multiple of them."""
    return [t for t in divisors(heads) if kv_heads % t == 0 or t % kv_heads == 0]


def closest(options, target, prefer=None):
    """The option nearest ``target`` (``prefer`` wins when it is an option)."""
    if prefer is not None and prefer in options:
        return prefer
    return min(options, key=lambda o: (abs(o - target), o))


class Workbook:
    """All the workbook's controls, its readout and chart, and its update loop.

    ``Workbook()`` opens on the origin-case plan (``data/plans/origin-case.toml``: Qwen2.5-0.5B,
    2,700 steps of 4 × 2,048 tokens, 1.24B unique tokens, one A100). ``Workbook(plan=path)``
    opens another plan file, ``Workbook(model=name)`` a catalog model with the origin case's budget.
    Display it in a notebook; drive it from code with :meth:`set`.

    ``fits``: paths of saved fitted laws (``planner fit --save NAME.toml``) to offer beside the built-in
    fits; the *add fit* box adds more.

    ``background_chart``: draw the chart on a worker thread (default: when an event loop is
    running, as in a kernel). Without one — plain Python, tests — every update draws in line.
    """

    def __init__(self, plan=ORIGIN_PLAN, *, model: str | None = None, fits=(), background_chart: bool | None = None):
        from .plots import PlanChart

        self._hold = False
        self._explicit_head_dim = False
        self._loading = False
        self._base: Architecture | None = None
        self._base_name = CUSTOM
        self._extras = {}  # plan settings without a control (thresholds, param kind, ...), kept for save
        self._layout_kept = {}  # [parallelism] settings without a control (sp, ep, optimizer, ...)
        self.advice = None      # the last advisor answer (None until asked)
        self.assessment = None
        self.error: str | None = None
        self.plan_name = "What-if plan"
        self.plan_description = ""
        self.chart = PlanChart()
        self._background = background_chart
        self._token = 0          # increases with every assessment the readout shows
        self._drawn = -1         # the token of the chart the image shows
        self._pending = None     # (token, assessment) waiting for the worker
        self._cv = threading.Condition()
        self._chart_lock = threading.Lock()
        self._worker = None
        self._loop = None

        dd = dict(style={"description_width": "118px"}, layout=W.Layout(width="290px"))
        self.model = W.Dropdown(options=[CUSTOM] + list_models(), value=CUSTOM, description="base model", **dd)
        self.base_note = W.HTML()
        # -- architecture ---------------------------------------------------------------------------
        dim = dict(maximum=MAX_DIM)
        self.layers = NumberControl("layers", 24, slider_max=256, **dim)
        self.hidden = NumberControl("hidden size", 896, minimum=1, slider_min=64, slider_max=32768, step=64, **dim)
        self.heads = NumberControl("heads", 14, kind="choice", options=head_options(896), maximum=MAX_DIM,
                                   why="a divisor of the hidden size")
        self.head_dim = NumberControl("head dim", 64, slider_min=8, slider_max=512, step=8, **dim)
        self.kv_heads = NumberControl("kv heads", 2, kind="choice", options=divisors(14), maximum=MAX_DIM,
                                      why="a divisor of the heads", name="kv-heads")
        self.intermediate = NumberControl("intermediate size", 4864, slider_min=64, slider_max=131072, step=64, **dim)
        self.vocab = NumberControl("vocab", 151936, slider_min=256, slider_max=262144, **dim)
        self.tied = W.Checkbox(False, description="tied embeddings", indent=False)
        self.gated = W.Checkbox(True, description="gated MLP", indent=False)
        self.experts = NumberControl("experts", 8, slider_max=256, **dim)
        self.top_k = NumberControl("top-k", 2, slider_max=8, why="from 1 to the number of experts", **dim)
        self.expert_size = NumberControl("expert size", 14336, slider_min=64, slider_max=65536, step=64, **dim)
        self.shared_experts = NumberControl("shared experts", 0, minimum=0, slider_max=8, **dim)
        # -- training budget ----------------------------------------------------------------------
        self.steps = NumberControl("steps", 2700, kind="log", slider_max=10**10, step=0.01)
        self.micro_batch = NumberControl("micro-batch", 4, kind="log", base=2, slider_max=4096, step=1,
                                         name="micro-batch")
        self.grad_accum = NumberControl("grad accum", 1, kind="log", base=2, slider_max=1024, step=1)
        self.data_parallel = NumberControl("data parallel", 1, kind="log", base=2, slider_max=2**17, step=1)
        self.seq_len = NumberControl("seq len", 2048, kind="log", base=2, slider_min=64, slider_max=2**20, step=1)
        self.continued = W.Checkbox(False, description="continued pretraining", indent=False)
        self.prior = NumberControl("prior tokens", 0, kind="log", minimum=0, slider_max=10**15, step=0.01)
        self.batch_advice = W.HTML(layout=W.Layout(width="310px"))
        self.batch_advice.add_class("planner-batch-advice")
        self.inference = NumberControl("inference tokens", None, kind="log", allow_blank=True, slider_min=10**9,
                                       slider_max=10**16, step=0.01, name="inference-tokens",
                                       why="lifetime tokens served; blank for none")
        # -- data and hardware ----------------------------------------------------------------------
        self.corpus = W.Dropdown(options=[NO_CORPUS, CUSTOM_CORPUS] + list(corpora()), value=CUSTOM_CORPUS,
                                 description="corpus", **dd)
        self.unique = NumberControl("unique tokens", 1_240_000_000, kind="log", slider_min=10**6,
                                    slider_max=10**15, step=0.01, name="unique-tokens")
        names = {row["key"]: row["name"] for row in read_csv("accelerators.csv")}
        self.accelerator = W.Dropdown(options=[(names[k], k) for k in accelerators()], value="a100",
                                      description="accelerator", **dd)
        self.gpus = NumberControl("GPUs", 1, kind="log", base=2, slider_max=2**20, step=1)
        self.gpus_note = W.HTML()
        self.mfu = NumberControl("MFU", DEFAULT_MFU, kind="float", real=True, percent=True, minimum=MFU_RANGE[0],
                                 maximum=MFU_RANGE[1], slider_min=0.01, slider_max=1.0, step=0.01,
                                 why="model FLOPs utilisation: a fraction of the peak")
        self.price = NumberControl("$ per GPU-hour", 2.0, kind="none", real=True, minimum=0, maximum=MAX_PRICE,
                                   allow_blank=True, fmt=lambda v: f"{v:,.2f}", name="price",
                                   why="blank for no cost")
        self.fit = W.Dropdown(options=list(FITS), value="chinchilla", description="loss fit", **dd)
        self.fit_path = W.Text(placeholder="saved fit: path/to/law.toml", layout=W.Layout(width="190px"))
        self.fit_path.add_class("planner-fit-path")
        self.fit_button = W.Button(description="add fit", layout=W.Layout(width="96px"))
        self.fit_note = W.HTML()
        self.fit_note.add_class("planner-fit-note")
        self.fit_button.on_click(lambda _: self._fit_guard(lambda: self.add_fit(self.fit_path.value)))
        # -- memory per GPU: the layout -------------------------------------------------------------
        self.layout_on = W.Checkbox(True, description="per-GPU memory (layout)", indent=False)
        self.tp = NumberControl("TP", 1, kind="choice", options=[1], maximum=10**6, name="tp",
                                why="a divisor of the heads that suits the kv heads")
        self.pp = NumberControl("PP", 1, kind="choice", options=[1], maximum=10**6, name="pp",
                                why="a divisor of the layers")
        self.zero = NumberControl("ZeRO stage", 0, kind="choice", options=[0, 1, 2, 3], minimum=0, maximum=3,
                                  name="zero", why="0 to 3")
        self.recompute = W.Dropdown(options=list(RECOMPUTE), value="none", description="recompute", **dd)
        self.precision = W.Dropdown(options=list(PRECISIONS), value="bf16-mixed", description="precision", **dd)
        self.layout_box = W.VBox([self.recompute, self.zero.widgets(), self.tp.widgets(), self.pp.widgets(),
                                  self.precision])
        # -- the advisor, on demand ------------------------------------------------------------------
        self.advise_button = W.Button(description="What would fix it?", layout=W.Layout(width="160px"))
        self.advise_button.add_class("planner-advise")
        self.advice_out = W.HTML()
        self.advice_out.add_class("planner-advice-out")
        self.advice_buttons = W.HBox([])
        self.advice_buttons.add_class("planner-advice-buttons")
        self.advise_button.on_click(lambda _: self._advice_guard(self.what_would_fix_it))
        # -- plan files -------------------------------------------------------------------------------
        plans = sorted(str(p.relative_to(DATA_DIR.parent)) for p in (DATA_DIR / "plans").glob("*.toml"))
        self.plan_path = W.Combobox(options=plans, placeholder="path/to/plan.toml", ensure_option=False,
                                    layout=W.Layout(width="290px"))
        self.plan_path.add_class("planner-plan-path")
        self.open_button = W.Button(description="open plan", layout=W.Layout(width="96px"))
        self.save_button = W.Button(description="save plan", layout=W.Layout(width="96px"))
        self.overwrite = W.Checkbox(False, description="overwrite", indent=False, layout=W.Layout(width="96px"))
        self.file_note = W.HTML()
        self.file_note.add_class("planner-file-note")
        self.open_button.on_click(lambda _: self._guard(lambda: self.open_plan(self.plan_path.value)))
        self.save_button.on_click(lambda _: self._guard(lambda: self.save(self.plan_path.value,
                                                                          overwrite=self.overwrite.value)))

        # -- the readout side ---------------------------------------------------------------------------
        self.readout = W.HTML(layout=W.Layout(width="100%"))
        self.readout.add_class("planner-readout")
        self.details = W.HTML(layout=W.Layout(width="100%"))
        self.details.add_class("planner-details")
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="840px"))
        self.image.add_class("planner-chart")
        self.memory = W.HTML(layout=W.Layout(display="none"))   # per-GPU memory: the bar and its verdict
        self.memory.add_class("planner-memory-out")

        self.moe_box = W.VBox([self.experts.widgets(), self.top_k.widgets(), self.expert_size.widgets(),
                               self.shared_experts.widgets()])
        self.numbers = {"layers": self.layers, "hidden": self.hidden, "heads": self.heads, "head_dim": self.head_dim,
                        "kv_heads": self.kv_heads, "intermediate": self.intermediate, "vocab": self.vocab,
                        "experts": self.experts, "top_k": self.top_k, "expert_size": self.expert_size,
                        "shared_experts": self.shared_experts, "steps": self.steps, "micro_batch": self.micro_batch,
                        "grad_accum": self.grad_accum, "data_parallel": self.data_parallel, "seq_len": self.seq_len,
                        "prior": self.prior, "unique": self.unique, "gpus": self.gpus, "mfu": self.mfu,
                        "price": self.price, "inference": self.inference, "tp": self.tp, "pp": self.pp,
                        "zero": self.zero}
        self.choices = {"model": self.model, "tied": self.tied, "gated": self.gated, "continued": self.continued,
                        "corpus": self.corpus, "accelerator": self.accelerator, "fit": self.fit,
                        "layout": self.layout_on, "recompute": self.recompute, "precision": self.precision}
        self.controls = list(self.numbers.values()) + list(self.choices.values())

        def section(title, *items, open_=True):
            """A collapsible group of controls: its heading toggles it (every group starts open but
            Inference; the page, not the column, scrolls)."""
            body = W.VBox([i.widgets() if isinstance(i, NumberControl) else i for i in items],
                          layout=W.Layout(display=None if open_ else "none"))
            head = W.Button(description=("▾ " if open_ else "▸ ") + title, tooltip=f"show or hide {title}",
                            layout=W.Layout(width="100%", height="26px"))
            head.add_class("planner-group")

            def toggle(_):
                shown = body.layout.display == "none"
                body.layout.display = None if shown else "none"
                head.description = ("▾ " if shown else "▸ ") + title
            head.on_click(toggle)
            self.groups[title] = (head, body)
            return [head, body]

        self.groups: dict = {}

        left = W.VBox(
            section("Plan file", W.HBox([self.plan_path]), W.HBox([self.open_button, self.save_button, self.overwrite]),
                    self.file_note)
            + section("Model", self.model, self.base_note, self.layers, self.hidden, self.heads, self.head_dim,
                      self.kv_heads, self.intermediate, self.vocab, W.HBox([self.tied, self.gated]), self.moe_box)
            + section("Training", self.steps, self.micro_batch, self.grad_accum, self.data_parallel, self.seq_len,
                      self.batch_advice, self.continued, self.prior)
            + section("Data and hardware", self.corpus, self.unique, self.accelerator, self.gpus, self.gpus_note, self.mfu,
                      self.price, self.fit, W.HBox([self.fit_path, self.fit_button]), self.fit_note)
            + section("Memory per GPU", self.layout_on, self.layout_box)
            + section("Inference", self.inference),
            layout=W.Layout(width="330px", min_width="330px", padding="0 6px 0 0"))
        left.add_class("planner-controls")
        advisor = W.VBox([self.advise_button, self.advice_out, self.advice_buttons])
        # the verdict, its numbers and the chart stay in view while the page scrolls the controls
        answer = W.VBox([self.readout, self.image], layout=W.Layout(width="100%"))
        answer.add_class("planner-answer")
        right = W.VBox([answer, self.memory, advisor, self.details],
                       layout=W.Layout(flex="1 1 420px", min_width="420px", padding="0 0 0 12px"))
        self.widget = W.HBox([W.HTML(CSS), left, right], layout=W.Layout(flex_flow="row wrap", width="100%"))
        self.widget.add_class("planner-app")

        # -- wiring -------------------------------------------------------------------------------------
        self.model.observe(self._on_model, "value")
        self.hidden.observe(self._on_hidden, "value")
        self.heads.observe(self._on_heads, "value")
        self.experts.observe(self._on_experts, "value")
        self.gpus.observe(self._on_gpus, "value")
        self.data_parallel.observe(self._on_data_parallel, "value")
        for c in (self.layers, self.heads, self.kv_heads):
            c.observe(self._on_layout_bounds, "value")
        self.tp.observe(self._on_model_parallel, "value")
        self.layout_on.observe(self._on_model_parallel, "value")
        self.pp.observe(self._on_model_parallel, "value")
        for c in self.controls:
            if c is not self.model:
                c.observe(self._on_change, "value")

        with self._quiet():
            for path in fits:
                self.add_fit(path, select=False)
        if model is not None:
            with self.hold():
                self.open_plan(plan)
                self.load_model(model)
        else:
            self.open_plan(plan)

    # -- display -------------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- driving it ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def hold(self):
        """Change several controls with one update at the end."""
        held, self._hold = self._hold, True
        try:
            yield self
        finally:
            self._hold = held
        if not held:
            self.update()

    @contextlib.contextmanager
    def _quiet(self):
        """Change controls without any update (the caller's update follows)."""
        held, self._hold = self._hold, True
        try:
            yield
        finally:
            self._hold = held

    def set(self, **values) -> "Workbook":
        """Set controls by attribute name (``steps=1e6, layers=24``) and update once.

        ``model`` is applied first (it loads the architecture); the other values then override it.
        Numbers may be given as text, as typed (``steps="1.2M"``): they go through the text box.
        """
        with self.hold():
            if "model" in values:
                self.load_model(values.pop("model"))
            for name, value in values.items():
                if name in self.numbers:
                    c = self.numbers[name]
                    c.value = c.parse(value)
                elif name in self.choices:
                    self.choices[name].value = value
                else:
                    raise AttributeError(f"no control named {name!r}")
        return self

    def _guard(self, action, note=None) -> None:
        note = note or self.file_note
        try:
            action()
        except PlannerError as e:
            note.value = f"<span style='color:#b71c1c'>{html.escape(in_control_words(str(e)))}</span>"

    def _fit_guard(self, action) -> None:
        self._guard(action, self.fit_note)

    def _advice_guard(self, action) -> None:
        self._guard(action, self.advice_out)

    # -- fits ------------------------------------------------------------------------------------------
    def add_fit(self, path, *, select: bool = True) -> str:
        """Offer a saved fitted law (``planner fit --save NAME.toml``) in the fit dropdown; select it by default.

        Raises :class:`InputError` (field ``fit``) when the path is not a readable saved fit.
        """
        from ..laws.fits import fit as load_fit

        typed = str(path).strip()
        if not typed:
            raise InputError("fit", "a saved fit (.toml)", detail="type the path of a saved fit (.toml)")
        name = str(user_path(typed)) if user_path(typed).is_file() else typed
        load_fit(name)  # refuses a missing or malformed file, naming it
        if name not in self.fit.options:
            self.fit.options = list(self.fit.options) + [name]
        if select:
            self.fit.value = name
        self.fit_note.value = f"added {html.escape(shown_path(typed))}" if select else ""
        return name

    # -- the architecture ------------------------------------------------------------------------------
    def load_model(self, name: str) -> None:
        """Make a catalog model (or ``"custom"``, a Llama-style block) the base and set its controls."""
        if name == CUSTOM:
            base = Architecture(num_layers=12, hidden_size=768, num_heads=12, vocab_size=50257)
        else:
            base = architecture(name)
        self._set_base(base, name)

    def _set_base(self, base: Architecture, name: str, arch: Architecture | None = None) -> None:
        """Make ``base`` the architecture departures are measured from; show ``arch`` (default: base)."""
        a = arch or base
        with self.hold():
            self._loading = True
            try:
                self._show_architecture(base, name, a)
            finally:
                self._loading = False

    def _show_architecture(self, base: Architecture, name: str, a: Architecture) -> None:
        """Set every architecture control to ``a`` (its base: ``base``, called ``name``)."""
        self._base, self._base_name = base, name
        if self.model.value != name:
            self.model.value = name if name in self.model.options else CUSTOM
        explicit = base.inputs()["head_dim"] is not None
        self._explicit_head_dim = explicit
        self.layers.value = a.num_layers
        self.hidden.value = a.hidden_size
        if explicit:
            self._heads_free()
            self.heads.value = a.num_heads
        else:
            self._heads_from_hidden(a.hidden_size, a.num_heads)
        self.head_dim.value = a.head_dim
        self.head_dim.disabled = not explicit
        self.kv_heads.set_options(divisors(a.num_heads), a.num_kv_heads)
        self.vocab.value = a.vocab_size
        self.tied.value = a.tied_embeddings
        self.gated.value = a.gated_mlp
        self.intermediate.value = a.intermediate_size
        moe = base.num_experts > 0
        self.moe_box.layout.display = None if moe else "none"
        if moe:
            self.experts.value = a.num_experts
            self._top_k_range(a.num_experts)
            self.top_k.value = a.experts_per_token
            self.expert_size.value = a.moe_intermediate_size
            self.shared_experts.value = a.num_shared_experts
            self.shared_experts.layout.display = None if base.num_shared_experts else "none"
        self._dense_note(a)
        self._layout_bounds()

    def _heads_free(self) -> None:
        """Heads move freely (the head width is its own control)."""
        if self.heads.kind == "choice":
            self.heads.set_options(list(range(1, 257)), self.heads.value if self.heads.value <= 256 else 1)
            self.heads.why = "from 1 to 256 on the slider; type any count"

    def _heads_from_hidden(self, hidden: int, wanted: int) -> None:
        opts = head_options(hidden)
        if wanted not in opts:
            opts = sorted(set(opts) | ({wanted} if hidden % wanted == 0 else set()))
        self.heads.why = f"a divisor of the hidden size {fmt_int(hidden)}"
        self.heads.set_options(opts, closest(opts, wanted))

    def _on_hidden(self, change):
        """A new hidden size keeps the head width when it can, else the nearest head count."""
        if self._loading or self._explicit_head_dim:
            return
        with self._quiet():
            hd = self.head_dim.value
            new = change["new"]
            want = new // hd if new % hd == 0 else self.heads.value
            self._heads_from_hidden(new, want)
            self._follow_heads()

    def _on_heads(self, change):
        if self._loading:
            return
        with self._quiet():
            self._follow_heads()

    def _follow_heads(self) -> None:
        """kv heads stay a divisor of heads (the nearest to their value); a derived head dim follows."""
        h = self.heads.value
        self.kv_heads.set_options(divisors(h), closest(divisors(h), self.kv_heads.value))
        self.kv_heads.why = f"a divisor of the heads ({fmt_int(h)})"
        if not self._explicit_head_dim:
            self.head_dim.value = self.hidden.value // h

    def _on_experts(self, change):
        """top-k stays within 1…experts."""
        self._top_k_range(change["new"])

    def _top_k_range(self, experts: int) -> None:
        with self._quiet():
            self.top_k.maximum = experts
            self.top_k.why = f"from 1 to the number of experts ({fmt_int(experts)})"
            self.top_k.slider.max = max(experts, 1)
            if self.top_k.value > experts:
                self.top_k.value = experts

    # -- the layout ----------------------------------------------------------------------------------
    def _layout_bounds(self) -> None:
        """TP among the divisors of the heads that suit the kv heads, PP among the divisors of the layers."""
        with self._quiet():
            for c, opts, why in ((self.tp, tp_options(self.heads.value, self.kv_heads.value),
                                  f"a divisor of the heads ({fmt_int(self.heads.value)}) that divides or is a "
                                  f"multiple of the kv heads ({fmt_int(self.kv_heads.value)})"),
                                 (self.pp, divisors(self.layers.value),
                                  f"a divisor of the layers ({fmt_int(self.layers.value)})")):
                c.why = why
                if list(opts) != list(c.options) or c.value not in opts:
                    c.set_options(opts, closest(opts, c.value))
            if self.layout_on.value and self.gpus.value != self.data_parallel.value * self.tp.value * self.pp.value:
                self.gpus.value = self.data_parallel.value * self.tp.value * self.pp.value  # a degree moved: GPUs follow

    def _on_layout_bounds(self, change):
        self._layout_bounds()

    def _model_parallel(self) -> int | None:
        """TP × PP of the layout (None with the layout off)."""
        return self.tp.value * self.pp.value if self.layout_on.value else None

    def _on_model_parallel(self, change):
        """A new TP or PP degree (or the layout turned on) keeps data parallel: the GPUs follow
        (GPUs = data parallel × TP × PP)."""
        mp = self._model_parallel()
        if self._loading or mp is None:
            return
        with self._quiet():
            self.gpus.value = self.data_parallel.value * mp

    def _on_gpus(self, change):
        """With a parallelism layout, GPUs = data parallel × tp × pp: data parallel follows the GPUs."""
        mp = self._model_parallel()
        if self._loading or mp is None or change["new"] % mp:
            return
        with self._quiet():
            self.data_parallel.value = change["new"] // mp

    def _on_data_parallel(self, change):
        """With a parallelism layout, the GPUs follow data parallel."""
        mp = self._model_parallel()
        if self._loading or mp is None:
            return
        with self._quiet():
            self.gpus.value = change["new"] * mp

    def _dense_note(self, a: Architecture) -> None:
        """The dense-MLP width only matters where some layer is dense."""
        dense = a.num_layers - (a.num_moe_layers if a.num_experts else 0)
        self.intermediate.disabled = dense == 0

    def architecture(self) -> Architecture:
        """The architecture the controls describe: the base with every control that departs from it."""
        b = self._base
        values = {"num_layers": self.layers.value, "hidden_size": self.hidden.value, "num_heads": self.heads.value,
                  "num_kv_heads": self.kv_heads.value, "intermediate_size": self.intermediate.value,
                  "vocab_size": self.vocab.value, "tied_embeddings": self.tied.value, "gated_mlp": self.gated.value}
        if self._explicit_head_dim:
            values["head_dim"] = self.head_dim.value
        if b.num_experts:
            values.update(num_experts=self.experts.value, experts_per_token=self.top_k.value,
                          moe_intermediate_size=self.expert_size.value)
            if b.num_shared_experts:
                values["num_shared_experts"] = self.shared_experts.value
        changes = {k: v for k, v in values.items() if getattr(b, k) != v}
        if not changes:
            return b
        return b.with_(**changes, name=f"{self._base_name} (modified)")

    def departures(self) -> list[str]:
        """How the architecture departs from its base, in the controls' words (``layers 24 → 25``)."""
        b, a = self._base, self.architecture()
        out = []
        for field, label in FIELD_LABELS.items():
            if hasattr(b, field) and field in b.inputs() and getattr(b, field) != getattr(a, field):
                out.append(f"{label} {count_text(getattr(b, field))} → {count_text(getattr(a, field))}")
        for field, label in (("tied_embeddings", "tied embeddings"), ("gated_mlp", "gated MLP")):
            if getattr(b, field) != getattr(a, field):
                out.append(f"{label} {'on' if getattr(a, field) else 'off'}")
        return out

    # -- the plan --------------------------------------------------------------------------------------
    def plan(self) -> Plan:
        """The plan the controls describe."""
        corpus = self.corpus.value
        unique = self.unique.value if corpus == CUSTOM_CORPUS else None  # a named corpus's size comes with its name
        prior = self.prior.value if self.continued.value else 0
        budget = Budget.from_batch(self.steps.value, self.micro_batch.value, self.seq_len.value,
                                   self.grad_accum.value, self.data_parallel.value, prior)
        return Plan(budget=budget, model=self.architecture(), name=self.plan_name, description=self.plan_description,
                    corpus_name=None if corpus in (NO_CORPUS, CUSTOM_CORPUS) else corpus, unique_tokens=unique,
                    accelerator=self.accelerator.value, count=self.gpus.value, mfu=self.mfu.value,
                    price_per_gpu_hour=self.price.value, fit=self.fit.value, parallelism=self.layout(),
                    inference_tokens=self.inference.value, **self._extras)

    def layout(self):
        """The :class:`~planner.training.parallelism.Parallelism` the layout controls describe (None when off).

        The micro-batch, sequence length, data parallel and GPUs come from the training and hardware
        controls; settings without a control are kept from the opened plan. A ZeRO stage that equals the
        plan's FSDP strategy keeps it (``fsdp = "full"`` is ZeRO 3).
        """
        if not self.layout_on.value:
            return None
        from ..training.parallelism import parallelism_from_dict

        table = {**self._layout_kept, "tp": self.tp.value, "pp": self.pp.value, "recompute": self.recompute.value,
                 "precision": self.precision.value}
        fsdp = self._layout_kept.get("fsdp")
        if fsdp is not None and FSDP_ZERO[fsdp] == self.zero.value:
            table["fsdp"], table["zero"] = fsdp, 0
        else:
            table["fsdp"], table["zero"] = None, self.zero.value
        table = {k: v for k, v in table.items() if v is not None}
        return parallelism_from_dict(
            table, "parallelism", micro_batch=self.micro_batch.value, seq_len=self.seq_len.value,
            dp=self.data_parallel.value, gpus=self.gpus.value,
            field_names={"micro_batch": "micro_batch", "seq_len": "seq_len", "dp": "data_parallel",
                         "gpus": "hardware.count"})

    def open_plan(self, path) -> Plan:
        """Load a plan TOML into the controls (a catalog model becomes the base model)."""
        if not str(path).strip():
            raise InputError("plan file", "a path to a plan TOML file", detail="type a path to a .toml plan")
        where = user_path(path)
        plan = load_plan(where if where.is_file() else path)   # else: as given, or from the project's data/
        return self.show_plan(plan, f"opened {html.escape(shown_path(path))}", source=str(path))

    def show_plan(self, plan: Plan, note: str = "", *, source: str = "the plan") -> Plan:
        """Put a :class:`Plan` into the controls (what *open plan* and the advisor's buttons do).

        Raises :class:`InputError` when the plan gives N directly (the controls need an architecture).
        """
        if plan.model is None:
            raise InputError("plan file", "", detail=f"{source} gives N directly (params = "
                             f"{fmt_int(plan.params)}); the workbook needs an architecture: a [model] catalog, "
                             "config or dimensions")
        b = plan.budget
        for c in self.numbers.values():
            c.clear_message()
        with self.hold():
            name = plan.model.name.removesuffix(" (modified)")  # what save() writes for a variant
            if name not in list_models() or architecture(name).family != plan.model.family:
                name = CUSTOM
            base = architecture(name) if name != CUSTOM else plan.model
            self._set_base(base, name if name != CUSTOM else plan.model.name, plan.model)
            if name == CUSTOM:
                self._base_name = "dimensions from the plan"
            self._loading = True  # the plan's own values, not coupled moves
            try:
                self.steps.value = b.steps
                if b.seq_len is None:  # tokens per step only: one sequence of that many tokens
                    self.micro_batch.value, self.grad_accum.value, self.data_parallel.value = 1, 1, 1
                    self.seq_len.value = b.tokens_per_step
                else:
                    self.micro_batch.value, self.grad_accum.value = b.micro_batch, b.grad_accum
                    self.data_parallel.value, self.seq_len.value = b.data_parallel, b.seq_len
                self.continued.value = b.prior_tokens > 0
                self.prior.value = b.prior_tokens
                if plan.corpus_name is not None and plan.corpus_name in self.corpus.options:
                    self.corpus.value = plan.corpus_name
                elif plan.unique_tokens is not None:
                    self.corpus.value = CUSTOM_CORPUS
                    self.unique.value = int(plan.unique_tokens)
                else:
                    self.corpus.value = NO_CORPUS
                self.accelerator.value = plan.accelerator if plan.accelerator in accelerators() else self.accelerator.value
                self.gpus.value, self.mfu.value, self.price.value = plan.count, plan.mfu, plan.price_per_gpu_hour
                if plan.fit not in self.fit.options:  # a law fitted to the user's runs
                    self.fit.options = list(self.fit.options) + [plan.fit]
                self.fit.value = plan.fit
                self.inference.value = plan.inference_tokens
                self._show_layout(plan.parallelism)
                self.plan_name, self.plan_description = plan.name, plan.description
                # Everything the plan says that no control sets (thresholds, param kind, parallelism, ...) is kept
                # as it is, so saving gives the same plan back.
                self._extras = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)
                                if f.name not in CONTROLLED}
            finally:
                self._loading = False
            self.file_note.value = note
        return plan

    def _show_layout(self, layout) -> None:
        """Set the layout controls to a plan's :class:`Parallelism` (or turn the layout off for None)."""
        self.layout_on.value = layout is not None
        if layout is None:
            self._layout_kept = {}
            return
        d = layout.to_dict()
        self._layout_kept = {k: d[k] for k in PLAN_KEYS if k not in LAYOUT_CONTROLLED or k == "fsdp"}
        self._layout_bounds()
        for c, v in ((self.tp, layout.tp), (self.pp, layout.pp)):
            if v not in c.options:  # the plan's own value, even when the model refuses it (the readout says so)
                c.set_options(sorted(set(c.options) | {v}), v)
            c.value = v
        self.zero.value = layout.zero_stage
        self.recompute.value, self.precision.value = layout.recompute, layout.precision
        self.gpus.value = layout.num_gpus

    def save(self, path, *, overwrite: bool = False) -> Path:
        """Write the current plan as a TOML plan file (``planner report PATH`` reads it back)."""
        from ..verdict.plan import save_plan  # the package's one plan writer (TOML via tomli-w)

        if not str(path).strip():
            raise InputError("plan file", "", detail="type a path ending in .toml to save to")
        p = user_path(path)
        if p.suffix != ".toml":
            raise InputError("plan file", "", detail=f"{path} must end in .toml")
        if p.exists() and not overwrite:
            raise InputError("plan file", "", detail=f"{path} exists: tick overwrite to replace it")
        if self.assessment is None:
            raise InputError("plan file", "", detail="these settings cannot be assessed; fix them before saving")
        moved = self.departures()
        description = (f"Saved from the what-if workbook; base model {self._base_name}"
                       + (f", modified: {', '.join(moved)}." if moved else "."))
        save_plan(self.plan().with_(name=p.stem, description=description), p, overwrite=overwrite)
        self.file_note.value = f"saved {html.escape(shown_path(path))}"
        return p

    # -- callbacks -------------------------------------------------------------------------------------
    def _on_model(self, change):
        if not self._hold:
            self.load_model(change["new"])

    def _on_change(self, change):
        if not self._hold:
            self.update()

    # -- the update ----------------------------------------------------------------------------------
    def update(self) -> None:
        """Recompute and rewrite the readout now; ask for the chart (drawn in the background in a kernel)."""
        self.unique.disabled = self.corpus.value != CUSTOM_CORPUS
        if self.corpus.value not in (NO_CORPUS, CUSTOM_CORPUS):
            with self._quiet():  # the disabled box shows the named corpus's size
                self.unique.value = int(corpora()[self.corpus.value])
        self.prior.disabled = not self.continued.value
        layout_on = self.layout_on.value   # with a layout the GPUs are data parallel × TP × PP, shown as such
        self.gpus.disabled = layout_on
        self.gpus_note.value = (f"<span style='font-size:12px;color:#546e7a;margin-left:118px'>= data parallel "
                                f"{self.data_parallel.value:,} × TP {self.tp.value} × PP {self.pp.value} (the layout)"
                                f"</span>" if layout_on else "")
        self.layout_box.layout.display = None if self.layout_on.value else "none"
        self._clear_advice()
        try:
            arch = self.architecture()
            self._dense_note(arch)
            a = assess_plan(self.plan())
        except PlannerError as e:
            self.error = in_control_words(str(e))
            self.assessment = None
            self._token += 1
            self.readout.value = (
                f"<div class='planner-verdict' data-current='false' data-level='' style='font-family:sans-serif'>"
                f"<div style='background:#fff3f3;border:2px solid #b71c1c;color:#b71c1c;padding:10px 14px;"
                f"border-radius:6px;font-weight:bold'>Cannot assess these settings: {html.escape(self.error)}</div>"
                f"<p style='color:#555;margin:4px 0'>The chart below shows the last settings that could be "
                f"assessed: it is <b>not current</b>.</p></div>")
            self.image.add_class("planner-stale")
            self.memory.add_class("planner-stale")
            self.batch_advice.add_class("planner-stale")
            return
        self.error = None
        self.assessment = a
        self._token += 1
        self.readout.value = self._readout_html(a)
        self._show_memory(a)
        self._show_batch_advice(a)
        self.image.add_class("planner-stale")      # until the chart of these settings arrives
        self._request_chart(self._token, a)
        self.details.value = self._details_html(a)

    def _show_memory(self, a) -> None:
        """The per-GPU memory bar with the capacity line (hidden when the plan has no layout)."""
        from .memory_bar import memory_bar_html

        self.memory.remove_class("planner-stale")
        mem = a.memory
        if mem is None:
            self.memory.layout.display = "none"
            self.memory.value = ""
            return
        self.memory.value = (f"<div style='font-family:sans-serif;margin:6px 0'><b>Memory per GPU</b> "
                             f"<span style='color:#555'>({html.escape(mem.layout.describe())})</span>"
                             f"{memory_bar_html(mem)}</div>")
        self.memory.layout.display = None

    def _show_batch_advice(self, a) -> None:
        """The batch size and learning rate the law recommends, beside the batch controls."""
        self.batch_advice.remove_class("planner-stale")
        h = a.science.hyperparameters
        seq = a.plan.budget.seq_len
        seqs = "" if not seq else f" ≈ {h.batch_tokens_opt / seq:,.0f} sequences of {fmt_int(seq)}"
        self.batch_advice.value = (
            f"<div style='font-size:12px;color:#37474f;margin:2px 0 4px 0'>"
            f"Recommended: batch <b class='planner-batch-opt'>{fmt_si(h.batch_tokens_opt)}</b> tokens{seqs}, "
            f"learning rate <b class='planner-lr-opt'>{h.learning_rate_opt:.3g}</b>"
            f"<div style='color:#555'>{html.escape(h.message)}</div></div>")

    # -- the advisor -----------------------------------------------------------------------------------
    def _clear_advice(self) -> None:
        if self.advice is not None or self.advice_buttons.children or self.advice_out.value:
            self.advice = None
            self.advice_out.value = ""
            self.advice_buttons.children = ()

    def what_would_fix_it(self):
        """Run the advisor on the current plan; show its options and a button per option that loads its plan.

        Returns the :class:`~planner.verdict.advisor.Advice` (also in ``self.advice``). A compute-optimal plan
        needs no fix: the panel says so and no option is offered.
        """
        from ..verdict.advisor import advise
        from .advice import advice_html, option_buttons

        if self.assessment is None:
            raise InputError("plan", "", detail="these settings cannot be assessed; fix them first")
        v = self.assessment.verdict
        if v.level == "compute-optimal" and not v.blocked:
            self._clear_advice()
            self.advice_out.value = "<p class='planner-advice-none'>Nothing to fix: the plan is compute-optimal.</p>"
            return None
        advice = advise(self.plan())
        self.advice_out.value = advice_html(advice)
        self.advice_buttons.children = option_buttons(advice, self.load_option).children
        self.advice = advice
        return advice

    def load_option(self, plan: Plan) -> None:
        """Load an advisor option's plan into the controls (the option buttons' callback)."""
        self._advice_guard(lambda: self.show_plan(plan, f"loaded the option <i>{html.escape(plan.name)}</i>",
                                                  source=f"the option {plan.name!r}"))

    def _readout_html(self, a) -> str:
        """The verdict banner with its notices (:func:`~planner.surfaces.report.verdict_html`, the one rendering
        every surface shares) and the base model line."""
        from .report import strip_html, verdict_html

        g, v = a.gate, a.verdict
        moved = self.departures()
        base = (f"Base model <b>{html.escape(self._base_name)}</b>"
                + (f" — <b>modified</b>: {html.escape(', '.join(moved))}" if moved else " (unchanged)"))
        return (f"<div class='planner-verdict' data-current='true' data-level='{v.level}' data-status='{v.status}' "
                f"data-blocked='{str(v.blocked).lower()}' data-params='{a.params}' data-tokens='{g.tokens}' "
                f"data-steps-to-optimal='{'' if v.steps_to_optimal is None else v.steps_to_optimal}' "
                f"style='font-family:sans-serif'>{verdict_html(v, font_size='16px')}{strip_html(a)}"
                f"<div class='planner-base' style='margin:4px 0 0 0;font-size:13px'>{base}</div></div>")

    def _details_html(self, a) -> str:
        """Every number of the assessment (the package's summary rows), two columns, below the chart."""
        from .report import summary_rows

        cells = [f"<th>{html.escape(k)}</th><td>{html.escape(v)}</td>" for k, v in summary_rows(a)[1:]]
        per = -(-len(cells) // 2)
        rows = "".join("<tr>" + cells[i] + (cells[i + per] if i + per < len(cells) else "") + "</tr>"
                       for i in range(per))
        return f"<table>{rows}</table>"

    # -- the chart, off the readout's path -------------------------------------------------------------
    def _request_chart(self, token: int, a) -> None:
        background = self._background
        loop = None
        if background is not False:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        if loop is None:
            self._draw_now(token, a)
            return
        self._loop = loop
        with self._cv:
            self._pending = (token, a)
            self._cv.notify()
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="planner-chart", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._cv:
                while self._pending is None:
                    self._cv.wait()
                token, a = self._pending
                self._pending = None
            with self._chart_lock:
                if token != self._token:
                    continue  # a newer state arrived while this one waited: never draw it
                png = self.chart.update(a).png()
            self._loop.call_soon_threadsafe(self._deliver, token, png)

    def _deliver(self, token: int, png: bytes) -> None:
        if token == self._token and token > self._drawn:
            self._drawn = token
            self.image.value = png
            self.image.remove_class("planner-stale")

    def _draw_now(self, token: int, a) -> None:
        with self._chart_lock:
            png = self.chart.update(a).png()
        self._deliver(token, png)

    def flush(self) -> "Workbook":
        """Draw the chart for the current state now, if the worker has not yet (for code and tests)."""
        if self.assessment is not None and self._drawn != self._token:
            with self._cv:
                self._pending = None
            self._draw_now(self._token, self.assessment)
        return self
