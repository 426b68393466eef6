"""The optimiser of the ladder fit: batched BFGS from the best points of Chinchilla's grid of starts.

:func:`best_fit` scores the 4,500-point grid :data:`GRID` (Hoffmann et al. 2022 / Besiroglu et al. 2024)
in one array operation, optimises the :data:`STARTS` best starts and keeps the best optimum;
:func:`bfgs` minimises K problems (starts, or bootstrap resamples) at once.

Why not ``scipy.optimize.minimize``: it solves one problem per call. With the analytic gradient of
:func:`planner.laws.objective.objective`, L-BFGS-B (``ftol=1e-13``) reaches the same optimum (constants
equal to 1e-8 on Chinchilla's Figure 4 runs) and the same bootstrap intervals, but measured on the
240 runs it took 1.8x as long for one fit and 3x as long for 1,000 bootstrap refits (about 3 ms of
per-call overhead each; here all resamples step together as one batch), and with its default
tolerance it stops within a few steps of a warm start, which collapses the bootstrap intervals.
``benchmarks/fitting.py`` measures this optimiser against scipy's L-BFGS-B from every grid start.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .objective import objective
from .power_law import FloatArray

#: The grid of starts of Hoffmann et al. / Besiroglu et al. (4,500 points): α, β ∈ {0, 0.5, …, 2},
#: e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}.
GRID = {"alpha": np.arange(0, 2.5, 0.5), "beta": np.arange(0, 2.5, 0.5), "e": np.arange(-1, 1.5, 0.5),
        "a": np.arange(0, 30, 5), "b": np.arange(0, 30, 5)}
#: How many of the best-scoring grid starts are optimised.
STARTS = 16


def grid() -> FloatArray:
    """The grid :data:`GRID` as starts θ = (a, b, e, α, β).

    Returns:
        An array of shape (4500, 5).
    """
    g = np.stack(np.meshgrid(GRID["a"], GRID["b"], GRID["e"], GRID["alpha"], GRID["beta"], indexing="ij"), -1)
    return g.reshape(-1, 5)


def _grid_scores(starts: FloatArray, x: FloatArray, y: FloatArray, logl: FloatArray, w: FloatArray,
                 delta: float) -> FloatArray:
    """The objective at every start at once, in chunks that keep the arrays small."""
    out = np.empty(len(starts))
    for i in range(0, len(starts), 500):
        th = starts[i:i + 500]
        out[i:i + 500] = objective(th, x, y, logl, np.broadcast_to(w, (len(th), len(w))), delta, grad=False)
    return out


def _outer(u: FloatArray, v: FloatArray) -> FloatArray:
    return u[:, :, None] * v[:, None, :]


def bfgs(theta0: npt.ArrayLike, x: FloatArray, y: FloatArray, logl: FloatArray, w: FloatArray, delta: float,
         maxiter: int = 2000, ftol: float = 1e-13) -> tuple[FloatArray, FloatArray]:
    """Minimise K problems at once by BFGS with a backtracking (Armijo) line search.

    With five parameters the full 5×5 inverse Hessian is cheaper than L-BFGS's limited memory, and
    stepping all K problems together turns K small optimisations into a few array operations per
    iteration. A problem stops when its objective has improved by less than ``ftol`` (relative) three
    iterations running, or no step along its direction improves it.

    Args:
        theta0: starts, shape (K, 5).
        x: log N of each run.
        y: log D of each run.
        logl: log loss of each run.
        w: run weights, shape (n,) (shared) or (K, n) (one row per problem).
        delta: the Huber δ.
        maxiter: most iterations.
        ftol: relative improvement below which a problem counts as converged.

    Returns:
        ``(θ of shape (K, 5), objective of shape (K,))``.
    """
    th = np.array(theta0, dtype=float)
    k_all = len(th)
    w = np.broadcast_to(w, (k_all, len(x)))
    f, g = objective(th, x, y, logl, w, delta)
    eye = np.eye(5)
    h = np.broadcast_to(eye, (k_all, 5, 5)).copy()
    active = np.isfinite(f)
    first = np.ones(k_all, dtype=bool)
    quiet = np.zeros(k_all, dtype=int)
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        d = -np.einsum("kij,kj->ki", h[idx], g[idx])
        slope = (d * g[idx]).sum(1)
        uphill = ~(slope < 0)
        if uphill.any():  # not a descent direction: restart from steepest descent
            h[idx[uphill]] = eye
            d[uphill] = -g[idx[uphill]]
            slope[uphill] = -(g[idx[uphill]] ** 2).sum(1)
        # the first step of each problem is a small one (the Hessian's scale is unknown until then)
        step = np.where(first[idx], 1e-3 / np.maximum(np.abs(d).max(1), 1e-300), 1.0)
        accepted = np.zeros(len(idx), dtype=bool)
        f_new, g_new = np.empty(len(idx)), np.empty((len(idx), 5))
        for _ in range(50):
            todo = np.flatnonzero(~accepted)
            if not len(todo):
                break
            with np.errstate(all="ignore"):
                ft, gt = objective(th[idx[todo]] + step[todo, None] * d[todo], x, y, logl, w[idx[todo]], delta)
            ok = ft <= f[idx[todo]] + 1e-4 * step[todo] * slope[todo]
            f_new[todo[ok]], g_new[todo[ok]] = ft[ok], gt[ok]
            accepted[todo[ok]] = True
            step[todo[~ok]] *= 0.5
        active[idx[~accepted]] = False  # no step improves it: a minimum, to the precision of float64
        acc = np.flatnonzero(accepted)
        k = idx[acc]
        s = step[acc, None] * d[acc]
        yv = g_new[acc] - g[k]
        sy = (s * yv).sum(1)
        rel = (f[k] - f_new[acc]) / np.maximum(np.abs(f[k]), 1e-300)
        th[k] += s
        f[k], g[k] = f_new[acc], g_new[acc]
        update = sy > 1e-12 * np.sqrt((s * s).sum(1) * (yv * yv).sum(1))
        scale_first = first[k] & update
        if scale_first.any():  # Nocedal & Wright (6.20): H0 = (sᵀy / yᵀy)·I before the first update
            h[k[scale_first]] = eye * (sy[scale_first] / (yv[scale_first] ** 2).sum(1))[:, None, None]
        first[k] = False
        u = np.flatnonzero(update)
        if len(u):
            ku, rho, su, yu = k[u], 1.0 / sy[u], s[u], yv[u]
            hy = np.einsum("kij,kj->ki", h[ku], yu)
            yhy = (yu * hy).sum(1)
            h[ku] = (h[ku] - rho[:, None, None] * (_outer(su, hy) + _outer(hy, su))
                     + (rho * rho * yhy + rho)[:, None, None] * _outer(su, su))
        quiet[k] = np.where(rel < ftol, quiet[k] + 1, 0)
        active[k[quiet[k] >= 3]] = False
    return th, f


def best_fit(x: FloatArray, y: FloatArray, logl: FloatArray, w: FloatArray, delta: float,
             starts: int = STARTS) -> tuple[FloatArray, float]:
    """Optimise from the ``starts`` best-scoring points of the grid :data:`GRID`; the best optimum.

    Args:
        x: log N of each run.
        y: log D of each run.
        logl: log loss of each run.
        w: run weights, shape (n,).
        delta: the Huber δ.
        starts: how many of the grid's best points are optimised.

    Returns:
        ``(θ of shape (5,), objective)``.
    """
    g = grid()
    with np.errstate(over="ignore", invalid="ignore"):
        scores = _grid_scores(g, x, y, logl, w, delta)
    order = np.argsort(np.where(np.isfinite(scores), scores, np.inf), kind="stable")[:starts]
    th, f = bfgs(g[order], x, y, logl, w, delta)
    best = int(np.nanargmin(np.where(np.isfinite(f), f, np.inf)))
    return th[best], float(f[best])
