"""``planner review PLAN -o report.html``: the review notebook, executed for one plan, as HTML without code.

The same as ``PLANNER_PLAN=PLAN jupyter nbconvert --execute --no-input --to html notebooks/review.ipynb``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..datafiles import REVIEW_NOTEBOOK
from ..verdict.plan import find_plan, load_plan



def render_review(plan_path, output="report.html", timeout: int = 300) -> Path:
    """Execute the review notebook on ``plan_path`` and write a code-free HTML report to ``output``."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    plan = find_plan(plan_path).resolve()
    load_plan(plan)  # a bad plan fails here, with the field named, not inside a kernel
    nb = nbformat.read(REVIEW_NOTEBOOK, as_version=4)
    saved = os.environ.get("PLANNER_PLAN")
    os.environ["PLANNER_PLAN"] = str(plan)  # the kernel inherits it; the parameters cell reads it
    try:
        ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
            nb, {"metadata": {"path": str(REVIEW_NOTEBOOK.parent)}})
    finally:
        if saved is None:
            os.environ.pop("PLANNER_PLAN", None)
        else:
            os.environ["PLANNER_PLAN"] = saved
    body, _ = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    out = Path(output)
    out.write_text(body, encoding="utf-8")
    return out
