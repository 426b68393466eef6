"""Test-suite plumbing for the whole repository (``tests/`` and the nbval notebooks in ``notebooks/``).

The suite runs in random order (pytest-randomly, in the ``test`` extra), but a notebook's cells are one story
told in order: nbval executes them in one kernel, each cell using what the cells above it defined.
"""

from __future__ import annotations

import pytest


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
    return result
