import numpy as np
import pytest

from planner import InputError, sweep


def test_grid_over_params_and_steps():
    df = sweep(np.array([1e8, 1e9]), steps=np.array([1000, 20000]), tokens_per_step=1e6, grid=True)
    assert len(df) == 4
    # 1e9 params x 20,000 steps x 1e6 tokens = 2e10 tokens -> ratio 20, compute-optimal (on the line)
    row = df[(df.params == 1e9) & (df.steps == 20000)].iloc[0]
    assert row.ratio == 20.0 and row.level == "compute-optimal" and not row.blocked
    assert row.steps_to_optimal == 20000 and row.tokens_to_optimal == 2e10
    small = df[(df.params == 1e8) & (df.steps == 1000)].iloc[0]
    assert small.ratio == 10.0 and small.level == "below-optimal"
    assert list(df["level"].cat.categories) == ["severe", "blocked", "below-optimal", "compute-optimal"]


def test_broadcast_tokens_with_corpus_and_huge_values():
    df = sweep(np.array([1e13]), tokens=np.array([1e14, 4e14]), unique_tokens=1e14)
    # One epoch is judged raw (10); four are judged on effective tokens: U·(1 + R*·(1 − e^(−3/R*))) / N.
    r_star = 15.387756
    assert df.ratio.iloc[0] == 10.0 and df.raw_ratio.tolist() == [10.0, 40.0]
    assert df.ratio.iloc[1] == pytest.approx(10 * (1 + r_star * (1 - np.exp(-3 / r_star))), rel=1e-12)
    assert df.epochs.tolist() == [1.0, 4.0]
    assert np.isfinite(df.flops).all() and df.flops.iloc[1] == 6 * 1e13 * 4e14


def test_batch_layout_axes():
    df = sweep(1e6, steps=10, micro_batch=np.array([1, 2]), seq_len=1000)
    # 10 steps x (1 or 2) sequences x 1,000 tokens; 20x of 1e6 params needs 2e7 tokens.
    assert df.tokens.tolist() == [1e4, 2e4] and df.level.tolist() == ["severe", "severe"]
    assert df.steps_to_optimal.tolist() == [2e7 / 1e3, 2e7 / 2e3]


def test_bad_arrays_name_the_axis():
    with pytest.raises(InputError, match="params"):
        sweep(np.array([1e9, -1.0]), tokens=1e10)
    with pytest.raises(InputError, match="tokens"):
        sweep(np.array([1e9]), tokens=np.array([np.nan]))
    with pytest.raises(InputError, match="tokens"):
        sweep(1e9)
