import numpy as np
import pytest

from planner import InputError
from planner.training.compute import (
    accelerator,
    accelerators,
    attention_flops_per_token,
    estimate,
    gpu_hours,
    training_flops,
)


def test_six_nd():
    assert training_flops(70e9, 1.4e12) == pytest.approx(5.88e23)  # Chinchilla: 6 × 70B × 1.4T
    assert training_flops(np.array([1e13]), np.array([1e14]))[0] == 6e27  # 10T × 100T: finite, float64


def test_attention_term_matches_nanogpt_formula():
    # GPT-2 124M at T = 1024: 12·L·h·e·T = 12 × 12 × 12 × 64 × 1024 per token.
    assert attention_flops_per_token(12, 12, 64, 1024) == 12 * 12 * 12 * 64 * 1024
    assert attention_flops_per_token(12, 12, 64, 1024, causal=True) == 12 * 12 * 12 * 64 * 1024 / 2


def test_gpu_hours_cost_by_hand():
    # 1B parameters on 20B tokens = 1.2e20 FLOPs, on H100 SXM (989.4 TFLOP/s dense BF16) at 40% MFU:
    hours = 1.2e20 / (989.4e12 * 0.40 * 3600)
    e = estimate(10**9, 2 * 10**10, accelerator_name="h100-sxm", count=8, mfu=0.4, price_per_gpu_hour=2.5)
    assert e.flops == pytest.approx(1.2e20)
    assert e.gpu_hours == pytest.approx(hours) and round(hours, 1) == 84.2
    assert e.wall_clock_hours == pytest.approx(hours / 8)
    assert e.cost == pytest.approx(hours * 2.5)
    assert e.days == pytest.approx(hours / 8 / 24)
    assert gpu_hours(np.array([1.2e20]), 989.4, 0.4)[0] == pytest.approx(hours)


def test_accelerator_table_is_dense_bf16():
    assert accelerators()["h100-sxm"] == 989.4     # not the 1,979 sparse headline
    assert accelerators()["a100"] == 312
    assert accelerator("NVIDIA H100 SXM5 80GB")["key"] == "h100-sxm"


@pytest.mark.parametrize("kwargs, field", [
    (dict(mfu=0), "hardware.mfu"), (dict(mfu=1.5), "hardware.mfu"), (dict(count=0), "hardware.count"),
    (dict(price_per_gpu_hour=-1), "hardware.price_per_gpu_hour"),
])
def test_bad_hardware(kwargs, field):
    with pytest.raises(InputError) as e:
        estimate(1e9, 1e10, **kwargs)
    assert e.value.field == field


def test_unknown_accelerator_lists_known():
    with pytest.raises(Exception, match="h100-sxm"):
        accelerator("tpu-v9")
