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
    140 TFLOP/s on 1,024 A100s: 8·T·P/(n·X) ≈ 34 days (their §5.1);

  wall-clock = GPU-hours / GPUs; cost = GPU-hours × price per GPU-hour. Peaks are dense BF16
  and memory capacities are per accelerator (``data/accelerators.csv``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TypedDict, overload

from .. import validate
from ..arrays import ArrayLike, FloatOrArray, floats, like
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


@overload
def training_flops(params: float, tokens: float, recompute: str = "none") -> float: ...
@overload
def training_flops(params: ArrayLike, tokens: ArrayLike, recompute: str = "none") -> FloatOrArray: ...
def training_flops(params: ArrayLike, tokens: ArrayLike, recompute: str = "none") -> FloatOrArray:
    """Training FLOPs of ``params`` (active) parameters on ``tokens`` tokens, in float64 (vectorised).

    Scalars in, a float out; arrays in, an array out (callers validate N and D).

    Args:
        params: N, active parameters (a number or an array).
        tokens: D, training tokens (a number or an array).
        recompute: ``"none"`` or ``"selective"`` (6·N·D) or ``"full"`` (8·N·D: the forward pass runs
            again during the backward).

    Returns:
        The FLOPs: a float, or an array when either input is one.

    Raises:
        InputError: ``recompute`` is not one of ``none``, ``selective``, ``full``.

    Examples:
        Chinchilla (70B parameters, 1.4T tokens): 6 × 70e9 × 1.4e12 = 5.88e23 FLOPs.

        >>> training_flops(70e9, 1.4e12)
        5.88e+23
        >>> training_flops(70e9, 1.4e12, recompute="full") / training_flops(70e9, 1.4e12)
        1.3333333333333333
    """
    factor = _recompute(recompute)
    n, d = floats(params, tokens)
    return like(factor * n * d, params, tokens)


@overload
def attention_flops_per_token(num_layers: float, num_heads: float, head_dim: float, seq_len: float,
                              causal: bool = False) -> float: ...
@overload
def attention_flops_per_token(num_layers: ArrayLike, num_heads: ArrayLike, head_dim: ArrayLike, seq_len: ArrayLike,
                              causal: bool = False) -> FloatOrArray: ...
def attention_flops_per_token(num_layers: ArrayLike, num_heads: ArrayLike, head_dim: ArrayLike, seq_len: ArrayLike,
                              causal: bool = False) -> FloatOrArray:
    """Extra training FLOPs per token for attention scores: 12·L·h·e·T (÷2 when ``causal``).

    Args:
        num_layers: L.
        num_heads: h, attention heads.
        head_dim: e, the dimension of one head.
        seq_len: T, tokens per sequence.
        causal: Count only the unmasked half of the scores.

    Returns:
        FLOPs per token: a float, or an array when any input is one.

    Examples:
        >>> attention_flops_per_token(12, 12, 64, 1024)
        113246208.0
    """
    layers, heads, e, t = floats(num_layers, num_heads, head_dim, seq_len)
    f = 12.0 * layers * heads * e * t
    return like(f / 2 if causal else f, num_layers, num_heads, head_dim, seq_len)


def accelerators() -> dict[str, float]:
    """Known accelerators (``data/accelerators.csv``): key → dense BF16 peak TFLOP/s.

    Returns:
        A dict from each accelerator's key to its peak, in the file's order.
    """
    return {row["key"]: float(row["peak_dense_bf16_tflops"]) for row in read_csv("accelerators.csv")}


class Accelerator(TypedDict):
    """A row of ``data/accelerators.csv`` as :func:`accelerator` returns it (a plain dict at run time)."""

    key: str
    name: str
    peak_tflops: float
    memory_gb: float | None
    memory_bytes: int | None


def accelerator(name: str) -> Accelerator:
    """The row of ``data/accelerators.csv`` for a key (``h100-sxm``) or a full name.

    Args:
        name: A key (``h100-sxm``) or a full name (``NVIDIA H100 SXM5 80GB``), in any case.

    Returns:
        A dict of ``key``, ``name``, ``peak_tflops`` (dense BF16), ``memory_gb`` (the vendor's figure)
            and ``memory_bytes`` (what the memory estimate compares against: the vendor's GB as binary
            GiB, ``memory_gb × 2**30``); the memory fields are None when the table has no figure.

    Raises:
        UnknownModelError: Naming ``hardware.accelerator``: the name is not in the table.

    Examples:
        >>> a = accelerator("h100-sxm")
        >>> a["peak_tflops"], a["memory_bytes"] == 80 * 2**30
        (989.4, True)
    """
    row = lookup(name, "accelerators.csv", ("key", "name"), "hardware.accelerator")
    mem = row.get("memory_bytes") or None
    return {"key": row["key"], "name": row["name"], "peak_tflops": float(row["peak_dense_bf16_tflops"]),
            "memory_gb": float(row["memory_gb"]) if row.get("memory_gb") else None,
            "memory_bytes": int(mem) if mem else None}


@overload
def gpu_hours(flops: float, peak_tflops: float, mfu: float = DEFAULT_MFU) -> float: ...
@overload
def gpu_hours(flops: ArrayLike, peak_tflops: ArrayLike, mfu: ArrayLike = DEFAULT_MFU) -> FloatOrArray: ...
def gpu_hours(flops: ArrayLike, peak_tflops: ArrayLike, mfu: ArrayLike = DEFAULT_MFU) -> FloatOrArray:
    """Accelerator-hours to do ``flops`` at ``mfu`` of a ``peak_tflops`` dense peak (vectorised; callers validate).

    Args:
        flops: Model FLOPs (6·N·D).
        peak_tflops: The accelerator's dense peak, TFLOP/s.
        mfu: Model FLOPs utilisation, a fraction of the peak (default :data:`DEFAULT_MFU`, 0.40).

    Returns:
        flops / (peak × 10¹² × MFU × 3600): a float, or an array when any input is one.

    Examples:
        3.6e18 FLOPs at half of a 1,000 TFLOP/s peak take two hours:

        >>> gpu_hours(3.6e18, 1000, 0.5)
        2.0
    """
    c, peak, m = floats(flops, peak_tflops, mfu)
    return like(c / (peak * 1e12 * m * 3600.0), flops, peak_tflops, mfu)


@overload
def gpu_hours_achieved(flops: float, achieved_tflops: float) -> float: ...
@overload
def gpu_hours_achieved(flops: ArrayLike, achieved_tflops: ArrayLike) -> FloatOrArray: ...
def gpu_hours_achieved(flops: ArrayLike, achieved_tflops: ArrayLike) -> FloatOrArray:
    """Accelerator-hours to execute ``flops`` at ``achieved_tflops`` TFLOP/s per accelerator (vectorised).

    Narayanan et al. 2021's time estimate is this divided by the number of GPUs:
    8·T·P / (n·X) with ``flops`` = 8·T·P under full recompute.

    Args:
        flops: Executed FLOPs (8·N·D under full recompute).
        achieved_tflops: X, the TFLOP/s each accelerator achieves.

    Returns:
        flops / (X × 10¹² × 3600): a float, or an array when either input is one.

    Examples:
        GPT-3 (175B parameters, 300B tokens) on 1,024 GPUs at 140 TFLOP/s each: about 34 days
        (Narayanan et al. 2021, §5.1).

        >>> round(gpu_hours_achieved(8 * 175e9 * 300e9, 140) / 1024 / 24, 1)
        33.9
    """
    c, x = floats(flops, achieved_tflops)
    return like(c / (x * 1e12 * 3600.0), flops, achieved_tflops)


@dataclass(frozen=True)
class ComputeEstimate:
    """FLOPs, time and cost of one run.

    Attributes:
        flops: The FLOPs executed: 6·N·D, or 8·N·D with full recompute.
        flops_with_attention: (6·N + attention FLOPs per token)·D.
        causal_halving: The attention FLOPs count only the unmasked half.
        accelerator: The accelerator's full name.
        peak_tflops: Its dense BF16 peak.
        count: Accelerators.
        mfu: The model FLOPs utilisation the time assumes (given, or implied by ``achieved_tflops``:
            model FLOPs / executed FLOPs × achieved / peak).
        gpu_hours: Accelerator-hours.
        wall_clock_hours: gpu_hours / count.
        price_per_gpu_hour: Dollars per accelerator-hour, when given.
        cost: gpu_hours × price, when a price was given.
        recompute: ``none``, ``selective`` or ``full``.
        achieved_tflops: TFLOP/s per accelerator, when the run was timed by it.
        model_flops: Always 6·N·D.
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
        """Wall-clock days."""
        return self.wall_clock_hours / 24

    def to_dict(self) -> dict[str, object]:
        """The estimate as plain data (JSON-ready), with ``days`` added.

        Returns:
            A dict of every field and ``days``.
        """
        return {**asdict(self), "days": self.days}


class _DefaultMFU(float):
    """:data:`DEFAULT_MFU` as ``estimate``'s default, told apart from an MFU the caller gave."""


_MFU_NOT_GIVEN = _DefaultMFU(DEFAULT_MFU)


def estimate(params: int, tokens: int, *, accelerator_name: str = "h100-sxm", count: int = 1,
             mfu: float = _MFU_NOT_GIVEN, price_per_gpu_hour: float | None = None, attention_per_token: float = 0.0,
             causal: bool = False, recompute: str = "none", achieved_tflops: float | None = None) -> ComputeEstimate:
    """FLOPs, GPU-hours, wall-clock and cost of training ``params`` (active) on ``tokens``.

    Time the run by ``mfu`` or by ``achieved_tflops``, not both.

    Args:
        params: N, active parameters (a whole number from 1).
        tokens: D, training tokens (a whole number from 1).
        accelerator_name: A key or name of ``data/accelerators.csv``.
        count: Accelerators (a whole number from 1).
        mfu: A fraction of the dense peak from 0.001 to 1 (default :data:`DEFAULT_MFU`, 0.40); counts
            6·N·D whatever the recompute.
        price_per_gpu_hour: Dollars per accelerator-hour, from 0 to 10⁶ (optional: no price, no cost).
        attention_per_token: Attention FLOPs per token added to ``flops_with_attention``.
        causal: Recorded as ``causal_halving`` (the caller halves ``attention_per_token``).
        recompute: ``none``, ``selective`` or ``full`` (8·N·D executed FLOPs).
        achieved_tflops: TFLOP/s per accelerator as large runs report it, at most the peak; counts
            the executed FLOPs.

    Returns:
        The ``ComputeEstimate``.

    Raises:
        InputError: Naming ``params``, ``tokens``, ``hardware.count``, ``hardware.mfu``,
            ``hardware.achieved_tflops`` (also when given with ``mfu``), ``hardware.price_per_gpu_hour``
            or ``parallelism.recompute``.
        UnknownModelError: Naming ``hardware.accelerator``: an unknown accelerator.

    Examples:
        Chinchilla's 5.88e23 FLOPs at 40% of an H100's 989.4 TFLOP/s: 5.88e23 / (989.4e12 × 0.4 × 3600).

        >>> e = estimate(70_000_000_000, 1_400_000_000_000, accelerator_name="h100-sxm", count=1024, mfu=0.4)
        >>> round(e.gpu_hours), round(e.days, 1)
        (412708, 16.8)
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
