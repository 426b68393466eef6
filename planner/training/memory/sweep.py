"""Memory per GPU over a grid of layouts in one vectorised call: :func:`memory_sweep`."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from ... import validate
from ...errors import InputError
from ...model.architecture import Architecture
from ..parallelism import OFFLOAD, RECOMPUTE, Parallelism
from .calibration import BAND
from .estimate import capacity_of
from .partition import check_layout, model_parts, with_dropout
from .result import fit_state
from .stages import layout_values, stage_bytes
from .totals import binding_stage

if TYPE_CHECKING:
    import pandas as pd

SWEEP_AXES = ("micro_batch", "seq_len", "tp", "pp", "dp", "cp", "ep", "zero", "recompute", "offload", "sp",
              "flash_attention")


# The axes are typed ``Any``: sequences of the user's values before validation (each is checked below).


def memory_sweep(arch_or_params: Architecture | float | str, layout: Parallelism | None = None, *,
                 accelerator: str | float | None = None, grid: bool = True, **axes: Any) -> pd.DataFrame:
    """Memory per GPU over a grid of layouts in one vectorised call; a pandas DataFrame.

    Every distinct value is validated as :func:`~planner.training.memory.memory_estimate` would.

    Args:
        arch_or_params: an :class:`~planner.Architecture` or a parameter count.
        layout: the :class:`~planner.training.parallelism.Parallelism` the other fields come from.
        accelerator: a key or name from ``data/accelerators.csv``, or a capacity in bytes.
        grid: evaluate every combination (default); otherwise zip the sequences (equal lengths).
        **axes: layout fields (any of :data:`SWEEP_AXES`) mapped to sequences of values, e.g.
            ``micro_batch=[1, 2, 4, 8], tp=[1, 2, 4], recompute=["none", "selective", "full"]``.

    Returns:
        A DataFrame with the axes, ``weights``, ``gradients``, ``optimizer``, ``activations`` (NaN with a bare
            parameter count), ``buffers``, ``allocator``, ``overhead``, ``total``, ``upper`` (the band's upper
            end), ``stage``; with an accelerator also ``capacity``, ``headroom`` (to the upper end) and ``fits``.

    Raises:
        InputError: naming the field: an unknown axis, an empty or unequal sequence, a bad value, or a
            layout that does not suit the model.
        UnknownModelError: an unknown accelerator.

    Examples:
        ZeRO's stages for 7B parameters on 8 data-parallel GPUs (Rajbhandari et al. 2020, Fig. 1):
        16Ψ = 112 GB, 4Ψ + 12Ψ/8 = 38.5 GB, 2Ψ + 14Ψ/8 = 26.25 GB and 16Ψ/8 = 14 GB of model states:

        >>> from planner.training.parallelism import Parallelism
        >>> df = memory_sweep("7B", Parallelism(dp=8), zero=[0, 1, 2, 3])
        >>> ((df["weights"] + df["gradients"] + df["optimizer"]) / 1e9).tolist()
        [112.0, 38.5, 26.25, 14.0]
    """
    import pandas as pd
    layout = Parallelism() if layout is None else layout
    if not isinstance(layout, Parallelism):
        raise InputError("layout", "a planner.training.parallelism.Parallelism", type(layout).__name__)
    unknown = sorted(set(axes) - set(SWEEP_AXES))
    if unknown:
        raise InputError(unknown[0], f"one of the sweepable fields {', '.join(SWEEP_AXES)}", detail=None)
    model = model_parts(arch_or_params)
    layout = with_dropout(model, layout)
    values: dict[str, list[Any]] = {}
    for k, seq in axes.items():
        arr = list(np.asarray(seq).ravel()) if not isinstance(seq, (str, bytes)) else [seq]
        if not arr:
            raise InputError(k, "a non-empty sequence of values", detail=f"must be a non-empty sequence, got {seq!r}")
        values[k] = [x.item() if isinstance(x, np.generic) else x for x in arr]
        for x in values[k]:
            if not isinstance(x, (int, float, str)):  # a dict, a list inside a list: not a value of a layout field
                raise InputError(k, "a sequence of numbers or names",
                                 detail=f"must be a sequence of numbers or names, got {validate.shown(seq)}")
    if not grid and len({len(v) for v in values.values()}) > 1:
        raise InputError(next(iter(values)), "sequences of equal length when grid=False",
                         detail="must have the same length as the other axes when grid=False")
    # Validate each combination of the structural fields once (batch shape separately, vectorised).
    structural = [k for k in values if k not in ("micro_batch", "seq_len")]
    for combo in itertools.product(*(dict.fromkeys(values[k]) for k in structural)):
        p = layout.with_(**dict(zip(structural, combo, strict=True)))
        check_layout(model, p)
    for k in ("micro_batch", "seq_len"):
        if k in values:
            layout.with_(**{k: values[k][0]})
            validate.count(k, np.asarray(values[k]), maximum=10**8, vector=True)
    if grid:
        mesh = np.meshgrid(*(np.arange(len(v)) for v in values.values()), indexing="ij")
        cols = {k: np.asarray(v, dtype=object)[i.ravel()] for (k, v), i in zip(values.items(), mesh, strict=True)}
    else:
        cols = {k: np.asarray(v, dtype=object) for k, v in values.items()}
    v = layout_values(layout)
    for k, col in cols.items():
        if k == "recompute":
            v[k] = np.array([RECOMPUTE.index(x) for x in col])
        elif k == "offload":
            v[k] = np.array([OFFLOAD.index(x) for x in col])
        elif k in ("sp", "flash_attention"):
            v[k] = col.astype(bool)
        else:
            v[k] = col.astype(float)
    if "dp" not in cols and layout.gpus is not None and layout.dp is None and ({"tp", "pp", "cp"} & set(cols)):
        v["dp"] = layout.gpus / (np.asarray(v["tp"], dtype=float) * np.asarray(v["pp"], dtype=float)
                                 * np.asarray(v["cp"], dtype=float))
    parts = stage_bytes(model, v)
    b = binding_stage(parts, float(layout.overhead))
    n = max((len(c) for c in cols.values()), default=1)
    df = pd.DataFrame({k: list(c) for k, c in cols.items()})
    for k in ("weights", "gradients", "optimizer"):
        df[k] = np.broadcast_to(b[k], (n,)).astype(float)
    df["activations"] = np.broadcast_to(b["activations"], (n,)).astype(float) if "activations" in b else np.nan
    for k in ("buffers", "allocator"):
        df[k] = np.broadcast_to(b[k], (n,)).astype(float)
    df["overhead"] = float(layout.overhead)
    df["total"] = np.broadcast_to(b["total"], (n,)).astype(float)
    df["upper"] = df["total"] * (1 + BAND)
    df["stage"] = np.broadcast_to(b["stage"], (n,)) if layout.pp > 1 or "pp" in cols else "only"
    name, cap = capacity_of(accelerator)
    if cap is not None:
        df["capacity"] = cap
        df["headroom"] = cap - df["upper"]
        df["fits"] = fit_state(df["total"].to_numpy(), cap, df["activations"].notna().to_numpy(), BAND)
    return df
