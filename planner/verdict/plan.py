"""A plan and its assessment, in one import: the plan API as ``planner.verdict.plan`` has always offered it.

The work is done in three modules, each with one job; this module only gathers their names so that
``from planner.verdict.plan import load_plan`` keeps working:

* :mod:`planner.verdict.schema` — the :class:`Plan` value object and its validation;
* :mod:`planner.verdict.planfile` — plan files: :func:`load_plan`, :func:`save_plan`,
  :func:`plan_from_dict`, :func:`plan_to_dict`, :func:`find_plan` (paths relative to the project);
* :mod:`planner.verdict.assessment` — :class:`Assessment` and :func:`assess_plan`, the one assessment
  every surface renders.

Nothing imports this module from inside those three, so it adds no import cycle.
"""

from __future__ import annotations

from ..model.params import PARAM_KINDS
from .assessment import Assessment, assess_plan
from .planfile import _SECTIONS, find_plan, load_plan, plan_from_dict, plan_to_dict, save_plan
from .schema import Plan

__all__ = ["PARAM_KINDS", "Assessment", "Plan", "assess_plan", "find_plan", "load_plan", "plan_from_dict",
           "plan_to_dict", "save_plan"]
