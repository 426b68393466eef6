"""Megatron-LM: a launch script's ``torchrun … pretrain_gpt.py --num-layers …`` line, or a file of arguments.

The script is read, never run: backslash continuations are joined, ``NAME=value`` and bash
arrays ``NAME=( … )`` are collected and ``$NAME`` / ``${NAME[@]}`` expanded in the
command line. Without a ``pretrain_*.py`` command the whole file is taken as arguments.
Argument names are checked against Megatron-LM's own (``data/launch/megatron_arguments.txt``).

Defaults follow Megatron-LM's ``arguments.py``: learned absolute positions, LayerNorm,
biases on every Linear, embedding and output layer tied, FFN ``4h`` (``--swiglu``:
``int(8h/3 / 64)·64``), vocabulary padded to a multiple of
``--make-vocab-size-divisible-by`` (128) × tensor-parallel size. Mixtures of experts as
:mod:`planner.launch.megatron_moe` reads them (top-k 2, experts as wide as the FFN, every layer MoE),
with ``--expert-model-parallel-size`` and ``--expert-tensor-parallel-size``.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any, Literal

from .. import limits, validate
from ..errors import InputError
from ..model.architecture import Architecture
from .common import (
    LaunchConfig,
    Source,
    architecture_fields,
    batch_split,
    data_parallel,
    known_fields,
    training_table,
    world_size,
)
from .megatron_moe import layer_freq_rule
from .megatron_split import UNIT_FLAGS, file_stages, modelled_stages

GPT2_BPE_VOCAB = 50257  # the GPT-2 BPE vocabulary (gpt2-vocab.json) Megatron's GPT examples train with

_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_]\w*)=(.*)$")
_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_ARRAY = re.compile(r"^\$\{(\w+)\[@\]\}$")


def _tokens(text: str, line: int) -> list[tuple[str, int]]:
    try:
        return [(t, line) for t in shlex.split(text, comments=True)]
    except ValueError:  # an unclosed quote: fall back to whitespace, without the comment
        return [(t, line) for t in text.split("#", 1)[0].split()]


def _array_line(body: str) -> tuple[str, bool]:
    """A line inside ``NAME=( … )``: its text before the closing ``)`` or a comment, outside quotes (a quoted
    ``"([0]*3+[1]*58)"`` is an element), and whether the array closed on it."""
    quote = None
    for j, c in enumerate(body):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == ")":
            return body[:j], True
        elif c == "#" and (j == 0 or body[j - 1].isspace()):
            return body[:j], False
    return body, False


def _parse_script(src: Source) -> list[tuple[str, int]]:
    """The argument tokens (with their lines) of the script's ``pretrain_*.py`` command, or of the whole file."""
    scalars: dict[str, str] = {}
    arrays: dict[str, list[tuple[str, int]]] = {}
    logical: list[list[tuple[str, int]]] = []   # one list of (segment, line) per logical line
    lines = src.text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i].strip()
        m = _ASSIGN.match(raw)
        if m and m.group(2).startswith("("):       # NAME=( ... ) over one or more lines
            name, body = m.group(1), m.group(2)[1:]
            items: list[tuple[str, int]] = []
            while True:
                part, closed = _array_line(body)
                items += _tokens(part, i + 1)
                if closed or i + 1 >= len(lines):
                    break
                i += 1
                body = lines[i].strip()
            arrays[name] = items
            i += 1
            continue
        if m and not m.group(2).startswith("$(("):
            toks = _tokens(m.group(2), i + 1)
            scalars[m.group(1)] = toks[0][0] if toks else ""
            i += 1
            continue
        segs = []
        while True:
            text = lines[i]
            cont = text.rstrip().endswith("\\")
            segs.append((text.rstrip()[:-1] if cont else text, i + 1))
            i += 1
            if not cont or i >= len(lines):
                break
        logical.append(segs)

    budget = {"items": limits.MAX_ITEMS, "chars": limits.MAX_EXPANDED}

    def spend(items: int, chars: int, line: int) -> None:
        budget["items"] -= items
        budget["chars"] -= chars
        if budget["items"] < 0 or budget["chars"] < 0:
            src.lines["expansion"] = line
            raise src.error("expansion", f"the variables and arrays expand to more than {limits.MAX_ITEMS:,} "
                                         f"arguments or {limits.MAX_EXPANDED:,} characters; the planner reads "
                                         "launch scripts, it does not run them")

    def substitute(tok: str, line: int) -> str:
        names = [v.group(1) or v.group(2) for v in _VAR.finditer(tok)]
        spend(1, len(tok) + sum(len(scalars.get(n, "")) for n in names), line)  # checked before it is built
        return _VAR.sub(lambda v: scalars.get(v.group(1) or v.group(2), v.group(0)), tok)

    def expand(tokens: list[tuple[str, int]], inside: tuple[str, ...] = ()) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        for tok, line in tokens:
            a = _ARRAY.match(tok)
            if a and a.group(1) in arrays and a.group(1) not in inside:  # an array naming itself stays literal
                out += expand(arrays[a.group(1)], inside + (a.group(1),))
                continue
            out.append((substitute(tok, line), line))
        return out

    for segs in logical:
        toks = [t for seg, line in segs for t in _tokens(seg, line)]
        for k, (tok, _) in enumerate(toks):
            if re.search(r"(^|/)pretrain_\w+\.py$", tok):
                return expand(toks[k + 1:])
    # a file of arguments: every token outside assignments
    return expand([t for segs in logical for seg, line in segs for t in _tokens(seg, line)])


def _arguments(src: Source, tokens: list[tuple[str, int]]) -> dict[str, list[str] | Literal[True]]:
    known = known_fields("megatron_arguments")
    args: dict[str, list[str] | Literal[True]] = {}
    i = 0
    while i < len(tokens):
        tok, line = tokens[i]
        i += 1
        if not tok.startswith("--"):
            continue  # a positional or an unresolved value: Megatron's GPT entry point takes none we read
        name, eq, value = tok.partition("=")
        values = [value] if eq else []
        while not eq and i < len(tokens) and not tokens[i][0].startswith("--"):
            values.append(tokens[i][0])
            i += 1
        base = name[5:] if name.startswith("--no-") else None
        if name not in known and not (base and "--" + base in known):
            src.lines[name] = line
            raise src.error(name, "not a Megatron-LM argument (see data/launch/megatron_arguments.txt)")
        got: list[str] | Literal[True] = values if values else True
        if name in args and args[name] != got:
            raise src.error(name, f"given twice with different values (lines {src.lines[name]} and {line})")
        src.lines[name] = line
        args[name] = got
    return args


def read(path: Path, text: str, *, gpus: Any = None, nodes: Any = None, gpus_per_node: Any = None) -> LaunchConfig:
    """Read a Megatron-LM launch script or argument file (see the module docstring).

    Args:
        path: the file (named in errors; paths inside it are relative to its folder).
        text: its text.
        gpus: the total number of GPUs (``--gpus``), when the file does not state it.
        nodes: the number of nodes (``--nodes``).
        gpus_per_node: GPUs per node (``--gpus-per-node``).

    Returns:
        The :class:`~planner.launch.common.LaunchConfig` (the plan document, what was read and assumed).

    Raises:
        PlanFileError: naming the file, the line and the key: not a Megatron-LM argument, an argument given
            twice with different values, a missing dimension or batch argument, a value of the wrong type,
            arguments the planner does not model (relative positions, latent experts, expert arguments without
            ``--num-experts``), an MoE layer pattern it cannot read, or a global batch not
            divisible by micro-batch × data-parallel.
        InputError: ``gpus``, ``nodes`` or ``gpus_per_node`` is not acceptable.
    """
    src = Source(path, "megatron", text)
    args = _arguments(src, _parse_script(src))

    def one(name: str, default: str | None = None) -> str | None:
        v = args.get(name)
        if v is None:
            return default
        if v is True or len(v) != 1:
            raise src.error(name, "needs exactly one value")
        return v[0]

    def num(name: str, sets: str, default: int | None = None, minimum: int = 1) -> int | None:
        v = one(name)
        if v is None:
            return default
        try:
            int(v)  # Megatron's argparse: type=int; "7B" or "1e3" stop Megatron, so they stop the planner too
        except ValueError:
            raise src.error(name, f"must be a whole number (Megatron's argparse type=int), "
                                  f"got {validate.shown(v)}") from None
        return src.took(name, src.count(name, v, minimum=minimum), sets)

    def required(name: str, sets: str, default: int | None = None) -> int:
        """:func:`num` of an argument the file states (checked above) or one with a default."""
        v = num(name, sets, default)
        assert v is not None   # present, or defaulted
        return v

    def choice(name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
        v = one(name, default)
        if v is not None and v not in choices:
            raise src.error(name, f"must be one of {', '.join(choices)} (Megatron's choices), "
                                  f"got {validate.shown(v)}")
        return v

    def flag(name: str, sets: str) -> bool:
        if name in args:
            if args[name] is not True:
                raise src.error(name, "is a switch and takes no value")
            src.took(name, True, sets)
            return True
        return False

    for name in ("--num-layers", "--hidden-size", "--num-attention-heads", "--seq-length", "--micro-batch-size"):
        if name not in args:
            raise src.error(name, "missing: needed for the plan")
    L = required("--num-layers", "model.dimensions.num_layers")
    h = required("--hidden-size", "model.dimensions.hidden_size")
    a = required("--num-attention-heads", "model.dimensions.num_heads")
    seq = required("--seq-length", "training.seq_len")
    tp = required("--tensor-model-parallel-size", "parallelism.tp", 1)
    pp = required("--pipeline-model-parallel-size", "parallelism.pp", 1)
    cp = required("--context-parallel-size", "parallelism.cp", 1)

    swiglu = flag("--swiglu", "model.dimensions.gated_mlp")
    ffn = num("--ffn-hidden-size", "model.dimensions.intermediate_size")
    if ffn is None:
        ffn = src.assume("model.dimensions.intermediate_size", int((4 * h * 2 / 3) / 64) * 64 if swiglu else 4 * h,
                         "Megatron's default FFN size: "
                         + ("int(8h/3 / 64)·64 with --swiglu" if swiglu else "4 × hidden"))
    head_dim = num("--kv-channels", "model.dimensions.head_dim")
    kv = a
    if flag("--group-query-attention", "model.dimensions.num_kv_heads"):
        kv = required("--num-query-groups", "model.dimensions.num_kv_heads", 1)
    elif "--num-query-groups" in args:
        src.assume("model.dimensions.num_kv_heads", a,
                   "--num-query-groups is ignored without --group-query-attention")
    pos = choice("--position-embedding-type", ("learned_absolute", "rope", "mrope", "relative", "none"),
                 "learned_absolute")
    if pos == "relative":
        raise src.error("--position-embedding-type", "relative position embeddings (bias tables) are not counted "
                                                     "by the planner; use a plan file")
    if "--position-embedding-type" in args:
        src.took("--position-embedding-type", pos, "model.dimensions.max_positions")
    if flag("--use-rotary-position-embeddings", "model.dimensions.max_positions"):
        pos = "rope"
    max_pos: int | None = 0
    if pos == "learned_absolute":
        max_pos = num("--max-position-embeddings", "model.dimensions.max_positions")
        if max_pos is None:
            raise src.error("--max-position-embeddings", "missing: learned absolute positions need it")
        if max_pos < seq:
            raise src.error("--max-position-embeddings", f"{max_pos:,} is less than --seq-length {seq:,}")
    norm = one("--normalization", "LayerNorm")
    if norm not in ("LayerNorm", "RMSNorm"):
        raise src.error("--normalization", f"must be LayerNorm or RMSNorm, got {validate.shown(norm)}")
    if "--normalization" in args:
        src.took("--normalization", norm, "model.dimensions.norm")
    bias = not flag("--disable-bias-linear", "model.dimensions.qkv_bias/o_bias/mlp_bias")
    qkv_bias = bias or flag("--add-qkv-bias", "model.dimensions.qkv_bias")
    untied = flag("--untie-embeddings-and-output-weights", "model.dimensions.tied_embeddings")
    qk_norm = flag("--qk-layernorm", "model.dimensions.qk_norm")

    # mixture of experts (planner/launch/megatron_moe.py): the experts, top-k, their widths, which layers route
    moe: dict[str, Any] = {}
    if "--num-experts" in args:
        moe["num_experts"] = required("--num-experts", "model.dimensions.num_experts")
        moe["experts_per_token"] = required("--moe-router-topk", "model.dimensions.experts_per_token", 2)
        if "--moe-router-topk" not in args:
            src.assume("model.dimensions.experts_per_token", 2, "Megatron's default --moe-router-topk")
        width = num("--moe-ffn-hidden-size", "model.dimensions.moe_intermediate_size")
        moe["moe_intermediate_size"] = width if width is not None else src.assume(
            "model.dimensions.moe_intermediate_size", ffn, "Megatron's default: an expert as wide as --ffn-hidden-size")
        shared = num("--moe-shared-expert-intermediate-size", "model.dimensions.shared_expert_intermediate_size")
        if shared is not None:   # Megatron builds the shared experts as one MLP of their total width
            moe.update(num_shared_experts=1, shared_expert_intermediate_size=shared,
                       shared_expert_gate=flag("--moe-shared-expert-gate", "model.dimensions.shared_expert_gate"))
        freq = one("--moe-layer-freq")
        if freq is not None:
            try:
                moe.update(layer_freq_rule(freq, L))
            except ValueError as e:
                raise src.error("--moe-layer-freq", str(e)) from None
            src.took("--moe-layer-freq", freq, "model.dimensions (the MoE layers)")
        if "--moe-latent-size" in args:
            raise src.error("--moe-latent-size", "latent experts are not read; use a plan file")
    else:
        for name in ("--expert-model-parallel-size", "--moe-router-topk", "--moe-ffn-hidden-size"):
            if name in args:
                raise src.error(name, "needs --num-experts (a model without experts)")
    ep = required("--expert-model-parallel-size", "parallelism.ep", 1)
    etp = num("--expert-tensor-parallel-size", "parallelism.etp")

    divisible = required("--make-vocab-size-divisible-by", "model.dimensions.vocab_size", 128)
    vocab = num("--vocab-size", "model.dimensions.vocab_size")
    tokenizer = one("--tokenizer-type")
    if vocab is None:
        if tokenizer not in (None, "GPT2BPETokenizer") or "--vocab-file" not in args:
            key = "--tokenizer-type" if tokenizer else "--vocab-size"
            raise src.error(key, "the vocabulary size is not in the arguments: add --vocab-size "
                                 "(the tokenizer's size before padding)")
        vocab = src.assume("tokenizer vocabulary", GPT2_BPE_VOCAB,
                           "--vocab-file with the GPT-2 BPE tokenizer: 50,257 tokens (gpt2-vocab.json)")
    multiple = divisible * tp
    padded = -(-vocab // multiple) * multiple
    src.assume("model.dimensions.vocab_size", padded, f"{vocab:,} padded to a multiple of "
               f"--make-vocab-size-divisible-by {divisible} × tensor-parallel {tp} = {multiple} (Megatron's padding)")
    if pos == "learned_absolute" and "--position-embedding-type" not in args:
        src.assume("position embeddings", "learned_absolute", "Megatron's default --position-embedding-type")
    if not untied:
        src.assume("model.dimensions.tied_embeddings", True, "Megatron ties the output layer to the embedding "
                   "unless --untie-embeddings-and-output-weights")

    try:
        arch = Architecture(num_layers=L, hidden_size=h, num_heads=a, num_kv_heads=kv, head_dim=head_dim,
                            intermediate_size=ffn, vocab_size=padded, tied_embeddings=not untied,
                            gated_mlp=swiglu, norm="layer" if norm == "LayerNorm" else "rms", qk_norm=qk_norm,
                            qkv_bias=qkv_bias, o_bias=bias, mlp_bias=bias, max_positions=max_pos or 0,
                            family="megatron-gpt", name=src.path.stem, **moe)
    except Exception as e:  # an InputError about a dimension: name the argument it came from
        if isinstance(e, InputError):
            key = {"num_heads": "--num-attention-heads", "num_kv_heads": "--num-query-groups",
                   "head_dim": "--kv-channels", "experts_per_token": "--moe-router-topk",
                   "moe_intermediate_size": "--moe-ffn-hidden-size",
                   "shared_expert_intermediate_size": "--moe-shared-expert-intermediate-size",
                   }.get(e.field, "--" + e.field.replace("_", "-"))
            raise src.error(key, e.problem) from None
        raise

    # the batch: global = micro × data-parallel × accumulation
    world = world_size(src, gpus, nodes, gpus_per_node, model_parallel=tp * pp * cp)
    dp = data_parallel(src, world, {"--tensor-model-parallel-size": tp, "--pipeline-model-parallel-size": pp,
                                     "--context-parallel-size": cp})
    src.assume("training.data_parallel", dp, f"world size {world} / (TP {tp} × PP {pp} × CP {cp})")
    mbs = required("--micro-batch-size", "training.micro_batch")
    gbs = num("--global-batch-size", "training.grad_accum")
    if gbs is None:
        gbs = src.assume("global batch", mbs * dp, "Megatron's default: micro-batch × data-parallel")
    grad_accum = batch_split(src, "--global-batch-size", gbs, mbs, dp)
    for ramp in ("--rampup-batch-size", "--step-batch-size-schedule"):
        if ramp in args:
            given = args[ramp]
            src.took(ramp, " ".join(given) if given is not True else True, "(not modelled)")
            src.assume("training.steps", "every step at the full global batch",
                       f"{ramp} is not modelled: the early steps use smaller batches, so D is slightly smaller")
    if "--train-iters" in args:
        steps = required("--train-iters", "training.steps")
        if "--train-samples" in args:
            raise src.error("--train-samples", "give --train-iters or --train-samples, not both")
    elif "--train-samples" in args:
        samples = required("--train-samples", "training.steps")
        steps = samples // gbs
        if steps < 1:
            raise src.error("--train-samples", f"{samples:,} is less than one global batch ({gbs:,})")
        src.assume("training.steps", steps, f"--train-samples {samples:,} // global batch {gbs:,}")
    else:
        raise src.error("--train-iters", "missing: give --train-iters or --train-samples")

    prec = "bf16-mixed" if flag("--bf16", "parallelism.precision") else "fp16-mixed" if flag(
        "--fp16", "parallelism.precision") else "fp32"
    # float8 matmuls (Transformer Engine): --fp8-format e4m3 or hybrid; the scaling recipe is not modelled
    fp8_format = choice("--fp8-format", ("e4m3", "hybrid"))
    fp8 = fp8_format is not None
    if fp8:
        src.took("--fp8-format", fp8_format, "parallelism.fp8")
        if prec == "fp32":
            raise src.error("--fp8-format", "needs --bf16 or --fp16 (float8 matmuls run under mixed precision)")
    recompute = choice("--recompute-granularity", ("full", "selective"))
    if recompute is not None:
        src.took("--recompute-granularity", recompute, "parallelism.recompute")
    elif flag("--recompute-activations", "parallelism.recompute"):
        recompute = "selective"
    # dropout masks are stored when either rate is above zero (Megatron's defaults are 0.1 each)
    rates = []
    for key in ("--hidden-dropout", "--attention-dropout"):
        v = one(key)
        if v is None:
            rates.append(src.assume(key, 0.1, "Megatron's default"))
            continue
        try:
            rates.append(src.took(key, validate.positive_real(key, v, minimum=0.0, inclusive=True, maximum=1.0),
                                  "parallelism.dropout"))
        except InputError as e:
            raise src.error(key, e.problem) from None
    # flash attention: --use-flash-attn, or an attention backend that uses a fused kernel (auto picks flash or fused)
    backend = choice("--attention-backend", ("auto", "flash", "fused", "unfused", "local"))
    flash = "--use-flash-attn" in args or backend in ("auto", "flash", "fused")
    # uneven stages, by Megatron's rules (planner/launch/megatron_split.py): --decoder-first/last-pipeline-num-layers,
    # or the embedding and the loss counted as a layer each (--account-for-...-in-pipeline-split)
    first = num("--decoder-first-pipeline-num-layers", "parallelism.pp")
    last = num("--decoder-last-pipeline-num-layers", "parallelism.pp")
    embedding, loss = (flag(name, "parallelism.pp") for name in UNIT_FLAGS)
    uneven = ("--decoder-first-pipeline-num-layers" if first is not None else
              "--decoder-last-pipeline-num-layers" if last is not None else None)   # the argument errors name
    if uneven is not None and (embedding or loss):
        raise src.error(uneven, "give the first and last stages' layers or "
                        "--account-for-embedding/loss-in-pipeline-split, not both")
    # interleaved virtual stages (with PP): --num-virtual-stages-per-pipeline-rank v, or
    # --num-layers-per-virtual-pipeline-stage n (v = layers, with the counted embedding and loss, per stage / n)
    extra: dict[str, int] = {}
    for name in ("--num-virtual-stages-per-pipeline-rank", "--virtual-pipeline-model-parallel-size"):
        if name in args:
            extra["vpp"] = required(name, "parallelism.vpp")
    units = L + embedding + loss
    if "--num-layers-per-virtual-pipeline-stage" in args:
        per = required("--num-layers-per-virtual-pipeline-stage", "parallelism.vpp")
        if units % (pp * per):
            raise src.error("--num-layers-per-virtual-pipeline-stage", f"must divide the layers per pipeline stage "
                                                                       f"({units} / {pp}), got {per}")
        extra["vpp"] = units // pp // per
    if uneven is not None and extra.get("vpp", 1) > 1:
        raise src.error(uneven, "is not read with virtual stages (the planner reads interleaved uneven stages from "
                        "--account-for-embedding/loss-in-pipeline-split)")
    try:
        stages = file_stages(L, pp, first=first, last=last, embedding=embedding, loss=loss)
    except ValueError as e:
        raise src.error(uneven or "--pipeline-model-parallel-size", str(e)) from None
    if pp > 1 and stages != modelled_stages(L, pp):
        f, m, z = modelled_stages(L, pp)
        src.assume("parallelism.pp", f"stages of {f}, {m} … {m}, {z} layers", f"the memory estimate splits the "
                   f"{L} layers so (the embedding and the head as a layer each); the file's "
                   f"{stages[0]}, {stages[1]} … {stages[1]}, {stages[2]} are not modelled")
    # full recompute of some layers: --recompute-method block recomputes --recompute-num-layers layers per (virtual)
    # stage; uniform recomputes every layer in groups of that many
    if recompute == "full" and "--recompute-num-layers" in args:
        method = choice("--recompute-method", ("uniform", "block"))
        if method == "block":
            extra["recompute_layers"] = required("--recompute-num-layers", "parallelism.recompute_layers") * \
                extra.get("vpp", 1)
    if pp == 1:
        extra.pop("vpp", None)
    if ep > 1:
        extra["ep"] = ep
    if etp is not None:
        extra["etp"] = etp
    # --tp-comm-overlap: TP's collectives run under the matmuls (Transformer Engine's userbuffers); with TP > 1
    if tp > 1 and flag("--tp-comm-overlap", "parallelism.tp_overlap"):
        extra["tp_overlap"] = True
    # Megatron keeps fp32 gradient buffers; its distributed optimizer shards the optimizer state (ZeRO-1)
    src.parallelism.update(dropout=any(r > 0 for r in rates), micro_batch=mbs, seq_len=seq, tp=tp, pp=pp, cp=cp, dp=dp,
                           sp="--sequence-parallel" in args,
                           zero=1 if "--use-distributed-optimizer" in args else 0, precision=prec,
                           recompute=recompute or "none", fp32_grads=prec != "fp32", framework="megatron",
                           flash_attention=flash or None, fp8=fp8, **extra)
    return src.result({
        "name": src.path.stem,
        "description": f"Read from the Megatron-LM launch file {src.path.name}",
        "model": {"dimensions": architecture_fields(arch)},
        "training": training_table(steps, mbs, grad_accum, dp, seq),
        "hardware": {"mfu_convention": src.assume("hardware.mfu_convention", "megatron", "the FLOPs Megatron-LM's "
                                                  "own throughput counts (num_floating_point_operations)")},
    })
