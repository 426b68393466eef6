"""The one rule every vectorised function follows: scalars in, a Python float out; any array in, an array out.

Arrays are numpy arrays with at least one dimension and pandas Series (a Series in gives a Series out, on
the same index); numpy scalars and 0-d arrays count as scalars. Arithmetic is done in float64, so
frontier-scale products never overflow a fixed-width integer.
"""

from __future__ import annotations

import numpy as np


def is_array(x) -> bool:
    """True for an array of at least one dimension (numpy array, pandas Series, ...)."""
    return hasattr(x, "__array__") and not isinstance(x, np.generic) and np.ndim(x) > 0


def any_array(*xs) -> bool:
    """True when any input is an array (the result should be one too)."""
    return any(is_array(x) for x in xs)


def floats(*xs) -> tuple[np.ndarray, ...]:
    """The inputs as float64 arrays (0-d for scalars)."""
    return tuple(np.asarray(x, dtype=float) for x in xs)


def like(result, *inputs):
    """``result`` as an array if any input was one (a Series when one was, on its index), else a Python float."""
    if not any_array(*inputs):
        return float(result)
    for x in inputs:
        if is_array(x) and hasattr(x, "index") and hasattr(x, "to_numpy") and np.shape(result) == np.shape(x):
            return type(x)(np.asarray(result), index=x.index)
    return np.asarray(result)

