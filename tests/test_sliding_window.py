"""Sliding-window attention: read from configs as transformers reads them, counted in the attention FLOPs.

Expected windows are read by hand from the catalog's config.json files and transformers' rules (each config
class's default ``layer_types``; which modeling code reads it); where transformers is installed, its own config
classes are asked too. FLOPs are worked by hand: 12·H·Q per key per layer (6·H·(Q + Q_v), Q_v = Q).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import planner
from planner import ConfigError, InputError
from planner.launch.common import architecture_fields
from planner.model.architecture import Architecture
from planner.model.catalog import architecture, load_config
from planner.model.families import from_hf_config
from planner.model.params import count_params
from planner.training.flops import token_flops
from planner.verdict.assessment import assess_plan
from planner.verdict.planfile import load_plan, plan_from_dict, save_plan

# Mistral-7B-v0.1: 32 layers, 32 heads of 128, a 32,000 x 4,096 token embedding, 7,241,732,096 parameters
# (the model card's 7.24B), a 4,096-token window on every layer.
MISTRAL_N, MISTRAL_EMBEDDING = 7_241_732_096, 32_000 * 4_096
H100_DENSE = 989.4e12


def _config(name):
    return load_config(name)[0]


# ---- the fields, from the catalog's configs --------------------------------------------------------------

# name: (sliding_window, windowed layers in use, layers), each read from data/models/<name>.json by hand.
CATALOG = {
    "mistral-7b-v0.1": (4096, 32, 32),        # sliding_window 4096: every layer
    "phi-3-mini-4k-instruct": (2047, 32, 32),  # sliding_window 2047: every layer
    "starcoder2-7b": (4096, 32, 32),           # sliding_window 4096: every layer
    "gemma-2-2b-it": (4096, 13, 26),           # (i + 1) % 2: layers 0, 2, ..., 24
    "gemma-3-1b-it": (512, 22, 26),            # sliding_window_pattern 6: layers 5, 11, 17, 23 full
    "gemma-3-4b-it": (1024, 29, 34),           # text_config, pattern absent (6): 5, 11, 17, 23, 29 full
    "gpt-oss-20b": (128, 12, 24),              # layer_types: 12 sliding_attention of 24
    "gpt-oss-120b": (128, 18, 36),             # layer_types: 18 of 36
    "olmo-3.1-32b-instruct": (4096, 48, 64),   # layer_types: three of every four
}
# Configs that state a window and switch it off (or null it): no window.
NO_WINDOW = ("mixtral-8x7b-v0.1",      # sliding_window null
             "qwen2.5-7b", "qwen2.5-0.5b", "qwen1.5-moe-a2.7b",   # use_sliding_window false
             "qwen3-8b", "qwen3-30b-a3b", "smollm3-3b",             # use_sliding_window false, window null
             "exaone-4.0-1.2b", "llama-3-8b")                       # layer_types all full; no window at all


@pytest.mark.parametrize("name", CATALOG)
def test_catalog_windows(name):
    window, windowed, layers = CATALOG[name]
    a = architecture(name)
    assert (a.sliding_window, a.sliding_window_layers, a.num_attention_layers) == (window, windowed, layers)
    # given as None when every layer is windowed (the input is "all"), as the count otherwise
    assert a.inputs()["sliding_window_layers"] == (None if windowed == layers else windowed)


@pytest.mark.parametrize("name", NO_WINDOW)
def test_catalog_without_windows(name):
    a = architecture(name)
    assert a.sliding_window is None and a.sliding_window_layers == 0


@pytest.mark.parametrize("name", [*CATALOG, *NO_WINDOW])
def test_windows_change_no_parameter_count(name):
    a = architecture(name)
    plain = a.with_(sliding_window=None, sliding_window_layers=None)
    assert count_params(a) == count_params(plain)


# Families whose modeling code gives config.sliding_window to every attention layer and never reads layer_types.
_EVERY_LAYER = {"mistral", "mixtral", "phi3", "starcoder2", "ministral3", "phimoe", "qwen3_moe"}

# Configs beyond the catalog: each family's defaults (a bare config), and its switches and patterns set.
_SYNTHETIC = [{"model_type": t} for t in ("afmoe", "cohere2", "exaone4", "exaone_moe", "gemma2", "gemma3_text",
                                          "gpt_neo", "gpt_oss", "granite_swa", "mistral", "olmo3", "vaultgemma",
                                          "qwen2", "qwen3", "smollm3", "mixtral", "phi3", "starcoder2")] + [
    {"model_type": "qwen2", "use_sliding_window": True, "max_window_layers": 20},
    {"model_type": "qwen3", "use_sliding_window": True, "num_hidden_layers": 40},
    {"model_type": "qwen2_moe", "use_sliding_window": True, "max_window_layers": 15},
    {"model_type": "qwen3_moe", "use_sliding_window": True},
    {"model_type": "smollm3", "use_sliding_window": True, "sliding_window": 2048},
    {"model_type": "smollm3", "use_sliding_window": True, "sliding_window": 2048, "no_rope_layer_interval": 3},
    {"model_type": "ministral", "head_dim": 128},
    {"model_type": "gemma3_text", "sliding_window_pattern": 4},
    {"model_type": "exaone4", "sliding_window_pattern": 3},
    {"model_type": "afmoe", "global_attn_every_n_layers": 3},
    {"model_type": "mellum", "num_hidden_layers": 48, "layer_types": ["sliding_attention", "full_attention"] * 24},
    {"model_type": "gpt_neo", "num_layers": 12, "attention_types": [[["global", "local", "local"], 4]]},
    {"model_type": "phi3", "sliding_window": 2047}, {"model_type": "starcoder2", "sliding_window": 4096},
    {"model_type": "mixtral", "sliding_window": 4096}, {"model_type": "phimoe", "sliding_window": 131072},
    {"model_type": "ministral3", "sliding_window": 4096},
]


def _transformers_window(cfg):
    """(window, windowed layers) as transformers' own config class sets them up for its modeling code."""
    transformers = pytest.importorskip("transformers")
    hf = transformers.AutoConfig.for_model(**cfg)
    hf = getattr(hf, "text_config", None) or hf
    if hf.model_type == "gpt_neo":
        return hf.window_size, hf.attention_layers.count("local")
    window = getattr(hf, "sliding_window", None) or None   # Qwen2-MoE sets 0 when switched off
    if window is None:
        return None, 0
    if hf.model_type in _EVERY_LAYER:
        return window, hf.num_hidden_layers
    windowed = list(hf.layer_types).count("sliding_attention")
    return (window if windowed else None), windowed


@pytest.mark.parametrize("cfg", [*CATALOG, *NO_WINDOW, *_SYNTHETIC], ids=str)
def test_windows_agree_with_transformers_config_classes(cfg):
    cfg = _config(cfg) if isinstance(cfg, str) else cfg
    expected = _transformers_window(cfg)
    a = from_hf_config(cfg)
    assert (a.sliding_window, a.sliding_window_layers) == expected


# ---- the rules, where the right and a wrong reading differ ------------------------------------------------

def test_qwen2_windows_layers_from_max_window_layers_on():
    cfg = {**_config("qwen2.5-0.5b"), "use_sliding_window": True, "sliding_window": 4096, "max_window_layers": 21}
    a = from_hf_config(cfg)
    assert (a.sliding_window, a.sliding_window_layers) == (4096, 3)   # layers 21, 22, 23 of 24 (not the first 21)


def test_qwen2_moe_windows_even_layers_below_max_window_layers():
    cfg = {**_config("qwen1.5-moe-a2.7b"), "use_sliding_window": True}   # 24 layers, max_window_layers 21
    a = from_hf_config(cfg)
    assert (a.sliding_window, a.sliding_window_layers) == (32768, 11)   # layers 0, 2, ..., 20


def test_qwen3_moe_windows_every_layer_when_switched_on():
    cfg = {**_config("qwen3-30b-a3b"), "use_sliding_window": True}
    assert from_hf_config(cfg).sliding_window is None                    # sliding_window null: none
    a = from_hf_config({**cfg, "sliding_window": 4096})
    assert (a.sliding_window, a.sliding_window_layers) == (4096, 48)


def test_smollm3_windows_its_nope_layers():
    cfg = {**_config("smollm3-3b"), "use_sliding_window": True, "sliding_window": 4096}
    cfg.pop("layer_types")   # else its list (all full_attention) decides, as in transformers
    a = from_hf_config(cfg)
    assert (a.sliding_window, a.sliding_window_layers) == (4096, 9)     # no_rope_layers: 9 zeros of 36
    assert from_hf_config({**cfg, "layer_types": ["full_attention"] * 36}).sliding_window is None


def test_mistral_window_default_null_and_zero():
    cfg = dict(_config("mistral-7b-v0.1"))
    del cfg["sliding_window"]
    assert architecture("mistral-7b-v0.1").sliding_window == from_hf_config(cfg).sliding_window == 4096
    assert from_hf_config({**cfg, "sliding_window": None}).sliding_window is None
    assert from_hf_config({**cfg, "sliding_window": 0}).sliding_window is None
    # Mistral's modeling code ignores layer_types: every layer keeps the window
    listed = from_hf_config({**cfg, "layer_types": ["full_attention"] * 32})
    assert (listed.sliding_window, listed.sliding_window_layers) == (4096, 32)


def test_gemma2_layer_types_win_over_the_rule():
    cfg = {**_config("gemma-2-2b-it"), "layer_types": ["sliding_attention"] * 20 + ["full_attention"] * 6}
    assert from_hf_config(cfg).sliding_window_layers == 20
    assert from_hf_config({**cfg, "layer_types": ["full_attention"] * 26}).sliding_window is None
    with pytest.raises(ConfigError, match="config.layer_types"):
        from_hf_config({**cfg, "layer_types": ["sliding_attention"] * 25})   # transformers: one per layer
    with pytest.raises(ConfigError, match="config.sliding_window"):
        from_hf_config({**cfg, "sliding_window": -1})


def test_pattern_periods():
    gemma3 = {**_config("gemma-3-1b-it"), "sliding_window_pattern": 2}   # 26 layers
    assert from_hf_config(gemma3).sliding_window_layers == 13
    cohere2 = {"model_type": "cohere2", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128,
               "num_hidden_layers": 10, "num_attention_heads": 4}
    assert from_hf_config(cohere2).sliding_window_layers == 8        # default pattern 4: layers 3, 7 full
    assert from_hf_config({**cohere2, "sliding_window_pattern": 5}).sliding_window_layers == 8   # 4, 9 full
    assert from_hf_config({**cohere2, "sliding_window_pattern": 3}).sliding_window_layers == 7   # 2, 5, 8 full


# ---- the Architecture fields -------------------------------------------------------------------------------

def _small(**kw):
    return Architecture(num_layers=4, hidden_size=64, num_heads=4, vocab_size=100, **kw)


@pytest.mark.parametrize("kw, field", [
    ({"sliding_window": 0}, "sliding_window"), ({"sliding_window": -5}, "sliding_window"),
    ({"sliding_window": True}, "sliding_window"), ({"sliding_window": 1.5}, "sliding_window"),
    ({"sliding_window": 128, "sliding_window_layers": -1}, "sliding_window_layers"),
    ({"sliding_window_layers": 2}, "sliding_window_layers"),   # a count without a window
])
def test_bad_window_fields(kw, field):
    with pytest.raises(InputError) as e:
        _small(**kw)
    assert e.value.field == field


def test_windowed_layers_in_use():
    assert _small().sliding_window_layers == 0
    assert _small(sliding_window=8).sliding_window_layers == 4
    a = _small(sliding_window=8, sliding_window_layers=2)
    assert a.sliding_window_layers == 2 and a != _small(sliding_window=8) and a == _small(sliding_window=8,
                                                                                        sliding_window_layers=2)
    assert a.with_(num_layers=1).sliding_window_layers == 1     # at most every attention layer
    assert a.with_(num_layers=12).sliding_window_layers == 2


# ---- the FLOPs and the plan's time -------------------------------------------------------------------------

def test_mistral_flops_per_token_by_hand_at_32k():
    a = architecture("mistral-7b-v0.1")
    f = token_flops(a, 32768, window=a.sliding_window, window_layers=a.sliding_window_layers)
    assert f.attention == 12 * 32 * 32 * 128 * 4096                # min(32,768, 4,096) keys on every layer
    assert f.model == 6 * (MISTRAL_N - MISTRAL_EMBEDDING) + 12 * 32 * 32 * 128 * 4096
    assert token_flops(a, 32768).attention == 12 * 32 * 32 * 128 * 32768   # what was counted before


def test_gemma2_flops_half_the_layers_windowed():
    a = architecture("gemma-2-2b-it")   # 8 heads of 256
    f = token_flops(a, 8192, window=a.sliding_window, window_layers=a.sliding_window_layers)
    assert f.attention == 12 * 8 * 256 * (13 * 4096 + 13 * 8192)
    short = token_flops(a, 2048, window=a.sliding_window, window_layers=a.sliding_window_layers)
    assert short.attention == 12 * 8 * 256 * 26 * 2048             # within the window: nothing changes


def _mistral_plan(seq_len=32768):
    return plan_from_dict({"model": {"catalog": "mistral-7b-v0.1"},
                           "training": {"steps": 100, "micro_batch": 1, "seq_len": seq_len},
                           "hardware": {"accelerator": "h100-sxm", "count": 8, "mfu": 0.4}})


def test_plan_time_counts_the_window():
    per_token = 6 * (MISTRAL_N - MISTRAL_EMBEDDING) + 12 * 32 * 32 * 128 * 4096
    tokens = 100 * 32768
    c = assess_plan(_mistral_plan()).compute
    assert c.mfu_flops == pytest.approx(per_token * tokens)
    assert c.gpu_hours == pytest.approx(per_token * tokens / (H100_DENSE * 0.4 * 3600))


def test_cli_check_agrees_with_assess_plan():
    out = subprocess.run([sys.executable, "-m", "planner", "check", "--model", "mistral-7b-v0.1", "--steps", "100",
                          "--micro-batch", "1", "--seq-len", "32768", "--mfu", "0.4", "--json",
                          "--force-under-provisioned"], capture_output=True, text=True, check=True).stdout
    c = json.loads(out)["compute"]
    per_token = 6 * (MISTRAL_N - MISTRAL_EMBEDDING) + 12 * 32 * 32 * 128 * 4096
    assert c["mfu_flops"] == pytest.approx(per_token * 100 * 32768)
    assert c["gpu_hours"] == pytest.approx(assess_plan(_mistral_plan()).compute.gpu_hours)


# ---- round trips -------------------------------------------------------------------------------------------

def test_plan_file_round_trip_keeps_the_window(tmp_path: Path):
    arch = architecture("gemma-2-2b-it").with_(sliding_window=1024, name="gemma-2-2b (1K window)")
    plan = _mistral_plan(8192).with_(model=arch)
    path = save_plan(plan, tmp_path / "windowed.toml")
    text = path.read_text()
    assert "sliding_window = 1024" in text and "sliding_window_layers = 13" in text
    back = load_plan(path)
    assert back.model == arch and back.model.sliding_window_layers == 13
    assert assess_plan(back).compute.mfu_flops == assess_plan(plan).compute.mfu_flops


@pytest.mark.parametrize("name", ["mistral-7b-v0.1", "gemma-2-2b-it", "llama-3-8b"])
def test_architecture_fields_round_trip(name):
    a = architecture(name)
    fields = architecture_fields(a)
    assert Architecture(**fields) == a
    assert ("sliding_window" in fields) == (a.sliding_window is not None)


def test_the_mfu_row_names_the_window():
    from planner.surfaces.report import compute_rows
    p = planner.Plan(model=planner.architecture("mistral-7b-v0.1"),
                     budget=planner.budget(steps=1000, micro_batch=1, seq_len=32768))
    assert "a 4,096-token window on 32 layers" in dict(compute_rows(planner.assess_plan(p)))["MFU counts"]
    short = p.with_(budget=planner.budget(steps=1000, micro_batch=1, seq_len=2048))   # shorter than the window
    assert "window" not in dict(compute_rows(planner.assess_plan(short)))["MFU counts"]
