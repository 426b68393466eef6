"""Launch files from a plan and a layout: the way back from :func:`planner.launch.read_launch_config`.

:func:`write_launch` returns the text of a Megatron-LM launch script or a torchtitan TOML job config that
trains ``plan`` (its model, steps and tokens per step) with ``layout`` (a
:class:`~planner.training.parallelism.Parallelism`) on ``plan.count`` GPUs. Every key written is one the
framework accepts (its own argument or field names, checked against ``data/launch/``) and that the planner's
reader reads; the text is read back with that reader before it is returned, so what is written reads back to
the same N, D, steps, tokens per step, GPUs and layout, or :class:`~planner.errors.InputError` names the field
that cannot be stated.

What a format states (:data:`STATED`), and what it cannot:

* both: the model, ``steps``, the global batch (tokens per step / ``seq_len``), ``micro_batch``,
  ``seq_len``, TP, PP, CP and the data-parallel size (GPUs / (TP × PP × CP)), recompute, precision.
  Neither states ``prior_tokens`` (continued pretraining starts from a checkpoint the file loads), the
  optimizer (AdamW only), ``overhead`` (the planner's allowance) or CPU offload.
* megatron: also mixtures of experts (:mod:`planner.launch.megatron_moe`) with EP and ETP, SP, ZeRO 1
  (``--use-distributed-optimizer``), virtual pipeline stages, flash attention,
  dropout, fp32 gradient buffers (Megatron's own in mixed precision) and float8 matmuls (``--fp8-format
  hybrid``). Not ZeRO 2/3 or FSDP (Megatron's FSDP arguments are not read by the planner), ``compile``;
  ``micro_batches`` is the global batch
  / (micro-batch × DP), not a separate value.
* torchtitan: also FSDP full sharding (``data_parallel_shard_degree``) or DDP (``replicate``), ``compile``,
  ``fp8`` (a float8 converter); the model only as a dense torchtitan flavor (``[model] name/flavor``). Not EP, ZeRO
  1-3 (torchtitan shards with FSDP2), FSDP ``grad-op``, virtual stages, dropout; flash attention and, with
  TP, sequence parallelism are always on.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from .. import validate
from ..datafiles import read_csv
from ..errors import InputError
from ..model.architecture import Architecture
from ..training.frameworks import framework
from ..training.memory.partition import check_layout, model_parts
from ..training.parallelism import Parallelism
from ..verdict.schema import Plan
from . import megatron, torchtitan, write_megatron, write_torchtitan
from .common import LaunchConfig

WRITE_FORMATS = ("megatron", "torchtitan")

#: The layout values each format states, as :class:`Parallelism` names them (``data_parallel``, ``zero_stage``
#: and ``grad_bytes`` are its derived values; ``recompute_layers`` counts "every layer of the stage" as None).
STATED = {
    "megatron": ("micro_batch", "seq_len", "tp", "pp", "cp", "ep", "etp", "data_parallel", "vpp", "sp", "tp_overlap",
                 "zero_stage", "recompute", "recompute_layers", "flash_attention", "precision", "grad_bytes",
                 "dropout", "fp8", "framework"),
    "torchtitan": ("micro_batch", "seq_len", "tp", "pp", "cp", "data_parallel", "vpp", "fsdp", "sp", "tp_overlap",
                   "zero_stage",
                   "recompute", "recompute_layers", "flash_attention", "precision", "compile", "fp8",
                   "framework"),
}
#: The :class:`Parallelism` field an error names for a derived value.
_FIELD = {"data_parallel": "dp", "zero_stage": "zero", "grad_bytes": "fp32_grads"}
_FILE_NAMES = {"megatron": "written_megatron.sh", "torchtitan": "written_torchtitan.toml"}
_READERS = {"megatron": megatron.read, "torchtitan": torchtitan.read}


def write_launch(plan: Plan, layout: Parallelism, format: str, *, gpus_per_node: int = 8) -> str:
    """The text of a launch file that trains ``plan`` with ``layout``.

    Args:
        plan: the plan: its model must be an architecture (not a bare parameter count); its steps and tokens per
            step are written, and ``plan.count`` is the world size.
        layout: the layout; its data-parallel size is ``plan.count / (tp × pp × cp)`` when it gives neither
            ``dp`` nor ``gpus``, and its ``framework`` must be the format's (``"megatron"``, ``"torchtitan"``).
        format: ``"megatron"`` (a bash script: ``torchrun … pretrain_gpt.py`` with its arguments in bash
            arrays) or ``"torchtitan"`` (a TOML job config).
        gpus_per_node: GPUs per node, for Megatron's ``torchrun --nproc_per_node`` and ``--nnodes``.

    Returns:
        The file's text (the caller writes it, through :mod:`planner.files`).

    Raises:
        InputError: naming the field: ``format`` not one of :data:`WRITE_FORMATS`; ``model`` a bare parameter
            count, or (torchtitan) not a torchtitan flavor; ``hardware.count`` different from the layout's
            GPUs; ``seq_len`` different from the plan's, or not dividing its tokens per step; ``micro_batch``
            × data-parallel not dividing the global batch; a layout that does not suit the model (``tp``, ``pp``,
            ``ep``: :func:`~planner.training.memory.partition.check_layout`); a layout field the format cannot
            state (see the module docstring) or its framework would refuse (``tp`` not dividing the FFN width, ...).
    """
    if not isinstance(format, str) or format not in WRITE_FORMATS:
        raise InputError("format", f"one of {', '.join(WRITE_FORMATS)}",
                         detail=f"must be one of {', '.join(WRITE_FORMATS)}, got {validate.shown(format)}")
    if not isinstance(plan, Plan):
        raise InputError("plan", "a planner.Plan", type(plan).__name__)
    if not isinstance(layout, Parallelism):
        raise InputError("layout", "a planner.training.parallelism.Parallelism", type(layout).__name__)
    per_node = validate.count("gpus_per_node", gpus_per_node)
    if plan.model is None:
        raise InputError("model", "an architecture", detail="is a bare parameter count; a launch file states the "
                         "model's dimensions (give the plan a config, a catalog name or dimensions)")
    arch = plan.model
    if layout.dp is None and layout.gpus is None:
        try:
            layout = layout.with_(gpus=plan.count)
        except InputError as e:   # TP × PP × CP does not divide the plan's GPUs
            raise InputError("hardware.count", "", detail=e.problem) from None
    if layout.num_gpus != plan.count:
        raise InputError("hardware.count", f"the layout's GPUs ({layout.num_gpus:,} = DP {layout.data_parallel:,} "
                         f"× TP {layout.tp} × PP {layout.pp} × CP {layout.cp})", plan.count)
    check_layout(model_parts(arch), layout)     # it suits the model: TP the heads, PP the layers, EP the experts
    global_batch = _global_batch(plan, layout)
    _refuse_unstated(layout, format, global_batch // (layout.micro_batch * layout.data_parallel))
    if format == "megatron":
        text = write_megatron.render(plan, arch, layout, global_batch=global_batch, gpus_per_node=per_node)
    else:
        text = write_torchtitan.render(plan, arch, layout, model=_torchtitan_model(arch), global_batch=global_batch,
                                       stage=_stage_layers(arch, layout))
    _check_reads_back(format, text, plan, arch, layout)
    return text


def _global_batch(plan: Plan, layout: Parallelism) -> int:
    """Sequences per optimizer step: the plan's tokens per step / the layout's sequence length."""
    seq, tokens = layout.seq_len, plan.budget.tokens_per_step
    if plan.budget.seq_len is not None and plan.budget.seq_len != seq:
        raise InputError("seq_len", f"the plan's sequence length ({plan.budget.seq_len:,})", seq)
    if tokens % seq:
        raise InputError("seq_len", f"a divisor of the plan's tokens per step ({tokens:,})", seq)
    sequences, per_step = tokens // seq, layout.micro_batch * layout.data_parallel
    if sequences % per_step:
        raise InputError("micro_batch", f"a micro-batch whose product with data-parallel {layout.data_parallel:,} "
                         f"divides the global batch of {sequences:,} sequences", layout.micro_batch)
    return sequences


def _refuse_unstated(layout: Parallelism, fmt: str, grad_accum: int) -> None:
    """Refuse a layout value the format has no way to state (it would read back as the default)."""
    def refuse(field: str, accepted: str, why: str) -> None:
        raise InputError(field, accepted, detail=f"must be {accepted} in a {fmt} launch file ({why}), "
                                                 f"got {validate.shown(getattr(layout, field))}")

    if layout.framework != fmt:
        refuse("framework", repr(fmt), "the file runs that framework, whose memory behaviour the layout follows")
    if fmt != "megatron" and (layout.ep != 1 or layout.etp not in (None, layout.tp)):
        refuse("ep" if layout.ep != 1 else "etp", "unset", "a torchtitan job config names a dense flavor")
    if layout.optimizer != "adamw":
        refuse("optimizer", "'adamw'", "the file leaves the optimizer at the framework's AdamW")
    if layout.mixed and not layout.master_weights:
        refuse("master_weights", "True", "both keep fp32 master weights in mixed precision")
    if layout.loss not in (None, framework(fmt).loss):
        refuse("loss", repr(framework(fmt).loss), "the framework's own loss")
    if layout.offload != "none":
        refuse("offload", "'none'", "CPU offload is not read back by the planner")
    if fmt == "megatron":
        if layout.fsdp is not None or layout.zero > 1:
            refuse("fsdp" if layout.fsdp else "zero", "unset" if layout.fsdp else "0 or 1",
                   "Megatron shards the optimizer state with --use-distributed-optimizer (ZeRO 1); its FSDP "
                   "arguments are not read back by the planner")
        if layout.tp_overlap and not layout.sp:
            refuse("tp_overlap", "False without sequence parallelism", "Megatron's arguments.py: 'Tensor parallel "
                   "communication/GEMM overlap can happen only when sequence parallelism is enabled'")
        if layout.compile:
            refuse("compile", "False", "not read back by the planner from Megatron arguments")
        if layout.micro_batches not in (None, grad_accum):
            refuse("micro_batches", f"unset or {grad_accum}", "Megatron runs global batch / (micro-batch × DP) "
                   "micro-batches per step")
        if layout.fp32_grads is not None and layout.fp32_grads != layout.mixed:
            refuse("fp32_grads", "unset", "Megatron keeps fp32 gradient buffers in mixed precision")
    else:
        if layout.zero:
            refuse("zero", "0", "torchtitan shards with FSDP2: give fsdp='full'")
        if layout.fsdp == "grad-op":
            refuse("fsdp", "'full' or unset", "grad-op (reshard_after_forward 'never') is not read back by the "
                   "planner")
        if layout.pp == 1 and layout.micro_batches not in (None, grad_accum):
            refuse("micro_batches", f"unset or {grad_accum}", "without pipelining torchtitan accumulates global "
                   "batch / (micro-batch × DP) micro-batches per step")
        if layout.dropout:
            refuse("dropout", "unset", "torchtitan's models train without dropout")
        if layout.mixed and layout.fp32_grads:
            refuse("fp32_grads", "unset", "torchtitan keeps gradients in the parameters' 16 bits")


def _stage_layers(arch: Architecture, layout: Parallelism) -> int:
    """Layers per pipeline stage, ``ceil(L / pp)``: the count ``recompute_layers`` says "all of them" with.

    Args:
        arch: the model.
        layout: the layout.

    Returns:
        The layers of the largest stage.
    """
    return -(-arch.num_layers // layout.pp)


def _stated(layout: Parallelism, fmt: str, arch: Architecture) -> dict[str, Any]:
    """The values of :data:`STATED` for ``fmt``: what the written file says of ``layout``.

    Args:
        layout: the layout.
        fmt: one of :data:`WRITE_FORMATS`.
        arch: the model (its dropout and depth decide ``dropout`` and "every layer" recomputed).

    Returns:
        ``{name: value}``; ``recompute_layers`` is None when every layer of a stage is recomputed,
            ``dropout`` whether dropout masks are stored.
    """
    out: dict[str, Any] = {}
    for name in STATED[fmt]:
        value = getattr(layout, name)
        if name == "recompute_layers" and value is not None and value >= _stage_layers(arch, layout):
            value = None
        elif name == "dropout":
            value = bool(value if value is not None else arch.dropout > 0)
        out[name] = value
    return out


@functools.cache
def _flavor_dimensions(name: str, flavor: str) -> dict[str, Any]:
    """The model torchtitan's ``name``/``flavor`` is, as the planner's reader reads it."""
    lc = torchtitan.read(Path("flavor.toml"), f"[model]\nname = {name!r}\nflavor = {flavor!r}\n")
    model = lc.plan().model
    assert model is not None   # the reader resolves a flavor to an architecture
    return _dimensions(model)


def torchtitan_flavors() -> tuple[tuple[str, str], ...]:
    """The torchtitan ``(name, flavor)`` pairs the planner reads: ``data/launch/model_names.csv`` and the Llama 3
    flavor table of :mod:`planner.launch.torchtitan`.

    Returns:
        ``(("llama3", "8B"), ("llama3", "70B"), ...)``.
    """
    rows = [r["name"].split("/", 1) for r in read_csv("launch/model_names.csv") if r["framework"] == "torchtitan"]
    pairs = [(name, flavor) for name, flavor in rows] + [("llama3", f) for f in torchtitan.LLAMA3_FLAVORS]
    return tuple(dict.fromkeys(pairs))


def _torchtitan_model(arch: Architecture) -> tuple[str, str]:
    """The torchtitan flavor whose dimensions are ``arch``'s, or an error naming ``model``."""
    want = _dimensions(arch)
    for name, flavor in torchtitan_flavors():
        if _flavor_dimensions(name, flavor) == want:
            return name, flavor
    known = ", ".join(f"{n}/{f}" for n, f in torchtitan_flavors())
    raise InputError("model", f"a torchtitan flavor ({known})", detail=f"{arch.name!r} is not a torchtitan flavor "
                     f"the planner knows ({known}): a torchtitan job config names a flavor, not dimensions")


def _dimensions(arch: Architecture) -> dict[str, Any]:
    """The values in use that fix the counts (labels and the training-only dropout left out)."""
    return {k: getattr(arch, k) for k in arch.inputs() if k not in ("family", "name", "dropout")}


def _check_reads_back(fmt: str, text: str, plan: Plan, arch: Architecture, layout: Parallelism) -> None:
    """Read ``text`` with the planner's reader; a value that does not come back is refused, named."""
    lc: LaunchConfig = _READERS[fmt](Path(_FILE_NAMES[fmt]), text, gpus=plan.count)
    back = lc.plan()
    assert back.model is not None   # both readers build an architecture
    want, got = _dimensions(arch), _dimensions(back.model)
    for k in want:
        if want[k] != got[k]:
            raise InputError(f"model.{k}", "", detail=f"a {fmt} launch file cannot state {validate.shown(want[k])} "
                             f"(it reads back as {validate.shown(got[k])})")
    for name, a, b in (("steps", plan.budget.steps, back.budget.steps),
                       ("tokens_per_step", plan.budget.tokens_per_step, back.budget.tokens_per_step),
                       ("hardware.count", plan.count, back.count)):
        if a != b:   # the writers state these directly: a difference is a bug, said as plainly
            raise AssertionError(f"{fmt} writer: {name} {a} reads back as {b}")
    want_layout, got_layout = _stated(layout, fmt, arch), _stated(lc.layout(), fmt, arch)
    for k in want_layout:
        if want_layout[k] != got_layout[k]:
            raise InputError(_FIELD.get(k, k), "", detail=f"a {fmt} launch file cannot state "
                             f"{validate.shown(want_layout[k])} "
                             f"for the planner's reader (it reads back as {validate.shown(got_layout[k])})")
