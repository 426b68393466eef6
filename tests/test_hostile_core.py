"""The second hostile-input suite: exact text, exact boundaries at 10¹⁶–10³⁰, files and streams, the Python API.

Complements ``test_hostile.py`` (bad config and plan files at the command line). Every expected value here is
hand arithmetic written beside the case: a D/N compared with the 5 / 10 / 20 lines by integer arithmetic
(e.g. 10**17 - 1 tokens on 10**16 parameters is 9.9999999999999999, below 10), never a number the planner
printed. Bad input must exit 2 with exactly one line on stderr naming the field; the Python API may raise
only :class:`planner.PlannerError` subclasses.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import planner
from conftest import ROOT
from planner import validate
from planner.cli import main
from planner.errors import InputError, PlannerError

ORIGIN = str(ROOT / "data" / "plans" / "origin-case.toml")
QWEN = str(ROOT / "data" / "models" / "qwen2.5-0.5b.json")


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, out, err, *needles) -> str:
    """Exit 2, nothing on stdout, exactly one ``planner: error:`` line naming one of ``needles``."""
    assert "Traceback" not in out + err
    assert code == 2, (code, out[-300:], err[-300:])
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("planner: error: "), lines[0]
    assert any(n in lines[0] for n in needles), (needles, lines[0])
    return lines[0]


def level_by_hand(tokens: int, params: int, lines=(5, 10, 20)) -> str:
    """The level from integer arithmetic: D/N >= line  <=>  D >= line·N (lines are whole numbers here)."""
    severe, block, optimal = lines
    return ("compute-optimal" if tokens >= optimal * params else "below-optimal" if tokens >= block * params
            else "blocked" if tokens >= severe * params else "severe")


# =================================================================================================
# 1. Text read exactly: validate.count / positive_real / quantity (the parser of the CLI, plan files
#    and the workbook's text boxes)
# =================================================================================================

GOOD_COUNTS = [
    ("1", 1), ("494032768", 494_032_768), ("  42\t", 42), ("+5", 5), ("00007", 7),
    ("1,206,135", 1_206_135), ("9,880,655,360", 9_880_655_360), ("1_000", 1000), ("1_000_000", 10**6),
    ("2.5k", 2500), ("2.5K", 2500), ("3M", 3 * 10**6), ("7B", 7 * 10**9), ("7b", 7 * 10**9), ("7G", 7 * 10**9),
    ("1.3T", 1_300_000_000_000), ("15T", 15 * 10**12), ("2P", 2 * 10**15), ("1.24B", 1_240_000_000),
    ("1e12", 10**12), ("1E12", 10**12), ("7e9", 7 * 10**9), ("1.24e9", 1_240_000_000), ("1e+3", 1000),
    ("1.5e3", 1500), ("10E-1", 1), ("1,000,000T", 10**18), ("1_000.5K", 1_000_500),
    # beyond 28 significant digits: exact, not rounded by a Decimal context
    ("99999999999999999999999999999", 10**29 - 1),
    ("12345678901234567890123456789", 12345678901234567890123456789),
    ("1.00000000000000000000000000001e29", 10**29 + 1),  # 30 significant digits
    ("1000000000000000000000000000000", 10**30), ("1e30", 10**30), ("0.000001e36", 10**30),
    ("999,999,999,999,999,999,999,999,999,999", 10**30 - 1),
]


@pytest.mark.parametrize("text, expected", GOOD_COUNTS, ids=[t for t, _ in GOOD_COUNTS])
def test_counts_are_read_exactly(text, expected):
    got = validate.count("steps", text)
    assert got == expected and type(got) is int


BAD_COUNTS = [
    "", " ", "abc", "7X", "1.5", "1e-3", "2.5", "1,2,3", "1,0000", ",100", "100,", "1__0", "_1", "1_", "0x10",
    "0b101", "nan", "NaN", "inf", "-inf", "Infinity", "-1", "0", "1e31", "1000000000000000000000000000001",
    "1e999999999", "9" * 500, "1e", "e5", ".", "1..2", "7BB", "1%", "True", "١٢٣", "1½", "7 billion",
    # fractional beyond 28 digits: a Decimal context would round it to 1 and accept it
    "1.0000000000000000000000000000001", "12345678901234567890123456789.5", "1.00000000000000000000000000001e28",
]


@pytest.mark.parametrize("text", BAD_COUNTS, ids=[repr(t)[:40] for t in BAD_COUNTS])
def test_bad_count_text_is_refused_naming_the_field_and_quoting_once(text):
    with pytest.raises(InputError) as e:
        validate.count("steps", text)
    msg = str(e.value)
    assert msg.startswith("steps: ") and "\n" not in msg
    assert "\"'" not in msg and "'\"" not in msg  # the value is quoted once


GOOD_REALS = [
    # (text, kwargs, expected float from the decimal by hand)
    ("1.3T", {}, 1.3e12), ("15T", {}, 1.5e13), ("1,000,000", {}, 1e6), ("5.76e23", {"maximum": 1e40}, 5.76e23),
    ("0.5", {}, 0.5), ("2.5k", {}, 2500.0), ("1_000.25", {}, 1000.25),
    ("55%", {"percent": True, "maximum": 1}, 0.55), ("0.55", {"percent": True, "maximum": 1}, 0.55),
    ("100%", {"percent": True, "maximum": 1}, 1.0), ("0.1%", {"percent": True, "maximum": 1}, 0.001),
    ("40 %", {"percent": True, "maximum": 1}, 0.4),
    ("0.001", {"minimum": 0.001, "inclusive": True}, 0.001),  # a bound written 0.001 admits 0.001 exactly
    ("1e30", {}, 1e30),
]


@pytest.mark.parametrize("text, kwargs, expected", GOOD_REALS, ids=[f"{t}-{k}" for t, k, _ in GOOD_REALS])
def test_reals_accept_suffixes_separators_and_percentages(text, kwargs, expected):
    assert validate.positive_real("unique_tokens", text, **kwargs) == expected


BAD_REALS = [
    ("55%", {}), ("101%", {"percent": True, "maximum": 1}), ("abc", {}), ("nan", {}), ("inf", {}), ("1e400", {}),
    ("-1", {}), ("0", {}), ("1e31", {}), ("%", {"percent": True}), ("55%%", {"percent": True}), ("1,2", {}),
    ("1e30000000000", {}), ("0.0005", {"minimum": 0.001, "inclusive": True}),
]


@pytest.mark.parametrize("text, kwargs", BAD_REALS, ids=[f"{t}-{k}" for t, k in BAD_REALS])
def test_bad_real_text_is_refused(text, kwargs):
    with pytest.raises(InputError) as e:
        validate.positive_real("unique_tokens", text, **kwargs)
    assert str(e.value).startswith("unique_tokens: ") and "\"'" not in str(e.value)


def test_a_1e999999999_count_is_refused_without_expanding_it():
    # a Decimal or int expansion of 10**999999999 would take minutes and gigabytes; the magnitude is checked first
    with pytest.raises(InputError):
        validate.count("steps", "1e999999999")
    with pytest.raises(InputError):
        validate.count("steps", Decimal("1e999999999"))


@pytest.mark.parametrize("value, expected", [
    (1e23, 10**23),                     # the decimal the float prints as, not 99999999999999991611392
    (7e9, 7 * 10**9), (np.int64(494032768), 494032768), (np.uint8(7), 7), (np.float64(7e9), 7 * 10**9),
    (np.array(12), 12), (np.array(3.0), 3), (Fraction(10, 2), 5), (Decimal("1e12"), 10**12), (10**30, 10**30),
], ids=["float-1e23", "float-7e9", "np.int64", "np.uint8", "np.float64", "0-d-int", "0-d-float", "Fraction",
        "Decimal", "int-10**30"])
def test_numbers_of_every_kind_are_counts(value, expected):
    got = validate.count("params", value)
    assert got == expected and type(got) is int


@pytest.mark.parametrize("value", [
    True, np.bool_(True), None, 1.5, np.float64(2.5), float("nan"), float("inf"), -3, 0, 10**30 + 1, 1e31,
    Fraction(1, 2), Decimal("NaN"), Decimal("2.5"), complex(1, 0), b"7", [7], (7,), {"n": 7}, np.array([1, 2]),
    object(),
], ids=lambda v: type(v).__name__ + "-" + repr(v)[:20])
def test_wrong_numbers_are_refused_as_scalars(value):
    with pytest.raises(InputError) as e:
        validate.count("params", value)
    assert str(e.value).startswith("params: ")


def test_vectors_series_and_0d_arrays_are_validated_alike():
    pd = pytest.importorskip("pandas")
    assert validate.count("steps", pd.Series([1, 2]), vector=True).tolist() == [1, 2]
    assert validate.count("steps", np.array([3.0, 4.0]), vector=True).tolist() == [3.0, 4.0]
    assert validate.real_array("params", np.geomspace(1e8, 1e10, 3)).tolist() == pytest.approx([1e8, 1e9, 1e10])
    assert validate.real_array("params", pd.Series([1.5e9])).tolist() == [1.5e9]
    assert validate.count("steps", np.array(7), vector=True) == 7  # a 0-d array is a scalar
    for bad in (pd.Series([1.5]), pd.Series([0]), pd.Series(["a"]), np.array([True]), np.array([np.nan]),
                np.array([1e31]), [1, 2], pd.Series([1, -1])):
        with pytest.raises(InputError, match="^steps: "):
            validate.count("steps", bad, vector=True)
    with pytest.raises(InputError, match="^steps: .*single number"):
        validate.count("steps", pd.Series([1, 2]))  # a Series where one number is expected


@pytest.mark.parametrize("value, expected", [
    (1.5e9, 1.5e9), (7, 7), ("1.3T", 1_300_000_000_000), ("2.5", 2.5), (np.float64(1.5), 1.5), (10**30, 10**30),
], ids=["real-N", "int", "suffix", "text-real", "np.float64", "10**30"])
def test_quantities_may_be_real(value, expected):
    assert validate.quantity("params", value) == expected


@pytest.mark.parametrize("value", [0, -1, 0.0, float("nan"), "abc", 10**30 + 1, True, [1.0]],
                         ids=["0", "-1", "0.0", "nan", "abc", "10**30+1", "True", "list"])
def test_quantities_refuse_what_is_not_a_positive_amount(value):
    with pytest.raises(InputError, match="^params: "):
        validate.quantity("params", value)


def test_control_characters_in_values_are_escaped():
    for value in ("a\nb", "x\x1b[31mred", "\x00", "line\u2028sep"):
        with pytest.raises(InputError) as e:
            validate.count("steps", value)
        assert "\n" not in str(e.value) and "\x1b" not in str(e.value) and "\x00" not in str(e.value)
        assert "\u2028" not in str(e.value)


# =================================================================================================
# 2. Exact boundaries at the command line: 10**16 to 10**30 parameters and tokens
# =================================================================================================

BOUNDARY = [
    # (N, steps, tokens per step, expected level by hand)
    (10**16, 10**17 - 1, 1, "blocked"),            # 9.9999999999999999 < 10
    (10**16, 10**17, 1, "below-optimal"),          # exactly 10 passes the launch line
    (10**16, 5 * 10**16 - 1, 1, "severe"),         # just under 5
    (10**16, 5 * 10**16, 1, "blocked"),            # exactly 5
    (10**16, 2 * 10**17 - 1, 1, "below-optimal"),  # just under 20
    (10**16, 2 * 10**17, 1, "compute-optimal"),    # exactly 20
    (10**28, 10**29 - 1, 1, "blocked"),            # the 29-digit case a 28-digit Decimal context rounded to 10
    (10**28, 10**29, 1, "below-optimal"),
    (10**29, 10**15, 10**15, "below-optimal"),     # D = 10**30 = 10·N
    (10**29, 10**15, 10**15 - 1, "blocked"),       # D = 10**30 - 10**15
    (10**20, 10**21 - 1, 1, "blocked"),
    (10**20 - 1, 10**21 - 10, 1, "below-optimal"),  # D = 10·(10**20 - 1) exactly
    (123456789012345678, 1234567890123456780, 1, "below-optimal"),  # D = 10·N exactly
    (123456789012345678, 1234567890123456779, 1, "blocked"),
    (3, 29, 1, "blocked"), (3, 30, 1, "below-optimal"), (7, 139, 1, "below-optimal"), (7, 140, 1, "compute-optimal"),
    (10**30, 10**30, 1, "severe"),                 # the largest N with D/N = 1
]


@pytest.mark.parametrize("n, steps, tps, expected", BOUNDARY,
                         ids=[f"N{n}-S{s}-T{t}" for n, s, t, _ in BOUNDARY])
def test_cli_levels_are_exact_at_every_size(n, steps, tps, expected, capsys):
    assert level_by_hand(steps * tps, n) == expected  # the table agrees with integer arithmetic
    code, out, err = run(["check", "--params", n, "--steps", steps, "--tokens-per-step", tps, "--json"], capsys)
    d = json.loads(out)
    assert (d["level"], d["tokens"], d["params"]) == (expected, steps * tps, n)
    assert code == (1 if expected in ("severe", "blocked") else 0)


def test_the_issue_case_blocks(capsys):
    # 10**28 parameters, 99999999999999999999999999999 tokens: D/N = 9.99...9 < 10, so blocked (exit 1)
    code, out, err = run(["check", "--params", "10000000000000000000000000000", "--steps",
                          "99999999999999999999999999999", "--tokens-per-step", "1"], capsys)
    assert code == 1 and "BLOCKED" in out.upper()


@pytest.mark.parametrize("argv, tokens, code", [
    (["--params", "1e16", "--steps", "99,999,999,999,999,999", "--tokens-per-step", "1"], 10**17 - 1, 1),
    (["--params", "10P", "--steps", "100P", "--tokens-per-step", "1"], 10**17, 0),
    (["--params", "1e16", "--steps", "1e11", "--tokens-per-step", "1M"], 10**17, 0),
    (["--params", "1_000", "--steps", "9_999", "--tokens-per-step", "1"], 9999, 1),
    (["--params", "1K", "--steps", "2k", "--micro-batch", "1", "--seq-len", "1K", "--grad-accum", "1",
      "--data-parallel", "1"], 2 * 10**6, 0),
    (["--params", "1K", "--steps", "1", "--micro-batch", "2.5k", "--seq-len", "2", "--grad-accum", "2",
      "--data-parallel", "1"], 10**4, 0),
    (["--params", "1000", "--steps", "10", "--tokens-per-step", "999", "--prior-tokens", "10"], 10_000 - 10, 0),
    (["--params", "1000", "--steps", "10", "--tokens-per-step", "999", "--prior-tokens", "9"], 9_990, 1),
], ids=["commas", "P-suffix", "M-suffix", "underscores", "k-K-layout", "fractional-suffix-whole", "prior-on-line",
        "prior-one-short"])
def test_every_count_option_takes_suffixes_and_separators(argv, tokens, code, capsys):
    got, out, err = run(["check", *argv, "--json"], capsys)
    d = json.loads(out)
    assert d["tokens"] == tokens and got == code, (d["tokens"], got, err)


def test_steps_to_optimal_are_exact_integers_at_1e16(capsys):
    # N = 10**16, D just above 10**17 in steps of 3
    code, out, _ = run(["check", "--params", 10**16, "--steps", (10**17) // 3 + 1, "--tokens-per-step", 3,
                        "--json"], capsys)
    d = json.loads(out)
    # the tokens and steps that reach 20x from the start: 20·N = 2·10**17 tokens, ceil(2·10**17 / 3) steps
    assert d["tokens"] == ((10**17) // 3 + 1) * 3 and d["tokens_to_optimal"] == 2 * 10**17
    assert d["steps_to_optimal"] == 66_666_666_666_666_667


@pytest.mark.parametrize("lines, tokens, params, expected", [
    (["--block", "10.5"], 21, 2, "below-optimal"),    # 21/2 = 10.5 exactly on the line
    (["--block", "10.5"], 20, 2, "blocked"),
    (["--optimal", "20.1"], 201, 10, "compute-optimal"),  # 20.1 means 201/10, not its binary neighbour
    (["--optimal", "20.1"], 200, 10, "below-optimal"),
    (["--severe", "1", "--block", "1", "--optimal", "1"], 10**16, 10**16, "compute-optimal"),
], ids=["block-10.5-on", "block-10.5-below", "optimal-20.1-on", "optimal-20.1-below", "all-lines-at-1"])
def test_custom_lines_are_exact(lines, tokens, params, expected, capsys):
    code, out, _ = run(["check", "--params", params, "--steps", tokens, "--tokens-per-step", "1", *lines, "--json"],
                       capsys)
    assert json.loads(out)["level"] == expected


# =================================================================================================
# 3. Bad command-line input: one line, exit 2, the option the user typed
# =================================================================================================

BASE = ["check", "--params", "1000", "--steps", "10", "--tokens-per-step", "1000"]
LAYOUT = ["check", "--params", "1000", "--steps", "10", "--micro-batch", "2", "--seq-len", "8"]


def with_option(option: str, value: str) -> list[str]:
    base = LAYOUT if option in ("--micro-batch", "--seq-len", "--grad-accum", "--data-parallel") else BASE
    argv = list(base)
    if option in argv:
        i = argv.index(option)
        del argv[i:i + 2]
    return argv + [f"{option}={value}"]


COUNT_OPTIONS = ["--params", "--steps", "--tokens-per-step", "--micro-batch", "--seq-len", "--grad-accum",
                 "--data-parallel", "--prior-tokens"]
BAD_COUNT_VALUES = ["1.5", "abc", "7X", "1e31", "-1", "nan"]


@pytest.mark.parametrize("option", COUNT_OPTIONS)
@pytest.mark.parametrize("value", BAD_COUNT_VALUES)
def test_bad_counts_name_the_option(option, value, capsys):
    line = assert_one_line_error(*run(with_option(option, value), capsys), option)
    assert "\"'" not in line  # quoted once


@pytest.mark.parametrize("option", ["--unique-tokens", "--severe", "--block", "--optimal"])
@pytest.mark.parametrize("value", ["abc", "nan", "1e400", "-3"])
def test_bad_reals_name_the_option(option, value, capsys):
    line = assert_one_line_error(*run(with_option(option, value), capsys), option)
    assert "corpus." not in line and "thresholds." not in line and "\"'" not in line


def test_unique_tokens_take_suffixes_like_prior_tokens(capsys):
    # 1,000 params, 10 x 1,000 tokens on a 1.3T-token corpus: far below one epoch
    code, out, err = run(BASE + ["--unique-tokens", "1.3T", "--json"], capsys)
    assert code == 0 and json.loads(out)["corpus"]["unique_tokens"] == 1.3e12
    code, out, err = run(BASE + ["--unique-tokens", "1,300,000,000,000", "--json"], capsys)
    assert code == 0 and json.loads(out)["corpus"]["unique_tokens"] == 1.3e12


def test_the_value_is_quoted_once(capsys):
    line = assert_one_line_error(*run(BASE + ["--unique-tokens", "15Q"], capsys), "--unique-tokens")
    assert line.endswith("got '15Q'"), line


@pytest.mark.parametrize("argv", [
    ["check", "--params", "7B", "--steps", "1000", "--tokens", "20B"],
    ["check", "--param", "7B", "--steps", "1000", "--tokens-per-step", "1"],
    ["check", "--params", "7B", "--step", "1000", "--tokens-per-step", "1"],
    ["check", "--params", "7B", "--steps", "10", "--micro", "4", "--seq-len", "8"],
    ["check", "--params", "7B", "--steps", "10", "--tokens-per-step", "1", "--unique", "1T"],
    ["check", "--params", "7B", "--steps", "10", "--tokens-per-step", "1", "--force"],
    ["report", ORIGIN, "--js"],
    ["optimal", "--flop", "1e21"],
], ids=["tokens-is-not-tokens-per-step", "param", "step", "micro", "unique", "force", "report-js", "flop"])
def test_option_prefixes_are_not_expanded(argv, capsys):
    assert_one_line_error(*run(argv, capsys), "unrecognized", "required")


@pytest.mark.parametrize("argv, named, not_named", [
    (["check", "--model", "Qwen/Qwen2.5-0.5B", "--steps", "1", "--tokens-per-step", "1"], "--model", "--config"),
    (["check", "--model", "no-such-model-9000", "--steps", "1", "--tokens-per-step", "1"], "--model", "--config"),
    (["check", "--config", "no/such/config.json", "--steps", "1", "--tokens-per-step", "1"], "--config", "--model"),
    (["check", "--config", "no-such-name", "--steps", "1", "--tokens-per-step", "1"], "--config", "--model"),
    (["check", "--params", "1000", "--steps", "1", "--tokens-per-step", "1", "--corpus", "no-such-corpus"],
     "--corpus", "corpus.name"),
], ids=["model-path-like", "model-unknown", "config-missing", "config-bare-name", "corpus-unknown"])
def test_errors_name_the_option_given(argv, named, not_named, capsys):
    line = assert_one_line_error(*run(argv, capsys), named)
    assert line.startswith(f"planner: error: {named}:") and not line.startswith(f"planner: error: {not_named}"), line


@pytest.mark.parametrize("name", ["a\nb", "x\x1b[31mred", "tab\there", "cr\rreturn", "bell\x07", "del\x7f",
                                  "sep\u2028line"],
                         ids=["newline", "escape", "tab", "cr", "bell", "del", "u2028"])
@pytest.mark.parametrize("command", ["params", "check-model", "check-config", "report", "corpus"])
def test_control_characters_in_names_never_break_the_line(name, command, capsys):
    argv = {"params": ["params", name],
            "check-model": ["check", "--model", name, "--steps", "1", "--tokens-per-step", "1"],
            "check-config": ["check", "--config", name + ".json", "--steps", "1", "--tokens-per-step", "1"],
            "report": ["report", name + ".toml"],
            "corpus": BASE + ["--corpus", name]}[command]
    code, out, err = run(argv, capsys)
    assert_one_line_error(code, out, err, "planner: error:")
    assert not any(c in err[:-1] for c in "\n\r\x1b\x07\x7f\u2028")


# =================================================================================================
# 4. Files and streams: never a hang, never a traceback
# =================================================================================================

@pytest.fixture(scope="module")
def odd_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("odd")
    os.mkfifo(d / "fifo.json")
    os.mkfifo(d / "fifo.toml")
    (d / "empty-dir").mkdir()
    (d / "zero.json").symlink_to("/dev/zero")
    (d / "loop.json").symlink_to(d / "loop.json")
    with open(d / "sparse.json", "wb") as f:  # 64 MiB reported, no disk used: refused by size before reading
        f.truncate(64 * 2**20)
    (d / "bom.json").write_bytes(b"\xef\xbb\xbf" + Path(QWEN).read_bytes())
    return d


@pytest.mark.parametrize("path, needle", [
    ("/dev/zero", "character device"), ("/dev/urandom", "character device"), ("/dev/null", "character device"),
    ("{d}/fifo.json", "FIFO"), ("{d}/zero.json", "character device"), ("{d}/empty-dir", "folder|directory"),
    ("{d}/sparse.json", "larger than"), ("{d}/loop.json", "symbolic links|not found"),
], ids=["dev-zero", "dev-urandom", "dev-null", "fifo", "symlink-to-dev-zero", "directory", "64MiB-sparse", "loop"])
@pytest.mark.parametrize("command", ["params", "check"])
def test_config_paths_that_are_not_regular_files(path, needle, command, odd_files, capsys):
    p = path.format(d=odd_files)
    argv = ["params", p] if command == "params" else ["check", "--config", p, "--steps", "1", "--tokens-per-step", "1"]
    line = assert_one_line_error(*run(argv, capsys), *needle.split("|"), "weights in")
    assert ("--config:" if command == "check" else "error: ") in line


def test_a_config_with_a_byte_order_mark_is_read(odd_files, capsys):
    code, out, _ = run(["params", odd_files / "bom.json", "--json"], capsys)
    assert code == 0 and json.loads(out)["total"] == 494_032_768  # Qwen2.5-0.5B's published total


def test_a_directory_without_a_config_says_what_is_missing(odd_files, capsys):
    line = assert_one_line_error(*run(["check", "--config", odd_files / "empty-dir", "--steps", "1",
                                       "--tokens-per-step", "1"], capsys), "--config")
    assert line.startswith("planner: error: --config:") and "config.json" in line


def test_files_module_refuses_every_odd_path(odd_files):
    from planner import files
    from planner.errors import ConfigError, PlanFileError
    cases = ["/dev/zero", "/dev/urandom", odd_files / "fifo.toml", odd_files, "a\x00b", "x" * 5000, "",
             odd_files / "sparse.json", 5, None, b"/dev/zero"]
    for p in cases:
        with pytest.raises(PlanFileError) as e:
            files.read_bytes(p, "plan", error=PlanFileError)
        assert str(e.value).startswith("plan: ") and "\n" not in str(e.value) and len(str(e.value)) < 400
    with pytest.raises(ConfigError, match="larger than 100 bytes"):
        files.read_bytes(QWEN, "checkpoint", limit=100)
    assert files.read_bytes(QWEN, "config") == Path(QWEN).read_bytes()


@pytest.mark.parametrize("argv", [
    ["params", "x" * 5000],
    ["check", "--config", "x" * 5000, "--steps", "1", "--tokens-per-step", "1"],
    ["params", "/tmp/" + "y" * 300 + ".json"],
], ids=["params-5000", "check-config-5000", "params-300-char-component"])
def test_overlong_names_are_one_line(argv, capsys):
    code, out, err = run(argv, capsys)
    assert_one_line_error(code, out, err, "too long", "not found", "not in the catalog")
    assert len(err) < 600


@pytest.mark.parametrize("argv", [
    ["params", "x" * 5000],
    ["check", "--config", "x" * 5000, "--steps", "1", "--tokens-per-step", "1"],
], ids=["params", "check"])
def test_overlong_names_name_the_field(argv, capsys):
    try:
        code, out, err = run(argv, capsys)
    except Exception as e:  # noqa: BLE001 - the escape is the failure
        pytest.fail(f"{type(e).__name__} escaped: {e}", pytrace=False)
    assert_one_line_error(code, out, err, "config:")


@pytest.mark.parametrize("argv", [["params", "a\x00b.json"],
                                  ["check", "--config", "a\x00b.json", "--steps", "1", "--tokens-per-step", "1"],
                                  ["check", "--model", "a\x00b", "--steps", "1", "--tokens-per-step", "1"]],
                         ids=["params", "check-config", "check-model"])
def test_a_nul_byte_in_a_config_path_is_one_line(argv, capsys):
    try:
        code, out, err = run(argv, capsys)
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"{type(e).__name__} escaped: {e}", pytrace=False)
    assert_one_line_error(code, out, err, "config", "model")
    assert "\\x00" in err and "\x00" not in err  # escaped, never the raw byte


def test_a_nul_byte_in_a_plan_path_is_one_line(capsys):
    try:
        code, out, err = run(["report", "plan\x00.toml"], capsys)
    except Exception as e:  # noqa: BLE001
        pytest.fail(f"{type(e).__name__} escaped: {e}", pytrace=False)
    assert_one_line_error(code, out, err, "plan")


def _limited():
    # 1 GiB of address space: a reader that slurps /dev/zero dies with MemoryError instead of taking the machine
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))


def planner_process(args, timeout=60, **kw):
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"}, preexec_fn=_limited, **kw)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom", "{d}/fifo.toml"],
                         ids=["dev-zero", "dev-urandom", "fifo"])
def test_plan_paths_that_are_not_regular_files(path, odd_files):
    # load_plan reads through planner.files.read_text: refused by type before reading, so nothing hangs
    try:
        p = planner_process(["report", path.format(d=odd_files)], timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("planner report hung", pytrace=False)
    assert p.returncode == 2 and p.stdout == "" and len(p.stderr.splitlines()) == 1, p.stderr[-300:]
    assert "plan" in p.stderr and "Traceback" not in p.stderr


def test_a_closed_stdout_ends_quietly_with_141():
    # `planner models | head -0`: the reader is gone before the first write
    for args in (["models"], ["params", "gpt2"], ["report", ORIGIN, "--force-under-provisioned"]):
        r, w = os.pipe()
        os.close(r)
        p = subprocess.run([sys.executable, "-m", "planner", *args], stdout=w, stderr=subprocess.PIPE, text=True,
                           timeout=60, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        os.close(w)
        assert p.returncode == 141, (args, p.returncode, p.stderr)
        assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr and "Exception ignored" not in p.stderr


def test_a_shell_pipeline_into_head_is_quiet():
    p = subprocess.run(f"{sys.executable} -m planner models | head -1; echo \"status ${{PIPESTATUS[0]}}\"",
                       shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=60, cwd=ROOT)
    lines = p.stdout.splitlines()
    assert lines[0] == planner.list_models()[0] and lines[-1] in ("status 0", "status 141")
    assert p.stderr == ""


# =================================================================================================
# 5. Plan files: exact numbers from text, bad values named
# =================================================================================================

def plan_text(model="params = 1000", training="steps = 10\ntokens_per_step = 1000", extra="") -> str:
    return f'name = "core"\n[model]\n{model}\n[training]\n{training}\n[hardware]\naccelerator = "a100"\n{extra}\n'


PLAN_GOOD = [
    # (model, training, tokens by hand, level by hand)
    ('params = "1e16"', 'steps = "99,999,999,999,999,999"\ntokens_per_step = 1', 10**17 - 1, "blocked"),
    ('params = "1e16"', 'steps = 100_000_000_000_000_000\ntokens_per_step = 1', 10**17, "below-optimal"),
    ('params = "7B"', 'steps = "140k"\ntokens_per_step = "1M"', 140 * 10**9, "compute-optimal"),
    ('params = "10000000000000000000000000000"', 'steps = "99999999999999999999999999999"\ntokens_per_step = 1',
     10**29 - 1, "blocked"),
    ('params = 7e9', 'steps = 1e5\ntokens_per_step = 1.4e6', 140 * 10**9, "compute-optimal"),
    ('params = "1,000"', 'steps = 2\nmicro_batch = "2.5k"\nseq_len = 2', 10_000, "below-optimal"),
]


@pytest.mark.parametrize("model, training, tokens, level", PLAN_GOOD,
                         ids=["1e16-commas", "1e16-underscores", "suffixes", "29-digit-strings", "floats",
                              "layout-suffix"])
def test_plan_files_read_numbers_exactly(model, training, tokens, level, tmp_path, capsys):
    p = tmp_path / "p.toml"
    p.write_text(plan_text(model, training))
    code, out, err = run(["report", p, "--json"], capsys)
    d = json.loads(out)
    assert (d["tokens"], d["level"]) == (tokens, level), err
    assert code == (1 if level in ("severe", "blocked") else 0)


PLAN_BAD = [
    (plan_text(training='steps = "1.0001k"\ntokens_per_step = 1'), "plan.training.steps"),
    (plan_text(training='steps = "1e31"\ntokens_per_step = 1'), "plan.training.steps"),
    (plan_text(training='steps = 10\ntokens_per_step = "7X"'), "plan.training.tokens_per_step"),
    (plan_text(model='params = "1.0000000000000000000000000000001"'), "plan.model.params"),
    (plan_text(model='params = "0x10"'), "plan.model.params"),
    (plan_text(extra='[corpus]\nunique_tokens = "lots"'), "plan.corpus.unique_tokens"),
    (plan_text(extra='[corpus]\nunique_tokens = "1e400"'), "plan.corpus.unique_tokens"),
    (plan_text(training='steps = 10\ntokens_per_step = 1\nprior_tokens = "-5"'), "plan.training.prior_tokens"),
    (plan_text(training='steps = 10\nmicro_batch = 2\nseq_len = "8.5"'), "plan.training.seq_len"),
    (plan_text(model='catalog = "a\\nb"'), "plan.model.catalog"),
]


@pytest.mark.parametrize("text, field", PLAN_BAD, ids=[f for _, f in PLAN_BAD][:5] + [
    "unique-words", "unique-1e400", "prior-negative", "seq-len-fraction", "catalog-newline"])
def test_plan_file_values_refused_naming_the_field(text, field, tmp_path, capsys):
    p = tmp_path / "p.toml"
    p.write_text(text)
    line = assert_one_line_error(*run(["report", p], capsys), field)
    assert "\"'" not in line


def test_plan_corpus_size_takes_a_suffix(tmp_path, capsys):
    p = tmp_path / "p.toml"
    p.write_text(plan_text(extra='[corpus]\nunique_tokens = "1.3T"'))
    code, out, _ = run(["report", p, "--json"], capsys)
    assert json.loads(out)["corpus"]["unique_tokens"] == 1.3e12


# =================================================================================================
# 6. The Python API raises only PlannerError subclasses
# =================================================================================================

def only_planner_errors(call):
    try:
        return call()
    except PlannerError as e:
        assert "\n" not in str(e)
        return e
    except Exception as e:  # noqa: BLE001 - any other type is the bug
        pytest.fail(f"{type(e).__name__} escaped: {e}", pytrace=False)


API_BAD = [
    pytest.param(lambda: planner.check(1000, 10, force="no"), "force", id="check-force-string"),
    pytest.param(lambda: planner.check(1000, 10, force=1), "force", id="check-force-int"),
    pytest.param(lambda: planner.verdict.gate.ratio(10, 0), "params", id="ratio-zero-N"),
    pytest.param(lambda: planner.verdict.gate.ratio(-5, 1), "tokens", id="ratio-negative-D"),
    pytest.param(lambda: planner.verdict.gate.ratio("abc", 1), "tokens", id="ratio-text"),
    pytest.param(lambda: planner.verdict.gate.ratio(np.array([1.0, np.nan]), 1), "tokens", id="ratio-nan-in-array"),
    pytest.param(lambda: planner.verdict.gate.steps_to_target(1000, 7.5), "tokens_per_step",
                 id="steps_to_target-fractional-tps"),
    pytest.param(lambda: planner.verdict.gate.steps_to_target(1000, 0), "tokens_per_step",
                 id="steps_to_target-zero-tps"),
    pytest.param(lambda: planner.verdict.gate.tokens_to_target(1000, target="x"), "target",
                 id="tokens_to_target-text-target"),
    pytest.param(lambda: planner.assess(10**30 + 1, 1), "params", id="assess-N-above-limit"),
    pytest.param(lambda: planner.assess(1000, "1e31"), "tokens", id="assess-D-above-limit-text"),
    pytest.param(lambda: planner.assess(1000, 10, tokens_per_step=2.5), "tokens_per_step", id="assess-tps-fraction"),
    pytest.param(lambda: planner.assess(1000, 10, unique_tokens="lots"), "unique_tokens", id="assess-unique-text"),
    pytest.param(lambda: planner.budget(10.5, tokens_per_step=1), "steps", id="budget-fractional-steps"),
    pytest.param(lambda: planner.budget(10, micro_batch=np.array([1, 2]), seq_len=8), "micro_batch",
                 id="budget-array-micro-batch"),
    pytest.param(lambda: planner.training.budget.training_tokens(np.array([1.5]), 10), "steps",
                 id="training_tokens-fractional"),
    pytest.param(lambda: planner.training.budget.training_tokens([1, 2], 10), "steps", id="training_tokens-list"),
    pytest.param(lambda: planner.sweep(1e9, 1e10, steps=10, tokens_per_step=10), "tokens", id="sweep-contradictory"),
    pytest.param(lambda: planner.sweep(np.array([1e9, -1.0]), 1e10), "params", id="sweep-negative-N"),
    pytest.param(lambda: planner.sweep(1e9, steps=np.array([1.5]), tokens_per_step=10), "steps",
                 id="sweep-fractional-steps"),
    pytest.param(lambda: planner.sweep(1e9, np.array(["a"])), "tokens", id="sweep-text-array"),
    pytest.param(lambda: planner.count_params(5), "config", id="count-int-source"),
    pytest.param(lambda: planner.count_params("no-such-model-9000"), "model", id="count-unknown-model"),
    pytest.param(lambda: planner.count_params("/dev/zero"), "config", id="count-dev-zero"),
    pytest.param(lambda: planner.load_plan("/no/such/plan.toml"), "plan", id="load_plan-missing"),
    pytest.param(lambda: planner.Architecture(num_layers="1.5", hidden_size=8, num_heads=2, vocab_size=10),
                 "num_layers", id="Architecture-fractional-text"),
    pytest.param(lambda: planner.Thresholds(block="ten"), "block", id="Thresholds-text"),
]


@pytest.mark.parametrize("call, field", API_BAD)
def test_the_api_raises_planner_errors_naming_the_argument(call, field):
    e = only_planner_errors(call)
    assert isinstance(e, PlannerError), f"accepted: {e!r}"
    assert field in e.field or field in str(e), (field, str(e))


API_GOOD = [
    # (call, expected by hand)
    pytest.param(lambda: planner.verdict.gate.ratio(10**17 - 1, 10**16) < 10, True,
                 id="ratio-rounds-toward-zero-at-1e16"),
    pytest.param(lambda: planner.assess(10**16, 10**17 - 1).level, "blocked", id="assess-1e16-just-below-10"),
    pytest.param(lambda: planner.assess(10**16, 10**17).level, "below-optimal", id="assess-1e16-on-10"),
    pytest.param(lambda: planner.verdict.gate.level(planner.verdict.gate.ratio(10**17 - 1, 10**16)), "blocked",
                 id="level-of-ratio-1e16"),
    pytest.param(lambda: planner.sweep([10**16], [10**17 - 1]).level.tolist(), ["blocked"], id="sweep-1e16"),
    pytest.param(lambda: planner.sweep(np.array([1e16]), np.array([1e17])).level.tolist(), ["below-optimal"],
                 id="sweep-float-on-the-line"),
    pytest.param(lambda: planner.assess("7B", "140B").level, "compute-optimal", id="assess-text-suffixes"),
    pytest.param(lambda: planner.assess(np.int64(1000), np.float64(1e4)).level, "below-optimal",
                 id="assess-numpy-scalars"),
    pytest.param(lambda: planner.assess(np.array(1000), np.array(9999)).level, "blocked", id="assess-0d-arrays"),
    pytest.param(lambda: planner.training.budget.training_tokens(np.array(3), np.int64(10)), 30,
                 id="training_tokens-0d"),
    pytest.param(lambda: planner.budget("1,000", tokens_per_step="2M").tokens, 2 * 10**9, id="budget-text"),
    pytest.param(lambda: planner.verdict.gate.tokens_to_target(10**16, 20, 10**17), 10**17, id="tokens_to_target-1e16"),
    pytest.param(lambda: planner.verdict.gate.steps_to_target(10**16, 3), -(-2 * 10**17 // 3),
                 id="steps_to_target-1e16"),
    pytest.param(lambda: len(planner.sweep(np.geomspace(1e8, 1e10, 50), steps=np.arange(1, 101) * 1000,
                                           tokens_per_step=2**21, grid=True)), 5000, id="sweep-real-N-grid"),
    pytest.param(lambda: planner.sweep(1.5e9, 1e10).level.tolist(), ["blocked"], id="sweep-all-scalars"),
]


@pytest.mark.parametrize("call, expected", API_GOOD)
def test_the_api_gives_exact_answers_for_every_input_kind(call, expected):
    got = only_planner_errors(call)
    assert not isinstance(got, PlannerError), got
    assert got == expected


def test_series_in_gives_values_out():
    pd = pytest.importorskip("pandas")
    r = planner.verdict.gate.ratio(pd.Series([10.0, 20.0]), 2)
    assert list(np.asarray(r)) == [5.0, 10.0]
    assert list(np.asarray(planner.training.budget.training_tokens(pd.Series([1, 2]), 10))) == [10, 20]


# =================================================================================================
# 7. The workbook's text boxes (import-light: the same parser, as the boxes call it)
# =================================================================================================

@pytest.mark.parametrize("typed, kwargs, expected", [
    ("1,206,135", {}, 1_206_135), ("1.24B", {}, 1_240_000_000), ("2,700", {}, 2700), ("16", {}, 16),
    ("1.2M", {}, 1_200_000),
], ids=["steps-commas", "tokens-B", "steps-2700", "gpus", "steps-M"])
def test_workbook_counts_as_typed(typed, kwargs, expected):
    assert validate.count("steps", typed, **kwargs) == expected


@pytest.mark.parametrize("typed, expected", [("40%", 0.4), ("55 %", 0.55), ("0.4", 0.4), ("100%", 1.0),
                                             ("0.1%", 0.001)])
def test_workbook_mfu_box_takes_percentages(typed, expected):
    assert validate.positive_real("MFU", typed, minimum=0.001, inclusive=True, maximum=1, percent=True) == expected


@pytest.mark.parametrize("typed", ["140%", "0%", "-5%", "40 percent", "%", "0.0001"])
def test_workbook_mfu_box_refuses(typed):
    with pytest.raises(InputError, match="^MFU: "):
        validate.positive_real("MFU", typed, minimum=0.001, inclusive=True, maximum=1, percent=True)
