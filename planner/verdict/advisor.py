"""What would fix a plan: the ways to reach the target ratio, each a complete plan with its verdict and price.

A plan below the line (D/N, or D′/N on effective tokens when it repeats its corpus) has a few ways out:

* ``train-longer``: the same model for more steps (the steps that reach the target on the tokens the
  verdict judges). With a corpus, repeated tokens count less (Muennighoff et al. 2023): the option says how
  many epochs it takes and whether that stays within ``max_epochs`` (default 16, the gate's own limit), and,
  when the corpus cannot supply the target within 16 epochs, that no amount of training reaches it. Its
  step count is the gate's one ``steps_to_optimal``; a plan past 16 epochs is told to train *fewer* steps.
* ``smaller-model``: the largest N that reaches the target on the corpus (within ``max_epochs``) inside the
  compute budget, as a concrete architecture of the plan's family (:mod:`planner.model.shapes`; Llama's
  when the family has no shape rule), its exact N by the counter. (For a plan far past the line this
  model is larger than the plan's: the title then says so.)
* ``wider-corpus`` (when the corpus holds fewer than target·N tokens): the same model at the target with a
  corpus of target·N unique tokens (one epoch: every
  token fresh); the option also states the smallest corpus that reaches the target within ``max_epochs``.
* ``data-constrained``: the best N and D for the compute budget and the corpus under the data-constrained
  law (:func:`planner.laws.data_constrained.data_constrained_optimal`), as a concrete architecture. It
  minimises loss, so it may sit below the 20× line: its verdict says so.

The compute budget is the plan's own compute, unless the constraints allow more: ``max_days`` on the
options' GPUs (``max_gpus``, else the plan's count) and ``max_cost`` at the plan's price cap it. Options
keep the plan's batch layout (tokens per step), accelerator, MFU and price; only the GPU count changes
with ``max_gpus``.

Every option's verdict is :func:`planner.assess_plan` of its plan — the one verdict, never a second
policy — so a saved option (:func:`planner.save_plan`) gets the same verdict from ``planner report``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import validate
from ..errors import InputError
from ..format import fmt_money, fmt_ratio, fmt_si
from ..laws.data_constrained import data_constrained_optimal, loss
from ..model.architecture import Architecture
from ..model.families import from_hf_config
from ..model.params import count_params
from ..model.shapes import SHAPE_RULES, ShapeCandidate, propose_shapes
from ..training.budget import steps_for_tokens
from ..training.compute import ComputeEstimate, gpu_hours, training_flops
from ..training.corpus import WASTED_EPOCHS, effective_tokens, tokens_for_effective
from ..training.memory import memory_estimate
from ..training.memory.partition import carried_layout, check_layout, model_parts
from ..training.parallelism import Parallelism
from .assessment import Assessment, assess_plan
from .gate import steps_to_target
from .planfile import plan_to_dict
from .schema import Plan

#: The kinds of option, in the order they are listed.
KINDS = ("train-longer", "smaller-model", "wider-corpus", "data-constrained")
#: The kinds that propose a new architecture (not reachable without one).
NEW_MODEL = ("smaller-model", "data-constrained")
#: The family a proposed architecture uses when the plan's family has no shape rule (or no architecture).
FALLBACK_FAMILY = "llama"
#: How prose names a fit whose key could be misread (``epoch`` is Epoch AI's fit, not data epochs).
FIT_NAMES = {"epoch": "Epoch AI"}


def fit_name(fit: str) -> str:
    """A loss fit as a sentence names it (``the Epoch AI fit``); the plan keeps its key.

    Args:
        fit: the fit's key (``epoch``, ``chinchilla``) or a saved fit's name.

    Returns:
        The name to print before "fit".
    """
    return FIT_NAMES.get(fit, fit)


@dataclass(frozen=True)
class Constraints:
    """What the options may use.

    Attributes:
        max_days: the longest wall-clock time, in days (None: no limit).
        max_gpus: the most GPUs; options run on this many (None: the plan's count).
        max_cost: the most money (needs the plan's ``price_per_gpu_hour``; None: no limit).
        max_epochs: the most passes over the corpus (default 16, the gate's own limit: past it a plan is never
            judged compute-optimal; 4 keeps repeated data nearly as good as fresh).
        unique_tokens: the corpus size, when it differs from the plan's (None: the plan's corpus).
        fixed_model: the model cannot change (no ``smaller-model`` or ``data-constrained`` option).
        fixed_corpus: the corpus cannot grow (no ``wider-corpus`` option).

    Raises:
        InputError: naming the field: ``max_days`` not in (0, 10⁶], ``max_gpus`` not a whole number from 1 to
            10⁷, ``max_cost`` not in (0, 10¹⁵], ``max_epochs`` not in [1, 10⁶], ``unique_tokens`` below 1,
            ``fixed_model`` or ``fixed_corpus`` not a bool.
    """

    max_days: float | None = None
    max_gpus: int | None = None
    max_cost: float | None = None
    max_epochs: float = WASTED_EPOCHS
    unique_tokens: float | None = None
    fixed_model: bool = False
    fixed_corpus: bool = False

    def __post_init__(self) -> None:
        def set_(k: str, v: object) -> None:
            object.__setattr__(self, k, v)
        if self.max_days is not None:
            set_("max_days", validate.positive_real("max_days", self.max_days, maximum=1e6))
        if self.max_gpus is not None:
            set_("max_gpus", validate.count("max_gpus", self.max_gpus, maximum=10**7))
        if self.max_cost is not None:
            set_("max_cost", validate.positive_real("max_cost", self.max_cost, maximum=1e15))
        set_("max_epochs", validate.positive_real("max_epochs", self.max_epochs, minimum=1, inclusive=True,
                                                  maximum=1e6))
        if self.unique_tokens is not None:
            set_("unique_tokens", validate.positive_real("unique_tokens", self.unique_tokens, minimum=1,
                                                         inclusive=True))
        set_("fixed_model", validate.flag("fixed_model", self.fixed_model))
        set_("fixed_corpus", validate.flag("fixed_corpus", self.fixed_corpus))


@dataclass(frozen=True)
class Option:
    """One way out: a complete plan, its assessment, and what it means against the constraints.

    Attributes:
        kind: one of :data:`KINDS`.
        title: the option in words.
        plan: the complete plan.
        assessment: that plan's :func:`~planner.verdict.assessment.assess_plan` assessment.
        reaches_target: the verdict's level is compute-optimal (the judged ratio is on or above the line).
        within_epochs: at most ``max_epochs`` passes over the corpus (True without a corpus).
        within_constraints: days and cost within the limits.
        reasons: one sentence per failed condition.
        shape: the proposed architecture (a :class:`~planner.model.shapes.ShapeCandidate`) for a new model.
        fits: whether it fits in memory with the layout given to :func:`advise` (None without one).
        extra: kind-specific numbers as ``(name, value)`` pairs (``ratio_at_max_epochs`` for train-longer,
            ``unique_tokens_at_max_epochs`` for wider-corpus, ...; with a corpus, ``loss_with_repetition``:
            the data-constrained law's loss L(N, D, U) (Muennighoff et al. 2023, the plan's fit), where the
            verdict's ``loss`` counts repeated tokens as fresh).
    """

    kind: str
    title: str
    plan: Plan
    assessment: Assessment
    reaches_target: bool
    within_epochs: bool
    within_constraints: bool
    reasons: tuple[str, ...]
    shape: ShapeCandidate | None = None
    fits: bool | None = None
    extra: tuple[tuple[str, float], ...] = ()

    @property
    def reachable(self) -> bool:
        """Reaches the target within the epochs and constraints, not known to overflow memory, and (for a new
        model) an architecture was found."""
        has_model = self.kind not in NEW_MODEL or self.shape is not None     # a size alone cannot be trained
        return (self.reaches_target and self.within_epochs and self.within_constraints and self.fits is not False
                and has_model)

    @property
    def epochs(self) -> float | None:
        """Passes over the corpus (None without a corpus)."""
        c = self.assessment.corpus
        return None if c is None else c.epochs

    @property
    def effective_tokens(self) -> float | None:
        """D', the tokens that count as fresh (None without a corpus)."""
        c = self.assessment.corpus
        return None if c is None else c.effective_tokens

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``kind``, ``plan`` (the plan document), ``params``, ``tokens``, ``ratio``, ``level``,
        ``reachable``, ``gpu_hours``, ``days``, ``cost``, ``loss``, and ``title``, ``blocked``, ``flops``,
        ``steps``, ``unique_tokens``, ``epochs``, ``effective_tokens``, ``reaches_target``, ``within_epochs``,
        ``within_constraints``, ``reasons``, ``fits``, ``config`` (the proposed config.json or null) and the
        kind-specific numbers."""
        a = self.assessment
        return {"kind": self.kind, "title": self.title, "plan": plan_to_dict(self.plan), "params": a.params,
                "tokens": a.gate.tokens, "ratio": a.gate.ratio, "level": a.verdict.level,
                "blocked": a.verdict.blocked, "reachable": self.reachable, "gpu_hours": a.compute.gpu_hours,
                "days": a.compute.days, "cost": a.compute.cost, "loss": a.loss, "flops": a.compute.flops,
                "steps": self.plan.budget.steps, "unique_tokens": self.plan.corpus_tokens,
                "epochs": self.epochs, "effective_tokens": self.effective_tokens,
                "reaches_target": self.reaches_target, "within_epochs": self.within_epochs,
                "within_constraints": self.within_constraints, "reasons": list(self.reasons), "fits": self.fits,
                "config": None if self.shape is None else self.shape.config, **dict(self.extra)}


@dataclass(frozen=True)
class Advice:
    """The options for one plan.

    Attributes:
        plan: the plan advised on.
        assessment: its assessment.
        constraints: the :class:`Constraints` in force.
        budget_flops: the compute budget the new models were sized for.
        budget_basis: where that budget came from, in words.
        target: the target ratio (the plan's optimal line).
        options: the options (each an :class:`Option`), in :data:`KINDS` order.
    """

    plan: Plan
    assessment: Assessment
    constraints: Constraints
    budget_flops: float
    budget_basis: str
    target: float
    options: tuple[Option, ...]

    def option(self, kind: str) -> Option:
        """The option of that kind.

        Args:
            kind: One of :data:`KINDS` (``train-longer``, ``smaller-model``, ...).

        Returns:
            The ``Option``.

        Raises:
            InputError: Naming ``kind``: no option of that kind was offered.
        """
        for o in self.options:
            if o.kind == kind:
                return o
        raise InputError("kind", f"one of {', '.join(o.kind for o in self.options)}", kind)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``plan`` (the plan document), ``target``, ``budget_flops``, ``budget_basis`` and ``options``.

        Returns:
            A dict; each option as :meth:`Option.to_dict` gives it.
        """
        return {"plan": plan_to_dict(self.plan), "target": self.target, "budget_flops": self.budget_flops,
                "budget_basis": self.budget_basis, "options": [o.to_dict() for o in self.options]}


# ---- helpers ------------------------------------------------------------------------------------------

def _flops_for_gpu_hours(hours: float, plan: Plan, compute: ComputeEstimate) -> float:
    """The 6·N·D FLOPs ``hours`` accelerator-hours do on the plan's hardware at its speed: the inverse of the
    GPU-hours the assessment reports. The hours count the MFU convention's FLOPs (attention included) over the
    goodput, so 6·N·D is scaled by the plan's own ratio of 6·N·D to those FLOPs."""
    speed = plan.speed
    if "achieved_tflops" in speed:
        return hours * 3600.0 * speed["achieved_tflops"] * 1e12
    assert compute.model_flops is not None   # the assessment always states 6·N·D
    per_model_flop = compute.mfu_flops / compute.model_flops if compute.model_flops else 1.0
    return float(hours * compute.goodput / gpu_hours(1.0, plan.hardware["peak_tflops"], speed["mfu"])
                 / per_model_flop)


def _tokens_needed(n: float, target: float, unique: float | None) -> float | npt.NDArray[np.float64]:
    """Training tokens that give target·N judged tokens: raw without a corpus, effective with one (inf: never)."""
    need = target * np.asarray(n, dtype=float)
    return need if unique is None else tokens_for_effective(need, unique)


def _largest_params(target: float, unique: float | None, max_epochs: float, flops: float) -> float:
    """The largest N with judged tokens >= target·N inside ``flops`` (6·N·D) and ``max_epochs`` of the corpus."""
    caps = [math.sqrt(flops / training_flops(target, 1.0))] if unique is None else []  # N with 6·N·(target·N) = C
    if unique is not None:
        caps.append(effective_tokens(max_epochs * unique, unique) / target)   # the corpus within max_epochs
        # compute: 6·N·D(N) grows with N; bisect on log N below the corpus cap
        lo, hi = 1.0, caps[0]
        if training_flops(hi, float(_tokens_needed(hi, target, unique))) > flops:
            for _ in range(200):
                mid = math.sqrt(lo * hi)
                if training_flops(mid, float(_tokens_needed(mid, target, unique))) <= flops:
                    lo = mid
                else:
                    hi = mid
                if hi / lo < 1 + 1e-12:
                    break
            caps.append(lo)
    return min(caps)


def _with_steps(plan: Plan, tokens: float, round_down: bool = False, **changes: Any) -> Plan:
    """The plan trained for ``tokens`` in whole steps: the fewest that reach them, or with ``round_down`` the most
    that stay within them (a FLOP budget); at least one."""
    b = plan.budget
    steps = max(1, math.floor(tokens / b.tokens_per_step) if round_down
                else int(steps_for_tokens(float(tokens), b.tokens_per_step)))
    model = changes.get("model") if changes.get("model") is not None else changes.get("params")
    if model is not None and plan.parallelism is not None:
        # the plan's layout on the new model: without the EP a dense model cannot use, and none at all when its TP
        # or PP do not suit the new shape (the option is then judged without a layout)
        parts = model_parts(model)
        carried = carried_layout(parts, plan.parallelism)
        try:
            check_layout(parts, carried)
        except InputError:
            changes["parallelism"] = None
        else:
            changes["parallelism"] = carried
    return plan.with_(budget=replace(b, steps=steps, **changes.pop("budget", {})), **changes)


def _reach(plan: Plan, a: Assessment, target_level: str = "compute-optimal",
           tries: int = 8) -> tuple[Plan, Assessment]:
    """Add steps one at a time while float rounding leaves the judged ratio a hair under the line."""
    for _ in range(tries):
        if a.gate.level == target_level:
            break
        plan = plan.with_(budget=replace(plan.budget, steps=plan.budget.steps + 1))
        a = assess_plan(plan)
    return plan, a


def _family(plan: Plan) -> str:
    fam = None if plan.model is None else plan.model.family
    return fam if fam in SHAPE_RULES else FALLBACK_FAMILY


def _shape(plan: Plan, params: float, *,
           at_most: bool) -> tuple[ShapeCandidate | None, Architecture | None]:
    """A proposed architecture for ``params`` in the plan's family, or None when none is that small/large."""
    fam = _family(plan)
    m = plan.model
    kw: dict[str, Any] = (dict(vocab_size=m.vocab_size, tied_embeddings=m.tied_embeddings)
                          if m is not None and m.family == fam else {})
    for tol in (0.02, 0.05, 0.1):
        try:
            found = propose_shapes(max(1, int(params)), fam, count=1, tolerance=tol, at_most=at_most, **kw)
        except InputError:
            continue
        if found:
            s = found[0]
            return s, from_hf_config(s.config, name=f"{fam} {fmt_si(s.params)} (proposed)")
    return None, None


#: A proposed architecture is sane when its layers (non-embedding parameters) are at least this share of N
#: (Gemma-3-270M, the most embedding-heavy model people train, keeps 38%) and it has at least this many layers.
MIN_BODY_SHARE = 1 / 3
MIN_LAYERS = 4


def _sane(arch: Architecture) -> bool:
    """True when ``arch`` is a shape people would train: non-embedding share >= :data:`MIN_BODY_SHARE` and at least
    :data:`MIN_LAYERS` layers."""
    c = count_params(arch)
    return c.non_embedding >= MIN_BODY_SHARE * c.total and arch.num_layers >= MIN_LAYERS


def _smallest_sane(plan: Plan, start: float,
                   tries: int = 40) -> tuple[ShapeCandidate | None, Architecture | None]:
    """The smallest sane shape of the plan's family at or above ``start`` parameters (growing 25% a try), or
    (None, None)."""
    n = max(start, 1.0)
    for _ in range(tries):
        n *= 1.25
        shape, arch = _shape(plan, n, at_most=False)
        if arch is not None and _sane(arch):
            return shape, arch
    return None, None


def _judge(kind: str, title: str, plan: Plan, a: Assessment, constraints: Constraints, unique: float | None, *,
           shape: ShapeCandidate | None = None, layout: Parallelism | None = None,
           extra: Iterable[tuple[str, float]] = (), reasons: Iterable[str] = ()) -> Option:
    why = list(reasons)
    reaches = a.verdict.level == "compute-optimal"
    if not reaches:
        why.append(f"its verdict is {a.verdict.level} ({a.verdict.headline})")
    within_epochs = unique is None or a.corpus is None or a.corpus.epochs <= constraints.max_epochs * (1 + 1e-12)
    if not within_epochs:
        assert a.corpus is not None   # epochs are counted only on a corpus
        why.append(f"it needs {a.corpus.epochs:.3g} epochs of the corpus, past the "
                       f"{constraints.max_epochs:g}-epoch line where repeated tokens still count almost as fresh")
    within = True
    if constraints.max_days is not None and a.compute.days > constraints.max_days:
        within = False
        why.append(f"it takes {a.compute.days:.3g} days on {plan.count} GPU(s), over the "
                       f"{constraints.max_days:g}-day limit")
    if constraints.max_cost is not None and a.compute.cost is not None and a.compute.cost > constraints.max_cost:
        within = False
        why.append(f"it costs {fmt_money(a.compute.cost)}, over the {fmt_money(constraints.max_cost)} limit")
    fits = None
    if layout is not None and plan.model is not None:
        m = memory_estimate(plan.model, layout, plan.accelerator)
        fits = m.fits
        if fits is False:
            why.append(f"it does not fit in memory: {m.message}")
    more = list(extra)
    if plan.corpus_tokens is not None:   # the loss with repeated tokens (and excess parameters) worth less
        more.append(("loss_with_repetition", float(loss(a.compute_params, plan.budget.cumulative_tokens,
                                                          plan.corpus_tokens, plan.fit))))
    return Option(kind=kind, title=title, plan=plan, assessment=a, reaches_target=reaches,
                  within_epochs=within_epochs, within_constraints=within, reasons=tuple(why), shape=shape,
                  fits=fits, extra=tuple(more))


# ---- the advisor -------------------------------------------------------------------------------------

def advise(plan: Plan, constraints: Constraints | None = None, *, layout: Parallelism | None = None) -> Advice:
    """The ways to bring a plan to its target ratio, each a complete plan with its verdict and price.

    Args:
        plan: a :class:`~planner.Plan` (below its target or not: a plan already on the line gets the same
            options, the train-longer one being the plan itself).
        constraints: a :class:`Constraints` (default: no limits but ``max_epochs`` = 16, the gate's own).
        layout: a :class:`~planner.training.parallelism.Parallelism`; with it each option with an
            architecture says whether it fits the plan's accelerator in memory.

    Returns:
        An ``Advice`` whose ``options`` are, in :data:`KINDS` order, ``train-longer`` (always),
            ``smaller-model`` and ``data-constrained`` (unless ``fixed_model``), ``wider-corpus`` (when the
            plan has a corpus smaller than target·N, unless ``fixed_corpus``). Each :class:`Option` holds its plan
            and that plan's :func:`~planner.assess_plan` assessment (verdict, FLOPs, GPU-hours, days, cost, loss).

    Raises:
        InputError: ``plan`` is not a Plan; ``constraints`` is not Constraints; ``max_cost`` without a price in
            the plan (field ``max_cost``).

    Examples:
        The origin case (Qwen2.5-0.5B, 22M tokens, a 1.24B-token corpus) reaches 20× by training 1,555,931
        steps (10.3 epochs, judged on effective tokens), or on a corpus of 20 × N = 9.88B unique tokens in
        ceil(20 × 494,032,768 / 8,192) = 1,206,135 steps:

        >>> from planner.verdict.planfile import load_plan
        >>> adv = advise(load_plan("data/plans/origin-case.toml"))
        >>> [o.kind for o in adv.options]
        ['train-longer', 'smaller-model', 'wider-corpus', 'data-constrained']
        >>> longer = adv.option("train-longer")
        >>> longer.plan.budget.steps, round(longer.epochs, 1), longer.assessment.verdict.level
        (1555931, 10.3, 'compute-optimal')
        >>> wider = adv.option("wider-corpus")
        >>> wider.plan.budget.steps, wider.plan.unique_tokens
        (1206135, 9880655360.0)
    """
    if not isinstance(plan, Plan):
        raise InputError("plan", "a planner.Plan (see planner.load_plan)", type(plan).__name__)
    constraints = Constraints() if constraints is None else constraints
    if not isinstance(constraints, Constraints):
        raise InputError("constraints", "a planner.verdict.advisor.Constraints", type(constraints).__name__)
    if constraints.max_cost is not None and plan.price_per_gpu_hour is None:
        raise InputError("max_cost", "a limit on a plan with a price ([hardware] price_per_gpu_hour)",
                         constraints.max_cost, detail="needs a price: the plan has no [hardware] price_per_gpu_hour")
    base = plan
    if constraints.unique_tokens is not None:
        base = base.with_(unique_tokens=constraints.unique_tokens, corpus_name=None)
    if constraints.max_gpus is not None:
        base = base.with_(count=constraints.max_gpus)
    a0 = assess_plan(plan)
    target = plan.thresholds.optimal
    unique = base.corpus_tokens
    max_ep = constraints.max_epochs

    # the compute budget new models are sized for: what the limits allow, else the plan's own
    budgets: list[tuple[float, str]] = []
    if constraints.max_days is not None:
        budgets.append((_flops_for_gpu_hours(constraints.max_days * 24.0 * base.count, base, a0.compute),
                        f"{constraints.max_days:g} days on {base.count} GPU(s)"))
    if constraints.max_cost is not None:
        assert base.price_per_gpu_hour is not None   # refused above: a cost limit needs a price
        budgets.append((_flops_for_gpu_hours(constraints.max_cost / base.price_per_gpu_hour, base, a0.compute),
                        fmt_money(constraints.max_cost)))
    if not budgets and constraints.max_gpus is not None:
        budgets.append((_flops_for_gpu_hours(a0.compute.days * 24.0 * base.count, base, a0.compute),
                        f"the plan's days on {base.count} GPU(s)"))
    if not budgets:
        assert a0.compute.model_flops is not None   # the assessment always states 6·N·D
        budgets.append((a0.compute.model_flops, "the plan's own compute"))
    flops, basis = min(budgets)
    options = []

    # (a) train longer (or, past the gate's repetition limit, shorter): the gate's one steps-to-the-line
    g = assess_plan(base).gate
    reasons, extra = [], []
    if unique is not None:
        at_max = effective_tokens(max_ep * unique, unique) / g.params
        extra.append(("ratio_at_max_epochs", at_max))
        if not g.optimal_reachable:
            reasons.append(f"no amount of training reaches {target:g}×: {g.reach}")
    steps = base.budget.steps
    if g.steps_to_optimal is not None and (g.steps_to_optimal > steps or g.repetition_capped):
        steps = g.steps_to_optimal
    elif not g.optimal_reachable:        # as far as the corpus goes before repetition stops counting
        assert unique is not None   # only a corpus makes the line unreachable
        steps = max(steps, math.floor(min(max_ep, WASTED_EPOCHS) * unique / base.budget.tokens_per_step))
    p = base.with_(budget=replace(base.budget, steps=steps), name=f"{plan.name}: train longer")
    a = assess_plan(p)
    verb = ("Train longer" if steps > base.budget.steps else "Train shorter" if steps < base.budget.steps
            else "Keep the length")
    title = (f"{verb}: {p.budget.steps:,} steps ({fmt_si(a.gate.tokens)} tokens"
             + (f", {a.corpus.epochs:.3g} epochs" if a.corpus is not None else "") + ")")
    options.append(_judge("train-longer", title, p, a, constraints, unique, layout=layout, extra=extra,
                          reasons=reasons))

    # (b) the largest model that reaches the target within the budget and the corpus
    if not constraints.fixed_model:
        n_max = _largest_params(target, unique, max_ep, flops)
        shape, arch = _shape(base, n_max, at_most=True)
        reasons = []
        over_budget = False
        if arch is None or not _sane(arch):        # e.g. a 150K-token vocabulary on a 21M-parameter model
            shape, arch = _smallest_sane(base, n_max)
            over_budget = arch is not None
        fresh: dict[str, Any] = dict(budget={"prior_tokens": 0})
        if arch is not None:
            n = count_params(arch).get(base.param_kind)      # the N the plan's ratio divides by
            need = float(_tokens_needed(n, target, unique))
            if not math.isfinite(need):                      # the corpus cannot feed it: stop at max_epochs
                assert unique is not None   # without a corpus the tokens needed are finite
                need = max_ep * unique
            p = _with_steps(base, need, model=arch, params=None, name=f"{plan.name}: smaller model", **fresh)
        else:
            reasons.append(f"no {_family(base)} shape is as small as {fmt_si(n_max)} parameters")
            n = max(1, int(n_max))
            p = _with_steps(base, float(_tokens_needed(n, target, unique)), model=None, params=n,
                            name=f"{plan.name}: smaller model", **fresh)
        a = assess_plan(p)
        p, a = _reach(p, a)
        size = "Smaller" if a.params < a0.params else "Larger"
        title = f"{size} model: N {fmt_si(a.params)} at {fmt_ratio(a.gate.ratio)}× (budget: {basis})"
        if over_budget:
            assert a.compute.model_flops is not None   # the assessment always states 6·N·D
            title = (f"{size} model: N {fmt_si(a.params)} at {fmt_ratio(a.gate.ratio)}×, the smallest "
                     f"{_family(base)} shape whose layers outweigh a third of it "
                     f"({a.compute.model_flops / flops:.3g}× the budget: {basis})")
        options.append(_judge("smaller-model", title, p, a, constraints, unique, shape=shape, layout=layout,
                              extra=[("largest_params", n_max), ("budget_flops", flops)], reasons=reasons))

    # (c) a wider corpus for the same model
    need = target * g.params
    if unique is not None and not constraints.fixed_corpus and unique < need:
        per_epoch = effective_tokens(max_ep, 1.0)              # effective tokens per unique token at max_epochs
        steps = max(steps_to_target(g.params, base.budget.tokens_per_step, target, g.prior_tokens), base.budget.steps)
        # target·N unique tokens; a plan already past the line on raw tokens keeps its length, one fresh epoch
        corpus = float(max(math.ceil(need), base.budget.tokens if steps == base.budget.steps else 0))
        p = base.with_(budget=replace(base.budget, steps=steps), unique_tokens=corpus, corpus_name=None,
                       name=f"{plan.name}: wider corpus")
        a = assess_plan(p)
        p, a = _reach(p, a)
        title = f"Wider corpus: {fmt_si(corpus)} unique tokens ({target:g}·N, one epoch)"
        options.append(_judge("wider-corpus", title, p, a, constraints, p.corpus_tokens, layout=layout,
                              extra=[("unique_tokens_needed", float(math.ceil(need))),
                                     ("unique_tokens_at_max_epochs", need / per_epoch),
                                     ("corpus_growth", math.ceil(need) / unique)]))

    # (d) the data-constrained optimum for the budget and the corpus
    if not constraints.fixed_model:
        o = data_constrained_optimal(flops, unique, plan.fit)
        shape, arch = _shape(base, o.params, at_most=False)
        if arch is not None and not _sane(arch):
            shape, arch = _smallest_sane(base, o.params)
        fresh = dict(budget={"prior_tokens": 0})
        n_flops = o.params if shape is None else shape.active   # the N the FLOPs use: spend the same budget
        p = _with_steps(base, min(o.tokens, flops / training_flops(n_flops, 1.0)), True, model=arch,
                        params=None if arch is not None else max(1, int(o.params)),
                        name=f"{plan.name}: data-constrained optimum", **fresh)
        a = assess_plan(p)
        reasons = [] if arch is not None else [f"no {_family(base)} shape is near {fmt_si(o.params)} parameters"]
        title = (f"Data-constrained optimum ({fit_name(o.fit)} fit): N {fmt_si(a.params)}, "
                 f"{fmt_si(a.gate.tokens)} tokens (budget: {basis})")
        options.append(_judge("data-constrained", title, p, a, constraints, unique, shape=shape, layout=layout,
                              extra=[("law_params", o.params), ("law_tokens", o.tokens), ("law_loss", o.loss),
                                     ("budget_flops", flops)], reasons=reasons))
    return Advice(plan=plan, assessment=a0, constraints=constraints, budget_flops=flops, budget_basis=basis,
                  target=target, options=tuple(options))

