"""First contact with the workbook: what `planner workbook` opens, what a cold notebook says, what the app needs."""

import json
import subprocess
import sys
import tomllib

from conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "what_if.ipynb"


def test_jupyterlab_opens_the_notebook_itself_not_the_launcher(tmp_path):
    from planner.cli.jupyter import command
    cmd = command(folder=tmp_path / "wb", browser=False, create=False)
    # the browser and the URLs the server prints both lead to the working copy's notebook
    assert "--LabApp.default_url=/lab/tree/what_if.ipynb" in cmd
    assert not (tmp_path / "wb").exists()                           # naming the copy makes nothing


def test_a_cold_notebook_says_how_to_start_and_the_app_hides_it():
    nb = json.loads(NOTEBOOK.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    shown = "".join(o["data"]["text/html"][0] for o in cell["outputs"] if "text/html" in o.get("data", {}))
    assert "planner-start" in shown and "Run All Cells" in shown     # what JupyterLab shows before the cell runs
    assert "widgets" not in nb["metadata"]                          # no stored widget state
    assert nb["metadata"]["title"].startswith("Is this run worth launching?")   # the app's page title
    from planner.surfaces.workbook_layout import CSS
    assert "body:has(.planner-app) .planner-start {display: none;}" in CSS    # once the app shows, it goes


def test_the_app_extra_is_voila_and_the_workbook_needs_no_torch():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert [r.split(">")[0] for r in extras["app"]] == ["voila"]
    code = ("import sys; from planner.surfaces.widgets import Workbook; Workbook(background_chart=False); "
            "heavy = [m for m in ('torch', 'transformers', 'lightning', 'accelerate') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
