"""The workbook's state without widgets: values, the valid moves, the plan and its assessment.

Expected values come from hand calculations (divisors, D/N by hand), published counts and fresh counts of
edited ``config.json`` files, never read back from the state.
"""

import json
import subprocess
import sys

import pytest

import planner
from conftest import ROOT
from planner.surfaces.workbook_layout import SLIDERS
from planner.surfaces.workbook_state import WorkbookState
from planner.surfaces.workbook_values import divisors, head_options, tp_options

N_QWEN = 494_032_768          # Qwen2.5-0.5B, published
MODELS = ROOT / "data" / "models"


def test_the_state_imports_no_widget_or_plotting_library():
    code = ("import sys, planner.surfaces.workbook_state; "
            "print([m for m in ('ipywidgets', 'matplotlib', 'traitlets') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_opens_on_the_origin_case():
    s = WorkbookState()
    a = s.assess()
    assert s.values["model"] == "qwen2.5-0.5b" and s.base_name == "qwen2.5-0.5b" and s.departures() == []
    assert a.params == N_QWEN and a.gate.tokens == 2700 * 4 * 2048
    assert a.gate.ratio == pytest.approx(2700 * 4 * 2048 / N_QWEN)     # 0.0448: severe
    assert a.gate.level == "severe" and a.gate.blocked and s.error is None


@pytest.mark.parametrize("name, typed, value", [("steps", "1.2M", 1_200_000), ("steps", "1,206,135", 1_206_135),
                                                 ("mfu", "55%", 0.55), ("price", "", None), ("unique", "1.3T", 1.3e12)])
def test_typed_values_are_read_by_validate(name, typed, value):
    s = WorkbookState()
    s.set(name, typed)
    assert s.values[name] == value


@pytest.mark.parametrize("name, typed", [("steps", "1.5"), ("steps", "0"), ("mfu", "150%"), ("heads", 13),
                                         ("kv_heads", 3), ("tp", 7), ("corpus", "no such corpus"),
                                         ("tied", "yes"), ("top_k", 9)])
def test_a_refused_value_changes_nothing(name, typed):
    s = WorkbookState()
    before = dict(s.values)
    with pytest.raises(planner.InputError):
        s.set(name, typed)
    assert s.values == before


def test_no_such_control():
    with pytest.raises(AttributeError, match="no control named 'stepz'"):
        WorkbookState().set("stepz", 1)


def test_the_valid_move_rules_by_hand():
    assert divisors(36) == [1, 2, 3, 4, 6, 9, 12, 18, 36]
    assert head_options(64) == [1, 2, 4, 8]                       # 64 / 16 = 4 wide: below 8
    assert tp_options(14, 2) == [1, 2, 14]  # 7 divides 14 but neither divides nor is a multiple of 2
    assert tp_options(32, 8) == [1, 2, 4, 8, 16, 32]
    assert tp_options(12, 4) == [1, 2, 4, 12]                     # 3 and 6: neither divide 4 nor are multiples of it


def test_a_new_hidden_size_keeps_the_head_width():
    s = WorkbookState()
    s.set("hidden", 960)                                          # 960 / 64 = 15 heads of 64
    assert (s.values["heads"], s.values["head_dim"]) == (15, 64)
    assert s.values["kv_heads"] in (1, 3, 5, 15) and s.fields["heads"].options == tuple(head_options(960))
    assert s.values["tp"] in tp_options(15, s.values["kv_heads"])
    s.set("hidden", 1000)                                         # 1000 / 64 is not whole: the nearest head count
    assert 1000 % s.values["heads"] == 0 and s.values["head_dim"] == 1000 // s.values["heads"]
    assert s.assess() is not None


def test_kv_heads_and_tp_follow_the_heads():
    s = WorkbookState()
    s.set("tp", 14)
    assert s.values["gpus"] == 14                                 # 1 × 14 × 1
    s.set("heads", 8)                                             # 896 / 8 = 112 wide
    assert s.values["kv_heads"] == 2 and s.values["head_dim"] == 112
    assert s.fields["tp"].options == (1, 2, 4, 8) and s.values["tp"] == 8 and s.values["gpus"] == 8


def test_top_k_stays_within_the_experts():
    s = WorkbookState(model="qwen3-30b-a3b")                      # 128 experts, top-8
    s.set("experts", 4)
    assert s.values["top_k"] == 4 and s.fields["top_k"].maximum == 4
    with pytest.raises(planner.InputError, match="top-k"):
        s.set("top_k", 5)


def test_gpus_are_data_parallel_times_tp_times_pp():
    s = WorkbookState()
    s.set("tp", 2)
    s.set("pp", 3)
    assert s.values["gpus"] == 6
    s.set("data_parallel", 4)
    assert s.values["gpus"] == 24
    s.set("gpus", 48)                                             # data parallel follows: 48 / (2 × 3)
    assert s.values["data_parallel"] == 8
    s.set("layout", False)
    s.set("gpus", 5)                                              # no layout: the GPUs are free
    assert s.values["data_parallel"] == 8 and s.assess().plan.parallelism is None
    assert s.inactive() == {"head_dim", "prior"}                  # the GPUs are a control again


def test_moves_equal_a_fresh_count_of_the_edited_config():
    s = WorkbookState(model="qwen3-30b-a3b")
    for name, value in (("layers", 47), ("experts", 64), ("top_k", 4), ("expert_size", 512)):
        s.set(name, value)
    cfg = json.loads((MODELS / "qwen3-30b-a3b.json").read_text())
    cfg.update(num_hidden_layers=47, num_experts=64, num_experts_per_tok=4, moe_intermediate_size=512)
    pc = planner.count_params(cfg)
    a = s.assess()
    assert (a.counts.total, a.counts.active) == (pc.total, pc.active)
    assert s.departures()[0] == "layers 48 → 47" and "intermediate" in s.inactive()  # every layer is MoE


def test_an_invalid_plan_is_an_error_in_the_controls_words():
    s = WorkbookState()
    s.set("seq_len", 2**20)
    s.set("steps", "1e30")                                        # more tokens than the planner counts
    assert s.assess() is None and s.assessment is None and s.error and "num_" not in s.error


def test_a_plan_round_trips_through_the_state(tmp_path):
    path = ROOT / "data" / "plans" / "llama-3-8b.toml"
    s = WorkbookState(plan=path)
    assert s.plan() == planner.load_plan(path)
    s.set("layers", 30)
    s.assess()
    out = s.save(tmp_path / "variant.toml")
    back = WorkbookState(plan=out)
    assert back.plan() == s.plan().with_(name="variant", description=back.plan_description)
    assert "layers 32 → 30" in back.plan_description


def test_advice_on_demand():
    s = WorkbookState()
    s.set("corpus", "none")
    s.assess()
    assert s.advice is None
    advice = s.advise()
    assert [o.kind for o in advice.options][0] == "train-longer" and s.advice is advice
    s.show_plan(advice.options[0].plan)
    # 20 × 494,032,768 / 8,192 tokens per step = 1,206,134.7 → 1,206,135 steps
    assert s.values["steps"] == 1_206_135 and s.assess().gate.level == "compute-optimal"
    assert s.advise() is None and s.advice is None                # nothing to fix


# ---- every position of every architecture control stays valid (the state: no widgets, no chart) -------------

ARCH_CONTROLS = ("layers", "hidden", "heads", "head_dim", "kv_heads", "intermediate", "vocab",
                 "experts", "top_k", "expert_size", "shared_experts")
def _positions(s, name, n: int = 9):
    """A choice's every option; a slider's ends and ``n - 2`` evenly spaced points between them."""
    if s.fields[name].options is not None:
        return list(s.fields[name].options)
    look, field = SLIDERS[name], s.fields[name]      # the values a person can reach by dragging the slider
    lo, hi = look.get("slider_min", field.minimum), look.get("slider_max", field.maximum)
    if name == "top_k":
        hi = max(hi, field.maximum)
    return sorted({lo, hi, *(lo + (hi - lo) * i // (n - 1) for i in range(n))})


@pytest.mark.parametrize("model", ["qwen2.5-0.5b", "qwen3-0.6b", "falcon-7b-instruct", "mixtral-8x7b-v0.1",
                                   "qwen3-30b-a3b"])
def test_every_architecture_control_over_its_range_stays_valid(model):
    s = WorkbookState(model=model)
    base = planner.architecture(model)
    explicit = base.inputs()["head_dim"] is not None
    for name in ARCH_CONTROLS:
        moe_only = name in ("experts", "top_k", "expert_size", "shared_experts")
        if name in s.inactive() or (moe_only and not base.num_experts) or (name == "shared_experts"
                                                                           and not base.num_shared_experts):
            continue
        start = s.values[name]
        for v in _positions(s, name):
            if s.fields[name].options is not None and v not in s.fields[name].options:
                continue                                          # an earlier move narrowed the choice
            s.set(name, v)
            a = s.architecture()
            assert a.num_heads % a.num_kv_heads == 0, (model, name, v)
            assert explicit or a.hidden_size == a.num_heads * a.head_dim, (model, name, v)
            assert a.experts_per_token <= a.num_experts or not a.num_experts, (model, name, v)
            v_tp, v_pp = s.values["tp"], s.values["pp"]
            assert a.num_heads % v_tp == 0 and (a.num_kv_heads % v_tp == 0 or v_tp % a.num_kv_heads == 0)
            assert a.num_layers % v_pp == 0
            assert s.assess() is not None, f"{model}: {name} = {v}: {s.error}"
        s.load_model(model)
        assert s.architecture() == base and s.values[name] == start


def test_a_plan_timed_by_achieved_tflops_keeps_its_mfu_unset(tmp_path):
    path = tmp_path / "tflops.toml"
    path.write_text('name = "t"\n[model]\ncatalog = "qwen2.5-0.5b"\n[training]\nsteps = 2700\nmicro_batch = 4\n'
                    'seq_len = 2048\n[hardware]\naccelerator = "a100"\ncount = 1\nachieved_tflops = 100\n')
    s = WorkbookState(plan=path)
    assert s.values["mfu"] is None and s.plan() == planner.load_plan(path)
    assert s.assess().compute.mfu == pytest.approx(100 / 312)      # the A100's 312 dense BF16 TFLOP/s
