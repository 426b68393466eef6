"""A plan (model, training budget, corpus, hardware) and its one assessment.

Every surface — the command line, the workbook, the review notebook — renders the
:class:`Assessment` that :func:`assess_plan` returns, so they cannot disagree about a number.

A plan file is a small TOML document (read with the standard library's ``tomllib``)::

    name = "Origin case"
    [model]            # one of: catalog = "qwen2.5-0.5b" | config = "path.json" | params = 7e9
    catalog = "qwen2.5-0.5b"   #   | [model.dimensions] with Architecture fields
    [training]         # steps + (micro_batch, seq_len[, grad_accum, data_parallel]) | tokens_per_step
    steps = 2700
    micro_batch = 4
    seq_len = 2048
    [corpus]           # name = "FineWeb-Edu" (data/corpora.csv) | unique_tokens = 1.24e9
    unique_tokens = 1.24e9
    [hardware]         # accelerator key or name (data/accelerators.csv), count, mfu, price_per_gpu_hour
    accelerator = "h100-sxm"

Optional tables: ``[thresholds]`` (severe, block, optimal) and ``[law]`` (fit). Paths are
relative to the plan file. Unknown keys are errors, so a typo never silently drops a field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from .. import validate
from ..model.architecture import Architecture
from ..training.budget import Budget, budget as make_budget
from ..training.parallelism import PLAN_KEYS as _PARALLELISM_KEYS, Parallelism
from ..model.catalog import architecture
from ..training.compute import (DEFAULT_MFU, MAX_PRICE, MFU_RANGE, ComputeEstimate, accelerator, attention_flops_per_token,
                      estimate, training_flops)
from ..training.corpus import CorpusAssessment, corpus_tokens
from ..errors import ConfigError, InputError, PlanFileError
from .gate import GateResult, Thresholds, assess
from .policy import Verdict, verdict as make_verdict
from ..laws.fits import DEFAULT_FIT, OptimalPlan, compute_optimal, fit as get_fit
from ..model.params import PARAM_KINDS, ParamCount, count_params



@dataclass(frozen=True)
class Plan:
    """One training run: a model (an Architecture, or a bare parameter count), a budget, a corpus, hardware.

    A plan stores what its author gave and derives the rest: a corpus or an accelerator given by name is
    looked up on access (:attr:`corpus_tokens`, :attr:`hardware`), so ``plan.with_(...)`` equals a plan built
    fresh from the same inputs. Every field is validated on construction; errors name the field as a plan
    file spells it (``corpus.unique_tokens``, ``hardware.mfu``, ``law.fit``).

    Fields:
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
        causal_attention_halving: count only the unmasked half of the attention scores' FLOPs.
        thresholds: the gate's lines.
        param_kind: which N the ratio divides by: ``total``, ``non_embedding`` or ``active``.
        fit: the scaling-law fit for loss and the compute-optimal alternative (default ``epoch``).
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

    def __post_init__(self):
        def set_(k, v):
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
        if self.inference_tokens is not None:
            set_("inference_tokens", validate.positive_real("inference.tokens", self.inference_tokens, minimum=1,
                                                            inclusive=True))
        if self.price_per_gpu_hour is not None:
            set_("price_per_gpu_hour", validate.positive_real("hardware.price_per_gpu_hour", self.price_per_gpu_hour,
                                                              inclusive=True, maximum=MAX_PRICE))
        set_("causal_attention_halving", validate.flag("hardware.causal_attention_halving",
                                                       self.causal_attention_halving))
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
    def speed(self) -> dict:
        """How the run is timed: ``{"achieved_tflops": x}`` or ``{"mfu": m}`` (default 0.4)."""
        if self.achieved_tflops is not None:
            return {"achieved_tflops": self.achieved_tflops}
        return {"mfu": DEFAULT_MFU if self.mfu is None else self.mfu}

    @property
    def hardware(self) -> dict:
        """The accelerator's row (key, name, peak TFLOP/s)."""
        return accelerator(self.accelerator)

    def with_(self, **changes) -> "Plan":
        """A copy with some fields changed, validated again (equal to a fresh build)."""
        return replace(self, **changes)


def _resolve(field_name: str, fn, value):
    """Look a name up, re-raising a lookup failure under the plan field's name."""
    try:
        return fn(value)
    except (ConfigError, InputError) as e:
        raise InputError(field_name, e.problem, detail=e.problem) from None


@dataclass(frozen=True)
class Assessment:
    """Everything the planner says about one plan; every surface renders this object.

    ``params`` is the N the ratio uses (``plan.param_kind``); ``compute_params`` the N that FLOPs, loss and
    the compute-optimal alternative use (active N for MoE). ``total_flops`` is 6·N·(prior + new tokens): the
    compute the model will have had in all, the budget the optimal alternative is computed for.
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
    def memory(self):
        """Per-GPU memory (:class:`~planner.training.memory.MemoryEstimate`) when the plan has a layout, else None."""
        p = self.plan
        if p.parallelism is None:
            return None
        from ..training.memory import memory_estimate
        return memory_estimate(p.model if p.model is not None else p.params, p.parallelism, p.accelerator)

    @cached_property
    def science(self):
        """The data-constrained optimum (with a corpus), the inference-aware plan (with inference tokens) and the
        batch-size and learning-rate laws for this plan (:func:`planner.laws.advice.plan_advice`)."""
        from ..laws.advice import plan_advice
        p, m = self.plan, self.plan.model
        attention = m is not None and m.num_attention_layers > 0  # DeepSeek's M needs attention layers
        return plan_advice(
            params=self.compute_params, tokens=self.gate.tokens, unique_tokens=self.corpus.unique_tokens
            if self.corpus is not None else None, inference_tokens=p.inference_tokens, fit=p.fit,
            flops=self.compute.model_flops,
            num_layers=m.num_layers if attention else None, hidden_size=m.hidden_size if attention else None,
            seq_len=p.budget.seq_len if attention else None,
            non_embedding_params=self.counts.non_embedding if self.counts is not None else None,
            tokens_per_step=p.budget.tokens_per_step, mfu=p.speed.get("mfu", DEFAULT_MFU),
            price_per_gpu_hour=p.price_per_gpu_hour, accelerator=p.accelerator)

    @cached_property
    def science_or_none(self):
        """:attr:`science`, or None when the laws cannot speak to this plan (a budget past their range)."""
        from ..errors import PlannerError
        try:
            return self.science
        except PlannerError:
            return None

    @property
    def verdict(self) -> Verdict:
        """The one verdict (level, blocked, headline, notices, memory fit, exit code)."""
        return make_verdict(self.gate, memory=self.memory)

    def to_dict(self) -> dict:
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
            "loss": self.loss, "fit": p.fit,
            "optimal": self.optimal.to_dict(),
            "science": None if self.science_or_none is None else self.science_or_none.to_dict(),
            "thresholds": {"severe": p.thresholds.severe, "block": p.thresholds.block,
                           "optimal": p.thresholds.optimal},
        }


def assess_plan(plan: Plan) -> Assessment:
    """The one assessment every surface renders.

    Args:
        plan: a :class:`Plan`.

    Returns:
        An :class:`Assessment`: the gate (judged on effective tokens when the plan repeats its corpus),
        compute and cost, the predicted loss and the compute-optimal alternative (both on the compute N,
        over everything the model will have seen: prior + new tokens), and :attr:`Assessment.verdict`.

    Raises:
        InputError: ``plan`` is not a :class:`Plan`.
    """
    if not isinstance(plan, Plan):
        raise InputError("plan", "a planner.Plan (see planner.load_plan or planner.plan_from_dict)",
                         type(plan).__name__)
    b = plan.budget
    if plan.model is not None:
        counts = count_params(plan.model)
        n = counts.get(plan.param_kind)
        n_compute = counts.get("active") if counts.is_moe else counts.total   # names the top-k when unknown
        a = plan.model
        attention_known = b.seq_len is not None
        attn = attention_flops_per_token(a.num_attention_layers, a.num_heads, a.head_dim, b.seq_len,
                                         plan.causal_attention_halving) if attention_known else 0.0
    else:
        counts, n, n_compute, attn, attention_known = None, plan.params, plan.params, 0.0, False
    gate = assess(n, b.tokens, tokens_per_step=b.tokens_per_step, prior_tokens=b.prior_tokens,
                  thresholds=plan.thresholds, param_kind=plan.param_kind, unique_tokens=plan.corpus_tokens,
                  corpus_name=plan.corpus_name)
    compute = estimate(n_compute, b.tokens, accelerator_name=plan.accelerator, count=plan.count,
                       price_per_gpu_hour=plan.price_per_gpu_hour, attention_per_token=attn,
                       causal=plan.causal_attention_halving, **plan.speed,
                       recompute=plan.parallelism.recompute if plan.parallelism is not None else "none")
    f = get_fit(plan.fit)
    total = training_flops(n_compute, b.cumulative_tokens)
    return Assessment(plan=plan, counts=counts, params=n, compute_params=n_compute, gate=gate, corpus=gate.corpus,
                      compute=compute, attention_known=attention_known, total_flops=total,
                      loss=f.loss(n_compute, b.cumulative_tokens), optimal=compute_optimal(total, f.name, line=plan.thresholds.optimal))


# ---- plan files -------------------------------------------------------------------------------

_SECTIONS = {
    "": {"name", "description", "model", "training", "corpus", "hardware", "thresholds", "law", "parallelism",
         "inference"},
    "model": {"catalog", "config", "params", "dimensions", "param_kind"},
    "training": {"steps", "micro_batch", "seq_len", "grad_accum", "data_parallel", "tokens_per_step",
                 "prior_tokens"},
    "corpus": {"name", "unique_tokens"},
    "hardware": {"accelerator", "count", "mfu", "achieved_tflops", "price_per_gpu_hour", "causal_attention_halving"},
    "inference": {"tokens"},
    "thresholds": {"severe", "block", "optimal"},
    "law": {"fit"},
}


def _table(doc: dict, key: str, required: bool = True) -> dict:
    t = doc.get(key)
    if t is None:
        if required:
            raise PlanFileError(f"plan.{key}", f"missing: a [{key}] table is required")
        return {}
    if not isinstance(t, dict):
        raise PlanFileError(f"plan.{key}", f"must be a table ([{key}]), got {type(t).__name__}")
    unknown = sorted(set(t) - _SECTIONS[key])
    if unknown:
        raise PlanFileError(f"plan.{key}.{unknown[0]}", f"unknown key; accepted: {', '.join(sorted(_SECTIONS[key]))}")
    return t


def _field(fn, name: str, *args, **kwargs):
    """Run a validator and re-raise its error under the plan field's full name."""
    try:
        return fn(*args, **kwargs)
    except InputError as e:
        raise PlanFileError(name, e.problem) from e


def _model(t: dict, base: Path) -> tuple[Architecture | None, int | None]:
    given = [k for k in ("catalog", "config", "params", "dimensions") if k in t]
    if len(given) != 1:
        raise PlanFileError("plan.model", "give exactly one of catalog, config, params, dimensions"
                            + (f" (got {', '.join(given)})" if given else ""))
    k = given[0]
    if k == "params":
        return None, _field(validate.count, "plan.model.params", "params", t["params"])
    if k == "dimensions":
        dims = t["dimensions"]
        if not isinstance(dims, dict):
            raise PlanFileError("plan.model.dimensions", "must be a table of Architecture fields")
        try:
            return Architecture(**dims), None
        except TypeError as e:
            raise PlanFileError("plan.model.dimensions", f"{e}".replace("__init__() ", "")) from None
        except InputError as e:
            raise PlanFileError(f"plan.model.dimensions.{e.field}", e.problem) from e
    value = t[k]
    if not isinstance(value, str):
        raise PlanFileError(f"plan.model.{k}", f"must be a string, got {value!r}")
    source = value if k == "catalog" else str((base / value).resolve())
    try:
        return architecture(source), None
    except ConfigError as e:
        # keep a field inside the config file (config.hidden_size: ...); drop a bare "config:"/"model:" prefix
        detail = str(e) if e.field.startswith("config.") else e.problem
        raise PlanFileError(f"plan.model.{k}", detail) from e


def plan_from_dict(doc: dict, base: Path | str = ".", name: str = "plan") -> Plan:
    """Build a :class:`Plan` from a parsed plan document.

    Args:
        doc: the document (a dict, as ``tomllib`` reads a plan file).
        base: the folder paths in the document are relative to (the plan file's folder).
        name: the plan's name when the document has none.

    Returns:
        The validated :class:`Plan`.

    Raises:
        PlanFileError: naming the field (``plan.training.steps: must be a whole number >= 1, got -1``);
            unknown keys are errors, so a typo never silently drops a field.
    """
    if not isinstance(doc, dict):
        raise PlanFileError("plan", "must be a TOML document (a table)")
    if not isinstance(base, (str, Path)) or "\0" in str(base):
        raise InputError("base", "a folder path (str or pathlib.Path)", type(base).__name__)
    unknown = sorted(set(doc) - _SECTIONS[""])
    if unknown:
        raise PlanFileError(f"plan.{unknown[0]}", f"unknown key; accepted: {', '.join(sorted(_SECTIONS['']))}")
    base = Path(base)
    model_t, train_t = _table(doc, "model"), _table(doc, "training")
    corpus_t, hw_t = _table(doc, "corpus", False), _table(doc, "hardware", False)
    thr_t, law_t = _table(doc, "thresholds", False), _table(doc, "law", False)
    inference_t = _table(doc, "inference", False)
    for section, table in (("hardware", hw_t), ("corpus", corpus_t), ("inference", inference_t), ("law", law_t)):
        for k, v in table.items():
            if v is None:  # a document built in Python: TOML itself has no null
                raise PlanFileError(f"plan.{section}.{k}", "must have a value (leave the key out for the default)")
    arch, params = _model(model_t, base)
    if "steps" not in train_t:
        raise PlanFileError("plan.training.steps", "missing: the number of optimizer steps is required")
    if "corpus" in doc and "name" not in corpus_t and "unique_tokens" not in corpus_t:
        raise PlanFileError("plan.corpus", "give name (from data/corpora.csv) or unique_tokens")
    try:
        b = make_budget(**train_t)
    except InputError as e:
        raise PlanFileError(f"plan.training.{e.field}", e.problem) from e
    layout = None
    if "parallelism" in doc:
        from ..training.parallelism import parallelism_from_dict
        layout = parallelism_from_dict(doc["parallelism"], micro_batch=b.micro_batch, seq_len=b.seq_len,
                                       dp=b.data_parallel, gpus=hw_t.get("count", Plan.count))
    fit_name = law_t.get("fit", DEFAULT_FIT)
    if isinstance(fit_name, str) and fit_name.endswith(".toml") and not Path(fit_name).is_absolute():
        fit_name = str((base / fit_name).resolve())  # a fitted law saved beside the plan
    try:
        thresholds = Thresholds(**thr_t)
        return Plan(budget=b, model=arch, params=params, name=doc.get("name", name),
                    description=doc.get("description", ""), corpus_name=corpus_t.get("name"),
                    unique_tokens=corpus_t.get("unique_tokens"), thresholds=thresholds,
                    param_kind=model_t.get("param_kind", "total"), fit=fit_name, parallelism=layout,
                    inference_tokens=inference_t.get("tokens"), **hw_t)
    except InputError as e:  # Plan and Thresholds name fields as the plan file spells them
        raise PlanFileError(f"plan.{e.field}", e.problem) from e


def _dimensions(arch: Architecture) -> dict:
    """The constructor arguments of ``arch`` that differ from their defaults (a ``[model.dimensions]`` table)."""
    import inspect

    params = inspect.signature(Architecture).parameters
    out = {}
    for k, v in arch.inputs().items():
        default = params[k].default if k in params else inspect.Parameter.empty
        if v is not None and (default is inspect.Parameter.empty or v != default):
            out[k] = list(v) if isinstance(v, tuple) else v
    return out


def plan_to_dict(plan: Plan) -> dict:
    """The plan as a plan document: :func:`plan_from_dict` of the result builds an equal :class:`Plan`.

    A catalog model is written by name (``[model] catalog = ...``), any other architecture as a
    ``[model.dimensions]`` table, a bare N as ``params``. Defaults are left out.
    """
    if not isinstance(plan, Plan):
        raise InputError("plan", "a planner.Plan", type(plan).__name__)
    from ..model.catalog import list_models
    doc: dict = {"name": plan.name}
    if plan.description:
        doc["description"] = plan.description
    if plan.model is None:
        model = {"params": plan.params}
    elif plan.model.name in list_models() and architecture(plan.model.name) == plan.model:
        model = {"catalog": plan.model.name}
    else:
        model = {"dimensions": _dimensions(plan.model)}
    if plan.param_kind != "total":
        model["param_kind"] = plan.param_kind
    doc["model"] = model
    b = plan.budget
    training = {"steps": b.steps}
    if b.seq_len is None:
        training["tokens_per_step"] = b.tokens_per_step
    else:
        training.update(micro_batch=b.micro_batch, grad_accum=b.grad_accum, data_parallel=b.data_parallel,
                        seq_len=b.seq_len)
    if b.prior_tokens:
        training["prior_tokens"] = b.prior_tokens
    doc["training"] = training
    corpus = {k: v for k, v in (("name", plan.corpus_name), ("unique_tokens", plan.unique_tokens)) if v is not None}
    if corpus:
        doc["corpus"] = corpus
    hardware = {"accelerator": plan.accelerator, "count": plan.count}
    hardware.update({k: v for k, v in (("mfu", plan.mfu), ("achieved_tflops", plan.achieved_tflops)) if v is not None})
    if plan.price_per_gpu_hour is not None:
        hardware["price_per_gpu_hour"] = plan.price_per_gpu_hour
    if plan.causal_attention_halving:
        hardware["causal_attention_halving"] = True
    doc["hardware"] = hardware
    if plan.thresholds != Thresholds():
        doc["thresholds"] = {"severe": plan.thresholds.severe, "block": plan.thresholds.block,
                             "optimal": plan.thresholds.optimal}
    if plan.fit != DEFAULT_FIT:
        doc["law"] = {"fit": plan.fit}
    if plan.parallelism is not None:
        layout = plan.parallelism.to_dict()
        doc["parallelism"] = {k: v for k, v in layout.items() if k in _PARALLELISM_KEYS and v is not None}
    if plan.inference_tokens is not None:
        doc["inference"] = {"tokens": plan.inference_tokens}
    return doc


def save_plan(plan: Plan, path, *, overwrite: bool = False) -> Path:
    """Write ``plan`` as a plan TOML file that :func:`load_plan` reads back to an equal plan.

    Args:
        plan: the plan.
        path: where to write (``.toml``).
        overwrite: replace an existing file (default: refuse).

    Returns:
        The path written.

    Raises:
        PlanFileError: the file exists and ``overwrite`` is false, or it cannot be written.
    """
    import tomli_w

    out = Path(path)
    doc = plan_to_dict(plan)
    if out.exists() and not validate.flag("overwrite", overwrite):
        raise PlanFileError("plan", f"{out} exists; pass overwrite=True to replace it")
    try:
        out.write_text(tomli_w.dumps(doc), encoding="utf-8")
    except OSError as e:
        raise PlanFileError("plan", f"cannot write {out}: {e.strerror or e}") from None
    return out


def find_plan(path) -> Path:
    """Resolve a plan path: as given (relative to the working directory), else relative to the project root.

    Notebooks run with ``notebooks/`` as their working directory; this lets them, papermill and
    the command line all accept ``data/plans/origin-case.toml``.
    """
    from ..datafiles import DATA_DIR
    from ..files import checked_path
    p = checked_path(path, "plan", error=PlanFileError)

    def exists(q: Path) -> bool:
        try:
            return q.exists()
        except OSError:  # a name too long to stat: let the reader say so, with the field named
            return True

    if p.is_absolute() or exists(p):
        return p
    for alt in (DATA_DIR.parent / p, DATA_DIR / p.relative_to("data") if p.parts[:1] == ("data",) else None):
        if alt is not None and exists(alt):
            return alt
    return p


def load_plan(path) -> Plan:
    """Read and validate a plan TOML file (see :func:`find_plan` for relative paths)."""
    from ..files import read_text
    p = find_plan(path)
    text = read_text(p, "plan", error=PlanFileError)  # regular files only, size capped: never /dev/zero
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PlanFileError("plan", f"not valid TOML ({e}): {p}") from None
    except (ValueError, RecursionError) as e:  # a 5,000-digit number, nesting thousands deep
        raise PlanFileError("plan", f"not a usable TOML document ({type(e).__name__}: {str(e)[:80]}): {p}") from None
    return plan_from_dict(doc, base=p.parent, name=p.stem)
