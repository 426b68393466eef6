"""One verdict on every surface: the level rule, the corpus in the verdict, the optimum, the policy.

Expected values are hand arithmetic written out here or the papers' numbers, never planner's own output.
"""

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import planner
from planner import InputError, Plan
from planner.cli import main
from planner.format import fmt_ratio
from planner.surfaces.report import optimal_frame, summary_rows
from planner.verdict.planfile import load_plan, plan_to_dict, save_plan

N_QWEN = 494_032_768          # Qwen2.5-0.5B, published total
U_ORIGIN = 1.24e9             # the origin case's unique tokens
R_STAR = 15.387756            # Muennighoff et al. 2023, R_D* (C4 fit)


def effective_by_hand(d, u):
    r = d / u - 1
    return u + u * R_STAR * (1 - math.exp(-r / R_STAR))


def origin_plan(steps):
    return Plan(budget=planner.budget(steps, micro_batch=4, seq_len=2048), model=planner.architecture("qwen2.5-0.5b"),
                unique_tokens=U_ORIGIN, accelerator="a100", count=1)


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ---- the corpus in the verdict --------------------------------------------------------------

def test_origin_at_the_optimal_step_count_is_not_compute_optimal_anywhere(capsys):
    steps = 1_206_135                       # ceil(20·N / 8,192): raw D/N just reaches 20
    d = steps * 8192
    eff = effective_by_hand(d, U_ORIGIN)     # 7.97 epochs: about 8.19e9 effective tokens
    assert eff / N_QWEN == pytest.approx(16.58, abs=0.01)
    g = planner.assess(N_QWEN, d, tokens_per_step=8192, unique_tokens=U_ORIGIN)
    assert g.level == "below-optimal" and g.on_effective
    assert g.ratio == pytest.approx(eff / N_QWEN, rel=1e-9) and g.raw_ratio == pytest.approx(d / N_QWEN)
    a = planner.assess_plan(origin_plan(steps))
    assert a.verdict.level == "below-optimal" and a.verdict.judged == "effective"
    assert "COMPUTE-OPTIMAL" not in a.verdict.headline and "D'/N 16.6" in a.verdict.headline
    assert {n.kind for n in a.verdict.notices} >= {"gate", "repetition"}
    df = planner.sweep(N_QWEN, steps=steps, micro_batch=4, seq_len=2048, unique_tokens=U_ORIGIN)
    assert df.level.iloc[0] == "below-optimal"
    code, out, err = run(["check", "--model", "qwen2.5-0.5b", "--steps", str(steps), "--micro-batch", "4",
                          "--seq-len", "2048", "--unique-tokens", "1.24e9", "--json"], capsys)
    j = json.loads(out)
    assert code == 0 and j["level"] == "below-optimal" and j["verdict"]["judged"] == "effective"
    assert "Beyond 4 epochs" in err
    code, out, _ = run(["check", "--model", "qwen2.5-0.5b", "--steps", str(steps), "--micro-batch", "4",
                        "--seq-len", "2048", "--unique-tokens", "1.24B"], capsys)
    assert "D'/N (effective)" in out and "D/N (raw)" in out and "COMPUTE-OPTIMAL" not in out


def test_origin_at_2700_steps_gives_one_step_count_on_the_judged_measure():
    a = planner.assess_plan(origin_plan(2700))
    assert a.gate.level == "severe" and a.gate.blocked
    assert not a.gate.on_effective  # 0.018 epochs: nothing is repeated
    # The line on effective data: D such that D' = 20·N; solve U(1 + R*(1 − e^(−R/R*))) = 20·N for R.
    r = -R_STAR * math.log(1 - (20 * N_QWEN / U_ORIGIN - 1) / R_STAR)
    steps = math.ceil(U_ORIGIN * (1 + r) / 8192)
    assert steps == 1_555_931 and a.gate.steps_to_optimal == steps     # not the raw 1,206,135
    assert a.verdict.steps_to_optimal == steps
    for s, level in ((steps - 1, "below-optimal"), (steps, "compute-optimal")):   # the fewest that reach it
        assert planner.assess_plan(origin_plan(s)).gate.level == level


def test_a_corpus_too_small_for_the_line_says_it_is_out_of_reach():
    # Within 16 epochs a corpus supplies U·(1 + R*·(1 − e^(−15/R*))) = 10.58·U effective tokens: with U = N
    # the 20× line is out of reach, and the corpus must hold 20·N / 10.58 tokens.
    cap = 1 + R_STAR * (1 - math.exp(-15 / R_STAR))
    assert cap == pytest.approx(10.582, abs=1e-3)
    g = planner.assess(10**9, 10**11, tokens_per_step=10**6, unique_tokens=1e9)
    assert not g.optimal_reachable and g.steps_to_optimal is None and g.level == "below-optimal"
    assert g.corpus_needed == pytest.approx(20e9 / cap, rel=1e-9)
    assert "not reachable on this corpus" in g.reach and "1.89B unique tokens" in g.reach
    v = planner.assess_plan(Plan(budget=planner.budget(10**5, tokens_per_step=10**6), params=10**9,
                                 unique_tokens=1e9)).verdict
    assert "unreachable" in {n.kind for n in v.notices}


def test_without_a_corpus_nothing_changes():
    g = planner.assess(10**9, 2 * 10**10)
    assert g.level == "compute-optimal" and g.ratio == 20.0 and g.effective_ratio is None


# ---- one level rule, exact at any size --------------------------------------------------------

@pytest.mark.parametrize("n", [10**16, 10**20, 10**29])
def test_level_rule_is_exact_on_every_surface(n, capsys):
    below, on = 10 * n - 1, 10 * n           # a hair under the launch line, and exactly on it
    assert planner.assess(n, below).level == "blocked" and planner.assess(n, on).level == "below-optimal"
    assert planner.verdict.gate.level(planner.verdict.gate.ratio(below, n)) == "blocked"
    assert planner.verdict.gate.level(planner.verdict.gate.ratio(on, n)) == "below-optimal"
    assert planner.sweep([n], [below]).level.iloc[0] == "blocked"
    assert planner.sweep([n, n], [below, on]).level.tolist() == ["blocked", "below-optimal"]
    assert fmt_ratio(planner.verdict.gate.ratio(below, n)) == "9.99"   # never "10.0" beside "blocked"
    code, out, _ = run(["check", "--params", str(n), "--steps", str(below), "--tokens-per-step", "1"], capsys)
    assert code == 1 and "blocked" in out.lower() and "10.0" not in out


def test_sweep_on_the_lines_with_float_arrays():
    n = np.array([1e9, 1e9, 1e9])
    df = planner.sweep(n, np.array([5e9, 1e10, 2e10]))
    assert df.level.tolist() == ["blocked", "below-optimal", "compute-optimal"]


def test_printed_ratio_rounds_except_across_a_line():
    assert fmt_ratio(28.57) == "28.6"       # rounded, as the JSON's 28.57 reads
    assert fmt_ratio(19.96) == "19.9"       # not 20.0 beside "below-optimal"
    assert fmt_ratio(14.66) == "14.7"


# ---- a consistent optimum -------------------------------------------------------------------

def test_default_optimum_agrees_with_the_20x_line(capsys):
    code, out, _ = run(["optimal", "--flops", "5.76e23", "--json"], capsys)
    assert code == 0 and 15 <= json.loads(out)["tokens_per_param"] <= 25


def test_chinchilla_approach3_stays_available_by_name(capsys):
    code, out, _ = run(["optimal", "--flops", "5.76e23", "--fit", "chinchilla", "--json"], capsys)
    assert json.loads(out)["tokens_per_param"] == pytest.approx(59, abs=2)
    code, out, _ = run(["optimal", "--flops", "1.71e24", "--fit", "chinchilla", "--json"], capsys)
    j = json.loads(out)                      # Table A3: 67B parameters, 4.1T tokens
    assert j["params"] == pytest.approx(67e9, rel=0.05) and j["tokens"] == pytest.approx(4.1e12, rel=0.10)


def test_review_alternative_does_not_contradict_a_green_verdict():
    a = planner.assess_plan(Plan(budget=planner.budget(20_000, tokens_per_step=10**6), params=10**9))
    assert a.verdict.level == "compute-optimal"
    assert 15 <= a.optimal.tokens_per_param <= 25


def test_loss_and_optimum_use_the_compute_n_whatever_the_ratio_uses():
    arch = planner.architecture("qwen3-30b-a3b")
    b = planner.budget(1000, tokens_per_step=4 * 10**6)
    total = planner.assess_plan(Plan(budget=b, model=arch, param_kind="total"))
    active = planner.assess_plan(Plan(budget=b, model=arch, param_kind="active"))
    assert total.params != active.params and total.compute_params == active.compute_params
    assert total.loss == active.loss and total.optimal == active.optimal
    assert total.compute.flops == pytest.approx(6 * planner.count_params("qwen3-30b-a3b").active * 4e9)


def test_attention_term_needs_a_sequence_length_and_causal_halving_halves_it():
    arch = planner.architecture("qwen2.5-0.5b")          # 24 layers, 14 heads of 64
    full = planner.assess_plan(Plan(budget=planner.budget(100, micro_batch=4, seq_len=2048), model=arch))
    half = planner.assess_plan(Plan(budget=planner.budget(100, micro_batch=4, seq_len=2048), model=arch,
                                    causal_attention_halving=True))
    d = 100 * 4 * 2048
    per_token = 12 * 24 * 14 * 64 * 2048                 # 12·L·h·e·T
    assert full.compute.flops_with_attention - full.compute.flops == pytest.approx(per_token * d)
    assert half.compute.flops_with_attention - half.compute.flops == pytest.approx(per_token * d / 2)
    unknown = planner.assess_plan(Plan(budget=planner.budget(100, tokens_per_step=8192), model=arch))
    assert not unknown.attention_known and unknown.to_dict()["compute"]["flops_with_attention"] is None
    assert any("attention term unknown" in v for _, v in summary_rows(unknown))


def test_continued_pretraining_labels_the_total_flops_of_the_optimum():
    b = planner.budget(1000, tokens_per_step=10**6, prior_tokens=10**10)
    a = planner.assess_plan(Plan(budget=b, params=10**9))
    assert a.compute.flops == pytest.approx(6 * 1e9 * 1e9)              # this run: new tokens only
    assert a.optimal.flops == pytest.approx(6 * 1e9 * (1e10 + 1e9))     # the alternative: prior + new
    assert any(k.startswith("Compute-optimal at the same total FLOPs") for k, _ in summary_rows(a))


def test_card_and_table_print_the_same_ratio():
    a = planner.assess_plan(Plan(budget=planner.budget(14_660, tokens_per_step=10**6), params=10**9))
    card = dict(summary_rows(a))["D/N"]
    assert card.startswith("14.7 ") and optimal_frame(a).loc["tokens per parameter", "this plan"] == "14.7"


# ---- the policy -----------------------------------------------------------------------------

def test_verdict_exit_codes_and_force():
    v = planner.assess_plan(origin_plan(2700)).verdict
    assert v.exit_code() == 1 and v.exit_code(force=True) == 0 and v.headline.startswith("SEVERE — blocked")
    ok = planner.assess_plan(Plan(budget=planner.budget(20_000, tokens_per_step=10**6), params=10**9)).verdict
    assert ok.exit_code() == 0 and ok.notices == ()


def test_force_must_be_a_bool():
    with pytest.raises(InputError, match="force"):
        planner.check(1000, 10, force="no")


# ---- value objects ----------------------------------------------------------------------------

def test_plan_validates_on_construction_naming_the_field():
    b = planner.budget(10, tokens_per_step=100)
    for kwargs, field in [({"mfu": 2}, "hardware.mfu"), ({"accelerator": "abacus"}, "hardware.accelerator"),
                          ({"corpus_name": "no-such-corpus"}, "corpus.name"), ({"count": 0}, "hardware.count"),
                          ({"fit": "astrology"}, "law.fit"),
                          ({"price_per_gpu_hour": -1}, "hardware.price_per_gpu_hour"),
                          ({"param_kind": "some"}, "model.param_kind"), ({"unique_tokens": 0}, "corpus.unique_tokens")]:
        with pytest.raises(InputError) as e:
            Plan(budget=b, params=10**6, **kwargs)
        assert e.value.field == field


def test_plan_with_equals_a_fresh_build_and_resolves_names_on_access():
    b = planner.budget(10, tokens_per_step=100)
    p = Plan(budget=b, params=10**6, corpus_name="FineWeb-Edu")
    assert p.with_(count=2, accelerator="a100") == Plan(budget=b, params=10**6, corpus_name="FineWeb-Edu", count=2,
                                                         accelerator="a100")
    assert p.unique_tokens is None and p.corpus_tokens == 1.3e12     # FineWeb-Edu card: 1.3T tokens


@pytest.mark.parametrize("path", sorted((Path(__file__).parent.parent / "data" / "plans").glob("*.toml")),
                         ids=lambda p: p.stem)
def test_every_example_plan_survives_a_save_and_load(path):
    p = load_plan(path)
    with tempfile.TemporaryDirectory() as tmp:
        q = load_plan(save_plan(p, Path(tmp) / "copy.toml"))
        with pytest.raises(planner.PlanFileError, match="exists"):
            save_plan(p, Path(tmp) / "copy.toml")
    assert q == p and planner.assess_plan(q).to_dict() == planner.assess_plan(p).to_dict()


def test_a_custom_architecture_is_saved_as_dimensions():
    arch = planner.architecture("qwen2.5-0.5b").with_(num_layers=12)
    p = Plan(budget=planner.budget(10, tokens_per_step=100), model=arch)
    assert "dimensions" in plan_to_dict(p)["model"]
    with tempfile.TemporaryDirectory() as tmp:
        assert load_plan(save_plan(p, Path(tmp) / "x.toml")) == p


# ---- one vectorised API -----------------------------------------------------------------------

def test_vectorised_helpers_accept_every_kind_of_number():
    s = pd.Series([1e10, 2e10], index=["a", "b"])
    out = planner.verdict.gate.ratio(s, 1e9)
    assert isinstance(out, pd.Series) and list(out.index) == ["a", "b"] and out.tolist() == [10.0, 20.0]
    gate = planner.verdict.gate
    assert gate.ratio(np.array(2e10), np.float64(1e9)) == 20.0 and isinstance(gate.ratio(20, 1), float)
    assert gate.steps_to_target(1000, 7) == 2858 and isinstance(gate.steps_to_target(1000, 7), int)
    assert gate.steps_to_target(np.array([1000, 2000]), 7).tolist() == [2858, 5715]   # ceil(20000/7), ceil(40000/7)


@pytest.mark.parametrize("call, field", [
    (lambda: planner.verdict.gate.ratio(10, 0), "params"), (lambda: planner.verdict.gate.ratio(-5, 1), "tokens"),
    (lambda: planner.verdict.gate.ratio(np.array([1.0, np.nan]), 1), "tokens"),
    (lambda: planner.verdict.gate.steps_to_target(1000, 7.5), "tokens_per_step"),
    (lambda: planner.verdict.gate.tokens_to_target(0), "params"),
    (lambda: planner.sweep(1e9, 1e10, steps=10, tokens_per_step=10), "tokens"),
    (lambda: planner.sweep(1e9, steps=10, tokens_per_step=10, micro_batch=1), "tokens_per_step"),
    (lambda: planner.sweep(1e9, steps=10.5, tokens_per_step=10), "steps"),
])
def test_vectorised_helpers_refuse_bad_input_naming_the_argument(call, field):
    with pytest.raises(InputError) as e:
        call()
    assert e.value.field == field


def test_sweep_takes_real_valued_axes_and_scalars():
    df = planner.sweep(np.geomspace(1e8, 1e10, 50), steps=np.arange(1, 101) * 1000, tokens_per_step=2**21,
                       unique_tokens=1.3e12, grid=True)
    assert len(df) == 5000 and set(df.level.cat.categories) == set(planner.LEVELS)
    one = planner.sweep(1.5e9, 1e10)
    assert len(one) == 1 and one.ratio.iloc[0] == pytest.approx(1e10 / 1.5e9) and one.level.iloc[0] == "blocked"


# ---- memory, time, science and launch files in the one assessment ------------------------------

def _plan_file(tmp, text):
    path = Path(tmp) / "plan.toml"
    path.write_text(text)
    return str(path)


LLAMA_8K = """
name = "Llama-3-8B at 8K on one H100"
[model]
catalog = "llama-3-8b"
[training]
steps = 1000
micro_batch = 1
seq_len = 8192
[hardware]
accelerator = "h100-sxm"
count = 1
[parallelism]
zero = 0
"""


def test_memory_is_part_of_the_verdict_and_blocks_unless_forced(capsys, tmp_path):
    path = _plan_file(tmp_path, LLAMA_8K)
    a = planner.assess_plan(load_plan(path))
    # bf16 weights + bf16 grads + 12 bytes of Adam state per parameter: 16 bytes × 8.03B ≈ 120 GiB > 80 GiB
    assert a.memory.weights + a.memory.gradients + a.memory.optimizer == pytest.approx(16 * 8_030_261_248, rel=1e-9)
    v = a.verdict
    assert v.fits is False and v.memory_blocked and v.blocked and v.status == "does-not-fit"
    assert "memory" in {n.kind for n in v.notices} and v.headline.startswith("DOES NOT FIT")
    assert v.exit_code(force=True) == 1 and v.exit_code(force=True, force_no_fit=True) == 0
    code, out, err = run(["report", path, "--force-under-provisioned", "--json"], capsys)
    j = json.loads(out)
    assert code == 1 and j["memory"]["fits"] is False and j["verdict"]["fits"] is False
    assert j["verdict"]["headline"] == v.headline and "--force-no-fit" in err
    code, out, _ = run(["report", path, "--force-under-provisioned", "--force-no-fit"], capsys)
    # one GPU cannot hold it whatever recompute or ZeRO does: the fix names the GPUs that TP 4 needs
    assert code == 0 and "Memory: smallest fix" in out and "TP 4, selective recompute on 4 GPUs" in out


def test_origin_case_fits_one_a100_with_a_stated_margin(capsys):
    a = planner.assess_plan(load_plan("data/plans/origin-case.toml"))
    assert a.memory.fits and a.memory.headroom > 30 * 2**30    # even at the band's upper end
    code, out, _ = run(["report", "data/plans/origin-case.toml", "--force-under-provisioned", "--require-fit"], capsys)
    assert code == 0 and "headroom" in out


def test_achieved_flops_and_full_recompute_time_a_run_like_narayanan(tmp_path):
    # Narayanan et al. 2021, Table 2: GPT-3 175B on 300B tokens, 1,536 A100s at 141 TFLOP/s: 23 days,
    # timed as 8·N·D / (n · X) with full recompute.
    path = _plan_file(tmp_path, """
[model]
params = 175e9
[training]
steps = 146_485
micro_batch = 1
grad_accum = 1
data_parallel = 1024
seq_len = 2048
[hardware]
accelerator = "a100"
count = 1536
achieved_tflops = 141
""")
    a = planner.assess_plan(load_plan(path))   # no layout: no recompute, 6·N·D at 141 TFLOP/s
    days = a.compute.wall_clock_hours / 24
    assert days == pytest.approx(6 * 175e9 * 146_485 * 2048 * 1024 / (1536 * 141e12) / 86400, rel=1e-6)
    recompute = planner.assess_plan(load_plan(path).with_(parallelism=planner.Parallelism(
        micro_batch=1, seq_len=2048, tp=8, pp=1, dp=192, gpus=1536, recompute="full")))
    assert recompute.compute.wall_clock_hours / 24 == pytest.approx(23, rel=0.03)


def test_plan_files_carry_inference_tokens_and_a_fit_beside_them(tmp_path):
    text = """
[model]
params = 13e9
[training]
steps = 1000
tokens_per_step = 4_000_000
[inference]
tokens = 2e12
"""
    a = planner.assess_plan(load_plan(_plan_file(tmp_path, text)))
    science = a.science.to_dict()
    assert science["inference"] is not None and science["inference"]["params"] < 13e9
    assert {"batch_tokens_opt", "learning_rate_opt"} <= set(science["hyperparameters"])
    p = load_plan(_plan_file(tmp_path, text))
    with tempfile.TemporaryDirectory() as tmp:
        assert load_plan(save_plan(p, Path(tmp) / "x.toml")) == p


def test_a_launch_config_is_judged_like_a_plan(capsys):
    # nanoGPT's config/train_gpt2.py on 8 GPUs: 124,373,760 parameters (vocabulary padded to 50,304, tied head,
    # learned positions), 40 × 12 × 1,024 = 491,520 tokens per iteration.
    code, out, _ = run(["check", "--launch-config", "tests/fixtures/launch/nanogpt_train_gpt2.py",
                        "--format", "nanogpt", "--gpus", "8", "--json"], capsys)
    j = json.loads(out)
    assert code == 0 and j["params"] == 124_373_760 and j["tokens_per_step"] == 491_520
    code, _, err = run(["check", "--launch-config", "tests/fixtures/launch/nanogpt_train_gpt2.py",
                        "--format", "nanogpt", "--steps", "10"], capsys)
    assert code == 2 and "--launch-config" in err


def test_memory_reads_a_launch_config_and_options_override_it(capsys):
    # torchtitan's Llama-3-8B job shards weights over 8 GPUs (FSDP): bf16 weights are 2·N/8 bytes per GPU.
    args = ["memory", "--launch-config", "tests/fixtures/launch/torchtitan_llama3_8b.toml", "--format", "torchtitan",
            "--gpus", "8", "--accelerator", "h100-sxm", "--json"]
    code, out, _ = run(args, capsys)
    j = json.loads(out)
    assert code == 0 and j["weights"] == pytest.approx(2 * 8_030_261_248 / 8, rel=1e-9) and j["fits"] is True
    code, out, _ = run(args + ["--recompute", "full"], capsys)
    assert json.loads(out)["activations"] < j["activations"]


def test_a_plan_judged_by_a_fitted_ladder_beside_it(capsys, tmp_path):
    ladder = tmp_path / "ladder.toml"
    code, _, err = run(["fit", "data/chinchilla_fig4_runs.csv", "--drop-highest", "5", "--bootstrap", "20",
                        "--save", str(ladder)], capsys)
    assert code == 0, err
    plan = tmp_path / "plan.toml"
    plan.write_text('[model]\nparams = 494032768\n[training]\nsteps = 2700\ntokens_per_step = 8192\n'
                    '[law]\nfit = "ladder.toml"\n')                 # relative to the plan file, not the cwd
    a = planner.assess_plan(load_plan(plan))
    assert a.plan.fit == str(ladder.resolve())
    # the extrapolation test uses the ladder's own runs (Figure 4: 1.4e18 to 1.3e22 FLOPs), not the built-in range
    flops = pd.read_csv("data/chinchilla_fig4_runs.csv")["training_flops"]
    lo, hi = planner.laws.fit(a.plan.fit).compute_range
    assert flops.min() <= lo < hi <= flops.max() and hi < 1e24   # 1e24: the built-in range's top
    assert a.optimal.extrapolated
    assert any(k == "Fitted law's uncertainty" for k, _ in summary_rows(a))
