"""Charts of an Assessment, drawn with matplotlib (imported when a chart is first built, so that importing this
module, e.g. through the ``planner review`` command, costs nothing).

:class:`PlanChart` builds its figure once and :meth:`PlanChart.update` moves the artists in
place, so the workbook redraws without creating figures. It uses ``matplotlib.figure.Figure``
directly (no pyplot state), so nothing is displayed unless asked.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..format import fmt_ratio
from ..lines import OPTIMAL_LINE
from ..training.corpus import WASTED_EPOCHS, effective_tokens
from ..verdict.assessment import Assessment
from ..verdict.gate import LEVELS, ratio
from .report import LEVEL_COLOURS, real_models_frame

if TYPE_CHECKING:   # matplotlib is imported when a chart is first built
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.lines import AxLine, Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.text import Annotation, Text

ZONE_ALPHA = 0.10
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _pos: int | None = None) -> str:
    """Tick label 10³ in plain text: mathtext ($10^{3}$) costs most of a redraw."""
    return f"10{str(round(math.log10(value))).translate(_SUPERSCRIPT)}" if value > 0 else ""


def _decade(x: float, rounding: Callable[[float], int]) -> float:
    return 10.0 ** rounding(math.log10(x))


def _log_axes(ax: Axes) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(numticks=8))
        axis.set_minor_locator(NullLocator())
        axis.set_major_formatter(FuncFormatter(_power_of_ten))


# Thresholds are black/grey, thin; ceilings are purple, thick: no two lines share a style.
THRESHOLD_STYLES = {"severe": (0, (1.5, 2.5)), "block": (0, (5, 3)), "optimal": "-"}
THRESHOLD_WORDS = {"severe": "severe", "block": "launch gate", "optimal": "compute-optimal"}
CEILING_COLOUR = "#7b1fa2"
CEILING_STYLES = {1: (0, (8, 3, 2, 3)), 4: (0, (8, 3, 2, 3, 2, 3)), 16: (0, (2, 2))}
PLAN_COLOUR = "#1565c0"
LABEL_GAP = 0.085      # margin labels: at least this far apart (a fraction of the axes' height)
LABEL_X = 1.05         # where margin labels start (a fraction of the axes' width); leaders join them to their lines
# Real models labelled on the N–D panel, with where each label sits (points from the dot) so none collide.
REAL_LABELS = {
    "GPT-3 175B": (0, -12, "center"), "Chinchilla 70B": (7, -3, "left"), "Llama-3 8B": (0, 6, "center"),
    "Pythia 70M": (0, -12, "center"), "SmolLM2 135M": (-7, -3, "right"), "Qwen2.5 0.5B": (-7, -3, "right"),
}


def spread(positions: Sequence[float], gap: float = LABEL_GAP, lo: float = 0.0, hi: float = 1.0) -> list[float]:
    """Move sorted label positions apart to at least ``gap``, staying within [lo, hi] where possible.

    Args:
        positions: label positions (fractions of the axes' height).
        gap: the least distance between two labels.
        lo: the lowest position allowed.
        hi: the highest position allowed.

    Returns:
        The new positions, in the order given.
    """
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    ys = [positions[i] for i in order]
    for i in range(1, len(ys)):          # push up
        ys[i] = max(ys[i], ys[i - 1] + gap)
    if ys and ys[-1] > hi:               # then back down from the top
        ys[-1] = hi
        for i in range(len(ys) - 2, -1, -1):
            ys[i] = min(ys[i], ys[i + 1] - gap)
    out = [0.0] * len(ys)
    for i, y in zip(order, ys, strict=True):
        out[i] = y
    return out


class PlanChart:
    """Two panels: D/N against training steps, and the plan among real models (N vs D).

    Lines are labelled in the right margin of the D/N panel (never over the data, never on top of
    each other); legends sit below the axes.
    """

    def __init__(self, with_real_models: bool = True, figsize: tuple[float, float] = (10.5, 4.0),
                 dpi: int = 80) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        # A fixed layout: a layout engine would re-measure every label on every redraw.
        self.fig = Figure(figsize=figsize, dpi=dpi)
        right = 0.97 if with_real_models else 0.82
        self.fig.subplots_adjust(left=0.07, right=right, bottom=0.26, top=0.91, wspace=0.62 if with_real_models else 0)
        self.canvas: Any = FigureCanvasAgg(self.fig)   # Any: matplotlib's Agg backend carries no annotations
        self._background: object = None   # the figure without the D/N panel and the plan's star, cached
        self._background_key: tuple[object, ...] | None = None
        axes = self.fig.subplots(1, 2 if with_real_models else 1, squeeze=False)[0]
        self.ax: Axes = axes[0]
        self.ax_models: Axes | None = axes[1] if with_real_models else None
        self._build_ratio_axes()
        if self.ax_models is not None:
            self._build_models_axes(self.ax_models)

    # -- the D/N panel ---------------------------------------------------------------------------
    def _build_ratio_axes(self) -> None:
        ax = self.ax
        _log_axes(ax)
        ax.set_xlabel("training steps")
        ax.set_ylabel("judged D/N (tokens per parameter)")
        self._zones: list[Rectangle] = []
        for lvl in LEVELS:
            self._zones.append(ax.axhspan(1, 2, color=LEVEL_COLOURS[lvl], alpha=ZONE_ALPHA, lw=0))
        self._lines: dict[str, Line2D] = {
            key: ax.axhline(1, color="#212121" if key == "optimal" else "#424242", lw=1.1, ls=style, zorder=2)
            for key, style in THRESHOLD_STYLES.items()}
        self._ceilings: dict[int, Line2D] = {k: ax.axhline(1, color=CEILING_COLOUR, lw=2.2, ls=style, zorder=3)
                          for k, style in CEILING_STYLES.items()}
        self._ceilings[1].set_label("corpus ceilings")
        (self._raw_curve,) = ax.plot([], [], color=PLAN_COLOUR, lw=1, alpha=0.35, zorder=3, label="raw D/N")
        (self._curve,) = ax.plot([], [], color=PLAN_COLOUR, lw=2, zorder=4, label="this run, over steps")
        (self._cross,) = ax.plot([], [], "D", ms=7, color="#212121", zorder=6, label="reaches the optimal line")
        self._wasted: Rectangle = ax.axvspan(1, 2, color="#9e9e9e", alpha=0.25, lw=0, zorder=1, visible=False,
                                  label="past 16 epochs")
        self._cross_label: Annotation = ax.annotate("", (1, 1), xytext=(6, -6), textcoords="offset points", fontsize=8,
                                        color="#212121", ha="left", va="top", zorder=7,
                                        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))
        (self._marker,) = ax.plot([], [], "o", ms=10, color=PLAN_COLOUR, mec="black", mew=1.2, zorder=6,
                                  label="this plan")
        self._plan_label: Annotation = ax.annotate("", (1, 1), xytext=(8, -4), textcoords="offset points", fontsize=9,
                                       fontweight="bold", color=PLAN_COLOUR, zorder=7, va="top",
                                       bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=1.0))
        self._labels: dict[str | int, Text] = {}   # a line's key, or a ceiling's epochs
        self._leaders: dict[str | int, Line2D] = {}   # from the line's end to its label, when the label moved away
        for key in THRESHOLD_STYLES:
            self._labels[key] = ax.text(LABEL_X, 0.5, "", transform=ax.transAxes, fontsize=9, va="center", ha="left",
                                        color="#212121", clip_on=False)
        for k in CEILING_STYLES:
            self._labels[k] = ax.text(LABEL_X, 0.5, "", transform=ax.transAxes, fontsize=9, va="center", ha="left",
                                      color=CEILING_COLOUR, fontweight="bold", clip_on=False)
        for which, label in self._labels.items():
            (self._leaders[which],) = ax.plot([1.0, LABEL_X - 0.004], [0.5, 0.5], transform=ax.transAxes,
                                            color=label.get_color(), lw=0.8, clip_on=False, zorder=5)
        ax.legend(loc="upper left", bbox_to_anchor=(-0.1, -0.15), ncol=3, fontsize=9, frameon=False,
                  handlelength=2.2, columnspacing=1.2)

    def _update_ratio(self, a: Assessment) -> None:
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
        raw = ratio(prior + x * tps, n)
        c = a.corpus
        # the curve is what the gate judges: effective tokens once the corpus repeats (it saturates)
        y = raw if c is None else (prior + np.asarray(effective_tokens(x * tps, c.unique_tokens))) / n
        self._curve.set_data(x, y)
        self._raw_curve.set_data(x, raw) if c is not None else self._raw_curve.set_data([], [])
        self._marker.set_data([steps], [a.gate.ratio])
        reach = a.gate.steps_to_optimal
        if reach and a.gate.level != "compute-optimal":
            self._cross.set_data([float(reach)], [t.optimal])
            self._cross_label.xy = (float(reach), t.optimal)
            self._cross_label.set_text(f"{t.optimal:g}× at {reach:,} steps")
            # in the right part of the panel the label reads leftwards, so it never runs into the margin labels
            far_right = math.log10(float(reach) / x_lo) / math.log10(x_hi / x_lo) > 0.55
            self._cross_label.set_position((-8, -6) if far_right else (6, -6))
            self._cross_label.set_horizontalalignment("right" if far_right else "left")
        else:
            self._cross.set_data([], [])
            self._cross_label.set_text("")
        wasted_from = None if c is None else WASTED_EPOCHS * c.unique_tokens / tps   # the gate's repetition limit
        self._wasted.set_visible(wasted_from is not None and wasted_from < x_hi)
        if wasted_from is not None:
            self._wasted.set_x(max(wasted_from, x_lo))
            self._wasted.set_width(x_hi - max(wasted_from, x_lo))
        ys = [y[0], y[-1], t.severe, t.optimal, a.gate.ratio]
        if c is not None:
            ys += [c.ceiling_1_epoch, c.ceiling_16_epochs]
        y_lo, y_hi = 10 ** np.floor(np.log10(min(ys) / 2)), 10 ** np.ceil(np.log10(max(ys) * 2))
        self.ax.set_xlim(x_lo, x_hi)
        self.ax.set_ylim(y_lo, y_hi)
        bounds = [y_lo, t.severe, t.block, t.optimal, y_hi]
        for zone, lo, hi in zip(self._zones, bounds[:-1], bounds[1:], strict=True):
            zone.set_y(lo)
            zone.set_height(hi - lo)
        lines = {"severe": t.severe, "block": t.block, "optimal": t.optimal}
        texts: dict[str | int, str] = {key: f"{v:g}× {THRESHOLD_WORDS[key]}" for key, v in lines.items()}
        for key, v in lines.items():
            self._lines[key].set_ydata([v, v])
        values: dict[str | int, float] = {key: v for key, v in lines.items()}   # and the ceilings shown
        for k, value in ((1, None if c is None else c.ceiling_1_epoch), (4, None if c is None else c.ceiling_4_epochs),
                         (16, None if c is None else c.ceiling_16_epochs)):
            self._ceilings[k].set_visible(value is not None)
            self._labels[k].set_visible(value is not None)
            self._leaders[k].set_visible(value is not None)
            if value is not None:
                self._ceilings[k].set_ydata([value, value])
                values[k] = value
                texts[k] = f"{k} epoch{'s' if k > 1 else ''}: {fmt_ratio(value)}×"
        span = math.log10(y_hi) - math.log10(y_lo)
        keys = list(values)
        at = [(math.log10(values[k]) - math.log10(y_lo)) / span for k in keys]   # where each line meets the margin
        fracs = spread(at)
        for label, line_y, f in zip(keys, at, fracs, strict=True):
            self._labels[label].set_y(f)
            self._labels[label].set_text(texts[label])
            self._leaders[label].set_ydata([line_y, f])   # a leader from the line to its label
        self._plan_label.xy = (steps, a.gate.ratio)
        self._plan_label.set_text(f"this plan: {fmt_ratio(a.gate.ratio)}×")
        # keep the label inside the axes: to the left of the dot when the dot is in the right third
        right_side = (math.log10(steps) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo)) > 0.6
        # below the dot, unless a line runs just under it: then above (the label never sits on a line)
        plan_y = (math.log10(a.gate.ratio) - math.log10(y_lo)) / span
        under = any(0 < plan_y - y < 0.09 for y in at)
        self._plan_label.set_position((-8 if right_side else 8, 6 if under else -6))
        self._plan_label.set_verticalalignment("bottom" if under else "top")
        self._plan_label.set_horizontalalignment("right" if right_side else "left")
        measure = "D'/N" if a.gate.on_effective else "D/N"
        self.ax.set_title(f"{measure} = {fmt_ratio(a.gate.ratio)} — {a.gate.level}",
                          color=LEVEL_COLOURS[a.gate.level], fontsize=11, fontweight="bold")

    # -- the real-models panel -------------------------------------------------------------------
    def _build_models_axes(self, ax: Axes) -> None:
        df = real_models_frame()
        _log_axes(ax)
        ax.scatter(df["params_N"], df["tokens_D"], s=16, color="#757575", zorder=3, label="real models")
        for _, row in df.iterrows():
            if row["model"] in REAL_LABELS:
                dx, dy, ha = REAL_LABELS[row["model"]]
                ax.annotate(row["model"], (row["params_N"], row["tokens_D"]), fontsize=8, xytext=(dx, dy),
                            textcoords="offset points", ha=ha, color="#424242",
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7))
        # D = 20·N is a straight line on log–log axes: axline spans the whole panel whatever the limits (the plan's
        # own optimal line replaces the default on each update).
        self._opt_line: AxLine = ax.axline((1.0, OPTIMAL_LINE), (10.0, 10 * OPTIMAL_LINE), color="#212121", lw=1.1,
                                           label=f"D = {OPTIMAL_LINE:g}·N")
        (self._plan_point,) = ax.plot([], [], "*", ms=17, color=PLAN_COLOUR, mec="black", mew=1.0, zorder=6,
                                      label="this plan")
        ax.set_xlabel("parameters N")
        ax.set_ylabel("training tokens D")
        ax.set_title("Among real models", fontsize=11)
        ax.legend(loc="upper left", bbox_to_anchor=(-0.02, -0.15), ncol=3, fontsize=9, frameon=False,
                  handlelength=1.8, columnspacing=1.0)

    def _update_models(self, a: Assessment, ax: Axes) -> None:
        t = a.plan.thresholds
        self._opt_line.set_xy1((1.0, t.optimal))
        self._opt_line.set_xy2((10.0, 10 * t.optimal))
        self._opt_line.set_label(f"D = {t.optimal:g}·N")
        d = float(a.gate.prior_tokens + a.gate.tokens)
        n = float(a.params)
        self._plan_point.set_data([n], [d])
        # limits snap to whole decades, so the cached background survives most moves
        ax.set_xlim(_decade(min(1e7, n / 3), math.floor), _decade(max(1e12, n * 3), math.ceil))
        ax.set_ylim(_decade(min(1e9, d / 3), math.floor), _decade(max(1e14, d * 3), math.ceil))

    # -- public ------------------------------------------------------------------------------------
    def update(self, assessment: Assessment) -> PlanChart:
        """Move every artist to show ``assessment``; no figure is created.

        Args:
            assessment: an :class:`~planner.verdict.assessment.Assessment`.

        Returns:
            The chart.
        """
        self._update_ratio(assessment)
        if self.ax_models is not None:
            self._update_models(assessment, self.ax_models)
        return self

    def png(self) -> bytes:
        """The current figure as PNG bytes (what the workbook's image widget shows).

        Blitted: the real-models panel changes only when its limits or the optimal line move,
        so it is drawn once into a cached background; each call redraws the D/N panel and the
        plan's star on top of it (about half the cost of a full draw).

        Returns:
            PNG bytes.
        """
        from PIL import Image

        key = None if self.ax_models is None else (self.ax_models.get_xlim(), self.ax_models.get_ylim(),
                                                   tuple(self._opt_line.get_xy1() or ()))
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
        dynamic: list[Artist] = [self.ax] + ([self._plan_point] if self.ax_models is not None else [])
        for artist in dynamic:
            artist.set_visible(False)
        try:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        finally:
            for artist in dynamic:
                artist.set_visible(True)
