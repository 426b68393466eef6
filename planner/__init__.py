"""planner: is this pretraining run worth launching?

N from the architecture (exact), D from the training budget, the D/N gate against the
Chinchilla lines, the corpus ceiling, compute and cost, and scaling-law predictions.
Importing the package loads numpy only; plots and widgets are imported on use
(``planner.surfaces``), pandas only by the functions that return tables.
"""

__version__ = "0.1.0"

from .model.architecture import Architecture
from .training.budget import Budget, budget, tokens_per_step, training_tokens
from .model.catalog import architecture, count, list_models, load_config
from .errors import (BlockedPlanError, ConfigError, DataRepetitionWarning, InputError, PlanFileError,
                     PlannerError, PlannerWarning, UnderProvisionedWarning, UnknownModelError)
from .model.families import SUPPORTED_MODEL_TYPES, from_hf_config
from .verdict.gate import LEVELS, GateResult, Thresholds, assess, check, enforce, level, ratio, steps_to_target, tokens_to_target
from .model.params import ParamCount, count_params
from .verdict.plan import Assessment, Plan, assess_plan, load_plan, plan_from_dict
from .verdict.sweeps import sweep
from .training.parallelism import Parallelism
from .training.memory import MemoryEstimate, memory_estimate, memory_sweep

__all__ = [
    "Architecture", "Budget", "budget", "tokens_per_step", "training_tokens", "architecture", "count",
    "list_models", "load_config", "BlockedPlanError", "ConfigError", "DataRepetitionWarning", "InputError",
    "PlanFileError", "PlannerError", "PlannerWarning", "UnderProvisionedWarning", "UnknownModelError",
    "SUPPORTED_MODEL_TYPES", "from_hf_config", "LEVELS", "GateResult", "Thresholds", "assess", "check", "enforce",
    "level", "ratio", "steps_to_target", "tokens_to_target", "ParamCount", "count_params",
    "Assessment", "Plan", "assess_plan", "load_plan", "plan_from_dict", "sweep",
    "Parallelism", "MemoryEstimate", "memory_estimate", "memory_sweep",
]
