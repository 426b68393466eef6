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

A slider can be aimed: with a ``window`` of *k*, its track covers only *k* steps either side of the value in
use (``steps``: half a decade either side, 2.3 % a step), and it re-centres on the new value after each move
(a drag, an arrow key, a typed value). One pixel is then a small change of a known size, however wide the
range the control accepts; to go further, move again (or type).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W
import traitlets

from ..errors import InputError
from .fields import NumberField

LABEL_WIDTH = "118px"
SLIDER_WIDTH = "170px"
BOX_WIDTH = "96px"


class NumberControl(W.HBox):
    """A labelled slider with a text box over one :class:`~planner.surfaces.fields.NumberField`.

    ``value`` is the number in use (observable like any trait). What the control accepts and how it writes a
    value are the field's (:meth:`NumberField.parse`, :meth:`NumberField.text`); the control only shows them.

    Args:
        field: the number this control sets (its label, limits and allowed values).
        value: the starting value.
        kind: the slider: ``"linear"``, ``"float"``, ``"log"``, ``"choice"`` or ``"none"`` (see the module
            docstring).
        slider_min: the slider's low end (linear: a value; log: a value rounded out to a power of ``base``);
            defaults to the field's minimum.
        slider_max: the slider's high end; defaults to the field's maximum.
        step: the linear slider's step, or the log slider's step in powers of ``base``.
        base: the log slider's base.
        name: the CSS class suffix (``planner-ctl-NAME``); default: the label with dashes.
        window: slider steps either side of the value in use that the track covers (re-centred after each
            move); ``None``: the whole range from ``slider_min`` to ``slider_max``.

    Raises:
        ValueError: an unknown ``kind``.
        InputError: a starting value the field refuses.
    """

    value = traitlets.Any(allow_none=True)

    # Any: ipywidgets and traitlets ship no types (the widgets, a trait's change and proposal)
    def __init__(self, field: NumberField, value: float | None, *, kind: str = "linear",
                 slider_min: float | None = None, slider_max: float | None = None, step: float = 1,
                 base: float = 10.0, name: str | None = None, window: int | None = None) -> None:
        self.field, self.kind, self.base, self.window = field, kind, base, window
        label = field.label
        self._syncing = False
        self.message = W.HTML(layout=W.Layout(display="none", margin="0 0 2px " + LABEL_WIDTH))
        self.message.add_class("planner-message")
        self.box = W.Text(continuous_update=False, layout=W.Layout(width=BOX_WIDTH))
        self.box.add_class("planner-box")
        s: dict[str, Any] = dict(description=label, readout=False, continuous_update=False,
                                 style={"description_width": LABEL_WIDTH},
                                 layout=W.Layout(width=f"calc({LABEL_WIDTH} + {SLIDER_WIDTH})"))
        lo = field.minimum if slider_min is None else slider_min
        hi = field.maximum if slider_max is None else slider_max
        self.ends = (lo, hi)   # how far the slider reaches (a window re-centres within them)
        if kind == "linear":
            assert value is not None, "only a log or box-only control starts blank"
            self.slider = W.IntSlider(value=int(min(max(value, lo), hi)), min=lo, max=hi, step=step, **s)
        elif kind == "float":
            assert value is not None, "only a log or box-only control starts blank"
            self.slider = W.FloatSlider(value=min(max(value, lo), hi), min=lo, max=hi, step=step, **s)
        elif kind == "log":
            emin = math.floor(math.log(max(lo, 1), base))
            emax = math.ceil(math.log(hi, base))
            self.slider = W.FloatLogSlider(value=min(max(value or base ** emin, base ** emin), base ** emax), base=base,
                                           min=emin, max=emax, step=step, **s)
        elif kind == "choice":
            assert field.options is not None, "a choice control needs the field's options"
            opts = list(field.options)
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

    # -- the field's ----------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """The field's label (also the name its messages use)."""
        return self.field.label

    @property
    def minimum(self) -> float:
        """The field's smallest accepted value."""
        return self.field.minimum

    @property
    def maximum(self) -> float:
        """The field's largest accepted value."""
        return self.field.maximum

    @property
    def why(self) -> str:
        """Why the field's limits are what they are (appended to refusals)."""
        return self.field.why

    # -- what the person sees ----------------------------------------------------------------------
    def text(self, value: float | None = None) -> str:
        """The box's text for a value.

        Args:
            value: a value (default: the value in use).

        Returns:
            The text (:meth:`NumberField.text`).
        """
        return self.field.text(self.value if value is None else value)

    def widgets(self) -> Any:
        """The control with its message line underneath (what a layout places).

        Returns:
            An ``ipywidgets.VBox``.
        """
        return W.VBox([self, self.message], layout=W.Layout(margin="0"))

    @property
    def disabled(self) -> bool:
        """Whether the control is greyed out (it still shows its value)."""
        return bool(self.box.disabled)

    @disabled.setter
    def disabled(self, flag: bool) -> None:
        self.box.disabled = flag
        if self.kind != "none":
            self.slider.disabled = flag

    def set_options(self, options: Sequence[float], value: float) -> None:
        """New allowed values for a ``"choice"`` control (the field's and the slider's), and the value among them.

        Args:
            options: the allowed values, ascending.
            value: the value in use, one of ``options``.

        Raises:
            InputError: ``value`` is not one of ``options``.
        """
        self.field.options = tuple(options)
        self._syncing = True
        try:
            self.slider.options = list(options)
            self.slider.value = value
        finally:
            self._syncing = False
        self.value = value

    @property
    def options(self) -> tuple[float, ...] | None:
        """The allowed values of a ``"choice"`` control (``None`` for the other kinds)."""
        return tuple(self.slider.options) if self.kind == "choice" else None

    def refuse(self, typed: str, reason: str) -> None:
        """Show a refusal under the control and put the value in use back in the box.

        Args:
            typed: the refused text.
            reason: the message (the :class:`InputError`'s text).
        """
        self.message.value = (f"<span style='color:#b71c1c;font-size:12px'>{html.escape(reason)} "
                              f"— kept {html.escape(self.text())}</span>")
        self.message.layout.display = None
        self._show(self.value)

    def clear_message(self) -> None:
        """Hide the refusal line (if one is shown)."""
        if self.message.layout.display != "none":
            self.message.value = ""
            self.message.layout.display = "none"

    # -- reading typed text --------------------------------------------------------------------------
    def parse(self, text: object) -> float | None:
        """The value ``text`` (typed text or a number) means for this control (:meth:`NumberField.parse`).

        Args:
            text: what was typed, or a number.

        Returns:
            The value.

        Raises:
            InputError: naming the control's label, when the field refuses ``text``.
        """
        return self.field.parse(text)

    @traitlets.validate("value")
    def _valid_value(self, proposal: Mapping[str, Any]) -> float | None:
        """A value set from code passes the same check as a typed one: an :class:`InputError` naming the control
        (``steps: must be a whole number ...``), and the value in use is kept."""
        v = proposal["value"]
        if isinstance(v, bool) or not (v is None or isinstance(v, (int, float)) or hasattr(v, "dtype")):
            raise InputError(self.label, "a number", v)
        return self.parse(v)

    # -- callbacks -----------------------------------------------------------------------------------
    def _on_box(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        typed = change["new"]
        if typed == self.text():
            return
        try:
            v = self.parse(typed)
        except InputError as e:
            # one short line: a choice names its nearest allowed values, a range says what it accepts
            why = str(e) if self.field.options is not None else f"{self.label}: {typed.strip()} refused — " \
                f"{self.field.accepts()}"
            self.refuse(typed, why)
            return
        self.clear_message()
        if v == self.value:
            self._show(v)  # re-typed the same number another way: show it the usual way
        else:
            self.value = v

    def _on_slider(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        v = change["new"]
        if self.kind == "log":
            v = int(round(v))
        if v == self.value:
            return
        self.clear_message()
        self.value = v

    def _on_value(self, change: Mapping[str, Any]) -> None:
        self.clear_message()
        self._show(change["new"])

    def _show(self, v: float | None) -> None:
        """Move the slider and the box to ``v`` without feeding back."""
        self._syncing = True
        try:
            t = self.text(v)
            if self.box.value != t:
                self.box.value = t
            if v is None or self.kind == "none":
                return
            if self.window is not None and self.kind in ("log", "linear") and v > 0:
                self._centre(v)
            elif self.kind == "log":
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

    def set_step(self, step: float) -> None:
        """A new step for a linear slider (the hidden size moves by one head width); the window follows.

        Args:
            step: the step, a positive whole number.
        """
        if self.kind != "linear" or self.slider.step == step:
            return
        self._syncing = True
        try:
            self.slider.step = step
            if self.window is not None and self.value:
                self._centre(self.value)
        finally:
            self._syncing = False

    def _centre(self, v: float) -> None:
        """Put the slider's window around ``v``: ``window`` steps either side, within :attr:`ends`, with ``v``
        itself on a step (called with feedback off)."""
        lo, hi = self.ends
        s, k = self.slider, self.window
        assert k is not None
        with s.hold_sync():
            if self.kind == "log":
                e, step = math.log(v, s.base), s.step
                below = min(k, max(0, math.floor((e - math.log(max(lo, 1), s.base)) / step + 1e-9)))
                above = min(k, max(0, math.floor((math.log(max(hi, v), s.base) - e) / step + 1e-9)))
                new_min = e - below * step   # the top a hair high: base ** max never rounds below the value
                new_max = e + max(above, 1 if below == 0 else 0) * step + 1e-12
                if new_min > s.max:   # widen first, so the value never falls outside while moving
                    s.max = new_max
                    s.min = new_min
                else:
                    s.min = new_min
                    s.max = new_max
                s.value = v
            else:
                step = s.step
                below = min(k, max(0, int((v - lo) // step)))
                above = min(k, max(0, int((max(hi, v) - v) // step)))
                new_min, new_max = int(v - below * step), int(v + max(above, 1 if below == 0 else 0) * step)
                if new_min > s.max:
                    s.max = new_max
                    s.min = new_min
                else:
                    s.min = new_min
                    s.max = new_max
                s.value = int(v)
