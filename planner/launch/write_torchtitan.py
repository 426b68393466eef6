"""A torchtitan TOML job config for a plan and a layout (see :func:`planner.launch.write.write_launch`).

Every field is one of torchtitan's ``JobConfig`` (pytorch/torchtitan ``torchtitan/config/job_config.py`` at
``238fa995``, the last commit with TOML configs; ``data/launch/torchtitan_fields.txt``). The rules it must
satisfy are torchtitan's own, cited where they are checked: ``seq_len`` divisible by TP × 2 × CP
(``ParallelDims.seq_len_divisor``), DDP only as the one parallelism (``apply_ddp``: "DDP has not supported >
1D parallelism"), FSDP whenever the shard or context-parallel degree is above 1 (``ParallelDims.fsdp_enabled``),
sequence parallelism with every TP degree above 1 (``apply_tp``), per-layer checkpointing of every N-th layer
(``_apply_layer_sac``).
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..model.architecture import Architecture
from ..training.memory.partition import layers_per_stage
from ..training.parallelism import Parallelism
from ..verdict.schema import Plan

#: The float8 converter's registered name (``torchtitan/components/quantization/float8.py`` at ``238fa995``).
FLOAT8_CONVERTER = "quantize.linear.float8"


def _degrees(layout: Parallelism) -> tuple[int, int]:
    """``(replicate, shard)``: DDP replicates over DP alone; FSDP shards over DP."""
    dp, others = layout.data_parallel, layout.tp * layout.pp * layout.cp
    if layout.fsdp == "full":
        if dp == 1 and layout.cp == 1:
            raise InputError("fsdp", "unset with one data-parallel rank", detail="'full' needs more than one data- "
                             "or context-parallel rank to shard over")
        return 1, dp
    if layout.cp > 1:
        raise InputError("fsdp", "'full' with context parallelism", detail="must be 'full' with CP > 1: torchtitan "
                         "shards the model states over the data- and context-parallel ranks")
    if dp > 1 and others > 1:
        raise InputError("fsdp", "'full' with TP or PP", detail="must be 'full' when data parallelism is combined "
                         "with TP or PP: torchtitan's DDP runs only as the one parallelism")
    return dp, 1


def _activation_checkpoint(layout: Parallelism, stage: int) -> dict[str, str]:
    """``[activation_checkpoint]``: op-level selective, full, none, or every N-th layer of a stage."""
    if layout.recompute == "full":
        k = layout.recompute_layers
        if k is None or k >= stage:
            return {"mode": "full"}
        if stage % k:   # every N-th layer: N = stage / k layers apart, exactly k of them when N divides the stage
            raise InputError("recompute_layers", f"a divisor of the layers per pipeline stage ({stage}): torchtitan "
                             "checkpoints every N-th layer", k)
        return {"mode": "selective", "selective_ac_option": str(stage // k)}
    if layout.recompute == "selective":
        return {"mode": "selective", "selective_ac_option": "op"}
    return {"mode": "none"}


def _pipeline(arch: Architecture, layout: Parallelism, micro_batches: int) -> tuple[int, dict[str, Any]]:
    """Under pipeline parallelism: ``local_batch_size`` and the ``[parallelism]`` pipeline fields.

    torchtitan splits each GPU's local batch into micro-batches of ``pipeline_parallel_microbatch_size`` and runs
    them through one schedule: the local batch is the layout's micro-batches of a step (``micro_batches``, or all
    of them), and the global batch accumulates over as many schedules as remain. Interleaving states the stages per
    GPU: two by default, others through ``pipeline_parallel_layers_per_stage`` (``ceil((layers + 2) / it)``
    stages in all, the embedding and the head a layer each).
    """
    m = layout.micro_batches or micro_batches
    if micro_batches % m:
        raise InputError("micro_batches", f"a divisor of the step's {micro_batches:,} micro-batches", m)
    fields: dict[str, Any] = {"pipeline_parallel_microbatch_size": layout.micro_batch,
                              "pipeline_parallel_schedule": "1F1B" if layout.vpp == 1 else "Interleaved1F1B"}
    if layout.vpp > 2:
        stages = layout.pp * layout.vpp
        fit = layers_per_stage(arch.num_layers, stages)
        if fit is None:
            raise InputError("vpp", "", detail=f"torchtitan cannot split {arch.num_layers} layers and the embedding "
                             f"and head into {stages} stages of whole layers (pipeline_parallel_layers_per_stage), "
                             f"got vpp {layout.vpp}")
        fields["pipeline_parallel_layers_per_stage"] = fit
    return layout.micro_batch * m, fields


def render(plan: Plan, arch: Architecture, layout: Parallelism, *, model: tuple[str, str], global_batch: int,
           stage: int) -> str:
    """The job config's text.

    Args:
        plan: the plan (its name, steps and tokens per step).
        arch: its model (a torchtitan flavor).
        layout: the layout, with its data-parallel size resolved (checked by the caller for what it leaves out).
        model: torchtitan's ``(name, flavor)`` of the plan's model.
        global_batch: sequences per optimizer step.
        stage: layers per pipeline stage (for per-layer checkpointing).

    Returns:
        The TOML text.

    Raises:
        InputError: naming the field torchtitan would refuse or run otherwise: ``seq_len``, ``tp``, ``fsdp``,
            ``sp``, ``flash_attention``, ``precision``, ``recompute_layers``.
    """
    import tomli_w
    tp, cp, seq = layout.tp, layout.cp, layout.seq_len
    if seq % (tp * 2 * cp):
        raise InputError("seq_len", f"a multiple of TP × 2 × CP = {tp * 2 * cp} (torchtitan's seq_len_divisor)", seq)
    for what, n in (("attention heads", arch.num_heads), ("key/value heads", arch.num_kv_heads)):
        if n % tp:   # ColwiseParallel splits wq and wk/wv by heads
            raise InputError("tp", f"a divisor of the {what} ({n:,})", tp)
    if layout.sp != (tp > 1):
        raise InputError("sp", str(tp > 1), detail=f"must be {tp > 1} with TP {tp}: torchtitan applies sequence "
                         "parallelism with every TP degree above 1")
    if not layout.flash_attention:
        raise InputError("flash_attention", "True", detail="must be True: torchtitan's attention is a fused kernel")
    if layout.precision == "fp16-mixed":
        raise InputError("precision", "bf16-mixed or fp32 (torchtitan's mixed_precision_param)", layout.precision)
    replicate, shard = _degrees(layout)
    local, pipeline = layout.micro_batch, dict[str, Any]()
    if layout.pp > 1:
        local, pipeline = _pipeline(arch, layout, global_batch // (layout.micro_batch * layout.data_parallel))
    training: dict[str, Any] = {"local_batch_size": local, "global_batch_size": global_batch,
                                "seq_len": seq, "steps": plan.budget.steps}
    if layout.precision == "fp32":
        training["mixed_precision_param"] = "float32"
    doc: dict[str, Any] = {
        "job": {"description": f"{plan.name}: written by the planner", "dump_folder": "./outputs"},
        "model": {"name": model[0], "flavor": model[1], **({"converters": [FLOAT8_CONVERTER]} if layout.fp8 else {})},
        "training": training,
        "parallelism": {"data_parallel_replicate_degree": replicate, "data_parallel_shard_degree": shard,
                        "tensor_parallel_degree": tp, "pipeline_parallel_degree": layout.pp,
                        "context_parallel_degree": cp, **pipeline,
                        **({"enable_async_tensor_parallel": True} if layout.tp_overlap else {})},
        "activation_checkpoint": _activation_checkpoint(layout, stage),
        "compile": {"enable": layout.compile},
    }
    world, tokens = layout.num_gpus, plan.budget.steps * global_batch * seq
    head = [
        f"# torchtitan job config written by the planner for the plan {plan.name!r}: reading it back",
        "# (planner import THIS_FILE --format torchtitan) gives the same plan and layout.",
        f"# D = {plan.budget.steps:,} steps x {global_batch:,} sequences x {seq:,} tokens = {tokens:,} tokens.",
        f"# Layout: {layout.describe()}.",
        "# Fields are torchtitan's JobConfig (torchtitan/config/job_config.py). Run on "
        f"{world:,} GPU{'s' if world > 1 else ''}:",
        "#   torchrun --nproc_per_node=<GPUs per node> --nnodes=<nodes> -m torchtitan.train \\",
        "#       --job.config_file THIS_FILE",
        "# Not stated: the data set, tokenizer assets, optimizer and learning-rate schedule (torchtitan's",
        "# defaults), checkpoints and logging.",
        *([f"# The plan continues from a checkpoint that saw {plan.budget.prior_tokens:,} tokens: set "
           "[checkpoint] initial_load_path."] if plan.budget.prior_tokens else []),
        "",
    ]
    return "\n".join(head) + "\n" + tomli_w.dumps(doc)
