"""The data-constrained scaling law (Muennighoff et al. 2023, arXiv:2305.16264) and its optimum.

With U unique tokens, repeated tokens are worth less than fresh ones, and so are parameters beyond
what the unique data can feed. With U_D = min(U, D):

    R_D = D/U_D − 1,                  D′ = U_D + U_D·R_D*·(1 − exp(−R_D/R_D*))
    U_N = min(N, N_opt(U_D)),         R_N = N/U_N − 1,    N′ = U_N + U_N·R_N*·(1 − exp(−R_N/R_N*))
    L(N, D, U) = E + A/N′^α + B/D′^β

where N_opt(D) is the size that is compute-optimal for D tokens under the same fit. The paper's C4
fit (its repository's README) is :data:`MUENNIGHOFF`: log-space constants a = 6.255414,
b = 7.3049974, e = 0.6254804 (A = e^a ≈ 520.825, B = e^b ≈ 1487.716, E = e^e ≈ 1.869144),
α = β = 0.3526596, R_D* = 15.387756, R_N* = 5.309743. The constants are kept unrounded: the README's
check value L(8.67e9, 178e9, 25e9) = 2.226963 needs them (the rounded A, B, E give 2.226964).

Any fit of the form E + A/N^α + B/D^β can be used with the same decay constants R_D*, R_N*
(``fit="epoch"``); only ``muennighoff`` was fitted together with them.

The optimum for a budget C and a corpus U has no closed form: :func:`optimal` minimises
L(N, C/(6N), U) over N exactly (a vectorised golden-section search, :mod:`planner.laws.minimise`),
for a scalar or for a whole grid of (C, U) at once.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, overload

import numpy as np

from .. import validate
from ..arrays import any_array, like
from ..errors import InputError
from ..lines import OPTIMAL_LINE
from ..training.compute import training_flops
from ..training.corpus import R_STAR, effective_tokens
from . import registry
from .minimise import minimise_log
from .power_law import FITS, FITTED_FLOPS, FLOPS_PER_PARAM_TOKEN, FLOPS_RANGE, Fit, FloatArray, FloatOrArray

# A user's number (params, tokens, flops, unique_tokens) is typed Any: it is validated here (a number, text such
# as "7B", a numpy array or a pandas Series). A fit is a Fit, a fit's name or a saved fit's path, or None.
FitLike = Fit | str | None

#: Decay constant of repeated tokens (R_D*): the one in :mod:`planner.training.corpus`.
R_D_STAR = R_STAR
#: Decay constant of excess parameters (R_N*), Muennighoff et al. 2023, C4 fit.
R_N_STAR = 5.309743

#: The C4 fit of Muennighoff et al. 2023 (arXiv:2305.16264, github.com/huggingface/datablations README).
MUENNIGHOFF = FITS["muennighoff"]

_UNLIMITED = math.inf


def law_fit(fit: FitLike = None) -> Fit:
    """The fit a data-constrained or inference-aware computation uses.

    Args:
        fit: a :class:`~planner.laws.Fit`, a name that :func:`planner.laws.fit` accepts, ``"muennighoff"``,
            or None for the planner's default fit.

    Returns:
        The ``Fit``.

    Raises:
        InputError: the name is unknown (field ``fit``).
    """
    if isinstance(fit, Fit):
        return fit
    return registry.fit() if fit is None else registry.fit(fit)


def _broadcast(**named: Any) -> tuple[FloatArray, ...]:
    """The arrays broadcast together; shapes that do not broadcast (3 and 4) are an InputError naming them."""
    try:
        return np.broadcast_arrays(*named.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in named.items())
        first = next(k for k, v in named.items() if np.ndim(v))
        raise InputError(first, "arrays of shapes that broadcast together",
                         detail=f"shapes do not broadcast together: {shapes}") from None


def _counts(field: str, value: Any) -> FloatOrArray:
    return validate.quantity(field, value, minimum=1)


def _flops(value: Any) -> FloatOrArray:
    return validate.real_array("flops", value, minimum=FLOPS_RANGE[0], inclusive=True, maximum=FLOPS_RANGE[1])


def _unique(value: Any) -> FloatOrArray:
    """The corpus U: None or +inf (also inside an array) is an unlimited corpus."""
    if value is None or (isinstance(value, float) and value == math.inf):
        return _UNLIMITED
    if isinstance(value, np.ndarray) and value.ndim > 0 and value.dtype.kind == "f" and np.isposinf(value).any():
        out = np.full(value.shape, _UNLIMITED)
        finite = ~np.isposinf(value)
        out[finite] = _counts("unique_tokens", value[finite])
        return out
    return _counts("unique_tokens", value)


# --- the compute-optimal size for D tokens, and its inverse --------------------------------------------


def _params_for_tokens(f: Fit, d: FloatOrArray) -> FloatOrArray:
    # N_opt(D): the compute-optimal split scales as N ∝ (C/6)^(β/(α+β)), D ∝ (C/6)^(α/(α+β)), so
    # N_opt(D) = N₁·(D/D₁)^(β/α) with (N₁, D₁) the split at C = 6, N·D = 1 (the fit's own formula, not a copy).
    n1, d1 = f.optimal(FLOPS_PER_PARAM_TOKEN)
    return n1 * (d / d1) ** (f.beta / f.alpha)


def _tokens_for_params(f: Fit, n: FloatOrArray) -> FloatOrArray:
    n1, d1 = f.optimal(FLOPS_PER_PARAM_TOKEN)
    return d1 * (n / n1) ** (f.alpha / f.beta)


def optimal_params_for_tokens(tokens: Any, fit: FitLike = None) -> FloatOrArray:
    """N_opt(D): the model size that is compute-optimal when trained on ``tokens`` tokens. Vectorised.

    Args:
        tokens: training tokens D (1 to 10^30).
        fit: see :func:`law_fit`.

    Returns:
        N_opt(D) in parameters (a float, or an array for array input).

    Raises:
        InputError: ``tokens`` out of range, or ``fit`` unknown.
    """
    f = law_fit(fit)
    d = _counts("tokens", tokens)
    out: FloatOrArray = like(_params_for_tokens(f, np.asarray(d)), d)
    return out


def corpus_for_optimal(params: Any, fit: FitLike = None) -> FloatOrArray:
    """The unique tokens that make ``params`` compute-optimal: D such that N_opt(D) = N, seen once. Vectorised.

    With a corpus this large, the data-constrained optimum at the budget where N is compute-optimal is
    N itself (no repetition, no excess parameters); with any smaller corpus it is a smaller model.

    Args:
        params: model size N (1 to 10^30).
        fit: see :func:`law_fit`.

    Returns:
        Unique tokens (a float, or an array for array input).

    Raises:
        InputError: ``params`` out of range, or ``fit`` unknown.
    """
    f = law_fit(fit)
    n = _counts("params", params)
    out: FloatOrArray = like(_tokens_for_params(f, np.asarray(n)), n)
    return out


# --- effective data, effective parameters, loss ------------------------------------------------------


def _effective(f: Fit, n: FloatOrArray, d: FloatOrArray, u: FloatOrArray) -> tuple[FloatOrArray, FloatOrArray]:
    ud = np.minimum(u, d)
    d_eff = effective_tokens(d, ud, R_D_STAR)
    un = np.minimum(n, _params_for_tokens(f, ud))
    n_eff = effective_tokens(n, un, R_N_STAR)   # the same decay law, applied to parameters
    return n_eff, d_eff


@overload
def _loss(f: Fit, n: FloatArray, d: FloatOrArray, u: FloatOrArray) -> FloatArray: ...
@overload
def _loss(f: Fit, n: float, d: float, u: float) -> float: ...
@overload
def _loss(f: Fit, n: FloatOrArray, d: FloatOrArray, u: FloatOrArray) -> FloatOrArray: ...


def _loss(f: Fit, n: FloatOrArray, d: FloatOrArray, u: FloatOrArray) -> FloatOrArray:
    n_eff, d_eff = _effective(f, n, d, u)
    return f.E + f.A / n_eff ** f.alpha + f.B / d_eff ** f.beta


@overload
def effective(params: float | str, tokens: float | str, unique_tokens: float | str | None,
              fit: FitLike = None) -> tuple[float, float]: ...
@overload
def effective(params: Any, tokens: Any, unique_tokens: Any,
              fit: FitLike = None) -> tuple[FloatOrArray, FloatOrArray]: ...


def effective(params: Any, tokens: Any, unique_tokens: Any, fit: FitLike = None) -> tuple[FloatOrArray, FloatOrArray]:
    """Effective parameters N′ and effective data D′ of a plan on a corpus of U unique tokens. Vectorised.

    Args:
        params: model size N.
        tokens: training tokens D.
        unique_tokens: the corpus U (``inf`` or None: unlimited).
        fit: see :func:`law_fit` (N_opt(U) comes from it).

    Returns:
        ``(N′, D′)``: floats, or arrays when any input is an array.

    Raises:
        InputError: a value out of range (1 to 10^30), naming the argument.
    """
    f = law_fit(fit)
    n, d, u = _counts("params", params), _counts("tokens", tokens), _unique(unique_tokens)
    n_eff, d_eff = _effective(f, *_broadcast(params=n, tokens=d, unique_tokens=u))
    return like(n_eff, n, d, u), like(d_eff, n, d, u)


@overload
def loss(params: float | str, tokens: float | str, unique_tokens: float | str | None, fit: FitLike = None) -> float: ...
@overload
def loss(params: Any, tokens: Any, unique_tokens: Any, fit: FitLike = None) -> FloatOrArray: ...


def loss(params: Any, tokens: Any, unique_tokens: Any, fit: FitLike = None) -> FloatOrArray:
    """Predicted loss L(N, D, U) of a plan on a corpus of U unique tokens (Muennighoff et al. 2023). Vectorised.

    Args:
        params: model size N (1 to 10^30).
        tokens: training tokens D (1 to 10^30).
        unique_tokens: the corpus U (``inf`` or None: unlimited, so no token repeats; parameters beyond
            N_opt(D) still count less, as in the paper, where U_N = min(N, N_opt(min(U, D)))).
        fit: default: the planner's default fit; ``"muennighoff"`` is the one made with the decay constants.
            See :func:`law_fit`.

    Returns:
        The loss in nats per token: a float, or an array when any input is an array.

    Raises:
        InputError: a value out of range, naming the argument, or an unknown fit.
    """
    f = law_fit(fit)
    n, d, u = _counts("params", params), _counts("tokens", tokens), _unique(unique_tokens)
    out: FloatOrArray = like(_loss(f, *_broadcast(params=n, tokens=d, unique_tokens=u)), n, d, u)
    return out


# --- the optimum for a budget and a corpus -----------------------------------------------------------


def _optimal(f: Fit, c: FloatArray, u: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Vectorised core: arrays c, u of one shape -> (N, D) arrays of that shape."""
    shape = c.shape
    c, u = c.ravel(), u.ravel()
    n0, d0 = f.optimal(c)                   # the unconstrained optimum
    # A corpus of at least D₀ tokens changes nothing: L(N, D, U) >= L(N, D) everywhere, with equality at
    # (N₀, D₀) when U >= D₀ (no repetition, and N₀ = N_opt(D₀) <= N_opt(U)). Only the others are searched.
    n = np.array(n0, dtype=float)
    todo = u < d0
    if todo.any():
        ct, ut, nt = c[todo], u[todo], n0[todo]
        lo = np.maximum(nt * 1e-4, 1.0)
        hi = np.maximum(np.minimum(nt * 1e4, ct / FLOPS_PER_PARAM_TOKEN), lo)   # at most the N of one token
        cc, uu = ct[:, None], ut[:, None]
        n[todo], _ = minimise_log(lambda x: _loss(f, x, cc / training_flops(x, 1.0), uu), lo, hi)
    return n.reshape(shape), (c / training_flops(n, 1.0)).reshape(shape)


@overload
def optimal(flops: float | str, unique_tokens: float | str | None, fit: FitLike = None) -> tuple[float, float]: ...
@overload
def optimal(flops: Any, unique_tokens: Any, fit: FitLike = None) -> tuple[FloatOrArray, FloatOrArray]: ...


def optimal(flops: Any, unique_tokens: Any, fit: FitLike = None) -> tuple[FloatOrArray, FloatOrArray]:
    """The N and D that minimise L(N, D, U) along 6·N·D = C: an exact one-dimensional minimisation. Vectorised.

    Args:
        flops: training compute C in FLOPs (1 to 10^61).
        unique_tokens: the corpus U (``inf`` or None: unlimited, which gives the fit's closed-form optimum).
        fit: default: the planner's default fit (``"muennighoff"`` for the paper's numbers); see :func:`law_fit`.

    Returns:
        ``(N, D)``: floats, or arrays of the broadcast shape when any input is an array (a grid of 10⁴
            (C, U) pairs takes a few tens of milliseconds). When the corpus is far too small for the budget,
            both N′ and D′ saturate and the loss is flat (to float precision) over a range of N: every N
            there is optimal and one of them is returned; the loss is the meaningful number.

    Raises:
        InputError: a value out of range, naming the argument, or an unknown fit.
    """
    f = law_fit(fit)
    c, u = _flops(flops), _unique(unique_tokens)
    cb, ub = _broadcast(flops=np.asarray(c, dtype=float), unique_tokens=np.asarray(u, dtype=float))
    n, d = _optimal(f, cb, ub)
    return like(n, c, u), like(d, c, u)


@dataclass(frozen=True)
class DataConstrainedOptimum:
    """The best plan for a FLOP budget and a corpus, under a data-constrained law.

    Args:
        fit: the fit's name.
        flops: the budget C.
        unique_tokens: the corpus U (inf: unlimited).
        params: the best N.
        tokens: the best D.
        loss: the data-constrained loss of that plan.
        unconstrained_params: N of the optimum without a corpus limit, for comparison.
        unconstrained_tokens: D of that optimum.
        unconstrained_loss: its loss.
    """

    fit: str
    flops: float
    unique_tokens: float            # inf: unlimited
    params: float
    tokens: float
    loss: float
    unconstrained_params: float     # the optimum without a corpus limit, for comparison
    unconstrained_tokens: float
    unconstrained_loss: float

    @property
    def tokens_per_param(self) -> float:
        """D/N of the best plan."""
        return self.tokens / self.params

    @property
    def epochs(self) -> float:
        """D/U: passes over the corpus (0 for an unlimited corpus)."""
        return self.tokens / self.unique_tokens

    @property
    def limited(self) -> bool:
        """True when the corpus moves the optimum (it is smaller than the unconstrained optimum's tokens)."""
        return self.unique_tokens < self.unconstrained_tokens

    @property
    def extrapolated(self) -> bool:
        """True outside the compute range the fits were made on (:data:`planner.laws.FITTED_FLOPS`)."""
        return not FITTED_FLOPS[0] <= self.flops <= FITTED_FLOPS[1]

    def to_dict(self) -> dict[str, Any]:
        """The optimum as JSON.

        Returns:
            Every field (``unique_tokens`` None when unlimited), with ``tokens_per_param``, ``epochs``,
                ``limited`` and ``extrapolated``.
        """
        out = asdict(self)
        out["unique_tokens"] = None if math.isinf(self.unique_tokens) else self.unique_tokens
        return {**out, "tokens_per_param": self.tokens_per_param, "epochs": self.epochs,
                "limited": self.limited, "extrapolated": self.extrapolated}


def data_constrained_optimal(flops: Any, unique_tokens: Any, fit: FitLike = None) -> DataConstrainedOptimum:
    """The best N and D for one budget and one corpus, with epochs, loss and the unconstrained optimum.

    Args:
        flops: training compute C in FLOPs (1 to 10^61).
        unique_tokens: the corpus U (None or ``inf``: unlimited).
        fit: default: the planner's default fit (``"muennighoff"`` for the paper's numbers); see :func:`law_fit`.

    Returns:
        A ``DataConstrainedOptimum``.

    Raises:
        InputError: a value out of range or an array (use :func:`optimal` for grids), or an unknown fit.
    """
    f = law_fit(fit)
    c, u = _flops(flops), _unique(unique_tokens)
    if any_array(c, u):
        raise InputError("flops", "a single number", detail="must be single numbers here; use optimal() for arrays")
    assert not isinstance(c, np.ndarray) and not isinstance(u, np.ndarray)  # any_array refused arrays
    n, d = optimal(c, u, f)
    n0, d0 = f.optimal(c)
    return DataConstrainedOptimum(fit=f.name, flops=c, unique_tokens=u, params=n, tokens=d,
                                  loss=float(_loss(f, n, d, u)), unconstrained_params=n0,
                                  unconstrained_tokens=d0, unconstrained_loss=f.loss(n0, d0))


@dataclass(frozen=True)
class CorpusPlanAdvice:
    """What a corpus means for a plan's size: the best model for it, and the corpus the plan's N needs.

    Args:
        params: the plan's N.
        tokens: the plan's D.
        unique_tokens: the plan's corpus U.
        at_budget: the best plan at the plan's own budget (6·N·D) and corpus.
        at_20x: the best plan at the budget of N trained at 20× (:data:`planner.lines.OPTIMAL_LINE`).
        corpus_for_optimal: the unique tokens that would make N compute-optimal in one epoch.
    """

    params: float
    tokens: float
    unique_tokens: float
    at_budget: DataConstrainedOptimum
    at_20x: DataConstrainedOptimum
    corpus_for_optimal: float

    @property
    def largest_params_at_20x(self) -> float:
        """The largest N the corpus feeds at 20 tokens per parameter in one epoch: U/20."""
        return self.unique_tokens / OPTIMAL_LINE

    def to_dict(self) -> dict[str, Any]:
        """The advice as JSON.

        Returns:
            Every field (the two optima as their ``to_dict()``), with ``largest_params_at_20x``.
        """
        return {"params": self.params, "tokens": self.tokens, "unique_tokens": self.unique_tokens,
                "at_budget": self.at_budget.to_dict(), "at_20x": self.at_20x.to_dict(),
                "corpus_for_optimal": self.corpus_for_optimal,
                "largest_params_at_20x": self.largest_params_at_20x}


def corpus_advice(params: Any, tokens: Any, unique_tokens: Any, fit: FitLike = None, *,
                  flops: Any = None) -> CorpusPlanAdvice:
    """For a plan's N, D and corpus: the data-constrained optimum at its budget and at 20×, and the corpus N needs.

    Args:
        params: the plan's N (the N its FLOPs use).
        tokens: the plan's training tokens D.
        unique_tokens: the plan's corpus U.
        fit: default: the planner's default fit (``"muennighoff"`` for the paper's numbers); see :func:`law_fit`.
        flops: the plan's training compute; default 6·N·D (the budget the optimum is sought at).

    Returns:
        A ``CorpusPlanAdvice``.

    Raises:
        InputError: a value out of range, naming the argument, or an unknown fit.
    """
    f = law_fit(fit)
    n, d, u = _counts("params", params), _counts("tokens", tokens), _counts("unique_tokens", unique_tokens)
    c = training_flops(n, d) if flops is None else _flops(flops)
    at_budget = data_constrained_optimal(c, u, f)
    at_20x = data_constrained_optimal(training_flops(n, OPTIMAL_LINE * n), u, f)
    if any_array(n, d, u):  # arrays of N or U were refused above; D only reaches here with flops given
        raise InputError("flops", "a single number", detail="must be single numbers here; use optimal() for arrays")
    assert not isinstance(n, np.ndarray) and not isinstance(d, np.ndarray) and not isinstance(u, np.ndarray)
    return CorpusPlanAdvice(params=n, tokens=d, unique_tokens=u, at_budget=at_budget, at_20x=at_20x,
                            corpus_for_optimal=float(_tokens_for_params(f, n)))
