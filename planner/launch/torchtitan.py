"""torchtitan: a TOML job config (``torchtitan/models/*/train_configs/*.toml``).

``[model] name/flavor`` names the architecture: resolved to the catalog where it matches
(``data/launch/model_names.csv``), else built from torchtitan's Llama 3 flavor table.
``[training]`` gives ``steps``, ``local_batch_size``, ``global_batch_size`` (−1: local ×
data-parallel) and ``seq_len``; ``[parallelism]`` the degrees. The data-parallel size is
replicate × shard degree, where a shard degree of −1 fills the GPUs left after tensor,
pipeline and context parallelism. Keys are checked against torchtitan's ``JobConfig``
(``data/launch/torchtitan_fields.txt``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, overload

from .. import validate
from ..datafiles import lookup
from ..errors import UnknownModelError
from ..files import display
from ..model.architecture import Architecture
from ..model.catalog import architecture
from ..training.memory.partition import stages_of
from .common import (
    LaunchConfig,
    Source,
    architecture_fields,
    batch_split,
    flatten,
    known_fields,
    toml_lines,
    training_table,
    world_size,
)

#: torchtitan's ``llama3_args`` flavors outside the catalog: dim, n_layers, n_heads, n_kv_heads,
#: ffn_dim_multiplier, multiple_of (vocabulary 128,256: the Llama 3 tokenizer).
LLAMA3_FLAVORS = {"70B": (8192, 80, 64, 8, 1.3, 4096), "405B": (16384, 126, 128, 8, 1.2, 4096)}
LLAMA3_VOCAB = 128256
#: ``activation_checkpoint.mode`` values torchtitan accepts (``memory_budget`` is recomputed like ``selective``).
AC_MODES = ("none", "selective", "full", "memory_budget")

#: The types of ``JobConfig``'s fields (pytorch/torchtitan ``torchtitan/config/job_config.py``): a TOML value
#: of another type is refused, as torchtitan's own config parser refuses it; a tuple is a Literal's choices.
_BOOL = """job.use_for_integration_test job.print_args job.print_config profiling.enable_profiling
    profiling.enable_memory_snapshot metrics.enable_tensorboard metrics.disable_color_printing
    metrics.save_for_all_ranks metrics.enable_wandb model.print_after_conversion optimizer.early_step_in_backward
    training.enable_cpu_offload training.compile training.gc_debug training.deterministic
    parallelism.enable_compiled_autograd parallelism.disable_loss_parallel parallelism.enable_async_tensor_parallel
    checkpoint.enable_checkpoint checkpoint.initial_load_model_only checkpoint.last_save_model_only
    checkpoint.create_seed_checkpoint checkpoint.enable_first_step_checkpoint checkpoint.last_save_in_hf
    float8.enable_fsdp_float8_all_gather float8.precompute_float8_dynamic_scale_for_fsdp
    float8.force_recompute_fp8_weight_in_bwd float8.emulate memory_estimation.enabled
    memory_estimation.disable_fake_mode fault_tolerance.enable fault_tolerance.should_quantize validation.enabled
    checkpoint.enable checkpoint.enable_ft_dataloader_checkpoints checkpoint.initial_load_in_hf
    checkpoint.initial_load_in_hf_quantized checkpoint.load_only compile.enable activation_checkpoint.early_stop
    activation_checkpoint.visualize_memory_budget_pareto activation_checkpoint.preserve_rng_state
    activation_checkpoint.debug training.dataloader.persistent_workers training.dataloader.pin_memory"""
_INT = """profiling.profile_freq metrics.log_freq lr_scheduler.warmup_steps training.local_batch_size
    training.global_batch_size training.seq_len training.steps training.gc_freq training.seed
    parallelism.data_parallel_replicate_degree parallelism.data_parallel_shard_degree
    parallelism.tensor_parallel_degree parallelism.pipeline_parallel_degree parallelism.context_parallel_degree
    parallelism.expert_parallel_degree parallelism.pipeline_parallel_microbatch_size
    parallelism.pipeline_parallel_layers_per_stage checkpoint.interval checkpoint.keep_latest_k checkpoint.load_step
    comm.init_timeout_seconds comm.train_timeout_seconds comm.trace_buf_size validation.local_batch_size
    validation.seq_len validation.freq validation.steps training.dataloader.num_workers
    training.dataloader.prefetch_factor"""
_REAL = """optimizer.lr optimizer.beta1 optimizer.beta2 optimizer.eps optimizer.weight_decay lr_scheduler.decay_ratio
    lr_scheduler.lr_min training.max_norm activation_checkpoint.memory_budget"""
TYPES = {**dict.fromkeys(_BOOL.split(), "bool"), **dict.fromkeys(_INT.split(), "int"),
         **dict.fromkeys(_REAL.split(), "real"),
         "optimizer.implementation": ("for-loop", "foreach", "fused"),
         "lr_scheduler.decay_type": ("linear", "sqrt", "cosine"),
         "training.mixed_precision_param": ("bfloat16", "float32"), "training.mixed_precision_reduce": ("float32",),
         "parallelism.fsdp_reshard_after_forward": ("default", "always", "never"),
         "parallelism.context_parallel_rotate_method": ("allgather", "alltoall"),
         "checkpoint.export_dtype": ("float16", "bfloat16", "float32"),
         "checkpoint.async_mode": ("disabled", "async", "async_with_pinned_mem"),
         "activation_checkpoint.mode": AC_MODES}


def check_types(src: Source, flat: dict[str, Any]) -> None:
    """Each field against its ``JobConfig`` type (:data:`TYPES`); an error names the file, line and key.

    Args:
        src: the file being read.
        flat: the job config's fields by dotted key (:func:`~planner.launch.common.flatten`).

    Raises:
        PlanFileError: naming the file, the line and the key: a value of another type or outside a choice's values.
    """
    for key, v in flat.items():
        kind = TYPES.get(key)
        if isinstance(kind, tuple):
            if v not in kind or not isinstance(v, str):
                raise src.error(key, f"must be one of {', '.join(kind)} (torchtitan's choices), "
                                     f"got {validate.shown(v)}")
        elif kind == "bool" and not isinstance(v, bool):
            hint = " (a quoted boolean is text: write true or false without quotes)" if isinstance(v, str) else ""
            raise src.error(key, f"must be true or false (torchtitan's type), got {validate.shown(v)}{hint}")
        elif kind == "int" and (isinstance(v, bool) or not isinstance(v, int)):
            raise src.error(key, f"must be a whole number (torchtitan's type), got {validate.shown(v)}")
        elif kind == "real" and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise src.error(key, f"must be a number (torchtitan's type), got {validate.shown(v)}")


def llama3_ffn(dim: int, multiplier: float | None, multiple_of: int) -> int:
    """torchtitan's FeedForward width: int(2·4d/3), × multiplier, rounded up to ``multiple_of``.

    Args:
        dim: the model width d.
        multiplier: ``ffn_dim_multiplier``, or None.
        multiple_of: the width is rounded up to a multiple of it.

    Returns:
        The FeedForward width.
    """
    hidden = int(2 * (4 * dim) / 3)
    if multiplier is not None:
        hidden = int(multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def _model(src: Source, name: str, flavor: str) -> dict[str, Any]:
    try:
        row = lookup(f"{name}/{flavor}", "launch/model_names.csv", ("name",), "model")
        if row["framework"] != "torchtitan":
            raise UnknownModelError("model", "")
    except UnknownModelError:
        row = None
    if row is not None:
        src.assume("model.catalog", row["catalog"], f"torchtitan's {name} {flavor} is this catalog model "
                   "(data/launch/model_names.csv)")
        return {"catalog": row["catalog"]}
    if name == "llama3" and flavor in LLAMA3_FLAVORS:
        d, L, H, kv, mult, multiple = LLAMA3_FLAVORS[flavor]
        arch = Architecture(num_layers=L, hidden_size=d, num_heads=H, num_kv_heads=kv, vocab_size=LLAMA3_VOCAB,
                            intermediate_size=llama3_ffn(d, mult, multiple), family="llama",
                            name=f"torchtitan llama3 {flavor}")
        src.assume("model.dimensions", f"llama3 {flavor}", "torchtitan's llama3_args table; vocabulary 128,256 "
                   "(the Llama 3 tokenizer)")
        return {"dimensions": architecture_fields(arch)}
    known = ", ".join(["llama3/8B"] + [f"llama3/{f}" for f in LLAMA3_FLAVORS])
    raise src.error("model.flavor", f"{display(f'{name}/{flavor}')} is not known to the planner; known: {known}")


def _compile_and_float8(src: Source, flat: dict[str, Any]) -> dict[str, Any]:
    """``compile`` (``compile.enable``, older ``training.compile``) and ``fp8`` (a float8 converter) as stated."""
    out: dict[str, Any] = {}
    for key in ("compile.enable", "training.compile"):
        if key in flat:
            if not isinstance(flat[key], bool):
                raise src.error(key, f"must be true or false, got {validate.shown(flat[key])}")
            out["compile"] = src.took(key, flat[key], "parallelism.compile")
    converters = flat.get("model.converters")
    if isinstance(converters, list) and any("float8" in str(c) for c in converters):
        src.took("model.converters", converters, "parallelism.fp8")
        out["fp8"] = True
    return out


def read(path: Path, text: str, *, gpus: Any = None, nodes: Any = None, gpus_per_node: Any = None) -> LaunchConfig:
    """Read a torchtitan TOML job config (see the module docstring).

    Args:
        path: the file (named in errors; paths inside it are relative to its folder).
        text: its text.
        gpus: the total number of GPUs (``--gpus``), when the file does not state it.
        nodes: the number of nodes (``--nodes``).
        gpus_per_node: GPUs per node (``--gpus-per-node``).

    Returns:
        The :class:`~planner.launch.common.LaunchConfig` (the plan document, what was read and assumed).

    Raises:
        PlanFileError: naming the file, the line and the key: not valid TOML, a field torchtitan does not have,
            a value of the wrong type, a model flavor the planner does not know, or degrees or a batch that
            contradict each other.
        InputError: ``gpus``, ``nodes`` or ``gpus_per_node`` is not acceptable.
    """
    src = Source(path, "torchtitan", text)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise src.error("toml", f"not valid TOML: {e}") from None
    except (ValueError, RecursionError) as e:  # a 5,000-digit number, nesting thousands deep
        raise src.error("toml", f"not a usable TOML document ({type(e).__name__})") from None
    src.lines = toml_lines(text)
    flat = flatten(doc)
    known = known_fields("torchtitan_fields")
    for key in flat:
        if key not in known:
            raise src.error(key, "not a torchtitan job-config field (see data/launch/torchtitan_fields.txt)")
    check_types(src, flat)

    @overload
    def get(key: str, default: int, sets: str, minimum: int = 1) -> int: ...
    @overload
    def get(key: str, default: None, sets: str, minimum: int = 1) -> int | None: ...
    def get(key: str, default: int | None, sets: str, minimum: int = 1) -> int | None:
        if key not in flat:
            return default
        v = flat[key]
        if isinstance(v, bool) or not isinstance(v, int):
            raise src.error(key, f"must be a whole number, got {validate.shown(v)}")
        if v < minimum:
            raise src.error(key, f"must be a whole number >= {minimum}, got {v}")
        return src.took(key, v, sets)

    for key in ("model.name", "model.flavor"):
        if not isinstance(flat.get(key), str):
            raise src.error(key, "missing: needed to know the model" if key not in flat else "must be a string")
        src.took(key, flat[key], "model")
    model = _model(src, flat["model.name"], flat["model.flavor"])

    steps = get("training.steps", None, "training.steps")
    if steps is None:
        steps = src.assume("training.steps", 10000, "torchtitan's default training.steps")
    seq = get("training.seq_len", None, "training.seq_len")
    if seq is None:
        seq = src.assume("training.seq_len", 2048, "torchtitan's default training.seq_len")
    short = {"tensor_parallel_degree": "tp", "pipeline_parallel_degree": "pp", "context_parallel_degree": "cp"}
    degrees = {k: get(f"parallelism.{k}", 1, "parallelism." + short[k]) for k in
               ("tensor_parallel_degree", "pipeline_parallel_degree", "context_parallel_degree")}
    # under pipelining the local batch is split into micro-batches (:func:`_pipeline`)
    sets = "training.micro_batch" if degrees["pipeline_parallel_degree"] == 1 else "parallelism.micro_batches"
    local = get("training.local_batch_size", None, sets)
    if local is None:
        local = src.assume(sets, 8, "torchtitan's default training.local_batch_size")
    replicate = get("parallelism.data_parallel_replicate_degree", 1, "training.data_parallel")
    shard = flat.get("parallelism.data_parallel_shard_degree", -1)
    if type(shard) is not int:  # -1.0 or "-1": torchtitan's field is an int
        get("parallelism.data_parallel_shard_degree", 1, "training.data_parallel")
    if shard == -1:
        if "parallelism.data_parallel_shard_degree" in flat:
            src.took("parallelism.data_parallel_shard_degree", -1, "training.data_parallel")
        other = replicate * degrees["tensor_parallel_degree"] * degrees["pipeline_parallel_degree"] * \
            degrees["context_parallel_degree"]
        world = world_size(src, gpus, nodes, gpus_per_node, model_parallel=other)
        if world % other:
            raise src.error("parallelism.data_parallel_shard_degree",
                            f"-1 fills the GPUs left: world size {world} is not a multiple of replicate × TP × PP "
                            f"× CP = {other}; give --gpus as a multiple of it")
        shard = world // other
    else:
        shard = get("parallelism.data_parallel_shard_degree", 1, "training.data_parallel")
        world = replicate * shard
        for v in degrees.values():
            world *= v
        given = None if gpus is None and nodes is None else world_size(src, gpus, nodes, gpus_per_node)
        if given is not None and given != world:
            raise src.error("parallelism.data_parallel_shard_degree",
                            f"the degrees multiply to {world} GPUs, but {given} were given")
    dp = replicate * shard
    src.assume("training.data_parallel", dp, f"replicate {replicate} × shard {shard}")
    gbs = flat.get("training.global_batch_size", -1)
    if type(gbs) is not int:
        get("training.global_batch_size", None, "training.grad_accum")
    if gbs == -1:
        accum = 1
        src.assume("training.grad_accum", 1, "global_batch_size -1: local batch × data-parallel, no accumulation")
    else:
        gbs = get("training.global_batch_size", None, "training.grad_accum")
        assert gbs is not None   # stated: it is not the default -1
        accum = batch_split(src, "training.global_batch_size", gbs, local, dp)
    mode = flat.get("activation_checkpoint.mode", "selective")
    if mode not in AC_MODES:
        raise src.error("activation_checkpoint.mode", f"must be one of {', '.join(AC_MODES)} "
                                                      f"(torchtitan's choices), got {validate.shown(mode)}")
    param_dtype = flat.get("training.mixed_precision_param", "bfloat16")
    if param_dtype not in ("bfloat16", "float32"):
        raise src.error("training.mixed_precision_param", "must be bfloat16 or float32 (torchtitan's choices), "
                                                          f"got {validate.shown(param_dtype)}")
    recompute = {"memory_budget": "selective"}.get(mode, mode)
    option = flat.get("activation_checkpoint.selective_ac_option", "op")
    per_layer: dict[str, Any] = {}
    layers = (architecture(model["catalog"]).num_layers if "catalog" in model
              else int(model["dimensions"]["num_layers"]))
    if mode == "selective" and option != "op":
        if not (isinstance(option, str) and option.isascii() and option.isdigit() and 1 <= int(option) <= 10**6):
            raise src.error("activation_checkpoint.selective_ac_option",
                            f"must be \"op\" or a whole number of layers >= 1, got {validate.shown(option)}")
        # per-layer checkpointing: every N-th layer is checkpointed whole, the others keep everything
        stage = -(-layers // degrees["pipeline_parallel_degree"])
        recompute = "full"
        src.took("activation_checkpoint.selective_ac_option", option, "parallelism.recompute_layers")
        per_layer["recompute_layers"] = -(-stage // int(option))   # layers 0, N, 2N, ... of each stage
    micro, pipeline = local, dict[str, Any]()
    if degrees["pipeline_parallel_degree"] > 1:
        micro, pipeline = _pipeline(src, flat, get, local, layers, degrees["pipeline_parallel_degree"])
    stated = _compile_and_float8(src, flat)
    overlap: dict[str, Any] = {}
    key = "parallelism.enable_async_tensor_parallel"
    if flat.get(key) is True and degrees["tensor_parallel_degree"] > 1:
        # torchtitan's async TP runs only under torch.compile (its parallelize refuses it otherwise)
        if not stated.get("compile"):
            raise src.error(key, "needs compile.enable = true: torchtitan's async TP runs under torch.compile")
        overlap["tp_overlap"] = src.took(key, True, "parallelism.tp_overlap")
    src.parallelism.update(micro_batch=micro, seq_len=seq, tp=degrees["tensor_parallel_degree"],
                           pp=degrees["pipeline_parallel_degree"], cp=degrees["context_parallel_degree"], dp=dp,
                           fsdp="full" if shard > 1 or degrees["context_parallel_degree"] > 1 else None,
                           sp=degrees["tensor_parallel_degree"] > 1,   # torchtitan's apply_tp: SP with every TP
                           precision=("fp32" if flat.get("training.mixed_precision_param") == "float32"
                                      else "bf16-mixed"),
                           recompute=recompute, framework="torchtitan", flash_attention=True,
                           **stated, **per_layer, **pipeline, **overlap)
    return src.result({
        "name": src.path.stem,
        "description": str(flat.get("job.description") or f"Read from the torchtitan job config {src.path.name}"),
        "model": model,
        "training": training_table(steps, micro, accum * local // micro, dp, seq),
    })


#: The pipeline schedules the planner times: one stage per GPU, or interleaved virtual stages.
SCHEDULES = ("1F1B", "Interleaved1F1B")


def _pipeline(src: Source, flat: dict[str, Any], get: Any, local: int, layers: int, pp: int
              ) -> tuple[int, dict[str, Any]]:
    """Under pipeline parallelism: the micro-batch and the layout's ``micro_batches`` and ``vpp``.

    torchtitan splits each GPU's ``local_batch_size`` into micro-batches of ``pipeline_parallel_microbatch_size``
    (default 1) and runs them through one schedule (``build_pipeline_schedule``); an interleaved schedule runs
    ``pipeline_parallel_layers_per_stage``'s stages, ``ceil((layers + 2) / it)`` of them, or two per GPU without
    it (``pipeline_llm``, the embedding and the head counting as a layer each).
    """
    size = get("parallelism.pipeline_parallel_microbatch_size", None, "training.micro_batch")
    if size is None:
        size = src.assume("training.micro_batch", 1, "torchtitan's default pipeline_parallel_microbatch_size")
    if local % size:
        raise src.error("parallelism.pipeline_parallel_microbatch_size",
                        f"must divide training.local_batch_size ({local}): torchtitan splits the local batch into "
                        f"micro-batches of this size, got {size}")
    schedule = flat.get("parallelism.pipeline_parallel_schedule", "1F1B")
    if schedule not in SCHEDULES:
        raise src.error("parallelism.pipeline_parallel_schedule",
                        f"must be one of {', '.join(SCHEDULES)} (the schedules the planner times), got "
                        f"{validate.shown(schedule)}")
    for key in ("parallelism.pipeline_parallel_first_stage_less_layers",
                "parallelism.pipeline_parallel_last_stage_less_layers"):
        if flat.get(key, 1) != 1:
            raise src.error(key, f"must be 1 (the planner splits the stages as torchtitan's default, the embedding "
                                 f"and the head a layer each), got {validate.shown(flat[key])}")
    per_stage = get("parallelism.pipeline_parallel_layers_per_stage", None, "parallelism.vpp")
    if per_stage is None:
        vpp = 1 if schedule == "1F1B" else 2
    else:
        stages = stages_of(layers, per_stage)
        if stages % pp:
            raise src.error("parallelism.pipeline_parallel_layers_per_stage",
                            f"gives {stages} stages, not a multiple of pipeline_parallel_degree {pp} (torchtitan "
                            "refuses it)")
        vpp = stages // pp
        if (vpp == 1) != (schedule == "1F1B"):
            raise src.error("parallelism.pipeline_parallel_layers_per_stage",
                            f"gives {vpp} stage{'s' if vpp > 1 else ''} per GPU; {schedule} needs "
                            f"{'exactly 1' if schedule == '1F1B' else 'at least 2'} (torchtitan refuses it)")
    if "parallelism.pipeline_parallel_schedule" in flat:
        src.took("parallelism.pipeline_parallel_schedule", schedule, "parallelism.vpp")
    else:
        src.assume("parallelism.vpp", vpp, "torchtitan's default pipeline_parallel_schedule, 1F1B")
    src.assume("parallelism.micro_batches", local // size, f"local_batch_size {local} / micro-batches of {size}")
    return size, {"micro_batches": local // size, "vpp": vpp}
