"""The memory model's few fitted constants, each with its meaning, and the loss implementations' bytes per logit.

Everything else in the model is derived from the architecture and the layout. The two fitted constants
(:data:`BACKWARD_LAYERS`, :data:`ALLOCATOR_SHARE`) come from two of torchtitan's published Llama 3.1 8B runs
(one per recompute mode, ``tests/fixtures/measured_runs.json``); the other eight (compile, float8, context
parallel 2-8, 128 GPUs) are held out and reproduced within 4.3%. ``tests/test_memory_measured.py`` refits the
constants and checks every run; ``docs/memory.md`` shows the residuals part by part. For llm-foundry, whose
memory was never measured, the working set is the bound its 216 published runs set
(:data:`BACKWARD_LAYERS_BY_FRAMEWORK`).
"""

from __future__ import annotations

#: Bytes per logit the loss holds at its peak, by implementation (see :data:`planner.training.parallelism.LOSSES`):
#:
#: * ``fp32-upcast`` — ``cross_entropy(logits.float())``: the fp32 log-softmax output it saves (4), and in the
#:   backward the incoming fp32 gradient (4) and the gradient of the fp32 copy (4) before it is cast back: 12;
#: * ``fp32-inplace`` — Megatron's vocab-parallel cross-entropy keeps one fp32 copy and computes the gradient
#:   in it (4), then casts it to 16 bits (2): 6;
#: * ``fused`` — flash-attn's fused cross-entropy kernel (llm-foundry's default) saves the 16-bit logits (2) and
#:   writes their 16-bit gradient (2): 4;
#: * ``chunked`` — fused linear + cross-entropy kernels never hold the logits (0).
LOSS_BYTES = {"fp32-upcast": 12.0, "fp32-inplace": 6.0, "fused": 4.0, "chunked": 0.0}
#: ``fp32-upcast`` under ``torch.compile``: the cast is fused into the log-softmax, so one fp32 gradient is
#: never materialised beside the other (10 = 4 saved + 4 incoming + 2 cast).
COMPILED_LOSS_BYTES = 10.0
#: The backward's working set, in layers' worth of full (not recomputed) activations: while one layer is
#: differentiated, the gradients of its activations, its rematerialised tensors' gradients and the
#: transients of its kernels are alive at once. Fitted: 2.63 layers (on a grid of 0.01).
BACKWARD_LAYERS = 2.63
#: The backward working set of the stacks whose memory was never measured but whose published runs bound it.
#: llm-foundry's benchmark tables list 216 MPT runs, each at the micro-batch MosaicML tuned for it, and every
#: one of them ran: at torchtitan's 2.63 layers the estimate put seven of them over their GPU's memory (13B
#: with checkpointing on 40 GB A100s by up to 11%). The value is the largest, on the same grid of 0.01, at
#: which every one of those runs fits by the central estimate (``tests/test_llm_foundry_memory.py`` recomputes
#: it; binding: 13B, 2,048 tokens × micro-batch 16 with checkpointing, FSDP over 64 A100 40 GB). A bound,
#: not a fit: the true value may be lower. Stacks not listed use :data:`BACKWARD_LAYERS`.
BACKWARD_LAYERS_BY_FRAMEWORK = {"llm-foundry": 1.72}
#: PyTorch's caching allocator reserves more than the tensors take (block rounding, fragmentation between
#: differently sized blocks): reserved = allocated × (1 + ALLOCATOR_SHARE). Fitted: 1.2% (torchtitan runs
#: with ``expandable_segments``, which keeps fragmentation low).
ALLOCATOR_SHARE = 0.012
#: The relative uncertainty of the estimate. The held-out measured runs are within 4.3% (all over); the 70B
#: run of the same benchmark (FSDP 32 × TP 8) is 8% over; they are one model family and one stack, so the
#: band is the largest held-out error doubled and rounded up: ±10%. "Fits" requires total × (1 + BAND) to fit.
BAND = 0.10
