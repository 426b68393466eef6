"""The what-if workbook without its widgets: the controls' values, the plan they describe, judged.

:class:`WorkbookState` is plain Python (no ipywidgets): the values and their valid moves
(:class:`~planner.surfaces.workbook_values.ControlValues`), the :class:`~planner.verdict.schema.Plan` they
describe and its :class:`~planner.verdict.assessment.Assessment`, the advisor on demand, plan files in and out.
The widget shell (:mod:`planner.surfaces.widgets`) forwards each control move to :meth:`WorkbookState.set`,
then shows the values and the assessment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..datafiles import DATA_DIR
from ..errors import InputError, PlannerError
from ..format import fmt_int
from ..laws.registry import fit as load_fit
from ..model.catalog import architecture
from ..training.budget import Budget
from ..training.frameworks import framework
from ..training.memory.partition import carried_layout, model_parts
from ..training.parallelism import FSDP_ZERO, PLAN_KEYS, Parallelism, experts_tile, parallelism_from_dict
from ..verdict.advisor import Advice, advise
from ..verdict.assessment import Assessment, assess_plan
from ..verdict.planfile import load_plan, save_plan
from ..verdict.schema import Plan
from .workbook_values import CUSTOM, CUSTOM_CORPUS, NO_CORPUS, ControlValues
from .workbook_words import in_control_words, user_path

ORIGIN_PLAN = DATA_DIR / "plans" / "origin-case.toml"
#: Plan fields the workbook's controls set; the others are kept from the opened plan file.
CONTROLLED = {"budget", "model", "params", "name", "description", "corpus_name", "unique_tokens", "accelerator",
              "count", "mfu", "price_per_gpu_hour", "fit", "parallelism", "inference_tokens"}
#: Layout settings the workbook's controls set; the others (sp, ep, flash attention, optimizer, ...) are kept
#: from the opened plan's [parallelism] table.
LAYOUT_CONTROLLED = {"tp", "pp", "zero", "fsdp", "recompute", "precision", "framework"}


class WorkbookState(ControlValues):
    """The workbook's controls as values: what they may be, how they move together, the plan they describe.

    ``WorkbookState()`` holds the origin-case plan (``data/plans/origin-case.toml``); ``plan=`` another plan
    file, ``model=`` a catalog model with that plan's budget; ``fits=`` saved fitted laws to offer.
    Change it with :meth:`set`; judge it with :meth:`assess`.

    Args:
        plan: a plan file to open.
        model: a catalog model (or ``"custom"``) to put in it.
        fits: paths of saved fitted laws (``planner fit --save NAME.toml``).

    Raises:
        InputError: a plan without an architecture, an unknown model, a file that is not a saved fit.
        PlanFileError: a plan file that cannot be read.

    Attributes:
        values, fields, base, base_name: see :class:`~planner.surfaces.workbook_values.ControlValues`.
        assessment, error: the last :meth:`assess` (an assessment, or the message of why there is none).
        advice: the last :meth:`advise` answer (``None`` until asked, and after every :meth:`assess`).
    """

    def __init__(self, plan: str | os.PathLike[str] = ORIGIN_PLAN, *, model: str | None = None,
                 fits: Iterable[str | os.PathLike[str]] = ()) -> None:
        super().__init__()
        # Any: a plan's own fields and [parallelism] settings, each of its own type, handed back as they were read
        self.extras: dict[str, Any] = {}       # plan settings without a control (thresholds, param kind, ...)
        self.layout_kept: dict[str, Any] = {}  # [parallelism] settings without a control (sp, ep, optimizer, ...)
        self.plan_name, self.plan_description = "What-if plan", ""
        self.assessment: Assessment | None = None
        self.error: str | None = None
        self.advice: Advice | None = None
        for path in fits:
            self.add_fit(path, select=False)
        self.open_plan(plan)
        if model is not None:
            self.load_model(model)

    def plan(self) -> Plan:
        """The plan the controls describe (settings without a control kept from the opened plan).

        Returns:
            A :class:`~planner.verdict.schema.Plan`.

        Raises:
            PlannerError: the values make no valid plan (the message names the field).
        """
        v = self.values
        corpus = v["corpus"]
        unique = v["unique"] if corpus == CUSTOM_CORPUS else None   # a named corpus's size comes with its name
        prior = v["prior"] if v["continued"] else 0
        budget = Budget.from_batch(v["steps"], v["micro_batch"], v["seq_len"], v["grad_accum"], v["data_parallel"],
                                   prior)
        return Plan(budget=budget, model=self.architecture(), name=self.plan_name, description=self.plan_description,
                    corpus_name=None if corpus in (NO_CORPUS, CUSTOM_CORPUS) else corpus, unique_tokens=unique,
                    accelerator=v["accelerator"], count=v["gpus"], mfu=v["mfu"], price_per_gpu_hour=v["price"],
                    fit=v["fit"], parallelism=self.layout(), inference_tokens=v["inference"], **self.extras)

    def layout(self) -> Parallelism | None:
        """The :class:`~planner.training.parallelism.Parallelism` the layout controls describe (None when off).

        The micro-batch, sequence length, data parallel and GPUs come from the training and hardware
        controls; settings without a control are kept from the opened plan (TP overlap while TP > 1 and virtual
        stages while PP > 1, each where the framework runs it; expert parallelism while the model has experts it
        divides and EP × ETP tile the layer's ranks). A ZeRO stage that equals the plan's FSDP strategy
        keeps it (``fsdp = "full"`` is ZeRO 3).

        Returns:
            A :class:`~planner.training.parallelism.Parallelism`, or ``None`` with the layout off.

        Raises:
            InputError: a layout the model or the GPUs refuse (the message names the field).
        """
        v = self.values
        if not v["layout"]:
            return None
        table = {**self.layout_kept, "tp": v["tp"], "pp": v["pp"], "recompute": v["recompute"],
                 "precision": v["precision"], "framework": v["framework"]}
        fsdp = self.layout_kept.get("fsdp")
        if fsdp is not None and FSDP_ZERO[fsdp] == v["zero"]:
            table["fsdp"], table["zero"] = fsdp, 0
        else:
            table["fsdp"], table["zero"] = None, v["zero"]
        table = {k: x for k, x in table.items() if x is not None}
        # TP overlap kept from an opened layout applies while there is TP to overlap, in a stack that overlaps it
        if table.get("tp_overlap") and (v["tp"] == 1 or not framework(v["framework"]).overlaps_tp(
                bool(table.get("compile")))):
            del table["tp_overlap"]
        # so do virtual stages while there is a pipeline, in a stack that interleaves
        if table.get("vpp", 1) > 1 and (v["pp"] == 1 or not framework(v["framework"]).interleaved):
            del table["vpp"]
        # and expert parallelism while EP × ETP tile the layer's ranks (parallelism.experts_tile), on a model with
        # experts it divides (carried_layout)
        if table.get("ep", 1) > 1 and not experts_tile(v["tp"], v["data_parallel"], table.get("cp", 1), table["ep"],
                                                       table.get("etp")):
            table.pop("ep")
            table.pop("etp", None)
        layout = parallelism_from_dict(
            table, "parallelism", micro_batch=v["micro_batch"], seq_len=v["seq_len"], dp=v["data_parallel"],
            gpus=v["gpus"], field_names={"micro_batch": "micro_batch", "seq_len": "seq_len", "dp": "data_parallel",
                                         "gpus": "hardware.count"})
        return carried_layout(model_parts(self.architecture()), layout)

    def assess(self) -> Assessment | None:
        """Judge the plan the controls describe; keep the answer in :attr:`assessment` or :attr:`error`.

        Returns:
            The :class:`~planner.verdict.assessment.Assessment`, or ``None`` when the values make no valid plan
                (:attr:`error` then says why, in the controls' words).
        """
        self.advice = None
        try:
            self._note_dense(self.architecture())
            a = assess_plan(self.plan())
        except PlannerError as e:
            self.error, self.assessment = in_control_words(str(e)), None
            return None
        self.error, self.assessment = None, a
        return a

    def advise(self) -> Advice | None:
        """Run the advisor (:func:`~planner.verdict.advisor.advise`) on the plan; keep it in :attr:`advice`.

        Returns:
            The :class:`~planner.verdict.advisor.Advice`, or ``None`` for a compute-optimal plan (nothing to fix).

        Raises:
            InputError: the values cannot be assessed.
        """
        if self.assessment is None:
            raise InputError("plan", "", detail="these settings cannot be assessed; fix them first")
        v = self.assessment.verdict
        self.advice = None if v.level == "compute-optimal" and not v.blocked else advise(self.plan())
        return self.advice

    # -- plan files and fits --------------------------------------------------------------------------
    def open_plan(self, path: str | os.PathLike[str]) -> Plan:
        """Load a plan TOML (a catalog model becomes the base model).

        Args:
            path: as typed: from the launch folder (:func:`user_path`), else as given or from the project's data/.

        Returns:
            The plan loaded.

        Raises:
            InputError: no path, or a plan that gives N directly.
            PlanFileError: the file cannot be read or is not a valid plan.
        """
        if not str(path).strip():
            raise InputError("plan file", "a path to a plan TOML file", detail="type a path to a .toml plan")
        where = user_path(path)
        return self.show_plan(load_plan(where if where.is_file() else path), source=str(path))

    def show_plan(self, plan: Plan, *, source: str = "the plan") -> Plan:
        """Put a :class:`Plan` into the controls (what *open plan* and the advisor's options do).

        Args:
            plan: the plan.
            source: how a refusal names it.

        Returns:
            ``plan``.

        Raises:
            InputError: the plan gives N directly (the controls need an architecture).
        """
        if plan.model is None:
            assert plan.params is not None   # a plan without an architecture gives N
            raise InputError("plan file", "", detail=f"{source} gives N directly (params = "
                             f"{fmt_int(plan.params)}); the workbook needs an architecture: a [model] catalog, "
                             "config or dimensions")
        b = plan.budget
        name = plan.model.name.removesuffix(" (modified)")  # what save() writes for a variant
        if name not in self.model_options or name == CUSTOM or architecture(name).family != plan.model.family:
            self._show_architecture(plan.model, plan.model.name, plan.model)
            self.base_name = "dimensions from the plan"
        else:
            self._show_architecture(architecture(name), name, plan.model)
        batch: dict[str, int | None]
        if b.seq_len is None:   # tokens per step only: one sequence of that many tokens
            batch = {"micro_batch": 1, "grad_accum": 1, "data_parallel": 1, "seq_len": b.tokens_per_step}
        else:
            batch = {"micro_batch": b.micro_batch, "grad_accum": b.grad_accum, "data_parallel": b.data_parallel,
                     "seq_len": b.seq_len}
        for key, value in {"steps": b.steps, **batch, "continued": b.prior_tokens > 0, "prior": b.prior_tokens,
                           "gpus": plan.count, "mfu": plan.mfu, "price": plan.price_per_gpu_hour}.items():
            self._put(key, value)
        if plan.corpus_name is not None and plan.corpus_name in self.corpus_options:
            self._put("corpus", plan.corpus_name)
            self._named_corpus_size()
        elif plan.unique_tokens is not None:
            self._put("corpus", CUSTOM_CORPUS)
            self._put("unique", int(plan.unique_tokens))
        else:
            self._put("corpus", NO_CORPUS)
        if plan.accelerator in self.accelerator_names:
            self._put("accelerator", plan.accelerator)
        if plan.fit not in self.fit_options:   # a law fitted to the user's runs
            self.fit_options.append(plan.fit)
        self._put("fit", plan.fit)
        self._put("inference", plan.inference_tokens)
        self._show_layout(plan.parallelism)
        self.plan_name, self.plan_description = plan.name, plan.description
        # Everything the plan says that no control sets (thresholds, param kind, ...) is kept as it is, so saving
        # gives the same plan back.
        self.extras = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan) if f.name not in CONTROLLED}
        return plan

    def _show_layout(self, layout: Parallelism | None) -> None:
        """Set the layout controls to a plan's :class:`Parallelism` (or turn the layout off for None)."""
        self.values["layout"] = layout is not None
        self.context_parallel = 1 if layout is None else layout.cp
        if layout is None:
            self.layout_kept = {}
            return
        d = layout.to_dict()
        self.layout_kept = {k: d[k] for k in PLAN_KEYS if k not in LAYOUT_CONTROLLED or k == "fsdp"}
        self._layout_bounds()
        for name, value in (("tp", layout.tp), ("pp", layout.pp)):
            # the plan's own value, even when the model refuses it (the readout says so)
            self._put_choice(name, sorted(set(self.fields[name].options or ()) | {value}), value)
        settings: tuple[tuple[str, object], ...] = (("zero", layout.zero_stage), ("recompute", layout.recompute),
                                                    ("precision", layout.precision), ("framework", layout.framework),
                                                    ("gpus", layout.num_gpus))
        for key, setting in settings:
            self._put(key, setting)

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the current plan as a TOML plan file (``planner report PATH`` reads it back).

        Args:
            path: as typed, ending in ``.toml`` (:func:`user_path`).
            overwrite: replace an existing file.

        Returns:
            The path written.

        Raises:
            InputError: no path, not ``.toml``, an existing file without ``overwrite``, or values that cannot
                be assessed.
            PlanFileError: the file cannot be written.
        """
        if not str(path).strip():
            raise InputError("plan file", "", detail="type a path ending in .toml to save to")
        p = user_path(path)
        if p.suffix != ".toml":
            raise InputError("plan file", "", detail=f"{path} must end in .toml")
        if p.exists() and not overwrite:
            raise InputError("plan file", "", detail=f"{path} exists: tick overwrite to replace it")
        if self.assessment is None:
            raise InputError("plan file", "", detail="these settings cannot be assessed; fix them before saving")
        moved = self.departures()
        description = (f"Saved from the what-if workbook; base model {self.base_name}"
                       + (f", modified: {', '.join(moved)}." if moved else "."))
        return save_plan(self.plan().with_(name=p.stem, description=description), p, overwrite=overwrite)

    def add_fit(self, path: str | os.PathLike[str], *, select: bool = True) -> str:
        """Offer a saved fitted law (``planner fit --save NAME.toml``) among the fits; select it by default.

        Args:
            path: the saved fit, as typed (:func:`user_path`).
            select: make it the plan's fit.

        Returns:
            The fit's name as the plan stores it.

        Raises:
            InputError: (field ``fit``) no path, or not a readable saved fit.
        """
        typed = str(path).strip()
        if not typed:
            raise InputError("fit", "a saved fit (.toml)", detail="type the path of a saved fit (.toml)")
        name = str(user_path(typed)) if user_path(typed).is_file() else typed
        load_fit(name)  # refuses a missing or malformed file, naming it
        if name not in self.fit_options:
            self.fit_options.append(name)
        if select:
            self.values["fit"] = name
        return name
