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


__all__ = ["FIT_SET", "calibration", "fit", "layout_of", "memory_records", "model_of", "records", "residuals"]
