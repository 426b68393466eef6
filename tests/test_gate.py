import warnings

import numpy as np
import pytest

from planner import BlockedPlanError, InputError, Thresholds, UnderProvisionedWarning, assess, check
from planner.verdict.gate import level, ratio, steps_to_target, tokens_to_target

N_ORIGIN = 494_032_768  # Qwen2.5-0.5B, the origin case


def test_origin_case():
    r = assess(N_ORIGIN, 22_118_400, tokens_per_step=8192)
    assert r.ratio == pytest.approx(22_118_400 / 494_032_768) and round(r.ratio, 3) == 0.045
    assert r.level == "severe" and r.blocked
    # 20 * 494,032,768 = 9,880,655,360 tokens; / 8,192 = 1,206,134.2 -> 1,206,135 steps (ceil).
    assert r.tokens_to_optimal == 9_880_655_360  # total D the run needs, not the shortfall
    assert r.steps_to_optimal == 1_206_135
    assert "SEVERE" in r.message and "total N" in r.message and "1,206,135 steps" in r.message


@pytest.mark.parametrize("d, expected", [
    (4999, "severe"), (5000, "blocked"), (9999, "blocked"), (10000, "below-optimal"),
    (19999, "below-optimal"), (20000, "compute-optimal"), (1_875_000, "compute-optimal"),
])
def test_levels_and_boundaries_pass(d, expected):
    r = assess(1000, d)
    assert r.level == expected
    assert r.blocked == (d < 10000)


def test_thresholds_are_parameters():
    t = Thresholds(severe=1, block=2, optimal=40)
    assert assess(1000, 2000, thresholds=t).level == "below-optimal"
    with pytest.raises(InputError, match="thresholds"):
        Thresholds(severe=30, block=10, optimal=20)


def test_steps_ceiling_is_minimal():
    # 20 · 1,000 = 20,000 tokens at 7 per step: 2,857 steps give 19,999 (short by one), 2,858 give 20,006.
    # 20,000 / 7 = 2,857.14 is not a whole number, so rounding down or to nearest (2,857) would fail here.
    n, tps = 1000, 7
    s = steps_to_target(n, tps)
    assert s * tps >= 20 * n and (s - 1) * tps < 20 * n
    assert s == 2858


def test_prior_tokens_judge_cumulative():
    # Continued pretraining: checkpoint saw 25 tokens/param already; 2 more is fine in total.
    r = assess(1000, 2000, prior_tokens=25_000, tokens_per_step=100)
    assert r.new_ratio == 2.0 and r.cumulative_ratio == 27.0 and r.ratio == 27.0
    assert r.level == "compute-optimal" and not r.blocked and "cumulative" in r.judged
    assert r.tokens_to_optimal == 0 and r.steps_to_optimal == 0
    r2 = assess(1000, 2000, prior_tokens=5000, tokens_per_step=100)
    assert r2.ratio == 7.0 and r2.blocked
    assert r2.tokens_to_optimal == 20_000 - 5000 and r2.steps_to_optimal == 150


def test_vectorised_arrays():
    n = np.array([1e9, 1e9, 1e13])
    d = np.array([4e9, 2e10, 1e14])  # 10T params, 100T tokens
    r = ratio(d, n)
    assert r.tolist() == [4.0, 20.0, 10.0]
    assert level(r).tolist() == ["severe", "compute-optimal", "below-optimal"]
    assert steps_to_target(n, 1e6).tolist() == [2e4, 2e4, 2e8]
    assert tokens_to_target(np.array([3]), 20.0, 0).tolist() == [60.0]


def test_check_raises_when_blocked_unless_forced():
    with pytest.raises(BlockedPlanError) as e:
        check(N_ORIGIN, 22_118_400)
    assert e.value.result.level == "severe"
    with pytest.warns(UnderProvisionedWarning, match="SEVERE"):
        r = check(N_ORIGIN, 22_118_400, force=True)
    assert r.forced and r.blocked


def test_check_warns_below_optimal_and_silent_when_optimal():
    with pytest.warns(UnderProvisionedWarning):
        check(1000, 15000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check(1000, 20000).level == "compute-optimal"


def test_huge_plan_finite_and_exact():
    r = assess(10 * 10**12, 100 * 10**12, tokens_per_step=4 * 10**6)
    assert r.ratio == 10.0 and not r.blocked
    assert r.steps_to_optimal == 50_000_000  # 20 * 1e13 / 4e6, exact


@pytest.mark.parametrize("params, tokens, field", [
    (0, 10, "params"), (-1, 10, "params"), (10, 0, "tokens"), (10, float("nan"), "tokens"),
    (10.5, 10, "params"), (True, 10, "params"),
])
def test_bad_inputs(params, tokens, field):
    with pytest.raises(InputError) as e:
        assess(params, tokens)
    assert e.value.field == field


def test_gate_result_carries_corpus():
    from planner import DataRepetitionWarning
    r = assess(N_ORIGIN, 22_118_400, unique_tokens=1.24e9)
    assert r.corpus.ceiling_1_epoch == pytest.approx(1.24e9 / N_ORIGIN)
    assert r.to_dict()["corpus"]["repetition"] == "fresh"
    # 20 tokens/param from a corpus of 1 token/param: 20 epochs, past the 16-epoch line. Judged on effective
    # tokens, U + U·R*·(1 − e^(−19/R*)) = 11.93·U, so the plan is below optimal, not compute-optimal.
    with pytest.warns(DataRepetitionWarning, match="16 epochs"), pytest.warns(UnderProvisionedWarning, match="11.9"):
        check(1000, 20_000, unique_tokens=1000)
