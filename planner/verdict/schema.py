"""The :class:`Plan` value object: one training run as its author gave it, validated on construction.

A plan stores a model (an :class:`~planner.model.architecture.Architecture` or a bare parameter
count), a training budget, a corpus and hardware, and derives the rest on access (a corpus or an
accelerator given by name is looked up). Reading and writing plan files lives in
:mod:`planner.verdict.planfile`; judging a plan in :mod:`planner.verdict.assessment`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from .. import validate
from ..errors import ConfigError, InputError
from ..laws.power_law import DEFAULT_FIT
from ..laws.registry import fit as get_fit
from ..model.architecture import Architecture
from ..model.params import PARAM_KINDS
from ..training.budget import Budget
from ..training.compute import DEFAULT_GOODPUT, DEFAULT_MFU, MAX_PRICE, MFU_RANGE, Accelerator, accelerator
from ..training.corpus import corpus_tokens
from ..training.flops import DEFAULT_CONVENTION, convention
from ..training.memory.partition import check_layout, model_parts
from ..training.parallelism import Parallelism
from .gate import Thresholds

_T = TypeVar("_T")


@dataclass(frozen=True)
class Plan:
    """One training run: a model (an Architecture, or a bare parameter count), a budget, a corpus, hardware.

    A plan stores what its author gave and derives the rest: a corpus or an accelerator given by name is
    looked up on access (:attr:`corpus_tokens`, :attr:`hardware`), so ``plan.with_(...)`` equals a plan built
    fresh from the same inputs. Every field is validated on construction; errors name the field as a plan
    file spells it (``corpus.unique_tokens``, ``hardware.mfu``, ``law.fit``).

    Args:
        budget: the training budget (:class:`~planner.training.budget.Budget`).
        model / params: an :class:`~planner.model.architecture.Architecture`, or N directly (exactly one).
        name, description: shown in reports.
        corpus_name / unique_tokens: the corpus, by name from ``data/corpora.csv`` and/or by size.
        accelerator, count, price_per_gpu_hour: the hardware (key or name from ``data/accelerators.csv``).
        mfu / achieved_tflops: how fast it runs: a fraction of the dense peak (default 0.4), or the FLOP/s per
            accelerator large runs report (TFLOP/s) — not both.
        parallelism: the layout (:class:`~planner.training.parallelism.Parallelism`); with it the assessment
            says whether the plan fits in memory, and full recompute is timed at 8·N·D.
        inference_tokens: lifetime inference tokens, for the inference-aware plan.
        mfu_convention: which FLOPs the MFU counts (:data:`planner.training.flops.CONVENTIONS`; default
            ``palm``: 6·(N − embedding) + 12·L·H·Q·T, as torchtitan, nanochat and PaLM count them).
        causal_attention_halving: the MFU's attention term counts only the unmasked keys (the named
            conventions count the full square; one rule for every convention).
        goodput: the fraction of wall-clock spent on useful steps (default 1; restarts and checkpoints
            take the rest), apart from the MFU: wall-clock = compute time / goodput.
        thresholds: the gate's lines.
        param_kind: which N the ratio divides by: ``total``, ``non_embedding`` or ``active``.
        fit: the scaling-law fit for loss and the compute-optimal alternative (default ``epoch``).

    Raises:
        InputError: naming the field as a plan file spells it: a value out of range or of the wrong type,
            both or neither of ``model`` and ``params``, both ``mfu`` and ``achieved_tflops``, an unknown
            corpus, accelerator, MFU convention, parameter kind or fit.
    """

    budget: Budget
    model: Architecture | None = None
    params: int | None = None            # N given directly, when there is no architecture
    name: str = "plan"
    description: str = ""
    corpus_name: str | None = None
    unique_tokens: float | None = None
    accelerator: str = "h100-sxm"
    count: int = 8
    mfu: float | None = None             # None: DEFAULT_MFU, unless achieved_tflops is given
    price_per_gpu_hour: float | None = None
    causal_attention_halving: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    param_kind: str = "total"
    fit: str = DEFAULT_FIT
    achieved_tflops: float | None = None
    parallelism: Parallelism | None = None
    inference_tokens: float | None = None
    mfu_convention: str = DEFAULT_CONVENTION
    goodput: float = DEFAULT_GOODPUT

    def __post_init__(self) -> None:
        def set_(k: str, v: object) -> None:
            object.__setattr__(self, k, v)

        if not isinstance(self.budget, Budget):
            raise InputError("training", "a planner.Budget (see planner.budget())", type(self.budget).__name__)
        if (self.model is None) == (self.params is None):
            raise InputError("model", "either an architecture or a parameter count (exactly one)",
                             detail="give either an architecture or params, exactly one")
        if self.model is not None and not isinstance(self.model, Architecture):
            raise InputError("model", "a planner.Architecture", type(self.model).__name__)
        if self.params is not None:
            set_("params", validate.count("model.params", self.params))
        set_("name", validate.text("name", self.name))
        set_("description", validate.text("description", self.description))
        if self.corpus_name is not None:
            set_("corpus_name", validate.text("corpus.name", self.corpus_name))
            if self.unique_tokens is None:
                _resolve("corpus.name", corpus_tokens, self.corpus_name)
        if self.unique_tokens is not None:
            set_("unique_tokens", validate.positive_real("corpus.unique_tokens", self.unique_tokens, minimum=1,
                                                         inclusive=True))
        set_("accelerator", validate.text("hardware.accelerator", self.accelerator))
        _resolve("hardware.accelerator", accelerator, self.accelerator)
        set_("count", validate.count("hardware.count", self.count))
        if self.mfu is not None:
            set_("mfu", validate.positive_real("hardware.mfu", self.mfu, minimum=MFU_RANGE[0], inclusive=True,
                                               maximum=MFU_RANGE[1]))
        if self.achieved_tflops is not None:
            if self.mfu is not None:
                raise InputError("hardware.achieved_tflops", "either mfu or achieved_tflops, not both",
                                 detail="give either mfu or achieved_tflops, not both")
            peak = _resolve("hardware.accelerator", accelerator, self.accelerator)["peak_tflops"]
            set_("achieved_tflops", validate.positive_real("hardware.achieved_tflops", self.achieved_tflops,
                                                           maximum=peak))
        if self.parallelism is not None and not isinstance(self.parallelism, Parallelism):
            raise InputError("parallelism", "a planner.Parallelism", type(self.parallelism).__name__)
        if self.parallelism is not None and self.model is not None:   # TP, PP and EP suit the model's shape
            try:
                check_layout(model_parts(self.model), self.parallelism)
            except InputError as e:
                raise InputError(f"parallelism.{e.field}", e.accepted, e.got, detail=e.problem) from None
        if self.inference_tokens is not None:
            set_("inference_tokens", validate.positive_real("inference.tokens", self.inference_tokens, minimum=1,
                                                            inclusive=True))
        if self.price_per_gpu_hour is not None:
            set_("price_per_gpu_hour", validate.positive_real("hardware.price_per_gpu_hour", self.price_per_gpu_hour,
                                                              inclusive=True, maximum=MAX_PRICE))
        set_("causal_attention_halving", validate.flag("hardware.causal_attention_halving",
                                                       self.causal_attention_halving))
        convention(self.mfu_convention)
        set_("goodput", validate.positive_real("hardware.goodput", self.goodput, maximum=1.0))
        if not isinstance(self.thresholds, Thresholds):
            raise InputError("thresholds", "a planner.Thresholds", type(self.thresholds).__name__)
        if self.param_kind not in PARAM_KINDS:
            raise InputError("model.param_kind", f"one of {', '.join(PARAM_KINDS)}", self.param_kind)
        _resolve("law.fit", get_fit, self.fit)

    @property
    def corpus_tokens(self) -> float | None:
        """Unique tokens of the corpus: as given, else looked up by name; None without a corpus."""
        if self.unique_tokens is not None:
            return self.unique_tokens
        return None if self.corpus_name is None else corpus_tokens(self.corpus_name)

    @property
    def speed(self) -> dict[str, float]:
        """How the run is timed: ``{"achieved_tflops": x}`` or ``{"mfu": m}`` (default 0.4)."""
        if self.achieved_tflops is not None:
            return {"achieved_tflops": self.achieved_tflops}
        return {"mfu": DEFAULT_MFU if self.mfu is None else self.mfu}

    @property
    def hardware(self) -> Accelerator:
        """The accelerator's row (key, name, peak TFLOP/s)."""
        return accelerator(self.accelerator)

    def with_(self, **changes: Any) -> Plan:
        """A copy with some fields changed, validated again (equal to a fresh build).

        Args:
            **changes: fields and their new values.

        Returns:
            The new :class:`Plan`.

        Raises:
            InputError: a changed field is invalid (as on construction).
        """
        return replace(self, **changes)


def _resolve(field_name: str, fn: Callable[[str], _T], value: str) -> _T:
    """Look a name up, re-raising a lookup failure under the plan field's name."""
    try:
        return fn(value)
    except (ConfigError, InputError) as e:
        raise InputError(field_name, e.problem, detail=e.problem) from None
