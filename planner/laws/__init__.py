"""Scaling laws: predicted loss and the compute-optimal split (named fits)."""

from .fits import CHINCHILLA_ROUNDED, FITS, FITTED_FLOPS, FLOPS_RANGE, Fit, OptimalPlan, compute_optimal, fit

__all__ = ["CHINCHILLA_ROUNDED", "FITS", "FITTED_FLOPS", "FLOPS_RANGE", "Fit", "OptimalPlan", "compute_optimal", "fit"]
