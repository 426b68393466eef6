"""Input validation shared by every module: counts, reals and flags.

Counts (layers, steps, tokens, parameters) are whole numbers from ``minimum`` up to
:data:`MAX_COUNT` (10³⁰: far beyond any real plan, small enough that every product the
planner forms stays a finite float64). Reals (corpus sizes, MFU, prices, thresholds) are finite
numbers up to :data:`MAX_REAL` (10³⁰) unless a function says otherwise; FLOP budgets go up to
:data:`~planner.limits.MAX_FLOPS` (10⁶¹). A value above its limit is refused, never clamped, and
the message prints the limit (``at most 10^30``). All limits live in :mod:`planner.limits`.

Text is read **exactly**, at any length: ``"99999999999999999999999999999"`` is that integer,
not a 28-digit rounding of it. Accepted spellings, for counts and reals alike:

* plain and scientific notation: ``494032768``, ``7e9``, ``1.3e12``;
* a suffix: ``k``/``K`` (10³), ``M`` (10⁶), ``B``/``G`` (10⁹), ``T`` (10¹²), ``P`` (10¹⁵),
  in either case (``7B``, ``1.3T``, ``15t``);
* thousands separators: ``1,206,135`` (groups of three) and ``1_000`` (between digits);
* where a function asks for a fraction with ``percent=True``, a percentage: ``"55%"`` is 0.55.

A number written in more than :data:`MAX_TEXT` characters is refused. The magnitude is checked
before the value is expanded, so ``1e999999999`` is refused at once (anything from 10⁶² up).

Numbers: Python ints stay exact; a float counts as the decimal it prints as (``1e23`` is 10²³,
not its binary neighbour); numpy scalars and 0-d arrays are scalars. With ``vector=True``, numpy
arrays, lists and pandas Series are checked element-wise and returned as numpy arrays (float64
for reals). Every refusal is an :class:`~planner.errors.InputError` naming ``field``, with the
offending value quoted once and control characters escaped, so a message is always one line.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from numbers import Integral, Rational, Real
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from . import limits
from .arrays import FloatArray
from .errors import InputError
from .limits import MAX_COUNT, MAX_FLOPS, MAX_REAL, MAX_TEXT  # noqa: F401 - re-exported for callers

# A value to validate is typed ``Any``: it is the user's input before it is checked (any type may arrive).

#: Suffixes as powers of ten (matched case-insensitively).
SUFFIXES = {"K": 3, "M": 6, "B": 9, "G": 9, "T": 12, "P": 15}

_NUMBER = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_COMMAS = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
_BAD_UNDERSCORE = re.compile(r"(?<![0-9])_|_(?![0-9])")
_TOO_LARGE = limits.FLOPS_EXPONENT  # orders of magnitude: anything from 10**62 up is refused before it is expanded
_TOO_SMALL = -400  # below 10**-400 a number is read as the least positive value it could be


class _Refused(Exception):
    """Internal: a value is not a finite real number (the caller raises the InputError with its own wording)."""


# ---- how a value is shown in a message -----------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x00``), so a message stays on one line.

    Args:
        text: The text (anything else is passed through ``str`` first).

    Returns:
        The text with every C0/C1 control character and U+2028/U+2029 written as its escape.

    Examples:
        >>> escape("a\\nb")
        'a\\\\nb'
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def shown(value: object, limit: int = 60) -> str:
    """``value`` as a message quotes it: ``repr`` once, control characters escaped, at most ``limit`` characters.

    Args:
        value: Any value (a hostile ``__repr__`` is replaced by the type name).
        limit: The most characters shown; longer text ends in ``...``.

    Returns:
        The quoted text; an int of more than 200 bits is described by its number of digits instead.

    Examples:
        >>> shown("7B")
        "'7B'"
    """
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    try:
        text = escape(repr(value))
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not replace the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _refuse(field: str, accepted: str, value: object) -> InputError:
    return InputError(field, accepted, value, detail=f"must be {accepted}, got {shown(value)}")


# ---- exact reading of text and numbers ------------------------------------------------------------

def parse_number(text: str, *, percent: bool = False) -> int | Fraction:
    """The exact value of a number written as text (see the module docstring for the spellings).

    Args:
        text: The number as text: ``"7B"``, ``"1e12"``, ``"1,206,135"``, ``"1_000"``.
        percent: Also accept a trailing ``%`` (``"55%"`` is 11/20).

    Returns:
        An ``int`` when the value is whole as written (``7B``, ``1e12``), else a
            :class:`fractions.Fraction` (``1.5``, ``55%``).

    Raises:
        ValueError: ``text`` is not a string, is longer than :data:`MAX_TEXT` characters, or is not
            a number in an accepted spelling (callers turn it into an :class:`InputError` naming
            their field).
        OverflowError: The magnitude is 10⁶² or more (refused without expanding the number).

    Examples:
        >>> parse_number("7B")
        7000000000
        >>> parse_number("55%", percent=True)
        Fraction(11, 20)
    """
    if not isinstance(text, str):
        raise ValueError("not a string")
    if len(text) > MAX_TEXT:
        raise ValueError(f"longer than {MAX_TEXT} characters")
    t = text.strip()
    scale = 0
    pct = False
    if percent and t.endswith("%"):
        pct, t = True, t[:-1].rstrip()
    if t and t[-1].upper() in SUFFIXES:
        scale, t = SUFFIXES[t[-1].upper()], t[:-1].rstrip()
    if "," in t:
        if not _COMMAS.fullmatch(t):
            raise ValueError("thousands separators must group three digits")
        t = t.replace(",", "")
    if "_" in t:
        if _BAD_UNDERSCORE.search(t):
            raise ValueError("an underscore must stand between two digits")
        t = t.replace("_", "")
    m = _NUMBER.fullmatch(t)
    if m is None or not (m.group(2) or m.group(3)):
        raise ValueError("not a number")
    sign, whole, frac, exp = m.group(1), m.group(2), m.group(3) or "", m.group(4) or "0"
    digits = (whole + frac).lstrip("0")
    if not digits:
        return 0
    power = int(exp) - len(frac) + scale - (2 if pct else 0)
    magnitude = len(digits) - 1 + power
    if magnitude > _TOO_LARGE:
        raise OverflowError(f"about 10**{magnitude}")
    if magnitude < _TOO_SMALL:
        value = Fraction(1, 10 ** (-_TOO_SMALL + 1))
    elif power >= 0:
        value = int(digits) * 10**power
    else:
        value = Fraction(int(digits), 10**-power)
    return -value if sign == "-" else value


def _exact(value: Any, percent: bool = False) -> int | Fraction:
    """A scalar as an exact int or Fraction; raises :class:`_Refused` for anything that is not a finite real number."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or value is None:
        raise _Refused
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Refused
        return Fraction(repr(value))  # the decimal the float prints as
    if isinstance(value, Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    if isinstance(value, Decimal):
        if not value.is_finite() or (value and value.adjusted() > _TOO_LARGE):
            raise _Refused
        if value and value.adjusted() < _TOO_SMALL:
            return Fraction(1 if value > 0 else -1, 10 ** (-_TOO_SMALL + 1))
        return Fraction(value)
    if isinstance(value, str):
        try:
            return parse_number(value, percent=percent)
        except (ValueError, OverflowError):
            raise _Refused from None
    if isinstance(value, Real):
        try:
            f = float(value)
        except (OverflowError, ValueError, TypeError):
            raise _Refused from None
        if not math.isfinite(f):
            raise _Refused
        return Fraction(repr(f))
    raise _Refused


def _is_series(value: object) -> bool:
    """A pandas Series or Index (recognised without importing pandas)."""
    module = type(value).__module__
    return ((module == "pandas" or module.startswith("pandas.")) and hasattr(value, "to_numpy")
            and getattr(value, "ndim", 0) == 1)


def _as_array(field: str, value: Any, accepted: str) -> npt.NDArray[Any] | None:
    """A Series or an array of at least one dimension as a numpy array; None for anything else.

    0-d arrays are scalars. Lists and tuples are refused (``numpy.asarray`` them first): the result of a
    vectorised function follows its inputs, and a list gives no shape to follow.
    """
    if _is_series(value):
        arr: npt.NDArray[Any] = value.to_numpy()
        return arr
    if isinstance(value, (list, tuple)):
        raise InputError(field, accepted, detail=f"must be {accepted}: a number, a numpy array or a pandas Series, "
                                                 f"got a {type(value).__name__} (use numpy.asarray)")
    return value if isinstance(value, np.ndarray) and value.ndim > 0 else None


def _accepted(minimum: int, top: int) -> str:
    return f"a whole number from {minimum} to {limits.power(top)}"


# ---- counts ---------------------------------------------------------------------------------------

@overload
def count(field: str, value: Any, *, minimum: int = 1, maximum: int | None = None,
          vector: Literal[False] = False) -> int: ...
@overload
def count(field: str, value: Any, *, minimum: int = 1, maximum: int | None = None,
          vector: bool) -> int | npt.NDArray[Any]: ...
def count(field: str, value: Any, *, minimum: int = 1, maximum: int | None = None,
          vector: bool = False) -> int | npt.NDArray[Any]:
    """Return ``value`` as a whole number in ``[minimum, maximum or MAX_COUNT]``.

    Args:
        field: The name errors use (``steps``, ``config.hidden_size``, ``plan.training.steps``).
        value: The count: an int, float, str, numpy scalar or 0-d array; with ``vector=True`` also
            a numpy array or pandas Series. Text is read exactly (``"7B"``, ``"1e12"``,
            ``"1,206,135"``); a float counts as the decimal it prints as.
        minimum: The least value accepted.
        maximum: The largest value accepted; defaults to (and is capped at) :data:`MAX_COUNT`.
        vector: Accept numpy arrays and pandas Series, checked element-wise.

    Returns:
        A Python int (exact) for a scalar; for an array the array itself (integer dtypes as given,
            float arrays as float64, object arrays such as Python ints beyond int64 as float64).

    Raises:
        InputError: Naming ``field``: negative, below ``minimum``, fractional, NaN, infinite, above
            the limit, boolean, non-numeric, a list or tuple, or an array where a single number is
            expected.

    Examples:
        >>> count("steps", "1,206,135")
        1206135
        >>> count("steps", 2.5)
        Traceback (most recent call last):
        ...
        planner.errors.InputError: steps: must be a whole number from 1 to 10^30, got 2.5
    """
    if type(value) is int and minimum <= value <= MAX_COUNT and (maximum is None or value <= maximum):
        return value  # the common case, without the checks below
    top = MAX_COUNT if maximum is None else min(maximum, MAX_COUNT)
    accepted = _accepted(minimum, top)
    arr = _as_array(field, value, accepted)
    if arr is not None:
        if not vector:
            raise InputError(field, accepted, detail=f"must be a single number ({accepted}), got an array")
        return _count_array(field, arr, minimum, top, accepted)
    try:
        x = _exact(value)
    except _Refused:
        raise _refuse(field, accepted, value) from None
    if isinstance(x, Fraction):
        if x.denominator != 1:
            raise _refuse(field, accepted, value)
        x = x.numerator
    if not minimum <= x <= top:
        raise _refuse(field, accepted, value)
    return x


def _count_array(field: str, arr: npt.NDArray[Any], minimum: int, top: int, accepted: str) -> npt.NDArray[Any]:
    kind = arr.dtype.kind
    if kind == "O":  # Python ints beyond int64, Fractions, strings: each checked as a scalar
        vals = [count(field, v, minimum=minimum, maximum=top) for v in arr.ravel()]
        return np.asarray(vals, dtype=float).reshape(arr.shape)
    if kind not in "iuf":
        raise InputError(field, accepted,
                         detail=f"must be an array of whole numbers ({accepted}), got dtype {arr.dtype}")
    if kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        if bad.any():
            raise _refuse(field, accepted, arr[bad].flat[0].item())
    out = (arr < minimum) | (arr > top)
    if out.any():
        raise _refuse(field, accepted, arr[out].flat[0].item())
    return arr


# ---- reals ----------------------------------------------------------------------------------------

@lru_cache(maxsize=1024)
def _bound(x: float) -> Fraction:
    """A bound as the decimal it was written as: 0.001 means 1/1000, not its binary neighbour."""
    return Fraction(repr(float(x)))


@overload
def positive_real(field: str, value: Any, *, minimum: float = 0.0, inclusive: bool = False,
                  maximum: float | None = None, percent: bool = False, vector: Literal[False] = False) -> float: ...
@overload
def positive_real(field: str, value: Any, *, minimum: float = 0.0, inclusive: bool = False,
                  maximum: float | None = None, percent: bool = False, vector: bool) -> float | FloatArray: ...
def positive_real(field: str, value: Any, *, minimum: float = 0.0, inclusive: bool = False,
                  maximum: float | None = None, percent: bool = False, vector: bool = False) -> float | FloatArray:
    """Return ``value`` as a finite float above ``minimum`` (at least it with ``inclusive``) and at most ``maximum``.

    Args:
        field: The name errors use.
        value: A number, str, numpy scalar or 0-d array; with ``vector=True`` also a numpy array or
            pandas Series. Text is read exactly before rounding once to float (``"1.3T"``,
            ``"5.76e23"``, ``"1,000"``).
        minimum: The lower bound (excluded unless ``inclusive``).
        inclusive: Accept ``minimum`` itself.
        maximum: The upper bound (included); default :data:`MAX_REAL`.
        percent: The value is a fraction and text may be a percentage: ``"55%"`` is 0.55
            (``"0.55"`` too).
        vector: Accept numpy arrays and pandas Series, checked element-wise; they come back as
            float64 arrays.

    Returns:
        A float, or a float64 numpy array with ``vector=True``.

    Raises:
        InputError: Naming ``field``: out of range, NaN, infinite, boolean, None, non-numeric text,
            a list or tuple, or an array where a single number is expected.

    Examples:
        >>> positive_real("mfu", "55%", maximum=1.0, percent=True)
        0.55
    """
    top = MAX_REAL if maximum is None else maximum
    if type(value) is float and (value >= minimum if inclusive else value > minimum) and value <= top \
            and _bound(value) == value and _bound(minimum) == minimum and _bound(top) == top:
        return value  # the common case: a float, bounds that are their own decimals (0, 1, 1e30 ...)
    accepted = _accepted_real(minimum, inclusive, top, percent)
    arr = _as_array(field, value, accepted)
    if arr is not None:
        if not vector:
            raise InputError(field, accepted, detail=f"must be a single number ({accepted}), got an array")
        return _real_array(field, arr, minimum, inclusive, top, accepted)
    try:
        x = _exact(value, percent=percent)
    except _Refused:
        raise _refuse(field, accepted, value) from None
    lo, hi = _bound(minimum), _bound(top)
    if not ((x >= lo if inclusive else x > lo) and x <= hi):
        raise _refuse(field, accepted, value)
    return float(x)


@lru_cache(maxsize=256)
def _accepted_real(minimum: float, inclusive: bool, top: float, percent: bool) -> str:
    text = f"a finite number {'>=' if inclusive else '>'} {minimum:g} and at most {limits.power(top)}"
    return text + " (a fraction, or a percentage such as 55%)" if percent else text


def _real_array(field: str, arr: npt.NDArray[Any], minimum: float, inclusive: bool, top: float,
                accepted: str) -> FloatArray:
    kind = arr.dtype.kind
    if kind == "O":
        vals = [positive_real(field, v, minimum=minimum, inclusive=inclusive, maximum=top) for v in arr.ravel()]
        return np.asarray(vals, dtype=float).reshape(arr.shape)
    if kind not in "iuf":
        raise InputError(field, accepted, detail=f"must be an array of numbers ({accepted}), got dtype {arr.dtype}")
    f = np.asarray(arr, dtype=float)
    ok = np.isfinite(f) & ((f >= minimum) if inclusive else (f > minimum)) & (f <= top)
    if not ok.all():
        raise _refuse(field, accepted, arr[~ok].flat[0].item())
    return f


def real_array(field: str, value: Any, *, minimum: float = 0.0, inclusive: bool = False,
               maximum: float | None = None, percent: bool = False) -> float | FloatArray:
    """:func:`positive_real` with ``vector=True``: a real number, or an array of them, checked alike.

    Args:
        field: The name errors use.
        value: A number, text, numpy array or pandas Series.
        minimum: As for :func:`positive_real`.
        inclusive: As for :func:`positive_real`.
        maximum: As for :func:`positive_real`.
        percent: As for :func:`positive_real`.

    Returns:
        A float for a scalar, a float64 numpy array for an array or Series.

    Raises:
        InputError: Naming ``field``, as :func:`positive_real` does.
    """
    return positive_real(field, value, minimum=minimum, inclusive=inclusive, maximum=maximum, percent=percent,
                         vector=True)


def quantity(field: str, value: Any, *, minimum: int | None = None,
             maximum: int | None = None) -> int | float | FloatArray:
    """Return ``value`` as an amount of parameters or tokens (N, D, a corpus size): real-valued, vectorised.

    Unlike :func:`count`, an amount need not be whole: ``numpy.geomspace(1e8, 1e10, 50)`` is a valid N
    axis. Whole amounts stay exact.

    Args:
        field: The name errors use (``params``, ``tokens``, ``prior_tokens``).
        value: A number, str, numpy scalar or array, or pandas Series. Text is read exactly
            (``"7B"``, ``"1.3T"``, ``"1,206,135"``).
        minimum: The least value accepted (included); by default the value must be above 0.
        maximum: The largest value accepted; default (and cap) :data:`MAX_COUNT`.

    Returns:
        A Python int when the value is whole (exact, whatever its size), else a float; for an array
            or a Series (at least one dimension) a float64 array.

    Raises:
        InputError: Naming ``field``: zero or negative (below ``minimum``), NaN, infinite, above the
            limit, boolean, non-numeric, a list or tuple.

    Examples:
        >>> quantity("tokens", "1.3T")
        1300000000000
        >>> quantity("params", 1.5)
        1.5
    """
    top = MAX_COUNT if maximum is None else min(maximum, MAX_COUNT)
    if type(value) is int and (value > 0 if minimum is None else value >= minimum) and value <= top:
        return value
    low = "> 0" if minimum is None else f">= {minimum:,}"
    accepted = f"a number {low} and at most {limits.power(top)}"
    arr = _as_array(field, value, accepted)
    if arr is not None:
        return _real_array(field, arr, 0 if minimum is None else minimum, minimum is not None, top, accepted)
    try:
        x = _exact(value)
    except _Refused:
        raise _refuse(field, accepted, value) from None
    if not ((x > 0 if minimum is None else x >= minimum) and x <= top):
        raise _refuse(field, accepted, value)
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else float(x)
    return x


# ---- flags and text -------------------------------------------------------------------------------

def flag(field: str, value: Any) -> bool:
    """Return ``value`` as a bool; accepts real booleans only (``True``/``False``, ``numpy.bool_``), not 0/1 or strings.

    Args:
        field: The name errors use.
        value: The flag.

    Returns:
        ``value`` as a Python bool.

    Raises:
        InputError: Naming ``field``: ``value`` is anything but a bool or ``numpy.bool_``.
    """
    if value is True or value is False:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise _refuse(field, "true or false", value)


def text(field: str, value: Any) -> str:
    """Return ``value`` if it is a string.

    Args:
        field: The name errors use.
        value: The text.

    Returns:
        ``value`` unchanged.

    Raises:
        InputError: Naming ``field``: ``value`` is not a ``str``.
    """
    if isinstance(value, str):
        return value
    raise _refuse(field, "a string", value)
