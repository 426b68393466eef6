"""Moved to :mod:`planner.cli.jupyter` (starting servers is the ``planner workbook`` command's job, not rendering).

This re-export keeps ``tests/test_packaging.py``'s import working until it names the new module; delete this
file then (surfaces must not import cli).
"""

from ..cli.jupyter import (CULL_IDLE_SECONDS, CULL_INTERVAL_SECONDS, DEFAULT_DIR, WORKBOOK,  # noqa: F401
                           command, culling_options, working_copy)
