"""Property tests (hypothesis): the arithmetic holds for every valid input, and every invalid input
is refused with a PlannerError that names the field, never another exception type.

Sections: parameter counts, the gate and its step count, valid plans stay finite, invalid inputs,
scale (10T parameters, 100T tokens, 6e28 FLOPs) and vectorised == scalar. The cases near the end
each pin an input that once escaped as another exception type or a non-finite number.
"""

from __future__ import annotations

import json
import math
import string
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import planner
from planner import LEVELS, Architecture, PlannerError, Thresholds, count_params, laws
from planner.model.params import PARAM_KINDS
from planner.surfaces.report import render_text
from planner.training import compute, corpus
from planner.verdict.assessment import assess_plan
from planner.verdict.gate import level_code
from planner.verdict.planfile import _SECTIONS, plan_from_dict

# Keep hypothesis's caches and failure patches out of the project tree (and no example database).
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "planner-hypothesis")


def examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


FAST = examples(100)
QUICK = examples(30)
# The invalid-input tests draw the field too: one test per function, the field named in the failure.
PER_FIELD = 8  # examples per field

LEVEL_INDEX = {name: i for i, name in enumerate(LEVELS)}
ACCELERATORS = sorted(compute.accelerators())
CORPORA = sorted(corpus.corpora())
MODELS = planner.list_models()


def divisors(n: int) -> list[int]:
    return [k for k in range(1, n + 1) if n % k == 0]


# ---- strategies: valid architectures -------------------------------------------------------------

NORMS = ("rms", "layer", "none")
POSITIONS = (0, 0, 1024, 2050)


def decode_conventions(bits: int) -> dict:
    """Family conventions (norms, biases, gating, positions) from one integer: one draw, fast to generate."""
    flag = lambda i: bool(bits >> i & 1)  # noqa: E731
    return dict(norm=NORMS[(bits >> 8) % 3], norms_per_layer=(bits >> 10) % 5,
                max_positions=POSITIONS[(bits >> 13) % 4], gated_mlp=flag(0), final_norm=flag(1), qk_norm=flag(2),
                qkv_bias=flag(3), o_bias=flag(4), mlp_bias=flag(5), lm_head_bias=flag(6), tied_embeddings=flag(7))


@st.composite
def dense_arch(draw) -> dict:
    """Keyword arguments of a valid dense Architecture (heads divide hidden, kv heads divide heads)."""
    heads, head_dim, layers, vocab, inter, kv_pick, bits = draw(st.tuples(
        st.integers(1, 16), st.integers(1, 64), st.integers(1, 48), st.integers(1, 300_000), st.integers(1, 20_000),
        st.integers(0, 15), st.integers(0, 2**16 - 1)))
    kvs = divisors(heads)
    return dict(num_layers=layers, hidden_size=heads * head_dim, num_heads=heads, num_kv_heads=kvs[kv_pick % len(kvs)],
                vocab_size=vocab, intermediate_size=inter, **decode_conventions(bits))


def total(kw: dict) -> int:
    return count_params(Architecture(**kw)).total


# ---- 1. parameter counts -------------------------------------------------------------------------

@FAST
@given(dense_arch(), st.integers(1, 64))
def test_n_grows_strictly_with_layers(kw, more):
    assert total({**kw, "num_layers": kw["num_layers"] + more}) > total(kw)


@FAST
@given(dense_arch(), st.integers(1, 64))
def test_n_grows_strictly_with_hidden_size(kw, more_head_dim):
    # Keep the heads dividing the hidden size: grow head_dim (hidden = heads x head_dim, head_dim derived).
    heads = kw["num_heads"]
    bigger = {**kw, "hidden_size": heads * (kw["hidden_size"] // heads + more_head_dim)}
    assert total(bigger) > total(kw)


@FAST
@given(dense_arch(), st.integers(1, 10**6))
def test_n_grows_strictly_with_vocab(kw, more):
    assert total({**kw, "vocab_size": kw["vocab_size"] + more}) > total(kw)


@FAST
@given(dense_arch(), st.integers(1, 10**5))
def test_n_grows_strictly_with_intermediate_size(kw, more):
    assert total({**kw, "intermediate_size": kw["intermediate_size"] + more}) > total(kw)


@FAST
@given(dense_arch())
def test_tied_head_is_smaller_by_exactly_one_embedding(kw):
    tied = count_params(Architecture(**{**kw, "tied_embeddings": True}))
    untied = count_params(Architecture(**{**kw, "tied_embeddings": False}))
    assert tied.total < untied.total  # vocab x d > 0 always
    assert untied.total - tied.total == kw["vocab_size"] * kw["hidden_size"]
    assert tied.non_embedding == untied.non_embedding


@FAST
@given(dense_arch().filter(lambda kw: kw["num_heads"] > 1), st.data())
def test_grouped_query_attention_is_smaller_than_full_multi_head(kw, data):
    kv = data.draw(st.sampled_from([k for k in divisors(kw["num_heads"]) if k < kw["num_heads"]]))
    gqa = total({**kw, "num_kv_heads": kv})
    mha = total({**kw, "num_kv_heads": kw["num_heads"]})
    assert gqa < mha
    assert total({**kw, "num_kv_heads": None}) == mha  # the default is full multi-head attention


@FAST
@given(dense_arch(), st.data())
def test_moe_active_at_most_total_and_equal_when_top_k_is_all(kw, data):
    experts = data.draw(st.integers(1, 16), label="num_experts")
    top_k = data.draw(st.integers(1, experts), label="experts_per_token")
    moe_layers = data.draw(st.integers(0, kw["num_layers"]), label="moe_layers")
    moe_f = data.draw(st.integers(1, 4096), label="moe_intermediate_size")
    moe = dict(kw, num_experts=experts, moe_layers=moe_layers, moe_intermediate_size=moe_f)
    pc = count_params(Architecture(**moe, experts_per_token=top_k))
    if moe_layers == 0:
        assert pc.active is None and not pc.is_moe
        return
    assert isinstance(pc.active, int) and 0 < pc.active <= pc.total
    assert (pc.active < pc.total) == (top_k < experts)
    everything = count_params(Architecture(**moe, experts_per_token=experts))
    assert everything.active == everything.total == pc.total
    assert pc.get("active") == pc.active and pc.get("total") == pc.total


@FAST
@given(dense_arch())
def test_counts_are_python_ints_and_the_breakdown_adds_up(kw):
    pc = count_params(Architecture(**kw))
    assert all(type(v) is int for v in pc.breakdown.values())
    assert sum(pc.breakdown.values()) == pc.total == pc.embedding + pc.non_embedding


# ---- 2. the gate: ratio, levels, steps -----------------------------------------------------------

TARGETS = st.one_of(st.sampled_from([20.0, 10.5, 20, 1, 0.5, 5.0, 40.25, 1875.0, 0.125]), st.integers(1, 10_000))
HUGE_N = st.one_of(st.integers(1, 10**13), st.integers(10**13, 10**30))


@FAST
@given(st.integers(1, 10**13), st.integers(1, 10**14))
def test_doubling_d_doubles_the_ratio(n, d):
    assert planner.verdict.gate.ratio(2 * d, n) == 2 * planner.verdict.gate.ratio(d, n)
    assert planner.assess(n, 2 * d).ratio == 2 * planner.assess(n, d).ratio


@FAST
@given(st.integers(1, 10**13), st.integers(1, 2**40))
def test_ratio_is_exact_when_representable(n, k):
    assert planner.verdict.gate.ratio(k * n, n) == k
    assert planner.assess(n, k * n).ratio == float(k)


@FAST
@given(HUGE_N, st.integers(1, 10**9), TARGETS)
@example(494_032_768, 8192, 20.0)  # the origin case: 1,206,135 steps
@example(10**13, 10**9, 20.0)
@example(1001, 7, 10.5)
def test_steps_to_target_is_the_minimal_step_count(n, tps, target):
    s = planner.verdict.gate.steps_to_target(n, tps, target)
    need = Fraction(target) * n
    assert type(s) is int
    assert s * tps >= need
    assert (s - 1) * tps < need


@FAST
@given(HUGE_N, st.integers(1, 10**9), TARGETS, st.integers(0, 10**15))
def test_steps_to_target_with_prior_tokens_is_minimal(n, tps, target, prior):
    s = planner.verdict.gate.steps_to_target(n, tps, target, prior)
    need = Fraction(target) * n
    assert type(s) is int and s >= 0
    assert prior + s * tps >= need
    assert s == 0 or prior + (s - 1) * tps < need
    t = planner.verdict.gate.tokens_to_target(n, target, prior)
    assert type(t) is int and t == max(math.ceil(need) - prior, 0)


@st.composite
def thresholds(draw) -> Thresholds:
    """Lines on quarter values (exact in binary), severe <= block <= optimal."""
    a, b, c = sorted(draw(st.lists(st.integers(1, 400), min_size=3, max_size=3)))
    return Thresholds(a / 4, b / 4, c / 4)


@FAST
@given(st.integers(1, 10**13), st.integers(1, 10**15), st.integers(1, 10**15), thresholds())
def test_level_and_blocked_are_monotone_in_d(n, d1, d2, t):
    lo, hi = sorted((d1, d2))
    a, b = planner.assess(n, lo, thresholds=t), planner.assess(n, hi, thresholds=t)
    assert LEVEL_INDEX[a.level] <= LEVEL_INDEX[b.level]
    assert a.blocked >= b.blocked


@FAST
@given(st.integers(1, 10**12), thresholds(), st.sampled_from([0, 1, 2]))
def test_a_ratio_exactly_on_a_line_passes_it(m, t, line):
    value = (t.severe, t.block, t.optimal)[line]
    n = 4 * m
    d = int(Fraction(value) * n)  # exact: value is a quarter, n a multiple of 4
    r = planner.assess(n, d, thresholds=t)
    assert r.ratio == value
    assert LEVEL_INDEX[r.level] >= line + 1
    if line == 1:
        assert not r.blocked
    if d > 1:  # one token fewer is below the line
        below = planner.assess(n, d - 1, thresholds=t)
        assert LEVEL_INDEX[below.level] <= line


@FAST
@given(st.integers(1, 10**13), st.integers(1, 10**9), thresholds())
def test_the_suggested_steps_pass_the_gate_and_one_fewer_does_not(n, tps, t):
    r = planner.assess(n, 1, tokens_per_step=tps, thresholds=t)
    s = r.steps_to_optimal
    assert planner.assess(n, s * tps, thresholds=t).level == "compute-optimal"
    if s > 1:
        assert planner.assess(n, (s - 1) * tps, thresholds=t).level != "compute-optimal"


@pytest.mark.parametrize("n, tps, target, minimal", [(10, 1, 20.1, 201), (920_220, 61, 73.2, 1_104_264)],
                         ids=["10-params-20.1x", "920220-params-73.2x"])
def test_steps_for_a_decimal_target_are_minimal_for_the_gate(n, tps, target, minimal):
    t = Thresholds(1.0, 1.0, target)
    assert planner.assess(n, minimal * tps, thresholds=t).level == "compute-optimal"
    assert planner.assess(n, (minimal - 1) * tps, thresholds=t).level != "compute-optimal"
    assert planner.verdict.gate.steps_to_target(n, tps, target) == minimal
    assert planner.verdict.gate.steps_to_target(np.array([float(n)]), tps, target)[0] == minimal
    assert planner.assess(n, 1, tokens_per_step=tps, thresholds=t).steps_to_optimal == minimal


# ---- 3. any combination of valid inputs gives finite numbers -------------------------------------

@st.composite
def valid_plan_doc(draw) -> dict:
    kind = draw(st.sampled_from(["params", "dimensions", "catalog"]))
    if kind == "params":
        model = {"params": draw(st.integers(1, 10**13))}
    elif kind == "catalog":
        model = {"catalog": draw(st.sampled_from(MODELS))}
    else:
        model = {"dimensions": draw(dense_arch())}
    model["param_kind"] = draw(st.sampled_from(PARAM_KINDS))
    if draw(st.booleans()):
        training = {"steps": draw(st.integers(1, 10**7)), "tokens_per_step": draw(st.integers(1, 10**8))}
    else:
        training = {"steps": draw(st.integers(1, 10**7)), "micro_batch": draw(st.integers(1, 1024)),
                    "seq_len": draw(st.integers(1, 32_768))}
        if draw(st.booleans()):
            training["grad_accum"] = draw(st.integers(1, 64))
        if draw(st.booleans()):
            training["data_parallel"] = draw(st.integers(1, 4096))
    if draw(st.booleans()):
        training["prior_tokens"] = draw(st.integers(0, 10**13))
    doc = {"name": "p", "model": model, "training": training}
    corpus_kind = draw(st.sampled_from(["none", "tokens", "name"]))
    if corpus_kind == "tokens":
        doc["corpus"] = {"unique_tokens": draw(st.floats(1, 1e15))}
    elif corpus_kind == "name":
        doc["corpus"] = {"name": draw(st.sampled_from(CORPORA))}
    hw = {"accelerator": draw(st.sampled_from(ACCELERATORS)), "count": draw(st.integers(1, 100_000)),
          "mfu": draw(st.floats(0.01, 1.0)), "causal_attention_halving": draw(st.booleans())}
    if draw(st.booleans()):
        hw["price_per_gpu_hour"] = draw(st.floats(0, 100))
    doc["hardware"] = hw
    t = draw(thresholds())
    doc["thresholds"] = {"severe": t.severe, "block": t.block, "optimal": t.optimal}
    doc["law"] = {"fit": draw(st.sampled_from(sorted(laws.FITS)))}
    return doc


def assert_all_finite(a) -> None:
    c, o = a.compute, a.optimal
    numbers = [a.gate.ratio, a.gate.new_ratio, a.gate.cumulative_ratio, c.flops, c.flops_with_attention,
               c.gpu_hours, c.wall_clock_hours, c.days, a.loss, o.flops, o.params, o.tokens, o.tokens_per_param,
               o.loss]
    if c.cost is not None:
        numbers.append(c.cost)
    if a.corpus is not None:
        numbers += [a.corpus.epochs, a.corpus.effective_tokens, a.corpus.efficiency, a.corpus.ceiling_1_epoch,
                    a.corpus.ceiling_4_epochs]
    for x in numbers:
        assert isinstance(x, float) and math.isfinite(x), (x, numbers)
    assert type(a.gate.tokens) is int
    if a.gate.optimal_reachable:     # else None: the corpus cannot reach the line within 16 epochs
        assert type(a.gate.tokens_to_optimal) is int and type(a.gate.steps_to_optimal) is int
    else:
        assert a.gate.tokens_to_optimal is None and a.gate.steps_to_optimal is None


@examples(80)
@given(valid_plan_doc())
def test_valid_plans_give_finite_numbers(doc):
    a = assess_plan(plan_from_dict(doc))
    assert_all_finite(a)
    assert a.compute.flops > 0 and a.compute.gpu_hours > 0 and a.optimal.params > 0
    json.dumps(a.to_dict(), allow_nan=False)  # strict JSON: no NaN/Infinity
    assert a.verdict.headline in render_text(a)


# ---- 4. invalid inputs: a PlannerError naming the field, never another exception -----------------

ALWAYS_BAD_TEXT = ["", " ", "many", "1.5", "nan", "NaN", "inf", "-inf", "0x10", "seven", "[1]", "1/2", "1e-3",
                   "2.5K5", "-3", "ten B"]


def bad_counts(minimum: int = 1, maximum: int | None = None, *, none: bool = True, falsy: bool = True):
    """Values a whole-number field >= minimum (<= maximum) must refuse."""
    def valid_float(x):
        return math.isfinite(x) and x.is_integer() and x >= minimum and (maximum is None or x <= maximum)

    text = ALWAYS_BAD_TEXT + (["0"] if minimum >= 1 else [])
    parts = [
        st.integers(max_value=minimum - 1), st.just(-10**400), st.just(-1e308),
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not valid_float(x)),
        st.sampled_from(text), st.booleans(), st.lists(st.integers(1, 10), max_size=3),
        st.just({}), st.just(object()), st.just(1 + 2j),
    ]
    if maximum is not None:
        parts.append(st.integers(maximum + 1, maximum + 10**6))
    if none:
        parts.append(st.none())
    s = st.one_of(parts)
    if not falsy:  # 0, False, "", [] are covered by test_budget_refuses_falsy_grad_accum_and_data_parallel
        s = s.filter(bool)
    return s


def bad_reals(minimum: float = 0.0, *, inclusive: bool = False, maximum: float | None = None, none: bool = True):
    """Values a finite real field (> or >= minimum, <= maximum) must refuse. Lists and integers beyond the
    float range have their own tests below."""
    def valid(x):
        ok = math.isfinite(x) and (x >= minimum if inclusive else x > minimum)
        return ok and (maximum is None or x <= maximum)

    parts = [
        st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not valid(x)),
        st.integers(-10**300, 10**300).filter(lambda x: not valid(float(x))),
        st.sampled_from(["", "many", "nan", "inf", "-inf", "1,5", "abc", "-1", "1e400", "0.4.1"]),
        st.booleans(), st.just({}), st.just(object()),
    ]
    if none:
        parts.append(st.none())
    return st.one_of(parts)


def bad_flags():
    return st.one_of(st.integers(), st.floats(), st.text(max_size=5), st.none(), st.lists(st.booleans(), max_size=2))


def expect_error(fn, *needles):
    """``fn()`` raises a PlannerError (nothing else) whose one-line message names every needle.

    Failures use ``pytest.fail(pytrace=False)``: one line saying what happened instead.
    """
    try:
        fn()
    except PlannerError as e:
        msg = str(e)
        missing = [needle for needle in needles if needle not in msg]
        if missing or "\n" in msg:
            pytest.fail(f"{type(e).__name__} {msg!r} does not name {missing} on one line", pytrace=False)
        return e
    except Exception as e:  # noqa: BLE001 - any other exception type is the bug
        pytest.fail(f"{type(e).__name__} instead of a PlannerError: {e}", pytrace=False)
    pytest.fail("accepted: no PlannerError raised", pytrace=False)


BASE_ARCH = dict(num_layers=2, hidden_size=8, num_heads=4, num_kv_heads=2, vocab_size=10, intermediate_size=16)
MOE_ARCH = dict(BASE_ARCH, num_experts=4, experts_per_token=2, moe_intermediate_size=8, moe_layers=1)
FLAGS = ("tied_embeddings", "gated_mlp", "final_norm", "qk_norm", "qkv_bias", "o_bias", "mlp_bias", "lm_head_bias")

ARCH_FIELDS = {
    "num_layers": (BASE_ARCH, bad_counts()),
    "hidden_size": (BASE_ARCH, bad_counts()),
    "num_heads": (BASE_ARCH, bad_counts() | st.sampled_from([3, 5, 7])),  # not dividing hidden 8 nor kv 2
    "vocab_size": (BASE_ARCH, bad_counts()),
    "intermediate_size": (BASE_ARCH, bad_counts(none=False)),
    "num_kv_heads": (BASE_ARCH, bad_counts(1, 4, none=False) | st.just(3)),
    "head_dim": (BASE_ARCH, bad_counts(none=False)),
    "embed_dim": (BASE_ARCH, bad_counts(none=False)),
    "norms_per_layer": (BASE_ARCH, bad_counts(0, 8)),
    "max_positions": (BASE_ARCH, bad_counts(0)),
    "num_experts": (MOE_ARCH, bad_counts(0)),
    "experts_per_token": (MOE_ARCH, bad_counts(1, 4, none=False)),   # None: top-k unknown (total exact, active refused)
    "moe_intermediate_size": (MOE_ARCH, bad_counts(none=False)),
    "moe_layers": (MOE_ARCH, bad_counts(0, 2, none=False)),
    "norm": (BASE_ARCH, st.one_of(st.sampled_from(["RMS", "layernorm", "", "batch"]), st.integers(), st.none(),
                                  st.lists(st.text(max_size=3), max_size=2))),
    **{f: (BASE_ARCH, bad_flags()) for f in FLAGS},
}


@examples(PER_FIELD * len(ARCH_FIELDS))
@given(data=st.data())
def test_architecture_refuses_invalid_values_naming_the_field(data):
    field = data.draw(st.sampled_from(sorted(ARCH_FIELDS)), label="field")
    base, values = ARCH_FIELDS[field]
    value = data.draw(values, label=field)
    # A num_heads of 3, 5 or 7 does not divide the hidden size 8: refused as "num_heads: must be a divisor ...
    expect_error(lambda: Architecture(**{**base, field: value}), field)


BUDGET_BASE = dict(micro_batch=2, seq_len=8, grad_accum=1, data_parallel=1, prior_tokens=0)
BUDGET_FIELDS = {
    "steps": bad_counts(),
    "micro_batch": bad_counts(),
    "seq_len": bad_counts(),
    "grad_accum": bad_counts(none=False, falsy=False),
    "data_parallel": bad_counts(none=False, falsy=False),
    "prior_tokens": bad_counts(0),
    "tokens_per_step": bad_counts(none=False),
}


@examples(PER_FIELD * len(BUDGET_FIELDS))
@given(data=st.data())
def test_budget_refuses_invalid_values_naming_the_field(data):
    field = data.draw(st.sampled_from(sorted(BUDGET_FIELDS)), label="field")
    value = data.draw(BUDGET_FIELDS[field], label=field)
    if field == "steps":
        call = lambda: planner.budget(value, **BUDGET_BASE)  # noqa: E731
    elif field == "tokens_per_step":
        call = lambda: planner.budget(10, tokens_per_step=value)  # noqa: E731
    else:
        call = lambda: planner.budget(10, **{**BUDGET_BASE, field: value})  # noqa: E731
    expect_error(call, field)


@pytest.mark.parametrize("field", ["grad_accum", "data_parallel"])
@pytest.mark.parametrize("value", [0, False, "", 0.0, []], ids=["zero", "False", "empty-str", "zero-float", "list"])
def test_budget_refuses_falsy_grad_accum_and_data_parallel(field, value):
    expect_error(lambda: planner.budget(10, micro_batch=2, seq_len=8, **{field: value}), field)


ASSESS_FIELDS = {"params": bad_counts(), "tokens": bad_counts(), "tokens_per_step": bad_counts(none=False),
                 "prior_tokens": bad_counts(0)}


@examples(PER_FIELD * len(ASSESS_FIELDS))
@given(data=st.data())
def test_assess_refuses_invalid_values_naming_the_field(data):
    field = data.draw(st.sampled_from(sorted(ASSESS_FIELDS)), label="field")
    kw = dict(params=1000, tokens=20_000, tokens_per_step=100, prior_tokens=0)
    kw[field] = data.draw(ASSESS_FIELDS[field], label=field)
    expect_error(lambda: planner.assess(kw.pop("params"), kw.pop("tokens"), **kw), field)


CORPUS_FIELDS = {"params": ("params", bad_counts()), "tokens": ("tokens", bad_counts()),
                 "unique_tokens": ("corpus.unique_tokens", bad_reals(1, inclusive=True))}


@examples(PER_FIELD * len(CORPUS_FIELDS))
@given(data=st.data())
def test_assess_corpus_refuses_invalid_values_naming_the_field(data):
    field = data.draw(st.sampled_from(sorted(CORPUS_FIELDS)), label="field")
    name, values = CORPUS_FIELDS[field]
    kw = dict(params=1000, tokens=20_000, unique_tokens=1e9)
    kw[field] = data.draw(values, label=field)
    expect_error(lambda: corpus.assess_corpus(kw["params"], kw["tokens"], kw["unique_tokens"], warn=False), name)


ESTIMATE_FIELDS = {
    "params": ("params", bad_counts()),
    "tokens": ("tokens", bad_counts()),
    "count": ("hardware.count", bad_counts()),
    "mfu": ("hardware.mfu", bad_reals(0, maximum=1.0)),
    "price_per_gpu_hour": ("hardware.price_per_gpu_hour", bad_reals(0, inclusive=True, none=False)),
    "accelerator_name": ("hardware.accelerator", st.one_of(st.sampled_from(["", "h1000", "nvidia", "a100 "]),
                                                           st.integers(), st.none(), st.lists(st.integers()))),
}


@examples(PER_FIELD * len(ESTIMATE_FIELDS))
@given(data=st.data())
def test_compute_estimate_refuses_invalid_values_naming_the_field(data):
    field = data.draw(st.sampled_from(sorted(ESTIMATE_FIELDS)), label="field")
    name, values = ESTIMATE_FIELDS[field]
    value = data.draw(values, label=field)
    if field == "accelerator_name" and isinstance(value, str):
        assume(value.strip().lower() not in ACCELERATORS)  # "a100 " is a valid key (names are stripped)
    kw = dict(params=10**9, tokens=2 * 10**10)
    kw[field] = value
    expect_error(lambda: compute.estimate(kw.pop("params"), kw.pop("tokens"), **kw), name)


@QUICK
@given(st.one_of(bad_reals(0), st.just(-10**300)))
def test_compute_optimal_refuses_invalid_flops(value):
    expect_error(lambda: laws.compute_optimal(value), "flops")


@QUICK
@given(st.one_of(st.sampled_from(["", "Chinchilla", "kaplan", "chinchilla-rounded", "epoch-ai"]), st.integers(),
                 st.floats(), st.none(), st.booleans()))
def test_compute_optimal_refuses_unknown_fits(value):
    expect_error(lambda: laws.compute_optimal(1e21, value), "fit")


@QUICK
@given(data=st.data())
def test_thresholds_refuse_invalid_values_naming_the_line(data):
    field = data.draw(st.sampled_from(["severe", "block", "optimal"]), label="field")
    value = data.draw(bad_reals(0), label=field)
    expect_error(lambda: Thresholds(**{field: value}), f"thresholds.{field}")


def test_thresholds_out_of_order_are_refused():
    expect_error(lambda: Thresholds(severe=30, block=10, optimal=20), "thresholds")
    expect_error(lambda: Thresholds(severe=1, block=30, optimal=20), "thresholds")


# ---- plan documents: wrong types in every table and key ------------------------------------------

PLAN_BASE = {
    "name": "p", "description": "d",
    "model": {"params": 1000, "param_kind": "total"},
    "training": {"steps": 10, "micro_batch": 2, "seq_len": 8, "grad_accum": 1, "data_parallel": 1,
                 "prior_tokens": 0},
    "corpus": {"unique_tokens": 1e9},
    "hardware": {"accelerator": "a100", "count": 1, "mfu": 0.4, "price_per_gpu_hour": 2.0,
                 "causal_attention_halving": False},
    "thresholds": {"severe": 5, "block": 10, "optimal": 20},
    "law": {"fit": "chinchilla"},
}


def patched(section: str, key: str, value, *, replace_table: bool = False) -> dict:
    doc = json.loads(json.dumps(PLAN_BASE))
    if section == "":
        doc[key] = value
    elif replace_table:
        doc[section] = {key: value}
    else:
        doc[section][key] = value
    return doc


NOT_A_STRING = st.one_of(st.integers(), st.floats(), st.booleans(), st.lists(st.integers(), max_size=2),
                         st.just({}))
NOT_A_TABLE = st.one_of(st.integers(), st.text(max_size=4), st.booleans(), st.lists(st.integers(), max_size=2),
                        st.floats())

# (section, key, values, replace the table?, the field the error must name)
PLAN_FIELDS = [
    ("", "name", NOT_A_STRING, False, "plan.name"),
    ("", "description", NOT_A_STRING, False, "plan.description"),
    ("model", "params", bad_counts(), True, "plan.model.params"),
    ("model", "param_kind", st.one_of(st.sampled_from(["Total", "embedding", "", "non-embedding "]),
                                      st.integers(), st.none(), st.lists(st.text(max_size=2), max_size=2)),
     False, "plan.model.param_kind"),
    ("model", "catalog", st.one_of(NOT_A_STRING, st.sampled_from(["no-such-model", "", "qwen9"])), True,
     "plan.model.catalog"),
    ("model", "config", st.one_of(NOT_A_STRING, st.sampled_from(["no/such/config.json", "missing.json"])), True,
     "plan.model.config"),
    ("model", "dimensions", NOT_A_TABLE, True, "plan.model.dimensions"),
    ("training", "steps", bad_counts(), False, "plan.training.steps"),
    ("training", "micro_batch", bad_counts(), False, "plan.training.micro_batch"),
    ("training", "seq_len", bad_counts(), False, "plan.training.seq_len"),
    ("training", "grad_accum", bad_counts(none=False, falsy=False), False, "plan.training.grad_accum"),
    ("training", "data_parallel", bad_counts(none=False, falsy=False), False, "plan.training.data_parallel"),
    ("training", "prior_tokens", bad_counts(0), False, "plan.training.prior_tokens"),
    # None stands for "not given" in a plan document built in Python (TOML has no null): no corpus, no price,
    # the default MFU
    ("corpus", "unique_tokens", bad_reals(1, inclusive=True, none=False), False, "plan.corpus.unique_tokens"),
    ("corpus", "name", st.one_of(st.sampled_from(["", "the-pile-v9", "FineWeb-Edu-Ultra"]), st.integers()), True,
     "plan.corpus.name"),
    ("hardware", "accelerator", st.one_of(st.sampled_from(["", "h1000", "gpu"]), st.integers(), st.none()), False,
     "plan.hardware.accelerator"),
    ("hardware", "count", bad_counts(), False, "plan.hardware.count"),
    ("hardware", "mfu", bad_reals(0, maximum=1.0, none=False), False, "plan.hardware.mfu"),  # None: the default
    ("hardware", "price_per_gpu_hour", bad_reals(0, inclusive=True, none=False), False,
     "plan.hardware.price_per_gpu_hour"),
    ("hardware", "causal_attention_halving", bad_flags(), False, "plan.hardware.causal_attention_halving"),
    ("thresholds", "severe", bad_reals(0), False, "plan.thresholds"),
    ("thresholds", "block", bad_reals(0), False, "plan.thresholds"),
    ("thresholds", "optimal", bad_reals(0), False, "plan.thresholds"),
    ("law", "fit", st.one_of(st.sampled_from(["", "Chinchilla", "kaplan"]), st.integers(), st.none(),
                             st.floats()), False, "plan.law.fit"),
]


@examples(PER_FIELD * len(PLAN_FIELDS))
@given(data=st.data())
def test_plan_documents_refuse_wrong_values_naming_the_field(data):
    section, key, values, replace_table, field = data.draw(st.sampled_from(PLAN_FIELDS), label="plan field")
    value = data.draw(values, label=f"{section}.{key}")
    expect_error(lambda: plan_from_dict(patched(section, key, value, replace_table=replace_table)), field)


@QUICK
@given(bad_counts(none=False))
def test_plan_tokens_per_step_refuses_wrong_values(value):
    doc = patched("training", "steps", 10)
    doc["training"] = {"steps": 10, "tokens_per_step": value}
    expect_error(lambda: plan_from_dict(doc), "plan.training.tokens_per_step")


DIM_FIELDS = ["num_layers", "hidden_size", "vocab_size", "num_kv_heads", "tied_embeddings", "norm"]


@QUICK
@given(data=st.data())
def test_plan_dimensions_refuse_wrong_values_naming_the_field(data):
    field = data.draw(st.sampled_from(DIM_FIELDS), label="field")
    base, values = ARCH_FIELDS[field]
    value = data.draw(values, label=field)
    doc = patched("model", "dimensions", {**BASE_ARCH, field: value}, replace_table=True)
    expect_error(lambda: plan_from_dict(doc), f"plan.model.dimensions.{field}")


@QUICK
@given(section=st.sampled_from(["model", "training", "corpus", "hardware", "thresholds", "law"]), data=st.data())
def test_plan_tables_of_the_wrong_type_are_refused(section, data):
    value = data.draw(NOT_A_TABLE, label=section)
    doc = json.loads(json.dumps(PLAN_BASE))
    doc[section] = value
    expect_error(lambda: plan_from_dict(doc), f"plan.{section}")


@QUICK
@given(section=st.sampled_from(["", "model", "training", "corpus", "hardware", "thresholds", "law"]),
       key=st.text(string.ascii_lowercase + "_", min_size=1, max_size=12))
def test_plan_unknown_keys_are_refused_naming_the_key(section, key):
    assume(key not in _SECTIONS[section])
    doc = patched(section, key, 1)
    expect_error(lambda: plan_from_dict(doc), f"plan.{section + '.' if section else ''}{key}", "unknown key")


def test_plan_documents_that_are_not_tables_are_refused():
    for doc in ([], "x", 5, None):
        expect_error(lambda doc=doc: plan_from_dict(doc), "plan")
    expect_error(lambda: plan_from_dict({"model": {"params": 5}}), "plan.training")
    expect_error(lambda: plan_from_dict({"training": {"steps": 5}}), "plan.model")
    expect_error(lambda: plan_from_dict(patched("model", "catalog", "gpt2")), "plan.model")  # two models


@pytest.mark.parametrize("key", ["severe", "block", "optimal"])
def test_plan_threshold_errors_name_the_line(key):
    expect_error(lambda: plan_from_dict(patched("thresholds", key, float("nan"))), f"plan.thresholds.{key}")


def test_plan_corpus_name_must_be_a_string():
    expect_error(lambda: plan_from_dict(patched("corpus", "name", 5)), "plan.corpus.name")


# ---- inputs that once escaped as other exception types (regressions) ------------------------------




SCALAR_CASES = [
    pytest.param(lambda: corpus.assess_corpus(100, 100, [1e9], warn=False), "corpus.unique_tokens",
                 id="assess_corpus-unique_tokens-[1e9]-TypeError"),
    pytest.param(lambda: compute.estimate(100, 100, mfu=[0.4]), "hardware.mfu", id="estimate-mfu-[0.4]-accepted"),
    pytest.param(lambda: compute.estimate(100, 100, price_per_gpu_hour=[2.0]), "hardware.price_per_gpu_hour",
                 id="estimate-price-[2.0]-accepted"),
    pytest.param(lambda: Thresholds(severe=[1, 2]), "thresholds.severe", id="Thresholds-severe-[1,2]-ValueError"),
    pytest.param(lambda: Thresholds(block=[10]), "thresholds.block", id="Thresholds-block-[10]-accepted"),
    pytest.param(lambda: plan_from_dict(patched("hardware", "mfu", [0.4])), "plan.hardware.mfu",
                 id="plan-hardware.mfu-[0.4]-accepted"),
    pytest.param(lambda: plan_from_dict(patched("hardware", "price_per_gpu_hour", [2.0])),
                 "plan.hardware.price_per_gpu_hour", id="plan-hardware.price-[2.0]-accepted"),
    pytest.param(lambda: plan_from_dict(patched("corpus", "unique_tokens", [1e9])), "plan.corpus.unique_tokens",
                 id="plan-corpus.unique_tokens-[1e9]-accepted"),
    pytest.param(lambda: plan_from_dict(patched("thresholds", "severe", [1, 2])), "plan.thresholds",
                 id="plan-thresholds.severe-[1,2]-ValueError"),
    pytest.param(lambda: laws.compute_optimal(1e21, [1]), "fit", id="compute_optimal-fit-[1]-TypeError"),
    pytest.param(lambda: laws.compute_optimal(1e21, {}), "fit", id="compute_optimal-fit-{}-TypeError"),
    pytest.param(lambda: plan_from_dict(patched("law", "fit", ["chinchilla"])), "plan.law.fit",
                 id="plan-law.fit-list-TypeError"),
    pytest.param(lambda: planner.assess(100, 100, param_kind="bogus"), "param_kind",
                 id="assess-param_kind-bogus-accepted"),
    pytest.param(lambda: planner.assess(100, 100, param_kind=5).message, "param_kind",
                 id="assess-param_kind-5-AttributeError"),
    pytest.param(lambda: planner.assess(100, 100, thresholds={"severe": 1}), "thresholds",
                 id="assess-thresholds-dict-AttributeError"),
    pytest.param(lambda: Architecture(**{**BASE_ARCH, "num_layers": np.array([1, 2])}), "num_layers",
                 id="Architecture-num_layers-array-accepted"),
    pytest.param(lambda: Architecture(**{**BASE_ARCH, "hidden_size": np.array([8, 16])}), "hidden_size",
                 id="Architecture-hidden_size-array-ValueError"),
    pytest.param(lambda: planner.assess(np.array([10, 20]), 200), "params", id="assess-params-array-ValueError"),
]


@pytest.mark.parametrize("call, field", SCALAR_CASES)
def test_scalar_fields_refuse_lists_arrays_and_unhashables(call, field):
    expect_error(call, field)


def finite_or_planner_error(call) -> None:
    """Either a PlannerError (a clear refusal) or finite numbers: never an overflow or another exception."""
    try:
        numbers = call()
    except PlannerError:
        return
    except Exception as e:  # noqa: BLE001 - any other exception type is the bug
        pytest.fail(f"{type(e).__name__} instead of a PlannerError or a finite result: {e}", pytrace=False)
    if not all(math.isfinite(x) for x in numbers):
        pytest.fail(f"non-finite result: {numbers}", pytrace=False)


HUGE_CASES = [
    pytest.param(lambda: [compute.estimate(10**400, 100).flops], id="estimate-params-10**400-OverflowError"),
    pytest.param(lambda: [compute.estimate(10**10, 100, count=10**400).wall_clock_hours],
                 id="estimate-count-10**400-OverflowError"),
    pytest.param(lambda: [compute.estimate(10**10, 100, mfu=-10**400).gpu_hours],
                 id="estimate-mfu-minus-10**400-OverflowError"),
    pytest.param(lambda: [corpus.assess_corpus(100, 100, 10**400, warn=False).epochs],
                 id="assess_corpus-unique_tokens-10**400-OverflowError"),
    pytest.param(lambda: [corpus.assess_corpus(100, 10**400, 1e9, warn=False).epochs],
                 id="assess_corpus-tokens-10**400-OverflowError"),
    pytest.param(lambda: [laws.compute_optimal(10**400).params], id="compute_optimal-10**400-OverflowError"),
    pytest.param(lambda: [Thresholds(optimal=10**400).optimal], id="Thresholds-10**400-OverflowError"),
    pytest.param(lambda: [planner.assess(1, 10**400).ratio], id="assess-tokens-10**400-OverflowError"),
    pytest.param(lambda: [len(planner.assess("1e5000", 1).message)], id="assess-params-1e5000-ValueError-int-str"),
    pytest.param(lambda: [Architecture(**{**BASE_ARCH, "num_layers": "1e999999999"}).num_layers],
                 id="Architecture-num_layers-1e999999999-decimal.Overflow"),
    pytest.param(lambda: [assess_plan(plan_from_dict(patched("model", "params", 10**400, replace_table=True)))
                          .compute.flops], id="plan-params-10**400-OverflowError"),
    pytest.param(lambda: [assess_plan(plan_from_dict(patched("training", "steps", 10**400))).gate.ratio],
                 id="plan-steps-10**400-OverflowError"),
]


@pytest.mark.parametrize("call", HUGE_CASES)
def test_counts_beyond_float_range_are_refused_or_finite(call):
    finite_or_planner_error(call)


def optimal_numbers(flops) -> list[float]:
    o = laws.compute_optimal(flops)
    return [o.params, o.tokens, o.tokens_per_param, o.loss]


NONFINITE_CASES = [
    pytest.param(lambda: [compute.estimate(10**13, 10**14, mfu=1e-320).gpu_hours], id="mfu-1e-320-gpu_hours-inf"),
    pytest.param(lambda: [compute.estimate(10**13, 10**14, price_per_gpu_hour=1e308).cost], id="price-1e308-cost-inf"),
    pytest.param(lambda: optimal_numbers(5e-324), id="flops-5e-324-optimal-inf-nan"),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("call", NONFINITE_CASES)
def test_accepted_reals_never_give_non_finite_results(call):
    finite_or_planner_error(call)


# ---- 5. scale: exact where promised, finite everywhere -------------------------------------------

def test_ten_trillion_params_on_a_hundred_trillion_tokens_is_exact():
    b = planner.budget(25_000_000, tokens_per_step=4_000_000)
    assert type(b.tokens) is int and b.tokens == 10**14
    r = planner.assess(10**13, b.tokens, tokens_per_step=b.tokens_per_step)
    assert r.ratio == 10.0 and r.level == "below-optimal" and not r.blocked
    assert type(r.tokens_to_optimal) is int and r.tokens_to_optimal == 2 * 10**14
    assert type(r.steps_to_optimal) is int and r.steps_to_optimal == 50_000_000
    assert compute.training_flops(10**13, 10**14) == 6e27
    assert planner.verdict.gate.steps_to_target(10**13, 10**9, 20.0) == 200_000
    assert planner.verdict.gate.steps_to_target(10**13 + 1, 10**9, 20.0) == 200_001
    assert planner.verdict.gate.tokens_to_target(10**13 + 1, 10.5) == 105_000_000_000_011  # ceil(10.5 x (1e13 + 1))


def test_a_6e28_flop_plan_is_finite():
    doc = {"model": {"params": 10**13}, "training": {"steps": 250_000_000, "tokens_per_step": 4_000_000},
           "corpus": {"unique_tokens": 1e14}, "hardware": {"accelerator": "h100-sxm", "count": 100_000,
                                                            "price_per_gpu_hour": 2.0}}
    a = assess_plan(plan_from_dict(doc))
    assert a.gate.tokens == 10**15 and a.compute.flops == 6e28
    assert_all_finite(a)
    json.dumps(a.to_dict(), allow_nan=False)
    o = laws.compute_optimal(6e28)
    assert all(math.isfinite(x) and x > 0 for x in (o.params, o.tokens, o.loss, o.tokens_per_param))


def test_a_ten_trillion_parameter_architecture_counts_exactly():
    a = Architecture(num_layers=128, hidden_size=16_384, num_heads=128, vocab_size=256_000,
                     intermediate_size=65_536, num_experts=32, experts_per_token=2)
    pc = count_params(a)
    assert type(pc.total) is int and 10**13 < pc.total < 10**14
    d, f, L, E, V = 16_384, 65_536, 128, 32, 256_000
    expected = L * (4 * d * d + E * 3 * d * f + d * E + 2 * d) + d + 2 * V * d
    assert pc.total == expected
    assert pc.active == expected - L * (E - 2) * 3 * d * f


def test_numpy_arrays_at_frontier_scale_do_not_overflow():
    n = np.array([10**13, 10**13], dtype=np.int64)
    d = np.array([10**14, 10**15], dtype=np.int64)
    assert planner.verdict.gate.ratio(d, n).tolist() == [10.0, 100.0]
    assert compute.training_flops(n, d).tolist() == [6e27, 6e28]  # int64 would overflow here
    tokens = planner.training.budget.training_tokens(np.array([25_000_000], dtype=np.int64), np.array([4_000_000]))
    assert tokens.tolist() == [1e14]
    assert planner.verdict.gate.steps_to_target(n, np.array([10**9, 10**9]), 20.0).tolist() == [200_000, 200_000]
    df = planner.sweep(n, tokens=d, unique_tokens=1e14)
    assert df.flops.tolist() == [6e27, 6e28] and df.epochs.tolist() == [1.0, 10.0]


# ---- 6. vectorised functions agree element-wise with the scalar versions -------------------------

def int_arrays(lo, hi, size):
    return st.lists(st.integers(lo, hi), min_size=size, max_size=size)


VECTOR_TARGETS = st.one_of(st.sampled_from([20.0, 10.5, 20, 1, 0.5, 5.0, 40.25, 0.125]), st.integers(1, 100))


@FAST
@given(st.integers(1, 8).flatmap(lambda k: st.tuples(int_arrays(1, 10**13, k), int_arrays(1, 10**9, k))),
       VECTOR_TARGETS, st.integers(0, 10**13))
def test_steps_and_tokens_to_target_arrays_match_scalars(arrays, target, prior):
    ns, tpss = arrays
    steps = planner.verdict.gate.steps_to_target(np.array(ns, dtype=float), np.array(tpss, dtype=float), target, prior)
    tokens = planner.verdict.gate.tokens_to_target(np.array(ns, dtype=float), target, prior)
    assert steps.tolist() == [planner.verdict.gate.steps_to_target(n, t, target, prior)
                              for n, t in zip(ns, tpss, strict=True)]
    assert tokens.tolist() == [planner.verdict.gate.tokens_to_target(n, target, prior) for n in ns]


@FAST
@given(st.integers(1, 8).flatmap(lambda k: st.tuples(int_arrays(1, 2**53, k), int_arrays(1, 2**53, k))),
       thresholds())
def test_ratio_and_level_arrays_match_scalars(arrays, t):
    ds, ns = arrays
    r = planner.verdict.gate.ratio(np.array(ds, dtype=float), np.array(ns, dtype=float))
    # a scalar ratio is the exact quotient rounded toward zero, an array's is rounded to nearest: one ulp apart
    assert r.tolist() == pytest.approx([planner.verdict.gate.ratio(d, n) for d, n in zip(ds, ns, strict=True)],
                                       rel=2**-52)
    # the level is decided from D and N, the same for arrays and scalars
    codes = level_code(np.array(ds), np.array(ns), t)
    assert [LEVELS[c] for c in codes] == [planner.assess(n, d, thresholds=t).level for d, n in zip(ds, ns, strict=True)]


@FAST
@given(st.lists(st.floats(1, 1e16), min_size=1, max_size=8), st.floats(1, 1e15))
def test_effective_tokens_and_flops_arrays_match_scalars(ds, u):
    arr = corpus.effective_tokens(np.array(ds), u)
    assert arr.tolist() == [corpus.effective_tokens(d, u) for d in ds]
    assert all(e <= d * (1 + 1e-12) for e, d in zip(arr, ds, strict=True))  # repetition never adds data
    flops = compute.training_flops(np.array(ds), u)
    assert flops.tolist() == [compute.training_flops(d, u) for d in ds]
    assert np.isfinite(flops).all()


@examples(40)
@given(st.integers(1, 8).flatmap(lambda k: st.tuples(int_arrays(1, 10**13, k), int_arrays(1, 10**6, k))),
       st.integers(1, 10**7), st.integers(1, 10**15))
def test_sweep_agrees_with_the_scalar_assessment(arrays, tps, unique):
    ns, steps = arrays
    df = planner.sweep(np.array(ns), steps=np.array(steps), tokens_per_step=tps, unique_tokens=unique)
    for row, n, s in zip(df.itertuples(), ns, steps, strict=True):
        r = planner.assess(n, s * tps, tokens_per_step=tps, unique_tokens=unique)
        assert row.tokens == r.tokens and row.ratio == pytest.approx(r.ratio, rel=1e-12)
        assert row.level == r.level and row.blocked == r.blocked
        if r.optimal_reachable:   # the one steps-to-the-line, on the judged measure
            assert row.steps_to_optimal == r.steps_to_optimal and row.tokens_to_optimal == r.tokens_to_optimal
        else:
            assert math.isnan(row.steps_to_optimal) and math.isnan(row.tokens_to_optimal)
        assert row.flops == compute.training_flops(n, s * tps)
        assert row.epochs == corpus.epochs(s * tps, unique)
