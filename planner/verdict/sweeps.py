"""Many plans at once: numpy broadcasting over N, D and any budget axis, a DataFrame out.

``sweep(params=[1e8, 1e9], steps=np.arange(1, 10) * 1000, tokens_per_step=2**20, grid=True)``
evaluates every combination without a Python loop over grid points.
"""

from __future__ import annotations

import numpy as np

from .. import validate
from ..training.budget import tokens_per_step as layout_tokens_per_step
from ..training.compute import training_flops
from ..training.corpus import ceiling, epochs
from ..errors import InputError
from .gate import LEVELS, Thresholds, is_blocked, level_code, ratio, tokens_to_target


def _as_float(name, value, minimum=1):
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        arr = np.asarray([validate.count(name, v, minimum=minimum) for v in np.ravel(arr)], dtype=float)
    else:
        validate.count(name, arr if arr.ndim else arr.item(), minimum=minimum, vector=True)
    return np.asarray(arr, dtype=float)


def sweep(params, tokens=None, *, steps=None, tokens_per_step=None, micro_batch=None, seq_len=None,
          grad_accum=1, data_parallel=1, prior_tokens=0, unique_tokens=None,
          thresholds: Thresholds | None = None, grid: bool = False):
    """Evaluate plans over arrays of N and D (or steps × batch layout); return a pandas DataFrame.

    Inputs broadcast against each other (``grid=True`` takes the outer product of the
    array-valued axes instead). Columns: params, tokens, ratio, level (ordered categorical),
    blocked, tokens_to_optimal, and steps_to_optimal / epochs / flops where defined.
    """
    import pandas as pd

    t = thresholds or Thresholds()
    given = {"params": params, "tokens": tokens, "steps": steps, "tokens_per_step": tokens_per_step,
             "micro_batch": micro_batch, "seq_len": seq_len, "grad_accum": grad_accum,
             "data_parallel": data_parallel, "prior_tokens": prior_tokens, "unique_tokens": unique_tokens}
    if tokens is None and steps is None:
        raise InputError("tokens", "an array of token counts, or steps with a batch layout",
                         detail="give tokens, or steps with tokens_per_step or micro_batch and seq_len")
    arrays = {k: _as_float(k, v, minimum=0 if k == "prior_tokens" else 1)
              for k, v in given.items() if v is not None}
    if grid:
        varying = [k for k in arrays if arrays[k].ndim and arrays[k].size > 1]
        mesh = np.meshgrid(*(arrays[k].ravel() for k in varying), indexing="ij")
        arrays.update({k: m.ravel() for k, m in zip(varying, mesh)})
    arrays = dict(zip(arrays, np.broadcast_arrays(*arrays.values())))
    out = {"params": arrays["params"]}
    tps = arrays.get("tokens_per_step")
    if tps is None and "micro_batch" in arrays and "seq_len" in arrays:
        tps = layout_tokens_per_step(arrays["micro_batch"], arrays["seq_len"], arrays["grad_accum"],
                                     arrays["data_parallel"])
    if "steps" in arrays:
        if tps is None:
            raise InputError("tokens_per_step", "given with steps (or micro_batch and seq_len)",
                             detail="steps need tokens_per_step, or micro_batch and seq_len")
        out["steps"] = arrays["steps"]
        out["tokens_per_step"] = tps
        d = arrays["steps"] * tps
    else:
        d = arrays["tokens"]
    n, prior = arrays["params"], arrays["prior_tokens"]
    r = ratio(prior + d, n)
    need = tokens_to_target(n, t.optimal, prior)
    out.update(tokens=d, ratio=r,
               level=pd.Categorical.from_codes(level_code(r, t), categories=list(LEVELS), ordered=True),
               blocked=is_blocked(r, t), tokens_to_optimal=need, flops=training_flops(n, d))
    if tps is not None:
        out["steps_to_optimal"] = np.ceil(need / tps)  # as steps_to_target, reusing `need`
    if "unique_tokens" in arrays:
        out["epochs"] = epochs(d, arrays["unique_tokens"])
        out["ceiling_1_epoch"] = ceiling(arrays["unique_tokens"], n)
    if prior.any():
        out["prior_tokens"] = prior
    return pd.DataFrame(out)
