"""The command line, as a launch script uses it: output, exit codes, one-line errors."""

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from planner.cli import main

QWEN = str(ROOT / "data" / "models" / "qwen2.5-0.5b.json")
ORIGIN = ["check", "--config", QWEN, "--steps", "2700", "--micro-batch", "4", "--seq-len", "2048"]


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_origin_case_blocked(capsys):
    code, out, err = run(ORIGIN, capsys)
    assert code == 1
    assert "22,118,400" in out and "0.045" in out and "SEVERE — blocked" in out and "1,206,135" in out
    assert "force-under-provisioned" in err


def test_origin_case_forced_still_warns(capsys):
    code, out, err = run(ORIGIN + ["--force-under-provisioned"], capsys)
    assert code == 0 and "warning" in err and "SEVERE" in err


def test_origin_case_json(capsys):
    code, out, _ = run(ORIGIN + ["--json"], capsys)
    d = json.loads(out)
    assert code == 1
    assert (d["params"], d["tokens"], d["level"], d["blocked"]) == (494_032_768, 22_118_400, "severe", True)
    assert d["steps_to_optimal"] == 1_206_135 and d["tokens_to_optimal"] == 9_880_655_360
    assert d["ratio"] == pytest.approx(0.04477, abs=1e-5) and d["param_kind"] == "total"


def test_ratio_exactly_ten_passes(capsys):
    args = ["check", "--params", "1000", "--micro-batch", "1", "--seq-len", "1000"]
    assert run(args + ["--steps", "10"], capsys)[0] == 0
    assert run(args + ["--steps", "9"], capsys)[0] == 1


def test_params_json(capsys):
    code, out, _ = run(["params", QWEN, "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["total"] == 494_032_768 and d["active"] is None
    assert set(d) >= {"total", "embedding", "non_embedding", "active", "breakdown"}
    assert sum(d["breakdown"].values()) == d["total"]


def test_params_by_catalog_name_and_moe(capsys):
    code, out, _ = run(["params", "mixtral-8x7b-v0.1", "--json"], capsys)
    assert code == 0 and json.loads(out)["active"] == 12_879_925_248


def test_prior_tokens(capsys):
    code, out, _ = run(["check", "--params", "1000", "--steps", "2", "--tokens-per-step", "1000",
                        "--prior-tokens", "25000"], capsys)
    assert code == 0 and "cumulative" in out


def test_huge_values_do_not_overflow(capsys):
    code, out, _ = run(["check", "--params", "10T", "--steps", "25000000", "--tokens-per-step", "4000000",
                        "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["tokens"] == 100 * 10**12 and d["ratio"] == 10.0


@pytest.fixture
def bad_files(tmp_path):
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "broken.json").write_text("{\"model_type\": ")
    (tmp_path / "binary.json").write_bytes(b"\x89PNG\x00\xff\xfe")
    cfg = json.loads((ROOT / "data" / "models" / "qwen2.5-0.5b.json").read_text())
    (tmp_path / "nohidden.json").write_text(json.dumps({k: v for k, v in cfg.items() if k != "hidden_size"}))
    (tmp_path / "unknown.json").write_text(json.dumps({**cfg, "model_type": "t5"}))
    (tmp_path / "neg.json").write_text(json.dumps({**cfg, "num_hidden_layers": -2}))
    return tmp_path


BAD = [
    (["check", "--params", "-5", "--steps", "1", "--tokens-per-step", "1"], "--params"),
    (["check", "--params", "0", "--steps", "1", "--tokens-per-step", "1"], "--params"),
    (["check", "--params", "100", "--steps", "1.5", "--tokens-per-step", "1"], "--steps"),
    (["check", "--params", "100", "--steps", "ten", "--tokens-per-step", "1"], "--steps"),
    (["check", "--params", "100", "--steps", "nan", "--tokens-per-step", "1"], "--steps"),
    (["check", "--params", "inf", "--steps", "1", "--tokens-per-step", "1"], "--params"),
    (["check", "--params", "100", "--steps", "1", "--micro-batch", "2"], "--seq-len"),
    (["check", "--params", "100", "--steps", "1", "--tokens-per-step", "8", "--seq-len", "8"], "--tokens-per-step"),
    (["check", "--params", "100", "--model", "gpt2", "--steps", "1", "--tokens-per-step", "1"], "--model"),
    (["check", "--steps", "1", "--tokens-per-step", "1"], "--params"),
    (["check", "--params", "100", "--steps", "1", "--tokens-per-step", "1", "--prior-tokens", "-1"], "--prior-tokens"),
    (["check", "--params", "100", "--steps", "1", "--tokens-per-step", "1", "--optimal", "nan"], "--optimal:"),
    (["check", "--model", "no-such-model", "--steps", "1", "--tokens-per-step", "1"], "no-such-model"),
    (["params", "{d}/missing.json"], "not found"),
    (["params", "{d}/empty.json"], "empty"),
    (["params", "{d}/list.json"], "JSON object"),
    (["params", "{d}/broken.json"], "not valid JSON"),
    (["params", "{d}/binary.json"], "not a text file"),
    (["params", "{d}/nohidden.json"], "config.hidden_size"),
    (["params", "{d}/unknown.json"], "config.model_type"),
    (["params", "{d}/neg.json"], "config.num_hidden_layers"),
    (["params", "{d}"], "directory"),
    (["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize("args, needle", BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_bad_input_exits_2_with_one_line(args, needle, bad_files, capsys):
    code, out, err = run([a.format(d=bad_files) for a in args], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert needle in err


def test_module_and_console_script_entry_points():
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    p = subprocess.run([sys.executable, "-m", "planner"] + ORIGIN, capture_output=True, text=True, env=env)
    assert p.returncode == 1 and "1,206,135" in p.stdout
    p = subprocess.run(["planner", "check", "--params", "x", "--steps", "1", "--tokens-per-step", "1"],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--params" in p.stderr


def test_check_with_corpus(capsys):
    code, out, err = run(ORIGIN + ["--unique-tokens", "1.24e9"], capsys)
    assert code == 1 and "2.51× at 1 epoch" in out
    code, out, err = run(["check", "--params", "1e6", "--steps", "50", "--tokens-per-step", "1e6",
                          "--corpus", "OpenWebText", "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["corpus"]["unique_tokens"] == 9_035_582_198   # nanoGPT's OpenWebText train split
    assert d["corpus"]["epochs"] == pytest.approx(5e7 / 9_035_582_198)
    code, out, err = run(["check", "--params", "1000", "--steps", "20", "--tokens-per-step", "1000",
                          "--unique-tokens", "1000"], capsys)
    assert code == 0 and "Beyond 16 epochs" in err
    code, _, err = run(ORIGIN + ["--unique-tokens", "1e9", "--corpus", "C4 (en)"], capsys)
    assert code == 2 and "--corpus" in err
