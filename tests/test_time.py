"""Time that matches real runs: published training times reproduced from the formulas.

Narayanan et al. 2021 (arXiv:2104.04473), Table 2 and §5.1: end-to-end time ≈ 8·T·P / (n·X) with full
activation recompute, X the achieved FLOP/s per GPU. nanoGPT's ``transformer_sizing.ipynb``: 124M
parameters on 300B tokens on 8 A100s at 30% MFU takes 3.46 days.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from planner import InputError
from planner.model.architecture import Architecture
from planner.model.catalog import architecture
from planner.surfaces.report import summary_rows
from planner.training.budget import budget
from planner.training.compute import accelerator, estimate, gpu_hours_achieved, training_flops
from planner.training.flops import attention_flops_per_token, token_flops
from planner.verdict.assessment import assess_plan
from planner.verdict.planfile import load_plan, plan_from_dict, plan_to_dict
from planner.verdict.schema import Plan


@pytest.mark.parametrize("gpus, tflops, days", [(384, 153, 84), (768, 149, 43), (1536, 141, 23)])
def test_narayanan_table_2_gpt3_days(gpus, tflops, days):
    e = estimate(175 * 10**9, 300 * 10**9, accelerator_name="a100", count=gpus, achieved_tflops=tflops,
                 recompute="full")
    assert e.hardware_flops == e.flops == 8 * 175e9 * 300e9
    assert e.days == pytest.approx(days, rel=0.03)
    assert e.model_flops == 6 * 175e9 * 300e9
    assert e.mfu == pytest.approx(tflops / 312 * 6 / 8)  # the implied MFU (model FLOPs only)


def test_nanogpt_124m_on_300b_tokens():
    # transformer_sizing.ipynb: params()['total'] = 124,337,664; 6·N·D / (8 × 312e12 × 0.30) seconds
    e = estimate(124_337_664, 300 * 10**9, accelerator_name="a100", count=8, mfu=0.30)
    assert round(e.days, 2) == 3.46


def test_recompute_factor():
    assert training_flops(1e9, 1e10) == 6e19
    assert training_flops(1e9, 1e10, recompute="selective") == 6e19
    assert training_flops(1e9, 1e10, recompute="full") == 8e19
    assert training_flops(np.array([1e9]), np.array([1e10]), recompute="full")[0] == 8e19


def test_mfu_time_counts_model_flops_whatever_the_recompute():
    # MFU is defined on model FLOPs (6·N·D), so full recompute changes the FLOPs executed, not this time.
    a = estimate(10**9, 2 * 10**10, accelerator_name="h100-sxm", count=8, mfu=0.4)
    b = estimate(10**9, 2 * 10**10, accelerator_name="h100-sxm", count=8, mfu=0.4, recompute="full")
    assert b.hardware_flops == b.flops == 8e9 * 2e10 and a.hardware_flops == a.flops == b.model_flops == 6e9 * 2e10
    assert b.hfu == pytest.approx(0.4 * 8 / 6) and a.hfu == 0.4
    assert a.gpu_hours == b.gpu_hours == pytest.approx(1.2e20 / (989.4e12 * 0.4 * 3600))


def test_achieved_tflops_by_hand():
    # 1.2e20 FLOPs at 400 TFLOP/s per GPU: 1.2e20 / 4e14 / 3600 = 83.33 GPU-hours
    assert gpu_hours_achieved(1.2e20, 400) == pytest.approx(83.333, rel=1e-4)
    e = estimate(10**9, 2 * 10**10, accelerator_name="h100-sxm", count=4, achieved_tflops=400, price_per_gpu_hour=2)
    assert e.gpu_hours == pytest.approx(1.2e20 / 4e14 / 3600)
    assert e.wall_clock_hours == pytest.approx(e.gpu_hours / 4) and e.cost == pytest.approx(2 * e.gpu_hours)


@pytest.mark.parametrize("kw, field", [
    (dict(achieved_tflops=2000), "hardware.achieved_tflops"),      # above the H100's 989.4 dense peak
    (dict(achieved_tflops=0), "hardware.achieved_tflops"),
    (dict(achieved_tflops=100, mfu=0.4), "hardware.achieved_tflops"),
    (dict(recompute="half"), "parallelism.recompute"),
    (dict(mfu=None), "hardware.mfu"),
])
def test_bad_time_inputs(kw, field):
    with pytest.raises(InputError) as e:
        estimate(10**9, 10**10, **kw)
    assert e.value.field == field


@pytest.mark.parametrize("key, tflops, gb", [
    ("h200", 989, 141), ("b200", 2250, 180), ("mi300x", 1307.4, 192), ("mi325x", 1307.4, 256),
    ("tpu-v5p", 459, 95), ("tpu-v6e", 918, 32), ("gaudi3", 1835, 128), ("l40s", 362.05, 48),
    ("a100-40gb", 312, 40), ("a100-80gb", 312, 80), ("rtx4090", 165.15, 24), ("a100", 312, 80),
])
def test_accelerators_have_dense_peaks_and_memory(key, tflops, gb):
    # dense BF16 peaks and capacities from the vendors' data sheets (sources in data/accelerators.csv)
    acc = accelerator(key)
    assert acc["peak_tflops"] == tflops and acc["memory_gb"] == gb and acc["memory_bytes"] == gb * 2**30


# ---- the FLOPs the MFU counts ------------------------------------------------------------------------------------

LLAMA3_8B = 8_030_261_248                  # 32 layers, 32 heads of 128, vocab 128,256 × 4,096 untied
EMBEDDING = 128_256 * 4096


def test_palm_is_torchtitans_count_for_llama_3_8b():
    # torchtitan get_nparams_and_flops: 6 × (nparams − nparams_embedding) + 12 × l × h × q × t
    t = token_flops(architecture("llama-3-8b"), 8192)
    assert t.convention == "palm" and t.params == LLAMA3_8B - EMBEDDING
    assert t.model == 6 * (LLAMA3_8B - EMBEDDING) + 12 * 32 * 32 * 128 * 8192


def test_each_convention_by_hand():
    arch = architecture("llama-3-8b")                          # untied: megatron keeps the head, drops the lookup
    assert token_flops(arch, 8192, "megatron").model == 6 * (LLAMA3_8B - EMBEDDING) + 12 * 32 * 32 * 128 * 8192
    assert token_flops(arch, 8192, "llm-foundry").model == 6 * LLAMA3_8B + 12 * 32 * 4096 * 8192
    assert token_flops(arch, 8192, "6nd").model == 6 * LLAMA3_8B
    tied = architecture("qwen2.5-0.5b")                        # tied: palm drops the shared matrix, megatron keeps it
    n, emb = 494_032_768, 151_936 * 896
    assert token_flops(tied, 2048, "palm").params == n - emb and token_flops(tied, 2048, "megatron").params == n


def test_causal_and_sliding_windows_by_hand():
    # full square: T keys per query; causal: T/2; a window w: min(T, w), causal w − w²/(2T)
    full = 12 * 2 * 8 * 64 * 4096
    assert attention_flops_per_token(2, 8, 64, 4096) == full
    assert attention_flops_per_token(2, 8, 64, 4096, causal=True) == full / 2
    assert attention_flops_per_token(2, 8, 64, 4096, window=1024) == full / 4
    assert attention_flops_per_token(2, 8, 64, 4096, window=1024, window_layers=1) == full * (1 + 1 / 4) / 2
    assert attention_flops_per_token(2, 8, 64, 4096, causal=True, window=1024) == 12 * 2 * 8 * 64 * (1024 - 128)
    assert attention_flops_per_token(2, 8, 64, 1024, window=4096) == 12 * 2 * 8 * 64 * 1024   # w > T: T
    many = attention_flops_per_token(2, 8, 64, np.array([1024, 4096]), window=2048)
    assert many.tolist() == [12 * 2 * 8 * 64 * 1024, 12 * 2 * 8 * 64 * 2048]


def test_latent_attention_counts_its_value_width():
    # DeepSeek-V3: 128 heads, q/k 192 (128 + 64 rotary), v 128: 6·H·(192 + 128)·T per layer, 61 layers
    t = token_flops(architecture("deepseek-v3"), 4096)
    assert t.attention == 6 * 128 * (192 + 128) * 4096 * 61


def test_moe_counts_active_parameters():
    # gpt-oss-120b: the card's 5.1B active = the active N without the token embedding = palm's N
    t = token_flops(architecture("gpt-oss-120b"), 4096, "palm")
    assert round(t.params / 1e9, 2) == 5.13


def test_recompute_adds_hardware_flops_not_model_flops():
    t = token_flops(Architecture(2, 64, 4, 100), 128, "palm")
    assert t.hardware("none") == t.model
    assert t.hardware("selective") == t.model + t.attention / 3          # the attention core's forward again
    assert t.hardware("full") == t.model + 2 * t.params + t.attention / 3  # the whole forward again


def test_time_from_the_conventions_flops_and_goodput_apart():
    t = token_flops(architecture("llama-3-8b"), 8192)
    e = estimate(LLAMA3_8B, 10**12, accelerator_name="h100-sxm", count=8, mfu=0.4, per_token=t, goodput=0.8,
                 price_per_gpu_hour=2)
    useful = t.model * 1e12 / (989.4e12 * 0.4 * 3600)
    assert e.useful_gpu_hours == pytest.approx(useful) and e.gpu_hours == pytest.approx(useful / 0.8)
    assert e.wall_clock_hours == pytest.approx(useful / 0.8 / 8) and e.cost == pytest.approx(2 * useful / 0.8)
    assert e.flops == 6 * LLAMA3_8B * 1e12 and e.mfu_flops == t.model * 1e12


@pytest.mark.parametrize("kw, field", [(dict(goodput=0), "hardware.goodput"), (dict(goodput=1.5), "hardware.goodput"),
                                       (dict(mfu_convention="hfu"), "hardware.mfu_convention")])
def test_plan_refuses_bad_time_fields(kw, field):
    with pytest.raises(InputError) as e:
        Plan(budget=budget(10, tokens_per_step=100), params=10**6, **kw)
    assert e.value.field == field


def test_plan_files_carry_the_convention_and_goodput():
    plan = load_plan("data/plans/origin-case.toml").with_(mfu_convention="megatron", goodput=0.9)
    doc = plan_to_dict(plan)
    assert doc["hardware"]["mfu_convention"] == "megatron" and doc["hardware"]["goodput"] == 0.9
    assert plan_from_dict(doc) == plan
    assert "mfu_convention" not in plan_to_dict(load_plan("data/plans/origin-case.toml"))["hardware"]


def test_report_says_which_flops_the_mfu_counts():
    a = assess_plan(load_plan("data/plans/origin-case.toml").with_(goodput=0.5))
    rows = dict(summary_rows(a))
    assert "12·L·H·Q·T (palm), full square" in rows["MFU counts"] and "MFU of palm FLOPs" in rows["Hardware"]
    assert "50% goodput" in rows["GPU-hours"]


def test_cli_time_options():
    out = subprocess.run([sys.executable, "-m", "planner", "check", "--model", "llama-3-8b", "--steps", "100",
                          "--tokens-per-step", "1e6", "--mfu", "50%", "--mfu-convention", "6nd", "--goodput", "0.5",
                          "--json", "--force-under-provisioned"], capture_output=True, text=True, check=True).stdout
    c = json.loads(out)["compute"]
    assert c["mfu_convention"] == "6nd" and c["mfu"] == 0.5 and c["goodput"] == 0.5
    assert c["gpu_hours"] == pytest.approx(6 * LLAMA3_8B * 1e8 / (989.4e12 * 0.5 * 3600) / 0.5)
