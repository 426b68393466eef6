"""The what-if workbook: sliders over a plan, a live readout, a chart that redraws in place.

Thin on purpose: the sliders build a :class:`~planner.plan.Plan`, :func:`~planner.plan.assess_plan`
judges it, :func:`~planner.report.card_html` writes the readout and
:class:`~planner.plots.PlanChart` moves its artists. The figure is shown as PNG bytes in an
``ipywidgets.Image`` that is updated in place: no new figure per move, no flicker, nothing
written to a cell's outputs (which nbval would compare).
"""

from __future__ import annotations

import contextlib
import html

import ipywidgets as W

from ..model.architecture import Architecture
from ..training.budget import Budget
from ..model.catalog import architecture, list_models
from ..training.compute import accelerators
from ..training.corpus import corpora
from ..datafiles import read_csv
from ..errors import PlannerError
from ..laws.fits import FITS
from ..verdict.plan import Plan, assess_plan
from .plots import PlanChart
from .report import card_html

SEQ_LENS = [2**k for k in range(6, 21)]          # 64 … 1,048,576
STYLE = {"description_width": "120px"}
WIDE = W.Layout(width="360px")
CUSTOM = "custom"
NO_CORPUS = "none"
CUSTOM_CORPUS = "custom (unique tokens)"


def _int(x) -> int:
    return int(round(float(x)))


class Workbook:
    """All the workbook's widgets and its update loop.

    ``Workbook()`` starts on the origin case (Qwen2.5-0.5B, 2,700 steps of 4 × 2,048 tokens,
    1.24B unique tokens). Display it in a notebook; drive it from code with :meth:`set`.
    """

    def __init__(self, model: str = "qwen2.5-0.5b", *, steps: int = 2700, batch: int = 4, seq_len: int = 2048,
                 unique_tokens: float = 1.24e9, accelerator: str = "a100"):
        self._hold = False
        self._head_dim = None
        self._base: Architecture | None = None
        self.assessment = None
        self.error: str | None = None
        s = dict(style=STYLE, layout=WIDE, continuous_update=False)

        self.model = W.Dropdown(options=[CUSTOM] + list_models(), value=model, description="model", style=STYLE,
                                layout=WIDE)
        self.layers = W.IntSlider(12, min=1, max=512, description="layers", **s)
        self.hidden = W.IntSlider(768, min=64, max=65536, step=64, description="hidden size", **s)
        self.heads = W.IntSlider(12, min=1, max=256, description="heads", **s)
        self.kv_heads = W.IntSlider(12, min=1, max=256, description="kv heads", **s)
        self.intermediate = W.IntSlider(3072, min=64, max=262144, step=64, description="intermediate size", **s)
        self.vocab = W.IntSlider(50257, min=256, max=262144, description="vocab", **s)
        self.tied = W.Checkbox(False, description="tied embeddings", style=STYLE, layout=WIDE)
        self.gated = W.Checkbox(True, description="gated MLP", style=STYLE, layout=WIDE)

        self.steps = W.FloatLogSlider(steps, base=10, min=0, max=10, step=0.01, description="steps",
                                      readout_format=",.0f", **s)
        self.batch = W.IntSlider(batch, min=1, max=4096, description="batch", **s)
        self.grad_accum = W.IntSlider(1, min=1, max=1024, description="grad accum", **s)
        self.data_parallel = W.FloatLogSlider(1, base=2, min=0, max=17, step=1, description="data parallel",
                                              readout_format=",.0f", **s)
        self.seq_len = W.SelectionSlider(options=SEQ_LENS, value=seq_len, description="seq len", **s)
        self.prior = W.FloatLogSlider(1, base=10, min=0, max=15, step=0.01, description="prior tokens",
                                      readout_format=".3g", **s)
        self.continued = W.Checkbox(False, description="continued pretraining", style=STYLE, layout=WIDE)

        names = list(corpora())
        self.corpus = W.Dropdown(options=[NO_CORPUS, CUSTOM_CORPUS] + names, value=CUSTOM_CORPUS,
                                 description="corpus", style=STYLE, layout=WIDE)
        self.unique = W.FloatLogSlider(unique_tokens, base=10, min=6, max=15, step=0.01,
                                       description="unique tokens", readout_format=".3g", **s)
        accel_names = {row["key"]: row["name"] for row in read_csv("accelerators.csv")}
        self.accelerator = W.Dropdown(options=[(accel_names[k], k) for k in accelerators()], value=accelerator,
                                      description="accelerator", style=STYLE, layout=WIDE)
        self.gpus = W.FloatLogSlider(8, base=2, min=0, max=20, step=1, description="GPUs", readout_format=",.0f", **s)
        self.mfu = W.FloatSlider(0.40, min=0.05, max=0.90, step=0.01, description="MFU", readout_format=".0%", **s)
        self.price = W.FloatSlider(2.0, min=0.0, max=20.0, step=0.1, description="$ per GPU-hour",
                                   readout_format=".2f", **s)
        self.fit = W.Dropdown(options=list(FITS), value="chinchilla", description="loss fit", style=STYLE,
                              layout=WIDE)

        self.readout = W.HTML(layout=W.Layout(width="100%"))
        self.image = W.Image(format="png", layout=W.Layout(width="100%", max_width="1000px"))
        self.chart = PlanChart()

        arch_controls = [self.model, self.layers, self.hidden, self.heads, self.kv_heads, self.intermediate,
                         self.vocab, self.tied, self.gated]
        budget_controls = [self.steps, self.batch, self.grad_accum, self.data_parallel, self.seq_len,
                           self.continued, self.prior]
        world_controls = [self.corpus, self.unique, self.accelerator, self.gpus, self.mfu, self.price, self.fit]
        self.controls = arch_controls + budget_controls + world_controls
        self.widget = W.VBox([
            W.HBox([W.VBox(arch_controls), W.VBox(budget_controls), W.VBox(world_controls)],
                   layout=W.Layout(flex_flow="row wrap")),  # columns wrap in a narrow notebook
            self.readout, self.image])

        self.model.observe(self._on_model, "value")
        for w in (self.hidden, self.heads):
            w.observe(self._on_head_shape, "value")
        for w in self.controls:
            if w is not self.model:
                w.observe(self._on_change, "value")
        self.load_model(model) if model != CUSTOM else self.update()

    # -- display -----------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # -- driving it --------------------------------------------------------------------------------
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

    def set(self, **values) -> "Workbook":
        """Set controls by attribute name (``steps=1e6, layers=24``) and update once.

        ``model`` is applied first, so the other values override the loaded architecture.
        """
        with self.hold():
            if "model" in values:
                name = values.pop("model")
                self._base = None
                if name == CUSTOM:
                    self.model.value = CUSTOM
                else:
                    self.load_model(name)
            for name, value in values.items():
                control = getattr(self, name, None)
                if control not in self.controls:
                    raise AttributeError(f"no control named {name!r}")
                control.value = value
        return self

    def load_model(self, name: str) -> None:
        """Set the architecture controls from a catalog model (its other conventions are kept)."""
        arch = architecture(name)
        with self.hold():
            self._base = arch
            self.model.value = name
            self.layers.value = arch.num_layers
            self.hidden.value = min(max(arch.hidden_size, self.hidden.min), self.hidden.max)
            self.heads.value = arch.num_heads
            self.kv_heads.value = arch.num_kv_heads
            self.intermediate.value = arch.intermediate_size
            self.vocab.value = arch.vocab_size
            self.tied.value = arch.tied_embeddings
            self.gated.value = arch.gated_mlp
            self._head_dim = arch.head_dim if arch.head_dim * arch.num_heads != arch.hidden_size else None

    # -- callbacks ---------------------------------------------------------------------------------
    def _on_model(self, change):
        if self._hold:
            return
        if change["new"] == CUSTOM:
            self._base = None
            self.update()
        else:
            self.load_model(change["new"])

    def _on_head_shape(self, change):
        if not self._hold:
            self._head_dim = None  # the user reshaped the heads: head_dim follows hidden / heads

    def _on_change(self, change):
        if not self._hold:
            self.update()

    # -- the plan and its assessment ---------------------------------------------------------------
    def architecture(self) -> Architecture:
        dims = dict(num_layers=self.layers.value, hidden_size=self.hidden.value, num_heads=self.heads.value,
                    num_kv_heads=self.kv_heads.value, intermediate_size=self.intermediate.value,
                    vocab_size=self.vocab.value, tied_embeddings=self.tied.value, gated_mlp=self.gated.value,
                    head_dim=self._head_dim)
        if self._base is None:
            return Architecture(**dims, name="custom")
        return self._base.with_(**dims)

    def plan(self) -> Plan:
        corpus = self.corpus.value
        unique = None if corpus == NO_CORPUS else self.unique.value if corpus == CUSTOM_CORPUS \
            else corpora()[corpus]
        prior = _int(self.prior.value) if self.continued.value else 0
        budget = Budget.from_batch(_int(self.steps.value), self.batch.value, self.seq_len.value,
                                   self.grad_accum.value, _int(self.data_parallel.value), prior)
        return Plan(budget=budget, model=self.architecture(), name="What-if plan",
                    corpus_name=None if corpus in (NO_CORPUS, CUSTOM_CORPUS) else corpus, unique_tokens=unique,
                    accelerator=self.accelerator.value, count=_int(self.gpus.value), mfu=self.mfu.value,
                    price_per_gpu_hour=self.price.value, fit=self.fit.value)

    def update(self) -> None:
        """Recompute, then rewrite the readout and move the chart (the readout first: it is cheaper)."""
        self.unique.disabled = self.corpus.value != CUSTOM_CORPUS
        self.prior.disabled = not self.continued.value
        try:
            a = assess_plan(self.plan())
        except PlannerError as e:
            self.error = str(e)
            self.assessment = None
            self.readout.value = (f"<div style='color:#b71c1c;font-weight:bold;padding:8px'>"
                                  f"Cannot assess this plan: {html.escape(str(e))}</div>")
            return
        self.error = None
        self.assessment = a
        self.readout.value = card_html(a, columns=2)
        self.image.value = self.chart.update(a).png()
