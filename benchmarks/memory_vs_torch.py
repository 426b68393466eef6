#!/usr/bin/env python3
"""The memory estimate against a measurement: small transformers models trained a few steps with torch on CPU.

    python benchmarks/memory_vs_torch.py                         # uses /work/venv-hf/bin/python if present
    python benchmarks/memory_vs_torch.py --hf-python PY          # a Python with torch and transformers
    python benchmarks/memory_vs_torch.py --write                 # also rewrite the table in benchmarks/README.md
    python benchmarks/memory_vs_torch.py --speed                 # memory_sweep against memory_estimate in a loop

For each case a child process (the Python with torch) builds the model from a catalog config with random
weights in fp32, trains it for a few AdamW steps on random tokens and measures, per component:

* weights, gradients, optimizer state: bytes of the parameters, of their ``.grad`` and of the tensors in
  ``optimizer.state`` (tied weights counted once);
* activations: bytes of the tensors autograd saves for the backward pass, read with
  ``torch.autograd.graph.saved_tensors_hooks`` (each storage counted once, parameters excluded);
* the peak: the process's peak resident memory (``ru_maxrss``) above what it held before the model was built.

The planner's estimate for the same model and layout (``precision="fp32"``, ``overhead=0``; flash attention for
PyTorch's SDPA kernel, not for the eager attention) sits beside it with the ratio estimate / measured. Without
torch the comparison is skipped with a note. Raw results go to ``benchmarks/results/memory_vs_torch.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = Path(__file__).resolve().parent / "README.md"
RESULTS = Path(__file__).resolve().parent / "results" / "memory_vs_torch.json"
BEGIN, END = "<!-- memory-results:begin -->", "<!-- memory-results:end -->"
DEFAULT_HF_PYTHON = "/work/venv-hf/bin/python"
STEPS = 2

# (catalog model, micro-batch, sequence length, attention implementation, dropout as the config has it)
CASES = [
    ("smollm2-135m", 2, 256, "eager", False),
    ("smollm2-135m", 2, 256, "sdpa", False),
    ("gpt2", 2, 256, "eager", True),
]


def measure(model_name: str, micro_batch: int, seq_len: int, attn: str) -> dict:
    """Run in the Python with torch: train a few steps and measure each component (bytes)."""
    import resource

    import torch
    import transformers

    torch.manual_seed(0)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    cfg_dict = json.loads((ROOT / "data" / "models" / f"{model_name}.json").read_text())
    cfg = transformers.AutoConfig.for_model(**{k: v for k, v in cfg_dict.items() if k != "transformers_version"})
    cfg.use_cache = False
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model = transformers.AutoModelForCausalLM.from_config(cfg, attn_implementation=attn, torch_dtype=torch.float32)
    model.train()
    params = {p.untyped_storage().data_ptr(): p for p in model.parameters()}
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, foreach=False)
    saved: dict[int, int] = {}

    def pack(t):
        if isinstance(t, torch.Tensor):
            ptr = t.untyped_storage().data_ptr()
            if ptr not in params:
                saved[ptr] = t.untyped_storage().nbytes()
        return t

    grads = 0
    for step in range(STEPS):
        x = torch.randint(0, cfg.vocab_size, (micro_batch, seq_len))
        if step == 0:
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                loss = model(input_ids=x, labels=x).loss
        else:
            loss = model(input_ids=x, labels=x).loss
        loss.backward()
        grads = sum(p.grad.nbytes for p in params.values() if p.grad is not None)
        opt.step()
        opt.zero_grad(set_to_none=True)
    state = sum(v.nbytes for s in opt.state.values() for v in s.values() if isinstance(v, torch.Tensor))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base_rss
    return {"weights": sum(p.nbytes for p in params.values()), "gradients": grads, "optimizer": state,
            "activations": sum(saved.values()), "peak_rss_increase": peak,
            "torch": torch.__version__, "transformers": transformers.__version__}


def estimate(model_name: str, micro_batch: int, seq_len: int, attn: str, dropout: bool) -> dict:
    sys.path.insert(0, str(ROOT))
    import planner
    from planner.training.memory import memory_estimate
    from planner.training.parallelism import Parallelism
    layout = Parallelism(micro_batch=micro_batch, seq_len=seq_len, precision="fp32", flash_attention=attn == "sdpa",
                         dropout=dropout, overhead=0)
    e = memory_estimate(planner.architecture(model_name), layout)
    return {k: getattr(e, k) for k in ("weights", "gradients", "optimizer", "activations", "total")}


def speed() -> str:
    """``memory_sweep`` over 48,000 layouts against ``memory_estimate`` called in a loop (timed on 200, scaled)."""
    import time

    import numpy as np
    sys.path.insert(0, str(ROOT))
    import planner
    a = planner.architecture("llama-3-8b")
    base = planner.Parallelism(seq_len=4096, gpus=64)
    axes = dict(micro_batch=np.arange(1, 1001), tp=[1, 2, 4, 8], recompute=["none", "selective", "full"],
                zero=[0, 1, 2, 3])
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        df = planner.memory_sweep(a, base, accelerator="h100-sxm", **axes)
        runs.append(time.perf_counter() - t)
    t = time.perf_counter()
    for b in range(1, 201):
        e = planner.memory_estimate(a, base.with_(micro_batch=b, tp=2, zero=1))  # the fit is one comparison more
        _ = e.total <= 80 * 2**30
    loop = (time.perf_counter() - t) / 200 * len(df)
    sweep = sorted(runs)[1]
    return (f"| `memory_sweep` over {len(df):,} layouts (micro-batch 1–1,000 × TP × recompute × ZeRO, Llama-3-8B) | "
            f"{sweep * 1e3:,.0f} ms (median of 3) | "
            f"`memory_estimate` in a loop: {loop:,.1f} s (200 timed, scaled; no fix search) | "
            f"{loop / sweep:,.0f}× faster |")


def _fmt(x: float) -> str:
    return f"{x / 2**20:,.1f} MiB"


def table(rows: list[dict]) -> str:
    lines = ["| model, micro-batch × seq, attention | component | estimate | measured | estimate / measured |",
             "|---|---|---|---|---|"]
    for r in rows:
        case = f"{r['model']}, {r['micro_batch']} × {r['seq_len']}, {r['attn']}"
        est, got = r["estimate"], r["measured"]
        for k, label in (("weights", "weights"), ("gradients", "gradients"), ("optimizer", "optimizer (AdamW)"),
                         ("activations", "activations saved for backward"),
                         ("total", "total vs peak RSS increase")):
            m = got["peak_rss_increase"] if k == "total" else got[k]
            lines.append(f"| {case} | {label} | {_fmt(est[k])} | {_fmt(m)} | {est[k] / m:.2f} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hf-python", default=None, help="a Python with torch and transformers")
    ap.add_argument("--write", action="store_true", help="rewrite the results block of benchmarks/README.md")
    ap.add_argument("--speed", action="store_true", help="only time the vectorised sweep against a loop")
    ap.add_argument("--measure", nargs=4, metavar=("MODEL", "B", "S", "ATTN"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        m, b, s, attn = args.measure
        print(json.dumps(measure(m, int(b), int(s), attn)))
        return 0
    if args.speed:
        print("| what | planner | baseline (same run) | ratio |\n|---|---|---|---|\n" + speed())
        return 0
    py = args.hf_python or (DEFAULT_HF_PYTHON if Path(DEFAULT_HF_PYTHON).exists() else sys.executable)
    probe = subprocess.run([py, "-c", "import torch, transformers"], capture_output=True)
    if probe.returncode != 0:
        print(f"skipped: {py} has no torch/transformers (pass --hf-python PY with both installed)")
        return 0
    rows = []
    for model, b, s, attn, dropout in CASES:
        out = subprocess.run([py, __file__, "--measure", model, str(b), str(s), attn], capture_output=True,
                             text=True, check=True)
        measured = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append({"model": model, "micro_batch": b, "seq_len": s, "attn": attn, "dropout": dropout,
                     "estimate": estimate(model, b, s, attn, dropout), "measured": measured})
        print(f"measured {model} {b}×{s} {attn}", file=sys.stderr)
    text = table(rows)
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "python": platform.python_version(),
            "torch": rows[0]["measured"]["torch"], "transformers": rows[0]["measured"]["transformers"],
            "steps": STEPS}
    RESULTS.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    if args.write:
        readme = README.read_text()
        block = (f"{BEGIN}\nMeasured with torch {meta['torch']} (CPU, fp32), transformers {meta['transformers']}, "
                 f"{STEPS} AdamW steps on random tokens.\n\n{text}\n{END}")
        start, end = readme.index(BEGIN), readme.index(END) + len(END)
        README.write_text(readme[:start] + block + readme[end:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
