"""The planner's input limits, in one place: every validator, message and docstring uses these.

A value beyond its limit is refused with one line that prints the limit (:func:`power`), never
clamped. The limits are far beyond any real plan and small enough that every product the planner
forms stays a finite float64 (6·N·D with N and D at :data:`MAX_COUNT` is 6·10⁶⁰, far below 10³⁰⁸).

* :data:`MAX_COUNT` (10³⁰): counts and amounts — steps, tokens, parameters, batch sizes.
* :data:`MAX_REAL` (10³⁰): other real numbers unless a function says otherwise (corpus sizes, law
  constants, thresholds).
* :data:`MAX_FLOPS` (10⁶¹): FLOP budgets — every plan the count limits allow has 6·N·D below it — and
  the largest number written as text anywhere: a number whose magnitude is 10⁶² or more is refused
  before it is expanded.
* :data:`MAX_TEXT` (400): the most characters of a number written as text.
* :data:`MAX_FILE_BYTES` (16 MiB): the most bytes read from a file the user names (a config, a plan,
  a launch file, a DeepSpeed JSON, a runs CSV, a saved fit, a checkpoint index).
* :data:`MAX_EXPANDED` (1 MiB): the most characters a launch file's variables, bash arrays or nanoGPT
  string/list values may expand to; :data:`MAX_ITEMS` (100,000) the most items in such a value;
  :data:`MAX_YAML_ALIASES` (100) the most YAML alias references in one document.
"""

from __future__ import annotations

import math

#: Exponent of :data:`MAX_COUNT` and :data:`MAX_REAL`.
COUNT_EXPONENT = 30
#: Exponent of :data:`MAX_FLOPS`, also the largest magnitude of a number written as text.
FLOPS_EXPONENT = 61

MAX_COUNT = 10**COUNT_EXPONENT
MAX_REAL = float(10**COUNT_EXPONENT)
MAX_FLOPS = float(10**FLOPS_EXPONENT)
MAX_TEXT = 400
MAX_FILE_BYTES = 16 * 2**20
MAX_EXPANDED = 2**20
MAX_ITEMS = 100_000
MAX_YAML_ALIASES = 100

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power(value: float) -> str:
    """A limit as messages print it: whole numbers below 10¹⁵ with separators, larger powers of ten as ``10^N``.

    Args:
        value: an int or float limit.

    Returns:
        The text: ``"10^40"`` for 1e40, ``"1,000,000,000"`` for 10**9, ``"0.001"`` for 0.001, ``"6e+60"``.
    """
    try:
        f = float(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)
    if f >= 1e15:
        e = round(math.log10(f)) if math.isfinite(f) else 0
        if e and float(10**e) == f:
            return f"10^{e}"
        return f"{f:.3g}"
    if float(f).is_integer():
        return f"{int(f):,}"
    return f"{f:g}"
