#!/usr/bin/env python3
"""transformers' own counts for the families added in issue 23, written to tests/fixtures/family_counts.json.

Optional developer tool (needs torch and transformers; tested: torch 2.13.0+cpu, transformers 5.25.0).
Rows (each with the config inline, counted on the meta device, tied weights once):

  fixture   tests/fixtures/configs/families/*.json: real configs (sources in SOURCES.md there) and the
            small configs where a wrong rule and the right one give different numbers (issue 23's three
            wrong numbers, the wrapper tie rule, DeepSeek-V2's null top-k, irregular Qwen3.5 layers)
  default   each new type's config-class defaults, as save_pretrained writes them
  random    seeded random variants of them (benchmarks/causal_lm_coverage.py random_config), raw and
            as save_pretrained writes them

Fields: ``total`` (for an image-text wrapper: its language model and head, everything but the vision
tower and projector), ``lm_head`` (0 when tied), ``active`` (MoE: total minus the routed experts beyond
the top-k; None for dense models and when the top-k is not stated), ``full_total`` for wrappers.

    python benchmarks/family_counts.py
"""
from __future__ import annotations

import json
import pathlib
import sys
import warnings

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
OUT = REPO / "tests" / "fixtures" / "family_counts.json"
FIXTURES = REPO / "tests" / "fixtures" / "configs" / "families"

# model types counted natively since issue 23 (each gets default and random rows)
NEW_TYPES = ["glm", "glm4", "seed_oss", "arcee", "apertus", "ernie4_5", "hunyuan_v1_dense", "exaone", "helium",
             "nemotron", "gpt_neo", "bloom", "mpt", "falcon_mamba", "glm4_moe", "olmoe", "flex_olmo", "minimax_m2",
             "ernie4_5_moe", "hunyuan_v1_moe", "internlm3", "iquestcoder", "gpt-sw3", "sarvam_moe", "param2moe",
             "sarvam_mla", "deepseek_v32", "lfm2", "nanochat", "lfm2_moe", "exaone_moe", "granitemoehybrid", "bamba",
             "vaultgemma", "granite_swa",
             "jais2", "granitemoeshared", "solar_open", "mellum", "glm4_moe_lite", "hy_v3", "afmoe",
             "olmo_hybrid", "ministral",
             # the wrong or refused ones, now right
             "cohere2", "mamba", "llama4", "deepseek_v2", "qwen3_5_text", "qwen3_5_moe_text", "qwen3_5", "qwen3_5_moe",
             "gemma3"]
SEEDS = (0, 1, 2)


def truth(cfg: dict) -> dict:
    """transformers' counts of one config dict."""
    import torch
    from causal_lm_coverage import config_object
    from hf_meta_count import _moe_inactive
    from transformers import AutoModelForCausalLM

    config = config_object(cfg)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    seen, total, text, wrapped = set(), 0, 0, False
    for name, p in model.named_parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        if name.startswith(("model.language_model.", "lm_head.")):
            text += p.numel()
            wrapped = wrapped or name.startswith("model.language_model.")
    emb, head = model.get_input_embeddings(), model.get_output_embeddings()
    lm_head = 0 if head.weight is emb.weight else head.weight.numel()
    if getattr(head, "bias", None) is not None:
        lm_head += head.bias.numel()
    n = text if wrapped else total
    inactive = _moe_inactive(model, config.get_text_config())
    row = {"total": n, "lm_head": lm_head, "active": None if inactive is None else n - inactive}
    if wrapped:
        row["full_total"] = total
    return row


def main() -> int:
    import transformers
    from causal_lm_coverage import default_config, random_config, saved_form

    warnings.filterwarnings("ignore")
    transformers.logging.set_verbosity_error()
    rows = []
    for path in sorted(FIXTURES.glob("*.json")):
        cfg = json.loads(path.read_text())
        rows.append({"name": f"fixture/{path.stem}", "kind": "fixture", "config": cfg, **truth(cfg)})
    for mt in NEW_TYPES:
        cfg = saved_form(default_config(mt))
        rows.append({"name": f"default/{mt}", "kind": "default", "model_type": mt, "config": cfg, **truth(cfg)})
        for seed in SEEDS:
            raw = random_config(mt, seed)
            for form, cfg in (("raw", raw), ("saved", saved_form(raw))):
                rows.append({"name": f"random/{mt}-{seed}-{form}", "kind": "random", "model_type": mt, "config": cfg,
                             **truth(cfg)})
        print(mt, file=sys.stderr)
    source = (f"transformers {transformers.__version__} on the torch meta device "
              "(AutoModelForCausalLM.from_config), by benchmarks/family_counts.py")
    OUT.write_text(json.dumps({"source": source, "rows": rows}, indent=1) + "\n")
    print(f"wrote {len(rows)} rows to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
