"""Drawing the workbook's chart off the readout's path, newest state only.

The readout is written in a control's callback; the chart (a tenth of a second or more) is drawn on a
worker thread and handed back to the kernel's event loop. Every state gets a token; a drawing for a
token that is no longer the newest is dropped, never shown. Without a running event loop (plain
Python, tests) every request draws in line.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..verdict.assessment import Assessment

if TYPE_CHECKING:   # plots imports numpy and draws with matplotlib: the worker only needs its type
    from .plots import PlanChart


class ChartWorker:
    """Draws a :class:`~planner.surfaces.plots.PlanChart` for the newest state and hands its PNG to ``show``.

    Args:
        chart: the :class:`~planner.surfaces.plots.PlanChart` to draw.
        show: called with the PNG bytes of the newest state's chart (on the event loop's thread).
        background: draw on a worker thread (default: when an event loop is running); ``False``: always in line.

    Attributes:
        token: the newest state's token (:meth:`new_state`).
        drawn: the token of the chart last shown (-1: none yet).
    """

    def __init__(self, chart: PlanChart, show: Callable[[bytes], object], background: bool | None = None) -> None:
        self.chart, self._show, self._background = chart, show, background
        self.token = 0
        self.drawn = -1
        self._pending: tuple[int, Assessment] | None = None     # (token, assessment) waiting for the worker
        self._cv = threading.Condition()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def new_state(self) -> int:
        """A new state is current: earlier drawings will be dropped.

        Returns:
            Its token.
        """
        self.token += 1
        return self.token

    def request(self, token: int, a: Assessment) -> None:
        """Draw the chart of assessment ``a`` (state ``token``): in the background when an event loop runs.

        Args:
            token: the state's token.
            a: its :class:`~planner.verdict.assessment.Assessment`.
        """
        loop = None
        if self._background is not False:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
        if loop is None:
            self.draw_now(token, a)
            return
        self._loop = loop
        with self._cv:
            self._pending = (token, a)
            self._cv.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="planner-chart", daemon=True)
            self._thread.start()

    def draw_now(self, token: int, a: Assessment) -> None:
        """Draw the chart of ``a`` in line, dropping any drawing still waiting.

        Args:
            token: the state's token.
            a: its :class:`~planner.verdict.assessment.Assessment`.
        """
        with self._cv:
            self._pending = None
        with self._lock:
            png = self.chart.update(a).png()
        self._deliver(token, png)

    def _work(self) -> None:
        while True:
            with self._cv:
                while self._pending is None:
                    self._cv.wait()
                token, a = self._pending
                self._pending = None
            with self._lock:
                if token != self.token:
                    continue  # a newer state arrived while this one waited: never draw it
                png = self.chart.update(a).png()
            assert self._loop is not None   # request() sets it before it starts this thread
            self._loop.call_soon_threadsafe(self._deliver, token, png)

    def _deliver(self, token: int, png: bytes) -> None:
        if token == self.token and token > self.drawn:
            self.drawn = token
            self._show(png)
