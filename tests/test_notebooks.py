"""Notebooks are product: stored, executed, portable. (nbval itself compares their outputs.)"""

import json
import subprocess
import sys

import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_expected_notebooks_exist():
    names = {p.stem for p in NOTEBOOKS}
    assert {"what_if", "review", "model_zoo", "scaling_laws", "origin_case"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_stored_outputs_are_fresh_and_portable(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code, "a notebook without code"
    # Every code cell was executed, in order, in one run (no hidden state from out-of-order runs).
    counts = [c["execution_count"] for c in code]
    assert None not in counts, "re-execute and save: some cells have no stored output"
    assert counts == list(range(1, len(counts) + 1)), "cells were run out of order"
    text = json.dumps(nb)
    assert "/work/" not in text and "/root/" not in text and "/tmp/" not in text, "absolute path stored"
    assert "widgets" not in nb["metadata"], "widget state stored: use scripts/refresh_notebooks.py"
    for c in code:
        assert "execution" not in c.get("metadata", {}), "timestamps stored: use scripts/refresh_notebooks.py"
        assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in c.get("outputs", [])), \
            "a widget output stored (it needs the widget state): use scripts/refresh_notebooks.py"
        for out in c.get("outputs", []):
            assert out.get("name") != "stderr", f"stderr output stored: {out.get('text')}"
            assert out.get("output_type") != "error"


def test_import_planner_loads_no_plotting_or_widgets():
    code = ("import sys, planner; bad = [m for m in ('matplotlib', 'ipywidgets', 'pandas') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_review_export_has_verdict_chart_ceiling_and_no_code(tmp_path):
    from planner.surfaces.review import render_review
    out = render_review(ROOT / "data/plans/origin-case.toml", tmp_path / "report.html")
    html = out.read_text()
    assert "SEVERE — blocked: D/N 0.045" in html
    assert "<img" in html and "data:image/png;base64" in html   # the chart, embedded
    assert "2.51× at 1 epoch" in html                           # corpus ceiling: 1.24e9 / 494,032,768
    assert "assess_plan" not in html and "import planner" not in html  # no code cells


def test_review_rejects_bad_plan_before_starting_a_kernel(tmp_path):
    from planner import PlanFileError
    from planner.surfaces.review import render_review
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\ncatalog = 'gpt2'\n[training]\nsteps = -1\ntokens_per_step = 1\n")
    with pytest.raises(PlanFileError, match="plan.training.steps"):
        render_review(bad, tmp_path / "r.html")


def test_nbval_compares_the_numbers_not_the_markup(tmp_path):
    """A stored DataFrame whose HTML markup changed still passes; one whose numbers changed fails."""
    import json
    import shutil
    import subprocess
    import sys

    def run_with(edit) -> int:
        folder = tmp_path / edit.__name__
        shutil.copytree(ROOT / "notebooks", folder / "notebooks")
        path = folder / "notebooks" / "scaling_laws.ipynb"
        nb = json.loads(path.read_text())
        cell = next(c for c in nb["cells"]
                    if c["cell_type"] == "code" and "trap = pd.DataFrame" in "".join(c["source"]))
        edit(next(o for o in cell["outputs"] if "text/plain" in o.get("data", {}))["data"])
        path.write_text(json.dumps(nb))
        # the repository's conftest.py (loaded as a plugin: the copy lives outside the repository) sets the comparison
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "conftest",
                               "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(path)],
                              cwd=ROOT, capture_output=True).returncode

    def markup(data):
        data["text/html"] = [line.replace("<table", "<table class='restyled'") for line in data["text/html"]]

    def number(data):
        data["text/plain"] = [line.replace("58.9", "58.8") for line in data["text/plain"]]

    assert run_with(markup) == 0 and run_with(number) == 1
