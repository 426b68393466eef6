"""Time that matches real runs: published training times reproduced from the formulas.

Narayanan et al. 2021 (arXiv:2104.04473), Table 2 and §5.1: end-to-end time ≈ 8·T·P / (n·X) with full
activation recompute, X the achieved FLOP/s per GPU. nanoGPT's ``transformer_sizing.ipynb``: 124M
parameters on 300B tokens on 8 A100s at 30% MFU takes 3.46 days.
"""

import numpy as np
import pytest

from planner import InputError
from planner.training.compute import accelerator, estimate, gpu_hours_achieved, training_flops


@pytest.mark.parametrize("gpus, tflops, days", [(384, 153, 84), (768, 149, 43), (1536, 141, 23)])
def test_narayanan_table_2_gpt3_days(gpus, tflops, days):
    e = estimate(175 * 10**9, 300 * 10**9, accelerator_name="a100", count=gpus, achieved_tflops=tflops,
                 recompute="full")
    assert e.flops == 8 * 175e9 * 300e9
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
    assert b.flops == 8e9 * 2e10 and a.flops == 6e9 * 2e10
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
