"""A normal (non-editable) install works from any directory: the wheel carries the data and the review notebook.

One wheel is built per test module from a copy of the working tree (``pip wheel --no-deps
--no-build-isolation`` with the ``test`` extra's hatchling, so nothing is downloaded and the tree is not written to)
and installed into a scratch venv. The venv sees the system's site-packages for the dependencies (numpy, pandas,
...), but the ``planner`` it imports must be the wheel's: the test checks ``planner.__file__`` and runs every
command from an unrelated directory without ``PYTHONPATH``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

DATA = ROOT / "data"
PLANS = sorted((DATA / "plans").glob("*.toml"))
IGNORE = shutil.ignore_patterns(".git", "build", "dist", "test-artifacts", "__pycache__", "*.egg-info", ".hypothesis",
                                "node_modules", "*.whl", ".ipynb_checkpoints", "planner-workbook", ".venv*", "venv*")


def _run(args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built once from a copy of the working tree."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)
    p = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
              "-w", str(work / "out"), str(src)], cwd=work)
    assert p.returncode == 0, p.stderr[-1500:]
    (whl,) = (work / "out").glob("planner-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A scratch venv (system site-packages visible for the dependencies) with the wheel installed; its bin/."""
    d = tmp_path_factory.mktemp("venv") / "venv"
    p = _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(d)])
    assert p.returncode == 0, p.stderr
    # --force-reinstall: the editable install of this checkout is visible through the system site-packages
    p = _run([sys.executable, "-m", "pip", "--python", str(d / "bin" / "python"), "install", "-q", "--no-deps",
              "--no-index", "--force-reinstall", str(wheel)])
    assert p.returncode == 0, p.stderr[-2000:]
    return d / "bin"


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("elsewhere")


def run_installed(venv, elsewhere, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PLANNER_PLAN")}
    env["PYTHONWARNINGS"] = "ignore"
    return _run([str(venv / "planner"), *map(str, args)], cwd=elsewhere, env=env)


def test_the_wheel_carries_every_data_file_and_the_review_notebook(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"planner/_data/{p.relative_to(DATA).as_posix()}" for p in DATA.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    missing = sorted(expected - names)
    assert not missing, f"data files not in the wheel: {missing[:10]}"
    assert "planner/_data/notebooks/review.ipynb" in names
    assert "planner/_data/notebooks/what_if.ipynb" in names  # `planner workbook` copies it


def test_the_workbook_command_finds_its_notebook(venv, elsewhere):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    p = _run([str(venv / "python"), "-c", "from planner.cli import jupyter as w; "
              "print(w.WORKBOOK.is_file()); print(w.WORKBOOK)"], cwd=elsewhere, env=env)
    assert p.returncode == 0, p.stderr
    found, path = p.stdout.splitlines()
    assert found == "True" and path.startswith(str(venv.parent)), p.stdout


def test_the_installed_package_is_the_wheel_not_the_checkout(venv, elsewhere):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    p = _run([str(venv / "python"), "-c", "import planner, planner.datafiles as d; "
              "print(planner.__file__); print(d.DATA_DIR); print(d.REVIEW_NOTEBOOK); "
              "print(d.REVIEW_NOTEBOOK.is_file())"],
             cwd=elsewhere, env=env)
    assert p.returncode == 0, p.stderr
    module, data_dir, notebook, found = p.stdout.splitlines()
    site = str(venv.parent)
    assert module.startswith(site) and data_dir.startswith(site) and notebook.startswith(site), p.stdout
    assert found == "True"


def test_planner_models_lists_the_catalog(venv, elsewhere):
    p = run_installed(venv, elsewhere, "models")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == sorted(f.stem for f in (DATA / "models").glob("*.json"))


def test_planner_params_counts_a_catalog_model(venv, elsewhere):
    p = run_installed(venv, elsewhere, "params", "qwen2.5-0.5b", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["total"] == 494_032_768  # Qwen2.5-0.5B's published parameter count


@pytest.mark.parametrize("plan", PLANS, ids=[p.stem for p in PLANS])
def test_planner_report_reads_every_example_plan(plan, venv, elsewhere):
    # by the name the README uses (relative to the project, resolved against the packaged data) ...
    p = run_installed(venv, elsewhere, "report", f"data/plans/{plan.name}", "--json")
    assert p.returncode in (0, 1), p.stderr
    assert json.loads(p.stdout)["tokens"] > 0
    # ... and by the packaged file's own path
    packaged = venv.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages" \
        / "planner" / "_data" / "plans" / plan.name
    p = run_installed(venv, elsewhere, "report", packaged)
    assert p.returncode in (0, 1), p.stderr


def test_planner_check_knows_the_corpora(venv, elsewhere):
    with open(DATA / "corpora.csv", newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    # 1B parameters, 1,000 steps of 1M tokens: D = 1e9, D/N = 1 -> severe, exit 1
    p = run_installed(venv, elsewhere, "check", "--corpus", row["name"], "--params", "1B", "--steps", "1000",
                      "--tokens-per-step", "1M", "--json")
    assert p.returncode == 1, p.stderr
    d = json.loads(p.stdout)
    assert d["corpus"]["unique_tokens"] == float(row["tokens"]) and d["tokens"] == 10**9


def test_bad_input_is_still_one_line(venv, elsewhere):
    p = run_installed(venv, elsewhere, "check", "--params", "7B", "--steps", "1000", "--tokens", "20B")
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1 and "Traceback" not in p.stderr


# ---- the rule planner.datafiles follows, and an editable install ------------------------------------------------

def test_the_data_directory_is_the_packaged_copy_only_when_the_package_has_one(tmp_path):
    from planner.datafiles import _data_dir
    checkout = tmp_path / "checkout"
    (checkout / "planner").mkdir(parents=True)
    (checkout / "data").mkdir()
    assert _data_dir(checkout / "planner") == checkout / "data"  # a source checkout: data/ beside the package
    (checkout / "planner" / "_data").mkdir()
    assert _data_dir(checkout / "planner") == checkout / "planner" / "_data"  # a wheel: its own copy


def test_an_editable_install_reads_the_checkouts_data_in_place(tmp_path_factory, elsewhere):
    work = tmp_path_factory.mktemp("editable")
    src, d = work / "src", work / "venv"
    shutil.copytree(ROOT, src, ignore=IGNORE)
    assert _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(d)]).returncode == 0
    p = _run([sys.executable, "-m", "pip", "--python", str(d / "bin" / "python"), "install", "-q", "--no-deps",
              "--no-index", "--no-build-isolation", "--force-reinstall", "-e", str(src)])
    assert p.returncode == 0, p.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    p = _run([str(d / "bin" / "python"), "-c", "import planner, planner.datafiles as d; "
              "print(planner.__file__); print(d.DATA_DIR); print(d.REVIEW_NOTEBOOK)"], cwd=elsewhere, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [str(src / "planner" / "__init__.py"), str(src / "data"),
                                     str(src / "notebooks" / "review.ipynb")]
    assert not (src / "planner" / "_data").exists()  # the install wrote nothing into the checkout


def test_an_editable_install_holds_no_copy_of_the_data(tmp_path):
    # hatchling builds the editable wheel from pyproject.toml: it must be the .pth alone, never a second data/ that
    # would go stale in site-packages.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)
    p = _run([sys.executable, "-c", "import sys, zipfile; from hatchling.builders.wheel import WheelBuilder; "
              "(w,) = WheelBuilder(sys.argv[1]).build(directory=sys.argv[2], versions=['editable']); "
              "print(*zipfile.ZipFile(w).namelist(), sep='\\n')", str(src), str(tmp_path / "out")])
    assert p.returncode == 0, p.stderr[-1500:]
    names = p.stdout.split()
    assert "_planner.pth" in names and not [n for n in names if n.startswith("planner/")], names
