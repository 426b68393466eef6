#!/usr/bin/env python3
"""Counting N from a checkpoint's headers does not grow with the checkpoint: a benchmark.

    python benchmarks/checkpoint_headers.py   # prints a table, writes benchmarks/results/checkpoint_headers.json

For safetensors, a sharded index and GGUF, two valid checkpoints with the same tensor names (the
291 tensors of Llama-3-8B) are written: a 10 MB one (1-D shapes scaled down: the baseline, timed
in the same run) and one with Llama-3-8B's real shapes, 8,030,261,248 parameters, whose 16 GB of
BF16 data is a *sparse* hole (no disk blocks, but ``os.stat`` says 16 GB and reading it would
take many seconds). The ratio of the two median times is the figure; it stays near 1 because
only the header bytes are read. As a second baseline the script times the reference reader, ``safetensors.safe_open``
(which memory-maps the file), when the package is installed.

Needs only the planner, numpy and (optional, for the GGUF writer and the reference reader) the
``gguf`` and ``safetensors`` packages from the ``test`` extra.
"""

from __future__ import annotations

import json
import platform
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.model import checkpoints  # noqa: E402

SMALL = 10 * 10**6  # bytes of data in the small checkpoint
RESULTS = Path(__file__).resolve().parent / "results" / "checkpoint_headers.json"


def llama3_8b_tensors() -> dict[str, tuple[int, ...]]:
    """Llama-3-8B's tensor names and shapes (Hugging Face layout): 291 tensors."""
    d, f, V, L, kv = 4096, 14336, 128256, 32, 1024
    t = {"model.embed_tokens.weight": (V, d), "model.norm.weight": (d,), "lm_head.weight": (V, d)}
    for i in range(L):
        p = f"model.layers.{i}."
        t.update({p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (kv, d),
                  p + "self_attn.v_proj.weight": (kv, d), p + "self_attn.o_proj.weight": (d, d),
                  p + "mlp.gate_proj.weight": (f, d), p + "mlp.up_proj.weight": (f, d),
                  p + "mlp.down_proj.weight": (d, f), p + "input_layernorm.weight": (d,),
                  p + "post_attention_layernorm.weight": (d,)})
    return t


def numel(shape) -> int:
    n = 1
    for x in shape:
        n *= x
    return n


def small_version(tensors: dict) -> dict:
    """The same names, 1-D shapes scaled so that the whole file holds about 10 MB of BF16."""
    total = sum(numel(v) for v in tensors.values())
    return {k: (max(1, numel(v) * (SMALL // 2) // total),) for k, v in tensors.items()}


def write_safetensors(path: Path, tensors: dict) -> None:
    """A valid safetensors file (BF16) for ``tensors``; the data section is a sparse hole."""
    header, pos = {}, 0
    for name, shape in tensors.items():
        size = 2 * numel(shape)
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [pos, pos + size]}
        pos += size
    raw = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        f.truncate(8 + len(raw) + pos)


def write_gguf(path: Path, tensors: dict) -> None:
    """A valid GGUF (F16 tensors, a 128,256-token vocabulary); the data section is a sparse hole."""
    import gguf
    import numpy as np

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(32)
    w.add_token_list([f"t{i}" for i in range(128256)])  # the tokenizer metadata a real GGUF carries
    data = 0
    for name, shape in tensors.items():
        w.add_tensor_info(name, shape, np.dtype(np.float16), 2 * numel(shape))
        data += 2 * numel(shape) + (-2 * numel(shape)) % 32
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    with open(path, "r+b") as f:
        f.seek(0, 2)
        end = f.tell()
        f.truncate(end + (-end) % 32 + data)


def median_time(fn, repeat: int = 15) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    tensors = llama3_8b_tensors()
    assert len(tensors) == 291 and sum(numel(s) for s in tensors.values()) == 8_030_261_248
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small_t = small_version(tensors)
        write_safetensors(tmp / "small.safetensors", small_t)
        write_safetensors(tmp / "big.safetensors", tensors)  # 16 GB of BF16, a sparse hole on disk
        assert checkpoints.read_checkpoint(tmp / "big.safetensors").total == 8_030_261_248
        rows.append(("safetensors, 1 file", tmp / "small.safetensors", tmp / "big.safetensors"))
        for kind, ts in (("small", small_t), ("big", tensors)):  # 4 shards + index
            folder = tmp / f"{kind}-sharded"
            folder.mkdir()
            names, weight_map = list(ts), {}
            for s_ in range(4):
                part = {n: ts[n] for n in names[s_::4]}
                shard = f"model-{s_ + 1:05d}-of-00004.safetensors"
                write_safetensors(folder / shard, part)
                weight_map.update({n: shard for n in part})
            (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
        assert checkpoints.read_checkpoint(tmp / "big-sharded" / "model.safetensors.index.json").total == 8_030_261_248
        rows.append(("safetensors, 4 shards + index", tmp / "small-sharded" / "model.safetensors.index.json",
                     tmp / "big-sharded" / "model.safetensors.index.json"))
        try:
            write_gguf(tmp / "small.gguf", small_t)
            write_gguf(tmp / "big.gguf", tensors)
            assert checkpoints.read_checkpoint(tmp / "big.gguf").total == 8_030_261_248
            rows.append(("GGUF, 128,256-token vocabulary in the header", tmp / "small.gguf", tmp / "big.gguf"))
        except ImportError:
            print("gguf not installed: GGUF row skipped", file=sys.stderr)

        results = []
        for what, small, big in rows:
            s_size = sum(p.stat().st_size
                         for p in ([small] if small.suffix != ".json" else small.parent.glob("*.safetensors")))
            b_size = sum(p.stat().st_size
                         for p in ([big] if big.suffix != ".json" else big.parent.glob("*.safetensors")))
            t_small = median_time(lambda small=small: checkpoints.read_checkpoint(small))
            t_big = median_time(lambda big=big: checkpoints.read_checkpoint(big))
            results.append({"what": what, "small_bytes": s_size, "big_bytes": b_size, "small_s": t_small,
                            "big_s": t_big, "ratio": t_big / t_small})
        try:
            from safetensors import safe_open

            def reference():
                with safe_open(str(tmp / "big.safetensors"), framework="numpy") as f:
                    return sum(numel(f.get_slice(k).get_shape()) for k in f.keys())  # noqa: SIM118 (safe_open is not iterable)
            assert reference() == 8_030_261_248
            ref = median_time(reference)
        except ImportError:
            ref = None
    print(f"{'what':42s} {'10 MB file':>12s} {'16 GB sparse':>14s} {'ratio':>7s}")
    for r in results:
        print(f"{r['what']:42s} {r['small_s'] * 1e3:10.2f} ms {r['big_s'] * 1e3:12.2f} ms {r['ratio']:6.2f}×")
    if ref is not None:
        print(f"reference: safetensors.safe_open on the big file, keys + shapes: {ref * 1e3:.2f} ms "
              f"(planner: {results[0]['big_s'] * 1e3:.2f} ms)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.processor() or platform.machine(),
                                   "python": platform.python_version(),
                                   "rows": results, "safetensors_safe_open_s": ref}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
