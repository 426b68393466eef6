"""The Chinchilla law L(N, D) = E + A/N^α + B/D^β, its published fits and its compute-optimal split.

Three named fits; :data:`DEFAULT_FIT` (``epoch``) is the one the planner uses unless told otherwise,
because its compute-optimal split agrees with the 20× line the gate judges against:

* ``chinchilla`` — Hoffmann et al. 2022 (arXiv:2203.15556), Approach 3 with the
  *unrounded* constants: ~59 tokens per parameter at Gopher's 5.76e23 FLOPs, as in the
  paper's Table A3 (the ~20 of Table 3 comes from Approaches 1 and 2). The rounded
  constants printed in the paper (1.69, 406.4, 410.7, 0.34, 0.28) move that optimum to ~93:
  they are kept here only as :data:`CHINCHILLA_ROUNDED`, to show the trap.
* ``epoch`` — Besiroglu et al. 2024 (arXiv:2404.10102), Epoch AI's replication;
  ~18–23 tokens per parameter across practical budgets.
* ``muennighoff`` — Muennighoff et al. 2023 (arXiv:2305.16264), the C4 fit made together with the
  data-constrained decay constants (:mod:`planner.laws.data_constrained`).

The compute-optimal split of a budget C = 6·N·D (:func:`optimal_split`, the one place it is written):
G = (αA / (βB))^(1/(α+β)), N_opt = G·(C/6)^(β/(α+β)), D_opt = C / (6·N_opt).

This module imports nothing else from :mod:`planner.laws`: a name or a saved file becomes a
:class:`Fit` in :mod:`planner.laws.registry`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from .. import validate
from ..arrays import like
from ..errors import InputError
from ..limits import MAX_FLOPS
from ..training.compute import training_flops

#: The fitted constants of the law, in the order results are reported.
PARAMETERS = ("E", "A", "B", "alpha", "beta")
#: Training FLOPs per parameter per token (6: forward 2, backward 4), from :mod:`planner.training.compute`.
FLOPS_PER_PARAM_TOKEN = float(training_flops(1.0, 1.0))
#: Training compute of the runs behind the fits (Chinchilla's models: ~6e18 to ~3e21 FLOPs, its
#: largest run 5.76e23). Outside this range a prediction is an extrapolation, and says so.
FITTED_FLOPS = (1e18, 1e24)
#: Budgets accepted at all: from a toy run to far past any plan; the fits' outputs stay finite.
FLOPS_RANGE = (1.0, MAX_FLOPS)  # planner.limits.MAX_FLOPS (10**61: 6·N·D at the count limits), the one FLOPs limit

# Types of the vectorised functions of planner.laws (scalars in, a float out; arrays in, an array out).
# A user's number (params, tokens, flops) is typed Any where it is accepted before validation: it may be
# an int, a float, text ("7B"), a numpy scalar or array, or a pandas Series.
#: A float64 numpy array.
FloatArray = npt.NDArray[np.float64]
#: A number or a float64 array: what a vectorised function returns (a pandas Series in gives a Series out).
FloatOrArray = float | FloatArray


def optimal_split(A: FloatOrArray, B: FloatOrArray, alpha: FloatOrArray, beta: FloatOrArray,
                  flops: FloatOrArray) -> tuple[FloatArray, FloatArray]:
    """The compute-optimal (N_opt, D_opt) of the law with these constants for a budget of ``flops``.

    N_opt = G·(C/6)^(β/(α+β)) with G = (αA / (βB))^(1/(α+β)), and D_opt = C / (6·N_opt) (Hoffmann et al.
    2022, eq. 4). Element-wise numpy arithmetic, no validation: every input may be an array (a bootstrap's
    resampled constants, a grid of budgets), and extreme constants give inf or NaN, never a float error.

    Args:
        A: coefficient of the parameter term.
        B: coefficient of the data term.
        alpha: exponent of the parameter term.
        beta: exponent of the data term.
        flops: training compute C.

    Returns:
        ``(N_opt, D_opt)`` as numpy values of the broadcast shape.
    """
    a, b = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    c = np.asarray(flops, dtype=float)
    with np.errstate(all="ignore"):
        g = (a * A / (b * B)) ** (1.0 / (a + b))
        n = g * (c / FLOPS_PER_PARAM_TOKEN) ** (b / (a + b))
        d = c / (FLOPS_PER_PARAM_TOKEN * n)
    return n, d


@dataclass(frozen=True)
class Fit:
    """One fit of the law L(N, D) = E + A/N^α + B/D^β: its constants, name and source.

    Args:
        name: the fit's name (a key of :data:`FITS`, or the path of a saved fit).
        E: irreducible loss (nats per token).
        A: coefficient of the parameter term.
        B: coefficient of the data term.
        alpha: exponent of the parameter term.
        beta: exponent of the data term.
        source: where the constants come from (a paper, a file).
        fitted_flops: the compute range of the runs behind it; None for the published fits' :data:`FITTED_FLOPS`.
    """

    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str
    fitted_flops: tuple[float, float] | None = None

    @property
    def compute_range(self) -> tuple[float, float]:
        """Training compute of the runs the fit was made on: outside it a prediction is an extrapolation."""
        return FITTED_FLOPS if self.fitted_flops is None else self.fitted_flops

    @overload
    def loss(self, params: FloatArray, tokens: FloatOrArray) -> FloatArray: ...
    @overload
    def loss(self, params: float | str, tokens: float | str) -> float: ...
    @overload
    def loss(self, params: Any, tokens: Any) -> FloatOrArray: ...

    def loss(self, params: Any, tokens: Any) -> FloatOrArray:
        """Predicted final training loss (nats per token), vectorised.

        Args:
            params: model size N, > 0 (a number, text such as ``"7B"``, a numpy array or a pandas Series), at
                most 10^61 (the compute-optimal N and D of any budget up to the FLOPs limit stay inside it).
            tokens: training tokens D, likewise.

        Returns:
            A float, or an array (a Series) when an input is one.

        Raises:
            InputError: ``params`` or ``tokens`` not a positive finite number up to 10^61.
        """
        n = validate.real_array("params", params, maximum=MAX_FLOPS)
        d = validate.real_array("tokens", tokens, maximum=MAX_FLOPS)
        out: FloatOrArray = like(self.E + self.A / n ** self.alpha + self.B / d ** self.beta, params, tokens)
        return out

    @overload
    def optimal(self, flops: FloatArray) -> tuple[FloatArray, FloatArray]: ...
    @overload
    def optimal(self, flops: float | str) -> tuple[float, float]: ...
    @overload
    def optimal(self, flops: Any) -> tuple[FloatOrArray, FloatOrArray]: ...

    def optimal(self, flops: Any) -> tuple[FloatOrArray, FloatOrArray]:
        """(N_opt, D_opt) that minimise the loss for ``flops`` ≈ 6·N·D (:func:`optimal_split`). Vectorised.

        Args:
            flops: training compute C, > 0 and at most 10^61 (a number, a numpy array or a pandas Series).

        Returns:
            ``(N_opt, D_opt)``: floats, or arrays when ``flops`` is one.

        Raises:
            InputError: ``flops`` not a positive finite number up to 10^61, or (field ``fit``) a law whose
                constants give no finite optimum.
        """
        c = validate.real_array("flops", flops, maximum=MAX_FLOPS)
        n, d = optimal_split(self.A, self.B, self.alpha, self.beta, c)
        if not (np.all(np.isfinite(n)) and np.all(np.isfinite(d)) and np.all(n > 0) and np.all(d > 0)):
            raise InputError("fit", "a law with a finite optimum",
                             detail=f"the law {self.name} gives no finite optimum at this budget "
                                    f"(alpha {self.alpha:g}, beta {self.beta:g})")
        return like(n, flops), like(d, flops)


#: The named, published fits: every surface (a plan's ``[law] fit``, ``--fit``, the workbook) accepts these
#: names, or the path of a fit saved by ``planner fit --save`` (:func:`planner.laws.registry.fit`).
FITS = {
    "chinchilla": Fit("chinchilla", 1.6934, 406.40, 410.72, 0.33917, 0.28491,
                      "Hoffmann et al. 2022 (arXiv:2203.15556), Approach 3, unrounded constants"),
    "epoch": Fit("epoch", 1.8172, 482.01, 2085.43, 0.3478, 0.3658,
                 "Besiroglu et al. 2024 (arXiv:2404.10102), Epoch AI replication of Approach 3"),
    # The C4 fit of Muennighoff et al. 2023 (github.com/huggingface/datablations README), kept in log space as
    # published: fitted together with the decay constants of planner.laws.data_constrained.
    "muennighoff": Fit("muennighoff", math.exp(0.6254804), math.exp(6.255414), math.exp(7.3049974),
                       0.3526596, 0.3526596,
                       "Muennighoff et al. 2023 (arXiv:2305.16264), data-constrained C4 fit "
                       "(R_D* = 15.387756, R_N* = 5.309743)"),
}

#: The rounded constants as printed in the Chinchilla paper: NOT used for predictions.
CHINCHILLA_ROUNDED = Fit("chinchilla-rounded", 1.69, 406.4, 410.7, 0.34, 0.28,
                         "Hoffmann et al. 2022, rounded constants (a known trap: ~93 tokens/param)")

#: The fit behind every "compute-optimal" the planner prints: Epoch's refit puts the optimum at ~20 tokens per
#: parameter, the same line the gate uses; Chinchilla's Approach 3 (~59 at Gopher's compute) stays available by name.
DEFAULT_FIT = "epoch"
