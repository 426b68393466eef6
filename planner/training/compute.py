"""Training compute, time and money.

* C ≈ 6·N·D FLOPs (forward 2N, backward 4N per token; N = active parameters for MoE);
* the attention-aware count adds 12·L·h·e·T FLOPs per token for the attention scores
  (nanoGPT's ``transformer_sizing.ipynb``; halved when ``causal=True`` counts only the
  unmasked half);
* GPU-hours = C / (peak FLOP/s × MFU × 3600); wall-clock = GPU-hours / GPUs;
  cost = GPU-hours × price per GPU-hour. Peaks are dense BF16 (``data/accelerators.csv``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import validate
from ..arrays import floats, like
from ..datafiles import lookup, read_csv

DEFAULT_MFU = 0.40
MFU_RANGE = (0.001, 1.0)  # model FLOPs utilisation: a fraction of the peak
MAX_PRICE = 1e6           # dollars per accelerator-hour


def training_flops(params, tokens):
    """6·N·D in float64 (vectorised; never overflows)."""
    n, d = floats(params, tokens)
    return like(6.0 * n * d, params, tokens)


def attention_flops_per_token(num_layers, num_heads, head_dim, seq_len, causal: bool = False):
    """Extra training FLOPs per token for attention scores: 12·L·h·e·T (÷2 when ``causal``)."""
    layers, heads, e, t = floats(num_layers, num_heads, head_dim, seq_len)
    f = 12.0 * layers * heads * e * t
    return like(f / 2 if causal else f, num_layers, num_heads, head_dim, seq_len)


def accelerators() -> dict[str, float]:
    """Known accelerators (``data/accelerators.csv``): key → dense BF16 peak TFLOP/s."""
    return {row["key"]: float(row["peak_dense_bf16_tflops"]) for row in read_csv("accelerators.csv")}


def accelerator(name: str) -> dict:
    """The row of ``data/accelerators.csv`` for a key (``h100-sxm``) or a full name."""
    row = lookup(name, "accelerators.csv", ("key", "name"), "hardware.accelerator")
    return {"key": row["key"], "name": row["name"], "peak_tflops": float(row["peak_dense_bf16_tflops"])}


def gpu_hours(flops, peak_tflops, mfu=DEFAULT_MFU):
    """Accelerator-hours to do ``flops`` at ``mfu`` of a ``peak_tflops`` dense peak."""
    c, peak, m = floats(flops, peak_tflops, mfu)
    return like(c / (peak * 1e12 * m * 3600.0), flops, peak_tflops, mfu)


@dataclass(frozen=True)
class ComputeEstimate:
    flops: float                 # 6·N·D
    flops_with_attention: float  # (6·N + attention per token)·D
    causal_halving: bool
    accelerator: str
    peak_tflops: float
    count: int
    mfu: float
    gpu_hours: float
    wall_clock_hours: float
    price_per_gpu_hour: float | None
    cost: float | None

    @property
    def days(self) -> float:
        return self.wall_clock_hours / 24

    def to_dict(self) -> dict:
        return {**asdict(self), "days": self.days}


def estimate(params, tokens, *, accelerator_name: str = "h100-sxm", count: int = 1, mfu: float = DEFAULT_MFU,
             price_per_gpu_hour: float | None = None, attention_per_token: float = 0.0,
             causal: bool = False) -> ComputeEstimate:
    """FLOPs, GPU-hours, wall-clock and cost of training ``params`` (active) on ``tokens``."""
    n = validate.count("params", params)
    d = validate.count("tokens", tokens)
    gpus = validate.count("hardware.count", count)
    mfu = validate.positive_real("hardware.mfu", mfu, minimum=MFU_RANGE[0], inclusive=True, maximum=MFU_RANGE[1])
    price = None if price_per_gpu_hour is None else validate.positive_real(
        "hardware.price_per_gpu_hour", price_per_gpu_hour, inclusive=True, maximum=MAX_PRICE)
    acc = accelerator(accelerator_name)
    c = training_flops(n, d)
    hours = gpu_hours(c, acc["peak_tflops"], mfu)
    return ComputeEstimate(
        flops=c, flops_with_attention=(6.0 * n + attention_per_token) * float(d), causal_halving=causal,
        accelerator=acc["name"], peak_tflops=acc["peak_tflops"], count=gpus, mfu=mfu, gpu_hours=hours,
        wall_clock_hours=hours / gpus, price_per_gpu_hour=price, cost=None if price is None else hours * price)
