#!/usr/bin/env python3
"""Benchmarks of the planner, each against a baseline measured in the same run.

    python benchmarks/run.py                          # everything that needs no extra packages
    python benchmarks/run.py --hf-python PY           # + transformers meta-device comparison
                                                      #   (PY has torch+transformers)
    python benchmarks/run.py --write                  # also rewrite the results block of benchmarks/README.md

The test suite's time is measured by benchmarks/suite_time.py (both CI steps, wall and CPU time).

Figures are ratios to a baseline timed in the same process or the same run, so they travel
between machines better than seconds do. Medians of repeated runs; p95 where latency matters.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "data" / "models" / "llama-3-8b.json"
# Counted against transformers in-process: a dense model and the largest MoE (latent attention, 256 experts).
COUNT_CONFIGS = [CONFIG, ROOT / "data" / "models" / "deepseek-v3.json"]
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def timeit(fn, repeat: int = 7, number: int = 1) -> float:
    """Median seconds per call over ``repeat`` rounds of ``number`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
    return statistics.median(times)


def process_time(cmd, repeat: int = 5, env=None) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    import numpy
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "python": platform.python_version(),
            "numpy": numpy.__version__, "commit": commit.strip()}


# ---- 1. parameter counting ----------------------------------------------------------------------

HF_SNIPPET = r"""
import json, sys, time, statistics
sys.path.insert(0, sys.argv[2])
import torch, transformers
from transformers import AutoConfig, AutoModelForCausalLM
import planner
cfg_dict = json.load(open(sys.argv[1]))
def hf():
    cfg = AutoConfig.for_model(**cfg_dict)
    with torch.device("meta"):
        m = AutoModelForCausalLM.from_config(cfg)
    return sum(p.numel() for p in m.parameters())
def ours():
    return planner.count_params(cfg_dict).total
assert hf() == ours()
def med(fn, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)
print(json.dumps({"hf": med(hf, 5), "planner": med(ours, 200), "transformers": transformers.__version__,
                  "torch": torch.__version__}))
"""

HF_PROCESS = r"""
import json, sys, torch
from transformers import AutoConfig, AutoModelForCausalLM
cfg = AutoConfig.for_model(**json.load(open(sys.argv[1])))
with torch.device("meta"):
    m = AutoModelForCausalLM.from_config(cfg)
print(sum(p.numel() for p in m.parameters()))
"""


def bench_count(config: Path, hf_python: str | None, whole_process: bool) -> dict:
    """One config: planner in-process (and as a process), and transformers on the meta device."""
    import planner
    cfg = json.loads(config.read_text())
    out = {"config": config.name, "planner_in_process_s": timeit(lambda: planner.count_params(cfg).total, repeat=7,
                                                                 number=200)}
    if whole_process:
        out["planner_process_s"] = process_time([sys.executable, "-m", "planner", "params", str(config), "--json"])
    if not hf_python:
        out["note"] = "transformers comparison skipped: pass --hf-python with torch + transformers installed"
        return out
    r = json.loads(subprocess.run([hf_python, "-c", HF_SNIPPET, str(config), str(ROOT)], check=True,
                                  capture_output=True, text=True).stdout.strip().splitlines()[-1])
    out.update(hf_in_process_s=r["hf"], planner_in_hf_process_s=r["planner"],
               in_process_speedup=r["hf"] / r["planner"], transformers=r["transformers"], torch=r["torch"])
    if whole_process:
        out["hf_process_s"] = process_time([hf_python, "-c", HF_PROCESS, str(config)], repeat=3)
        out["process_speedup"] = out["hf_process_s"] / out["planner_process_s"]
    return out


def bench_params(hf_python: str | None) -> list[dict]:
    return [bench_count(c, hf_python, whole_process=(c == CONFIG)) for c in COUNT_CONFIGS]


# ---- 2. sweep vs bare numpy ---------------------------------------------------------------------

def bench_sweep(points: int = 10**6) -> dict:
    """`planner.sweep` on real-valued N and D (with a corpus) against the same arithmetic in bare numpy: the ratios,
    the levels, the epochs and FLOPs, and the tokens that reach the line on the corpus (the law inverted and
    settled)."""
    import numpy as np

    import planner
    rng = np.random.default_rng(0)
    n = rng.uniform(1e8, 1e11, points)            # real-valued: N from a fit, D from a budget
    d = rng.uniform(1e9, 2e12, points)
    unique, r_star = 1e12, 15.387756

    def bare():
        r_raw = d / n
        eff = np.where(d <= unique, d, unique + unique * r_star * -np.expm1(-(d / unique - 1.0) / r_star))
        r = eff / n
        codes = (r >= 5.0).astype(np.int8) + (r >= 10.0) + (r >= 20.0)
        need = np.ceil(20.0 * n)
        # the tokens that reach 20·N effective tokens (the effective-data law inverted), settled by two more passes
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(need <= unique, need, unique * (1 - r_star * np.log1p(-(need / unique - 1) / r_star)))
            for _ in range(2):
                back = unique + unique * r_star * -np.expm1(-(raw / unique - 1.0) / r_star)
                raw = np.where((raw > unique) & (back < need), raw + 1, raw)
        return r_raw, r, codes, codes < 2, need, d / unique, eff, 6.0 * n * d, raw

    def ours():
        return planner.sweep(n, d, unique_tokens=unique)

    ours()
    t_bare, t_ours = timeit(bare, repeat=7), timeit(ours, repeat=7)
    return {"points": points, "bare_numpy_s": t_bare, "sweep_s": t_ours, "ratio": t_ours / t_bare}


# ---- 3. import time -----------------------------------------------------------------------------

def bench_import() -> dict:
    probe = ("import sys, time; t = time.perf_counter(); import planner; dt = time.perf_counter() - t; "
             "print(dt, [m for m in ('matplotlib', 'ipywidgets', 'pandas') if m in sys.modules])")
    base = ("import sys, time; t = time.perf_counter(); import numpy; dt = time.perf_counter() - t; print(dt, [])")
    runs, numpy_runs, heavy = [], [], []
    for _ in range(7):
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        dt, mods = out.split(" ", 1)
        runs.append(float(dt))
        heavy = eval(mods)  # a list literal printed just above
        numpy_runs.append(float(subprocess.run([sys.executable, "-c", base], capture_output=True, text=True,
                                               check=True).stdout.split()[0]))
    return {"import_planner_s": statistics.median(runs), "import_numpy_s": statistics.median(numpy_runs),
            "ratio_to_numpy": statistics.median(runs) / statistics.median(numpy_runs), "heavy_modules_loaded": heavy}


# ---- 4. the workbook's update -------------------------------------------------------------------

def bench_workbook(moves: int = 40) -> dict:
    import numpy as np

    from planner.surfaces.report import card_html
    from planner.surfaces.widgets import Workbook
    from planner.verdict.assessment import assess_plan
    wb = Workbook()
    total, compute, readout, redraw = [], [], [], []
    for i in range(moves):
        steps = 2700 + 1000 * i
        t0 = time.perf_counter()
        wb.steps.value = steps  # the callback: compute, readout, redraw
        total.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        a = assess_plan(wb.plan())
        t1 = time.perf_counter()
        card_html(a)
        t2 = time.perf_counter()
        wb.chart.update(a).png()
        t3 = time.perf_counter()
        compute.append(t1 - t0)
        readout.append(t2 - t1)
        redraw.append(t3 - t2)

    def stats(xs):
        return {"median_ms": 1e3 * float(np.median(xs)), "p95_ms": 1e3 * float(np.percentile(xs, 95))}
    return {"moves": moves, "update": stats(total), "compute": stats(compute), "readout_html": stats(readout),
            "redraw_png": stats(redraw), "readout_share_of_update": float(np.median(compute) + np.median(readout))
            / float(np.median(total))}


# ---- 5. memory: one estimate, and a sweep of 10^4 layouts ---------------------------------------

def bench_memory() -> dict:
    """One memory estimate (with and without the fix search) and `memory_sweep` over 10,000 layouts, each against
    a baseline in the same run: building (validating) the layout the estimate is given, and the bare activation
    formula over the same grid."""
    import numpy as np

    import planner
    from planner.training.memory import layer_activations, memory_sweep
    arch, moe = planner.architecture("llama-3-8b"), planner.architecture("mixtral-8x7b-v0.1")
    fits = planner.Parallelism(micro_batch=2, seq_len=8192, gpus=8, fsdp="full", recompute="selective",
                               flash_attention=True, framework="torchtitan")
    misfit = planner.Parallelism(micro_batch=4, seq_len=2048, gpus=1)
    one = timeit(lambda: planner.memory_estimate(arch, fits, "h200"), repeat=7, number=50)
    fix = timeit(lambda: planner.memory_estimate(moe, misfit, "a100-80gb"), repeat=5, number=10)
    count = timeit(lambda: planner.Parallelism(micro_batch=2, seq_len=8192, gpus=8, fsdp="full",
                                               recompute="selective", flash_attention=True, framework="torchtitan"),
                   repeat=7, number=200)
    axes = dict(micro_batch=list(range(1, 26)), tp=[1, 2, 4, 8], pp=[1, 2, 4, 8, 16], dp=[1, 2, 4, 8, 16],
                recompute=["none", "selective", "full"], zero=[0, 1, 3])
    grid = int(np.prod([len(v) for v in axes.values()]))
    sweep = timeit(lambda: memory_sweep(arch, planner.Parallelism(seq_len=4096, flash_attention=True), **axes,
                                        accelerator="h100-sxm"), repeat=3)
    b = np.repeat(np.arange(1, 26), grid // 25).astype(float)
    formula = timeit(lambda: layer_activations(b, 4096, 4096, 32, tp=np.resize([1.0, 2, 4, 8], grid)), repeat=7)
    from planner.training.layout_search import search_layouts
    dsv3 = planner.architecture("deepseek-v3")
    searched = search_layouts(dsv3, 2048, "h100-sxm", seq_len=4096, tokens_per_step=15_728_640).attrs["searched"]
    search = timeit(lambda: search_layouts(dsv3, 2048, "h100-sxm", seq_len=4096, tokens_per_step=15_728_640),
                    repeat=3)
    return {"layout_search_s": search, "layout_candidates": searched, "estimate_s": one, "estimate_with_fix_s": fix,
            "layout_s": count, "sweep_layouts": grid,
            "sweep_s": sweep, "formula_s": formula}


# ---- report -------------------------------------------------------------------------------------

def table(results: dict) -> str:
    m = results["machine"]
    lines = [f"Measured {results['date']} on {m['cpu']} ({m['cores']} cores, {m['memory']}), Python {m['python']}, "
             f"numpy {m['numpy']}, commit {m['commit']}.", "",
             "| what | measured | baseline (same run) | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for p in results["params"]:
        if "in_process_speedup" in p:
            lines.append(f"| count N of `{p['config']}` in-process | {p['planner_in_hf_process_s'] * 1e6:.0f} µs | "
                         f"transformers {p['transformers']} on meta device: {p['hf_in_process_s'] * 1e3:.0f} ms | "
                         f"{p['in_process_speedup']:,.0f}× faster | ≥ 1,000× | "
                         f"{'yes' if p['in_process_speedup'] >= 1000 else 'no'} |")
        else:
            lines.append(f"| count N of `{p['config']}` in-process | {p['planner_in_process_s'] * 1e6:.0f} µs | "
                         f"— ({p['note']}) | — | ≥ 1,000× | — |")
        if "process_speedup" in p:
            lines.append(f"| `planner params` as a whole process | {p['planner_process_s']:.2f} s | "
                         f"python + transformers meta-device count: {p['hf_process_s']:.2f} s | "
                         f"{p['process_speedup']:.1f}× faster | ≥ 20× | "
                         f"{'yes' if p['process_speedup'] >= 20 else 'no'} |")
    s = results["sweep"]
    lines.append(f"| `planner.sweep` over {s['points']:,} plans | {s['sweep_s'] * 1e3:.0f} ms | bare numpy, same "
                 f"arithmetic: {s['bare_numpy_s'] * 1e3:.0f} ms | {s['ratio']:.2f}× | ≤ 3× | "
                 f"{'yes' if s['ratio'] <= 3 else 'no'} |")
    i = results["import"]
    lines.append(f"| `import planner` | {i['import_planner_s'] * 1e3:.0f} ms (loads "
                 f"{', '.join(i['heavy_modules_loaded']) or 'no matplotlib, ipywidgets or pandas'}) | `import numpy`: "
                 f"{i['import_numpy_s'] * 1e3:.0f} ms | {i['ratio_to_numpy']:.2f}× | ≤ 0.2 s, no plotting/widgets | "
                 f"{'yes' if i['import_planner_s'] <= 0.2 and not i['heavy_modules_loaded'] else 'no'} |")
    w = results["workbook"]
    lines.append(f"| workbook update per slider move (compute + readout + redraw), {w['moves']} moves | median "
                 f"{w['update']['median_ms']:.0f} ms, p95 {w['update']['p95_ms']:.0f} ms | compute "
                 f"{w['compute']['median_ms']:.2f} ms + readout {w['readout_html']['median_ms']:.2f} ms; redraw "
                 f"{w['redraw_png']['median_ms']:.0f} ms | "
                 f"readout ready after {100 * w['readout_share_of_update']:.1f}% "
                 f"of the update | readout p95 ≤ 150 ms | "
                 f"{'yes' if w['compute']['p95_ms'] + w['readout_html']['p95_ms'] <= 150 else 'no'} |")
    m = results["memory"]
    lines.append(f"| one memory estimate (Llama-3-8B, FSDP 8, on an H200) | {m['estimate_s'] * 1e3:.2f} ms; with the "
                 f"fix search (Mixtral on one A100) {m['estimate_with_fix_s'] * 1e3:.1f} ms | building its layout "
                 f"(validated): {m['layout_s'] * 1e6:.0f} µs | {m['estimate_s'] / m['layout_s']:.0f}× | ≤ 1 ms | "
                 f"{'yes' if m['estimate_s'] <= 1e-3 else 'no'} |")
    lines.append(f"| `memory_sweep` over {m['sweep_layouts']:,} layouts | {m['sweep_s'] * 1e3:.0f} ms | the bare "
                 f"activation formula on the same grid: {m['formula_s'] * 1e3:.1f} ms | "
                 f"{m['sweep_s'] / m['formula_s']:.0f}× | ≤ 1 s | {'yes' if m['sweep_s'] <= 1 else 'no'} |")
    lines.append(f"| `search_layouts`: DeepSeek-V3 on 2,048 H100s, {m['layout_candidates']:,} layouts (memory and step "
                 f"time each) | {m['layout_search_s'] * 1e3:.0f} ms | `memory_sweep` over {m['sweep_layouts']:,}: "
                 f"{m['sweep_s'] * 1e3:.0f} ms | {m['layout_search_s'] / m['sweep_s']:.1f}× | ≥ 10⁴ layouts in ≤ 1 s | "
                 f"{'yes' if m['layout_search_s'] <= 1 and m['layout_candidates'] >= 10**4 else 'no'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hf-python", help="a Python with torch and transformers, for the meta-device comparison")
    ap.add_argument("--write", action="store_true", help="rewrite the results block of benchmarks/README.md")
    args = ap.parse_args(argv)
    results = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "params": bench_params(args.hf_python),
               "sweep": bench_sweep(), "import": bench_import(), "workbook": bench_workbook(), "memory": bench_memory()}
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "benchmarks.json").write_text(json.dumps(results, indent=2) + "\n")
    text = table(results)
    print(text)
    if args.write:
        readme = README.read_text()
        head, rest = readme.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
