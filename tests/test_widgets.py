"""The workbook's widget module, driven from code (no browser): callbacks, readout, chart."""

import ipywidgets as W
import pytest

import planner
from planner.format import fmt_ratio
from planner.surfaces.widgets import Workbook

N_QWEN = 494_032_768


@pytest.fixture(scope="module")
def wb():
    return Workbook()


def test_opens_on_the_origin_case(wb):
    wb.set(model="qwen2.5-0.5b", steps=2700, batch=4, grad_accum=1, data_parallel=1, seq_len=2048,
           corpus="custom (unique tokens)", unique=1.24e9, continued=False)
    a = wb.assessment
    assert a.params == N_QWEN and a.gate.tokens == 22_118_400 and a.gate.level == "severe"
    assert "D/N 0.045" in wb.readout.value and "SEVERE" in wb.readout.value
    assert a.corpus.ceiling_1_epoch == pytest.approx(1.24e9 / N_QWEN)


def test_steps_slider_moves_readout_and_image(wb):
    wb.set(steps=2700)
    image, readout = wb.image.value, wb.readout.value
    fig = wb.chart.fig
    wb.steps.value = 1_206_135   # a single slider move, through its callback
    # 1.24B unique tokens: ~8 epochs, judged on effective tokens (D'/N ≈ 16.6), below the line
    expected = planner.assess(N_QWEN, 1_206_135 * 8192, unique_tokens=1.24e9)
    assert wb.assessment.gate.level == expected.level == "below-optimal"
    assert f"{fmt_ratio(expected.ratio)} on effective tokens" in wb.readout.value and wb.readout.value != readout
    assert wb.image.value != image and wb.chart.fig is fig  # redrawn in place, same figure


def test_layers_slider(wb):
    wb.set(steps=2700, layers=24)
    wb.layers.value = 25
    arch = planner.count("qwen2.5-0.5b")
    per_layer = (N_QWEN - arch.embeddings - 896) // 24
    assert wb.assessment.params == N_QWEN + per_layer


def test_model_dropdown_loads_real_config(wb):
    wb.model.value = "mixtral-8x7b-v0.1"
    assert wb.layers.value == 32 and wb.hidden.value == 4096 and wb.kv_heads.value == 8
    assert wb.assessment.params == 46_702_792_704           # experts kept from the config
    assert wb.assessment.compute_params == 12_879_925_248   # FLOPs use active N
    wb.model.value = "qwen3-0.6b"                             # head_dim 128 != 1024 / 16
    assert wb.assessment.params == planner.count("qwen3-0.6b").total


def test_invalid_combination_shows_message_not_exception(wb):
    wb.set(model="qwen2.5-0.5b")
    wb.heads.value = 13  # 896 % 13 != 0
    assert wb.assessment is None and "num_heads" in wb.readout.value and "Cannot assess" in wb.readout.value
    wb.heads.value = 14
    assert wb.assessment is not None


def test_every_slider_extreme(wb):
    for control in wb.controls:
        if isinstance(control, (W.IntSlider, W.FloatSlider, W.FloatLogSlider)):
            saved = control.value
            log = isinstance(control, W.FloatLogSlider)
            for v in ((control.base ** control.min, control.base ** control.max) if log else (control.min, control.max)):
                control.value = v
                assert wb.readout.value
                assert wb.assessment is not None or "Cannot assess" in wb.readout.value
            control.value = saved
    wb.set(model="qwen2.5-0.5b", steps=2700)
    assert wb.assessment.gate.level == "severe"


def test_frontier_scale_does_not_overflow(wb):
    wb.set(model="custom", layers=512, hidden=65536, heads=256, kv_heads=256, intermediate=262144, vocab=262144,
           steps=1e10, batch=4096, seq_len=2**20, data_parallel=2**17)
    a = wb.assessment
    assert a is not None and a.params > 10**13 and a.gate.tokens > 10**20
    assert a.compute.flops < float("inf") and a.compute.cost < float("inf")


def test_continued_pretraining_and_corpus_controls(wb):
    wb.set(model="qwen2.5-0.5b", layers=24, hidden=896, heads=14, kv_heads=2, intermediate=4864, vocab=151936,
           steps=2700, batch=4, seq_len=2048, data_parallel=1, grad_accum=1,
           continued=True, prior=20 * N_QWEN, corpus="FineWeb-Edu")
    a = wb.assessment
    assert a.gate.prior_tokens == 20 * N_QWEN and a.gate.level == "compute-optimal" and "cumulative" in a.gate.judged
    assert a.corpus.unique_tokens == planner.training.corpus.corpus_tokens("FineWeb-Edu") and wb.unique.disabled
    wb.set(continued=False)
