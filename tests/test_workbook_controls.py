"""Controls a person can aim, and words a person reads: the workbook's sliders, refusals and labels.

Expected values are worked out here by hand (powers of ten, head widths, the catalog's memory), never read
back from the control under test.
"""

import math
import re

import pytest

from planner.surfaces.widgets import Workbook


@pytest.fixture()
def wb():
    w = Workbook(background_chart=False)
    w._request_chart = lambda token, a: None      # the readout only
    return w


def test_one_step_of_the_steps_slider_is_a_small_known_change(wb):
    s = wb.steps.slider
    assert (s.base, s.step) == (10, 0.01)
    # the track covers half a decade either side of 2,700: 854 to 8,538 steps, whatever the 1..10^10 range
    assert (round(s.base ** s.min), round(s.base ** s.max)) == (854, 8538)
    s.value = s.base ** (s.min + 50 * s.step + s.step)   # one step right: × 10^0.01 = × 1.023
    assert wb.steps.value == round(2700 * 10**0.01) == 2763
    # re-centred on the new value: the next move is again one step of 2.3 %
    assert math.isclose(s.base ** s.min, 2763 / 10**0.5, rel_tol=1e-9)


def test_a_drag_to_the_end_goes_half_a_decade_and_the_next_goes_on(wb):
    for want in (8538, 27_000):             # 2,700 × 10^0.5, then × 10^0.5 again (rounded each time)
        wb.steps.slider.value = wb.steps.slider.base ** wb.steps.slider.max
        assert abs(wb.steps.value - want) <= 2


def test_layers_move_one_at_a_time_within_a_window(wb):
    s = wb.layers.slider
    assert (s.min, s.max, s.step) == (8, 40, 1)          # 24 ± 16
    s.value = 1 + 24
    assert wb.layers.value == 25 and (s.min, s.max) == (9, 41)


def test_the_hidden_size_steps_by_one_head_width(wb):
    wb.set(model="llama-3-8b")                           # 4,096 = 32 heads × 128
    assert wb.hidden.slider.step == 128
    wb.hidden.slider.value = 4096 + 128
    assert (wb.hidden.value, wb.heads.value, wb.head_dim.value) == (4224, 33, 128)
    wb.set(model="qwen2.5-0.5b")                         # 896 = 14 heads × 64
    assert wb.hidden.slider.step == 64
    wb.hidden.slider.value = 896 - 64
    assert (wb.heads.value, wb.head_dim.value) == (13, 64)


def test_refusals_are_one_short_line_and_go_with_the_next_move(wb):
    wb.mfu.box.value = "500%"
    text = re.sub(r"<[^>]+>", "", wb.mfu.message.value)
    assert text == "MFU: 500% refused — from 0.1% to 100% — kept 40%", text
    wb.steps.box.value = "1e31"
    assert "a whole number from 1 to 10^30" in wb.steps.message.value and "1e+30" not in wb.steps.message.value
    wb.layers.value = 25                                  # another control moves: the old refusals go
    assert wb.mfu.message.layout.display == "none" and wb.steps.message.layout.display == "none"


def test_accelerators_are_named_by_the_memory_they_are_judged_at(wb):
    names = dict((k, n) for n, k in wb.accelerator.options)
    assert names["a100"] == "A100 80GB"        # the catalog's a100 row holds 80 GB (85,899,345,920 bytes)
    assert names["a100-40gb"] == "A100 SXM 40GB" and names["mi300x"] == "MI300X 192 GB"
    assert names["b200"] == "B200 180 GB" and names["rtx4090"] == "RTX 4090 24 GB"   # no "(HGX, 1000W)", "GeForce"
    assert all(len(n) <= 16 for n in names.values()), names   # readable whole in the dropdown (the browser test looks)


def test_the_loss_law_is_named_in_words(wb):
    assert wb.fit.description == "loss law" and "Epoch AI" in wb.fit_about.value
    wb.set(fit="chinchilla")
    assert "Hoffmann" in wb.fit_about.value


def test_the_batch_advice_is_said_once(wb):
    # DeepSeek LLM's law recommends 76.4K tokens for the origin case (tests/test_widgets.py works it out)
    assert wb.batch_advice.value.count("76.4K") == 1 and "76.4K" not in wb.details.value
    assert "0.11× that: too small" in wb.batch_advice.value    # 8,192 / 76.4K
