#!/usr/bin/env python3
"""Latency of the what-if workbook in a real browser, for a dense and a MoE model, beside a baseline in the same run.

    python benchmarks/browser_latency.py                      # baseline = HEAD, default sample sizes
    python benchmarks/browser_latency.py --baseline-ref 83496fa --moves 20 --bursts 4

One Voila server serves four notebooks: the workbook of the working tree (**current**) and of
``--baseline-ref`` (**baseline**: ``planner/`` and ``data/`` at that commit, extracted read-only with
``git archive`` and put first on the kernel's ``sys.path``), each opened on two cases:

- **dense**: the origin case (``data/plans/origin-case.toml``: Qwen2.5-0.5B on one A100), which fits;
- **moe**: Mixtral-8x7B on the origin plan (``Workbook(model="mixtral-8x7b-v0.1")``), which does not fit one
  A100, so every move also runs the search for the smallest memory fix.

The baseline is the committed code rather than a no-op callback because the goals are about what a person
feels and the question is whether a change made it better or worse: a no-op page measures only Voila's
round trip, which neither version can change. Debian's Chromium (through Playwright) opens each page at
1280×800 and moves sliders with the keyboard:

- **page ready**: ``goto`` → the verdict shown with a current (not stale) chart;
- **isolated moves**: one ArrowRight on the ``steps`` / ``layers`` handle, then wait until nothing changes;
  times from the ``keydown`` to the readout's first DOM change and to the chart settled (the moment the
  chart ``<img>`` loses the ``planner-stale`` class for the last time, i.e. the chart of the new state is in);
- **back-to-back moves** (a person holding the key): bursts of ArrowRight where the next key is pressed
  as soon as the readout changes. Per key: ``keydown`` → readout. Per burst: the last ``keydown`` → chart settled;
- **visibly stale**: at every readout change the chart must carry ``planner-stale`` (greyed) until its own
  chart arrives; counted as the share of readout changes where it did not.

Times are taken inside the page with ``performance.now()`` by MutationObservers. Goals: readout p95
≤ 100 ms, chart settled p95 ≤ 300 ms, page ready ≤ 5 s, no readout change with a fresh-looking old chart.
Writes ``benchmarks/results/browser_latency.json`` (with the machine's details) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
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
GOALS_MS = {"readout": 100.0, "chart_settled": 300.0, "page_ready": 5000.0}
SLIDERS = ("steps", "layers")
CASES = {"dense": "Workbook()", "moe": 'Workbook(model="mixtral-8x7b-v0.1")'}
IMPLEMENTATIONS = ("baseline", "current")

INSTRUMENT = r"""() => {
  const ro = document.querySelector('.planner-readout');
  const img = document.querySelector('img.widget-image');
  const stale = () => img.classList.contains('planner-stale');
  const log = window.__log = {keys: [], readout: [], readoutStale: [], staleOn: [], staleOff: []};
  let was = stale();
  new MutationObserver(() => { log.readout.push(performance.now()); log.readoutStale.push(stale()); })
    .observe(ro, {childList: true, subtree: true, characterData: true, attributes: true});
  new MutationObserver(() => {
    const now = stale();
    if (now !== was) (now ? log.staleOn : log.staleOff).push(performance.now());
    was = now;
  }).observe(img, {attributes: true, attributeFilter: ['class']});
  document.addEventListener('keydown', e => {
    if (e.target.classList && e.target.classList.contains('noUi-handle')) log.keys.push(performance.now());
  }, true);
}"""

READY = """() => {
  const v = document.querySelector('.planner-readout .planner-verdict');
  const img = document.querySelector('img.widget-image');
  return !!(v && img && img.src && img.naturalWidth > 0 && !img.classList.contains('planner-stale'));
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
            "planner_tree_dirty": bool(git("status", "--porcelain", "--", "planner"))}


# ---- the notebooks ---------------------------------------------------------------------------------

def write_baseline(folder: Path, ref: str) -> Path:
    """``planner/`` and ``data/`` as committed at ``ref``, extracted into ``folder/baseline``."""
    target = folder / "baseline"
    target.mkdir()
    archive = subprocess.run(["git", "archive", ref, "planner", "data"], cwd=ROOT, capture_output=True)
    if archive.returncode:
        raise SystemExit(f"cannot read planner/ at {ref}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def notebook(path: Path, source: Path, case: str) -> None:
    """A one-cell notebook that imports ``planner`` from ``source`` and shows the workbook for ``case``."""
    import nbformat
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(
        f"import sys\nsys.path.insert(0, {str(source)!r})\nfrom planner.surfaces.widgets import Workbook\n\n"
        f"{CASES[case]}")]
    nbformat.write(nb, path)


# ---- measuring -----------------------------------------------------------------------------------

def counts(page) -> dict:
    return page.evaluate("() => ({k: __log.keys.length, r: __log.readout.length, "
                         "on: __log.staleOn.length, off: __log.staleOff.length})")


def quiet(page, seconds: float = 0.5, timeout: float = 30.0) -> None:
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


def first_after(times: list[float], t: float) -> tuple[int, float] | None:
    return next(((i, x) for i, x in enumerate(times) if x > t), None)


def settled_after(log: dict, t: float) -> float:
    """When the chart last lost its stale mark after ``t`` (the chart of the final state came in)."""
    offs = [x for x in log["staleOff"] if x > t]
    if not offs or (log["staleOn"] and log["staleOn"][-1] > offs[-1]):
        raise RuntimeError("the chart is still marked stale after the page went quiet")
    return offs[-1] - t


def isolated(page, name: str, moves: int) -> dict:
    readout, chart, fresh_looking = [], [], 0
    for _ in range(moves):
        quiet(page, 0.3)
        n = counts(page)
        bh.press(page, name, "ArrowRight")
        page.wait_for_function(f"() => __log.readout.length > {n['r']} && __log.staleOff.length > {n['off']}",
                               timeout=30_000)
        quiet(page, 0.3)
        log = page.evaluate("() => __log")
        t0 = log["keys"][-1]
        i, t = first_after(log["readout"], t0)
        readout.append(t - t0)
        fresh_looking += not log["readoutStale"][i]
        chart.append(settled_after(log, t0))
    return {"readout": readout, "chart_settled": chart, "readout_with_fresh_looking_old_chart": fresh_looking}


def back_to_back(page, name: str, bursts: int, length: int) -> dict:
    readout, settled, fresh_looking = [], [], 0
    for _ in range(bursts):
        quiet(page, 0.4)
        handle = bh.slider(page, name).locator(".noUi-handle")
        handle.focus()
        keys = []
        for _ in range(length):
            n = counts(page)
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => __log.readout.length > {n['r']}", timeout=30_000, polling="raf")
            keys.append(page.evaluate("() => __log.keys[__log.keys.length - 1]"))
        quiet(page, 0.6)
        log = page.evaluate("() => __log")
        for t in keys:
            i, x = first_after(log["readout"], t)
            readout.append(x - t)
            fresh_looking += not log["readoutStale"][i]
        settled.append(settled_after(log, keys[-1]))
    return {"readout": readout, "chart_settled": settled, "readout_with_fresh_looking_old_chart": fresh_looking}


def run_one(browser, url: str, moves: int, bursts: int, length: int) -> dict:
    page = bh.new_offline_page(browser, viewport=(1280, 800))
    try:
        t = time.perf_counter()
        page.goto(url, wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_function(READY, timeout=120_000, polling=50)
        ready = time.perf_counter() - t
        bh.settle(page)
        page.evaluate(INSTRUMENT)
        out: dict = {"page_ready_ms": round(ready * 1000), "isolated": {}, "back_to_back": {}}
        for name in SLIDERS:
            out["isolated"][name] = isolated(page, name, moves)
            out["back_to_back"][name] = back_to_back(page, name, bursts, length)
        return out
    finally:
        page.close()


def summarise(raw: dict) -> dict:
    def pooled(mode, m):
        return [x for s in SLIDERS for x in raw[mode][s][m]]
    fresh = sum(raw[mode][s]["readout_with_fresh_looking_old_chart"] for mode in ("isolated", "back_to_back")
                for s in SLIDERS)
    readouts = sum(len(raw[mode][s]["readout"]) for mode in ("isolated", "back_to_back") for s in SLIDERS)
    return {"page_ready_ms": raw["page_ready_ms"],
            "isolated": {m: summary(pooled("isolated", m)) for m in ("readout", "chart_settled")},
            "back_to_back": {m: summary(pooled("back_to_back", m)) for m in ("readout", "chart_settled")},
            "readout_changes": readouts, "readout_with_fresh_looking_old_chart": fresh}


def goals_met(r: dict) -> dict:
    return {"readout": max(r["isolated"]["readout"]["p95_ms"], r["back_to_back"]["readout"]["p95_ms"])
            <= GOALS_MS["readout"],
            "chart_settled": max(r["isolated"]["chart_settled"]["p95_ms"], r["back_to_back"]["chart_settled"]["p95_ms"])
            <= GOALS_MS["chart_settled"],
            "page_ready": r["page_ready_ms"] <= GOALS_MS["page_ready"],
            "stale_until_settled": r["readout_with_fresh_looking_old_chart"] == 0}


def table(results: dict) -> str:
    lines = ["| case | implementation | page ready | moves | readout median | readout p95 | chart settled median | "
             "chart settled p95 | readouts beside an unmarked old chart |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for case, impls in results.items():
        for impl, r in impls.items():
            for mode, label in (("isolated", "isolated"), ("back_to_back", "back-to-back")):
                x = r[mode]
                n = (f"{x['readout']['n']}" if mode == "isolated" else
                     f"{x['readout']['n']} keys, {x['chart_settled']['n']} bursts")
                first = mode == "isolated"
                ready = f"{r['page_ready_ms'] / 1000:.1f} s" if first else ""
                fresh = f"{r['readout_with_fresh_looking_old_chart']} of {r['readout_changes']}" if first else ""
                lines.append(
                    f"| {case if first else ''} | {impl if first else ''} | {ready} | {label} ({n}) | "
                    f"{x['readout']['median_ms']:.0f} ms | {x['readout']['p95_ms']:.0f} ms | "
                    f"{x['chart_settled']['median_ms']:.0f} ms | {x['chart_settled']['p95_ms']:.0f} ms | {fresh} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=15, help="isolated key presses per slider (default 15)")
    ap.add_argument("--bursts", type=int, default=3, help="back-to-back bursts per slider (default 3)")
    ap.add_argument("--length", type=int, default=10, help="keys per burst (default 10)")
    ap.add_argument("--baseline-ref", default="HEAD", help="git revision of the baseline (default HEAD)")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    ap.add_argument("--output", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if missing := bh.missing_prerequisites():
        print(f"needs {', '.join(missing)}: {bh.INSTALL_HINT}", file=sys.stderr)
        return 2
    cases = [c for c in args.cases.split(",") if c]
    if unknown := set(cases) - set(CASES):
        ap.error(f"unknown case(s) {', '.join(sorted(unknown))}")

    from playwright.sync_api import sync_playwright

    load_start = os.getloadavg()
    raw: dict = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        sources = {"baseline": write_baseline(folder, args.baseline_ref), "current": ROOT}
        for case in cases:
            for impl in IMPLEMENTATIONS:
                notebook(folder / f"{impl}-{case}.ipynb", sources[impl], case)
        server = bh.start_voila(folder, notebook=folder / f"current-{cases[0]}.ipynb", serve_dir=True)
        browser = bh.launch_chromium(pw)
        try:
            info = machine(browser.version)
            for case in cases:
                raw[case] = {}
                for impl in IMPLEMENTATIONS:
                    print(f"{case} / {impl} ...", file=sys.stderr, flush=True)
                    raw[case][impl] = run_one(browser, f"{server.url}voila/render/{impl}-{case}.ipynb",
                                              args.moves, args.bursts, args.length)
        finally:
            browser.close()
            server.stop()
    info["load_average_at_start"] = [round(x, 2) for x in load_start]
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results = {case: {impl: summarise(r) for impl, r in impls.items()} for case, impls in raw.items()}
    met = {case: goals_met(impls["current"]) for case, impls in results.items()}
    doc = {"what": "what-if workbook in Voila + Chromium at 1280×800, dense (origin case) and MoE (Mixtral-8x7B on "
                   "the origin plan, memory fix search on every move): page ready; keydown on a slider handle → "
                   "readout DOM change and → chart settled (stale mark removed); baseline and current in one run",
           "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
           "baseline_ref": git("rev-parse", "--short", args.baseline_ref),
           "goals_ms": GOALS_MS, "met": met, "results": results,
           "samples_ms": {case: {impl: {mode: {s: {m: [round(x, 1) for x in v] if isinstance(v, list) else v
                                                   for m, v in r[mode][s].items()} for s in SLIDERS}
                                        for mode in ("isolated", "back_to_back")} for impl, r in impls.items()}
                          for case, impls in raw.items()},
           "machine": info}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(doc, indent=2) + "\n")
    print(table(results))
    print()
    for case, m in met.items():
        print(f"goals ({case}, current): readout p95 ≤ {GOALS_MS['readout']:.0f} ms: "
              f"{'met' if m['readout'] else 'MISSED'}; chart settled p95 ≤ {GOALS_MS['chart_settled']:.0f} ms: "
              f"{'met' if m['chart_settled'] else 'MISSED'}; "
              f"page ready ≤ {GOALS_MS['page_ready'] / 1000:.0f} s: {'met' if m['page_ready'] else 'MISSED'}; "
              f"stale until settled: {'yes' if m['stale_until_settled'] else 'NO'}")
    print(f"{info['cpu_model']}, {info['cores']} cores, {info['ram_gb']} GB, load average "
          f"{info['load_average_at_start']} → {info['load_average_at_end']}; {info['chromium']}; "
          f"baseline {doc['baseline_ref']}; planner tree {'dirty' if info['planner_tree_dirty'] else 'clean'}")
    print(f"written to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
