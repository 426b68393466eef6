"""The families counted natively since issue 23, each against transformers' own count.

tests/fixtures/family_counts.json was written by benchmarks/family_counts.py: every config built by
transformers on the meta device and its parameters summed (tied weights once), an implementation
independent of the planner's formulas. Rows: real configs and the small configs where a wrong rule
gives a different number (tests/fixtures/configs/families/, sources in SOURCES.md there), each new
type's config-class defaults as save_pretrained writes them, and seeded random variants raw and saved.
"""

import json

import pytest

import planner
from conftest import FIXTURES
from planner import count_params
from planner.model.families import from_hf_config

DATA = json.loads((FIXTURES / "family_counts.json").read_text())
ROWS = DATA["rows"]


def _ambiguous_tie(cfg) -> bool:
    """A Qwen3.5 wrapper whose own tie flag and text_config's disagree: the image-text model and the
    text-only causal LM differ, so the planner refuses natively (the fallback counts it)."""
    if cfg.get("model_type") not in ("qwen3_5", "qwen3_5_moe"):
        return False
    return bool(cfg.get("tie_word_embeddings", False)) != bool(cfg.get("text_config", {}).get("tie_word_embeddings",
                                                                                               False))


@pytest.mark.parametrize("ref", ROWS, ids=[r["name"] for r in ROWS])
def test_matches_transformers(ref):
    if _ambiguous_tie(ref["config"]):
        with pytest.raises(planner.UnknownModelError, match="tie_word_embeddings"):
            from_hf_config(ref["config"])
        return
    pc = count_params(from_hf_config(ref["config"]))
    assert (pc.total, pc.head, pc.active) == (ref["total"], ref["lm_head"], ref["active"])
    if "full_total" in ref and pc.vision is not None:  # a wrapper whose vision tower the planner counts
        assert pc.total + pc.vision == ref["full_total"]


def test_every_new_type_has_default_random_and_saved_rows():
    kinds = {}
    for r in ROWS:
        if r["kind"] != "fixture":
            kinds.setdefault(r["model_type"], set()).add(r["name"].rsplit("-", 1)[-1] if r["kind"] == "random"
                                                         else "default")
    assert len(kinds) >= 29
    assert all(k == {"default", "raw", "saved"} for k in kinds.values()), kinds


def _row(name):
    return next(r for r in ROWS if r["name"] == f"fixture/{name}")


# ---- issue 23's three wrong numbers, by hand where the rules differ -----------------------------

def test_cohere2_explicit_head_dim_wins():
    ref = _row("cohere2_explicit_head_dim")
    d, h, k, e, f, L, V = 64, 4, 2, 32, 96, 4, 300           # head_dim 32, not 64 // 4 = 16
    attn = d * h * e + 2 * d * k * e + h * e * d
    total = V * d + L * (attn + 3 * d * f + d) + d           # one weight-only LayerNorm per layer; tied head
    assert total == ref["total"] == planner.count_params(ref["config"]).total


def test_mamba_intermediate_size_wins_over_expand():
    ref = _row("mamba_intermediate_size")
    V, d, L, i, n, kc, r = 300, 48, 2, 64, 8, 4, 4           # intermediate_size 64, not expand x 48 = 96
    mixer = d * 2 * i + (i * kc + i) + i * (r + 2 * n) + (r * i + i) + i * n + i + i * d
    assert V * d + L * (mixer + d) + d == ref["total"] == planner.count_params(ref["config"]).total


def test_wrapper_heads_tie_as_transformers_ties_them():
    llama4 = _row("llama4_text_tie_differs")                 # wrapper says tied, text_config untied
    assert llama4["lm_head"] == 300 * 64 and planner.count_params(llama4["config"]).head == 300 * 64
    gemma3 = _row("gemma3_wrapper_tie_default")              # text_config untied, wrapper default tied
    assert gemma3["lm_head"] == 0 and planner.count_params(gemma3["config"]).head == 0


# ---- the three claimed but refused ------------------------------------------------------------------

def test_deepseek_v2_default_has_a_total_and_no_active():
    ref = _row("deepseek_v2_default")
    pc = planner.count_params(ref["config"])
    assert pc.total == ref["total"] and pc.active is None and ref["active"] is None
    with pytest.raises(planner.InputError, match="num_experts_per_tok"):
        pc.get("active")


def test_real_qwen3_5_moe_configs_without_intermediate_size():
    for name, billions in (("qwen3.5-35b-a3b", 35), ("qwen3.5-397b-a17b", 397)):
        ref = _row(name)
        assert "intermediate_size" not in ref["config"]["text_config"]
        pc = planner.count_params(ref["config"])
        assert (pc.total, pc.active) == (ref["total"], ref["active"])
        assert pc.total == pytest.approx(billions * 1e9, rel=0.02)  # the name's total less a ~0.4B vision tower


def test_qwen3_5_irregular_full_attention_layers():
    ref = _row("qwen3_5_text_irregular")
    a = from_hf_config(ref["config"])
    assert (a.num_attention_layers, a.num_mixer_layers) == (3, 2)
    assert count_params(a).total == ref["total"]
    assert a.with_(num_layers=3).num_attention_layers == 2   # layers 0 and 2 of the list


def test_glm_4_5_totals_are_the_published_ones():
    air, big = planner.count_params(_row("glm-4.5-air")["config"]), planner.count_params(_row("glm-4.5")["config"])
    assert air.total == pytest.approx(106e9, rel=0.01) and air.active == pytest.approx(12e9 + 1.24e9, rel=0.02)
    assert big.total == pytest.approx(355e9, rel=0.01)      # published 355B includes the MTP layer (~2.2B)


def test_deepseek_v3_2_is_v3_plus_one_indexer_per_layer_by_hand():
    ref = _row("deepseek-v3.2-exp")
    d, rq, heads, width, L = 7168, 1536, 64, 128, 61
    indexer = rq * heads * width + d * width + 2 * width + d * heads   # wq_b, wk, k LayerNorm, weights_proj
    assert ref["total"] == 671_026_404_352 + L * indexer               # DeepSeek-V3's published total
    assert planner.count_params(ref["config"]).total == ref["total"]


def test_lfm2_1_2b_by_hand():
    ref = _row("lfm2-1.2b")
    V, d, L, h, k, e, kc = 65536, 2048, 16, 32, 8, 64, 3
    f = 256 * -(-int(1.0 * int(2 * 12288 / 3)) // 256)            # transformers' adjusted MLP width: 8192
    attn = d * h * e + 2 * d * k * e + h * e * d + 2 * e           # q/k RMSNorms of head_dim
    conv = d * 3 * d + d * kc + d * d                              # in_proj, depthwise conv, out_proj; no biases
    total = V * d + 6 * attn + 10 * conv + L * (3 * d * f + 2 * d) + d   # tied head; embedding_norm at the end
    assert total == ref["total"] == planner.count_params(ref["config"]).total == 1_170_340_608


def test_granite_4_h_totals_are_the_published_ones():
    tiny = planner.count_params(_row("granite-4.0-h-tiny")["config"])
    micro = planner.count_params(_row("granite-4.0-h-micro")["config"])
    assert tiny.total == pytest.approx(7e9, rel=0.01) and 1e9 < tiny.active < 1.5e9  # "1B active", as rounded
    assert micro.total == pytest.approx(3.2e9, rel=0.01) and micro.active is None and micro.experts == 0
