"""Model configs: read a ``config.json`` from a path, a dict, or a name in the catalog.

The catalog is ``data/models/*.json``: real Hugging Face configs, one per file, named
by the file's stem (``qwen2.5-0.5b``). Names match case-insensitively.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from .architecture import Architecture
from ..datafiles import DATA_DIR
from ..errors import ConfigError, UnknownModelError
from .families import from_hf_config
from .params import ParamCount, count_params

MODELS_DIR = DATA_DIR / "models"


def list_models() -> list[str]:
    """Names of the catalog's models, sorted."""
    return sorted(p.stem for p in MODELS_DIR.glob("*.json"))


def read_json(path, field: str = "config"):
    """Read a JSON file; every failure is a :class:`ConfigError` naming ``field`` and the path."""
    p = Path(path)
    try:
        text = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(field, f"file not found: {p}") from None
    except IsADirectoryError:
        raise ConfigError(field, f"is a directory, not a file: {p}") from None
    except OSError as e:
        raise ConfigError(field, f"cannot read {p}: {e.strerror or e}") from None
    if not text.strip():
        raise ConfigError(field, f"file is empty: {p}")
    try:
        return json.loads(text.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(field, f"not a text file (not UTF-8): {p}") from None
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


def load_config(source) -> tuple[dict, str]:
    """Return ``(config dict, display name)`` for a path, a catalog name or a dict."""
    if isinstance(source, Mapping):
        return dict(source), str(source.get("_name_or_path") or source.get("model_type", "config"))
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigError("config", f"must be a path, a catalog name or a dict, got {type(source).__name__}")
    path = Path(source)
    if not path.exists():
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


def architecture(source) -> Architecture:
    """The :class:`Architecture` of a path, catalog name, config dict, or an Architecture itself."""
    if isinstance(source, Architecture):
        return source
    cfg, name = load_config(source)
    return from_hf_config(cfg, name=name)


def count(source) -> ParamCount:
    """Exact parameter count of a path, catalog name, config dict or Architecture."""
    return count_params(architecture(source))
