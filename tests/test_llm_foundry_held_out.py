"""Held-out check of the throughput model on llm-foundry's published MPT benchmark tables: 216 runs from 125M to
70B parameters, 512 to 65,536 tokens, 8 to 512 H100s and A100s (80 GB and 40 GB), bf16 and fp8, with and without
activation checkpointing, each at the micro-batch llm-foundry tuned for it. None is in the fit (three of them are
among the calibration records of ``measured_runs.json``). Expected values are the published tokens per second per
GPU (``tests/fixtures/llm_foundry_benchmarks.md``, a verbatim copy with its source)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from measured_runs import _gpt

from planner.training.parallelism import Parallelism
from planner.training.throughput import throughput
from planner.training.throughput_calibration import BAND

TABLES = Path(__file__).parent / "fixtures" / "llm_foundry_benchmarks.md"
#: llm-foundry's MPT yamls (scripts/train/yamls/pretrain/mpt-*.yaml): layers, d_model, heads; 4·d MLP, vocabulary
#: 50,368, learned positions in the benchmark runs.
SIZES = {"125m": (12, 768, 12), "350m": (24, 1024, 16), "760m": (24, 1536, 12), "1b": (24, 2048, 16),
         "3b": (32, 2560, 20), "7b": (32, 4096, 32), "13b": (40, 5120, 40), "30b": (48, 7168, 56),
         "70b": (80, 8192, 64)}
ACCELERATORS = {"h100_80gb": "h100-sxm", "a100_80gb": "a100", "a100_40gb": "a100-40gb"}


def _runs() -> list[tuple[str, float, float]]:
    """(run, predicted, measured tokens per second per GPU) of every row of the tables."""
    out = []
    for line in TABLES.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 20 or cells[0] not in SIZES:
            continue
        size, seq, gpus, gpu, micro, accum, measured = (cells[i] for i in (0, 1, 2, 3, 7, 8, 12))
        precision, sharding, checkpointing = cells[14], cells[16], cells[17]
        layers, d, heads = SIZES[size]
        # Composer's FSDP: FULL_SHARD is ZeRO-3, SHARD_GRAD_OP ZeRO-2
        layout = Parallelism(micro_batch=int(micro), seq_len=int(seq), gpus=int(gpus), micro_batches=int(accum),
                             fsdp="full" if sharding == "FULL_SHARD" else "grad-op",
                             recompute="full" if checkpointing == "True" else "none", flash_attention=True,
                             framework="llm-foundry", fp8=precision == "amp_fp8")
        t = throughput(_gpt(layers, d, heads, 50368, int(seq), dropout=0.0), layout, ACCELERATORS[gpu])
        out.append((f"{size} {seq} × {gpus} {gpu} {precision}", t.tokens_per_gpu_s, float(measured)))
    return out


RUNS = _runs()


def test_every_table_row_is_read():
    assert len(RUNS) == 216


def test_median_error_within_ten_percent_and_most_within_twenty():
    err = np.array([abs(p / m - 1) for _, p, m in RUNS])
    assert float(np.median(err)) <= 0.10
    assert float(np.mean(err <= 0.20)) >= 0.85          # 0.94 recorded in docs/layout.md


@pytest.mark.parametrize("gpu", ["h100_80gb", "a100_80gb", "a100_40gb"])
def test_each_accelerator_within_fifteen_percent_at_the_median(gpu):
    # the attention kernels run at FlashAttention-2's benchmarked share of each accelerator's peak (73% on A100, 34%
    # on H100): with one share for both, the A100s' long-context runs came out 40% slow
    ratios = [p / m for run, p, m in RUNS if gpu in run]
    assert abs(float(np.median(ratios)) - 1) <= 0.15


def test_the_throughput_band_holds_about_nine_runs_in_ten():
    # BAND is the 90th percentile of the held-out errors (these 216 and 22 others): 90% of these inside it
    err = np.array([abs(p / m - 1) for _, p, m in RUNS])
    assert 0.85 <= float(np.mean(err <= BAND)) < 1.0
