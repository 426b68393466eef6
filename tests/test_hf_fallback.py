"""The transformers fallback's contract, without running transformers: refusal text, cache key, bounds.

The counts themselves are checked against transformers in tests/test_hf_coverage.py (integration).
"""

import subprocess

import pytest

import planner
from planner.model import hf_fallback
from planner.model.hf_fallback import HFCount

NOT_NATIVE = {"model_type": "rwkv", "hidden_size": 64, "num_hidden_layers": 2}


def _hc(**kw):
    row = {"model_type": "rwkv", "total": 1000, "language_model": None, "token_embedding": 300, "lm_head": 0,
           "model_class": "RwkvForCausalLM", "transformers_version": "9.9.9"}
    return HFCount(**{**row, **kw})


def test_without_torch_the_refusal_says_how_to_count_it(monkeypatch):
    monkeypatch.setattr(hf_fallback, "available", lambda: False)
    monkeypatch.setattr(hf_fallback, "_MEMORY", {})
    with pytest.raises(planner.UnknownModelError, match=r"'rwkv' is not supported.*pip install 'planner\[hf\]'"):
        planner.count_params(NOT_NATIVE)


def test_the_cache_key_is_canonical():
    a = {"model_type": "x", "hidden_size": 8, "n": [1, 2]}
    b = {"n": [1, 2], "hidden_size": 8, "model_type": "x"}
    assert hf_fallback.config_key(a) == hf_fallback.config_key(b) != hf_fallback.config_key({**a, "hidden_size": 9})


def test_a_cached_count_is_used_and_labelled(monkeypatch):
    monkeypatch.setattr(hf_fallback, "_MEMORY", {hf_fallback.config_key(NOT_NATIVE): _hc()})
    monkeypatch.setattr(hf_fallback, "available", lambda: False)  # never reached: the cache answers
    pc = planner.count_params(NOT_NATIVE)
    assert (pc.total, pc.embedding, pc.non_embedding, pc.active) == (1000, 300, 700, None)
    assert pc.counted_by == "transformers 9.9.9 (RwkvForCausalLM on the meta device)"
    assert pc.breakdown["other"] == 700 and sum(pc.breakdown.values()) == 1000


def test_a_wrapper_counts_its_language_model_and_the_rest_apart(monkeypatch):
    pc = _hc(total=1500, language_model=1000, model_type="somevlm").param_count()
    assert (pc.total, pc.vision, pc.language_model_of) == (1000, 500, "somevlm")


def test_moe_active_from_transformers_or_unknown():
    assert _hc(moe=True, inactive_experts=400).param_count().active == 600
    pc = _hc(moe=True, inactive_experts=None).param_count()
    assert pc.active is None
    with pytest.raises(planner.InputError, match="num_experts_per_tok"):
        pc.get("active")


def test_the_subprocess_is_bounded_offline_and_runs_no_remote_code(monkeypatch):
    seen = {}

    def fake_run(cmd, **kw):
        seen.update(kw)
        raise subprocess.TimeoutExpired(cmd, kw["timeout"])

    monkeypatch.setattr(hf_fallback, "_MEMORY", {})
    monkeypatch.setattr(hf_fallback, "available", lambda: True)
    monkeypatch.setenv("PLANNER_NO_DISK_CACHE", "1")
    monkeypatch.setattr(hf_fallback.subprocess, "run", fake_run)
    with pytest.raises(planner.UnknownModelError, match="did not build it within 7 s"):
        hf_fallback.hf_count({**NOT_NATIVE, "auto_map": {"AutoModel": "evil.Model"}}, timeout=7)
    assert seen["timeout"] == 7
    assert seen["env"]["HF_HUB_OFFLINE"] == "1" and seen["env"]["TRANSFORMERS_OFFLINE"] == "1"
    assert "trust_remote_code" not in hf_fallback._CHILD and '"auto_map"' in hf_fallback._CHILD


def test_the_disk_cache_lives_in_the_user_cache_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("PLANNER_NO_DISK_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    hf_fallback._to_disk("k-9.9.9", _hc())
    assert (tmp_path / "planner" / "hf_counts" / "k-9.9.9.json").is_file()
    assert hf_fallback._from_disk("k-9.9.9") == _hc()
    (tmp_path / "planner" / "hf_counts" / "k-9.9.9.json").write_text("{broken")
    assert hf_fallback._from_disk("k-9.9.9") is None  # a damaged entry is recounted, never trusted


def test_a_native_family_never_goes_to_transformers(monkeypatch):
    monkeypatch.setattr(hf_fallback, "hf_counts", lambda *a, **k: pytest.fail("the fallback ran"))
    assert planner.count_params("qwen2.5-0.5b").counted_by == "planner"
