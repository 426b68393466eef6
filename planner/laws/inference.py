"""Sizing for inference (Sardana & Frankle 2023, arXiv:2401.00448): smaller models, trained longer.

A model served for D_inf tokens costs 2·N·D_inf FLOPs beyond its 6·N·D_tr of training. For the loss
ℓ of a reference plan (the compute-optimal plan for a budget, or a given N and D), every N above
N_min = (A/(ℓ − E))^(1/α) reaches ℓ when trained on

    D_tr(N) = (B / (ℓ − E − A/N^α))^(1/β)

tokens, and the inference-aware plan is the N that minimises 6·N·D_tr(N) + 2·N·D_inf (weighted by
the price of a FLOP in each phase, when MFUs or prices differ): a one-dimensional search, exact to float
precision (:func:`planner.laws.minimise.minimise_log`). It works for every fit of the form
E + A/N^α + B/D^β. Sardana & Frankle's Figure 1 (E 1.69, A 406.4, B 410.7, α 0.336, β 0.283): the
Chinchilla-optimal 13B model served for 2T tokens becomes a 6.97B model trained on 1.25T tokens,
with 17% fewer FLOPs in total.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, overload

import numpy as np

from .. import limits, validate
from ..arrays import like
from ..errors import InputError
from ..training.compute import DEFAULT_MFU, MAX_PRICE, MFU_RANGE, gpu_hours
from ..training.compute import accelerator as get_accelerator
from ..training.compute import training_flops as _training_flops
from .data_constrained import FitLike, law_fit
from .data_constrained import _loss as dc_loss
from .data_constrained import _optimal as dc_optimal
from .data_constrained import _unique as dc_unique
from .minimise import minimise_log
from .power_law import FLOPS_RANGE, Fit, FloatArray, FloatOrArray

# A user's number (inference_tokens, flops, params, tokens, prices, MFUs) is typed Any: it is validated here.

_COUNT_MAX = limits.MAX_REAL   # counts (tokens, parameters) as reals
_BISECTIONS = 64     # log D from 0 to ln(1e30) ≈ 69, halved 64 times: D to ~4e-18 relative


@overload
def _inference_flops(params: float, tokens: float) -> float: ...
@overload
def _inference_flops(params: FloatOrArray, tokens: FloatOrArray) -> FloatOrArray: ...


def _inference_flops(params: FloatOrArray, tokens: FloatOrArray) -> FloatOrArray:
    """FLOPs of serving ``tokens`` tokens with ``params`` parameters: 2·N·D_inf (the forward pass alone)."""
    return 2.0 * params * tokens


def _tokens_for_loss(f: Fit, n: FloatArray, target: FloatArray, u: FloatArray | None = None) -> FloatArray:
    """D_tr(N): the training tokens at which N reaches ``target`` (inf where it cannot).

    Without a corpus (``u`` None) in closed form; with one, by bisection in log D on the data-constrained
    loss, which falls monotonically with D for a fixed N and U (D′ grows, and so does U_N while D < U).
    """
    if u is None:
        gap = target - f.E - f.A / n ** f.alpha
        return np.where(gap > 0, (f.B / np.where(gap > 0, gap, 1.0)) ** (1.0 / f.beta), np.inf)
    n, target, u = np.broadcast_arrays(n, target, u)
    lo, hi = np.zeros(n.shape), np.full(n.shape, math.log(_COUNT_MAX))
    with np.errstate(all="ignore"):
        reachable = dc_loss(f, n, np.exp(hi), u) <= target
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            short = dc_loss(f, n, np.exp(mid), u) > target      # not there yet: more tokens
            lo, hi = np.where(short, mid, lo), np.where(short, hi, mid)
    return np.where(reachable, np.exp(hi), np.inf)


def _search(f: Fit, target: FloatArray, inference: FloatArray, w_train: float, w_inf: float, reference: FloatArray,
            u: FloatArray | None = None) -> FloatArray:
    """Vectorised core over 1-D arrays (target loss, inference tokens, reference N[, corpus]) -> N.

    The search runs over N from N_min (where A/N^α alone uses up the loss budget) up to 10⁶·N_min without a
    corpus, and within 10⁴ of the reference size either way with one; the reference itself stays a candidate.
    """
    tt, ii, rr = target[:, None], inference[:, None], reference[:, None]
    uu = None if u is None else u[:, None]

    def objective(n: FloatArray) -> FloatArray:
        total: FloatArray = np.asarray(w_train * _training_flops(n, _tokens_for_loss(f, n, tt, uu))
                                       + w_inf * _inference_flops(n, ii), dtype=float)
        return total

    if u is None:
        n_min = (f.A / (target - f.E)) ** (1.0 / f.alpha)
        lo, hi = n_min * (1.0 + 1e-9), n_min * 1e6
    else:
        lo, hi = np.maximum(reference * 1e-4, 1.0), reference * 1e4
    n, best = minimise_log(objective, lo, hi)
    keep = objective(rr)[:, 0] <= best
    return np.where(keep, reference, n)


def inference_optimal_params(flops: Any, inference_tokens: Any, fit: FitLike = None,
                             unique_tokens: Any = None) -> tuple[FloatOrArray, FloatOrArray]:
    """N and D_tr of the inference-aware plan with the loss of the optimal plan for ``flops``. Vectorised.

    Minimises total FLOPs 6·N·D_tr + 2·N·D_inf (for a whole curve, e.g. against growing inference demand).

    Args:
        flops: the training budget C whose optimal plan sets the target loss (1 to 10^61).
        inference_tokens: lifetime inference tokens D_inf (0 to 10^30).
        fit: see :func:`planner.laws.data_constrained.law_fit`; default the planner's fit.
        unique_tokens: a corpus limit U (optional): the reference is then the data-constrained optimum and
            every plan is judged by the data-constrained loss.

    Returns:
        ``(N, D_tr)``: floats, or arrays of the broadcast shape when any input is an array.

    Raises:
        InputError: a value out of range, naming the argument, or an unknown fit.
    """
    f = law_fit(fit)
    c = validate.real_array("flops", flops, minimum=FLOPS_RANGE[0], inclusive=True, maximum=FLOPS_RANGE[1])
    i = validate.real_array("inference_tokens", inference_tokens, minimum=0.0, inclusive=True, maximum=_COUNT_MAX)
    u = None if unique_tokens is None else dc_unique(unique_tokens)
    arrays = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (c, i, 0.0 if u is None else u)))
    shape = arrays[0].shape
    cb, ib, ub = (x.ravel() for x in arrays)
    if u is None:
        n0, d0 = f.optimal(cb)
        target = f.loss(n0, d0)
    else:
        n0, d0 = dc_optimal(f, cb, ub)
        target = dc_loss(f, n0, d0, ub)
    corpus = None if u is None else ub
    n = np.where(ib > 0, _search(f, target, ib, 1.0, 1.0, n0, corpus), n0)   # no inference: the optimum itself
    d = np.where(ib > 0, _tokens_for_loss(f, n, target, corpus), d0)
    given = (c, i) if u is None else (c, i, u)   # the inputs whose shape (or Series index) the results follow
    return like(n.reshape(shape), *given), like(d.reshape(shape), *given)


@dataclass(frozen=True)
class InferenceOptimum:
    """The plan that reaches a reference plan's loss at the least training + inference cost.

    Args:
        fit: the fit's name.
        inference_tokens: lifetime inference tokens D_inf.
        loss: the target: the reference plan's predicted loss.
        reference_params: the reference plan's N.
        reference_tokens: the reference plan's D.
        params: the inference-aware N.
        tokens: its training tokens D_tr.
        objective: what was minimised: ``"flops"``, ``"gpu_hours"`` (MFUs differ) or ``"cost"`` (prices given).
        mfu: training MFU.
        inference_mfu: inference MFU.
        accelerator: the accelerator's key or name.
        price_per_gpu_hour: training price in dollars per accelerator-hour, or None.
        inference_price_per_gpu_hour: inference price, or None.
        peak_tflops: the accelerator's peak.
        unique_tokens: a corpus limit (the data-constrained law judges every plan), or None.
    """

    fit: str
    inference_tokens: float
    loss: float
    reference_params: float
    reference_tokens: float
    params: float
    tokens: float
    objective: str
    mfu: float
    inference_mfu: float
    accelerator: str
    price_per_gpu_hour: float | None
    inference_price_per_gpu_hour: float | None
    peak_tflops: float
    unique_tokens: float | None = None

    @property
    def epochs(self) -> float | None:
        """D/U with a corpus limit, else None."""
        return None if self.unique_tokens is None else self.tokens / self.unique_tokens

    @property
    def tokens_per_param(self) -> float:
        """D/N of the inference-aware plan."""
        return self.tokens / self.params

    @property
    def training_flops(self) -> float:
        """Training FLOPs of the inference-aware plan, 6·N·D_tr."""
        return float(_training_flops(self.params, self.tokens))

    @property
    def inference_flops(self) -> float:
        """Inference FLOPs of the inference-aware plan, 2·N·D_inf."""
        return _inference_flops(self.params, self.inference_tokens)

    @property
    def total_flops(self) -> float:
        """Training + inference FLOPs."""
        return self.training_flops + self.inference_flops

    @property
    def reference_training_flops(self) -> float:
        """Training FLOPs of the reference plan."""
        return float(_training_flops(self.reference_params, self.reference_tokens))

    @property
    def reference_total_flops(self) -> float:
        """Training + inference FLOPs of the reference plan."""
        return self.reference_training_flops + _inference_flops(self.reference_params, self.inference_tokens)

    @property
    def flops_saved(self) -> float:
        """Training + inference FLOPs saved against the reference plan (its size, served the same tokens)."""
        return self.reference_total_flops - self.total_flops

    @property
    def flops_saved_fraction(self) -> float:
        """FLOPs saved as a fraction of the reference plan's total."""
        return self.flops_saved / self.reference_total_flops

    def _cost(self, training_flops: float, inference_flops: float) -> float | None:
        if self.price_per_gpu_hour is None or self.inference_price_per_gpu_hour is None:
            return None
        cost: float = (gpu_hours(training_flops, self.peak_tflops, self.mfu) * self.price_per_gpu_hour
                       + gpu_hours(inference_flops, self.peak_tflops, self.inference_mfu)
                       * self.inference_price_per_gpu_hour)
        return cost

    @property
    def cost(self) -> float | None:
        """Training + inference cost in dollars (None without a price)."""
        return self._cost(self.training_flops, self.inference_flops)

    @property
    def cost_saved(self) -> float | None:
        """Dollars saved against the reference plan (None without a price)."""
        ref = self._cost(self.reference_training_flops, _inference_flops(self.reference_params, self.inference_tokens))
        cost = self.cost
        return None if ref is None or cost is None else ref - cost

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON.

        Returns:
            Every field, with the derived FLOPs, savings, costs, epochs and tokens per parameter.
        """
        return {**asdict(self), "epochs": self.epochs, "tokens_per_param": self.tokens_per_param,
                "training_flops": self.training_flops,
                "inference_flops": self.inference_flops, "total_flops": self.total_flops,
                "reference_training_flops": self.reference_training_flops,
                "reference_total_flops": self.reference_total_flops, "flops_saved": self.flops_saved,
                "flops_saved_fraction": self.flops_saved_fraction, "cost": self.cost, "cost_saved": self.cost_saved}


def inference_optimal(inference_tokens: Any, *, flops: Any = None, params: Any = None, tokens: Any = None,
                      fit: FitLike = None, unique_tokens: Any = None, mfu: Any = DEFAULT_MFU, inference_mfu: Any = None,
                      price_per_gpu_hour: Any = None, inference_price_per_gpu_hour: Any = None,
                      accelerator: str = "h100-sxm") -> InferenceOptimum:
    """The inference-aware plan: the reference plan's loss at the least training + inference FLOPs (or cost).

    The reference is the optimal plan for ``flops`` (the data-constrained optimum with ``unique_tokens``),
    or the plan ``params`` × ``tokens``. Without prices and with equal MFUs the total FLOPs
    6·N·D_tr + 2·N·D_inf are minimised; with different MFUs, the GPU-hours; with a price, the dollars
    (``accelerator`` sets the peak FLOP/s).

    Args:
        inference_tokens: lifetime inference tokens D_inf (0 to 10^30).
        flops: training budget C (1 to 10^61) whose optimal plan is the reference; or
        params, tokens: the reference plan's N and D (both, instead of ``flops``).
        fit: see :func:`planner.laws.data_constrained.law_fit`; default the planner's fit.
        unique_tokens: a corpus limit U (optional): plans are judged by the data-constrained loss
            (Muennighoff et al. 2023), so a small model cannot buy its loss back with endless epochs. A given
            plan's loss (``params``, ``tokens``) stays the target: the plan found reaches it on the corpus.
        mfu: training MFU (0.001 to 1, default 0.4).
        inference_mfu: inference MFU (default: the training MFU).
        price_per_gpu_hour: training price in dollars per accelerator-hour (optional).
        inference_price_per_gpu_hour: inference price (default: the training price).
        accelerator: an accelerator key or name from ``data/accelerators.csv`` (for dollars).

    Returns:
        An ``InferenceOptimum`` (N, D, tokens per parameter, FLOPs, FLOPs saved, cost; epochs with a corpus).

    Raises:
        InputError: a value out of range or missing, naming the argument; an unknown fit or accelerator.
    """
    f = law_fit(fit)
    i = validate.positive_real("inference_tokens", inference_tokens, minimum=0.0, inclusive=True, maximum=_COUNT_MAX)
    u = None if unique_tokens is None else dc_unique(unique_tokens)
    if isinstance(u, np.ndarray):
        raise InputError("unique_tokens", "a single number", detail="must be a single number here")
    if flops is not None and (params is not None or tokens is not None):
        raise InputError("flops", "either flops or params and tokens",
                         detail="give either flops or params and tokens, not both")
    if flops is not None:
        c: float = validate.positive_real("flops", flops, minimum=FLOPS_RANGE[0], inclusive=True,
                                          maximum=FLOPS_RANGE[1])
        if u is None:
            n_ref, d_ref = f.optimal(c)
        else:
            n_ref, d_ref = (float(x[0]) for x in dc_optimal(f, np.array([c]), np.array([u])))
    elif params is not None and tokens is not None:
        n_ref = validate.positive_real("params", params, minimum=1.0, inclusive=True, maximum=_COUNT_MAX)
        d_ref = validate.positive_real("tokens", tokens, minimum=1.0, inclusive=True, maximum=_COUNT_MAX)
    else:
        raise InputError("flops", "a budget, or params and tokens",
                         detail="give a budget (flops) or a reference plan (params and tokens)")
    m_tr = validate.positive_real("mfu", mfu, minimum=MFU_RANGE[0], inclusive=True, maximum=MFU_RANGE[1])
    m_inf = m_tr if inference_mfu is None else validate.positive_real(
        "inference_mfu", inference_mfu, minimum=MFU_RANGE[0], inclusive=True, maximum=MFU_RANGE[1])
    p_tr = None if price_per_gpu_hour is None else validate.positive_real(
        "price_per_gpu_hour", price_per_gpu_hour, minimum=0.0, inclusive=True, maximum=MAX_PRICE)
    p_inf = p_tr if inference_price_per_gpu_hour is None else validate.positive_real(
        "inference_price_per_gpu_hour", inference_price_per_gpu_hour, minimum=0.0, inclusive=True, maximum=MAX_PRICE)
    if p_inf is not None and p_tr is None:
        raise InputError("price_per_gpu_hour", "a price when an inference price is given",
                         detail="give the training price too when you give an inference price")
    peak = get_accelerator(accelerator)["peak_tflops"]
    if p_tr is not None and p_inf is not None:  # p_inf is p_tr unless given: never None with a training price
        objective, w_tr, w_inf = "cost", p_tr / m_tr, p_inf / m_inf
    elif m_inf != m_tr:
        objective, w_tr, w_inf = "gpu_hours", 1.0 / m_tr, 1.0 / m_inf
    else:
        objective, w_tr, w_inf = "flops", 1.0, 1.0
    # The loss to hold: a given plan's own predicted loss (the one its assessment shows, L(N, D)); the
    # data-constrained optimum's loss under the corpus when the reference is that optimum.
    target = f.loss(n_ref, d_ref) if u is None or flops is None else float(dc_loss(f, n_ref, d_ref, u))
    uu = None if u is None else np.array([u])
    if w_tr > 0 and (i > 0 or flops is None):   # (an optimal reference without inference is the answer)
        n = float(_search(f, np.array([target]), np.array([i]), w_tr, w_inf, np.array([n_ref]), uu)[0])
        d = d_ref if n == n_ref else float(_tokens_for_loss(f, np.array([n]), np.array([target]), uu)[0])
    else:
        n, d = n_ref, d_ref
    return InferenceOptimum(fit=f.name, inference_tokens=i, loss=target, reference_params=n_ref,
                            reference_tokens=d_ref, params=n, tokens=d, objective=objective, mfu=m_tr,
                            inference_mfu=m_inf, accelerator=accelerator, price_per_gpu_hour=p_tr,
                            inference_price_per_gpu_hour=p_inf, peak_tflops=peak, unique_tokens=u)
