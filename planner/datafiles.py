"""Where the shipped data lives, and its small CSV tables (corpora, accelerators, real models), read without pandas.

The repository's top-level ``data/`` is the single source. The rule, in one place (``_data_dir``):

* the package carries ``_data`` (``importlib.resources.files("planner") / "_data"``): it is an installed wheel,
  whose build copied ``data/`` and the two notebooks the package opens there (``pyproject.toml``'s
  ``[tool.hatch.build.targets.wheel.sources]``); read that copy;
* otherwise the package is a source checkout's own ``planner/`` (run in place, or installed editable, which
  imports it from the checkout): read the ``data/`` beside it.

A checkout never has ``planner/_data`` (only a wheel build makes it), so the two cases cannot be confused.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files
from pathlib import Path

from .errors import UnknownModelError

_PACKAGE = Path(str(files(__package__ or "planner")))


def _data_dir(package: Path = _PACKAGE) -> Path:
    """The data directory for the package at ``package``.

    Args:
        package: The ``planner`` package directory.

    Returns:
        ``package/_data`` in a wheel install, else the checkout's ``data/`` beside the package.
    """
    packaged = package / "_data"
    return packaged if packaged.is_dir() else package.parent / "data"


DATA_DIR = _data_dir()
#: The notebooks the package opens itself (the review, the workbook): the checkout's ``notebooks/`` in a
#: source checkout, their packaged copies (``_data/notebooks``) in a wheel.
NOTEBOOKS_DIR = DATA_DIR / "notebooks" if DATA_DIR == _PACKAGE / "_data" else _PACKAGE.parent / "notebooks"
#: The review notebook (``planner review``).
REVIEW_NOTEBOOK = NOTEBOOKS_DIR / "review.ipynb"


@cache
def read_csv(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``data/<name>`` as dicts (strings), cached.

    Args:
        name: The CSV file's name inside the data directory, e.g. ``"corpora.csv"``.

    Returns:
        One dict per row, keyed by the header, values as strings.

    Raises:
        FileNotFoundError: If the table does not exist.
    """
    with open(DATA_DIR / name, newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def lookup(name: str, table: str, key_columns: tuple[str, ...], field: str) -> dict[str, str]:
    """The row of ``table`` whose any ``key_columns`` equals ``name`` (case-insensitive).

    Args:
        name: The name looked up.
        table: The CSV file's name inside the data directory.
        key_columns: The columns that may hold the name; the first one names the rows in the error.
        field: The input field named in the error.

    Returns:
        The matching row.

    Raises:
        UnknownModelError: If no row matches; the message lists the known names.
    """
    rows = read_csv(table)
    wanted = str(name).strip().lower()
    for row in rows:
        if any(row[c].strip().lower() == wanted for c in key_columns):
            return row
    known = ", ".join(row[key_columns[0]] for row in rows)
    raise UnknownModelError(field, f"{name!r} is not in data/{table}; known: {known}")
