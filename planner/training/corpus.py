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

import numpy as np

from .. import validate
from ..arrays import any_array, floats, like
from ..errors import DataRepetitionWarning
from ..format import fmt_ratio, fmt_si
from ..datafiles import lookup, read_csv

R_STAR = 15.387756      # Muennighoff et al. 2023 (C4 fit, R_D*): decay constant for repeated tokens
DIMINISHING_EPOCHS = 4  # beyond this, extra epochs are worth noticeably less than fresh data
WASTED_EPOCHS = 16      # beyond this, most of the extra compute is wasted


def corpora() -> dict[str, float]:
    """Known public corpora (``data/corpora.csv``): name → unique tokens."""
    return {row["name"]: float(row["tokens"]) for row in read_csv("corpora.csv")}


def corpus_tokens(name: str) -> float:
    """Unique tokens of a named corpus from ``data/corpora.csv``."""
    return float(lookup(name, "corpora.csv", ("name",), "corpus")["tokens"])


def epochs(tokens, unique_tokens):
    """D / U: how many passes over the corpus (vectorised)."""
    d, u = floats(tokens, unique_tokens)
    return like(d / u, tokens, unique_tokens)


def effective_tokens(tokens, unique_tokens, r_star: float = R_STAR):
    """Muennighoff's effective data D' (equals D while D <= U). Vectorised."""
    d, u = floats(tokens, unique_tokens)
    x = np.asarray(d / u - 1.0)          # repeated epochs R (negative while D < U); an array, also for scalars
    np.maximum(x, 0.0, out=x)
    np.expm1(x / -r_star, out=x)
    x *= -r_star
    x += 1.0
    x *= u                               # U + U·R*·(1 − e^(−R/R*)): at least U, below D once D > U
    return like(np.minimum(d, x), tokens, unique_tokens)


def tokens_for_effective(effective, unique_tokens, r_star: float = R_STAR):
    """The training tokens D whose effective data D' reaches ``effective``: the inverse of :func:`effective_tokens`.

    Repetition caps D' below U·(1 + R*): past that the answer is ``inf`` (no amount of training reaches it).
    Vectorised.
    """
    e, u = floats(effective, unique_tokens)
    x = (e / u - 1.0) / r_star
    with np.errstate(divide="ignore", invalid="ignore"):
        repeated = u * (1.0 - r_star * np.log1p(-np.minimum(x, 1.0)))
    return like(np.where(e <= u, e, np.where(x < 1.0, repeated, np.inf)), effective, unique_tokens)


def ceiling(unique_tokens, params, n_epochs=1):
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


def judged_tokens_cap(unique_tokens):
    """The most effective tokens a plan may count and still be judged compute-optimal: D′ at 16 epochs.

    Past :data:`WASTED_EPOCHS` of repetition most of the repeated data is wasted, so the gate never calls
    such a plan compute-optimal; the line must be reached within 16 epochs (D′ = U·(1 + R*·(1 − e^(−15/R*)))
    ≈ 10.58·U). Vectorised.
    """
    (u,) = floats(unique_tokens)
    return like(effective_tokens(WASTED_EPOCHS * u, u), unique_tokens)


def repetition(n_epochs):
    """``fresh`` (<= 1 epoch), ``repeated`` (<= 4), ``diminishing`` (<= 16), ``wasted`` (> 16)."""
    if any_array(n_epochs):
        return np.select([n_epochs <= 1, n_epochs <= DIMINISHING_EPOCHS, n_epochs <= WASTED_EPOCHS],
                         ["fresh", "repeated", "diminishing"], "wasted")
    return ("fresh" if n_epochs <= 1 else "repeated" if n_epochs <= DIMINISHING_EPOCHS
            else "diminishing" if n_epochs <= WASTED_EPOCHS else "wasted")



@dataclass(frozen=True)
class CorpusAssessment:
    """What a corpus of ``unique_tokens`` means for a plan of ``params`` trained on ``tokens``."""

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

    def to_dict(self) -> dict:
        return {**asdict(self), "message": self.message}


def assess_corpus(params, tokens, unique_tokens, name: str | None = None, *, warn: bool = True) -> CorpusAssessment:
    """Epochs, effective data and ceilings for one plan; warns beyond 4 and 16 epochs."""
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
