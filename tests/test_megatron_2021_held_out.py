"""Held-out check of the throughput model on Megatron-LM's 2021 weak-scaling table (Narayanan et al. 2021): ten GPT
models from 1.7B to 1T parameters on 32 to 3,072 A100s, tensor parallelism without sequence parallelism
(``tests/fixtures/megatron_2021_a100.json``, transcribed from Megatron-LM's README with its source and the settings
assumed). None is in any fit. Tokens per second follow from the published teraFLOP/s and the paper's FLOP count,
written out here by hand: 96·l·h²·(1 + s/(6h) + V/(16·l·h)) per token, with recompute."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import planner
from planner.training.parallelism import Parallelism
from planner.training.throughput import throughput

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "megatron_2021_a100.json").read_text())
ROWS = [dict(zip(FIXTURE["columns"], r, strict=True)) for r in FIXTURE["rows"]]
SEQ, VOCAB = 2048, 51200


def _model(r: dict) -> planner.Architecture:
    h = r["hidden"]
    heads = h // 128 if h % 128 == 0 else h // 96
    return planner.architecture("gpt2").with_(name=f"gpt-{r['model']}", num_layers=r["layers"], hidden_size=h,
                                              num_heads=heads, num_kv_heads=heads, head_dim=h // heads,
                                              vocab_size=VOCAB, intermediate_size=4 * h, max_positions=SEQ,
                                              dropout=0.1)


def _layout(r: dict) -> Parallelism:
    tp = min(r["model_parallel"], 8)                     # TP inside a node of 8, pipeline stages beyond
    pp = r["model_parallel"] // tp
    dp = r["gpus"] // r["model_parallel"]
    return Parallelism(micro_batch=1, seq_len=SEQ, tp=tp, pp=pp, dp=dp, micro_batches=r["batch"] // dp,
                       recompute="full", precision="fp16-mixed", framework="megatron", dropout=True)


def _measured(r: dict) -> float:
    L, h = r["layers"], r["hidden"]
    return r["tflops_per_gpu"] * 1e12 / (96 * L * h * h * (1 + SEQ / (6 * h) + VOCAB / (16 * L * h)))


def test_the_table_is_what_the_readme_says():
    assert len(ROWS) == 10
    for r in ROWS:
        assert planner.count_params(_model(r)).total / 1e9 == pytest.approx(r["params_billion"], rel=0.03)
        assert r["tflops_per_gpu"] / 312 == pytest.approx(r["peak_share"], abs=0.006)   # A100's dense fp16 peak


def test_the_head_split_does_not_change_the_throughput():
    r = ROWS[3]
    split = [throughput(_model(r).with_(num_heads=n, num_kv_heads=n, head_dim=r["hidden"] // n), _layout(r),
                        "a100").tokens_per_gpu_s for n in (48, 64)]
    assert split[0] == pytest.approx(split[1])


@pytest.mark.parametrize("r", ROWS, ids=[r["model"] for r in ROWS])
def test_each_run_within_twelve_percent(r):
    assert throughput(_model(r), _layout(r), "a100").tokens_per_gpu_s == pytest.approx(_measured(r), rel=0.12)


def test_median_error_within_six_percent():
    err = [abs(throughput(_model(r), _layout(r), "a100").tokens_per_gpu_s / _measured(r) - 1) for r in ROWS]
    assert float(np.median(err)) <= 0.06


def test_without_sequence_parallelism_the_tp_ranks_split_only_their_share_of_the_elementwise_work():
    # TP 8 without SP: the norms' and residuals' h-wide tensors (4h of the layer's 4h + 2q + 2kv + 2·4h = 16h) are
    # whole on every rank, the rest split: 1/4 + 3/4 / 8 of the work per rank; with SP all of it over 8
    r = ROWS[3]
    plain = throughput(_model(r), _layout(r), "a100").parts["memory"]
    with_sp = throughput(_model(r), _layout(r).with_(sp=True), "a100").parts["memory"]
    assert plain / with_sp == pytest.approx((1 / 4 + 3 / 4 / 8) * 8)


@pytest.mark.parametrize("r", ROWS, ids=[r["model"] for r in ROWS])
def test_every_published_run_fits_in_80_gb(r):
    # each ran on 80 GB A100s: without the distributed optimizer every GPU holds its stage's fp32 master weights and
    # Adam moments (16 bytes per parameter) and Megatron's fp32 gradient buffers
    assert planner.memory_estimate(_model(r), _layout(r), "a100").fits is True


def test_gpt3_175b_slows_with_scale_as_its_bubble_grows():
    # the same 1,536-sequence batch on 384, 768 and 1,536 A100s: 256, 128 and 64 micro-batches per pipeline of 8, so
    # 1F1B idles 7/263, 7/135 and 7/71 of the time; published 153, 149 and 141 teraFLOP/s per GPU
    g = FIXTURE["gpt3_175b"]
    r = {"model": "175B", "hidden": 12288, "layers": 96, "model_parallel": 64, "batch": 1536}
    for gpus, tflops in zip(g["gpus"], g["tflops_per_gpu"], strict=True):
        t = throughput(_model(r), _layout({**r, "gpus": gpus}), "a100")
        assert t.tokens_per_gpu_s == pytest.approx(_measured({**r, "tflops_per_gpu": tflops}), rel=0.05)
        assert t.parts["bubble"] / (t.step_seconds - t.parts["optimizer"] - t.parts["dp"]) == pytest.approx(
            7 / (1536 // (gpus // 64) + 7))
