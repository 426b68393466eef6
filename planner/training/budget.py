"""D, the number of training tokens a run sees.

D = steps × tokens per step, and tokens per step = micro-batch × gradient accumulation ×
data-parallel ranks × sequence length (global batch in sequences × sequence length).
Python ints stay exact; numpy arrays are computed in float64 so frontier-scale products
never overflow a fixed-width integer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast, overload

import numpy as np
import numpy.typing as npt

from .. import validate
from ..arrays import ArrayLike, FloatArray, any_array, floats
from ..errors import InputError


def _mul(*xs: int | npt.NDArray[Any]) -> int | FloatArray:
    """The product: exact for Python ints, float64 when any factor is an array."""
    if any_array(*xs):
        product: FloatArray = np.prod(np.broadcast_arrays(*floats(*xs)), axis=0)
        return product
    out = 1
    for x in cast("tuple[int, ...]", xs):  # no array among them: the validated scalars are Python ints
        out *= x
    return out


@overload
def tokens_per_step(micro_batch: int, seq_len: int, grad_accum: int = 1, data_parallel: int = 1) -> int: ...
@overload
def tokens_per_step(micro_batch: ArrayLike, seq_len: ArrayLike, grad_accum: ArrayLike = 1,
                    data_parallel: ArrayLike = 1) -> int | FloatArray: ...
def tokens_per_step(micro_batch: ArrayLike, seq_len: ArrayLike, grad_accum: ArrayLike = 1,
                    data_parallel: ArrayLike = 1) -> int | FloatArray:
    """Tokens in one optimizer step: micro-batch × grad-accum × data-parallel × seq-len.

    Args:
        micro_batch: Sequences per device per forward pass (a whole number ≥ 1, or an array).
        seq_len: Tokens per sequence (≥ 1, or an array).
        grad_accum: Gradient-accumulation steps (≥ 1, or an array).
        data_parallel: Data-parallel ranks (≥ 1, or an array).

    Returns:
        An exact int for scalars; a float64 array when any argument is an array.

    Raises:
        InputError: An argument is not a whole number from 1 to ``MAX_COUNT`` (10^30), naming it.

    Examples:
        >>> tokens_per_step(4, 2048, grad_accum=1, data_parallel=1)
        8192
    """
    return _mul(validate.count("micro_batch", micro_batch, vector=True),
                validate.count("grad_accum", grad_accum, vector=True),
                validate.count("data_parallel", data_parallel, vector=True),
                validate.count("seq_len", seq_len, vector=True))


@overload
def training_tokens(steps: int, tokens_per_step: int) -> int: ...
@overload
def training_tokens(steps: ArrayLike, tokens_per_step: ArrayLike) -> int | FloatArray: ...
def training_tokens(steps: ArrayLike, tokens_per_step: ArrayLike) -> int | FloatArray:
    """D = steps × tokens per step (vectorised).

    Args:
        steps: Optimizer steps (a whole number ≥ 1, or an array).
        tokens_per_step: Tokens per optimizer step (≥ 1, or an array).

    Returns:
        An exact int for scalars; a float64 array when either argument is an array.

    Raises:
        InputError: ``steps`` or ``tokens_per_step`` is not a whole number from 1 to ``MAX_COUNT``.

    Examples:
        >>> training_tokens(2_700, 8_192)
        22118400
    """
    return _mul(validate.count("steps", steps, vector=True),
                validate.count("tokens_per_step", tokens_per_step, vector=True))


@overload
def steps_for_tokens(tokens: int | Fraction, tokens_per_step: int | Fraction) -> int: ...
@overload
def steps_for_tokens(tokens: ArrayLike | Fraction,
                     tokens_per_step: ArrayLike | Fraction) -> int | float | FloatArray: ...
def steps_for_tokens(tokens: ArrayLike | Fraction, tokens_per_step: ArrayLike | Fraction) -> int | float | FloatArray:
    """The fewest whole optimizer steps that see at least ``tokens``: ceil(tokens / tokens per step).

    Rounding up is the point: a step count rounded down stops short of the tokens. Exact for Python
    ints (and Fractions); element-wise in float64 when either argument is an array. Callers validate.

    Args:
        tokens: tokens to reach (a number or an array; 0 gives 0 steps).
        tokens_per_step: tokens per optimizer step (a number or an array, each ≥ 1).

    Returns:
        An int for exact scalars, a float for float scalars, a float64 array of whole numbers for arrays.

    Examples:
        >>> steps_for_tokens(9_880_000_000, 8_192)
        1206055
    """
    if any_array(tokens, tokens_per_step):
        steps: FloatArray = np.ceil(np.asarray(tokens, dtype=float) / np.asarray(tokens_per_step, dtype=float))
        return steps
    if isinstance(tokens, float) or isinstance(tokens_per_step, float):
        return float(math.ceil(tokens / tokens_per_step))
    return -(-tokens // tokens_per_step)


@dataclass(frozen=True)
class Budget:
    """A training budget: ``steps`` optimizer steps of ``tokens_per_step`` tokens each.

    Attributes:
        steps: Optimizer steps (a whole number ≥ 1).
        tokens_per_step: Tokens per optimizer step (≥ 1).
        prior_tokens: Tokens the starting checkpoint already saw (continued pretraining; 0 for a
            run from scratch).
        micro_batch: The micro-batch, kept when the budget was built from the batch layout.
        grad_accum: The gradient accumulation, likewise.
        data_parallel: The data-parallel ranks, likewise.
        seq_len: The sequence length, likewise.

    Raises:
        InputError: ``steps`` or ``tokens_per_step`` is not a whole number from 1 to ``MAX_COUNT``,
            or ``prior_tokens`` not one from 0.
    """

    steps: int
    tokens_per_step: int
    prior_tokens: int = 0
    micro_batch: int | None = None
    grad_accum: int | None = None
    data_parallel: int | None = None
    seq_len: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", validate.count("steps", self.steps))
        object.__setattr__(self, "tokens_per_step", validate.count("tokens_per_step", self.tokens_per_step))
        object.__setattr__(self, "prior_tokens", validate.count("prior_tokens", self.prior_tokens, minimum=0))

    @classmethod
    def from_batch(cls, steps: int, micro_batch: int, seq_len: int, grad_accum: int = 1, data_parallel: int = 1,
                   prior_tokens: int = 0) -> Budget:
        """Budget from the batch layout: global batch = micro-batch × grad-accum × data-parallel sequences.

        Args:
            steps: Optimizer steps (≥ 1).
            micro_batch: Sequences per device per forward pass (≥ 1).
            seq_len: Tokens per sequence (≥ 1).
            grad_accum: Gradient-accumulation steps (≥ 1).
            data_parallel: Data-parallel ranks (≥ 1).
            prior_tokens: Tokens the starting checkpoint already saw (≥ 0).

        Returns:
            The budget, with the layout kept for :meth:`describe`.

        Raises:
            InputError: A count is not a whole number in its range, naming it.
        """
        tps = tokens_per_step(micro_batch, seq_len, grad_accum, data_parallel)
        return cls(steps, tps, prior_tokens, validate.count("micro_batch", micro_batch),
                   validate.count("grad_accum", grad_accum), validate.count("data_parallel", data_parallel),
                   validate.count("seq_len", seq_len))

    @property
    def tokens(self) -> int:
        """New tokens this run trains on (D)."""
        return self.steps * self.tokens_per_step

    @property
    def cumulative_tokens(self) -> int:
        """Tokens the model will have seen in all: prior + new."""
        return self.prior_tokens + self.tokens

    def describe(self) -> str:
        """Tokens per step as text, with the batch layout when it is known.

        Returns:
            ``"8,192"``, or ``"8,192 = 4 micro-batch × 1 grad-accum × 1 data-parallel × 2,048 seq-len"``.
        """
        if self.seq_len is None:
            return f"{self.tokens_per_step:,}"
        return (f"{self.tokens_per_step:,} = {self.micro_batch:,} micro-batch × {self.grad_accum:,} grad-accum"
                f" × {self.data_parallel:,} data-parallel × {self.seq_len:,} seq-len")


def budget(steps: int, *, micro_batch: int | None = None, seq_len: int | None = None, grad_accum: int | None = None,
           data_parallel: int | None = None, tokens_per_step: int | None = None, prior_tokens: int = 0) -> Budget:
    """Build a :class:`Budget` from either the batch layout or ``tokens_per_step`` (not both).

    Args:
        steps: Optimizer steps (a whole number ≥ 1).
        micro_batch: Sequences per device per forward pass; with ``seq_len``, the batch layout.
        seq_len: Tokens per sequence.
        grad_accum: Gradient-accumulation steps (default 1 with a layout).
        data_parallel: Data-parallel ranks (default 1 with a layout).
        tokens_per_step: Tokens per optimizer step, instead of the layout.
        prior_tokens: Tokens the starting checkpoint already saw (continued pretraining; default 0).

    Returns:
        The ``Budget``; its ``tokens`` is D = steps × tokens per step.

    Raises:
        InputError: ``tokens_per_step`` given together with any layout field; neither it nor both
            ``micro_batch`` and ``seq_len`` given; or a count that is not a whole number in its
            range (``steps`` and the layout ≥ 1, ``prior_tokens`` ≥ 0, all at most 10^30).

    Examples:
        >>> budget(2_700, tokens_per_step=8_192).tokens
        22118400
        >>> b = budget(2_700, micro_batch=4, seq_len=2_048, grad_accum=1, data_parallel=1)
        >>> b.tokens_per_step, b.describe()
        (8192, '8,192 = 4 micro-batch × 1 grad-accum × 1 data-parallel × 2,048 seq-len')
    """
    layout = {"micro_batch": micro_batch, "seq_len": seq_len, "grad_accum": grad_accum,
              "data_parallel": data_parallel}
    given = [k for k, v in layout.items() if v is not None]
    if tokens_per_step is not None:
        if given:
            raise InputError("tokens_per_step", "given alone: not together with " + ", ".join(given),
                             detail="give either tokens_per_step or the batch layout "
                                    f"(micro_batch, seq_len, ...), not both ({', '.join(given)} also given)")
        return Budget(steps, tokens_per_step, prior_tokens)
    missing = [k for k in ("micro_batch", "seq_len") if layout[k] is None]
    if missing:
        raise InputError(missing[0], "a whole number >= 1",
                         detail="missing: give micro_batch and seq_len (with optional grad_accum, data_parallel), "
                                "or tokens_per_step")
    assert micro_batch is not None and seq_len is not None  # neither is missing (checked just above)
    return Budget.from_batch(steps, micro_batch, seq_len, 1 if grad_accum is None else grad_accum,
                             1 if data_parallel is None else data_parallel, prior_tokens)
