"""The workbook driven from code (no browser): typed input, valid architecture moves, plan files, the chart.

Every test builds its own :class:`Workbook` (no shared mutable state: the file passes in any order).
Expected values come from hand calculations, published counts, the plan files' own text, or a fresh
count of an edited ``config.json`` — never read back from the widget.
"""

import asyncio
import json
import re
import subprocess
import sys
import tomllib

import pytest

import planner
from conftest import ROOT
from planner.surfaces.controls import NumberControl
from planner.surfaces.fields import count_text
from planner.surfaces.widgets import Workbook, divisors

N_QWEN = 494_032_768          # Qwen2.5-0.5B, published
ORIGIN = ROOT / "data" / "plans" / "origin-case.toml"
MODELS = ROOT / "data" / "models"


@pytest.fixture
def wb():
    return Workbook()


def _numbers(wb):
    return {k: c for k, c in wb.numbers.items()}


# ---- opening -----------------------------------------------------------------------------------

def test_opens_on_the_origin_case_plan_file(wb):
    doc = tomllib.loads(ORIGIN.read_text())
    a = wb.assessment
    assert a.params == N_QWEN and a.gate.tokens == 2700 * 4 * 2048 and a.gate.level == "severe"
    # the workbook opens on the same hardware as the plan file (one A100, $2/GPU-hour), not 8 GPUs
    assert ((wb.gpus.value, wb.accelerator.value, wb.price.value) == (doc["hardware"]["count"], "a100", 2.0)
            == (1, "a100", 2.0))
    assert wb.mfu.box.value == "40%" and wb.steps.box.value == "2,700" and wb.unique.box.value == "1.24B"
    assert wb.prior.value == 0 and wb.prior.box.value == "0"     # continued pretraining starts at 0 tokens
    assert "micro-batch" in wb.micro_batch.slider.description    # the readout's word, not "batch"
    assert "D/N 0.045" in wb.readout.value and "SEVERE" in wb.readout.value
    assert "Base model <b>qwen2.5-0.5b</b> (unchanged)" in wb.readout.value


# ---- (1) typed values mean what they show ------------------------------------------------------------

@pytest.mark.parametrize("control, typed, value", [
    ("steps", "1,206,135", 1_206_135),
    ("steps", "1.2M", 1_200_000),
    ("steps", "3e5", 300_000),
    ("steps", "12k", 12_000),
    ("unique", "1.3T", 1_300_000_000_000),
    ("seq_len", "1,500", 1500),          # any whole length, not only powers of two
    ("seq_len", "4096", 4096),
    ("micro_batch", "24", 24),
    ("gpus", "1,024", 1024),
    ("mfu", "55%", 0.55),
    ("mfu", "0.35", 0.35),
    ("price", "25", 25.0),               # above the old $20 slider cap: the package allows up to $1e6
    ("price", "1,250.50", 1250.5),
    ("layers", "30", 30),
    ("vocab", "128k", 128_000),
])
def test_typed_text_applies_exactly(wb, control, typed, value):
    c = wb.numbers[control]
    c.box.value = typed            # what the browser sends on Enter, Tab or leaving the box
    assert c.value == value
    assert c.message.layout.display == "none"
    assert wb.assessment is not None and wb.plan() == wb.assessment.plan


def test_typed_prior_tokens_apply_exactly(wb):
    wb.set(continued=True)
    wb.prior.box.value = "18T"
    assert wb.prior.value == 18 * 10**12 and wb.assessment.gate.prior_tokens == 18 * 10**12
    assert wb.prior.box.value == "18T"


@pytest.mark.parametrize("control, typed", [
    ("steps", "abc"), ("steps", "1.5"), ("steps", "0"), ("steps", "1e31"), ("steps", "1,20,0"),
    ("price", "2e6"), ("price", "-1"), ("mfu", "150%"), ("mfu", "0"), ("layers", "2e9"),
    ("heads", "13"), ("kv_heads", "3"),
])
def test_refused_visibly_never_clamped(wb, control, typed):
    c = wb.numbers[control]
    before, plan = c.value, wb.plan()
    c.box.value = typed
    assert c.value == before and wb.plan() == plan                   # nothing applied, nothing clamped
    assert c.message.layout.display != "none" and c.label in c.message.value  # says so, under the control
    assert c.box.value == c.text(before)                             # the box shows what is in use


def test_every_box_reads_back_what_it_shows(wb):
    for model in ("qwen2.5-0.5b", "mixtral-8x7b-v0.1"):
        wb.set(model=model, continued=True, prior=123_456_789, corpus="FineWeb-Edu")
        for c in wb.numbers.values():
            if c.value is not None:
                assert c.parse(c.box.value) == c.value, c.label


def test_price_limit_is_the_packages():
    from planner.training.compute import MAX_PRICE
    assert Workbook().price.maximum == MAX_PRICE == 1e6


def test_slider_grows_to_a_typed_value_within_the_limits(wb):
    wb.steps.box.value = "5e12"              # beyond the slider's 10^10, within the package's limits
    assert wb.steps.value == 5 * 10**12 and wb.steps.slider.base ** wb.steps.slider.max >= 5e12


# ---- (2) architecture moves that stay valid ------------------------------------------------------------

ARCH_CONTROLS = ("layers", "hidden", "heads", "head_dim", "kv_heads", "intermediate", "vocab",
                 "experts", "top_k", "expert_size", "shared_experts")


def _ends_and_middle(c: NumberControl):
    """Three slider positions: both ends and the middle (every position is checked on the state, without widgets,
    in tests/test_workbook_state.py)."""
    if c.kind == "choice":
        opts = list(c.options)
        return [opts[0], opts[len(opts) // 2], opts[-1]]
    lo, hi = c.slider.min, c.slider.max
    return [lo, (lo + hi) // 2, hi]


@pytest.mark.parametrize("model", ["qwen3-0.6b", "qwen3-30b-a3b"])
def test_slider_moves_of_every_architecture_control_stay_valid(model):
    wb = Workbook(model=model)
    wb._request_chart = lambda token, a: None      # validity only: no chart per move (test_chart_* cover it)
    base = planner.architecture(model)
    for name in ARCH_CONTROLS:
        c = wb.numbers[name]
        moe_only = name in ("experts", "top_k", "expert_size", "shared_experts")
        no_shared = name == "shared_experts" and not base.num_shared_experts
        if c.disabled or (moe_only and not base.num_experts) or no_shared:
            continue
        start = c.value
        for v in _ends_and_middle(c):
            if c.kind == "choice" and v not in c.options:
                continue
            c.slider.value = v                     # a slider move, through its callback
            assert wb.error is None, f"{model}: {c.label} = {v}: {wb.error}"
            a = wb.architecture()
            assert a.hidden_size == a.num_heads * a.head_dim or base.inputs()["head_dim"] is not None
            assert a.num_heads % a.num_kv_heads == 0
            assert wb.kv_heads.options == tuple(divisors(a.num_heads))  # the widget offers what the state allows
        wb.set(model=model)
        assert wb.architecture() == base and c.value == start


def test_one_step_of_hidden_or_heads_is_valid_on_the_opening_model(wb):
    wb.hidden.value = 960                               # 896 -> 960: heads keep 64 wide: 15 heads
    assert wb.error is None and (wb.heads.value, wb.head_dim.value) == (15, 64)
    assert wb.kv_heads.value in divisors(15)
    wb.hidden.value = 896
    assert wb.error is None and wb.heads.value == 14
    assert wb.heads.options == tuple(d for d in divisors(896) if 896 // d >= 8)


def _fresh_count(config_name, **edits):
    cfg = json.loads((MODELS / f"{config_name}.json").read_text())
    cfg.update(edits)
    return planner.count_params(cfg)


def test_mixtral_moves_equal_a_fresh_count_of_the_edited_config():
    wb = Workbook(model="mixtral-8x7b-v0.1")
    assert wb.intermediate.disabled                     # every layer is MoE: the expert size is what counts
    wb.set(layers=31, experts=4, top_k=1, expert_size=8192)
    pc = _fresh_count("mixtral-8x7b-v0.1", num_hidden_layers=31, num_local_experts=4, num_experts_per_tok=1,
                      intermediate_size=8192)
    assert wb.error is None
    assert (wb.assessment.counts.total, wb.assessment.counts.active) == (pc.total, pc.active)
    wb.layers.value = 33                                # a step up: the new layer is MoE too
    pc = _fresh_count("mixtral-8x7b-v0.1", num_hidden_layers=33, num_local_experts=4, num_experts_per_tok=1,
                      intermediate_size=8192)
    assert wb.assessment.counts.total == pc.total


def test_qwen3_moe_moves_equal_a_fresh_count_of_the_edited_config():
    wb = Workbook(model="qwen3-30b-a3b")
    assert wb.assessment.counts.total == planner.count_params("qwen3-30b-a3b").total
    wb.layers.value = 47                                # one step down: no error, every layer still MoE
    assert wb.error is None
    wb.set(experts=64, top_k=4, expert_size=512)
    pc = _fresh_count("qwen3-30b-a3b", num_hidden_layers=47, num_experts=64, num_experts_per_tok=4,
                      moe_intermediate_size=512)
    assert (wb.assessment.counts.total, wb.assessment.counts.active) == (pc.total, pc.active)


def test_top_k_follows_the_number_of_experts():
    wb = Workbook(model="qwen3-30b-a3b")
    wb.experts.value = 4                                # top-k was 8
    assert wb.top_k.value == 4 and wb.error is None and wb.top_k.slider.max == 4


def test_same_positions_same_answer(wb):
    wb.set(model="qwen3-0.6b")
    fresh = planner.count_params("qwen3-0.6b").total
    wb.hidden.slider.value = 1088
    wb.hidden.slider.value = 1024                       # right then left: the explicit head_dim is kept
    assert wb.assessment.params == fresh and wb.architecture() == planner.architecture("qwen3-0.6b")
    assert "(unchanged)" in wb.readout.value


def test_readout_names_the_base_model_and_the_departure(wb):
    wb.layers.value = 25
    readout = wb.readout.value
    assert "qwen2.5-0.5b" in readout and "modified" in readout and "layers 24 → 25" in readout
    # one Qwen2.5-0.5B layer by hand: q, k, v with biases (2 kv heads × 64), o, gated MLP, 2 RMSNorms
    per_layer = (896 * 896 + 896) + 2 * (896 * 128 + 128) + 896 * 896 + 3 * 896 * 4864 + 2 * 896
    assert wb.assessment.params == N_QWEN + per_layer


def test_error_state_is_marked_not_current(wb):
    # 10^30 steps of 2^20 tokens: more tokens than the planner counts
    wb.seq_len.value = 2**20
    wb.steps.box.value = "1e30"
    assert wb.assessment is None and wb.error
    assert "not current" in wb.readout.value and "planner-stale" in wb.image._dom_classes
    assert "steps" in wb.error or "tokens" in wb.error
    wb.steps.box.value = "2,700"
    assert wb.assessment is not None and "planner-stale" not in wb.image._dom_classes


# ---- (3) plan files ----------------------------------------------------------------------------------

def test_saved_plan_reads_back_with_planner_report(wb, tmp_path):
    wb.set(model="mixtral-8x7b-v0.1", layers=30, steps="1.2M", micro_batch=8, seq_len=4096, mfu="55%", price=25,
           corpus="FineWeb-Edu")
    path = wb.save(tmp_path / "variant.toml")
    out = subprocess.run([sys.executable, "-m", "planner", "report", str(path), "--json"], capture_output=True,
                         text=True, cwd=tmp_path)
    assert out.returncode in (0, 1), out.stderr
    got = json.loads(out.stdout)
    a = wb.assessment
    assert (got["params"], got["tokens"], got["level"], got["blocked"]) == (a.params, a.gate.tokens, a.gate.level,
                                                                            a.gate.blocked)
    assert got["ratio"] == pytest.approx(a.gate.ratio, rel=1e-12)
    assert got["compute"]["cost"] == pytest.approx(a.compute.cost, rel=1e-12)
    assert got["compute"]["flops"] == pytest.approx(a.compute.flops, rel=1e-12)
    with pytest.raises(planner.PlannerError, match="exists"):
        wb.save(path)                                   # no silent overwrite
    # and opening it gives the same workbook state, base model and departure included
    wb2 = Workbook(plan=path)
    assert wb2.plan() == wb.plan().with_(name="variant", description=wb2.plan_description)
    assert "mixtral-8x7b-v0.1" in wb2.readout.value and "layers 32 → 30" in wb2.readout.value


@pytest.mark.parametrize("plan", ["llama-3-8b.toml", "small-1week-8xh100.toml", "origin-case.toml"])
def test_open_plan_gives_the_plans_assessment(wb, plan):
    path = ROOT / "data" / "plans" / plan
    wb.open_plan(path)
    want = planner.assess_plan(planner.load_plan(path))
    a = wb.assessment
    assert (a.params, a.gate.tokens, a.gate.level, a.compute.count) == (want.params, want.gate.tokens,
                                                                       want.gate.level, want.compute.count)


def test_open_plan_refuses_a_bare_parameter_count(wb):
    with pytest.raises(planner.PlannerError, match="gives N directly"):
        wb.open_plan(ROOT / "data" / "plans" / "chinchilla-70b.toml")
    wb.plan_path.value = "data/plans/chinchilla-70b.toml"
    wb.open_button.click()
    assert "gives N directly" in wb.file_note.value and wb.assessment.params == N_QWEN


# ---- the chart ------------------------------------------------------------------------------------------

def test_chart_redraws_in_place(wb):
    image, fig = wb.image.value, wb.chart.fig
    wb.steps.value = 1_206_135
    assert wb.image.value != image and wb.chart.fig is fig


def test_background_chart_drops_stale_redraws():
    async def scenario():
        wb = Workbook(background_chart=True)
        first = wb.image.value
        for steps in (3000, 4000, 5000, 6000, 7000):       # back-to-back moves
            wb.steps.value = steps
            assert f"{steps:,}" in wb.details.value and wb.assessment.plan.budget.steps == steps  # current at once
        for _ in range(200):
            await asyncio.sleep(0.01)
            if wb._drawn == wb._token:
                break
        assert wb._drawn == wb._token and wb.image.value != first
        reference = Workbook(background_chart=False).set(steps=7000)
        return wb.image.value == reference.image.value
    assert asyncio.run(scenario())


def test_frontier_scale_does_not_overflow(wb):
    wb.set(model="custom", layers=512, hidden=65536, vocab=262144, steps=10**10, micro_batch=4096, seq_len=2**20,
           data_parallel=2**17)
    a = wb.assessment
    assert a is not None and a.params > 10**13 and a.gate.tokens > 10**20
    assert a.compute.flops < float("inf") and a.compute.cost < float("inf")


def test_named_corpus_shows_its_size(wb):
    wb.set(corpus="FineWeb-Edu")
    u = planner.training.corpus.corpus_tokens("FineWeb-Edu")
    assert wb.unique.disabled and wb.unique.value == int(u) and wb.assessment.corpus.unique_tokens == u


def test_count_text_is_exact():
    for n in (0, 999, 1_206_135, 1_240_000_000, 18 * 10**12, 1_234_567_891):
        assert planner.validate.count("n", count_text(n), minimum=0) == n


@pytest.mark.parametrize("plan", ["llama-3-8b.toml", "small-1week-8xh100.toml", "origin-case.toml"])
def test_open_plan_keeps_every_field(wb, plan):
    path = ROOT / "data" / "plans" / plan
    wb.open_plan(path)
    assert wb.plan() == planner.load_plan(path)      # thresholds, parallelism, ... included: save gives it back


# ---- memory per GPU: the layout controls and the bar ---------------------------------------------------

GIB = 2**30


def test_origin_case_fits_one_a100_80gb_and_the_bar_shows_it(wb):
    from planner.training.parallelism import Parallelism
    mem = wb.assessment.memory
    assert wb.assessment.plan.parallelism == Parallelism(micro_batch=4, seq_len=2048, dp=1, gpus=1)  # the plan file's
    # bf16-mixed AdamW, one GPU, ZeRO 0: 2 bytes of weights, 2 of gradients, 8 + 4 (m, v, fp32 master) per parameter
    assert mem.weights == 2 * N_QWEN and mem.gradients == 2 * N_QWEN and mem.optimizer == 12 * N_QWEN
    assert mem.capacity == 80 * GIB and mem.fits and wb.assessment.verdict.fits      # the A100 80GB row
    bar = wb.memory.value
    assert wb.memory.layout.display != "none" and 'data-fits="fits"' in bar
    assert f"weights {2 * N_QWEN / GIB:,.2f} GiB" in bar  # 0.92
    assert f"optimizer {12 * N_QWEN / GIB:,.2f} GiB" in bar  # 5.52
    assert "capacity: 80.00 GiB" in bar


def test_layout_controls_set_the_plans_parallelism(wb):
    from planner.training.parallelism import Parallelism
    before = wb.assessment.memory
    wb.recompute.value = "full"                       # one control move, through its callback
    assert wb.assessment.memory.activations < before.activations and wb.memory.value != ""
    wb.set(tp=2, pp=3, zero=1, precision="fp16-mixed")
    assert wb.gpus.value == 6                          # GPUs = data parallel 1 × TP 2 × PP 3
    assert wb.assessment.plan.parallelism == Parallelism(micro_batch=4, seq_len=2048, tp=2, pp=3, dp=1, gpus=6,
                                                         zero=1, recompute="full", precision="fp16-mixed")
    wb.set(data_parallel=4)
    assert wb.gpus.value == 24 and wb.assessment.plan.parallelism.data_parallel == 4
    wb.set(precision="fp32", tp=1, pp=1, zero=0)       # fp32: 4 + 4 bytes, AdamW 8 bytes, no master copy
    assert wb.gpus.value == 4 and wb.assessment.memory.optimizer == 8 * N_QWEN
    wb.set(layout=False)
    assert wb.assessment.plan.parallelism is None and wb.assessment.memory is None
    assert wb.memory.layout.display == "none" and wb.layout_box.layout.display == "none"


def test_only_valid_tp_and_pp_are_offered(wb):
    # Qwen2.5-0.5B: 14 heads, 2 kv heads, 24 layers. TP 7 divides 14 but neither divides nor is a multiple of 2.
    assert wb.tp.options == (1, 2, 14) and wb.pp.options == (1, 2, 3, 4, 6, 8, 12, 24)
    wb.tp.box.value = "7"
    assert wb.tp.value == 1 and wb.tp.message.layout.display != "none"
    wb.set(tp=14, pp=8)
    wb.layers.value = 20                              # 8 does not divide 20: PP moves to the nearest divisor
    assert wb.pp.options == (1, 2, 4, 5, 10, 20) and wb.pp.value in (5, 10) and wb.error is None
    for model in ("mixtral-8x7b-v0.1", "llama-3-8b"):  # 32 heads, 8 kv heads: 1, 2, 4, 8, 16, 32 all suit
        wb.set(model=model)
        assert wb.tp.options == (1, 2, 4, 8, 16, 32)
        for tp in wb.tp.options:
            wb.set(tp=tp)
            assert wb.error is None, (model, tp, wb.error)


def test_a_layout_saved_reads_back_with_planner_report(wb, tmp_path):
    wb.set(model="llama-3-8b", seq_len=8192, micro_batch=1, accelerator="h100-sxm", gpus=1, data_parallel=1)
    assert wb.assessment.memory.fits is False          # Llama-3-8B, micro-batch 1, seq 8,192, ZeRO 0 on one H100
    assert 'data-fits="does-not-fit"' in wb.memory.value
    wb.set(data_parallel=8)                            # 8 GPUs: the fix may trade data parallel for TP
    assert wb.gpus.value == 8 and "smallest fix: TP " in wb.memory.value
    wb.set(tp=8, recompute="selective")
    path = wb.save(tmp_path / "layout.toml")
    out = subprocess.run([sys.executable, "-m", "planner", "report", str(path), "--json"], capture_output=True,
                         text=True, cwd=tmp_path)
    got = json.loads(out.stdout)["memory"]
    layout = got["layout"]
    assert layout["tp"] == 8 and layout["recompute"] == "selective" and layout["gpus"] == 64  # DP 8 × TP 8
    assert got["total"] == round(wb.assessment.memory.total)


# ---- the science beside the controls -------------------------------------------------------------------

def test_recommended_batch_and_learning_rate(wb):
    # DeepSeek LLM (2024), eqs. 1-2: B_opt = 0.2920·C^0.3271 tokens, η_opt = 0.3118·C^-0.1250, C = M·D with
    # M = 72·L·d² + 6·L·d·s. Origin case: L 24, d 896, s 2,048, D = 22,118,400.
    m = 72 * 24 * 896**2 + 6 * 24 * 896 * 2048
    assert m == 1_651_507_200
    c = m * 22_118_400
    b_opt, lr_opt = 0.2920 * c ** 0.3271, 0.3118 * c ** -0.1250      # 76,4xx tokens, 0.00265
    h = wb.assessment.science.hyperparameters
    assert h.batch_tokens_opt == pytest.approx(b_opt, rel=1e-3)
    assert h.learning_rate_opt == pytest.approx(lr_opt, rel=1e-3)
    assert "76.4K" in wb.batch_advice.value and f"{lr_opt:.3g}" == "0.00265" and "0.00265" in wb.batch_advice.value
    assert "37 sequences of 2,048" in wb.batch_advice.value                     # 76,4xx / 2,048 ≈ 37
    wb.set(seq_len=4096)
    assert "76.4K" not in wb.batch_advice.value                                 # follows the plan


def test_inference_tokens_blank_is_off(wb):
    assert wb.inference.value is None and wb.assessment.science.inference is None
    wb.inference.box.value = "2T"
    assert wb.assessment.plan.inference_tokens == 2e12 and wb.assessment.science.inference is not None
    assert "Inference-aware plan" in wb.details.value
    wb.inference.box.value = ""
    assert wb.assessment.plan.inference_tokens is None and "Inference-aware plan" not in wb.details.value
    wb.inference.box.value = "-5"
    assert wb.inference.value is None and wb.inference.message.layout.display != "none"


# ---- fits ---------------------------------------------------------------------------------------------------

SAVED_LAW = """[law]
name = "my-ladder"
source = "a test law: Chinchilla's Approach 3 constants rounded"
E = 1.5
A = 400.0
B = 400.0
alpha = 0.35
beta = 0.3
"""


def test_saved_fits_are_offered_and_used(tmp_path):
    law = tmp_path / "my-ladder.toml"
    law.write_text(SAVED_LAW)
    wb = Workbook(fits=[str(law)])
    assert list(wb.fit.options)[:len(planner.laws.FITS)] == list(planner.laws.FITS) and str(law) in wb.fit.options
    wb.fit.value = str(law)
    n, d = N_QWEN, 2700 * 4 * 2048
    # L = E + A/N^α + B/D^β
    assert wb.assessment.loss == pytest.approx(1.5 + 400.0 / n**0.35 + 400.0 / d**0.3, rel=1e-12)
    # the box adds one; a file that is not a saved fit is refused under it
    other = tmp_path / "other.toml"
    other.write_text(SAVED_LAW.replace("E = 1.5", "E = 1.6"))
    wb.fit_path.value = str(other)
    wb.fit_button.click()
    assert wb.fit.value == str(other) and wb.assessment.loss == pytest.approx(1.6 + 400.0 / n**0.35 + 400.0 / d**0.3)
    (tmp_path / "bad.toml").write_text("x = 1\n")
    wb.fit_path.value = str(tmp_path / "bad.toml")
    wb.fit_button.click()
    assert "no [law] table" in wb.fit_note.value and wb.fit.value == str(other)


# ---- the advisor ----------------------------------------------------------------------------------------------

def _load_buttons(wb):
    """The advisor cards' load buttons, by their text."""
    return {card.children[1].description: card.children[1] for card in wb.advice_cards.children}


def test_advisor_runs_on_demand_and_its_cards_load_the_option(wb):
    wb.set(corpus="none")
    assert wb.advice is None and wb.advice_cards.children == ()        # not computed on a move
    wb.advise_button.click()
    assert "What would fix it" in wb.advice_out.value and len(wb.advice_cards.children) == len(wb.advice.options)
    longer = next(o for o in wb.advice.options if o.kind == "train-longer")
    card = wb.advice_cards.children[[o.kind for o in wb.advice.options].index("train-longer")].children[0].value
    # 20 × 494,032,768 / 8,192 = 1,206,134.7 → 1,206,135 steps of 8,192 tokens at 40% of 312 TFLOP/s of the
    # MFU's FLOPs per token, 6·(N − 151,936 × 896 tied embedding) + 12 × 24 layers × 14 heads × 64 × 2,048:
    # 2,675,870,976 × 9,880,657,920 / (0.4 × 312e12) / 3,600 = 58.8 GPU-hours on one GPU, read as hours
    assert 6 * (494_032_768 - 151_936 * 896) + 12 * 24 * 14 * 64 * 2048 == 2_675_870_976
    assert "59 h (2.5 days) on 1 GPU" in card
    _load_buttons(wb)["Load: Train longer"].click()
    assert wb.steps.value == 1_206_135 and wb.assessment.gate.level == "compute-optimal"
    assert wb.plan() == longer.plan and "loaded the option" in wb.file_note.value
    assert wb.advice is None and wb.advice_out.value == ""              # the old advice is not left on screen
    wb.advise_button.click()
    assert "Nothing to fix" in wb.advice_out.value and wb.advice_cards.children == ()


def test_advisor_cards_say_short_times_in_minutes_not_fractions_of_a_day(wb):
    wb.what_would_fix_it()
    cards = {o.kind: c.children[0].value for o, c in zip(wb.advice.options, wb.advice_cards.children, strict=True)}
    # the data-constrained optimum: N 96.1M on ~114M tokens, 6·N·D / (0.4 × 312e12) ≈ 530 s ≈ 8.8 minutes
    assert re.search(r"\b\d(\.\d)? min on 1 GPU", cards["data-constrained"]), cards["data-constrained"]


def test_gpus_stay_data_parallel_times_tp_times_pp(wb):
    wb.set(tp=14)                                     # 1 × 14 × 1
    assert wb.gpus.value == 14
    wb.set(model="llama-3-8b")                        # 32 heads, 8 kv heads: TP 14 is not offered; nearest 16
    assert (wb.tp.value, wb.gpus.value, wb.error) == (16, 16, None)
    wb.set(layout=False, gpus=3)                      # without a layout the GPUs are free
    assert wb.error is None and wb.assessment.plan.parallelism is None
    wb.set(layout=True)                               # back on: GPUs = 1 × 16 × 1 again
    assert wb.gpus.value == 16 and wb.assessment.plan.parallelism.num_gpus == 16


def test_every_advisor_option_loads_into_the_controls_exactly(wb):
    advice = wb.what_would_fix_it()
    kinds = [o.kind for o in advice.options]
    assert kinds == ["train-longer", "smaller-model", "wider-corpus", "data-constrained"]
    for option in advice.options:
        wb.load_option(option.plan)
        assert wb.error is None and wb.plan() == option.plan, option.kind   # the sliders describe the option's plan
        if option.kind == "smaller-model":                                  # a proposed shape, not a catalog model
            assert "modified" not in wb.readout.value and wb.assessment.params < N_QWEN


def test_paths_start_where_the_workbook_was_launched_and_show_as_typed(tmp_path, monkeypatch):
    # `planner workbook` sets PLANNER_WORKDIR to the folder it was launched from; the kernel runs elsewhere.
    monkeypatch.setenv("PLANNER_WORKDIR", str(tmp_path))
    wb = Workbook(background_chart=False)
    wb.save("my-plan.toml")
    assert (tmp_path / "my-plan.toml").is_file() and wb.file_note.value == "saved my-plan.toml"
    wb.open_plan("my-plan.toml")
    assert "opened my-plan.toml" in wb.file_note.value
    wb.open_plan("data/plans/llama-3-8b.toml")      # not in the launch folder: the project's data/ as before
    assert "opened data/plans/llama-3-8b.toml" in wb.file_note.value and "notebooks/" not in wb.file_note.value


@pytest.mark.parametrize("control, value", [("steps", float("nan")), ("layers", -5), ("hidden", 0), ("steps", 2.5),
                                            ("mfu", 2.0), ("steps", "many")])
def test_controls_set_from_code_refuse_like_typed_values(control, value):
    wb = Workbook(background_chart=False)
    before = getattr(wb, control).value
    with pytest.raises(planner.InputError) as e:
        getattr(wb, control).value = value
    label = getattr(wb, control).label
    assert str(e.value).startswith(f"{label}:") and getattr(wb, control).value == before
    assert wb.assessment is not None and wb.error is None


# ---- the banner says what the verdict means, not only its level ------------------------------------------------

def _banner_text(page_html: str) -> str:
    """The verdict banner's text (headline, explanation and notices), tags dropped and entities decoded."""
    import html
    import re
    start = page_html.index("planner-verdict-banner")
    end = page_html.index("planner-strip", start)
    return html.unescape(re.sub(r"<[^>]+>", " ", page_html[start:end]))


def test_the_banner_explains_the_verdict_with_its_numbers(wb):
    # D/N by hand: 2,700 steps × 4 × 2,048 tokens / 494,032,768 parameters = 0.0448, below 5×: severe, blocked
    ratio = 2700 * 4 * 2048 / N_QWEN
    assert f"{ratio:.2g}" == "0.045"
    banner = _banner_text(wb.readout.value)
    assert "SEVERE — blocked: D/N 0.045" in banner
    # the explanation of a severe plan (the gate's words), not the bare level word
    assert "far too few tokens per parameter; the model will memorise, not generalise" in banner


def test_the_banner_names_the_repetition_and_its_fix():
    import math
    import re
    wb = Workbook(background_chart=False)
    wb.set(steps=3_000_000)
    # 3,000,000 steps × 8,192 tokens = 24.576B tokens over 1.24B unique: 19.8 epochs, past 16
    tokens, unique = 3_000_000 * 8192, 1.24e9
    assert round(tokens / unique) == 20
    # Muennighoff et al. (2023): D' = U + U·R*·(1 − e^(−(E − 1)/R*)), R* = 15.3878 (repeated data decays)
    r_star = 15.3878
    effective = unique * (1 + r_star * (1 - math.exp(-(tokens / unique - 1) / r_star)))
    assert f"{effective / N_QWEN:.3g}" == "29.8"
    # the fix: the steps whose D' reaches 20·N (about 10.3 epochs)
    epochs_at_line = 1 - r_star * math.log(1 - (20 * N_QWEN - unique) / unique / r_star)
    steps_at_line = epochs_at_line * unique / 8192
    banner = _banner_text(wb.readout.value)
    assert "20 epochs of repetition, D'/N 29.8 on effective tokens" in banner
    fix = re.search(r"fix: ([\d,]+) steps \(([\d.]+) epochs\) reach 20×", banner)
    assert fix and int(fix.group(1).replace(",", "")) == pytest.approx(steps_at_line, rel=1e-5)
    assert fix.group(2) == f"{epochs_at_line:.3g}" == "10.3"
    assert "past 16 epochs most of the repeated data is wasted" in banner
