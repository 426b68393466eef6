"""planner: is this pretraining run worth launching?

N from the architecture (exact), D from the training budget, the D/N gate against the Chinchilla lines,
the corpus ceiling, memory, compute, cost and scaling-law predictions, judged as one verdict.

The top level is the API: the verbs below, the value types they return, and the errors they raise.
Everything else lives in the layer that owns it (``planner.model``, ``planner.training``,
``planner.laws``, ``planner.verdict``, ``planner.launch``, ``planner.surfaces``).

Verbs:
    count_params, architecture, list_models: N of a model (a catalog name, a config, a checkpoint).
    budget: D from steps and the batch layout.
    assess, check: the gate on N and D (``check`` raises :class:`BlockedPlanError` for a blocked plan).
    load_plan, save_plan, assess_plan: a whole plan (model, budget, corpus, hardware, layout) and its verdict.
    sweep: many plans at once, as a DataFrame.
    memory_estimate, memory_sweep: bytes per GPU for a layout, and whether it fits.
    throughput, plan_layouts: a layout's predicted step time; the layouts that reach a plan's line fastest.
    compute_optimal: the best N and D for a FLOP budget.
    fit_runs: the scaling law fitted to your own runs.
    advise: what would fix a plan.
    read_launch_config: a plan from a training framework's launch file.

Importing the package loads numpy only; pandas, plots and widgets are imported on use.

>>> import planner
>>> planner.assess(494_032_768, 22_118_400).level
'severe'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

from .errors import (
    BlockedPlanError,
    ConfigError,
    DataRepetitionWarning,
    InputError,
    PlanFileError,
    PlannerError,
    PlannerWarning,
    UnderProvisionedWarning,
    UnknownModelError,
)
from .laws.optimal import OptimalPlan, compute_optimal
from .laws.power_law import Fit
from .model.architecture import Architecture
from .model.catalog import architecture, count_params, list_models
from .model.params import ParamCount
from .training.budget import Budget, budget
from .training.memory import MemoryEstimate, memory_estimate, memory_sweep
from .training.parallelism import Parallelism
from .training.throughput import Throughput, throughput
from .verdict.assessment import Assessment, assess_plan
from .verdict.gate import LEVELS, GateResult, Thresholds, assess, check
from .verdict.layouts import LayoutReport, plan_layouts
from .verdict.planfile import load_plan, save_plan
from .verdict.schema import Plan
from .verdict.sweeps import sweep

if TYPE_CHECKING:  # the lazy names below, as the type checker sees them
    from .launch import read_launch_config
    from .launch.common import LaunchConfig
    from .laws.ladder import LadderFit
    from .laws.ladder import fit_ladder as fit_runs
    from .verdict.advisor import Advice, Constraints, advise

#: Verbs whose modules import more than numpy; loaded on first use so ``import planner`` stays fast.
_LAZY = {
    "advise": ("planner.verdict.advisor", "advise"),
    "Advice": ("planner.verdict.advisor", "Advice"),
    "Constraints": ("planner.verdict.advisor", "Constraints"),
    "fit_runs": ("planner.laws.ladder", "fit_ladder"),
    "LadderFit": ("planner.laws.ladder", "LadderFit"),
    "read_launch_config": ("planner.launch", "read_launch_config"),
    "LaunchConfig": ("planner.launch.common", "LaunchConfig"),
}


def __getattr__(name: str) -> object:
    """Load a lazily imported verb or type on first use (PEP 562)."""
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'planner' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    # verbs
    "count_params", "architecture", "list_models", "budget", "assess", "check", "load_plan", "save_plan",
    "assess_plan", "sweep", "memory_estimate", "memory_sweep", "compute_optimal", "fit_runs", "advise",
    "read_launch_config", "throughput", "plan_layouts",
    # value types
    "Architecture", "ParamCount", "Budget", "Thresholds", "GateResult", "Plan", "Assessment", "Parallelism",
    "MemoryEstimate", "Throughput", "LayoutReport", "Fit", "OptimalPlan", "LadderFit", "Advice", "Constraints",
    "LaunchConfig", "LEVELS",
    # errors and warnings
    "PlannerError", "InputError", "ConfigError", "PlanFileError", "UnknownModelError", "BlockedPlanError",
    "PlannerWarning", "UnderProvisionedWarning", "DataRepetitionWarning",
]
