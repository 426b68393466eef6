"""Launch-config readers against real published files (tests/fixtures/launch/SOURCES.md).

Expected values are published counts, transformers' own counts (tests/fixtures/hf_counts.json)
or hand calculations written out here, never the planner's output.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import planner
from planner.launch import read_launch_config

FIX = Path(__file__).parent / "fixtures" / "launch"
HF_COUNTS = {row["name"]: row["total"] for row in json.loads((FIX.parent / "hf_counts.json").read_text())}


def n_and_d(lc):
    a = planner.assess_plan(lc.plan())
    return a.counts.total, a.gate.tokens


def read(name, fmt, **kw):
    return read_launch_config(FIX / name, fmt, **kw)


def keys(lc):
    return {f.key: f.line for f in lc.read}


# ---- Megatron-LM ---------------------------------------------------------------------------

def gpt3_175b_by_hand():
    # GPT-3 175B as Megatron builds it: 96 layers, h = 12288, LayerNorm (weight + bias), biases on
    # every Linear, FFN 4h; per layer 4h² + 4h (attention) + 8h² + 5h (MLP) + 4h (2 LayerNorms) = 12h² + 13h.
    # Vocabulary 50,257 padded to a multiple of 128 × TP 8 = 1,024 -> 51,200; 2,048 learned positions;
    # final LayerNorm 2h; output layer tied to the embedding.
    h = 12288
    return 96 * (12 * h * h + 13 * h) + 51200 * h + 2048 * h + 2 * h


@pytest.mark.parametrize("script", ["megatron_gpt3_175b.sh", "megatron_gpt3_175b_2026.sh"])
def test_megatron_gpt3_175b(script):
    lc = read(script, "megatron")
    n, d = n_and_d(lc)
    assert n == gpt3_175b_by_hand() == 174_615_846_912
    assert abs(n - 174.6e9) / 174.6e9 < 0.005
    assert d == 500_000 * 1536 * 2048  # --train-iters × --global-batch-size × --seq-length
    k = keys(lc)
    assert k["--num-layers"] == 29 and k["--hidden-size"] == 30 and k["--global-batch-size"] == 39
    assert k["--tensor-model-parallel-size"] == 56 and k["--train-iters"] == 41
    assumed = {a.key: a.value for a in lc.assumed}
    assert assumed["model.dimensions.vocab_size"] == 51200
    assert assumed["training.data_parallel"] == 1  # no --gpus: one data-parallel rank of TP 8 × PP 16
    assert (lc.parallelism["tp"], lc.parallelism["pp"], lc.parallelism["dp"]) == (8, 16, 1)
    assert lc.parallelism["precision"] == "fp16-mixed"


def test_megatron_gpus_set_the_data_parallel_size_not_d():
    lc = read("megatron_gpt3_175b.sh", "megatron", gpus=1024)
    t = lc.document["training"]
    assert (t["data_parallel"], t["grad_accum"], t["micro_batch"]) == (8, 192, 1)  # 1024 / 128; 1536 / 8
    assert n_and_d(lc)[1] == 500_000 * 1536 * 2048


def test_megatron_contradictions_name_the_field_and_line():
    # 896 GPUs = 7 data-parallel ranks of 128: 1,536 sequences do not split 7 ways
    with pytest.raises(planner.PlanFileError, match=r"megatron_gpt3_175b.sh:39: --global-batch-size: .*divisible"):
        read("megatron_gpt3_175b.sh", "megatron", gpus=896)
    with pytest.raises(planner.PlanFileError, match=r"megatron_gpt3_175b.sh:56: --tensor-model-parallel-size"):
        read("megatron_gpt3_175b.sh", "megatron", gpus=1000)


def test_megatron_unknown_argument(tmp_path):
    text = (FIX / "megatron_gpt3_175b.sh").read_text().replace("--num-layers 96", "--num-layer 96")
    p = tmp_path / "train.sh"
    p.write_text(text)
    with pytest.raises(planner.PlanFileError, match=r"train.sh:29: --num-layer: not a Megatron-LM argument"):
        read_launch_config(p, "megatron")


def test_megatron_llama_style_argument_file(tmp_path):
    # Llama-2-7B as Megatron arguments (a file of arguments, no torchrun line): the catalog's
    # llama-2-7b count, 6,738,415,616, is transformers' own count.
    p = tmp_path / "llama2_7b.args"
    p.write_text("--num-layers 32 --hidden-size 4096 --num-attention-heads 32\n"
                 "--ffn-hidden-size 11008 --swiglu --normalization RMSNorm --disable-bias-linear\n"
                 "--untie-embeddings-and-output-weights --position-embedding-type rope\n"
                 "--tokenizer-type Llama2Tokenizer --vocab-size 32000 --seq-length 4096\n"
                 "--micro-batch-size 1 --global-batch-size 1024 --train-iters 500000 --bf16\n"
                 "--tensor-model-parallel-size 2 --recompute-granularity selective\n")
    lc = read_launch_config(p, "megatron", gpus=16)
    n, d = n_and_d(lc)
    assert n == HF_COUNTS["llama-2-7b"] == 6_738_415_616
    assert d == 500_000 * 1024 * 4096
    assert lc.document["training"]["data_parallel"] == 8
    assert lc.parallelism["recompute"] == "selective" and lc.parallelism["precision"] == "bf16-mixed"
    assert keys(lc)["--swiglu"] == 2


def test_megatron_gqa_and_default_swiglu_ffn(tmp_path):
    # --swiglu without --ffn-hidden-size: Megatron uses int((4h·2/3) / 64)·64. For h = 1,088: 4·1,088·2/3 =
    # 2,901.3 -> 2,880 (rounding down to 128 would give 2,816; at h = 1,024 the two agree, so this h tells them apart)
    p = tmp_path / "args.txt"
    p.write_text("--num-layers 2 --hidden-size 1088 --num-attention-heads 16 --group-query-attention "
                 "--num-query-groups 4 --swiglu --normalization RMSNorm --disable-bias-linear "
                 "--position-embedding-type rope --vocab-size 1030 --seq-length 128 --micro-batch-size 2 "
                 "--train-samples 1001\n")
    lc = read_launch_config(p, "megatron")
    dims = lc.document["model"]["dimensions"]
    assert dims["intermediate_size"] == 2880 and dims["num_kv_heads"] == 4
    assert dims["vocab_size"] == 1152  # 1,030 padded up to a multiple of 128 (to 64 it would be 1,088)
    # N by hand: head dim 1,088 / 16 = 68, 4 KV groups of 68 = 272.
    # Per layer: q and o 2·1,088² = 2,367,488; k and v 2·1,088·272 = 591,872; SwiGLU 3·1,088·2,880 = 9,400,320;
    # two RMSNorms 2·1,088 = 2,176: 12,361,856. Two layers 24,723,712; embedding 1,152·1,088 = 1,253,376 (the head is
    # tied: Megatron ties unless --untie-embeddings-and-output-weights); final norm 1,088.
    n, _ = n_and_d(lc)
    assert n == 2 * 12_361_856 + 1_253_376 + 1_088 == 25_978_176
    # --train-samples 1,001 at a global batch of 2 (micro 2 × 1 rank): Megatron's train_samples // global batch = 500
    # steps (rounding up would give 501)
    assert lc.document["training"]["steps"] == 500


# ---- nanoGPT --------------------------------------------------------------------------------

def test_nanogpt_train_gpt2():
    lc = read("nanogpt_train_gpt2.py", "nanogpt")
    n, d = n_and_d(lc)
    # 12 layers of 768 without biases, weight-only LayerNorms: per layer 2·768 + 768·2304 + 768·768
    # + 2·768·3072 = 7,079,424; tokens 50,304·768, positions 1,024·768, final norm 768; tied head.
    assert n == 12 * 7_079_424 + 50304 * 768 + 1024 * 768 + 768 == 124_373_760
    tokens_per_iter = 40 * 12 * 1024
    assert tokens_per_iter == 491_520
    assert lc.plan().budget.tokens_per_step == tokens_per_iter
    # nanoGPT's loop runs iterations 0 … max_iters: 600,001 optimizer steps ≈ 294.9B tokens
    assert d == 600_001 * tokens_per_iter and round(d / 1e9, 1) == 294.9
    assert keys(lc) == {"batch_size": 11, "block_size": 12, "gradient_accumulation_steps": 13, "max_iters": 16}


def test_nanogpt_ddp_divides_gradient_accumulation():
    lc = read("nanogpt_train_gpt2.py", "nanogpt", gpus=8)
    t = lc.document["training"]
    assert (t["grad_accum"], t["data_parallel"]) == (5, 8)
    assert lc.plan().budget.tokens_per_step == 491_520  # the global batch does not change
    with pytest.raises(planner.PlanFileError, match=r"nanogpt_train_gpt2.py:13: gradient_accumulation_steps"):
        read("nanogpt_train_gpt2.py", "nanogpt", gpus=3)


def test_nanogpt_finetune_from_gpt2_xl():
    lc = read("nanogpt_finetune_shakespeare.py", "nanogpt")
    n, d = n_and_d(lc)
    # GPT-2 XL: 48 layers of 1,600 with biases (12h² + 13h each), vocabulary 50,257, 1,024 positions,
    # final LayerNorm: the published 1,557,611,200.
    h = 1600
    assert n == 48 * (12 * h * h + 13 * h) + 50257 * h + 1024 * h + 2 * h == 1_557_611_200
    assert d == 21 * 1 * 32 * 1024  # iterations 0 … 20, batch 1 × accumulation 32 × block 1,024
    assert any(a.key == "wandb_run_name" for a in lc.assumed)  # 'ft-' + str(time.time()) is not evaluated


@pytest.mark.parametrize("text, match", [
    ("n_layers = 4\n", r"cfg.py:1: n_layers: not a nanoGPT train.py setting"),
    ("import os\nos.system('x')\n", r"cfg.py:2: statement: not a plain assignment"),
    ("batch_size = int('12')\n", r"cfg.py:1: batch_size: .*cannot be evaluated"),
    ("max_iters = -5\n", r"cfg.py:1: max_iters: must be a whole number"),
    ("n_embd = 100\n", r"cfg.py:1: n_embd: 100 is not divisible by n_head 12"),
    ("batch_size = (\n", r"cfg.py:1: python: not valid Python"),
    ("n_layer = 'x' * 10**9\n", r"cfg.py:1: n_layer: .*cannot be evaluated"),
])
def test_nanogpt_rejects_what_it_cannot_read(tmp_path, text, match):
    p = tmp_path / "cfg.py"
    p.write_text(text)
    with pytest.raises(planner.PlanFileError, match=match):
        read_launch_config(p, "nanogpt")


# ---- torchtitan -----------------------------------------------------------------------------

def test_torchtitan_llama3_8b():
    lc = read("torchtitan_llama3_8b.toml", "torchtitan", gpus=64)  # "a preset for 64 A100 GPUs"
    n, d = n_and_d(lc)
    assert n == HF_COUNTS["llama-3-8b"] == 8_030_261_248
    assert d == 1000 * 1 * 64 * 8192  # steps × local batch × 64 FSDP ranks × seq_len
    assert lc.document["model"] == {"catalog": "llama-3-8b"}
    assert keys(lc)["training.seq_len"] == 33 and keys(lc)["model.flavor"] == 19
    assert lc.parallelism["recompute"] == "selective"


def test_torchtitan_flavor_table_and_ffn_rule():
    from planner.launch.torchtitan import llama3_ffn
    # torchtitan's FeedForward: int(2·4d/3) × multiplier, up to a multiple: Llama 3's published FFN widths
    assert llama3_ffn(4096, 1.3, 1024) == 14336
    assert llama3_ffn(8192, 1.3, 4096) == 28672
    assert llama3_ffn(16384, 1.2, 4096) == 53248


def test_torchtitan_errors_name_key_and_line(tmp_path):
    text = (FIX / "torchtitan_llama3_8b.toml").read_text()
    p = tmp_path / "job.toml"
    p.write_text(text.replace("seq_len = 8192", "seq_length = 8192"))
    with pytest.raises(planner.PlanFileError, match=r"job.toml:33: training.seq_length: not a torchtitan"):
        read_launch_config(p, "torchtitan")
    p.write_text(text.replace("local_batch_size = 1", "local_batch_size = 3\nglobal_batch_size = 128"))
    with pytest.raises(planner.PlanFileError, match=r"job.toml:33: training.global_batch_size: 128 is not "
                                                    r"divisible by micro-batch 3"):
        read_launch_config(p, "torchtitan", gpus=8)
    p.write_text(text.replace('flavor = "8B"', 'flavor = "3B"'))
    with pytest.raises(planner.PlanFileError, match=r"job.toml:19: model.flavor: llama3/3B is not known"):
        read_launch_config(p, "torchtitan")


# ---- LitGPT ---------------------------------------------------------------------------------

def test_litgpt_tinyllama():
    lc = read("litgpt_tinyllama.yaml", "litgpt", gpus=8)
    n, d = n_and_d(lc)
    assert n == HF_COUNTS["tinyllama-1.1b-chat-v1.0"] == 1_100_048_384
    # litgpt/pretrain.py: (3e12 // 8 GPUs) // (4 × 2,048) = 45,776,367 iterations per rank;
    # accumulation 512 // 8 // 4 = 16; steps 45,776,367 // 16 = 2,861,022
    assert lc.document["training"] == {"steps": 2_861_022, "micro_batch": 4, "grad_accum": 16,
                                       "data_parallel": 8, "seq_len": 2048}
    assert d == 2_861_022 * 512 * 2048
    assert keys(lc)["train.max_tokens"] == 50


def test_litgpt_model_config_tinystories():
    lc = read("litgpt_tinystories.yaml", "litgpt")
    n, _ = n_and_d(lc)
    # stories15M: 6 layers, n_embd 288, 6 heads of 48, LLaMAMLP 768, RMSNorm, no bias, 32,000 tokens,
    # tie_embeddings: per layer 4·288² + 3·288·768 + 2·288 = 995,904; embedding 32,000·288; final norm 288
    assert n == 6 * 995_904 + 32000 * 288 + 288 == 15_191_712


def test_litgpt_errors(tmp_path):
    text = (FIX / "litgpt_tinyllama.yaml").read_text()
    p = tmp_path / "pretrain.yaml"
    p.write_text(text.replace("micro_batch_size: 4", "micro_batch_size: 5"))
    with pytest.raises(planner.PlanFileError, match=r"pretrain.yaml:38: train.global_batch_size"):
        read_launch_config(p, "litgpt")
    p.write_text(text.replace("  max_norm: 1.0", "  max_nrom: 1.0"))
    with pytest.raises(planner.PlanFileError, match=r"train.max_nrom: not a litgpt pretrain argument"):
        read_launch_config(p, "litgpt")
    p.write_text(text.replace("model_name: tiny-llama-1.1b", "model_name: pythia-14m"))
    with pytest.raises(planner.PlanFileError, match=r"pretrain.yaml:3: model_name: 'pythia-14m' is not resolved"):
        read_launch_config(p, "litgpt")


# ---- Hugging Face Trainer (+ DeepSpeed) ----------------------------------------------------

def test_hf_trainer_epochs_need_the_dataset_size():
    with pytest.raises(planner.PlanFileError, match=r"hf_zephyr_7b_sft_full.yaml:44: num_train_epochs: .*"
                                                    r"--dataset-size"):
        read("hf_zephyr_7b_sft_full.yaml", "hf-trainer", gpus=8)
    lc = read("hf_zephyr_7b_sft_full.yaml", "hf-trainer", gpus=8, dataset_size=207_865)
    n, d = n_and_d(lc)
    assert n == HF_COUNTS["mistral-7b-v0.1"] == 7_241_732_096
    # one epoch: ceil(207,865 / (16 per device × 8 GPUs)) = 1,624 batches per rank, accumulation 1
    assert lc.document["training"]["steps"] == 1624
    assert d == 1624 * 16 * 8 * 2048
    assert lc.parallelism["recompute"] == "full"  # gradient_checkpointing: true


def test_hf_trainer_with_deepspeed():
    lc = read("hf_trainer_deepspeed.json", "hf-trainer", gpus=2)
    assert n_and_d(lc) == (HF_COUNTS["qwen2.5-0.5b"], 2700 * 4 * 8 * 2 * 2048)
    assert lc.parallelism["zero"] == 3  # from ds_config_zero3.json
    assert keys(lc)["ds_config_zero3.json:zero_optimization.stage"] == 31


def test_hf_trainer_deepspeed_contradiction(tmp_path):
    ds = json.loads((FIX / "ds_config_zero3.json").read_text())
    ds["train_batch_size"] = 100
    (tmp_path / "ds.json").write_text(json.dumps(ds, indent=4))
    args = json.loads((FIX / "hf_trainer_deepspeed.json").read_text())
    args["deepspeed"] = "ds.json"
    (tmp_path / "args.json").write_text(json.dumps(args, indent=2))
    with pytest.raises(planner.PlanFileError, match=r"ds.json:\d+: train_batch_size: 100 contradicts .* 4 × 8 × 2"):
        read_launch_config(tmp_path / "args.json", "hf-trainer", gpus=2)


def test_hf_trainer_unknown_field(tmp_path):
    p = tmp_path / "args.json"
    p.write_text('{\n  "model_name_or_path": "gpt2",\n  "per_device_batch_size": 4,\n  "max_steps": 10\n}\n')
    with pytest.raises(planner.PlanFileError, match=r"args.json:3: per_device_batch_size: not a TrainingArguments"):
        read_launch_config(p, "hf-trainer", seq_len=1024)


# ---- plan files and the command line --------------------------------------------------------

def test_plan_toml_round_trip(tmp_path):
    for name, fmt, kw in [("megatron_gpt3_175b.sh", "megatron", {}), ("nanogpt_train_gpt2.py", "nanogpt", {}),
                          ("torchtitan_llama3_8b.toml", "torchtitan", {"gpus": 64}),
                          ("litgpt_tinystories.yaml", "litgpt", {})]:
        lc = read(name, fmt, **kw)
        out = tmp_path / f"{name}.toml"
        out.write_text(lc.to_toml())
        assert n_and_d(lc) == n_and_d_plan(planner.load_plan(out))


def n_and_d_plan(plan):
    a = planner.assess_plan(plan)
    return a.params, a.gate.tokens


def test_layout_for_the_memory_estimate():
    layout = read("megatron_gpt3_175b.sh", "megatron", gpus=1024).layout()
    assert (layout.tp, layout.pp, layout.data_parallel, layout.micro_batch, layout.seq_len) == (8, 16, 8, 1, 2048)
    assert layout.fp32_grads and layout.zero_stage == 0 and layout.precision == "fp16-mixed"
    layout = read("hf_trainer_deepspeed.json", "hf-trainer", gpus=2).layout()
    assert (layout.zero_stage, layout.data_parallel, layout.micro_batch) == (3, 2, 4)
    layout = read("torchtitan_llama3_8b.toml", "torchtitan", gpus=64).layout()
    assert layout.zero_stage == 3 and layout.recompute == "selective"  # FSDP full sharding


def test_launch_plan_is_the_one_call_for_other_commands():
    from planner.launch import launch_plan
    assert n_and_d_plan(launch_plan(FIX / "nanogpt_train_gpt2.py", "nanogpt")) == (124_373_760, 600_001 * 491_520)


def test_bad_format_and_options():
    with pytest.raises(planner.InputError, match="--format"):
        read_launch_config(FIX / "nanogpt_train_gpt2.py", "deepspeed")
    with pytest.raises(planner.InputError, match="--gpus"):
        read_launch_config(FIX / "nanogpt_train_gpt2.py", "nanogpt", gpus=0)
    with pytest.raises(planner.InputError, match="--dataset-size"):
        read_launch_config(FIX / "nanogpt_train_gpt2.py", "nanogpt", dataset_size=10)
    with pytest.raises(planner.PlanFileError, match="file not found"):
        read_launch_config(FIX / "missing.sh", "megatron")


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_cli_import_writes_a_plan_report_reads(tmp_path):
    out = tmp_path / "gpt3.toml"
    r = run_cli("import", FIX / "megatron_gpt3_175b.sh", "--format", "megatron", "--gpus", "1024", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "line 29   --num-layers = 96" in r.stdout and "Assumed" in r.stdout
    assert "N 174,615,846,912 parameters, D 1,572,864,000,000 tokens" in r.stdout
    rep = run_cli("report", out, "--json")
    assert rep.returncode == 1  # D/N 9.0: blocked
    doc = json.loads(rep.stdout)
    assert doc["params"] == 174_615_846_912 and doc["tokens"] == 1_572_864_000_000


def test_cli_import_json_and_errors(tmp_path):
    r = run_cli("import", FIX / "nanogpt_train_gpt2.py", "--format", "nanogpt", "--json")
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["params"] == 124_373_760 and doc["plan"]["training"]["grad_accum"] == 40
    assert {"key": "max_iters", "value": 600000, "line": 16, "sets": "training.steps"} in doc["read"]
    r = run_cli("import", FIX / "megatron_gpt3_175b.sh", "--format", "megatron", "--gpus", "896")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert "megatron_gpt3_175b.sh:39: --global-batch-size" in r.stderr
    r = run_cli("import", FIX / "nanogpt_train_gpt2.py")
    assert r.returncode == 2 and "--format" in r.stderr


HOSTILE = ["", "\x00\x01\x02", "[", "{", "- a\n- b\n", "a: [1, 2\n", "x = 1e999999\n", "1" * 5000, "null", "[]", "42",
           "model_name: 5\n", "--num-layers\n", "--num-layers -3 --hidden-size abc\n", "n_layer = 10**10**10\n",
           "n_layer = 'x' * 10**9\n", "[model]\nname = 1\n", '{"deepspeed": 5, "model_name_or_path": "gpt2"}',
           "batch_size = 1/0\n", "n_layer = True\n", "max_iters = 10**40\n", "(" * 5000,
           "A=(--num-layers 2 ${A[@]})\nB=(${A[@]} ${B[@]})\npython pretrain_gpt.py ${B[@]}\n",
           "a:\n" + "  " * 2000 + "b: 1\n"]
SUFFIX = {"megatron": ".sh", "torchtitan": ".toml", "litgpt": ".yaml", "nanogpt": ".py", "hf-trainer": ".json"}


@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_hostile_files_raise_one_line_planner_errors(tmp_path, fmt):
    import random
    import re
    rng = random.Random(7)
    fixtures = {"megatron": "megatron_gpt3_175b.sh", "torchtitan": "torchtitan_llama3_8b.toml",
                "litgpt": "litgpt_tinyllama.yaml", "nanogpt": "nanogpt_train_gpt2.py",
                "hf-trainer": "hf_zephyr_7b_sft_full.yaml"}
    lines = (FIX / fixtures[fmt]).read_text().splitlines(True)
    texts = list(HOSTILE)
    for _ in range(60):  # the real file with one line deleted, replaced or a number mangled
        mutated = list(lines)
        i = rng.randrange(len(mutated))
        choice = rng.random()
        if choice < 0.3:
            del mutated[i]
        elif choice < 0.5:
            mutated[i] = "".join(rng.choice("ab=:-[]{}\"' 0123456789\t\\#") for _ in range(rng.randint(0, 20))) + "\n"
        else:
            mutated[i] = re.sub(r"\d+", lambda m: rng.choice(["0", "-1", "9" * 40, "1.5", "abc", "1e400", ""]),
                                mutated[i])
        texts.append("".join(mutated))
    for k, text in enumerate(texts):
        p = tmp_path / f"f{k}{SUFFIX[fmt] if fmt != 'hf-trainer' or text.lstrip().startswith('{') else '.yaml'}"
        p.write_text(text)
        for kw in ({}, {"gpus": 8, "dataset_size": 1000} if fmt == "hf-trainer" else {"gpus": 8}):
            try:
                lc = read_launch_config(p, fmt, **kw)
                planner.assess_plan(lc.plan())
            except planner.PlannerError as e:
                assert "\n" not in str(e), (fmt, text[:60], str(e))


def test_world_size_from_nodes():
    # 16 nodes × 8 GPUs = 128 GPUs = one data-parallel rank of TP 8 × PP 16
    lc = read("megatron_gpt3_175b.sh", "megatron", nodes=16, gpus_per_node=8)
    assert lc.document["training"]["data_parallel"] == 1
    lc = read("nanogpt_train_gpt2.py", "nanogpt", gpus=8, nodes=2)  # --gpus is the total
    assert lc.document["training"]["data_parallel"] == 8
    with pytest.raises(planner.InputError, match="--gpus"):
        read("nanogpt_train_gpt2.py", "nanogpt", gpus=10, nodes=2, gpus_per_node=4)
    with pytest.raises(planner.InputError, match="--gpus-per-node"):
        read("nanogpt_train_gpt2.py", "nanogpt", nodes=2)
