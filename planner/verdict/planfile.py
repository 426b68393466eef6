"""Plan files: reading and writing a plan as a small TOML document.

A plan file is read with the standard library's ``tomllib`` and written with ``tomli-w``::

    name = "Origin case"
    [model]            # one of: catalog = "qwen2.5-0.5b" | config = "path.json" | params = 7e9
    catalog = "qwen2.5-0.5b"   #   | [model.dimensions] with Architecture fields
    [training]         # steps + (micro_batch, seq_len[, grad_accum, data_parallel]) | tokens_per_step
    steps = 2700
    micro_batch = 4
    seq_len = 2048
    [corpus]           # name = "FineWeb-Edu" (data/corpora.csv) | unique_tokens = 1.24e9
    unique_tokens = 1.24e9
    [hardware]         # accelerator key or name (data/accelerators.csv), count, mfu, price_per_gpu_hour,
    accelerator = "h100-sxm"   # mfu_convention (palm | megatron | llm-foundry | 6nd), goodput

Optional tables: ``[thresholds]`` (severe, block, optimal), ``[law]`` (fit), ``[parallelism]``
(:data:`~planner.training.parallelism.PLAN_KEYS`) and ``[inference]`` (tokens). Paths inside a plan
are relative to the plan file. Unknown keys are errors, so a typo never silently drops a field.
Every path is read through :mod:`planner.files` (regular files only, size capped).
"""

from __future__ import annotations

import inspect
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from .. import validate
from ..datafiles import DATA_DIR
from ..errors import ConfigError, InputError, PlanFileError
from ..files import checked_path, read_text, write_text
from ..laws.power_law import DEFAULT_FIT
from ..model.architecture import Architecture
from ..model.catalog import architecture, list_models
from ..training.budget import budget as make_budget
from ..training.compute import DEFAULT_GOODPUT
from ..training.flops import DEFAULT_CONVENTION
from ..training.parallelism import PLAN_KEYS as _PARALLELISM_KEYS
from ..training.parallelism import parallelism_from_dict
from .gate import Thresholds
from .schema import Plan

_T = TypeVar("_T")

#: The keys each table of a plan file accepts ("" is the top level).
_SECTIONS = {
    "": {"name", "description", "model", "training", "corpus", "hardware", "thresholds", "law", "parallelism",
         "inference"},
    "model": {"catalog", "config", "params", "dimensions", "param_kind"},
    "training": {"steps", "micro_batch", "seq_len", "grad_accum", "data_parallel", "tokens_per_step",
                 "prior_tokens"},
    "corpus": {"name", "unique_tokens"},
    "hardware": {"accelerator", "count", "mfu", "achieved_tflops", "price_per_gpu_hour", "causal_attention_halving",
                 "mfu_convention", "goodput"},
    "inference": {"tokens"},
    "thresholds": {"severe", "block", "optimal"},
    "law": {"fit"},
}


def _table(doc: dict[str, Any], key: str, required: bool = True) -> dict[str, Any]:
    """The table ``doc[key]`` with its keys checked against :data:`_SECTIONS` ({} when optional and absent)."""
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


def _field(fn: Callable[..., _T], name: str, *args: Any, **kwargs: Any) -> _T:
    """Run a validator and re-raise its error under the plan field's full name."""
    try:
        return fn(*args, **kwargs)
    except InputError as e:
        raise PlanFileError(name, e.problem) from e


def _model(t: dict[str, Any], base: Path) -> tuple[Architecture | None, int | None]:
    """(architecture, params) of a ``[model]`` table; a config path is relative to ``base``."""
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


def plan_from_dict(doc: dict[str, Any], base: Path | str = ".", name: str = "plan") -> Plan:
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
        InputError: ``base`` is not a folder path.
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


def _dimensions(arch: Architecture) -> dict[str, Any]:
    """The constructor arguments of ``arch`` that differ from their defaults (a ``[model.dimensions]`` table)."""
    params = inspect.signature(Architecture).parameters
    out = {}
    for k, v in arch.inputs().items():
        default = params[k].default if k in params else inspect.Parameter.empty
        if v is not None and (default is inspect.Parameter.empty or v != default):
            out[k] = list(v) if isinstance(v, tuple) else v
    return out


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as a plan document: :func:`plan_from_dict` of the result builds an equal :class:`Plan`.

    A catalog model is written by name (``[model] catalog = ...``), any other architecture as a
    ``[model.dimensions]`` table, a bare N as ``params``. Defaults are left out.

    Args:
        plan: the :class:`~planner.verdict.schema.Plan`.

    Returns:
        The plan document (a dict of TOML-ready values).

    Raises:
        InputError: ``plan`` is not a :class:`~planner.verdict.schema.Plan`.
    """
    if not isinstance(plan, Plan):
        raise InputError("plan", "a planner.Plan", type(plan).__name__)
    doc: dict[str, Any] = {"name": plan.name}
    if plan.description:
        doc["description"] = plan.description
    model: dict[str, Any]
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
    training: dict[str, Any] = {"steps": b.steps}
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
    hardware: dict[str, Any] = {"accelerator": plan.accelerator, "count": plan.count}
    hardware.update({k: v for k, v in (("mfu", plan.mfu), ("achieved_tflops", plan.achieved_tflops)) if v is not None})
    if plan.price_per_gpu_hour is not None:
        hardware["price_per_gpu_hour"] = plan.price_per_gpu_hour
    if plan.causal_attention_halving:
        hardware["causal_attention_halving"] = True
    if plan.mfu_convention != DEFAULT_CONVENTION:
        hardware["mfu_convention"] = plan.mfu_convention
    if plan.goodput != DEFAULT_GOODPUT:
        hardware["goodput"] = plan.goodput
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


def save_plan(plan: Plan, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``plan`` as a plan TOML file that :func:`load_plan` reads back to an equal plan.

    Args:
        plan: the plan.
        path: where to write (``.toml``).
        overwrite: replace an existing file (default: refuse).

    Returns:
        The path written.

    Raises:
        PlanFileError: the path is not a usable path (wrong type, empty, a NUL byte), the file exists and
            ``overwrite`` is false, or it cannot be written.
        InputError: ``plan`` is not a :class:`~planner.verdict.schema.Plan`, or ``overwrite`` not a bool.

    Examples:
        >>> import os, tempfile
        >>> plan = load_plan("data/plans/origin-case.toml")
        >>> path = save_plan(plan, os.path.join(tempfile.mkdtemp(), "origin.toml"))
        >>> load_plan(path) == plan
        True
        >>> save_plan(plan, path)
        Traceback (most recent call last):
        ...
        planner.errors.PlanFileError: plan: ... exists; pass overwrite=True to replace it
    """
    doc = plan_to_dict(plan)
    return write_text(path, tomli_w.dumps(doc), "plan", error=PlanFileError,
                      overwrite=validate.flag("overwrite", overwrite))


def find_plan(path: str | os.PathLike[str]) -> Path:
    """Resolve a plan path: as given (relative to the working directory), else relative to the project root.

    Notebooks run with ``notebooks/`` as their working directory; this lets them, papermill and
    the command line all accept ``data/plans/origin-case.toml``.

    Args:
        path: the plan file's path (``str`` or ``os.PathLike``).

    Returns:
        The path found, or ``path`` itself when no candidate exists (the reader then says it is missing).

    Raises:
        PlanFileError: not a usable path (wrong type, empty, a NUL byte).
    """
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


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Read and validate a plan TOML file.

    Args:
        path: the plan file (relative paths are resolved by :func:`find_plan`).

    Returns:
        The validated :class:`~planner.verdict.schema.Plan`; its name defaults to the file's stem.

    Raises:
        PlanFileError: the file cannot be read (missing, not a regular file, too large), is not valid TOML,
            or a field is invalid (the error names it, e.g. ``plan.training.steps``).

    Examples:
        The origin case: Qwen2.5-0.5B, 2,700 steps of 4 × 2,048 = 8,192 tokens.

        >>> plan = load_plan("data/plans/origin-case.toml")
        >>> plan.model.name, plan.budget.steps, plan.budget.tokens
        ('qwen2.5-0.5b', 2700, 22118400)
    """
    p = find_plan(path)
    text = read_text(p, "plan", error=PlanFileError)  # regular files only, size capped: never /dev/zero
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PlanFileError("plan", f"not valid TOML ({e}): {p}") from None
    except (ValueError, RecursionError) as e:  # a 5,000-digit number, nesting thousands deep
        raise PlanFileError("plan", f"not a usable TOML document ({type(e).__name__}: {str(e)[:80]}): {p}") from None
    return plan_from_dict(doc, base=p.parent, name=p.stem)
