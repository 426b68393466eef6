"""Which reader a path needs: a ``.safetensors`` file, an index, a ``.gguf`` or a model folder."""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path

from ... import files
from ...errors import ConfigError
from .count import CheckpointCount
from .gguf import read_gguf
from .safetensors import read_safetensors, read_safetensors_index


def _is_index(path: Path) -> bool:
    """True for a sharded checkpoint's index (``*.index.json``)."""
    return path.name.endswith(".index.json")


def weights_in(folder: Path) -> Path | None:
    """The weights file of a model folder (index, model.safetensors, one *.safetensors, one *.gguf), or None.

    Args:
        folder: the model folder.

    Returns:
        The path of the weights to count, or None when the folder holds none.

    Raises:
        ConfigError: several candidate files and no ``model.safetensors(.index.json)`` to prefer.
    """
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


def is_checkpoint(source: object) -> bool:
    """True when ``source`` names a checkpoint: a safetensors/GGUF file, an index, or a folder.

    A string or path only; nothing is read except the folder listing and the first bytes
    of a file whose name does not say what it is.

    Args:
        source: anything; only a ``str`` or ``os.PathLike`` can name a checkpoint.

    Returns:
        True or False; never raises (an unusable path is not a checkpoint: the reader says why).
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


def read_checkpoint(source: str | os.PathLike[str]) -> CheckpointCount:
    """Count any checkpoint: a ``.safetensors`` file, an ``*.index.json``, a ``.gguf`` or a model folder.

    Args:
        source: the path.

    Returns:
        A ``CheckpointCount``; for a folder, ``config`` is its ``config.json`` (or ``None``).

    Raises:
        ConfigError: nothing countable at that path, or a malformed header (see the readers).
    """
    p = files.checked_path(source, "checkpoint")
    config: str | None = None
    if p.is_dir():
        weights = weights_in(p)
        if weights is None:
            extra = " (pytorch_model.bin is a pickle and is not read; convert it to safetensors)" \
                if any(p.glob("*.bin")) else ""
            no_cfg = "" if (p / "config.json").is_file() else "no config.json and "
            raise ConfigError("checkpoint", f"{no_cfg}no safetensors or GGUF weights in the directory "
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
    f, size, p = files.open_regular(p, "checkpoint")
    with f:
        head = f.read(9)
    if head[:4] == b"GGUF":
        return read_gguf(p)
    if head[8:9] == b"{":
        return read_safetensors(p)
    raise ConfigError("checkpoint", f"not a checkpoint ({size:,} bytes; expected .safetensors, "
                                    f"*.safetensors.index.json, .gguf or a model folder): {files.display(p)}")
