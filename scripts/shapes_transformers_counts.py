#!/usr/bin/env python3
"""Regenerate tests/fixtures/shapes_transformers_counts.json: proposed shapes, counted by transformers.

    /work/venv-hf/bin/python scripts/shapes_transformers_counts.py   # a Python with torch and transformers

Each proposed config.json is instantiated with ``AutoModelForCausalLM.from_config`` on the meta device (no
weights allocated) and its parameters summed: an independent count for tests/test_shapes.py.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoConfig, AutoModelForCausalLM  # noqa: E402

from planner.model.shapes import propose_shapes  # noqa: E402

CASES = [("llama", 1.3e9), ("qwen2", 2.3e8), ("qwen3", 1e9), ("gemma2", 2e9), ("gpt2", 3.5e8), ("gpt_neox", 1.4e9),
         ("mixtral", 47e9), ("mistral", 7e9)]

rows = []
for family, target in CASES:
    for s in propose_shapes(target, family, count=2):
        with torch.device("meta"):
            model = AutoModelForCausalLM.from_config(AutoConfig.for_model(**s.config))
        rows.append({"family": family, "config": s.config,
                     "transformers_total": sum(p.numel() for p in model.parameters())})
out = ROOT / "tests" / "fixtures" / "shapes_transformers_counts.json"
out.write_text(json.dumps({"source": f"configs proposed by planner shape; counted by transformers "
                                     f"{transformers.__version__} (torch {torch.__version__}): sum of numel over "
                                     "AutoModelForCausalLM.from_config(...).parameters() on the meta device",
                           "shapes": rows}, indent=1))
print(f"wrote {out} ({len(rows)} shapes)")
