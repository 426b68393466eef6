#!/usr/bin/env python3
"""Every causal-LM ``model_type`` transformers knows, counted by transformers and by the planner.

Optional developer tool, not part of the planner package (it imports torch and transformers). For
each type in ``MODEL_FOR_CAUSAL_LM_MAPPING_NAMES`` it makes two configs, the config class's
defaults and a seeded random variant (:func:`random_config`), each in two forms: ``raw`` (the dict
as written) and ``saved`` (what ``save_pretrained`` writes for it). Each is built on torch's meta
device (no memory, no weights, no network) and its parameters summed; the planner's native count
(``planner.count``) must equal that sum or refuse.

    python benchmarks/causal_lm_coverage.py            # table: exact / wrong / refused per type
    python benchmarks/causal_lm_coverage.py --json     # the same as JSON rows
    python benchmarks/causal_lm_coverage.py llama mpt  # some types only

tests/test_hf_coverage.py checks the same in two steps: the light suite (no torch) compares the native
count with transformers' counts recorded in tests/fixtures/causal_lm_counts.json, and the integration
step (``python -m pytest -m integration``) checks that record against the installed transformers live.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import sys
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = pathlib.Path(__file__).resolve().parents[1]

# keys holding one entry per layer: cut to the new depth
_PER_LAYER = ("layer_types", "mlp_layer_types", "layers_block_type", "no_rope_layers", "mlp_only_layers",
              "full_attn_idxs", "block_types", "attn_layer_indices")
_BIAS_FLAGS = ("attention_bias", "mlp_bias", "qkv_bias", "use_bias", "bias", "use_qk_norm", "qk_layernorm",
               "tie_word_embeddings")


# Types whose config-class defaults transformers cannot build: the fewest keys that make them buildable.
BUILDABLE = {
    "hunyuan_v1_dense": {"head_dim": 128}, "hunyuan_v1_moe": {"head_dim": 128},
    "nemotron": {"num_key_value_heads": 8}, "ministral": {"head_dim": 128}, "ernie4_5_moe": {"num_hidden_layers": 28},
    "lfm2_moe": {"num_hidden_layers": 4, "layer_types": ["conv", "conv", "full_attention", "conv"]},
}


def default_config(model_type: str) -> dict:
    """The config-class defaults of ``model_type`` (plus :data:`BUILDABLE`'s keys where needed)."""
    return {"model_type": model_type, **BUILDABLE.get(model_type, {})}


def causal_lm_types() -> list[str]:
    """The model types transformers builds with ``AutoModelForCausalLM``, sorted."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES
    return sorted(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES)


def config_object(cfg: dict):
    """transformers' config object for a config dict (never remote code)."""
    from transformers import AutoConfig, PretrainedConfig
    d = PretrainedConfig._decode_special_floats(dict(cfg))
    d.pop("auto_map", None)
    d.pop("quantization_config", None)
    return AutoConfig.for_model(d.pop("model_type"), **d)


def hf_total(cfg: dict) -> int:
    """transformers' own parameter count of a causal-LM config dict, on the meta device (tied once).

    For an image-text wrapper, the language model inside the whole model: ``model.language_model``
    and ``lm_head`` (the vision tower and projector are counted apart by the planner).
    """
    import torch
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
    return text if wrapped else total


def saved_form(cfg: dict) -> dict:
    """The config.json ``save_pretrained`` writes for ``cfg``."""
    config = config_object(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        config.save_pretrained(tmp)
        return json.loads((pathlib.Path(tmp) / "config.json").read_text())


def random_config(model_type: str, seed: int = 0) -> dict:
    """A seeded random variant of ``model_type``'s default config that transformers accepts.

    Depth 1-4 (per-layer lists cut to it), a random vocabulary, random tie and bias flags, and a
    random intermediate width; widths that must agree with heads are left alone. Falls back to the
    default config when no draw builds.
    """
    base = saved_form(default_config(model_type))
    base = {k: v for k, v in base.items() if k not in ("architectures", "transformers_version", "dtype")}
    rng = random.Random(f"{model_type}-{seed}")
    for _ in range(8):
        cfg = json.loads(json.dumps(base))
        tc = cfg.get("text_config") if isinstance(cfg.get("text_config"), dict) else None
        for d in (cfg, tc):
            if d is None:
                continue
            L = d.get("num_hidden_layers")
            if isinstance(L, int) and L > 1:
                n = rng.randint(1, min(4, L))
                d["num_hidden_layers"] = n
                for k in _PER_LAYER:
                    if isinstance(d.get(k), list) and len(d[k]) == L:
                        d[k] = d[k][:n]
                for k in ("mlp_only_layers",):
                    if isinstance(d.get(k), list):
                        d[k] = [i for i in d[k] if i < n]
            if isinstance(d.get("vocab_size"), int):
                d["vocab_size"] = rng.randint(300, 3000)
            for k in _BIAS_FLAGS:
                if isinstance(d.get(k), bool):
                    d[k] = rng.random() < 0.5
            if isinstance(d.get("intermediate_size"), int) and rng.random() < 0.7:
                d["intermediate_size"] = rng.choice([64, 96, 160, 256])
        for tok in ("bos_token_id", "eos_token_id", "pad_token_id"):
            for d in (cfg, tc):
                if d is not None and isinstance(d.get(tok), int):
                    d[tok] = 0
        try:
            hf_total(cfg)
        except Exception:
            continue
        return cfg
    return default_config(model_type)


def respelled(cfg: dict) -> dict:
    """``cfg`` with every field its config class also accepts under another name (``attribute_map``) written
    under that other name, as some real config.json files do (EXAONE's ``num_layers``, BLOOM's ``n_head``)."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING
    mt = cfg.get("model_type")
    amap = getattr(CONFIG_MAPPING[mt], "attribute_map", None) or {} if mt in CONFIG_MAPPING else {}
    out = dict(cfg)
    for alias, target in amap.items():
        if alias != target and target in out and alias not in out:
            out[alias] = out.pop(target)
    return out


def planner_total(cfg: dict):
    """The planner's native total, or the refusal's class name."""
    sys.path.insert(0, str(REPO))
    import planner
    from planner.errors import PlannerError
    try:
        return planner.count_params(planner.model.families.from_hf_config(cfg)).total
    except PlannerError as e:
        return type(e).__name__
    except Exception as e:  # a bug: never hidden
        return f"CRASH {type(e).__name__}: {e}"


def probe(model_type: str) -> list[dict]:
    """One row per (config, form) of ``model_type``: transformers' total and the planner's."""
    rows = []
    try:
        configs = {"default": default_config(model_type), "random": random_config(model_type)}
    except Exception as e:
        return [{"model_type": model_type, "config": "default", "form": "raw",
                 "error": f"{type(e).__name__}: {e}"[:200]}]
    for which, cfg in configs.items():
        for form in ("raw", "saved", "respelled"):
            t0 = time.perf_counter()
            row = {"model_type": model_type, "config": which, "form": form}
            try:
                c = cfg if form == "raw" else saved_form(cfg) if form == "saved" else respelled(saved_form(cfg))
                row["hf"] = hf_total(c)
            except Exception as e:
                row["error"] = f"{type(e).__name__}: {e}"[:200]
                rows.append(row)
                continue
            row["planner"] = planner_total(c)
            row["seconds"] = round(time.perf_counter() - t0, 3)
            rows.append(row)
    return rows


def status(rows: list[dict]) -> str:
    """``exact``, ``wrong``, ``refused`` or ``hf-error`` for a type's rows (wrong wins)."""
    got = [r for r in rows if "hf" in r]
    if not got:
        return "hf-error"
    if any(isinstance(r["planner"], int) and r["planner"] != r["hf"] for r in got) or \
            any(isinstance(r["planner"], str) and r["planner"].startswith("CRASH") for r in got):
        return "wrong"
    if all(r["planner"] == r["hf"] for r in got):
        return "exact"
    return "refused"


def write_markdown(results: list[dict], path: pathlib.Path) -> None:
    """The coverage table: one row per causal-LM type, how its N is counted."""
    import transformers
    sys.path.insert(0, str(REPO))
    from planner.model.families import MODULES
    how = {"exact": "native, exact", "refused": "transformers (fallback), exact", "wrong": "**WRONG**",
           "hf-error": "transformers cannot build its own config"}
    counts = {}
    lines = []
    for r in results:
        mt, st = r["model_type"], r["status"]
        if st == "refused" and mt in MODULES:
            label = "native for real configs; some forms refused, then transformers (fallback)"
        else:
            label = how[st]
        counts[label] = counts.get(label, 0) + 1
        lines.append(f"| `{mt}` | {label} | {MODULES.get(mt, '')} |")
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    text = (f"# How N is counted, per model type\n\n"
            f"Generated by `python benchmarks/causal_lm_coverage.py --markdown docs/model_coverage.md` against "
            f"transformers {transformers.__version__}: every type in `MODEL_FOR_CAUSAL_LM_MAPPING_NAMES`, its "
            "config-class defaults and a seeded random variant, raw and as `save_pretrained` writes them, each "
            "compared with transformers' own count on the meta device (`tests/test_hf_coverage.py` checks the "
            "native count against the counts recorded in `tests/fixtures/causal_lm_counts.json` in the light suite, "
            "and that record against transformers live in the integration step).\n\n"
            "- **native, exact**: `planner/model/families/` counts it (sliders, sweeps and variants work); every "
            "form matched transformers.\n"
            "- **transformers (fallback), exact**: the native counter refuses it; with torch and transformers "
            "installed (`pip install 'planner[hf]'`) `planner.count` and `planner params` count it with "
            "transformers on the meta device (labelled `counted_by`); without them the refusal says how.\n"
            "- **transformers cannot build its own config**: nothing to compare (a bug or a missing optional "
            "dependency in transformers); the planner refuses or the fallback reports transformers' error.\n\n"
            f"Summary: {summary}.\n\n| model_type | how N is counted | family module |\n|---|---|---|\n"
            + "\n".join(lines) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("types", nargs="*")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--markdown", metavar="FILE", help="write the coverage table (docs/model_coverage.md)")
    args = ap.parse_args(argv)
    import warnings
    warnings.filterwarnings("ignore")
    import transformers
    transformers.logging.set_verbosity_error()
    out = []
    for mt in args.types or causal_lm_types():
        rows = probe(mt)
        st = status(rows)
        out.append({"model_type": mt, "status": st, "rows": rows})
        if not args.json:
            detail = "; ".join(f"{r['config']}/{r['form']} hf={r.get('hf', r.get('error'))} planner={r.get('planner')}"
                               for r in rows if st in ("wrong", "hf-error") or r.get("planner") != r.get("hf"))
            print(f"{mt:28s} {st:8s} {detail[:300]}", flush=True)
    if args.markdown:
        write_markdown(out, pathlib.Path(args.markdown))
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        from collections import Counter
        print(Counter(r["status"] for r in out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
