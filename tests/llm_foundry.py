"""llm-foundry's published MPT benchmark tables (``tests/fixtures/llm_foundry_benchmarks.md``, a verbatim copy with
its source), read into the planner's models and layouts: 216 runs, each at the micro-batch MosaicML tuned for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from measured_runs import _gpt

import planner
from planner.training.parallelism import Parallelism

TABLES = Path(__file__).parent / "fixtures" / "llm_foundry_benchmarks.md"
#: llm-foundry's MPT yamls (scripts/train/yamls/pretrain/mpt-*.yaml): layers, d_model, heads; 4·d MLP, vocabulary
#: 50,368, learned positions in the benchmark runs.
SIZES = {"125m": (12, 768, 12), "350m": (24, 1024, 16), "760m": (24, 1536, 12), "1b": (24, 2048, 16),
         "3b": (32, 2560, 20), "7b": (32, 4096, 32), "13b": (40, 5120, 40), "30b": (48, 7168, 56),
         "70b": (80, 8192, 64)}
ACCELERATORS = {"h100_80gb": "h100-sxm", "a100_80gb": "a100", "a100_40gb": "a100-40gb"}


@dataclass(frozen=True)
class Run:
    """One row of the tables: its label, the model, the layout it ran, the accelerator key and the measured
    tokens per second per GPU."""

    label: str
    model: planner.Architecture
    layout: Parallelism
    accelerator: str
    tokens_per_gpu_s: float


def runs() -> list[Run]:
    """Every row of the tables."""
    out = []
    for line in TABLES.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 20 or cells[0] not in SIZES:
            continue
        size, seq, gpus, gpu, micro, accum, measured = (cells[i] for i in (0, 1, 2, 3, 7, 8, 12))
        precision, sharding, checkpointing = cells[14], cells[16], cells[17]
        layers, d, heads = SIZES[size]
        # Composer's FSDP: FULL_SHARD is ZeRO-3, SHARD_GRAD_OP ZeRO-2
        layout = Parallelism(micro_batch=int(micro), seq_len=int(seq), gpus=int(gpus), micro_batches=int(accum),
                             fsdp="full" if sharding == "FULL_SHARD" else "grad-op",
                             recompute="full" if checkpointing == "True" else "none", flash_attention=True,
                             framework="llm-foundry", fp8=precision == "amp_fp8")
        out.append(Run(f"{size} {seq} × {gpus} {gpu} {precision} micro-batch {micro}",
                       _gpt(layers, d, heads, 50368, int(seq), dropout=0.0), layout, ACCELERATORS[gpu],
                       float(measured)))
    return out
