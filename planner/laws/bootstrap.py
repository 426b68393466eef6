"""Uncertainty of a fitted law: refits of resampled runs, the intervals they give, and a D/N judged against them.

* :func:`resample` refits a :class:`~planner.laws.ladder_fit.LadderFit` to ``samples`` resamples of its runs
  (drawn with replacement, seeded; each resample is the same runs weighted by how often each was drawn,
  refitted from the fit's own optimum) and returns a :class:`Bootstrap`;
* :class:`Bootstrap` gives percentile :class:`Interval` s on E, A, B, α, β, on N_opt, D_opt and D/N at a
  budget, and on the predicted loss of a run;
* :func:`judge_ratio` says whether a run's D/N is below, above or within the interval of the fitted
  optimum at its compute (:class:`RatioJudgement`); :func:`straddles` whether an interval contains a line.

A quantity that depends on a constant the runs cannot determine gets an unbounded interval with
``identified=False``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import limits, validate
from ..errors import InputError
from ..format import fmt_ratio
from ..training.compute import training_flops
from .objective import constants, predict
from .optimise import bfgs
from .power_law import PARAMETERS, FloatArray, optimal_split
from .runs import MIN_RUNS

if TYPE_CHECKING:  # ladder_fit imports this module: the fitted law's type, for the checker alone
    from .ladder_fit import LadderFit

# A user's N, D, budget and threshold are typed Any: they are validated here (numbers or text such as "7B").

#: Confidence level of the bootstrap intervals.
LEVEL = 0.95

_UNBOUNDED = (-math.inf, math.inf)
#: The constants the compute-optimal split depends on.
_SPLIT_NEEDS = ("A", "B", "alpha", "beta")


@dataclass(frozen=True, eq=False)
class Interval:
    """A confidence interval ``[low, high]`` around ``value``; unbounded (±inf) when not identified.

    Args:
        value: the fitted value.
        low: the interval's lower end.
        high: the interval's upper end.
        identified: False when the runs cannot determine the quantity.
    """

    value: float
    low: float
    high: float
    identified: bool = True

    def straddles(self, threshold: float) -> bool:
        """True when ``threshold`` lies inside the interval: the data cannot say on which side it is.

        Args:
            threshold: a number.

        Returns:
            True inside ``[low, high]``, and always for an unidentified interval.
        """
        return not self.identified or self.low <= threshold <= self.high

    def to_dict(self) -> dict[str, Any]:
        """The interval as JSON.

        Returns:
            ``{"value", "low", "high", "identified"}``; non-finite numbers as None (JSON has no inf).
        """
        def num(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None
        return {"value": num(self.value), "low": num(self.low), "high": num(self.high), "identified": self.identified}


@dataclass(frozen=True, eq=False)
class Bootstrap:
    """Refits of resampled runs around a fitted law; intervals at ``level``.

    Build with :func:`resample` (or :meth:`LadderFit.bootstrap <planner.laws.ladder_fit.LadderFit.bootstrap>`),
    or read one saved with a fit (:func:`planner.laws.ladder_fit.load_bootstrap`).

    Args:
        fit: the :class:`~planner.laws.ladder_fit.LadderFit` resampled.
        thetas: one θ = (a, b, e, α, β) per resample, shape (samples, 5).
        seed: the seed the resamples were drawn with.
        level: the confidence level of the intervals.
    """

    fit: LadderFit
    thetas: FloatArray
    seed: int = 0
    level: float = LEVEL

    def _interval(self, value: float, samples: FloatArray, needs: Sequence[str] = PARAMETERS) -> Interval:
        if any(p in self.fit.unidentified for p in needs):
            return Interval(math.nan, *_UNBOUNDED, identified=False)
        tail = 100 * (1 - self.level) / 2
        samples = samples[np.isfinite(samples)]
        if len(samples) < 0.9 * len(self.thetas):  # resamples whose refit diverged: say unbounded
            return Interval(value, *_UNBOUNDED, identified=False)
        lo, hi = np.percentile(samples, [tail, 100 - tail])
        return Interval(float(value), float(lo), float(hi))

    def _samples(self) -> dict[str, FloatArray]:
        t = self.thetas
        with np.errstate(over="ignore"):
            return {"E": np.exp(t[:, 2]), "A": np.exp(t[:, 0]), "B": np.exp(t[:, 1]), "alpha": t[:, 3], "beta": t[:, 4]}

    def intervals(self) -> dict[str, Interval]:
        """The interval of each constant.

        Returns:
            An ``Interval`` for each of E, A, B, alpha, beta.
        """
        s = self._samples()
        c = constants(self.fit.theta)
        return {k: self._interval(c[k], s[k], needs=(k,)) for k in PARAMETERS}

    def optimal(self, flops: Any) -> dict[str, Interval]:
        """Intervals on the compute-optimal split at ``flops``.

        Args:
            flops: the budget C (> 0, at most 10^61).

        Returns:
            ``{"params": N_opt, "tokens": D_opt, "tokens_per_param": D/N}``, each an :class:`Interval`.

        Raises:
            InputError: ``flops`` not a positive number up to 10^61.
        """
        c = validate.positive_real("flops", flops, maximum=limits.MAX_FLOPS)
        s = self._samples()
        ns, ds = optimal_split(s["A"], s["B"], s["alpha"], s["beta"], c)
        if any(p in self.fit.unidentified for p in _SPLIT_NEEDS):
            n = d = math.nan
        else:
            n, d = self.fit.optimal(c)
        with np.errstate(all="ignore"):
            ratios = ds / ns
        return {"params": self._interval(n, ns, _SPLIT_NEEDS), "tokens": self._interval(d, ds, _SPLIT_NEEDS),
                "tokens_per_param": self._interval(d / n if n == n else math.nan, ratios, _SPLIT_NEEDS)}

    def tokens_per_param(self, flops: Any) -> Interval:
        """Interval on the compute-optimal D/N at ``flops``.

        Args:
            flops: the budget C.

        Returns:
            An ``Interval``.

        Raises:
            InputError: ``flops`` not a positive number up to 10^61.
        """
        return self.optimal(flops)["tokens_per_param"]

    def loss(self, params: Any, tokens: Any) -> Interval:
        """Interval on the predicted loss of a run with N = ``params`` and D = ``tokens``.

        Args:
            params: N (> 0, at most 10^30).
            tokens: D (> 0, at most 10^30).

        Returns:
            An ``Interval`` (unbounded when a constant is not determined).

        Raises:
            InputError: ``params`` or ``tokens`` not a positive number up to 10^30.
        """
        n = validate.positive_real("params", params, maximum=limits.MAX_REAL)
        d = validate.positive_real("tokens", tokens, maximum=limits.MAX_REAL)
        pred, _ = predict(self.thetas, math.log(n), math.log(d))
        value = self.fit.loss(n, d) if self.fit.identified else math.nan
        return self._interval(value, np.exp(pred.ravel()))


def resample(fit: LadderFit, samples: int = 1000, seed: int = 0, level: float = LEVEL) -> Bootstrap:
    """Refit ``samples`` resamples of ``fit``'s runs (drawn with replacement, seeded) for confidence intervals.

    Each resample is the same runs weighted by how often they were drawn (times the user's weight),
    refitted from ``fit``'s optimum (a warm start), all resamples stepped together
    (:func:`~planner.laws.optimise.bfgs`).

    Args:
        fit: a :class:`~planner.laws.ladder_fit.LadderFit` with its runs.
        samples: number of resamples (≥ 10).
        seed: seed of the random generator (the same seed gives the same intervals).
        level: confidence level of the intervals, in (0, 1).

    Returns:
        :class:`Bootstrap`.

    Raises:
        InputError: ``samples``, ``seed`` or ``level`` out of range; (field ``runs``) a law read back
            without at least 5 valid runs.
    """
    b = validate.count("samples", samples, minimum=10, maximum=1_000_000)
    s = validate.count("seed", seed, minimum=0, maximum=2**63)
    lvl = validate.positive_real("level", level, maximum=0.999999)
    r = fit.runs
    if len(r) < MIN_RUNS:  # a law read back without its runs
        raise InputError("runs", f"at least {MIN_RUNS} runs", detail=f"{fit.name}: {len(r)} valid runs to "
                                                                      "resample; a bootstrap needs the runs")
    x, y, logl = np.log(r.params), np.log(r.tokens), np.log(r.loss)
    rng = np.random.default_rng(s)
    draws = rng.multinomial(len(r), np.full(len(r), 1.0 / len(r)), size=b) * r.weight
    thetas = np.empty((b, 5))
    for i in range(0, b, 500):
        chunk = draws[i:i + 500]
        thetas[i:i + 500], _ = bfgs(np.tile(fit.theta, (len(chunk), 1)), x, y, logl, chunk, fit.delta)
    return Bootstrap(fit=fit, thetas=thetas, seed=s, level=lvl)


@dataclass(frozen=True)
class RatioJudgement:
    """A run's D/N judged against the fitted compute-optimal D/N at the run's compute.

    Args:
        ratio: the run's D/N.
        flops: its compute, 6·N·D.
        optimum: the interval of the fitted optimal D/N at that compute.
        side: ``"below"`` or ``"above"`` when the ratio is outside the optimum's interval, ``"uncertain"``
            when it is inside (the fit cannot say which side of optimal the run is on).
        level: the interval's confidence level.
    """

    ratio: float
    flops: float
    optimum: Interval
    side: str
    level: float = LEVEL

    @property
    def uncertain(self) -> bool:
        """True when the fit cannot say on which side of its optimum the D/N lies."""
        return self.side == "uncertain"

    @property
    def message(self) -> str:
        """One sentence: where the D/N lies relative to the fitted optimum's interval."""
        o, r = self.optimum, fmt_ratio(self.ratio)
        if not o.identified:
            return f"D/N {r}: the runs cannot determine the optimal D/N, so the plan cannot be judged against this fit"
        span = f"{self.level:.0%} interval of the fitted optimum, {fmt_ratio(o.low)}-{fmt_ratio(o.high)}"
        if self.side == "uncertain":
            return f"D/N {r} is inside the {span}: the fit cannot say whether it is below or above optimal"
        return f"D/N {r} is {self.side} the {span}"


def check_bootstrap(bootstrap: object) -> None:
    """Refuse anything but a :class:`Bootstrap`.

    Args:
        bootstrap: the value to check.

    Raises:
        InputError: (field ``bootstrap``) it is not a :class:`Bootstrap`.
    """
    if not isinstance(bootstrap, Bootstrap):
        raise InputError("bootstrap", "a Bootstrap (LadderFit.bootstrap() or load_bootstrap())",
                         detail=f"must be a Bootstrap (LadderFit.bootstrap()), got {type(bootstrap).__name__}")


def judge_ratio(bootstrap: Bootstrap, params: Any, tokens: Any) -> RatioJudgement:
    """Judge a run's D/N against the bootstrap interval of the fitted optimal D/N at its compute (6·N·D).

    Args:
        bootstrap: a :class:`Bootstrap` of the fitted law.
        params: the run's N.
        tokens: the run's D.

    Returns:
        :class:`RatioJudgement`: ``side`` is ``"below"``, ``"above"`` or ``"uncertain"`` (the ratio lies
            inside the interval, or the optimum is not identified).

    Raises:
        InputError: ``bootstrap`` is not a :class:`Bootstrap`; ``params`` or ``tokens`` not positive up to 10^30.
    """
    check_bootstrap(bootstrap)
    n = validate.positive_real("params", params, maximum=limits.MAX_REAL)
    d = validate.positive_real("tokens", tokens, maximum=limits.MAX_REAL)
    c = training_flops(n, d)
    opt = bootstrap.tokens_per_param(c)
    r = d / n
    side = "uncertain" if opt.straddles(r) else "below" if r < opt.low else "above"
    return RatioJudgement(ratio=r, flops=c, optimum=opt, side=side, level=bootstrap.level)


def straddles(interval: Interval, threshold: Any) -> bool:
    """True when ``threshold`` (e.g. a gate line of 20 tokens per parameter) lies inside ``interval``.

    Args:
        interval: an :class:`Interval`.
        threshold: a positive number.

    Returns:
        True inside the interval; an unidentified interval straddles every threshold.

    Raises:
        InputError: ``threshold`` not a positive number up to 10^30.
    """
    t = validate.positive_real("threshold", threshold, maximum=limits.MAX_REAL)
    return interval.straddles(t)
