"""An architecture for a target N: exact counts within 2%, sane shapes, the family's rules, bad input."""

import json
import math

import pytest

import planner
from planner.cli import main
from planner.model.shapes import FAMILIES, aspect_range, propose_shapes


def llama_by_hand(L, d, h, kv, e, f, V, tied):
    """Llama's count written out: q and o d·h·e each, k and v d·kv·e each, gated MLP 3·d·f, two RMSNorms
    per layer, a final norm, the embedding and (untied) the head."""
    layer = 2 * d * h * e + 2 * d * kv * e + 3 * d * f + 2 * d
    return V * d * (1 if tied else 2) + L * layer + d


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_llama_1p3b_cli_counts_within_2_percent(capsys, tmp_path):
    code, out, _ = run(["shape", "--params", "1.3e9", "--family", "llama", "--json"], capsys)
    assert code == 0
    shapes = json.loads(out)
    assert len(shapes) >= 2
    for i, s in enumerate(shapes):
        c = s["config"]
        assert c["model_type"] == "llama"
        # `planner params` on the saved config.json, as a user would run it
        path = tmp_path / f"c{i}.json"
        path.write_text(json.dumps(c))
        code, out, _ = run(["params", str(path), "--json"], capsys)
        total = json.loads(out)["total"]
        assert total == s["params"] and abs(total / 1.3e9 - 1) <= 0.02
        by_hand = llama_by_hand(c["num_hidden_layers"], c["hidden_size"], c["num_attention_heads"],
                                c["num_key_value_heads"], c["head_dim"], c["intermediate_size"], c["vocab_size"],
                                c["tie_word_embeddings"])
        assert by_hand == total


@pytest.mark.parametrize("family,target", [("llama", 1.3e9), ("qwen2", 2.3e8), ("qwen3", 1e9), ("gemma2", 2e9),
                                           ("gpt2", 3.5e8), ("gpt_neox", 1.4e9), ("mixtral", 47e9),
                                           ("mistral", 7e9)])
def test_shapes_are_sane(family, target):
    shapes = propose_shapes(target, family, count=5)
    lo, hi, _, names = aspect_range(int(target))
    assert shapes and len(names) == 6
    for s in shapes:
        a = planner.model.families.from_hf_config(s.config)
        assert a.family == family and s.config["model_type"] == family
        assert planner.count_params(a).total == s.params
        assert abs(s.params / target - 1) <= 0.02
        assert a.head_dim in (64, 128)
        assert a.hidden_size % 128 == 0 and a.hidden_size == a.num_heads * a.head_dim
        assert a.num_heads % a.num_kv_heads == 0
        assert lo <= a.hidden_size / a.num_layers <= hi
        d, f = a.hidden_size, (a.moe_intermediate_size if a.is_moe else a.intermediate_size)
        expected_f = {  # each family's MLP rule, written out
            "llama": 256 * math.ceil((8 * d // 3) / 256), "mistral": 256 * math.ceil((7 * d // 2) / 256),
            "mixtral": 256 * math.ceil((7 * d // 2) / 256), "qwen2": 128 * math.ceil((43 * d // 8) / 128),
            "qwen3": 3 * d, "gemma2": 4 * d, "gpt2": 4 * d, "gpt_neox": 4 * d}[family]
        assert f == expected_f


def test_family_rules_reproduce_real_models():
    """The MLP rules give the real widths: Llama-2-7B 11,008, TinyLlama 5,632, Qwen2.5-0.5B 4,864,
    Qwen3-8B 12,288, Gemma-2-2B 9,216, Mixtral-8x7B 14,336 (their config.json files)."""
    from planner.model.shapes import SHAPE_RULES, _mlp_width
    real = {("llama", 4096): 11008, ("llama", 2048): 5632, ("qwen2", 896): 4864, ("qwen3", 4096): 12288,
            ("gemma2", 2304): 9216, ("mixtral", 4096): 14336}
    for (fam, d), f in real.items():
        assert _mlp_width(SHAPE_RULES[fam], d) == f


def test_real_shapes_are_found():
    """Targets equal to real models' published counts find the real shapes: GPT-2 medium (354,823,168:
    24 layers, 1,024 wide) and Mixtral-8x7B (46,702,792,704: 32 layers, 4,096 wide, 8 experts)."""
    gpt2 = propose_shapes(354_823_168, "gpt2", count=10)
    assert any((s.num_layers, s.hidden_size, s.params) == (24, 1024, 354_823_168) for s in gpt2)
    mix = propose_shapes(47e9, "mixtral", count=10)
    assert any((s.num_layers, s.hidden_size, s.params) == (32, 4096, 46_702_792_704) for s in mix)


def test_mixtral_is_moe(capsys):
    code, out, _ = run(["shape", "--params", "47e9", "--family", "mixtral", "--json"], capsys)
    assert code == 0
    for s in json.loads(out):
        c = s["config"]
        assert c["num_local_experts"] == 8 and c["num_experts_per_tok"] == 2
        assert s["active"] < s["params"] / 3          # 2 of 8 experts per token
        assert planner.count_params(c).active == s["active"]


def test_aspect_range_is_measured_from_the_catalog():
    # The six catalog models nearest 1.3B: EXAONE-4.0-1.2B (2048/30 = 68.3) is the narrowest per layer,
    # Llama-3.2-1B and OLMo-1B (2048/16 = 128) the widest.
    lo, hi, _, names = aspect_range(1_300_000_000)
    assert lo == pytest.approx(2048 / 30) and hi == 128.0
    assert "llama-3.2-1b-instruct" in names and "exaone-4.0-1.2b" in names


def test_overrides_and_at_most():
    s = propose_shapes(2.3e8, "qwen2", vocab_size=151936, tied_embeddings=True, at_most=True)
    assert s and all(x.params <= 230_000_000 for x in s)
    assert all(x.config["vocab_size"] == 151936 and x.config["tie_word_embeddings"] for x in s)


@pytest.mark.parametrize("args,field", [
    (["--params", "-5", "--family", "llama"], "--params"),
    (["--params", "1e6", "--family", "llama"], "--params"),     # below one layer of the smallest width
    (["--params", "1.5", "--family", "llama"], "--params"),
    (["--params", "1e9", "--family", "bert"], "--family"),
    (["--params", "1e15", "--family", "gpt2"], "--params"),
])
def test_bad_input_exits_2_naming_the_field(args, field, capsys):
    code, out, err = run(["shape", *args], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"planner: error: {field}:") and err.count("\n") == 1


def test_every_family_listed():
    assert {"llama", "qwen2", "qwen3", "gemma2", "gpt2", "gpt_neox", "mixtral"} <= set(FAMILIES)


def test_proposed_configs_match_transformers():
    """Configs the search proposed, instantiated by transformers on the meta device (the fixture records its
    count): the planner's count of each config equals transformers' own."""
    from pathlib import Path
    fx = json.loads((Path(__file__).parent / "fixtures" / "shapes_transformers_counts.json").read_text())
    assert {r["family"] for r in fx["shapes"]} >= {"llama", "qwen2", "qwen3", "gemma2", "gpt2", "gpt_neox", "mixtral"}
    for r in fx["shapes"]:
        assert planner.count_params(r["config"]).total == r["transformers_total"], r["family"]
