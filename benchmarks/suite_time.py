#!/usr/bin/env python3
"""Time the test suite as CI runs it: the light step, then the integration step.

    python benchmarks/suite_time.py            # both steps; prints the table, writes results/suite_time.json
    python benchmarks/suite_time.py --light    # the light step only (no torch needed)
    python benchmarks/suite_time.py --write    # and rewrite the suite-time block of benchmarks/README.md

Each step is the README's command without its install (``python -m pytest`` and ``python -m pytest -m
integration``), run from the repository root. Wall time is measured around the step; CPU time is the user + system
time of the step and every process it started (``resource.getrusage(RUSAGE_CHILDREN)``), so a browser, a kernel or
a subprocess counts too. The slowest single test comes from pytest's ``--durations=1``. Installs are not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- suite-time:begin -->", "<!-- suite-time:end -->"
STEPS = {"light": ["-m", "pytest", "-q", "--durations=1"],
         "integration": ["-m", "pytest", "-q", "--durations=1", "-m", "integration"]}


def _cpu_of_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_step(name: str) -> dict:
    """Run one step and time it.

    Args:
        name: ``"light"`` or ``"integration"``.

    Returns:
        The step's wall and CPU seconds, exit code, pytest's closing line and slowest test.
    """
    cpu, wall = _cpu_of_children(), time.perf_counter()
    p = subprocess.run([sys.executable, *STEPS[name]], cwd=ROOT, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - wall, _cpu_of_children() - cpu
    lines = p.stdout.strip().splitlines()
    timed = re.compile(r"\s*\d+\.\d+s (call|setup|teardown) ")
    slowest = next((" ".join(line.split()) for line in lines if timed.match(line)), "")
    return {"step": name, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "returncode": p.returncode,
            "summary": lines[-1].strip("= ") if lines else "", "slowest": slowest}


def machine() -> dict:
    """The date, the machine and the commit measured."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    return {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(), "python": platform.python_version(),
            "commit": commit}


def table(result: dict) -> str:
    """The results as the Markdown block of benchmarks/README.md."""
    m = result["machine"]
    lines = [f"Measured {m['date']} on {m['cores']} cores, Python {m['python']}, commit {m['commit']}.", "",
             "| step | wall | CPU (all processes) | result | slowest test |", "|---|---|---|---|---|"]
    for s in result["steps"]:
        lines.append(f"| `{' '.join(['python', *STEPS[s['step']][:2], *STEPS[s['step']][4:]])}` | {s['wall_s']:.0f} s "
                     f"| {s['cpu_s']:.0f} s | {s['summary']} | {s['slowest']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--light", action="store_true", help="time the light step only")
    ap.add_argument("--write", action="store_true", help="rewrite the suite-time block of benchmarks/README.md")
    args = ap.parse_args(argv)
    steps = ["light"] if args.light else ["light", "integration"]
    result = {"machine": machine(), "steps": [run_step(s) for s in steps]}
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "suite_time.json").write_text(json.dumps(result, indent=2) + "\n")
    text = table(result)
    print(text)
    if args.write:
        head, rest = README.read_text().split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    return max(s["returncode"] for s in result["steps"])


if __name__ == "__main__":
    sys.exit(main())
