"""Training compute, time and money.

* C = 6·N·D FLOPs, the compute of the scaling laws (forward 2N, backward 4N per token; N = active
  parameters for MoE);
* time is timed on the FLOPs the MFU counts, by one of the field's conventions
  (:mod:`planner.training.flops`: by default 6·(N − embedding) + 12·L·H·Q·T per token, attention
  included, as torchtitan, nanochat and PaLM count it), or on the executed FLOPs at an achieved
  FLOP/s per GPU:

  - an MFU of the peak: useful GPU-hours = model FLOPs / (peak × MFU × 3600). MFU counts model
    FLOPs by definition, so recompute does not change this time;
  - an achieved FLOP/s per GPU, as large runs report it (Narayanan et al.'s X): useful GPU-hours =
    executed FLOPs / (X × 3600), the executed FLOPs adding what recompute runs again (8·N·D under
    full recompute without attention). GPT-3 175B on 300B tokens at 140 TFLOP/s on 1,024 A100s:
    8·T·P/(n·X) ≈ 34 days (Narayanan et al. 2021, arXiv:2104.04473, §5.1);

* goodput, the fraction of wall-clock spent on useful steps (restarts, checkpoints and stragglers
  take the rest; default 1.0), kept apart from MFU: GPU-hours = useful GPU-hours / goodput,
  wall-clock = GPU-hours / GPUs, cost = GPU-hours × price per GPU-hour. Peaks are dense BF16 and
  memory capacities are per accelerator (``data/accelerators.csv``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TypedDict, overload

from .. import validate
from ..arrays import ArrayLike, FloatOrArray, floats, like
from ..datafiles import lookup, read_csv
from ..errors import InputError
from .flops import RECOMPUTE, TokenFlops, attention_flops_per_token, recompute_extra

__all__ = ["DEFAULT_GOODPUT", "DEFAULT_MFU", "MAX_PRICE", "MFU_RANGE", "Accelerator", "ComputeEstimate", "accelerator",
           "accelerators", "attention_flops_per_token", "estimate", "gpu_hours", "gpu_hours_achieved", "training_flops"]

DEFAULT_MFU = 0.40
MFU_RANGE = (0.001, 1.0)  # model FLOPs utilisation: a fraction of the peak
MAX_PRICE = 1e6           # dollars per accelerator-hour
#: The fraction of wall-clock spent on useful training steps, by default: all of it. Published runs lose some
#: to restarts and checkpoints (Llama 3.1 405B's card ≈ 0.86 of the 6·N·D time at its MFU, PaLM ≈ 0.66).
DEFAULT_GOODPUT = 1.0


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
    n, d = floats(params, tokens)
    return like((6.0 * n + recompute_extra(n, 0.0, recompute)) * d, params, tokens)


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
        flops: 6·N·D, or 8·N·D with full recompute (:func:`training_flops`: attention left out).
        flops_with_attention: (6·N + the attention FLOPs per token)·D (6·N·D when attention is unknown).
        causal_halving: The attention FLOPs count only the unmasked keys.
        accelerator: The accelerator's full name.
        peak_tflops: Its dense BF16 peak.
        count: Accelerators.
        mfu: The model FLOPs utilisation the time assumes, of ``mfu_flops`` (given, or implied by
            ``achieved_tflops``: mfu_flops / hardware_flops × achieved / peak).
        gpu_hours: Accelerator-hours of wall-clock: useful hours / goodput (what a run is billed).
        wall_clock_hours: gpu_hours / count.
        price_per_gpu_hour: Dollars per accelerator-hour, when given.
        cost: gpu_hours × price, when a price was given.
        recompute: ``none``, ``selective`` or ``full``.
        achieved_tflops: TFLOP/s per accelerator, when the run was timed by it.
        model_flops: C = 6·N·D, the compute of the scaling laws (N active for MoE).
        mfu_convention: Which FLOPs the MFU counts (:data:`planner.training.flops.CONVENTIONS`).
        mfu_flops: The model FLOPs the MFU counts: the convention's FLOPs per token × D; the time's FLOPs.
        hardware_flops: The FLOPs executed: ``mfu_flops`` plus what recompute runs again (HFU's numerator).
        goodput: The fraction of wall-clock spent on useful steps.
        mfu_basis: What the MFU counts, in words (:meth:`planner.training.flops.TokenFlops.describe`).
    """

    flops: float
    flops_with_attention: float
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
    model_flops: float = 0.0              # C = 6·N·D, the scaling laws' compute
    mfu_convention: str = "6nd"
    mfu_flops: float = 0.0
    hardware_flops: float = 0.0
    goodput: float = DEFAULT_GOODPUT
    mfu_basis: str = "6·N"

    @property
    def hfu(self) -> float:
        """Hardware FLOPs utilisation: the MFU scaled by executed / model FLOPs (recompute counted)."""
        return self.mfu * self.hardware_flops / self.mfu_flops

    @property
    def useful_gpu_hours(self) -> float:
        """Accelerator-hours of useful steps: ``gpu_hours × goodput``."""
        return self.gpu_hours * self.goodput

    @property
    def days(self) -> float:
        """Wall-clock days."""
        return self.wall_clock_hours / 24

    def to_dict(self) -> dict[str, object]:
        """The estimate as plain data (JSON-ready), with ``days``, ``hfu`` and ``useful_gpu_hours``.

        Returns:
            A dict of every field and those three.
        """
        return {**asdict(self), "days": self.days, "hfu": self.hfu, "useful_gpu_hours": self.useful_gpu_hours}


class _DefaultMFU(float):
    """:data:`DEFAULT_MFU` as ``estimate``'s default, told apart from an MFU the caller gave."""


_MFU_NOT_GIVEN = _DefaultMFU(DEFAULT_MFU)


def estimate(params: int, tokens: int, *, accelerator_name: str = "h100-sxm", count: int = 1,
             mfu: float = _MFU_NOT_GIVEN, price_per_gpu_hour: float | None = None,
             per_token: TokenFlops | None = None, recompute: str = "none", achieved_tflops: float | None = None,
             goodput: float = DEFAULT_GOODPUT) -> ComputeEstimate:
    """FLOPs, GPU-hours, wall-clock and cost of training ``params`` (active) on ``tokens``.

    Time the run by ``mfu`` or by ``achieved_tflops``, not both. The time's FLOPs are ``per_token``'s
    (:func:`planner.training.flops.token_flops`: the MFU convention's model FLOPs per token); without it,
    6·N (the ``6nd`` convention).

    Args:
        params: N, active parameters (a whole number from 1), for C = 6·N·D.
        tokens: D, training tokens (a whole number from 1).
        accelerator_name: A key or name of ``data/accelerators.csv``.
        count: Accelerators (a whole number from 1).
        mfu: A fraction of the dense peak from 0.001 to 1 (default :data:`DEFAULT_MFU`, 0.40), of the
            convention's model FLOPs whatever the recompute.
        price_per_gpu_hour: Dollars per accelerator-hour, from 0 to 10⁶ (optional: no price, no cost).
        per_token: The model FLOPs per token under an MFU convention (default: 6·``params``).
        recompute: ``none``, ``selective`` or ``full``: what the executed (hardware) FLOPs add.
        achieved_tflops: TFLOP/s per accelerator as large runs report it, at most the peak; counts
            the executed FLOPs.
        goodput: The fraction of wall-clock spent on useful steps, above 0 and at most 1 (default 1).

    Returns:
        The ``ComputeEstimate``.

    Raises:
        InputError: Naming ``params``, ``tokens``, ``hardware.count``, ``hardware.mfu``,
            ``hardware.achieved_tflops`` (also when given with ``mfu``), ``hardware.price_per_gpu_hour``,
            ``hardware.goodput`` or ``parallelism.recompute``.
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
    good = validate.positive_real("hardware.goodput", goodput, maximum=1.0)
    if recompute not in RECOMPUTE:
        raise InputError("parallelism.recompute", f"one of {', '.join(RECOMPUTE)}", recompute)
    if per_token is None:
        per_token = TokenFlops("6nd", float(n), 0.0)
    acc = accelerator(accelerator_name)
    model_c = per_token.model * float(d)
    executed = per_token.hardware(recompute) * float(d)
    if achieved_tflops is not None:
        achieved_tflops = validate.positive_real("hardware.achieved_tflops", achieved_tflops,
                                                 maximum=acc["peak_tflops"])
        useful = gpu_hours_achieved(executed, achieved_tflops)
        mfu = achieved_tflops / acc["peak_tflops"] * model_c / executed
    else:
        useful = gpu_hours(model_c, acc["peak_tflops"], mfu)
    hours = useful / good
    return ComputeEstimate(
        flops=training_flops(n, d, recompute), flops_with_attention=(6.0 * n + per_token.attention) * float(d),
        causal_halving=per_token.causal, accelerator=acc["name"], peak_tflops=acc["peak_tflops"], count=gpus,
        mfu=mfu, gpu_hours=hours, wall_clock_hours=hours / gpus, price_per_gpu_hour=price,
        cost=None if price is None else hours * price, recompute=recompute, achieved_tflops=achieved_tflops,
        model_flops=training_flops(n, d), mfu_convention=per_token.convention, mfu_flops=model_c,
        hardware_flops=executed, goodput=good,
        mfu_basis=per_token.describe())
