"""The corpus ceiling: unique tokens, epochs, and what repetition is worth.

A corpus of U unique tokens caps D/N at U/N for one epoch. Training for more epochs
repeats data; Muennighoff et al. 2023 (arXiv:2305.16264) fit the *effective* data as

    D' = U + U·R*·(1 − exp(−R/R*)),   R = epochs − 1,  R* = 15.387756

so up to ~4 epochs is nearly as good as fresh data (D'/D ≈ 0.93), returns diminish by
~16 epochs (≈ 0.66), and by ~40 most of the compute is wasted (≈ 0.38).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import overload

import numpy as np
import numpy.typing as npt

from .. import validate
from ..arrays import ArrayLike, FloatOrArray, any_array, floats, like
from ..datafiles import lookup, read_csv
from ..errors import DataRepetitionWarning
from ..format import fmt_ratio, fmt_si

R_STAR = 15.387756      # Muennighoff et al. 2023 (C4 fit, R_D*): decay constant for repeated tokens
DIMINISHING_EPOCHS = 4  # beyond this, extra epochs are worth noticeably less than fresh data
WASTED_EPOCHS = 16      # beyond this, most of the extra compute is wasted


def corpora() -> dict[str, float]:
    """Known public corpora (``data/corpora.csv``): name → unique tokens.

    Returns:
        A dict from each corpus's name to its unique tokens, in the file's order.

    Examples:
        >>> corpora()["SlimPajama-627B"]
        627000000000.0
    """
    return {row["name"]: float(row["tokens"]) for row in read_csv("corpora.csv")}


def corpus_tokens(name: str) -> float:
    """Unique tokens of a named corpus from ``data/corpora.csv``.

    Args:
        name: The corpus's name, matched case-insensitively (``"The Pile"``, ``"slimpajama-627b"``).

    Returns:
        Its unique tokens, as a float.

    Raises:
        UnknownModelError: ``name`` is not in ``data/corpora.csv`` (the message lists the known names;
            the field is ``corpus``).

    Examples:
        >>> corpus_tokens("the pile")
        300000000000.0
    """
    return float(lookup(name, "corpora.csv", ("name",), "corpus")["tokens"])


@overload
def epochs(tokens: float, unique_tokens: float) -> float: ...
@overload
def epochs(tokens: ArrayLike, unique_tokens: ArrayLike) -> FloatOrArray: ...
def epochs(tokens: ArrayLike, unique_tokens: ArrayLike) -> FloatOrArray:
    """D / U: how many passes over the corpus (vectorised; callers validate).

    Args:
        tokens: D, training tokens (a number or an array).
        unique_tokens: U, the corpus's unique tokens (a number or an array).

    Returns:
        A float for scalars, an array when either input is one.

    Examples:
        >>> epochs(4e9, 1e9)
        4.0
    """
    d, u = floats(tokens, unique_tokens)
    return like(d / u, tokens, unique_tokens)


@overload
def effective_tokens(tokens: float, unique_tokens: float, r_star: float = R_STAR) -> float: ...
@overload
def effective_tokens(tokens: ArrayLike, unique_tokens: ArrayLike, r_star: float = R_STAR) -> FloatOrArray: ...
def effective_tokens(tokens: ArrayLike, unique_tokens: ArrayLike, r_star: float = R_STAR) -> FloatOrArray:
    """Muennighoff's effective data D' (equals D while D ≤ U). Vectorised; callers validate.

    Args:
        tokens: D, training tokens (a number or an array).
        unique_tokens: U, the corpus's unique tokens (a number or an array).
        r_star: R*, the decay constant of repeated epochs (default :data:`R_STAR`, 15.387756).

    Returns:
        D' = min(D, U + U·R*·(1 − exp(−(D/U − 1)/R*))): a float for scalars, an array otherwise.

    Examples:
        Four epochs of a 1B-token corpus are worth 3.73B fresh tokens (3 repeats: 1 + R*·(1 − e^(−3/R*))):

        >>> round(effective_tokens(4e9, 1e9) / 1e9, 2)
        3.73
    """
    d, u = floats(tokens, unique_tokens)
    x = np.asarray(d / u - 1.0)          # repeated epochs R (negative while D < U); an array, also for scalars
    np.maximum(x, 0.0, out=x)
    np.expm1(x / -r_star, out=x)
    x *= -r_star
    x += 1.0
    x *= u                               # U + U·R*·(1 − e^(−R/R*)): at least U, below D once D > U
    return like(np.minimum(d, x), tokens, unique_tokens)


@overload
def tokens_for_effective(effective: float, unique_tokens: float, r_star: float = R_STAR) -> float: ...
@overload
def tokens_for_effective(effective: ArrayLike, unique_tokens: ArrayLike, r_star: float = R_STAR) -> FloatOrArray: ...
def tokens_for_effective(effective: ArrayLike, unique_tokens: ArrayLike, r_star: float = R_STAR) -> FloatOrArray:
    """The training tokens D whose effective data D' reaches ``effective``: the inverse of :func:`effective_tokens`.

    Repetition caps D' below U·(1 + R*): past that the answer is ``inf`` (no amount of training reaches it).
    Vectorised; callers validate.

    Args:
        effective: D', the effective tokens to reach (a number or an array).
        unique_tokens: U, the corpus's unique tokens.
        r_star: R*, the decay constant of repeated epochs (default :data:`R_STAR`).

    Returns:
        The training tokens D (equal to ``effective`` up to U; ``inf`` from U·(1 + R*)): a float for
            scalars, an array otherwise.

    Examples:
        >>> round(tokens_for_effective(effective_tokens(4e9, 1e9), 1e9) / 1e9, 6)
        4.0
    """
    e, u = floats(effective, unique_tokens)
    x = (e / u - 1.0) / r_star
    with np.errstate(divide="ignore", invalid="ignore"):
        repeated = u * (1.0 - r_star * np.log1p(-np.minimum(x, 1.0)))
    return like(np.where(e <= u, e, np.where(x < 1.0, repeated, np.inf)), effective, unique_tokens)


@overload
def ceiling(unique_tokens: float, params: float, n_epochs: float = 1) -> float: ...
@overload
def ceiling(unique_tokens: ArrayLike, params: ArrayLike, n_epochs: ArrayLike = 1) -> FloatOrArray: ...
def ceiling(unique_tokens: ArrayLike, params: ArrayLike, n_epochs: ArrayLike = 1) -> FloatOrArray:
    """The judged ratio a corpus allows at ``n_epochs`` epochs: D′/N with D = n·U (vectorised).

    The gate judges a plan that repeats its corpus on effective tokens, so the ceiling is in the same measure:
    n·U/N up to one epoch, less after (at 4 epochs 3.72·U/N, not 4·U/N).

    Args:
        unique_tokens: the corpus U.
        params: N.
        n_epochs: passes over the corpus (default 1).

    Returns:
        D′(n·U)/N: a float, or an array when any input is one.
    """
    u, n, k = floats(unique_tokens, params, n_epochs)
    return like(effective_tokens(k * u, u) / n, unique_tokens, params, n_epochs)


@overload
def judged_tokens_cap(unique_tokens: float) -> float: ...
@overload
def judged_tokens_cap(unique_tokens: ArrayLike) -> FloatOrArray: ...
def judged_tokens_cap(unique_tokens: ArrayLike) -> FloatOrArray:
    """The most effective tokens a plan may count and still be judged compute-optimal: D′ at 16 epochs.

    Past :data:`WASTED_EPOCHS` of repetition most of the repeated data is wasted, so the gate never calls
    such a plan compute-optimal; the line must be reached within 16 epochs (D′ = U·(1 + R*·(1 − e^(−15/R*)))
    ≈ 10.58·U). Vectorised.

    Args:
        unique_tokens: U, the corpus's unique tokens (a number or an array).

    Returns:
        D′ at 16 epochs: a float for scalars, an array otherwise.

    Examples:
        >>> round(judged_tokens_cap(1.0), 2)
        10.58
    """
    (u,) = floats(unique_tokens)
    return like(effective_tokens(WASTED_EPOCHS * u, u), unique_tokens)


@overload
def repetition(n_epochs: float) -> str: ...
@overload
def repetition(n_epochs: ArrayLike) -> str | npt.NDArray[np.str_]: ...
def repetition(n_epochs: ArrayLike) -> str | npt.NDArray[np.str_]:
    """How much repetition pays: ``fresh`` (≤ 1 epoch), ``repeated`` (≤ 4), ``diminishing`` (≤ 16), ``wasted``.

    Args:
        n_epochs: Passes over the corpus (a number or a numpy array).

    Returns:
        The word, or an array of them for an array.

    Examples:
        >>> repetition(1), repetition(4), repetition(4.5), repetition(17)
        ('fresh', 'repeated', 'diminishing', 'wasted')
    """
    if any_array(n_epochs):
        return np.select([n_epochs <= 1, n_epochs <= DIMINISHING_EPOCHS, n_epochs <= WASTED_EPOCHS],
                         ["fresh", "repeated", "diminishing"], "wasted")
    return ("fresh" if n_epochs <= 1 else "repeated" if n_epochs <= DIMINISHING_EPOCHS
            else "diminishing" if n_epochs <= WASTED_EPOCHS else "wasted")


@dataclass(frozen=True)
class CorpusAssessment:
    """What a corpus of ``unique_tokens`` means for a plan of ``params`` trained on ``tokens``.

    Attributes:
        name: The corpus's name (``your corpus`` when none was given).
        unique_tokens: U.
        tokens: D, the plan's training tokens.
        params: N.
        epochs: D / U.
        effective_tokens: D', the tokens that count as fresh (:func:`effective_tokens`).
        efficiency: D'/D: the fraction of the tokens that count as fresh.
        ceiling_1_epoch: D′/N reachable with one pass (= U/N).
        ceiling_4_epochs: D′/N reachable with four passes (still ~fresh): 3.72·U/N.
        ceiling_16_epochs: D′/N at 16 passes: the most a plan judged compute-optimal can count.
        repetition: :func:`repetition` of ``epochs``.
    """

    name: str
    unique_tokens: float
    tokens: float
    params: int
    epochs: float
    effective_tokens: float
    efficiency: float           # D'/D: the fraction of the tokens that count as fresh
    ceiling_1_epoch: float      # D′/N reachable with one pass (= U/N)
    ceiling_4_epochs: float     # D′/N reachable with four passes (still ~fresh): effective, 3.72·U/N
    ceiling_16_epochs: float    # D′/N at 16 passes: the most a plan judged compute-optimal can count
    repetition: str

    @property
    def max_effective_ratio(self) -> float:
        """The most effective tokens per parameter this corpus can ever supply: U·(1 + R*) / N (the asymptote;
        the gate stops at :attr:`ceiling_16_epochs`)."""
        return self.unique_tokens * (1 + R_STAR) / self.params

    @property
    def repeats_too_much(self) -> bool:
        """Past 4 epochs: repetition pays noticeably less than fresh data (the planner warns)."""
        return self.repetition in ("diminishing", "wasted")

    @property
    def message(self) -> str:
        """The assessment in words: size, epochs, ceilings, and a warning past 4 or 16 epochs."""
        base = (f"Corpus {self.name}: {fmt_si(self.unique_tokens)} unique tokens; the plan is "
                f"{self.epochs:.3g} epoch(s) over it. D'/N ceiling {fmt_ratio(self.ceiling_1_epoch)}× at 1 epoch, "
                f"{fmt_ratio(self.ceiling_4_epochs)}× at 4, {fmt_ratio(self.ceiling_16_epochs)}× at 16.")
        if self.repetition == "diminishing":
            return base + (f" Beyond {DIMINISHING_EPOCHS} epochs repetition pays less: only "
                           f"{self.efficiency:.0%} of the tokens count as fresh.")
        if self.repetition == "wasted":
            return base + (f" Beyond {WASTED_EPOCHS} epochs most of the repeated data is wasted: only "
                           f"{self.efficiency:.0%} of the tokens count as fresh, and the plan is never judged "
                           f"compute-optimal.")
        return base

    def to_dict(self) -> dict[str, object]:
        """The assessment as plain data (JSON-ready), with ``message`` added.

        Returns:
            A dict of every field and ``message``.
        """
        return {**asdict(self), "message": self.message}


def assess_corpus(params: int, tokens: int, unique_tokens: float, name: str | None = None, *,
                  warn: bool = True) -> CorpusAssessment:
    """Epochs, effective data and ceilings for one plan; warns beyond 4 and 16 epochs.

    Args:
        params: N, a whole number from 1.
        tokens: D, the plan's training tokens, a whole number from 1.
        unique_tokens: U, the corpus's unique tokens, a number ≥ 1.
        name: The corpus's name, for messages.
        warn: Warn when the plan repeats the corpus more than 4 epochs.

    Returns:
        The ``CorpusAssessment``.

    Raises:
        InputError: ``params`` or ``tokens`` is not a whole number from 1 to 10^30, or
            ``corpus.unique_tokens`` is not a finite number from 1 to 10^30.

    Warns:
        DataRepetitionWarning: With ``warn``, when the plan is past 4 epochs.

    Examples:
        >>> a = assess_corpus(494_032_768, 4_000_000_000, 1_000_000_000, warn=False)
        >>> a.epochs, a.repetition, round(a.efficiency, 2)
        (4.0, 'repeated', 0.93)
    """
    n = validate.count("params", params)
    d = float(validate.count("tokens", tokens))
    u = float(validate.positive_real("corpus.unique_tokens", unique_tokens, minimum=1, inclusive=True))
    ep = d / u
    eff = effective_tokens(d, u)
    a = CorpusAssessment(name=name or "your corpus", unique_tokens=u, tokens=d, params=n, epochs=ep,
                         effective_tokens=eff, efficiency=eff / d, ceiling_1_epoch=u / n,
                         ceiling_4_epochs=float(ceiling(u, n, DIMINISHING_EPOCHS)),
                         ceiling_16_epochs=float(judged_tokens_cap(u)) / n, repetition=repetition(ep))
    if warn and a.repeats_too_much:
        warnings.warn(a.message, DataRepetitionWarning, stacklevel=2)
    return a
