"""Fit L(N, D) = E + A/N^α + B/D^β to your own runs (a "ladder" of small models), with uncertainty.

The method is Hoffmann et al. 2022's Approach 3 (arXiv:2203.15556, appendix D.2), as replicated by
Besiroglu et al. 2024 (arXiv:2404.10102): with x = log N and y = log D, fit

    log L̂ = LSE(a − α·x, b − β·y, e)

by minimising the Huber loss (δ = 1e-3 by default) of the residuals log L̂ − log L with a quasi-Newton
method (BFGS; Chinchilla used its limited-memory form, L-BFGS) from the best points of a grid of
starts; then A = e^a, B = e^b, E = e^e.

* :func:`read_runs` reads and validates a runs table (CSV path, DataFrame or dict of columns);
* :func:`fit_ladder` fits it and returns a :class:`LadderFit`, usable wherever a built-in fit is
  (:meth:`LadderFit.to_fit`), saved and loaded as TOML (:meth:`LadderFit.save`, :func:`load_ladder`);
* :meth:`LadderFit.bootstrap` resamples the runs (seeded) and gives a :class:`Bootstrap`: 95%
  intervals on E, A, B, α, β, on N_opt, D_opt and tokens per parameter at a budget, and on the
  predicted loss of a plan; :func:`judge_ratio` and :func:`judge_plan` say whether a plan's D/N is
  below, above or within the fitted optimum's interval, and whether that interval straddles a line;
  a bootstrap saved with the fit comes back with :func:`load_bootstrap`.

Runs that cannot determine a parameter (all at one D, at one N, or every run at one D/N ratio) are
reported as such: the parameter is listed in :attr:`LadderFit.unidentified`, its value is NaN and its
interval unbounded; such a fit cannot be used as a law.

The optimiser's speed comes from a vectorised objective with its analytic gradient, the whole grid
of starts scored in one array operation (only the most promising few are optimised), all starts (and
all bootstrap resamples) stepped together as one batch, and warm starts for the bootstrap refits (each
resample is the same runs with multiplicity weights). ``benchmarks/fitting.py`` measures it against
the reference procedure (scipy's L-BFGS-B from every grid start, finite-difference gradient).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import validate
from ..errors import InputError, PlannerWarning
from ..files import display
from ..limits import power

#: Huber δ of Chinchilla's Approach 3 (residuals are in log-loss).
DELTA = 1e-3
#: The fitted constants, in the order results are reported.
PARAMETERS = ("E", "A", "B", "alpha", "beta")
#: A budget more than this many times beyond the ladder's compute range is "far" (two decades).
EXTRAPOLATION_LIMIT = 100.0
#: Confidence level of the bootstrap intervals.
LEVEL = 0.95
#: The grid of starts of Hoffmann et al. / Besiroglu et al. (4,500 points): α, β ∈ {0, 0.5, …, 2},
#: e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25}.
GRID = {"alpha": np.arange(0, 2.5, 0.5), "beta": np.arange(0, 2.5, 0.5), "e": np.arange(-1, 1.5, 0.5),
        "a": np.arange(0, 30, 5), "b": np.arange(0, 30, 5)}
#: How many of the best-scoring grid starts are optimised.
STARTS = 16

_MIN_RUNS = len(PARAMETERS)
# θ = (a, b, e, α, β): the optimiser's coordinates (the order Besiroglu et al. use).
_THETA_OF = {"A": 0, "B": 1, "E": 2, "alpha": 3, "beta": 4}


class ExtrapolationWarning(PlannerWarning):
    """A budget lies far outside the compute range of the runs a law was fitted to."""


# ---- runs ---------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Runs:
    """A validated table of training runs: parameters N, tokens D, final loss, weight and a name each.

    Build with :func:`read_runs`. ``dropped`` names the runs that were read but left out.
    """

    names: tuple[str, ...]
    params: np.ndarray
    tokens: np.ndarray
    loss: np.ndarray
    weight: np.ndarray
    dropped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"Runs({len(self)} runs, {len(self.dropped)} dropped)"

    @property
    def flops(self) -> np.ndarray:
        """Training compute of each run, C = 6·N·D."""
        return 6.0 * self.params * self.tokens

    def to_frame(self):
        """The runs as a pandas DataFrame (name, params, tokens, flops, loss, weight)."""
        import pandas as pd
        return pd.DataFrame({"name": self.names, "params": self.params, "tokens": self.tokens,
                             "flops": self.flops, "loss": self.loss, "weight": self.weight})


def _unique_columns(names) -> dict[str, str]:
    """Column name as given → its lower-case key; two columns with one key (``params``, ``PARAMS``) are refused."""
    out: dict[str, str] = {}
    for c in names:
        key = str(c).strip().lower()
        if not key:
            continue
        if key in out.values():
            first = next(k for k, v in out.items() if v == key)
            raise InputError("runs", "one column per name (names are case-insensitive)",
                             detail=f"columns {first!r} and {str(c)!r} are the same column ({key}); keep one")
        out[c] = key
    return out


def _columns(source) -> tuple[dict[str, list], list[str], str]:
    """Raw columns of ``source``, the label of each row, and how to name a row in messages."""
    if type(source).__name__ == "DataFrame" and hasattr(source, "columns"):  # pandas, without importing it
        keys = _unique_columns(source.columns)
        cols = {key: list(source[c]) for c, key in keys.items()}
        return cols, [str(i) for i in source.index], "row"
    if isinstance(source, dict):
        keys = _unique_columns(source)
        cols = {key: list(np.atleast_1d(source[c])) for c, key in keys.items()}
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise InputError("runs", "columns of equal length",
                             detail="columns differ in length: " + ", ".join(f"{c} {len(v)}" for c, v in cols.items()))
        n = lengths.pop() if lengths else 0
        return cols, [str(i + 1) for i in range(n)], "row"
    if isinstance(source, (str, Path)):
        import csv
        import io

        from .. import files

        def error(field, problem):
            return InputError(field, "a CSV file of runs", detail=problem)
        text = files.read_text(source, "runs", error=error)
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            # blank lines skipped; each row keeps the file's line number, to point at the line to fix
            rows = [(reader.line_num, r) for r in reader if any(cell.strip() for cell in r)]
        except csv.Error as e:
            raise InputError("runs", "a readable CSV file",
                             detail=f"cannot read {files.display(source)}: {e}") from None
        if not rows:
            raise InputError("runs", "a CSV file with a header row", detail=f"{files.display(source)} is empty")
        header = rows[0][1]
        keys = _unique_columns(dict.fromkeys(header))
        if len(keys) != len([h for h in header if h.strip()]):
            dup = next(h for h in header if h.strip() and header.count(h) > 1)
            raise InputError("runs", "one column per name",
                             detail=f"the header names column {dup.strip()!r} twice; keep one")
        index = {keys[h]: i for i, h in enumerate(header) if h.strip()}
        cols = {key: [] for key in index}
        for _, r in rows[1:]:
            for key, i in index.items():
                cols[key].append(r[i] if i < len(r) else "")
        # rows counted from 1 below the header
        return cols, [f"{i + 1} (line {line})" for i, (line, _) in enumerate(rows[1:])], "row"
    raise InputError("runs", "a CSV path, a pandas DataFrame or a dict of columns", type(source).__name__)


def _numbers(column: str, values: list, labels: list[str], row_word: str, *, positive: bool = True,
             maximum: float = validate.MAX_REAL) -> np.ndarray:
    out = np.empty(len(values))
    for i, v in enumerate(values):
        if isinstance(v, str):
            s = v.strip().replace("_", "")
            try:
                f = float(s) if s else math.nan
            except ValueError:
                raise InputError(column, "a number", detail=f"{row_word} {labels[i]}: must be a number, got {validate.shown(v)}") from None
        elif isinstance(v, (bool, np.bool_, complex, np.complexfloating)) or v is None:
            raise InputError(column, "a real number", detail=f"{row_word} {labels[i]}: must be a number (real), "
                                                             f"got {validate.shown(v)}")
        else:
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise InputError(column, "a number", detail=f"{row_word} {labels[i]}: must be a number, got {validate.shown(v)}") from None
        if not math.isfinite(f):
            raise InputError(column, "a finite number", detail=f"{row_word} {labels[i]}: must be a finite number, "
                             f"got {'an empty cell' if isinstance(v, str) and not v.strip() else repr(v)}")
        if abs(f) > maximum:
            raise InputError(column, f"a number up to {power(maximum)}", detail=f"{row_word} {labels[i]}: must be at "
                             f"most {power(maximum)}, got {validate.shown(v)}")
        if positive and not f > 0:
            raise InputError(column, "a positive number", detail=f"{row_word} {labels[i]}: must be > 0, got {validate.shown(v)}")
        if not positive and f < 0:
            raise InputError(column, "a number >= 0", detail=f"{row_word} {labels[i]}: must be >= 0, got {validate.shown(v)}")
        out[i] = f
    return out


def _short_repr(v) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def read_runs(source, *, drop=(), drop_highest: int = 0) -> Runs:
    """Read and validate a table of runs.

    Args:
        source: a CSV path, a pandas DataFrame or a dict of columns. Columns (case-insensitive):
            ``params`` (N) and either ``tokens`` (D) or ``flops`` (training compute; D = flops/(6·N)),
            and ``loss`` (final training loss, nats per token); optional ``weight`` (≥ 0, default 1)
            and ``name`` (default: the row's number, counted from 1 below the header).
            ``training_flops`` is accepted for ``flops``.
        drop: names of runs to leave out (each must exist).
        drop_highest: leave out this many of the highest-loss runs (after ``drop``).

    Returns:
        :class:`Runs` with the runs kept and ``dropped`` naming the others.

    Raises:
        InputError: naming the column and the row (or the file's line) of the first bad cell: a missing
            column, a value that is not a number, NaN or empty, N, D or loss ≤ 0, a negative weight;
            ``runs`` when fewer runs remain than the 5 fitted parameters; ``drop`` for an unknown name.
    """
    cols, labels, row_word = _columns(source)
    if "flops" not in cols and "training_flops" in cols:
        cols["flops"] = cols.pop("training_flops")
    for need in ("params", "loss"):
        if need not in cols:
            raise InputError(need, "a column", detail=f"missing column {need!r} (have: "
                                                      f"{display(', '.join(cols) or 'none')})")
    if "tokens" not in cols and "flops" not in cols:
        raise InputError("tokens", "a column", detail="missing column 'tokens' (or 'flops', with D = flops/(6*params))")
    n = _numbers("params", cols["params"], labels, row_word)
    loss = _numbers("loss", cols["loss"], labels, row_word)
    if "tokens" in cols:
        d = _numbers("tokens", cols["tokens"], labels, row_word)
    else:
        d = _numbers("flops", cols["flops"], labels, row_word, maximum=validate.MAX_FLOPS) / (6.0 * n)
    w = _numbers("weight", cols["weight"], labels, row_word, positive=False) if "weight" in cols else np.ones(len(n))
    if "name" in cols:
        names = [str(v).strip() for v in cols["name"]]
    else:
        names = [str(i + 1) for i in range(len(n))]
    if len(set(names)) != len(names):
        dup = next(x for x in names if names.count(x) > 1)
        raise InputError("name", "unique run names", detail=f"run name {dup!r} appears more than once")
    keep = np.ones(len(n), dtype=bool)
    if drop is None:
        drop = ()
    if isinstance(drop, (str, int)):
        drop = (drop,)
    if not isinstance(drop, (list, tuple, set, frozenset)):
        raise InputError("drop", "a list of run names", _short_repr(drop))
    for name in drop:
        if str(name) not in names:
            raise InputError("drop", "names of runs in the table", str(name),
                             detail=f"no run named {str(name)!r} (names are the 'name' column, or row numbers from 1)")
        keep[names.index(str(name))] = False
    k = validate.count("drop_highest", drop_highest, minimum=0)
    if k:
        idx = np.flatnonzero(keep)
        worst = idx[np.argsort(-loss[idx], kind="stable")[:k]]
        keep[worst] = False
    kept = int(keep.sum())
    if kept < _MIN_RUNS:
        raise InputError("runs", f"at least {_MIN_RUNS} runs (one per fitted parameter)",
                         detail=f"{kept} run{'s' if kept != 1 else ''} left to fit; need at least {_MIN_RUNS} "
                                f"(one per fitted parameter: {', '.join(PARAMETERS)})")
    if not (w[keep] > 0).sum() >= _MIN_RUNS:
        raise InputError("weight", f"at least {_MIN_RUNS} runs with a weight > 0",
                         detail=f"fewer than {_MIN_RUNS} runs have a weight > 0")
    return Runs(names=tuple(x for x, k in zip(names, keep) if k), params=n[keep], tokens=d[keep], loss=loss[keep],
                weight=w[keep], dropped=tuple(x for x, k in zip(names, keep) if not k))


# ---- the objective -------------------------------------------------------------------------------

def _predict(theta, x, y):
    """log L̂ and the softmax weights of the three terms (the gradient of the LSE), for θ of shape (5,) or (k, 5)."""
    theta = np.asarray(theta, dtype=float)
    a, b, e, al, be = (theta[..., i, None] for i in range(5))
    t = np.stack(np.broadcast_arrays(a - al * x, b - be * y, e + 0 * x))
    m = t.max(axis=0)
    s = np.exp(t - m)
    total = s.sum(axis=0)
    return m + np.log(total), s / total


def _huber(r, delta):
    ar = np.abs(r)
    return np.where(ar <= delta, 0.5 * r * r, delta * (ar - 0.5 * delta))


def _objective(theta, x, y, logl, w, delta, grad: bool = True):
    """The objective of K problems at once, and its analytic gradient.

    ``theta`` is (K, 5) (a, b, e, α, β), ``w`` (K, n) run weights (a bootstrap resample is the runs weighted
    by how often each was drawn). The objective is Σ w·Huber_δ(log L̂ − log L) / (δ·Σw), a mean absolute
    log-residual in effect. Element-wise operations only: no BLAS call, whose threads cost more than they
    save on arrays this small.
    """
    a, b, e, al, be = (theta[:, i, None] for i in range(5))
    t1, t2 = a - al * x, b - be * y
    m = np.maximum(np.maximum(t1, t2), e)
    s1, s2, s3 = np.exp(t1 - m), np.exp(t2 - m), np.exp(e - m)
    total = s1 + s2 + s3
    r = m + np.log(total) - logl
    scale = 1.0 / (delta * w.sum(1))
    f = scale * (w * _huber(r, delta)).sum(1)
    if not grad:
        return f
    psi = (scale[:, None] * w) * np.clip(r, -delta, delta) / total  # dHuber/dr times d log L̂ / d term
    q1, q2 = psi * s1, psi * s2
    g = np.stack([q1.sum(1), q2.sum(1), (psi * s3).sum(1), -(q1 * x).sum(1), -(q2 * y).sum(1)], 1)
    return f, g


def _grid() -> np.ndarray:
    g = np.stack(np.meshgrid(GRID["a"], GRID["b"], GRID["e"], GRID["alpha"], GRID["beta"], indexing="ij"), -1)
    return g.reshape(-1, 5)


def _grid_scores(starts, x, y, logl, w, delta) -> np.ndarray:
    """The objective at every start at once, in chunks that keep the arrays small."""
    out = np.empty(len(starts))
    for i in range(0, len(starts), 500):
        th = starts[i:i + 500]
        out[i:i + 500] = _objective(th, x, y, logl, np.broadcast_to(w, (len(th), len(w))), delta, grad=False)
    return out


def _outer(u, v):
    return u[:, :, None] * v[:, None, :]


def _bfgs(theta0, x, y, logl, w, delta, maxiter: int = 2000, ftol: float = 1e-13):
    """Minimise K problems at once by BFGS with a backtracking (Armijo) line search.

    With five parameters the full 5×5 inverse Hessian is cheaper than L-BFGS's limited memory, and
    stepping all K problems (starts, or bootstrap resamples) together turns K small optimisations into
    a few array operations per iteration. A problem stops when its objective has improved by less than
    ``ftol`` (relative) three iterations running, or no step along its direction improves it.

    Returns:
        (θ of shape (K, 5), objective of shape (K,)).
    """
    th = np.array(theta0, dtype=float)
    k_all = len(th)
    w = np.broadcast_to(w, (k_all, len(x)))
    f, g = _objective(th, x, y, logl, w, delta)
    eye = np.eye(5)
    h = np.broadcast_to(eye, (k_all, 5, 5)).copy()
    active = np.isfinite(f)
    first = np.ones(k_all, dtype=bool)
    quiet = np.zeros(k_all, dtype=int)
    for _ in range(maxiter):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        d = -np.einsum("kij,kj->ki", h[idx], g[idx])
        slope = (d * g[idx]).sum(1)
        uphill = ~(slope < 0)
        if uphill.any():  # not a descent direction: restart from steepest descent
            h[idx[uphill]] = eye
            d[uphill] = -g[idx[uphill]]
            slope[uphill] = -(g[idx[uphill]] ** 2).sum(1)
        # the first step of each problem is a small one (the Hessian's scale is unknown until then)
        step = np.where(first[idx], 1e-3 / np.maximum(np.abs(d).max(1), 1e-300), 1.0)
        accepted = np.zeros(len(idx), dtype=bool)
        f_new, g_new = np.empty(len(idx)), np.empty((len(idx), 5))
        for _ in range(50):
            todo = np.flatnonzero(~accepted)
            if not len(todo):
                break
            with np.errstate(all="ignore"):
                ft, gt = _objective(th[idx[todo]] + step[todo, None] * d[todo], x, y, logl, w[idx[todo]], delta)
            ok = ft <= f[idx[todo]] + 1e-4 * step[todo] * slope[todo]
            f_new[todo[ok]], g_new[todo[ok]] = ft[ok], gt[ok]
            accepted[todo[ok]] = True
            step[todo[~ok]] *= 0.5
        active[idx[~accepted]] = False  # no step improves it: a minimum, to the precision of float64
        acc = np.flatnonzero(accepted)
        k = idx[acc]
        s = step[acc, None] * d[acc]
        yv = g_new[acc] - g[k]
        sy = (s * yv).sum(1)
        rel = (f[k] - f_new[acc]) / np.maximum(np.abs(f[k]), 1e-300)
        th[k] += s
        f[k], g[k] = f_new[acc], g_new[acc]
        update = sy > 1e-12 * np.sqrt((s * s).sum(1) * (yv * yv).sum(1))
        scale_first = first[k] & update
        if scale_first.any():  # Nocedal & Wright (6.20): H0 = (sᵀy / yᵀy)·I before the first update
            h[k[scale_first]] = eye * (sy[scale_first] / (yv[scale_first] ** 2).sum(1))[:, None, None]
        first[k] = False
        u = np.flatnonzero(update)
        if len(u):
            ku, rho, su, yu = k[u], 1.0 / sy[u], s[u], yv[u]
            hy = np.einsum("kij,kj->ki", h[ku], yu)
            yhy = (yu * hy).sum(1)
            h[ku] = (h[ku] - rho[:, None, None] * (_outer(su, hy) + _outer(hy, su))
                     + (rho * rho * yhy + rho)[:, None, None] * _outer(su, su))
        quiet[k] = np.where(rel < ftol, quiet[k] + 1, 0)
        active[k[quiet[k] >= 3]] = False
    return th, f


def _best_fit(x, y, logl, w, delta, starts: int = STARTS):
    """Optimise from the ``starts`` best-scoring points of the grid :data:`GRID`; the best optimum."""
    grid = _grid()
    with np.errstate(over="ignore", invalid="ignore"):
        scores = _grid_scores(grid, x, y, logl, w, delta)
    order = np.argsort(np.where(np.isfinite(scores), scores, np.inf), kind="stable")[:starts]
    th, f = _bfgs(grid[order], x, y, logl, w, delta)
    best = int(np.nanargmin(np.where(np.isfinite(f), f, np.inf)))
    return th[best], float(f[best])


# ---- identifiability -----------------------------------------------------------------------------

def _distinct(v) -> int:
    return len(np.unique(np.round(v, 9)))


def _unidentified(x, y, w, theta) -> tuple[str, ...]:
    """The parameters these runs cannot determine.

    At fewer than 3 distinct N (or D) the N-term (D-term) and E trade off exactly; when every run has
    the same D/N (log D affine in log N) the N- and D-terms cannot be told apart; and a direction
    in which the predictions do not change at the optimum (a flat Jacobian) leaves its parameters free.
    """
    used = w > 0
    x, y = x[used], y[used]
    bad = set()
    if _distinct(x) < 3:
        bad |= {"E", "A", "alpha"}
    if _distinct(y) < 3:
        bad |= {"E", "B", "beta"}
    if not bad:
        z = np.stack([x - x.mean(), y - y.mean()], 1)
        z = z / np.linalg.norm(z, axis=0)
        sv = np.linalg.svd(z, compute_uv=False)
        if sv[-1] < 1e-6 * sv[0]:
            bad |= {"A", "B", "alpha", "beta"}
    if not bad:
        _, p = _predict(theta, x, y)
        jac = np.stack([p[0], p[1], p[2], -p[0] * x, -p[1] * y], 1)
        norms = np.linalg.norm(jac, axis=0)
        names = [k for k, _ in sorted(_THETA_OF.items(), key=lambda kv: kv[1])]
        if (norms < 1e-12 * norms.max()).any():
            bad |= {names[i] for i in np.flatnonzero(norms < 1e-12 * norms.max())}
        else:
            _, sv, vt = np.linalg.svd(jac / norms, full_matrices=False)
            for s, v in zip(sv, vt):
                if s < 1e-7 * sv[0]:
                    bad |= {names[i] for i in np.flatnonzero(np.abs(v) > 0.1)}
    return tuple(p for p in PARAMETERS if p in bad)


# ---- the fitted law ------------------------------------------------------------------------------

def _constants(theta) -> dict[str, float]:
    a, b, e, al, be = (float(t) for t in theta)
    return {"E": math.exp(e), "A": math.exp(a), "B": math.exp(b), "alpha": al, "beta": be}


@dataclass(frozen=True, eq=False)
class Interval:
    """A confidence interval ``[low, high]`` around ``value``; unbounded (±inf) when not identified."""

    value: float
    low: float
    high: float
    identified: bool = True

    def straddles(self, threshold: float) -> bool:
        """True when ``threshold`` lies inside the interval: the data cannot say on which side it is."""
        return not self.identified or self.low <= threshold <= self.high

    def to_dict(self) -> dict:
        """``{"value", "low", "high", "identified"}``; non-finite numbers as None (JSON has no inf)."""
        def num(v):
            return float(v) if math.isfinite(v) else None
        return {"value": num(self.value), "low": num(self.low), "high": num(self.high), "identified": self.identified}


@dataclass(frozen=True, eq=False)
class LadderFit:
    """A law fitted to runs: the optimiser's θ = (a, b, e, α, β), the runs used and how.

    The constants (:attr:`E`, :attr:`A`, :attr:`B`, :attr:`alpha`, :attr:`beta`) are derived from θ;
    each is NaN when the runs cannot determine it (listed in :attr:`unidentified`).
    """

    name: str
    theta: tuple[float, float, float, float, float]
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
        return math.nan if key in self.unidentified else _constants(self.theta)[key]

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
        """``{"E", "A", "B", "alpha", "beta"}`` (NaN for those the runs cannot determine)."""
        return {k: self._const(k) for k in PARAMETERS}

    def to_fit(self):
        """This law as a :class:`planner.laws.Fit`, usable wherever a built-in fit is.

        Raises:
            InputError (field ``runs``): when the runs cannot determine every constant.
        """
        from .fits import Fit
        if self.unidentified:
            raise InputError("runs", "runs that determine every constant", detail=self._why_unidentified())
        c = self.constants()
        return Fit(name=self.name, E=c["E"], A=c["A"], B=c["B"], alpha=c["alpha"], beta=c["beta"],
                   source=self.source or f"fitted to {len(self.runs)} runs (Approach 3, Huber δ={self.delta:g})")

    def _why_unidentified(self) -> str:
        return (f"these {len(self.runs)} runs cannot determine {', '.join(self.unidentified)} "
                f"({_distinct(np.log(self.runs.params))} distinct N, {_distinct(np.log(self.runs.tokens))} distinct D); "
                "add runs at 3 or more sizes and 3 or more token counts, not all at one D/N")

    # -- predictions (vectorised through Fit) --
    def loss(self, params, tokens):
        """Predicted loss at N = ``params``, D = ``tokens`` (scalars or arrays). Raises if not identified."""
        return self.to_fit().loss(params, tokens)

    def optimal(self, flops):
        """(N_opt, D_opt) for a budget of ``flops`` (≈ 6·N·D). Raises if not identified."""
        return self.to_fit().optimal(flops)

    def tokens_per_param(self, flops):
        """The compute-optimal D/N at ``flops``. Raises if not identified."""
        n, d = self.optimal(flops)
        return d / n

    # -- diagnostics --
    @property
    def predicted(self) -> np.ndarray:
        """The fitted loss at each run used (defined even when a constant is not)."""
        pred, _ = _predict(self.theta, np.log(self.runs.params), np.log(self.runs.tokens))
        return np.exp(pred)

    @property
    def residuals(self) -> np.ndarray:
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

    def extrapolation(self, flops):
        """How many times ``flops`` lies outside the runs' compute range (1.0 inside it). Vectorised."""
        from ..arrays import any_array, floats, like
        if any_array(flops):
            (c,) = floats(flops) if np.asarray(flops).dtype.kind in "iuf" else (None,)
            if c is None or not (np.isfinite(c) & (c > 0)).all():
                raise InputError("flops", "positive finite numbers", detail="must be positive finite numbers")
        else:
            c = validate.positive_real("flops", flops, maximum=validate.MAX_FLOPS)
        lo, hi = self.flops_range
        return like(np.maximum(1.0, np.maximum(c / hi, lo / c)), flops)

    def check_extrapolation(self, flops, limit: float = EXTRAPOLATION_LIMIT) -> float:
        """Warn (:class:`ExtrapolationWarning`) when ``flops`` is more than ``limit`` times outside the runs' compute.

        Returns the extrapolation factor (see :meth:`extrapolation`).
        """
        c = validate.positive_real("flops", flops, maximum=validate.MAX_FLOPS)
        factor = self.extrapolation(c)
        if factor > limit:
            lo, hi = self.flops_range
            where = "above the largest" if c > hi else "below the smallest"
            warnings.warn(f"{c:.3g} FLOPs is {factor:,.0f}x {where} run of the ladder ({lo:.3g}-{hi:.3g} FLOPs): "
                          "the fitted law is extrapolated far beyond its data", ExtrapolationWarning, stacklevel=2)
        return factor

    def to_dict(self) -> dict:
        """Constants (None when not determined), runs used and dropped, δ and the objective."""
        return {"name": self.name, **{k: (v if math.isfinite(v) else None) for k, v in self.constants().items()},
                "unidentified": list(self.unidentified), "runs": len(self.runs), "dropped": list(self.runs.dropped),
                "delta": self.delta, "objective": self.objective, "flops_range": list(self.flops_range)}

    # -- uncertainty --
    def bootstrap(self, samples: int = 1000, seed: int = 0, level: float = LEVEL) -> "Bootstrap":
        """Refit ``samples`` resamples of the runs (drawn with replacement, seeded) for confidence intervals.

        Each resample is the same runs weighted by how often they were drawn, refitted from this fit's
        optimum (a warm start).

        Args:
            samples: number of resamples (≥ 10).
            seed: seed of the random generator (the same seed gives the same intervals).
            level: confidence level of the intervals, in (0, 1).

        Returns:
            :class:`Bootstrap`.
        """
        b = validate.count("samples", samples, minimum=10, maximum=1_000_000)
        s = validate.count("seed", seed, minimum=0, maximum=2**63)
        lvl = validate.positive_real("level", level, maximum=0.999999)
        r = self.runs
        if len(r) < _MIN_RUNS:  # a law read back without its runs
            raise InputError("runs", f"at least {_MIN_RUNS} runs", detail=f"{self.name}: {len(r)} valid runs to "
                                                                           "resample; a bootstrap needs the runs")
        x, y, logl = np.log(r.params), np.log(r.tokens), np.log(r.loss)
        rng = np.random.default_rng(s)
        # each resample: how often each run was drawn, times the user's weight
        draws = rng.multinomial(len(r), np.full(len(r), 1.0 / len(r)), size=b) * r.weight
        thetas = np.empty((b, 5))
        for i in range(0, b, 500):
            chunk = draws[i:i + 500]
            thetas[i:i + 500], _ = _bfgs(np.tile(self.theta, (len(chunk), 1)), x, y, logl, chunk, self.delta)
        return Bootstrap(fit=self, thetas=thetas, seed=s, level=lvl)

    # -- files --
    def save(self, path, bootstrap: "Bootstrap | None" = None) -> Path:
        """Write this law (and the runs it was fitted to) to a TOML file; with ``bootstrap``, its intervals too.

        The file works wherever a fit name does: ``planner optimal --fit PATH``, ``[law] fit = "PATH"``.

        Args:
            path: the ``.toml`` file to write (a regular file or a new one; never a FIFO or device).
            bootstrap: a :class:`Bootstrap` of this fit, or None.

        Returns:
            The path written.

        Raises:
            InputError: field ``runs`` when the runs cannot determine every constant; ``save`` when the
                path is not usable (a NUL byte, a FIFO) or the file cannot be written; ``bootstrap`` when it is
                not a Bootstrap.
        """
        import tomli_w
        if bootstrap is not None and not isinstance(bootstrap, Bootstrap):
            raise InputError("bootstrap", "a Bootstrap or None", detail=f"must be a Bootstrap (LadderFit.bootstrap()) "
                                                                       f"or None, got {type(bootstrap).__name__}")
        law = self.to_fit()
        doc = {
            "format": "planner-fit/1",
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
        import stat

        from .. import files
        path = files.checked_path(path, "save", error=lambda f, p: InputError(f, "a writable file path", detail=p))
        try:
            if path.exists() and not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block the write forever
                raise InputError("save", "a writable file path",
                                 detail=f"{files.display(path)} exists and is not a regular file")
            path.write_text(tomli_w.dumps(doc), encoding="utf-8")
        except OSError as e:
            raise InputError("save", "a writable file path",
                             detail=f"cannot write {files.display(path)}: {e.strerror or e}") from None
        return path


def fit_ladder(runs, *, delta: float = DELTA, drop=(), drop_highest: int = 0, name: str = "ladder",
               starts: int = STARTS) -> LadderFit:
    """Fit L = E + A/N^α + B/D^β to runs by Chinchilla's Approach 3.

    Args:
        runs: a :class:`Runs`, or anything :func:`read_runs` accepts (CSV path, DataFrame, dict of columns).
        delta: the Huber loss's δ on log-loss residuals (> 0; Chinchilla used 1e-3).
        drop: names of runs to leave out (only when ``runs`` is not already a :class:`Runs`).
        drop_highest: leave out the k highest-loss runs (likewise).
        name: the law's name (shown in reports; a saved file is named by its path).
        starts: how many of the best-scoring points of the 4,500-point start grid (:data:`GRID`) are optimised.

    Returns:
        :class:`LadderFit`; check :attr:`LadderFit.unidentified` before trusting every constant.

    Raises:
        InputError: bad runs (see :func:`read_runs`), a non-positive ``delta`` or ``starts``.
    """
    d = validate.positive_real("delta", delta, maximum=10.0)
    k = validate.count("starts", starts, minimum=1, maximum=len(_grid()))
    name = validate.text("name", name)
    if not isinstance(runs, Runs):
        runs = read_runs(runs, drop=drop, drop_highest=drop_highest)
    elif drop or drop_highest:
        raise InputError("drop", "no drops for runs already read", detail="pass drop/drop_highest to read_runs instead")
    x, y, logl = np.log(runs.params), np.log(runs.tokens), np.log(runs.loss)
    theta, f = _best_fit(x, y, logl, runs.weight, d, starts=k)
    theta = tuple(float(t) for t in theta)
    return LadderFit(name=name, theta=theta, runs=runs, delta=d, objective=f,
                     unidentified=_unidentified(x, y, runs.weight, theta))


def _fit_error(field: str, problem: str) -> InputError:
    return InputError(field, "a saved fit (.toml)", detail=problem)


#: The fitted exponents a saved law may state: a law with α or β outside this range has no finite optimum.
_EXPONENTS = (1e-6, 10.0)


def _read_saved(path) -> tuple[dict, dict[str, float]]:
    """The parsed TOML of a saved fit and its validated constants.

    Read through :func:`planner.files.read_text` (regular files only, at most 16 MiB, never blocking);
    every value the loaders use is checked here, so a hostile file is one :class:`InputError` naming
    ``fit`` or the key (``fit.law.alpha``, ``fit.method.flops_range``, ``fit.intervals.level``).
    """
    import tomllib

    from .. import files
    p = files.checked_path(path, "fit", error=_fit_error)
    if not p.exists() and not p.is_symlink():
        raise InputError("fit", "a built-in fit name or a saved fit (.toml)", str(path),
                         detail=f"no such fit file: {files.display(p)}")
    text = files.read_text(p, "fit", error=_fit_error)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _fit_error("fit", f"cannot read {files.display(p)}: not valid TOML ({e})") from None
    except (ValueError, RecursionError, MemoryError) as e:  # 5,000 digits, nesting 5,000 deep
        raise _fit_error("fit", f"cannot read {files.display(p)}: not a usable TOML document "
                                f"({type(e).__name__})") from None
    law = doc.get("law")
    if not isinstance(law, dict):
        raise InputError("fit", "a saved fit (.toml)", detail=f"{files.display(p)} has no [law] table")
    c = {k: validate.positive_real(f"fit.law.{k}", law.get(k), maximum=validate.MAX_REAL) for k in ("E", "A", "B")}
    for k in ("alpha", "beta"):
        c[k] = validate.positive_real(f"fit.law.{k}", law.get(k), minimum=_EXPONENTS[0], inclusive=True,
                                      maximum=_EXPONENTS[1])
    for k in ("name", "source"):
        if k in law and not isinstance(law[k], str):
            raise _fit_error(f"fit.law.{k}", f"must be a string, got {validate.shown(law[k])}")
    method = doc.get("method", {})
    if not isinstance(method, dict):
        raise _fit_error("fit.method", "must be a table")
    span = method.get("flops_range")
    if span is not None:
        if not isinstance(span, list) or len(span) != 2:
            raise _fit_error("fit.method.flops_range", f"must be a list of two FLOP counts, got {validate.shown(span)}")
        lo, hi = (validate.positive_real("fit.method.flops_range", v, maximum=validate.MAX_FLOPS) for v in span)
        if lo > hi:
            raise _fit_error("fit.method.flops_range", f"must be [smallest, largest], got {validate.shown(span)}")
        method["flops_range"] = [lo, hi]
    if "delta" in method:
        method["delta"] = validate.positive_real("fit.method.delta", method["delta"], maximum=10.0)
    if "objective" in method:
        method["objective"] = validate.positive_real("fit.method.objective", method["objective"], minimum=0,
                                                     inclusive=True, maximum=validate.MAX_REAL)
    dropped = method.get("dropped", [])
    if not isinstance(dropped, list) or not all(isinstance(x, (str, int)) and not isinstance(x, bool)
                                                for x in dropped):
        raise _fit_error("fit.method.dropped", "must be a list of run names")
    iv = doc.get("intervals", {})
    if not isinstance(iv, dict):
        raise _fit_error("fit.intervals", "must be a table")
    if "level" in iv:
        iv["level"] = validate.positive_real("fit.intervals.level", iv["level"], maximum=0.999999)
    if "seed" in iv:
        iv["seed"] = validate.count("fit.intervals.seed", iv["seed"], minimum=0, maximum=2**63)
    return doc, c


def load_law(path):
    """The law saved in ``path`` (by :meth:`LadderFit.save`) as a :class:`planner.laws.Fit` named ``path``.

    This is what :func:`planner.laws.fit` returns for a ``*.toml`` name, so the name round-trips.

    Raises:
        InputError (field ``fit``): a missing or unreadable file, or one without the law's constants.
    """
    from .fits import Fit
    doc, c = _read_saved(path)
    source = str(doc["law"].get("source", "")) or f"fitted law saved in {path}"
    span = (doc.get("method") or {}).get("flops_range")
    fitted = (span[0], span[1]) if span is not None else None
    return Fit(name=str(path), E=c["E"], A=c["A"], B=c["B"], alpha=c["alpha"], beta=c["beta"], source=source,
               fitted_flops=fitted)


def load_ladder(path) -> LadderFit:
    """Read a fit saved by :meth:`LadderFit.save`, with its runs (for residuals and bootstraps).

    Raises:
        InputError (field ``fit``): a missing or unreadable file, or one without the law's constants.
    """
    doc, c = _read_saved(path)
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


def load_bootstrap(path) -> "Bootstrap | None":
    """The bootstrap saved with a fit (``LadderFit.save(path, bootstrap)``, ``planner fit --save``), or None.

    Raises:
        InputError (field ``fit``): a missing or unreadable file, or malformed refits.
    """
    doc, _ = _read_saved(path)
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


# ---- uncertainty ---------------------------------------------------------------------------------

_UNBOUNDED = (-math.inf, math.inf)


@dataclass(frozen=True, eq=False)
class Bootstrap:
    """Refits of resampled runs (``thetas``: one θ = (a, b, e, α, β) per resample) around ``fit``.

    Intervals are percentile intervals at ``level``; a quantity that depends on a constant the runs
    cannot determine gets an unbounded interval with ``identified=False``.
    """

    fit: LadderFit
    thetas: np.ndarray
    seed: int = 0
    level: float = LEVEL

    def _interval(self, value: float, samples: np.ndarray, needs=PARAMETERS) -> Interval:
        if any(p in self.fit.unidentified for p in needs):
            return Interval(math.nan, *_UNBOUNDED, identified=False)
        tail = 100 * (1 - self.level) / 2
        samples = samples[np.isfinite(samples)]
        if len(samples) < 0.9 * len(self.thetas):  # resamples whose refit diverged: say unbounded
            return Interval(value, *_UNBOUNDED, identified=False)
        lo, hi = np.percentile(samples, [tail, 100 - tail])
        return Interval(float(value), float(lo), float(hi))

    def _samples(self) -> dict[str, np.ndarray]:
        t = self.thetas
        with np.errstate(over="ignore"):
            return {"E": np.exp(t[:, 2]), "A": np.exp(t[:, 0]), "B": np.exp(t[:, 1]), "alpha": t[:, 3], "beta": t[:, 4]}

    def intervals(self) -> dict[str, Interval]:
        """An :class:`Interval` for each of E, A, B, alpha, beta."""
        s = self._samples()
        c = _constants(self.fit.theta)
        return {k: self._interval(c[k], s[k], needs=(k,)) for k in PARAMETERS}

    def _optimal_samples(self, c: float):
        s = self._samples()
        a, b = s["alpha"], s["beta"]
        with np.errstate(all="ignore"):
            g = (a * s["A"] / (b * s["B"])) ** (1.0 / (a + b))
            n = g * (c / 6.0) ** (b / (a + b))
        return n, c / (6.0 * n)

    def optimal(self, flops) -> dict[str, Interval]:
        """Intervals on N_opt (``params``), D_opt (``tokens``) and D/N (``tokens_per_param``) at ``flops``."""
        c = validate.positive_real("flops", flops, maximum=validate.MAX_FLOPS)
        needs = ("A", "B", "alpha", "beta")
        ns, ds = self._optimal_samples(c)
        if any(p in self.fit.unidentified for p in needs):
            n = d = math.nan
        else:
            n, d = self.fit.optimal(c)
        return {"params": self._interval(n, ns, needs), "tokens": self._interval(d, ds, needs),
                "tokens_per_param": self._interval(d / n if n == n else math.nan, ds / ns, needs)}

    def tokens_per_param(self, flops) -> Interval:
        """Interval on the compute-optimal D/N at ``flops``."""
        return self.optimal(flops)["tokens_per_param"]

    def loss(self, params, tokens) -> Interval:
        """Interval on the predicted loss of a run with N = ``params`` and D = ``tokens``."""
        n = validate.positive_real("params", params, maximum=validate.MAX_REAL)
        d = validate.positive_real("tokens", tokens, maximum=validate.MAX_REAL)
        pred, _ = _predict(self.thetas, math.log(n), math.log(d))
        value = self.fit.loss(n, d) if self.fit.identified else math.nan
        return self._interval(value, np.exp(pred.ravel()))


@dataclass(frozen=True)
class RatioJudgement:
    """A plan's D/N judged against the fitted compute-optimal D/N at the plan's compute.

    ``side`` is ``"below"`` or ``"above"`` when the plan's ratio is outside the optimum's interval,
    ``"uncertain"`` when it is inside (the fit cannot say which side of optimal the plan is on).
    """

    ratio: float
    flops: float
    optimum: Interval
    side: str
    level: float = LEVEL

    @property
    def uncertain(self) -> bool:
        """True when the fit cannot say on which side of its optimum the plan's D/N lies."""
        return self.side == "uncertain"

    @property
    def message(self) -> str:
        """One sentence: where the plan's D/N lies relative to the fitted optimum's interval."""
        from ..format import fmt_ratio
        o, r = self.optimum, fmt_ratio(self.ratio)
        if not o.identified:
            return f"D/N {r}: the runs cannot determine the optimal D/N, so the plan cannot be judged against this fit"
        span = f"{self.level:.0%} interval of the fitted optimum, {fmt_ratio(o.low)}-{fmt_ratio(o.high)}"
        if self.side == "uncertain":
            return f"D/N {r} is inside the {span}: the fit cannot say whether it is below or above optimal"
        return f"D/N {r} is {self.side} the {span}"


def _check_bootstrap(bootstrap) -> None:
    if not isinstance(bootstrap, Bootstrap):
        raise InputError("bootstrap", "a Bootstrap (LadderFit.bootstrap() or load_bootstrap())",
                         detail=f"must be a Bootstrap (LadderFit.bootstrap()), got {type(bootstrap).__name__}")


def judge_ratio(bootstrap: Bootstrap, params, tokens) -> RatioJudgement:
    """Judge a run's D/N against the bootstrap interval of the fitted optimal D/N at its compute (6·N·D).

    Args:
        bootstrap: a :class:`Bootstrap` of the fitted law.
        params: the plan's N.
        tokens: the plan's D.

    Returns:
        :class:`RatioJudgement`: ``side`` is ``"below"``, ``"above"`` or ``"uncertain"`` (the plan's
        ratio lies inside the interval, or the optimum is not identified).

    Raises:
        InputError: ``bootstrap`` is not a :class:`Bootstrap`; ``params`` or ``tokens`` not positive up to 10^30.
    """
    _check_bootstrap(bootstrap)
    n = validate.positive_real("params", params, maximum=validate.MAX_REAL)
    d = validate.positive_real("tokens", tokens, maximum=validate.MAX_REAL)
    c = 6.0 * n * d
    opt = bootstrap.tokens_per_param(c)
    r = d / n
    side = "uncertain" if opt.straddles(r) else "below" if r < opt.low else "above"
    return RatioJudgement(ratio=r, flops=c, optimum=opt, side=side, level=bootstrap.level)


def straddles(interval: Interval, threshold) -> bool:
    """True when ``threshold`` (e.g. a gate line of 20 tokens per parameter) lies inside ``interval``.

    An unidentified interval straddles every threshold.
    """
    t = validate.positive_real("threshold", threshold, maximum=validate.MAX_REAL)
    return interval.straddles(t)


@dataclass(frozen=True)
class PlanJudgement:
    """A plan (N, D) seen through a fitted law and its bootstrap.

    ``loss`` is the predicted loss with its interval; ``ratio`` judges the plan's D/N against the fitted
    optimum at the plan's compute; ``line`` is the gate's compute-optimal line (tokens per parameter) and
    ``line_straddled`` says whether the fitted optimum's interval contains it (then the fit cannot say
    whether that line is too low or too high for this law); ``extrapolation`` is how many times the
    plan's compute lies outside the runs' compute range.
    """

    params: float
    tokens: float
    loss: Interval
    ratio: RatioJudgement
    line: float
    line_straddled: bool
    extrapolation: float

    @property
    def messages(self) -> list[str]:
        """What a reader should know, one sentence each."""
        from ..format import fmt_ratio
        out = [self.ratio.message]
        o = self.ratio.optimum
        if o.identified and self.line_straddled:
            out.append(f"the fitted optimum's interval ({fmt_ratio(o.low)}-{fmt_ratio(o.high)}) straddles the {self.line:g}x line: "
                       "these runs cannot say whether that line is enough")
        elif o.identified:
            side = "above" if o.low > self.line else "below"
            out.append(f"the fitted optimum's whole interval is {side} the {self.line:g}x line")
        if self.extrapolation > EXTRAPOLATION_LIMIT:
            out.append(f"the plan's compute is {self.extrapolation:,.0f}x outside the runs' range: an extrapolation")
        return out


def judge_plan(bootstrap: Bootstrap, plan=None, *, params=None, tokens=None, line: float | None = None) -> PlanJudgement:
    """Judge a plan against a fitted law with its uncertainty.

    Args:
        bootstrap: a :class:`Bootstrap` of the fitted law (:meth:`LadderFit.bootstrap`).
        plan: a :class:`planner.Plan` (N from its model, D its training tokens including prior tokens,
            the line its ``thresholds.optimal``); or give ``params`` and ``tokens`` instead.
        params: N, when no plan is given.
        tokens: D, when no plan is given.
        line: the tokens-per-parameter line to test (default: the plan's optimal line, else 20).

    Returns:
        :class:`PlanJudgement`.

    Raises:
        InputError: ``bootstrap`` is not a :class:`Bootstrap`; ``plan`` is not a Plan; neither a plan nor both
            ``params`` and ``tokens``; non-positive numbers.
    """
    _check_bootstrap(bootstrap)
    if plan is not None:
        from ..verdict.plan import Plan, assess_plan
        if not isinstance(plan, Plan):
            raise InputError("plan", "a Plan", detail=f"must be a planner.Plan, got {type(plan).__name__}")
        a = assess_plan(plan)
        n, d = float(a.params), float(plan.budget.cumulative_tokens)
        default_line = plan.thresholds.optimal
    elif params is not None and tokens is not None:
        n = validate.positive_real("params", params, maximum=validate.MAX_REAL)
        d = validate.positive_real("tokens", tokens, maximum=validate.MAX_REAL)
        default_line = 20.0
    else:
        raise InputError("plan", "a Plan, or params and tokens", detail="give a plan, or both params and tokens")
    t = default_line if line is None else validate.positive_real("line", line, maximum=validate.MAX_REAL)
    judged = judge_ratio(bootstrap, n, d)
    return PlanJudgement(params=n, tokens=d, loss=bootstrap.loss(n, d), ratio=judged, line=t,
                         line_straddled=judged.optimum.straddles(t),
                         extrapolation=float(bootstrap.fit.extrapolation(6.0 * n * d)))
