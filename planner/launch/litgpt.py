"""LitGPT: a pretraining YAML (``config_hub/pretrain/*.yaml``, the arguments of ``litgpt pretrain``).

The model is ``model_config`` when given (a ``litgpt.Config`` written out), else
``model_name`` resolved to the catalog (``data/launch/model_names.csv``). The budget
follows ``litgpt/pretrain.py``: each of the ``devices × num_nodes`` ranks runs
``(max_tokens // world) // (micro_batch_size × max_seq_length)`` micro-batch iterations,
and an optimizer step takes ``global_batch_size // world // micro_batch_size`` of them, so
steps = iterations // accumulation (``train.max_steps`` caps it). ``train.tie_embeddings``
ties the head to the embedding. Keys are checked against LitGPT's own
(``data/launch/litgpt_fields.txt``); ``data`` and ``optimizer`` are passed through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import limits, validate
from ..datafiles import lookup, read_csv
from ..errors import ConfigError, InputError, UnknownModelError
from ..model.architecture import Architecture
from ..model.catalog import architecture
from .common import (
    LaunchConfig,
    Source,
    architecture_fields,
    flatten,
    known_fields,
    load_yaml,
    training_table,
    world_size,
)

_FREE = ("data", "optimizer", "model_config.hf_config")  # values LitGPT hands to other classes

# The types of LitGPT's own fields (litgpt/config.py ``Config``, litgpt/args.py ``TrainArgs``/``EvalArgs``,
# litgpt/pretrain.py ``setup``): "bool", "int", "float", "str", a tuple of accepted strings (a Literal),
# with "?" for Optional (null accepted). Fields not listed here are not checked by type.
_PRECISIONS = ("transformer-engine", "transformer-engine-float16", "16-true", "16-mixed", "bf16-true", "bf16-mixed",
               "32-true", "64-true", "64", "32", "16", "bf16")
TYPES: dict[str, str | tuple[str | None, ...]] = {
    "model_name": "str?", "precision": _PRECISIONS + (None,), "num_nodes": "int", "seed": "int",
    "logger_name": ("wandb", "tensorboard", "csv", "mlflow", "litlogger"), "out_dir": "str",
    "initial_checkpoint_dir": "str?", "tokenizer_dir": "str?",
    "train.save_interval": "int?", "train.log_interval": "int", "train.global_batch_size": "int",
    "train.micro_batch_size": "int", "train.lr_warmup_steps": "int?", "train.lr_warmup_fraction": "float?",
    "train.epochs": "int?", "train.max_tokens": "int?", "train.max_steps": "int?", "train.max_time": "float?",
    "train.max_seq_length": "int?", "train.tie_embeddings": "bool?", "train.max_norm": "float?",
    "train.min_lr": "float",
    "eval.interval": "int", "eval.max_new_tokens": "int?", "eval.max_iters": "int", "eval.initial_validation": "bool",
    "eval.final_validation": "bool",
    "log.log_model": "bool", "log.save_logs": "bool",
    "model_config.name": "str", "model_config.block_size": "int", "model_config.n_layer": "int",
    "model_config.n_embd": "int", "model_config.vocab_size": "int", "model_config.padding_multiple": "int",
    "model_config.padded_vocab_size": "int?", "model_config.norm_class_name": ("LayerNorm", "RMSNorm"),
    "model_config.norm_eps": "float", "model_config.norm_qk": "bool", "model_config.norm_qk_type": ("default", "olmo2"),
    "model_config.post_attention_norm": "bool", "model_config.post_mlp_norm": "bool",
    "model_config.parallel_residual": "bool", "model_config.shared_attention_norm": "bool",
    "model_config.n_head": "int", "model_config.head_size": "int?", "model_config.n_query_groups": "int?",
    "model_config.attn_bias": "bool", "model_config.attention_scores_scalar": "int?",
    "model_config.sliding_window_size": "int?", "model_config.attention_logit_softcapping": "float?",
    "model_config.rope_base": "int", "model_config.rotary_percentage": "float",
    "model_config.rope_condense_ratio": "int",
    "model_config.rope_interleave": "bool", "model_config.intermediate_size": "int?",
    "model_config.moe_intermediate_size": "int?", "model_config.bias": "bool",
    "model_config.mlp_class_name": ("GptNeoxMLP", "LLaMAMLP", "GemmaMLP", "LLaMAMoE"),
    "model_config.gelu_approximate": "str", "model_config.n_expert": "int", "model_config.n_shared_expert": "int?",
    "model_config.n_expert_per_token": "int", "model_config.routed_scaling_factor": "float",
    "model_config.norm_topk_prob": "bool", "model_config.scale_embeddings": "bool", "model_config.lm_head_bias": "bool",
    "model_config.final_logit_softcapping": "float?", "model_config.norm_1": "bool", "model_config.norm_2": "bool",
    "model_config.latent_attention": "dict?",
}
_KINDS = {"bool": "true or false (unquoted)", "int": "a whole number", "float": "a number", "str": "a string",
          "dict": "a mapping"}


def check_types(src: Source, flat: dict[str, Any]) -> None:
    """Each field of ``flat`` against LitGPT's own type (:data:`TYPES`); an error names the file, line and key.

    A quoted boolean (``tie_embeddings: "false"``) is a string, not a boolean, and is refused; so is a value
    outside a Literal's choices.

    Args:
        src: the file being read.
        flat: the document's fields by dotted key (:func:`~planner.launch.common.flatten`).

    Raises:
        PlanFileError: naming the file, the line and the key: a value of another type or outside a Literal's choices.
    """
    for key, value in flat.items():
        kind = TYPES.get(key)
        if kind is None:
            continue
        if isinstance(kind, tuple):
            if value not in kind:
                choices = ", ".join(str(k) for k in kind if k is not None)
                raise src.error(key, f"must be one of {choices}, got {validate.shown(value)}")
            continue
        optional = kind.endswith("?")
        base = kind.rstrip("?")
        if value is None and optional:
            continue
        ok = {"bool": lambda v: isinstance(v, bool),
              "int": lambda v: isinstance(v, int) and not isinstance(v, bool) or isinstance(v, str) and _whole(v),
              "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
              "str": lambda v: isinstance(v, str),
              "dict": lambda v: isinstance(v, dict)}[base](value)
        if not ok:
            hint = " (a quoted \"true\"/\"false\" is text: write true or false without quotes)" \
                if base == "bool" and isinstance(value, str) else ""
            raise src.error(key, f"must be {_KINDS[base]}{' or null' if optional else ''} (LitGPT's type), "
                                 f"got {validate.shown(value)}{hint}")


def _whole(text: str) -> bool:
    try:
        return validate.count("x", text.strip(), minimum=-limits.MAX_COUNT) is not None
    except InputError:
        return False


def _from_model_config(src: Source, mc: dict[str, Any], tie: bool) -> Architecture:
    """An Architecture from a written-out ``litgpt.Config`` (LLaMA-style or GPT-NeoX-style blocks)."""
    def get(key: str, default: Any = None) -> Any:
        if key in mc:
            return src.took(f"model_config.{key}", mc[key], "model.dimensions")
        return default
    mlp = get("mlp_class_name", "GptNeoxMLP")
    norm = get("norm_class_name", "LayerNorm")
    if mlp not in ("LLaMAMLP", "GptNeoxMLP") or norm not in ("RMSNorm", "LayerNorm"):
        key = ("model_config.mlp_class_name" if mlp not in ("LLaMAMLP", "GptNeoxMLP")
               else "model_config.norm_class_name")
        raise src.error(key, "the planner reads LLaMAMLP or GptNeoxMLP blocks with RMSNorm or LayerNorm; "
                             "use a plan file for this model")
    # fields that change N in ways the planner does not model: refused, never ignored
    for key, off in (("norm_qk", False), ("n_expert", 0), ("latent_attention", None)):
        if mc.get(key, off) not in (off, None):
            raise src.error(f"model_config.{key}", f"{validate.shown(mc[key])} is not read by the planner "
                                                   "(it changes N); use a plan file for this model")
    bias = get("bias", True)
    n_embd, n_head = get("n_embd", 4096), get("n_head", 32)
    vocab = get("padded_vocab_size")
    if vocab is None:
        v, multiple = get("vocab_size", 50254), get("padding_multiple", 512)
        vocab = -(-v // multiple) * multiple
        src.assume("model.dimensions.vocab_size", vocab, f"LitGPT pads vocab_size {v} to a multiple of {multiple}")
    intermediate = get("intermediate_size")
    if intermediate is None:
        if mlp == "LLaMAMLP":
            raise src.error("model_config.intermediate_size", "missing: LLaMAMLP needs it")
        intermediate = 4 * n_embd
    # litgpt.model.Block: norm_1, norm_2 (None with shared_attention_norm), post_attention_norm, post_mlp_norm
    norms = (int(get("norm_1", True)) + int(not get("shared_attention_norm", False) and get("norm_2", True))
             + int(get("post_attention_norm", False)) + int(get("post_mlp_norm", False)))
    try:
        return Architecture(num_layers=get("n_layer", 16), hidden_size=n_embd, num_heads=n_head,
                            num_kv_heads=get("n_query_groups", n_head), head_dim=get("head_size"),
                            intermediate_size=intermediate, vocab_size=vocab, tied_embeddings=tie,
                            gated_mlp=mlp == "LLaMAMLP",
                            # litgpt builds torch.nn.LayerNorm(n_embd): weight and bias whatever ``bias`` says
                            norm="rms" if norm == "RMSNorm" else "layer",
                            norms_per_layer=norms,
                            qkv_bias=bias or bool(get("attn_bias", False)), o_bias=bias, mlp_bias=bias,
                            lm_head_bias=bool(get("lm_head_bias", False)), family="litgpt",
                            name=str(mc.get("name") or src.path.stem))
    except InputError as e:
        raise src.error("model_config", e.problem if e.field in e.problem else f"{e.field}: {e.problem}") from None


def read(path: Path, text: str, *, gpus: Any = None, nodes: Any = None, gpus_per_node: Any = None) -> LaunchConfig:
    """Read a LitGPT pretraining YAML (see the module docstring).

    Args:
        path: the file (named in errors; paths inside it are relative to its folder).
        text: its text.
        gpus: the total number of GPUs (``--gpus``), when the file does not state it.
        nodes: the number of nodes (``--nodes``).
        gpus_per_node: GPUs per node (``--gpus-per-node``).

    Returns:
        The :class:`~planner.launch.common.LaunchConfig` (the plan document, what was read and assumed).

    Raises:
        PlanFileError: naming the file, the line and the key: not valid YAML, a value of the wrong type, a model
            name the planner does not resolve or a model_config it does not read, a missing batch field, a
            global batch not divisible by micro-batch × GPUs, or no train.max_tokens or train.max_steps.
        InputError: ``gpus``, ``nodes`` or ``gpus_per_node`` is not acceptable.
    """
    src = Source(path, "litgpt", text)
    doc = load_yaml(src)
    if not isinstance(doc, dict):
        raise src.error("yaml", "must be a mapping of litgpt pretrain arguments")
    known = known_fields("litgpt_fields")
    flat = {k: v for k, v in flatten(doc).items() if not k.startswith(_FREE)}
    for key in flat:
        if key not in known and key.split(".")[0] not in _FREE:
            raise src.error(key, "not a litgpt pretrain argument (see data/launch/litgpt_fields.txt)")
    check_types(src, {k: v for k, v in flatten(doc).items() if not k.startswith(_FREE)})
    train = doc.get("train") or {}
    if not isinstance(train, dict):
        raise src.error("train", "must be a mapping of TrainArgs")
    tie = train.get("tie_embeddings") is True
    if tie:
        src.took("train.tie_embeddings", True, "model.dimensions.tied_embeddings")

    def count(key: str, value: Any, sets: str, minimum: int = 1) -> int:
        return src.took(key, src.count(key, value, minimum=minimum), sets)

    model: dict[str, Any]
    if doc.get("model_config"):
        if not isinstance(doc["model_config"], dict):
            raise src.error("model_config", "must be a mapping of litgpt.Config fields")
        model = {"dimensions": architecture_fields(_from_model_config(src, doc["model_config"], tie))}
    elif doc.get("model_name"):
        name = doc["model_name"]
        src.took("model_name", name, "model")
        try:
            row = lookup(str(name), "launch/model_names.csv", ("name",), "model_name")
            if row["framework"] != "litgpt":
                raise UnknownModelError("model_name", "")
        except UnknownModelError:
            names = ", ".join(r["name"] for r in read_csv("launch/model_names.csv") if r["framework"] == "litgpt")
            raise src.error("model_name", f"{validate.shown(name)} is not resolved to the catalog (known: {names}); "
                                          "give model_config instead") from None
        src.assume("model.catalog", row["catalog"], f"LitGPT's {name} is this catalog model "
                   "(data/launch/model_names.csv)")
        if tie:
            try:
                arch = architecture(row["catalog"]).with_(tied_embeddings=True)
            except ConfigError as e:
                raise src.error("model_name", e.problem) from None
            model = {"dimensions": architecture_fields(arch)}
        else:
            model = {"catalog": row["catalog"]}
    else:
        raise src.error("model_name", "missing: give model_name or model_config")

    if not isinstance(train, dict):
        raise src.error("train", "must be a mapping of TrainArgs")
    for key in ("global_batch_size", "micro_batch_size", "max_seq_length"):
        if train.get(key) is None:
            raise src.error(f"train.{key}", "missing: needed for the plan")
    gbs = count("train.global_batch_size", train["global_batch_size"], "training.grad_accum")
    micro = count("train.micro_batch_size", train["micro_batch_size"], "training.micro_batch")
    seq = count("train.max_seq_length", train["max_seq_length"], "training.seq_len")
    devices, num_nodes = doc.get("devices", "auto"), doc.get("num_nodes", 1)
    nn = src.count("num_nodes", num_nodes)
    if devices in ("auto", -1, None):
        if "devices" in doc:
            src.took("devices", devices, "world size")
        world = world_size(src, gpus, nodes if nodes is not None else (nn if nn > 1 else None), gpus_per_node)
    else:
        world = world_size(src, None, None, None, from_file={"devices": src.count("devices", devices),
                                                               "num_nodes": nn})
        if gpus is not None and world_size(Source(src.path, "", ""), gpus, nodes, gpus_per_node) != world:
            raise src.error("devices", f"devices × num_nodes = {world} GPUs, but --gpus {gpus} was given")
    if gbs % world or (gbs // world) % micro:
        raise src.error("train.global_batch_size", f"{gbs:,} is not micro_batch_size {micro} × a whole number "
                                                   f"of accumulation steps × {world} GPUs")
    accum = gbs // world // micro
    if train.get("epochs") is not None:
        raise src.error("train.epochs", "epoch-based runs need the dataset size: give train.max_tokens instead")
    steps = None
    if train.get("max_tokens") is not None:
        max_tokens = count("train.max_tokens", train["max_tokens"], "training.steps")
        iters = (max_tokens // world) // (micro * seq)
        steps = iters // accum
        src.assume("training.steps", steps, f"litgpt: ({max_tokens:,} // {world} GPUs) // ({micro} × {seq:,}) = "
                   f"{iters:,} iterations, // {accum} accumulation")
    if train.get("max_steps") is not None:
        cap = count("train.max_steps", train["max_steps"], "training.steps")
        steps = cap if steps is None else min(steps, cap)
    if steps is None:
        raise src.error("train.max_tokens", "missing: give train.max_tokens or train.max_steps")
    if steps < 1:
        raise src.error("train.max_tokens", "less than one optimizer step")
    if doc.get("initial_checkpoint_dir"):
        src.took("initial_checkpoint_dir", doc["initial_checkpoint_dir"], "training.prior_tokens")
        src.assume("training.prior_tokens", 0, "the tokens the initial checkpoint saw are not in the file")
    precision = str(doc.get("precision") or "32-true")
    src.parallelism.update(micro_batch=micro, seq_len=seq, tp=1, pp=1, dp=world, recompute="none",
                           fsdp="full" if world > 1 else None,  # litgpt pretrain shards with FSDP on more GPUs
                           precision={"bf16-mixed": "bf16-mixed", "bf16-true": "bf16-mixed", "bf16": "bf16-mixed",
                                      "16-mixed": "fp16-mixed", "16-true": "fp16-mixed", "16": "fp16-mixed",
                                      "transformer-engine": "bf16-mixed",
                                      "transformer-engine-float16": "fp16-mixed"}.get(precision, "fp32"),
                           master_weights=not precision.endswith("-true") or precision == "32-true")
    return src.result({
        "name": src.path.stem,
        "description": f"Read from the LitGPT pretraining config {src.path.name}",
        "model": model,
        "training": training_table(steps, micro, accum, world, seq),
    })
