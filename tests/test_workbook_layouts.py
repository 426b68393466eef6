"""The workbook's layout search: the same options as `planner layout`, and a button that puts one into the controls."""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.surfaces.widgets import Workbook
from planner.verdict.layouts import plan_layouts

ROOT = Path(__file__).resolve().parents[1]


def test_the_workbook_shows_the_clis_layouts_and_loads_one():
    wb = Workbook()
    wb.open_plan(ROOT / "data" / "plans" / "llama-3-8b.toml")
    report = wb.fastest_layouts()
    want = plan_layouts(planner.load_plan(ROOT / "data" / "plans" / "llama-3-8b.toml"), top=3)
    assert [o.layout for o in report.options] == [o.layout for o in want.options]
    assert "planner-layouts" in wb.layouts_out.value and len(wb.layout_buttons.children) == 3
    wb.layout_buttons.children[1].click()
    chosen = report.options[1].layout
    plan = wb.plan()
    assert plan.parallelism.tp == chosen.tp and plan.parallelism.cp == chosen.cp and plan.count == chosen.num_gpus
    assert plan.budget.tokens_per_step == 16_777_216          # the global batch kept
    assert wb.assessment.predicted.step_seconds == pytest.approx(report.options[1].step_seconds)
    assert wb.assessment.memory.fits is True
