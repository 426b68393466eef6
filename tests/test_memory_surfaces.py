"""The memory model's parts, band and behaviour on every surface: Python, CLI text and JSON, plan files, the review,
the memory bar and launch files. Expected values: torchtitan's measured run (82.4 GiB reserved) and hand counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import planner
from planner.cli import main
from planner.surfaces.memory_bar import memory_bar_html
from planner.training.memory import memory_estimate
from planner.training.memory.calibration import ALLOCATOR_SHARE, BAND
from planner.training.parallelism import Parallelism

ROOT = Path(__file__).resolve().parents[1]
GIB = 2**30
TT = ["--model", "llama-3-8b", "--micro-batch", "2", "--seq-len", "8192", "--gpus", "8", "--fsdp", "full",
      "--recompute", "selective", "--flash-attention", "--framework", "torchtitan"]
PLAN = """name = "torchtitan FSDP 8"
[model]
catalog = "llama-3-8b"
[training]
steps = 1000
micro_batch = 2
grad_accum = 1
data_parallel = 8
seq_len = 8192
[hardware]
accelerator = "{acc}"
count = 8
[parallelism]
fsdp = "full"
recompute = "selective"
flash_attention = true
framework = "torchtitan"
"""


def test_python_cli_text_and_json_agree_on_parts_band_and_behaviour(capsys):
    p = Parallelism(micro_batch=2, seq_len=8192, gpus=8, fsdp="full", recompute="selective", flash_attention=True,
                    framework="torchtitan")
    e = memory_estimate(planner.architecture("llama-3-8b"), p, "h200")
    assert round(e.reserved / GIB, 1) == 82.4                    # torchtitan's measured peak reserved memory
    assert e.upper == pytest.approx(e.total * (1 + BAND)) and e.fits is True
    assert main(["memory", *TT, "--accelerator", "h200", "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["framework"] == "torchtitan" and j["band"] == BAND and j["total"] == round(e.total)
    assert j["upper"] == round(e.upper) and j["buffers"] == round(e.buffers) and j["allocator"] == round(e.allocator)
    assert j["allocator"] == pytest.approx(ALLOCATOR_SHARE * (e.reserved - e.allocator), abs=1)
    assert main(["memory", *TT, "--accelerator", "h200"]) == 0
    text = capsys.readouterr().out
    assert f"{e.total / GIB:.2f} GiB per GPU, {e.lower / GIB:.2f} GiB to {e.upper / GIB:.2f} GiB (± 10%)" in text
    assert "Behaviour      torchtitan; selective = op-level (every other matmul kept); loss fp32-upcast" in text
    assert "Buffers" in text and "Allocator" in text


def test_within_the_band_is_not_a_fit_and_the_cli_blocks_it(capsys):
    e = memory_estimate(planner.architecture("llama-3-8b"),
                        Parallelism(micro_batch=2, seq_len=8192, gpus=8, fsdp="full", recompute="selective",
                                    flash_attention=True, framework="torchtitan"))
    capacity = (e.total + e.upper) / 2                           # above the estimate, below its upper end
    tight = memory_estimate(planner.architecture("llama-3-8b"), e.layout, capacity)
    assert tight.total < capacity and tight.fits is False and tight.max_micro_batch == 1
    assert "within the estimate's uncertainty: it may run out of memory" in tight.message
    assert tight.fix is not None and tight.fix.estimate.upper <= capacity


def test_a_plan_file_keeps_the_framework_and_the_review_shows_the_band(tmp_path, capsys):
    path = tmp_path / "tt.toml"
    path.write_text(PLAN.format(acc="h200"))
    plan = planner.load_plan(path)
    assert plan.parallelism.framework == "torchtitan"
    a = planner.assess_plan(plan)
    assert round(a.memory.reserved / GIB, 1) == 82.4 and a.memory.fits is True
    again = planner.load_plan(planner.save_plan(plan, tmp_path / "again.toml"))
    assert again.parallelism == plan.parallelism
    assert main(["report", str(path), "--json", "--force-under-provisioned"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["memory"]["framework"] == "torchtitan" and j["memory"]["band"] == BAND
    out = tmp_path / "review.html"
    assert main(["review", str(path), "-o", str(out)]) in (0, 1)
    html = out.read_text()
    assert "± 10%" in html and "op-level (every other matmul kept)" in html


def test_a_plan_over_the_h100_blocks_on_every_surface(tmp_path, capsys):
    # the measured 82.4 GiB run on an 80 GiB H100: the planner must not call it a fit
    path = tmp_path / "tt.toml"
    path.write_text(PLAN.format(acc="h100-sxm"))
    a = planner.assess_plan(planner.load_plan(path))
    assert a.memory.fits is False and a.verdict.fits is False and a.verdict.status == "does-not-fit"
    assert main(["report", str(path), "--json", "--force-under-provisioned"]) == 1   # memory alone blocks it
    j = json.loads(capsys.readouterr().out)
    assert j["verdict"]["fits"] is False and j["memory"]["fits"] is False


def test_the_memory_bar_shows_the_band_the_behaviour_and_a_red_line():
    e = memory_estimate(planner.architecture("llama-3-8b"),
                        Parallelism(micro_batch=2, seq_len=8192, gpus=8, fsdp="full", recompute="selective",
                                    flash_attention=True, framework="torchtitan"), "h100-sxm")
    html = memory_bar_html(e)
    assert "repeating-linear-gradient" in html and "± 10% up to" in html
    assert "as torchtitan; selective = op-level" in html and "#D55E00" in html and 'data-fits="does-not-fit"' in html


def test_launch_files_set_the_framework(tmp_path):
    lc = planner.read_launch_config(ROOT / "tests/fixtures/launch/torchtitan_llama3_8b.toml", "torchtitan", gpus=64)
    layout = lc.layout()
    assert layout.framework == "torchtitan" and layout.flash_attention and layout.recompute == "selective"
    mg = planner.read_launch_config(ROOT / "tests/fixtures/launch/megatron_gpt3_175b.sh", "megatron", gpus=1024)
    assert mg.layout().framework == "megatron" and mg.layout().grad_bytes == 4
    toml = (ROOT / "tests/fixtures/launch/torchtitan_llama3_8b.toml").read_text()
    per_layer = toml.replace('selective_ac_option = "op"', 'selective_ac_option = "2"', 1)
    (tmp_path / "tt.toml").write_text(per_layer)
    layout = planner.read_launch_config(tmp_path / "tt.toml", "torchtitan", gpus=64).layout()
    assert layout.recompute == "full" and layout.recompute_layers == 16   # every 2nd of 32 layers checkpointed


def test_context_parallel_launch_files_are_estimated_not_refused(tmp_path):
    toml = (ROOT / "tests/fixtures/launch/torchtitan_llama3_8b.toml").read_text()
    toml = toml.replace("context_parallel_degree = 1", "context_parallel_degree = 2")
    (tmp_path / "cp.toml").write_text(toml)
    r = subprocess.run([sys.executable, "-m", "planner", "memory", "--launch-config", str(tmp_path / "cp.toml"),
                        "--format", "torchtitan", "--gpus", "64", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["layout"]["cp"] == 2 and j["layout"]["data_parallel"] == 32


def test_the_workbook_chooses_the_framework_and_its_bar_follows(tmp_path):
    from planner.surfaces.widgets import Workbook
    path = tmp_path / "tt.toml"
    path.write_text(PLAN.format(acc="h200"))
    wb = Workbook()
    wb.open_plan(path)
    assert wb.framework.value == "torchtitan"                          # a plan's framework shows in its control
    assert round(wb.assessment.memory.reserved / GIB, 1) == 82.4       # the measured run, as in Python and the CLI
    assert "as torchtitan; selective = op-level" in memory_bar_html(wb.assessment.memory)
    wb.set(framework="megatron")                                       # Korthikanti's selective keeps far more
    assert wb.assessment.memory.layout.framework == "megatron"
    assert wb.assessment.memory.activations_per_layer > 1.9 * memory_estimate(
        planner.architecture("llama-3-8b"), planner.load_plan(path).parallelism).activations_per_layer
    assert wb.plan().parallelism.framework == "megatron"
