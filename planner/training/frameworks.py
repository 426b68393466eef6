"""What each training stack does with memory: the behaviours the memory model follows, one row per framework.

The same layout takes different memory in different stacks. Each behaviour here is named, with the code or
document it comes from; :mod:`planner.training.memory` reads them and nothing else decides them.

* **selective recompute** — ``attention-core``: only the attention scores and their softmax are recomputed
  (Korthikanti et al. 2022, §5; Megatron-LM ``--recompute-granularity selective``, DeepSpeed's and Hugging
  Face's memory-efficient attention); ``op-sac``: torchtitan's op-level selective activation checkpointing
  keeps the outputs of every other matmul and of the attention kernel and recomputes the rest
  (torchtitan ``_apply_ac_to_transformer_block``, ``_save_list`` and the ``mm_count % 2`` rule).
* **loss** — how the logits are held: torchtitan and Hugging Face upcast them with ``logits.float()`` before
  cross-entropy (``fp32-upcast``); Megatron's ``vocab_parallel_cross_entropy`` works in place on one fp32
  copy (``fp32-inplace``).
* **gradient buffers** — Megatron accumulates gradients in fp32 ``main_grad`` buffers by default
  (``--accumulate-allreduce-grads-in-fp32``); the others keep them in the weights' 16 bits.
* **pipeline split** — ``units``: the embedding and the LM head each count as one layer and the L + 2 units
  are spread evenly, earlier stages taking the remainder (torchtitan ``generate_llm_fqn_per_model_part`` with
  ``input_weight = output_weight = 1``; Megatron-DeepSpeed's ``type:transformer|embedding`` partition, which
  trained BLOOM-176B's 70 layers on 12 stages); ``even``: L/p layers per stage when p divides L, else the
  ``units`` split (Megatron-LM's ``--decoder-first/last-pipeline-num-layers``, as Llama 3 405B's 126 layers
  on 16 stages).
* **reshard under PP** — FSDP2 frees the gathered weights after each layer's forward, except that torchtitan
  keeps them gathered for the whole stage when pipelining (``reshard_after_forward=False`` when
  ``pp > 1``: its ``apply_fsdp``).
* **gradients under PP** — PyTorch's pipelining (``torch.distributed.pipelining``, which torchtitan runs) turns
  FSDP's gradient reduce-scatter off for every micro-batch but the last (``set_requires_gradient_sync(
  last_backward)`` in its ``PipelineStage``), so each GPU accumulates its stage's unsharded gradients, in the
  reduce dtype (fp32), across the micro-batches; it gathers the weights once and reduce-scatters once a step.
* **sequence parallelism** — Megatron keeps each rank's shard of the QKV and MLP inputs and gathers them
  again in the backward (Korthikanti et al. 2022, §4.2.2); PyTorch's DTensor sequence parallelism
  (torchtitan) saves the all-gathered input of the column-parallel matmuls.
* **sharding** — the ZeRO stages each stack runs: PyTorch DDP, FSDP's SHARD_GRAD_OP and FULL_SHARD (0, 2, 3);
  torchtitan's FSDP2 (0, 3); Megatron-LM's distributed optimizer (0, 1); DeepSpeed (0-3), but only 0 and 1 with
  pipeline parallelism (its ``PipelineEngine`` asserts ``zero_optimization_stage() < ZeroStageEnum.gradients``:
  "ZeRO-2 and ZeRO-3 are incompatible with pipeline parallelism").
* **what the stack runs** — the parallel degrees, recompute modes and fused kernels each offers: Megatron-LM
  fuses its norms, softmax and bias-activation kernels by default (``--bias-gelu-fusion``,
  ``--masked-softmax-fusion``, TE's fused LayerNorm); llm-foundry (MosaicML's MPT stack on Composer) shards with
  FSDP (``NO_SHARD``, ``SHARD_GRAD_OP``, ``FULL_SHARD``), offers tensor parallelism (``tp_config``) and no
  pipeline or context parallelism, checkpoints whole blocks (``activation_checkpointing``) and runs fused kernels
  and flash-attn's fused cross-entropy (``loss_fn: fused_crossentropy``, its default in ``modeling_mpt.py``:
  the bf16 logits and their gradient, ``fused``).
* **nanochat** — Karpathy's nanochat: data parallelism only, its own distributed optimizers sharding the optimizer
  state (ZeRO 1: gradients reduce-scattered and weights gathered once a step, ``DistAdamW``/``DistMuon``), no
  activation checkpointing, the whole model under ``torch.compile`` and ``logits.float()`` before the loss.
* **interleaving** — Megatron-LM, torchtitan and PyTorch's pipelining (``ScheduleInterleaved1F1B``) run virtual
  stages; DeepSpeed's pipeline engine runs 1F1B only (``deepspeed/runtime/pipe/schedule.py``: ``TrainSchedule``).
  torchtitan runs two stages per GPU by default and others only as ``pipeline_parallel_layers_per_stage`` n gives
  them: ``ceil((L + 2) / n)`` stages in all (``layers-per-stage``).
* **TP overlap** — the tensor-parallel all-gathers and reduce-scatters run in pieces under the matmuls they feed:
  Megatron-LM's ``--tp-comm-overlap`` (Transformer Engine's userbuffers; NVIDIA's published H100 runs use it) and
  torchtitan's async TP (``enable_async_tensor_parallel``, which needs ``torch.compile``); the others run TP's
  collectives between the matmuls.
* **communication buffers** — ``fsdp``: FSDP gathers one layer ahead (the current and the prefetched layer's
  16-bit weights) and reduce-scatters one layer's gradients in the reduce dtype (fp32 in torchtitan's
  mixed-precision policy); PyTorch DDP without sharding copies the gradients into its buckets
  (``gradient_as_bucket_view=False``, the default); ``deepspeed``: the default ``reduce_bucket_size`` and
  ``allgather_bucket_size`` of 5e8 elements, and with ZeRO-3 ``stage3_max_live_parameters`` of 1e9;
  ``megatron``: its gradient and parameter buffers are the model states themselves (no extra copy).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError


@dataclass(frozen=True)
class Framework:
    """One training stack's memory behaviours.

    Args:
        key: the name users give (``"torchtitan"``).
        selective: what ``recompute="selective"`` keeps: ``"attention-core"`` or ``"op-sac"``.
        loss: the default loss implementation (one of :data:`planner.training.parallelism.LOSSES`).
        fp32_grads: gradients accumulate in fp32 buffers by default.
        pp_split: ``"units"`` or ``"even"`` (see the module's notes).
        reshard_under_pp: FSDP frees the gathered weights after each layer's forward when pipelining.
        buffers: ``"fsdp"``, ``"deepspeed"`` or ``"megatron"`` communication buffers.
        sp_gathered: under sequence parallelism the QKV and MLP inputs are saved all-gathered.
        zero_stages: the ZeRO stages the stack runs (0 plain data parallel, 1 a distributed optimizer, 2 sharded
            gradients, 3 sharded weights: FSDP).
        pp_zero: the highest ZeRO stage it runs with pipeline parallelism.
        interleaved: it runs interleaved pipeline schedules (virtual stages).
        virtual_split: ``"any"``, or ``"layers-per-stage"``: more than two virtual stages per GPU only as whole
            layers per stage give them (torchtitan).
        pp_unsharded_grads: under pipelining, FSDP keeps the stage's unsharded fp32 gradients until the last
            micro-batch (and gathers and reduce-scatters once a step).
        degrees: the parallel degrees the stack runs besides data parallelism (``"tp"``, ``"pp"``, ``"cp"``,
            ``"ep"``; ``"etp"``: the experts' own TP, 1 while attention runs TP above 1, as Megatron's MoE
            parallel folding runs it).
        recompute: the recompute modes it offers.
        fused_kernels: its norms and activations run as fused kernels without ``torch.compile``.
        tp_overlap: it can overlap TP's collectives with the matmuls; ``"compiled"``: only under ``torch.compile``.
        zero2: what ZeRO 2 communicates: ``"fsdp"`` (SHARD_GRAD_OP gathers the weights for each micro-batch's
            forward and reduce-scatters its gradients) or ``"deepspeed"`` (reduce-scatters each micro-batch's
            gradients, gathers the updated weights once a step).
        pads_vocab: it splits the embedding and the head by rows over TP and pads the vocabulary to a multiple of
            TP (Megatron), so a TP that does not divide the vocabulary runs a larger model than the plan's.
        fp8_inputs: its float8 linears keep their inputs for the backward in float8 (Transformer Engine, under
            Megatron); torchao's float8 linears (torchtitan) keep them in 16 bits.
    """

    key: str
    selective: str
    loss: str
    fp32_grads: bool
    pp_split: str
    reshard_under_pp: bool
    buffers: str
    sp_gathered: bool
    zero_stages: tuple[int, ...] = (0, 1, 2, 3)
    pp_zero: int = 3
    interleaved: bool = True
    virtual_split: str = "any"
    pp_unsharded_grads: bool = False
    degrees: tuple[str, ...] = ("tp", "pp", "cp", "ep")
    recompute: tuple[str, ...] = ("none", "selective", "full")
    fused_kernels: bool = False
    zero2: str = "fsdp"
    tp_overlap: str | None = None
    pads_vocab: bool = False
    fp8_inputs: bool = False

    def overlaps_tp(self, compiled: bool) -> bool:
        """Whether the stack can overlap TP's collectives with the matmuls, compiled or not.

        Args:
            compiled: the layout runs under ``torch.compile``.

        Returns:
            True when it can.
        """
        return self.tp_overlap == "always" or (self.tp_overlap == "compiled" and compiled)

    def keeps_vocab(self, vocab: int, tp: int) -> bool:
        """Whether the stack runs a vocabulary of ``vocab`` rows over TP ``tp`` unpadded (the plan's N).

        Args:
            vocab: the embedding rows the plan counts.
            tp: the tensor-parallel degree.

        Returns:
            True unless the stack pads the vocabulary to a multiple of TP and ``tp`` does not divide it.

        Examples:
            >>> framework("megatron").keeps_vocab(49159, 2), framework("torchtitan").keeps_vocab(49159, 2)
            (False, True)
        """
        return not self.pads_vocab or vocab % tp == 0


#: The frameworks, by the name users give.
FRAMEWORK_TABLE = {
    "pytorch": Framework("pytorch", selective="attention-core", loss="fp32-upcast", fp32_grads=False,
                         pp_split="even", reshard_under_pp=True, buffers="fsdp", sp_gathered=True,
                         zero_stages=(0, 2, 3)),
    "torchtitan": Framework("torchtitan", selective="op-sac", loss="fp32-upcast", fp32_grads=False,
                            pp_split="units", reshard_under_pp=False, buffers="fsdp", sp_gathered=True,
                            zero_stages=(0, 3), pp_unsharded_grads=True, tp_overlap="compiled",
                            virtual_split="layers-per-stage"),
    "megatron": Framework("megatron", selective="attention-core", loss="fp32-inplace", fp32_grads=True,
                          pp_split="even", reshard_under_pp=True, buffers="megatron", sp_gathered=False,
                          zero_stages=(0, 1), fused_kernels=True, tp_overlap="always", pads_vocab=True, fp8_inputs=True,
                          degrees=("tp", "pp", "cp", "ep", "etp")),
    "deepspeed": Framework("deepspeed", selective="attention-core", loss="fp32-upcast", fp32_grads=False,
                           pp_split="even", reshard_under_pp=True, buffers="deepspeed", sp_gathered=False,
                           zero_stages=(0, 1, 2, 3), pp_zero=1, interleaved=False, zero2="deepspeed"),
    "nanochat": Framework("nanochat", selective="attention-core", loss="fp32-upcast", fp32_grads=False,
                          pp_split="even", reshard_under_pp=True, buffers="fsdp", sp_gathered=False,
                          zero_stages=(0, 1), degrees=(), recompute=("none",), fused_kernels=True),
    "llm-foundry": Framework("llm-foundry", selective="attention-core", loss="fused", fp32_grads=False,
                             pp_split="even", reshard_under_pp=True, buffers="fsdp", sp_gathered=True,
                             zero_stages=(0, 2, 3), degrees=("tp",), recompute=("none", "full"),
                             fused_kernels=True),
}
FRAMEWORKS = tuple(FRAMEWORK_TABLE)


def framework(name: str) -> Framework:
    """The behaviours of a framework by name.

    Args:
        name: one of :data:`FRAMEWORKS`.

    Returns:
        The :class:`Framework`.

    Raises:
        InputError: (field ``framework``) an unknown name.

    Examples:
        >>> framework("torchtitan").selective
        'op-sac'
    """
    try:
        return FRAMEWORK_TABLE[name]
    except (KeyError, TypeError):
        raise InputError("framework", f"one of {', '.join(FRAMEWORKS)}", name) from None
