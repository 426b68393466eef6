"""Every causal-LM model_type transformers knows: the planner's N is transformers' own, or it refuses.

An integration test (marker ``integration``: ``python -m pytest -m integration`` after ``pip install -e ".[integration]"``;
skipped without torch and transformers).
The list of types is transformers' ``MODEL_FOR_CAUSAL_LM_MAPPING_NAMES``; for each, the config class's
defaults and a seeded random variant (benchmarks/causal_lm_coverage.py ``random_config``), each raw, as
``save_pretrained`` writes it, and saved with every field under the other name its class's attribute_map
accepts (``respelled``). The truth is transformers' count on the meta device, in this process
(for an image-text wrapper: its language model and head). The native counter must give it exactly or
refuse with a PlannerError; every refused config must then be counted exactly by the fallback
(planner.model.hf_fallback: one subprocess for the whole batch).

Takes about two minutes on two cores (in-process counting ~45 s, one fallback subprocess for the rest).
"""

import importlib.util
import os
import warnings

import pytest

pytestmark = pytest.mark.integration
pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[integration]' brings the CPU wheel)")
pytest.importorskip("transformers", reason="transformers is not installed (pip install -e '.[integration]')")

import planner
from conftest import ROOT
from planner.errors import PlannerError
from planner.model import hf_fallback

_spec = importlib.util.spec_from_file_location("causal_lm_coverage", ROOT / "benchmarks" / "causal_lm_coverage.py")
cov = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cov)

TYPES = cov.causal_lm_types()
# Natively exact types that must stay so (the goal: at least 65).
MIN_NATIVE = 65


def _native(cfg):
    try:
        return planner.count_params(planner.from_hf_config(cfg)).total
    except PlannerError as e:
        return e


@pytest.fixture(scope="module")
def results():
    import transformers
    transformers.logging.set_verbosity_error()
    rows = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mt in TYPES:
            out = []
            try:
                configs = [("default", cov.default_config(mt)), ("random", cov.random_config(mt))]
            except Exception:  # noqa: BLE001  transformers cannot even write this type's config
                rows[mt] = out
                continue
            for which, cfg in configs:
                for form in ("raw", "saved", "respelled"):
                    try:
                        c = (cfg if form == "raw" else cov.saved_form(cfg) if form == "saved"
                             else cov.respelled(cov.saved_form(cfg)))
                        truth = cov.hf_total(c)
                    except Exception:  # noqa: BLE001  transformers cannot build it: nothing to compare
                        continue
                    out.append({"name": f"{which}/{form}", "config": c, "truth": truth, "native": _native(c)})
            rows[mt] = out
    refused = [r for rs in rows.values() for r in rs if isinstance(r["native"], Exception)]
    old = os.environ.get("PLANNER_NO_DISK_CACHE")
    os.environ["PLANNER_NO_DISK_CACHE"] = "1"  # the test leaves no files in the user's cache
    try:
        counted = hf_fallback.hf_counts([r["config"] for r in refused], timeout=900)
    finally:
        if old is None:
            del os.environ["PLANNER_NO_DISK_CACHE"]
        else:
            os.environ["PLANNER_NO_DISK_CACHE"] = old
    for r, hc in zip(refused, counted):
        r["fallback"] = hc
    return rows


@pytest.mark.parametrize("model_type", TYPES)
def test_native_is_exact_or_refuses_and_the_fallback_is_exact(results, model_type):
    rows = results[model_type]
    if not rows:
        pytest.skip(f"transformers 5.25 cannot build {model_type!r} from its own config (nothing to compare)")
    for r in rows:
        if isinstance(r["native"], Exception):
            hc = r["fallback"]
            assert not isinstance(hc, str), f"{r['name']}: the fallback failed: {hc}"
            pc = hc.param_count()
            assert pc.total == r["truth"], f"{r['name']}: fallback {pc.total:,} != transformers {r['truth']:,}"
            assert pc.counted_by.startswith("transformers")
        else:
            assert r["native"] == r["truth"], f"{r['name']}: planner {r['native']:,} != transformers {r['truth']:,}"


def test_enough_types_are_exact_natively(results):
    exact = [mt for mt, rows in results.items() if rows and all(not isinstance(r["native"], Exception) for r in rows)]
    assert len(exact) >= MIN_NATIVE, sorted(exact)
    assert set(exact) <= set(TYPES)


def test_a_refused_config_is_counted_by_transformers_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLANNER_NO_DISK_CACHE", "1")
    cfg = {"model_type": "rwkv", "num_hidden_layers": 2, "vocab_size": 1000}
    truth = cov.hf_total(cfg)
    pc = planner.count(cfg)
    assert pc.total == truth and pc.counted_by.startswith("transformers 5.")
    assert sum(pc.breakdown.values()) == pc.total and pc.to_dict()["counted_by"] == pc.counted_by
    assert planner.count(cfg) is not None  # the second time from the memory cache
    with pytest.raises(planner.UnknownModelError):  # sliders and sweeps stay native: no Architecture
        planner.architecture(cfg)
    import json

    from planner.cli import entry
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    monkeypatch.setattr("sys.argv", ["planner", "params", str(path)])
    try:
        entry()
    except SystemExit:
        pass
    out = capsys.readouterr().out
    assert "counted by transformers" in out and f"{truth:,}" in out
