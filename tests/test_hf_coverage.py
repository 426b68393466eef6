"""Every causal-LM model_type transformers knows: the planner's N is transformers' own, or it refuses.

The truth is transformers' count on the meta device, recorded in ``tests/fixtures/causal_lm_counts.json`` by this
file run as a script (``python tests/test_hf_coverage.py``, with the ``integration`` extra installed: it records
the transformers version it ran). For each type in transformers' ``MODEL_FOR_CAUSAL_LM_MAPPING_NAMES``: the config
class's defaults and a seeded random variant (benchmarks/causal_lm_coverage.py ``random_config``), each raw, as
``save_pretrained`` writes it, and saved with every field under the other name its class's attribute_map accepts
(``respelled``); for an image-text wrapper the count is its language model and head.

Light tests (no torch needed, a fraction of a second): the native counter gives every recorded count exactly or
refuses with a PlannerError, and at least 65 types are natively exact.

Integration tests (marker ``integration``: ``python -m pytest -m integration`` after ``pip install -e
".[integration]"``; skipped without torch and transformers): the record is this transformers' own (its list of
types, and a live count of every tenth type's configs), and the fallback (planner.model.hf_fallback, one
subprocess) counts a refused config of every fourth refused type exactly.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import warnings
from pathlib import Path

import pytest

import planner
from planner.errors import PlannerError

ROOT = Path(__file__).resolve().parent.parent

RECORD = ROOT / "tests" / "fixtures" / "causal_lm_counts.json"
# Natively exact types that must stay so (the goal: at least 65).
MIN_NATIVE = 65


def _coverage_module():
    spec = importlib.util.spec_from_file_location("causal_lm_coverage", ROOT / "benchmarks" / "causal_lm_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record() -> dict:
    return json.loads(RECORD.read_text(encoding="utf-8")) if RECORD.is_file() else {"transformers": "", "types": {}}


REC = _record()
TYPES = sorted(REC["types"])


def _native(cfg):
    try:
        return planner.count_params(planner.model.families.from_hf_config(cfg)).total
    except PlannerError as e:
        return e


# ---- light: the native counter against the record ----------------------------------------------------------------

def test_the_record_covers_every_causal_lm_type():
    assert len(TYPES) >= 150 and REC["transformers"], f"{RECORD} is missing or short: run python {__file__}"


@pytest.mark.parametrize("model_type", TYPES)
def test_native_is_exact_or_refuses(model_type):
    rows = REC["types"][model_type]
    if not rows:
        pytest.skip(f"transformers {REC['transformers']} cannot build {model_type!r} from its own config")
    for r in rows:
        native = _native(r["config"])
        if not isinstance(native, PlannerError):
            assert native == r["truth"], f"{r['name']}: planner {native:,} != transformers {r['truth']:,}"


def test_enough_types_are_exact_natively():
    exact = [mt for mt, rows in REC["types"].items()
             if rows and all(not isinstance(_native(r["config"]), PlannerError) for r in rows)]
    assert len(exact) >= MIN_NATIVE, sorted(exact)


# ---- integration: the record is transformers' own, and the fallback is exact -------------------------------------

@pytest.fixture(scope="module")
def cov():
    pytest.importorskip("torch", reason="torch is not installed (pip install -e '.[integration]' brings the CPU wheel)")
    transformers = pytest.importorskip("transformers",
                                       reason="transformers is not installed (pip install -e '.[integration]')")
    transformers.logging.set_verbosity_error()
    assert transformers.__version__ == REC["transformers"], (
        f"the record was made with transformers {REC['transformers']}, this is {transformers.__version__}: "
        f"regenerate it with python {__file__}")
    return _coverage_module()


@pytest.mark.integration
def test_the_record_lists_this_transformers_types(cov):
    assert cov.causal_lm_types() == TYPES


@pytest.mark.integration
def test_the_record_is_transformers_own_count(cov):
    sample = TYPES[::10]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mt in sample:
            for r in REC["types"][mt]:
                assert cov.hf_total(r["config"]) == r["truth"], f"{mt} {r['name']}"


@pytest.mark.integration
def test_the_fallback_counts_refused_configs_exactly(cov, monkeypatch):
    from planner.model import hf_fallback
    monkeypatch.setenv("PLANNER_NO_DISK_CACHE", "1")  # the test leaves no files in the user's cache
    refused = []
    for mt in TYPES:
        first = next((r for r in REC["types"][mt] if isinstance(_native(r["config"]), PlannerError)), None)
        if first is not None:
            refused.append((mt, first))
    sample = refused[::4]
    assert len(sample) >= 20
    counted = hf_fallback.hf_counts([r["config"] for _, r in sample], timeout=900)
    for (mt, r), hc in zip(sample, counted, strict=True):
        assert not isinstance(hc, str), f"{mt} {r['name']}: the fallback failed: {hc}"
        pc = hc.param_count()
        assert pc.total == r["truth"], f"{mt} {r['name']}: fallback {pc.total:,} != transformers {r['truth']:,}"
        assert pc.counted_by.startswith("transformers")


@pytest.mark.integration
def test_a_refused_config_is_counted_by_transformers_and_says_so(cov, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLANNER_NO_DISK_CACHE", "1")
    cfg = {"model_type": "rwkv", "num_hidden_layers": 2, "vocab_size": 1000}
    truth = cov.hf_total(cfg)
    pc = planner.count_params(cfg)
    assert pc.total == truth and pc.counted_by.startswith("transformers 5.")
    assert sum(pc.breakdown.values()) == pc.total and pc.to_dict()["counted_by"] == pc.counted_by
    assert planner.count_params(cfg) is not None  # the second time from the memory cache
    with pytest.raises(planner.UnknownModelError):  # sliders and sweeps stay native: no Architecture
        planner.architecture(cfg)
    from planner.cli import entry
    path = tmp_path / "config.json"
    path.write_text(json.dumps(cfg))
    monkeypatch.setattr("sys.argv", ["planner", "params", str(path)])
    with contextlib.suppress(SystemExit):
        entry()
    out = capsys.readouterr().out
    assert "counted by transformers" in out and f"{truth:,}" in out


# ---- the record, regenerated: python tests/test_hf_coverage.py ------------------------------------------------------

def _write_record() -> None:
    import transformers
    transformers.logging.set_verbosity_error()
    cov = _coverage_module()
    types: dict[str, list] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mt in cov.causal_lm_types():
            rows: list[dict] = []
            types[mt] = rows
            try:
                configs = [("default", cov.default_config(mt)), ("random", cov.random_config(mt))]
            except Exception:  # noqa: BLE001  transformers cannot even write this type's config
                continue
            for which, cfg in configs:
                for form in ("raw", "saved", "respelled"):
                    try:
                        c = (cfg if form == "raw" else cov.saved_form(cfg) if form == "saved"
                             else cov.respelled(cov.saved_form(cfg)))
                        truth = cov.hf_total(c)
                    except Exception:  # noqa: BLE001  transformers cannot build it: nothing to compare
                        continue
                    rows.append({"name": f"{which}/{form}", "config": json.loads(json.dumps(c, default=str)),
                                 "truth": truth})
    record = {"transformers": transformers.__version__,
              "source": "python tests/test_hf_coverage.py: transformers on torch's meta device "
                        "(AutoModelForCausalLM.from_config), tied weights once",
              "types": types}
    RECORD.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {RECORD}: {len(types)} types, {sum(map(len, types.values()))} configs")


if __name__ == "__main__":
    _write_record()
