"""Scaling laws: predicted loss and the compute-optimal split (named fits), the data-constrained optimum,
inference-aware sizing, and the batch-size and learning-rate laws."""

from .optimal import OptimalPlan, compute_optimal
from .power_law import CHINCHILLA_ROUNDED, DEFAULT_FIT, FITS, FITTED_FLOPS, FLOPS_RANGE, Fit
from .registry import fit

__all__ = ["CHINCHILLA_ROUNDED", "DEFAULT_FIT", "FITS", "FITTED_FLOPS", "FLOPS_RANGE", "Fit", "OptimalPlan",
           "compute_optimal", "fit"]

from .data_constrained import (
                               MUENNIGHOFF,
                               CorpusPlanAdvice,
                               DataConstrainedOptimum,
                               corpus_advice,
                               corpus_for_optimal,
                               data_constrained_optimal,
)
from .hyperparams import DEEPSEEK, HyperparameterAdvice
from .hyperparams import advise as advise_hyperparameters
from .hyperparams import recommend as recommend_hyperparameters
from .inference import InferenceOptimum, inference_optimal
from .science import PlanAdvice, plan_advice

__all__ += ["MUENNIGHOFF", "CorpusPlanAdvice", "DataConstrainedOptimum", "corpus_advice", "corpus_for_optimal",
            "data_constrained_optimal", "DEEPSEEK", "HyperparameterAdvice", "advise_hyperparameters",
            "recommend_hyperparameters", "InferenceOptimum", "inference_optimal", "PlanAdvice", "plan_advice"]
