"""Batch size and learning rate laws (DeepSeek LLM, arXiv:2401.02954, §3.1).

Expected values (DESIGN §16, from the laws η = 0.3118·C^−0.125, B = 0.2920·C^0.3271 with C = M·D,
M = 72·L·d² + 6·L·d·s): DeepSeek 7B (30 layers, d 4096, s 4096, 2T tokens): η 4.29e-4, B 9.0M tokens;
67B (95 layers, d 8192): η 3.14e-4, B 20.4M. They trained with 4.2e-4 / 9.44M and 3.2e-4 / 18.9M.
"""


import numpy as np
import pytest

import planner
from planner.laws.hyperparams import DEEPSEEK, advise, flops_per_token, recommend


def sig3(x):
    return float(f"{x:.3g}")


def test_deepseek_7b():
    a = recommend(30, 4096, 4096, 2e12)
    assert sig3(a.learning_rate_opt) == 4.29e-4
    assert sig3(a.batch_tokens_opt) == 9.0e6
    assert a.flops_per_token == 72 * 30 * 4096**2 + 6 * 30 * 4096 * 4096


def test_deepseek_67b():
    a = recommend(95, 8192, 4096, 2e12)
    assert sig3(a.learning_rate_opt) == 3.14e-4
    assert sig3(a.batch_tokens_opt) == 2.04e7


def test_their_chosen_batches_are_within_2x():
    assert recommend(30, 4096, 4096, 2e12, tokens_per_step=9.44e6).batch_off is None
    assert recommend(95, 8192, 4096, 2e12, tokens_per_step=18.9e6).batch_off is None


def test_batch_far_off_either_way_gets_a_note():
    small = recommend(30, 4096, 4096, 2e12, tokens_per_step=4.0e6)     # 0.44× of 9.0M
    assert small.batch_off == "too small" and "less than half" in small.message
    large = recommend(30, 4096, 4096, 2e12, tokens_per_step=20e6)       # 2.2×
    assert large.batch_off == "too large" and "more than 2× too large" in large.message
    assert recommend(30, 4096, 4096, 2e12, tokens_per_step=17e6).batch_off is None   # 1.9×


def test_a_small_batch_ratio_is_never_written_as_zero():
    # 40,000 tokens per step against B_opt = 9.0M (DeepSeek 7B above): 0.0044×, which ".2f" printed as "0.00×"
    tiny = recommend(30, 4096, 4096, 2e12, tokens_per_step=40_000)
    assert "are 0.0044× that: less than half" in tiny.message and "0.00×" not in tiny.message
    assert "are 2.22× that: more than 2×" in recommend(30, 4096, 4096, 2e12, tokens_per_step=20e6).message


def test_extrapolation_is_named():
    a = recommend(30, 4096, 4096, 2e12)
    assert a.extrapolated and "Extrapolated" in a.message and a.law == "deepseek-llm"
    inside = recommend(12, 768, 1024, 1e9)     # C = M·D ≈ 5.6e17, inside the fitted 1e17–2e19
    assert not inside.extrapolated and "Extrapolated" not in inside.message


def test_json_keys():
    d = recommend(24, 896, 2048, 22_118_400, tokens_per_step=8192).to_dict()
    assert {"batch_tokens_opt", "learning_rate_opt", "extrapolated", "law", "fitted_flops"} <= set(d)


def test_vectorised_laws():
    c = np.array([1e18, 1e20, 1e22])
    lr = DEEPSEEK.learning_rate(c)
    assert lr == pytest.approx(0.3118 * c ** -0.125)
    assert np.all(np.diff(DEEPSEEK.batch_tokens(c)) > 0)
    assert isinstance(DEEPSEEK.batch_tokens(1e20), float)
    m = flops_per_token(np.array([30, 95]), np.array([4096, 8192]), np.array([4096, 4096]))
    assert m.shape == (2,)


@pytest.mark.parametrize("args, field", [
    ((0, 4096, 4096, 2e12), "num_layers"),
    ((30, 4096.5, 4096, 2e12), "hidden_size"),
    ((30, 4096, -1, 2e12), "seq_len"),
    ((30, 4096, 4096, float("nan")), "tokens"),
])
def test_bad_input(args, field):
    with pytest.raises(planner.InputError) as e:
        recommend(*args)
    assert e.value.field == field
    with pytest.raises(planner.InputError, match="^tokens_per_step"):
        recommend(30, 4096, 4096, 2e12, tokens_per_step=0)


def test_advise_from_flops_per_token():
    # A plan without an architecture: M = 6·N is the stand-in; C = 6·N·D by hand.
    a = advise(6 * 494_032_768, 22_118_400, tokens_per_step=8192)
    c = 6 * 494_032_768 * 22_118_400
    assert a.flops == pytest.approx(c)
    assert a.batch_tokens_opt == pytest.approx(0.2920 * c ** 0.3271)
    assert a.learning_rate_opt == pytest.approx(0.3118 * c ** -0.1250)
    assert a.batch_off == "too small"
    with pytest.raises(planner.InputError, match="^flops_per_token"):
        advise(0, 1e9)
