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
from pathlib import Path

from .. import validate
from ..model.architecture import Architecture
from ..training.budget import Budget, budget as make_budget
from ..model.catalog import architecture
from ..training.compute import (DEFAULT_MFU, MAX_PRICE, MFU_RANGE, ComputeEstimate, accelerator, attention_flops_per_token,
                      estimate, training_flops)
from ..training.corpus import CorpusAssessment, corpus_tokens
from ..errors import ConfigError, InputError, PlanFileError
from .gate import GateResult, Thresholds, assess
from ..laws.fits import OptimalPlan, compute_optimal, fit as get_fit
from ..model.params import PARAM_KINDS, ParamCount, count_params



@dataclass(frozen=True)
class Plan:
    """One training run: a model (an Architecture, or a bare parameter count), a budget, a corpus, hardware."""

    budget: Budget
    model: Architecture | None = None
    params: int | None = None            # N given directly, when there is no architecture
    name: str = "plan"
    description: str = ""
    corpus_name: str | None = None
    unique_tokens: float | None = None
    accelerator: str = "h100-sxm"
    count: int = 8
    mfu: float = DEFAULT_MFU
    price_per_gpu_hour: float | None = None
    causal_attention_halving: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    param_kind: str = "total"
    fit: str = "chinchilla"

    def __post_init__(self):
        if (self.model is None) == (self.params is None):
            raise InputError("model", "either an architecture or a parameter count (exactly one)",
                             detail="give either an architecture or params, exactly one")
        if self.params is not None:
            object.__setattr__(self, "params", validate.count("params", self.params))
        if self.param_kind not in PARAM_KINDS:
            raise InputError("param_kind", f"one of {', '.join(PARAM_KINDS)}", self.param_kind)
        get_fit(self.fit)

    def with_(self, **changes) -> "Plan":
        return replace(self, **changes)


@dataclass(frozen=True)
class Assessment:
    """Everything the planner says about one plan."""

    plan: Plan
    counts: ParamCount | None
    params: int                 # the N the ratio uses (plan.param_kind)
    compute_params: int         # the N the FLOPs use (active N for MoE)
    gate: GateResult
    corpus: CorpusAssessment | None
    compute: ComputeEstimate
    loss: float
    optimal: OptimalPlan

    @property
    def optimal_loss_gap(self) -> float:
        return self.loss - self.optimal.loss

    def to_dict(self) -> dict:
        p = self.plan
        return {
            "name": p.name,
            "model": None if p.model is None else {"name": p.model.name, "model_type": p.model.family},
            "param_counts": None if self.counts is None else self.counts.to_dict(),
            "params": self.params, "param_kind": p.param_kind, "compute_params": self.compute_params,
            "steps": p.budget.steps, "tokens_per_step": p.budget.tokens_per_step,
            "tokens": self.gate.tokens, "prior_tokens": self.gate.prior_tokens,
            "ratio": self.gate.ratio, "new_ratio": self.gate.new_ratio, "cumulative_ratio": self.gate.cumulative_ratio,
            "level": self.gate.level, "blocked": self.gate.blocked,
            "steps_to_optimal": self.gate.steps_to_optimal, "tokens_to_optimal": self.gate.tokens_to_optimal,
            "message": self.gate.message,
            "corpus": None if self.corpus is None else self.corpus.to_dict(),
            "compute": self.compute.to_dict(),
            "loss": self.loss, "fit": p.fit,
            "optimal": self.optimal.to_dict(),
            "thresholds": {"severe": p.thresholds.severe, "block": p.thresholds.block,
                           "optimal": p.thresholds.optimal},
        }


def assess_plan(plan: Plan) -> Assessment:
    """The one assessment every surface renders."""
    if plan.model is not None:
        counts = count_params(plan.model)
        n = counts.get(plan.param_kind)
        n_compute = counts.active if counts.is_moe else counts.total
        a = plan.model
        attn = attention_flops_per_token(a.num_layers, a.num_heads, a.head_dim, plan.budget.seq_len,
                                         plan.causal_attention_halving) if plan.budget.seq_len else 0.0
    else:
        counts, n, n_compute, attn = None, plan.params, plan.params, 0.0
    b = plan.budget
    gate = assess(n, b.tokens, tokens_per_step=b.tokens_per_step, prior_tokens=b.prior_tokens,
                  thresholds=plan.thresholds, param_kind=plan.param_kind, unique_tokens=plan.unique_tokens,
                  corpus_name=plan.corpus_name)
    corpus = gate.corpus
    compute = estimate(n_compute, b.tokens, accelerator_name=plan.accelerator, count=plan.count, mfu=plan.mfu,
                       price_per_gpu_hour=plan.price_per_gpu_hour, attention_per_token=attn,
                       causal=plan.causal_attention_halving)
    # Loss and the optimal alternative look at everything the model will have seen (prior + new).
    f = get_fit(plan.fit)
    optimal = compute_optimal(training_flops(n_compute, b.cumulative_tokens), f.name)
    return Assessment(plan=plan, counts=counts, params=n, compute_params=n_compute, gate=gate, corpus=corpus,
                      compute=compute, loss=f.loss(n, b.cumulative_tokens), optimal=optimal)


# ---- plan files -------------------------------------------------------------------------------

_SECTIONS = {
    "": {"name", "description", "model", "training", "corpus", "hardware", "thresholds", "law"},
    "model": {"catalog", "config", "params", "dimensions", "param_kind"},
    "training": {"steps", "micro_batch", "seq_len", "grad_accum", "data_parallel", "tokens_per_step",
                 "prior_tokens"},
    "corpus": {"name", "unique_tokens"},
    "hardware": {"accelerator", "count", "mfu", "price_per_gpu_hour", "causal_attention_halving"},
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
    """Build a :class:`Plan` from a parsed plan document; errors name the bad field."""
    if not isinstance(doc, dict):
        raise PlanFileError("plan", "must be a TOML document (a table)")
    unknown = sorted(set(doc) - _SECTIONS[""])
    if unknown:
        raise PlanFileError(f"plan.{unknown[0]}", f"unknown key; accepted: {', '.join(sorted(_SECTIONS['']))}")
    base = Path(base)
    model_t, train_t = _table(doc, "model"), _table(doc, "training")
    corpus_t, hw_t = _table(doc, "corpus", False), _table(doc, "hardware", False)
    thr_t, law_t = _table(doc, "thresholds", False), _table(doc, "law", False)
    arch, params = _model(model_t, base)
    if "steps" not in train_t:
        raise PlanFileError("plan.training.steps", "missing: the number of optimizer steps is required")
    try:
        b = make_budget(**train_t)
    except InputError as e:
        raise PlanFileError(f"plan.training.{e.field}", e.problem) from e
    corpus_name, unique = None, None
    if corpus_t:
        if "name" not in corpus_t and "unique_tokens" not in corpus_t:
            raise PlanFileError("plan.corpus", "give name (from data/corpora.csv) or unique_tokens")
        corpus_name = corpus_t.get("name")
        if corpus_name is not None:
            _field(validate.text, "plan.corpus.name", "name", corpus_name)
        if "unique_tokens" in corpus_t:
            unique = _field(validate.positive_real, "plan.corpus.unique_tokens", "unique_tokens",
                            corpus_t["unique_tokens"], minimum=1, inclusive=True)
        else:
            try:
                unique = corpus_tokens(corpus_name)
            except ConfigError as e:
                raise PlanFileError("plan.corpus.name", e.problem) from e
    try:
        thresholds = Thresholds(**thr_t)
    except InputError as e:  # e.field is thresholds.<line> for one line, thresholds for their order
        raise PlanFileError(f"plan.{e.field}", e.problem) from e
    hw = dict(hw_t)
    for k, fn in (("count", validate.count), ("mfu", lambda f, v: validate.positive_real(
                      f, v, minimum=MFU_RANGE[0], inclusive=True, maximum=MFU_RANGE[1])),
                  ("price_per_gpu_hour", lambda f, v: validate.positive_real(f, v, inclusive=True, maximum=MAX_PRICE)),
                  ("causal_attention_halving", validate.flag), ("accelerator", validate.text)):
        if k in hw:
            hw[k] = _field(fn, f"plan.hardware.{k}", k, hw[k])
    if "accelerator" in hw:
        try:
            accelerator(hw["accelerator"])
        except ConfigError as e:
            raise PlanFileError("plan.hardware.accelerator", e.problem) from e
    for k, v in (("name", doc.get("name", name)), ("description", doc.get("description", ""))):
        if not isinstance(v, str):
            raise PlanFileError(f"plan.{k}", f"must be a string, got {v!r}")
    try:
        return Plan(budget=b, model=arch, params=params, name=doc.get("name", name),
                    description=doc.get("description", ""), corpus_name=corpus_name, unique_tokens=unique,
                    thresholds=thresholds, param_kind=model_t.get("param_kind", "total"),
                    fit=law_t.get("fit", "chinchilla"), **hw)
    except InputError as e:
        section = {"param_kind": "model", "fit": "law"}.get(e.field, "")
        raise PlanFileError(f"plan.{section + '.' if section else ''}{e.field}", e.problem) from e


def find_plan(path) -> Path:
    """Resolve a plan path: as given (relative to the working directory), else relative to the project root.

    Notebooks run with ``notebooks/`` as their working directory; this lets them, papermill and
    the command line all accept ``data/plans/origin-case.toml``.
    """
    from ..datafiles import DATA_DIR
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    alt = DATA_DIR.parent / p
    return alt if alt.exists() else p


def load_plan(path) -> Plan:
    """Read and validate a plan TOML file (see :func:`find_plan` for relative paths)."""
    p = find_plan(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise PlanFileError("plan", f"file not found: {p}") from None
    except IsADirectoryError:
        raise PlanFileError("plan", f"is a directory, not a file: {p}") from None
    except OSError as e:
        raise PlanFileError("plan", f"cannot read {p}: {e.strerror or e}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanFileError("plan", f"not a text file (not UTF-8): {p}") from None
    except tomllib.TOMLDecodeError as e:
        raise PlanFileError("plan", f"not valid TOML ({e}): {p}") from None
    except (ValueError, RecursionError) as e:  # a 5,000-digit number, nesting thousands deep
        raise PlanFileError("plan", f"not a usable TOML document ({type(e).__name__}: {str(e)[:80]}): {p}") from None
    return plan_from_dict(doc, base=p.parent, name=p.stem)
