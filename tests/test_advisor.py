"""What would fix a plan: the origin case's options, each checked against hand arithmetic and against
`planner report` on the saved option."""

import json
import math

import pytest

import planner
from conftest import ROOT
from planner.cli import main
from planner.errors import InputError
from planner.verdict.advisor import Constraints, advise

ORIGIN = str(ROOT / "data" / "plans" / "origin-case.toml")
N = 494_032_768            # Qwen2.5-0.5B, exact
U = 1.24e9                 # the origin corpus
R_STAR = 15.387756         # Muennighoff et al. 2023, R_D*
TPS = 8192                 # tokens per step: micro-batch 4 × sequence 2048
BUDGET = 1000.0            # dollars: at $2/GPU-hour on an A100 (312 TFLOP/s dense) at 40% MFU, 500 GPU-hours


def eff(epochs, unique=U):
    """Effective tokens after `epochs` passes over `unique` tokens (Muennighoff's formula, written out)."""
    return unique + unique * R_STAR * (1 - math.exp(-(epochs - 1) / R_STAR)) if epochs > 1 else epochs * unique


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def origin_advice():
    return advise(planner.load_plan(ORIGIN), Constraints(max_cost=BUDGET, max_epochs=4))


def test_training_longer_cannot_reach_20x_within_4_epochs(origin_advice):
    o = origin_advice.option("train-longer")
    # Within 4 epochs the corpus gives at most eff(4)/N effective tokens per parameter: about 9.35, under 20.
    at_4 = eff(4) / N
    assert at_4 == pytest.approx(9.35, abs=0.01)
    assert dict(o.extra)["ratio_at_max_epochs"] == pytest.approx(at_4)
    # Effective data does reach 20·N, at x epochs where U·(1 + R*(1 − e^(−(x−1)/R*))) = 20·N:
    x = 1 - R_STAR * math.log(1 - (20 * N / U - 1) / R_STAR)
    assert x == pytest.approx(10.28, abs=0.01)
    assert o.epochs == pytest.approx(x, rel=1e-6)
    assert o.plan.budget.steps == math.ceil(x * U / TPS)
    assert o.reaches_target and not o.within_epochs and not o.reachable
    assert any("10.3 epochs" in r and "4-epoch" in r for r in o.reasons)


def test_smaller_model_reaches_20x_within_budget(origin_advice):
    o = origin_advice.option("smaller-model")
    # The largest N the corpus feeds at 20 effective tokens per parameter within 4 epochs:
    n_cap = eff(4) / 20
    assert n_cap == pytest.approx(231.0e6, rel=1e-3)
    assert 0.95 * n_cap <= o.assessment.params <= n_cap
    assert o.reachable and o.assessment.verdict.level == "compute-optimal"
    assert o.assessment.gate.ratio >= 20 and o.epochs <= 4
    assert o.assessment.compute.cost <= BUDGET
    cfg = o.shape.config
    assert cfg["model_type"] == "qwen2" and cfg["vocab_size"] == 151936 and cfg["tie_word_embeddings"] is True
    assert planner.count_params(cfg).total == o.assessment.params      # the config counts to the plan's N
    # the budget: $1,000 / $2 = 500 A100-hours at 312e12 × 0.4 FLOP/s of palm FLOPs (the MFU's), as 6·N·D: scaled by
    # 6·N over palm's 6·(N − tied embedding 151,936 × 896) + 12·L·H·Q·T (24 layers, 14 heads of 64, 2,048 tokens)
    n = 494_032_768
    palm = 6 * (n - 151_936 * 896) + 12 * 24 * 14 * 64 * 2048
    assert origin_advice.budget_flops == pytest.approx(500 * 3600 * 312e12 * 0.4 * 6 * n / palm)


def test_wider_corpus_is_20N(origin_advice):
    o = origin_advice.option("wider-corpus")
    assert o.plan.corpus_tokens == 20 * N == 9_880_655_360
    assert o.plan.budget.steps == 1_206_135                   # ceil(20·N / 8,192)
    assert o.reachable and o.assessment.verdict.level == "compute-optimal"
    extra = dict(o.extra)
    assert extra["unique_tokens_at_max_epochs"] == pytest.approx(20 * N / (eff(4) / U))   # ≈ 2.66B over 4 epochs
    assert extra["corpus_growth"] == pytest.approx(20 * N / U)


def test_data_constrained_option_is_the_law(origin_advice):
    from planner.laws.data_constrained import data_constrained_optimal
    o = origin_advice.option("data-constrained")
    law = data_constrained_optimal(origin_advice.budget_flops, U)
    assert abs(o.assessment.params / law.params - 1) <= 0.1
    assert o.assessment.compute.model_flops <= origin_advice.budget_flops


def test_every_option_gets_the_claimed_verdict_from_report(origin_advice, tmp_path, capsys):
    for o in origin_advice.options:
        path = planner.verdict.planfile.save_plan(o.plan, tmp_path / f"{o.kind}.toml")
        code, out, _ = run(["report", str(path), "--json"], capsys)
        d = json.loads(out)
        assert (d["level"], d["blocked"]) == (o.assessment.verdict.level, o.assessment.verdict.blocked), o.kind
        assert d["params"] == o.assessment.params and d["tokens"] == o.assessment.gate.tokens
        assert code == o.assessment.verdict.exit_code()


def test_cli_json_and_output_folder(tmp_path, capsys):
    code, out, _ = run(["advise", ORIGIN, "--max-cost", "1000", "--max-epochs", "4", "--json", "-o", str(tmp_path)],
                       capsys)
    assert code == 0
    options = json.loads(out)
    assert [o["kind"] for o in options] == ["train-longer", "smaller-model", "wider-corpus", "data-constrained"]
    for o in options:
        assert {"kind", "plan", "params", "tokens", "ratio", "level", "reachable", "gpu_hours", "days", "cost",
                "loss"} <= set(o)
        saved = planner.load_plan(tmp_path / f"{o['kind']}.toml")
        assert planner.assess_plan(saved).verdict.level == o["level"]
    assert options[0]["reachable"] is False and options[1]["reachable"] is True


def test_cli_text(capsys):
    code, out, _ = run(["advise", ORIGIN, "--max-cost", "1000", "--max-epochs", "4"], capsys)
    assert code == 0
    assert "What would fix it" in out and "Wider corpus: 9.88B unique tokens" in out
    assert "past the 4-epoch line" in out


def test_fixed_model_and_corpus():
    a = advise(planner.load_plan(ORIGIN), Constraints(fixed_model=True, fixed_corpus=True))
    assert [o.kind for o in a.options] == ["train-longer"]


def test_limits_mark_options_over_them():
    a = advise(planner.load_plan(ORIGIN), Constraints(max_days=1))
    o = a.option("train-longer")              # 3.5 days on one A100
    assert not o.within_constraints and any("1-day limit" in r for r in o.reasons)


@pytest.mark.parametrize("args,field", [
    (["--max-days", "-1"], "--max-days"), (["--max-gpus", "0"], "--max-gpus"), (["--max-gpus", "1.5"], "--max-gpus"),
    (["--max-cost", "abc"], "--max-cost"), (["--max-epochs", "0.5"], "--max-epochs"),
    (["--unique-tokens", "-3"], "--unique-tokens"),
])
def test_bad_constraints_exit_2_naming_the_option(args, field, capsys):
    code, out, err = run(["advise", ORIGIN, *args], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"planner: error: {field}:") and err.count("\n") == 1


def test_max_cost_needs_a_price(capsys):
    code, _, err = run(["advise", str(ROOT / "data" / "plans" / "chinchilla-70b.toml"), "--max-cost", "5"], capsys)
    assert code == 2 and "--max-cost" in err and "price" in err


def test_python_errors_name_the_field():
    with pytest.raises(InputError) as e:
        Constraints(max_days=-1)
    assert e.value.field == "max_days"
    with pytest.raises(InputError) as e:
        advise("origin-case.toml")
    assert e.value.field == "plan"


def test_surfaces_render_the_same_numbers(origin_advice):
    from planner.surfaces.advisor_view import advice_html, advice_rows
    rows = advice_rows(origin_advice)
    assert [r["reachable"] for r in rows] == ["no", "yes", "yes", "no" if not origin_advice.options[3].reachable
                                             else "yes"]
    html = advice_html(origin_advice)
    assert html.startswith('<table class="planner-advice">') and "9.88B" in html
    # durations as the cards write them (hours, days beside from 48 h), never "3.16" in a "days" column
    from planner.surfaces.advisor_view import card_html
    for o, r in zip(origin_advice.options, rows, strict=True):
        assert f"{r['wall-clock']} on 1 GPU · {r['GPU time']}" in card_html(o), (r, card_html(o))
    assert rows[0]["wall-clock"] == "76 h (3.2 days)" and rows[0]["GPU time"] == "76 GPU-hours"   # 1 A100
    assert rows[1]["wall-clock"] == "11.3 h" and "<th>days</th>" not in html


def test_memory_with_a_layout():
    from planner.training.parallelism import Parallelism
    plan = planner.load_plan(ORIGIN)
    ok = advise(plan, Constraints(max_cost=BUDGET), layout=Parallelism(micro_batch=4, seq_len=2048))
    assert all(o.fits is True for o in ok.options)
    # micro-batch 64 of 2,048 tokens on a 24 GB card: activations alone are far beyond it
    big = advise(plan.with_(accelerator="rtx4090"), Constraints(max_cost=BUDGET),
                 layout=Parallelism(micro_batch=64, seq_len=2048))
    small = big.option("smaller-model")
    assert small.fits is False and not small.reachable and any("memory" in r for r in small.reasons)
    assert advise(plan).options[0].fits is None


def test_option_buttons_load_the_option_plan(origin_advice):
    pytest.importorskip("ipywidgets")
    from planner.surfaces.advisor_view import option_buttons
    loaded = []
    box = option_buttons(origin_advice, loaded.append)
    assert [b.description for b in box.children] == ["Train longer", "Smaller model", "Wider corpus",
                                                    "Data-constrained optimum"]
    box.children[1].click()
    assert loaded == [origin_advice.option("smaller-model").plan]
    assert box.children[1].button_style == "success" and box.children[0].button_style == ""


def test_a_corpus_too_small_for_any_amount_of_training():
    # 100M unique tokens can never supply 20 × 494M effective tokens: U·(1 + R*) = 1.64B < 9.88B.
    a = advise(planner.load_plan(ORIGIN), Constraints(unique_tokens=1e8))
    o = a.option("train-longer")
    assert 1e8 * (1 + R_STAR) < 20 * N
    assert not o.reaches_target and not o.reachable
    assert o.plan.budget.steps == 16 * 10**8 // 8192   # as far as 16 epochs go: still short on effective tokens
    assert any("no amount of training" in r for r in o.reasons)
    assert a.option("wider-corpus").plan.corpus_tokens == 20 * N


def test_without_a_corpus_or_an_architecture():
    # N given directly, no corpus: the smaller model is sqrt(C / 120) (6·N·20·N = C), as a Llama shape.
    plan = planner.Plan(budget=planner.budget(1000, tokens_per_step=1_000_000), params=7_000_000_000,
                        accelerator="h100-sxm", count=8)
    a = advise(plan)
    assert [o.kind for o in a.options] == ["train-longer", "smaller-model", "data-constrained"]
    C = 6 * 7e9 * 1e9
    n = a.option("smaller-model").assessment.params
    assert 0.95 * math.sqrt(C / 120) <= n <= math.sqrt(C / 120)
    assert a.option("smaller-model").shape.config["model_type"] == "llama"
    assert a.option("train-longer").plan.budget.steps == 140_000     # ceil(20 · 7e9 / 1e6)


def test_loss_with_repetition(origin_advice):
    from planner.laws.data_constrained import loss
    longer = dict(origin_advice.option("train-longer").extra)["loss_with_repetition"]
    o = origin_advice.option("train-longer")
    assert longer == pytest.approx(loss(N, o.assessment.gate.tokens, U))
    assert longer > o.assessment.loss + 0.1          # 10 epochs: repeated tokens are worth much less
    # one epoch of fresh data: no token discounted; 494M is above the epoch fit's compute-optimal size (417M)
    # for 9.88B tokens, so the law discounts a sliver of the parameters
    w = origin_advice.option("wider-corpus")
    assert 0 <= dict(w.extra)["loss_with_repetition"] - w.assessment.loss < 1e-3


def test_default_advice_agrees_with_the_gate_on_the_one_step_count():
    # By default the advisor allows what the gate allows (16 epochs): the origin case reaches 20× on effective
    # tokens at 1,555,931 steps (10.3 epochs), the same number the gate and every surface give.
    plan = planner.load_plan(ORIGIN)
    g = planner.assess_plan(plan).gate
    o = advise(plan).option("train-longer")
    assert g.steps_to_optimal == o.plan.budget.steps == math.ceil((1 - R_STAR * math.log(
        1 - (20 * N / U - 1) / R_STAR)) * U / TPS) == 1_555_931
    assert o.reachable and o.title.startswith("Train longer: 1,555,931 steps")
    assert o.assessment.verdict.level == "compute-optimal"


def test_proposed_shapes_are_sane_for_the_family():
    # The plan's own compute fits a 21M model at 20×, but a qwen2 vocabulary of 151,936 × 128 alone is 19.4M of it:
    # the advisor proposes the smallest qwen2 shape whose layers are at least a third of N instead, and says so.
    o = advise(planner.load_plan(ORIGIN)).option("smaller-model")
    c = planner.count_params(o.shape.config)
    assert c.non_embedding >= c.total / 3 and o.shape.config["num_hidden_layers"] >= 4
    assert "the smallest qwen2 shape" in o.title and o.assessment.verdict.level == "compute-optimal"


def test_train_shorter_past_the_repetition_limit():
    # 30M steps over 1.24B unique tokens is 198 epochs: never compute-optimal; the fix is fewer steps.
    plan = planner.load_plan(ORIGIN)
    plan = plan.with_(budget=planner.budget(30_000_000, micro_batch=4, seq_len=2048))
    o = advise(plan).option("train-longer")
    assert o.plan.budget.steps == 1_555_931 and o.title.startswith("Train shorter")
    assert o.assessment.verdict.level == "compute-optimal"


def test_the_epoch_fit_is_named_for_epoch_ai_not_data_epochs(origin_advice):
    # the origin plan's law is `fit = "epoch"`: Besiroglu et al. 2024, Epoch AI's refit of Chinchilla
    from planner.surfaces.report import summary_rows
    assert origin_advice.plan.fit == "epoch"
    title = origin_advice.option("data-constrained").title
    assert title.startswith("Data-constrained optimum (Epoch AI fit): ") and "(epoch fit)" not in title
    loss = dict(summary_rows(origin_advice.assessment))["Predicted loss"]
    assert "(Epoch AI fit, N = 494M)" in loss


def test_an_expert_parallel_plans_options_carry_its_layout_to_their_models(capsys, tmp_path):
    # Qwen3-30B-A3B (128 experts) with EP 8 over DP 8 (× TP 2) on 16 GPUs, far below 20×: the smaller and
    # data-constrained models the advisor proposes are dense shapes (no qwen3_moe shape rule: the llama family's), so
    # they keep the layout without its expert parallelism (a dense model has no experts to spread); the train-longer
    # option keeps the plan's own. It had failed on the first dense option (ep: must be 1 for a dense model)
    arch = planner.architecture("qwen3-30b-a3b")
    layout = planner.Parallelism(micro_batch=1, seq_len=4096, tp=2, sp=True, ep=8, dp=8, gpus=16, zero=1,
                                 framework="megatron", flash_attention=True)
    plan = planner.Plan(budget=planner.budget(1000, micro_batch=1, seq_len=4096, data_parallel=8), model=arch,
                        count=16, accelerator="h100-sxm", parallelism=layout)
    adv = advise(plan)
    assert adv.option("train-longer").plan.parallelism.ep == 8
    for kind in ("smaller-model", "data-constrained"):
        o = adv.option(kind)
        assert not o.plan.model.num_experts and o.plan.parallelism.ep == 1 and o.plan.parallelism.tp == 2
        assert o.assessment.memory is not None
    path = planner.save_plan(plan, tmp_path / "qwen3-moe.toml")
    assert main(["advise", str(path)]) in (0, 1)
    assert "Smaller model" in capsys.readouterr().out


def test_a_layout_that_does_not_suit_the_plans_model_is_refused_by_name():
    # expert parallelism on a dense model, a TP that does not divide the heads: the plan names the field
    dense = planner.architecture("llama-3-8b")
    budget = planner.budget(1000, micro_batch=1, seq_len=4096, data_parallel=8)
    for layout, field in ((planner.Parallelism(seq_len=4096, ep=8, dp=8, gpus=8), "parallelism.ep"),
                          (planner.Parallelism(seq_len=4096, tp=3, dp=8, gpus=24), "parallelism.tp")):
        with pytest.raises(InputError) as e:
            planner.Plan(budget=budget, model=dense, count=layout.num_gpus, parallelism=layout)
        assert e.value.field == field
