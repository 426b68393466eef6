"""A Megatron-LM launch script for a plan and a layout (see :func:`planner.launch.write.write_launch`).

The script follows NVIDIA's own examples (``examples/gpt3/train_gpt3_175b_distributed.sh``): ``torchrun``
with ``--nproc_per_node``/``--nnodes``, and ``pretrain_gpt.py`` with its arguments in bash arrays. Every
argument is one Megatron-LM's ``megatron/training/arguments.py`` defines in both versions the planner reads
(NVIDIA/Megatron-LM ``fa0dcc48``, 2024-12, and ``d98e8a64``, 2026-08); the rules it must satisfy are cited
where they are checked; the two that count the embedding and the loss as pipeline layers, written only for
interleaved stages the layers alone do not divide, are from 2025-02 (:mod:`planner.launch.megatron_split`). The
data is synthetic (``--mock-data`` with Megatron's ``NullTokenizer``), so the
script runs as written; a real run swaps in its tokenizer and data.
"""

from __future__ import annotations

import math

from ..errors import InputError
from ..model.architecture import Architecture
from ..training.frameworks import framework
from ..training.parallelism import Parallelism
from ..verdict.schema import Plan
from . import megatron_moe as moe
from .megatron_split import UNIT_FLAGS, split_arguments

#: Megatron's ``--make-vocab-size-divisible-by`` default: the vocabulary is padded to a multiple of it × TP.
DEFAULT_DIVISOR = 128


def vocab_divisor(vocab: int, tp: int) -> int:
    """The ``--make-vocab-size-divisible-by`` that keeps a ``vocab``-row embedding under tensor parallelism.

    Megatron pads the tokenizer's size up to a multiple of divisor × TP (``_vocab_size_with_padding``); with
    a divisor d such that d × TP divides ``vocab`` (and is at least 2), a tokenizer of ``vocab - 1`` or
    ``vocab`` ids pads to exactly ``vocab`` rows. The largest such d up to Megatron's 128, else the smallest.

    Args:
        vocab: the embedding rows the plan counts.
        tp: the tensor-parallel degree.

    Returns:
        The divisor.

    Raises:
        InputError: (``tp``) ``vocab`` is not a multiple of ``tp``: Megatron would pad it to one, a larger model.

    Examples:
        >>> vocab_divisor(128256, 8), vocab_divisor(50304, 1), vocab_divisor(50257, 1)
        (32, 128, 29)
    """
    if not framework("megatron").keeps_vocab(vocab, tp):
        raise InputError("tp", f"a divisor of the vocabulary ({vocab:,} rows): Megatron pads the vocabulary to a "
                         "multiple of the tensor-parallel size, which would change N", tp)
    per_rank = vocab // tp
    d = math.gcd(per_rank, DEFAULT_DIVISOR)
    if d * tp >= 2:
        return d
    return next((k for k in range(2, math.isqrt(per_rank) + 1) if per_rank % k == 0), per_rank)


def _check(arch: Architecture, layout: Parallelism) -> None:
    """Megatron's own rules for a layout, each cited; an error names the layout field."""
    L, tp, seq = arch.num_layers, layout.tp, layout.seq_len
    # megatron/core: divide(num_attention_heads, tp), divide(num_query_groups, tp), divide(ffn_hidden_size, tp)
    for what, n in (("attention heads", arch.num_heads), ("key/value heads (query groups)", arch.num_kv_heads),
                    ("FFN width", arch.intermediate_size)):
        if n % tp:
            raise InputError("tp", f"a divisor of the {what} ({n:,}): Megatron splits them evenly over TP", tp)
    if arch.num_experts:   # megatron/core: each expert's width split evenly over ETP (EP over the experts: the
        etp = layout.expert_tp                                           # planner's own check, write_launch)
        width = arch.moe_intermediate_size or arch.intermediate_size
        if width % etp:
            raise InputError("etp" if layout.etp else "tp", f"a divisor of the expert width ({width:,}): Megatron "
                             "splits each expert evenly over the expert tensor-parallel size", etp)
    split_arguments(L, layout.pp, layout.vpp)   # the stages Megatron can split as the planner models them
    if layout.vpp > 1 and layout.recompute_layers is not None and layout.recompute_layers % layout.vpp:
        raise InputError("recompute_layers", f"a multiple of vpp ({layout.vpp}): Megatron's --recompute-num-layers "
                         "counts the layers of each virtual stage", layout.recompute_layers)
    if layout.sp and (tp == 1 or seq % tp):  # arguments.py turns SP off at TP 1; SP splits the sequence over TP
        raise InputError("sp", "False with TP 1 (Megatron turns it off), or a sequence length divisible by TP",
                         detail=f"needs TP > 1 and a sequence length divisible by TP (TP {tp}, seq_len {seq:,})")
    if layout.cp > 1 and seq % (2 * layout.cp):   # arguments.py: seq-length a multiple of 2 × CP
        raise InputError("cp", f"a degree with seq_len ({seq:,}) a multiple of 2 × CP", layout.cp)
    if arch.max_positions and arch.max_positions < seq:   # arguments.py: max_position_embeddings >= seq_length
        raise InputError("seq_len", f"at most the model's {arch.max_positions:,} learned positions", seq)
    if layout.flash_attention and not layout.mixed:
        raise InputError("flash_attention", "False in fp32", detail="needs bf16 or fp16: flash attention kernels "
                         "run in 16 bits")
    if arch.norm not in ("rms", "layer"):
        raise InputError("model.norm", "rms or layer (Megatron's --normalization RMSNorm or LayerNorm)", arch.norm)


def _array(name: str, lines: list[str]) -> str:
    return "\n".join([f"{name}=(", *(f"    {line}" for line in lines), ")"])


def render(plan: Plan, arch: Architecture, layout: Parallelism, *, global_batch: int, gpus_per_node: int) -> str:
    """The launch script's text.

    Args:
        plan: the plan (its name, steps and tokens per step).
        arch: its model.
        layout: the layout, with its data-parallel size resolved (checked by the caller for what it leaves out).
        global_batch: sequences per optimizer step.
        gpus_per_node: GPUs per node for ``torchrun``.

    Returns:
        The script.

    Raises:
        InputError: naming the field Megatron would refuse: ``tp`` (not dividing the heads, key/value heads,
            FFN width or vocabulary), ``etp`` (not dividing an expert's width),
            ``pp``, ``vpp``, ``recompute_layers``, ``sp``, ``cp``, ``seq_len``,
            ``flash_attention``, ``model.norm``; ``gpus_per_node`` not dividing the world size.
    """
    _check(arch, layout)
    world, L, pp, vpp = layout.num_gpus, arch.num_layers, layout.pp, layout.vpp
    if world <= gpus_per_node:
        nproc, nodes = world, 1
    elif world % gpus_per_node == 0:
        nproc, nodes = gpus_per_node, world // gpus_per_node
    else:
        raise InputError("gpus_per_node", f"a divisor of the world size ({world:,} GPUs)", gpus_per_node)
    vocab, divisor = arch.vocab_size, vocab_divisor(arch.vocab_size, layout.tp)
    default_pad = -(-vocab // (DEFAULT_DIVISOR * layout.tp)) * DEFAULT_DIVISOR * layout.tp

    model = [f"--num-layers {L}", f"--hidden-size {arch.hidden_size}",
             f"--num-attention-heads {arch.num_heads}", f"--ffn-hidden-size {arch.intermediate_size}"]
    if arch.gated_mlp:
        model.append("--swiglu")
    if arch.num_kv_heads != arch.num_heads:
        model += ["--group-query-attention", f"--num-query-groups {arch.num_kv_heads}"]
    if arch.head_dim * arch.num_heads != arch.hidden_size:
        model.append(f"--kv-channels {arch.head_dim}")
    if arch.max_positions:
        model += ["--position-embedding-type learned_absolute", f"--max-position-embeddings {arch.max_positions}"]
    else:   # Megatron 2024 requires --max-position-embeddings; with RoPE it only bounds the sequence length
        model += ["--position-embedding-type rope", f"--max-position-embeddings {layout.seq_len}"]
    model.append(f"--normalization {'RMSNorm' if arch.norm == 'rms' else 'LayerNorm'}")
    if arch.qk_norm:
        model.append("--qk-layernorm")
    if not (arch.o_bias or arch.mlp_bias):
        model.append("--disable-bias-linear")
        if arch.qkv_bias:
            model.append("--add-qkv-bias")
    if not arch.tied_embeddings:
        model.append("--untie-embeddings-and-output-weights")
    rate = layout.dropout if layout.dropout is not None else arch.dropout > 0
    rate_value = (arch.dropout or 0.1) if rate else 0.0   # 0.1: Megatron's default rates
    model += [f"--attention-dropout {rate_value:g}", f"--hidden-dropout {rate_value:g}",
              f"--attention-backend {'flash' if layout.flash_attention else 'unfused'}"]
    model += moe.model_arguments(arch)

    training = [f"--seq-length {layout.seq_len}", f"--micro-batch-size {layout.micro_batch}",
                f"--global-batch-size {global_batch}", f"--train-iters {plan.budget.steps}"]
    training += {"bf16-mixed": ["--bf16"], "fp16-mixed": ["--fp16"], "fp32": []}[layout.precision]
    if layout.fp8:   # Transformer Engine's float8 matmuls: E4M3 forward, E5M2 for the gradients
        training.append("--fp8-format hybrid")

    parallel = [f"--tensor-model-parallel-size {layout.tp}", f"--pipeline-model-parallel-size {pp}",
                f"--context-parallel-size {layout.cp}", *moe.parallel_arguments(layout.ep, layout.etp, layout.tp)]
    # uneven stages: the first and last a layer short for the embedding and the head (--decoder-first/last-...), or
    # with virtual stages the embedding and the loss counted as layers (--account-for-...: Megatron-LM from 2025-02);
    # --virtual-pipeline-model-parallel-size is not a command-line option in either version
    split = split_arguments(L, pp, vpp)
    parallel += [f"{a}   # Megatron-LM from 2025-02: the embedding and the loss count as a layer each"
                 if a == UNIT_FLAGS[0] else a for a in split]
    if layout.sp:
        parallel.append("--sequence-parallel")
    if layout.tp_overlap:
        parallel.append("--tp-comm-overlap   # TP's collectives under the matmuls (Transformer Engine)")
    if layout.zero == 1:
        parallel.append("--use-distributed-optimizer   # ZeRO 1: the optimizer state sharded over DP x CP")
    if layout.recompute == "selective":
        parallel.append("--recompute-granularity selective")
    elif layout.recompute == "full":
        # TransformerConfig: full recompute needs a method; block recomputes the first N layers of each
        # (virtual) pipeline stage, N = every layer of it unless the layout says fewer
        chunk = -(-L // (pp * vpp))            # the most layers a (virtual) stage builds
        n = chunk if layout.recompute_layers is None else min(layout.recompute_layers // vpp, chunk)
        parallel += ["--recompute-granularity full", "--recompute-method block", f"--recompute-num-layers {n}"]

    data = ["--tokenizer-type NullTokenizer", f"--vocab-size {vocab - 1}",
            f"--make-vocab-size-divisible-by {divisor}", "--mock-data", "--split 949,50,1"]

    tokens = plan.budget.steps * global_batch * layout.seq_len
    head = [
        "#!/bin/bash",
        f"# Megatron-LM launch script written by the planner for the plan {plan.name!r}: reading it back",
        f"# (planner import THIS_FILE --format megatron --gpus {world}) gives the same plan and layout.",
        f"# D = {plan.budget.steps:,} steps x {global_batch:,} sequences x {layout.seq_len:,} tokens = {tokens:,} "
        "tokens.",
        f"# Layout: {layout.describe()}.",
        "# Arguments are Megatron-LM's own (megatron/training/arguments.py). Run from the Megatron-LM folder.",
        "# The data is synthetic (--mock-data with Megatron's NullTokenizer). A real run replaces DATA_ARGS with",
        "# its --tokenizer-type, --tokenizer-model and --data-path, keeping a tokenizer of at most "
        f"{vocab:,} ids:",
        f"# --make-vocab-size-divisible-by {divisor} pads it to a multiple of {divisor} x TP {layout.tp}, "
        f"{vocab:,} rows as the plan counts"
        + (f"\n# (Megatron's default 128 would pad to {default_pad:,})." if default_pad != vocab else "."),
        "# Not stated: the learning-rate schedule, checkpoints and logging (add --lr, --min-lr, --save, ...).",
        *([f"# The plan continues from a checkpoint that saw {plan.budget.prior_tokens:,} tokens: add its --load."]
          if plan.budget.prior_tokens else []),
        "",
        "export CUDA_DEVICE_MAX_CONNECTIONS=1",
        "",
        f"GPUS_PER_NODE={nproc}",
        f"NUM_NODES={nodes}",
        "NODE_RANK=${NODE_RANK:-0}",
        "MASTER_ADDR=${MASTER_ADDR:-localhost}",
        "MASTER_PORT=${MASTER_PORT:-6000}",
        "",
        "",
    ]
    distributed = ["--nproc_per_node $GPUS_PER_NODE", "--nnodes $NUM_NODES", "--node_rank $NODE_RANK",
                   "--master_addr $MASTER_ADDR", "--master_port $MASTER_PORT"]
    arrays = [("DISTRIBUTED_ARGS", distributed), ("GPT_MODEL_ARGS", model), ("TRAINING_ARGS", training),
              ("MODEL_PARALLEL_ARGS", parallel), ("DATA_ARGS", data)]
    body = "\n\n".join(_array(name, lines) for name, lines in arrays)
    command = ('torchrun "${DISTRIBUTED_ARGS[@]}" pretrain_gpt.py \\\n    "${GPT_MODEL_ARGS[@]}" \\\n'
               '    "${TRAINING_ARGS[@]}" \\\n    "${MODEL_PARALLEL_ARGS[@]}" \\\n    "${DATA_ARGS[@]}"')
    return "\n".join(head) + body + "\n\n" + command + "\n"
