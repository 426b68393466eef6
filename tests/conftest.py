import json
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def published():
    """Published parameter counts with their real configs (copied from the project's reference data)."""
    return json.loads((FIXTURES / "model_params.json").read_text())


# ---- isolation: the suite passes in any order (pytest-randomly shuffles it) ----------------------

def _process_state() -> dict:
    return {"cwd": os.getcwd(), **{k: v for k, v in os.environ.items() if k.startswith("PLANNER_")}}


@pytest.fixture(autouse=True)
def _no_leftovers(request):
    """Fail a test that leaves the working directory or a ``PLANNER_*`` variable changed, and restore them, so the
    next test never depends on what ran before it (use ``monkeypatch.chdir`` / ``monkeypatch.setenv``)."""
    before = _process_state()
    yield
    after = _process_state()
    if after != before:
        os.chdir(before["cwd"])
        for k in set(after) - {"cwd"}:
            os.environ.pop(k, None)
        os.environ.update({k: v for k, v in before.items() if k != "cwd"})
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        pytest.fail(f"{request.node.nodeid} left process state changed: {', '.join(changed)}", pytrace=False)

