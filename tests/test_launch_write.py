"""Launch-config writers: what ``write_launch`` writes reads back, with the planner's own readers, to the same plan.

Expected values are published counts (Llama 3 8B: 8,030,261,248 and 70B: 70,553,706,496 parameters, Meta's
model cards; GPT-3 175B as Megatron builds it, by hand in tests/test_launch.py), hand calculations written
out here, or Megatron-LM's and torchtitan's own rules copied with their source; never the writer's output.
"""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import planner
from planner.errors import InputError, PlanFileError
from planner.launch import read_launch_config
from planner.launch.torchtitan import read as torchtitan_read
from planner.launch.write import write_launch
from planner.training.layout_search import search_layouts
from planner.training.parallelism import Parallelism
from planner.verdict.layouts import plan_layouts

FIX = Path(__file__).parent / "fixtures" / "launch"
LLAMA3_8B_N = 8_030_261_248      # Meta's model card
LLAMA3_70B_N = 70_553_706_496    # Meta's model card
GPT3_175B_N = 174_615_846_912    # 96 (12h² + 13h) + 51,200 h + 2,048 h + 2h, h = 12,288 (tests/test_launch.py)
STEPS, GLOBAL, SEQ = 1000, 512, 8192          # 512 sequences of 8,192 tokens: 4,194,304 tokens per step


def llama_plan(count, model="llama-3-8b"):
    arch = planner.architecture(model) if isinstance(model, str) else model
    return planner.Plan(budget=planner.budget(STEPS, tokens_per_step=GLOBAL * SEQ), model=arch, count=count)


def gpt3_plan():
    return read_launch_config(FIX / "megatron_gpt3_175b.sh", "megatron", gpus=1024).plan()


def gpt3_layout(**changes):
    return read_launch_config(FIX / "megatron_gpt3_175b.sh", "megatron", gpus=1024).layout().with_(**changes)


def write_and_read(tmp_path, plan, layout, fmt, **kw):
    text = write_launch(plan, layout, fmt, **kw)
    path = tmp_path / ("written.sh" if fmt == "megatron" else "written.toml")
    path.write_text(text, encoding="utf-8")
    return text, read_launch_config(path, fmt, gpus=plan.count)


def same_plan(plan, back, n):
    """N (published or by hand), D = steps × tokens per step, GPUs."""
    a = planner.assess_plan(back)
    assert a.counts.total == n
    assert (back.budget.steps, back.budget.tokens_per_step, back.count) == (
        plan.budget.steps, plan.budget.tokens_per_step, plan.count)
    assert a.gate.tokens == plan.budget.steps * plan.budget.tokens_per_step


# The layout fields each format states; "every layer of a stage" recomputed may come back as the stage's count.
MEGATRON_FIELDS = ("micro_batch", "seq_len", "tp", "pp", "cp", "data_parallel", "sp", "tp_overlap", "zero_stage",
                   "recompute",
                   "precision", "flash_attention", "framework", "fp8")
TORCHTITAN_FIELDS = ("micro_batch", "seq_len", "tp", "pp", "cp", "data_parallel", "fsdp", "tp_overlap", "zero_stage",
                     "recompute",
                     "precision", "flash_attention", "framework", "compile", "fp8")


def same_layout(arch, want, got, fields):
    for f in fields:
        assert getattr(got, f) == getattr(want, f), f
    stage = arch.num_layers // want.pp
    k_want, k_got = want.recompute_layers, got.recompute_layers
    assert (stage if k_want is None else k_want) == (stage if k_got is None else k_got)
    # the memory model sees the same layout (Megatron's fp32 gradient buffers and dropout stated or defaulted)
    assert planner.memory_estimate(arch, got).total == planner.memory_estimate(arch, want).total


# ---- Megatron-LM ---------------------------------------------------------------------------

MEGATRON_LLAMA = {
    "tp8-sp-zero1-selective": dict(tp=8, sp=True, zero=1, recompute="selective", flash_attention=True),
    "tp2-pp4-cp2-full": dict(tp=2, pp=4, cp=2, micro_batch=2, recompute="full", flash_attention=True),
    "tp4-pp2-full-4-layers": dict(tp=4, pp=2, recompute="full", recompute_layers=4, dropout=False,
                                  flash_attention=True),
    "dp64-fp32-unfused": dict(precision="fp32", flash_attention=False),
    "tp8-pp8-fp16-sp": dict(tp=8, pp=8, sp=True, micro_batch=4, precision="fp16-mixed", flash_attention=True),
    "tp8-sp-overlap": dict(tp=8, sp=True, zero=1, tp_overlap=True, flash_attention=True),
    "tp8-sp-fp8": dict(tp=8, sp=True, zero=1, fp8=True, flash_attention=True),     # --fp8-format hybrid
}


@pytest.mark.parametrize("changes", MEGATRON_LLAMA.values(), ids=MEGATRON_LLAMA.keys())
def test_megatron_llama3_8b_round_trip(tmp_path, changes):
    plan = llama_plan(64)
    layout = Parallelism(seq_len=SEQ, framework="megatron", gpus=64, **changes)
    _, lc = write_and_read(tmp_path, plan, layout, "megatron")
    same_plan(plan, lc.plan(), LLAMA3_8B_N)
    same_layout(plan.model, layout, lc.layout(), MEGATRON_FIELDS)


GPT3 = {
    "as-published": {},
    "bf16-sp-zero1-full-2": dict(precision="bf16-mixed", sp=True, zero=1, recompute="full", recompute_layers=2),
    "pp8-dp16-mb2-unfused": dict(pp=8, dp=16, micro_batch=2, flash_attention=False),
}


@pytest.mark.parametrize("changes", GPT3.values(), ids=GPT3.keys())
def test_megatron_gpt3_175b_round_trip(tmp_path, changes):
    plan, layout = gpt3_plan(), gpt3_layout(**changes)
    _, lc = write_and_read(tmp_path, plan, layout, "megatron")
    same_plan(plan, lc.plan(), GPT3_175B_N)
    same_layout(plan.model, layout, lc.layout(), MEGATRON_FIELDS + ("dropout",))


def megatron_args(text):
    """``--name value`` pairs of the script's arrays (comments dropped)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s+(--[\w-]+)\s*([^#\s]*)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_megatron_script_states_the_model_and_layout_by_hand(tmp_path):
    plan = llama_plan(64)
    text, _ = write_and_read(tmp_path, plan, Parallelism(seq_len=SEQ, tp=8, sp=True, zero=1, framework="megatron",
                                                         recompute="selective", flash_attention=True), "megatron")
    args = megatron_args(text)
    # Llama 3 8B (its config.json): 32 layers, 4096 wide, 32 heads, 8 KV heads, FFN 14336, untied, RMSNorm, no biases
    assert {k: args[k] for k in ("--num-layers", "--hidden-size", "--num-attention-heads", "--ffn-hidden-size",
                                 "--num-query-groups", "--position-embedding-type", "--normalization")} == {
        "--num-layers": "32", "--hidden-size": "4096", "--num-attention-heads": "32", "--ffn-hidden-size": "14336",
        "--num-query-groups": "8", "--position-embedding-type": "rope", "--normalization": "RMSNorm"}
    for flag in ("--swiglu", "--group-query-attention", "--disable-bias-linear",
                 "--untie-embeddings-and-output-weights", "--sequence-parallel", "--use-distributed-optimizer",
                 "--bf16", "--mock-data"):
        assert args[flag] == "", flag
    assert "--kv-channels" not in args   # 4096 / 32 = 128, Megatron's default
    # 64 GPUs = 8 nodes of 8; 512 sequences per step; DP = 64 / TP 8 = 8
    assert "GPUS_PER_NODE=8\nNUM_NODES=8\n" in text
    assert (args["--global-batch-size"], args["--micro-batch-size"], args["--train-iters"]) == ("512", "1", "1000")
    assert (args["--tensor-model-parallel-size"], args["--recompute-granularity"]) == ("8", "selective")
    # 128,256 / TP 8 = 16,032 = 2^5 × 501: the largest divisor up to 128 is 32 (Megatron's 128 would pad to 129,024)
    assert (args["--make-vocab-size-divisible-by"], args["--vocab-size"]) == ("32", "128255")
    assert "--virtual-pipeline-model-parallel-size" not in text   # not a command-line option of Megatron-LM


def megatron_padded_vocab(vocab_size_arg, divisor, tp, *, null_tokenizer_adds_eod):
    """Megatron-LM's ``_vocab_size_with_padding`` (megatron/training/tokenizer/tokenizer.py at fa0dcc48) of a
    NullTokenizer: fa0dcc48's ``_NullTokenizer.vocab_size`` is ``vocab_size + 1`` (the EOD token); d98e8a64's
    ``NullTokenizer`` keeps ``vocab_size`` (EOD is its last id)."""
    size = vocab_size_arg + (1 if null_tokenizer_adds_eod else 0)
    multiple = divisor * tp
    return -(-size // multiple) * multiple


@pytest.mark.parametrize("model, vocab, tp", [("llama-3-8b", 128256, 8), ("llama-3-8b", 128256, 1),
                                              ("gpt2", 50257, 1), ("qwen2.5-0.5b", 151936, 2)])
def test_megatron_builds_the_plans_vocabulary_in_both_versions(tmp_path, model, vocab, tp):
    arch = planner.architecture(model)
    assert arch.vocab_size == vocab
    plan = planner.Plan(budget=planner.budget(10, tokens_per_step=8 * 1024), model=arch, count=tp)
    text = write_launch(plan, Parallelism(seq_len=1024, micro_batch=8, tp=tp, framework="megatron"), "megatron")
    args = megatron_args(text)
    v, d = int(args["--vocab-size"]), int(args["--make-vocab-size-divisible-by"])
    for adds in (True, False):
        assert megatron_padded_vocab(v, d, tp, null_tokenizer_adds_eod=adds) == vocab


#: Every argument the writer uses, checked in Megatron-LM's megatron/training/arguments.py: a
#: ``group.add_argument('--…')`` at fa0dcc48 (2024-12), and at d98e8a64 (2026-08) an add_argument or a field of
#: the config dataclasses it generates options from (TransformerConfig, ModelParallelConfig, TrainingConfig,
#: TokenizerConfig, ...; ``add_bias_linear`` is ``--disable-bias-linear``). The two switches that count the embedding
#: and the loss as pipeline layers are d98e8a64's only (from ef490839e8, 2025-02): ``MEGATRON_2025_OPTIONS``.
MEGATRON_OPTIONS = {
    "--num-layers", "--hidden-size", "--num-attention-heads", "--ffn-hidden-size", "--swiglu",
    "--group-query-attention", "--num-query-groups", "--kv-channels", "--position-embedding-type",
    "--max-position-embeddings", "--normalization", "--qk-layernorm", "--disable-bias-linear", "--add-qkv-bias",
    "--untie-embeddings-and-output-weights", "--attention-dropout", "--hidden-dropout", "--attention-backend",
    "--seq-length", "--micro-batch-size", "--global-batch-size", "--train-iters", "--bf16", "--fp16",
    "--tensor-model-parallel-size", "--pipeline-model-parallel-size", "--context-parallel-size",
    "--num-layers-per-virtual-pipeline-stage", "--sequence-parallel", "--tp-comm-overlap",
    "--decoder-first-pipeline-num-layers", "--decoder-last-pipeline-num-layers",
    "--use-distributed-optimizer",
    "--recompute-granularity", "--recompute-method", "--recompute-num-layers", "--tokenizer-type", "--vocab-size",
    "--make-vocab-size-divisible-by", "--mock-data", "--split", "--fp8-format"}
MEGATRON_2025_OPTIONS = {"--account-for-embedding-in-pipeline-split", "--account-for-loss-in-pipeline-split"}
TORCHRUN_OPTIONS = {"--nproc_per_node", "--nnodes", "--node_rank", "--master_addr", "--master_port"}


@pytest.mark.parametrize("changes", [*MEGATRON_LLAMA.values(), dict(pp=2, vpp=2)])
def test_megatron_arguments_are_megatrons_own(changes):
    layout = Parallelism(seq_len=SEQ, framework="megatron", gpus=64, **changes)
    text = write_launch(llama_plan(64), layout, "megatron")
    assert set(megatron_args(text)) <= MEGATRON_OPTIONS | TORCHRUN_OPTIONS


def test_megatron_virtual_pipeline_round_trip(tmp_path):
    plan = llama_plan(64)
    layout = Parallelism(seq_len=SEQ, tp=4, pp=4, vpp=2, framework="megatron", gpus=64, flash_attention=True)
    text, lc = write_and_read(tmp_path, plan, layout, "megatron")
    assert "--num-layers-per-virtual-pipeline-stage 4" in text   # 32 layers / (PP 4 × 2 virtual stages)
    assert lc.layout().vpp == 2


# Llama 3.1 405B's shape (126 layers, Meta's config.json), with the vocabulary of Llama 3 8B's catalog entry
LLAMA_405B = planner.architecture("llama-3-8b").with_(name="llama-3.1-405b", num_layers=126, hidden_size=16384,
                                                      num_heads=128, num_kv_heads=8, head_dim=128,
                                                      intermediate_size=53248)


@pytest.mark.parametrize("pp, vpp, want", [
    # 126 + embedding + head = 128 units on 16 stages: 7, 8 … 8, 7 layers, as Llama 3's paper ran them
    (16, 1, {"--decoder-first-pipeline-num-layers": "7", "--decoder-last-pipeline-num-layers": "7"}),
    # 126 on 8 stages: 15, 16 … 16, 15
    (8, 1, {"--decoder-first-pipeline-num-layers": "15", "--decoder-last-pipeline-num-layers": "15"}),
    # interleaved: 128 units in 32 virtual stages of 4 (the first and the last of them 3 layers)
    (16, 2, {"--account-for-embedding-in-pipeline-split": "", "--account-for-loss-in-pipeline-split": "",
             "--num-layers-per-virtual-pipeline-stage": "4"}),
    (2, 1, {}),                                                      # 63 and 63: even
])
def test_megatron_uneven_stages_round_trip(tmp_path, pp, vpp, want):
    plan = llama_plan(8 * pp * 2, LLAMA_405B)
    layout = Parallelism(seq_len=SEQ, tp=8, sp=True, pp=pp, vpp=vpp, zero=1, recompute="full",
                         framework="megatron", gpus=plan.count, flash_attention=True)
    text, lc = write_and_read(tmp_path, plan, layout, "megatron")
    args = megatron_args(text)
    assert {k: args[k] for k in want} == want
    assert not {"--decoder-first-pipeline-num-layers", *MEGATRON_2025_OPTIONS} - set(want) & set(args)
    assert set(args) <= MEGATRON_OPTIONS | MEGATRON_2025_OPTIONS | TORCHRUN_OPTIONS
    got = lc.layout()
    assert (got.pp, got.vpp) == (pp, vpp) and not [a for a in lc.assumed if a.key == "parallelism.pp"]
    assert planner.memory_estimate(LLAMA_405B, got).total == planner.memory_estimate(LLAMA_405B, layout).total


def test_megatron_two_uneven_stages_round_trip(tmp_path):
    # 27 layers + embedding + head on 2 stages: 14 and 13 layers, both stated, no middle stage (Megatron accepts
    # first + last = L); the file had been refused on reading back ("0 layers left over 0 other stages")
    arch = planner.architecture("llama-3-8b").with_(num_layers=27)
    plan = llama_plan(16, arch)
    layout = Parallelism(seq_len=SEQ, tp=8, sp=True, pp=2, framework="megatron", gpus=16, flash_attention=True)
    text, lc = write_and_read(tmp_path, plan, layout, "megatron")
    args = megatron_args(text)
    assert (args["--decoder-first-pipeline-num-layers"], args["--decoder-last-pipeline-num-layers"]) == ("14", "13")
    assert lc.layout().pp == 2 and not [a for a in lc.assumed if a.key == "parallelism.pp"]
    assert planner.memory_estimate(arch, lc.layout()).total == planner.memory_estimate(arch, layout).total


#: Megatron-LM's mixture-of-experts options the writer uses (arguments.py at 47ab878ae7, 2024-12, and
#: --moe-shared-expert-gate from bddd0a8ed7, 2026-01)
MEGATRON_MOE_OPTIONS = {"--num-experts", "--moe-router-topk", "--moe-ffn-hidden-size",
                        "--moe-shared-expert-intermediate-size", "--moe-shared-expert-gate", "--moe-layer-freq",
                        "--moe-grouped-gemm", "--moe-token-dispatcher-type", "--expert-model-parallel-size",
                        "--expert-tensor-parallel-size"}
MIXTRAL_N, QWEN15_MOE_N = 46_702_792_704, 14_315_784_192     # transformers' counts (tests/fixtures/hf_counts.json)


@pytest.mark.parametrize("model, n, changes, want", [
    # Mixtral 8x7B: 8 experts as wide as the FFN, top-2, every layer; EP 8 with TP 2 inside each expert
    ("mixtral-8x7b-v0.1", MIXTRAL_N, dict(tp=2, sp=True, ep=8),
     {"--num-experts": "8", "--moe-router-topk": "2", "--moe-ffn-hidden-size": "14336",
      "--expert-model-parallel-size": "8"}),
    # the experts whole on each rank (ETP 1) while attention runs TP 2
    ("mixtral-8x7b-v0.1", MIXTRAL_N, dict(tp=2, sp=True, ep=4, etp=1),
     {"--expert-model-parallel-size": "4", "--expert-tensor-parallel-size": "1"}),
    # Qwen1.5-MoE-A2.7B: 60 experts of 1,408, top-4, one shared expert of 5,632 behind a gate, QKV biases
    ("qwen1.5-moe-a2.7b", QWEN15_MOE_N, dict(ep=4),
     {"--num-experts": "60", "--moe-router-topk": "4", "--moe-ffn-hidden-size": "1408",
      "--moe-shared-expert-intermediate-size": "5632", "--moe-shared-expert-gate": "", "--add-qkv-bias": ""}),
])
def test_megatron_mixture_of_experts_round_trip(tmp_path, model, n, changes, want):
    arch = planner.architecture(model)
    plan = llama_plan(64, arch)
    layout = Parallelism(seq_len=SEQ, framework="megatron", gpus=64, flash_attention=True, zero=1, **changes)
    text, lc = write_and_read(tmp_path, plan, layout, "megatron")
    args = megatron_args(text)
    assert {k: args[k] for k in want} == want
    assert set(args) <= MEGATRON_OPTIONS | MEGATRON_MOE_OPTIONS | TORCHRUN_OPTIONS
    same_plan(plan, lc.plan(), n)
    got = lc.layout()
    assert (got.tp, got.ep, got.etp) == (layout.tp, layout.ep, layout.etp)
    assert planner.memory_estimate(arch, got).total == planner.memory_estimate(arch, layout).total
    assert planner.throughput(arch, got, "h100-sxm").step_seconds == \
        planner.throughput(arch, layout, "h100-sxm").step_seconds


def test_megatron_moe_parallel_folding_round_trip(tmp_path):
    # Qwen3-30B-A3B on 16 GPUs, TP 2 × DP 8 with its 128 experts whole on each rank (ETP 1) over EP 16: EP reaches
    # into the TP ranks, as NVIDIA's Qwen3-235B recipe runs EP 32 over TP 2 × DP 16
    arch = planner.architecture("qwen3-30b-a3b")
    plan = llama_plan(16, arch)
    layout = Parallelism(seq_len=SEQ, framework="megatron", gpus=16, tp=2, sp=True, ep=16, etp=1, zero=1,
                         flash_attention=True)
    text, lc = write_and_read(tmp_path, plan, layout, "megatron")
    args = megatron_args(text)
    assert (args["--expert-model-parallel-size"], args["--expert-tensor-parallel-size"]) == ("16", "1")
    same_plan(plan, lc.plan(), 30_532_122_624)            # transformers' count (tests/fixtures/hf_counts.json)
    got = lc.layout()
    assert (got.tp, got.ep, got.etp, got.data_parallel) == (2, 16, 1, 8)


@pytest.mark.parametrize("changes, freq", [
    (dict(first_dense_layers=2), "[0]*2+[1]*30"),              # DeepSeek-style dense first layers
    (dict(moe_layer_period=2), "2"),                           # every other layer, from the first
    (dict(dense_layers=(5, 17)), "[" + ",".join("0" if i in (5, 17) else "1" for i in range(32)) + "]"),
])
def test_megatron_moe_layer_patterns_round_trip(tmp_path, changes, freq):
    arch = planner.architecture("mixtral-8x7b-v0.1").with_(**changes)
    moe_layers = sum(arch.is_moe_layer(i) for i in range(32))
    plan = llama_plan(64, arch)
    text, lc = write_and_read(tmp_path, plan, Parallelism(seq_len=SEQ, framework="megatron", gpus=64, ep=8),
                              "megatron")
    assert megatron_args(text)["--moe-layer-freq"] == (freq if freq.isdigit() else f'"{freq}"')
    back = lc.plan().model
    assert [back.is_moe_layer(i) for i in range(32)] == [arch.is_moe_layer(i) for i in range(32)]
    # each dense layer trades 8 experts and a router for one MLP: 7 × 3 × 4,096 × 14,336 + 8 × 4,096 fewer
    dense = 32 - moe_layers
    assert planner.count_params(back).total == MIXTRAL_N - dense * (7 * 3 * 4096 * 14336 + 8 * 4096)


def test_megatron_reads_its_float8_format(tmp_path):
    # --fp8-format hybrid (Transformer Engine's float8 matmuls) reads as fp8: a float8 script had read as bf16 and
    # been timed 1.5 times too slow; float8 without --bf16/--fp16 is refused naming the argument
    text = (FIX / "megatron_gpt3_175b.sh").read_text()
    path = tmp_path / "fp8.sh"
    path.write_text(text.replace("--fp16", "--bf16 --fp8-format hybrid"))
    lc = read_launch_config(path, "megatron", gpus=1024)
    assert lc.layout().fp8 and lc.layout().precision == "bf16-mixed"
    path.write_text(text.replace("--fp16", "--fp8-format e4m3"))
    with pytest.raises(PlanFileError) as e:
        read_launch_config(path, "megatron", gpus=1024)
    assert "--fp8-format" in str(e.value)


def _moe_script(tmp_path, extra):
    # NVIDIA's style: MoE arguments in a bash array, the layer pattern quoted with its parentheses, comments after
    text = (FIX / "megatron_gpt3_175b.sh").read_text()
    text = text.replace("MODEL_PARALLEL_ARGS=(", "MOE_ARGS=(\n" + extra + "\n)\n\nMODEL_PARALLEL_ARGS=(", 1)
    text = text.replace("${MODEL_PARALLEL_ARGS[@]}", "${MODEL_PARALLEL_ARGS[@]} ${MOE_ARGS[@]}", 1)
    assert "${MOE_ARGS[@]}" in text
    path = tmp_path / "moe.sh"
    path.write_text(text)
    return path


def test_megatron_reads_nvidias_moe_arguments(tmp_path):
    lc = read_launch_config(_moe_script(tmp_path, '    --num-experts 16   # sixteen\n    --moe-router-topk 4\n'
                                                  '    --moe-ffn-hidden-size 4096\n'
                                                  '    --moe-layer-freq "([0]*1+[1]*3)*24"   # one dense in four\n'
                                                  '    --expert-model-parallel-size 8'), "megatron", gpus=1024)
    a = lc.plan().model
    assert (a.num_experts, a.experts_per_token, a.moe_intermediate_size) == (16, 4, 4096)
    assert [a.is_moe_layer(i) for i in range(8)] == [False, True, True, True] * 2 and a.num_moe_layers == 72
    assert lc.layout().ep == 8


@pytest.mark.parametrize("extra, where", [
    ('    --num-experts 16\n    --moe-layer-freq "[0]*3+[1]*3"', "--moe-layer-freq"),     # 6 entries, 96 layers
    ("    --num-experts 16\n    --moe-layer-freq every-other", "--moe-layer-freq"),
    ("    --expert-model-parallel-size 8", "--expert-model-parallel-size"),                 # no experts
    ("    --num-experts 16\n    --moe-router-topk 32", "--moe-router-topk"),                # more than the experts
])
def test_megatron_moe_arguments_it_cannot_read_are_named(tmp_path, extra, where):
    with pytest.raises(PlanFileError) as e:
        read_launch_config(_moe_script(tmp_path, extra), "megatron", gpus=1024)
    assert where in str(e.value)


@pytest.mark.parametrize("layers, freq, where", [
    ("1000000000000", "2", "--num-layers"),                   # a period: no pattern built; the depth refused
    ("200000", '"[0]*3+[1]*199997"', "--moe-layer-freq"),     # a list for more layers than the planner reads
])
def test_megatron_moe_layer_patterns_are_read_within_bounds(tmp_path, layers, freq, where):
    path = _moe_script(tmp_path, f"    --num-experts 16\n    --moe-layer-freq {freq}")
    path.write_text(path.read_text().replace("--num-layers 96", f"--num-layers {layers}"))
    with pytest.raises(PlanFileError) as e:
        read_launch_config(path, "megatron", gpus=1024)
    assert where in str(e.value)


def test_torchtitan_writes_dense_flavors_only():
    arch = planner.architecture("mixtral-8x7b-v0.1")
    with pytest.raises(InputError) as e:
        write_launch(llama_plan(64, arch), Parallelism(seq_len=SEQ, framework="torchtitan", gpus=64, ep=8,
                                                       fsdp="full"), "torchtitan")
    assert e.value.field == "ep"


def test_megatron_stages_it_cannot_split_as_modelled_are_refused_by_name():
    # 31 layers + 2 on 5 stages: 6, 7, 7, 6, 5 — Megatron's first/last leave the middle even only; 126 layers on
    # 16 × 3 virtual stages: neither 126 nor 128 divides into 48
    plan = llama_plan(40, planner.architecture("llama-3-8b").with_(num_layers=31))
    with pytest.raises(InputError) as e:
        write_launch(plan, Parallelism(seq_len=SEQ, pp=5, framework="megatron", gpus=40), "megatron")
    assert e.value.field == "pp"
    plan = llama_plan(128, LLAMA_405B)
    with pytest.raises(InputError) as e:
        write_launch(plan, Parallelism(seq_len=SEQ, tp=8, sp=True, pp=16, vpp=3, framework="megatron", gpus=128),
                     "megatron")
    assert e.value.field == "vpp"


def _megatron_file(tmp_path, extra):
    text = (FIX / "megatron_gpt3_175b.sh").read_text().replace("--num-layers 96", "--num-layers 126")
    assert "--pipeline-model-parallel-size 16 " in text                   # GPT-3 175B as NVIDIA's example runs it
    text = text.replace("--pipeline-model-parallel-size 16 ", f"--pipeline-model-parallel-size 16 {extra} ")
    path = tmp_path / "m.sh"
    path.write_text(text)
    return path


@pytest.mark.parametrize("extra, where", [
    ("", "--pipeline-model-parallel-size"),                     # 126 on 16: Megatron asserts divisibility
    ("--decoder-first-pipeline-num-layers 7", "--decoder-first-pipeline-num-layers"),    # 119 left on 15 stages
    ("--decoder-first-pipeline-num-layers 7 --account-for-loss-in-pipeline-split",
     "--decoder-first-pipeline-num-layers"),                    # one or the other
    ("--account-for-embedding-in-pipeline-split", "--pipeline-model-parallel-size"),     # 127 on 16
])
def test_megatron_splits_megatron_refuses_are_refused_by_name(tmp_path, extra, where):
    with pytest.raises(PlanFileError) as e:
        read_launch_config(_megatron_file(tmp_path, extra), "megatron", gpus=1024)
    assert where in str(e.value)


def test_a_megatron_split_the_memory_model_does_not_follow_is_said(tmp_path):
    # 14 layers on the first and last stages, 7 on the others: read, and the stages the estimate uses said
    lc = read_launch_config(_megatron_file(tmp_path, "--decoder-first-pipeline-num-layers 14 "
                                                     "--decoder-last-pipeline-num-layers 14"), "megatron", gpus=1024)
    said = [a for a in lc.assumed if a.key == "parallelism.pp"]
    assert lc.layout().pp == 16 and len(said) == 1 and "7, 8 … 8, 7" in str(said[0].value)
    assert "14, 7 … 7, 14" in said[0].why


def test_megatron_full_recompute_of_every_layer_is_block_over_the_stage(tmp_path):
    # TransformerConfig refuses full recompute without a method; block recomputes the first N layers of a stage
    layout = Parallelism(seq_len=SEQ, tp=2, pp=4, framework="megatron", gpus=64, recompute="full")
    args = megatron_args(write_launch(llama_plan(64), layout, "megatron"))
    assert (args["--recompute-method"], args["--recompute-num-layers"]) == ("block", "8")   # 32 layers / PP 4


# ---- torchtitan ----------------------------------------------------------------------------

TORCHTITAN = {
    "fsdp64-op-sac": dict(fsdp="full", recompute="selective"),
    "full-compile-fp8": dict(fsdp="full", recompute="full", compile=True, fp8=True),
    "every-4th-layer": dict(fsdp="full", recompute="full", recompute_layers=8),
    "pp2-every-4th": dict(fsdp="full", pp=2, micro_batch=2, recompute="full", recompute_layers=4),
    "cp2-fsdp32": dict(fsdp="full", cp=2, recompute="none"),
    "fp32": dict(fsdp="full", precision="fp32", recompute="none"),
    "tp8-async-tp-compiled": dict(fsdp="full", tp=8, sp=True, tp_overlap=True, compile=True),
}


@pytest.mark.parametrize("changes", TORCHTITAN.values(), ids=TORCHTITAN.keys())
def test_torchtitan_llama3_8b_round_trip(tmp_path, changes):
    plan = llama_plan(64)
    layout = Parallelism(seq_len=SEQ, framework="torchtitan", flash_attention=True, gpus=64, **changes)
    text, lc = write_and_read(tmp_path, plan, layout, "torchtitan")
    same_plan(plan, lc.plan(), LLAMA3_8B_N)
    same_layout(plan.model, layout, lc.layout(), TORCHTITAN_FIELDS)
    doc = tomllib.loads(text)
    known = (Path(planner.__file__).parent.parent / "data" / "launch" / "torchtitan_fields.txt").read_text().split()
    flat = {f"{t}.{k}" for t, table in doc.items() for k in table}
    assert flat <= set(known)
    assert (doc["model"]["name"], doc["model"]["flavor"]) == ("llama3", "8B")


def test_torchtitan_config_by_hand(tmp_path):
    plan = llama_plan(64)
    layout = Parallelism(seq_len=SEQ, framework="torchtitan", flash_attention=True, gpus=64, fsdp="full",
                         recompute="full", recompute_layers=8, fp8=True, compile=True)
    doc = tomllib.loads(write_launch(plan, layout, "torchtitan"))
    # 64 GPUs all sharding (FSDP), 512 sequences per step of 1 per GPU: no accumulation
    assert doc["parallelism"]["data_parallel_shard_degree"] == 64
    assert doc["parallelism"]["data_parallel_replicate_degree"] == 1
    assert (doc["training"]["global_batch_size"], doc["training"]["local_batch_size"]) == (512, 1)
    # 8 of 32 layers checkpointed: every 4th (torchtitan's _apply_layer_sac: count % 4 == 0)
    assert doc["activation_checkpoint"] == {"mode": "selective", "selective_ac_option": "4"}
    # torchtitan's float8 converter registers as "quantize.linear.float8" (components/quantization/float8.py)
    assert doc["model"]["converters"] == ["quantize.linear.float8"] and doc["compile"]["enable"] is True


def test_torchtitan_ddp_on_one_node(tmp_path):
    plan = llama_plan(8)
    layout = Parallelism(seq_len=SEQ, framework="torchtitan", flash_attention=True, gpus=8, recompute="full")
    text, lc = write_and_read(tmp_path, plan, layout, "torchtitan")
    doc = tomllib.loads(text)
    assert (doc["parallelism"]["data_parallel_replicate_degree"], doc["parallelism"]["data_parallel_shard_degree"],
            doc["training"]["global_batch_size"]) == (8, 1, 512)
    same_plan(plan, lc.plan(), LLAMA3_8B_N)
    same_layout(plan.model, layout, lc.layout(), TORCHTITAN_FIELDS)


def test_torchtitan_70b_flavor():
    # Llama 3 70B (its config.json): 80 layers, 8192 wide, 64 heads, 8 KV heads, FFN 28672, vocabulary 128,256
    arch = planner.Architecture(num_layers=80, hidden_size=8192, num_heads=64, num_kv_heads=8,
                                intermediate_size=28672, vocab_size=128256)
    plan = llama_plan(128, arch)
    text = write_launch(plan, Parallelism(seq_len=SEQ, framework="torchtitan", flash_attention=True, fsdp="full",
                                          pp=2, recompute="full"), "torchtitan")
    doc = tomllib.loads(text)
    assert (doc["model"]["flavor"], doc["parallelism"]["data_parallel_shard_degree"]) == ("70B", 64)


def test_torchtitan_tensor_parallel_round_trip(tmp_path):
    plan = llama_plan(64)
    layout = Parallelism(seq_len=SEQ, framework="torchtitan", flash_attention=True, gpus=64, fsdp="full", tp=2, sp=True)
    _, lc = write_and_read(tmp_path, plan, layout, "torchtitan")
    same_layout(plan.model, layout, lc.layout(), TORCHTITAN_FIELDS + ("sp",))


@pytest.mark.parametrize("vpp, schedule, per_stage", [(1, "1F1B", None), (2, "Interleaved1F1B", None),
                                                       (3, "Interleaved1F1B", 6)])
def test_torchtitan_pipeline_round_trip(tmp_path, vpp, schedule, per_stage):
    # torchtitan splits each GPU's local batch into micro-batches of pipeline_parallel_microbatch_size and runs them
    # through one schedule (build_pipeline_schedule); 512 sequences over DP 16 at micro-batch 2: 16 micro-batches a
    # step, local batch 32. Interleaving: two stages per GPU by default, else ceil((32 + 2) / 6) = 6 stages = PP 2 × 3
    plan = llama_plan(64)
    layout = Parallelism(seq_len=SEQ, framework="torchtitan", flash_attention=True, gpus=64, fsdp="full", tp=2,
                         sp=True, pp=2, vpp=vpp, micro_batch=2, micro_batches=16)
    text, lc = write_and_read(tmp_path, plan, layout, "torchtitan")
    doc = tomllib.loads(text)
    assert doc["training"]["local_batch_size"] == 32 and doc["training"]["global_batch_size"] == 512
    assert doc["parallelism"]["pipeline_parallel_microbatch_size"] == 2
    assert doc["parallelism"]["pipeline_parallel_schedule"] == schedule
    assert doc["parallelism"].get("pipeline_parallel_layers_per_stage") == per_stage
    same_plan(plan, lc.plan(), LLAMA3_8B_N)
    same_layout(plan.model, layout, lc.layout(), TORCHTITAN_FIELDS + ("sp", "vpp"))
    assert (lc.layout().micro_batch, lc.layout().micro_batches) == (2, 16)


def test_a_torchtitan_pipeline_config_reads_as_torchtitan_runs_it():
    text = """[model]\nname = "llama3"\nflavor = "8B"\n[training]\nlocal_batch_size = 16\nglobal_batch_size = 256
seq_len = 8192\n[parallelism]\ndata_parallel_shard_degree = 8\npipeline_parallel_degree = 4
pipeline_parallel_microbatch_size = 2\n"""
    lc = torchtitan_read(Path("pp.toml"), text)
    p = lc.layout()
    # 8 micro-batches of 2 through 1F1B, twice a step (256 = 16 × DP 8 × 2)
    assert (p.micro_batch, p.micro_batches, p.vpp, p.pp) == (2, 8, 1, 4)
    assert lc.plan().budget.tokens_per_step == 256 * 8192


@pytest.mark.parametrize("extra, field", [
    ('pipeline_parallel_schedule = "GPipe"', "pipeline_parallel_schedule"),
    ("pipeline_parallel_microbatch_size = 3", "pipeline_parallel_microbatch_size"),
    ('pipeline_parallel_schedule = "Interleaved1F1B"\npipeline_parallel_layers_per_stage = 5',
     "pipeline_parallel_layers_per_stage"),   # ceil(34 / 5) = 7 stages on 4 GPUs
    ("pipeline_parallel_layers_per_stage = 5", "pipeline_parallel_layers_per_stage"),
    ("pipeline_parallel_first_stage_less_layers = 2", "pipeline_parallel_first_stage_less_layers"),
])
def test_a_pipeline_the_planner_cannot_time_is_refused_by_name(extra, field):
    text = ("[model]\nname = \"llama3\"\nflavor = \"8B\"\n[training]\nlocal_batch_size = 16\n"
            f"[parallelism]\ndata_parallel_shard_degree = 8\npipeline_parallel_degree = 4\n{extra}\n")
    with pytest.raises(PlanFileError) as e:
        torchtitan_read(Path("pp.toml"), text)
    assert field in str(e.value)


def test_async_tp_reads_as_tp_overlap_and_needs_compile():
    text = """[model]\nname = "llama3"\nflavor = "8B"\n[training]\nlocal_batch_size = 1\n[parallelism]
data_parallel_shard_degree = 8\ntensor_parallel_degree = 8\nenable_async_tensor_parallel = true\n"""
    assert torchtitan_read(Path("a.toml"), text + "[compile]\nenable = true\n").layout().tp_overlap
    with pytest.raises(PlanFileError) as e:
        torchtitan_read(Path("a.toml"), text)
    assert "parallelism.enable_async_tensor_parallel" in str(e.value) and "compile" in str(e.value)


def test_torchtitan_context_parallel_alone_round_trip(tmp_path):
    plan = llama_plan(8)
    layout = Parallelism(seq_len=SEQ, framework="torchtitan", flash_attention=True, gpus=8, fsdp="full", cp=8)
    _, lc = write_and_read(tmp_path, plan, layout, "torchtitan")
    same_layout(plan.model, layout, lc.layout(), TORCHTITAN_FIELDS)


# ---- what cannot be written ----------------------------------------------------------------

def megatron(**kw):
    return Parallelism(seq_len=SEQ, framework="megatron", **kw)


def titan(**kw):
    return Parallelism(seq_len=SEQ, framework="torchtitan", flash_attention=True, **kw)


REFUSED = [
    ("format", llama_plan(64), megatron(), "deepspeed"),
    ("model", planner.Plan(budget=planner.budget(STEPS, tokens_per_step=GLOBAL * SEQ), params=8_000_000_000, count=64),
     megatron(), "megatron"),
    ("model", llama_plan(64, "qwen2.5-0.5b"), titan(fsdp="full"), "torchtitan"),   # not a torchtitan flavor
    ("hardware.count", llama_plan(64), megatron(gpus=32), "megatron"),
    ("seq_len", llama_plan(64).with_(budget=planner.budget(STEPS, micro_batch=1, seq_len=4096, data_parallel=1024)),
     megatron(), "megatron"),                                                   # the plan says 4,096
    ("micro_batch", llama_plan(64), megatron(micro_batch=3), "megatron"),       # 512 / (3 × 64)
    ("framework", llama_plan(64), Parallelism(seq_len=SEQ), "megatron"),
    ("zero", llama_plan(64), megatron(zero=3), "megatron"),
    ("fsdp", llama_plan(64), megatron(fsdp="full"), "megatron"),
    ("compile", llama_plan(64), megatron(compile=True), "megatron"),
    ("tp", llama_plan(64), megatron(tp=16), "megatron"),       # 8 query groups: Megatron divides them over TP
    ("pp", llama_plan(64), megatron(pp=64), "megatron"),       # 32 layers
    ("sp", llama_plan(64), megatron(sp=True), "megatron"),     # TP 1
    ("flash_attention", llama_plan(64), megatron(precision="fp32", flash_attention=True), "megatron"),
    ("gpus_per_node", llama_plan(12, "llama-3-8b").with_(budget=planner.budget(STEPS, tokens_per_step=12 * SEQ)),
     megatron(), "megatron"),
    ("zero", llama_plan(64), titan(zero=1), "torchtitan"),     # ZeRO 1: torchtitan has FSDP2 only
    ("fsdp", llama_plan(64), titan(fsdp="grad-op"), "torchtitan"),
    ("fsdp", llama_plan(64), titan(tp=2, sp=True), "torchtitan"),   # DDP with TP
    ("sp", llama_plan(64), titan(fsdp="full", tp=2), "torchtitan"),  # TP without SP: torchtitan always splits
    ("precision", llama_plan(64), titan(fsdp="full", precision="fp16-mixed"), "torchtitan"),
    ("recompute_layers", llama_plan(64), titan(fsdp="full", recompute="full", recompute_layers=5), "torchtitan"),
    # 32 layers + embedding + head in 8 stages: no layers_per_stage gives ceil(34 / n) = 8
    ("vpp", llama_plan(64), titan(fsdp="full", pp=2, vpp=4), "torchtitan"),
    ("micro_batches", llama_plan(64), titan(fsdp="full", pp=2, micro_batches=3), "torchtitan"),   # 8 a step
    ("dropout", llama_plan(64), titan(fsdp="full", dropout=True), "torchtitan"),
    ("tp_overlap", llama_plan(64), megatron(tp=2, tp_overlap=True), "megatron"),   # Megatron overlaps under SP only
]


@pytest.mark.parametrize("field, plan, layout, fmt", REFUSED, ids=[f"{r[3]}-{r[0]}" for r in REFUSED])
def test_what_a_format_cannot_state_is_refused_by_name(field, plan, layout, fmt):
    with pytest.raises(InputError) as e:
        write_launch(plan, layout, fmt)
    assert e.value.field == field, str(e.value)


# ---- the command line reads it back --------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("fmt, layout, gpus", [
    ("megatron", megatron(tp=8, sp=True, zero=1, recompute="selective", flash_attention=True), ["--gpus", "64"]),
    ("torchtitan", titan(fsdp="full", recompute="full", recompute_layers=8), []),
])
def test_cli_import_reads_the_written_file(tmp_path, fmt, layout, gpus):
    path = tmp_path / ("written.sh" if fmt == "megatron" else "written.toml")
    path.write_text(write_launch(llama_plan(64), layout, fmt), encoding="utf-8")
    r = run_cli("import", path, "--format", fmt, *gpus, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["params"] == LLAMA3_8B_N
    dp = 8 if fmt == "megatron" else 64
    assert doc["plan"]["training"] == {"steps": STEPS, "micro_batch": 1, "grad_accum": GLOBAL // dp,
                                       "data_parallel": dp, "seq_len": SEQ}
    assert doc["plan"]["hardware"]["count"] == 64
    table = doc["plan"]["parallelism"]
    if fmt == "megatron":
        assert (table["tp"], table["sp"], table["zero"], table["recompute"]) == (8, True, 1, "selective")
    else:
        assert (table["fsdp"], table["recompute"], table["recompute_layers"]) == ("full", "full", 8)


@pytest.mark.parametrize("fmt, layout", [("megatron", megatron()), ("torchtitan", titan(fsdp="full"))])
def test_prior_tokens_are_not_stated_but_said(tmp_path, fmt, layout):
    plan = llama_plan(64).with_(budget=planner.budget(STEPS, tokens_per_step=GLOBAL * SEQ, prior_tokens=15 * 10**12))
    text, lc = write_and_read(tmp_path, plan, layout, fmt)
    assert "saw 15,000,000,000,000 tokens" in text   # a comment: the file loads the checkpoint, it does not count it
    back = lc.plan()
    assert (back.budget.prior_tokens, back.budget.steps * back.budget.tokens_per_step) == (0, STEPS * GLOBAL * SEQ)


def test_an_interleaved_megatron_file_holds_its_accumulation_in_flight(tmp_path):
    # Llama 3 8B on 64 GPUs as PP 2 × 4 virtual stages × DP 32, 16 micro-batches a step: the first stage holds
    # 2 × (1 + 1/(2 × 4)) = 2.25 micro-batches of activations, as the written plan and the file read back say (the
    # file states the accumulation, 512 / (1 × 32)); read as "as many as the stages", 2, it had been 4 GiB light
    plan = llama_plan(64)
    layout = Parallelism(seq_len=SEQ, pp=2, vpp=4, zero=1, framework="megatron", gpus=64, flash_attention=True)
    _, lc = write_and_read(tmp_path, plan, layout, "megatron")
    back = lc.plan()
    assert back.budget.grad_accum == 16
    want = planner.memory_estimate(plan.model, layout.with_(micro_batches=16))
    got = planner.assess_plan(back).memory
    assert got.total == want.total and got.activations == want.activations
    two = planner.memory_estimate(plan.model, layout.with_(micro_batches=2))
    assert got.stage == two.stage == "first" and got.stage_layers == 16       # 32 layers over 2 stages
    assert got.activations - two.activations == pytest.approx(0.25 * 16 * got.activations_per_layer)


def test_megatron_layouts_searched_are_layouts_megatron_runs_unpadded():
    # Granite 3.3 8B's vocabulary of 49,159 rows: Megatron pads it to a multiple of TP (a larger model than the plan
    # counts), so the search offers Megatron no TP above 1, and every layout it offers is written; torchtitan shards
    # the rows unevenly and keeps TP 2 and up
    arch = planner.architecture("granite-3.3-8b-instruct")
    assert arch.vocab_size == 49159
    plan = planner.Plan(budget=planner.budget(STEPS, micro_batch=1, seq_len=SEQ, grad_accum=GLOBAL // 64,
                                              data_parallel=64), model=arch, count=64, accelerator="h100-sxm")
    mega = plan_layouts(plan, top=5, framework="megatron")
    assert mega.options and all(o.layout.tp == 1 for o in mega.options)
    for o in mega.options:
        write_launch(plan, o.layout.with_(micro_batches=None), "megatron")
    titan = search_layouts(arch, 64, "h100-sxm", seq_len=SEQ, tokens_per_step=plan.budget.tokens_per_step,
                           base=Parallelism(flash_attention=True, framework="torchtitan", seq_len=SEQ))
    assert (titan.tp > 1).any()
