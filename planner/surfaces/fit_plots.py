"""Diagnostic charts of a law fitted to runs (:class:`planner.laws.ladder_fit.LadderFit`), drawn with matplotlib.

* :func:`residuals_figure` — log-residual of each run against its compute: outliers stand out;
* :func:`fitted_vs_observed_figure` — fitted loss against observed loss, with the diagonal;
* :func:`isoflop_figure` — the runs as loss against N, coloured by compute, with the fitted law's
  iso-FLOP curves and their minima (the fitted compute-optimal N);
* :func:`diagnostics_figure` — the three side by side.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state); this module is imported on use.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ..laws.ladder_fit import LadderFit
from ..training.compute import training_flops

CMAP = "viridis"


def _figure(ncols: int, figsize: tuple[float, float]) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=figsize, dpi=80)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _norm(fit: LadderFit) -> LogNorm:
    lo, hi = fit.flops_range
    return LogNorm(vmin=lo, vmax=max(hi, lo * 1.0001))


def draw_residuals(ax: Axes, fit: LadderFit) -> None:
    """Residuals log(observed) − log(fitted) of each run against its compute, on ``ax``.

    Args:
        ax: matplotlib axes.
        fit: a :class:`~planner.laws.ladder_fit.LadderFit` with its runs.
    """
    r = fit.runs
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.scatter(r.flops, fit.residuals, c=r.flops, cmap=CMAP, norm=_norm(fit), s=14, alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("training compute (FLOPs)")
    ax.set_ylabel("log(observed) − log(fitted)")
    ax.set_title(f"residuals ({len(r)} runs)")


def draw_fitted_vs_observed(ax: Axes, fit: LadderFit) -> None:
    """Fitted loss against observed loss of each run, with the line y = x, on ``ax``.

    Args:
        ax: matplotlib axes.
        fit: a :class:`~planner.laws.ladder_fit.LadderFit` with its runs.
    """
    r = fit.runs
    lo, hi = float(min(r.loss.min(), fit.predicted.min())), float(max(r.loss.max(), fit.predicted.max()))
    ax.plot([lo, hi], [lo, hi], color="0.4", lw=0.8)
    ax.scatter(r.loss, fit.predicted, c=r.flops, cmap=CMAP, norm=_norm(fit), s=14, alpha=0.8)
    ax.set_xlabel("observed loss")
    ax.set_ylabel("fitted loss")
    ax.set_title("fitted vs observed")


def draw_isoflop(ax: Axes, fit: LadderFit, flops: npt.ArrayLike | None = None) -> None:
    """The runs (loss against N, coloured by compute) with the fitted iso-FLOP curves and their optima.

    Args:
        ax: matplotlib axes.
        fit: a :class:`~planner.laws.ladder_fit.LadderFit` whose constants are all identified.
        flops: budgets to draw curves for (default: the runs' compute levels, :func:`compute_levels`).

    Raises:
        InputError: the fit's constants are not all identified.
    """
    r = fit.runs
    norm = _norm(fit)
    ax.scatter(r.params, r.loss, c=r.flops, cmap=CMAP, norm=norm, s=14, alpha=0.7)
    lo, hi = fit.flops_range
    if flops is None:
        flops = compute_levels(r.flops)
    law = fit.to_fit()
    for c in np.atleast_1d(np.asarray(flops, dtype=float)):
        n_opt, d_opt = law.optimal(c)
        n = n_opt * np.geomspace(0.1, 10, 60)
        colour = _colour(c, norm)
        ax.plot(n, law.loss(n, c / training_flops(n, 1.0)), color=colour, lw=1)
        ax.plot([n_opt], [law.loss(n_opt, d_opt)], marker="*", ms=9, color=colour, mec="black", mew=0.5)
    ax.set_xscale("log")
    ax.set_xlabel("parameters N")
    ax.set_ylabel("final loss")
    ax.set_title("iso-FLOP curves of the fit (★ optimum)")


def compute_levels(flops: npt.ArrayLike, per_decade: int = 5, most: int = 10) -> npt.NDArray[np.float64]:
    """The compute levels of an iso-FLOP ladder.

    Args:
        flops: the runs' training compute.
        per_decade: bins per decade: runs are grouped in bins of 1/``per_decade`` decade.
        most: the most levels; beyond it, one level per decade.

    Returns:
        The median compute of each bin, or the powers of ten inside the runs' range when that gives more
            than ``most`` levels.
    """
    c = np.asarray(flops, dtype=float)
    bins = np.round(np.log10(c) * per_decade)
    levels = np.array([np.median(c[bins == b]) for b in np.unique(bins)])
    if len(levels) > most:
        lo, hi = c.min(), c.max()
        levels = 10.0 ** np.arange(math.ceil(math.log10(lo)), math.floor(math.log10(hi)) + 1)
    return levels


def _colour(c: float, norm: LogNorm) -> tuple[float, float, float, float]:
    return matplotlib.colormaps[CMAP](float(np.clip(norm(c), 0, 1)))


def residuals_figure(fit: LadderFit, figsize: tuple[float, float] = (5.0, 3.6)) -> Figure:
    """A figure of :func:`draw_residuals`.

    Args:
        fit: a :class:`~planner.laws.ladder_fit.LadderFit` with its runs.
        figsize: the figure's size in inches.

    Returns:
        A matplotlib :class:`~matplotlib.figure.Figure`.
    """
    fig, (ax,) = _figure(1, figsize)
    draw_residuals(ax, fit)
    fig.tight_layout()
    return fig


def fitted_vs_observed_figure(fit: LadderFit, figsize: tuple[float, float] = (4.2, 3.6)) -> Figure:
    """A figure of :func:`draw_fitted_vs_observed`.

    Args:
        fit: a :class:`~planner.laws.ladder_fit.LadderFit` with its runs.
        figsize: the figure's size in inches.

    Returns:
        A matplotlib :class:`~matplotlib.figure.Figure`.
    """
    fig, (ax,) = _figure(1, figsize)
    draw_fitted_vs_observed(ax, fit)
    fig.tight_layout()
    return fig


def isoflop_figure(fit: LadderFit, flops: npt.ArrayLike | None = None,
                   figsize: tuple[float, float] = (5.0, 3.6)) -> Figure:
    """A figure of :func:`draw_isoflop`.

    Args:
        fit: a :class:`~planner.laws.ladder_fit.LadderFit` whose constants are all identified.
        flops: budgets to draw curves for (default: the runs' compute levels).
        figsize: the figure's size in inches.

    Returns:
        A matplotlib :class:`~matplotlib.figure.Figure`.

    Raises:
        InputError: the fit's constants are not all identified.
    """
    fig, (ax,) = _figure(1, figsize)
    draw_isoflop(ax, fit, flops)
    fig.tight_layout()
    return fig


def diagnostics_figure(fit: LadderFit, flops: npt.ArrayLike | None = None,
                       figsize: tuple[float, float] = (13.0, 3.8)) -> Figure:
    """Residuals, fitted vs observed and the iso-FLOP view side by side (the last only when the law is identified).

    Args:
        fit: a :class:`~planner.laws.ladder_fit.LadderFit` with its runs.
        flops: budgets for the iso-FLOP curves (default: the runs' compute levels).
        figsize: the figure's size in inches.

    Returns:
        A matplotlib :class:`~matplotlib.figure.Figure` with two or three axes.
    """
    panels = 3 if fit.identified else 2
    fig, axes = _figure(panels, figsize)
    draw_residuals(axes[0], fit)
    draw_fitted_vs_observed(axes[1], fit)
    if fit.identified:
        draw_isoflop(axes[2], fit, flops)
    fig.tight_layout()
    return fig
