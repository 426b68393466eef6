"""The top-level API: small, documented, fast to import, and saying what the command line says."""

from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys

import pytest

import planner
from planner.cli import main

VERBS = ("count_params", "architecture", "list_models", "budget", "assess", "check", "load_plan", "save_plan",
         "assess_plan", "sweep", "memory_estimate", "memory_sweep", "compute_optimal", "fit_runs", "advise",
         "read_launch_config", "throughput", "plan_layouts")


def test_the_top_level_is_verbs_value_types_and_errors():
    names = set(planner.__all__)
    assert set(VERBS) <= names
    functions = {n for n in names if inspect.isfunction(getattr(planner, n))}
    assert functions == set(VERBS)  # no helper function beside the verbs
    errors = {n for n in names
              if inspect.isclass(getattr(planner, n)) and issubclass(getattr(planner, n), Warning | Exception)}
    assert all(issubclass(getattr(planner, n), (planner.PlannerError, planner.PlannerWarning)) for n in errors)
    assert len(names) <= 45
    assert sorted(dir(planner)) == sorted(names)


@pytest.mark.parametrize("name", VERBS)
def test_every_verb_documents_its_arguments_returns_and_errors(name):
    doc = inspect.getdoc(getattr(planner, name)) or ""
    takes_arguments = bool(inspect.signature(getattr(planner, name)).parameters)
    sections = ("Args:", "Returns:", "Raises:") if takes_arguments else ("Returns:",)
    for section in sections:
        assert section in doc, f"planner.{name}: no {section} section"


def test_importing_planner_loads_numpy_only():
    code = ("import sys, planner; heavy = [m for m in ('pandas', 'matplotlib', 'scipy', 'ipywidgets', 'yaml', 'torch') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lazy_verbs_resolve_and_unknown_names_raise():
    assert planner.fit_runs.__name__ == "fit_ladder" and callable(planner.advise)
    with pytest.raises(AttributeError, match="no attribute 'count'"):
        planner.count  # noqa: B018 - the old name is gone


def test_compute_optimal_is_the_recommendation_the_command_line_prints(capsys):
    # Epoch's fit puts its own optimum at 18.1 tokens per parameter at 1e24 FLOPs; every surface recommends the
    # same FLOPs split on the gate's 20× line: N = ⌊sqrt(C / (6·20))⌋ whole parameters, D = 20·N.
    o = planner.compute_optimal(1e24)
    assert o.params == math.floor((1e24 / 120) ** 0.5) == 91_287_092_917 and o.tokens == 20 * o.params
    assert round(o.law_tokens_per_param, 1) == 18.1
    assert main(["optimal", "--flops", "1e24", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["params"] == pytest.approx(o.params, rel=1e-12) and cli["tokens_per_param"] == pytest.approx(20.0)
    assert planner.compute_optimal(1e24, line=None).tokens_per_param == pytest.approx(o.law_tokens_per_param)
