"""Numeric controls for the workbook: a slider to move with, a text box to type into.

A :class:`NumberControl` holds one value (``control.value``, observable like any trait). The slider
moves it in steps; the text box shows it the way a person writes it (``1,206,135``, ``1.24B``,
``40%``) and accepts what a person types: thousands separators, suffixes (k, M, B, T),
scientific notation and, for fractions, percentages. Typed text is read by
:mod:`planner.validate` (the same parser as the command line and plan files) and applied on
Enter, Tab or leaving the box. A value the control cannot take is refused visibly: the box
goes back to the value in use and a red line under it says what was typed and what is
accepted. Nothing is clamped silently.

Kinds of slider:

* ``"linear"``: an ``IntSlider`` (architecture dimensions); ``"float"``: a ``FloatSlider`` (MFU);
* ``"log"``: a ``FloatLogSlider`` over whole numbers (steps, tokens, GPUs); a typed value above
  the slider's end, within the control's limits, extends the slider to reach it;
* ``"choice"``: a ``SelectionSlider`` over allowed values (heads from the divisors of the
  hidden size); a typed value outside them is refused with the nearest allowed ones;
* ``"none"``: the text box alone (price per GPU-hour, whose range is the package's own).
"""

from __future__ import annotations

import bisect
import html
import math

import ipywidgets as W
import traitlets

from .. import validate
from ..errors import InputError
from ..format import fmt_int, fmt_si

LABEL_WIDTH = "118px"
SLIDER_WIDTH = "170px"
BOX_WIDTH = "112px"


def count_text(n) -> str:
    """A whole number as the text box shows it: ``1.24B`` when that is exact, else ``1,206,135``."""
    n = int(n)
    if abs(n) >= 10**6:
        short = fmt_si(n)
        try:
            if validate.count("value", short, minimum=0) == n:
                return short
        except InputError:
            pass
    return fmt_int(n)


def nearest(options, value, k: int = 2) -> list:
    """The ``k`` allowed values closest to ``value`` (for a refusal message)."""
    opts = sorted(options)
    i = bisect.bisect_left(opts, value)
    near = opts[max(0, i - 1):i + 1] or opts[-1:]
    return sorted(near, key=lambda o: (abs(o - value), o))[:k] if k < len(near) else near


class NumberControl(W.HBox):
    """A labelled slider with a text box; ``value`` is the number in use.

    Parameters
    ----------
    label : str
        What the person sees, also the field name in messages (``"steps"``).
    value : int or float
        The starting value.
    kind : {"linear", "log", "choice", "none"}
        The slider (see the module docstring).
    minimum, maximum : number
        The control's limits: typed values outside them are refused. For counts they are the
        package's own limits unless a control needs narrower ones.
    slider_min, slider_max : number, optional
        The slider's range (linear: the values; log: the values, rounded out to powers of
        ``base``); defaults to the limits.
    step : number
        Linear slider step, or the log slider's step in powers of ``base``.
    base : float
        The log slider's base.
    options : list, optional
        The allowed values of a ``"choice"`` control.
    real : bool
        A real number (``validate.positive_real``) rather than a whole number (``validate.count``).
    percent : bool
        A fraction shown and typed as a percentage (``40%``; ``55%`` and ``0.55`` both mean 0.55).
    allow_blank : bool
        An empty box means ``None`` (no value: e.g. no price, no cost).
    fmt : callable, optional
        How the box writes the value (default: :func:`count_text` or ``%g``).
    why : str
        Appended to a refusal for values outside the limits (why the limit exists).
    """

    value = traitlets.Any(allow_none=True)

    def __init__(self, label: str, value, *, kind: str = "linear", minimum=1, maximum=validate.MAX_COUNT,
                 slider_min=None, slider_max=None, step=1, base: float = 10.0, options=None, real: bool = False,
                 percent: bool = False, allow_blank: bool = False, fmt=None, why: str = "", name: str | None = None):
        self.label, self.kind, self.minimum, self.maximum = label, kind, minimum, maximum
        self.real, self.percent, self.allow_blank, self.why, self.base = real, percent, allow_blank, why, base
        self._fmt = fmt or (self._percent_text if percent else (lambda v: f"{v:g}") if real else count_text)
        self._syncing = False
        self.message = W.HTML(layout=W.Layout(display="none", margin="0 0 2px " + LABEL_WIDTH))
        self.message.add_class("planner-message")
        self.box = W.Text(continuous_update=False, layout=W.Layout(width=BOX_WIDTH))
        self.box.add_class("planner-box")
        s = dict(description=label, readout=False, continuous_update=False,
                 style={"description_width": LABEL_WIDTH}, layout=W.Layout(width=f"calc({LABEL_WIDTH} + {SLIDER_WIDTH})"))
        lo = minimum if slider_min is None else slider_min
        hi = maximum if slider_max is None else slider_max
        if kind == "linear":
            self.slider = W.IntSlider(value=int(min(max(value, lo), hi)), min=lo, max=hi, step=step, **s)
        elif kind == "float":
            self.slider = W.FloatSlider(value=min(max(value, lo), hi), min=lo, max=hi, step=step, **s)
        elif kind == "log":
            emin = math.floor(math.log(max(lo, 1), base))
            emax = math.ceil(math.log(hi, base))
            self.slider = W.FloatLogSlider(value=min(max(value or base ** emin, base ** emin), base ** emax), base=base,
                                           min=emin, max=emax, step=step, **s)
        elif kind == "choice":
            opts = list(options)
            self.slider = W.SelectionSlider(options=opts, value=value if value in opts else opts[0], **s)
        elif kind == "none":
            self.slider = W.Label(label, layout=W.Layout(width=f"calc({LABEL_WIDTH} + {SLIDER_WIDTH})"))
        else:
            raise ValueError(f"kind must be linear, float, log, choice or none, got {kind!r}")
        name = name or label.replace(" ", "-").replace("$", "").strip("-")
        super().__init__([self.slider, self.box], layout=W.Layout(align_items="center"))
        self.add_class("planner-control")
        self.add_class(f"planner-ctl-{name}")
        self.value = value
        self._show(value)
        if kind != "none":
            self.slider.observe(self._on_slider, "value")
        self.box.observe(self._on_box, "value")
        self.observe(self._on_value, "value")

    # -- what the person sees ----------------------------------------------------------------------
    @staticmethod
    def _percent_text(v) -> str:
        return f"{v * 100:.3g}%"

    def text(self, value=None) -> str:
        """The box's text for ``value`` (default: the value in use)."""
        value = self.value if value is None else value
        return "" if value is None else self._fmt(value)

    def widgets(self) -> W.VBox:
        """The control with its message line underneath (what a layout places)."""
        return W.VBox([self, self.message], layout=W.Layout(margin="0"))

    @property
    def disabled(self) -> bool:
        return self.box.disabled

    @disabled.setter
    def disabled(self, flag: bool) -> None:
        self.box.disabled = flag
        if self.kind != "none":
            self.slider.disabled = flag

    def set_options(self, options, value) -> None:
        """New allowed values for a ``"choice"`` control, and the value among them."""
        self._syncing = True
        try:
            self.slider.options = list(options)
            self.slider.value = value
        finally:
            self._syncing = False
        self.value = value

    @property
    def options(self):
        return tuple(self.slider.options) if self.kind == "choice" else None

    def refuse(self, typed: str, reason: str) -> None:
        """Show a refusal under the control and put the value in use back in the box."""
        self.message.value = (f"<span style='color:#b71c1c;font-size:12px'>{html.escape(reason)} "
                              f"— kept {html.escape(self.text())}</span>")
        self.message.layout.display = None
        self._show(self.value)

    def clear_message(self) -> None:
        if self.message.layout.display != "none":
            self.message.value = ""
            self.message.layout.display = "none"

    # -- reading typed text --------------------------------------------------------------------------
    def parse(self, text):
        """The value ``text`` (typed text or a number) means for this control.

        Raises :class:`InputError` naming the control's label when there is none.
        """
        if self.allow_blank and (text is None or (isinstance(text, str) and not text.strip())):
            return None
        if self.real:
            v = validate.positive_real(self.label, text, minimum=self.minimum, inclusive=True, maximum=self.maximum,
                                       percent=self.percent)
        else:
            v = validate.count(self.label, text, minimum=self.minimum, maximum=self.maximum)
        if self.kind == "choice" and v not in self.slider.options:
            near = " or ".join(self._fmt(o) for o in nearest(self.slider.options, v))
            raise InputError(self.label, "", detail=f"{self._fmt(v)} is not one of the allowed "
                                                    f"values ({self.why or 'see the slider'}); nearest: {near}")
        return v

    @traitlets.validate("value")
    def _valid_value(self, proposal):
        """A value set from code passes the same check as a typed one: an :class:`InputError` naming the control
        (``steps: must be a whole number ...``), and the value in use is kept."""
        v = proposal["value"]
        if isinstance(v, bool) or not (v is None or isinstance(v, (int, float)) or hasattr(v, "dtype")):
            raise InputError(self.label, "a number", v)
        return self.parse(v)

    # -- callbacks -----------------------------------------------------------------------------------
    def _on_box(self, change):
        if self._syncing:
            return
        typed = change["new"]
        if typed == self.text():
            return
        try:
            v = self.parse(typed)
        except InputError as e:
            msg = str(e)
            if self.why and "allowed values" not in msg:
                msg += f" ({self.why})"
            self.refuse(typed, msg)
            return
        self.clear_message()
        if v == self.value:
            self._show(v)  # re-typed the same number another way: show it the usual way
        else:
            self.value = v

    def _on_slider(self, change):
        if self._syncing:
            return
        v = change["new"]
        if self.kind == "log":
            v = int(round(v))
        if v == self.value:
            return
        self.clear_message()
        self.value = v

    def _on_value(self, change):
        self.clear_message()
        self._show(change["new"])

    def _show(self, v) -> None:
        """Move the slider and the box to ``v`` without feeding back."""
        self._syncing = True
        try:
            t = self.text(v)
            if self.box.value != t:
                self.box.value = t
            if v is None or self.kind == "none":
                return
            if self.kind == "log":
                if v > 0:
                    top = self.slider.base ** self.slider.max
                    if v > top:  # a typed value past the end: the slider grows to reach it
                        self.slider.max = math.ceil(math.log(v, self.slider.base))
                    pos = max(v, self.slider.base ** self.slider.min)
                else:
                    pos = self.slider.base ** self.slider.min
                if abs(self.slider.value - pos) > 1e-9 * pos:
                    self.slider.value = pos
            elif self.kind in ("linear", "float"):
                if v > self.slider.max:
                    self.slider.max = v
                if v < self.slider.min:
                    self.slider.min = v
                if self.slider.value != v:
                    self.slider.value = v
            elif self.kind == "choice" and v in self.slider.options and self.slider.value != v:
                self.slider.value = v
        finally:
            self._syncing = False
