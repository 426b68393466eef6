"""The throughput model's constants: three fitted, two estimated, each with its meaning.

Fitted (least squares of the log error, on a grid) on six of the measured runs in
``tests/fixtures/measured_runs.json`` — torchtitan's Llama 3.1 8B eager and compiled on 8 GPUs and at 128K with
CP 4, Korthikanti's GPT-3 175B, llm-foundry's MPT-7B at 8K and MPT-70B — and checked on the other fourteen
(``tests/test_throughput.py``; residuals in ``docs/layout.md``).
"""

from __future__ import annotations

#: The fraction of the dense peak large matmuls reach (cuBLAS on H100 and A100 sustains 0.6-0.8 of the datasheet
#: peak at large shapes). Fitted: 0.83.
MATMUL_EFFICIENCY = 0.83
#: The fraction of the dense peak the attention kernels reach on the FLOPs they execute (the unmasked half under
#: flash attention): the attention kernels' backward, the softmax and the ring exchanges of context parallelism
#: keep it far below the matmuls'. Fitted: 0.16.
ATTENTION_EFFICIENCY = 0.16
#: The fraction of the compute time behind which data-parallel and FSDP communication can hide (bucketed
#: all-reduce or per-layer prefetch overlap the backward). Estimated, not fitted: no calibration run is bound by it.
OVERLAP = 0.8
#: Bytes read and written per token, layer and unit of width by the elementwise work of an eager transformer
#: layer (norms upcast to fp32, activation functions, residual adds, rotary embedding), forward and backward,
#: at the HBM bandwidth; ``torch.compile`` fuses half of it away. Fitted: 880 (an fp32 RMSNorm alone reads and
#: writes about 36 bytes per unit of width forward).
ELEMENTWISE_BYTES = 880.0
#: How much faster float8 matmuls run than bf16 ones end to end (the tensor cores' rate doubles; scaling and
#: casting take part of it back). Estimated, not fitted.
FP8_SPEEDUP = 1.5
#: The matmul dimension at which a GEMM runs at half its large-shape rate (tiles left idle, launch and wave
#: quantisation): a micro-batch of few tokens, or a width split over many TP ranks, runs slower. Estimated.
GEMM_HALF = 128.0
