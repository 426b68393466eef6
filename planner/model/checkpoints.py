"""N straight from a checkpoint's headers: safetensors files, sharded indexes, GGUF, model folders.

A checkpoint stores every tensor's shape in a header in front of the weights, so its
parameter count is exact for any architecture and costs a few kilobytes of reading: this
module reads the header bytes only, never the tensor data, so a 100 GB checkpoint is
counted as fast as a 10 MB one. It checks what it reads (one malformed header gives one
:class:`~planner.errors.ConfigError` naming the file and the field), refuses anything that
is not a regular file (a FIFO or a device could block or never end) and caps the bytes
read.

Formats:

* ``*.safetensors``: 8-byte little-endian header length, a JSON header of
  ``{name: {"dtype", "shape", "data_offsets"}}`` plus an optional ``__metadata__``;
* ``model.safetensors.index.json``: a sharded checkpoint; the shards named in its
  ``weight_map`` must sit beside it and each shard's header is read once;
* ``*.gguf`` (version 2 and 3, either byte order): key/value metadata then tensor infos
  (name, dims, ggml type, offset); the shapes are the logical element counts, so a
  quantized GGUF still gives the exact N;
* a folder: ``config.json`` plus weights (an index, ``model.safetensors``, one
  ``*.safetensors`` or one ``*.gguf``).

The count is of stored tensors. It can differ from the architecture's parameter count,
and :func:`explain` says why when it can: a tied head stored twice, buffers that are not
parameters (GPT-2's ``attn.bias`` mask, rotary ``inv_freq``), extra layers (DeepSeek-V3's
multi-token prediction), a vision tower, packed integer (quantized) tensors, or a
``total_parameters`` metadata field that disagrees with the shapes.
"""

from __future__ import annotations

import functools
import json
import os
import re
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .. import files, validate
from ..errors import ConfigError, InputError

MAX_SAFETENSORS_HEADER = 100_000_000    # the safetensors library's own limit on the JSON header
MAX_GGUF_HEADER = 512 * 1024 * 1024     # metadata + tensor infos (a 256k-token vocabulary is ~10 MB)
MAX_INDEX_BYTES = 64 * 1024 * 1024      # a model.safetensors.index.json
MAX_SHARDS = 100_000
MAX_GGUF_ITEMS = 4_000_000              # items of one array (a vocabulary is ~10⁵-10⁶ strings) and of all nested arrays
MAX_GGUF_TENSORS = 1_000_000            # tensor infos (the largest models have ~10⁴)
MAX_GGUF_KEYS = 100_000                 # metadata keys
MAX_GGUF_NESTED = 100_000               # items of arrays of arrays, all together (real files have few or none)

# safetensors dtypes -> bits per element (F4/F6 are sub-byte formats)
SAFETENSORS_BITS = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}
INTEGER_DTYPES = {"BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64"}

# ggml tensor types -> (name, elements per block, bytes per block), as written by llama.cpp's gguf-py
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40), 10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292), 16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8),
    28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17), 40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18),
}

METADATA_TOTAL_KEYS = ("total_parameters", "total_params", "num_parameters", "parameter_count",
                       "general.parameter_count")


@dataclass(frozen=True)
class CheckpointCount:
    """What a checkpoint's headers say (all counts are Python ints).

    Attributes:
        path: the path the count was asked for (file, index or folder), as given.
        format: ``"safetensors"``, ``"safetensors-index"`` or ``"gguf"``.
        files: the files whose headers were read (one, or every shard).
        tensors: ``{name: number of elements}`` for every stored tensor.
        dtypes: ``{dtype: (elements, bytes)}`` over all tensors.
        metadata: the header's string metadata (safetensors ``__metadata__``; GGUF keys with
            scalar values).
        config: the folder's ``config.json`` path, or ``None``.
    """

    path: str
    format: str
    files: tuple[str, ...]
    tensors: Mapping[str, int]
    dtypes: Mapping[str, tuple[int, int]]
    metadata: Mapping[str, object] = field(default_factory=dict)
    config: str | None = None

    def __post_init__(self):
        _ = self.metadata_total  # a claimed total that is not a count ("²", 5,000 digits) is refused on reading

    @property
    def total(self) -> int:
        """Elements over every stored tensor: the checkpoint's N."""
        return sum(self.tensors.values())

    @property
    def nbytes(self) -> int:
        """Bytes of tensor data the headers describe."""
        return sum(b for _, b in self.dtypes.values())

    @property
    def metadata_total(self) -> int | None:
        """A parameter total the metadata claims (``total_parameters`` and similar), if any."""
        for key in METADATA_TOTAL_KEYS:
            v = self.metadata.get(key)
            if v is None or isinstance(v, bool):
                continue
            if isinstance(v, (int, str)):
                try:  # "²", 5,000 digits, "7e9": read as the planner reads every count, or refused
                    return validate.count(key, v.strip() if isinstance(v, str) else v, minimum=0)
                except InputError as e:
                    raise ConfigError(f"checkpoint.__metadata__.{key}", f"{e.problem}: "
                                                                        f"{files.display(self.path)}") from None
        return None

    def to_dict(self) -> dict:
        """JSON-ready summary: format, files, tensors, total, bytes, per-dtype elements and bytes."""
        return {
            "format": self.format, "files": list(self.files), "tensors": len(self.tensors),
            "total": self.total, "bytes": self.nbytes,
            "dtypes": {k: {"params": n, "bytes": b} for k, (n, b) in sorted(self.dtypes.items())},
            "metadata_total": self.metadata_total,
        }


# ------------------------------------------------------------------------------------------
# reading files safely


def _open_regular(path, field: str = "checkpoint"):
    """``(binary file, size, path)``: :func:`planner.files.open_regular` without a size limit (only a header is read)."""
    return files.open_regular(path, field)


def _read_exact(f, n: int, path: Path, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise ConfigError("checkpoint", f"truncated {what}: wanted {n:,} bytes, the file ends after {len(data):,}: {files.display(path)}")
    return data


# ------------------------------------------------------------------------------------------
# safetensors


def _numel(shape, where: str, path: Path) -> int:
    if not isinstance(shape, list) or any(type(x) is not int or x < 0 for x in shape):
        raise ConfigError(f"{where}.shape", f"must be a list of non-negative integers, got {shape!r:.60}: {files.display(path)}")
    n = 1
    for x in shape:
        n *= x
    return n


def read_safetensors(path) -> CheckpointCount:
    """Count one ``.safetensors`` file from its header alone.

    Args:
        path: the file.

    Returns:
        A :class:`CheckpointCount` with every tensor's element count and the bytes per dtype.

    Raises:
        ConfigError: the path is not a regular file, or the header is truncated, too long,
            not a JSON object, names an unknown dtype, has a shape that is not a list of
            non-negative integers, or data offsets that are inconsistent or past the end of
            the file.
    """
    f, size, p = _open_regular(path)
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
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ConfigError("checkpoint", f"safetensors header is not valid JSON ({type(e).__name__}): {files.display(p)}") from None
    if not isinstance(header, dict):
        raise ConfigError("checkpoint", f"safetensors header must be a JSON object, got {type(header).__name__}: {files.display(p)}")
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
            raise ConfigError(f"{where}.dtype", f"unknown dtype {dtype!r:.30} (known: {', '.join(SAFETENSORS_BITS)}): {files.display(p)}")
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


def read_safetensors_index(path) -> CheckpointCount:
    """Count a sharded checkpoint from its ``model.safetensors.index.json`` and its shards' headers.

    Args:
        path: the index file; the shards it names must be in the same folder.

    Returns:
        A :class:`CheckpointCount` over every tensor of every shard (each shard read once).

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
        raise ConfigError("checkpoint.weight_map", f"must be a non-empty object mapping tensor names to shard files: {files.display(p)}")
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
    meta: dict = {}
    shard_files = []
    for shard in shards:
        sp = p.parent / shard
        if not sp.exists():
            raise ConfigError("checkpoint.weight_map", f"shard {shard} is missing (shards must sit beside the index): {files.display(p)}")
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


# ------------------------------------------------------------------------------------------
# GGUF


class _Reader:
    """Sequential reads through a 64 KiB buffer, with a running cap on the bytes read.

    A GGUF header is parsed value by value (a vocabulary is 10⁵ strings); reading it in
    64 KiB chunks keeps that fast, at the price of reading at most one chunk past the end
    of the header.
    """

    CHUNK = 64 * 1024

    def __init__(self, f, path: Path, size: int):
        self.f, self.path, self.size = f, path, size
        self.buf, self.off, self.base = b"", 0, 0  # buf holds file bytes [base, base + len(buf))
        self.endian = "<"
        self.nested = 0  # items of nested arrays read so far

    @property
    def pos(self) -> int:
        return self.base + self.off

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise ConfigError("checkpoint", f"truncated GGUF header: {what} runs past the end of the file "
                                            f"({self.size:,} bytes): {files.display(self.path)}")
        if self.pos + n > MAX_GGUF_HEADER:
            raise ConfigError("checkpoint", f"GGUF header is larger than {MAX_GGUF_HEADER:,} bytes: "
                                            f"{files.display(self.path)}")
        if self.off + n > len(self.buf):
            rest = self.buf[self.off:]
            more = self.f.read(max(n - len(rest), self.CHUNK))
            self.base, self.buf, self.off = self.pos, rest + more, 0
            if len(self.buf) < n:
                raise ConfigError("checkpoint", f"truncated GGUF header at {what}: {files.display(self.path)}")
        data = self.buf[self.off:self.off + n]
        self.off += n
        return data

    def unpack(self, fmt: str, what: str):
        return struct.unpack(self.endian + fmt, self.take(struct.calcsize(fmt), what))[0]

    def count(self, what: str, limit: int = MAX_GGUF_ITEMS, least: int = 1) -> int:
        """A count read from the header, refused before any loop when above ``limit`` or when ``least`` bytes
        per item would run past the end of the file (a sparse file claiming 10⁸ tensors)."""
        n = self.unpack("Q", what)
        room = min(self.size, MAX_GGUF_HEADER) - self.pos
        if n > limit or n * least > room:
            raise ConfigError("checkpoint", f"GGUF {what} is {n:,}, not a plausible header (at most {limit:,}, "
                                            f"{least} bytes each within the file): {files.display(self.path)}")
        return n

    def string(self, what: str) -> str:
        n = self.unpack("Q", f"{what} length")
        raw = self.take(n, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError("checkpoint", f"GGUF {what} is not UTF-8: {files.display(self.path)}") from None

    def skip_strings(self, n: int, what: str) -> None:
        """Skip ``n`` length-prefixed strings (a vocabulary) without decoding them."""
        unpack_from = struct.Struct(self.endian + "Q").unpack_from
        while n:
            buf, off, end = self.buf, self.off, len(self.buf)
            while n and off + 8 <= end:  # walk the strings already in the buffer
                nxt = off + 8 + unpack_from(buf, off)[0]
                if nxt > end:
                    break
                off, n = nxt, n - 1
            self.off = off
            if n:  # the next string crosses the buffer's end: read it the slow way (refills the buffer)
                self.take(self.unpack("Q", f"{what} length"), what)
                n -= 1


_GGUF_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def _gguf_value(r: _Reader, vtype: int, key: str, depth: int = 0):
    if vtype in _GGUF_SCALARS:
        return r.unpack(_GGUF_SCALARS[vtype], f"value of {key}")
    if vtype == 8:
        return r.string(f"value of {key}")
    if vtype == 9 and depth < 4:
        itype = r.unpack("I", f"array type of {key}")
        least = struct.calcsize(_GGUF_SCALARS[itype]) if itype in _GGUF_SCALARS else 8 if itype == 8 else 12
        n = r.count(f"array length of {key}", least=least)
        if itype not in _GGUF_SCALARS and itype != 8:  # nested arrays: one budget for all their items
            r.nested += n
            if r.nested > MAX_GGUF_NESTED:
                raise ConfigError("checkpoint", f"GGUF nested arrays hold more than {MAX_GGUF_NESTED:,} items: "
                                                f"{files.display(r.path)}")
        if itype in _GGUF_SCALARS:  # skip fixed-size arrays in one read
            r.take(n * struct.calcsize(_GGUF_SCALARS[itype]), f"array {key}")
            return None
        if itype == 8:
            r.skip_strings(n, f"array {key}")
            return None
        for _ in range(n):
            _gguf_value(r, itype, key, depth + 1)
        return None
    raise ConfigError("checkpoint", f"GGUF key {key!r:.80} has unknown value type {vtype}: {files.display(r.path)}")


def read_gguf(path) -> CheckpointCount:
    """Count a GGUF file from its metadata and tensor infos, never reading tensor data.

    Args:
        path: the ``.gguf`` file (GGUF version 2 or 3, little- or big-endian).

    Returns:
        A :class:`CheckpointCount`; dtypes are ggml type names (``F16``, ``Q4_K``, ...) and
        the metadata holds every scalar key (``general.architecture``, ``*.expert_count``...).

    Raises:
        ConfigError: not a regular file, not GGUF, an unsupported version, a truncated or
            oversized header, an unknown ggml type, dimensions that do not fit the type's
            blocks, or tensor data placed past the end of the file.
    """
    f, size, p = _open_regular(path)
    with f:
        r = _Reader(f, p, size)
        if r.take(4, "magic") != b"GGUF":
            raise ConfigError("checkpoint", f"not a GGUF file (no GGUF magic): {files.display(p)}")
        raw_version = r.take(4, "version")
        version = struct.unpack("<I", raw_version)[0]
        if version not in (2, 3) and struct.unpack(">I", raw_version)[0] in (2, 3):
            r.endian, version = ">", struct.unpack(">I", raw_version)[0]
        if version not in (2, 3):
            raise ConfigError("checkpoint", f"GGUF version {version} is not supported (2 and 3 are): {files.display(p)}")
        n_tensors = r.count("tensor count", MAX_GGUF_TENSORS, least=24)  # name length, dims, type, offset
        n_kv = r.count("key/value count", MAX_GGUF_KEYS, least=13)       # key length, type, a 1-byte value
        meta: dict[str, object] = {}
        for _ in range(n_kv):
            key = r.string("metadata key")
            vtype = r.unpack("I", f"type of {key}")
            value = _gguf_value(r, vtype, key)
            if value is not None:
                meta[key] = value
        infos = []
        for _ in range(n_tensors):
            name = r.string("tensor name")
            nd = r.unpack("I", f"dimensions of {name}")
            if nd > 8:
                raise ConfigError(f"checkpoint[{name!r:.80}].shape", f"has {nd} dimensions: {files.display(p)}")
            dims = [r.unpack("Q", f"shape of {name}") for _ in range(nd)]
            gtype = r.unpack("I", f"type of {name}")
            offset = r.unpack("Q", f"offset of {name}")
            infos.append((name, dims, gtype, offset))
        header_end = r.pos
    align = meta.get("general.alignment", 32)
    if not isinstance(align, int) or isinstance(align, bool) or align <= 0:
        raise ConfigError("checkpoint.general.alignment", f"must be a positive integer, got {align!r}: {files.display(p)}")
    data_start = -(-header_end // align) * align
    data_size = size - data_start
    tensors: dict[str, int] = {}
    dtypes: dict[str, list[int]] = {}
    for name, dims, gtype, offset in infos:
        where = f"checkpoint[{name!r:.80}]"
        if gtype not in GGML_TYPES:
            raise ConfigError(f"{where}.dtype", f"unknown ggml type {gtype}: {files.display(p)}")
        tname, block, bsize = GGML_TYPES[gtype]
        numel = 1
        for x in dims:
            numel *= x
        if dims and dims[0] % block:
            raise ConfigError(f"{where}.shape", f"first dimension {dims[0]} is not a multiple of {tname}'s block of "
                                                f"{block}: {files.display(p)}")
        nbytes = numel // block * bsize
        if offset + nbytes > data_size:
            raise ConfigError(f"{where}.offset", f"data ends at {offset + nbytes:,}, past the end of the file's data "
                                                 f"({max(data_size, 0):,} bytes): {files.display(p)}")
        if name in tensors:
            raise ConfigError(where, f"tensor is listed twice: {files.display(p)}")
        tensors[name] = numel
        acc = dtypes.setdefault(tname, [0, 0])
        acc[0] += numel
        acc[1] += nbytes
    return CheckpointCount(path=str(p), format="gguf", files=(str(p),), tensors=tensors,
                           dtypes={k: (v[0], v[1]) for k, v in dtypes.items()}, metadata=meta)


# ------------------------------------------------------------------------------------------
# dispatch


def _is_index(path: Path) -> bool:
    return path.name.endswith(".index.json") or path.name.endswith("safetensors.index.json")


def weights_in(folder: Path) -> Path | None:
    """The weights file of a model folder (index, model.safetensors, one *.safetensors, one *.gguf), or None."""
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        return index
    single = folder / "model.safetensors"
    if single.is_file():
        return single
    for pattern in ("*.safetensors.index.json", "*.safetensors", "*.gguf"):
        found = sorted(folder.glob(pattern))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ConfigError("checkpoint", f"{folder} holds {len(found)} {pattern} files and no "
                                            f"model.safetensors(.index.json); give the one to count")
    return None


def is_checkpoint(source) -> bool:
    """True when ``source`` names a checkpoint: a safetensors/GGUF file, an index, or a folder.

    A string or path only; nothing is read except the folder listing and the first bytes
    of a file whose name does not say what it is.
    """
    if not isinstance(source, (str, os.PathLike)):
        return False
    try:
        p = files.checked_path(source, "checkpoint")
    except ConfigError:  # a NUL byte, an empty name: not a checkpoint (the reader says why)
        return False
    try:
        if p.is_dir():
            return True
    except (OSError, ValueError):  # a name the file system cannot even look up: not a checkpoint (the reader says why)
        return False
    name = p.name.lower()
    if name.endswith((".safetensors", ".gguf")) or _is_index(p):
        return True
    if name.endswith(".json"):
        return False
    try:  # a file named otherwise: sniff the first bytes of a regular file (never a FIFO or device)
        if not stat.S_ISREG(os.stat(p).st_mode):
            return False
        f, _, _ = files.open_regular(p, "checkpoint")
        with f:
            head = f.read(9)
    except (OSError, ValueError, ConfigError):
        return False
    return head[:4] == b"GGUF" or (len(head) == 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] > 1)


def read_checkpoint(source) -> CheckpointCount:
    """Count any checkpoint: a ``.safetensors`` file, an ``*.index.json``, a ``.gguf`` or a model folder.

    Args:
        source: the path.

    Returns:
        A :class:`CheckpointCount`; for a folder, ``config`` is its ``config.json`` (or ``None``).

    Raises:
        ConfigError: nothing countable at that path, or a malformed header (see the readers).
    """
    p = files.checked_path(source, "checkpoint")
    config = None
    if p.is_dir():
        weights = weights_in(p)
        if weights is None:
            extra = " (pytorch_model.bin is a pickle and is not read; convert it to safetensors)" \
                if any(p.glob("*.bin")) else ""
            cfg = "" if (p / "config.json").is_file() else "no config.json and "
            raise ConfigError("checkpoint", f"{cfg}no safetensors or GGUF weights in the directory "
                                            f"{files.display(p)} (a model folder needs them){extra}")
        cfg = p / "config.json"
        config = str(cfg) if cfg.is_file() else None
        c = read_checkpoint(weights)
        return CheckpointCount(path=str(p), format=c.format, files=c.files, tensors=c.tensors, dtypes=c.dtypes,
                               metadata=c.metadata, config=config)
    name = p.name.lower()
    if _is_index(p):
        return read_safetensors_index(p)
    if name.endswith(".gguf"):
        return read_gguf(p)
    if name.endswith(".safetensors"):
        return read_safetensors(p)
    f, size, p = _open_regular(p)
    with f:
        head = f.read(9)
    if head[:4] == b"GGUF":
        return read_gguf(p)
    if head[8:9] == b"{":
        return read_safetensors(p)
    raise ConfigError("checkpoint", f"not a checkpoint ({size:,} bytes; expected .safetensors, "
                                    f"*.safetensors.index.json, .gguf or a model folder): {files.display(p)}")


# ------------------------------------------------------------------------------------------
# what the tensors are, and why a checkpoint and its config disagree

_BUFFER = r"(\.attn\.(masked_)?bias$|\.inv_freq$|rope_freqs\.weight$|\.rotary_emb\.|position_ids$|e_score_correction_bias$)"
_VISION = (r"(^|\.)(vision|visual|vision_tower|vision_model|multi_modal_projector|mm_projector|image_newline)(\.|_|$)"
           r"|^v\.|^mm\.")
_KINDS = (  # (breakdown key, pattern on the lower-cased tensor name); first match wins
    ("positions", r"(wpe|embed_positions|position_embd|position_embeddings)\."),
    ("embeddings", r"(embed_tokens|wte|token_embd|word_embeddings|tok_embeddings|embed_in|embeddings)\."),
    ("head", r"(^|\.)(lm_head|embed_out|output)\.(weight|bias)$"),
    ("shared_experts", r"shared_expert|shexp"),
    ("experts", r"\.experts\.|experts\.|_exps\.|block_sparse_moe\.(input|output)_linear"),
    ("router", r"(mlp|moe|feed_forward|block_sparse_moe)\.(gate|router)(\.|$)|\.router\.|ffn_gate_inp|e_score_correction"),
    ("norms", r"norm|ln_|\.ln\d|layernorm"),
    ("ssm", r"mixer\.|ssm_|\.mamba\.|a_log|conv1d"),
    ("attention", r"attn|attention|q_proj|k_proj|v_proj|o_proj|qkv|sinks"),
    ("mlp", r"mlp|ffn|feed_forward|fc1|fc2|c_fc|dense_h_to_4h|dense_4h_to_h|gate_proj|up_proj|down_proj"),
)


@functools.lru_cache(maxsize=None)
def _patterns():
    """The compiled name patterns (compiled on first use: ``import planner`` stays fast)."""
    return re.compile(_BUFFER), re.compile(_VISION), [(k, re.compile(p)) for k, p in _KINDS]


def tensor_kind(name: str) -> str:
    """The breakdown key of one stored tensor, from its name (HF or GGUF naming).

    ``vision`` and ``buffer`` mark tensors that are not language-model parameters;
    anything unrecognised is ``other``.
    """
    n = name.lower()
    buffer, vision, kinds = _patterns()
    if buffer.search(n):
        return "buffer"
    if vision.search(n):
        return "vision"
    for key, pattern in kinds:
        if pattern.search(n):
            return key
    return "other"


def breakdown(c: CheckpointCount) -> dict[str, int]:
    """Elements per tensor kind (see :func:`tensor_kind`), summing to ``c.total``."""
    out: dict[str, int] = {}
    for name, n in c.tensors.items():
        k = tensor_kind(name)
        out[k] = out.get(k, 0) + n
    return out


def param_count(c: CheckpointCount):
    """A :class:`~planner.model.params.ParamCount` built from the headers alone.

    Buffers (masks, rotary tables) are left out; a vision tower is reported as ``vision``
    and left out of ``total``, as for a config's count; tensors whose name is not
    recognised are added to ``projection``. ``active`` is only known for a GGUF whose
    metadata gives ``expert_count`` and ``expert_used_count`` (fused expert tensors);
    otherwise the count is reported as dense.
    """
    from .params import ParamCount

    parts = breakdown(c)
    inactive, is_moe = 0, False
    arch = c.metadata.get("general.architecture")
    E = c.metadata.get(f"{arch}.expert_count")
    k = c.metadata.get(f"{arch}.expert_used_count")
    if isinstance(E, int) and isinstance(k, int) and 0 < k <= E and parts.get("experts"):
        is_moe = True
        inactive = parts["experts"] * (E - k) // E
    vision = parts.get("vision")
    return ParamCount(
        embeddings=parts.get("embeddings", 0), positions=parts.get("positions", 0),
        projection=parts.get("other", 0), attention=parts.get("attention", 0), mlp=parts.get("mlp", 0),
        router=parts.get("router", 0), norms=parts.get("norms", 0), head=parts.get("head", 0),
        ssm=parts.get("ssm", 0), experts=parts.get("experts", 0), shared_experts=parts.get("shared_experts", 0),
        inactive_experts=inactive, is_moe=is_moe, vision=vision,
        language_model_of=c.path if vision else None)


def explain(c: CheckpointCount, config_total: int, *, tied: bool | None = None,
            num_layers: int | None = None) -> list[str]:
    """Reasons the checkpoint's N differs from the config's, one sentence each.

    Args:
        c: the checkpoint count.
        config_total: the config's total (its architecture's parameters, tied head once).
        tied: whether the config ties the LM head to the token embedding, if known.
        num_layers: the config's number of layers, if known (more stored layers are extra).

    Returns:
        Empty when the counts agree and the metadata does not contradict them; otherwise the
        differences it can name, and a last line with any part it cannot explain.
    """
    out: list[str] = []
    diff = c.total - config_total
    explained = 0
    if diff:
        names = list(c.tensors)
        heads = [n for n in names if tensor_kind(n) == "head" and n.endswith("weight")]
        embs = [n for n in names if tensor_kind(n) == "embeddings"]
        if tied and heads and embs and c.tensors[heads[0]] == c.tensors[embs[0]]:
            n = c.tensors[heads[0]]
            out.append(f"the tied LM head is stored a second time as {heads[0]} ({n:,})")
            explained += n
        bufs = [n for n in names if tensor_kind(n) == "buffer"]
        if bufs:
            n = sum(c.tensors[b] for b in bufs)
            out.append(f"{len(bufs)} stored buffer(s) that are not parameters, e.g. {bufs[0]} ({n:,})")
            explained += n
        vis = [n for n in names if tensor_kind(n) == "vision"]
        if vis:
            n = sum(c.tensors[v] for v in vis)
            out.append(f"a vision tower and projector that the language-model count leaves out ({n:,})")
            explained += n
        if num_layers is not None:
            extra = [t for t in names if (m := re.search(r"(?:^|\.)(?:layers|h|blk|blocks)\.(\d+)\.", t))
                     and int(m.group(1)) >= num_layers and tensor_kind(t) not in ("buffer", "vision")]
            if extra:
                n = sum(c.tensors[t] for t in extra)
                out.append(f"{len(extra)} tensor(s) of layers beyond num_hidden_layers={num_layers} "
                           f"(e.g. multi-token prediction), ({n:,})")
                explained += n
        ints = {k: v for k, v in c.dtypes.items() if k in INTEGER_DTYPES}
        if ints and explained != diff:
            n = sum(v[0] for v in ints.values())
            out.append(f"{n:,} elements are integer-typed ({', '.join(sorted(ints))}): packed quantized weights "
                       f"store several parameters per element, so the header count is not N")
        rest = diff - explained
        if rest:
            out.append(f"{abs(rest):,} parameters {'more' if rest > 0 else 'fewer'} in the checkpoint "
                       f"that no rule above explains")
    mt = c.metadata_total
    if mt is not None and mt != c.total:
        out.append(f"the metadata claims {mt:,} parameters but the tensor shapes sum to {c.total:,} "
                   f"(the shapes are what is stored)")
    return out
