"""The one rule every vectorised function follows: scalars in, a Python float out; any array in, an array out.

Arrays are numpy arrays with at least one dimension and pandas Series (a Series in gives a Series out, on
the same index); numpy scalars and 0-d arrays count as scalars. Arithmetic is done in float64, so
frontier-scale products never overflow a fixed-width integer.
"""

from __future__ import annotations

from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt

#: A float64 array: what the vectorised functions return for array inputs.
FloatArray: TypeAlias = npt.NDArray[np.float64]
#: A number or an array of numbers, as the vectorised functions take them (``int`` is spelled out for the reader;
#: a pandas Series has no type information here, so it passes as any of them).
ArrayLike: TypeAlias = float | int | npt.NDArray[Any]
#: What :func:`like` returns: a Python float for scalar inputs, else a float64 array (or a Series).
FloatOrArray: TypeAlias = float | FloatArray


def is_array(x: object) -> bool:
    """True for an array of at least one dimension (numpy array, pandas Series, ...).

    Args:
        x: Any value.

    Returns:
        False for scalars, numpy scalars and 0-d arrays.

    Examples:
        >>> is_array(np.array([1.0])), is_array(np.float64(1.0)), is_array([1.0])
        (True, False, False)
    """
    return hasattr(x, "__array__") and not isinstance(x, np.generic) and np.ndim(x) > 0


def any_array(*xs: object) -> bool:
    """True when any input is an array (the result should be one too).

    Args:
        *xs: The inputs of a vectorised function.

    Returns:
        True when :func:`is_array` holds for at least one of them.
    """
    return any(is_array(x) for x in xs)


def floats(*xs: ArrayLike) -> tuple[FloatArray, ...]:
    """The inputs as float64 arrays (0-d for scalars).

    Args:
        *xs: Numbers, numpy arrays or pandas Series.

    Returns:
        One float64 array per input, in order.
    """
    return tuple(np.asarray(x, dtype=float) for x in xs)


def like(result: ArrayLike, *inputs: ArrayLike) -> FloatOrArray:
    """``result`` as an array if any input was one (a Series when one was, on its index), else a Python float.

    Args:
        result: The computed value (a scalar or an array).
        *inputs: The function's inputs, which decide the result's type.

    Returns:
        A Python float when no input is an array; a Series on the index of the first Series input of
            the result's shape; else a numpy array.

    Examples:
        >>> like(np.float64(2.5), 1, 2.0)
        2.5
    """
    if not any_array(*inputs):
        return float(result)
    for x in inputs:
        if is_array(x) and hasattr(x, "index") and hasattr(x, "to_numpy") and np.shape(result) == np.shape(x):
            series: Any = type(x)  # a pandas Series, which has no type information here
            return cast(FloatOrArray, series(np.asarray(result), index=x.index))
    return np.asarray(result)

