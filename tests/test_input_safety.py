"""Issue 20: every input surface as safe as the first ones.

Every bad input here is built in the test (FIFOs with ``os.mkfifo``, ``/dev/zero``, 17 MiB files, alias
bombs, doubling arrays). Each must give exit 2 and one ``planner: error:`` line naming the field as the
user wrote it, within seconds (a hang fails the subprocess timeout); the Python API raises only
:class:`planner.PlannerError`. Expected counts are hand arithmetic or torch's own modules.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import planner
import planner.laws.ladder
import planner.verdict.judge
from conftest import ROOT
from planner import limits, validate
from planner.cli import main
from planner.errors import ConfigError, InputError, PlanFileError, PlannerError
from planner.launch import read_launch_config
from planner.model.checkpoints import read_gguf

FIX = ROOT / "tests" / "fixtures" / "launch"
BIG = 17 * 2**20  # one MiB over the 16 MiB limit


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code, out, err, *needles) -> str:
    assert "Traceback" not in out + err
    assert code == 2, (code, out[-300:], err[-300:])
    assert out == "", out[-300:]
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("planner: error: "), err[-600:]
    assert any(n in lines[0] for n in needles), (needles, lines[0])
    return lines[0]


def _limited():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))


def process(args, timeout=20):
    """``python -m planner args`` with 1 GiB of memory; a hang is a test failure, not a stuck suite."""
    t = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-m", "planner", *map(str, args)], capture_output=True, text=True,
                           check=False, timeout=timeout, preexec_fn=_limited, cwd=ROOT,
                           env={**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"planner {' '.join(map(str, args))[:120]} hung past {timeout} s", pytrace=False)
    return p, time.monotonic() - t


# =================================================================================================
# 1. One reader for every user path
# =================================================================================================

@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    for name in ("fifo.sh", "fifo.toml", "fifo.csv", "ds-fifo.json"):
        os.mkfifo(d / name)
    with open(d / "big.sh", "wb") as f:  # sparse: 17 MiB reported, no disk used
        f.truncate(BIG)
    with open(d / "big.csv", "wb") as f:
        f.truncate(BIG)
    with open(d / "big.toml", "wb") as f:
        f.truncate(BIG)
    (d / "zero.toml").symlink_to("/dev/zero")
    args = json.loads((FIX / "hf_trainer_deepspeed.json").read_text())
    args["deepspeed"] = "ds-fifo.json"
    (d / "hf-fifo.json").write_text(json.dumps(args))
    args["deepspeed"] = "/dev/zero"
    (d / "hf-zero.json").write_text(json.dumps(args))
    (d / "law-fifo.toml").write_text((ROOT / "data" / "plans" / "origin-case.toml").read_text()
                                     + '\n[law]\nfit = "fifo.toml"\n')
    return d


@pytest.mark.parametrize("name, fmt", [("fifo.sh", "megatron"), ("big.sh", "megatron"), ("/dev/zero", "megatron"),
                                       ("hf-fifo.json", "hf-trainer"), ("hf-zero.json", "hf-trainer")])
def test_launch_files_and_the_deepspeed_json_go_through_files(name, fmt, hostile):
    p = name if name.startswith("/") else hostile / name
    with pytest.raises(PlanFileError) as e:
        read_launch_config(p, fmt, gpus=2)
    msg = str(e.value)
    assert "\n" not in msg
    assert any(w in msg for w in ("FIFO", "character device", "larger than 16 MiB")), msg
    if name.startswith("hf-"):
        assert msg.startswith("deepspeed:"), msg


@pytest.mark.parametrize("argv, needle", [
    (["import", "{d}/fifo.sh", "--format", "megatron"], "FIFO"),
    (["import", "/dev/zero", "--format", "megatron"], "character device"),
    (["import", "{d}/big.sh", "--format", "megatron"], "larger than 16 MiB"),
    (["check", "--launch-config", "{d}/fifo.sh", "--format", "megatron"], "FIFO"),
    (["memory", "--launch-config", "{d}/fifo.sh", "--format", "megatron"], "FIFO"),
    (["optimal", "--flops", "1e22", "--fit", "{d}/fifo.toml"], "FIFO"),
    (["optimal", "--flops", "1e22", "--fit", "{d}/zero.toml"], "character device"),
    (["optimal", "--flops", "1e22", "--fit", "{d}/big.toml"], "larger than 16 MiB"),
    (["fit", "/dev/zero"], "character device"),
    (["fit", "{d}/fifo.csv"], "FIFO"),
    (["fit", "{d}/big.csv"], "larger than 16 MiB"),
    (["report", "{d}/law-fifo.toml"], "FIFO"),
], ids=["import-fifo", "import-dev-zero", "import-17MiB", "check-launch-fifo", "memory-launch-fifo",
        "optimal-fit-fifo", "optimal-fit-dev-zero", "optimal-fit-17MiB", "fit-dev-zero", "fit-fifo", "fit-17MiB",
        "report-law-fit-fifo"])
def test_no_user_path_hangs_or_slurps(argv, needle, hostile):
    p, _ = process([a.format(d=hostile) for a in argv])
    assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stdout[-300:], p.stderr[-300:])
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr[-600:]
    assert needle in lines[0] and "no such file" not in lines[0], lines[0]


def test_checkpoints_have_no_twin_of_open_regular():
    from planner.model import checkpoints
    modules = sorted(Path(checkpoints.__file__).parent.glob("*.py"))
    assert len(modules) > 3  # the package's readers, not only its __init__
    for module in modules:
        src = module.read_text()
        assert "os.open(" not in src and "_check_kind" not in src, module  # one opener: planner.files.open_regular


def test_the_limits_module_is_the_only_source():
    assert validate.MAX_COUNT is limits.MAX_COUNT and validate.MAX_TEXT == limits.MAX_TEXT
    assert planner.files.MAX_BYTES == limits.MAX_FILE_BYTES == 16 * 2**20
    from planner.laws import FLOPS_RANGE
    assert FLOPS_RANGE[1] == limits.MAX_FLOPS == 1e61
    # the text limit and the float limit agree: 10^61 is accepted both ways, 10^62 refused both ways
    assert validate.positive_real("flops", "1e61", maximum=limits.MAX_FLOPS) == 1e61
    assert validate.positive_real("flops", 1e61, maximum=limits.MAX_FLOPS) == 1e61
    for v in ("1e62", 1e62, "9" * 63):
        with pytest.raises(InputError, match=r"at most 10\^61"):
            validate.positive_real("flops", v, maximum=limits.MAX_FLOPS)
    with pytest.raises(InputError, match=r"to 10\^30"):
        validate.count("steps", 10**30 + 1)


def test_messages_print_limits_readably():
    assert limits.power(1e61) == "10^61" and limits.power(10**30) == "10^30"
    assert limits.power(10**9) == "1,000,000,000" and limits.power(0.001) == "0.001"


# =================================================================================================
# 2. Bounded parsing
# =================================================================================================

def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def _timed_refusal(p, fmt, *needles, seconds=5):
    t = time.monotonic()
    with pytest.raises(PlanFileError) as e:
        read_launch_config(p, fmt, gpus=1)
    assert time.monotonic() - t < seconds
    assert any(n in str(e.value) for n in needles), str(e.value)
    return str(e.value)


def test_forty_doubling_bash_arrays_are_refused_quickly(tmp_path):
    lines = ["A0=(--num-layers 2)"] + [f"A{i}=(${{A{i - 1}[@]}} ${{A{i - 1}[@]}})" for i in range(1, 41)]
    p = _write(tmp_path, "arrays.sh", "\n".join(lines + ["torchrun pretrain_gpt.py ${A40[@]}"]) + "\n")
    _timed_refusal(p, "megatron", "expansion", "100,000 arguments")


def test_a_variable_repeated_a_million_times_is_refused_before_it_is_built(tmp_path):
    big = "x" * 100_000
    p = _write(tmp_path, "vars.sh", f"V={big}\ntorchrun pretrain_gpt.py --tokenizer-type " + "$V" * 20 + "\n")
    _timed_refusal(p, "megatron", "1,048,576 characters")


def _alias_bomb(levels=9, width=9):
    lines = ['a0: &a0 [' + ",".join(['"x"'] * width) + ']']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return lines, f"*a{levels - 1}"


def test_a_yaml_alias_bomb_in_litgpt_is_refused(tmp_path):
    lines, ref = _alias_bomb()
    text = (FIX / "litgpt_tinyllama.yaml").read_text().replace("model_name: tiny-llama-1.1b", f"model_name: {ref}")
    p = _write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n" + text)
    _timed_refusal(p, "litgpt", "aliases")


def test_a_yaml_alias_bomb_in_hf_arguments_is_refused(tmp_path):
    lines, ref = _alias_bomb()
    text = (FIX / "hf_zephyr_7b_sft_full.yaml").read_text()
    p = _write(tmp_path, "bomb.yaml", text + "\nhub_model_id: " + ref + "\n" + "\n".join(
        "# " + x for x in lines) + "\n")
    # aliases inside a known key's value: the anchors must be defined before use, in a value
    p.write_text(text + "\nhub_model_id: [" + ", ".join(f"&a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]"
                                                      if i else "&a0 [x, x, x, x]" for i in range(30)) + "]\n")
    _timed_refusal(p, "hf-trainer", "aliases")


def test_a_few_yaml_aliases_are_still_read(tmp_path):
    text = (FIX / "litgpt_tinyllama.yaml").read_text()
    text = text.replace("  micro_batch_size: 4", "  micro_batch_size: &mb 4").replace("max_norm: 1.0", "max_norm: 1.0")
    text = text.replace("  lr_warmup_steps: 2000", "  lr_warmup_steps: *mb")
    lc = read_launch_config(_write(tmp_path, "ok.yaml", text), "litgpt", gpus=8)
    assert lc.document["training"]["micro_batch"] == 4


@pytest.mark.parametrize("body", [
    "n_layer = 2\n" + "n_layer = n_layer * n_layer\n" * 40,
    "n_layer = 3\n" + "n_layer = n_layer ** 64\n" * 6,
    "dataset = 'ab'\n" + "dataset = dataset + dataset\n" * 40,
    "batch_size = 2\n" + "batch_size = batch_size * batch_size\n" * 40,
], ids=["int-squaring-x40", "pow-64-x6", "string-doubling-x40", "needed-key-squaring"])
def test_nanogpt_expressions_that_explode_are_refused(body, tmp_path):
    msg = _timed_refusal(_write(tmp_path, "cfg.py", body), "nanogpt", "grows beyond")
    assert "cfg.py:" in msg


def _gguf(tmp_path, name, body: bytes, size=64 * 2**20) -> Path:
    p = tmp_path / name
    with open(p, "wb") as f:
        f.write(b"GGUF" + struct.pack("<I", 3) + body)
        f.truncate(size)  # the rest is a hole of zeros: "valid" empty names, zero dims
    return p


@pytest.mark.parametrize("body, needle", [
    (struct.pack("<QQ", 10**8, 0), "tensor count"),
    (struct.pack("<QQ", 0, 10**7), "key/value count"),
    (struct.pack("<QQ", 0, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<IIQ", 9, 9, 4 * 10**6), "nested arrays"),
    (struct.pack("<QQ", 0, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<IIQ", 9, 8, 10**8), "array length"),
], ids=["1e8-tensor-infos", "1e7-keys", "4e6-nested-arrays", "1e8-strings"])
def test_sparse_gguf_claims_are_checked_before_any_loop(body, needle, tmp_path):
    p = _gguf(tmp_path, "sparse.gguf", body)
    t = time.monotonic()
    with pytest.raises(ConfigError) as e:
        read_gguf(p)
    assert time.monotonic() - t < 5, "took too long"
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_sparse_gguf_through_the_cli_is_one_line(tmp_path, capsys):
    p = _gguf(tmp_path, "sparse.gguf", struct.pack("<QQ", 10**8, 0))
    one_line(*run(["params", p], capsys), "tensor count")


# =================================================================================================
# 3. Readers as strict as their frameworks: no silently wrong numbers
# =================================================================================================

LITGPT_TINY = """model_config:
  name: tiny
  block_size: 64
  padded_vocab_size: 128
  n_layer: 2
  n_head: 4
  n_query_groups: 4
  n_embd: 64
  head_size: 16
  bias: false
  norm_class_name: LayerNorm
  mlp_class_name: GptNeoxMLP
  intermediate_size: 256
{extra}train:
  global_batch_size: 8
  micro_batch_size: 8
  max_seq_length: 64
  max_steps: 10
{train_extra}"""


def torch_litgpt_count(*, n_layer=2, n_embd=64, n_head=4, groups=4, head=16, inter=256, vocab=128, bias=False,
                       post_attention_norm=False, post_mlp_norm=False, tied=False) -> int:
    """litgpt.model.GPT built from torch modules as litgpt builds them (LayerNorm: torch.nn.LayerNorm(n_embd))."""
    import torch
    nn = torch.nn
    blocks = []
    for _ in range(n_layer):
        mods = [nn.LayerNorm(n_embd), nn.Linear(n_embd, (n_head + 2 * groups) * head, bias=bias),
                nn.Linear(n_head * head, n_embd, bias=bias), nn.LayerNorm(n_embd),
                nn.Linear(n_embd, inter, bias=bias), nn.Linear(inter, n_embd, bias=bias)]
        if post_attention_norm:
            mods.append(nn.LayerNorm(n_embd))
        if post_mlp_norm:
            mods.append(nn.LayerNorm(n_embd))
        blocks += mods
    model = nn.ModuleList(blocks + [nn.Embedding(vocab, n_embd), nn.LayerNorm(n_embd)]
                          + ([] if tied else [nn.Linear(n_embd, vocab, bias=False)]))
    return sum(p.numel() for p in model.parameters())


def _litgpt_n(tmp_path, extra="", train_extra=""):
    p = _write(tmp_path, "tiny.yaml", LITGPT_TINY.format(extra=extra, train_extra=train_extra))
    return planner.assess_plan(read_launch_config(p, "litgpt").plan()).counts.total


# by hand: 2 layers × (2 LayerNorms × 2·64 + 64·192 + 64·64 + 64·256 + 256·64) + 128·64 + 2·64 + 64·128
#        = 2 × 49,408 + 8,192 + 128 + 8,192 = 115,328
LITGPT_TINY_N = 115_328
# post_attention_norm and post_mlp_norm: two more LayerNorms (weight + bias) per layer
LITGPT_TINY_POST_NORMS_N = LITGPT_TINY_N + 2 * 2 * 128


def test_litgpt_layernorm_keeps_its_bias_without_linear_biases(tmp_path):
    assert _litgpt_n(tmp_path) == LITGPT_TINY_N


def test_litgpt_post_attention_and_post_mlp_norms_are_counted(tmp_path):
    extra = "  post_attention_norm: true\n  post_mlp_norm: true\n"
    text = LITGPT_TINY.format(extra="", train_extra="").replace("  intermediate_size: 256\n",
                                                                  "  intermediate_size: 256\n" + extra)
    p = _write(tmp_path, "post.yaml", text)
    assert planner.assess_plan(read_launch_config(p, "litgpt").plan()).counts.total == LITGPT_TINY_POST_NORMS_N


@pytest.mark.integration
def test_litgpt_hand_counts_agree_with_torch_modules():
    # the hand counts above, against torch's own modules built as litgpt builds them
    assert torch_litgpt_count() == LITGPT_TINY_N
    assert torch_litgpt_count(post_attention_norm=True, post_mlp_norm=True) == LITGPT_TINY_POST_NORMS_N


@pytest.mark.parametrize("key, line", [("train.tie_embeddings", '  tie_embeddings: "false"\n'),
                                       ("train.tie_embeddings", "  tie_embeddings: 'true'\n")])
def test_litgpt_quoted_booleans_are_refused_naming_file_line_and_key(key, line, tmp_path):
    p = _write(tmp_path, "tiny.yaml", LITGPT_TINY.format(extra="", train_extra=line))
    with pytest.raises(PlanFileError) as e:
        read_launch_config(p, "litgpt")
    assert str(e.value).startswith(f"tiny.yaml:19: {key}: must be true or false"), str(e.value)


def test_litgpt_tie_embeddings_false_unquoted_stays_untied(tmp_path):
    assert _litgpt_n(tmp_path, train_extra="  tie_embeddings: false\n") == LITGPT_TINY_N
    assert _litgpt_n(tmp_path, train_extra="  tie_embeddings: true\n") == LITGPT_TINY_N - 128 * 64


@pytest.mark.parametrize("text, match", [
    ("train: [1, 2]\nmodel_name: x\n", r"train: must be a mapping"),
    (LITGPT_TINY.format(extra="", train_extra="").replace("LayerNorm", "GroupNorm"),
     r"norm_class_name: must be one of"),
    (LITGPT_TINY.format(extra="  norm_qk: true\n", train_extra=""), r"norm_qk: .*not read"),
    (LITGPT_TINY.format(extra="  n_expert: 8\n", train_extra=""), r"n_expert: .*not read"),
    (LITGPT_TINY.format(extra="", train_extra="").replace("n_layer: 2", "n_layer: '2x'"), r"n_layer: must be a whole"),
    ("precision: bf17-mixed\n" + LITGPT_TINY.format(extra="", train_extra=""), r"precision: must be one of"),
], ids=["train-list", "unknown-norm", "norm-qk", "moe", "text-int", "unknown-precision"])
def test_litgpt_fields_are_checked_against_litgpt_types(text, match, tmp_path):
    with pytest.raises(PlanFileError, match=match):
        read_launch_config(_write(tmp_path, "cfg.yaml", text), "litgpt")


def test_hf_trainer_quoted_booleans_are_refused(tmp_path):
    args = json.loads((FIX / "hf_trainer_deepspeed.json").read_text())
    args.pop("deepspeed", None)
    args["bf16"] = "false"
    with pytest.raises(PlanFileError, match=r"bf16: must be true or false"):
        read_launch_config(_write(tmp_path, "args.json", json.dumps(args)), "hf-trainer", gpus=2)


@pytest.mark.parametrize("change, match", [
    ({"zero_optimization": {"stage": True}}, r"zero_optimization.stage: must be 0, 1, 2 or 3, got True"),
    ({"zero_optimization": {"stage": 2.0}}, r"zero_optimization.stage: must be 0, 1, 2 or 3"),
    ({"zero_optimization": True}, r"zero_optimization: must be an object"),
    ({"bf16": {"enabled": "true"}}, r"bf16.enabled: must be true, false or \"auto\""),
], ids=["stage-true", "stage-float", "zero-true", "bf16-quoted"])
def test_deepspeed_values_are_checked_against_its_schema(change, match, tmp_path):
    ds = json.loads((FIX / "ds_config_zero3.json").read_text())
    ds.update(change)
    _write(tmp_path, "ds.json", json.dumps(ds))
    args = json.loads((FIX / "hf_trainer_deepspeed.json").read_text())
    args["deepspeed"] = "ds.json"
    p = _write(tmp_path, "args.json", json.dumps(args))
    with pytest.raises(PlanFileError, match=match):
        read_launch_config(p, "hf-trainer", gpus=2)


@pytest.mark.parametrize("old, new, match", [
    ("[parallelism]", "[parallelism]\ndata_parallel_shard_degree = -1.0",
     r"data_parallel_shard_degree: must be a whole"),
    ("[activation_checkpoint]", '[activation_checkpoint]\nmode = "sometimes"',
     r"activation_checkpoint.mode: must be one of"),
    ("enable=false", 'enable="false"', r"job.toml:{line}: compile.enable: must be true or false"),
    ("[training]", '[training]\nmixed_precision_param = "float16"', r"mixed_precision_param: must be one of"),
], ids=["shard-minus-1.0", "ac-mode-unknown", "quoted-bool", "unknown-dtype"])
def test_torchtitan_types_and_enums(old, new, match, tmp_path):
    text = (FIX / "torchtitan_llama3_8b.toml").read_text()
    for key in ("data_parallel_shard_degree", "mode", "compile", "mixed_precision_param"):
        text = "\n".join(line for line in text.splitlines() if not line.strip().startswith(f"{key} ="))
    assert old in text
    text = text.replace(old, new, 1)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if new.splitlines()[-1] in t)  # counted by hand
    with pytest.raises(PlanFileError, match=match.format(line=line)):
        read_launch_config(_write(tmp_path, "job.toml", text), "torchtitan", gpus=8)


@pytest.mark.parametrize("old, new, match", [
    ("--num-layers 96", "--num-layers 96B", r"--num-layers: must be a whole number \(Megatron's argparse"),
    ("--num-layers 96", "--num-layers 96 --recompute-granularity sometimes", r"--recompute-granularity: must be one"),
    ("--num-layers 96", "--num-layers 96 --position-embedding-type relative", r"--position-embedding-type: relative"),
], ids=["int-suffix", "recompute-enum", "relative-positions"])
def test_megatron_argparse_types_and_choices(old, new, match, tmp_path):
    text = (FIX / "megatron_gpt3_175b.sh").read_text()
    assert old in text
    with pytest.raises(PlanFileError, match=match):
        read_launch_config(_write(tmp_path, "run.sh", text.replace(old, new)), "megatron")


# ---- safetensors and GGUF ------------------------------------------------------------------------

def _safetensors(path: Path, header: dict, data: bytes):
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def test_overlapping_safetensors_offsets_are_refused_like_the_library(tmp_path):
    safetensors = pytest.importorskip("safetensors")
    p = _safetensors(tmp_path / "overlap.safetensors",
                     {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12))
    with pytest.raises(Exception):  # noqa: B017 - the library itself refuses the file (independent of the planner)
        safetensors.safe_open(str(p), "np")
    from planner.model.checkpoints import read_safetensors
    with pytest.raises(ConfigError, match="overlaps"):
        read_safetensors(p)
    ok = _safetensors(tmp_path / "ok.safetensors",
                      {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                       "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}, bytes(12))
    with safetensors.safe_open(str(ok), "np") as f:
        assert sorted(f.keys()) == ["a", "b"]
    assert read_safetensors(ok).total == 3


@pytest.mark.parametrize("header, needle", [
    ({"a": {"dtype": ["F32"], "shape": [1], "data_offsets": [0, 4]}}, "dtype"),
    ({"__metadata__": {"total_parameters": "9" * 5000}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}},
     "total_parameters"),
    ({"__metadata__": {"total_parameters": "²"}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}},
     "total_parameters"),
], ids=["dtype-list", "5000-digit-total", "superscript-total"])
def test_bad_safetensors_headers_are_one_line(header, needle, tmp_path, capsys):
    p = _safetensors(tmp_path / "m.safetensors", header, bytes(4))
    line = one_line(*run(["params", p], capsys), needle)
    assert "checkpoint" in line


def test_a_gguf_superscript_parameter_count_is_one_line(tmp_path, capsys):
    key, value = b"general.parameter_count", "²".encode()
    body = struct.pack("<QQ", 0, 1) + struct.pack("<Q", len(key)) + key + struct.pack("<IQ", 8, len(value)) + value
    p = tmp_path / "m.gguf"
    p.write_bytes(b"GGUF" + struct.pack("<I", 3) + body)
    one_line(*run(["params", p], capsys), "general.parameter_count")


# =================================================================================================
# 4. Saved fits and runs CSVs
# =================================================================================================

def _saved_fit(tmp_path, extra="", law="E = 1.8\nA = 480.0\nB = 2000.0\nalpha = 0.35\nbeta = 0.37\n"):
    return _write(tmp_path, "law.toml", "[law]\n" + law + extra)


@pytest.mark.parametrize("law, extra, needle", [
    (None, '[method]\nflops_range = "wide"\n', "fit.method.flops_range"),
    ("E = 1.8\nA = 480.0\nB = 2000.0\nalpha = 1e-30\nbeta = 1e-30\n", "", "fit.law.alpha"),
    ("E = " + "9" * 5000 + "\nA = 1.0\nB = 1.0\nalpha = 0.3\nbeta = 0.3\n", "", "fit"),
    (None, "[intervals]\nlevel = 5.0\n", "fit.intervals.level"),
    (None, "x = " + "[" * 5000 + "]" * 5000 + "\n", "fit"),
], ids=["text-flops-range", "tiny-exponents", "5000-digits", "level-5", "5000-deep"])
def test_bad_saved_fits_are_one_line(law, extra, needle, tmp_path, capsys):
    p = _saved_fit(tmp_path, extra="\n" + extra if extra.startswith("[") else "",
                   **({} if law is None else {"law": law}))
    if not extra.startswith("["):
        p.write_text(extra + p.read_text())
    one_line(*run(["optimal", "--flops", "1e22", "--fit", p], capsys), needle)
    with pytest.raises(PlannerError):
        planner.laws.fit(str(p)).optimal(1e22)


def test_a_good_saved_fit_still_gives_the_law_by_hand(tmp_path):
    f = planner.laws.fit(str(_saved_fit(tmp_path)))
    n, d = f.optimal(6e20)
    # G = (0.35·480 / (0.37·2000))^(1/0.72); N = G·(1e20)^(0.37/0.72)
    g = (0.35 * 480 / (0.37 * 2000)) ** (1 / 0.72)
    assert n == pytest.approx(g * 1e20 ** (0.37 / 0.72), rel=1e-12) and d == pytest.approx(1e20 / n, rel=1e-12)


CSV = "name,params,tokens,loss\n" + "".join(f"r{i},{10 ** (7 + i % 3)},{10 ** (9 + i % 4)},{3 - i / 10}\n"
                                             for i in range(8))


@pytest.mark.parametrize("text, needle", [
    (CSV.replace("name,params", "name,params,params", 1).replace("\n", ",1\n").replace("loss,1\n", "loss\n", 1),
     "twice"),
    (CSV.replace("name,params,tokens", "name,params,PARAMS,tokens").replace("\nr", "\nr").replace(
        ",1000000000,", ",1,1000000000,"), "same column"),
], ids=["duplicate-header", "params-and-PARAMS"])
def test_runs_csv_duplicate_columns_are_refused(text, needle, tmp_path):
    p = _write(tmp_path, "runs.csv", text)
    with pytest.raises(InputError, match=needle):
        planner.laws.ladder.read_runs(p)


def test_runs_dict_columns_differing_by_case_are_refused():
    cols = {"params": [1e8] * 5, "PARAMS": [2e8] * 5, "tokens": [1e9] * 5, "loss": [3.0] * 5}
    with pytest.raises(InputError, match="same column"):
        planner.laws.ladder.read_runs(cols)


def test_runs_complex_numbers_are_refused_not_truncated():
    cols = {"params": np.array([1e8 + 5j] * 5), "tokens": [1e9] * 5, "loss": [3.0] * 5}
    with pytest.raises(InputError, match="real"):
        planner.laws.ladder.read_runs(cols)


# =================================================================================================
# 5. The Python API raises PlannerError only
# =================================================================================================

def _only_planner_error(call):
    try:
        call()
    except PlannerError as e:
        assert "\n" not in str(e)
        return e
    except Exception as e:  # noqa: BLE001 - any other type is the bug
        pytest.fail(f"{type(e).__name__} escaped: {e}", pytrace=False)
    pytest.fail("accepted", pytrace=False)


def _arch():
    return planner.Architecture(num_layers=2, hidden_size=64, num_heads=4, vocab_size=128)


API = [
    pytest.param(lambda: read_launch_config(None, "megatron"), id="read_launch_config-None"),
    pytest.param(lambda: read_launch_config(b"/dev/zero", "megatron"), id="read_launch_config-bytes"),
    pytest.param(lambda: read_launch_config("a\x00b.sh", "megatron"), id="read_launch_config-NUL"),
    pytest.param(lambda: planner.laws.fit("epoch").loss(-1, 1e9), id="loss-negative-N"),
    pytest.param(lambda: planner.laws.fit("epoch").loss(np.nan, 1e9), id="loss-nan"),
    pytest.param(lambda: planner.laws.fit("epoch").optimal(-1e22), id="optimal-negative"),
    pytest.param(lambda: planner.laws.fit("epoch").loss("7 billion", 1e12), id="loss-text"),
    pytest.param(lambda: planner.laws.fit("epoch").loss([1, 2], 1e12), id="loss-list"),
    pytest.param(lambda: planner.Parallelism(recompute=np.array(["full"])), id="Parallelism-recompute-array"),
    pytest.param(lambda: planner.Parallelism(fsdp=["full"]), id="Parallelism-fsdp-list"),
    pytest.param(lambda: planner.memory_sweep(_arch(), tp={1: 2}), id="memory_sweep-tp-dict"),
    pytest.param(lambda: planner.verdict.judge.judge_plan(None, params=1e9, tokens=1e10), id="judge_plan-None"),
    pytest.param(lambda: planner.laws.ladder.judge_ratio("boot", 1e9, 1e10), id="judge_ratio-text"),
    pytest.param(lambda: _dc().optimal(np.ones(3) * 1e21, unique_tokens=np.ones(4) * 1e10),
                 id="data-constrained-optimal-shapes-3-and-4"),
]


def _dc():
    from planner.laws import data_constrained
    return data_constrained


@pytest.mark.parametrize("call", API)
def test_the_api_raises_only_planner_errors(call):
    _only_planner_error(call)


def test_fit_loss_accepts_text_counts_exactly():
    f = planner.laws.fit("epoch")
    assert f.loss("7B", "1e12") == f.loss(7e9, 1e12)


# =================================================================================================
# 6. Messages name what the user typed
# =================================================================================================

ORIGIN = str(ROOT / "data" / "plans" / "origin-case.toml")


def test_a_plan_files_parallelism_is_named_as_written(tmp_path, capsys):
    text = Path(ORIGIN).read_text().replace("zero = 0", "zero = 0\ntp = 7").replace("count = 1", "count = 7")
    p = _write(tmp_path, "tp7.toml", text)
    line = one_line(*run(["report", p], capsys), "plan.parallelism.tp")
    assert "planner: error: plan.parallelism.tp: " in line  # Qwen2.5-0.5B has 2 key/value heads: 7 fits neither way


def test_an_empty_safetensors_config_blames_config_not_params(tmp_path, capsys):
    p = tmp_path / "empty.safetensors"
    p.write_bytes(b"")
    line = one_line(*run(["check", "--config", p, "--steps", "1", "--tokens-per-step", "1"], capsys), "--config")
    assert "--params" not in line


def test_memory_options_override_the_launch_files_sharding(capsys):
    lit = FIX / "litgpt_tinyllama.yaml"  # 8 GPUs: litgpt shards with FSDP
    code, _, err = run(["memory", "--launch-config", lit, "--format", "litgpt", "--gpus", "8", "--zero", "1"], capsys)
    assert code == 0 and err == "", err  # --zero replaces the file's FSDP; it is not "--fsdp and --zero"
    line = one_line(*run(["memory", "--launch-config", lit, "--format", "litgpt", "--gpus", "8", "--zero", "5"],
                         capsys), "--zero")
    assert "--fsdp" not in line


@pytest.mark.parametrize("argv, needle", [
    (["advise", ORIGIN, "-o", "/proc/advice"], "-o: cannot write"),
    (["review", ORIGIN, "-o", "/proc/x.html"], "--output: cannot write"),
    (["fit", ROOT / "data" / "chinchilla_fig4_runs.csv", "--bootstrap", "0", "--save", "/proc/law.toml"], "--save"),
], ids=["advise-proc", "review-proc", "fit-save-proc"])
def test_unwritable_outputs_name_the_option(argv, needle, capsys):
    t = time.monotonic()
    one_line(*run(argv, capsys), needle)
    assert time.monotonic() - t < 20  # refused before a kernel or a fit runs... or right after the fit


def test_an_output_fifo_is_refused_before_any_work(tmp_path, capsys):
    fifo = tmp_path / "out.toml"
    os.mkfifo(fifo)
    one_line(*run(["import", FIX / "megatron_gpt3_175b.sh", "--format", "megatron", "-o", fifo], capsys),
             "is a FIFO (named pipe), not a file to write")


def test_review_kernel_errors_are_one_line_and_exit_2(monkeypatch, capsys):
    from planner.surfaces import review

    class CellExecutionError(Exception):  # what nbconvert raises, by name
        ename, evalue = "InputError", "tp: must be a divisor of the heads\n(more lines of a traceback)"

    def fail(*_, **__):
        raise CellExecutionError("127 lines of kernel traceback")
    monkeypatch.setattr(review, "render_review", fail)
    line = one_line(*run(["review", ORIGIN, "-o", "/tmp/planner-review-test.html"], capsys), "plan:")
    assert line == "planner: error: plan: cannot be reviewed: InputError: tp: must be a divisor of the heads"


def test_fit_counts_take_scientific_notation(capsys):
    code, out, err = run(["fit", ROOT / "data" / "chinchilla_fig4_runs.csv", "--bootstrap", "1e1", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["bootstrap"]["samples"] == 10
    one_line(*run(["fit", ROOT / "data" / "chinchilla_fig4_runs.csv", "--bootstrap", "1.5"], capsys), "--bootstrap")


def test_a_launch_files_bad_layout_names_the_file_not_an_option(tmp_path, capsys):
    text = (FIX / "torchtitan_llama3_8b.toml").read_text()
    assert "tensor_parallel_degree = 1" in text
    p = _write(tmp_path, "job.toml", text.replace("tensor_parallel_degree = 1", "tensor_parallel_degree = 3"))
    line = one_line(*run(["memory", "--launch-config", p, "--format", "torchtitan", "--gpus", "24"], capsys),
                    "job.toml: parallelism.tp:")
    assert "--tp" not in line  # Llama 3 8B has 32 heads: 3 divides neither them nor the 8 key/value heads


def test_every_writer_refuses_what_would_block_clobber_or_fail(tmp_path):
    """planner.files.write_text is the one writer: save_plan and the command line's -o share its refusals."""
    plan = planner.load_plan(ORIGIN)
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    (tmp_path / "kept.toml").write_text("x = 1\n")
    for path, needle in ((fifo, "FIFO"), (tmp_path, "is a directory"), (tmp_path / ("x" * 300), "too long"),
                         (tmp_path / "kept.toml", "exists; pass overwrite=True"),
                         (tmp_path / "missing" / "p.toml", "cannot write")):
        with pytest.raises(planner.PlanFileError, match=needle):
            planner.save_plan(plan, path)
    assert (tmp_path / "kept.toml").read_text() == "x = 1\n"
    assert planner.load_plan(planner.save_plan(plan, tmp_path / "kept.toml", overwrite=True)) == plan


def test_a_directory_is_named_once_not_wrapped_in_a_second_message():
    with pytest.raises(planner.ConfigError) as e:
        planner.files.read_text(ROOT / "data", "config")
    assert str(e.value).count("directory") == 1 and "not a usable file path" not in str(e.value)
