"""The docs: the site builds without a warning, and every docstring example in the package runs.

The pages' own examples (```pycon``` sessions, ```python``` and ```console``` blocks) run in
tests/test_readme.py with the README's.
"""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import planner

ROOT = Path(__file__).resolve().parent.parent
#: Modules that need the optional integration packages (torch, transformers, lightning) to import.
OPTIONAL = ("planner.integrations.",)


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(planner.__path__, "planner.")
                  if not m.name.endswith("__main__") and not m.name.startswith(OPTIONAL))


@pytest.mark.parametrize("name", ["planner", *_modules()])
def test_docstring_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        if test.name.split(".")[:-1] and not test.name.startswith(name):
            continue  # an object imported from elsewhere is tested in its own module
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            runner.run(test, out=report.append)
    assert not runner.failures, "".join(report)[-3000:]


def test_the_site_builds_without_warnings(tmp_path):
    try:
        import mkdocs  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("mkdocs and mkdocstrings are missing: install the test extra", pytrace=False)
        pytest.skip("mkdocs and mkdocstrings are not installed (python -m pip install -e '.[test]')")
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "index.html").read_text().count("count_params") > 0
