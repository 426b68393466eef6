"""The data-constrained law (Muennighoff et al. 2023, arXiv:2305.16264) against the paper's own numbers.

Expected values come from the paper's repository (github.com/huggingface/datablations, README) and
DESIGN §14: L(6.34e9, 242e9, U = 25e9) = 2.225644, L(8.67e9, 178e9, U = 25e9) = 2.226963; the optimum for
C = 1e22 and U = 25e9 is N ≈ 7.02e9, D ≈ 2.37e11 (~9.5 epochs), and without a corpus limit 9.22e9 / 1.81e11.
"""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.cli import main
from planner.laws import data_constrained as dc
from planner.laws import fit

M = "muennighoff"


def test_published_losses_to_six_decimals():
    assert round(dc.loss(6.34e9, 242e9, 25e9, M), 6) == 2.225644
    assert round(dc.loss(8.67e9, 178e9, 25e9, M), 6) == 2.226963


def test_constants_are_the_published_log_space_ones():
    f = dc.law_fit(M)
    assert (math.log(f.A), math.log(f.B), math.log(f.E)) == pytest.approx((6.255414, 7.3049974, 0.6254804), abs=1e-12)
    assert f.alpha == f.beta == 0.3526596
    assert (dc.R_D_STAR, dc.R_N_STAR) == (15.387756, 5.309743)


def test_loss_by_hand():
    # Written out: N = 20e9, D = 100e9, U = 10e9 (10 epochs; N beyond what 10e9 unique tokens justify).
    a, b, e, al = 6.255414, 7.3049974, 0.6254804, 0.3526596
    A, B, E = math.exp(a), math.exp(b), math.exp(e)
    G = ((al * A) / (al * B)) ** (1 / (2 * al))
    un = min(20e9, (10e9 * G) ** 1 * G)          # D_to_N(U) = (U·G)^(β/α)·G with α = β
    rn, rd = 20e9 / un - 1, 100e9 / 10e9 - 1
    n_eff = un + un * 5.309743 * (1 - math.exp(-rn / 5.309743))
    d_eff = 10e9 + 10e9 * 15.387756 * (1 - math.exp(-rd / 15.387756))
    assert dc.loss(20e9, 100e9, 10e9, M) == pytest.approx(E + A / n_eff ** al + B / d_eff ** al, rel=1e-12)


def test_no_repetition_and_no_excess_is_the_plain_law():
    f = dc.law_fit(M)
    assert dc.loss(1e9, 20e9, 1e12, M) == pytest.approx(f.loss(1e9, 20e9), rel=1e-14)
    assert dc.loss(1e9, 20e9, None, M) == pytest.approx(f.loss(1e9, 20e9), rel=1e-14)
    assert dc.effective(1e9, 20e9, 1e12, M) == pytest.approx((1e9, 20e9))


def test_optimum_for_a_budget_and_a_corpus():
    n, d = dc.optimal(1e22, 25e9, M)
    assert n == pytest.approx(7.02e9, rel=0.01)
    assert d == pytest.approx(2.37e11, rel=0.01)
    assert n * d * 6 == pytest.approx(1e22)
    o = dc.data_constrained_optimal(1e22, 25e9, M)
    assert o.epochs == pytest.approx(9.5, abs=0.05) and o.limited
    assert (o.params, o.tokens) == (n, d)


def test_unlimited_data():
    n, d = dc.optimal(1e22, None, M)
    assert n == pytest.approx(9.22e9, rel=0.01)
    assert d == pytest.approx(1.81e11, rel=0.01)
    o = dc.data_constrained_optimal(1e22, math.inf, M)
    assert not o.limited and o.epochs == 0 and o.to_dict()["unique_tokens"] is None


def test_optimum_is_the_minimum_along_the_budget():
    # Independent check: a dense scan of 200,001 sizes along 6·N·D = C never beats the search.
    for c, u in ((1e22, 25e9), (1e20, 1e8), (1e25, 3e11), (6.6e16, 1.24e9)):
        n, _ = dc.optimal(c, u, M)
        xs = np.geomspace(n / 1e3, n * 1e3, 200_001)
        scan = dc.loss(xs, c / (6 * xs), np.full_like(xs, u), M)
        assert dc.loss(n, c / (6 * n), u, M) <= scan.min() + 1e-12


def test_vectorised_grid_matches_scalars_and_scipy():
    from scipy.optimize import minimize_scalar
    c = np.geomspace(1e19, 1e25, 7)[:, None]
    u = np.geomspace(1e9, 1e13, 5)[None, :]
    n, d = dc.optimal(c, u, "epoch")
    assert n.shape == d.shape == (7, 5)
    for i, j in ((0, 0), (3, 2), (6, 4), (6, 0)):
        ci, uj = float(c[i, 0]), float(u[0, j])
        assert n[i, j] == dc.optimal(ci, uj, "epoch")[0]
        r = minimize_scalar(lambda x, ci=ci, uj=uj: dc.loss(math.exp(x), ci / 6 / math.exp(x), uj, "epoch"),
                            bounds=(math.log(n[i, j]) - 3, math.log(n[i, j]) + 3), method="bounded",
                            options={"xatol": 1e-10})
        # Compare losses: with a corpus far too small for the budget the loss is flat over a range of N.
        assert dc.loss(n[i, j], ci / 6 / n[i, j], uj, "epoch") <= r.fun + 1e-12


def test_corpus_limit_only_lowers_the_loss_ceiling():
    # A bigger corpus never hurts, and past the unconstrained D it changes nothing.
    u = np.geomspace(1e9, 1e12, 20)
    n, d = dc.optimal(np.full_like(u, 1e22), u, M)
    losses = dc.loss(n, d, u, M)
    assert np.all(np.diff(losses) <= 1e-12)
    assert n[-1] == pytest.approx(9.2183e9, rel=1e-4)


def test_any_fit_of_the_form_with_the_decay_constants():
    for name in ("epoch", "chinchilla"):
        f = fit(name)
        # 100 tokens per parameter: no repetition and no excess parameters, so the plain law.
        assert dc.loss(1e9, 1e11, None, name) == pytest.approx(f.loss(1e9, 1e11), rel=1e-14)
        # Undertrained (N above N_opt(D)): the excess parameters count less even without repetition.
        assert dc.loss(1e10, 1e10, None, name) > f.loss(1e10, 1e10)
        n0, d0 = f.optimal(1e21)
        assert dc.optimal(1e21, None, name) == pytest.approx((n0, d0))
    assert dc.law_fit(None) == fit()           # the planner's default fit


def test_corpus_for_optimal_inverts_the_split():
    # N_opt(D) for the fit's own split: at C, N_opt(D_opt(C)) = N_opt(C).
    for name in (M, "epoch", "chinchilla"):
        f = dc.law_fit(name)
        n0, d0 = f.optimal(3e21)
        assert dc.optimal_params_for_tokens(d0, name) == pytest.approx(n0, rel=1e-12)
        assert dc.corpus_for_optimal(n0, name) == pytest.approx(d0, rel=1e-12)
    # Muennighoff's fit has α = β, so the split is a fixed ratio: D/N = 1/G² = (βB/(αA))^(1/α) ≈ 19.6.
    assert dc.corpus_for_optimal(1e9, M) / 1e9 == pytest.approx((1487.716 / 520.825) ** (1 / 0.3526596), rel=1e-5)


def test_origin_case_advice():
    a = dc.corpus_advice(494_032_768, 22_118_400, 1.24e9, M)
    assert a.at_budget.flops == pytest.approx(6 * 494_032_768 * 22_118_400)
    assert not a.at_budget.limited                   # 6.6e16 FLOPs want ~0.46B tokens: the corpus is enough
    assert a.at_20x.flops == pytest.approx(6 * 494_032_768 * 20 * 494_032_768)
    assert a.at_20x.limited and a.at_20x.params < 494_032_768 and a.at_20x.epochs > 4
    assert a.corpus_for_optimal == pytest.approx(494_032_768 * 19.613, rel=1e-4)
    assert a.largest_params_at_20x == 62e6
    d = a.to_dict()
    assert set(d) >= {"at_budget", "at_20x", "corpus_for_optimal"}


@pytest.mark.parametrize("kwargs, field", [
    (dict(params=0, tokens=1e9, unique_tokens=1e9), "params"),
    (dict(params=1e9, tokens=-5, unique_tokens=1e9), "tokens"),
    (dict(params=1e9, tokens=1e9, unique_tokens=float("nan")), "unique_tokens"),
    (dict(params=1e9, tokens=1e9, unique_tokens="lots"), "unique_tokens"),
    (dict(params=True, tokens=1e9, unique_tokens=1e9), "params"),
])
def test_bad_input_names_the_argument(kwargs, field):
    with pytest.raises(planner.InputError) as e:
        dc.loss(**kwargs, fit=M)
    assert e.value.field == field


def test_bad_budget_and_fit():
    with pytest.raises(planner.InputError, match="^flops"):
        dc.optimal(np.array([1e22, 0.0]), 1e9)
    with pytest.raises(planner.InputError, match="^fit"):
        dc.optimal(1e22, 1e9, "kaplan")
    with pytest.raises(planner.InputError, match="^flops"):
        dc.data_constrained_optimal(np.array([1e22, 1e23]), 1e9)


def test_series_and_zero_d_arrays():
    s = pd.Series([1e21, 1e22])
    n, d = dc.optimal(s, 25e9, M)
    assert isinstance(n, np.ndarray) and n.shape == (2,)
    n0, _ = dc.optimal(np.float64(1e22), np.array(25e9), M)
    assert isinstance(n0, float)
    u = np.array([25e9, np.inf])
    n, _ = dc.optimal(np.array([1e22, 1e22]), u, M)
    assert n[1] == pytest.approx(9.22e9, rel=0.01)


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_corpus_json(capsys):
    code, out, _ = run(["optimal", "--flops", "1e22", "--unique-tokens", "25B", "--fit", M, "--json"], capsys)
    o = json.loads(out)
    assert code == 0
    assert o["params"] == pytest.approx(7.02e9, rel=0.01) and o["tokens"] == pytest.approx(2.37e11, rel=0.01)
    assert o["epochs"] == pytest.approx(9.5, abs=0.05)
    assert {"params", "tokens", "tokens_per_param", "loss", "epochs"} <= set(o)


def test_cli_default_fit_is_the_planners(capsys):
    code, out, _ = run(["optimal", "--flops", "5.76e23", "--json"], capsys)
    assert json.loads(out)["fit"] == planner.laws.registry.fit().name


@pytest.mark.parametrize("args, option", [
    (["--flops", "-1"], "--flops"),
    (["--flops", "1e22", "--unique-tokens", "0"], "--unique-tokens"),
    (["--flops", "1e22", "--unique-tokens", "many"], "--unique-tokens"),
    (["--flops", "1e22", "--fit", "kaplan"], "--fit"),
])
def test_cli_bad_values_exit_2_naming_the_option(args, option, capsys):
    code, _, err = run(["optimal", *args], capsys)
    assert code == 2 and err.count("\n") == 1 and option in err


def test_import_planner_does_not_import_scipy():
    code = "import sys, planner, planner.laws.data_constrained, planner.laws.inference, planner.laws.hyperparams; " \
           "print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ---- properties (hypothesis) ---------------------------------------------------------------------

budgets = st.floats(1e15, 1e28)
corpora = st.floats(1e6, 1e15)


@settings(max_examples=40, deadline=None)
@given(budgets, corpora, st.floats(-3, 3), st.sampled_from([M, "epoch", "chinchilla"]))
def test_no_size_on_the_budget_beats_the_optimum(c, u, shift, name):
    n, d = dc.optimal(c, u, name)
    assert math.isfinite(n) and math.isfinite(d) and n * d * 6 == pytest.approx(c)
    other = n * 10 ** shift
    assert dc.loss(n, d, u, name) <= dc.loss(other, c / (6 * other), u, name) + 1e-12


@settings(max_examples=25, deadline=None)
@given(budgets, corpora)
def test_array_answer_equals_the_scalar_answer(c, u):
    n, _ = dc.optimal(np.array([c, c * 10]), np.array([u, u]), M)
    assert n[0] == dc.optimal(c, u, M)[0]


@settings(max_examples=25, deadline=None)
@given(st.floats(1e6, 1e13), st.floats(1e6, 1e14), st.floats(1e6, 1e14))
def test_the_constrained_loss_is_never_below_the_plain_law(n, d, u):
    assert dc.loss(n, d, u, M) >= dc.law_fit(M).loss(n, d) - 1e-12


def test_plan_advice_for_the_origin_case():
    # Qwen2.5-0.5B dimensions: 24 layers, hidden 896; 2,700 steps of 4 × 2,048 tokens; 1.24B unique tokens.
    from planner.laws import plan_advice
    a = plan_advice(params=494_032_768, tokens=22_118_400, unique_tokens=1.24e9, fit=M, num_layers=24,
                    hidden_size=896, seq_len=2048, tokens_per_step=8192, inference_tokens=1e12)
    d = a.to_dict()
    assert d["data_constrained"]["corpus_for_optimal"] == pytest.approx(494_032_768 * 19.613, rel=1e-4)
    hp = d["hyperparameters"]
    m = 72 * 24 * 896**2 + 6 * 24 * 896 * 2048                  # DeepSeek's M, by hand
    assert hp["basis"] == "architecture" and hp["flops"] == pytest.approx(m * 22_118_400)
    assert hp["batch_tokens_opt"] == pytest.approx(0.2920 * (m * 22_118_400) ** 0.3271)
    assert hp["learning_rate_opt"] == pytest.approx(0.3118 * (m * 22_118_400) ** -0.1250)
    assert hp["batch_off"] == "too small" and hp["extrapolated"]
    assert d["inference"]["reference_params"] == 494_032_768 and d["inference"]["unique_tokens"] == 1.24e9
    bare = plan_advice(params=7e9, tokens=1.4e12)
    assert bare.corpus is None and bare.inference is None and bare.hyperparameters_basis == "6·N"
    with pytest.raises(planner.InputError, match="^non_embedding_params"):
        plan_advice(params=7e9, tokens=1.4e12, non_embedding_params="x")
