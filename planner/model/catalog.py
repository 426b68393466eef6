"""Model configs: read a ``config.json`` from a path, a dict, or a name in the catalog.

The catalog is ``data/models/*.json``: real Hugging Face configs, one per file, named
by the file's stem (``qwen2.5-0.5b``). Names match case-insensitively.

A checkpoint is accepted wherever a config is: a model folder (``config.json`` plus
weights) is read through its ``config.json``; :func:`count` also takes a ``.safetensors``
file, a ``model.safetensors.index.json`` or a ``.gguf`` and counts the tensor shapes in
their headers (see :mod:`planner.model.checkpoints`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

from ..datafiles import DATA_DIR
from ..errors import ConfigError, UnknownModelError
from ..files import checked_path, display, read_text
from . import checkpoints, hf_fallback
from .architecture import Architecture
from .families import from_hf_config
from .params import ParamCount
from .params import count_params as _count_architecture

MODELS_DIR = DATA_DIR / "models"

#: What names a model: a catalog name or a path (``str``), a path, a config dict, or the Architecture itself.
#: A config dict is parsed JSON, any value in it unchecked until the family reads it (hence Any).
ModelSource: TypeAlias = str | os.PathLike[str] | Mapping[str, Any] | Architecture


def list_models() -> list[str]:
    """Names of the catalog's models, sorted.

    Returns:
        The stems of ``data/models/*.json``, sorted; each is accepted by :func:`count_params`
            and :func:`architecture` (in any case).

    Examples:
        >>> "qwen2.5-0.5b" in list_models()
        True
    """
    return sorted(p.stem for p in MODELS_DIR.glob("*.json"))


def read_json(path: str | os.PathLike[str], field: str = "config") -> Any:
    """Read a JSON file the user named; every failure is a :class:`ConfigError` naming ``field`` and the path.

    The file is read through :func:`planner.files.read_text`: only a regular file of at most
    :data:`planner.files.MAX_BYTES`, so a FIFO, a device such as ``/dev/zero``, a directory, an overlong
    name or a NUL byte is one clear error, never a hang.

    Args:
        path: a ``str`` or ``os.PathLike``.
        field: the name errors use (default ``config``).

    Returns:
        The parsed JSON value (any JSON type; callers check it is an object).

    Raises:
        ConfigError: unreadable, empty, not UTF-8, not valid JSON, or too deep or too large to parse.
    """
    text = read_text(path, field, directory="give the config.json inside it")
    p = display(path)
    if not text.strip():
        raise ConfigError(field, f"file is empty: {p}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(field, f"not valid JSON ({e.msg} at line {e.lineno} column {e.colno}): {p}") from None
    except (ValueError, RecursionError) as e:  # a 5,000-digit number, nesting thousands deep
        raise ConfigError(field, f"not a usable JSON document ({type(e).__name__}: {str(e)[:80]}): {p}") from None


def _catalog_path(name: str) -> Path | None:
    lowered = name.lower()
    for p in MODELS_DIR.glob("*.json"):
        if p.stem.lower() == lowered:
            return p
    return None


def load_config(source: ModelSource) -> tuple[dict[str, Any], str]:
    """Return ``(config dict, display name)`` for a path, a catalog name or a dict.

    Args:
        source: A config dict (copied; its name is ``_name_or_path``, else ``model_type``), a path to
            a ``config.json`` or to a model folder holding one, or a catalog name (any case).

    Returns:
        The config as a dict and the name to show: the folder's or file's stem for a path.

    Raises:
        ConfigError: ``source`` is not a path, name or dict; a folder without ``config.json``; a
            file that is missing, unreadable or not a JSON object; a checkpoint without a config.
        UnknownModelError: A bare name (no ``/``, no ``.json``) that is not in the catalog.
    """
    if isinstance(source, Mapping):
        return dict(source), str(source.get("_name_or_path") or source.get("model_type", "config"))
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigError("config", f"must be a path, a catalog name or a dict, got {type(source).__name__}")
    path = checked_path(source, "config")

    def probe(test: Callable[[], bool]) -> bool:
        try:
            return test()
        except OSError:  # a name too long to stat: read_json reports it, with the field named
            return False

    if probe(path.is_dir):  # a model folder: its config.json
        cfg = path / "config.json"
        if not cfg.is_file():
            raise ConfigError("config", f"no config.json in the folder {path}")
        data = read_json(cfg)
        if not isinstance(data, dict):
            raise ConfigError("config", f"must be a JSON object (a config.json), got a JSON {type(data).__name__}: "
                                        f"{cfg}")
        return data, path.name
    if checkpoints.is_checkpoint(path):
        raise ConfigError("config", f"{path} is a checkpoint without config.json: it gives N (planner.count, "
                                    f"`planner params`) but no architecture; pass its folder with config.json")
    if not probe(path.exists) and not probe(lambda: len(path.name) > 255):
        found = _catalog_path(str(source)) if isinstance(source, str) else None
        if found is None:
            if isinstance(source, str) and not any(c in source for c in "/\\") and not source.endswith(".json"):
                raise UnknownModelError("model", f"{source!r} is not in the catalog; known: {', '.join(list_models())}")
            raise ConfigError("config", f"file not found: {path}")
        path = found
    cfg = read_json(path)
    if not isinstance(cfg, dict):
        raise ConfigError("config", f"must be a JSON object (a config.json), got a JSON {type(cfg).__name__}: {path}")
    return cfg, path.stem


def architecture(source: ModelSource) -> Architecture:
    """The :class:`Architecture` of a path, catalog name, config dict, or an Architecture itself.

    Args:
        source: A catalog name, a ``config.json`` path or model folder, a config dict, or an
            :class:`Architecture` (returned as it is).

    Returns:
        The architecture the config describes, named after its source.

    Raises:
        ConfigError: An unreadable or malformed config, or one that lacks a field its family needs.
        UnknownModelError: A name that is not in the catalog, or a ``model_type`` that is not
            supported.

    Examples:
        >>> arch = architecture("qwen2.5-0.5b")
        >>> arch.num_layers, arch.hidden_size, arch.num_heads, arch.num_kv_heads
        (24, 896, 14, 2)
    """
    if isinstance(source, Architecture):
        return source
    cfg, name = load_config(source)
    return from_hf_config(cfg, name=name)


def count_params(source: ModelSource) -> ParamCount:
    """Exact parameter count of a path, catalog name, config dict, Architecture or checkpoint.

    Args:
        source: a catalog name, a ``config.json`` path, a config dict, an
            :class:`Architecture`, or a checkpoint: a model folder (``config.json`` plus
            weights), a ``.safetensors`` file, a ``model.safetensors.index.json`` (shards
            beside it) or a ``.gguf`` file.

    Returns:
        The ``ParamCount``. A model folder whose ``config.json`` describes a supported
            architecture is counted from that config (the checkpoint's own N and any
            disagreement come from :func:`inspect`); a bare checkpoint file, or a folder whose
            config's ``model_type`` is not supported, is counted from the tensor shapes in its
            headers, with a name-based breakdown (``active`` only for a GGUF that states its
            expert counts). A config whose ``model_type`` is not counted natively is counted by
            transformers on the meta device when torch and transformers are installed
            (``counted_by`` says so; see :mod:`planner.model.hf_fallback`).

    Raises:
        ConfigError: an unreadable or malformed config or checkpoint header.
        UnknownModelError: a name that is not in the catalog, or a ``model_type`` neither the
            planner nor (when installed) transformers can count.

    Examples:
        Qwen2.5-0.5B's model card gives 0.49B parameters, 0.36B of them non-embedding:

        >>> n = count_params("qwen2.5-0.5b")
        >>> n.total, n.embeddings
        (494032768, 136134656)
    """
    return inspect(source)[1]


def inspect(source: ModelSource) -> tuple[Architecture | None, ParamCount, checkpoints.CheckpointCount | None]:
    """Everything known about a model source: ``(architecture, count, checkpoint)``.

    Args:
        source: as for :func:`count_params`.

    Returns:
        ``architecture``: the :class:`Architecture` when a supported config exists, else
            ``None``; ``count``: the :class:`ParamCount` :func:`count_params` returns; ``checkpoint``:
            the :class:`~planner.model.checkpoints.CheckpointCount` of the headers, or ``None``
            when the source is a config alone.

    Raises:
        ConfigError: as for :func:`count_params` (a folder whose config names an unsupported
            ``model_type`` is not an error when its weights can be counted).
    """
    if isinstance(source, (str, os.PathLike)) and checkpoints.is_checkpoint(source):
        if (Path(source).is_dir() and (Path(source) / "config.json").is_file()
                and checkpoints.weights_in(Path(source)) is None):
            arch = architecture(source)  # a model folder with only its config
            return arch, _count_architecture(arch), None
        ckpt = checkpoints.read_checkpoint(source)
        if ckpt.config is not None:
            try:
                arch = architecture(source)
            except UnknownModelError:  # a model_type the planner cannot count natively: the headers can
                return None, checkpoints.param_count(ckpt), ckpt
            return arch, _count_architecture(arch), ckpt
        return None, checkpoints.param_count(ckpt), ckpt
    if isinstance(source, Architecture):
        return source, _count_architecture(source), None
    cfg, name = load_config(source)
    try:
        arch = from_hf_config(cfg, name=name)
    except UnknownModelError as e:  # not counted natively: transformers counts it, or the message says how
        return None, fallback_count(cfg, e), None
    return arch, _count_architecture(arch), None


def fallback_count(cfg: Mapping[str, Any], refusal: UnknownModelError) -> ParamCount:
    """transformers' exact count of a config the native counter refused (see :mod:`planner.model.hf_fallback`).

    Args:
        cfg: the config dict.
        refusal: the native counter's :class:`UnknownModelError`.

    Returns:
        A ``ParamCount`` whose ``counted_by`` names the transformers release.

    Raises:
        UnknownModelError: torch/transformers are not installed (the message adds how to install
            them), or transformers cannot build the config either (its reason is given).
    """
    if not isinstance(cfg.get("model_type"), str):
        raise refusal
    native = str(refusal).split(": ", 1)[-1]
    try:
        return hf_fallback.hf_count(cfg, reason=native).param_count()
    except UnknownModelError as e:
        raise UnknownModelError(refusal.field, str(e).split(": ", 1)[-1]) from None
