"""Hostile input at the command line: every bad file, value or option combination exits 2 with exactly one
line on stderr that names the problem, and no traceback ever escapes.

Extends the bad-input cases of ``test_cli.py`` (not repeated here) to ``planner params``, ``check``,
``report`` and ``optimal``. ``REGRESSION_CASES`` pin inputs that once escaped as a traceback or were
accepted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from planner.cli import main

# ---- files: generated once per module in a temporary directory -----------------------------------

BASE_CFG = {"model_type": "llama", "hidden_size": 896, "num_hidden_layers": 24, "num_attention_heads": 14,
            "num_key_value_heads": 2, "intermediate_size": 4864, "vocab_size": 151936, "tie_word_embeddings": True}
MIXTRAL_CFG = {"model_type": "mixtral", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
               "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100, "num_local_experts": 4,
               "num_experts_per_tok": 2}
QWEN3_MOE_CFG = {"model_type": "qwen3_moe", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100, "num_experts": 4,
                 "num_experts_per_tok": 2, "moe_intermediate_size": 32}
# The seven dimensions of a config.json, as Hugging Face spells them.
DIM_KEYS = ("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "intermediate_size",
            "num_key_value_heads", "head_dim")


def cfg(**changes) -> str:
    """BASE_CFG with changes (a value of ... drops the key), as JSON text."""
    c = {**BASE_CFG, **changes}
    return json.dumps({k: v for k, v in c.items() if v is not ...})


def plan(model: str = "params = 1000", training: str = "steps = 10\ntokens_per_step = 1000",
         hardware: str = 'accelerator = "a100"', extra: str = "", top: str = "") -> str:
    return (f'name = "hostile"\n{top}\n[model]\n{model}\n[training]\n{training}\n'
            f"[hardware]\n{hardware}\n{extra}\n")


# Absurd sizes: a 1e30 hidden size, as an exact JSON integer and as a JSON float.
ABSURD = {"model_type": "llama", "num_hidden_layers": 2, "num_attention_heads": 16, "intermediate_size": 10,
          "vocab_size": 10}
ABSURD_INT_TEXT = json.dumps({**ABSURD, "hidden_size": 10**30})
ABSURD_FLOAT_TEXT = json.dumps(ABSURD)[:-1] + ', "hidden_size": 1e30}'

FILES: dict[str, str | bytes] = {
    # config.json files that are not configs
    "empty.json": "",
    "blank.json": "  \n\t\n",
    "binary.json": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
    "utf16.json": cfg().encode("utf-16"),
    "list.json": "[1, 2, 3]",
    "string.json": '"a config"',
    "number.json": "42",
    "null.json": "null",
    "true.json": "true",
    "nested-list.json": json.dumps([BASE_CFG]),
    "plan-as-config.json": plan(),
    # strings, booleans, zero, negative, fractional and non-finite numbers where dimensions belong
    **{f"str-{k}.json": cfg(**{k: "large"}) for k in DIM_KEYS},
    "numeric-words-hidden_size.json": cfg(hidden_size="896 units"),
    "bool-hidden_size.json": cfg(hidden_size=True),
    "bool-num_hidden_layers.json": cfg(num_hidden_layers=False),
    "bool-vocab_size.json": cfg(vocab_size=True),
    "bool-head_dim.json": cfg(head_dim=True),
    "zero-hidden_size.json": cfg(hidden_size=0),
    "zero-num_hidden_layers.json": cfg(num_hidden_layers=0),
    "neg-num_attention_heads.json": cfg(num_attention_heads=-14),
    "neg-vocab_size.json": cfg(vocab_size=-1),
    "zero-intermediate_size.json": cfg(intermediate_size=0),
    "neg-num_key_value_heads.json": cfg(num_key_value_heads=-2),
    "zero-head_dim.json": cfg(head_dim=0),
    "frac-hidden_size.json": cfg(hidden_size=896.5),
    "frac-num_attention_heads.json": cfg(num_attention_heads=14.5),
    "frac-vocab_size.json": cfg(vocab_size=151936.25),
    "nan-hidden_size.json": cfg()[:-1] + ', "hidden_size": NaN}',
    "inf-num_hidden_layers.json": cfg()[:-1] + ', "num_hidden_layers": Infinity}',
    "neginf-vocab_size.json": cfg()[:-1] + ', "vocab_size": -Infinity}',
    "list-intermediate_size.json": cfg(intermediate_size=[4864]),
    "object-hidden_size.json": cfg(hidden_size={"value": 896}),
    # heads that do not fit
    "heads-not-dividing-hidden.json": cfg(num_attention_heads=15, num_key_value_heads=5),
    "kv-not-dividing-heads.json": cfg(num_key_value_heads=3),
    "kv-more-than-heads.json": cfg(num_key_value_heads=16),
    # model types
    "type-unknown.json": cfg(model_type="not-a-model-type"),
    "type-capitalised.json": cfg(model_type="Llama"),
    "type-missing.json": cfg(model_type=...),
    "type-number.json": cfg(model_type=5),
    "type-list.json": cfg(model_type=["llama"]),
    "type-null.json": cfg(model_type=None),
    "type-empty.json": cfg(model_type=""),
    # flags and MoE
    "flag-string.json": cfg(tie_word_embeddings="yes"),
    "moe-top-k-gt-experts.json": json.dumps({**MIXTRAL_CFG, "num_experts_per_tok": 8}),
    "moe-zero-experts.json": json.dumps({**MIXTRAL_CFG, "num_local_experts": 0}),
    "moe-experts-missing.json": json.dumps({k: v for k, v in MIXTRAL_CFG.items() if k != "num_local_experts"}),
    "moe-mlp-only-layers-string.json": json.dumps({**QWEN3_MOE_CFG, "mlp_only_layers": "all"}),
    "qwen3-moe-top-k-gt-experts.json": json.dumps({**QWEN3_MOE_CFG, "num_experts_per_tok": 5}),
    # parser bombs
    "deep.json": "[" * 100_000 + "]" * 100_000,
    "bigint.json": cfg()[:-1] + ', "hidden_size": 1' + "0" * 5000 + "}",
    # absurd sizes
    "absurd-int.json": ABSURD_INT_TEXT,
    "absurd-float.json": ABSURD_FLOAT_TEXT,
    "absurd-1e300.json": json.dumps(ABSURD)[:-1] + ', "hidden_size": 1e300}',
    "valid.json": cfg(),
    # plan files
    "empty.toml": "",
    "binary.toml": b"\x00\x01\x02\xff\xfe\x00",
    "invalid.toml": "name = \n[model\n",
    "json-as-plan.toml": cfg(),
    "unknown-top-key.toml": plan(top="owner = \"me\""),
    "unknown-model-key.toml": plan(model="params = 1000\nsize = 5"),
    "unknown-training-key.toml": plan(training="steps = 10\ntokens_per_step = 1000\nepochs = 2"),
    "unknown-hardware-key.toml": plan(hardware='accelerator = "a100"\ngpus = 8'),
    "unknown-corpus-key.toml": plan(extra="[corpus]\ntokens = 1e9"),
    "unknown-thresholds-key.toml": plan(extra="[thresholds]\nwarn = 15"),
    "unknown-law-key.toml": plan(extra="[law]\nfit = \"epoch\"\nalpha = 0.3"),
    "unknown-table.toml": plan(extra="[optimizer]\nlr = 3e-4"),
    "steps-string.toml": plan(training='steps = "many"\ntokens_per_step = 1000'),
    "steps-float.toml": plan(training="steps = 2.5\ntokens_per_step = 1000"),
    "steps-bool.toml": plan(training="steps = true\ntokens_per_step = 1000"),
    "steps-negative.toml": plan(training="steps = -1\ntokens_per_step = 1000"),
    "steps-missing.toml": plan(training="tokens_per_step = 1000"),
    "count-list.toml": plan(hardware='accelerator = "a100"\ncount = [1]'),
    "count-zero.toml": plan(hardware='accelerator = "a100"\ncount = 0'),
    "steps-nan.toml": plan(training="steps = nan\ntokens_per_step = 1000"),
    "tokens-per-step-inf.toml": plan(training="steps = 10\ntokens_per_step = inf"),
    "params-nan.toml": plan(model="params = nan"),
    "params-string.toml": plan(model='params = "huge"'),
    "mfu-inf.toml": plan(hardware='accelerator = "a100"\nmfu = inf'),
    "mfu-above-one.toml": plan(hardware='accelerator = "a100"\nmfu = 1.5'),
    "price-negative-inf.toml": plan(hardware='accelerator = "a100"\nprice_per_gpu_hour = -inf'),
    "unique-tokens-nan.toml": plan(extra="[corpus]\nunique_tokens = nan"),
    "optimal-inf.toml": plan(extra="[thresholds]\noptimal = inf"),
    "thresholds-out-of-order.toml": plan(extra="[thresholds]\nsevere = 30\nblock = 10\noptimal = 20"),
    "causal-int.toml": plan(hardware='accelerator = "a100"\ncausal_attention_halving = 1'),
    "name-not-string.toml": 'name = 5\n' + plan().split("\n", 1)[1],
    "training-not-table.toml": 'training = 5\n[model]\nparams = 1000\n',
    "model-missing.toml": "[training]\nsteps = 10\ntokens_per_step = 1000\n",
    "two-models.toml": plan(model='params = 1000\ncatalog = "gpt2"'),
    "batch-and-tokens-per-step.toml": plan(training="steps = 10\ntokens_per_step = 1000\nmicro_batch = 2"),
    "seq-len-missing.toml": plan(training="steps = 10\nmicro_batch = 2"),
    "config-missing-file.toml": plan(model='config = "does-not-exist.json"'),
    "config-binary.toml": plan(model='config = "binary.json"'),
    "config-not-string.toml": plan(model="config = 5"),
    "config-bad-dimension.toml": plan(model='config = "frac-hidden_size.json"'),
    "catalog-unknown.toml": plan(model='catalog = "gpt-17"'),
    "accelerator-unknown.toml": plan(hardware='accelerator = "h1000"'),
    "corpus-unknown.toml": plan(extra='[corpus]\nname = "the-whole-internet"'),
    "fit-unknown.toml": plan(extra='[law]\nfit = "kaplan"'),
    "param-kind-unknown.toml": plan(model='params = 1000\nparam_kind = "embedding"'),
    "dimensions-heads-not-dividing.toml": plan(model="[model.dimensions]\nnum_layers = 2\nhidden_size = 10\n"
                                                     "num_heads = 3\nvocab_size = 100"),
    "dimensions-unknown-field.toml": plan(model="[model.dimensions]\nnum_layers = 2\nhidden_size = 8\n"
                                                "num_heads = 2\nvocab_size = 100\nwidth = 8"),
    "dimensions-string.toml": plan(model='dimensions = "small"'),
    # plan files that trip bugs
    "deep.toml": plan(extra="[law]\nfit = " + "[" * 100_000 + "]" * 100_000),
    "steps-5000-digits.toml": plan(training="steps = 1" + "0" * 5000 + "\ntokens_per_step = 1"),
    "steps-400-digits.toml": plan(training="steps = 1" + "0" * 400 + "\ntokens_per_step = 1"),
    "count-400-digits.toml": plan(hardware='accelerator = "a100"\ncount = 1' + "0" * 400),
    "config-1e300.toml": plan(model='config = "absurd-1e300.json"'),
    "mfu-list.toml": plan(hardware='accelerator = "a100"\nmfu = [0.4]'),
    "price-list.toml": plan(hardware='accelerator = "a100"\nprice_per_gpu_hour = [2.0]'),
    "unique-tokens-list.toml": plan(extra="[corpus]\nunique_tokens = [1e9]"),
    "thresholds-list.toml": plan(extra="[thresholds]\nsevere = [1, 2]"),
    "fit-list.toml": plan(extra='[law]\nfit = ["epoch"]'),
    "fit-table.toml": plan(extra="[law]\nfit = {name = \"epoch\"}"),
    "grad-accum-zero.toml": plan(training="steps = 10\nmicro_batch = 2\nseq_len = 8\ngrad_accum = 0"),
    "data-parallel-false.toml": plan(training="steps = 10\nmicro_batch = 2\nseq_len = 8\ndata_parallel = false"),
    "micro-batch-negative.toml": plan(training="steps = 10\nmicro_batch = -2\nseq_len = 8"),
    "mfu-tiny.toml": plan(model="params = 10000000000000", training="steps = 100000\ntokens_per_step = 1000000000",
                          hardware='accelerator = "a100"\nmfu = 1e-320'),
    "price-huge.toml": plan(model="params = 10000000000000", training="steps = 100000\ntokens_per_step = 1000000000",
                            hardware='accelerator = "a100"\nprice_per_gpu_hour = 1e308'),
    # valid plans
    "absurd.toml": plan(model='config = "absurd-int.json"'),
    "valid.toml": plan(model='config = "valid.json"',
                       training="steps = 1000\nmicro_batch = 8\nseq_len = 2048\ngrad_accum = 4",
                       hardware='accelerator = "h100-sxm"\ncount = 8\nprice_per_gpu_hour = 2.5',
                       extra="[corpus]\nunique_tokens = 1e9"),
}


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    for name, content in FILES.items():
        p = root / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    (root / "a-directory.json").mkdir()
    (root / "a-directory.toml").mkdir()
    unreadable = root / "unreadable.json"
    unreadable.write_text(cfg())
    unreadable.chmod(0)
    comments = "".join(f"# comment line {i:06d} " + "x" * 80 + "\n" for i in range(10_500))  # ~1 MB
    (root / "huge-comments.toml").write_text(comments + FILES["valid.toml"] + comments)
    yield root
    unreadable.chmod(0o644)


def run(argv, d, capsys):
    code = main([a.format(d=d) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_guarded(argv, d, capsys):
    """``run`` for inputs that once escaped: an escaping exception fails in one line (formatting a
    RecursionError's thousand-frame traceback would take seconds)."""
    try:
        return run(argv, d, capsys)
    except Exception as e:  # noqa: BLE001 - any escape is the failure
        pytest.fail(f"{type(e).__name__} escaped main(): {str(e)[:200]}", pytrace=False)


def norm(s: str) -> str:
    """Compare field names loosely on '-' vs '_' (the CLI spells options with '-', files with '_')."""
    return s.replace("-", "_")


def assert_one_line_error(code, out, err, needles) -> None:
    assert "Traceback" not in out + err
    assert code == 2, (code, out[-300:], err[-300:])
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("planner: error: ")
    assert any(norm(n) in norm(lines[0]) for n in needles), (needles, lines[0])


def case(argv: str | list[str], *needles: str, id: str, marks=()):
    """One command line (a string split on spaces, or a list) and the substrings of which one must be named."""
    return pytest.param(argv.split(" ") if isinstance(argv, str) else argv, needles, id=id, marks=marks)


CHECK = "check --params 1000 --steps 10 --tokens-per-step 1000"
LAYOUT = "check --params 1000 --steps 10 --micro-batch 2 --seq-len 8"

CASES = [
    # ---- planner params: files that are not configs ----
    case("params {d}/blank.json", "empty", id="params-whitespace-only-file"),
    case("params {d}/utf16.json", "not a text file", id="params-utf16-file"),
    case("params {d}/string.json", "JSON object", id="params-json-string"),
    case("params {d}/number.json", "JSON object", id="params-json-number"),
    case("params {d}/null.json", "JSON object", id="params-json-null"),
    case("params {d}/true.json", "JSON object", id="params-json-true"),
    case("params {d}/nested-list.json", "JSON object", id="params-json-list-of-configs"),
    case("params {d}/plan-as-config.json", "not valid JSON", id="params-toml-passed-as-config"),
    case("params {d}/unreadable.json", "cannot read", "Permission", id="params-unreadable-chmod-000",
         marks=pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file; see path-inside-a-file")),
    case("params {d}/valid.json/x", "not found", "cannot read", "Not a directory", id="params-path-inside-a-file"),
    case("params {d}/no-such-dir/config.json", "not found", id="params-missing-directory"),
    # ---- planner params: strings, booleans, zero, negative, fractional, non-finite dimensions ----
    *[case(f"params {{d}}/str-{k}.json", f"config.{k}", id=f"params-string-{k}") for k in DIM_KEYS],
    case("params {d}/numeric-words-hidden_size.json", "config.hidden_size", id="params-string-with-units"),
    case("params {d}/bool-hidden_size.json", "config.hidden_size", id="params-bool-hidden_size"),
    case("params {d}/bool-num_hidden_layers.json", "config.num_hidden_layers", id="params-bool-num_hidden_layers"),
    case("params {d}/bool-vocab_size.json", "config.vocab_size", id="params-bool-vocab_size"),
    case("params {d}/bool-head_dim.json", "config.head_dim", id="params-bool-head_dim"),
    case("params {d}/zero-hidden_size.json", "config.hidden_size", id="params-zero-hidden_size"),
    case("params {d}/zero-num_hidden_layers.json", "config.num_hidden_layers", id="params-zero-layers"),
    case("params {d}/neg-num_attention_heads.json", "config.num_attention_heads", id="params-negative-heads"),
    case("params {d}/neg-vocab_size.json", "config.vocab_size", id="params-negative-vocab"),
    case("params {d}/zero-intermediate_size.json", "config.intermediate_size", id="params-zero-intermediate"),
    case("params {d}/neg-num_key_value_heads.json", "config.num_key_value_heads", id="params-negative-kv-heads"),
    case("params {d}/zero-head_dim.json", "config.head_dim", id="params-zero-head_dim"),
    case("params {d}/frac-hidden_size.json", "config.hidden_size", id="params-fractional-hidden-896.5"),
    case("params {d}/frac-num_attention_heads.json", "config.num_attention_heads", id="params-fractional-heads"),
    case("params {d}/frac-vocab_size.json", "config.vocab_size", id="params-fractional-vocab"),
    case("params {d}/nan-hidden_size.json", "config.hidden_size", id="params-NaN-hidden_size"),
    case("params {d}/inf-num_hidden_layers.json", "config.num_hidden_layers", id="params-Infinity-layers"),
    case("params {d}/neginf-vocab_size.json", "config.vocab_size", id="params-minus-Infinity-vocab"),
    case("params {d}/list-intermediate_size.json", "config.intermediate_size", id="params-list-intermediate"),
    case("params {d}/object-hidden_size.json", "config.hidden_size", id="params-object-hidden_size"),
    # ---- heads that do not fit: the message names the key of the config file ----
    case("params {d}/heads-not-dividing-hidden.json", "num_heads", "num_attention_heads",
         id="params-heads-not-dividing-hidden-without-head_dim"),
    case("params {d}/kv-not-dividing-heads.json", "num_kv_heads", "num_key_value_heads",
         id="params-kv-heads-not-dividing-heads"),
    case("params {d}/kv-more-than-heads.json", "num_kv_heads", "num_key_value_heads", id="params-kv-heads-gt-heads"),
    # ---- model types ----
    case("params {d}/type-unknown.json", "config.model_type", id="params-unknown-model-type"),
    case("params {d}/type-capitalised.json", "config.model_type", id="params-model-type-wrong-case"),
    case("params {d}/type-missing.json", "config.model_type", id="params-model-type-missing"),
    case("params {d}/type-number.json", "config.model_type", id="params-model-type-number"),
    case("params {d}/type-list.json", "config.model_type", id="params-model-type-list"),
    case("params {d}/type-null.json", "config.model_type", id="params-model-type-null"),
    case("params {d}/type-empty.json", "config.model_type", id="params-model-type-empty-string"),
    # ---- flags and MoE ----
    case("params {d}/flag-string.json", "config.tie_word_embeddings", id="params-flag-as-string"),
    case("params {d}/moe-top-k-gt-experts.json", "experts_per_tok", id="params-mixtral-top-k-gt-experts"),
    case("params {d}/qwen3-moe-top-k-gt-experts.json", "experts_per_tok", id="params-qwen3-moe-top-k-gt-experts"),
    case("params {d}/moe-zero-experts.json", "config.num_local_experts", id="params-mixtral-zero-experts"),
    case("params {d}/moe-experts-missing.json", "config.num_local_experts", id="params-mixtral-experts-missing"),
    case("params {d}/moe-mlp-only-layers-string.json", "config.mlp_only_layers", id="params-qwen3-moe-bad-layer-list"),
    case("params nosuchmodel-9000b", "nosuchmodel-9000b", id="params-unknown-catalog-name"),
    case("params", "config", id="params-no-argument"),
    # ---- planner check ----
    case("check --config {d}/empty.json --steps 1 --tokens-per-step 1", "empty", id="check-empty-config"),
    case("check --config {d}/binary.json --steps 1 --tokens-per-step 1", "not a text file", id="check-binary-config"),
    case("check --config {d}/list.json --steps 1 --tokens-per-step 1", "JSON object", id="check-json-list-config"),
    case("check --config {d}/missing.json --steps 1 --tokens-per-step 1", "not found", id="check-missing-config"),
    case("check --config {d}/a-directory.json --steps 1 --tokens-per-step 1", "directory",
         id="check-directory-as-config"),
    case("check --config {d}/valid.json/x --steps 1 --tokens-per-step 1", "not found", "Not a directory",
         id="check-path-inside-a-file"),
    case("check --config {d}/heads-not-dividing-hidden.json --steps 1 --tokens-per-step 1", "num_heads",
         "num_attention_heads", id="check-heads-not-dividing-hidden"),
    case("check --config {d}/valid.json --params 1000 --steps 1 --tokens-per-step 1", "not allowed",
         id="check-config-and-params-conflict"),
    case("check --model gpt2 --config {d}/valid.json --steps 1 --tokens-per-step 1", "not allowed",
         id="check-model-and-config-conflict"),
    case(CHECK + " --grad-accum 2", "--tokens-per-step", id="check-tokens-per-step-with-grad-accum"),
    case(CHECK + " --data-parallel 8", "--tokens-per-step", id="check-tokens-per-step-with-data-parallel"),
    case(CHECK + " --micro-batch 2", "--tokens-per-step", id="check-tokens-per-step-with-micro-batch"),
    case("check --params 1000 --steps 10 --micro-batch 2 --grad-accum 4", "--seq-len",
         id="check-layout-without-seq-len"),
    case("check --params 1000 --steps 10 --seq-len 8", "--micro-batch", id="check-layout-without-micro-batch"),
    case("check --params 1000 --tokens-per-step 1000", "--steps", id="check-steps-missing"),
    case(CHECK + " --param-kind embedding", "--param-kind", id="check-unknown-param-kind"),
    case(CHECK + " --severe 30", "--severe", id="check-severe-above-block"),
    case(CHECK + " --block 25", "--block", id="check-block-above-optimal"),
    case(CHECK + " --block inf", "block", id="check-block-inf"),
    case(CHECK + " --optimal 0", "optimal", id="check-optimal-zero"),
    case(CHECK + " --severe=-5", "severe", id="check-severe-negative"),
    case(CHECK + " --severe five", "severe", id="check-severe-not-a-number"),
    case("check --params 1000 --steps true --tokens-per-step 1000", "--steps", id="check-steps-bool"),
    case("check --params 1000 --steps 10 --tokens-per-step 1e-3", "--tokens-per-step", id="check-tps-fraction"),
    case("check --params 1.0001K --steps 10 --tokens-per-step 1000", "--params", id="check-params-fractional-suffix"),
    case("check --params 7X --steps 10 --tokens-per-step 1000", "--params", id="check-params-unknown-suffix"),
    case("check --params 0x10 --steps 10 --tokens-per-step 1000", "--params", id="check-params-hex"),
    case("check --params 1e400 --steps 10 --tokens-per-step 1.5", "--tokens-per-step", "--params",
         id="check-tps-fraction-with-huge-params"),
    case(LAYOUT.replace("--micro-batch 2", "--micro-batch 2.5"), "--micro-batch", id="check-micro-batch-fraction"),
    case(LAYOUT.replace("--seq-len 8", "--seq-len 0"), "--seq-len", id="check-seq-len-zero"),
    case(LAYOUT + " --data-parallel -4", "--data-parallel", id="check-data-parallel-negative"),
    case(LAYOUT + " --grad-accum 0", "--grad-accum", id="check-grad-accum-zero"),
    case(LAYOUT + " --grad-accum nan", "--grad-accum", id="check-grad-accum-nan"),
    case(CHECK + " --prior-tokens nan", "--prior-tokens", id="check-prior-tokens-nan"),
    case(CHECK + " --prior-tokens 1.5", "--prior-tokens", id="check-prior-tokens-fraction"),
    case(CHECK + " --bogus-flag", "unrecognized", id="check-unknown-option"),
    # ---- planner report ----
    case("report {d}/missing.toml", "not found", id="report-missing-plan"),
    case("report {d}/a-directory.toml", "directory", id="report-directory-as-plan"),
    case("report {d}/valid.toml/x", "cannot read", "not found", "Not a directory", id="report-path-inside-a-file"),
    case("report {d}/empty.toml", "plan.model", id="report-empty-plan"),
    case("report {d}/binary.toml", "not a text file", id="report-binary-plan"),
    case("report {d}/invalid.toml", "not valid TOML", id="report-invalid-toml"),
    case("report {d}/json-as-plan.toml", "not valid TOML", id="report-json-passed-as-plan"),
    case("report {d}/unknown-top-key.toml", "plan.owner", id="report-unknown-top-level-key"),
    case("report {d}/unknown-model-key.toml", "plan.model.size", id="report-unknown-model-key"),
    case("report {d}/unknown-training-key.toml", "plan.training.epochs", id="report-unknown-training-key"),
    case("report {d}/unknown-hardware-key.toml", "plan.hardware.gpus", id="report-unknown-hardware-key"),
    case("report {d}/unknown-corpus-key.toml", "plan.corpus.tokens", id="report-unknown-corpus-key"),
    case("report {d}/unknown-thresholds-key.toml", "plan.thresholds.warn", id="report-unknown-thresholds-key"),
    case("report {d}/unknown-law-key.toml", "plan.law.alpha", id="report-unknown-law-key"),
    case("report {d}/unknown-table.toml", "plan.optimizer", id="report-unknown-table"),
    case("report {d}/steps-string.toml", "plan.training.steps", id="report-steps-many"),
    case("report {d}/steps-float.toml", "plan.training.steps", id="report-steps-fractional"),
    case("report {d}/steps-bool.toml", "plan.training.steps", id="report-steps-bool"),
    case("report {d}/steps-negative.toml", "plan.training.steps", id="report-steps-negative"),
    case("report {d}/steps-missing.toml", "plan.training.steps", id="report-steps-missing"),
    case("report {d}/count-list.toml", "plan.hardware.count", id="report-count-list"),
    case("report {d}/count-zero.toml", "plan.hardware.count", id="report-count-zero"),
    case("report {d}/steps-nan.toml", "plan.training.steps", id="report-steps-nan"),
    case("report {d}/tokens-per-step-inf.toml", "plan.training.tokens_per_step", id="report-tokens-per-step-inf"),
    case("report {d}/params-nan.toml", "plan.model.params", id="report-params-nan"),
    case("report {d}/params-string.toml", "plan.model.params", id="report-params-string"),
    case("report {d}/mfu-inf.toml", "plan.hardware.mfu", id="report-mfu-inf"),
    case("report {d}/mfu-above-one.toml", "plan.hardware.mfu", id="report-mfu-above-one"),
    case("report {d}/price-negative-inf.toml", "plan.hardware.price_per_gpu_hour", id="report-price-minus-inf"),
    case("report {d}/unique-tokens-nan.toml", "plan.corpus.unique_tokens", id="report-unique-tokens-nan"),
    case("report {d}/optimal-inf.toml", "plan.thresholds", id="report-optimal-inf"),
    case("report {d}/thresholds-out-of-order.toml", "plan.thresholds", id="report-thresholds-out-of-order"),
    case("report {d}/causal-int.toml", "plan.hardware.causal_attention_halving", id="report-causal-flag-int"),
    case("report {d}/name-not-string.toml", "plan.name", id="report-name-not-string"),
    case("report {d}/training-not-table.toml", "plan.training", id="report-training-not-a-table"),
    case("report {d}/model-missing.toml", "plan.model", id="report-model-missing"),
    case("report {d}/two-models.toml", "plan.model", id="report-two-models"),
    case("report {d}/batch-and-tokens-per-step.toml", "plan.training.tokens_per_step",
         id="report-batch-layout-and-tokens-per-step"),
    case("report {d}/seq-len-missing.toml", "plan.training.seq_len", id="report-seq-len-missing"),
    case("report {d}/config-missing-file.toml", "does-not-exist.json", id="report-config-points-to-missing-file"),
    case("report {d}/config-binary.toml", "not a text file", id="report-config-points-to-binary-file"),
    case("report {d}/config-not-string.toml", "plan.model.config", id="report-config-not-a-string"),
    case("report {d}/config-bad-dimension.toml", "config.hidden_size", id="report-config-with-bad-dimension"),
    case("report {d}/catalog-unknown.toml", "plan.model.catalog", id="report-unknown-catalog-model"),
    case("report {d}/accelerator-unknown.toml", "plan.hardware.accelerator", id="report-unknown-accelerator"),
    case("report {d}/corpus-unknown.toml", "plan.corpus.name", id="report-unknown-corpus"),
    case("report {d}/fit-unknown.toml", "plan.law.fit", id="report-unknown-fit"),
    case("report {d}/param-kind-unknown.toml", "plan.model.param_kind", id="report-unknown-param-kind"),
    case("report {d}/dimensions-heads-not-dividing.toml", "plan.model.dimensions.num_heads",
         id="report-dimensions-heads-not-dividing"),
    case("report {d}/dimensions-unknown-field.toml", "plan.model.dimensions", id="report-dimensions-unknown-field"),
    case("report {d}/dimensions-string.toml", "plan.model.dimensions", id="report-dimensions-not-a-table"),
    case("report {d}/micro-batch-negative.toml", "plan.training.micro_batch", id="report-micro-batch-negative"),
    case("report", "plan", id="report-no-argument"),
    # ---- planner optimal ----
    case("optimal --flops abc", "--flops", id="optimal-flops-not-a-number"),
    case("optimal --flops=-1e21", "--flops", id="optimal-flops-negative"),
    case("optimal --flops 0", "--flops", id="optimal-flops-zero"),
    case("optimal --flops nan", "--flops", id="optimal-flops-nan"),
    case("optimal --flops inf", "--flops", id="optimal-flops-inf"),
    case("optimal --flops 1e400", "--flops", id="optimal-flops-overflows-to-inf"),
    case(["optimal", "--flops", ""], "--flops", id="optimal-flops-empty"),
    case("optimal --flops 1e21 --fit kaplan", "--fit", id="optimal-unknown-fit"),
    case("optimal", "--flops", id="optimal-flops-missing"),
    case("optimal --flops 1e21 --flops-per-gpu 5", "unrecognized", id="optimal-unknown-option"),
    # ---- no command at all ----
    case([], "command", "required", id="empty-command-line"),
]


@pytest.mark.parametrize("argv, needles", CASES)
def test_hostile_input_exits_2_with_one_line_naming_the_problem(argv, needles, d, capsys):
    code, out, err = run(argv, d, capsys)
    assert_one_line_error(code, out, err, needles)


# ---- bugs: hostile input that escapes as a traceback, or is accepted ------------------------------




REGRESSION_CASES = [
    case("params {d}/deep.json", "config", id="params-deeply-nested-json-RecursionError"),
    case("params {d}/bigint.json", "config.hidden_size", "config", id="params-5000-digit-int-ValueError"),
    case("report {d}/deep.toml", "plan", id="report-deeply-nested-toml-RecursionError"),
    case("report {d}/steps-5000-digits.toml", "plan", id="report-5000-digit-steps-ValueError"),
    case("report {d}/mfu-list.toml", "plan.hardware.mfu", id="report-mfu-list-TypeError"),
    case("report {d}/price-list.toml", "plan.hardware.price_per_gpu_hour", id="report-price-list-TypeError"),
    case("report {d}/unique-tokens-list.toml", "plan.corpus.unique_tokens", id="report-unique-tokens-list-TypeError"),
    case("report {d}/thresholds-list.toml", "plan.thresholds", id="report-thresholds-list-ValueError"),
    case("report {d}/fit-list.toml", "plan.law.fit", id="report-fit-list-TypeError"),
    case("report {d}/fit-table.toml", "plan.law.fit", id="report-fit-table-TypeError"),
    case("report {d}/grad-accum-zero.toml", "plan.training.grad_accum", id="report-grad-accum-zero-accepted"),
    case("report {d}/data-parallel-false.toml", "plan.training.data_parallel",
         id="report-data-parallel-false-accepted"),
]


@pytest.mark.parametrize("argv, needles", REGRESSION_CASES)
def test_hostile_input_that_once_escaped(argv, needles, d, capsys):
    code, out, err = run_guarded(argv, d, capsys)
    assert_one_line_error(code, out, err, needles)


def strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"non-finite number in JSON output: {constant}")
    return json.loads(text, parse_constant=refuse)



OVERFLOW_CASES = [
    case("report --json {d}/steps-400-digits.toml", "plan.training.steps", id="report-400-digit-steps"),
    case("report --json {d}/count-400-digits.toml", "plan.hardware.count", id="report-400-digit-count"),
    case("report --json {d}/config-1e300.toml", "hidden_size", id="report-hidden-size-1e300"),
    case("check --json --params 1 --steps 1e400 --tokens-per-step 1", "--steps", id="check-steps-1e400"),
    case("check --json --params 1e5000 --steps 1 --tokens-per-step 1", "--params", id="check-params-1e5000"),
    case("check --json --params 1e999999999 --steps 1 --tokens-per-step 1", "--params", id="check-params-1e999999999"),
    case("report --json {d}/mfu-tiny.toml", "plan.hardware.mfu", id="report-mfu-1e-320-gpu-hours-inf"),
    case("report --json {d}/price-huge.toml", "plan.hardware.price_per_gpu_hour", id="report-price-1e308-cost-inf"),
]


@pytest.mark.parametrize("argv, needles", OVERFLOW_CASES)
def test_absurd_numbers_give_a_clear_error_or_finite_json(argv, needles, d, capsys):
    code, out, err = run_guarded(argv, d, capsys)
    assert "Traceback" not in out + err
    if code == 2:
        assert_one_line_error(code, out, err, needles)
    else:
        assert code in (0, 1)
        strict_json(out)




@pytest.mark.parametrize("argv, expected, not_expected", [
    pytest.param("report {d}/micro-batch-negative.toml", "planner: error: plan.training.micro_batch:", "--plan",
                 id="report-plan-field"),
    pytest.param("report {d}/missing.toml", "not found", "--plan", id="report-missing-plan"),
    pytest.param("params nosuchmodel-9000b", "nosuchmodel-9000b", "--model", id="params-positional-name"),
    pytest.param(CHECK + " --block 25", "--block", "--thresholds", id="check-block-option"),
])
def test_errors_name_the_field_as_the_user_wrote_it(argv, expected, not_expected, d, capsys):
    code, out, err = run(argv.split(" "), d, capsys)
    assert code == 2 and expected in err and not_expected not in err, err




@pytest.mark.parametrize("name, key", [
    ("kv-not-dividing-heads.json", "config.num_key_value_heads"),
    ("kv-more-than-heads.json", "config.num_key_value_heads"),
    ("heads-not-dividing-hidden.json", "config.num_attention_heads"),
    ("moe-top-k-gt-experts.json", "config.num_experts_per_tok"),
], ids=["kv-not-dividing", "kv-gt-heads", "heads-not-dividing-hidden", "mixtral-top-k"])
def test_config_errors_name_the_key_in_the_config_file(name, key, d, capsys):
    code, out, err = run(["params", f"{{d}}/{name}"], d, capsys)
    assert code == 2 and f"error: {key}:" in err, err


# ---- absurd but valid: exact and finite, never a hang or an overflow ------------------------------


@pytest.mark.parametrize("argv, needle", [
    (["params", "{d}/absurd-int.json", "--json"], "config.hidden_size"),
    (["params", "{d}/absurd-float.json"], "config.hidden_size"),
    (["check", "--config", "{d}/absurd-int.json", "--steps", "10", "--tokens-per-step", "1000"], "config.hidden_size"),
    (["report", "{d}/absurd.toml"], "plan.model.config"),
], ids=["params-json-int", "params-json-float", "check", "report"])
def test_a_1e30_hidden_size_is_refused_in_one_line(argv, needle, d, capsys):
    # Dimensions are capped at 10**9 (planner.model.architecture.MAX_DIM): a clear error, never an overflow or a hang.
    code, out, err = run(argv, d, capsys)
    assert_one_line_error(code, out, err, (needle,))
    assert "1,000,000,000" in err


def test_a_1_mb_plan_file_of_comments_still_works(d, capsys):
    assert (d / "huge-comments.toml").stat().st_size > 1_000_000
    plain = run(["report", "--json", "{d}/valid.toml"], d, capsys)
    huge = run(["report", "--json", "{d}/huge-comments.toml"], d, capsys)
    assert huge[0] == plain[0] == 1  # 1,000 steps x 65,536 tokens on ~494M parameters: blocked
    a, b = strict_json(plain[1]), strict_json(huge[1])
    assert a == b and b["tokens"] == 65_536_000
    assert b["params"] == strict_json(run(["params", "--json", "{d}/valid.json"], d, capsys)[1])["total"]


# ---- through a real process: nothing escapes as a traceback ---------------------------------------

@pytest.mark.parametrize("argv, needle", [
    (["params", "{d}/binary.json"], "not a text file"),
    (["report", "{d}/steps-nan.toml"], "plan.training.steps"),
    (["check", "--config", "{d}/type-list.json", "--steps", "1", "--tokens-per-step", "1"], "config.model_type"),
], ids=["params-binary", "report-nan-steps", "check-model-type-list"])
def test_python_m_planner_prints_one_line_and_no_traceback(argv, needle, d):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    p = subprocess.run([sys.executable, "-m", "planner", *[a.format(d=d) for a in argv]], capture_output=True,
                       text=True, env=env, cwd=d, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert "Traceback" not in p.stderr and len(p.stderr.splitlines()) == 1 and needle in p.stderr
