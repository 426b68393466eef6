"""The workbook driven from code as the browser drives it (was notebooks/workbook_checks.ipynb, a notebook of asserts).

Each test types into a box or moves a slider, through the controls' own callbacks, and checks the readout.
Expected values are worked out by hand in the comments.
"""

import pytest

from planner.surfaces.widgets import ORIGIN_PLAN, Workbook


@pytest.fixture()
def wb():
    return Workbook(background_chart=False)


def test_the_origin_case(wb):
    # D = 2,700 × 4 × 2,048 = 22,118,400 tokens on N = 494,032,768
    a = wb.assessment
    assert a.params == 494_032_768 and a.gate.tokens == 2700 * 4 * 2048
    assert a.gate.level == "severe" and a.gate.blocked
    assert "SEVERE" in wb.readout.value and "D/N 0.045" in wb.readout.value


def test_typed_values_mean_what_they_show(wb):
    wb.steps.box.value = "1,206,135"   # ceil(20 × 494,032,768 / 8,192)
    assert wb.steps.value == 1_206_135 and wb.assessment.plan.budget.steps == 1_206_135
    wb.mfu.box.value = "55%"
    assert wb.mfu.value == 0.55
    wb.price.box.value = "25"           # above the old $20 cap
    assert wb.assessment.plan.price_per_gpu_hour == 25.0
    wb.steps.box.value = "abc"          # refused, visibly, nothing applied
    assert wb.steps.value == 1_206_135 and "steps" in wb.steps.message.value


def test_without_a_corpus_the_line_is_reached_to_the_step(wb):
    wb.set(corpus="none", steps=1_206_135)   # ceil(20 × 494,032,768 / 8,192)
    assert wb.assessment.gate.level == "compute-optimal" and "COMPUTE-OPTIMAL" in wb.readout.value
    wb.set(steps=1_206_134)
    assert wb.assessment.gate.level == "below-optimal"


def test_architecture_moves_stay_valid(wb):
    before, image = wb.assessment.params, wb.image.value
    wb.layers.value = 12  # one slider move, through its callback
    # One Qwen2.5-0.5B layer by hand: q, k, v with biases (2 kv heads × 64), o, gated MLP, 2 RMSNorms.
    per_layer = (896 * 896 + 896) + 2 * (896 * 128 + 128) + 896 * 896 + 3 * 896 * 4864 + 2 * 896
    assert per_layer == 14_912_384
    assert before - wb.assessment.params == 12 * per_layer and wb.image.value != image
    wb.hidden.value = 960  # 960 / 64 = 15 heads
    assert wb.error is None and (wb.heads.value, wb.head_dim.value) == (15, 64)
    assert "layers 24 → 12" in wb.readout.value


def test_one_layer_fewer_on_a_moe_model_keeps_every_layer_moe(wb):
    # Qwen3-30B-A3B: 48 layers hold 30,532,122,624 parameters (the published 30.5B); one layer is 2 RMSNorms,
    # attention with q/k norms, a router (2,048 × 128) and 128 experts of 3 × 2,048 × 768.
    wb.set(model="qwen3-30b-a3b")
    assert wb.assessment.counts.total == 30_532_122_624
    layer = 2 * 2048 + (2048 * 4096 + 2 * 2048 * 512 + 4096 * 2048 + 2 * 128) + 2048 * 128 + 128 * 3 * 2048 * 768
    wb.layers.value = 47
    assert wb.error is None and wb.assessment.counts.total == 30_532_122_624 - layer


def test_memory_per_gpu_and_the_layout(wb):
    # One A100 80GB, bf16-mixed AdamW, ZeRO 0: 2 bytes of weights, 2 of gradients and 12 of optimizer state per
    # parameter, 16 × 494,032,768 bytes = 7.36 GiB before activations; it fits. TP is offered among the divisors of
    # the 14 heads that suit the 2 kv heads (1, 2, 14): 7 is refused. GPUs are data parallel × TP × PP.
    wb.open_plan(ORIGIN_PLAN)
    m = wb.assessment.memory
    assert m.model_states == 16 * 494_032_768 and m.fits and 'data-fits="fits"' in wb.memory.value
    wb.tp.box.value = "7"
    assert wb.tp.value == 1 and "TP" in wb.tp.message.value
    wb.set(tp=2, pp=3)
    assert wb.gpus.value == 6 and wb.assessment.plan.parallelism.num_gpus == 6


def test_the_advisor_on_demand_and_its_train_longer_card(wb):
    # its Train longer card loads 20 × 494,032,768 / 8,192 = 1,206,134.7 → 1,206,135 steps (no corpus)
    wb.set(corpus="none")
    assert wb.advice is None
    wb.advise_button.click()
    load = {c.children[1].description: c.children[1] for c in wb.advice_cards.children}
    load["Load: Train longer"].click()
    assert wb.steps.value == 1_206_135 and wb.assessment.gate.level == "compute-optimal"
