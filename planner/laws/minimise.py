"""One vectorised one-dimensional minimiser for the scaling-law optima that have no closed form.

The data-constrained optimum (minimise L(N, C/(6N)) over N) and the inference-aware size (minimise
training + inference FLOPs along an iso-loss curve) are both a minimum over one positive variable,
for many problems at once (a grid of budgets and corpora). :func:`minimise_log` solves them all in
the same numpy operations: a coarse grid in log space finds the basin, then golden-section search
narrows it to float precision. No Python loop runs per problem, and scipy is not needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .power_law import FloatArray, FloatOrArray

_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0


def minimise_log(objective: Callable[[FloatArray], FloatOrArray], lo: FloatArray, hi: FloatArray, *,
                 grid: int = 32, iters: int = 48) -> tuple[FloatArray, FloatArray]:
    """Minimise ``objective`` over x in [lo, hi] (x > 0), for a batch of independent problems.

    Args:
        objective: a function of an array ``x`` of shape (m, k) returning values of the same shape;
            row i belongs to problem i (its own parameters should be shaped (m, 1) to broadcast).
            Non-finite values count as +inf.
        lo: array of shape (m,), the lower end of each problem's bracket (> 0).
        hi: array of shape (m,), the upper end of each problem's bracket (>= lo).
        grid: points of the coarse log-spaced grid that locates the basin.
        iters: golden-section iterations inside the two grid cells around the best grid point
            (48 shrink them by 0.618^48 ≈ 1e-10: x to ~1e-10 relative, far finer than the loss can tell
            apart near its minimum, where it is flat to second order).

    Returns:
        ``(x, value)``: arrays of shape (m,) with the minimiser and the minimum of each problem.
    """
    lo = np.log(np.asarray(lo, dtype=float))
    hi = np.log(np.asarray(hi, dtype=float))

    def f(logx: FloatArray) -> FloatArray:
        with np.errstate(all="ignore"):
            v = np.asarray(objective(np.exp(logx)), dtype=float)
        return np.where(np.isfinite(v), v, np.inf)

    t = np.linspace(0.0, 1.0, grid)
    xs = lo[:, None] + (hi - lo)[:, None] * t
    i = np.argmin(f(xs), axis=1)
    rows = np.arange(lo.shape[0])
    step = (hi - lo) / (grid - 1)
    a = np.maximum(xs[rows, i] - step, lo)
    b = np.minimum(xs[rows, i] + step, hi)
    c = b - _INV_PHI * (b - a)
    d = a + _INV_PHI * (b - a)
    fc = f(c[:, None])[:, 0]
    fd = f(d[:, None])[:, 0]
    for _ in range(iters):
        left = fc < fd                      # the minimum lies in [a, d]: drop (d, b]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        x = np.where(left, b - _INV_PHI * (b - a), a + _INV_PHI * (b - a))
        fx = f(x[:, None])[:, 0]
        c, d, fc, fd = (np.where(left, x, d), np.where(left, c, x),
                        np.where(left, fx, fd), np.where(left, fc, fx))
    best = np.where(fc < fd, c, d)
    return np.exp(best), np.minimum(fc, fd)
