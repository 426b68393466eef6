"""GGUF headers (version 2 and 3, either byte order): key/value metadata, then tensor infos.

The shapes are the logical element counts, so a quantized GGUF still gives the exact N. Every count
read from the header is bounded before any loop runs (tensors, keys, array items, nested arrays) and the
header's total size is capped, so a hostile file cannot make the reader run long or allocate much.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

from ... import files
from ...errors import ConfigError
from .count import CheckpointCount

MAX_GGUF_HEADER = 512 * 1024 * 1024     # metadata + tensor infos (a 256k-token vocabulary is ~10 MB)
MAX_GGUF_ITEMS = 4_000_000              # items of one array (a vocabulary is ~10⁵-10⁶ strings) and of all nested arrays
MAX_GGUF_TENSORS = 1_000_000            # tensor infos (the largest models have ~10⁴)
MAX_GGUF_KEYS = 100_000                 # metadata keys
MAX_GGUF_NESTED = 100_000               # items of arrays of arrays, all together (real files have few or none)

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


class _Reader:
    """Sequential reads through a 64 KiB buffer, with a running cap on the bytes read.

    A GGUF header is parsed value by value (a vocabulary is 10⁵ strings); reading it in
    64 KiB chunks keeps that fast, at the price of reading at most one chunk past the end
    of the header.
    """

    CHUNK = 64 * 1024

    def __init__(self, f: BinaryIO, path: Path, size: int) -> None:
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

    def unpack(self, fmt: str, what: str) -> Any:
        """One value of struct format ``fmt``: an int, float or bool as ``fmt`` says (struct types it Any)."""
        return struct.unpack(self.endian + fmt, self.take(struct.calcsize(fmt), what))[0]

    def count(self, what: str, limit: int = MAX_GGUF_ITEMS, least: int = 1) -> int:
        """A count read from the header, refused before any loop when above ``limit`` or when ``least`` bytes
        per item would run past the end of the file (a sparse file claiming 10⁸ tensors)."""
        n: int = self.unpack("Q", what)
        room = min(self.size, MAX_GGUF_HEADER) - self.pos
        if n > limit or n * least > room:
            raise ConfigError("checkpoint", f"GGUF {what} is {n:,}, not a plausible header (at most {limit:,}, "
                                            f"{least} bytes each within the file): {files.display(self.path)}")
        return n

    def string(self, what: str) -> str:
        n: int = self.unpack("Q", f"{what} length")
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


def _gguf_value(r: _Reader, vtype: int, key: str, depth: int = 0) -> int | float | str | None:
    """One metadata value: a scalar or a string, or None for an array (skipped, its items bounded)."""
    if vtype in _GGUF_SCALARS:
        scalar: int | float = r.unpack(_GGUF_SCALARS[vtype], f"value of {key}")  # a bool is an int
        return scalar
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


def read_gguf(path: str | os.PathLike[str]) -> CheckpointCount:
    """Count a GGUF file from its metadata and tensor infos, never reading tensor data.

    Args:
        path: the ``.gguf`` file (GGUF version 2 or 3, little- or big-endian).

    Returns:
        A ``CheckpointCount``; dtypes are ggml type names (``F16``, ``Q4_K``, ...) and
            the metadata holds every scalar key (``general.architecture``, ``*.expert_count``...).

    Raises:
        ConfigError: not a regular file, not GGUF, an unsupported version, a truncated or
            oversized header, an unknown ggml type, dimensions that do not fit the type's
            blocks, or tensor data placed past the end of the file.
    """
    f, size, p = files.open_regular(path, "checkpoint")
    with f:
        r = _Reader(f, p, size)
        if r.take(4, "magic") != b"GGUF":
            raise ConfigError("checkpoint", f"not a GGUF file (no GGUF magic): {files.display(p)}")
        raw_version = r.take(4, "version")
        version = struct.unpack("<I", raw_version)[0]
        if version not in (2, 3) and struct.unpack(">I", raw_version)[0] in (2, 3):
            r.endian, version = ">", struct.unpack(">I", raw_version)[0]
        if version not in (2, 3):
            raise ConfigError("checkpoint", f"GGUF version {version} is not supported (2 and 3 are): "
                                            f"{files.display(p)}")
        n_tensors = r.count("tensor count", MAX_GGUF_TENSORS, least=24)  # name length, dims, type, offset
        n_kv = r.count("key/value count", MAX_GGUF_KEYS, least=13)       # key length, type, a 1-byte value
        meta: dict[str, object] = {}
        for _ in range(n_kv):
            key = r.string("metadata key")
            vtype = r.unpack("I", f"type of {key}")
            value = _gguf_value(r, vtype, key)
            if value is not None:
                meta[key] = value
        infos: list[tuple[str, list[int], int, int]] = []
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
        raise ConfigError("checkpoint.general.alignment", f"must be a positive integer, got {align!r}: "
                                                          f"{files.display(p)}")
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
