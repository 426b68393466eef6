"""A plan judged against a law fitted to your own runs, with the fit's uncertainty.

:func:`judge_plan` takes a bootstrap of a fitted law (:meth:`planner.laws.ladder_fit.LadderFit.bootstrap`,
or one saved with the fit: :func:`planner.laws.ladder_fit.load_bootstrap`) and a :class:`Plan` (or its N and
D) and returns a :class:`PlanJudgement`: the plan's predicted loss with its interval, its D/N against the
fitted optimum's interval at the plan's compute (:func:`planner.laws.bootstrap.judge_ratio`), whether that
interval straddles the gate's compute-optimal line, and how far the plan's compute lies outside the runs'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import limits, validate
from ..errors import InputError
from ..format import fmt_ratio
from ..laws.bootstrap import Bootstrap, Interval, RatioJudgement, check_bootstrap, judge_ratio
from ..laws.ladder_fit import EXTRAPOLATION_LIMIT
from ..training.compute import training_flops
from .assessment import assess_plan
from .gate import Thresholds
from .schema import Plan


@dataclass(frozen=True)
class PlanJudgement:
    """A plan (N, D) seen through a fitted law and its bootstrap.

    Args:
        params: the plan's N.
        tokens: the plan's D.
        loss: the predicted loss with its interval.
        ratio: the plan's D/N judged against the fitted optimum at the plan's compute.
        line: the gate's compute-optimal line (tokens per parameter).
        line_straddled: True when the fitted optimum's interval contains ``line`` (the fit cannot say whether
            that line is too low or too high for this law).
        extrapolation: how many times the plan's compute lies outside the runs' compute range.
    """

    params: float
    tokens: float
    loss: Interval
    ratio: RatioJudgement
    line: float
    line_straddled: bool
    extrapolation: float

    @property
    def messages(self) -> list[str]:
        """What a reader should know, one sentence each."""
        out = [self.ratio.message]
        o = self.ratio.optimum
        if o.identified and self.line_straddled:
            out.append(f"the fitted optimum's interval ({fmt_ratio(o.low)}-{fmt_ratio(o.high)}) straddles the "
                       f"{self.line:g}x line: these runs cannot say whether that line is enough")
        elif o.identified:
            side = "above" if o.low > self.line else "below"
            out.append(f"the fitted optimum's whole interval is {side} the {self.line:g}x line")
        if self.extrapolation > EXTRAPOLATION_LIMIT:
            out.append(f"the plan's compute is {self.extrapolation:,.0f}x outside the runs' range: an extrapolation")
        return out


# params and tokens are user input before validation (Any).
def judge_plan(bootstrap: Bootstrap, plan: Plan | None = None, *, params: Any = None, tokens: Any = None,
               line: float | None = None) -> PlanJudgement:
    """Judge a plan against a fitted law with its uncertainty.

    Args:
        bootstrap: a :class:`~planner.laws.bootstrap.Bootstrap` of the fitted law.
        plan: a :class:`Plan` (N from its model, D its training tokens including prior tokens, the line its
            ``thresholds.optimal``); or give ``params`` and ``tokens`` instead.
        params: N, when no plan is given.
        tokens: D, when no plan is given.
        line: the tokens-per-parameter line to test (default: the plan's optimal line, else the gate's
            default, :class:`~planner.verdict.gate.Thresholds`).

    Returns:
        :class:`PlanJudgement`.

    Raises:
        InputError: ``bootstrap`` is not a Bootstrap; ``plan`` is not a Plan; neither a plan nor both
            ``params`` and ``tokens``; non-positive numbers.
    """
    check_bootstrap(bootstrap)
    if plan is not None:
        if not isinstance(plan, Plan):
            raise InputError("plan", "a Plan", detail=f"must be a planner.Plan, got {type(plan).__name__}")
        a = assess_plan(plan)
        n, d = float(a.params), float(plan.budget.cumulative_tokens)
        default_line = plan.thresholds.optimal
    elif params is not None and tokens is not None:
        n = validate.positive_real("params", params, maximum=limits.MAX_REAL)
        d = validate.positive_real("tokens", tokens, maximum=limits.MAX_REAL)
        default_line = Thresholds().optimal
    else:
        raise InputError("plan", "a Plan, or params and tokens", detail="give a plan, or both params and tokens")
    t = default_line if line is None else validate.positive_real("line", line, maximum=limits.MAX_REAL)
    judged = judge_ratio(bootstrap, n, d)
    return PlanJudgement(params=n, tokens=d, loss=bootstrap.loss(n, d), ratio=judged, line=t,
                         line_straddled=judged.optimum.straddles(t),
                         extrapolation=float(bootstrap.fit.extrapolation(training_flops(n, d))))
