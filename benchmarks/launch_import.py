#!/usr/bin/env python3
"""Reading launch files, and the gate inside a trainer, each against a baseline timed in the same run.

    python benchmarks/launch_import.py

1. ``read_launch_config(...).plan()`` for each published fixture, against ``load_plan`` of a
   plan TOML (the file a user would otherwise write by hand) — the same job, the same process.
2. With torch and transformers installed: the Hugging Face callback's ``on_train_begin`` (count
   the parameters, peek at the first batch, run the gate) against one optimizer step of the same
   tiny model, so the gate's cost reads as a fraction of a training step.
Medians of repeated runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import planner  # noqa: E402
from planner.launch import read_launch_config  # noqa: E402

FIX = ROOT / "tests" / "fixtures" / "launch"
CASES = [("megatron_gpt3_175b.sh", "megatron", {"gpus": 1024}),
         ("torchtitan_llama3_8b.toml", "torchtitan", {"gpus": 64}),
         ("litgpt_tinyllama.yaml", "litgpt", {"gpus": 8}), ("nanogpt_train_gpt2.py", "nanogpt", {"gpus": 8}),
         ("hf_zephyr_7b_sft_full.yaml", "hf-trainer", {"gpus": 8, "dataset_size": 207_865})]


def median_time(fn, repeat: int = 21) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def readers() -> None:
    baseline = median_time(lambda: planner.load_plan(ROOT / "data" / "plans" / "origin-case.toml"))
    print(f"baseline load_plan(origin-case.toml): {baseline * 1e3:.2f} ms")
    print(f"{'launch file':<30} {'ms':>7} {'× load_plan':>12}")
    for name, fmt, kw in CASES:
        read_launch_config(FIX / name, fmt, **kw).plan()  # warm the caches (data/launch lists, the catalog)
        t = median_time(lambda name=name, fmt=fmt, kw=kw: read_launch_config(FIX / name, fmt, **kw).plan())
        print(f"{name:<30} {t * 1e3:7.2f} {t / baseline:12.1f}")


def callback() -> None:
    try:
        import torch
        from transformers import GPT2Config, GPT2LMHeadModel, TrainerControl, TrainerState, TrainingArguments
    except ImportError:
        print("callback: torch/transformers not installed, skipped")
        return
    from planner.integrations.hf import PlannerCallback
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=1000, n_positions=128))
    batch = {"input_ids": torch.randint(0, 1000, (8, 128))}
    batch["labels"] = batch["input_ids"]
    loader = torch.utils.data.DataLoader([{k: v[i] for k, v in batch.items()} for i in range(8)], batch_size=8)
    args = TrainingArguments(output_dir="/tmp/planner-bench", max_steps=100, per_device_train_batch_size=8,
                             report_to=[], use_cpu=True)
    state, control = TrainerState(max_steps=100), TrainerControl()
    cb = PlannerCallback(force=True)
    import logging
    logging.getLogger("planner").setLevel(logging.CRITICAL)
    gate = median_time(lambda: cb.on_train_begin(args, state, control, model=model, train_dataloader=loader))
    opt = torch.optim.AdamW(model.parameters())

    def step():
        opt.zero_grad()
        model(**batch).loss.backward()
        opt.step()
    step()
    one_step = median_time(step)
    print(f"HF callback on_train_begin: {gate * 1e3:.2f} ms; one optimizer step of the same "
          f"{sum(p.numel() for p in model.parameters()):,}-parameter model (batch 8 × 128): {one_step * 1e3:.2f} ms; "
          f"the gate costs {gate / one_step:.2%} of one step, once per run")


if __name__ == "__main__":
    readers()
    callback()
