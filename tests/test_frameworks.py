"""What each framework runs decides what the planner offers and how it times it (planner/training/frameworks.py):
llm-foundry's FSDP-only stack with block checkpointing and flash-attn's fused cross-entropy, Megatron's fused kernels,
and every search (layouts, the memory fix) staying inside what the stack can run."""

from __future__ import annotations

import json

import pytest
from measured_runs import _gpt

import planner
from planner.cli import main
from planner.errors import InputError
from planner.training.layout_search import search_layouts
from planner.training.parallelism import Parallelism
from planner.training.throughput import throughput

# MPT-7B as llm-foundry trains it: 32 layers of 4,096, 32 heads, vocabulary 50,368, no dropout
MPT7B = _gpt(32, 4096, 32, 50368, 2048, dropout=0.0)


@pytest.mark.parametrize("field, value", [("pp", 2), ("cp", 2), ("recompute", "selective")])
def test_llm_foundry_refuses_what_it_does_not_run_by_name(field, value):
    with pytest.raises(InputError) as e:
        Parallelism(framework="llm-foundry", gpus=8, **{field: value})
    assert e.value.field == field and "llm-foundry" in str(e.value)
    Parallelism(framework="llm-foundry", tp=2, gpus=8, recompute="full", fsdp="grad-op")    # what it runs


def test_the_fused_loss_holds_four_bytes_per_logit():
    # flash-attn's fused cross-entropy keeps the bf16 logits and writes their bf16 gradient (4 bytes per logit),
    # against PyTorch's cross_entropy on logits.float(): 12. One GPU, 4 × 2,048 tokens of a 50,368 vocabulary
    p = Parallelism(micro_batch=4, seq_len=2048, flash_attention=True)
    foundry = planner.memory_estimate(MPT7B, p.with_(framework="llm-foundry"))
    upcast = planner.memory_estimate(MPT7B, p.with_(framework="llm-foundry", loss="fp32-upcast"))
    assert foundry.layout.loss_kind == "fused"
    assert upcast.activations - foundry.activations == pytest.approx(4 * 2048 * 50368 * (12 - 4))


def test_llm_foundrys_backward_working_set_is_the_bound_its_runs_allow():
    # 1.72 layers' worth of one layer's activations against torchtitan's fitted 2.63, at the same loss: one layer of
    # MPT-7B, 4 × 2,048 tokens, no dropout, flash attention: 32 bytes per token and unit of width (norm inputs 2 + 2,
    # QKV and MLP inputs 2 + 2, Q K V 6, attention output 2, the MLP's two 4h tensors 8 + 8) + fp32 log-sum-exp
    p = Parallelism(micro_batch=4, seq_len=2048, flash_attention=True, loss="fused")
    foundry = planner.memory_estimate(MPT7B, p.with_(framework="llm-foundry"))
    torch = planner.memory_estimate(MPT7B, p.with_(framework="pytorch"))
    layer = 4 * 2048 * 4096 * 32 + 4 * 32 * 2048 * 4
    assert torch.activations - foundry.activations == pytest.approx((2.63 - 1.72) * layer)


def test_fused_kernels_come_with_the_framework():
    # Megatron and llm-foundry fuse their norms and activations without torch.compile: the same step time either way,
    # and half the non-matmul time of eager PyTorch
    p = Parallelism(micro_batch=4, seq_len=2048, flash_attention=True, gpus=8, fsdp="full")
    eager, compiled = (throughput(MPT7B, p.with_(compile=c), "h100-sxm").parts["memory"] for c in (False, True))
    foundry = throughput(MPT7B, p.with_(framework="llm-foundry"), "h100-sxm").parts["memory"]
    assert compiled == pytest.approx(eager / 2) and foundry == pytest.approx(compiled)
    m = Parallelism(micro_batch=1, seq_len=2048, tp=8, sp=True, framework="megatron", gpus=8)
    assert throughput(MPT7B, m, "a100").step_seconds == pytest.approx(
        throughput(MPT7B, m.with_(compile=True), "a100").step_seconds)


def test_the_layout_search_stays_inside_the_framework():
    base = Parallelism(framework="llm-foundry", seq_len=2048)
    frame = search_layouts(MPT7B, 16, "h100-sxm", seq_len=2048, tokens_per_step=16 * 8 * 2048, base=base)
    assert not frame.empty
    assert set(frame.pp) == {1} and set(frame.cp) == {1} and set(frame.recompute) <= {"none", "full"}
    assert set(frame.zero) <= {0, 2, 3} and frame.tp.max() > 1            # FSDP's three strategies and TP


def test_the_memory_fix_stays_inside_the_framework():
    # 7B on one A100 40GB: llm-foundry cannot pipeline or split the sequence; the fix shards and checkpoints instead
    e = planner.memory_estimate(MPT7B, Parallelism(micro_batch=8, seq_len=2048, gpus=8, framework="llm-foundry",
                                                   flash_attention=True), "a100-40gb")
    assert e.fits is False and e.fix is not None
    assert not {"pp", "cp"} & set(e.fix.changes) and e.fix.changes.get("recompute", "full") in ("none", "full")
    mega = planner.memory_estimate(MPT7B, Parallelism(micro_batch=8, seq_len=2048, gpus=8, framework="megatron",
                                                      flash_attention=True), "a100-40gb")
    assert mega.fix is not None and mega.fix.changes.get("zero", 1) <= 1     # Megatron shards the optimizer only


def test_the_cli_takes_the_new_framework(capsys):
    assert main(["memory", "--params", "7B", "--micro-batch", "1", "--seq-len", "2048", "--framework", "llm-foundry",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["framework"] == "llm-foundry"


@pytest.mark.parametrize("sharding", [{"zero": 2}, {"zero": 3}, {"fsdp": "full"}])
def test_deepspeed_pipelines_run_zero_one_at_most(sharding):
    # DeepSpeed's PipelineEngine asserts zero_optimization_stage() < 2 ("ZeRO-2 and ZeRO-3 are incompatible with
    # pipeline parallelism"): refused by the field given; without a pipeline every stage runs, and ZeRO 1 pipelines
    with pytest.raises(InputError) as e:
        Parallelism(framework="deepspeed", pp=2, gpus=8, micro_batches=4, **sharding)
    assert e.value.field == next(iter(sharding)) and "pp" in str(e.value)
    Parallelism(framework="deepspeed", gpus=8, **sharding)
    Parallelism(framework="deepspeed", pp=2, gpus=8, micro_batches=4, zero=1)
    Parallelism(framework="pytorch", pp=2, gpus=8, micro_batches=4, fsdp="full")          # torch pipelining + FSDP


def test_the_deepspeed_search_and_fix_keep_pipelines_at_zero_one():
    # MPT-7B on 16 H100s, 128 sequences of 2,048: ZeRO 2 and 3 appear without a pipeline only, pipelines with ZeRO
    # 0-1; the fix for the 7B on 8 × 40 GB with PP 2 does not reach for ZeRO 2 while it keeps the pipeline
    frame = search_layouts(MPT7B, 16, "h100-sxm", seq_len=2048, tokens_per_step=128 * 2048,
                           base=Parallelism(framework="deepspeed", seq_len=2048))
    assert (frame.zero >= 2).any() and (frame.pp > 1).any()
    assert (frame[frame.pp > 1].zero <= 1).all() and (frame[frame.zero >= 2].pp == 1).all()
    e = planner.memory_estimate(MPT7B, Parallelism(micro_batch=8, seq_len=2048, gpus=8, pp=2, micro_batches=4,
                                                   framework="deepspeed", flash_attention=True), "a100-40gb")
    assert e.fits is False and e.fix is not None
    assert e.fix.changes.get("pp", 2) == 1 or e.fix.changes.get("zero", 0) <= 1


def test_deepspeed_pipelines_run_no_virtual_stages():
    # DeepSpeed's pipeline engine has one training schedule, 1F1B (deepspeed/runtime/pipe/schedule.py:
    # TrainSchedule): virtual stages are refused by name and never searched; Megatron and torchtitan interleave
    with pytest.raises(InputError) as e:
        Parallelism(framework="deepspeed", pp=2, vpp=2, gpus=8, micro_batches=4)
    assert e.value.field == "vpp" and "deepspeed" in str(e.value)
    for fw, interleaves in (("deepspeed", False), ("megatron", True)):
        frame = search_layouts(MPT7B, 16, "h100-sxm", seq_len=2048, tokens_per_step=128 * 2048,
                               base=Parallelism(framework=fw, seq_len=2048))
        assert (frame.pp > 1).any() and (frame.vpp > 1).any() == interleaves
