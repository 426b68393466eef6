#!/usr/bin/env python3
"""Seeded random small configs for the hybrid families, counted by transformers on the meta device.

Writes tests/fixtures/hybrid_random_counts.json (checked by tests/test_families.py): Jamba,
Nemotron-H, Qwen3-Next and Falcon-H1 as causal LMs, Qwen3.5 and Qwen3.5-MoE as image-text models
(their language model: every parameter outside ``model.visual``). Every flag that changes a count is
drawn at random, so the fixture covers what a hand-picked config would leave alone.

    /path/to/python-with-torch-and-transformers benchmarks/hybrid_random_counts.py

Needs torch and transformers (tested: torch 2.13.0+cpu, transformers 5.24.0). Optional developer
tool, not part of the planner package.
"""
from __future__ import annotations

import json
import pathlib
import random
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
OUT = REPO / "tests" / "fixtures" / "hybrid_random_counts.json"
sys.path.insert(0, str(REPO / "benchmarks"))


def causal(rng: random.Random, mt: str) -> dict:
    h = rng.choice([2, 4])
    kv = rng.choice([k for k in (1, 2, 4) if h % k == 0])
    d = h * rng.choice([8, 16])
    c = dict(model_type=mt, hidden_size=d, num_attention_heads=h, num_key_value_heads=kv,
             vocab_size=rng.randint(50, 300), intermediate_size=rng.randint(8, 64),
             tie_word_embeddings=rng.random() < .5)
    if mt == "jamba":
        c.update(num_hidden_layers=rng.randint(2, 9), attn_layer_period=rng.choice([2, 3, 4]),
                 num_experts=rng.choice([2, 4]), num_experts_per_tok=1, expert_layer_period=rng.choice([1, 2, 3]),
                 mamba_d_state=rng.choice([4, 8]), mamba_d_conv=rng.choice([2, 4]), mamba_expand=rng.choice([1, 2]),
                 mamba_dt_rank=rng.choice(["auto", 3]), mamba_conv_bias=rng.random() < .5,
                 mamba_proj_bias=rng.random() < .5, use_mamba_kernels=False)
        c["attn_layer_offset"] = rng.randrange(c["attn_layer_period"])
        c["expert_layer_offset"] = rng.randrange(c["expert_layer_period"])
    if mt == "nemotron_h":
        pattern = "".join(rng.choice("M*-E") for _ in range(rng.randint(2, 8)))
        c.update(hybrid_override_pattern=pattern, num_hidden_layers=len(pattern), mamba_num_heads=rng.choice([2, 4]),
                 mamba_head_dim=rng.choice([4, 8]), n_groups=rng.choice([1, 2]), ssm_state_size=rng.choice([4, 8]),
                 conv_kernel=rng.choice([2, 4]), use_bias=rng.random() < .5, use_conv_bias=rng.random() < .5,
                 mlp_bias=rng.random() < .5, n_routed_experts=rng.choice([2, 4]), num_experts_per_tok=1,
                 moe_intermediate_size=rng.randint(4, 16), moe_shared_expert_intermediate_size=rng.randint(4, 16),
                 head_dim=rng.choice([4, 8]))
        if rng.random() < .3:
            c["moe_latent_size"] = rng.choice([4, 8])
    if mt == "qwen3_next":
        c.update(num_hidden_layers=rng.randint(2, 9), full_attention_interval=rng.choice([1, 2, 3, 4]),
                 linear_num_key_heads=rng.choice([1, 2]), linear_num_value_heads=rng.choice([2, 4]),
                 linear_key_head_dim=rng.choice([4, 8]), linear_value_head_dim=rng.choice([4, 8]),
                 linear_conv_kernel_dim=rng.choice([2, 4]), num_experts=rng.choice([2, 4]), num_experts_per_tok=1,
                 moe_intermediate_size=rng.randint(4, 16), shared_expert_intermediate_size=rng.randint(4, 16),
                 head_dim=rng.choice([4, 8]), attention_bias=rng.random() < .5,
                 decoder_sparse_step=rng.choice([1, 2]), mlp_only_layers=rng.sample(range(3), rng.randint(0, 2)))
    if mt == "falcon_h1":
        heads, hd = rng.choice([2, 4]), rng.choice([4, 8])
        c.update(num_hidden_layers=rng.randint(1, 5), head_dim=rng.choice([4, 8]), mamba_n_heads=heads,
                 mamba_d_head=rng.choice(["auto", hd]), mamba_d_ssm=heads * hd, mamba_n_groups=rng.choice([1, 2]),
                 mamba_d_state=rng.choice([4, 8]), mamba_d_conv=rng.choice([2, 4]), mamba_conv_bias=rng.random() < .5,
                 mamba_proj_bias=rng.random() < .5, projectors_bias=rng.random() < .5,
                 mamba_rms_norm=rng.random() < .5, attention_bias=rng.random() < .5, mlp_bias=rng.random() < .5)
        if rng.random() < .3:
            c.update(mamba_d_ssm=None, mamba_expand=2, mamba_d_head="auto", mamba_n_heads=2)
    return c


def image_text(rng: random.Random, mt: str) -> dict:
    h = rng.choice([2, 4])
    kv = rng.choice([x for x in (1, 2) if h % x == 0])
    d, L = h * rng.choice([8, 16]), rng.randint(2, 8)
    tc = dict(hidden_size=d, num_attention_heads=h, num_key_value_heads=kv, vocab_size=rng.randint(50, 300),
              intermediate_size=rng.randint(8, 64), num_hidden_layers=L, head_dim=rng.choice([4, 8]),
              linear_num_key_heads=rng.choice([1, 2]), linear_num_value_heads=rng.choice([2, 4]),
              linear_key_head_dim=rng.choice([4, 8]), linear_value_head_dim=rng.choice([4, 8]),
              linear_conv_kernel_dim=rng.choice([2, 4]), attention_bias=rng.random() < .5)
    if rng.random() < .5:
        tc["full_attention_interval"] = rng.choice([1, 2, 3])
    else:
        p = rng.choice([1, 2, 3])
        tc["layer_types"] = ["full_attention" if (i + 1) % p == 0 else "linear_attention" for i in range(L)]
    if mt == "qwen3_5_moe":
        tc.update(num_experts=rng.choice([2, 4]), num_experts_per_tok=1, moe_intermediate_size=rng.randint(4, 16),
                  shared_expert_intermediate_size=rng.randint(4, 16))
    return dict(model_type=mt, text_config=tc, tie_word_embeddings=rng.random() < .5,
                vision_config=dict(depth=1, hidden_size=16, intermediate_size=16, num_heads=2, out_hidden_size=d))


def count_image_text(cfg: dict) -> dict:
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText
    with torch.device("meta"):
        m = AutoModelForImageTextToText.from_config(AutoConfig.for_model(**cfg))
    total = sum(p.numel() for n, p in m.named_parameters() if ".visual." not in f".{n}")
    emb, head = m.get_input_embeddings().weight, m.get_output_embeddings().weight
    E, k = cfg["text_config"].get("num_experts"), cfg["text_config"].get("num_experts_per_tok")
    active = None
    if E:
        inactive = sum((E - k) * (sum(p.numel() for p in mod.parameters()) // E)
                       for n, mod in m.named_modules() if n.endswith(".mlp.experts"))
        active = total - inactive
    return {"total": total, "active": active, "lm_head": 0 if head is emb else head.numel()}


def main() -> int:
    import torch
    import transformers
    from hf_meta_count import count
    configs = []
    rng = random.Random(7)
    for mt in ("jamba", "nemotron_h", "qwen3_next", "falcon_h1"):
        for k in range(8):
            c = causal(rng, mt)
            ref = count(dict(c))
            configs.append({"name": f"{mt}-{k}", "config": c, "total": ref["total"], "active": ref["active"],
                            "lm_head": ref["lm_head"]})
    rng = random.Random(11)
    for mt in ("qwen3_5", "qwen3_5_moe"):
        for k in range(6):
            c = image_text(rng, mt)
            configs.append({"name": f"{mt}-{k}", "config": c, **count_image_text(c)})
    source = (f"transformers {transformers.__version__} on torch {torch.__version__} meta device, seeded random small "
              "configs from benchmarks/hybrid_random_counts.py; qwen3_5/qwen3_5_moe: the language model of "
              "AutoModelForImageTextToText (every parameter outside model.visual)")
    OUT.write_text(json.dumps({"source": source, "configs": configs}, indent=1) + "\n")
    print(f"wrote {len(configs)} counts to {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
