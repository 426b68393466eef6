#!/usr/bin/env python3
"""The shape search (an architecture for a target N) against counting every grid point exactly.

    python benchmarks/shapes_search.py            # print the table
    python benchmarks/shapes_search.py --json     # also write benchmarks/results/shapes_search.json

* planner: ``planner.model.shapes.propose_shapes(N, family)``: the whole grid (hidden 128…32,768 in steps of
  128 × head width 64/128 × the family's key/value options × 1…160 layers) evaluated at once in numpy from a
  polynomial fitted to the exact counter, then the best candidates recounted exactly. Timed warm (the
  polynomial is cached per family and template) and cold (cache cleared: includes fitting it).
* baseline: the naive search, ``count_params(from_hf_config(config))`` for every grid point in a Python
  loop. Timed on a random sample of 2,000 points and scaled to the grid's size (running it all would take
  minutes).

Also the advisor on the origin case (``planner advise data/plans/origin-case.toml --max-cost 1000``'s work).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import planner  # noqa: E402
from planner.model import shapes  # noqa: E402

CASES = [("llama", 1.3e9), ("qwen2", 2.3e8), ("mixtral", 47e9)]


def median_time(fn, repeat=7):
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def grid_points(family):
    rule = shapes.SHAPE_RULES[family]
    d = np.arange(shapes.HIDDEN_MULTIPLE, shapes.MAX_HIDDEN + 1, shapes.HIDDEN_MULTIPLE)
    pts = []
    for e in shapes.HEAD_DIMS:
        h = d // e
        kv = shapes._kv_options(rule, h)
        for i in range(len(d)):
            for k in kv[i]:
                if k > 0:
                    pts.append((int(d[i]), int(h[i]), int(k), e))
    return pts


def baseline_per_point(family, target, sample=2000):
    rule = shapes.SHAPE_RULES[family]
    template = shapes._template(family, int(target))
    pts = grid_points(family)
    rng = np.random.default_rng(0)
    chosen = [(pts[i], int(rng.integers(1, shapes.MAX_LAYERS + 1))) for i in rng.integers(0, len(pts), sample)]
    t = time.perf_counter()
    for (d, h, kv, e), L in chosen:
        cfg = shapes._config(template, rule, L, d, h, kv, e, int(shapes._mlp_width(rule, d)), {})
        _ = planner.count_params(planner.model.families.from_hf_config(cfg)).total
    per = (time.perf_counter() - t) / sample
    return per, len(pts) * shapes.MAX_LAYERS


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for family, target in CASES:
        shapes.propose_shapes(target, family)
        warm = median_time(lambda target=target, family=family: shapes.propose_shapes(target, family))

        def cold(target=target, family=family):
            shapes._surrogate.cache_clear()
            shapes.propose_shapes(target, family)
        cold_t = median_time(cold, repeat=5)
        per, size = baseline_per_point(family, target)
        rows.append({"family": family, "target": target, "grid_points": size, "planner_warm_s": warm,
                     "planner_cold_s": cold_t, "baseline_per_point_s": per, "baseline_estimated_s": per * size,
                     "speedup_warm": per * size / warm, "speedup_cold": per * size / cold_t})
    from planner.verdict.advisor import Constraints, advise
    plan = planner.load_plan(ROOT / "data" / "plans" / "origin-case.toml")
    adv = median_time(lambda: advise(plan, Constraints(max_cost=1000)), repeat=5)
    print("| family, target | grid points | planner warm | planner cold | exact count per point × grid | speed-up "
          "(warm / cold) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['family']} {r['target']:.3g} | {r['grid_points']:,} | {r['planner_warm_s'] * 1e3:.0f} ms | "
              f"{r['planner_cold_s'] * 1e3:.0f} ms | {r['baseline_per_point_s'] * 1e6:.0f} µs × grid = "
              f"{r['baseline_estimated_s']:.0f} s | {r['speedup_warm']:,.0f}× / {r['speedup_cold']:,.0f}× |")
    print(f"\nadvise(origin case, max_cost=1000): {adv * 1e3:.0f} ms (median of 5)")
    if args.json:
        out = ROOT / "benchmarks" / "results" / "shapes_search.json"
        out.write_text(json.dumps({"python": platform.python_version(), "numpy": np.__version__, "shapes": rows,
                                   "advise_origin_s": adv}, indent=2) + "\n")


if __name__ == "__main__":
    main()
