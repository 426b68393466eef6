#!/usr/bin/env python3
"""Re-execute notebooks in place and strip volatile metadata, so stored outputs match the package.

    python scripts/refresh_notebooks.py                 # every notebook in notebooks/
    python scripts/refresh_notebooks.py notebooks/review.ipynb

Runs each notebook top to bottom in a fresh kernel (no hidden state), then removes the per-cell
execution timestamps nbconvert records and the widget state (and widget outputs, which need it), so a refresh
only changes what really changed.
"""

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def refresh(path: Path) -> None:
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                    str(path)], check=True, cwd=path.parent)
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)        # widget state: random model ids rewritten on every run
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":        # a widget's output without its state shows only its repr: drop it
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]
    nbformat.write(nb, path)


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for p in paths:
        print(f"refreshing {p}")
        refresh(p.resolve())
