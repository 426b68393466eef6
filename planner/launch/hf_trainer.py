"""Hugging Face ``TrainingArguments`` as JSON or YAML, with an optional DeepSpeed JSON.

Tokens per optimizer step = ``per_device_train_batch_size`` × ``gradient_accumulation_steps``
× world size × sequence length. The world size is ``--gpus`` (the Trainer is data-parallel
only); the sequence length is ``block_size``, ``max_seq_length`` or ``max_length`` from the
same file (the keys of ``run_clm.py`` and TRL), else ``seq_len`` given by the user. Steps
are ``max_steps`` when positive, else ``num_train_epochs`` over a dataset of
``dataset_size`` samples the user gives, counted as the Trainer does (see
:func:`epoch_steps`). The model is ``model_name_or_path`` (or ``config_name``): a catalog
name, a Hugging Face id listed in ``data/launch/model_names.csv``, or a local folder or
``config.json``.

A DeepSpeed config (``"deepspeed": "ds.json"`` in the arguments) may state
``train_micro_batch_size_per_gpu``, ``gradient_accumulation_steps`` and
``train_batch_size``; ``"auto"`` defers to the Trainer's arguments, and an explicit value
that disagrees with them is an error, as it is for the Trainer. ``zero_optimization.stage``
is kept with the parallelism settings.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .. import validate
from ..datafiles import lookup
from ..errors import ConfigError, UnknownModelError
from ..model.catalog import architecture
from .common import (
    FieldRead,
    LaunchConfig,
    Source,
    known_fields,
    load_yaml,
    read_text,
    training_table,
    world_size,
)

SEQ_KEYS = ("block_size", "max_seq_length", "max_length")

#: The boolean, whole-number and real fields of ``TrainingArguments`` (transformers 5.25,
#: ``dataclasses.fields``), and TRL's ``packing``: a value of another type is refused (a quoted
#: ``"false"`` is text, and the Trainer would read it as true).
_BOOL = """average_tokens_across_devices bf16 fp16 bf16_full_eval fp16_full_eval torch_compile
    use_liger_kernel use_cache auto_find_batch_size logging_first_step log_on_each_node logging_nan_inf_filter
    prediction_loss_only eval_on_start eval_do_concat_batches eval_use_gather_object batch_eval_metrics save_only_model
    save_on_each_node enable_jit_checkpoint push_to_hub hub_always_push load_best_model_at_end ignore_data_skip
    restore_callback_states_from_checkpoint full_determinism use_cpu dataloader_drop_last dataloader_pin_memory
    dataloader_persistent_workers dataloader_in_order remove_unused_columns skip_memory_metrics do_train do_eval
    do_predict tf32 activation_checkpointing gradient_checkpointing disable_tqdm hub_private_repo greater_is_better
    ddp_find_unused_parameters ddp_broadcast_buffers ddp_static_graph packing"""
_INT = """per_device_train_batch_size max_steps gradient_accumulation_steps per_device_eval_batch_size
    seed dataloader_num_workers ddp_timeout local_rank torch_empty_cache_steps eval_accumulation_steps save_total_limit
    data_seed dataloader_prefetch_factor ddp_bucket_cap_mb block_size max_seq_length max_length"""
_REAL = """num_train_epochs learning_rate warmup_steps weight_decay adam_beta1 adam_beta2 adam_epsilon
    max_grad_norm label_smoothing_factor logging_steps eval_delay save_steps neftune_noise_alpha eval_steps"""
BOOL_FIELDS, INT_FIELDS, REAL_FIELDS = (frozenset(names.split()) for names in (_BOOL, _INT, _REAL))


def check_types(src: Source, args: dict[str, Any]) -> None:
    """Each argument against its ``TrainingArguments`` type (null is accepted: the default).

    Args:
        src: the file being read.
        args: the arguments by name.

    Raises:
        PlanFileError: naming the file, the line and the key: a value of another type (a quoted boolean is text).
    """
    for key, v in args.items():
        if v is None:
            continue
        if key in BOOL_FIELDS and not isinstance(v, bool):
            hint = " (a quoted boolean is text: write true or false without quotes)" if isinstance(v, str) else ""
            raise src.error(key, f"must be true or false (TrainingArguments' type), got {validate.shown(v)}{hint}")
        if key in INT_FIELDS and (isinstance(v, bool) or not isinstance(v, (int, float, str))):
            raise src.error(key, f"must be a whole number (TrainingArguments' type), got {validate.shown(v)}")
        if key in REAL_FIELDS and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise src.error(key, f"must be a number (TrainingArguments' type), got {validate.shown(v)}")


HF_DEFAULTS = {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 1, "num_train_epochs": 3.0}


def epoch_steps(dataset_size: int, micro_batch: int, grad_accum: int, world: int, epochs: float) -> int:
    """Optimizer steps of an epoch-based Trainer run.

    Each rank's dataloader yields ceil(dataset_size / (micro_batch × world)) batches; an epoch
    is ``max(batches // grad_accum, 1)`` updates and the run ``ceil(epochs × updates)``.

    Args:
        dataset_size: samples in the training set.
        micro_batch: samples per device per forward pass.
        grad_accum: gradient-accumulation steps.
        world: GPUs (data-parallel ranks).
        epochs: ``num_train_epochs`` (fractions allowed).

    Returns:
        The optimizer steps.
    """
    batches = -(-dataset_size // (micro_batch * world))
    per_epoch = max(batches // grad_accum, 1)
    return math.ceil(epochs * per_epoch)


def json_lines(text: str) -> dict[str, int]:
    """Key → 1-based line of the first ``"key":`` in a JSON text (nested keys by their last name too).

    Args:
        text: the JSON text.

    Returns:
        The first line of each key.
    """
    out: dict[str, int] = {}
    for i, line in enumerate(text.splitlines(), 1):
        for part in line.split('"')[1::2]:
            if f'"{part}"' in line and line.split(f'"{part}"', 1)[1].lstrip().startswith(":"):
                out.setdefault(part, i)
    return out


def _load(src: Source) -> Any:
    if src.path.suffix.lower() in (".yaml", ".yml"):
        return load_yaml(src)
    try:
        doc = json.loads(src.text)
    except (ValueError, RecursionError) as e:  # also a 5,000-digit number, nesting thousands deep
        if not isinstance(e, json.JSONDecodeError):
            raise src.error("json", f"not a usable JSON document ({type(e).__name__})") from None
        if src.path.suffix.lower() == ".json":
            raise src.error("json", f"not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
        return load_yaml(src)
    src.lines = json_lines(src.text)
    return doc


def _model(src: Source, args: dict[str, Any]) -> dict[str, str]:
    key = next((k for k in ("model_name_or_path", "config_name") if args.get(k)), None)
    if key is None:
        raise src.error("model_name_or_path", "missing: name the model (a catalog name, a Hugging Face id in "
                                              "data/launch/model_names.csv, or a local folder with config.json)")
    name = args[key]
    if not isinstance(name, str):
        raise src.error(key, f"must be a string, got {validate.shown(name)}")
    src.took(key, name, "model")
    local = (src.path.parent / name)
    try:  # a name no file system accepts (5,000 characters, a NUL byte) is not a local model
        if local.is_dir() and (local / "config.json").is_file():
            return {"config": str((local / "config.json").resolve())}
        if local.is_file():
            return {"config": str(local.resolve())}
    except (OSError, ValueError):
        pass
    try:
        row = lookup(name, "launch/model_names.csv", ("name",), key)
        if row["framework"] != "hf":
            raise UnknownModelError(key, "")
        src.assume("model.catalog", row["catalog"], f"{name} is the catalog's {row['catalog']}")
        return {"catalog": row["catalog"]}
    except UnknownModelError:
        pass
    try:
        architecture(name)
    except ConfigError:
        raise src.error(key, f"{validate.shown(name)} is neither a catalog name, a Hugging Face id the planner knows "
                             "(data/launch/model_names.csv), nor a local config") from None
    return {"catalog": name}


def _deepspeed(src: Source, value: Any, micro: int, accum: int, world: int) -> dict[str, Any]:
    """Check a DeepSpeed config against the Trainer's batch; return its settings for ``parallelism``."""
    if isinstance(value, dict):
        ds, ds_src = value, src
        prefix = "deepspeed."
    elif isinstance(value, str):
        p, text = read_text(src.path.parent / value, "deepspeed")
        ds_src = Source(p, "deepspeed", text)
        try:
            ds = json.loads(text)
        except json.JSONDecodeError as e:
            raise ds_src.error("json", f"not valid JSON ({e.msg} at line {e.lineno})") from None
        except (ValueError, RecursionError) as e:
            raise ds_src.error("json", f"not a usable JSON document ({type(e).__name__})") from None
        ds_src.lines = json_lines(text)
        prefix = ""
        src.took("deepspeed", value, "parallelism.zero")
    else:
        raise src.error("deepspeed", f"must be a path to a DeepSpeed JSON or a table, got {validate.shown(value)}")
    if not isinstance(ds, dict):
        raise ds_src.error("deepspeed", "must be a JSON object")
    expected = {"train_micro_batch_size_per_gpu": micro, "gradient_accumulation_steps": accum,
                "train_batch_size": micro * accum * world}
    for key, want in expected.items():
        v = ds.get(key, "auto")
        if v == "auto":
            continue
        got = ds_src.count(prefix + key, v)
        if got != want:
            raise ds_src.error(prefix + key, f"{got:,} contradicts the Trainer's arguments ({want:,} = "
                               + {"train_micro_batch_size_per_gpu": "per_device_train_batch_size",
                                  "gradient_accumulation_steps": "gradient_accumulation_steps",
                                  "train_batch_size": f"{micro} × {accum} × {world} GPUs"}[key] + ")")
        src.read.append(FieldRead(f"{ds_src.path.name}:{key}", got, ds_src.line(prefix + key),
                                  "checked against the Trainer's batch"))
    zero = ds.get("zero_optimization", {})
    if not isinstance(zero, dict):
        raise ds_src.error(prefix + "zero_optimization",
                           f"must be an object (DeepSpeed's schema), got {validate.shown(zero)}")
    stage = zero.get("stage", 0)
    if type(stage) is not int or stage not in (0, 1, 2, 3):  # true is not stage 1
        raise ds_src.error(prefix + "zero_optimization.stage", f"must be 0, 1, 2 or 3, got {validate.shown(stage)}")
    src.read.append(FieldRead(f"{ds_src.path.name}:zero_optimization.stage", stage, ds_src.line("stage"),
                              "parallelism.zero"))
    out: dict[str, Any] = {"zero": stage, "framework": "deepspeed"}
    offload = "none"
    for key, level in (("offload_optimizer", "optimizer"), ("offload_param", "params")):
        section = zero.get(key)
        if isinstance(section, dict) and section.get("device") in ("cpu", "nvme"):
            offload = level
            src.read.append(FieldRead(f"{ds_src.path.name}:zero_optimization.{key}.device", section["device"],
                                      ds_src.line(key), "parallelism.offload"))
    if offload != "none":
        out["offload"] = offload
    for k in ("bf16", "fp16"):
        section = ds.get(k, {})
        if not isinstance(section, dict):
            raise ds_src.error(prefix + k, f"must be an object with \"enabled\", got {validate.shown(section)}")
        enabled = section.get("enabled", False)
        if enabled not in (True, False, "auto") or type(enabled) is int:
            raise ds_src.error(prefix + f"{k}.enabled",
                               f"must be true, false or \"auto\", got {validate.shown(enabled)}")
        if enabled is True:
            out["precision"] = f"{k}-mixed"
    return out


def read(path: Path, text: str, *, gpus: Any = None, nodes: Any = None, gpus_per_node: Any = None,
         dataset_size: Any = None, seq_len: Any = None) -> LaunchConfig:
    """Read Hugging Face TrainingArguments (JSON or YAML; see the module docstring).

    Args:
        path: the file (named in errors; paths inside it are relative to its folder).
        text: its text.
        gpus: the total number of GPUs (``--gpus``), when the file does not state it.
        nodes: the number of nodes (``--nodes``).
        gpus_per_node: GPUs per node (``--gpus-per-node``).
        dataset_size: samples in the training set, for an epoch-based run (``--dataset-size``).
        seq_len: tokens per sample, when the arguments do not state it (``--seq-len``).

    Returns:
        The :class:`~planner.launch.common.LaunchConfig` (the plan document, what was read and assumed).

    Raises:
        PlanFileError: naming the file, the line and the key: not a JSON object or YAML mapping, a field that is
            neither a TrainingArguments field nor a script argument, a value of the wrong type, a model the
            planner cannot resolve, no sequence length, an epoch-based run without ``dataset_size``, or a
            DeepSpeed config that contradicts the Trainer's batch.
        InputError: ``gpus``, ``nodes``, ``gpus_per_node``, ``dataset_size`` or ``seq_len`` is not acceptable.
    """
    src = Source(path, "hf-trainer", text)
    args = _load(src)
    if not isinstance(args, dict):
        raise src.error("arguments", "must be a JSON object / YAML mapping of TrainingArguments")
    known = known_fields("hf_training_arguments") | known_fields("hf_script_arguments")
    for key in args:
        if key not in known:
            raise src.error(key, "not a TrainingArguments field nor a script argument the planner knows "
                                 "(data/launch/hf_training_arguments.txt, hf_script_arguments.txt)")
    check_types(src, args)
    model = _model(src, args)

    def get(key: str, sets: str) -> int:
        if key in args and args[key] is not None:
            return src.took(key, src.count(key, args[key]), sets)
        return src.assume(sets, int(HF_DEFAULTS[key]), f"TrainingArguments' default {key}")   # the whole-number ones

    micro = get("per_device_train_batch_size", "training.micro_batch")
    accum = get("gradient_accumulation_steps", "training.grad_accum")
    world = world_size(src, gpus, nodes, gpus_per_node)
    seq_key = next((k for k in SEQ_KEYS if args.get(k) is not None), None)
    if seq_key is not None:
        seq = src.took(seq_key, src.count(seq_key, args[seq_key]), "training.seq_len")
        if seq_len is not None and src.count("--seq-len", seq_len) != seq:
            raise src.error(seq_key, f"{seq:,} contradicts --seq-len {seq_len}")
        if seq_key != "block_size" and not args.get("packing", False):
            src.assume("training.seq_len", seq, f"{seq_key} is a ceiling: without packing, shorter samples make D "
                       "smaller than planned")
    elif seq_len is not None:
        seq = src.assume("training.seq_len", validate.count("--seq-len", seq_len), "--seq-len (tokens per sample)")
    else:
        raise src.error("max_seq_length", "missing: the arguments do not state the sequence length; give --seq-len")
    max_steps = args.get("max_steps", -1)
    if max_steps is not None and not (isinstance(max_steps, int) and not isinstance(max_steps, bool)):
        raise src.error("max_steps", "must be a whole number (-1: train for num_train_epochs), "
                                     f"got {validate.shown(max_steps)}")
    if max_steps is not None and max_steps > 0:  # the Trainer reads 0 and negatives as "not set"
        steps = src.took("max_steps", max_steps, "training.steps")
    else:
        epochs = args.get("num_train_epochs", HF_DEFAULTS["num_train_epochs"])
        if isinstance(epochs, bool) or not isinstance(epochs, (int, float)) or not 0 < epochs < 1e9:
            raise src.error("num_train_epochs", f"must be a number of epochs > 0, got {validate.shown(epochs)}")
        if "num_train_epochs" in args:
            src.took("num_train_epochs", epochs, "training.steps")
        else:
            src.assume("num_train_epochs", epochs, "TrainingArguments' default")
        if dataset_size is None:
            raise src.error("num_train_epochs", "an epoch-based run needs the dataset size: give --dataset-size "
                                                "(samples) or max_steps")
        n = validate.count("--dataset-size", dataset_size)
        steps = src.assume("training.steps", epoch_steps(n, micro, accum, world, epochs),
                           f"{epochs:g} epochs of ceil({n:,} samples / ({micro} × {world} GPUs)) batches // {accum}")
    extra = {}
    if args.get("deepspeed"):
        extra = _deepspeed(src, args["deepspeed"], micro, accum, world)
    precision = "bf16-mixed" if args.get("bf16") else "fp16-mixed" if args.get("fp16") else "fp32"
    src.parallelism.update(micro_batch=micro, seq_len=seq, tp=1, pp=1, dp=world, zero=0, precision=precision,
                           recompute="full" if args.get("gradient_checkpointing") else "none")
    src.parallelism.update(extra)
    return src.result({
        "name": src.path.stem,
        "description": f"Read from the Hugging Face TrainingArguments {src.path.name}",
        "model": model,
        "training": training_table(steps, micro, accum, world, seq),
    })
