"""Held-out check of the throughput model on llm-foundry's published MPT benchmark tables: 216 runs from 125M to
70B parameters, 512 to 65,536 tokens, 8 to 512 H100s and A100s (80 GB and 40 GB), bf16 and fp8, with and without
activation checkpointing, each at the micro-batch llm-foundry tuned for it. None is in the fit (three of them are
among the calibration records of ``measured_runs.json``). Expected values are the published tokens per second per
GPU (``tests/fixtures/llm_foundry_benchmarks.md``, a verbatim copy with its source)."""

from __future__ import annotations

import numpy as np
import pytest
from llm_foundry import runs

from planner.training.throughput import throughput
from planner.training.throughput_calibration import BAND


def _runs() -> list[tuple[str, float, float]]:
    """(run, predicted, measured tokens per second per GPU) of every row of the tables."""
    return [(r.label, throughput(r.model, r.layout, r.accelerator).tokens_per_gpu_s, r.tokens_per_gpu_s)
            for r in runs()]


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
