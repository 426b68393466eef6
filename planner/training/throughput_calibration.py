"""The throughput model's constants: three fitted, three estimated, each with its meaning.

Fitted (least squares of the log error, on a grid) on six of the measured runs in
``tests/fixtures/measured_runs.json`` — torchtitan's Llama 3.1 8B eager and compiled on 8 GPUs and at 128K with
CP 4, Korthikanti's GPT-3 175B, llm-foundry's MPT-7B at 8K and MPT-70B — and checked on the other fourteen
(``tests/test_throughput.py``), on torchtitan's 70B and 405B runs (``tests/test_torchtitan_large.py``) and on
llm-foundry's 216 published runs (``tests/test_llm_foundry_held_out.py``); residuals in ``docs/layout.md``.
"""

from __future__ import annotations

#: The fraction of the dense peak large matmuls reach (cuBLAS on H100 and A100 sustains 0.6-0.8 of the datasheet
#: peak at large shapes). Fitted: 0.79.
MATMUL_EFFICIENCY = 0.79
#: The share of FlashAttention-2's benchmarked rate (``attention_tflops`` of ``data/interconnects.csv``: 230 of 312
#: TFLOP/s on A100, 335 of 989.4 on H100, Dao 2023) the attention reaches in training, on the FLOPs it executes (the
#: unmasked half under flash attention): other head dimensions and masks than the benchmark's best, the framework's
#: attention wrappers and context parallelism's ring steps keep it below the kernel's own. Fitted: 0.49.
ATTENTION_EFFICIENCY = 0.49
#: The model's uncertainty on tokens per second, either way: 90% of the 238 held-out runs (the 14 of
#: ``measured_runs.json`` outside the fit, torchtitan's 70B and 405B tables, llm-foundry's 216) come out within it
#: (the 90th percentile of their errors is 17.6%, the median 7.8%). Times to the line then range from
#: t/(1 + BAND) to t/(1 − BAND).
BAND = 0.20
#: The fraction of the compute time behind which data-parallel and FSDP communication can hide (bucketed
#: all-reduce or per-layer prefetch overlap the backward). Estimated, not fitted: no calibration run is bound by it.
OVERLAP = 0.8
#: The share of the tensor-parallel collectives' time that overlapping them with the matmuls hides, by framework:
#: each all-gather and reduce-scatter runs in pieces under the matmul it feeds, but the first and last pieces,
#: the extra kernels and the contention for the SMs remain. Each fitted on one run, the others held out:
#:
#: * ``megatron`` (``--tp-comm-overlap``, Transformer Engine's userbuffers): 0.88, on NVIDIA's 32B run of its
#:   published Megatron-Core table (TP 8 × DP 48 on 384 H100s, no pipeline: 459.6 TFLOP/s per GPU); the table's
#:   other eight runs are held out (``tests/test_megatron_core_held_out.py``);
#: * ``torchtitan`` (async TP under ``torch.compile``): 0.27, on the one pair of runs that differ in it alone, its
#:   Llama 3.1 70B on FSDP 32 × TP 8, 829 tokens/s per GPU plain and 876 with async TP (its Table 4); the 405B
#:   runs, all with async TP, are held out (``tests/test_torchtitan_large.py``).
TP_HIDDEN = {"megatron": 0.88, "torchtitan": 0.27}
#: The time of everything in a layer that is not a matmul or attention — elementwise kernels (norms upcast to fp32,
#: activation functions, residual adds, rotary embedding), their launches and the framework's own work — per token,
#: layer and unit of width, written as bytes at the HBM bandwidth, in eager PyTorch; fused kernels
#: (``torch.compile``, Megatron's and llm-foundry's fused norms and activations) take :data:`FUSED_SHARE` of it.
#: Fitted: 1,180 — about two and a half times the elementwise traffic alone (about 500 bytes), so it stands mostly for
#: launches and overhead.
ELEMENTWISE_BYTES = 1180.0
#: The share of that time left when the kernels are fused (``torch.compile``, Megatron's and llm-foundry's fused
#: norms and activations). Estimated, not fitted.
FUSED_SHARE = 0.5
#: The same share for a stack measured to leave less: nanochat compiles its whole model (no norm weights, a relu²
#: MLP, FlashAttention-3), and its leaderboard's first run (d24 on 8 H100s, 100,000 tokens/s per GPU) came out a
#: third slow at the general share. Fitted on that run alone; its next two (d26, float8, one at twice the batch)
#: are held out (``tests/test_nanochat_held_out.py``). The share also carries the faster attention kernel, which
#: the model does not separate.
FUSED_SHARE_BY_FRAMEWORK = {"nanochat": 0.10}
#: How much faster float8 matmuls run than bf16 ones end to end (the tensor cores' rate doubles; scaling and
#: casting take part of it back). Estimated, not fitted.
FP8_SPEEDUP = 1.5
#: Bytes per parameter of the stage a sharded data-parallel step moves through HBM outside the matmuls, on every
#: GPU and micro-batch, for each gathering of the weights: the gathered bf16 weights written and copied out of the
#: collective's buffer (2 + 2 + 2). Counted, not fitted.
GATHER_PASS_BYTES = 6.0
#: The same for the gradients of a micro-batch that are reduce-scattered: copied into the collective's buffer, cast
#: to the reduce dtype and read by it (2 + 2 + 4 + 2 in bf16 gradients reduced in fp32). Counted, not fitted.
GRADIENT_PASS_BYTES = 10.0
