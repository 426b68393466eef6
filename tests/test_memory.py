"""Memory per GPU against the papers' numbers and hand derivations written out here.

Sources: ZeRO (Rajbhandari et al. 2020, arXiv:1910.02054) Fig. 1; Korthikanti et al. 2022
(arXiv:2205.05198) Table 2 and §4; Megatron-LM's fp32 gradients and distributed optimizer.
"""

import numpy as np
import pytest

import planner
from planner import InputError, PlanFileError
from planner.training.memory import layer_activations, memory_estimate, memory_sweep, model_states
from planner.training.memory.calibration import ALLOCATOR_SHARE, BACKWARD_LAYERS, BAND
from planner.training.parallelism import DEFAULT_OVERHEAD, Parallelism, parallelism_from_dict

GiB = 2**30
GB = 1e9

# GPT-3 175B as Korthikanti et al. describe it: 96 layers, h 12288, 96 heads, GeLU MLP of 4h, dropout.
GPT3 = planner.Architecture(num_layers=96, hidden_size=12288, num_heads=96, vocab_size=51200, gated_mlp=False,
                            norm="layer", max_positions=2048, tied_embeddings=True)


# ---- model states: ZeRO Fig. 1 ----------------------------------------------------------------------

@pytest.mark.parametrize("zero, expected_gb", [(0, 120), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_figure_1(zero, expected_gb):
    # Ψ = 7.5B, N_d = 64, K = 12: 16Ψ; 4Ψ + KΨ/N_d; 2Ψ + (2+K)Ψ/N_d; (4+K)Ψ/N_d  (GB = 1e9 bytes)
    e = memory_estimate(7.5e9, Parallelism(dp=64, zero=zero, overhead=0))
    assert round(e.model_states / GB, 1) == pytest.approx(expected_gb)
    assert e.activations is None and e.activations_per_layer is None  # a bare count: no activations
    w, g, o = model_states(7.5e9, 64, zero)
    assert round((w + g + o) / GB, 1) == pytest.approx(expected_gb)


def test_model_states_vectorised_over_stages():
    w, g, o = model_states(7.5e9, 64, np.array([0, 1, 2, 3]))
    assert np.allclose((w + g + o) / GB, [120, 31.40625, 16.640625, 1.875])


def test_megatron_fp32_grads_and_distributed_optimizer():
    # Megatron keeps fp32 gradients: 2 + 4 + 12 = 18 bytes/param; with its distributed optimizer 6 + 12/N_d.
    p = Parallelism(dp=8, fp32_grads=True, overhead=0)
    assert memory_estimate(10**9, p).model_states == 18e9
    assert memory_estimate(10**9, p.with_(zero=1)).model_states == 6e9 + 12e9 / 8


@pytest.mark.parametrize("kw, per_param", [
    (dict(precision="fp32"), 4 + 4 + 8),            # fp32 weights, fp32 grads, Adam m and v; no master copy
    (dict(optimizer="adamw-8bit"), 2 + 2 + 2 + 4),  # 1-byte m and v, fp32 master
    (dict(optimizer="sgd"), 2 + 2 + 4 + 4),         # one fp32 momentum, fp32 master
    (dict(master_weights=False), 2 + 2 + 8),
])
def test_bytes_per_parameter(kw, per_param):
    assert memory_estimate(10**9, Parallelism(overhead=0, **kw)).model_states == per_param * 1e9


def test_fsdp_full_is_zero3_and_grad_op_is_zero2():
    base = Parallelism(dp=8, overhead=0)
    assert memory_estimate(10**9, base.with_(fsdp="full")).total == memory_estimate(10**9, base.with_(zero=3)).total
    assert memory_estimate(10**9, base.with_(fsdp="grad-op")).model_states == 2e9 + 14e9 / 8


# ---- activations: Korthikanti et al. 2022, Table 2 ---------------------------------------------------

@pytest.mark.parametrize("sp, recompute, gib", [
    (False, "none", 0.539), (True, "none", 0.334), (False, "selective", 0.305), (True, "selective", 0.0996),
    (False, "full", 0.047),
])
def test_korthikanti_table_2_gpt3_per_layer(sp, recompute, gib):
    # s 2048, h 12288, a 96, t 8, b 1; sbh(10 + 24/t + 5as/(ht)) and its variants, in GiB per layer (Megatron's)
    p = Parallelism(micro_batch=1, seq_len=2048, tp=8, sp=sp, recompute=recompute, dropout=True, framework="megatron")
    e = memory_estimate(GPT3, p)
    assert e.activations_per_layer / GiB == pytest.approx(gib, rel=3e-3)
    assert layer_activations(1, 2048, 12288, 96, tp=8, sp=sp, recompute=recompute) / GiB == pytest.approx(gib, rel=3e-3)


def test_korthikanti_34_plus_5as_over_h_without_parallelism():
    s, b, h, a = 2048, 1, 12288, 96
    assert layer_activations(b, s, h, a) == s * b * h * (34 + 5 * a * s / h)


def test_flash_attention_drops_the_scores_and_keeps_the_log_sum_exp():
    s, b, h, a = 2048, 1, 12288, 96
    # 34sbh, plus the fp32 log-sum-exp of every head and query: 4·a·s·b bytes
    assert layer_activations(b, s, h, a, flash_attention=True) == 34 * s * b * h + 4 * a * s * b


def test_llama_layer_with_gqa_and_gated_mlp_by_hand():
    # Llama-3-8B, s 8192, b 1, flash attention, no dropout: h 4096, 32 heads of 128, 8 kv heads, f 14336.
    a = planner.architecture("llama-3-8b")
    T = 8192
    replicated = 2 * T * 4096 * 4                        # two norm inputs, QKV input, MLP input (bf16)
    attention = 2 * T * (4096 + 1024) + 2 * T * 1024 + 2 * T * 4096   # Q and K, V, output-projection input
    mlp = 2 * T * 3 * 14336                              # gate and up outputs, down-projection input
    lse = 4 * 32 * T
    e = memory_estimate(a, Parallelism(micro_batch=1, seq_len=8192, flash_attention=True))
    assert e.activations_per_layer == replicated + attention + mlp + lse


def test_full_recompute_keeps_layer_inputs_plus_one_layer_and_the_loss():
    a = planner.architecture("llama-3-8b")
    T, h, V, L = 4096, 4096, 128256, 32
    full = memory_estimate(a, Parallelism(seq_len=4096, recompute="full", flash_attention=True))
    one_layer = memory_estimate(a, Parallelism(seq_len=4096, flash_attention=True)).activations_per_layer
    loss = 2 * 2 * T * h + 12 * T * V                    # final-norm input, head input, fp32-upcast logits
    kept = 2 * T * h
    backward = (one_layer - kept) + BACKWARD_LAYERS * one_layer   # the layer rematerialised + the fitted working set
    assert full.activations_per_layer == kept
    assert full.activations == pytest.approx(L * kept + backward + loss, rel=1e-12)


def test_full_recompute_with_sequence_parallelism_keeps_the_layer_input_split_over_tp():
    # Korthikanti et al. 2022 §4-5: full recompute stores only each layer's input, 2sbh bytes; with sequence
    # parallelism every TP rank holds s/t of the sequence, so 2sbh/t. GPT-3: s 2048, b 1, h 12288, t 8.
    s, b, h, t = 2048, 1, 12288, 8
    kept = 2 * s * b * h / t                                  # 6,291,456 bytes, not 2sbh = 50,331,648
    assert layer_activations(b, s, h, 96, tp=t, sp=True, recompute="full") == kept == 6_291_456
    assert layer_activations(b, s, h, 96, tp=t, sp=False, recompute="full") == 2 * s * b * h
    p = Parallelism(micro_batch=b, seq_len=s, tp=t, sp=True, recompute="full", dropout=True)
    assert memory_estimate(GPT3, p).activations_per_layer == kept


def test_full_recompute_with_sequence_parallelism_on_a_whole_model():
    a = planner.architecture("llama-3-8b")
    T, h, V, L, t = 4096, 4096, 128256, 32, 2
    layout = Parallelism(seq_len=T, tp=t, sp=True, flash_attention=True)
    full = memory_estimate(a, layout.with_(recompute="full"))
    one_layer = memory_estimate(a, layout).activations_per_layer  # rematerialised in the backward pass
    loss = (2 * 2 * T * h) / t + 12 * T * V / t   # final-norm and head inputs (split by SP), fp32 logits (by TP)
    kept = 2 * T * h / t
    assert full.activations_per_layer == kept
    backward = (one_layer - kept) + BACKWARD_LAYERS * one_layer
    assert full.activations == pytest.approx(L * kept + backward + loss, rel=1e-12)


def test_first_pipeline_stage_holds_p_micro_batches():
    # 1F1B: the first stage stores p micro-batches of L/p layers, i.e. L layers' worth, whatever p.
    p1 = Parallelism(seq_len=2048, tp=8, sp=True, recompute="selective", dropout=True)
    per_layer = memory_estimate(GPT3, p1).activations_per_layer
    staged = memory_estimate(GPT3, p1.with_(pp=8))
    assert staged.stage == "first"
    embed_mask = 2048 * 12288 / 8                        # dropout mask of the embedding output, split by SP
    full_layer = memory_estimate(GPT3, p1.with_(recompute="none")).activations_per_layer
    assert staged.activations == pytest.approx(96 * per_layer + 8 * embed_mask + BACKWARD_LAYERS * full_layer,
                                               rel=1e-12)


def test_tensor_parallel_splits_weights_but_replicates_norms():
    a = planner.architecture("llama-3-8b")
    pc = planner.count_params(a)
    one = memory_estimate(a, Parallelism(overhead=0))
    two = memory_estimate(a, Parallelism(tp=2, overhead=0))
    norms = 2 * (32 * 2 * 4096 + 4096)                   # RMSNorm weights stay whole on each TP rank (bf16)
    assert one.weights == 2 * pc.total
    assert two.weights == (2 * pc.total - norms) / 2 + norms


def test_moe_expert_parallel_divides_the_experts():
    a = planner.architecture("mixtral-8x7b-v0.1")
    pc = planner.count_params(a)
    experts = 32 * 8 * 3 * 4096 * 14336                 # layers × experts × gated MLP
    dense = pc.total - experts
    e = memory_estimate(a, Parallelism(dp=8, ep=8, overhead=0))
    assert e.weights == 2 * (dense + experts / 8)
    # ZeRO-1 shards the dense optimizer over 8 ranks, the experts' over the 8/8 = 1 rank holding each
    z = memory_estimate(a, Parallelism(dp=8, ep=8, zero=1, overhead=0))
    assert z.optimizer == 12 * dense / 8 + 12 * experts / 8


def test_transformer_engines_float8_linears_keep_their_inputs_in_float8():
    # Llama 3 70B's layer (h 8,192, GQA 8 × 128, SwiGLU 28,672) at 8,192 tokens on TP 4 with SP, as Megatron keeps
    # it: under --fp8-format the QKV and MLP inputs (h each) and the down projection's input (f) are kept at 1 byte
    # instead of 2, and the output projection keeps a float8 copy of the attention output (q): 2h + f - q bytes a
    # token fewer, over TP 4
    kw = dict(kv_width=1024, ffn=28672, gated_mlp=True, tp=4, sp=True, flash_attention=True, dropout=False)
    bf16 = layer_activations(1, 8192, 8192, 64, **kw)
    fp8 = layer_activations(1, 8192, 8192, 64, fp8_inputs=True, **kw)
    assert bf16 - fp8 == 8192 * (2 * 8192 + 28672 - 8192) / 4
    # Megatron's estimate takes it; torchtitan's torchao float8 linears keep 16-bit inputs, so its estimate does not
    a = planner.architecture("llama-3-8b")
    for fw, less in (("megatron", True), ("torchtitan", False)):
        lay = Parallelism(micro_batch=1, seq_len=8192, tp=2, sp=True, dp=4, zero=1 if fw == "megatron" else 0,
                          fsdp=None if fw == "megatron" else "full", framework=fw, flash_attention=True)
        plain, f8 = (memory_estimate(a, lay.with_(fp8=x)).activations for x in (False, True))
        assert (f8 < plain) is less


def test_moe_parallel_folding_splits_the_experts_over_etp_times_ep():
    # TP 2 × DP 4 = 8 ranks a layer spans; experts whole on each rank (ETP 1) over EP 8 (Megatron's MoE parallel
    # folding: EP reaches into the TP ranks, which "EP divides DP × CP" alone refuses). Each GPU holds 1 of the 8
    # experts whole, E/8, and its optimizer state over expert-DP = 2 × 4 / (1 × 8) = 1 rank
    a = planner.architecture("mixtral-8x7b-v0.1")
    pc = planner.count_params(a)
    experts = 32 * 8 * 3 * 4096 * 14336
    dense = pc.total - experts
    whole = 32 * 2 * 4096 + 4096 + 32 * 8 * 4096         # norms (two a layer, the final one) and routers: not split
    folded = memory_estimate(a, Parallelism(tp=2, sp=True, dp=4, ep=8, etp=1, zero=1, overhead=0))
    on_gpu = (dense - whole) / 2 + whole
    assert folded.weights == pytest.approx(2 * (on_gpu + experts / 8))
    assert folded.optimizer == pytest.approx(12 * on_gpu / 4 + 12 * experts / 8)
    with pytest.raises(InputError) as e:                  # the experts split over TP 2 as well: 16 ranks needed
        Parallelism(tp=2, dp=4, ep=8)
    assert e.value.field == "ep" and "dp × cp" in str(e.value)


def test_moe_activations_count_top_k_experts():
    a = planner.architecture("mixtral-8x7b-v0.1")
    T = 4096
    e = memory_estimate(a, Parallelism(seq_len=4096, flash_attention=True)).activations_per_layer
    # norms/QKV/MLP inputs, fp32 router logits, 2 token copies
    replicated = 2 * T * 4096 * 4 + 4 * T * 8 + 2 * T * 4096 * 2
    attention = 2 * T * (4096 + 1024) + 2 * T * 1024 + 2 * T * 4096
    experts = 2 * T * 3 * 14336 * 2                                 # top-2 experts' gated MLPs
    assert e == replicated + attention + experts + 4 * 32 * T


# ---- the fit verdict ---------------------------------------------------------------------------------

def test_origin_case_fits_one_a100_80gb_with_margin():
    # qwen2.5-0.5b, micro-batch 4, seq 2048, bf16 mixed AdamW, no recompute, no flash attention.
    a = planner.architecture("qwen2.5-0.5b")
    e = memory_estimate(a, Parallelism(micro_batch=4, seq_len=2048), "a100-80gb")
    T = 4 * 2048
    states = 16 * 494_032_768
    per_layer = (8 * T * 896                               # two norm inputs, QKV and MLP inputs
                 + 2 * T * (2 * 896 + 2 * 128)             # Q, K (2 kv heads of 64), V, output-projection input
                 + 2 * T * 3 * 4864                        # gated MLP
                 + 2 * 14 * 2048 * 2048 * 4)               # softmax output, 14 heads
    loss = 4 * T * 896 + 12 * T * 151936                   # final norm and head inputs; fp32-upcast logits
    backward = BACKWARD_LAYERS * per_layer                 # the fitted working set of the backward pass
    total = (states + 24 * per_layer + loss + backward) * (1 + ALLOCATOR_SHARE) + GiB   # one GPU: no buffers
    assert e.activations_per_layer == per_layer == 801_112_064
    assert e.total == pytest.approx(total, rel=1e-12)
    assert e.fits is True and e.capacity == 80 * GiB
    assert e.headroom == pytest.approx(80 * GiB - total * (1 + BAND)) and round(e.headroom / GiB, 1) == 33.1
    assert e.dominant == "activations" and e.fix is None


def test_llama_3_8b_on_one_h100_does_not_fit_and_names_the_fix():
    a = planner.architecture("llama-3-8b")
    e = memory_estimate(a, Parallelism(micro_batch=1, seq_len=8192, zero=0), "h100-sxm")
    # model states alone: 16 bytes × 8,030,261,248 = 128.5 GB > 80 GiB, so no recompute or ZeRO stage on one GPU helps
    assert e.model_states == 16 * 8_030_261_248 > 80 * GiB
    assert e.fits is False and e.max_micro_batch == 0 and e.headroom < 0
    # no sharding to offload from: more GPUs. TP 2 leaves 8 bytes × N = 60 GiB of states beside 12 bytes per logit
    # of the fp32-upcast loss (11.7 GiB at 8K), over 80 GiB with the band; TP 4 halves both again
    assert e.fix is not None and e.fix.changes == {"tp": 4, "recompute": "selective"}
    assert e.fix.estimate.upper <= 80 * GiB and e.fix.layout.num_gpus == 4
    assert e.fix.estimate.model_states == pytest.approx(16 * 8_030_261_248 / 4, rel=0.01)   # norms stay whole
    assert e.fix.description == "--tp 4 --recompute selective"


def test_an_expert_parallel_layout_that_does_not_fit_gets_a_fix_not_an_error():
    # Mixtral 8x7B with its 8 experts over 8 GPUs (EP 8 over DP 8) at 8 sequences of 4,096: over 80 GB. The fix keeps
    # the experts spread over the data-parallel ranks it has; it had refused the layout itself ("ep: must divide
    # dp × cp (1)") while it tried deeper pipelines
    a = planner.architecture("mixtral-8x7b-v0.1")
    e = memory_estimate(a, Parallelism(micro_batch=8, seq_len=4096, ep=8, dp=8, gpus=8, zero=1, framework="megatron",
                                       flash_attention=True), "h100-sxm")
    assert e.fits is False and e.fix is not None and e.fix.estimate.upper <= 80 * GiB
    assert e.fix.layout.shard_degree % e.fix.layout.ep == 0


def test_max_micro_batch_is_the_largest_that_fits():
    a = planner.architecture("qwen2.5-0.5b")
    p = Parallelism(micro_batch=4, seq_len=2048)
    b = memory_estimate(a, p, "a100-80gb").max_micro_batch
    assert memory_estimate(a, p.with_(micro_batch=b), "a100-80gb").fits is True
    assert memory_estimate(a, p.with_(micro_batch=b + 1), "a100-80gb").fits is False


def test_params_only_fit_is_unknown_unless_the_states_alone_overflow():
    assert memory_estimate(10**9, Parallelism(), "h100-sxm").fits is None  # 16 GB of states fit; activations unknown
    assert memory_estimate(10**10, Parallelism(), "h100-sxm").fits is False    # 160 GB of states do not
    assert memory_estimate(10**9, Parallelism(), "h100-sxm").max_micro_batch is None


def test_capacity_in_bytes_and_overhead_allowance():
    e = memory_estimate(10**9, Parallelism(overhead=0), 20e9)
    assert e.total == pytest.approx(16e9 * (1 + ALLOCATOR_SHARE)) and e.overhead == 0
    assert e.headroom == pytest.approx(20e9 - 16e9 * (1 + ALLOCATOR_SHARE) * (1 + BAND))
    assert Parallelism().overhead == DEFAULT_OVERHEAD == GiB


def test_to_dict_keys_are_bytes_per_gpu():
    d = memory_estimate(planner.architecture("qwen2.5-0.5b"), Parallelism(micro_batch=4), "a100-80gb").to_dict()
    for k in ("weights", "gradients", "optimizer", "activations", "activations_per_layer", "overhead", "total",
              "capacity", "max_micro_batch"):
        assert isinstance(d[k], int)
    assert d["fits"] is True


# ---- sweeps ------------------------------------------------------------------------------------------

def test_sweep_is_one_call_and_equals_single_estimates():
    a = planner.architecture("llama-3-8b")
    base = Parallelism(seq_len=4096, flash_attention=True)
    df = memory_sweep(a, base, micro_batch=[1, 2, 4], tp=[1, 2, 4, 8], recompute=["none", "selective", "full"],
                      accelerator="h100-sxm")
    assert len(df) == 3 * 4 * 3
    for row in df.sample(8, random_state=0).itertuples():
        one = memory_estimate(a, base.with_(micro_batch=row.micro_batch, tp=row.tp, recompute=row.recompute))
        assert row.total == pytest.approx(one.total) and row.activations == pytest.approx(one.activations)
    assert set(df.columns) >= {"weights", "gradients", "optimizer", "activations", "overhead", "total", "fits"}


def test_sweep_validates_each_value():
    a = planner.architecture("llama-3-8b")
    with pytest.raises(InputError) as e:
        memory_sweep(a, tp=[1, 3])
    assert e.value.field == "tp"
    with pytest.raises(InputError) as e:
        memory_sweep(a, micro_batch=[1, 2.5])
    assert e.value.field == "micro_batch"


# ---- validation --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw, field", [
    (dict(micro_batch=1.5), "micro_batch"), (dict(micro_batch=0), "micro_batch"), (dict(seq_len=-1), "seq_len"),
    (dict(tp=0), "tp"), (dict(zero=4), "zero"), (dict(zero=True), "zero"), (dict(recompute="some"), "recompute"),
    (dict(precision="fp8"), "precision"), (dict(optimizer="lion"), "optimizer"), (dict(fsdp="hybrid"), "fsdp"),
    (dict(fsdp="full", zero=1), "fsdp"), (dict(dp=2, tp=2, gpus=8), "gpus"), (dict(tp=3, gpus=8), "gpus"),
    (dict(dp=4, ep=3), "ep"), (dict(overhead=-1), "overhead"), (dict(sp="yes"), "sp"),
    (dict(dp=64, ep=2, etp=3), "etp"), (dict(tp=2, dp=4, ep=16, etp=1), "ep"),      # 3 ranks do not tile 64; 16 > 8
])
def test_bad_layouts_name_the_field(kw, field):
    with pytest.raises(InputError) as e:
        Parallelism(**kw)
    assert e.value.field == field


@pytest.mark.parametrize("kw, field", [(dict(tp=5), "tp"), (dict(pp=20), "pp"), (dict(dp=2, ep=2), "ep")])
def test_layouts_that_do_not_suit_the_model(kw, field):
    with pytest.raises(InputError) as e:
        memory_estimate(planner.architecture("llama-3-8b"), Parallelism(**kw))  # 32 heads, 32 layers, dense
    assert e.value.field == field


def test_gpus_derive_the_data_parallel_degree():
    p = Parallelism(tp=2, pp=2, gpus=16)
    assert p.data_parallel == 4 and p.num_gpus == 16
    assert p.with_(tp=4) == Parallelism(tp=4, pp=2, gpus=16)


def test_parallelism_from_plan_table():
    p = parallelism_from_dict({"tp": 2, "recompute": "full", "zero": 1}, micro_batch=2, seq_len=4096, gpus=8)
    assert (p.tp, p.recompute, p.zero_stage, p.data_parallel, p.micro_batch) == (2, "full", 1, 4, 2)
    for table, field in [({"tp": "two"}, "plan.parallelism.tp"), ({"tensor": 2}, "plan.parallelism.tensor"),
                         ({"recompute": 1}, "plan.parallelism.recompute"), ({"tp": 3}, "plan.hardware.count")]:
        with pytest.raises(PlanFileError) as e:
            parallelism_from_dict(table, gpus=8)
        assert e.value.field == field


# ---- the command line --------------------------------------------------------------------------------

def _run(capsys, *args):
    from planner.cli import main
    code = main(["memory", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_origin_case_json(capsys):
    code, out, _ = _run(capsys, "--model", "qwen2.5-0.5b", "--micro-batch", "4", "--seq-len", "2048",
                        "--accelerator", "a100-80gb", "--json")
    d = __import__("json").loads(out)
    assert code == 0
    assert d["weights"] == 2 * 494_032_768 and d["optimizer"] == 12 * 494_032_768
    assert d["activations_per_layer"] == 801_112_064 and d["capacity"] == 80 * GiB
    assert d["fits"] is True and d["max_micro_batch"] >= 4
    parts = ("weights", "gradients", "optimizer", "activations", "buffers", "allocator", "overhead")
    assert abs(d["total"] - sum(d[k] for k in parts)) <= 4     # each part rounded to a byte
    assert d["allocator"] == pytest.approx(ALLOCATOR_SHARE * (d["total"] - d["overhead"] - d["allocator"]), abs=4)


def test_cli_require_fit_exits_1_and_names_the_fix(capsys):
    code, out, err = _run(capsys, "--model", "llama-3-8b", "--micro-batch", "1", "--seq-len", "8192", "--zero", "0",
                          "--accelerator", "h100-sxm", "--require-fit")
    assert code == 1 and "Smallest fix   TP 4, selective recompute on 4 GPUs" in out
    assert "does not fit" in err
    code, _, _ = _run(capsys, "--model", "llama-3-8b", "--micro-batch", "1", "--seq-len", "8192",
                      "--accelerator", "h100-sxm")
    assert code == 0  # without --require-fit, not fitting is reported, not an error


def test_cli_params_only_has_null_activations(capsys):
    code, out, _ = _run(capsys, "--params", "7B", "--micro-batch", "1", "--seq-len", "2048", "--json")
    d = __import__("json").loads(out)
    assert code == 0 and d["activations"] is None and d["activations_per_layer"] is None
    assert d["weights"] == 14e9 and "capacity" not in d


@pytest.mark.parametrize("args, option", [
    (["--tp", "3"], "--tp"), (["--pp", "40"], "--pp"), (["--micro-batch", "1.5"], "--micro-batch"),
    (["--dp", "2", "--gpus", "8"], "--gpus"), (["--zero", "4"], "--zero"), (["--recompute", "some"], "--recompute"),
    (["--accelerator", "h1000"], "--accelerator"), (["--precision", "fp8"], "--precision"),
])
def test_cli_bad_layouts_exit_2_naming_the_option(capsys, args, option):
    base = {"--micro-batch": "1", "--seq-len": "2048"}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    argv = ["--model", "llama-3-8b"] + [x for kv in base.items() for x in kv]
    code, out, err = _run(capsys, *argv)
    assert code == 2 and err.startswith(f"planner: error: {option}:") and err.count("\n") == 1 and out == ""


def test_formulas_take_scalars_arrays_and_series_alike():
    import pandas as pd
    one = layer_activations(1, 2048, 12288, 96, tp=8)
    assert isinstance(one, float)
    arr = layer_activations(np.array([1, 2]), 2048, 12288, 96, tp=8)
    ser = layer_activations(pd.Series([1, 2]), 2048, 12288, 96, tp=8)
    zero_d = layer_activations(np.array(1), 2048, 12288, 96, tp=np.int64(8))
    assert list(arr) == list(ser) == [one, 2 * one] and zero_d == one
    w, g, o = model_states(pd.Series([7.5e9]), 64, 3)
    assert (w + g + o)[0] == 16 * 7.5e9 / 64


@pytest.mark.parametrize("call, field", [
    (lambda: layer_activations(1.5, 2048, 12288, 96), "micro_batch"),
    (lambda: layer_activations(1, 2048, 12288, 0), "num_heads"),
    (lambda: layer_activations(1, 2048, 12288, 96, recompute="half"), "recompute"),
    (lambda: model_states(-1, 1, 0), "params"),
    (lambda: model_states(1e9, 1, 4), "zero"),
    (lambda: model_states(1e9, np.array([1, np.nan]), 0), "dp"),
])
def test_formulas_refuse_bad_values_naming_the_argument(call, field):
    with pytest.raises(InputError) as e:
        call()
    assert e.value.field == field


@pytest.mark.parametrize("args", [
    ["--params", "7B", "--accelerator", "h100-sxm"],                 # states alone overflow: fits False
    ["--params", "1B", "--accelerator", "h100-sxm"],                 # fit unknown
    ["--model", "mamba-2.8b", "--accelerator", "h100-sxm"],          # activations not modelled
    ["--model", "deepseek-v3", "--accelerator", "h100-sxm"],         # no fix among recompute/ZeRO/TP
    ["--model", "qwen3-30b-a3b", "--tp", "2", "--pp", "2", "--gpus", "8", "--ep", "2", "--accelerator", "b200"],
])
def test_cli_text_for_every_kind_of_verdict(capsys, args):
    code, out, err = _run(capsys, *args, "--micro-batch", "1", "--seq-len", "2048")
    assert code == 0 and out.startswith("Model ") and "Total" in out and err == ""
    code, _, err = _run(capsys, *args, "--micro-batch", "1", "--seq-len", "2048", "--require-fit")
    assert (code == 1) == ("Fits           no" in out)  # as the plan verdict: only a proven misfit exits 1
    assert ("cannot be confirmed" in err) == ("Fits           unknown" in out)


@pytest.mark.parametrize("args", [
    ["--accelerator", "h200"],                                  # 16 B × 7e9 + 2 GiB = 114.1 GB of 141 GiB
    ["--accelerator", "h100-sxm", "--zero", "3", "--dp", "8"],  # 16 B × 7e9 / 8 + 2 GiB = 16.1 GB of 80 GiB
])
def test_cli_require_fit_passes_an_unknown_fit(capsys, args):
    # a bare count: the model states fit, the activations are unknown; unknown is not a misfit
    code, out, err = _run(capsys, "--params", "7B", "--micro-batch", "1", "--seq-len", "2048", *args, "--require-fit")
    assert code == 0 and "Fits           unknown" in out and "cannot be confirmed" in err


def test_cli_require_fit_fails_when_the_model_states_alone_overflow(capsys):
    # 16 B × 7e9 = 112e9 bytes of states + 2 GiB > 80 GiB = 85.9e9 bytes, whatever the activations
    code, out, err = _run(capsys, "--params", "7B", "--micro-batch", "1", "--seq-len", "2048",
                          "--accelerator", "h100-sxm", "--require-fit")
    assert code == 1 and "Fits           no" in out and "does not fit" in err


def test_tp_rule_is_written_once():
    from planner.training.parallelism import check_tp, tp_degrees
    assert tp_degrees(32, 8) == [1, 2, 4, 8, 16, 32]      # Llama-3-8B: 16 and 32 replicate the 8 kv heads
    # Qwen2.5-0.5B: 7 divides 14 but neither divides nor is a multiple of 2
    assert tp_degrees(14, 2) == [1, 2, 14]
    assert tp_degrees(32, 8, limit=8) == [1, 2, 4, 8]
    check_tp(14, 2, 14)
    for tp, words in ((4, "attention heads (14)"), (7, "key/value heads (2)")):
        with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")) as e:
            check_tp(14, 2, tp)
        assert e.value.field == "tp"
    with pytest.raises(InputError) as e:
        memory_estimate(planner.architecture("qwen2.5-0.5b"), Parallelism(tp=7))
    assert e.value.field == "tp" and "key/value heads" in str(e.value)


def test_the_table_is_rendered_in_surfaces():
    from planner.surfaces.memory_text import memory_rows
    e = memory_estimate(10**9, Parallelism(overhead=0), 20e9)
    rows = dict(memory_rows(e))
    assert rows["Weights"].strip() == "1.86 GiB" and rows["Fits"].startswith("unknown")   # 2e9 bytes = 1.86 GiB


def test_message_for_the_plan_verdict():
    a = planner.architecture("llama-3-8b")
    bad = memory_estimate(a, Parallelism(seq_len=8192), "h100-sxm")
    assert bad.message.startswith("Memory: does not fit NVIDIA H100 SXM5 80GB: 311.52 GiB ± 10% per GPU against "
                                  "80.00 GiB")
    assert bad.message.endswith("(mostly activations); smallest fix: TP 4, selective recompute on 4 GPUs "
                                "(52.92 GiB per GPU).")
    assert bad.fix.description == "--tp 4 --recompute selective"   # the same change as command-line options
    good = memory_estimate(planner.architecture("qwen2.5-0.5b"), Parallelism(micro_batch=4), "a100-80gb")
    assert good.message == ("Memory: fits NVIDIA A100 SXM 80GB: 42.66 GiB ± 10% per GPU, 33.07 GiB headroom even at "
                            "the upper end; largest micro-batch 7.")


def test_parallelism_from_plan_needs_the_batch_shape():
    with pytest.raises(PlanFileError) as e:
        parallelism_from_dict({"tp": 2}, micro_batch=None, seq_len=2048)
    assert e.value.field == "plan.training.micro_batch"


def test_memory_bar_html_scales_parts_and_marks_capacity():
    from planner.surfaces.memory_bar import memory_bar_html
    e = memory_estimate(10**9, Parallelism(overhead=0), 32e9)     # 16 GB of states on a 32 GB device: half the bar
    html = memory_bar_html(e)
    assert "width:6.250%" in html and "width:37.500%" in html       # weights 2 GB, optimizer 12 GB of 32
    assert "left:100.000%" in html and 'data-fits="unknown"' in html and "activations unknown" in html
    # 16 GB on 8: the bar spans the band's upper end, 16 GB × (1 + allocator share) × (1 + band)
    over_e = memory_estimate(10**9, Parallelism(overhead=0), 8e9)
    over = memory_bar_html(over_e)
    upper = 16e9 * (1 + ALLOCATOR_SHARE) * (1 + BAND)
    assert f"left:{8e9 / upper * 100:.3f}%" in over and 'data-fits="does-not-fit"' in over
    assert "border-left:3px solid #D55E00" in over and "7.45 GiB</span>" in over   # a red, labelled capacity line
