"""Dropout follows the model: a config's rates (or its class's defaults), a launch file, or the user.

Expected values are Korthikanti et al. 2022 (arXiv:2205.05198) §4.1 written out by hand: a transformer layer
stores 34·sbh + 5·as²b bytes with dropout and 32·sbh + 2·as²b without it (the two sbh-byte masks after the
attention and MLP blocks, and the as²b mask plus the 2·as²b dropped-out scores go), and the embedding's
dropout keeps one more sbh-byte mask on the first stage. transformers' defaults: GPT2Config resid_pdrop =
embd_pdrop = attn_pdrop = 0.1, OPTConfig dropout = 0.1, LlamaConfig attention_dropout = 0.0.
"""

import json

import pytest

import planner
from conftest import ROOT
from planner import ConfigError, InputError
from planner.cli import main
from planner.training.memory import memory_estimate
from planner.training.memory.calibration import BACKWARD_LAYERS
from planner.training.parallelism import Parallelism

MODELS = ROOT / "data" / "models"
S, B = 1024, 1  # GPT-2's context, one sequence


def config(name):
    return json.loads((MODELS / f"{name}.json").read_text())


@pytest.mark.parametrize("name, rate", [("gpt2", 0.1), ("opt-125m", 0.1), ("llama-3-8b", 0.0),
                                        ("qwen2.5-0.5b", 0.0), ("pythia-160m", 0.0)])
def test_the_rate_is_the_configs_or_its_class_default(name, rate):
    assert planner.model.families.from_hf_config(config(name)).dropout == rate


def test_a_config_without_rates_gets_transformers_defaults_and_one_with_zero_rates_none():
    bare = {k: v for k, v in config("gpt2").items() if "pdrop" not in k}
    assert planner.model.families.from_hf_config(bare).dropout == 0.1  # GPT2Config's defaults
    from_hf_config = planner.model.families.from_hf_config
    assert from_hf_config({**bare, "resid_pdrop": 0, "embd_pdrop": 0, "attn_pdrop": 0.0}).dropout == 0.0
    assert from_hf_config({**bare, "resid_pdrop": 0, "embd_pdrop": 0, "attn_pdrop": 0.25}).dropout == 0.25


@pytest.mark.parametrize("value", ["0.1", 1.5, -0.1, True, float("nan")])
def test_a_bad_rate_names_the_key(value):
    with pytest.raises(ConfigError, match=r"config\.resid_pdrop.*dropout rate"):
        planner.model.families.from_hf_config({**config("gpt2"), "resid_pdrop": value})
    if value != "0.1":  # Architecture reads typed text, as every number the planner takes
        with pytest.raises(InputError, match="dropout"):
            planner.Architecture(num_layers=1, hidden_size=8, num_heads=1, vocab_size=8, dropout=value)


def _masks_by_hand(layers, h, a):
    """Bytes the dropout masks and dropped-out scores add: per layer 2·sbh + 3·as²b, plus the embedding's sbh, plus
    the backward's working set (the memory model's fitted number of layers' worth of activations)."""
    per_layer = 2 * S * B * h + 3 * a * S * S * B
    return layers * per_layer + S * B * h + BACKWARD_LAYERS * per_layer


def test_memory_follows_the_config_unless_the_layout_says():
    gpt2 = planner.model.families.from_hf_config(config("gpt2"))  # 12 layers, h 768, 12 heads
    layout = Parallelism(micro_batch=B, seq_len=S)
    assert layout.dropout is None
    follows = memory_estimate(gpt2, layout)
    without = memory_estimate(gpt2, layout.with_(dropout=False))
    assert follows.layout.dropout is True and without.layout.dropout is False
    assert follows.activations - without.activations == pytest.approx(_masks_by_hand(12, 768, 12))
    assert memory_estimate(gpt2, layout.with_(dropout=True)).total == follows.total
    llama = planner.model.families.from_hf_config(config("llama-3.2-1b-instruct"))
    assert memory_estimate(llama, layout).layout.dropout is False
    with_masks = memory_estimate(llama, layout.with_(dropout=True))
    assert with_masks.activations > memory_estimate(llama, layout).activations
    sweep = planner.training.memory.memory_sweep(gpt2, layout, tp=[1, 2])
    assert sweep["total"].iloc[0] == follows.total


def test_cli_text_and_json_say_and_obey_it(capsys, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config("gpt2")))
    base = ["memory", "--config", str(path), "--micro-batch", str(B), "--seq-len", str(S)]
    assert main([*base, "--json"]) == 0
    follows = json.loads(capsys.readouterr().out)
    assert main([*base, "--no-dropout", "--json"]) == 0
    without = json.loads(capsys.readouterr().out)
    assert follows["layout"]["dropout"] is True and without["layout"]["dropout"] is False
    assert follows["activations"] - without["activations"] == pytest.approx(_masks_by_hand(12, 768, 12), abs=2)
    assert main(base) == 0
    assert "dropout masks" in capsys.readouterr().out.splitlines()[1]  # the Layout line
    assert main([*base, "--no-dropout"]) == 0
    assert "dropout" not in capsys.readouterr().out


def test_a_plan_file_follows_the_config_and_its_parallelism_table_overrides(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps(config("gpt2")))
    plan = ("[model]\nconfig = \"config.json\"\n[training]\nsteps = 1000\nmicro_batch = 1\nseq_len = 1024\n"
            "[hardware]\naccelerator = \"a100-80gb\"\ncount = 1\n[parallelism]\nzero = 0\n")
    (tmp_path / "plan.toml").write_text(plan)
    (tmp_path / "off.toml").write_text(plan + "dropout = false\n")
    on = planner.assess_plan(planner.load_plan(tmp_path / "plan.toml")).memory
    off = planner.assess_plan(planner.load_plan(tmp_path / "off.toml")).memory
    assert on.activations - off.activations == pytest.approx(_masks_by_hand(12, 768, 12))
    assert main(["report", str(tmp_path / "plan.toml"), "--json"]) in (0, 1)
    assert json.loads(capsys.readouterr().out)["memory"]["layout"]["dropout"] is True


def test_a_nanogpt_config_with_dropout_stores_masks(tmp_path, capsys):
    src = (ROOT / "tests/fixtures/launch/nanogpt_train_gpt2.py").read_text()
    (tmp_path / "drop.py").write_text(src + "\ndropout = 0.2\n")
    (tmp_path / "plain.py").write_text(src)
    for name, expected in (("drop.py", True), ("plain.py", False)):
        assert main(["memory", "--launch-config", str(tmp_path / name), "--format", "nanogpt", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["layout"]["dropout"] is expected
    (tmp_path / "bad.py").write_text(src + "\ndropout = 2\n")
    assert main(["memory", "--launch-config", str(tmp_path / "bad.py"), "--format", "nanogpt"]) == 2
    assert "dropout" in capsys.readouterr().err
