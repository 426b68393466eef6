"""The one verdict policy: what a plan's assessment means for a launch, in one place.

Every surface — ``planner check`` and ``planner report`` (text, JSON, exit code), the workbook's banner,
the review's card — shows the :class:`Verdict` that :func:`verdict` builds, so they cannot disagree on
the level, on whether the plan is blocked, on which notices it carries, or on the exit code.

The verdict is over the whole plan:

* **tokens per parameter** — the gate's level (D/N, or D′/N on effective tokens when the plan repeats its
  corpus; past 16 epochs never compute-optimal);
* **memory** — when the plan states a layout, a plan the estimate says does not fit is blocked (exit 1) with
  the smallest fix in its headline, unless forced (``planner check/report --force-no-fit``); a fit the
  estimate cannot decide is a notice;
* **repetition** — past 4 epochs a notice, past 16 the headline names it and what would fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..format import fmt_gib, fmt_int, fmt_ratio, fmt_si
from ..training.memory import MemoryEstimate
from .gate import LEVEL_NAMES, LEVEL_TEXT, GateResult

#: The verdict in one phrase per level (the banner, the card, the review title).
PHRASES = {
    "severe": f"{LEVEL_NAMES['severe']} — blocked",
    "blocked": LEVEL_NAMES["blocked"],
    "below-optimal": f"{LEVEL_NAMES['below-optimal']} — may launch",
    "compute-optimal": LEVEL_NAMES["compute-optimal"],
}
#: The phrase of a plan that does not fit in GPU memory (whatever its D/N).
NO_FIT_PHRASE = "DOES NOT FIT — blocked"

#: What a surface colours by: the gate's levels, and ``does-not-fit``.
STATUSES = ("severe", "blocked", "below-optimal", "compute-optimal", "does-not-fit")

#: Kinds of notice a verdict can carry, in the order surfaces list them.
NOTICE_KINDS = ("memory", "gate", "repetition", "unreachable")

#: The exit codes of a verdict: 0 may launch, 1 blocked (the command line adds 2 for bad input).
EXIT_LAUNCH, EXIT_BLOCKED = 0, 1


@dataclass(frozen=True)
class Notice:
    """One thing a reviewer must read.

    Attributes:
        kind: one of :data:`NOTICE_KINDS`.
        text: the notice in words.
    """

    kind: str
    text: str


@dataclass(frozen=True)
class Verdict:
    """The launch decision on one plan.

    Attributes:
        level: the gate's level (tokens per parameter), from :data:`~planner.verdict.gate.LEVELS`.
        status: what surfaces colour by: ``level``, or ``does-not-fit`` when memory blocks the plan.
        blocked: True when the gate blocks the plan (below the launch line) or it does not fit in memory.
        gate_blocked: the gate blocks it (below the launch line).
        memory_blocked: the memory estimate blocks it (it does not fit).
        ratio: the judged ratio.
        raw_ratio: the raw ratio (repeated tokens counted as fresh).
        judged: which ratio was judged (``raw``, ``effective``).
        headline: the verdict in one phrase (level, judged ratio, and the memory or repetition problem).
        explanation: what the headline means, in a few words (the banner and the card print it beside it).
        notices: the warnings every surface shows.
        fits: the memory verdict (True, False, or None when unknown or not assessed).
        steps_to_optimal: the one "steps to the line" (None without a batch layout or when unreachable).
    """

    level: str
    status: str
    blocked: bool
    gate_blocked: bool
    memory_blocked: bool
    ratio: float
    raw_ratio: float
    judged: str
    headline: str
    explanation: str
    notices: tuple[Notice, ...]
    fits: bool | None = None
    steps_to_optimal: int | None = None

    def exit_code(self, *, force: bool = False, force_no_fit: bool = False) -> int:
        """The launch script's exit code.

        Args:
            force: launch even when the gate blocks (``--force-under-provisioned``).
            force_no_fit: launch even when the memory estimate says it does not fit (``--force-no-fit``).

        Returns:
            0 the plan may launch, 1 it is blocked (by the gate unless ``force``, by memory unless
                ``force_no_fit``).
        """
        if self.gate_blocked and not force:
            return EXIT_BLOCKED
        if self.memory_blocked and not force_no_fit:
            return EXIT_BLOCKED
        return EXIT_LAUNCH

    def to_dict(self) -> dict[str, Any]:
        """The verdict as plain data (JSON-ready).

        Returns:
            A dict of every field, notices as ``{"kind", "text"}`` dicts.
        """
        return {"level": self.level, "status": self.status, "blocked": self.blocked,
                "gate_blocked": self.gate_blocked, "memory_blocked": self.memory_blocked, "ratio": self.ratio,
                "raw_ratio": self.raw_ratio, "judged": self.judged, "headline": self.headline,
                "explanation": self.explanation,
                "fits": self.fits,
                "steps_to_optimal": self.steps_to_optimal,
                "notices": [{"kind": n.kind, "text": n.text} for n in self.notices]}


def _memory_headline(memory: MemoryEstimate) -> str:
    assert memory.capacity is not None   # a plan is blocked on memory only against a capacity
    fix = ("no change of recompute, ZeRO stage or TP degree fits" if memory.fix is None
           else f"fix: {memory.fix.words} ({fmt_gib(memory.fix.estimate.total)} per GPU)")
    return f"{fmt_gib(memory.total)} per GPU against {fmt_gib(memory.capacity)}; {fix}"


def verdict(gate: GateResult, *, memory: MemoryEstimate | None = None) -> Verdict:
    """The verdict on a plan from its gate result and, when the plan has a layout, its memory estimate.

    Args:
        gate: a :class:`~planner.verdict.gate.GateResult`.
        memory: a :class:`~planner.training.memory.MemoryEstimate` (with ``fits`` and ``message``), or None
            when the plan states no layout.

    Returns:
        A ``Verdict``.
    """
    t = gate.thresholds
    lines = (t.severe, t.block, t.optimal)
    judged = "effective" if gate.on_effective else "raw"
    shown = f"D'/N {fmt_ratio(gate.ratio, lines)} on effective tokens" if gate.on_effective \
        else f"D/N {fmt_ratio(gate.ratio, lines)}"
    c = gate.corpus
    fits = None if memory is None else memory.fits
    memory_blocked = fits is False
    notices = []
    if memory is not None and fits is not True:
        notices.append(Notice("memory", memory.message))
    if gate.level != "compute-optimal":
        notices.append(Notice("gate", gate.message))
    if c is not None and c.repeats_too_much:
        notices.append(Notice("repetition", c.message))
    if c is not None and not gate.optimal_reachable:
        assert gate.corpus_needed is not None   # the gate sizes the corpus whenever the line is unreachable
        notices.append(Notice("unreachable", f"Corpus {c.name}: within 16 epochs repetition caps effective data at "
                                             f"{fmt_ratio(c.ceiling_16_epochs)}× N; {t.optimal:g}× needs "
                                             f"{fmt_si(gate.corpus_needed)} unique tokens, or a smaller model."))
    explanation = LEVEL_TEXT[gate.level].split(": ", 1)[1]
    if memory_blocked:
        assert memory is not None   # fits is False only with an estimate
        explanation = "the plan does not fit in GPU memory with this layout"
        headline = f"{NO_FIT_PHRASE}: {_memory_headline(memory)} · {shown} ({gate.level})"
    elif gate.repetition_capped:
        assert c is not None   # capped for repeating a known corpus
        if gate.steps_to_optimal is not None and gate.tokens_to_optimal is not None:   # the gate sets both or neither
            fix = (f"fix: {fmt_int(gate.steps_to_optimal)} steps ({gate.tokens_to_optimal / c.unique_tokens:.3g} "
                   f"epochs) reach {t.optimal:g}×")
        else:
            fix = f"fix: a corpus of {fmt_si(gate.tokens / 16)} unique tokens"
        explanation = "past 16 epochs most of the repeated data is wasted"
        headline = f"{PHRASES[gate.level]}: {c.epochs:,.0f} epochs of repetition, {shown}; {fix}"
    else:
        headline = f"{PHRASES[gate.level]}: {shown}"
    return Verdict(level=gate.level, status="does-not-fit" if memory_blocked else gate.level,
                   blocked=gate.blocked or memory_blocked, gate_blocked=gate.blocked, memory_blocked=memory_blocked,
                   ratio=gate.ratio, raw_ratio=gate.raw_ratio, judged=judged, headline=headline,
                   explanation=explanation, notices=tuple(notices), fits=fits, steps_to_optimal=gate.steps_to_optimal)
