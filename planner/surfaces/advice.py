"""Renamed :mod:`planner.surfaces.advisor_view`; this re-export keeps the old import path working for
``planner/cli/plan.py``, ``notebooks/origin_case.ipynb`` and the README until they name the new module."""

from .advisor_view import COLUMNS, LABELS, advice_html, advice_rows, advice_table, advice_text, option_buttons  # noqa: F401
