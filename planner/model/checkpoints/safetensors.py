"""safetensors headers: a single file and a sharded checkpoint's ``model.safetensors.index.json``.

A ``*.safetensors`` file starts with an 8-byte little-endian header length and a JSON header of
``{name: {"dtype", "shape", "data_offsets"}}`` plus an optional ``__metadata__``; only those bytes are
read. The header is checked as the safetensors library checks it (the tensors tile the data without
overlaps or gaps). An index's ``weight_map`` names shards that must sit beside it; each is read once.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import BinaryIO

from ... import files
from ...errors import ConfigError
from .count import CheckpointCount

MAX_SAFETENSORS_HEADER = 100_000_000    # the safetensors library's own limit on the JSON header
MAX_INDEX_BYTES = 64 * 1024 * 1024      # a model.safetensors.index.json
MAX_SHARDS = 100_000

# safetensors dtypes -> bits per element (F4/F6 are sub-byte formats)
SAFETENSORS_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}
INTEGER_DTYPES = {"BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64"}


def _read_exact(f: BinaryIO, n: int, path: Path, what: str) -> bytes:
    """Exactly ``n`` bytes from ``f``; a shorter read is a truncated file."""
    data = f.read(n)
    if len(data) != n:
        raise ConfigError("checkpoint", f"truncated {what}: wanted {n:,} bytes, the file ends after {len(data):,}: "
                                        f"{files.display(path)}")
    return data


def _numel(shape: object, where: str, path: Path) -> int:
    """Elements of a shape: a list of non-negative integers."""
    if not isinstance(shape, list) or any(type(x) is not int or x < 0 for x in shape):
        raise ConfigError(f"{where}.shape", f"must be a list of non-negative integers, got {shape!r:.60}: "
                                            f"{files.display(path)}")
    n = 1
    for x in shape:
        n *= x
    return n


def read_safetensors(path: str | os.PathLike[str]) -> CheckpointCount:
    """Count one ``.safetensors`` file from its header alone.

    Args:
        path: the file.

    Returns:
        A ``CheckpointCount`` with every tensor's element count and the bytes per dtype.

    Raises:
        ConfigError: the path is not a regular file, or the header is truncated, too long,
            not a JSON object, names an unknown dtype, has a shape that is not a list of
            non-negative integers, or data offsets that are inconsistent or past the end of
            the file.
    """
    f, size, p = files.open_regular(path, "checkpoint")
    with f:
        head = _read_exact(f, 8, p, "safetensors header length (8 bytes)")
        n = struct.unpack("<Q", head)[0]
        if n > MAX_SAFETENSORS_HEADER:
            raise ConfigError("checkpoint", f"safetensors header length {n:,} bytes is absurd "
                                            f"(limit {MAX_SAFETENSORS_HEADER:,}): {files.display(p)}")
        if n > size - 8:
            raise ConfigError("checkpoint", f"safetensors header length {n:,} runs past the end of the file "
                                            f"({size:,} bytes): {files.display(p)}")
        raw = _read_exact(f, n, p, "safetensors header")
    return _parse_safetensors_header(raw, size - 8 - n, p)


def _parse_safetensors_header(raw: bytes, data_size: int, p: Path) -> CheckpointCount:
    """The count of a header's JSON, checked against the ``data_size`` bytes that follow it."""
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ConfigError("checkpoint", f"safetensors header is not valid JSON ({type(e).__name__}): "
                                        f"{files.display(p)}") from None
    if not isinstance(header, dict):
        raise ConfigError("checkpoint", f"safetensors header must be a JSON object, got {type(header).__name__}: "
                                        f"{files.display(p)}")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        raise ConfigError("checkpoint.__metadata__", f"must be a JSON object: {files.display(p)}")
    tensors: dict[str, int] = {}
    dtypes: dict[str, list[int]] = {}
    spans: list[tuple[int, int, str]] = []
    for name, info in header.items():
        where = f"checkpoint[{name!r:.80}]"
        if not isinstance(info, dict):
            raise ConfigError(where, f"must be an object with dtype, shape, data_offsets: {files.display(p)}")
        dtype = info.get("dtype")
        if not isinstance(dtype, str) or dtype not in SAFETENSORS_BITS:
            raise ConfigError(f"{where}.dtype", f"unknown dtype {dtype!r:.30} (known: {', '.join(SAFETENSORS_BITS)}): "
                                                f"{files.display(p)}")
        numel = _numel(info.get("shape"), where, p)
        offs = info.get("data_offsets")
        if (not isinstance(offs, list) or len(offs) != 2 or any(type(x) is not int or x < 0 for x in offs)
                or offs[0] > offs[1]):
            raise ConfigError(f"{where}.data_offsets", f"must be [begin, end] with 0 <= begin <= end, "
                                                       f"got {offs!r:.60}: {files.display(p)}")
        if offs[1] > data_size:
            raise ConfigError(f"{where}.data_offsets", f"end {offs[1]:,} is past the end of the file's data "
                                                       f"({data_size:,} bytes): {files.display(p)}")
        bits = numel * SAFETENSORS_BITS[dtype]
        if bits % 8 or offs[1] - offs[0] != bits // 8:
            raise ConfigError(f"{where}.data_offsets", f"hold {offs[1] - offs[0]:,} bytes but shape × {dtype} needs "
                                                       f"{bits / 8:,g}: {files.display(p)}")
        tensors[name] = numel
        spans.append((offs[0], offs[1], name))
        acc = dtypes.setdefault(dtype, [0, 0])
        acc[0] += numel
        acc[1] += bits // 8
    # as the safetensors library validates: the tensors tile the data without overlaps or gaps, to its end
    end, last = 0, None
    for begin, stop, name in sorted(spans):
        if begin != end:
            what = f"overlaps {last!r:.80}" if begin < end else f"leaves a gap of {begin - end:,} bytes"
            raise ConfigError(f"checkpoint[{name!r:.80}].data_offsets", f"[{begin:,}, {stop:,}] {what} (the "
                                                                        f"safetensors library refuses such a file): "
                                                                        f"{files.display(p)}")
        end, last = stop, name
    if end != data_size:
        raise ConfigError("checkpoint", f"the tensors cover {end:,} of the {data_size:,} bytes of data (the "
                                        f"safetensors library refuses such a file): {files.display(p)}")
    return CheckpointCount(path=str(p), format="safetensors", files=(str(p),), tensors=tensors,
                           dtypes={k: (v[0], v[1]) for k, v in dtypes.items()}, metadata=meta)


def read_safetensors_index(path: str | os.PathLike[str]) -> CheckpointCount:
    """Count a sharded checkpoint from its ``model.safetensors.index.json`` and its shards' headers.

    Args:
        path: the index file; the shards it names must be in the same folder.

    Returns:
        A ``CheckpointCount`` over every tensor of every shard (each shard read once).

    Raises:
        ConfigError: the index is not JSON, has no ``weight_map`` object, names a shard
            outside its folder or one that is missing, or a shard's header is malformed, or
            a tensor the index lists is in no shard, or one tensor is in two shards.
    """
    p = files.checked_path(path, "checkpoint")
    raw = files.read_text(p, "checkpoint", limit=MAX_INDEX_BYTES)
    try:
        index = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ConfigError("checkpoint", f"index is not valid JSON ({type(e).__name__}): {files.display(p)}") from None
    wm = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(wm, dict) or not wm:
        raise ConfigError("checkpoint.weight_map", f"must be a non-empty object mapping tensor names to shard files: "
                                                   f"{files.display(p)}")
    shards: list[str] = []
    for name, shard in wm.items():
        if not isinstance(shard, str) or not shard or Path(shard).name != shard or shard in (".", ".."):
            raise ConfigError(f"checkpoint.weight_map[{name!r:.80}]",
                              f"must be a file name beside the index, got {shard!r:.80}: {files.display(p)}")
        if shard not in shards:
            shards.append(shard)
    if len(shards) > MAX_SHARDS:
        raise ConfigError("checkpoint.weight_map", f"names {len(shards):,} shards: {files.display(p)}")
    tensors: dict[str, int] = {}
    dtypes: dict[str, list[int]] = {}
    meta: dict[str, object] = {}
    shard_files: list[str] = []
    for shard in shards:
        sp = p.parent / shard
        if not sp.exists():
            raise ConfigError("checkpoint.weight_map", f"shard {shard} is missing (shards must sit beside the index): "
                                                       f"{files.display(p)}")
        c = read_safetensors(sp)
        shard_files.append(str(sp))
        for name, n in c.tensors.items():
            if name in tensors:
                raise ConfigError("checkpoint", f"tensor {name!r:.80} is stored in two shards: {files.display(p)}")
            tensors[name] = n
        for k, (n, b) in c.dtypes.items():
            acc = dtypes.setdefault(k, [0, 0])
            acc[0] += n
            acc[1] += b
        meta.update(c.metadata)
    missing = [n for n in wm if n not in tensors]
    if missing:
        raise ConfigError("checkpoint.weight_map", f"{len(missing)} tensor(s) listed in the index are in no shard "
                                                   f"(first: {missing[0]!r:.80}): {files.display(p)}")
    if isinstance(index.get("metadata"), dict):
        meta = {**meta, **{k: v for k, v in index["metadata"].items() if k != "total_size"}}
    return CheckpointCount(path=str(p), format="safetensors-index", files=tuple(shard_files), tensors=tensors,
                           dtypes={k: (v[0], v[1]) for k, v in dtypes.items()}, metadata=meta)
