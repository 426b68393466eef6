"""Memory per GPU: will a model train on an accelerator with a given layout?

Bytes per GPU split into five parts, each derived from a published formula:

* **model states** (weights, gradients, optimizer) — per parameter held by a GPU, mixed-precision
  AdamW keeps 2 bytes of 16-bit weights, 2 of gradients and K = 12 of optimizer state (fp32 master
  copy, m, v), 16Ψ in all (ZeRO, Rajbhandari et al. 2020, Fig. 1). ZeRO shards them over the N_d
  data-parallel ranks: stage 1 the optimizer (4Ψ + KΨ/N_d), stage 2 also the gradients
  (2Ψ + (2+K)Ψ/N_d), stage 3 also the weights ((4+K)Ψ/N_d); FSDP's FULL_SHARD is stage 3 and
  SHARD_GRAD_OP stage 2. Megatron's fp32 gradients make it 18Ψ (6Ψ + 12Ψ/N_d with its distributed
  optimizer, i.e. ZeRO-1). Tensor parallelism (t) splits the layers' matrices and the vocabulary,
  pipeline parallelism (p) the layers; norms and routers are replicated over TP ranks. Expert
  parallelism (e) splits the experts, whose states are then sharded over the N_d/e ranks that
  hold the same experts.
* **activations** — per layer and micro-batch, Korthikanti et al. 2022 (arXiv:2205.05198, Table 2;
  s sequence, b micro-batch, h hidden, a heads, 2-byte values, dropout masks of one byte):
  sbh(34 + 5as/h) without parallelism, sbh(10 + 24/t + 5as/(ht)) with TP, sbh(34/t + 5as/(ht))
  with TP and sequence parallelism; selective recompute or flash attention drops the 5as/h
  scores term; full recompute keeps the layer input (2sbh, 2sbh/t with sequence parallelism) plus one layer
  being recomputed. The
  34 is derived term by term (:func:`layer_activations`) so it follows the real architecture:
  GQA's narrower K and V, a gated MLP's three f-wide tensors, MoE's top-k expert copies, shared
  experts, latent attention's compressed K/V. The first pipeline stage holds p micro-batches in
  flight (1F1B); the last holds the loss: fp32 logits, 4sbv/t.
* **overhead** — an allowance for the CUDA context, communication buffers and allocator
  fragmentation (:data:`~planner.training.parallelism.DEFAULT_OVERHEAD`, 2 GiB; change it with
  ``Parallelism(overhead=...)``).

The binding GPU is the pipeline stage with the larger total (first: embedding and p micro-batches
in flight; last: LM head and loss). All arithmetic is vectorised: :func:`memory_sweep` evaluates a
grid of layouts in one call.

The package, one job per module:

* :mod:`~planner.training.memory.formulas` — the papers' formulas (:func:`model_states`, :func:`layer_activations`);
* :mod:`~planner.training.memory.partition` — the model's parameters split into stage parts, bytes per GPU per stage;
* :mod:`~planner.training.memory.result` — :class:`MemoryEstimate`, :class:`Fix` and the one fit rule
  (:func:`fit_state`);
* :mod:`~planner.training.memory.fix` — the search for the smallest layout change that fits;
* :mod:`~planner.training.memory.estimate` — :func:`memory_estimate`, one model and layout on an accelerator;
* :mod:`~planner.training.memory.sweep` — :func:`memory_sweep`, a grid of layouts in one call.

The memory table as text is rendered by :mod:`planner.surfaces.memory_text`.
"""

from __future__ import annotations

from .estimate import accelerator_memory, memory_estimate
from .formulas import layer_activations, model_states
from .result import COMPONENTS, DOMINANT_WORDS, Fix, MemoryEstimate, fit_state
from .sweep import SWEEP_AXES, memory_sweep

__all__ = ["COMPONENTS", "DOMINANT_WORDS", "SWEEP_AXES", "Fix", "MemoryEstimate", "accelerator_memory", "fit_state",
           "layer_activations", "memory_estimate", "memory_sweep", "model_states"]
