#!/usr/bin/env python3
"""Exact parameter counts from the reference Hugging Face implementation.

Optional developer tool, NOT part of the ``planner`` package: it is the only
place that imports torch/transformers.  It builds the model for a config.json
with ``AutoModelForCausalLM.from_config`` on torch's meta device (no memory is
allocated, no weights are downloaded) and reports parameter counts.

Usage:
    python benchmarks/hf_meta_count.py data/models/llama-3-8b.json
    python benchmarks/hf_meta_count.py --all            # rewrite tests/fixtures/hf_counts.json
    python benchmarks/hf_meta_count.py --all --check    # compare instead of writing
    python benchmarks/hf_meta_count.py --make-saved     # rewrite tests/fixtures/configs/saved/
    python benchmarks/hf_meta_count.py --make-random    # rewrite tests/fixtures/configs/random/

Needs torch and transformers (tested: torch 2.13.0+cpu, transformers 5.24.0; the
version used is written into every row's ``source``).

Which configs are counted (the row's ``kind``):
  catalog   data/models/*.json: real published configs (sources in data/models/SOURCES.md)
  edge      tests/fixtures/configs/*.json: edge cases (flags, wrappers, a config without head_dim)
  hybrid    tests/fixtures/configs/hybrid/*.json: real configs of hybrid-mixer families
            (qwen3_next, jamba, falcon_h1, nemotron_h).  Counted here so that a planner which
            can count them has a truth to meet; a planner that refuses them must refuse.
  saved     tests/fixtures/configs/saved/*.json: what ``save_pretrained`` writes for one real
            config per family (built from the raw dict by ``AutoConfig.for_model``, saved,
            and counted again from the saved file).  Transformers renames keys on the way
            (qwen3_moe writes ``num_local_experts``, gpt_oss drops ``experts_per_token``, ...).
  random    tests/fixtures/configs/random/*.json: seeded random small configs per family
            (small dims; random biases, tied embeddings, qk norms, MoE layer patterns, ...).
            ``--make-random`` regenerates them with the same seeds.

Counted fields (see tests/fixtures/hf_counts.json):
  total               sum(p.numel() for p in model.parameters())  (tied weights once).
                      Buffers are not parameters and are not counted (GPT-2's ``attn.bias``
                      mask, DeepSeek-V3's ``e_score_correction_bias``).  For a multimodal
                      wrapper (a config with ``text_config``) this is the LANGUAGE model:
                      ``AutoModelForCausalLM.from_config(config.get_text_config())``.
  token_embedding     numel of the input embedding matrix
  lm_head             numel of the output head weight (+bias) when it is NOT tied to the
                      input embedding; 0 when tied (a bias on a tied head would still be
                      counted)
  position_embedding  numel of learned absolute position tables (GPT-2 wpe, OPT embed_positions)
  active              MoE only (None for dense models): the parameters one token uses.
                      active = total - sum over every MoE layer of (E - k) * P, where E is the
                      number of routed experts, k the experts chosen per token
                      (``num_experts_per_tok``) and P the parameters of ONE routed expert,
                      biases included (gpt_oss has expert biases).  P is measured, not
                      derived: transformers stores the routed experts of a layer as one fused
                      module named ``experts`` whose parameters all have E as leading
                      dimension, so P = numel(experts) / E.  Everything else stays active:
                      shared experts and their gates (DeepSeek, Qwen2-MoE, Llama-4), the
                      routers and router biases (gpt_oss), attention (incl. gpt_oss sinks),
                      norms, embeddings and the head.  Dense layers of an interleaved model
                      (Llama-4 ``interleave_moe_layer_step``, DeepSeek ``first_k_dense_replace``,
                      Qwen ``mlp_only_layers``) are fully active.  DeepSeek-V3's multi-token-
                      prediction layer is not built by transformers and is in neither count.
  multimodal_total    wrappers only: the whole model (``AutoModelForImageTextToText``)
  vision              wrappers only: multimodal_total - total (vision tower + projector)

Before counting, ``quantization_config`` and ``auto_map`` are removed from the config:
the count is of the unquantized architecture, and no remote code is executed.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import random
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]
CONFIGS = REPO / "tests" / "fixtures" / "configs"
CATALOG_DIRS = [  # (directory, kind)
    (REPO / "data" / "models", "catalog"),
    (CONFIGS, "edge"),
    (CONFIGS / "hybrid", "hybrid"),
    (CONFIGS / "saved", "saved"),
    (CONFIGS / "random", "random"),
]
OUT_FILE = REPO / "tests" / "fixtures" / "hf_counts.json"


def normalize(cfg: dict) -> dict:
    """Translate legacy configs that the installed transformers no longer maps.

    Original Falcon checkpoints (before the in-library port) use
    model_type "RefinedWeb" (40B/180B style, i.e. new_decoder_architecture) or
    "RefinedWebModel" (7B style) with n_head/n_head_kv/n_layer keys.  This is the
    same translation transformers' Falcon port applies to those checkpoints.
    """
    cfg = dict(cfg)
    mt = cfg.get("model_type")
    if mt in ("RefinedWeb", "RefinedWebModel"):
        rename = {"n_head": "num_attention_heads", "n_layer": "num_hidden_layers", "n_head_kv": "num_kv_heads"}
        for old, new in rename.items():
            if old in cfg:
                cfg[new] = cfg.pop(old)
        if mt == "RefinedWeb":
            cfg["new_decoder_architecture"] = True
        else:
            cfg["new_decoder_architecture"] = False
            if "num_kv_heads" not in cfg:
                cfg["num_kv_heads"] = 1 if cfg.get("multi_query", True) else cfg["num_attention_heads"]
        cfg["model_type"] = "falcon"
        cfg.pop("auto_map", None)
        cfg["architectures"] = ["FalconForCausalLM"]
    # Llama-4 configs written by transformers 4.51 carry "attn_temperature_tuning": 4; 5.x validates
    # the field as a bool and rejects the int.  Any nonzero value meant "on"; no parameter depends on it.
    for d in (cfg, cfg.get("text_config")):
        if isinstance(d, dict) and isinstance(d.get("attn_temperature_tuning"), int) \
                and not isinstance(d["attn_temperature_tuning"], bool):
            if d is cfg.get("text_config"):
                d = cfg["text_config"] = dict(d)
            d["attn_temperature_tuning"] = bool(d["attn_temperature_tuning"])
    return cfg


def make_config(cfg_dict: dict):
    """The transformers config object for a raw config.json dict."""
    from transformers import AutoConfig, PretrainedConfig

    # save_pretrained writes Infinity as {"__float__": "Infinity"}; transformers' own reader decodes it
    d = normalize(PretrainedConfig._decode_special_floats(cfg_dict))
    d.pop("auto_map", None)  # never execute remote code; every model here is in-library
    d.pop("quantization_config", None)  # count the unquantized architecture
    model_type = d.pop("model_type")
    return AutoConfig.for_model(model_type, **d)


def _meta(factory, config):
    import torch

    with torch.device("meta"):
        return factory.from_config(config)


def build(cfg_dict: dict):
    """(config, language model) for a raw config dict; wrappers give their text model."""
    from transformers import AutoModelForCausalLM

    config = make_config(cfg_dict)
    text = config.get_text_config()
    return config, _meta(AutoModelForCausalLM, text)


def _num_experts(config) -> int | None:
    for key in ("num_local_experts", "num_experts", "n_routed_experts"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _moe_inactive(model, config) -> int | None:
    """Parameters of the (E - k) unused routed experts, summed over the MoE layers."""
    E = _num_experts(config)
    k = getattr(config, "num_experts_per_tok", None)
    if not E or not k:
        return None
    inactive = 0
    layers = 0
    for name, module in model.named_modules():
        if name.rsplit(".", 1)[-1] != "experts":
            continue
        params = list(module.parameters())
        if not params:
            continue
        if any(p.shape[0] != E for p in params):
            raise RuntimeError(f"{name}: expert parameters do not all lead with E={E}")
        n = sum(p.numel() for p in params)
        inactive += (E - k) * (n // E)
        layers += 1
    return inactive if layers else None


def _counts(model, config) -> dict:
    import torch.nn as nn

    total = sum(p.numel() for p in model.parameters())
    emb = model.get_input_embeddings()
    head = model.get_output_embeddings()
    lm_head = 0
    if head is not None:
        if head.weight is not emb.weight:
            lm_head += head.weight.numel()
        if getattr(head, "bias", None) is not None:
            lm_head += head.bias.numel()
    position_embedding = 0
    for name, module in model.named_modules():
        if isinstance(module, nn.Embedding) and module is not emb:
            leaf = name.rsplit(".", 1)[-1]
            if leaf in ("wpe", "embed_positions") or "position" in leaf:
                position_embedding += module.weight.numel()
    inactive = _moe_inactive(model, config)
    return {
        "total": total,
        "token_embedding": emb.weight.numel(),
        "lm_head": lm_head,
        "position_embedding": position_embedding,
        "active": None if inactive is None else total - inactive,
    }


def count(cfg_dict: dict) -> dict:
    """Every counted field for one raw config dict (see the module docstring)."""
    config, model = build(cfg_dict)
    text = config.get_text_config()
    row = {"model_type": config.model_type}
    row.update(_counts(model, text))
    if text is not config:  # a multimodal wrapper: also the whole model
        from transformers import AutoModelForImageTextToText

        full = _meta(AutoModelForImageTextToText, config)
        row["text_model_type"] = text.model_type
        row["multimodal_total"] = sum(p.numel() for p in full.parameters())
        row["vision"] = row["multimodal_total"] - row["total"]
    return row


def _source() -> str:
    import transformers

    return f"transformers {transformers.__version__} on torch meta device (AutoModelForCausalLM.from_config)"


def _row_name(path: pathlib.Path, kind: str) -> str:
    return path.stem if kind in ("catalog", "edge") else f"{kind}/{path.stem}"


def run_all(out_file: pathlib.Path | None = None) -> list[dict]:
    """Count every config; with ``out_file``, rewrite it after each directory (a batch)."""
    rows = []
    source = _source()
    for d, kind in CATALOG_DIRS:
        for path in sorted(d.glob("*.json")):
            cfg = json.loads(path.read_text())
            row = {"name": _row_name(path, kind), "config_file": str(path.relative_to(REPO)), "kind": kind}
            try:
                row.update(count(cfg))
            except Exception as e:  # a config transformers itself cannot build: record why
                row.update({"model_type": cfg.get("model_type"), "error": f"{type(e).__name__}: {e}"[:300]})
            row["source"] = source
            rows.append(row)
            print(f"{row['name']:48s} {row.get('total', 0):>16,d} active={row.get('active')}"
                  + (f" ERROR {row['error']}" if "error" in row else ""), file=sys.stderr)
        if out_file is not None:
            out_file.write_text(json.dumps(rows, indent=2) + "\n")
    return rows


# ---------------------------------------------------------------------------------------------
# What save_pretrained writes: one real config per family, built from the raw dict and saved.

SAVED_FROM = [  # (source file relative to the repo, name of the saved copy)
    ("data/models/qwen3-30b-a3b.json", "qwen3-30b-a3b"),
    ("tests/fixtures/configs/qwen3_moe_no_head_dim.json", "qwen3_moe_no_head_dim"),
    ("data/models/deepseek-v3.json", "deepseek-v3"),
    ("data/models/deepseek-v2-lite.json", "deepseek-v2-lite"),
    ("data/models/gpt-oss-20b.json", "gpt-oss-20b"),
    ("data/models/qwen1.5-moe-a2.7b.json", "qwen1.5-moe-a2.7b"),
    ("data/models/llama-4-scout-17b-16e-text.json", "llama-4-scout-17b-16e-text"),
    ("data/models/olmo-1b.json", "olmo-1b"),
    ("data/models/olmo-2-7b.json", "olmo-2-7b"),
    ("data/models/olmo-3.1-32b-instruct.json", "olmo-3.1-32b-instruct"),
    ("data/models/gemma-3-4b-it.json", "gemma-3-4b-it"),
    ("data/models/gemma-3-1b-it.json", "gemma-3-1b-it"),
    ("data/models/smollm3-3b.json", "smollm3-3b"),
    ("data/models/exaone-4.0-1.2b.json", "exaone-4.0-1.2b"),
    ("data/models/aya-23-8b.json", "aya-23-8b"),
    ("data/models/starcoder2-7b.json", "starcoder2-7b"),
    ("data/models/gpt-j-6b.json", "gpt-j-6b"),
    ("data/models/gpt-bigcode-santacoder.json", "gpt-bigcode-santacoder"),
    ("data/models/stablelm-2-zephyr-1.6b.json", "stablelm-2-zephyr-1.6b"),
    ("data/models/granite-3.3-8b-instruct.json", "granite-3.3-8b-instruct"),
    ("data/models/granite-3.1-3b-a800m-instruct.json", "granite-3.1-3b-a800m-instruct"),
    ("tests/fixtures/configs/phimoe_phi35_moe_dims.json", "phimoe_phi35_moe_dims"),
    ("data/models/mamba-2.8b.json", "mamba-2.8b"),
    ("data/models/mamba2-780m.json", "mamba2-780m"),
    ("tests/fixtures/configs/llama4_scout_17b_16e_multimodal.json", "llama4_scout_17b_16e_multimodal"),
]


def make_saved() -> None:
    """Rewrite tests/fixtures/configs/saved/: the config.json save_pretrained writes."""
    out = CONFIGS / "saved"
    out.mkdir(parents=True, exist_ok=True)
    for rel, name in SAVED_FROM:
        config = make_config(json.loads((REPO / rel).read_text()))
        with tempfile.TemporaryDirectory() as tmp:
            config.save_pretrained(tmp)
            saved = json.loads((pathlib.Path(tmp) / "config.json").read_text())
        (out / f"{name}.json").write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
        print(f"saved {rel} -> {out / name}.json", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Seeded random small configs, per family.


def _attn(rng: random.Random, *, head_dim_key: bool = False) -> dict:
    heads = rng.choice([2, 4, 8])
    kv = rng.choice([k for k in (1, 2, 4, 8) if heads % k == 0])
    head_dim = rng.choice([8, 16])
    d = {
        "num_hidden_layers": rng.randint(1, 4),
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "hidden_size": heads * head_dim if not head_dim_key else rng.choice([32, 48, 64]),
        "intermediate_size": rng.choice([24, 40, 64, 96]),
        "vocab_size": rng.randint(50, 300),
        "tie_word_embeddings": rng.random() < 0.5,
        "max_position_embeddings": 256,
    }
    if head_dim_key:
        d["head_dim"] = head_dim
    return d


def _layer_types(rng: random.Random, n: int, kinds=("sliding_attention", "full_attention")) -> list[str]:
    return [rng.choice(kinds) for _ in range(n)]


def _r_deepseek(rng, mt):
    d = _attn(rng)
    E = rng.choice([4, 8])
    d.update({
        "num_key_value_heads": d["num_attention_heads"],
        "moe_intermediate_size": rng.choice([16, 24]),
        "n_routed_experts": E,
        "n_shared_experts": rng.choice([0, 1, 2]) if mt == "deepseek_v2" else rng.choice([1, 2]),
        "num_experts_per_tok": rng.randint(1, 3),
        "first_k_dense_replace": rng.randint(0, d["num_hidden_layers"]),
        "q_lora_rank": rng.choice([None, 16, 24]),
        "kv_lora_rank": rng.choice([8, 16]),
        "qk_nope_head_dim": rng.choice([8, 16]),
        "qk_rope_head_dim": rng.choice([4, 8]),
        "v_head_dim": rng.choice([8, 16]),
        "attention_bias": rng.random() < 0.5,
        "n_group": 1,
        "topk_group": 1,
    })
    if mt == "deepseek_v2":
        d["moe_layer_freq"] = rng.choice([1, 2])
    return d


def _r_qwen2_moe(rng, mt):
    d = _attn(rng)
    d.update({
        "moe_intermediate_size": rng.choice([16, 24]),
        "num_experts": rng.choice([4, 6, 8]),
        "num_experts_per_tok": rng.randint(1, 3),
        "shared_expert_intermediate_size": rng.choice([16, 32, 48]),
        "decoder_sparse_step": rng.choice([1, 2]),
        "mlp_only_layers": sorted(rng.sample(range(d["num_hidden_layers"]), rng.randint(0, d["num_hidden_layers"]))),
        "qkv_bias": rng.random() < 0.7,
    })
    return d


def _r_qwen3_moe(rng, mt):
    d = _attn(rng, head_dim_key=rng.random() < 0.5)
    key = rng.choice(["num_experts", "num_local_experts"])
    d.update({
        "moe_intermediate_size": rng.choice([16, 24]),
        key: rng.choice([4, 8]),
        "num_experts_per_tok": rng.randint(1, 3),
        "decoder_sparse_step": rng.choice([1, 2]),
        "mlp_only_layers": sorted(rng.sample(range(d["num_hidden_layers"]), rng.randint(0, d["num_hidden_layers"]))),
        "attention_bias": rng.random() < 0.5,
    })
    return d


def _r_gpt_oss(rng, mt):
    d = _attn(rng, head_dim_key=True)
    d.update({
        "num_local_experts": rng.choice([4, 8]),
        "num_experts_per_tok": rng.randint(1, 3),
        "layer_types": _layer_types(rng, d["num_hidden_layers"]),
        "attention_bias": rng.random() < 0.7,
    })
    return d


def _r_llama4(rng, mt):
    d = _attn(rng, head_dim_key=True)
    d.update({
        "intermediate_size_mlp": rng.choice([32, 64, 80]),
        "num_local_experts": rng.choice([2, 4, 8]),
        "num_experts_per_tok": rng.randint(1, 2),
        "interleave_moe_layer_step": rng.choice([1, 2]),
        "use_qk_norm": rng.random() < 0.5,
        "attention_bias": rng.random() < 0.3,
    })
    return d


def _r_olmo(rng, mt):
    d = _attn(rng)
    d["attention_bias"] = rng.random() < 0.5
    if mt == "olmo":
        d["clip_qkv"] = rng.choice([None, 8.0])
    if mt == "olmo3":
        d["layer_types"] = _layer_types(rng, d["num_hidden_layers"])
    return d


def _r_gemma3(rng, mt):
    d = _attn(rng, head_dim_key=True)
    d.update({
        "attention_bias": rng.random() < 0.3,
        "query_pre_attn_scalar": d["head_dim"],
        "layer_types": _layer_types(rng, d["num_hidden_layers"]),
        "sliding_window": 16,
    })
    return d


def _r_smollm3(rng, mt):
    d = _attn(rng)
    d.update({
        "attention_bias": rng.random() < 0.5,
        "mlp_bias": rng.random() < 0.5,
        "no_rope_layers": [rng.choice([0, 1]) for _ in range(d["num_hidden_layers"])],
    })
    return d


def _r_exaone4(rng, mt):
    d = _attn(rng, head_dim_key=rng.random() < 0.5)
    d["layer_types"] = _layer_types(rng, d["num_hidden_layers"])
    d["sliding_window"] = 16
    return d


def _r_cohere(rng, mt):
    d = _attn(rng)
    d["attention_bias"] = rng.random() < 0.5
    if mt == "cohere":
        d["use_qk_norm"] = rng.random() < 0.5
    else:
        d["layer_types"] = _layer_types(rng, d["num_hidden_layers"])
        d["sliding_window"] = 16
    return d


def _r_starcoder2(rng, mt):
    d = _attn(rng)
    d["use_bias"] = rng.random() < 0.7
    return d


def _r_gptj(rng, mt):
    heads = rng.choice([2, 4])
    head_dim = rng.choice([8, 16])
    return {
        "n_layer": rng.randint(1, 3), "n_head": heads, "n_embd": heads * head_dim,
        "rotary_dim": rng.choice([4, head_dim]), "n_inner": rng.choice([None, 40, 96]),
        "vocab_size": rng.randint(50, 300), "n_positions": 256, "tie_word_embeddings": rng.random() < 0.5,
    }


def _r_gpt_bigcode(rng, mt):
    heads = rng.choice([2, 4])
    head_dim = rng.choice([8, 16])
    return {
        "n_layer": rng.randint(1, 3), "n_head": heads, "n_embd": heads * head_dim,
        "n_inner": rng.choice([None, 40, 96]), "multi_query": rng.random() < 0.5,
        "vocab_size": rng.randint(50, 300), "n_positions": rng.choice([64, 256]),
        "tie_word_embeddings": rng.random() < 0.5,
    }


def _r_stablelm(rng, mt):
    d = _attn(rng)
    d.update({
        "use_qkv_bias": rng.random() < 0.5,
        "qk_layernorm": rng.random() < 0.5,
        "use_parallel_residual": rng.random() < 0.5,
        "partial_rotary_factor": rng.choice([0.25, 0.5, 1.0]),
    })
    return d


def _r_granite(rng, mt):
    d = _attn(rng)
    d["attention_bias"] = rng.random() < 0.5
    if mt == "granite":
        d["mlp_bias"] = rng.random() < 0.5
    else:
        d["num_local_experts"] = rng.choice([4, 8])
        d["num_experts_per_tok"] = rng.randint(1, 3)
    return d


def _r_phimoe(rng, mt):
    d = _attn(rng)
    d.update({
        "num_local_experts": rng.choice([4, 8]),
        "num_experts_per_tok": 2,  # the sparsemixer router is written for top-2
        "attention_bias": rng.random() < 0.5,
        "lm_head_bias": rng.random() < 0.5,
    })
    return d


def _r_mamba(rng, mt):
    hidden = rng.choice([16, 32, 48])
    expand = rng.choice([1, 2])
    return {
        "hidden_size": hidden, "num_hidden_layers": rng.randint(1, 3), "vocab_size": rng.randint(50, 300),
        "state_size": rng.choice([4, 8, 16]), "expand": expand, "intermediate_size": expand * hidden,
        "conv_kernel": rng.choice([2, 4]), "time_step_rank": rng.choice([2, 4, 8]),
        "use_bias": rng.random() < 0.5, "use_conv_bias": rng.random() < 0.5,
        "tie_word_embeddings": rng.random() < 0.5,
    }


def _r_mamba2(rng, mt):
    head_dim = rng.choice([4, 8])
    num_heads = rng.choice([4, 8])
    expand = rng.choice([1, 2])
    hidden = num_heads * head_dim // expand
    return {
        "hidden_size": hidden, "num_hidden_layers": rng.randint(1, 3), "vocab_size": rng.randint(50, 300),
        "num_heads": num_heads, "head_dim": head_dim, "expand": expand,
        "n_groups": rng.choice([g for g in (1, 2, 4) if num_heads % g == 0]),
        "state_size": rng.choice([4, 8]), "conv_kernel": rng.choice([2, 4]), "chunk_size": 16,
        "use_bias": rng.random() < 0.5, "use_conv_bias": rng.random() < 0.5,
        "tie_word_embeddings": rng.random() < 0.5,
    }


RANDOM_FAMILIES = {
    "deepseek_v2": _r_deepseek, "deepseek_v3": _r_deepseek, "qwen2_moe": _r_qwen2_moe, "qwen3_moe": _r_qwen3_moe,
    "gpt_oss": _r_gpt_oss, "llama4_text": _r_llama4, "olmo": _r_olmo, "olmo2": _r_olmo, "olmo3": _r_olmo,
    "gemma3_text": _r_gemma3, "smollm3": _r_smollm3, "exaone4": _r_exaone4, "cohere": _r_cohere,
    "cohere2": _r_cohere, "starcoder2": _r_starcoder2, "gptj": _r_gptj, "gpt_bigcode": _r_gpt_bigcode,
    "stablelm": _r_stablelm, "granite": _r_granite, "granitemoe": _r_granite, "phimoe": _r_phimoe,
    "mamba": _r_mamba, "mamba2": _r_mamba2,
}
RANDOM_PER_FAMILY = 4


def make_random() -> None:
    """Rewrite tests/fixtures/configs/random/ with seeded random small configs."""
    out = CONFIGS / "random"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    for family, gen in RANDOM_FAMILIES.items():
        for i in range(RANDOM_PER_FAMILY):
            rng = random.Random(f"{family}-{i}")  # str seeds are stable across runs and platforms
            for attempt in range(20):
                # special token ids inside the small vocabularies (some defaults exceed them)
                cfg = {"model_type": family, **gen(rng, family),
                       "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 0}
                try:
                    count(cfg)
                except Exception as e:  # an invalid combination: draw again from the same stream
                    print(f"  {family}-{i} attempt {attempt}: {type(e).__name__}: {str(e)[:100]}", file=sys.stderr)
                    continue
                break
            else:
                raise RuntimeError(f"no valid random config for {family}")
            (out / f"{family}-{i}.json").write_text(json.dumps(cfg, indent=2) + "\n")
    print(f"wrote {len(list(out.glob('*.json')))} random configs to {out}", file=sys.stderr)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config", nargs="?", help="path to a config.json")
    ap.add_argument("--all", action="store_true", help="count every catalog/fixture config")
    ap.add_argument("--check", action="store_true", help="with --all: compare with the fixture, do not write")
    ap.add_argument("--make-saved", action="store_true", help="rewrite tests/fixtures/configs/saved/")
    ap.add_argument("--make-random", action="store_true", help="rewrite tests/fixtures/configs/random/")
    args = ap.parse_args(argv)
    if args.make_saved:
        make_saved()
    if args.make_random:
        make_random()
    if args.all:
        if args.check:
            rows = run_all()
            old = json.loads(OUT_FILE.read_text())

            def strip(rs):
                return [{k: v for k, v in r.items() if k != "source"} for r in rs]
            if strip(old) != strip(rows):
                print("MISMATCH with", OUT_FILE, file=sys.stderr)
                return 1
            print("fixture matches", file=sys.stderr)
            return 0
        rows = run_all(OUT_FILE)
        print(f"wrote {len(rows)} rows to {OUT_FILE}", file=sys.stderr)
        return 0
    if args.make_saved or args.make_random:
        return 0
    if not args.config:
        ap.error("give a config path or --all")
    res = count(json.loads(pathlib.Path(args.config).read_text()))
    res["source"] = _source()
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
