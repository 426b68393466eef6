"""The layouts that fit, ranked by predicted step time: one vectorised search over TP, PP, CP, EP, DP, micro-batch,
recompute and sharding (the ZeRO stages the framework runs) for a model on a number of GPUs, with interleaved
pipeline schedules of 2 and 4 virtual stages per GPU.

Every candidate keeps the run's global batch (tokens per optimizer step): data parallel × micro-batch × micro-batches
per step × sequence length. Memory comes from :mod:`planner.training.memory` (with its band: a candidate fits when
the band's upper end does), time from :mod:`planner.training.throughput`. Tensor parallelism stays inside a node
and is offered among the degrees that split the heads (and the vocabulary, where the stack would pad it:
Megatron); sequence parallelism goes with it; pipeline degrees (powers
of two and the divisors of the GPU count) leave a layer on every stage; context parallelism keeps at least 1,024
tokens per GPU; expert parallelism (MoE) divides the experts, and EP × ETP the ranks a layer spans (the experts
split as attention's TP, or, where the stack folds them, whole on each rank: Megatron). Settings a team has
already decided (its stack has no context parallelism, TP stays at 8) are kept as given (``keep``,
:func:`kept_settings`): the search ranks the rest.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import validate
from ..errors import InputError
from ..model.architecture import Architecture
from .frameworks import Framework, framework
from .memory.calibration import BAND
from .memory.estimate import capacity_of
from .memory.partition import layers_per_stage, model_parts, stage_layers
from .memory.result import fit_state
from .memory.stages import layout_values, stage_bytes
from .memory.totals import binding_stage
from .parallelism import RECOMPUTE, Parallelism, experts_tile, tp_degrees
from .throughput import link, shape_of, step_seconds

if TYPE_CHECKING:
    import pandas as pd

_POW2 = tuple(2**i for i in range(0, 11))
_CP_CHUNK = 1024
_VIRTUAL = (1, 2, 4)
#: The settings a search can keep as given: the parallel degrees, the micro-batch, recompute and the ZeRO stage.
KEEP_KEYS = ("tp", "pp", "vpp", "cp", "ep", "etp", "dp", "micro_batch", "recompute", "zero")
#: Other names for them: the layout table's headings and the command line's spelling.
_KEEP_ALIASES = {"micro": "micro_batch", "micro-batch": "micro_batch", "microbatch": "micro_batch"}
#: The longest ``keep`` text read.
_KEEP_TEXT = 1000


def kept_settings(keep: Mapping[str, Any] | str | None, field: str = "keep") -> dict[str, int | str]:
    """The settings a layout search keeps as given, checked.

    Args:
        keep: None (nothing kept), a mapping of :data:`KEEP_KEYS` to values, or text of ``name=value`` settings
            separated by commas or spaces (``"tp=8, cp=1"``; ``micro`` for ``micro_batch``).
        field: the name errors use (the option as the user gave it: ``--keep``).

    Returns:
        The settings in :data:`KEEP_KEYS` order: whole numbers (``zero`` 0-3), ``recompute`` one of
            :data:`~planner.training.parallelism.RECOMPUTE`.

    Raises:
        InputError: naming ``field`` and the setting: an unknown name, a setting given twice, text that is not
            ``name=value``, a value that is not a whole number (or not a recompute mode).

    Examples:
        >>> kept_settings("tp=8, cp=1 recompute=full")
        {'tp': 8, 'cp': 1, 'recompute': 'full'}
        >>> kept_settings({"zero": 4})
        Traceback (most recent call last):
        ...
        planner.errors.InputError: keep zero: must be a whole number from 0 to 3, got 4
    """
    if keep is None:
        return {}
    accepted = f"name=value settings among {', '.join(KEEP_KEYS)}"
    if isinstance(keep, str):
        if len(keep) > _KEEP_TEXT:
            raise InputError(field, accepted, detail=f"must be at most {_KEEP_TEXT:,} characters, got "
                                                     f"{len(keep):,}")
        items: list[tuple[str, Any]] = []
        for part in (x for x in re.split(r"[,\s]+", keep.strip()) if x):
            name, eq, value = part.partition("=")
            if not eq or not name or not value:
                raise InputError(field, accepted, detail=f"must be {accepted} (tp=8, cp=1), got "
                                                         f"{validate.shown(part)}")
            items.append((name, value))
    elif isinstance(keep, Mapping):
        items = list(keep.items())
    else:
        raise InputError(field, accepted, keep)
    out: dict[str, int | str] = {}
    for name, value in items:
        key = _KEEP_ALIASES.get(str(name).lower(), str(name).lower()) if isinstance(name, str) else name
        if key not in KEEP_KEYS:
            raise InputError(field, accepted, detail=f"must name a setting among {', '.join(KEEP_KEYS)}, got "
                                                     f"{validate.shown(name)}")
        where = f"{field} {key}"
        if key == "recompute":
            if not isinstance(value, str) or value not in RECOMPUTE:
                raise InputError(where, f"one of {', '.join(RECOMPUTE)}", value)
            v: int | str = value
        elif key == "zero":
            v = int(validate.count(where, value, minimum=0, maximum=3))
        else:
            v = int(validate.count(where, value, maximum=10**7))
        if key in out and out[key] != v:
            raise InputError(where, "one value", detail=f"must be given once, got {out[key]} and {v}")
        out[key] = v
    return {k: out[k] for k in KEEP_KEYS if k in out}


def _virtual_ok(arch: Architecture, pp: int, vpp: int, fw: Framework) -> bool:
    """Whether ``vpp`` virtual stages per GPU on ``pp`` stages each get a layer as the framework splits them: an
    even split where it splits evenly (the layers, or the layers with the embedding and the head counted as one
    each, as Megatron's ``--account-for-embedding/loss-in-pipeline-split``); past two per GPU in torchtitan, as
    whole layers per stage give them (:func:`~planner.training.memory.partition.layers_per_stage`)."""
    chunks = pp * vpp
    if fw.virtual_split == "layers-per-stage" and vpp > 2 and layers_per_stage(arch.num_layers, chunks) is None:
        return False
    if fw.pp_split == "even":
        return arch.num_layers % chunks == 0 or (arch.num_layers + 2) % chunks == 0
    return chunks <= arch.num_layers and min(float(x) for x in stage_layers(arch.num_layers, chunks, fw.pp_split)) >= 1


def unsearched(layout: Parallelism) -> Parallelism:
    """A layout with what the search varies reset (one GPU, no parallel degrees, no sharding or recompute): the
    settings it keeps from a plan's layout (framework, precision, optimizer, flash attention, compile, fp8, dropout).

    Args:
        layout: a plan's layout.

    Returns:
        The layout the search starts from.
    """
    return layout.with_(gpus=None, dp=None, tp=1, pp=1, cp=1, ep=1, etp=None, vpp=1, zero=0, fsdp=None,
                        micro_batches=None, sp=False, recompute="none", recompute_layers=None, tp_overlap=False)


def search_layouts(arch: Architecture, gpus: int, accelerator: str, *, seq_len: int, tokens_per_step: int,
                   base: Parallelism | None = None, keep: Mapping[str, Any] | str | None = None) -> pd.DataFrame:
    """Every layout of ``gpus`` GPUs that fits, with its memory and predicted step time, fastest first.

    Args:
        arch: an attention :class:`~planner.Architecture`.
        gpus: the GPUs the run uses.
        accelerator: a key or name with a memory capacity and known bandwidths.
        seq_len: tokens per sequence.
        tokens_per_step: the global batch in tokens (kept by every layout).
        base: the settings the search does not vary (framework, precision, optimizer, flash attention, compile,
            fp8, dropout); default: ``Parallelism(flash_attention=True)``.
        keep: settings kept as given (:func:`kept_settings`: ``{"tp": 8, "cp": 1}`` or ``"tp=8, cp=1"``); the
            search varies the rest.

    Returns:
        A DataFrame, one row per fitting layout, fastest first: ``tp``, ``pp``, ``vpp``, ``cp``, ``ep``, ``dp``,
            ``micro_batch``, ``micro_batches``, ``recompute``, ``zero``, ``sp``, ``tp_overlap`` (TP's collectives
            overlap the matmuls: with TP > 1 wherever the framework can), ``memory`` (bytes per GPU, the
            estimate), ``memory_upper``, ``step_seconds``, ``tokens_per_gpu_s``, and the step time's parts
            (``compute``, ``attention``, ``memory_traffic``, ``tp_comm``, ``bubble``, ``dp_comm``, ...), and
            ``distinct``: True on the first, simplest layout of each group within 0.1% of one step time. Empty when
            nothing fits. ``.attrs["searched"]`` holds the number of candidates considered (those with the kept
            settings).

    Raises:
        InputError: naming the field: a GPU count, sequence length or batch that is not a whole number >= 1, a
            batch that is not a whole number of sequences, an accelerator without capacity or bandwidths, a model
            that is not attention.
            A kept setting as :func:`kept_settings` refuses it.
        UnknownModelError: an unknown accelerator.
    """
    import pandas as pd
    kept = kept_settings(keep)
    gpus = validate.count("gpus", gpus, maximum=10**7)
    seq_len = validate.count("seq_len", seq_len, maximum=10**8)
    tokens_per_step = validate.count("tokens_per_step", tokens_per_step)
    if tokens_per_step % seq_len:
        raise InputError("tokens_per_step", f"a whole number of sequences of {seq_len:,} tokens", tokens_per_step)
    sequences = tokens_per_step // seq_len
    base = Parallelism(flash_attention=True) if base is None else base
    _, capacity = capacity_of(accelerator)
    assert capacity is not None          # an accelerator name gives one (or raises)
    net = link(accelerator)
    shape = shape_of(arch)
    model = model_parts(arch)
    fw = framework(base.framework)
    runs = fw.degrees                                            # the degrees the framework runs besides DP
    tps = [t for t in tp_degrees(arch.num_heads, arch.num_kv_heads, limit=net.gpus_per_node)
           if t in _POW2 and (t == 1 or "tp" in runs) and fw.keeps_vocab(arch.vocab_size, t)]
    # pipeline degrees: the powers of two and the divisors of the GPU count (280 GPUs run TP 8 × PP 35)
    divisors = {d for d in range(1, min(gpus, arch.num_layers) + 1) if gpus % d == 0}
    pps = [p for p in sorted(set(_POW2) | divisors) if p <= arch.num_layers and (p == 1 or "pp" in runs)
           and (p == 1 or min(float(x) for x in stage_layers(arch.num_layers, p, fw.pp_split)) >= 1)]
    # interleaved 1F1B where the framework runs it: v virtual stages per GPU, every one with a layer (an even split
    # where the framework splits evenly: Megatron's layers per virtual stage)
    vpps = sorted({(p, v) for p in pps for v in _VIRTUAL
                   if v == 1 or (p > 1 and fw.interleaved and _virtual_ok(arch, p, v, fw))})
    cps = [c for c in _POW2 if c == 1 or ("cp" in runs and seq_len % c == 0 and seq_len // c >= _CP_CHUNK)]
    eps = [e for e in _POW2 if e == 1 or ("ep" in runs and arch.num_experts and arch.num_experts % e == 0)]
    mbs = [b for b in range(1, min(sequences, 64) + 1) if sequences % b == 0]   # every micro-batch that divides it
    recomputes = [RECOMPUTE.index(r) for r in fw.recompute]
    # the experts split as attention's TP, or (where the stack folds them, TP above 1) whole on each rank
    folds = "etp" in runs and bool(arch.num_experts)
    grid = np.array([(t, p, v, c, e, x, b, r, z) for t, (p, v), c, e, b, r, z
                     in itertools.product(tps, vpps, cps, eps, mbs, recomputes, fw.zero_stages)
                     for x in ((t, 1) if folds and t > 1 and e > 1 else (t,))],
                    dtype=float).reshape(-1, 9)
    tp, pp, vpp, cp, ep, etp, mb, rc, zero = grid.T
    dp = gpus / (tp * pp * cp)
    # the settings kept as given: only the candidates that have them
    columns = {"tp": tp, "pp": pp, "vpp": vpp, "cp": cp, "ep": ep, "etp": etp, "dp": dp, "micro_batch": mb,
               "recompute": rc, "zero": zero}
    chosen = np.ones(len(grid), dtype=bool)
    for k, value in kept.items():
        chosen &= columns[k] == (RECOMPUTE.index(value) if k == "recompute" else value)
    tp, pp, vpp, cp, ep, etp, mb, rc, zero, dp = (x[chosen] for x in (tp, pp, vpp, cp, ep, etp, mb, rc, zero, dp))
    m = sequences / (np.maximum(dp, 1) * mb)
    ok = (dp >= 1) & (dp == np.floor(dp)) & (m >= 1) & (m == np.floor(m)) & experts_tile(tp, dp, cp, ep, etp)
    ok &= ~((zero > 0) & (dp * cp == 1))                       # nothing to shard over
    ok &= (pp == 1) | (m >= pp)                                # a pipeline needs at least p micro-batches in flight
    ok &= (pp == 1) | (zero <= fw.pp_zero)                     # DeepSpeed pipelines shard no gradients or weights
    ok &= (vpp == 1) | (np.mod(m, pp) == 0)                    # interleaving runs the micro-batches in groups of p
    tp, pp, vpp, cp, ep, etp, mb, rc, zero, dp, m = (x[ok] for x in (tp, pp, vpp, cp, ep, etp, mb, rc, zero, dp, m))
    searched = int(chosen.sum())
    p0 = unsearched(base).with_(dropout=bool(arch.dropout > 0) if base.dropout is None else base.dropout)
    # TP's collectives overlap the matmuls wherever the stack can (Megatron's --tp-comm-overlap, torchtitan's async
    # TP under compile): the tuned setting, and never slower
    overlap = (tp > 1) & fw.overlaps_tp(base.compile)
    v: dict[str, Any] = layout_values(p0, tp=tp, pp=pp, vpp=vpp, cp=cp, dp=dp, ep=ep, etp=etp, zero=zero, sp=tp > 1,
                                      micro_batch=mb, seq_len=seq_len, micro_batches=m, recompute=rc.astype(int),
                                      tp_overlap=overlap)
    parts = stage_bytes(model, v)
    total = np.broadcast_to(binding_stage(parts, float(p0.overhead))["total"], tp.shape)
    fits = np.asarray(fit_state(total, capacity, True, BAND), dtype=bool)
    t = step_seconds(shape, v, net)
    frame = pd.DataFrame({"tp": tp.astype(int), "pp": pp.astype(int), "vpp": vpp.astype(int), "cp": cp.astype(int),
                          "ep": ep.astype(int), "etp": etp.astype(int),
                          "dp": dp.astype(int), "micro_batch": mb.astype(int), "micro_batches": m.astype(int),
                          "recompute": np.asarray(RECOMPUTE)[rc.astype(int)], "zero": zero.astype(int),
                          "sp": tp > 1, "tp_overlap": overlap, "memory": total, "memory_upper": total * (1 + BAND),
                          "step_seconds": np.broadcast_to(t["step"], tp.shape),
                          "tokens_per_gpu_s": np.broadcast_to(t["tokens_per_gpu_s"], tp.shape),
                          **{f"{k}{'_comm' if k in ('tp', 'ep', 'cp', 'pp', 'dp') else ''}"
                             f"{'_traffic' if k == 'memory' else ''}": np.broadcast_to(t[k], tp.shape)
                             for k in ("compute", "attention", "memory", "passes", "tp", "ep", "cp", "pp", "bubble",
                                       "dp", "optimizer")}})
    # fastest first; layouts within 0.1% of each other (context and data parallelism trading places) by simplicity
    frame["_rank"] = np.round(np.log(frame["step_seconds"]) / np.log1p(1e-3))
    frame["_folded"] = frame["etp"] != frame["tp"]
    frame = frame[fits].sort_values(["_rank", "cp", "pp", "vpp", "tp", "ep", "_folded", "memory"], kind="stable")
    frame["distinct"] = ~frame["_rank"].duplicated()          # the first (simplest) of each equally fast group
    frame = frame.drop(columns=["_rank", "_folded"]).reset_index(drop=True)
    frame.attrs["searched"] = searched
    return frame


def layout_of_row(row: Any, base: Parallelism, gpus: int) -> Parallelism:
    """The :class:`~planner.training.parallelism.Parallelism` of one row of :func:`search_layouts`.

    Args:
        row: a row (a pandas Series or a mapping) of the search's frame.
        base: the settings the search did not vary.
        gpus: the GPUs of the run.

    Returns:
        The layout, validated.

    Raises:
        InputError: a row that does not make a valid layout (naming the field).
    """
    zero, tp = int(row["zero"]), int(row["tp"])
    etp = int(row["etp"]) if "etp" in row else tp
    return base.with_(tp=tp, pp=int(row["pp"]), vpp=int(row["vpp"]), cp=int(row["cp"]),
                      ep=int(row["ep"]), etp=None if etp == tp else etp, dp=None,
                      gpus=gpus, micro_batch=int(row["micro_batch"]), micro_batches=int(row["micro_batches"]),
                      recompute=str(row["recompute"]), zero=0 if zero == 3 else zero,
                      fsdp="full" if zero == 3 else None, sp=bool(row["sp"]), tp_overlap=bool(row["tp_overlap"]))
