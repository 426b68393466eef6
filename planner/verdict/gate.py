"""The Chinchilla gate: D/N against the severe, launch and compute-optimal lines.

Levels (thresholds are parameters; a value exactly on a threshold passes it):

* ``severe``          r < 5  — the model memorises, it does not generalise;
* ``blocked``         r < 10 — a launch gate refuses unless forced;
* ``below-optimal``   r < 20 — usable, but not compute-optimal;
* ``compute-optimal`` r ≥ 20 — Hoffmann et al. 2022 (far above 20 is a deliberate choice).

``severe`` plans are blocked too. With prior tokens (continued pretraining) the gate
judges the cumulative ratio (prior + new tokens) and reports the new-token ratio beside it.
With a corpus, a plan that repeats it is judged on effective tokens (repeated epochs are
worth less than fresh ones), and the raw ratio is reported beside the judged one.

:func:`level_code` is the one rule that turns tokens and parameters into a level; every
function here, :func:`planner.sweep` and every surface call it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, cast, overload

import numpy as np
import numpy.typing as npt

from .. import limits, validate
from ..arrays import any_array, like
from ..errors import BlockedPlanError, DataRepetitionWarning, InputError, UnderProvisionedWarning
from ..format import fmt_int, fmt_ratio, fmt_si
from ..lines import LAUNCH_LINE, OPTIMAL_LINE, SEVERE_LINE
from ..model.params import PARAM_KINDS
from ..training.budget import steps_for_tokens
from ..training.corpus import (
    WASTED_EPOCHS,
    CorpusAssessment,
    assess_corpus,
    effective_tokens,
    judged_tokens_cap,
    repetition,
    tokens_for_effective,
)

# Arguments typed Any are user input before validation (validate.* checks and converts them).

#: A number, or an array of them (a numpy array; a pandas Series, which mypy sees as Any): what the vectorised
#: functions here take and give. (Local until planner/arrays.py has a shared alias.)
Numbers = float | npt.NDArray[Any]

LEVELS = ("severe", "blocked", "below-optimal", "compute-optimal")

#: Each level's name as every surface writes it.
LEVEL_NAMES = {"severe": "SEVERE", "blocked": "BLOCKED", "below-optimal": "BELOW OPTIMAL",
               "compute-optimal": "COMPUTE-OPTIMAL"}
#: Each level's name with what it means.
LEVEL_TEXT = {
    "severe": f"{LEVEL_NAMES['severe']}: far too few tokens per parameter; the model will memorise, not generalise",
    "blocked": f"{LEVEL_NAMES['blocked']}: below the launch threshold; too few tokens per parameter to train well",
    "below-optimal": f"{LEVEL_NAMES['below-optimal']}: usable, but fewer tokens per parameter than compute-optimal",
    "compute-optimal": f"{LEVEL_NAMES['compute-optimal']}: enough tokens per parameter (Chinchilla)",
}


@dataclass(frozen=True)
class Thresholds:
    """Tokens-per-parameter lines: ``severe`` ≤ ``block`` ≤ ``optimal``.

    Attributes:
        severe: Below it a plan is ``severe`` (default 5, :data:`~planner.lines.SEVERE_LINE`).
        block: Below it a plan is ``blocked`` (default 10, :data:`~planner.lines.LAUNCH_LINE`).
        optimal: At or above it a plan is ``compute-optimal`` (default 20, :data:`~planner.lines.OPTIMAL_LINE`).

    Raises:
        InputError: A line is not a finite number > 0 and at most 10^30 (``thresholds.severe`` ...),
            ``severe`` is above ``optimal``, or ``block`` is not between them.

    Examples:
        >>> Thresholds(block=8).block
        8.0
    """

    severe: float = SEVERE_LINE
    block: float = LAUNCH_LINE
    optimal: float = OPTIMAL_LINE

    def __post_init__(self) -> None:
        for k in ("severe", "block", "optimal"):
            object.__setattr__(self, k, validate.positive_real(f"thresholds.{k}", getattr(self, k)))
        # name the line that is out of order (the block line, unless severe passes optimal)
        if self.severe > self.optimal:
            raise InputError("thresholds.severe", f"<= the optimal line ({self.optimal:g})", self.severe)
        if not self.severe <= self.block <= self.optimal:
            raise InputError("thresholds.block", f"between the severe line ({self.severe:g}) and the optimal "
                             f"line ({self.optimal:g})", self.block)


def _lines(t: Thresholds) -> tuple[float, float, float]:
    return (t.severe, t.block, t.optimal)


def _thresholds(t: object) -> Thresholds:
    """``t`` checked: a :class:`Thresholds`, or None for the default lines."""
    if t is None:
        return Thresholds()
    if not isinstance(t, Thresholds):
        raise InputError("thresholds", "a planner.Thresholds", type(t).__name__)
    return t


def _exact(value: float | Fraction) -> Fraction:
    """A number as the exact rational it stands for: ints and floats exactly, a threshold as the decimal it
    was written as (20.1 means 201/10, not its binary neighbour)."""
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


#: numpy's long double holds 64 mantissa bits here (x86's 80-bit float): wide enough for the exact comparison above.
_WIDE = np.finfo(np.longdouble).nmant >= 63


def _exact_code(tokens: float | Fraction, params: float | Fraction, lines: Sequence[float]) -> int:
    r = Fraction(tokens) / Fraction(params)
    return sum(r >= _exact(line) for line in lines)


@overload
def level_code(tokens: float, params: float = 1, thresholds: Thresholds = ...) -> int: ...
@overload
def level_code(tokens: npt.NDArray[Any], params: Numbers = 1,
               thresholds: Thresholds = ...) -> npt.NDArray[np.int8]: ...
@overload
def level_code(tokens: Numbers, params: npt.NDArray[Any], thresholds: Thresholds = ...) -> npt.NDArray[np.int8]: ...
def level_code(tokens: Numbers, params: Numbers = 1,
               thresholds: Thresholds = Thresholds()) -> int | npt.NDArray[np.int8]:
    """The one level rule: the index into :data:`LEVELS` of ``tokens / params`` against the lines.

    A value exactly on a line passes it. Python scalars are compared exactly (as rationals, at any size:
    10**17 - 1 tokens on 10**16 parameters is below 10); arrays are compared in float64 and every element
    within a few ulps of a line is decided again exactly from its original value, so the answer is the same
    as for the scalar. NaN is ``severe`` (the gate fails closed). ``level_code(r)`` judges a ratio.

    Args:
        tokens: D (or a ratio, with ``params`` = 1): int, float, numpy array or pandas Series.
        params: N, likewise.
        thresholds: the lines.

    Returns:
        An int for scalars, an int array for arrays.

    Raises:
        InputError: ``thresholds`` is not a :class:`Thresholds`.

    Examples:
        >>> level_code(22_118_400, 494_032_768), level_code(10**17 - 1, 10**16), level_code(10**17, 10**16)
        (0, 1, 2)
    """
    lines = _lines(_thresholds(thresholds))
    if not any_array(tokens, params):
        if isinstance(tokens, float) and math.isnan(tokens) or isinstance(params, float) and math.isnan(params):
            return 0
        return _exact_code(cast(float, tokens), cast(float, params), lines)   # scalars: no array among them
    d, n = np.broadcast_arrays(np.asarray(tokens), np.asarray(params))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(d, dtype=float) / np.asarray(n, dtype=float)
    # lines passed (r >= line); NaN passes none: the gate fails closed
    def passed(x: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
        out = (x >= lines[0]).view(np.int8).copy()
        for line in lines[1:]:
            out += x >= line
        return out

    codes = passed(r)
    tol = 8 * np.finfo(float).eps
    near = np.flatnonzero(passed(r * (1 + tol)) != passed(r * (1 - tol)))   # within a few ulps of a line
    exact = [_exact(line) for line in lines]
    if near.size and d.dtype.kind == "f" and n.dtype.kind == "f" and _WIDE and \
            all(f.numerator < 2**11 and f.denominator < 2**11 for f in exact):
        # D·q ≥ p·N for a line p/q, in a float of 64 mantissa bits: 53-bit floats times 11-bit whole numbers are
        # exact there, so the comparison is the rational one, vectorised
        dl, nl = d.flat[near].astype(np.longdouble), n.flat[near].astype(np.longdouble)
        c = np.zeros(near.size, dtype=np.int8)
        for f in exact:
            c += dl * f.denominator >= nl * f.numerator
        codes.flat[near] = c
        return codes
    for i in near:
        codes.flat[i] = _exact_code(_item(d.flat[i]), _item(n.flat[i]), lines)
    return codes


def _item(x: Any) -> Any:
    """A numpy scalar as the Python number it holds (an element of an object array as it is)."""
    return x.item() if hasattr(x, "item") else x


def level(r: Numbers, thresholds: Thresholds = Thresholds()) -> str | npt.NDArray[np.str_]:
    """The level name of a ratio ``r`` (a str, or an array of str): :func:`level_code` by name.

    For a plan, prefer :func:`assess` (or ``level_code(tokens, params)``), which decides from N and D exactly.
    :func:`ratio` rounds toward zero, so ``level(ratio(D, N))`` agrees with it on lines that are binary
    numbers (5, 10, 20, 12.5, ...).

    Args:
        r: D/N: a number, a numpy array or a pandas Series.
        thresholds: the lines.

    Returns:
        One of :data:`LEVELS` for a scalar, a numpy array of them for an array.

    Raises:
        InputError: ``r`` is None, a string, a bool or a dict, or not a number; or ``thresholds`` is not a
            :class:`Thresholds`.

    Examples:
        >>> level(0.045), level(10), level(19.99), level(20)
        ('severe', 'below-optimal', 'below-optimal', 'compute-optimal')
    """
    if r is None or isinstance(r, (str, bytes, bool, dict)):
        raise InputError("r", "a ratio: a number, a numpy array or a pandas Series", r)
    try:
        codes = level_code(r, 1, thresholds)
    except (TypeError, ValueError):
        raise InputError("r", "a ratio: a number, a numpy array or a pandas Series", r) from None
    return np.array(LEVELS)[codes] if isinstance(codes, np.ndarray) else LEVELS[codes]


def is_blocked(r: Numbers, thresholds: Thresholds = Thresholds()) -> bool | npt.NDArray[np.bool_]:
    """True where the ratio is below the launch threshold, or NaN (vectorised).

    Args:
        r: D/N: a number, a numpy array or a pandas Series.
        thresholds: the lines.

    Returns:
        A bool for a scalar, a bool array for an array.

    Raises:
        InputError: ``thresholds`` is not a :class:`Thresholds`.

    Examples:
        >>> bool(is_blocked(9.99)), bool(is_blocked(10))
        (True, False)
    """
    return level_code(r, 1, thresholds) < 2


@overload
def ratio(tokens: float, params: float) -> float: ...
@overload
def ratio(tokens: npt.NDArray[Any], params: Numbers) -> npt.NDArray[np.float64]: ...
@overload
def ratio(tokens: Numbers, params: npt.NDArray[Any]) -> npt.NDArray[np.float64]: ...
def ratio(tokens: Numbers, params: Numbers) -> float | npt.NDArray[np.float64]:
    """D/N, tokens per parameter (vectorised).

    Args:
        tokens: D, a positive amount (int, float, numpy array or pandas Series).
        params: N, likewise.

    Returns:
        A float for scalars: the exact quotient rounded toward zero, so it never passes a line the exact ratio
            does not reach; a float64 array otherwise (never overflows, whatever the scale).

    Raises:
        InputError: naming ``tokens`` or ``params`` for zero, negative, NaN, infinite or non-numeric values.
    """
    d = validate.quantity("tokens", tokens, minimum=1)
    n = validate.quantity("params", params, minimum=1)
    if any_array(d, n):
        return like(d / n, tokens, params)
    assert not isinstance(d, np.ndarray) and not isinstance(n, np.ndarray)  # any_array: both are scalars
    exact = Fraction(d) / Fraction(n)
    f = float(exact)
    return f if Fraction(f) <= exact else math.nextafter(f, 0.0)


@overload
def tokens_to_target(params: float, target: float = ..., prior_tokens: float = ...) -> int: ...
@overload
def tokens_to_target(params: npt.NDArray[Any], target: float = ...,
                     prior_tokens: Numbers = ...) -> npt.NDArray[np.float64]: ...
@overload
def tokens_to_target(params: Numbers, target: float = ...,
                     prior_tokens: Numbers = ...) -> int | npt.NDArray[np.float64]: ...
def tokens_to_target(params: Numbers, target: float = OPTIMAL_LINE,
                     prior_tokens: Numbers = 0) -> int | npt.NDArray[np.float64]:
    """New tokens needed so (prior + new) / N reaches ``target``: ceil(target·N) − prior, at least 0.

    Args:
        params: N (int, float, array or Series).
        target: tokens per parameter to reach (default 20); a decimal such as 20.1 means exactly 20.1.
        prior_tokens: tokens already seen (continued pretraining), default 0.

    Returns:
        The least whole number of tokens the gate passes: a Python int for scalars (exact), a float64 array
            otherwise.

    Raises:
        InputError: naming the argument.
    """
    n = validate.quantity("params", params, minimum=1)
    t = validate.positive_real("target", target)
    prior = validate.quantity("prior_tokens", prior_tokens, minimum=0)
    if any_array(n, prior):
        return cast("npt.NDArray[np.float64]", like(_tokens_needed(n, t, prior), params, prior_tokens))
    assert not isinstance(n, np.ndarray) and not isinstance(prior, np.ndarray)  # any_array: both are scalars
    return max(math.ceil(_exact(t) * _exact(n) - _exact(prior)), 0)


def _tokens_needed(n: Numbers, target: float, prior: Numbers) -> npt.NDArray[np.float64]:
    """ceil(target·N) − prior, at least 0, on validated float64 arrays (the array form of :func:`tokens_to_target`)."""
    return np.maximum(np.ceil(target * n) - prior, 0.0)


@overload
def steps_to_target(params: float, tokens_per_step: float, target: float = ..., prior_tokens: float = ...) -> int: ...
@overload
def steps_to_target(params: Numbers, tokens_per_step: Numbers, target: float = ...,
                    prior_tokens: Numbers = ...) -> int | npt.NDArray[np.float64]: ...
def steps_to_target(params: Numbers, tokens_per_step: Numbers, target: float = OPTIMAL_LINE,
                    prior_tokens: Numbers = 0) -> int | npt.NDArray[np.float64]:
    """Optimizer steps needed to reach ``target`` tokens per parameter: ceil(tokens needed / tokens per step).

    Rounding up is the point: the step count floored would stop short of the target.

    Args:
        params: N.
        tokens_per_step: tokens in one optimizer step, a whole number (arrays allowed).
        target: tokens per parameter to reach (default 20).
        prior_tokens: tokens already seen.

    Returns:
        A Python int for scalars, a float64 array of whole numbers otherwise.

    Raises:
        InputError: naming the argument (``tokens_per_step`` must be a whole number >= 1).
    """
    tps = validate.count("tokens_per_step", tokens_per_step, vector=True)
    need = tokens_to_target(params, target, prior_tokens)
    if any_array(need, tps):
        return cast("npt.NDArray[np.float64]", like(steps_for_tokens(need, tps), params, tokens_per_step,
                                                     prior_tokens))
    assert not isinstance(need, np.ndarray) and not isinstance(tps, np.ndarray)  # any_array: both are scalars
    return int(steps_for_tokens(need, tps))


def _judged_tokens(d: int, prior: int, unique: float | None) -> float:
    """The numerator of the judged ratio: prior + D, or prior + D′ (effective tokens) when D repeats the corpus."""
    if unique is None or d <= unique:
        return prior + d
    return prior + float(effective_tokens(d, unique))


def _judged_code(n: int, d: int, prior: int, unique: float | None, t: Thresholds) -> int:
    """The one judged level of a plan: :func:`level_code` of the judged tokens, held below the optimal line past
    :data:`~planner.training.corpus.WASTED_EPOCHS` of repetition (most of such data is wasted)."""
    code = level_code(_judged_tokens(d, prior, unique), n, t)
    if unique is not None and code > 2 and repetition(d / unique) == "wasted":
        code = 2
    return code


def _least(n: int, prior: int, unique: float | None, t: Thresholds, unit: int, guess: float) -> int | None:
    """The fewest ``unit``-sized steps whose judged level is compute-optimal, starting from a float ``guess`` and
    settled by the exact rule (None: no step count reaches it within 16 epochs of the corpus)."""
    s = max(1, int(steps_for_tokens(float(guess), unit)))
    for _ in range(64):
        if _judged_code(n, s * unit, prior, unique, t) == 3:
            break
        s += 1
    else:
        return None
    while s > 1 and _judged_code(n, (s - 1) * unit, prior, unique, t) == 3:
        s -= 1
    return s


@dataclass(frozen=True)
class GateResult:
    """The gate's decision on one plan: the ratios, the level, and what reaches the optimal line.

    ``ratio`` is the judged ratio: (prior + new tokens) / N, or, when a corpus is known and the plan repeats it,
    (prior + effective new tokens) / N with repeated epochs discounted (Muennighoff et al. 2023). ``raw_ratio`` is
    always (prior + new) / N, so a surface can show raw and effective side by side; ``judged`` says which was
    judged. Past 16 epochs of repetition the level is held at ``below-optimal`` (``repetition_capped``).

    ``steps_to_optimal`` and ``tokens_to_optimal`` are the one answer to "how far to the line": the fewest steps
    (new tokens) whose judged level is compute-optimal, on effective tokens when a corpus is known. They are None
    when the corpus cannot get there within 16 epochs (``optimal_reachable`` False); ``corpus_needed`` then says
    how many unique tokens would.

    Attributes:
        params: N, as judged.
        param_kind: which N: ``total``, ``non_embedding`` or ``active``.
        tokens: D, the new training tokens.
        prior_tokens: tokens the starting checkpoint already saw.
        ratio: the judged ratio (rounded toward zero).
        raw_ratio: (prior + new) / N, without discounting repetition.
        new_ratio: new tokens / N.
        cumulative_ratio: (prior + new) / N (the same as ``raw_ratio``).
        effective_ratio: (prior + effective new tokens) / N when the plan repeats a known corpus, else None.
        judged: which tokens were judged, in words (``new``, ``cumulative (prior + new)``, ``effective ...``).
        level: one of :data:`LEVELS`.
        blocked: the level is ``severe`` or ``blocked``.
        tokens_per_step: tokens per optimizer step, when given.
        steps_to_optimal: the fewest steps that reach the optimal line (None without ``tokens_per_step``
            or when unreachable).
        tokens_to_optimal: the fewest new tokens that reach it (None when unreachable).
        optimal_reachable: False when the corpus cannot reach the line within 16 epochs.
        thresholds: the lines judged against.
        repetition_capped: the level was held at ``below-optimal`` for repeating the corpus past 16 epochs.
        corpus_needed: unique tokens a corpus would need to reach the line, when this one cannot.
        forced: a blocked plan was let through by :func:`enforce` with ``force``.
        corpus: the corpus assessment (epochs, ceilings), when ``unique_tokens`` was given.
    """

    params: int
    param_kind: str
    tokens: int
    prior_tokens: int
    ratio: float
    raw_ratio: float
    new_ratio: float
    cumulative_ratio: float
    effective_ratio: float | None
    judged: str
    level: str
    blocked: bool
    tokens_per_step: int | None
    steps_to_optimal: int | None
    tokens_to_optimal: int | None
    optimal_reachable: bool
    thresholds: Thresholds
    repetition_capped: bool = False
    corpus_needed: float | None = None
    forced: bool = False
    corpus: CorpusAssessment | None = None

    @property
    def on_effective(self) -> bool:
        """True when the level was judged on effective tokens (a corpus is known and the plan repeats it)."""
        return self.effective_ratio is not None

    @property
    def reach(self) -> str:
        """How far to the optimal line, in words: ``1,555,931 steps (12,746,186,752 tokens, 10.3 epochs)``,
        or why it cannot be reached on this corpus."""
        t = self.thresholds
        if not self.optimal_reachable:
            c = self.corpus
            assert c is not None and self.corpus_needed is not None   # unreachable only on a known corpus
            return (f"not reachable on this corpus: within {WASTED_EPOCHS} epochs it supplies at most "
                    f"D'/N {fmt_ratio(c.ceiling_16_epochs)}; {t.optimal:g}× needs a corpus of "
                    f"{fmt_si(self.corpus_needed)} unique tokens "
                    f"({self.corpus_needed / c.unique_tokens:.3g}× this one)")
        assert self.tokens_to_optimal is not None   # set whenever the line is reachable
        tokens = f"{fmt_int(self.tokens_to_optimal)} {'new ' if self.prior_tokens else ''}tokens"
        if self.corpus is not None and self.tokens_to_optimal > self.corpus.unique_tokens:
            tokens += f", {self.tokens_to_optimal / self.corpus.unique_tokens:.3g} epochs"
        if self.steps_to_optimal is None:
            return tokens
        return f"{fmt_int(self.steps_to_optimal)} steps ({tokens})"

    @property
    def message(self) -> str:
        """The decision in words: the level, the judged ratio, the lines and how to reach the optimal line."""
        t = self.thresholds
        which = f"on {self.param_kind.replace('_', '-')} N = {fmt_int(self.params)}"
        lines = _lines(t)
        if self.on_effective:
            assert self.corpus is not None   # effective tokens are judged only on a known corpus
            shown = (f"D'/N = {fmt_ratio(self.ratio, lines)} on effective tokens after {self.corpus.epochs:.3g} "
                     f"epochs (raw D/N {fmt_ratio(self.raw_ratio, lines)}), {which}")
        else:
            shown = f"D/N = {fmt_ratio(self.ratio, lines)} ({self.judged} tokens, {which})"
        level_text = (f"{LEVEL_NAMES['below-optimal']}: past {WASTED_EPOCHS} epochs of repetition"
                      if self.repetition_capped else LEVEL_TEXT[self.level])
        head = f"{level_text}. {shown}; lines: {t.severe:g}× severe, {t.block:g}× launch, {t.optimal:g}× optimal."
        if self.level == "compute-optimal":
            if self.ratio >= 5 * t.optimal:
                head += (" Far above the optimal line: a deliberate choice for a smaller model that is cheaper at"
                         " inference, not an error.")
            return head
        if self.repetition_capped:
            head += (f" Past {WASTED_EPOCHS} epochs most of the repeated data is wasted, so the plan is not judged "
                     f"compute-optimal whatever its D'/N.")
        return f"{head} Reaching {t.optimal:g}×: {self.reach}."

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (JSON-ready), with ``reach`` and ``message`` added.

        Returns:
            A dict of every field; ``thresholds`` and ``corpus`` as dicts.
        """
        d = asdict(self)
        d["thresholds"] = asdict(self.thresholds)
        d["corpus"] = None if self.corpus is None else self.corpus.to_dict()
        d["reach"] = self.reach
        d["message"] = self.message
        return d


def assess(params: Any, tokens: Any, *, tokens_per_step: Any = None, prior_tokens: Any = 0,
           thresholds: Thresholds | None = None, param_kind: str = "total", unique_tokens: Any = None,
           corpus_name: str | None = None) -> GateResult:
    """Judge a plan of ``params`` parameters trained on ``tokens`` new tokens.

    Args:
        params: N, a whole number (the N of ``param_kind``).
        tokens: D, new training tokens, a whole number.
        tokens_per_step: tokens per optimizer step; with it the result says how many steps reach the line.
        prior_tokens: tokens the starting checkpoint already saw (continued pretraining); judged cumulatively.
        thresholds: the lines (default 5 / 10 / 20).
        param_kind: which N ``params`` is: ``total``, ``non_embedding`` or ``active`` (for the messages).
        unique_tokens: the corpus size U; with it the level is judged on effective tokens
            D' = U + U·R*·(1 − exp(−(D/U − 1)/R*)) when the plan repeats the corpus, a plan past 16 epochs is never
            judged compute-optimal, and the result carries the corpus assessment (epochs, ceilings).
        corpus_name: the corpus's name, for messages.

    Returns:
        A ``GateResult``.

    Raises:
        InputError: naming the argument: ``params`` or ``tokens`` not a whole number from 1 to 10^30,
            ``prior_tokens`` not one from 0 (or prior + new tokens above 10^30), ``tokens_per_step`` not one
            from 1, ``unique_tokens`` not a number > 0, ``param_kind`` not one of ``total``, ``non_embedding``,
            ``active``, ``thresholds`` not a :class:`Thresholds`.

    Examples:
        Qwen2.5-0.5B on 2,700 steps of 8,192 tokens (D = 22,118,400): D/N = 0.045, far below the 5× line.

        >>> g = assess(494_032_768, 22_118_400, tokens_per_step=8192)
        >>> g.level, round(g.ratio, 3), g.blocked, g.steps_to_optimal
        ('severe', 0.045, True, 1206135)

        With a corpus of 1.24B unique tokens, the line needs 10.3 epochs of it, judged on effective tokens:

        >>> g = assess(494_032_768, 22_118_400, tokens_per_step=8192, unique_tokens=1.24e9)
        >>> g.level, g.steps_to_optimal, round(g.tokens_to_optimal / 1.24e9, 1)
        ('severe', 1555931, 10.3)
    """
    t = _thresholds(thresholds)
    if param_kind not in PARAM_KINDS:
        raise InputError("param_kind", f"one of {', '.join(PARAM_KINDS)}", param_kind)
    n = validate.count("params", params)
    d = validate.count("tokens", tokens)
    prior = validate.count("prior_tokens", prior_tokens, minimum=0)
    if prior + d > limits.MAX_COUNT:   # the cumulative tokens the gate judges stay within the count limit
        raise InputError("prior_tokens", f"at most {limits.power(limits.MAX_COUNT)} together with the new tokens",
                         detail=f"with {fmt_int(d)} new tokens must be at most {limits.power(limits.MAX_COUNT - d)}, "
                                f"got {fmt_int(prior)}")
    tps = None if tokens_per_step is None else validate.count("tokens_per_step", tokens_per_step)
    corpus = None if unique_tokens is None else assess_corpus(n, d, unique_tokens, corpus_name, warn=False)
    u = None if corpus is None else corpus.unique_tokens
    code = _judged_code(n, d, prior, u, t)
    raw = ratio(prior + d, n)
    eff_ratio = None
    if u is not None and d > u:  # repeated epochs: judged on the effective tokens
        eff_ratio = _judged_tokens(d, prior, u) / n
    need = tokens_to_target(n, t.optimal, prior)   # judged tokens beyond the prior ones
    guess = float(need) if u is None or not need else float(tokens_for_effective(need, u))
    reachable = math.isfinite(guess) and (u is None or guess <= WASTED_EPOCHS * u * (1 + 1e-9))
    tokens_needed = steps_needed = corpus_needed = None
    if not need:
        tokens_needed, steps_needed = 0, None if tps is None else 0
    elif u is None:
        tokens_needed, steps_needed = need, None if tps is None else -(-need // tps)
    elif reachable:
        tokens_needed = _least(n, prior, u, t, 1, guess)
        steps_needed = None if tps is None else _least(n, prior, u, t, tps, guess)
        reachable = tokens_needed is not None and (tps is None or steps_needed is not None)
        if not reachable:
            tokens_needed = steps_needed = None
    if not reachable:
        corpus_needed = float(need) / float(judged_tokens_cap(1.0))
    return GateResult(
        params=n, param_kind=param_kind, tokens=d, prior_tokens=prior,
        ratio=raw if eff_ratio is None else eff_ratio, raw_ratio=raw, new_ratio=ratio(d, n), cumulative_ratio=raw,
        effective_ratio=eff_ratio,
        judged=("effective (prior + new after repetition)" if prior else "effective (after repetition)")
        if eff_ratio is not None else "cumulative (prior + new)" if prior else "new",
        level=LEVELS[code], blocked=code < 2, tokens_per_step=tps,
        steps_to_optimal=steps_needed, tokens_to_optimal=tokens_needed, optimal_reachable=reachable,
        thresholds=t, repetition_capped=code == 2 and level_code(_judged_tokens(d, prior, u), n, t) == 3,
        corpus_needed=corpus_needed, corpus=corpus,
    )


def enforce(result: GateResult, *, force: bool = False, stacklevel: int = 2) -> GateResult:
    """Warn below the optimal line; raise :class:`BlockedPlanError` when blocked unless ``force``.

    Args:
        result: the gate's decision (from :func:`assess`).
        force: let a blocked plan through (it is marked ``forced``).
        stacklevel: where the warnings point, as for :func:`warnings.warn` (2: the caller).

    Returns:
        ``result``, or a copy with ``forced=True`` when a blocked plan was forced.

    Raises:
        InputError: ``result`` is not a :class:`GateResult`, or ``force`` is not a bool.
        BlockedPlanError: the plan is blocked and not forced.

    Warns:
        UnderProvisionedWarning: the plan is below the optimal line.
        DataRepetitionWarning: the plan repeats its corpus too much.
    """
    if not isinstance(result, GateResult):
        raise InputError("result", "a planner GateResult (see planner.assess)", type(result).__name__)
    force = validate.flag("force", force)
    if result.blocked and not force:
        raise BlockedPlanError(result)
    if result.level != "compute-optimal":
        warnings.warn(result.message, UnderProvisionedWarning, stacklevel=stacklevel + 1)
    if result.corpus is not None and result.corpus.repeats_too_much:
        warnings.warn(result.corpus.message, DataRepetitionWarning, stacklevel=stacklevel + 1)
    if result.blocked:
        result = GateResult(**{**result.__dict__, "forced": True})
    return result


def check(params: Any, tokens: Any, *, force: bool = False, **kwargs: Any) -> GateResult:
    """:func:`assess` then :func:`enforce`: the call a launch script makes.

    Args:
        params: N, as for :func:`assess`.
        tokens: D, new training tokens, as for :func:`assess`.
        force: let a blocked plan through (it warns instead).
        **kwargs: the other arguments of :func:`assess` (``tokens_per_step``, ``prior_tokens``, ``thresholds``,
            ``param_kind``, ``unique_tokens``, ``corpus_name``).

    Returns:
        The ``GateResult`` (``forced`` when a blocked plan was forced).

    Raises:
        InputError: as for :func:`assess`, or ``force`` is not a bool.
        BlockedPlanError: the plan is blocked (below the launch line) and not forced.

    Warns:
        UnderProvisionedWarning: the plan is below the optimal line.
        DataRepetitionWarning: the plan repeats its corpus too much.

    Examples:
        >>> check(494_032_768, 22_118_400)
        Traceback (most recent call last):
        ...
        planner.errors.BlockedPlanError: SEVERE: far too few tokens per parameter; ...
        >>> check(494_032_768, 10_000_000_000).level
        'compute-optimal'
    """
    return enforce(assess(params, tokens, **kwargs), force=force, stacklevel=3)
