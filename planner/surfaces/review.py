"""``planner review PLAN -o report.html``: the review notebook, executed for one plan, as HTML without code.

The same as ``PLANNER_PLAN=PLAN jupyter nbconvert --execute --no-input --to html notebooks/review.ipynb``,
with three differences that make the file presentable: it works offline (no require.js, MathJax or
Mermaid from a CDN: the review has no widgets, equations or diagrams), its title names the plan,
and the kernel talks over a local socket (no warning about unencrypted TCP).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
import tempfile
from pathlib import Path

from .. import files
from ..datafiles import DATA_DIR, REVIEW_NOTEBOOK
from ..errors import InputError
from ..format import fmt_ratio
from ..verdict.assessment import Assessment, assess_plan
from ..verdict.planfile import find_plan, load_plan
from .plots import PlanChart
from .report import verdict_html

# The lab template without anything fetched from the network.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def shown_plan_path(path: str | os.PathLike[str]) -> str:
    """A plan path as a review shows it: relative to the project when inside it, else absolute.

    Args:
        path: the plan file.

    Returns:
        The path as text.
    """
    p = Path(path).resolve()
    try:
        return str(p.relative_to(DATA_DIR.parent.resolve()))
    except ValueError:
        return str(p)


def planner_version() -> str:
    """The planner version a review names.

    Returns:
        The installed package's version (``unknown`` for a tree never installed).
    """
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("planner")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "unknown"


def review_title(a: Assessment) -> str:
    """``Plan review: <plan name>`` (the HTML title and the page's heading).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        The title.
    """
    return f"Plan review: {a.plan.name}"


def header_html(a: Assessment, plan_path: str | os.PathLike[str], today: dt.date | None = None) -> str:
    """The review's heading: the plan's name, its file, the planner version, the date, the verdict.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.
        plan_path: the plan file.
        today: the date shown (default: today).

    Returns:
        HTML.
    """
    today = today or dt.date.today()
    return (f"<div style='font-family:sans-serif'>"
            f"<h1 style='margin:0 0 4px 0'>{html.escape(review_title(a))}</h1>"
            f"<p style='margin:0 0 8px 0;color:#455a64'>Plan file <code>{html.escape(shown_plan_path(plan_path))}"
            f"</code> · planner {html.escape(planner_version())} · {today.isoformat()}</p>"
            f"{verdict_html(a.verdict, font_size='1.3em')}</div>")


def chart_alt(a: Assessment) -> str:
    """What the chart shows, in words (its alt text).

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        One paragraph of text.
    """
    g, t = a.gate, a.plan.thresholds
    measure = "judged D/N (D'/N, on effective tokens)" if a.corpus is not None else "D/N"
    text = (f"Left: {measure} against training steps for {a.plan.name}. This plan sits at {fmt_ratio(g.ratio)} "
            f"({g.level}) after {g.tokens:,} tokens; the lines mark {t.severe:g}× severe, {t.block:g}× the launch "
            f"gate and {t.optimal:g}× compute-optimal")
    if g.steps_to_optimal is not None and g.level != "compute-optimal":
        text += f", reached at {g.steps_to_optimal:,} steps"
    if a.corpus is not None:
        text += (f"; the corpus allows D'/N {fmt_ratio(a.corpus.ceiling_1_epoch)} at one epoch, "
                 f"{fmt_ratio(a.corpus.ceiling_4_epochs)} at four and {fmt_ratio(a.corpus.ceiling_16_epochs)} at "
                 f"sixteen")
    return text + f". Right: this plan's N and D among real models, with the line D = {t.optimal:g}·N."


def chart_html(a: Assessment) -> str:
    """The plan chart as an ``<img>`` with alt text (PNG embedded), for the review.

    Args:
        a: an :class:`~planner.verdict.assessment.Assessment`.

    Returns:
        HTML: an ``<img>`` with the PNG as a data URL.
    """
    png = PlanChart(figsize=(11, 4.2), dpi=100).update(a).png()
    return (f"<img src='data:image/png;base64,{base64.b64encode(png).decode('ascii')}' "
            f"alt='{html.escape(chart_alt(a), quote=True)}' style='max-width:100%'>")


def check_output(output: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Validate the HTML path before any work: an ``.html`` file in an existing folder, not overwritten unasked.

    Args:
        output: the path of the HTML file.
        overwrite: replace an existing file.

    Returns:
        The path.

    Raises:
        InputError: (field ``output``) naming what is wrong: not ``.html``, a directory, no such folder, a folder
            that cannot be written, or an existing file without ``overwrite``.
    """
    if Path(str(output)).suffix.lower() not in (".html", ".htm"):
        raise InputError("output", "", detail=f"must be an .html file, got {str(output)!r}")
    out = files.check_writable(output, "output", error=lambda field, problem: InputError(field, "", detail=problem),
                               overwrite=True)  # a bad path, a directory, a FIFO or device: refused by the one rule
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("output", "", detail=f"the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError("output", "", detail=f"cannot write to the folder {parent}")
    if out.exists() and not overwrite:
        raise InputError("output", "", detail=f"{output} exists; use --force (or name it with -o) to overwrite")
    return out


def render_review(plan_path: str | os.PathLike[str], output: str | os.PathLike[str] = "report.html", timeout: int = 300,
                  *, overwrite: bool = True) -> Path:
    """Execute the review notebook on ``plan_path`` and write an offline, code-free HTML report to ``output``.

    The output path and the plan are checked before a kernel starts: a plan ``planner report``
    refuses is refused here with the same message.

    Args:
        plan_path: the plan file (as given, else from the project).
        output: the HTML file to write.
        timeout: seconds each cell may run.
        overwrite: replace an existing file.

    Returns:
        The path written.

    Raises:
        InputError: a bad output path.
        PlannerError: a plan ``planner report`` refuses.
        CellExecutionError: a cell failed in the kernel (nbconvert's).
    """
    out = check_output(output, overwrite=overwrite)
    plan = find_plan(plan_path).resolve()
    a = assess_plan(load_plan(plan))  # a bad plan fails here, with the field named, not inside a kernel

    import jinja2
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = nbformat.read(REVIEW_NOTEBOOK, as_version=4)
    nb.metadata["title"] = review_title(a)
    saved = os.environ.get("PLANNER_PLAN")
    os.environ["PLANNER_PLAN"] = str(plan)  # the kernel inherits it; the parameters cell reads it
    try:
        with tempfile.TemporaryDirectory() as tmp:
            km = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(tmp) / "kernel"))
            try:
                ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
                    nb, {"metadata": {"path": str(REVIEW_NOTEBOOK.parent)}}, km=km)
            finally:
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
    finally:
        if saved is None:
            os.environ.pop("PLANNER_PLAN", None)
        else:
            os.environ["PLANNER_PLAN"] = saved
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True,
                            extra_loaders=[jinja2.DictLoader({"planner_review.html.j2": _OFFLINE_TEMPLATE})])
    exporter.template_file = "planner_review.html.j2"
    body, _ = exporter.from_notebook_node(nb)
    return files.write_text(out, body, "output", error=lambda field, problem: InputError(field, "", detail=problem))
