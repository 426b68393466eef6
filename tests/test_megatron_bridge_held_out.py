"""Held out: NVIDIA's published Megatron-Bridge runs on H100s (its performance tables,
``tests/fixtures/megatron_bridge_h100.json`` with its source and each recipe's settings). None is in any fit.

Mixtures of experts: Qwen3-30B-A3B on EP 16 spans two nodes of 8, so its all-to-alls send half their copies over
the network; Qwen3-235B-A22B folds its experts (ETP 1: EP 32 over TP 2 × DP 16), a layout the planner refused
before it modelled the folding. Dense, FP8: Llama 3.1 405B's tuned layout is the search's first. GPT-OSS-120B
(1.55) and Llama 3 70B (0.77) are the runs the model misses (docs/layout.md): kept in the fixture, not asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import planner
from planner.training.layout_search import search_layouts
from planner.training.parallelism import Parallelism

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "megatron_bridge_h100.json").read_text())
RUNS = {r["id"]: r for r in FIXTURE["runs"]}


def _model(key: str) -> planner.Architecture:
    spec = FIXTURE["models"].get(key)
    if spec is None:
        return planner.architecture(key)
    dims = {k: v for k, v in spec.items() if k not in ("base", "note")}
    return planner.architecture(spec["base"]).with_(name=key, **dims)


def _layout(r: dict) -> Parallelism:
    dp = r["gpus"] // (r["tp"] * r["pp"] * r["cp"])
    return Parallelism(micro_batch=r["micro_batch"], seq_len=r["seq_len"], tp=r["tp"], sp=r["tp"] > 1, pp=r["pp"],
                       vpp=r["vpp"], cp=r["cp"], ep=r["ep"], etp=r["etp"], dp=dp,
                       micro_batches=r["global_batch"] // (dp * r["micro_batch"]), zero=1, recompute=r["recompute"],
                       flash_attention=True, framework="megatron", dropout=False, fp8=r["precision"] != "BF16",
                       tp_overlap=r["tp_overlap"], fp32_grads=r["fp32_grads"])


def test_qwen3_235b_is_qwen3_235b():
    # Qwen's model card: 235B parameters, 22B activated
    counts = planner.count_params(_model("qwen3-235b-a22b"))
    assert round(counts.total / 1e9) == 235 and round(counts.active / 1e9) == 22


@pytest.mark.parametrize("rid", ["qwen3-30b-a3b-ep16", "qwen3-235b-a22b-ep32", "llama-3.1-405b-fp8"])
def test_within_twenty_percent_of_the_published_rate(rid):
    r = RUNS[rid]
    lo, hi = r["tokens_per_s_per_gpu"]
    rate = planner.throughput(_model(r["model"]), _layout(r), "h100-sxm").tokens_per_gpu_s
    assert 0.8 * hi <= rate <= 1.2 * lo


def test_each_published_layout_fits_in_80_gb():
    for r in RUNS.values():
        assert planner.memory_estimate(_model(r["model"]), _layout(r), "h100-sxm").fits is True, r["id"]


def test_the_search_folds_qwen3_235bs_experts_as_nvidia_did():
    # the search's three fastest keep the experts whole on each rank (ETP 1), and NVIDIA's TP 2 × PP 8 × DP 16 is
    # among them; it puts EP at 8, inside a node, where NVIDIA's recipe overlaps EP 32's all-to-alls with
    # computation, which the planner does not model (docs/layout.md). Without the experts' own TP collectives the
    # search had put TP 8 without EP first
    r = RUNS["qwen3-235b-a22b-ep32"]
    base = Parallelism(flash_attention=True, framework="megatron", dropout=False, seq_len=r["seq_len"], fp8=True)
    f = search_layouts(_model(r["model"]), r["gpus"], "h100-sxm", seq_len=r["seq_len"],
                       tokens_per_step=r["global_batch"] * r["seq_len"], base=base)
    top = f[f["distinct"]].head(3)
    assert (top.etp == 1).all()
    dp = r["gpus"] // (r["tp"] * r["pp"] * r["cp"])
    assert ((top.tp == r["tp"]) & (top.pp == r["pp"]) & (top.cp == r["cp"]) & (top.dp == dp)).any()


def test_the_search_puts_llama_405bs_tuned_layout_first():
    # TP 8 × PP 8 × CP 2 × DP 8 on 1,024 H100s at 8K tokens (the search interleaves 4 virtual stages where the recipe
    # runs 8: equally fast within the model's resolution)
    r = RUNS["llama-3.1-405b-fp8"]
    base = Parallelism(flash_attention=True, framework="megatron", dropout=False, seq_len=r["seq_len"], fp8=True,
                       fp32_grads=False)
    f = search_layouts(_model(r["model"]), r["gpus"], "h100-sxm", seq_len=r["seq_len"],
                       tokens_per_step=r["global_batch"] * r["seq_len"], base=base)
    first = f[f["distinct"]].iloc[0]
    assert (first.tp, first.pp, first.cp, first.dp) == (8, 8, 2, 8)
