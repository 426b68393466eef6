"""The public path of the scaling-law fits: the law and its published fits, fit lookup and the compute-optimal plan.

Nothing is defined here; each name lives in the module of its job and is re-exported so that
``from planner.laws.fits import ...`` keeps working:

* :mod:`planner.laws.power_law` — :class:`Fit` (L = E + A/N^α + B/D^β and its compute-optimal split),
  :data:`FITS`, :data:`CHINCHILLA_ROUNDED`, :data:`DEFAULT_FIT`, :data:`FITTED_FLOPS`, :data:`FLOPS_RANGE`;
* :mod:`planner.laws.registry` — :func:`fit` (a name or a saved fit's path → a :class:`Fit`);
* :mod:`planner.laws.optimal` — :func:`compute_optimal`, :class:`OptimalPlan`.
"""

from __future__ import annotations

from .optimal import OptimalPlan, compute_optimal
from .power_law import CHINCHILLA_ROUNDED, DEFAULT_FIT, FITS, FITTED_FLOPS, FLOPS_RANGE, Fit
from .registry import fit

__all__ = ["CHINCHILLA_ROUNDED", "DEFAULT_FIT", "FITS", "FITTED_FLOPS", "FLOPS_RANGE", "Fit", "OptimalPlan",
           "compute_optimal", "fit"]
