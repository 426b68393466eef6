"""The measured runs of ``tests/fixtures/measured_runs.json`` as the planner's models and layouts, and the memory fit.

The fixture is a verbatim copy of the project's reference file of published measured runs (each record names its
source: torchtitan's benchmark tables, Korthikanti et al. 2022, llm-foundry, model cards, nanochat). This module
turns the torchtitan memory records into an Architecture and a Parallelism (their settings as the records state
them) and fits the memory model's two free constants on a chosen subset.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

import planner
from planner.training.memory import calibration
from planner.training.memory.partition import check_layout, model_parts, with_dropout
from planner.training.memory.stages import PARTS, STAGES, layout_values, stage_bytes
from planner.training.parallelism import Parallelism

FIXTURE = Path(__file__).parent / "fixtures" / "measured_runs.json"
GIB = 2**30
#: The runs the constants are fitted on, one per recompute mode (torchtitan's op-level selective on 8 GPUs at 8K,
#: full recompute at 32K); every other memory record (compile, float8, context parallel 2-8, 128 GPUs) is held out
#: to check that the model generalises.
FIT_SET = ("tt-h100-8b-fsdp8", "tt-h100-8b-cp1-32k")


def records() -> list[dict[str, Any]]:
    """Every record of the fixture."""
    return json.loads(FIXTURE.read_text())


def memory_records() -> list[dict[str, Any]]:
    """The records with a measured peak memory."""
    return [r for r in records() if "peak_memory_gib" in r.get("measured", {})]


def layout_of(r: dict[str, Any]) -> Parallelism:
    """The layout a torchtitan record states: FSDP over its shards, CP, op-level or full recompute, flash attention,
    compile and float8 as given. ``overhead=0``: the records report PyTorch's max reserved memory."""
    lay = r["layout"]
    assert r["framework"] == "torchtitan" and lay.get("tp", 1) == 1 and lay.get("pp", 1) == 1
    return Parallelism(micro_batch=r["micro_batch"], seq_len=r["seq_len"], cp=lay.get("cp", 1), fsdp="full",
                       gpus=r["gpu_count"], recompute="full" if r["recompute"] == "full" else "selective",
                       flash_attention=True, framework="torchtitan", compile=bool(r["torch_compile"]),
                       fp8="float8" in r["precision"], overhead=0)


def model_of(r: dict[str, Any]) -> planner.Architecture:
    """The records' model: every torchtitan record is Llama 3.1 8B, the catalog's ``llama-3-8b``."""
    assert r["architecture"].startswith("planner catalog llama-3-8b")
    return planner.architecture("llama-3-8b")


def allocated(r: dict[str, Any], backward_layers: float) -> float:
    """Bytes PyTorch allocates at the peak on the binding GPU, with the backward working set given."""
    model = model_parts(model_of(r))
    p = with_dropout(model, layout_of(r))
    check_layout(model, p)
    parts = stage_bytes(model, layout_values(p, backward_layers=backward_layers))
    return max(sum(float(parts[s][k]) for k in PARTS if k in parts[s]) for s in STAGES)


def fit(ids: tuple[str, ...] = FIT_SET) -> tuple[float, float]:
    """Least squares in log space over ``ids``: (backward layers, allocator share).

    reserved = (allocated without the backward term + γ·one layer) × (1 + α); α is closed-form for each γ
    on a grid of 0.01 from 0 to 3, and never below 0 (an allocator reserves at least what it hands out).
    """
    rs = [r for r in memory_records() if r["id"] in ids]
    measured = np.array([r["measured"]["peak_memory_gib"] * GIB for r in rs])
    a0 = np.array([allocated(r, 0.0) for r in rs])
    per = np.array([allocated(r, 1.0) for r in rs]) - a0
    best = (math.inf, 0.0, 0.0)
    for g in np.arange(0.0, 3.0001, 0.01):
        logs = np.log(measured) - np.log(a0 + g * per)
        shift = max(0.0, float(logs.mean()))
        alpha = math.exp(shift) - 1
        err = float(np.sum((logs - shift) ** 2))
        if err < best[0] - 1e-15:
            best = (err, float(g), alpha)
    return best[1], best[2]


def residuals() -> list[tuple[str, float, float]]:
    """(id, measured GiB, estimated reserved GiB) for every memory record, with the stored constants."""
    out = []
    for r in memory_records():
        e = planner.memory_estimate(model_of(r), layout_of(r))
        out.append((r["id"], r["measured"]["peak_memory_gib"], e.reserved / GIB))
    return out


def solve(too_low: Any, lo: float, hi: float, steps: int = 30) -> float:
    """The one value in [lo, hi] a single fitted constant takes: bisection on ``too_low(x)``, True below it."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if too_low(mid) else (lo, mid)
    return lo


__all__ = ["FIT_SET", "solve", "calibration", "fit", "layout_of", "memory_records", "model_of", "records", "residuals"]


# ---- throughput -----------------------------------------------------------------------------------------------

#: The throughput model's fit set (one per stack and regime); every other throughput record is held out.
THROUGHPUT_FIT_SET = ("tt-h100-8b-fsdp8", "tt-h100-8b-fsdp8-compile", "tt-h100-8b-cp4-128k", "kor-175b", "mpt-7b-8k",
                      "mpt-70b-2k")
#: Korthikanti et al. 2022's GPT models (layers, hidden, heads), their Table 3; vocabulary 51,200, 4h MLP.
KORTHIKANTI = {"kor-22b": (48, 6144, 64), "kor-175b": (96, 12288, 96), "kor-530b": (105, 20480, 128),
               "kor-1t": (128, 25600, 160)}
#: llm-foundry's MPT models (layers, d_model, heads, vocabulary) from its yamls; 4·d MLP, no biases.
MPT = {"mpt-7b": (32, 4096, 32, 50432), "mpt-70b": (80, 8192, 64, 50432), "mpt-1b": (24, 2048, 16, 50368),
       "mpt-13b": (40, 5120, 40, 50432)}


def _gpt(layers: int, hidden: int, heads: int, vocab: int, positions: int,
         dropout: float = 0.1) -> planner.Architecture:
    # GPT-2's block at another size; Korthikanti's GPT models train with dropout 0.1, llm-foundry's MPTs without
    return planner.architecture("gpt2").with_(num_layers=layers, hidden_size=hidden, num_heads=heads,
                                              num_kv_heads=heads, head_dim=hidden // heads, vocab_size=vocab,
                                              intermediate_size=4 * hidden, max_positions=positions, dropout=dropout)


def throughput_cases() -> list[tuple[str, planner.Architecture, Parallelism, str, float]]:
    """(id, model, layout, accelerator, measured tokens per second per GPU) of every record with a throughput the
    records' own settings reproduce: torchtitan's, Korthikanti's (from the iteration time) and llm-foundry's."""
    out = []
    for r in records():
        if r.get("framework") == "torchtitan":
            out.append((r["id"], model_of(r), layout_of(r), "h100-sxm", float(r["measured"]["tokens_per_s_per_gpu"])))
        elif r["id"] in KORTHIKANTI:
            lay, gb = r["layout"], r["global_batch"]
            # Megatron fuses its norms, softmax and bias-GeLU (the framework's fused kernels)
            p = Parallelism(micro_batch=1, seq_len=2048, tp=lay["tp"], pp=lay["pp"], dp=1, sp=True,
                            recompute="selective", framework="megatron", micro_batches=gb)
            tps = gb * 2048 / r["measured"]["iteration_time_s"] / r["gpu_count"]
            out.append((r["id"], _gpt(*KORTHIKANTI[r["id"]], 51200, 2048), p, "a100", tps))
        elif r["id"].startswith("mpt-"):
            layers, d, heads, vocab = MPT[r["id"].rsplit("-", 1)[0]]
            # llm-foundry: Composer FSDP, fused kernels (low-precision LayerNorm, FlashAttention, fused loss)
            p = Parallelism(micro_batch=r["micro_batch"], seq_len=r["seq_len"], fsdp="full", gpus=r["gpu_count"],
                            recompute="full" if r["recompute"].startswith("full") else "none", flash_attention=True,
                            micro_batches=r["grad_accum"], framework="llm-foundry")
            out.append((r["id"], _gpt(layers, d, heads, vocab, r["seq_len"], dropout=0.0), p, "h100-sxm",
                        float(r["measured"]["tokens_per_s_per_gpu"])))
    return out
