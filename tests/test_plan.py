"""Plan files: every example loads and assesses; malformed plans name the bad field."""

import json

import pytest

from conftest import ROOT
from planner import PlanFileError
from planner.cli import main
from planner.surfaces.report import card_html, render_text
from planner.verdict.assessment import assess_plan
from planner.verdict.planfile import load_plan, plan_from_dict, save_plan

PLANS = sorted((ROOT / "data" / "plans").glob("*.toml"))


def test_examples_exist():
    names = {p.stem for p in PLANS}
    assert {"origin-case", "chinchilla-70b", "llama-3-8b", "small-1week-8xh100"} <= names


@pytest.mark.parametrize("path", PLANS, ids=[p.stem for p in PLANS])
def test_every_example_assesses(path):
    a = assess_plan(load_plan(path))
    d = a.to_dict()
    json.dumps(d)  # serialisable
    assert d["params"] > 0 and d["tokens"] > 0 and d["compute"]["gpu_hours"] > 0
    assert a.plan.name in render_text(a) and a.gate.level.upper() in card_html(a)


def test_origin_case_plan():
    a = assess_plan(load_plan(ROOT / "data/plans/origin-case.toml"))
    assert a.params == 494_032_768 and a.gate.tokens == 22_118_400
    # the steps to 20x on effective tokens (10.3 epochs of the corpus), not the raw ceil(20·N / 8,192) = 1,206,135
    assert a.gate.level == "severe" and a.gate.blocked and a.gate.steps_to_optimal == 1_555_931
    assert round(a.corpus.ceiling_1_epoch, 1) == 2.5          # 1.24e9 / 494,032,768
    text = render_text(a)
    assert "2.51× at 1 epoch" in text and "SEVERE — blocked: D/N 0.045" in text


def test_llama3_8b_far_above_optimal_is_not_an_error():
    a = assess_plan(load_plan(ROOT / "data/plans/llama-3-8b.toml"))
    assert a.gate.ratio == pytest.approx(1875, rel=0.01)      # 15T / 8.03B
    assert a.gate.level == "compute-optimal" and not a.gate.blocked
    assert "deliberate choice" in a.gate.message


def test_chinchilla_replica_reaches_twenty():
    a = assess_plan(load_plan(ROOT / "data/plans/chinchilla-70b.toml"))
    assert a.gate.ratio >= 20 and a.gate.level == "compute-optimal"
    assert a.compute.flops == pytest.approx(5.88e23, rel=0.001)   # Chinchilla Table 1: 6 × 70B × 1.4T


def test_one_week_plan_fits_a_week():
    a = assess_plan(load_plan(ROOT / "data/plans/small-1week-8xh100.toml"))
    assert a.compute.count == 8 and 6 <= a.compute.days <= 7   # a week, attention at 2K tokens included
    # by hand, on palm FLOPs: (6·(N − 128,256 × 3,072 tied embedding) + 12·L·H·Q·T)·D / (8 × 989.4e12 × 0.40) s
    per_token = 6 * (a.params - 128_256 * 3072) + 12 * 34 * 24 * 128 * 2048
    seconds = per_token * a.gate.tokens / (8 * 989.4e12 * 0.40)
    assert a.compute.days == pytest.approx(seconds / 86400)


def test_continued_pretraining_plan():
    doc = {"model": {"params": 1000}, "training": {"steps": 2, "tokens_per_step": 1000, "prior_tokens": 25000}}
    a = assess_plan(plan_from_dict(doc))
    assert a.gate.cumulative_ratio == 27 and a.gate.new_ratio == 2 and not a.gate.blocked


BASE = {"model": {"catalog": "gpt2"}, "training": {"steps": 10, "tokens_per_step": 1000}}


def _with(section, **kv):
    doc = json.loads(json.dumps(BASE))
    doc.setdefault(section, {}).update(kv)
    return doc


@pytest.mark.parametrize("doc, field", [
    ({"training": BASE["training"]}, "plan.model"),
    ({"model": BASE["model"]}, "plan.training"),
    (_with("training", steps=-1), "plan.training.steps"),
    (_with("training", steps=1.5), "plan.training.steps"),
    (_with("training", stepz=3), "plan.training.stepz"),
    (_with("training", micro_batch=2), "plan.training.tokens_per_step"),
    (_with("model", catalog="gpt-9"), "plan.model.catalog"),
    (_with("model", params=7e9), "plan.model"),
    ({**BASE, "model": {"dimensions": {"num_layers": 2, "hidden_size": 64, "num_heads": 3, "vocab_size": 10}}},
     "plan.model.dimensions.num_heads"),
    ({**BASE, "model": {"dimensions": {"num_layers": 2, "colour": "red"}}}, "plan.model.dimensions"),
    (_with("model", param_kind="embedding"), "plan.model.param_kind"),
    (_with("corpus", name="The Library of Babel"), "plan.corpus.name"),
    (_with("corpus", unique_tokens=-5), "plan.corpus.unique_tokens"),
    (_with("hardware", accelerator="abacus"), "plan.hardware.accelerator"),
    (_with("hardware", mfu=40), "plan.hardware.mfu"),
    (_with("hardware", count=0), "plan.hardware.count"),
    (_with("thresholds", block=50), "plan.thresholds"),
    (_with("law", fit="kaplan"), "plan.law.fit"),
    ({**BASE, "budget": {}}, "plan.budget"),
    ({**BASE, "name": 5}, "plan.name"),
])
def test_malformed_plans_name_the_field(doc, field):
    with pytest.raises(PlanFileError) as e:
        plan_from_dict(doc)
    assert str(e.value).startswith(field + ":") or str(e.value).startswith(field + "."), str(e.value)


@pytest.mark.parametrize("content, needle", [
    (b"", "plan.model"), (b"[model\ncatalog=", "not valid TOML"), (b"\xff\xfe\x00", "not a text file"),
    (b"model = 3\n[training]\nsteps=1\ntokens_per_step=1\n", "plan.model"),
])
def test_malformed_plan_files(tmp_path, content, needle):
    p = tmp_path / "bad.toml"
    p.write_bytes(content)
    with pytest.raises(PlanFileError, match=needle):
        load_plan(p)
    with pytest.raises(PlanFileError, match="not found"):
        load_plan(tmp_path / "missing.toml")


def test_config_path_relative_to_plan(tmp_path):
    (tmp_path / "cfg.json").write_text((ROOT / "data/models/qwen2.5-0.5b.json").read_text())
    (tmp_path / "p.toml").write_text('[model]\nconfig = "cfg.json"\n[training]\nsteps = 1\ntokens_per_step = 1\n')
    assert assess_plan(load_plan(tmp_path / "p.toml")).params == 494_032_768


def test_cli_report_exit_codes(capsys):
    assert main(["report", str(ROOT / "data/plans/origin-case.toml")]) == 1
    out, err = capsys.readouterr()
    assert "2.51× at 1 epoch" in out and "SEVERE" in err
    assert main(["report", str(ROOT / "data/plans/origin-case.toml"), "--force-under-provisioned"]) == 0
    assert "warning" in capsys.readouterr()[1]
    assert main(["report", str(ROOT / "data/plans/llama-3-8b.toml"), "--json"]) == 0
    d = json.loads(capsys.readouterr()[0])
    assert d["level"] == "compute-optimal" and d["ratio"] == pytest.approx(1875, rel=0.01)
    assert main(["report", "nope.toml"]) == 2
    assert capsys.readouterr()[1].count("\n") == 1


def test_cli_optimal(capsys):
    assert main(["optimal", "--flops", "1.71e24", "--fit", "chinchilla", "--json"]) == 0
    d = json.loads(capsys.readouterr()[0])
    assert set(d) >= {"params", "tokens", "tokens_per_param", "loss"}
    assert d["params"] == pytest.approx(6.7e10, rel=0.05) and d["tokens"] == pytest.approx(4.1e12, rel=0.10)
    assert main(["optimal", "--flops", "5.76e23", "--fit", "epoch", "--json"]) == 0
    assert 17 <= json.loads(capsys.readouterr()[0])["tokens_per_param"] <= 20
    assert main(["optimal", "--flops", "nan"]) == 2


def test_save_plan_refuses_a_path_with_a_nul_byte(tmp_path):
    plan = load_plan(ROOT / "data" / "plans" / "origin-case.toml")
    with pytest.raises(PlanFileError, match="NUL"):
        save_plan(plan, str(tmp_path / "a\x00b.toml"))
