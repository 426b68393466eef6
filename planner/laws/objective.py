"""The objective of Chinchilla's Approach 3: the Huber loss of log-loss residuals, with its analytic gradient.

Hoffmann et al. 2022 (arXiv:2203.15556, appendix D.2), as replicated by Besiroglu et al. 2024
(arXiv:2404.10102): with x = log N and y = log D the law is written

    log L̂ = LSE(a − α·x, b − β·y, e),     A = e^a, B = e^b, E = e^e,

and θ = (a, b, e, α, β) minimises Σ Huber_δ(log L̂ − log L) (δ = 1e-3). Everything here works on K
problems at once (θ of shape (K, 5), run weights of shape (K, n)), so the optimiser can step many
starts or bootstrap resamples together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal, overload

import numpy as np
import numpy.typing as npt

from .power_law import FloatArray

#: Huber δ of Chinchilla's Approach 3 (residuals are in log-loss).
DELTA = 1e-3
#: θ's coordinates in the optimiser's order (the order Besiroglu et al. use) → index.
THETA = {"A": 0, "B": 1, "E": 2, "alpha": 3, "beta": 4}


def constants(theta: Iterable[float]) -> dict[str, float]:
    """The law's constants from θ = (a, b, e, α, β).

    Args:
        theta: five numbers.

    Returns:
        ``{"E": e^e, "A": e^a, "B": e^b, "alpha": α, "beta": β}`` as floats.
    """
    a, b, e, al, be = (float(t) for t in theta)
    return {"E": math.exp(e), "A": math.exp(a), "B": math.exp(b), "alpha": al, "beta": be}


def predict(theta: npt.ArrayLike, x: float | FloatArray, y: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    """log L̂ and the softmax weights of the three terms (the gradient of the LSE).

    Args:
        theta: θ of shape (5,) or (K, 5).
        x: log N of each run.
        y: log D of each run.

    Returns:
        ``(log L̂, weights)``: log L̂ of shape (n,) or (K, n), and the three terms' weights stacked first.
    """
    theta = np.asarray(theta, dtype=float)
    a, b, e, al, be = (theta[..., i, None] for i in range(5))
    t = np.stack(np.broadcast_arrays(a - al * x, b - be * y, e + 0 * x))
    m = t.max(axis=0)
    s = np.exp(t - m)
    total = s.sum(axis=0)
    return m + np.log(total), s / total


def huber(r: FloatArray, delta: float) -> FloatArray:
    """The Huber loss of residuals ``r``: ½r² within ``delta``, linear beyond it.

    Args:
        r: residuals (an array).
        delta: the Huber δ.

    Returns:
        An array of the shape of ``r``.
    """
    ar = np.abs(r)
    return np.where(ar <= delta, 0.5 * r * r, delta * (ar - 0.5 * delta))


@overload
def objective(theta: FloatArray, x: FloatArray, y: FloatArray, logl: FloatArray, w: FloatArray, delta: float,
              grad: Literal[True] = ...) -> tuple[FloatArray, FloatArray]: ...
@overload
def objective(theta: FloatArray, x: FloatArray, y: FloatArray, logl: FloatArray, w: FloatArray, delta: float,
              grad: Literal[False]) -> FloatArray: ...


def objective(theta: FloatArray, x: FloatArray, y: FloatArray, logl: FloatArray, w: FloatArray, delta: float,
              grad: bool = True) -> FloatArray | tuple[FloatArray, FloatArray]:
    """The objective of K problems at once, and its analytic gradient.

    The objective is Σ w·Huber_δ(log L̂ − log L) / (δ·Σw), a mean absolute log-residual in effect.
    Element-wise operations only: no BLAS call, whose threads cost more than they save on arrays this small.

    Args:
        theta: θ of shape (K, 5): (a, b, e, α, β) per problem.
        x: log N of each run, shape (n,).
        y: log D of each run, shape (n,).
        logl: log loss of each run, shape (n,).
        w: run weights of shape (K, n) (a bootstrap resample is the runs weighted by how often each was drawn).
        delta: the Huber δ.
        grad: also return the gradient.

    Returns:
        The objective of shape (K,), and with ``grad`` its gradient of shape (K, 5).
    """
    a, b, e, al, be = (theta[:, i, None] for i in range(5))
    t1, t2 = a - al * x, b - be * y
    m = np.maximum(np.maximum(t1, t2), e)
    s1, s2, s3 = np.exp(t1 - m), np.exp(t2 - m), np.exp(e - m)
    total = s1 + s2 + s3
    r = m + np.log(total) - logl
    scale = 1.0 / (delta * w.sum(1))
    f: FloatArray = scale * (w * huber(r, delta)).sum(1)
    if not grad:
        return f
    psi = (scale[:, None] * w) * np.clip(r, -delta, delta) / total  # dHuber/dr times d log L̂ / d term
    q1, q2 = psi * s1, psi * s2
    g = np.stack([q1.sum(1), q2.sum(1), (psi * s3).sum(1), -(q1 * x).sum(1), -(q2 * y).sum(1)], 1)
    return f, g
