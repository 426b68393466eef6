"""The recommended N and D for a FLOP budget: the law's optimum, moved onto the gate's line when it sits below it.

:func:`compute_optimal` resolves the fit (:func:`planner.laws.registry.fit`), takes the law's own
compute-optimal split (:func:`planner.laws.power_law.optimal_split`) and, given the gate's
compute-optimal line in tokens per parameter, returns the split of the same FLOPs on the line when
the law's optimum sits below it (:func:`on_line`), so the recommendation is one the gate passes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .. import validate
from ..lines import OPTIMAL_LINE
from .power_law import DEFAULT_FIT, FITTED_FLOPS, FLOPS_PER_PARAM_TOKEN, FLOPS_RANGE
from .registry import fit

# A user's budget and line are typed Any: they are validated here (a number, text such as "1e24").


@dataclass(frozen=True)
class OptimalPlan:
    """The recommended N and D for a FLOP budget, and the law's own optimum beside it.

    ``params``, ``tokens``, ``tokens_per_param``, ``loss``: the recommendation. ``law_params``, ``law_tokens``,
    ``law_tokens_per_param``, ``law_loss``: the fit's minimum-loss split of the same FLOPs. They are the same
    unless a ``line`` was given and the law's optimum sits below it (Epoch's fit puts ~18 tokens per parameter
    at 10²⁴ FLOPs against the gate's 20): the recommendation is then the plan at the same FLOPs on the line,
    which the gate judges compute-optimal (``on_line`` True), at a loss a hair above the law's minimum.

    Args:
        fit: the fit's name.
        flops: the budget.
        params: recommended N.
        tokens: recommended D.
        tokens_per_param: recommended D/N.
        loss: the loss the fit predicts for the recommendation.
        fitted_flops: the fit's compute range (:attr:`planner.laws.power_law.Fit.compute_range`).
        law_params: the law's own N_opt.
        law_tokens: the law's own D_opt.
        law_loss: the loss at the law's own optimum.
        line: the gate's line the recommendation was held to, or None.
    """

    fit: str
    flops: float
    params: float
    tokens: float
    tokens_per_param: float
    loss: float
    fitted_flops: tuple[float, float] | None = None
    law_params: float | None = None
    law_tokens: float | None = None
    law_loss: float | None = None
    line: float | None = None

    @property
    def on_line(self) -> bool:
        """True when the recommendation was moved from the law's optimum to the gate's line."""
        return self.law_params is not None and self.law_params != self.params

    @property
    def law_tokens_per_param(self) -> float:
        """The D/N of the law's own optimum."""
        if self.law_params is None or self.law_tokens is None:
            return self.tokens_per_param
        return self.law_tokens / self.law_params

    @property
    def extrapolated(self) -> bool:
        """True outside the compute range the fit was made on (a published fit's
        :data:`~planner.laws.power_law.FITTED_FLOPS`, a fitted ladder's own runs)."""
        lo, hi = FITTED_FLOPS if self.fitted_flops is None else self.fitted_flops
        return not lo <= self.flops <= hi

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON.

        Returns:
            Every field, with ``extrapolated``, ``on_line`` and ``law_tokens_per_param``.
        """
        return {**asdict(self), "extrapolated": self.extrapolated, "on_line": self.on_line,
                "law_tokens_per_param": self.law_tokens_per_param}


def on_line(flops: float, line: float) -> tuple[float, float]:
    """The N and D that spend ``flops`` (6·N·D) at ``line`` tokens per parameter.

    N = ⌊√(C / (6·line))⌋ and D = ⌈line·N⌉, whole numbers, so D/N is on or just above the line (the gate
    passes it exactly).

    Args:
        flops: the budget C (checked by the caller).
        line: tokens per parameter (checked by the caller).

    Returns:
        ``(N, D)`` as floats holding whole numbers, N at least 1.
    """
    n = float(max(1, math.floor(math.sqrt(flops / (FLOPS_PER_PARAM_TOKEN * line)))))
    return n, float(math.ceil(line * n))


def compute_optimal(flops: Any, fit_name: str = DEFAULT_FIT, *, line: Any = OPTIMAL_LINE) -> OptimalPlan:
    """The compute-optimal N and D for a FLOP budget, with the loss the fit predicts.

    Args:
        flops: training compute C in FLOPs (C ≈ 6·N·D), from 1 to 10^61.
        fit_name: a fit name (see :func:`planner.laws.registry.fit`); default
            :data:`~planner.laws.power_law.DEFAULT_FIT`.
        line: the gate's compute-optimal line in tokens per parameter (default
            :data:`planner.lines.OPTIMAL_LINE`, 20), or None for the law's own optimum. When the law's optimum
            sits below the line, the recommendation is the split of the same FLOPs on the line (which the gate
            judges compute-optimal), as every surface recommends it; the law's optimum stays in
            ``law_params``/``law_tokens``/``law_loss``.

    Returns:
        An ``OptimalPlan`` (N, D, tokens per parameter, loss; ``extrapolated`` outside the fit's range).

    Raises:
        InputError: ``flops`` out of range, ``line`` not a positive number, or ``fit`` unknown.

    Examples:
        >>> o = compute_optimal(1e24)
        >>> round(o.law_tokens_per_param, 1), round(o.tokens_per_param, 1), o.on_line
        (18.1, 20.0, True)
    """
    f = fit(fit_name)
    c: float = validate.positive_real("flops", flops, minimum=FLOPS_RANGE[0], inclusive=True, maximum=FLOPS_RANGE[1])
    n0, d0 = f.optimal(c)
    loss0 = f.loss(n0, d0)
    n, d, loss = n0, d0, loss0
    if line is not None:
        line = validate.positive_real("line", line)
        if d0 / n0 < line:
            n, d = on_line(c, line)
            loss = f.loss(n, d)
    return OptimalPlan(fit=f.name, flops=c, params=n, tokens=d, tokens_per_param=d / n, loss=loss,
                       fitted_flops=f.compute_range, law_params=n0, law_tokens=d0, law_loss=loss0, line=line)
