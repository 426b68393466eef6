#!/usr/bin/env python3
"""The data-constrained optimum over a grid of 10⁴ (C, U) pairs, against per-point scipy minimisation.

    python benchmarks/data_constrained.py            # print the table
    python benchmarks/data_constrained.py --json     # also write benchmarks/results/data_constrained.json

Both sides minimise the same loss, ``planner.laws.data_constrained.loss`` (Muennighoff et al. 2023, C4
fit), along 6·N·D = C in log N:

* planner: ``planner.laws.data_constrained.optimal(C, U)`` on the whole 100 × 100 grid at once
  (a coarse log grid, then golden-section search, all in numpy);
* baseline: a Python loop calling ``scipy.optimize.minimize_scalar(method="bounded")`` once per pair,
  on the same bracket (10⁻⁴ to 10⁴ times the unconstrained optimum, xatol 1e-10), with the law written
  for one point in plain Python as the paper's repository writes it: the naive way.

Agreement is checked on the loss, evaluated for both answers by the planner's own ``loss`` (where
the corpus is far too small for the budget the loss is flat over a range of N, so the minimisers may
differ while the losses agree to float precision).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.laws import data_constrained as dc  # noqa: E402

FIT = "muennighoff"


def grid():
    c = np.geomspace(1e18, 1e26, 100)
    u = np.geomspace(1e8, 1e14, 100)
    cc, uu = np.meshgrid(c, u, indexing="ij")
    return cc.ravel(), uu.ravel()


def planner_grid(c, u):
    return dc.optimal(c, u, FIT)


def naive_loss(f, rd_star, rn_star):
    """The law as the paper's repository writes it, for one point, in plain Python (the baseline's objective)."""
    n1, d1 = f.optimal(6.0)

    def loss(n, d, u):
        ud = min(u, d)
        un = min(n, n1 * (ud / d1) ** (f.beta / f.alpha))
        rd, rn = d / ud - 1, n / un - 1
        d_eff = ud + ud * rd_star * (1 - math.exp(-rd / rd_star))
        n_eff = un + un * rn_star * (1 - math.exp(-rn / rn_star))
        return f.E + f.A / n_eff ** f.alpha + f.B / d_eff ** f.beta
    return loss


def scipy_per_point(c, u):
    from scipy.optimize import minimize_scalar
    f = dc.law_fit(FIT)
    loss = naive_loss(f, dc.R_D_STAR, dc.R_N_STAR)
    out = np.empty_like(c)
    for k, (ck, uk) in enumerate(zip(c.tolist(), u.tolist(), strict=True)):
        n0, _ = f.optimal(ck)
        lo, hi = math.log(max(n0 * 1e-4, 1.0)), math.log(max(min(n0 * 1e4, ck / 6), n0 * 1e-4))
        r = minimize_scalar(lambda x, ck=ck, uk=uk: loss(math.exp(x), ck / (6 * math.exp(x)), uk),
                            bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
        out[k] = math.exp(r.x)
    return out


def timeit(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="write benchmarks/results/data_constrained.json")
    args = ap.parse_args()
    import scipy

    c, u = grid()
    t_planner, (n_planner, _) = timeit(lambda: planner_grid(c, u), 7)
    t_scipy, n_scipy = timeit(lambda: scipy_per_point(c, u), 3)
    l_planner = dc.loss(n_planner, c / (6 * n_planner), u, FIT)
    l_scipy = dc.loss(n_scipy, c / (6 * n_scipy), u, FIT)
    gap = l_planner - l_scipy                        # negative: the planner found a lower loss
    limited = u < dc.law_fit(FIT).optimal(c)[1]
    result = {
        "pairs": int(c.size), "limited_pairs": int(limited.sum()),
        "planner_seconds": t_planner, "scipy_seconds": t_scipy, "speedup": t_scipy / t_planner,
        "max_loss_above_scipy": float(gap.max()), "max_loss_below_scipy": float(-gap.min()),
        "median_relative_n_difference_limited": float(np.median(np.abs(n_planner / n_scipy - 1)[limited])),
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
    }
    print(f"{c.size:,} (C, U) pairs ({limited.sum():,} where the corpus moves the optimum)")
    print(f"planner grid      {t_planner * 1e3:8.1f} ms  (median of 7)")
    print(f"scipy per point   {t_scipy * 1e3:8.1f} ms  (median of 3)")
    print(f"speed-up          {t_scipy / t_planner:8.1f}×")
    print(f"loss: planner above scipy by at most {gap.max():.2e}, below it by up to {-gap.min():.2e}")
    if args.json:
        out = ROOT / "benchmarks" / "results" / "data_constrained.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
