"""Training compute, time and money.

* C ≈ 6·N·D FLOPs (forward 2N, backward 4N per token; N = active parameters for MoE); full
  activation recompute runs the forward pass twice: 8·N·D executed FLOPs (Narayanan et al. 2021,
  arXiv:2104.04473, §5.1);
* the attention-aware count adds 12·L·h·e·T FLOPs per token for the attention scores
  (nanoGPT's ``transformer_sizing.ipynb``; halved when ``causal=True`` counts only the
  unmasked half);
* two ways to time a run:

  - an MFU (model FLOPs utilisation) of the peak: GPU-hours = 6·N·D / (peak × MFU × 3600).
    MFU counts model FLOPs by definition, so recompute does not change this time;
  - an achieved FLOP/s per GPU, as large runs report it (Narayanan et al.'s X): GPU-hours =
    executed FLOPs / (X × 3600), with 8·N·D under full recompute. GPT-3 175B on 300B tokens at
    153 TFLOP/s on 384 A100s: 8·T·P/(n·X) ≈ 84 days (their Table 2);

  wall-clock = GPU-hours / GPUs; cost = GPU-hours × price per GPU-hour. Peaks are dense BF16
  and memory capacities are per accelerator (``data/accelerators.csv``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import validate
from ..arrays import floats, like
from ..datafiles import lookup, read_csv
from ..errors import InputError

DEFAULT_MFU = 0.40
MFU_RANGE = (0.001, 1.0)  # model FLOPs utilisation: a fraction of the peak
MAX_PRICE = 1e6           # dollars per accelerator-hour


#: Training FLOPs per parameter per token, by activation recompute: forward 2 + backward 4, plus
#: another forward pass (2) under full recompute. Selective recompute re-runs only the attention
#: core (the s² terms, counted by the attention term), so it stays 6.
RECOMPUTE_FACTOR = {"none": 6.0, "selective": 6.0, "full": 8.0}


def _recompute(recompute: str, field: str = "recompute") -> float:
    try:
        return RECOMPUTE_FACTOR[recompute]
    except (KeyError, TypeError):
        raise InputError(field, f"one of {', '.join(RECOMPUTE_FACTOR)}", recompute) from None


def training_flops(params, tokens, recompute: str = "none"):
    """Training FLOPs of ``params`` (active) parameters on ``tokens`` tokens, in float64 (vectorised).

    ``recompute`` is ``"none"`` or ``"selective"`` (6·N·D) or ``"full"`` (8·N·D: the forward pass
    runs again during the backward). Scalars in, a float out; arrays in, an array out. Raises
    :class:`~planner.errors.InputError` for an unknown ``recompute``.
    """
    factor = _recompute(recompute)
    n, d = floats(params, tokens)
    return like(factor * n * d, params, tokens)


def attention_flops_per_token(num_layers, num_heads, head_dim, seq_len, causal: bool = False):
    """Extra training FLOPs per token for attention scores: 12·L·h·e·T (÷2 when ``causal``)."""
    layers, heads, e, t = floats(num_layers, num_heads, head_dim, seq_len)
    f = 12.0 * layers * heads * e * t
    return like(f / 2 if causal else f, num_layers, num_heads, head_dim, seq_len)


def accelerators() -> dict[str, float]:
    """Known accelerators (``data/accelerators.csv``): key → dense BF16 peak TFLOP/s."""
    return {row["key"]: float(row["peak_dense_bf16_tflops"]) for row in read_csv("accelerators.csv")}


def accelerator(name: str) -> dict:
    """The row of ``data/accelerators.csv`` for a key (``h100-sxm``) or a full name.

    Returns ``key``, ``name``, ``peak_tflops`` (dense BF16), ``memory_gb`` (the vendor's figure)
    and ``memory_bytes`` (what the memory estimate compares against: the vendor's GB as binary
    GiB, ``memory_gb × 2**30``). Raises :class:`~planner.errors.UnknownModelError` naming
    ``hardware.accelerator`` for a name that is not in the table.
    """
    row = lookup(name, "accelerators.csv", ("key", "name"), "hardware.accelerator")
    mem = row.get("memory_bytes") or None
    return {"key": row["key"], "name": row["name"], "peak_tflops": float(row["peak_dense_bf16_tflops"]),
            "memory_gb": float(row["memory_gb"]) if row.get("memory_gb") else None,
            "memory_bytes": int(mem) if mem else None}


def gpu_hours(flops, peak_tflops, mfu=DEFAULT_MFU):
    """Accelerator-hours to do ``flops`` at ``mfu`` of a ``peak_tflops`` dense peak (vectorised)."""
    c, peak, m = floats(flops, peak_tflops, mfu)
    return like(c / (peak * 1e12 * m * 3600.0), flops, peak_tflops, mfu)


def gpu_hours_achieved(flops, achieved_tflops):
    """Accelerator-hours to execute ``flops`` at ``achieved_tflops`` TFLOP/s per accelerator (vectorised).

    Narayanan et al. 2021's time estimate is this divided by the number of GPUs:
    8·T·P / (n·X) with ``flops`` = 8·T·P under full recompute.
    """
    c, x = floats(flops, achieved_tflops)
    return like(c / (x * 1e12 * 3600.0), flops, achieved_tflops)


@dataclass(frozen=True)
class ComputeEstimate:
    """FLOPs, time and cost of one run.

    ``flops`` is 6·N·D, or 8·N·D with full recompute (the FLOPs executed); ``model_flops`` is
    always 6·N·D. ``mfu`` is the model FLOPs utilisation the time assumes (given, or implied by
    ``achieved_tflops``: model FLOPs / (executed FLOPs) × achieved / peak).
    """

    flops: float                 # executed: 6·N·D, or 8·N·D with full recompute
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
    recompute: str = "none"
    achieved_tflops: float | None = None  # given: the run was timed by achieved FLOP/s per GPU
    model_flops: float | None = None      # 6·N·D

    @property
    def days(self) -> float:
        return self.wall_clock_hours / 24

    def to_dict(self) -> dict:
        return {**asdict(self), "days": self.days}


class _DefaultMFU(float):
    """:data:`DEFAULT_MFU` as ``estimate``'s default, told apart from an MFU the caller gave."""


_MFU_NOT_GIVEN = _DefaultMFU(DEFAULT_MFU)


def estimate(params, tokens, *, accelerator_name: str = "h100-sxm", count: int = 1, mfu: float = _MFU_NOT_GIVEN,
             price_per_gpu_hour: float | None = None, attention_per_token: float = 0.0,
             causal: bool = False, recompute: str = "none", achieved_tflops: float | None = None) -> ComputeEstimate:
    """FLOPs, GPU-hours, wall-clock and cost of training ``params`` (active) on ``tokens``.

    ``accelerator_name`` is a key or name of ``data/accelerators.csv``, ``count`` the number of
    accelerators, ``price_per_gpu_hour`` dollars (optional: no price, no cost). Time the run by
    ``mfu`` (a fraction of the dense peak, default :data:`DEFAULT_MFU`; counts 6·N·D whatever the
    recompute) or by ``achieved_tflops`` (TFLOP/s per accelerator as large runs report it, at most
    the peak; counts the executed FLOPs, 8·N·D with ``recompute="full"``) — not both.
    ``attention_per_token`` adds the attention FLOPs per token to ``flops_with_attention``.

    Raises :class:`~planner.errors.InputError` naming ``params``, ``tokens``, ``hardware.count``,
    ``hardware.mfu``, ``hardware.achieved_tflops``, ``hardware.price_per_gpu_hour`` or
    ``parallelism.recompute``; :class:`~planner.errors.UnknownModelError` for an unknown accelerator.
    """
    n = validate.count("params", params)
    d = validate.count("tokens", tokens)
    gpus = validate.count("hardware.count", count)
    if mfu is not _MFU_NOT_GIVEN and achieved_tflops is not None:
        raise InputError("hardware.achieved_tflops", "either mfu or achieved_tflops, not both",
                         detail="give either mfu or achieved_tflops, not both")
    if achieved_tflops is None:
        mfu = validate.positive_real("hardware.mfu", float(mfu) if type(mfu) is _DefaultMFU else mfu,
                                     minimum=MFU_RANGE[0], inclusive=True, maximum=MFU_RANGE[1])
    price = None if price_per_gpu_hour is None else validate.positive_real(
        "hardware.price_per_gpu_hour", price_per_gpu_hour, inclusive=True, maximum=MAX_PRICE)
    factor = _recompute(recompute, "parallelism.recompute")
    acc = accelerator(accelerator_name)
    model_c = training_flops(n, d)
    c = factor / 6.0 * model_c
    if achieved_tflops is not None:
        achieved_tflops = validate.positive_real("hardware.achieved_tflops", achieved_tflops,
                                                 maximum=acc["peak_tflops"])
        hours = gpu_hours_achieved(c, achieved_tflops)
        mfu = achieved_tflops / acc["peak_tflops"] * 6.0 / factor
    else:
        hours = gpu_hours(model_c, acc["peak_tflops"], mfu)
    return ComputeEstimate(
        flops=c, flops_with_attention=(6.0 * n + attention_per_token) * float(d), causal_halving=causal,
        accelerator=acc["name"], peak_tflops=acc["peak_tflops"], count=gpus, mfu=mfu, gpu_hours=hours,
        wall_clock_hours=hours / gpus, price_per_gpu_hour=price, cost=None if price is None else hours * price,
        recompute=recompute, achieved_tflops=achieved_tflops, model_flops=model_c)
