"""The families beyond the first fourteen: published anchors, hand derivations, structure, refusals.

Every family is also checked one config at a time against transformers' own count in
tests/test_catalog.py (tests/fixtures/hf_counts.json). Here the expected numbers are the
published totals, or arithmetic written out from the modeling code in the open.
"""

import json

import pytest

import planner
from conftest import FIXTURES, ROOT
from planner import Architecture, ConfigError, UnknownModelError, count_params
from planner.model.families import FAMILIES, REFUSED, from_hf_config

HF = json.loads((FIXTURES / "hf_counts.json").read_text())


def config(name: str) -> dict:
    return json.loads((ROOT / "data/models" / f"{name}.json").read_text())


# ---- published anchors, derived by hand --------------------------------------------------------

def test_deepseek_v3_by_hand_matches_the_published_671b_and_37b():
    V, d, L, h, first_dense = 129280, 7168, 61, 128, 3
    rq, rkv, rope, nope, ev = 1536, 512, 64, 128, 128   # latent ranks and head widths
    f, fe, E, top, shared = 18432, 2048, 256, 8, 1
    attn = (d * rq + rq + rq * h * (nope + rope)        # q: down-projection, its RMSNorm, up-projection
            + d * (rkv + rope) + rkv                    # kv: down-projection (+ shared rotary key), RMSNorm
            + rkv * h * (nope + ev)                     # kv: up-projection to per-head keys and values
            + h * ev * d)                               # o
    expert = 3 * d * fe
    moe = E * expert + d * E + shared * 3 * d * fe      # routed experts, router, shared expert (always on)
    moe_layers = L - first_dense
    total = 2 * V * d + L * (attn + 2 * d) + first_dense * 3 * d * f + moe_layers * moe + d
    active = total - moe_layers * (E - top) * expert
    assert (total, active) == (671_026_404_352, 37_552_282_624)  # DeepSeek-V3 report, without the MTP module
    pc = planner.count_params("deepseek-v3")
    assert (pc.total, pc.active) == (total, active)
    assert pc.attention == L * attn and pc.shared_experts == moe_layers * 3 * d * fe
    assert pc.router == moe_layers * d * E  # the score-correction bias is a buffer, not a parameter


def test_gpt_oss_120b_by_hand():
    V, d, L, h, k, e, E, top, f = 201088, 2880, 36, 64, 8, 64, 128, 4, 2880
    attn = d * h * e + h * e + 2 * (d * k * e + k * e) + h * e * d + d + h   # biased q, k, v, o; sinks
    expert = 3 * d * f + 2 * f + d                                            # biased gate_up and down
    layer = attn + E * expert + (d * E + E) + 2 * d                           # + biased router, two norms
    total = 2 * V * d + L * layer + d
    active = total - L * (E - top) * expert
    assert (total, active) == (116_829_156_672, 5_711_982_912)  # published gpt-oss-120b figures
    assert (planner.count_params("gpt-oss-120b").total, planner.count_params("gpt-oss-120b").active) == (total, active)


def test_qwen15_moe_a27b_by_hand():
    V, d, L, E, top, fe, fs = 151936, 2048, 24, 60, 4, 1408, 5632
    attn = 4 * d * d + 3 * d                             # 16 heads of 128; q, k, v biases
    moe = E * 3 * d * fe + d * E + 3 * d * fs + d        # experts, router, shared expert and its gate
    total = 2 * V * d + L * (attn + moe + 2 * d) + d
    active = total - L * (E - top) * 3 * d * fe
    assert (total, active) == (14_315_784_192, 2_689_173_504)  # published Qwen1.5-MoE-A2.7B figures
    pc = planner.count_params("qwen1.5-moe-a2.7b")
    assert (pc.total, pc.active) == (total, active) and pc.mlp == 0


def test_mamba_layer_by_hand():
    # Mamba-2.8B: d 2560, 64 layers, inner 5120, state 16, conv 4, dt rank ceil(2560/16) = 160, tied head.
    V, d, L, i, n, kc, r = 50280, 2560, 64, 5120, 16, 4, 160
    mixer = d * 2 * i + (i * kc + i) + i * (r + 2 * n) + (r * i + i) + i * n + i + i * d
    total = V * d + L * (mixer + d) + d
    assert planner.count_params("mamba-2.8b").total == total
    assert planner.count_params("mamba-2.8b").ssm == L * mixer


# ---- the two Qwen3-MoE holes ------------------------------------------------------------------

def test_qwen3_moe_saved_by_transformers_spells_experts_num_local_experts():
    raw = config("qwen3-30b-a3b")
    saved = {k: v for k, v in raw.items() if k != "num_experts"} | {"num_local_experts": raw["num_experts"]}
    assert count_params(from_hf_config(saved)).total == count_params(from_hf_config(raw)).total == 30_532_122_624


def test_qwen3_moe_without_head_dim_uses_hidden_over_heads():
    cfg = json.loads((FIXTURES / "configs/qwen3_moe_no_head_dim.json").read_text())
    a = from_hf_config(cfg)
    assert "head_dim" not in cfg and a.head_dim == 2048 // 32 == 64
    d, L, h, k, e, V, E, fe = 2048, 48, 32, 4, 64, 151936, 128, 768
    attn = d * h * e + 2 * d * k * e + h * e * d + 2 * e            # q/k RMSNorms of head_dim
    total = 2 * V * d + L * (attn + E * 3 * d * fe + d * E + 2 * d) + d
    assert count_params(a).total == total


# ---- structure: what the breakdown shows, where MoE layers are --------------------------------

def test_breakdown_names_the_new_kinds():
    ds = planner.count_params("deepseek-v3").breakdown
    assert all(ds[k] > 0 for k in ("attention", "mlp", "experts", "shared_experts", "router", "norms"))
    assert ds["ssm"] == 0 and sum(ds.values()) == planner.count_params("deepseek-v3").total
    oss = planner.count_params("gpt-oss-20b").breakdown
    assert oss["mlp"] == 0 and oss["shared_experts"] == 0 and oss["experts"] > 0
    mamba = planner.count_params("mamba2-780m").breakdown
    assert mamba["attention"] == mamba["mlp"] == 0 and mamba["ssm"] > 0


def test_moe_layers_come_from_each_familys_rule():
    ds = planner.architecture("deepseek-v3")
    assert ds.moe_layers == 58 and not ds.is_moe_layer(2) and ds.is_moe_layer(3)
    assert ds.with_(num_layers=10).moe_layers == 7          # still "first three dense"
    scout = planner.architecture("llama-4-scout-17b-16e-text")
    assert scout.moe_layers == scout.num_layers == 48
    assert "moe_layers" in config("llama-4-scout-17b-16e-text")  # a list, which wins over the step
    rule = {k: v for k, v in config("llama-4-scout-17b-16e-text").items() if k != "moe_layers"}
    step2 = from_hf_config({**rule, "interleave_moe_layer_step": 2})  # Maverick's pattern: every other layer
    assert step2.moe_layers == 24 and step2.is_moe_layer(1) and not step2.is_moe_layer(0)
    listed = from_hf_config({**rule, "moe_layers": list(range(1, 48, 2))})
    assert listed == step2                                   # save_pretrained's list is the same rule
    odd = from_hf_config({**rule, "moe_layers": [0, 5]})     # any other list: the layers not listed are dense
    assert odd.moe_layers == 2 and odd.is_moe_layer(5)


def test_latent_attention_head_dims_are_kept():
    ds = planner.architecture("deepseek-v3")
    assert ds.is_mla and (ds.head_dim, ds.qk_rope_head_dim, ds.v_head_dim, ds.kv_lora_rank) == (192, 64, 128, 512)


# ---- multimodal wrappers ------------------------------------------------------------------------

def test_a_text_config_counts_the_language_model_and_says_so():
    a = planner.architecture("gemma-3-4b-it")
    assert (a.family, a.language_model_of) == ("gemma3_text", "gemma3")
    pc = count_params(a)
    entry = next(r for r in HF if r["name"] == "gemma-3-4b-it")
    assert pc.total == entry["total"] < entry["multimodal_total"]
    assert pc.to_dict()["language_model_of"] == "gemma3"
    assert planner.count_params("gemma-3-1b-it").language_model_of is None
    # SigLIP tower + projector, written out: patch conv, positions, 27 pre-norm ViT layers, post-norm,
    # then Gemma-3's projection to the text width behind an RMSNorm.
    D, f, L, p, side, text = 1152, 4304, 27, 14, 896 // 14, 2560
    layer = 2 * D + 4 * (D * D + D) + 2 * D + (2 * D * f + f + D)
    vision = (3 * p * p * D + D) + side * side * D + L * layer + 2 * D + (D * text + D)
    assert pc.vision == vision == entry["vision"] == entry["multimodal_total"] - entry["total"]


def test_a_vision_tower_not_known_is_said_to_be_not_counted():
    cfg = json.loads((FIXTURES / "configs/llama4_scout_17b_16e_multimodal.json").read_text())
    pc = count_params(from_hf_config(cfg))
    assert pc.language_model_of == "llama4" and pc.vision is None
    assert pc.to_dict()["vision"] is None


def test_a_wrapper_without_a_known_text_model_is_refused_by_name():
    with pytest.raises(ConfigError, match="text_config.model_type"):
        from_hf_config({"model_type": "somevlm", "text_config": {"hidden_size": 8}})


# ---- hybrids: seeded random configs against transformers ------------------------------------------

HYBRID = json.loads((FIXTURES / "hybrid_random_counts.json").read_text())


@pytest.mark.parametrize("ref", HYBRID["configs"], ids=[r["name"] for r in HYBRID["configs"]])
def test_random_hybrid_configs_match_transformers(ref):
    # Jamba (Mamba + attention every k-th layer + MoE every m-th), Nemotron-H (one block per layer,
    # in a random pattern), Falcon-H1 (attention and Mamba-2 side by side), Qwen3-Next (gated DeltaNet +
    # gated attention + MoE with a shared expert),
    # Qwen3.5 and Qwen3.5-MoE image-text configs (their language model: everything outside model.visual).
    # A Qwen3.5 wrapper whose tie flag disagrees with text_config's is refused natively: transformers'
    # image-text model ties by the wrapper's flag, its text-only causal LM by text_config's.
    cfg = ref["config"]
    if cfg.get("model_type") in ("qwen3_5", "qwen3_5_moe") and bool(cfg.get("tie_word_embeddings", False)) != bool(
            cfg["text_config"].get("tie_word_embeddings", False)):
        with pytest.raises(UnknownModelError, match="config.tie_word_embeddings"):
            from_hf_config(cfg)
        return
    pc = count_params(from_hf_config(ref["config"]))
    assert (pc.total, pc.active, pc.head) == (ref["total"], ref["active"], ref["lm_head"])
    assert (pc.language_model_of is not None) == ("text_config" in ref["config"])


def test_hybrid_anchors_by_layer_kind():
    jamba = from_hf_config(json.loads((FIXTURES / "configs/hybrid/jamba_1.5_mini.json").read_text()))
    assert (jamba.num_attention_layers, jamba.num_mixer_layers, jamba.moe_layers) == (4, 28, 16)  # 1 in 8; 1 in 2
    nemo = from_hf_config(json.loads((FIXTURES / "configs/hybrid/nemotron_3_nano_30b_a3b.json").read_text()))
    pattern = "MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME"
    assert (nemo.num_attention_layers, nemo.num_mixer_layers, nemo.moe_layers, nemo.num_mlp_layers) == (
        pattern.count("*"), pattern.count("M"), pattern.count("E"), pattern.count("-"))
    with pytest.raises(planner.InputError, match="layer_types"):
        nemo.with_(num_layers=10)  # an explicit per-layer list fixes the depth
    nxt = from_hf_config(json.loads((FIXTURES / "configs/hybrid/qwen3_next_80b_a3b_instruct.json").read_text()))
    assert (nxt.num_attention_layers, nxt.num_mixer_layers) == (12, 36)  # full attention every 4th layer
    assert nxt.with_(num_layers=50).num_attention_layers == 12
    fh = from_hf_config(json.loads((FIXTURES / "configs/hybrid/falcon_h1_7b_trimmed.json").read_text()))
    assert fh.num_attention_layers == fh.num_mixer_layers == fh.num_layers == 44  # side by side in every layer


# ---- refusals and the registry ------------------------------------------------------------------

def test_an_unknown_model_type_is_refused_naming_the_supported_ones():
    with pytest.raises(UnknownModelError, match="'bert' is not supported; supported: .*deepseek_v3"):
        from_hf_config({"model_type": "bert", "hidden_size": 64})


def test_a_recognised_family_without_a_count_would_be_refused_with_its_reason(monkeypatch):
    monkeypatch.setitem(REFUSED, "future_hybrid", "its new mixer is not counted yet")
    with pytest.raises(UnknownModelError, match="'future_hybrid' is recognised but not counted: its new mixer"):
        from_hf_config({"model_type": "future_hybrid", "hidden_size": 64})


def test_every_family_is_checked_against_transformers():
    checked = {r.get("text_model_type") or r["model_type"] for r in HF}
    checked |= {r["config"]["model_type"] for r in HYBRID["configs"]}
    checked |= {from_hf_config(r["config"]).family for r in HYBRID["configs"] if r["config"]["model_type"] in FAMILIES}
    family_rows = json.loads((FIXTURES / "family_counts.json").read_text())["rows"]
    checked |= {r["model_type"] for r in family_rows if "model_type" in r}
    checked = {{"RefinedWeb": "falcon", "RefinedWebModel": "falcon"}.get(t, t) for t in checked}
    assert set(FAMILIES) <= checked


def test_families_required_by_the_workbook_are_in_the_catalog():
    names = set(planner.list_models())
    assert {"deepseek-v3", "gpt-oss-20b", "olmo-2-7b", "gemma-3-4b-it", "smollm3-3b", "qwen1.5-moe-a2.7b",
            "mamba-2.8b", "llama-4-scout-17b-16e-text"} <= names


def test_an_architecture_with_experts_is_built_from_plain_arguments():
    a = Architecture(num_layers=4, hidden_size=64, num_heads=4, vocab_size=100, intermediate_size=128,
                     num_experts=8, experts_per_token=2, moe_intermediate_size=32, num_shared_experts=1,
                     first_dense_layers=1)
    d, f, fe = 64, 128, 32
    attn, norms = 4 * d * d, 2 * d
    moe = 8 * 3 * d * fe + d * 8 + 3 * d * fe
    total = 2 * 100 * d + 4 * (attn + norms) + 3 * d * f + 3 * moe + d
    pc = count_params(a)
    assert pc.total == total and pc.active == total - 3 * 6 * 3 * d * fe
