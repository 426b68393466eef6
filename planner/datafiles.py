"""Where the shipped data lives, and its small CSV tables (corpora, accelerators, real models), read without pandas.

The repository's top-level ``data/`` is the single source. A source checkout (editable install) reads it
in place; a wheel carries a copy inside the package (``planner/_data``, made by ``setup.py`` at build
time). ``PLANNER_DATA`` overrides both.
"""

from __future__ import annotations

import csv
import os
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir() -> Path:
    if os.environ.get("PLANNER_DATA"):
        return Path(os.environ["PLANNER_DATA"])
    checkout = _PACKAGE.parent / "data"
    return checkout if (checkout / "models").is_dir() else _PACKAGE / "_data"


DATA_DIR = _data_dir()
#: The review notebook: ``notebooks/review.ipynb`` in a checkout, a packaged copy in a wheel.
REVIEW_NOTEBOOK = (_PACKAGE.parent / "notebooks" / "review.ipynb" if (_PACKAGE.parent / "notebooks" / "review.ipynb").is_file()
                   else DATA_DIR / "notebooks" / "review.ipynb")


@lru_cache(maxsize=None)
def read_csv(name: str) -> tuple[dict, ...]:
    """Rows of ``data/<name>`` as dicts (strings), cached."""
    with open(DATA_DIR / name, newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def lookup(name: str, table: str, key_columns: tuple[str, ...], field: str) -> dict:
    """The row of ``table`` whose any ``key_columns`` equals ``name`` (case-insensitive)."""
    from .errors import UnknownModelError
    rows = read_csv(table)
    wanted = str(name).strip().lower()
    for row in rows:
        if any(row[c].strip().lower() == wanted for c in key_columns):
            return row
    known = ", ".join(row[key_columns[0]] for row in rows)
    raise UnknownModelError(field, f"{name!r} is not in data/{table}; known: {known}")
