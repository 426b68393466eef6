"""The one assessment of a plan: every surface renders the :class:`Assessment` that :func:`assess_plan` returns.

The command line, the workbook and the review notebook all show this object, so they cannot disagree
about a number: the gate, compute and cost, the predicted loss, the compute-optimal alternative, the
memory per GPU (with a layout), the science (data-constrained and inference-aware optima, batch-size
and learning-rate laws) and the one verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..errors import InputError, PlannerError
from ..laws.optimal import OptimalPlan, compute_optimal
from ..laws.registry import fit as get_fit
from ..laws.science import PlanAdvice, plan_advice
from ..model.params import ParamCount, count_params
from ..training.compute import DEFAULT_MFU, ComputeEstimate, estimate, training_flops
from ..training.corpus import CorpusAssessment
from ..training.flops import token_flops
from ..training.memory import MemoryEstimate, memory_estimate
from ..training.throughput import Throughput, throughput, time_range
from .gate import GateResult, assess
from .policy import Verdict
from .policy import verdict as make_verdict
from .schema import Plan


@dataclass(frozen=True)
class Assessment:
    """Everything the planner says about one plan; every surface renders this object.

    ``params`` is the N the ratio uses (``plan.param_kind``); ``compute_params`` the N that FLOPs, loss and
    the compute-optimal alternative use (active N for MoE). ``total_flops`` is 6·N·(prior + new tokens): the
    compute the model will have had in all, the budget the optimal alternative is computed for.

    Built by :func:`assess_plan` (not by hand). The memory estimate and the science are computed on first
    access.

    Args:
        plan: the assessed :class:`~planner.verdict.schema.Plan`.
        counts: the architecture's parameter counts, or None for a bare parameter count.
        params: the N the ratio uses.
        compute_params: the N that FLOPs, loss and the compute-optimal alternative use.
        gate: the D/N gate's result.
        corpus: the corpus repetition assessment, or None without a corpus.
        compute: FLOPs, time and cost.
        attention_known: whether the attention FLOPs are known (an architecture and a sequence length).
        total_flops: 6·N·(prior + new tokens).
        loss: the fit's predicted loss.
        optimal: the compute-optimal alternative for ``total_flops``.
    """

    plan: Plan
    counts: ParamCount | None
    params: int
    compute_params: int
    gate: GateResult
    corpus: CorpusAssessment | None
    compute: ComputeEstimate
    attention_known: bool
    total_flops: float
    loss: float
    optimal: OptimalPlan

    @cached_property
    def memory(self) -> MemoryEstimate | None:
        """Per-GPU memory (:class:`~planner.training.memory.MemoryEstimate`) when the plan has a layout, else None;
        its micro-batches per step are the budget's accumulation (an interleaved pipeline holds more of them)."""
        p = self.plan
        if p.parallelism is None:
            return None
        model = p.model if p.model is not None else p.params
        assert model is not None  # a plan has an architecture or a parameter count (Plan validates it)
        return memory_estimate(model, p.parallelism.with_accumulation(p.budget.grad_accum), p.accelerator)

    @cached_property
    def predicted(self) -> Throughput | None:
        """The plan's own layout timed by the throughput model (:func:`planner.training.throughput.throughput`),
        when the plan has a layout, an attention model and an accelerator with known bandwidths; else None.
        Its gradient accumulation is the layout's micro-batches per step."""
        p = self.plan
        if p.parallelism is None or p.model is None or getattr(p.model, "mixer", "attention") != "attention":
            return None
        try:
            layout = p.parallelism.with_(micro_batches=p.budget.grad_accum or 1)
            return throughput(p.model, layout, p.accelerator)
        except PlannerError:
            return None

    @property
    def predicted_days_to_line(self) -> float | None:
        """Wall-clock days to the plan's line at the predicted step time (over the goodput), or None."""
        t, steps = self.predicted, self.gate.steps_to_optimal
        if t is None or steps is None:
            return None
        return steps * t.step_seconds / self.plan.goodput / 86400

    @property
    def predicted_days_range(self) -> tuple[float, float] | None:
        """The days to the line at the two ends of the throughput model's band, or None."""
        days = self.predicted_days_to_line
        return None if days is None or self.predicted is None else time_range(days, self.predicted.band)

    @cached_property
    def science(self) -> PlanAdvice:
        """The data-constrained optimum (with a corpus), the inference-aware plan (with inference tokens) and the
        batch-size and learning-rate laws for this plan (:func:`planner.laws.science.plan_advice`).

        Raises:
            PlannerError: the laws cannot speak to this plan (a budget past their range).
        """
        p, m = self.plan, self.plan.model
        attention = m is not None and m.num_attention_layers > 0  # DeepSeek's M needs attention layers
        return plan_advice(
            params=self.compute_params, tokens=self.gate.tokens, unique_tokens=self.corpus.unique_tokens
            if self.corpus is not None else None, inference_tokens=p.inference_tokens, fit=p.fit,
            flops=self.compute.model_flops,
            num_layers=m.num_layers if m is not None and attention else None,
            hidden_size=m.hidden_size if m is not None and attention else None,
            seq_len=p.budget.seq_len if attention else None,
            non_embedding_params=self.counts.non_embedding if self.counts is not None else None,
            tokens_per_step=p.budget.tokens_per_step, mfu=p.speed.get("mfu", DEFAULT_MFU),
            price_per_gpu_hour=p.price_per_gpu_hour, accelerator=p.accelerator)

    @cached_property
    def science_or_none(self) -> PlanAdvice | None:
        """:attr:`science`, or None when the laws cannot speak to this plan (a budget past their range)."""
        try:
            return self.science
        except PlannerError:
            return None

    @property
    def verdict(self) -> Verdict:
        """The one verdict (level, blocked, headline, notices, memory fit, exit code)."""
        return make_verdict(self.gate, memory=self.memory)

    def to_dict(self) -> dict[str, Any]:
        """The assessment as JSON-ready values (the command line's ``--json``).

        Returns:
            A dict of plain numbers, strings, lists and dicts.
        """
        p = self.plan
        return {
            "name": p.name,
            "model": None if p.model is None else {"name": p.model.name, "model_type": p.model.family},
            "param_counts": None if self.counts is None else self.counts.to_dict(),
            "params": self.params, "param_kind": p.param_kind, "compute_params": self.compute_params,
            "steps": p.budget.steps, "tokens_per_step": p.budget.tokens_per_step,
            "tokens": self.gate.tokens, "prior_tokens": self.gate.prior_tokens,
            "ratio": self.gate.ratio, "raw_ratio": self.gate.raw_ratio, "effective_ratio": self.gate.effective_ratio,
            "judged": self.gate.judged, "new_ratio": self.gate.new_ratio,
            "cumulative_ratio": self.gate.cumulative_ratio,
            "level": self.gate.level, "blocked": self.gate.blocked,
            "steps_to_optimal": self.gate.steps_to_optimal, "tokens_to_optimal": self.gate.tokens_to_optimal,
            "optimal_reachable": self.gate.optimal_reachable, "corpus_needed": self.gate.corpus_needed,
            "repetition_capped": self.gate.repetition_capped, "reach": self.gate.reach,
            "message": self.gate.message,
            "verdict": self.verdict.to_dict(),
            "corpus": None if self.corpus is None else self.corpus.to_dict(),
            "compute": {**self.compute.to_dict(),
                        "flops_with_attention": self.compute.flops_with_attention if self.attention_known else None},
            "total_flops": self.total_flops,
            "memory": None if self.memory is None else self.memory.to_dict(),
            "predicted": None if self.predicted is None else {
                "tokens_per_gpu_s": self.predicted.tokens_per_gpu_s, "mfu": self.predicted.mfu,
                "step_seconds": self.predicted.step_seconds, "days_to_line": self.predicted_days_to_line,
                "band": self.predicted.band, "tokens_per_gpu_s_range": list(self.predicted.tokens_per_gpu_s_range),
                "days_to_line_range": None if self.predicted_days_range is None else list(self.predicted_days_range)},
            "loss": self.loss, "fit": p.fit,
            "optimal": self.optimal.to_dict(),
            "science": None if self.science_or_none is None else self.science_or_none.to_dict(),
            "thresholds": {"severe": p.thresholds.severe, "block": p.thresholds.block,
                           "optimal": p.thresholds.optimal},
        }


def assess_plan(plan: Plan) -> Assessment:
    """The one assessment every surface renders.

    Args:
        plan: a :class:`~planner.verdict.schema.Plan`.

    Returns:
        An ``Assessment``: the gate (judged on effective tokens when the plan repeats its corpus),
            compute and cost, the predicted loss and the compute-optimal alternative (both on the compute N,
            over everything the model will have seen: prior + new tokens), and :attr:`Assessment.verdict`.

    Raises:
        InputError: ``plan`` is not a :class:`Plan`.

    Examples:
        The origin case: D/N = 22,118,400 / 494,032,768 = 0.045. Its MFU counts (the default ``palm``
        convention) 6·(494,032,768 − 151,936 × 896 embedding) + 12·24·14·64·2,048 = 2.676e9 FLOPs per token,
        5.92e16 in all; on one A100 (312 TFLOP/s) at 40% MFU: 5.92e16 / (312e12 × 0.4 × 3600) = 0.132 GPU-hours:

        >>> from planner.verdict.planfile import load_plan
        >>> a = assess_plan(load_plan("data/plans/origin-case.toml"))
        >>> a.params, a.gate.tokens, a.verdict.headline
        (494032768, 22118400, 'SEVERE — blocked: D/N 0.045')
        >>> round(a.compute.gpu_hours, 3)
        0.132
    """
    if not isinstance(plan, Plan):
        raise InputError("plan", "a planner.Plan (see planner.load_plan or planner.plan_from_dict)",
                         type(plan).__name__)
    b = plan.budget
    if plan.model is not None:
        counts = count_params(plan.model)
        n = counts.get(plan.param_kind)
        n_compute = counts.get("active") if counts.is_moe else counts.total   # names the top-k when unknown
        per_token = token_flops(plan.model, b.seq_len, plan.mfu_convention, plan.causal_attention_halving,
                                window=plan.model.sliding_window, window_layers=plan.model.sliding_window_layers)
    else:
        assert plan.params is not None   # a Plan has an architecture or N, exactly one
        counts, n, n_compute = None, plan.params, plan.params
        per_token = token_flops(plan.params, None, plan.mfu_convention, plan.causal_attention_halving)
    gate = assess(n, b.tokens, tokens_per_step=b.tokens_per_step, prior_tokens=b.prior_tokens,
                  thresholds=plan.thresholds, param_kind=plan.param_kind, unique_tokens=plan.corpus_tokens,
                  corpus_name=plan.corpus_name)
    compute = estimate(n_compute, b.tokens, accelerator_name=plan.accelerator, count=plan.count,
                       price_per_gpu_hour=plan.price_per_gpu_hour, per_token=per_token, goodput=plan.goodput,
                       recompute=plan.parallelism.recompute if plan.parallelism is not None else "none",
                       **plan.speed)
    f = get_fit(plan.fit)
    total = training_flops(n_compute, b.cumulative_tokens)
    return Assessment(plan=plan, counts=counts, params=n, compute_params=n_compute, gate=gate, corpus=gate.corpus,
                      compute=compute, attention_known=per_token.attention_known, total_flops=total,
                      loss=f.loss(n_compute, b.cumulative_tokens),
                      optimal=compute_optimal(total, f.name, line=plan.thresholds.optimal))
