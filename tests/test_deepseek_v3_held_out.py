"""Held out: DeepSeek-V3's pre-training (tests/fixtures/deepseek_v3_h800.json, from its technical report): 14.8T
tokens in 2,664K H800 GPU-hours, 1,543 tokens per second per GPU, on PP 16 × EP 64 × ZeRO-1 DP 128 with FP8
matmuls. It checks the compute side of a mixture-of-experts model with latent attention, and says what the model
leaves out: DeepSeek overlaps the expert all-to-alls with computation (DualPipe) and sends each token to at most
4 nodes, in FP8; the planner charges the all-to-alls in full (docs/layout.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import planner
from planner.training.parallelism import Parallelism
from planner.training.throughput import throughput

RUN = json.loads((Path(__file__).parent / "fixtures" / "deepseek_v3_h800.json").read_text())
MEASURED = RUN["tokens"] / (RUN["gpu_hours"] * 3600)          # 1,543 tokens/s per GPU


def _throughput():
    layout = Parallelism(micro_batch=1, seq_len=RUN["seq_len"], tp=RUN["tp"], pp=RUN["pp"], ep=RUN["ep"],
                         dp=RUN["dp"], gpus=RUN["gpus"], micro_batches=RUN["batch"] // RUN["dp"], zero=1,
                         framework="megatron", flash_attention=True, fp8=RUN["fp8"])
    return throughput(planner.architecture("deepseek-v3"), layout, "h800")


def test_the_compute_side_is_within_ten_percent():
    # with the expert all-to-alls hidden, as DeepSeek's DualPipe hides them: tokens per GPU per step over the rest
    t = _throughput()
    tokens = RUN["batch"] * RUN["seq_len"] / RUN["gpus"]
    assert round(MEASURED) == 1543
    assert tokens / (t.step_seconds - t.parts["ep"]) == pytest.approx(MEASURED, rel=0.10)

