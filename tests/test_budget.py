import numpy as np
import pytest

from planner import Budget, InputError, budget
from planner.training.budget import tokens_per_step, training_tokens


def test_origin_case_tokens():
    b = budget(2700, micro_batch=4, seq_len=2048)
    assert b.tokens_per_step == 4 * 2048 == 8192
    assert b.tokens == 2700 * 8192 == 22_118_400


def test_global_batch_layout():
    assert tokens_per_step(micro_batch=2, seq_len=4096, grad_accum=8, data_parallel=64) == 2 * 8 * 64 * 4096


def test_tokens_per_step_directly_and_prior():
    b = budget(100, tokens_per_step=1_000_000, prior_tokens=5)
    assert b.tokens == 100_000_000 and b.cumulative_tokens == 100_000_005


def test_vectorised_no_overflow():
    steps = np.array([1, 10**7, 10**9])
    d = training_tokens(steps, np.int64(10**8))
    assert d.dtype == float and d[-1] == 1e17
    assert training_tokens(10**12, 10**12) == 10**24  # Python ints stay exact


@pytest.mark.parametrize("kwargs, field", [
    (dict(steps=0, micro_batch=1, seq_len=1), "steps"),
    (dict(steps=-5, micro_batch=1, seq_len=1), "steps"),
    (dict(steps=2.5, micro_batch=1, seq_len=1), "steps"),
    (dict(steps=float("inf"), micro_batch=1, seq_len=1), "steps"),
    (dict(steps=10, micro_batch="x", seq_len=1), "micro_batch"),
    (dict(steps=10, micro_batch=1), "seq_len"),
    (dict(steps=10, micro_batch=1, seq_len=8, tokens_per_step=8), "tokens_per_step"),
    (dict(steps=10, tokens_per_step=8, prior_tokens=-1), "prior_tokens"),
])
def test_bad_budget_names_field(kwargs, field):
    steps = kwargs.pop("steps")
    with pytest.raises(InputError) as e:
        budget(steps, **kwargs)
    assert e.value.field == field


def test_count_strings_with_suffixes():
    assert Budget("1e3", "2K").tokens == 2_000_000
    with pytest.raises(InputError):
        Budget("1.5", 10)


def test_steps_for_tokens_is_the_fewest_whole_steps():
    from planner.training.budget import steps_for_tokens
    # one token past 10 steps needs an 11th (floor and round say 10); exactly 10 steps' worth needs 10
    assert steps_for_tokens(8_192 * 10 + 1, 8_192) == 11
    assert steps_for_tokens(8_192 * 10, 8_192) == 10
    assert steps_for_tokens(0, 8_192) == 0
    # exact at any size: float64 would give 10**19 for (10**25 + 1) / 10**6
    assert steps_for_tokens(10**25 + 1, 10**6) == 10**19 + 1
    assert list(steps_for_tokens(np.array([81_921.0, 81_920.0]), 8_192)) == [11.0, 10.0]
