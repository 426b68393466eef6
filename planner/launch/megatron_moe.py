"""Megatron-LM's mixture-of-experts arguments: which layers route to experts, read and written one way.

``--num-experts E`` switches experts on, ``--moe-router-topk k`` (Megatron's default 2) routes each token to k of
them, ``--moe-ffn-hidden-size`` is one expert's width (default ``--ffn-hidden-size``),
``--moe-shared-expert-intermediate-size`` the always-active shared expert's (Megatron builds the shared experts as
one MLP of their total width) and ``--moe-shared-expert-gate`` its ``hidden -> 1`` gate. ``--moe-layer-freq`` says
which layers are MoE (``megatron/training/arguments.py``, ``moe_freq_type``): an integer N makes layer i MoE when
``i % N == 0``; a list expression such as ``([0]*3+[1]*58)`` gives one 0 or 1 per layer. The planner writes and
reads a pattern in the form its :class:`~planner.model.architecture.Architecture` states it: every layer, every
N-th, dense first layers, or a list of dense layers. ``--moe-ffn-hidden-size`` and ``--moe-layer-freq`` are
Megatron-LM's from 2024-12 (47ab878ae7), ``--moe-shared-expert-gate`` from 2026-01 (bddd0a8ed7).
"""

from __future__ import annotations

import re
from typing import Any

from .. import limits
from ..errors import InputError
from ..model.architecture import Architecture

_TERM = re.compile(r"^\[([01](?:,[01])*)\](?:\*(\d{1,6}))?$")


def layer_freq_rule(freq: str, layers: int) -> dict[str, Any]:
    """The :class:`Architecture` arguments of ``--moe-layer-freq`` (:func:`layer_rule` of its pattern), bounded: an
    integer gives its period without building a pattern; a list is read for at most :data:`~planner.limits.MAX_ITEMS`
    layers.

    Args:
        freq: the argument's value.
        layers: ``--num-layers``.

    Returns:
        ``{}``, ``moe_layer_period``, ``first_dense_layers`` or ``dense_layers``.

    Raises:
        ValueError: in words, a value that is neither form, a list of another length than the layers, or a list for
            more layers than the planner reads.

    Examples:
        >>> layer_freq_rule("1", 61), layer_freq_rule("2", 10**12), layer_freq_rule("[0]*3+[1]*58", 61)
        ({}, {'moe_layer_period': 2}, {'first_dense_layers': 3})
    """
    text = re.sub(r"\s+", "", freq)
    if text.isdigit() and int(text) >= 1:
        return {} if int(text) == 1 else {"moe_layer_period": int(text)}
    if layers > limits.MAX_ITEMS:
        raise ValueError(f"is read as a list for at most {limits.MAX_ITEMS:,} layers, got {layers:,}")
    return layer_rule(layer_pattern(freq, layers))


def layer_pattern(freq: str, layers: int) -> list[int]:
    """The MoE pattern of a list ``--moe-layer-freq``: one 1 (MoE) or 0 (dense) per layer.

    Args:
        freq: a sum of lists such as ``([0]*3+[1]*58)`` or ``[1,0,1,0]``, the sum in parentheses optionally
            repeated (``([1]*3+[0])*2``).
        layers: ``--num-layers``.

    Returns:
        The pattern, ``layers`` long.

    Raises:
        ValueError: in words, a value of another form, or a list of another length than the layers (found before
            the pattern is built).

    Examples:
        >>> layer_pattern("([0]*1+[1]*3)", 4), layer_pattern("([1]*1+[0])*2", 4)
        ([0, 1, 1, 1], [1, 0, 1, 0])
    """
    text = re.sub(r"\s+", "", freq)
    repeat = re.match(r"^\((.*)\)(?:\*(\d{1,6}))?$", text)     # "(…)" or "(…)*k": the sum, k times
    times = int(repeat.group(2) or 1) if repeat else 1
    terms = [_TERM.match(term) for term in (repeat.group(1) if repeat else text).split("+")]
    matched = [m for m in terms if m is not None]
    if len(matched) < len(terms):
        raise ValueError("must be a whole number N (every N-th layer MoE) or a sum of lists of 0 and 1 such as "
                         f"([0]*3+[1]*{max(layers - 3, 1)}), got {freq!r}")
    parts = [(m.group(1).split(","), int(m.group(2) or 1)) for m in matched]
    length = times * sum(len(items) * n for items, n in parts)
    if length != layers:
        raise ValueError(f"must give one entry per layer ({layers}), got {length}")
    return [int(x) for items, n in parts for x in items * n] * times


def layer_rule(pattern: list[int]) -> dict[str, Any]:
    """The :class:`Architecture` arguments of an MoE pattern, in the form a model's config gives them.

    Args:
        pattern: one 1 (MoE) or 0 (dense) per layer.

    Returns:
        ``{}`` for every layer; ``moe_layer_period`` for every N-th from the first; ``first_dense_layers`` for
            dense first layers; else ``dense_layers``.

    Examples:
        >>> layer_rule([1, 1, 1]), layer_rule([1, 0, 1, 0]), layer_rule([0, 0, 1, 1]), layer_rule([1, 1, 0, 1])
        ({}, {'moe_layer_period': 2}, {'first_dense_layers': 2}, {'dense_layers': (2,)})
    """
    n = len(pattern)
    dense = tuple(i for i, x in enumerate(pattern) if not x)
    if not dense:
        return {}
    k = next((i for i, x in enumerate(pattern) if x), n)
    if k and all(pattern[k:]):
        return {"first_dense_layers": k}
    # every N-th from the first: N is where the second MoE layer sits (past the end with one MoE layer)
    period = next((i for i in range(1, n) if pattern[i]), n) if pattern[0] else 0
    if period and all(x == (i % period == 0) for i, x in enumerate(pattern)):
        return {"moe_layer_period": period}
    return {"dense_layers": dense}


def model_arguments(arch: Architecture) -> list[str]:
    """The model arguments that state ``arch``'s experts (none for a dense model).

    Args:
        arch: the model.

    Returns:
        The arguments; what they cannot state (router or expert biases, a latent expert width, several shared
            experts) the writer finds when it reads the file back.

    Raises:
        InputError: (``model.num_layers``) MoE layers that only a list states, for more layers than the planner
            reads back.

    Examples:
        >>> import planner
        >>> model_arguments(planner.architecture("mixtral-8x7b-v0.1"))[:2]
        ['--num-experts 8', '--moe-router-topk 2']
    """
    if not arch.num_experts:
        return []
    out = [f"--num-experts {arch.num_experts}", f"--moe-router-topk {arch.experts_per_token}",
           f"--moe-ffn-hidden-size {arch.moe_intermediate_size or arch.intermediate_size}   # Megatron-LM from "
           "2024-12 (before it, experts are as wide as --ffn-hidden-size)"]
    if arch.num_shared_experts:
        width = (arch.shared_expert_intermediate_size or arch.moe_intermediate_size or arch.intermediate_size)
        out.append(f"--moe-shared-expert-intermediate-size {arch.num_shared_experts * width}")
        if arch.shared_expert_gate:
            out.append("--moe-shared-expert-gate   # Megatron-LM from 2026-01")
    if arch.num_moe_layers < arch.num_layers:
        out.append(f"--moe-layer-freq {_layer_freq(arch)}")
    # grouped GEMMs and the all-to-all dispatcher the planner's time model assumes (Megatron's default is all-gather)
    out += ["--moe-grouped-gemm", "--moe-token-dispatcher-type alltoall"]
    return out


def _layer_freq(arch: Architecture) -> str:
    """``--moe-layer-freq`` of a model with dense layers: a period or dense first layers as such, else a list."""
    L, given = arch.num_layers, arch.inputs()
    if given["moe_layers"] is None and not given["dense_layers"] and not arch.moe_layer_offset:
        if not arch.first_dense_layers:
            return str(arch.moe_layer_period)                       # every N-th layer from the first
        if arch.moe_layer_period == 1:
            k = arch.first_dense_layers
            return f'"[0]*{k}+[1]*{L - k}"'
    if L > limits.MAX_ITEMS:
        raise InputError("model.num_layers", f"at most {limits.MAX_ITEMS:,} for a list of the MoE layers", L)
    return f'"[{",".join("1" if arch.is_moe_layer(i) else "0" for i in range(L))}]"'


def parallel_arguments(ep: int, etp: int | None, tp: int) -> list[str]:
    """The arguments of expert parallelism: ``--expert-model-parallel-size`` and, when it is not TP,
    ``--expert-tensor-parallel-size`` (Megatron's default is TP).

    Args:
        ep: the expert-parallel degree.
        etp: the expert tensor-parallel degree (None: TP's).
        tp: the tensor-parallel degree.

    Returns:
        The arguments (none for EP 1 with the experts split as TP).

    Examples:
        >>> parallel_arguments(8, None, 2), parallel_arguments(1, 1, 2)
        (['--expert-model-parallel-size 8'], ['--expert-tensor-parallel-size 1'])
    """
    out = [f"--expert-model-parallel-size {ep}"] if ep > 1 else []
    if etp is not None and etp != tp:
        out.append(f"--expert-tensor-parallel-size {etp}")
    return out
