"""Which constants a set of runs can determine: a ladder at too few sizes or token counts cannot fit them all.

The rules (:func:`unidentified`), each where the data leave a direction of θ free:

* fewer than 3 distinct N: the N-term A/N^α and E trade off exactly (two points fix a line in log space,
  and a third constant is free), so E, A and α are not determined; likewise fewer than 3 distinct D for
  E, B and β;
* every run at one D/N ratio (log D affine in log N): the N- and D-terms cannot be told apart, so A, B,
  α and β are not determined;
* otherwise, a direction in which the predictions do not change at the optimum (a flat Jacobian)
  leaves its parameters free.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .objective import THETA, predict
from .power_law import PARAMETERS, FloatArray
from .runs import Runs

#: The fewest distinct values of N (and of D) that determine their term: below it the term and E trade off.
MIN_DISTINCT = 3


def distinct(values: FloatArray) -> int:
    """How many distinct values ``values`` holds, to 9 decimals (log N or log D of runs).

    Args:
        values: an array.

    Returns:
        The count.
    """
    return len(np.unique(np.round(values, 9)))


def unidentified(x: FloatArray, y: FloatArray, w: FloatArray, theta: npt.ArrayLike) -> tuple[str, ...]:
    """The constants these runs cannot determine (see the module docstring for the rules).

    Args:
        x: log N of each run.
        y: log D of each run.
        w: weight of each run (runs of weight 0 do not count).
        theta: the fitted θ = (a, b, e, α, β).

    Returns:
        The names (from ``("E", "A", "B", "alpha", "beta")``, in that order) of the constants not determined.
    """
    used = w > 0
    x, y = x[used], y[used]
    bad: set[str] = set()
    if distinct(x) < MIN_DISTINCT:
        bad |= {"E", "A", "alpha"}
    if distinct(y) < MIN_DISTINCT:
        bad |= {"E", "B", "beta"}
    if not bad:
        z = np.stack([x - x.mean(), y - y.mean()], 1)
        z = z / np.linalg.norm(z, axis=0)
        sv = np.linalg.svd(z, compute_uv=False)
        if sv[-1] < 1e-6 * sv[0]:
            bad |= {"A", "B", "alpha", "beta"}
    if not bad:
        _, p = predict(theta, x, y)
        jac = np.stack([p[0], p[1], p[2], -p[0] * x, -p[1] * y], 1)
        norms = np.linalg.norm(jac, axis=0)
        names = sorted(THETA, key=THETA.__getitem__)
        if (norms < 1e-12 * norms.max()).any():
            bad |= {names[i] for i in np.flatnonzero(norms < 1e-12 * norms.max())}
        else:
            _, sv, vt = np.linalg.svd(jac / norms, full_matrices=False)
            for s, v in zip(sv, vt, strict=True):
                if s < 1e-7 * sv[0]:
                    bad |= {names[i] for i in np.flatnonzero(np.abs(v) > 0.1)}
    return tuple(p for p in PARAMETERS if p in bad)


def why(runs: Runs, missing: Sequence[str]) -> str:
    """One sentence: which constants these runs cannot determine, and what runs to add.

    Args:
        runs: the :class:`~planner.laws.runs.Runs` fitted.
        missing: the constants not determined (:func:`unidentified`).

    Returns:
        The sentence.
    """
    return (f"these {len(runs)} runs cannot determine {', '.join(missing)} "
            f"({distinct(np.log(runs.params))} distinct N, {distinct(np.log(runs.tokens))} distinct D); "
            f"add runs at {MIN_DISTINCT} or more sizes and {MIN_DISTINCT} or more token counts, not all at one D/N")
