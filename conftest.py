"""Test-suite plumbing for the whole repository (``tests/`` and the nbval notebooks in ``notebooks/``).

The suite runs in random order (pytest-randomly, in the ``test`` extra), but a notebook's cells are one story
told in order: nbval executes them in one kernel, each cell using what the cells above it defined.

nbval is loaded only when notebooks can be collected. Importing it (nbformat, jupyter_client) costs about two
seconds, which ``pytest tests/test_x.py`` need not pay, so ``pyproject.toml`` turns its automatic loading off
(``-p no:nbval``) and this file loads it, in strict mode (``--nbval --nbval-current-env --nbval-sanitize-with
tests/nbval_sanitize.cfg``), when the command line names no path (``testpaths``: tests and notebooks), a notebook,
a directory holding ``notebooks/`` or inside it, or an nbval option.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
NOTEBOOKS = ROOT / "notebooks"


def _collects_notebooks(args: list[str], cwd: Path) -> bool:
    """Whether a command line with these arguments can collect a notebook (see the module docstring)."""
    if any(a.startswith(("--nbval", "--current-env", "--sanitize-with")) for a in args):
        return True
    paths = [(cwd / a.split("::")[0]).resolve() for a in args if not a.startswith("-")]
    return not paths or any(p.suffix == ".ipynb" or p == NOTEBOOKS or p in NOTEBOOKS.parents or NOTEBOOKS in p.parents
                            for p in paths)


def pytest_addoption(parser, pluginmanager):
    """Load nbval when notebooks can be collected: its options join the parser before the command line is read."""
    config = pluginmanager.get_plugin("pytestconfig")
    paths = [str(a) for a in config.known_args_namespace.file_or_dir or []]
    options = [str(a) for a in config.invocation_params.args if str(a).startswith("--")]
    if not pluginmanager.has_plugin("nbval") and _collects_notebooks(paths + options, config.invocation_params.dir):
        pluginmanager.import_plugin("nbval.plugin")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Strict nbval when this file loaded it: every stored output compared, volatile text masked."""
    if config.pluginmanager.has_plugin("nbval.plugin"):
        config.option.nbval = True
        config.option.nbval_current_env = True
        if config.option.nbval_sanitize_with is None:
            config.option.nbval_sanitize_with = str(ROOT / "tests" / "nbval_sanitize.cfg")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(items):
    """Run the cells of each notebook (nbval) together and in notebook order after any shuffling, and likewise the
    tests of a module that sets ``KEEP_ORDER = True`` (one live browser page driven as a scenario); every other test
    keeps the random order pytest-randomly gave it."""
    def ordered(item):
        return item.path.suffix == ".ipynb" or getattr(getattr(item, "module", None), "KEEP_ORDER", False)

    def position(item):
        return getattr(item, "cell_num", None) if item.path.suffix == ".ipynb" else item.reportinfo()[1]

    result = yield  # pytest-randomly (a wrapper too) shuffles inside this one
    blocks: dict = {}
    for item in items:
        if ordered(item):
            blocks.setdefault(item.path, []).append(item)
    out, placed = [], set()
    for item in items:  # each ordered file runs as one block, where its first item landed
        if not ordered(item):
            out.append(item)
        elif item.path not in placed:
            placed.add(item.path)
            out.extend(sorted(blocks[item.path], key=position))
    items[:] = out
    for notebook in {item.parent for item in items if item.path.suffix == ".ipynb"}:
        # Compare what a cell prints and its values' text (a DataFrame's numbers), not the HTML markup pandas or
        # matplotlib wrap around them, which changes with their versions; images are not compared either.
        notebook.skip_compare = (*notebook.skip_compare, "text/html")
    return result
