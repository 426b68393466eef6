"""N, exact to the parameter: published totals and hand derivations written out in the open."""

import json

import pytest

import planner
from conftest import FIXTURES
from planner import Architecture, ConfigError, InputError, UnknownModelError, count_params
from planner.model.families import from_hf_config

PUBLISHED = json.loads((FIXTURES / "model_params.json").read_text())


@pytest.mark.parametrize("ref", PUBLISHED, ids=[m["name"] for m in PUBLISHED])
def test_published_counts_exact(ref):
    pc = count_params(from_hf_config(ref["config"]))
    assert pc.total == ref["total_params"]
    assert pc.embedding == ref["embedding_params"]
    assert pc.non_embedding == ref["non_embedding_params"]
    assert pc.positions == ref["position_embedding_params"]
    assert pc.head == ref["lm_head_params"]
    assert pc.active == ref["active_params"]


def test_gpt2_124m_by_hand():
    # nanoGPT transformer_sizing style: every term derived in the open.
    V, P, d, L = 50257, 1024, 768, 12
    wte = V * d                                  # token embedding (the head is tied to it)
    wpe = P * d                                  # learned positions
    ln = 2 * d                                   # LayerNorm: weight + bias
    attn = (d * 3 * d + 3 * d) + (d * d + d)     # c_attn (q,k,v fused) + c_proj, with biases
    mlp = (d * 4 * d + 4 * d) + (4 * d * d + d)  # c_fc + c_proj, with biases
    block = ln + attn + ln + mlp
    total = wte + wpe + L * block + ln           # + ln_f
    assert total == 124_439_808                  # published GPT-2 small count
    pc = planner.count_params(next(m["config"] for m in PUBLISHED if m["name"] == "gpt2-124M"))
    assert (pc.total, pc.embeddings, pc.positions, pc.attention, pc.mlp) == (total, wte, wpe, L * attn, L * mlp)


def test_qwen25_05b_by_hand():
    V, d, L, h, k, f = 151936, 896, 24, 14, 2, 4864
    e = d // h                                          # 64
    q, kv, o = d * h * e + h * e, 2 * (d * k * e + k * e), h * e * d  # q/k/v carry biases, o does not
    mlp = 3 * d * f                                     # gate, up, down; no biases
    norms = 2 * d                                       # two RMSNorms per layer
    total = V * d + L * (q + kv + o + mlp + norms) + d  # tied head counted once; final norm
    assert total == 494_032_768                         # the origin case's N
    assert planner.count_params(next(m["config"] for m in PUBLISHED if m["name"] == "Qwen2.5-0.5B")).total == total


def test_mixtral_active_by_hand():
    V, d, L, h, k, f, E, top = 32000, 4096, 32, 32, 8, 14336, 8, 2
    e = d // h
    attn = d * h * e + 2 * d * k * e + h * e * d
    expert = 3 * d * f
    layer = attn + d * E + E * expert + 2 * d            # + router, + two RMSNorms
    total = 2 * V * d + L * layer + d                    # untied head
    active = total - L * (E - top) * expert
    assert (total, active) == (46_702_792_704, 12_879_925_248)
    pc = planner.count_params(next(m["config"] for m in PUBLISHED if m["name"] == "Mixtral-8x7B"))
    assert (pc.total, pc.active) == (total, active)
    assert pc.get("active") == active and pc.get("total") == total


def test_breakdown_sums_to_total():
    pc = planner.count_params(PUBLISHED[0]["config"])
    assert sum(pc.breakdown.values()) == pc.total
    assert pc.to_dict()["total"] == pc.total and pc.to_dict()["active"] is None


def test_plain_constructor_defaults_llama_style():
    # A hypothetical 2-layer model; count written out: embeddings, 2 layers, final norm, untied head.
    a = Architecture(num_layers=2, hidden_size=64, num_heads=4, vocab_size=1000, intermediate_size=128)
    per_layer = 4 * 64 * 64 + 3 * 64 * 128 + 2 * 64
    assert count_params(a).total == 1000 * 64 + 2 * per_layer + 64 + 1000 * 64


def test_gqa_tied_plain_mlp_layernorm_biases():
    a = Architecture(num_layers=1, hidden_size=64, num_heads=8, num_kv_heads=2, vocab_size=10,
                     intermediate_size=256, tied_embeddings=True, gated_mlp=False, norm="layer",
                     qkv_bias=True, o_bias=True, mlp_bias=True)
    e = 8
    attn = 64 * 8 * e + 2 * 64 * 2 * e + 8 * e * 64 + (8 * e + 2 * 2 * e) + 64
    mlp = 2 * 64 * 256 + 256 + 64
    assert count_params(a).total == 10 * 64 + attn + mlp + 2 * (2 * 64) + 2 * 64


@pytest.mark.parametrize("kwargs, field", [
    (dict(num_layers=0), "num_layers"),
    (dict(hidden_size=-64), "hidden_size"),
    (dict(num_heads=3), "num_heads"),                 # 64 % 3 != 0 and no head_dim
    (dict(num_kv_heads=3), "num_kv_heads"),           # does not divide 4 heads
    (dict(vocab_size=1.5), "vocab_size"),
    (dict(hidden_size=float("nan")), "hidden_size"),
    (dict(norm="batch"), "norm"),
    (dict(tied_embeddings="yes"), "tied_embeddings"),
])
def test_constructor_rejects_bad_dimensions(kwargs, field):
    base = dict(num_layers=2, hidden_size=64, num_heads=4, vocab_size=1000)
    with pytest.raises(InputError) as e:
        Architecture(**{**base, **kwargs})
    assert e.value.field == field and field in str(e.value)


def test_head_dim_allows_non_divisible_heads():
    a = Architecture(num_layers=1, hidden_size=100, num_heads=3, head_dim=32, vocab_size=10)
    assert a.head_dim == 32


def test_config_errors_name_the_field():
    cfg = dict(PUBLISHED[1]["config"])
    with pytest.raises(UnknownModelError, match="model_type"):
        from_hf_config({**cfg, "model_type": "bert"})
    with pytest.raises(ConfigError, match="config.hidden_size"):  # the other core dimensions given: refused
        from_hf_config({k: v for k, v in cfg.items() if k != "hidden_size"})
    bare = from_hf_config({"model_type": "qwen2"})  # none given: the config class's defaults, as transformers
    assert (bare.hidden_size, bare.num_layers, bare.vocab_size) == (4096, 32, 151936)
    with pytest.raises(ConfigError, match="config.intermediate_size"):
        from_hf_config({**cfg, "intermediate_size": "big"})
    with pytest.raises(ConfigError, match="config.tie_word_embeddings"):
        from_hf_config({**cfg, "tie_word_embeddings": "no"})
    with pytest.raises(ConfigError, match="config"):
        from_hf_config([1, 2])


def test_huge_model_stays_exact():
    # ~10T parameters: Python ints, no overflow, exact.
    a = Architecture(num_layers=400, hidden_size=45056, num_heads=352, vocab_size=256000,
                     intermediate_size=4 * 45056)
    d, f = 45056, 4 * 45056
    total = 2 * 256000 * d + 400 * (4 * d * d + 3 * d * f + 2 * d) + d
    assert count_params(a).total == total and total > 10**13


# ---- value semantics: an Architecture stores its inputs and derives the rest ----------------------

def _catalog(name):
    return planner.architecture(name)


def test_with_equals_a_fresh_build_and_moe_layers_follow_depth():
    mixtral = _catalog("mixtral-8x7b-v0.1")
    deeper = mixtral.with_(num_layers=64)
    fresh = Architecture(**{**mixtral.inputs(), "num_layers": 64})
    assert deeper == fresh and hash(deeper) == hash(fresh)
    assert deeper.moe_layers == deeper.num_moe_layers == 64
    # By hand: every one of the 64 layers holds 8 experts (the rule "every layer", not a stored 32).
    V, d, h, k, f, E = 32000, 4096, 32, 8, 14336, 8
    e = d // h
    layer = (d * h * e + 2 * d * k * e + h * e * d) + E * 3 * d * f + d * E + 2 * d
    total = 2 * V * d + 64 * layer + d
    assert total == 93_143_437_312
    assert count_params(deeper).total == total
    assert mixtral.with_(num_layers=31).moe_layers == 31  # any depth is accepted


def test_explicit_head_dim_survives_a_hidden_size_change_and_a_derived_one_follows():
    qwen3 = _catalog("qwen3-0.6b")  # hidden 1024, 16 heads, head_dim 128 given in its config
    assert qwen3.with_(hidden_size=2048).head_dim == 128
    llama = _catalog("llama-2-7b")  # no head_dim in its config: 4096 / 32
    assert llama.head_dim == 128 and llama.inputs()["head_dim"] is None
    assert llama.with_(hidden_size=2048).head_dim == 64


def test_derived_defaults_are_not_frozen_in():
    a = Architecture(num_layers=2, hidden_size=64, num_heads=4, vocab_size=100)
    b = a.with_(hidden_size=128, num_heads=8)
    assert (b.intermediate_size, b.head_dim, b.num_kv_heads) == (4 * 128, 16, 8)
    assert b == Architecture(num_layers=2, hidden_size=128, num_heads=8, vocab_size=100)
    assert a.inputs()["intermediate_size"] is None and a.intermediate_size == 256


def test_moe_layer_rule_is_evaluated_at_the_current_depth():
    base = dict(num_layers=8, hidden_size=64, num_heads=4, vocab_size=100, num_experts=4, experts_per_token=2)
    every_2nd = Architecture(**base, moe_layer_period=2, moe_layer_offset=1)  # layers 1, 3, 5, 7
    assert every_2nd.moe_layers == 4 and every_2nd.with_(num_layers=9).moe_layers == 4
    assert every_2nd.with_(num_layers=10).moe_layers == 5
    first_3_dense = Architecture(**base, first_dense_layers=3)  # DeepSeek's first_k_dense_replace
    assert first_3_dense.moe_layers == 5 and first_3_dense.with_(num_layers=61).moe_layers == 58
    listed = Architecture(**base, dense_layers=[0, 7, 20])  # 20 is past the depth: no effect until it exists
    assert listed.moe_layers == 6 and listed.with_(num_layers=21).moe_layers == 18
    assert [listed.is_moe_layer(i) for i in range(8)] == [False] + [True] * 6 + [False]
    counted = Architecture(**base, moe_layers=3)  # a plain count: the last 3 layers
    assert counted.moe_layers == 3 and [counted.is_moe_layer(i) for i in (4, 5)] == [False, True]


def test_architecture_is_an_immutable_value():
    import pickle
    a = _catalog("qwen3-30b-a3b")
    with pytest.raises(AttributeError):
        a.num_layers = 3
    assert pickle.loads(pickle.dumps(a)) == a
    assert a.with_(name="renamed") == a  # the display name is not part of the value
    assert a != a.with_(num_layers=47)
    with pytest.raises(InputError, match="num_layer"):
        a.with_(num_layer=3)


@pytest.mark.parametrize("kwargs, field", [
    (dict(num_experts=4, experts_per_token=5), "experts_per_token"),        # top-k above the expert count
    (dict(num_experts=4, experts_per_token=2, moe_layer_period=2, moe_layer_offset=2), "moe_layer_offset"),
    (dict(num_experts=4, experts_per_token=2, moe_layers=3), "moe_layers"),  # more MoE layers than layers
    (dict(num_experts=4, experts_per_token=2, dense_layers="0,1"), "dense_layers"),
    (dict(kv_lora_rank=16), "qk_rope_head_dim"),                            # latent attention needs its rotary part
    (dict(mixer="mamba3"), "mixer"),
    (dict(mixer="mamba2"), "ssm_heads"),
    (dict(mixer="gated_deltanet"), "linear_key_heads"),
    (dict(layer_types=["attention"]), "layer_types"),                        # one entry for two layers
    (dict(layer_types=["attention", "moe"]), "layer_types"),                 # 'moe' without experts
    (dict(qk_norm_scope="both"), "qk_norm_scope"),
    (dict(attention_sinks="yes"), "attention_sinks"),
    (dict(vision_params=-1), "vision_params"),
])
def test_new_fields_are_validated_naming_the_field(kwargs, field):
    base = dict(num_layers=2, hidden_size=64, num_heads=4, vocab_size=1000)
    with pytest.raises(InputError) as e:
        Architecture(**{**base, **kwargs})
    assert e.value.field == field and "\n" not in str(e.value)
