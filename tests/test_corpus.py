import math
import warnings

import numpy as np
import pytest

from planner import DataRepetitionWarning, InputError
from planner.training.corpus import (
    R_STAR,
    assess_corpus,
    ceiling,
    corpora,
    corpus_tokens,
    effective_tokens,
    epochs,
    repetition,
)


def test_muennighoff_effective_data_by_hand():
    # D' = U + U·R*·(1 − exp(−R/R*)), R = epochs − 1, R* = 15.387756 (Muennighoff et al. 2023, R_D* of the C4 fit).
    u = 1e9
    for n_epochs, expected_ratio in ((4, 0.93), (16, 0.66), (40, 0.38)):
        r = n_epochs - 1
        by_hand = u + u * 15.387756 * (1 - math.exp(-r / 15.387756))
        assert effective_tokens(n_epochs * u, u) == pytest.approx(by_hand)
        assert by_hand / (n_epochs * u) == pytest.approx(expected_ratio, abs=0.01)  # DESIGN.md's figures
    assert R_STAR == 15.387756
    assert effective_tokens(0.5e9, u) == 0.5e9  # no repetition below one epoch


def test_vectorised():
    d = np.array([1e9, 4e9, 16e9])
    eff = effective_tokens(d, 1e9)
    assert eff.shape == (3,) and eff[0] == 1e9 and eff[1] < 4e9
    assert epochs(d, 1e9).tolist() == [1.0, 4.0, 16.0]
    assert repetition(np.array([0.5, 3.0, 10.0, 20.0])).tolist() == ["fresh", "repeated", "diminishing", "wasted"]


def test_origin_case_ceiling():
    # 1.24B unique tokens / 494,032,768 parameters = 2.51: one epoch reaches an eighth of 20x.
    a = assess_corpus(494_032_768, 22_118_400, 1.24e9)
    assert a.ceiling_1_epoch == pytest.approx(1.24e9 / 494_032_768) and round(a.ceiling_1_epoch, 1) == 2.5
    # in the gate's measure: D' at 4 epochs = U·(1 + R*·(1 − e^(−3/R*))) = 3.726·U, not the raw 4·U (10.04×)
    four = 1 + 15.387756 * (1 - math.exp(-3 / 15.387756))
    assert four == pytest.approx(3.7257, abs=1e-4)
    assert a.ceiling_4_epochs == pytest.approx(four * 1.24e9 / 494_032_768) and round(a.ceiling_4_epochs, 2) == 9.35
    sixteen = 1 + 15.387756 * (1 - math.exp(-15 / 15.387756))
    assert a.ceiling_16_epochs == pytest.approx(sixteen * 1.24e9 / 494_032_768)
    assert a.epochs == pytest.approx(22_118_400 / 1.24e9)
    assert a.repetition == "fresh"
    assert ceiling(1.24e9, 494_032_768, 4) == pytest.approx(9.35, abs=0.01)
    assert ceiling(1.24e9, 494_032_768, 1) == pytest.approx(1.24e9 / 494_032_768)


def test_warnings_beyond_4_and_16_epochs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assess_corpus(1000, 4000, 1000)   # exactly 4 epochs: no warning
    with pytest.warns(DataRepetitionWarning, match="Beyond 4 epochs"):
        assess_corpus(1000, 5000, 1000)
    with pytest.warns(DataRepetitionWarning, match="Beyond 16 epochs"):
        a = assess_corpus(1000, 40000, 1000)
    assert a.efficiency == pytest.approx(0.38, abs=0.01)


def test_corpora_table_has_sources_and_real_counts():
    c = corpora()
    assert len(c) >= 8
    assert corpus_tokens("SlimPajama-627B") == 627e9       # the name says it
    assert corpus_tokens("fineweb") == 15e12               # FineWeb card: 15T GPT-2 tokens
    with pytest.raises(InputError.__mro__[1]):  # PlannerError
        corpus_tokens("no such corpus")


def test_bad_unique_tokens():
    with pytest.raises(InputError, match="corpus.unique_tokens"):
        assess_corpus(1000, 1000, 0)
