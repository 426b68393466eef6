"""Many plans at once: numpy broadcasting over N, D and any budget axis, a DataFrame out.

``sweep(params=[1e8, 1e9], steps=np.arange(1, 10) * 1000, tokens_per_step=2**20, grid=True)``
evaluates every combination without a Python loop over grid points. Each row is judged by the
same rule as :func:`planner.assess` (:func:`planner.verdict.gate.level_code`), so a plan gets the
same level in a sweep as on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .. import validate
from ..errors import InputError
from ..training.budget import steps_for_tokens
from ..training.compute import training_flops
from ..training.corpus import WASTED_EPOCHS, effective_tokens, tokens_for_effective
from .gate import LEVELS, Thresholds, _tokens_needed, level_code
from .gate import ratio as gate_ratio

if TYPE_CHECKING:
    import pandas as pd

_REAL = ("params", "tokens", "prior_tokens", "unique_tokens")           # amounts: real values welcome
_WHOLE = ("steps", "tokens_per_step", "micro_batch", "seq_len", "grad_accum", "data_parallel")  # counts
_LAYOUT = ("micro_batch", "seq_len", "grad_accum", "data_parallel")


def _codes(judged: npt.NDArray[Any], n: npt.NDArray[Any], d: npt.NDArray[np.float64],
           u: npt.NDArray[np.float64] | None, t: Thresholds) -> npt.NDArray[np.int8]:
    """The gate's judged level (:func:`~planner.verdict.gate._judged_code`) over arrays: the level of the judged
    tokens, held below the optimal line past 16 epochs of the corpus ``u`` (None: no corpus)."""
    codes = level_code(judged, n, t)
    if u is not None:
        codes = np.where((codes > 2) & (d / u > WASTED_EPOCHS), 2, codes)
    return codes


def _tokens_to_line(n: npt.NDArray[np.float64], prior: npt.NDArray[np.float64], u: npt.NDArray[np.float64],
                    need: npt.NDArray[np.float64], t: Thresholds,
                    unit: float | npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The fewest new tokens, in whole ``unit``-sized steps, whose judged level is compute-optimal on the corpus
    ``u`` (NaN where 16 epochs cannot reach it): the gate's ``tokens_to_optimal`` (``unit`` 1) and
    ``steps_to_optimal`` × tokens per step, over arrays. The float guess is settled one step either way by the
    exact level rule, as the gate settles it."""
    units = np.broadcast_to(np.asarray(unit, dtype=float), n.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        guess = np.where(need > 0, tokens_for_effective(need, u), 0.0)
        steps = steps_for_tokens(guess, units)
        for _ in range(2):
            d = steps * units
            judged = np.where(d > u, prior + effective_tokens(d, u), prior + d)
            steps = np.where((need > 0) & (_codes(judged, n, d, u, t) < 3), steps + 1, steps)
        d = (steps - 1) * units
        judged = np.where(d > u, prior + effective_tokens(d, u), prior + d)
        back = (steps > 1) & (_codes(judged, n, np.maximum(d, 1.0), u, t) == 3)
        steps = np.where(back, steps - 1, steps)
    d = steps * units
    return np.where(np.isfinite(guess) & (d <= WASTED_EPOCHS * u), d, np.nan)


def _axis(name: str, value: Any) -> npt.NDArray[Any]:
    """An input, validated, as an array of exact values: float64 where every element is exactly a float,
    else an object array of Python ints (huge whole numbers stay exact for the level rule)."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    raw = np.asarray(value)
    checked: int | float | npt.NDArray[Any]
    if name in _WHOLE:
        checked = validate.count(name, raw, vector=True)
    else:
        checked = validate.positive_real(name, raw, minimum=0 if name == "prior_tokens" else 1, inclusive=True,
                                         vector=True)
    ints = raw.dtype.kind in "iu" or raw.dtype == object and all(isinstance(v, int) for v in raw.ravel())
    if ints and not np.all(np.abs(np.asarray(checked, dtype=float)) < 2.0**53):
        return raw.astype(object)
    return np.asarray(checked, dtype=float)


def sweep(params: Any, tokens: Any = None, *, steps: Any = None, tokens_per_step: Any = None, micro_batch: Any = None,
          seq_len: Any = None, grad_accum: Any = None, data_parallel: Any = None, prior_tokens: Any = 0,
          unique_tokens: Any = None, thresholds: Thresholds | None = None, grid: bool = False) -> pd.DataFrame:
    """Evaluate many plans over arrays of N and D (or steps × batch layout) and return a DataFrame.

    Args:
        params: N: a number, a list, a numpy array or a pandas Series; real values are fine
            (``np.geomspace(1e8, 1e10, 50)``).
        tokens: D, likewise; or give ``steps`` with ``tokens_per_step`` or the batch layout instead.
        steps: optimizer steps, whole numbers (arrays allowed).
        tokens_per_step: tokens per step, whole numbers (arrays allowed); or the batch layout below.
        micro_batch: sequences per device per forward pass (arrays allowed).
        seq_len: tokens per sequence (arrays allowed).
        grad_accum: gradient-accumulation steps (arrays allowed; default 1).
        data_parallel: data-parallel ranks (arrays allowed; default 1).
        prior_tokens: tokens already seen (continued pretraining).
        unique_tokens: corpus size U; adds ``epochs``, ``effective_tokens`` and ``ceiling_1_epoch``, and the
            level is judged on effective tokens where a plan repeats the corpus, as :func:`planner.assess` does.
        thresholds: the lines.
        grid: take the outer product of the array-valued inputs instead of broadcasting them.

    Returns:
        A pandas DataFrame, one row per plan: params, tokens, ratio (the judged one), raw_ratio, level
            (ordered categorical), blocked, tokens_to_optimal, flops, and steps / tokens_per_step /
            steps_to_optimal, epochs / effective_tokens / ceiling_1_epoch, prior_tokens where they apply.

    Raises:
        InputError: naming the argument, for bad values, for both ``tokens`` and ``steps``, for
            ``tokens_per_step`` with a batch layout, and for a budget that is incomplete.

    Examples:
        Five model sizes on 10B tokens: D/N = 100, 20, 10, 5 and 2.5.

        >>> df = sweep([1e8, 5e8, 1e9, 2e9, 4e9], 1e10)
        >>> df["ratio"].tolist()
        [100.0, 20.0, 10.0, 5.0, 2.5]
        >>> df["level"].tolist()
        ['compute-optimal', 'compute-optimal', 'below-optimal', 'blocked', 'severe']
    """
    import pandas as pd

    t = Thresholds() if thresholds is None else thresholds
    if not isinstance(t, Thresholds):
        raise InputError("thresholds", "a planner.Thresholds", type(t).__name__)
    grid = validate.flag("grid", grid)
    if params is None:
        raise InputError("params", "N: a number, a list, a numpy array or a pandas Series", None)
    prior_tokens = 0 if prior_tokens is None else prior_tokens
    layout = [k for k, v in (("micro_batch", micro_batch), ("seq_len", seq_len), ("grad_accum", grad_accum),
                             ("data_parallel", data_parallel)) if v is not None]
    if tokens is not None and (steps is not None or tokens_per_step is not None or layout):
        raise InputError("tokens", "given alone: not together with steps or a batch layout",
                         detail="give either tokens, or steps with tokens_per_step or the batch layout, not both")
    if tokens is None and steps is None:
        raise InputError("tokens", "an array of token counts, or steps with a batch layout",
                         detail="give tokens, or steps with tokens_per_step or micro_batch and seq_len")
    if steps is not None:
        if tokens_per_step is not None and layout:
            raise InputError("tokens_per_step", "given alone: not together with " + ", ".join(layout),
                             detail="give either tokens_per_step or the batch layout "
                                    f"(micro_batch, seq_len, ...), not both ({', '.join(layout)} also given)")
        if tokens_per_step is None and not {"micro_batch", "seq_len"} <= set(layout):
            raise InputError("tokens_per_step", "given with steps (or micro_batch and seq_len)",
                             detail="steps need tokens_per_step, or micro_batch and seq_len")
    given = {"params": params, "tokens": tokens, "steps": steps, "tokens_per_step": tokens_per_step,
             "micro_batch": micro_batch, "seq_len": seq_len, "grad_accum": grad_accum,
             "data_parallel": data_parallel, "prior_tokens": prior_tokens, "unique_tokens": unique_tokens}
    arrays = {k: _axis(k, list(v) if isinstance(v, (list, tuple)) else v) for k, v in given.items() if v is not None}
    if grid:
        varying = [k for k in arrays if arrays[k].size > 1]
        mesh = np.meshgrid(*(arrays[k].ravel() for k in varying), indexing="ij")
        arrays.update({k: m.ravel() for k, m in zip(varying, mesh, strict=True)})
    arrays = dict(zip(arrays, (np.atleast_1d(a) for a in np.broadcast_arrays(*arrays.values())), strict=True))
    n, prior = arrays["params"], arrays["prior_tokens"]

    def f(x: Any) -> npt.NDArray[np.float64]:   # no copy when already float64
        return np.asarray(x, dtype=float)

    nf, pf = f(n), f(prior)
    out: dict[str, npt.NDArray[Any]] = {"params": nf}
    tps = None
    if "steps" in arrays:
        tps = arrays.get("tokens_per_step")
        if tps is None:
            tps = (arrays["micro_batch"] * arrays.get("grad_accum", 1) * arrays.get("data_parallel", 1)
                   * arrays["seq_len"])
        d_exact = arrays["steps"] * tps
        out.update(steps=f(arrays["steps"]), tokens_per_step=f(tps))
    else:
        d_exact = arrays["tokens"]
    judged = prior + d_exact if d_exact.dtype != object else np.array(
        [(int(p) if float(p).is_integer() else p) + x for p, x in zip(prior.ravel(), d_exact.ravel(), strict=True)],
        dtype=object)
    d = f(d_exact)
    raw = f(judged) / nf
    ratio = raw
    u = None
    if "unique_tokens" in arrays:
        u = f(arrays["unique_tokens"])
        eff = np.asarray(effective_tokens(d, u))
        repeats = d > u
        if repeats.any():
            judged = np.where(repeats, pf + eff, judged)
            ratio = np.where(repeats, f(judged) / nf, raw)
        out.update(epochs=d / u, effective_tokens=eff, ceiling_1_epoch=u / nf)
    if judged.dtype == object:  # huge exact counts: each ratio rounded toward zero, as planner.ratio does
        ratio = np.where(np.asarray(ratio) == raw, [gate_ratio(j, k) for j, k in zip(judged, n, strict=True)], ratio)
    codes = _codes(judged, n, d, u, t)
    need = _tokens_needed(nf, t.optimal, pf)
    to_line = need if u is None else _tokens_to_line(nf, pf, u, need, t, 1.0)
    out.update(tokens=d, ratio=ratio, raw_ratio=raw,
               level=pd.Categorical.from_codes(codes, categories=list(LEVELS), ordered=True),
               blocked=codes < 2, tokens_to_optimal=to_line, flops=np.asarray(training_flops(nf, d)))
    if tps is not None:
        out["steps_to_optimal"] = (np.asarray(steps_for_tokens(need, f(tps))) if u is None
                                   else _tokens_to_line(nf, pf, u, need, t, f(tps)) / f(tps))
        if u is not None:   # whole steps cannot reach it within 16 epochs: unreachable, as the gate says
            out["tokens_to_optimal"] = np.where(np.isnan(out["steps_to_optimal"]), np.nan, out["tokens_to_optimal"])
    if pf.any():
        out["prior_tokens"] = pf
    return pd.DataFrame(out, copy=False)
