"""Number formatting shared by every surface (command line, notebooks, review), so they agree."""

from __future__ import annotations

import math

from .lines import DEFAULT_LINES


def fmt_int(n) -> str:
    """``494032768`` → ``494,032,768``."""
    return f"{int(n):,}"




def fmt_ratio(r, lines=DEFAULT_LINES) -> str:
    """A tokens-per-parameter ratio with sensible precision: 0.045, 2.50, 28.6, 1,875.

    Rounded to nearest, except where rounding would carry a ratio below a line onto or past it
    (19.96 → 19.9, not 20.0): the printed ratio never contradicts the level beside it. ``lines`` are
    the thresholds in force.
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
    """``9.88e9`` → ``9.88B``; beyond the T range, scientific (``5.76e+23``)."""
    if abs(x) < 1e15:
        for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(x) >= div:
                return f"{x / div:.3g}{suffix}{unit}"
    return f"{x:.3g}{unit}"


def fmt_gib(n: float) -> str:
    """Bytes as GiB with two decimals: ``fmt_gib(2**31)`` → ``'2.00 GiB'``."""
    return f"{n / 2**30:,.2f} GiB"


def fmt_money(x: float) -> str:
    return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}"


def fmt_gpu_hours(h: float) -> str:
    return f"{h:,.0f} GPU-hours" if h >= 10 else f"{h:.2g} GPU-hours"


def fmt_hours(h: float) -> str:
    """Wall-clock time: minutes when short, hours, and days beside when long."""
    if h < 1:
        return f"{h * 60:.2g} min" if h * 60 < 10 else f"{h * 60:.0f} min"
    if h >= 48:
        return f"{h:,.0f} h ({h / 24:,.1f} days)"
    return f"{h:,.1f} h"
