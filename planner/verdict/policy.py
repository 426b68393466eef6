"""The one verdict policy: what a plan's assessment means for a launch, in one place.

Every surface — ``planner check`` and ``planner report`` (text, JSON, exit code), the workbook's banner,
the review's card — shows the :class:`Verdict` that :func:`verdict` builds, so they cannot disagree on
the level, on whether the plan is blocked, on which notices it carries, or on the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..format import fmt_ratio

#: The verdict in one phrase per level (the banner, the card, the review title).
PHRASES = {
    "severe": "SEVERE — blocked",
    "blocked": "BLOCKED",
    "below-optimal": "BELOW OPTIMAL — may launch",
    "compute-optimal": "COMPUTE-OPTIMAL",
}

#: Kinds of notice a verdict can carry, in the order surfaces list them.
NOTICE_KINDS = ("gate", "repetition", "unreachable", "memory")

EXIT_LAUNCH, EXIT_BLOCKED = 0, 1


@dataclass(frozen=True)
class Notice:
    """One thing a reviewer must read: ``kind`` from :data:`NOTICE_KINDS` and the text."""

    kind: str
    text: str


@dataclass(frozen=True)
class Verdict:
    """The launch decision on one plan.

    ``level`` and ``blocked`` come from the gate; ``judged`` says which ratio was judged (``raw`` tokens, or
    ``effective`` tokens after repetition); ``headline`` is the verdict in one phrase; ``notices`` are the
    warnings every surface shows; ``fits`` is the memory verdict (None when not assessed).
    """

    level: str
    blocked: bool
    ratio: float
    raw_ratio: float
    judged: str
    headline: str
    notices: tuple[Notice, ...]
    fits: bool | None = None

    def exit_code(self, *, force: bool = False, require_fit: bool = False) -> int:
        """0 the plan may launch, 1 blocked (unless ``force``) or, with ``require_fit``, does not fit."""
        if self.blocked and not force:
            return EXIT_BLOCKED
        if require_fit and self.fits is False:
            return EXIT_BLOCKED
        return EXIT_LAUNCH

    def to_dict(self) -> dict:
        return {"level": self.level, "blocked": self.blocked, "ratio": self.ratio, "raw_ratio": self.raw_ratio,
                "judged": self.judged, "headline": self.headline, "fits": self.fits,
                "notices": [{"kind": n.kind, "text": n.text} for n in self.notices]}


def verdict(gate, *, memory=None) -> Verdict:
    """The verdict on a plan from its gate result (and, when known, its optimal alternative and memory fit).

    Args:
        gate: a :class:`~planner.verdict.gate.GateResult`.
        memory: a memory estimate with ``fits`` (bool or None) and ``message``, or None.

    Returns:
        A :class:`Verdict`.
    """
    t = gate.thresholds
    lines = (t.severe, t.block, t.optimal)
    judged = "effective" if gate.on_effective else "raw"
    shown = f"D'/N {fmt_ratio(gate.ratio, lines)} on effective tokens" if gate.on_effective \
        else f"D/N {fmt_ratio(gate.ratio, lines)}"
    headline = f"{PHRASES[gate.level]}: {shown}"
    notices = []
    if gate.level != "compute-optimal":
        notices.append(Notice("gate", gate.message))
    c = gate.corpus
    if c is not None and c.repeats_too_much:
        notices.append(Notice("repetition", c.message))
    if c is not None and not gate.optimal_reachable:
        notices.append(Notice("unreachable", f"Corpus {c.name}: repetition caps effective data at "
                                             f"{fmt_ratio(c.max_effective_ratio)}× N; a smaller model or a wider "
                                             f"corpus is needed to reach {t.optimal:g}×."))
    fits = None
    if memory is not None:
        fits = memory.fits
        if fits is False:
            notices.append(Notice("memory", memory.message))
    return Verdict(level=gate.level, blocked=gate.blocked, ratio=gate.ratio, raw_ratio=gate.raw_ratio,
                   judged=judged, headline=headline, notices=tuple(notices), fits=fits)
