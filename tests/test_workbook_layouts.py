"""The workbook's layout search: the same options as `planner layout`, and a button that puts one into the controls."""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.surfaces.widgets import Workbook
from planner.verdict.layouts import plan_layouts

ROOT = Path(__file__).resolve().parents[1]


def test_the_workbook_shows_the_clis_layouts_and_loads_one():
    wb = Workbook()
    wb.open_plan(ROOT / "data" / "plans" / "llama-3-8b.toml")
    report = wb.fastest_layouts()
    want = plan_layouts(planner.load_plan(ROOT / "data" / "plans" / "llama-3-8b.toml"), top=3)
    assert [o.layout for o in report.options] == [o.layout for o in want.options]
    assert "planner-layouts" in wb.layouts_out.value and len(wb.layout_buttons.children) == 3
    wb.layout_buttons.children[1].click()
    chosen = report.options[1].layout
    plan = wb.plan()
    assert plan.parallelism.tp == chosen.tp and plan.parallelism.cp == chosen.cp and plan.count == chosen.num_gpus
    assert plan.budget.tokens_per_step == 16_777_216          # the global batch kept
    assert wb.assessment.predicted.step_seconds == pytest.approx(report.options[1].step_seconds)
    assert wb.assessment.memory.fits is True


def test_a_megatron_layout_keeps_tp_overlap_while_there_is_tp_to_overlap(tmp_path):
    # the search overlaps Megatron's TP collectives with the matmuls (--tp-comm-overlap); the workbook has no control
    # for it, so a loaded layout keeps it, and drops it when TP goes to 1 or the framework cannot overlap
    plan = planner.load_plan(ROOT / "data" / "plans" / "llama-3-8b.toml")   # DP 2,048 of 16,384 GPUs: TP 8
    layout = planner.Parallelism(micro_batch=1, seq_len=8192, tp=8, sp=True, dp=2048, gpus=16384,
                                 framework="megatron", flash_attention=True)
    plan_file = planner.save_plan(plan.with_(parallelism=layout), tmp_path / "mega.toml")
    wb = Workbook()
    wb.open_plan(plan_file)
    report = wb.fastest_layouts()
    rank = next(i for i, o in enumerate(report.options) if o.layout.tp > 1)
    wb.layout_buttons.children[rank].click()
    assert wb.plan().parallelism.tp_overlap is True and wb.error is None
    wb.set(tp=1)
    assert wb.error is None and wb.plan().parallelism.tp_overlap is False
    wb.set(tp=2, framework="deepspeed")
    assert wb.error is None and wb.plan().parallelism.tp_overlap is False


def test_the_workbook_keeps_what_is_typed_beside_the_button_as_the_cli_does():
    # Llama 3 8B on 16,384 H100s: keeping CP 1 and TP 8 gives `planner layout --keep cp=1,tp=8`'s options; a setting
    # the search does not know is refused in one line naming it, and clearing the box searches everything again
    wb = Workbook()
    wb.open_plan(ROOT / "data" / "plans" / "llama-3-8b.toml")
    wb.layouts_keep.value = "cp=1, tp=8"
    report = wb.fastest_layouts()
    want = plan_layouts(planner.load_plan(ROOT / "data" / "plans" / "llama-3-8b.toml"), top=3, keep="tp=8,cp=1")
    assert report.keep == {"tp": 8, "cp": 1} and report.options
    assert [o.layout for o in report.options] == [o.layout for o in want.options]
    assert all(o.layout.tp == 8 and o.layout.cp == 1 for o in report.options)
    assert "Kept as given: TP 8, CP 1" in wb.layouts_out.value
    wb.layouts_keep.value = "stages=4"
    wb.layouts_button.click()
    assert "keep" in wb.layouts_out.value and "stages" in wb.layouts_out.value and "Traceback" not in \
        wb.layouts_out.value
    wb.layouts_keep.value = ""
    assert wb.fastest_layouts().keep == {}


def test_a_loaded_interleaved_layout_drops_its_virtual_stages_where_they_cannot_run(tmp_path):
    # virtual stages have no control: a loaded layout keeps them while there is a pipeline in a stack that
    # interleaves, and drops them at PP 1 or under DeepSpeed, whose pipeline runs 1F1B only
    plan = planner.load_plan(ROOT / "data" / "plans" / "llama-3-8b.toml")    # 2,048 sequences a step
    plan = plan.with_(budget=planner.budget(plan.budget.steps, micro_batch=1, seq_len=8192, grad_accum=4,
                                            data_parallel=512))
    layout = planner.Parallelism(micro_batch=1, seq_len=8192, tp=8, sp=True, pp=4, vpp=2, dp=512, gpus=16384,
                                 framework="megatron", flash_attention=True)
    wb = Workbook()
    wb.open_plan(planner.save_plan(plan.with_(parallelism=layout), tmp_path / "vpp.toml"))
    assert wb.plan().parallelism.vpp == 2 and wb.error is None
    wb.set(framework="deepspeed")
    assert wb.error is None and wb.plan().parallelism.vpp == 1 and wb.plan().parallelism.pp == 4
    wb.set(framework="megatron")
    assert wb.error is None and wb.plan().parallelism.vpp == 2
    wb.set(pp=1)
    assert wb.error is None and wb.plan().parallelism.vpp == 1


def test_a_kept_expert_parallel_degree_applies_while_the_model_and_the_gpus_can_use_it(tmp_path):
    # EP has no control: a plan's EP 8 (Qwen3-30B-A3B's 128 experts over DP 8) is kept while the model has experts it
    # divides and the data-parallel ranks spread them; a dense base model or 12 data-parallel ranks drop it, and
    # the MoE model with 8 ranks again brings it back. It had stopped the workbook ("ep: must be 1 for a dense
    # model") with no control to change
    moe = planner.architecture("qwen3-30b-a3b")
    layout = planner.Parallelism(micro_batch=1, seq_len=4096, ep=8, dp=8, gpus=8, zero=1, framework="megatron",
                                 flash_attention=True)
    plan = planner.Plan(budget=planner.budget(1000, micro_batch=1, seq_len=4096, data_parallel=8), model=moe,
                        count=8, accelerator="h100-sxm", parallelism=layout)
    wb = Workbook()
    wb.open_plan(planner.save_plan(plan, tmp_path / "moe.toml"))
    assert wb.error is None and wb.plan().parallelism.ep == 8
    wb.set(model="qwen3-8b")
    assert wb.error is None and wb.plan().parallelism.ep == 1
    wb.set(model="qwen3-30b-a3b")
    assert wb.error is None and wb.plan().parallelism.ep == 8
    wb.set(data_parallel=12, gpus=12)
    assert wb.error is None and wb.plan().parallelism.ep == 1


def test_folded_experts_are_kept_while_ep_times_etp_tiles_the_ranks(tmp_path):
    # Qwen3-30B-A3B on TP 2 × DP 4 with its experts whole on each rank (ETP 1) over EP 8: EP spans the TP ranks
    # (Megatron's MoE parallel folding), so it is kept though DP 4 alone would not spread 8 ranks of experts
    moe = planner.architecture("qwen3-30b-a3b")
    layout = planner.Parallelism(micro_batch=1, seq_len=4096, tp=2, sp=True, ep=8, etp=1, dp=4, gpus=8, zero=1,
                                 framework="megatron", flash_attention=True)
    plan = planner.Plan(budget=planner.budget(1000, micro_batch=1, seq_len=4096, data_parallel=4), model=moe,
                        count=8, accelerator="h100-sxm", parallelism=layout)
    wb = Workbook()
    wb.open_plan(planner.save_plan(plan, tmp_path / "folded.toml"))
    got = wb.plan().parallelism
    assert wb.error is None and (got.tp, got.ep, got.etp) == (2, 8, 1)
    wb.set(data_parallel=2, gpus=4)                       # TP 2 × DP 2: four ranks cannot hold EP 8
    assert wb.error is None and wb.plan().parallelism.ep == 1
