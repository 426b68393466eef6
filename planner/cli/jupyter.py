"""The servers ``planner workbook`` starts: JupyterLab on a working copy of the workbook, or Voila as an app.

Launching the workbook without touching the project's stored notebooks.

JupyterLab runs cells and autosaves: opened on ``notebooks/what_if.ipynb`` itself it would rewrite
the stored outputs the test suite compares. :func:`working_copy` puts a copy of the workbook in a
folder of the user's (``planner-workbook/`` by default) and JupyterLab opens that; Voila, which
never writes, serves the stored notebook as an app, with the planner's Voila template
(``planner/_jupyter/voila/templates/planner``: Voila's lab template without its requests to CDNs, found
through ``JUPYTER_PATH``, :func:`app_environment`). Both cull kernels left idle (a closed tab's kernel
would otherwise keep its memory until the server stops).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from ..datafiles import REVIEW_NOTEBOOK

WORKBOOK = REVIEW_NOTEBOOK.parent / "what_if.ipynb"
DEFAULT_DIR = "planner-workbook"
CULL_IDLE_SECONDS = 600   # a kernel nobody has used for 10 minutes is shut down
CULL_INTERVAL_SECONDS = 60
#: A Jupyter data folder holding the planner's Voila template (``voila/templates/planner``).
JUPYTER_DATA = Path(__file__).resolve().parent.parent / "_jupyter"
#: The template ``planner workbook --app`` serves the workbook with: the page asks nothing of another host.
VOILA_TEMPLATE = "planner"


def app_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment Voila needs to find the planner's template: ``JUPYTER_PATH`` with :data:`JUPYTER_DATA` first.

    Args:
        env: the environment to extend (default: this process's).

    Returns:
        A copy of ``env`` with ``JUPYTER_PATH`` set (an existing ``JUPYTER_PATH`` is kept after it).
    """
    out = dict(os.environ if env is None else env)
    out["JUPYTER_PATH"] = os.pathsep.join([str(JUPYTER_DATA), *filter(None, [out.get("JUPYTER_PATH")])])
    return out


def culling_options(idle: int = CULL_IDLE_SECONDS, interval: int = CULL_INTERVAL_SECONDS) -> list[str]:
    """Server options that shut down kernels idle for ``idle`` seconds, checked every ``interval`` seconds
    (Jupyter Server's MappingKernelManager; Voila's kernel manager derives from it).

    Args:
        idle: seconds a kernel may stay idle.
        interval: seconds between checks.

    Returns:
        Command-line options.
    """
    return [f"--MappingKernelManager.cull_idle_timeout={idle}",
            f"--MappingKernelManager.cull_interval={interval}",
            "--MappingKernelManager.cull_connected=False"]


def working_copy(folder: str | os.PathLike[str] = DEFAULT_DIR, *, fresh: bool = False) -> Path:
    """Copy the workbook notebook into ``folder`` (kept if already there, unless ``fresh``); return its path.

    Args:
        folder: the folder of the copy (made if missing).
        fresh: replace an existing copy with the stored notebook.

    Returns:
        The copy's path.

    Raises:
        ValueError: the copy would be the stored notebook itself.
    """
    d = Path(folder).resolve()
    d.mkdir(parents=True, exist_ok=True)
    target = d / WORKBOOK.name
    if target.resolve() == WORKBOOK.resolve():
        raise ValueError(f"the working copy must not be the stored notebook {WORKBOOK}")
    if fresh or not target.exists():
        if WORKBOOK.is_file():
            shutil.copyfile(WORKBOOK, target)
        else:  # an installed wheel carries no workbook notebook: write its one cell
            import nbformat
            nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                   "language": "python"}})
            nb.cells = [nbformat.v4.new_markdown_cell("# Is this run worth launching?"),
                        nbformat.v4.new_code_cell("from planner.surfaces.widgets import Workbook\n\nWorkbook()")]
            nbformat.write(nb, target)
    return target


def command(app: bool = False, folder: str | os.PathLike[str] = DEFAULT_DIR, port: int | None = None,
            browser: bool = True, fresh: bool = False, create: bool = True) -> list[str]:
    """The server command: JupyterLab on a working copy, or (``app``) Voila on the stored notebook with the
    planner's template (run it in :func:`app_environment`).

    ``create=False`` (``planner workbook --dry-run``) names the working copy without making it.

    Args:
        app: Voila on the stored notebook rather than JupyterLab on a working copy.
        folder: the working copy's folder.
        port: the server's port (default: the server's).
        browser: open a browser.
        fresh: replace an existing working copy.
        create: make the working copy (``False``: only name it).

    Returns:
        The command, as a list of arguments.
    """
    port_opt = [f"--port={port}"] if port else []
    no_browser = [] if browser else ["--no-browser"]

    def copy() -> Path:
        return working_copy(folder, fresh=fresh) if create else Path(folder).resolve() / WORKBOOK.name

    if app:
        source = WORKBOOK if WORKBOOK.is_file() else copy()
        return ["voila", str(source), f"--template={VOILA_TEMPLATE}", *port_opt, *no_browser, *culling_options()]
    nb = copy()
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    # the notebook itself, not the Launcher: the browser opens it and the printed URLs lead to it
    return [sys.executable, "-m", "jupyterlab", str(nb), f"--ServerApp.root_dir={nb.parent.resolve()}",
            f"--LabApp.default_url=/lab/tree/{nb.name}", *root, *port_opt, *no_browser, *culling_options()]
