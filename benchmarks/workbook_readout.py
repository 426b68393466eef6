"""The workbook's readout path per slider move, against the workbook as committed at a git ref, in one run.

    python benchmarks/workbook_readout.py [--baseline-ref HEAD] [--moves 60]

The readout path is what a person waits for after a move: the plan, its assessment, the verdict banner,
the per-GPU memory bar, the recommended batch and the numbers table (the chart is drawn off this path on
a worker thread in a kernel, so it is left out here; the advisor runs only on its button). The baseline
is ``planner/`` and ``data/`` extracted from ``--baseline-ref`` with ``git archive`` (read-only), run in a
separate process the same way.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MEASURE = r"""
import json, statistics, sys, time
from planner.surfaces.widgets import Workbook
wb = Workbook(background_chart=False)
wb._request_chart = lambda token, a: None      # the readout path only
xs = []
for i in range(int(sys.argv[1])):
    t = time.perf_counter()
    wb.steps.value = 3000 + 1000 * i            # one slider move through its callback
    xs.append(time.perf_counter() - t)
xs.sort()
print(json.dumps({"median_ms": 1e3 * statistics.median(xs), "p95_ms": 1e3 * xs[int(0.95 * len(xs))]}))
"""


def run(pythonpath: Path, moves: int) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, str(moves)], capture_output=True, text=True, check=True,
                         cwd=pythonpath, env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-ref", default="HEAD")
    ap.add_argument("--moves", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", args.baseline_ref, "planner", "data"], cwd=ROOT,
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        baseline = run(Path(tmp), args.moves)
    current = run(ROOT, args.moves)
    print(json.dumps({"moves": args.moves, "current": current, "baseline": baseline,
                      "baseline_ref": args.baseline_ref}, indent=1))


if __name__ == "__main__":
    main()
