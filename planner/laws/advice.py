"""The old path of :mod:`planner.laws.science` (what the scaling-law science says about one plan): a re-export
until the plan's assessment reads it from :mod:`planner.laws.science`."""

from __future__ import annotations

from .science import PlanAdvice, plan_advice

__all__ = ["PlanAdvice", "plan_advice"]
