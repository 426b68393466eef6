"""Charts of an Assessment, drawn with matplotlib (imported only by this module).

:class:`PlanChart` builds its figure once and :meth:`PlanChart.update` moves the artists in
place, so the workbook redraws without creating figures. It uses ``matplotlib.figure.Figure``
directly (no pyplot state), so nothing is displayed unless asked.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from ..format import fmt_ratio
from ..verdict.gate import LEVELS, ratio
from .report import LEVEL_COLOURS, real_models_frame

ZONE_ALPHA = 0.10
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value, _pos=None) -> str:
    """Tick label 10³ in plain text: mathtext ($10^{3}$) costs most of a redraw."""
    return f"10{str(round(math.log10(value))).translate(_SUPERSCRIPT)}" if value > 0 else ""


def _decade(x: float, rounding) -> float:
    return 10.0 ** rounding(math.log10(x))


def _log_axes(ax) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(numticks=8))
        axis.set_minor_locator(NullLocator())
        axis.set_major_formatter(FuncFormatter(_power_of_ten))


class PlanChart:
    """Two panels: D/N against training steps, and the plan among real models (N vs D)."""

    def __init__(self, with_real_models: bool = True, figsize=(10.5, 4.0), dpi: int = 80):
        # A fixed layout: a layout engine would re-measure every label on every redraw.
        self.fig = Figure(figsize=figsize, dpi=dpi)
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.91, wspace=0.22)
        self.canvas = FigureCanvasAgg(self.fig)
        self._background = None   # the figure without the D/N panel and the plan's star, cached
        self._background_key = None
        axes = self.fig.subplots(1, 2 if with_real_models else 1, squeeze=False)[0]
        self.ax = axes[0]
        self.ax_models = axes[1] if with_real_models else None
        self._build_ratio_axes()
        if self.ax_models is not None:
            self._build_models_axes()

    # -- the D/N panel ---------------------------------------------------------------------------
    def _build_ratio_axes(self):
        ax = self.ax
        _log_axes(ax)
        ax.set_xlabel("training steps")
        ax.set_ylabel("D/N (tokens per parameter)")
        self._zones = []
        for lvl in LEVELS:
            self._zones.append(ax.axhspan(1, 2, color=LEVEL_COLOURS[lvl], alpha=ZONE_ALPHA, lw=0))
        self._lines = {}
        for key, style in (("severe", ":"), ("block", "--"), ("optimal", "-")):
            self._lines[key] = ax.axhline(1, color="black", lw=1, ls=style)
        self._ceil1 = ax.axhline(1, color="#6a1b9a", lw=1.5, ls="-.", label="corpus ceiling, 1 epoch")
        self._ceil4 = ax.axhline(1, color="#6a1b9a", lw=1, ls=":", label="corpus ceiling, 4 epochs")
        (self._curve,) = ax.plot([], [], color="#1565c0", lw=2, label="this architecture and batch")
        (self._marker,) = ax.plot([], [], "o", ms=9, color="#1565c0", mec="black", zorder=5, label="this plan")
        self._labels = {k: ax.text(0.99, 1, "", fontsize=8, va="bottom", ha="right",
                                   transform=ax.get_yaxis_transform()) for k in ("severe", "block", "optimal")}
        ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
        ax.set_title("")

    def _update_ratio(self, a):
        t = a.plan.thresholds
        # floats from here on: exact Python ints of frontier plans are beyond int64
        tps = float(a.plan.budget.tokens_per_step)
        n = float(a.params)
        prior = float(a.gate.prior_tokens)
        steps = float(a.plan.budget.steps)
        target_steps = max(float(a.gate.steps_to_optimal or 1), 1.0)
        x_lo = 10 ** np.floor(np.log10(max(min(steps, target_steps) / 100, 1)))
        x_hi = 10 ** np.ceil(np.log10(max(steps, target_steps, 10) * 10))
        x = np.geomspace(x_lo, x_hi, 200)
        y = ratio(prior + x * tps, n)
        self._curve.set_data(x, y)
        self._marker.set_data([steps], [a.gate.ratio])
        ys = [y[0], y[-1], t.severe, t.optimal, a.gate.ratio]
        if a.corpus is not None:
            ys += [a.corpus.ceiling_1_epoch, a.corpus.ceiling_4_epochs]
        y_lo, y_hi = 10 ** np.floor(np.log10(min(ys) / 2)), 10 ** np.ceil(np.log10(max(ys) * 2))
        self.ax.set_xlim(x_lo, x_hi)
        self.ax.set_ylim(y_lo, y_hi)
        bounds = [y_lo, t.severe, t.block, t.optimal, y_hi]
        for zone, lo, hi in zip(self._zones, bounds[:-1], bounds[1:]):
            zone.set_y(lo)
            zone.set_height(hi - lo)
        for key, value, word in (("severe", t.severe, "severe"), ("block", t.block, "launch"),
                                 ("optimal", t.optimal, "compute-optimal")):
            self._lines[key].set_ydata([value, value])
            self._labels[key].set_y(value)
            self._labels[key].set_text(f"{value:g}× {word}")
        for line, value in ((self._ceil1, None if a.corpus is None else a.corpus.ceiling_1_epoch),
                            (self._ceil4, None if a.corpus is None else a.corpus.ceiling_4_epochs)):
            line.set_visible(value is not None)
            if value is not None:
                line.set_ydata([value, value])
        self.ax.set_title(f"D/N = {fmt_ratio(a.gate.ratio)} — {a.gate.level}", color=LEVEL_COLOURS[a.gate.level],
                          fontsize=11)

    # -- the real-models panel -------------------------------------------------------------------
    def _build_models_axes(self):
        ax = self.ax_models
        df = real_models_frame()
        _log_axes(ax)
        ax.scatter(df["params_N"], df["tokens_D"], s=14, color="grey", zorder=3)
        for _, row in df.iterrows():
            if row["model"] in ("Chinchilla 70B", "GPT-3 175B", "Llama-3 8B", "TinyLlama 1.1B", "Pythia 70M",
                                "SmolLM2 135M"):
                ax.annotate(row["model"], (row["params_N"], row["tokens_D"]), fontsize=7, xytext=(3, 2),
                            textcoords="offset points")
        self._n_grid = np.geomspace(1e6, 1e13, 50)
        (self._opt_line,) = ax.plot(self._n_grid, 20 * self._n_grid, color="black", lw=1, label="D = 20·N")
        (self._plan_point,) = ax.plot([], [], "*", ms=14, color="#1565c0", mec="black", zorder=5, label="this plan")
        ax.set_xlabel("parameters N")
        ax.set_ylabel("training tokens D")
        ax.set_title("Among real models", fontsize=11)
        ax.legend(loc="upper left", fontsize=8)

    def _update_models(self, a):
        t = a.plan.thresholds
        self._opt_line.set_ydata(t.optimal * self._n_grid)
        self._opt_line.set_label(f"D = {t.optimal:g}·N")
        d = float(a.gate.prior_tokens + a.gate.tokens)
        n = float(a.params)
        self._plan_point.set_data([n], [d])
        ax = self.ax_models
        # limits snap to whole decades, so the cached background survives most moves
        ax.set_xlim(_decade(min(1e6, n / 3), math.floor), _decade(max(1e13, n * 3), math.ceil))
        ax.set_ylim(_decade(min(1e8, d / 3), math.floor), _decade(max(1e15, d * 3), math.ceil))

    # -- public ------------------------------------------------------------------------------------
    def update(self, assessment) -> "PlanChart":
        """Move every artist to show ``assessment``; no figure is created."""
        self._update_ratio(assessment)
        if self.ax_models is not None:
            self._update_models(assessment)
        return self

    def png(self) -> bytes:
        """The current figure as PNG bytes (what the workbook's image widget shows).

        Blitted: the real-models panel changes only when its limits or the optimal line move,
        so it is drawn once into a cached background; each call redraws the D/N panel and the
        plan's star on top of it (about half the cost of a full draw).
        """
        from PIL import Image

        key = None if self.ax_models is None else (self.ax_models.get_xlim(), self.ax_models.get_ylim(),
                                                   float(self._opt_line.get_ydata()[0]))
        if self._background is None or key != self._background_key:
            self._draw_background()
            self._background_key = key
        self.canvas.restore_region(self._background)
        self.fig.draw_artist(self.ax)
        if self.ax_models is not None:
            self.ax_models.draw_artist(self._plan_point)
        rgba = self.canvas.buffer_rgba()
        buf = io.BytesIO()
        Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1).save(
            buf, format="png", compress_level=1)
        return buf.getvalue()

    def _draw_background(self) -> None:
        dynamic = [self.ax] + ([self._plan_point] if self.ax_models is not None else [])
        for artist in dynamic:
            artist.set_visible(False)
        try:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        finally:
            for artist in dynamic:
                artist.set_visible(True)


def plan_figure(assessment, with_real_models: bool = True) -> Figure:
    """A static figure of one assessment (for the review notebook and reports)."""
    return PlanChart(with_real_models=with_real_models, figsize=(11, 4.2), dpi=100).update(assessment).fig


def plan_image(assessment, with_real_models: bool = True):
    """The plan chart as an ``IPython.display.Image`` (PNG), for notebooks and HTML exports."""
    from IPython.display import Image
    chart = PlanChart(with_real_models=with_real_models, figsize=(11, 4.2), dpi=100).update(assessment)
    return Image(data=chart.png(), format="png")
