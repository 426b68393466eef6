"""The Chinchilla gate: D/N against the severe, launch and compute-optimal lines.

Levels (thresholds are parameters; a value exactly on a threshold passes it):

* ``severe``          r < 5  — the model memorises, it does not generalise;
* ``blocked``         r < 10 — a launch gate refuses unless forced;
* ``below-optimal``   r < 20 — usable, but not compute-optimal;
* ``compute-optimal`` r ≥ 20 — Hoffmann et al. 2022 (far above 20 is a deliberate choice).

``severe`` plans are blocked too. With prior tokens (continued pretraining) the gate
judges the cumulative ratio (prior + new tokens) and reports the new-token ratio beside it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from fractions import Fraction

import numpy as np

from .. import validate
from ..arrays import any_array, floats
from ..training.corpus import CorpusAssessment, assess_corpus
from ..errors import BlockedPlanError, DataRepetitionWarning, InputError, UnderProvisionedWarning
from ..format import fmt_int, fmt_ratio
from ..model.params import PARAM_KINDS

LEVELS = ("severe", "blocked", "below-optimal", "compute-optimal")

LEVEL_TEXT = {
    "severe": "SEVERE: far too few tokens per parameter; the model will memorise, not generalise",
    "blocked": "BLOCKED: below the launch threshold; too few tokens per parameter to train well",
    "below-optimal": "BELOW OPTIMAL: usable, but fewer tokens per parameter than compute-optimal",
    "compute-optimal": "COMPUTE-OPTIMAL: enough tokens per parameter (Chinchilla)",
}


@dataclass(frozen=True)
class Thresholds:
    """Tokens-per-parameter lines: ``severe`` < ``block`` <= ``optimal``."""

    severe: float = 5.0
    block: float = 10.0
    optimal: float = 20.0

    def __post_init__(self):
        for k in ("severe", "block", "optimal"):
            object.__setattr__(self, k, validate.positive_real(f"thresholds.{k}", getattr(self, k)))
        # name the line that is out of order (the block line, unless severe passes optimal)
        if self.severe > self.optimal:
            raise InputError("thresholds.severe", f"<= the optimal line ({self.optimal:g})", self.severe)
        if not self.severe <= self.block <= self.optimal:
            raise InputError("thresholds.block", f"between the severe line ({self.severe:g}) and the optimal "
                             f"line ({self.optimal:g})", self.block)


def ratio(tokens, params):
    """D/N in float64 (vectorised): never overflows, whatever the scale (scalars divided exactly, then rounded)."""
    if any_array(tokens, params):
        d, n = floats(tokens, params)
        return d / n
    return float(Fraction(tokens) / Fraction(params))


def level_code(r, thresholds: Thresholds = Thresholds()):
    """Index into :data:`LEVELS` of ratio ``r`` (vectorised); a value on a line passes it; NaN is severe."""
    t = thresholds
    codes = np.searchsorted(np.array([t.severe, t.block, t.optimal]), r, side="right")
    return np.where(np.isnan(r), 0, codes)


def level(r, thresholds: Thresholds = Thresholds()):
    """The level name of ratio ``r`` (a str, or an array of str for an array)."""
    t = thresholds
    if any_array(r):
        return np.array(LEVELS)[level_code(r, t)]
    # comparisons written so that NaN fails every line: the gate fails closed
    return LEVELS[3] if r >= t.optimal else LEVELS[2] if r >= t.block else LEVELS[1] if r >= t.severe else LEVELS[0]


def is_blocked(r, thresholds: Thresholds = Thresholds()):
    """True where the ratio is below the launch threshold, or NaN (vectorised)."""
    return ~(r >= thresholds.block) if any_array(r) else not r >= thresholds.block


def tokens_to_target(params, target=20.0, prior_tokens=0):
    """New tokens needed so (prior + new) / N reaches ``target``: ceil(target·N) − prior, at least 0.

    Exact for Python scalars: the least count the gate passes (a target written 20.1 means
    20.1, not its binary neighbour); float64 for arrays.
    """
    if any_array(params, target, prior_tokens):
        n, t, prior = floats(params, target, prior_tokens)
        return np.maximum(np.ceil(t * n) - prior, 0.0)
    n = validate.count("params", params)
    prior = validate.count("prior_tokens", prior_tokens, minimum=0)
    return max(math.ceil(_exact(validate.positive_real("target", target)) * n) - prior, 0)


def _exact(line: float) -> Fraction:
    """A threshold as the decimal it was written as: 20.1 means 201/10, not its binary neighbour."""
    return Fraction(repr(float(line)))


def _exact_level(tokens: int, params: int, t: Thresholds) -> str:
    """The level of tokens/params compared exactly (Python ints), so a plan on a line passes it."""
    r = Fraction(tokens, params)
    return (LEVELS[3] if r >= _exact(t.optimal) else LEVELS[2] if r >= _exact(t.block)
            else LEVELS[1] if r >= _exact(t.severe) else LEVELS[0])


def steps_to_target(params, tokens_per_step, target=20.0, prior_tokens=0):
    """Steps needed to reach ``target`` tokens per parameter: ceil(tokens needed / tokens per step).

    Rounding up is the point: the step count floored would stop short of the target.
    """
    need = tokens_to_target(params, target, prior_tokens)
    if any_array(need, tokens_per_step):
        need, tps = floats(need, tokens_per_step)
        return np.ceil(need / tps)
    return -(-need // tokens_per_step)


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict on one plan."""

    params: int
    param_kind: str
    tokens: int
    prior_tokens: int
    ratio: float
    new_ratio: float
    cumulative_ratio: float
    judged: str
    level: str
    blocked: bool
    tokens_per_step: int | None
    steps_to_optimal: int | None
    tokens_to_optimal: int
    thresholds: Thresholds
    forced: bool = False
    corpus: CorpusAssessment | None = None

    @property
    def message(self) -> str:
        t = self.thresholds
        which = f"on {self.param_kind.replace('_', '-')} N = {fmt_int(self.params)}"
        head = (f"{LEVEL_TEXT[self.level]}. D/N = {fmt_ratio(self.ratio)} ({self.judged} tokens, {which}); "
                f"lines: {t.severe:g}× severe, {t.block:g}× launch, {t.optimal:g}× optimal.")
        if self.level == "compute-optimal":
            if self.ratio >= 5 * t.optimal:
                head += (" Far above the optimal line: a deliberate choice for a smaller model that is cheaper at"
                         " inference, not an error.")
            return head
        reach = f"{fmt_int(self.tokens_to_optimal)} {'new ' if self.prior_tokens else ''}tokens"
        if self.steps_to_optimal is not None:
            reach = f"{fmt_int(self.steps_to_optimal)} steps ({reach})"
        return f"{head} Reaching {t.optimal:g}× takes {reach}."

    def to_dict(self) -> dict:
        d = asdict(self)
        d["thresholds"] = asdict(self.thresholds)
        d["corpus"] = None if self.corpus is None else self.corpus.to_dict()
        d["message"] = self.message
        return d


def assess(params, tokens, *, tokens_per_step=None, prior_tokens=0, thresholds: Thresholds | None = None,
           param_kind: str = "total", unique_tokens=None, corpus_name: str | None = None) -> GateResult:
    """Judge a plan of ``params`` parameters trained on ``tokens`` new tokens.

    With ``tokens_per_step`` the result also says how many steps reach the optimal line; with
    ``unique_tokens`` it carries the corpus assessment (epochs, effective data, ceilings).
    """
    t = Thresholds() if thresholds is None else thresholds
    if not isinstance(t, Thresholds):
        raise InputError("thresholds", "a planner.Thresholds", type(t).__name__)
    if param_kind not in PARAM_KINDS:
        raise InputError("param_kind", f"one of {', '.join(PARAM_KINDS)}", param_kind)
    n = validate.count("params", params)
    d = validate.count("tokens", tokens)
    prior = validate.count("prior_tokens", prior_tokens, minimum=0)
    tps = None if tokens_per_step is None else validate.count("tokens_per_step", tokens_per_step)
    new_r, cum_r = ratio(d, n), ratio(prior + d, n)
    judged_r = cum_r if prior else new_r
    lvl = _exact_level(prior + d, n, t)  # exact: the float ratio above is for display
    return GateResult(
        params=n, param_kind=param_kind, tokens=d, prior_tokens=prior, ratio=judged_r, new_ratio=new_r,
        cumulative_ratio=cum_r, judged="cumulative (prior + new)" if prior else "new",
        level=lvl, blocked=lvl in LEVELS[:2],
        tokens_per_step=tps,
        steps_to_optimal=None if tps is None else steps_to_target(n, tps, t.optimal, prior),
        tokens_to_optimal=tokens_to_target(n, t.optimal, prior), thresholds=t,
        corpus=None if unique_tokens is None else assess_corpus(n, d, unique_tokens, corpus_name, warn=False),
    )


def enforce(result: GateResult, *, force: bool = False, stacklevel: int = 2) -> GateResult:
    """Warn below the optimal line; raise :class:`BlockedPlanError` when blocked unless ``force``."""
    if result.blocked and not force:
        raise BlockedPlanError(result)
    if result.level != "compute-optimal":
        warnings.warn(result.message, UnderProvisionedWarning, stacklevel=stacklevel + 1)
    if result.corpus is not None and result.corpus.repeats_too_much:
        warnings.warn(result.corpus.message, DataRepetitionWarning, stacklevel=stacklevel + 1)
    if result.blocked:
        result = GateResult(**{**result.__dict__, "forced": True})
    return result


def check(params, tokens, *, force: bool = False, **kwargs) -> GateResult:
    """:func:`assess` then :func:`enforce`: the call a launch script makes."""
    return enforce(assess(params, tokens, **kwargs), force=force, stacklevel=3)
