"""How a training run is laid out over accelerators: the :class:`Parallelism` value object.

A layout stores what the user gave — tensor (``tp``), pipeline (``pp``), data (``dp``) and expert
(``ep``) parallel degrees, sequence parallelism, the ZeRO stage or FSDP sharding, activation
recompute, flash attention, the micro-batch and sequence length, precision, optimizer and an
overhead allowance — and derives the rest (the data-parallel degree from a GPU count, the ZeRO stage
an FSDP strategy equals, bytes per value). Construction validates every field and names it, so
``Parallelism(tp=3, gpus=8)`` raises an :class:`~planner.errors.InputError` for ``gpus``.

Checks that need the model (TP divides the heads, PP divides the layers, EP divides the experts)
happen in :func:`planner.training.memory.memory_estimate`, where the architecture is known; the TP
rule is written once, here (:func:`check_tp`, :func:`tp_degrees`), for the memory check, the memory
fix search and the workbook's TP options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from .. import validate
from ..errors import InputError, PlanFileError
from .frameworks import FRAMEWORKS, framework

# Values given to a layout (``with_``'s changes; a plan file's table, batch shape and GPU count) are typed ``Any``:
# they are the user's input before validation, which :class:`Parallelism` does (naming the field it refuses).

RECOMPUTE = ("none", "selective", "full")
#: How the loss holds the logits: ``fp32-upcast`` (``logits.float()`` then cross-entropy: PyTorch, Hugging
#: Face, torchtitan), ``fp32-inplace`` (Megatron's vocab-parallel cross-entropy works in place on one fp32
#: copy), ``chunked`` (a fused linear + cross-entropy kernel never materialises the logits: Liger, Cut
#: Cross-Entropy).
LOSSES = ("fp32-upcast", "fp32-inplace", "fused", "chunked")
#: What is moved to CPU memory (ZeRO-Offload, ZeRO-Infinity, FSDP CPUOffload): nothing, the optimizer
#: state (with the fp32 master copy), or also the sharded parameters.
OFFLOAD = ("none", "optimizer", "params")
PRECISIONS = ("bf16-mixed", "fp16-mixed", "fp32")
OPTIMIZERS = ("adamw", "adamw-8bit", "sgd")
FSDP = ("full", "grad-op")              # FSDP FULL_SHARD = ZeRO-3, SHARD_GRAD_OP = ZeRO-2
FSDP_ZERO = {"full": 3, "grad-op": 2}
#: Optimizer state bytes per parameter, without the fp32 master copy: AdamW keeps m and v in fp32
#: (8); 8-bit AdamW (bitsandbytes) keeps them in one byte each (2; its per-block scales are ~0.4% of
#: that and left out); SGD keeps one fp32 momentum buffer (4).
OPTIMIZER_BYTES = {"adamw": 8, "adamw-8bit": 2, "sgd": 4}
#: Memory per GPU outside PyTorch's caching allocator, in bytes: the CUDA context (about 0.5 GiB on an
#: H100), cuBLAS workspaces and NCCL's communicator buffers. It is not in ``torch.cuda.max_memory_reserved``
#: (what the measured runs report) but it is on the device, so the fit counts it. Change it with ``overhead=``.
DEFAULT_OVERHEAD = 2**30
MAX_DEGREE = 1_000_000               # any one parallel degree
MAX_SEQ = 10**8


def experts_tile(tp: Any, dp: Any, cp: Any, ep: Any, etp: Any = None) -> Any:
    """Whether EP groups of ETP-way split experts tile the ranks a layer spans (TP × DP × CP): Megatron's expert
    layers regroup those ranks as ETP × EP × expert-DP ("MoE parallel folding", Megatron-Core from 0.10), so with
    ETP = TP (the default) EP divides DP × CP, and with ETP 1 EP may also span the TP ranks. Vectorised.

    Args:
        tp: the tensor-parallel degree (arrays in a sweep).
        dp: the data-parallel degree.
        cp: the context-parallel degree.
        ep: the expert-parallel degree.
        etp: the experts' tensor-parallel degree (None: ``tp``).

    Returns:
        True (or a boolean array) where they tile.

    Examples:
        >>> bool(experts_tile(2, 16, 1, 32, 1)), bool(experts_tile(2, 16, 1, 32))
        (True, False)
    """
    etp = tp if etp is None else etp
    return np.mod(np.multiply(np.multiply(tp, dp), cp), np.multiply(etp, ep)) == 0


@dataclass(frozen=True)
class Parallelism:
    """A training layout per GPU: parallel degrees, sharding, recompute, batch shape and precision.

    All arguments are keywords and optional; ``p.with_(tp=2)`` equals a fresh build with that change.

    Args:
        micro_batch: sequences per GPU per forward pass (whole number >= 1; default 1).
        seq_len: tokens per sequence (default 2048).
        tp: tensor-parallel degree (default 1).
        pp: pipeline-parallel degree (default 1).
        dp: data-parallel degree; default: ``gpus / (tp·pp)`` when ``gpus`` is given, else 1.
        ep: expert-parallel degree (MoE; must divide ``dp × cp`` and the number of experts).
        cp: context-parallel degree (default 1): each sequence is split over ``cp`` GPUs (ring attention); the
            model states are sharded over ``dp × cp`` as torchtitan and Megatron do.
        etp: expert tensor-parallel degree (Megatron's ``--expert-tensor-parallel-size``); default None: ``tp``.
        vpp: virtual pipeline stages per GPU (Megatron's interleaved 1F1B; default 1).
        micro_batches: micro-batches per optimizer step per pipeline; default None: at least ``pp`` (with
            fewer, the first stage holds fewer in flight).
        sp: sequence parallelism (Megatron: the norm and dropout activations split over TP too).
        zero: ZeRO stage 0-3 (optimizer states, + gradients, + weights sharded over ``dp``).
        fsdp: ``"full"`` (FULL_SHARD, ZeRO-3) or ``"grad-op"`` (SHARD_GRAD_OP, ZeRO-2); this or ``zero``,
            not both.
        recompute: ``"none"``, ``"selective"`` or ``"full"`` (each layer's input only). What ``"selective"``
            keeps depends on the framework: the attention core is recomputed (Korthikanti et al. 2022) in
            Megatron, DeepSpeed and plain PyTorch; torchtitan's op-level policy keeps every other matmul output.
        recompute_layers: with ``recompute="full"``, how many layers per pipeline stage are recomputed (the rest
            keep everything: Megatron's ``--recompute-num-layers``, torchtitan's per-layer checkpointing);
            default None: all of them.
        framework: the training stack whose memory behaviour to follow, one of :data:`FRAMEWORKS` (default
            ``"pytorch"``: FSDP or DDP with Hugging Face-style models).
        loss: how the loss holds the logits, one of :data:`LOSSES`; default None: the framework's.
        compile: ``torch.compile`` fuses each layer (torchtitan's measured runs: a smaller peak).
        fp8: float8 matmuls (torchao / Transformer Engine); the weights' fp8 copies are counted.
        tp_overlap: TP's all-gathers and reduce-scatters overlap the matmuls (Megatron-LM's
            ``--tp-comm-overlap``, torchtitan's async TP under ``torch.compile``); needs TP > 1 and a framework
            that runs it.
        offload: what lives in CPU memory, one of :data:`OFFLOAD` (default ``"none"``).
        flash_attention: no s² attention scores are stored.
        precision: ``"bf16-mixed"``, ``"fp16-mixed"`` (2-byte weights, gradients and activations) or
            ``"fp32"`` (4 bytes each, no master copy).
        optimizer: ``"adamw"``, ``"adamw-8bit"`` or ``"sgd"`` (with momentum).
        master_weights: keep an fp32 master copy of the weights in mixed precision (default True).
        fp32_grads: fp32 gradient buffers in mixed precision; default None: as the framework does (Megatron
            accumulates gradients in fp32, the others in the weights' 16 bits).
        dropout: the model trains with dropout, so its masks are stored (Korthikanti's counts assume it;
            Llama-style pretraining does not); default None: as the model says (its config's dropout rates,
            :attr:`Architecture.dropout <planner.Architecture>`; none for a bare parameter count).
        overhead: bytes per GPU outside PyTorch's allocator (default :data:`DEFAULT_OVERHEAD`).
        gpus: the number of GPUs, optional; when given, ``dp × tp × pp × cp`` must equal it.

    Raises:
        InputError: naming the field, for any invalid value or an inconsistent combination
            (``Parallelism(tp=3, gpus=8)`` names ``gpus``).
    """

    micro_batch: int = 1
    seq_len: int = 2048
    tp: int = 1
    pp: int = 1
    dp: int | None = None
    ep: int = 1
    cp: int = 1
    etp: int | None = None
    vpp: int = 1
    micro_batches: int | None = None
    sp: bool = False
    zero: int = 0
    fsdp: str | None = None
    recompute: str = "none"
    recompute_layers: int | None = None
    flash_attention: bool = False
    precision: str = "bf16-mixed"
    optimizer: str = "adamw"
    master_weights: bool = True
    fp32_grads: bool | None = None
    dropout: bool | None = None
    framework: str = "pytorch"
    loss: str | None = None
    compile: bool = False
    fp8: bool = False
    tp_overlap: bool = False
    offload: str = "none"
    overhead: int = DEFAULT_OVERHEAD
    gpus: int | None = None

    def __post_init__(self) -> None:
        def set_(k: str, v: object) -> None:
            object.__setattr__(self, k, v)

        set_("micro_batch", validate.count("micro_batch", self.micro_batch, maximum=MAX_SEQ))
        set_("seq_len", validate.count("seq_len", self.seq_len, maximum=MAX_SEQ))
        for k in ("tp", "pp", "ep", "cp", "vpp"):
            set_(k, validate.count(k, getattr(self, k), maximum=MAX_DEGREE))
        for k in ("etp", "micro_batches", "recompute_layers"):
            if getattr(self, k) is not None:
                set_(k, validate.count(k, getattr(self, k), maximum=MAX_SEQ))
        if self.dp is not None:
            set_("dp", validate.count("dp", self.dp, maximum=MAX_DEGREE))
        if self.gpus is not None:
            set_("gpus", validate.count("gpus", self.gpus, maximum=MAX_DEGREE ** 2))
        for k in ("sp", "flash_attention", "master_weights", "compile", "fp8", "tp_overlap"):
            set_(k, validate.flag(k, getattr(self, k)))
        for k in ("dropout", "fp32_grads"):
            if getattr(self, k) is not None:
                set_(k, validate.flag(k, getattr(self, k)))
        set_("zero", validate.count("zero", self.zero, minimum=0, maximum=3))
        set_("overhead", validate.count("overhead", self.overhead, minimum=0))
        for k, choices in (("recompute", RECOMPUTE), ("precision", PRECISIONS), ("optimizer", OPTIMIZERS),
                           ("framework", FRAMEWORKS), ("loss", LOSSES), ("offload", OFFLOAD)):
            v = getattr(self, k)
            if k == "loss" and v is None:
                continue
            if not isinstance(v, str) or v not in choices:  # an array ["full"] compares element-wise: refused
                raise InputError(k, f"one of {', '.join(choices)}", detail=f"must be one of {', '.join(choices)}, "
                                                                           f"got {validate.shown(v)}")
        if self.fsdp is not None:
            if not isinstance(self.fsdp, str) or self.fsdp not in FSDP:
                raise InputError("fsdp", f"one of {', '.join(FSDP)}", detail=f"must be one of {', '.join(FSDP)}, "
                                                                             f"got {validate.shown(self.fsdp)}")
            if self.zero:
                raise InputError("fsdp", "either fsdp or zero, not both",
                                 detail=f"give either fsdp ({self.fsdp!r}) or zero ({self.zero}), not both")
        fw = framework(self.framework)
        for k in ("tp", "pp", "cp", "ep"):
            if getattr(self, k) > 1 and k not in fw.degrees:
                names = {"tp": "tensor", "pp": "pipeline", "cp": "context", "ep": "expert"}
                runs = " and ".join(names[d] for d in fw.degrees) or "no other"
                raise InputError(k, f"1 with framework {fw.key!r}", detail=f"must be 1: {fw.key} runs only {runs} "
                                 f"parallelism beside data parallelism, got {getattr(self, k)}")
        if self.pp > 1 and self.zero_stage > fw.pp_zero:
            key = "zero" if self.zero else "fsdp"
            raise InputError(key, f"ZeRO 0-{fw.pp_zero} with pipeline parallelism in {fw.key}",
                             detail=f"must be ZeRO 0-{fw.pp_zero} with pp > 1: {fw.key}'s pipeline engine runs no "
                             f"higher stage, got ZeRO {self.zero_stage} with pp {self.pp}")
        if self.recompute not in fw.recompute:
            raise InputError("recompute", f"one of {', '.join(fw.recompute)} with framework {fw.key!r}",
                             detail=f"{fw.key} offers {', '.join(fw.recompute)}, got {self.recompute!r}")
        if self.recompute_layers is not None and self.recompute != "full":
            raise InputError("recompute_layers", "a layer count with recompute \"full\"",
                             detail=f"applies to full recompute only (recompute is {self.recompute!r})")
        if self.tp_overlap and self.tp == 1:
            raise InputError("tp_overlap", "False with TP 1", detail="needs tp > 1: there are no TP collectives "
                             "to overlap")
        if self.tp_overlap and not fw.overlaps_tp(self.compile):
            raise InputError("tp_overlap", f"False with framework {fw.key!r}"
                             f"{' without compile' if fw.tp_overlap == 'compiled' else ''}",
                             detail=f"must be False: {fw.key} does not overlap TP's collectives with the matmuls"
                             f"{' without torch.compile (async TP needs compile=True)' if fw.tp_overlap else ''}")
        if self.vpp > 1 and self.pp == 1:
            raise InputError("vpp", "1 without pipeline parallelism", detail=f"needs pp > 1, got vpp {self.vpp}")
        if self.vpp > 1 and not fw.interleaved:
            raise InputError("vpp", f"1 with framework {fw.key!r}", detail=f"must be 1: {fw.key}'s pipeline runs "
                             f"1F1B without virtual stages, got {self.vpp}")
        if self.offload == "params" and self.zero_stage < 3:
            raise InputError("offload", "\"params\" with ZeRO stage 3 or FSDP full sharding",
                             detail="\"params\" needs sharded weights (zero = 3 or fsdp = \"full\")")
        model_parallel = self.tp * self.pp * self.cp
        if self.gpus is not None:
            if self.dp is not None and self.dp * model_parallel != self.gpus:
                raise InputError("gpus", "dp × tp × pp × cp", detail=f"must equal dp × tp × pp × cp = {self.dp} × "
                                 f"{self.tp} × {self.pp} × {self.cp} = {self.dp * model_parallel:,}, got {self.gpus:,}")
            if self.gpus % model_parallel:
                raise InputError("gpus", "a multiple of tp × pp × cp", detail=f"must be a multiple of tp × pp × cp = "
                                 f"{model_parallel:,} (the rest is data parallel), got {self.gpus:,}")
        ranks = self.tp * self.shard_degree
        if ranks % self.expert_tp:
            raise InputError("etp", "a divisor of tp × dp × cp", detail=f"must divide tp × dp × cp ({ranks:,}), the "
                             f"ranks a layer spans, got {self.expert_tp:,}")
        if not experts_tile(self.tp, self.data_parallel, self.cp, self.ep, self.expert_tp):
            within = "dp × cp" if self.expert_tp == self.tp else "tp × dp × cp / etp"
            raise InputError("ep", f"a divisor of {within}", detail=f"must divide {within} "
                             f"({ranks // self.expert_tp:,}): experts are spread over the "
                             f"ranks a layer's TP, DP and CP span, ETP ({self.expert_tp}) to an expert, "
                             f"got {self.ep:,}")

    # ---- derived ------------------------------------------------------------------------------
    @property
    def data_parallel(self) -> int:
        """The data-parallel degree: ``dp`` if given, else ``gpus / (tp·pp·cp)``, else 1."""
        if self.dp is not None:
            return self.dp
        return self.gpus // (self.tp * self.pp * self.cp) if self.gpus is not None else 1

    @property
    def num_gpus(self) -> int:
        """GPUs the layout occupies: ``dp × tp × pp × cp``."""
        return self.data_parallel * self.tp * self.pp * self.cp

    @property
    def shard_degree(self) -> int:
        """The ranks ZeRO and FSDP shard the model states over: ``dp × cp`` (context-parallel ranks hold the
        same weights)."""
        return self.data_parallel * self.cp

    @property
    def expert_tp(self) -> int:
        """The tensor-parallel degree of the experts: ``etp``, else ``tp``."""
        return self.tp if self.etp is None else self.etp

    @property
    def zero_stage(self) -> int:
        """The ZeRO stage, with FSDP mapped onto it (full → 3, grad-op → 2)."""
        return FSDP_ZERO[self.fsdp] if self.fsdp else self.zero

    @property
    def mixed(self) -> bool:
        """True for mixed precision (bf16-mixed, fp16-mixed)."""
        return self.precision != "fp32"

    @property
    def weight_bytes(self) -> int:
        """Bytes per weight as the forward pass uses it (2 in mixed precision, 4 in fp32)."""
        return 2 if self.mixed else 4

    @property
    def grad_bytes(self) -> int:
        """Bytes per gradient: 2 in mixed precision (4 with fp32 gradient buffers, Megatron's default), 4 in fp32."""
        fp32 = framework(self.framework).fp32_grads if self.fp32_grads is None else self.fp32_grads
        return 4 if (not self.mixed or fp32) else 2

    @property
    def loss_kind(self) -> str:
        """How the loss holds the logits: ``loss`` if given, else the framework's
        (:mod:`planner.training.frameworks`)."""
        return framework(self.framework).loss if self.loss is None else self.loss

    @property
    def optimizer_bytes(self) -> int:
        """Optimizer state bytes per parameter (K in the ZeRO paper), the fp32 master copy included."""
        return OPTIMIZER_BYTES[self.optimizer] + (4 if self.mixed and self.master_weights else 0)

    @property
    def activation_bytes(self) -> int:
        """Bytes per stored activation value (2 in mixed precision, 4 in fp32)."""
        return 2 if self.mixed else 4

    def describe(self) -> str:
        """One line: ``micro-batch 4 × seq-len 2,048; TP 1, PP 1, DP 1, EP 1 (1 GPU); ZeRO 0; recompute none; ...``."""
        n = self.num_gpus
        return (f"micro-batch {self.micro_batch:,} × seq-len {self.seq_len:,}; "
                f"TP {self.tp}{' + SP' if self.sp else ''}{' (overlapped)' if self.tp_overlap else ''}, "
                f"PP {self.pp}{f' × {self.vpp} virtual' if self.vpp > 1 else ''}, "
                f"{f'CP {self.cp}, ' if self.cp > 1 else ''}DP {self.data_parallel:,}, EP {self.ep} "
                f"({n:,} GPU{'s' if n > 1 else ''}); ZeRO {self.zero_stage}; recompute {self.recompute}"
                f"{f' ({self.recompute_layers} layers per stage)' if self.recompute_layers else ''}"
                f"{'; flash attention' if self.flash_attention else ''}; "
                f"{self.precision}{' + fp8' if self.fp8 else ''} {self.optimizer}"
                f"{'; dropout masks' if self.dropout else ''}; {self.framework}{', compiled' if self.compile else ''}"
                f"{f'; offload {self.offload}' if self.offload != 'none' else ''}")

    def with_(self, **changes: Any) -> Parallelism:
        """A copy with some fields changed (validated again).

        Args:
            **changes: fields and their new values.

        Returns:
            The new :class:`Parallelism`.

        Raises:
            InputError: a changed field is invalid, or the combination is inconsistent.
        """
        return replace(self, **changes)

    def with_accumulation(self, grad_accum: int | None) -> Parallelism:
        """A pipeline running ``grad_accum`` micro-batches a step, unless it states its own: a plan's budget holds
        the accumulation, and the micro-batches an interleaved schedule holds in flight depend on it. Without a
        pipeline the layout is returned as it is (its memory does not depend on them).

        Args:
            grad_accum: micro-batches per step per data-parallel rank (a budget's ``grad_accum``), or None.

        Returns:
            The layout, with ``micro_batches`` set when it pipelines, states none and ``grad_accum`` is given.
        """
        if self.pp == 1 or self.micro_batches is not None or grad_accum is None:
            return self
        return self.with_(micro_batches=grad_accum)

    def to_dict(self) -> dict[str, object]:
        """The fields as given (``dp`` and ``gpus`` may be None) plus the derived ``data_parallel`` and ``zero_stage``.

        Returns:
            ``{field: value}``.
        """
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "data_parallel": self.data_parallel,
                "zero_stage": self.zero_stage}


def _tp_suits(num_heads: int, num_kv_heads: int, tp: int) -> bool:
    return num_heads % tp == 0 and (num_kv_heads % tp == 0 or tp % num_kv_heads == 0)


def check_tp(num_heads: int, num_kv_heads: int, tp: int) -> None:
    """Refuse a tensor-parallel degree that does not split the attention heads evenly.

    Megatron splits the query heads over the TP ranks, so ``tp`` must divide them; the key/value heads
    (GQA) are split too, or replicated when there are fewer of them than ranks, so ``tp`` must divide
    them or be a multiple of them.

    Args:
        num_heads: the query heads.
        num_kv_heads: the key/value heads.
        tp: the tensor-parallel degree.

    Returns:
        None.

    Raises:
        InputError: for field ``tp``, naming the heads it does not suit.
    """
    if num_heads % tp:
        raise InputError("tp", f"a divisor of the number of attention heads ({num_heads})", tp)
    if not _tp_suits(num_heads, num_kv_heads, tp):
        raise InputError("tp", f"a divisor or a multiple of the number of key/value heads ({num_kv_heads})", tp)


def tp_degrees(num_heads: int, num_kv_heads: int, limit: int | None = None) -> list[int]:
    """Every tensor-parallel degree :func:`check_tp` accepts, in increasing order.

    Args:
        num_heads: the query heads.
        num_kv_heads: the key/value heads.
        limit: the largest degree wanted (default: ``num_heads``).

    Returns:
        The divisors of ``num_heads`` up to ``limit`` that divide ``num_kv_heads`` or are multiples of it.

    Raises:
        InputError: a head count or the limit is not a whole number >= 1.
    """
    heads, kv = validate.count("num_heads", num_heads), validate.count("num_kv_heads", num_kv_heads)
    top = heads if limit is None else min(heads, validate.count("limit", limit))
    return [t for t in range(1, top + 1) if _tp_suits(heads, kv, t)]


#: Keys a plan file's ``[parallelism]`` table accepts (the command line's option names, with underscores).
#: The micro-batch, sequence length and data-parallel degree come from ``[training]``, the GPU count
#: from ``[hardware] count``.
PLAN_KEYS = ("tp", "pp", "ep", "cp", "etp", "vpp", "micro_batches", "sp", "zero", "fsdp", "recompute",
             "recompute_layers", "flash_attention", "precision", "optimizer", "master_weights", "fp32_grads",
             "dropout", "framework", "loss", "compile", "fp8", "tp_overlap", "offload", "overhead")


def parallelism_from_dict(table: object, field_prefix: str = "plan.parallelism", *, micro_batch: Any = 1,
                          seq_len: Any = 2048, dp: Any = None, gpus: Any = None,
                          field_names: Mapping[str, str] | None = None) -> Parallelism:
    """Validate a plan file's ``[parallelism]`` table and build the :class:`Parallelism`.

    Args:
        table: any of :data:`PLAN_KEYS` (``tp = 2``, ``recompute = "full"``, ...).
        field_prefix: the name errors give the table.
        micro_batch: from ``[training]``.
        seq_len: from ``[training]``.
        dp: ``[training] data_parallel``.
        gpus: ``[hardware] count``.
        field_names: maps those four keyword names to the plan fields to blame (default:
            ``plan.training.micro_batch``, ``plan.training.seq_len``, ``plan.training.data_parallel``,
            ``plan.hardware.count``).

    Returns:
        The ``Parallelism``.

    Raises:
        PlanFileError: naming ``<field_prefix>.<key>`` (or the blamed plan field) for an unknown key, a
            wrong type or value, a missing batch shape, or an inconsistent layout.
    """
    if not isinstance(table, dict):
        raise PlanFileError(field_prefix, f"must be a table, got {type(table).__name__}")
    unknown = sorted(set(table) - set(PLAN_KEYS))
    if unknown:
        raise PlanFileError(f"{field_prefix}.{unknown[0]}", f"unknown key; accepted: {', '.join(sorted(PLAN_KEYS))}")
    outside = {"micro_batch": "plan.training.micro_batch", "seq_len": "plan.training.seq_len",
               "dp": "plan.training.data_parallel", "gpus": "plan.hardware.count", **(field_names or {})}
    given = {"micro_batch": micro_batch, "seq_len": seq_len, "dp": dp, "gpus": gpus}
    for k in ("micro_batch", "seq_len"):
        if given[k] is None:
            raise PlanFileError(outside[k], f"missing: a memory estimate needs the {k} (give micro_batch and "
                                            "seq_len rather than tokens_per_step)")
    try:
        return Parallelism(**table, **given)
    except InputError as e:
        name = outside.get(e.field, f"{field_prefix}.{e.field}")
        raise PlanFileError(name, e.problem) from e
