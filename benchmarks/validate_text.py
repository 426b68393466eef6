"""How much exact text parsing costs: ``planner.validate.count`` / ``positive_real`` on typed numbers.

Baselines in the same run: Python's own ``int(text)`` / ``float(text)`` on the plain digits (what the parser
must at least do), and a ``Decimal``-based parser (the previous implementation: rounds past 28 digits).
Also times the refusal of ``1e999999999`` (checked by magnitude, never expanded).

    python benchmarks/validate_text.py
"""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal

from planner import validate

TEXTS = ["494032768", "1,206,135", "7B", "1.3T", "5.76e23", "99999999999999999999999999999", "1_000", "2.5k"]
PLAIN = ["494032768", "1206135", "7000000000", "1300000000000", "576000000000000000000000",
         "99999999999999999999999999999", "1000", "2500"]
SUFFIX = {"K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12, "P": 10**15}
N = 20_000


def decimal_count(text: str) -> int:
    s = text.strip().replace("_", "").replace(",", "")
    mult = 1
    if s and s[-1].upper() in SUFFIX:
        mult, s = SUFFIX[s[-1].upper()], s[:-1]
    return int(Decimal(s) * mult)


def per_call(fn, items) -> float:
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(N // len(items)):
            for x in items:
                fn(x)
        best = min(best, (time.perf_counter() - t) / (N // len(items) * len(items)))
    return best * 1e6


def main() -> None:
    rows = [
        ("int(text) on plain digits (baseline)", per_call(int, PLAIN)),
        ("Decimal parser (previous, inexact)", per_call(decimal_count, TEXTS)),
        ("validate.count(text) (exact)", per_call(lambda s: validate.count("steps", s), TEXTS)),
        ("float(text) on plain digits (baseline)", per_call(float, PLAIN)),
        ("validate.positive_real(text)", per_call(lambda s: validate.positive_real("u", s), TEXTS)),
        ("validate.count(int) fast path", per_call(lambda n: validate.count("steps", n), [494032768, 2700])),
    ]
    t = time.perf_counter()
    with contextlib.suppress(validate.InputError):
        validate.count("steps", "1e999999999")
    rows.append(("refuse '1e999999999'", (time.perf_counter() - t) * 1e6))
    base = rows[0][1]
    for name, us in rows:
        print(f"{name:<42} {us:8.2f} µs/call  ({us / base:5.1f}× int)")


if __name__ == "__main__":
    main()
