"""Inference-aware sizing (Sardana & Frankle 2023, arXiv:2401.00448) against their Figure 1.

With their constants (E 1.69, A 406.4, B 410.7, α 0.336, β 0.283) the Chinchilla-optimal 13B model served
for 2T inference tokens becomes a ~6.97B model trained on ~1.25T tokens, saving ~17% of the FLOPs.
The "13B" plan is the compute-optimal one under the same constants: the budget where N_opt(C) = 13e9,
i.e. C/6 = (13e9/G)^((α+β)/β) with G = (αA/(βB))^(1/(α+β)), written out below.
"""

import json

import numpy as np
import pytest

import planner
from planner.cli import main
from planner.laws import Fit, fit
from planner.laws.inference import inference_optimal, inference_optimal_params

SARDANA = Fit("sardana-frankle", 1.69, 406.4, 410.7, 0.336, 0.283, "Sardana & Frankle 2023, Figure 1")
E, A, B, AL, BE = 1.69, 406.4, 410.7, 0.336, 0.283
G = (AL * A / (BE * B)) ** (1 / (AL + BE))
C13 = 6 * (13e9 / G) ** ((AL + BE) / BE)          # the budget whose compute-optimal N is 13B
D13 = C13 / (6 * 13e9)


def test_the_13b_reference_by_hand():
    o = inference_optimal(2e12, flops=C13, fit=SARDANA)
    assert o.reference_params == pytest.approx(13e9, rel=1e-9)
    assert o.reference_tokens == pytest.approx(D13, rel=1e-9)


def test_sardana_figure_1():
    o = inference_optimal(2e12, flops=C13, fit=SARDANA)
    assert o.params == pytest.approx(6.97e9, abs=0.1e9)
    assert o.tokens == pytest.approx(1.25e12, rel=0.01)
    assert o.flops_saved_fraction == pytest.approx(0.17, abs=0.01)
    assert o.flops_saved == pytest.approx(1.7e22, rel=0.03)       # "saving ≈ 1.7e22 FLOPs"
    # The same loss, by the law written out:
    assert E + A / o.params ** AL + B / o.tokens ** BE == pytest.approx(o.loss, rel=1e-12)
    assert o.objective == "flops"


def test_same_plan_from_its_n_and_d():
    a = inference_optimal(2e12, flops=C13, fit=SARDANA)
    b = inference_optimal(2e12, params=13e9, tokens=D13, fit=SARDANA)
    assert b.params == pytest.approx(a.params, rel=1e-6)


def test_minimum_along_the_iso_loss_curve():
    o = inference_optimal(2e12, flops=C13, fit=SARDANA)
    for scale in (0.9, 0.99, 1.01, 1.1):
        n = o.params * scale
        d = (B / (o.loss - E - A / n ** AL)) ** (1 / BE)
        assert 6 * n * d + 2 * n * 2e12 > o.total_flops


def test_more_inference_means_smaller_models_trained_longer():
    i = np.array([0.0, 1e11, 1e12, 1e13, 1e14])
    n, d = inference_optimal_params(C13, i, SARDANA)
    assert n[0] == pytest.approx(13e9, rel=1e-9)
    assert np.all(np.diff(n) < 0) and np.all(np.diff(d / n) > 0)


def test_every_fit_of_the_form():
    for name in ("epoch", "chinchilla", "muennighoff"):
        o = inference_optimal(1e13, flops=1e23, fit=name)
        f = planner.laws.data_constrained.law_fit(name)
        assert o.params < o.reference_params and f.loss(o.params, o.tokens) == pytest.approx(o.loss, rel=1e-9)
        assert 0 < o.flops_saved_fraction < 1


def test_prices_and_mfu_move_the_optimum():
    flops_only = inference_optimal(2e12, flops=C13, fit=SARDANA)
    # Inference at half the MFU makes each inference FLOP cost twice as much: a smaller model still.
    slow = inference_optimal(2e12, flops=C13, fit=SARDANA, inference_mfu=0.2)
    assert slow.objective == "gpu_hours" and slow.params < flops_only.params
    # Equal MFU but inference three times cheaper per hour: a bigger model than the FLOP optimum.
    cheap = inference_optimal(2e12, flops=C13, fit=SARDANA, price_per_gpu_hour=3.0, inference_price_per_gpu_hour=1.0)
    assert cheap.objective == "cost" and cheap.params > flops_only.params
    assert cheap.cost_saved > 0
    # Dollars by hand: FLOPs / (peak · MFU · 3600) · price.
    peak = cheap.peak_tflops * 1e12
    by_hand = cheap.training_flops / (peak * 0.4 * 3600) * 3 + cheap.inference_flops / (peak * 0.4 * 3600) * 1
    assert cheap.cost == pytest.approx(by_hand, rel=1e-12)


def test_no_inference_keeps_the_compute_optimal_plan():
    o = inference_optimal(0, flops=1e22)
    n0, d0 = fit().optimal(1e22)
    assert (o.params, o.tokens, o.flops_saved) == (n0, d0, 0.0)


@pytest.mark.parametrize("kwargs, field", [
    (dict(inference_tokens=-1, flops=1e22), "inference_tokens"),
    (dict(inference_tokens=1e12), "flops"),
    (dict(inference_tokens=1e12, flops=1e22, params=1e9, tokens=1e10), "flops"),
    (dict(inference_tokens=1e12, flops=1e22, inference_mfu=2), "inference_mfu"),
    (dict(inference_tokens=1e12, flops=1e22, inference_price_per_gpu_hour=1.0), "price_per_gpu_hour"),
    (dict(inference_tokens=1e12, flops=1e22, fit="kaplan"), "fit"),
])
def test_bad_input_names_the_argument(kwargs, field):
    with pytest.raises(planner.InputError) as e:
        inference_optimal(**kwargs)
    assert e.value.field == field


def test_cli_inference_json(capsys):
    code = main(["optimal", "--flops", "1e23", "--inference-tokens", "2T", "--fit", "chinchilla", "--json"])
    o = json.loads(capsys.readouterr().out)
    ref = inference_optimal(2e12, flops=1e23, fit="chinchilla")
    assert code == 0
    assert {"params", "tokens", "tokens_per_param", "loss", "training_flops", "inference_flops",
            "flops_saved"} <= set(o)
    assert o["params"] == ref.params and o["flops_saved"] == ref.flops_saved
    assert o["training_flops"] == pytest.approx(6 * o["params"] * o["tokens"])
    assert o["inference_flops"] == pytest.approx(2 * o["params"] * 2e12)


@pytest.mark.parametrize("args, option", [
    (["--inference-tokens", "-3"], "--inference-tokens"),
    (["--inference-tokens", "lots"], "--inference-tokens"),
    (["--inference-tokens", "2T", "--unique-tokens", "0"], "--unique-tokens"),
])
def test_cli_bad_values(args, option, capsys):
    code = main(["optimal", "--flops", "1e23", *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and option in err


def test_with_a_corpus_limit():
    # 25B unique tokens at 1e22 FLOPs (Muennighoff's C4 fit): the reference is the data-constrained optimum,
    # and the inference-aware plan keeps its loss under the same law.
    from planner.laws import data_constrained as dc
    o = inference_optimal(2e12, flops=1e22, fit="muennighoff", unique_tokens=25e9)
    ref = dc.data_constrained_optimal(1e22, 25e9, "muennighoff")
    assert (o.reference_params, o.reference_tokens) == (ref.params, ref.tokens)
    assert dc.loss(o.params, o.tokens, 25e9, "muennighoff") == pytest.approx(o.loss, rel=1e-12)
    assert o.params < ref.params and o.epochs == pytest.approx(o.tokens / 25e9)
    # The corpus limit stops the model from shrinking as far as it would with unlimited data.
    free = inference_optimal(2e12, flops=1e22, fit="muennighoff")
    assert o.params > free.params
    # Sizes around the answer need more training + inference FLOPs to reach the same constrained loss.
    for scale in (0.95, 1.05):
        n = o.params * scale
        d = np.geomspace(1e9, 1e15, 400_001)
        reach = d[dc.loss(np.full_like(d, n), d, np.full_like(d, 25e9), "muennighoff") <= o.loss][0]
        assert 6 * n * reach + 2 * n * 2e12 > o.total_flops
    # A corpus larger than any plan needs changes nothing.
    big = inference_optimal(2e12, flops=1e22, fit="muennighoff", unique_tokens=1e15)
    assert big.params == pytest.approx(free.params, rel=1e-6)


def test_curve_with_a_corpus_limit():
    n, d = inference_optimal_params(1e22, np.array([0.0, 1e12, 1e14]), "muennighoff", unique_tokens=25e9)
    assert n[0] == pytest.approx(7.02e9, rel=0.01) and np.all(np.diff(n) < 0)


def test_cli_corpus_and_inference(capsys):
    code = main(["optimal", "--flops", "1e22", "--unique-tokens", "25e9", "--inference-tokens", "2T",
                 "--fit", "muennighoff", "--json"])
    o = json.loads(capsys.readouterr().out)
    ref = inference_optimal(2e12, flops=1e22, fit="muennighoff", unique_tokens=25e9)
    assert code == 0 and o["params"] == ref.params and o["epochs"] == pytest.approx(ref.epochs)
    assert o["reference"]["params"] == pytest.approx(7.02e9, rel=0.01)
