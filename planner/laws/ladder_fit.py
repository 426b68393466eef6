"""A law fitted to your own runs: :func:`fit_ladder` and the :class:`LadderFit` it returns.

The method is Hoffmann et al. 2022's Approach 3 (arXiv:2203.15556, appendix D.2), as replicated by
Besiroglu et al. 2024 (arXiv:2404.10102): the Huber loss of log-loss residuals
(:mod:`planner.laws.objective`) minimised from the best points of a grid of starts
(:mod:`planner.laws.optimise`). A :class:`LadderFit` is usable wherever a published fit is
(:meth:`LadderFit.to_fit`), gives bootstrap intervals (:meth:`LadderFit.bootstrap`,
:mod:`planner.laws.bootstrap`), and is saved and read back as TOML (:meth:`LadderFit.save`,
:func:`load_ladder`, :func:`load_bootstrap`; the file format is :mod:`planner.laws.saved_fit`).

Runs that cannot determine a constant (:mod:`planner.laws.identifiability`) are reported as such: the
constant is listed in :attr:`LadderFit.unidentified`, its value is NaN and its interval unbounded; such a
fit cannot be used as a law.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from .. import limits, validate
from ..arrays import any_array, floats, like
from ..errors import InputError, PlannerWarning
from . import saved_fit
from .bootstrap import LEVEL, Bootstrap, resample
from .identifiability import unidentified, why
from .objective import DELTA, constants, predict
from .optimise import STARTS, best_fit, grid
from .power_law import PARAMETERS, Fit, FloatArray, FloatOrArray
from .runs import Runs, read_runs

# A user's N, D and budgets are typed Any: they are validated by Fit (numbers, text, numpy arrays, pandas Series).

#: A budget more than this many times beyond the ladder's compute range is "far" (two decades).
EXTRAPOLATION_LIMIT = 100.0


class ExtrapolationWarning(PlannerWarning):
    """A budget lies far outside the compute range of the runs a law was fitted to.

    Warned by :meth:`LadderFit.check_extrapolation` beyond :data:`EXTRAPOLATION_LIMIT` times the runs' range.
    """


@dataclass(frozen=True, eq=False)
class LadderFit:
    """A law fitted to runs: the optimiser's θ = (a, b, e, α, β), the runs used and how.

    The constants (:attr:`E`, :attr:`A`, :attr:`B`, :attr:`alpha`, :attr:`beta`) are derived from θ;
    each is NaN when the runs cannot determine it (listed in :attr:`unidentified`).

    Args:
        name: the law's name.
        theta: the fitted θ = (a, b, e, α, β).
        runs: the runs fitted.
        delta: the Huber δ used.
        objective: the objective at θ.
        unidentified: the constants the runs cannot determine.
        source: where the law comes from (shown in reports).
    """

    name: str
    theta: tuple[float, ...]
    runs: Runs
    delta: float = DELTA
    objective: float = math.nan
    unidentified: tuple[str, ...] = ()
    source: str = ""

    def __repr__(self) -> str:
        c = ", ".join(f"{k}={v:.4g}" for k, v in self.constants().items())
        extra = f", unidentified={self.unidentified}" if self.unidentified else ""
        return f"LadderFit(name={self.name!r}, {c}, runs={len(self.runs)}, dropped={len(self.runs.dropped)}{extra})"

    def _const(self, key: str) -> float:
        return math.nan if key in self.unidentified else constants(self.theta)[key]

    E = property(lambda self: self._const("E"), doc="Irreducible loss E = e^e (nats per token).")
    A = property(lambda self: self._const("A"), doc="Coefficient of the parameter term, A = e^a.")
    B = property(lambda self: self._const("B"), doc="Coefficient of the data term, B = e^b.")
    alpha = property(lambda self: self._const("alpha"), doc="Exponent of the parameter term.")
    beta = property(lambda self: self._const("beta"), doc="Exponent of the data term.")

    @property
    def identified(self) -> bool:
        """True when every constant is determined by the runs."""
        return not self.unidentified

    def constants(self) -> dict[str, float]:
        """The fitted constants.

        Returns:
            ``{"E", "A", "B", "alpha", "beta"}`` (NaN for those the runs cannot determine).
        """
        return {k: self._const(k) for k in PARAMETERS}

    def to_fit(self) -> Fit:
        """This law as a :class:`~planner.laws.power_law.Fit`, usable wherever a published fit is.

        Returns:
            The ``Fit``.

        Raises:
            InputError: (field ``runs``) the runs cannot determine every constant.
        """
        if self.unidentified:
            raise InputError("runs", "runs that determine every constant", detail=why(self.runs, self.unidentified))
        c = self.constants()
        return Fit(name=self.name, E=c["E"], A=c["A"], B=c["B"], alpha=c["alpha"], beta=c["beta"],
                   source=self.source or f"fitted to {len(self.runs)} runs (Approach 3, Huber δ={self.delta:g})")

    # -- predictions (vectorised through Fit) --
    @overload
    def loss(self, params: float | str, tokens: float | str) -> float: ...
    @overload
    def loss(self, params: Any, tokens: Any) -> FloatOrArray: ...

    def loss(self, params: Any, tokens: Any) -> FloatOrArray:
        """Predicted loss at N = ``params``, D = ``tokens`` (scalars or arrays).

        Args:
            params: N.
            tokens: D.

        Returns:
            A float, or an array when an input is one.

        Raises:
            InputError: the law is not identified, or a value out of range (see :meth:`Fit.loss`).
        """
        out: FloatOrArray = self.to_fit().loss(params, tokens)
        return out

    @overload
    def optimal(self, flops: float | str) -> tuple[float, float]: ...
    @overload
    def optimal(self, flops: Any) -> tuple[FloatOrArray, FloatOrArray]: ...

    def optimal(self, flops: Any) -> tuple[FloatOrArray, FloatOrArray]:
        """(N_opt, D_opt) for a budget of ``flops`` (≈ 6·N·D).

        Args:
            flops: the budget C (a number or an array).

        Returns:
            ``(N_opt, D_opt)``.

        Raises:
            InputError: the law is not identified, or ``flops`` out of range (see :meth:`Fit.optimal`).
        """
        return self.to_fit().optimal(flops)

    @overload
    def tokens_per_param(self, flops: float | str) -> float: ...
    @overload
    def tokens_per_param(self, flops: Any) -> FloatOrArray: ...

    def tokens_per_param(self, flops: Any) -> FloatOrArray:
        """The compute-optimal D/N at ``flops``.

        Args:
            flops: the budget C.

        Returns:
            D_opt/N_opt.

        Raises:
            InputError: the law is not identified, or ``flops`` out of range.
        """
        n, d = self.optimal(flops)
        ratio: FloatOrArray = d / n
        return ratio

    # -- diagnostics --
    @property
    def predicted(self) -> FloatArray:
        """The fitted loss at each run used (defined even when a constant is not)."""
        pred, _ = predict(self.theta, np.log(self.runs.params), np.log(self.runs.tokens))
        return np.exp(pred)

    @property
    def residuals(self) -> FloatArray:
        """log(observed loss) − log(fitted loss) of each run: the quantity the Huber loss was applied to."""
        return np.log(self.runs.loss) - np.log(self.predicted)

    @property
    def flops_range(self) -> tuple[float, float]:
        """Smallest and largest training compute (6·N·D) among the runs used.

        Raises:
            InputError: (field ``fit``) a law read back without valid runs has no compute range.
        """
        c = self.runs.flops
        if not len(c):
            raise InputError("fit", "a fit with its runs", detail=f"{self.name}: no valid runs were saved with "
                                                                  "this law, so its compute range is not known")
        return float(c.min()), float(c.max())

    @overload
    def extrapolation(self, flops: float | str) -> float: ...
    @overload
    def extrapolation(self, flops: Any) -> FloatOrArray: ...

    def extrapolation(self, flops: Any) -> FloatOrArray:
        """How many times ``flops`` lies outside the runs' compute range (1.0 inside it). Vectorised.

        Args:
            flops: a budget, or an array (a Series) of them.

        Returns:
            The factor, a float or an array like ``flops``.

        Raises:
            InputError: ``flops`` not positive finite numbers; (field ``fit``) no runs.
        """
        c: FloatOrArray
        if any_array(flops):
            (arr,) = floats(flops) if np.asarray(flops).dtype.kind in "iuf" else (None,)
            if arr is None or not (np.isfinite(arr) & (arr > 0)).all():
                raise InputError("flops", "positive finite numbers", detail="must be positive finite numbers")
            c = arr
        else:
            c = validate.positive_real("flops", flops, maximum=limits.MAX_FLOPS)
        lo, hi = self.flops_range
        out: FloatOrArray = like(np.maximum(1.0, np.maximum(c / hi, lo / c)), flops)
        return out

    def check_extrapolation(self, flops: Any, limit: float = EXTRAPOLATION_LIMIT) -> float:
        """Warn (:class:`ExtrapolationWarning`) when ``flops`` is more than ``limit`` times outside the runs' compute.

        Args:
            flops: a budget.
            limit: the factor beyond which to warn.

        Returns:
            The extrapolation factor (see :meth:`extrapolation`).

        Raises:
            InputError: ``flops`` not a positive number up to 10^61; (field ``fit``) no runs.
        """
        c = validate.positive_real("flops", flops, maximum=limits.MAX_FLOPS)
        factor: float = self.extrapolation(c)
        if factor > limit:
            lo, hi = self.flops_range
            where = "above the largest" if c > hi else "below the smallest"
            warnings.warn(f"{c:.3g} FLOPs is {factor:,.0f}x {where} run of the ladder ({lo:.3g}-{hi:.3g} FLOPs): "
                          "the fitted law is extrapolated far beyond its data", ExtrapolationWarning, stacklevel=2)
        return factor

    def to_dict(self) -> dict[str, Any]:
        """The fit as JSON.

        Returns:
            Constants (None when not determined), runs used and dropped, δ, the objective and the compute range.

        Raises:
            InputError: (field ``fit``) a law read back without runs has no compute range.
        """
        return {"name": self.name, **{k: (v if math.isfinite(v) else None) for k, v in self.constants().items()},
                "unidentified": list(self.unidentified), "runs": len(self.runs), "dropped": list(self.runs.dropped),
                "delta": self.delta, "objective": self.objective, "flops_range": list(self.flops_range)}

    # -- uncertainty --
    def bootstrap(self, samples: int = 1000, seed: int = 0, level: float = LEVEL) -> Bootstrap:
        """Refit ``samples`` resamples of the runs for confidence intervals (:func:`planner.laws.bootstrap.resample`).

        Args:
            samples: number of resamples (≥ 10).
            seed: seed of the random generator (the same seed gives the same intervals).
            level: confidence level of the intervals, in (0, 1).

        Returns:
            :class:`~planner.laws.bootstrap.Bootstrap`.

        Raises:
            InputError: ``samples``, ``seed`` or ``level`` out of range; (field ``runs``) no runs to resample.
        """
        return resample(self, samples, seed=seed, level=level)

    # -- files --
    def save(self, path: str | Path, bootstrap: Bootstrap | None = None) -> Path:
        """Write this law (and the runs it was fitted to) to a TOML file; with ``bootstrap``, its intervals too.

        The file works wherever a fit name does: ``planner optimal --fit PATH``, ``[law] fit = "PATH"``.

        Args:
            path: the ``.toml`` file to write (a regular file or a new one; never a FIFO or device).
            bootstrap: a :class:`~planner.laws.bootstrap.Bootstrap` of this fit, or None.

        Returns:
            The path written.

        Raises:
            InputError: field ``runs`` when the runs cannot determine every constant; ``save`` when the
                path is not usable (a NUL byte, a FIFO) or the file cannot be written; ``bootstrap`` when it is
                not a Bootstrap.
        """
        if bootstrap is not None and not isinstance(bootstrap, Bootstrap):
            raise InputError("bootstrap", "a Bootstrap or None", detail=f"must be a Bootstrap (LadderFit.bootstrap()) "
                                                                       f"or None, got {type(bootstrap).__name__}")
        law = self.to_fit()
        doc = {
            "format": saved_fit.FORMAT,
            "law": {"name": law.name, "E": law.E, "A": law.A, "B": law.B, "alpha": law.alpha, "beta": law.beta,
                    "source": law.source},
            "method": {"approach": "Hoffmann et al. 2022, Approach 3", "delta": self.delta,
                       "objective": self.objective, "flops_range": list(self.flops_range),
                       "dropped": list(self.runs.dropped)},
            "runs": {"name": list(self.runs.names), "params": self.runs.params.tolist(),
                     "tokens": self.runs.tokens.tolist(), "loss": self.runs.loss.tolist(),
                     "weight": self.runs.weight.tolist()},
        }
        if bootstrap is not None:
            iv = bootstrap.intervals()
            doc["intervals"] = {"level": bootstrap.level, "samples": len(bootstrap.thetas), "seed": bootstrap.seed,
                                **{k: [iv[k].low, iv[k].high] for k in PARAMETERS}}
            # the refits themselves, so a plan can later be judged with this uncertainty (load_bootstrap)
            doc["bootstrap"] = {"theta": ["a", "b", "e", "alpha", "beta"], "refits": bootstrap.thetas.tolist()}
        return saved_fit.write(path, doc)


def fit_ladder(runs: object, *, delta: float = DELTA, drop: object = (), drop_highest: int = 0, name: str = "ladder",
               starts: int = STARTS) -> LadderFit:
    """Fit L = E + A/N^α + B/D^β to runs by Chinchilla's Approach 3.

    Args:
        runs: a :class:`~planner.laws.runs.Runs`, or anything :func:`~planner.laws.runs.read_runs` accepts
            (CSV path, DataFrame, dict of columns).
        delta: the Huber loss's δ on log-loss residuals (> 0, at most 10; Chinchilla used 1e-3).
        drop: names of runs to leave out (only when ``runs`` is not already a :class:`Runs`).
        drop_highest: leave out the k highest-loss runs (likewise).
        name: the law's name (shown in reports; a saved file is named by its path).
        starts: how many of the best-scoring points of the 4,500-point start grid
            (:data:`planner.laws.optimise.GRID`) are optimised.

    Returns:
        :class:`LadderFit`; check :attr:`LadderFit.unidentified` before trusting every constant.

    Raises:
        InputError: bad runs (see :func:`~planner.laws.runs.read_runs`), a ``delta`` or ``starts`` out of range,
            drops given with runs already read.

    Examples:
        Chinchilla's Figure 4 runs without the five highest-loss ones: Besiroglu et al. 2024 (arXiv:2404.10102)
        reach E = 1.8172, α = 0.3473, β = 0.3672 on them, about 18 tokens per parameter at 5.76e23 FLOPs:

        >>> f = fit_ladder("data/chinchilla_fig4_runs.csv", drop_highest=5, starts=4)
        >>> round(f.E, 3), round(f.alpha, 3), round(f.beta, 3)
        (1.817, 0.347, 0.367)
        >>> round(f.tokens_per_param(5.76e23))
        18
    """
    d = validate.positive_real("delta", delta, maximum=saved_fit.MAX_DELTA)
    k = validate.count("starts", starts, minimum=1, maximum=len(grid()))
    name = validate.text("name", name)
    if not isinstance(runs, Runs):
        runs = read_runs(runs, drop=drop, drop_highest=drop_highest)
    elif drop or drop_highest:
        raise InputError("drop", "no drops for runs already read", detail="pass drop/drop_highest to read_runs instead")
    x, y, logl = np.log(runs.params), np.log(runs.tokens), np.log(runs.loss)
    best, f = best_fit(x, y, logl, runs.weight, d, starts=k)
    theta = tuple(float(t) for t in best)
    return LadderFit(name=name, theta=theta, runs=runs, delta=d, objective=f,
                     unidentified=unidentified(x, y, runs.weight, theta))


def load_ladder(path: str | Path) -> LadderFit:
    """Read a fit saved by :meth:`LadderFit.save`, with its runs (for residuals and bootstraps).

    Args:
        path: the saved fit's path.

    Returns:
        The ``LadderFit`` (without runs when the file's runs are missing or invalid: it still works as a law).

    Raises:
        InputError: (field ``fit``) a missing or unreadable file, or one without the law's constants.
    """
    doc, c = saved_fit.read(path)
    law = doc["law"]
    runs_t = doc.get("runs") or {}
    try:
        runs = read_runs({k: runs_t[k] for k in ("name", "params", "tokens", "loss", "weight")})
    except (KeyError, InputError):
        # a law without (valid) runs still works as a law; diagnostics need the runs
        empty = np.ones(0)
        runs = Runs(names=(), params=empty, tokens=empty, loss=empty, weight=empty)
    method = doc.get("method") or {}
    runs = Runs(runs.names, runs.params, runs.tokens, runs.loss, runs.weight,
                dropped=tuple(str(x) for x in method.get("dropped", ())))
    theta = (math.log(c["A"]), math.log(c["B"]), math.log(c["E"]), c["alpha"], c["beta"])
    return LadderFit(name=str(law.get("name", Path(path).stem)), theta=theta, runs=runs,
                     delta=float(method.get("delta", DELTA)), objective=float(method.get("objective", math.nan)),
                     source=str(law.get("source", "")))


def load_bootstrap(path: str | Path) -> Bootstrap | None:
    """The bootstrap saved with a fit (``LadderFit.save(path, bootstrap)``, ``planner fit --save``).

    Args:
        path: the saved fit's path.

    Returns:
        The ``Bootstrap``, or None when the file holds no refits.

    Raises:
        InputError: (field ``fit``) a missing or unreadable file, or malformed refits.
    """
    doc, _ = saved_fit.read(path)
    saved = doc.get("bootstrap")
    if saved is None:
        return None
    try:
        thetas = np.asarray(saved["refits"], dtype=float)
        ok = thetas.ndim == 2 and thetas.shape[1] == 5 and len(thetas) >= 10
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError("fit", "a saved fit (.toml)", detail=f"{path}: [bootstrap] refits must be rows of 5 numbers")
    iv = doc.get("intervals") or {}
    return Bootstrap(fit=load_ladder(path), thetas=thetas, seed=int(iv.get("seed", 0)),
                     level=float(iv.get("level", LEVEL)))
