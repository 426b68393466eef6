"""A workbook number without its widget: its label, its limits, how it reads typed text and how it writes a value.

A :class:`NumberField` is what a control *means*; :class:`~planner.surfaces.controls.NumberControl` is how it
looks. The workbook's state (:mod:`planner.surfaces.workbook_state`) owns the fields and changes their
allowed values (heads among the divisors of the hidden size, ...); the controls read them. Typed text is
read by :mod:`planner.validate`, the same parser as the command line and plan files; nothing is clamped.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .. import validate
from ..errors import InputError
from ..format import fmt_int, fmt_si
from ..limits import MAX_COUNT


def count_text(n: float) -> str:
    """A whole number as a text box shows it: ``1.24B`` when that is exact, else ``1,206,135``.

    Args:
        n: a whole number (or anything ``int()`` takes).

    Returns:
        The short form when :mod:`planner.validate` reads it back to ``n``, else the number with separators.
    """
    whole = int(n)
    if abs(whole) >= 10**6:
        short = fmt_si(whole)
        try:
            if validate.count("value", short, minimum=0) == whole:
                return short
        except InputError:
            pass
    return fmt_int(whole)


def nearest(options: Iterable[float], value: float, k: int = 2) -> list[float]:
    """The ``k`` allowed values closest to ``value`` (for a refusal message).

    Args:
        options: the allowed values (numbers).
        value: the refused value.
        k: how many to name.

    Returns:
        Up to ``k`` options, closest first.
    """
    opts = sorted(options)
    i = bisect.bisect_left(opts, value)
    near = opts[max(0, i - 1):i + 1] or opts[-1:]
    return sorted(near, key=lambda o: (abs(o - value), o))[:k] if k < len(near) else near


def percent_text(v: float) -> str:
    """A fraction as a percentage.

    Args:
        v: a fraction.

    Returns:
        Three significant digits and ``%`` (``0.4`` -> ``40%``).
    """
    return f"{v * 100:.3g}%"


@dataclass
class NumberField:
    """One number of the workbook: what it is called, what it accepts, how it is written.

    Args:
        label: what the person sees, also the field named in messages (``"steps"``).
        minimum: the smallest value accepted (inclusive).
        maximum: the largest value accepted (inclusive); the package's own limits unless narrower.
        real: a real number (:func:`planner.validate.positive_real`) rather than a whole number
            (:func:`planner.validate.count`).
        percent: a fraction written and typed as a percentage (``40%``; ``55%`` and ``0.55`` both mean 0.55).
        allow_blank: an empty box means ``None`` (no value: no price, no inference).
        why: appended to a refusal (why the limit exists).
        options: the allowed values of a choice (``None``: any value within the limits).
        fmt: how a value is written (default: :func:`count_text`, :func:`percent_text` or ``%g``).
    """

    label: str
    minimum: float = 1
    maximum: float = MAX_COUNT
    real: bool = False
    percent: bool = False
    allow_blank: bool = False
    why: str = ""
    options: tuple[float, ...] | None = None
    fmt: Callable[[float], str] | None = None

    def text(self, value: float | None) -> str:
        """``value`` as a text box shows it (``""`` for ``None``).

        Args:
            value: a value of this field, or ``None``.

        Returns:
            The text.
        """
        if value is None:
            return ""
        if self.fmt is not None:
            return self.fmt(value)
        return percent_text(value) if self.percent else f"{value:g}" if self.real else count_text(value)

    def accepts(self) -> str:
        """What this field accepts, in a few words (a refusal's line: ``a whole number from 1 to 10^30``).

        Returns:
            The range (with ``or blank`` where a blank box is allowed); a choice's allowed values are named by
                :meth:`parse`'s refusal instead.
        """
        top = self.maximum
        exp = round(math.log10(top)) if top >= 10**15 else None
        hi = f"10^{exp}" if exp is not None and 10**exp == top else self.text(top)
        kind = "" if self.real else "a whole number "
        return f"{kind}from {self.text(self.minimum)} to {hi}" + (", or blank" if self.allow_blank else "")

    def parse(self, text: object) -> float | None:
        """The value ``text`` (typed text or a number) means for this field.

        Args:
            text: what was typed (``"1.2M"``, ``"40%"``, ``""``) or a number.

        Returns:
            The value: an ``int`` for a whole number, a ``float`` for a real one, ``None`` for a blank box
                where that is allowed.

        Raises:
            InputError: naming :attr:`label`, when the text is not a number within the limits or (a choice)
                not one of :attr:`options` (the message names the nearest ones).
        """
        if self.allow_blank and (text is None or (isinstance(text, str) and not text.strip())):
            return None
        v: float
        if self.real:
            v = validate.positive_real(self.label, text, minimum=self.minimum, inclusive=True, maximum=self.maximum,
                                       percent=self.percent)
        else:
            v = validate.count(self.label, text, minimum=int(self.minimum), maximum=int(self.maximum))
        if self.options is not None and v not in self.options:
            near = " or ".join(self.text(o) for o in nearest(self.options, v))
            raise InputError(self.label, "", detail=f"{self.text(v)} is not one of the allowed "
                                                    f"values ({self.why or 'see the slider'}); nearest: {near}")
        return v
