"""Number formatting shared by every surface (command line, notebooks, review), so they agree."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .lines import DEFAULT_LINES


def fmt_int(n: float) -> str:
    """A whole number with thousands separators.

    Args:
        n: A number (truncated to an int).

    Returns:
        The text.

    Examples:
        >>> fmt_int(494032768)
        '494,032,768'
    """
    return f"{int(n):,}"


def fmt_ratio(r: float, lines: Iterable[float] = DEFAULT_LINES) -> str:
    """A tokens-per-parameter ratio with sensible precision: 0.045, 2.50, 28.6, 1,875.

    Rounded to nearest, except where rounding would carry a ratio below a line onto or past it
    (19.96 → 19.9, not 20.0): the printed ratio never contradicts the level beside it.

    Args:
        r: D/N.
        lines: The thresholds in force (default 5, 10, 20).

    Returns:
        The text: 0 decimals from 100, 1 from 10, 2 from 1, two significant digits below 1;
            ``nan``/``inf`` as Python prints them.

    Examples:
        >>> fmt_ratio(0.04477), fmt_ratio(19.96), fmt_ratio(1875.2)
        ('0.045', '19.9', '1,875')
    """
    r = float(r)
    if not math.isfinite(r):
        return str(r)
    if r == 0:
        return "0"
    digits = 0 if r >= 100 else 1 if r >= 10 else 2 if r >= 1 else 1 - math.floor(math.log10(r))
    shown = round(r, digits)
    if any(r < line <= shown for line in lines):
        shown = math.floor(r * 10**digits) / 10**digits
    return f"{shown:,.{digits}f}"


def fmt_si(x: float, unit: str = "") -> str:
    """A number with three significant digits and a K/M/B/T suffix; from 10¹⁵, scientific.

    Args:
        x: The number.
        unit: Text appended after the suffix.

    Returns:
        The text.

    Examples:
        >>> fmt_si(9.88e9), fmt_si(5.76e23, " FLOPs")
        ('9.88B', '5.76e+23 FLOPs')
    """
    if abs(x) < 1e15:
        for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(x) >= div:
                return f"{x / div:.3g}{suffix}{unit}"
    return f"{x:.3g}{unit}"


def fmt_gib(n: float) -> str:
    """Bytes as GiB with two decimals.

    Args:
        n: Bytes.

    Returns:
        The text.

    Examples:
        >>> fmt_gib(2**31)
        '2.00 GiB'
    """
    return f"{n / 2**30:,.2f} GiB"


def fmt_money(x: float) -> str:
    """Dollars: whole from $100, else with cents.

    Args:
        x: The amount in dollars.

    Returns:
        The text.

    Examples:
        >>> fmt_money(1234.5), fmt_money(12.345)
        ('$1,234', '$12.35')
    """
    return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}"


def fmt_gpu_hours(h: float) -> str:
    """GPU-hours: whole from 10, else two significant digits.

    Args:
        h: GPU-hours.

    Returns:
        The text.

    Examples:
        >>> fmt_gpu_hours(1234.4), fmt_gpu_hours(0.123)
        ('1,234 GPU-hours', '0.12 GPU-hours')
    """
    return f"{h:,.0f} GPU-hours" if h >= 10 else f"{h:.2g} GPU-hours"


def fmt_hours(h: float) -> str:
    """Wall-clock time: minutes below an hour, hours, and days beside from 48 hours.

    Args:
        h: Hours.

    Returns:
        The text.

    Examples:
        >>> fmt_hours(0.5), fmt_hours(3.25), fmt_hours(72)
        ('30 min', '3.2 h', '72 h (3.0 days)')
    """
    if h < 1:
        return f"{h * 60:.2g} min" if h * 60 < 10 else f"{h * 60:.0f} min"
    if h >= 48:
        return f"{h:,.0f} h ({h / 24:,.1f} days)"
    return f"{h:,.1f} h"


def fmt_hours_span(lo: float, hi: float) -> str:
    """A range of wall-clock time in the unit of its longer end: minutes, hours, or days from 48 hours.

    Args:
        lo: Hours, the shorter end.
        hi: Hours, the longer end.

    Returns:
        The text.

    Examples:
        >>> fmt_hours_span(0.47, 0.71), fmt_hours_span(2.5, 3.75), fmt_hours_span(88, 132)
        ('28-43 min', '2.5-3.8 h', '3.7-5.5 days')
    """
    if hi < 1:
        return f"{lo * 60:.0f}-{hi * 60:.0f} min"
    if hi >= 48:
        return f"{lo / 24:,.1f}-{hi / 24:,.1f} days"
    return f"{lo:,.1f}-{hi:,.1f} h"
