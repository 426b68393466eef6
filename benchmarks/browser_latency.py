#!/usr/bin/env python3
"""Latency of the what-if workbook in a real browser, beside the previous implementation in the same run.

    python benchmarks/browser_latency.py                  # default sample sizes
    python benchmarks/browser_latency.py --moves 30 --bursts 5
    python benchmarks/browser_latency.py --baseline-ref HEAD~3

One Voila server serves two notebooks: the workbook as it is in the working tree, and the
**baseline** — ``planner/surfaces/widgets.py`` and ``plots.py`` as committed at ``--baseline-ref``
(default ``HEAD``), imported from a scratch folder against the same installed ``planner``. Debian's
Chromium (through Playwright) opens each at 1280×800 and moves sliders with the keyboard:

- **isolated moves**: one ArrowRight on the ``steps`` / ``layers`` handle, then wait until nothing
  changes; times from the ``keydown`` to the readout's DOM change and to the chart ``<img>``'s new ``src``;
- **back-to-back moves** (a person holding the key): bursts of ArrowRight where the next key is pressed
  as soon as the readout changes. Per key: ``keydown`` → readout. Per burst: the last ``keydown`` → the
  chart settled (its last ``src`` change, i.e. the chart of the final state).

Times are taken inside the page with ``performance.now()`` by MutationObservers. Goals: readout p95
≤ 100 ms, chart settled p95 ≤ 250 ms. Writes ``benchmarks/results/browser_latency.json`` (with the
machine's details) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import browser_helpers as bh  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "browser_latency.json"
GOALS_MS = {"readout": 100.0, "chart_settled": 250.0}
SLIDERS = ("steps", "layers")

INSTRUMENT = r"""() => {
  const ro = document.querySelector('.planner-readout') || document.querySelector('.widget-html');
  const img = document.querySelector('img.widget-image');
  const log = window.__log = {keys: [], readout: [], chart: []};
  new MutationObserver(() => log.readout.push(performance.now()))
    .observe(ro, {childList: true, subtree: true, characterData: true, attributes: true});
  new MutationObserver(() => log.chart.push(performance.now()))
    .observe(img, {attributes: true, attributeFilter: ['src']});
  document.addEventListener('keydown', e => {
    if (e.target.classList && e.target.classList.contains('noUi-handle')) log.keys.push(performance.now());
  }, true);
}"""


def p95(xs: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    s = sorted(xs)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def summary(xs: list[float]) -> dict:
    return {"n": len(xs), "median_ms": round(statistics.median(xs), 1), "p95_ms": round(p95(xs), 1),
            "max_ms": round(max(xs), 1)}


def _version(pkg: str) -> str | None:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return None


def git(*args) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def machine(browser_version: str) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    try:
        chromium = subprocess.run([bh.CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        chromium = None
    return {"cpu_model": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024**2, 1),
            "os": platform.platform(), "python": platform.python_version(),
            "chromium": chromium or f"Chromium {browser_version}", "playwright": _version("playwright"),
            "voila": _version("voila"), "ipywidgets": _version("ipywidgets"), "ipykernel": _version("ipykernel"),
            "matplotlib": _version("matplotlib"), "planner_commit": git("rev-parse", "HEAD"),
            "planner_tree_dirty": bool(git("status", "--porcelain", "--", "planner", "notebooks/what_if.ipynb"))}


# ---- the two notebooks ---------------------------------------------------------------------------

def write_baseline(folder: Path, ref: str) -> None:
    """The committed widgets/plots modules as top-level modules importing the installed planner."""
    for name in ("widgets", "plots"):
        src = git("show", f"{ref}:planner/surfaces/{name}.py")
        if not src:
            raise SystemExit(f"cannot read planner/surfaces/{name}.py at {ref}")
        src = re.sub(r"^from \.\.(\w)", r"from planner.\1", src, flags=re.M)
        src = src.replace("from .plots import", "from baseline_plots import")
        src = src.replace("from .report import", "from planner.surfaces.report import")
        (folder / f"baseline_{name}.py").write_text(src)
    notebook(folder / "baseline.ipynb", "from baseline_widgets import Workbook\n\nWorkbook()")


def notebook(path: Path, code: str) -> None:
    import nbformat
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, path)


# ---- measuring -----------------------------------------------------------------------------------

def counts(page) -> dict:
    return page.evaluate("() => ({k: __log.keys.length, r: __log.readout.length, c: __log.chart.length})")


def quiet(page, seconds: float = 0.5, timeout: float = 20.0) -> None:
    """Wait until neither the readout nor the chart has changed for ``seconds``."""
    deadline = time.monotonic() + timeout
    last, since = counts(page), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.03)
        now = counts(page)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
    raise TimeoutError("the page kept changing")


def first_after(times: list[float], t: float) -> float | None:
    return next((x for x in times if x > t), None)


def isolated(page, name: str, moves: int) -> dict:
    readout, chart = [], []
    for _ in range(moves):
        quiet(page, 0.3)
        n = counts(page)
        bh.press(page, name, "ArrowRight")
        page.wait_for_function(f"() => __log.readout.length > {n['r']} && __log.chart.length > {n['c']}",
                               timeout=20_000)
        quiet(page, 0.3)
        log = page.evaluate("() => __log")
        t0 = log["keys"][-1]
        readout.append(first_after(log["readout"], t0) - t0)
        chart.append(log["chart"][-1] - t0)
    return {"readout": readout, "chart": chart}


def back_to_back(page, name: str, bursts: int, length: int) -> dict:
    readout, settled = [], []
    for _ in range(bursts):
        quiet(page, 0.4)
        handle = bh.slider(page, name).locator(".noUi-handle")
        handle.focus()
        keys = []
        for _ in range(length):
            n = counts(page)
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => __log.readout.length > {n['r']}", timeout=20_000, polling="raf")
            keys.append(page.evaluate("() => __log.keys[__log.keys.length - 1]"))
        quiet(page, 0.6)
        log = page.evaluate("() => __log")
        for t in keys:
            readout.append(first_after(log["readout"], t) - t)
        settled.append(log["chart"][-1] - keys[-1])
    return {"readout": readout, "chart_settled": settled}


def run_one(browser, url: str, moves: int, bursts: int, length: int) -> dict:
    page = bh.new_offline_page(browser, viewport=(1280, 800))
    try:
        t = time.perf_counter()
        page.goto(url, wait_until="domcontentloaded", timeout=120_000)
        bh.slider(page, "steps").wait_for(timeout=120_000)
        page.locator("img.widget-image").wait_for(timeout=60_000)
        load = time.perf_counter() - t
        bh.settle(page)
        page.evaluate(INSTRUMENT)
        out = {"page_load_s": round(load, 2), "isolated": {}, "back_to_back": {}}
        for name in SLIDERS:
            out["isolated"][name] = isolated(page, name, moves)
            out["back_to_back"][name] = back_to_back(page, name, bursts, length)
        return out
    finally:
        page.close()


def summarise(raw: dict) -> dict:
    iso = {m: summary([x for s in SLIDERS for x in raw["isolated"][s][m]]) for m in ("readout", "chart")}
    b2b = {m: summary([x for s in SLIDERS for x in raw["back_to_back"][s][m]]) for m in ("readout", "chart_settled")}
    return {"isolated": iso, "back_to_back": b2b}


def table(results: dict) -> str:
    lines = ["| implementation | moves | readout median | readout p95 | chart median | chart p95 |",
             "|---|---|---:|---:|---:|---:|"]
    for impl, r in results.items():
        i, b = r["isolated"], r["back_to_back"]
        lines.append(f"| {impl} | isolated ({i['readout']['n']}) | {i['readout']['median_ms']:.0f} ms | "
                     f"{i['readout']['p95_ms']:.0f} ms | {i['chart']['median_ms']:.0f} ms | "
                     f"{i['chart']['p95_ms']:.0f} ms |")
        lines.append(f"| {impl} | back-to-back ({b['readout']['n']} keys, {b['chart_settled']['n']} bursts) | "
                     f"{b['readout']['median_ms']:.0f} ms | {b['readout']['p95_ms']:.0f} ms | "
                     f"{b['chart_settled']['median_ms']:.0f} ms (settled) | "
                     f"{b['chart_settled']['p95_ms']:.0f} ms (settled) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=15, help="isolated key presses per slider (default 15)")
    ap.add_argument("--bursts", type=int, default=3, help="back-to-back bursts per slider (default 3)")
    ap.add_argument("--length", type=int, default=10, help="keys per burst (default 10)")
    ap.add_argument("--baseline-ref", default="HEAD", help="git revision of the baseline (default HEAD)")
    ap.add_argument("--output", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if missing := bh.missing_prerequisites():
        print(f"needs {', '.join(missing)}: {bh.INSTALL_HINT}", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        write_baseline(folder, args.baseline_ref)
        notebook(folder / "current.ipynb", "from planner.surfaces.widgets import Workbook\n\nWorkbook()")
        server = bh.start_voila(folder, notebook=folder / "current.ipynb", serve_dir=True)
        browser = bh.launch_chromium(pw)
        try:
            info = machine(browser.version)
            raw = {}
            for impl, nb in (("baseline", "baseline.ipynb"), ("current", "current.ipynb")):
                raw[impl] = run_one(browser, f"{server.url}voila/render/{nb}", args.moves, args.bursts, args.length)
        finally:
            browser.close()
            server.stop()
    info["load_average_at_start"] = [round(x, 2) for x in load_start]
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results = {impl: summarise(r) for impl, r in raw.items()}
    cur = results["current"]
    met = {"readout": max(cur["isolated"]["readout"]["p95_ms"], cur["back_to_back"]["readout"]["p95_ms"])
           <= GOALS_MS["readout"],
           "chart_settled": max(cur["isolated"]["chart"]["p95_ms"], cur["back_to_back"]["chart_settled"]["p95_ms"])
           <= GOALS_MS["chart_settled"]}
    doc = {"what": "what-if workbook in Voila + Chromium at 1280×800: keydown on a slider handle → readout DOM change "
                   "and → chart <img> src (settled), baseline and current in one run",
           "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
           "baseline_ref": git("rev-parse", "--short", args.baseline_ref),
           "goals_ms": GOALS_MS, "met": met, "results": results,
           "page_load_s": {impl: r["page_load_s"] for impl, r in raw.items()},
           "samples_ms": {impl: {mode: {s: {m: [round(x, 1) for x in v] for m, v in r[mode][s].items()}
                                        for s in SLIDERS}
                                 for mode in ("isolated", "back_to_back")} for impl, r in raw.items()},
           "machine": info}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(doc, indent=2) + "\n")
    print(table(results))
    print()
    print(f"goals (current): readout p95 ≤ {GOALS_MS['readout']:.0f} ms: {'met' if met['readout'] else 'MISSED'}; "
          f"chart settled p95 ≤ {GOALS_MS['chart_settled']:.0f} ms: {'met' if met['chart_settled'] else 'MISSED'}")
    print(f"{info['cpu_model']}, {info['cores']} cores, {info['ram_gb']} GB, load average "
          f"{info['load_average_at_start']} → {info['load_average_at_end']}; {info['chromium']}; "
          f"baseline {doc['baseline_ref']}; planner tree {'dirty' if info['planner_tree_dirty'] else 'clean'}")
    print(f"written to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
