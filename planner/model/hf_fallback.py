"""Exact N of any causal-LM ``model_type`` from transformers itself, when the native counter refuses it.

With torch and transformers installed (``pip install 'planner[hf]'``), a config the planner does
not count natively is built by transformers on torch's meta device, in a subprocess: no weights,
no memory for them, no network (``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1``), never remote
code (``auto_map`` is dropped, ``trust_remote_code`` is never set), within :data:`TIMEOUT` seconds.
The count is ``sum(p.numel() for p in model.parameters())`` (a tied head once); the result says it
came from transformers (:attr:`HFCount.source`). Results are cached by a canonical hash of the
config, in memory and, unless ``PLANNER_NO_DISK_CACHE`` is set, under the user's cache directory
(``$XDG_CACHE_HOME/planner/hf_counts`` or ``~/.cache/planner/hf_counts``), keyed also by the
transformers version.

Only single configs go through here: sliders and sweeps stay on the native counter.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import validate
from ..errors import ConfigError, UnknownModelError
from ..limits import MAX_COUNT
from .params import ParamCount

TIMEOUT = 120.0  # seconds for one subprocess count (a 671B-parameter config builds in a few seconds)
INSTALL_HINT = "pip install 'planner[hf]' (torch and transformers) to count it exactly with transformers"

_MEMORY: dict[str, HFCount] = {}

# The child: reads a config JSON on stdin, prints one JSON line. Only the standard library and
# transformers/torch; nothing of the planner is imported there.
_CHILD = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
configs = json.loads(sys.stdin.read())
try:
    import torch, transformers
    from transformers import AutoConfig, AutoModelForCausalLM, PretrainedConfig
    transformers.logging.set_verbosity_error()
except Exception as e:
    print(json.dumps({"missing": f"{type(e).__name__}: {e}"})); sys.exit(0)


def one(cfg):
    d = PretrainedConfig._decode_special_floats(dict(cfg))
    for k in ("auto_map", "quantization_config"):
        d.pop(k, None)
    config = AutoConfig.for_model(d.pop("model_type"), **d)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    seen, total, text, wrapped = set(), 0, 0, False
    for name, p in model.named_parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        if name.startswith(("model.language_model.", "lm_head.")):
            text += p.numel()
            wrapped = wrapped or name.startswith("model.language_model.")
    emb = model.get_input_embeddings()
    head = model.get_output_embeddings()
    lm_head = 0
    if head is not None and getattr(head, "weight", None) is not None:
        if emb is None or head.weight is not emb.weight:
            lm_head += head.weight.numel()
        if getattr(head, "bias", None) is not None:
            lm_head += head.bias.numel()
    tc = config.get_text_config()
    E = next((v for k in ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")
              for v in [getattr(tc, k, None)] if isinstance(v, int) and not isinstance(v, bool) and v > 1), None)
    K = next((v for k in ("num_experts_per_tok", "moe_k", "moe_topk", "top_k")
              for v in [getattr(tc, k, None)] if isinstance(v, int) and not isinstance(v, bool) and v > 0), None)
    inactive, moe_layers = None, 0
    if E:
        inactive = 0
        for name, module in model.named_modules():
            if name.rsplit(".", 1)[-1] != "experts":
                continue
            ps = list(module.parameters())
            if not ps:
                continue
            if K is None or any(p.shape[0] != E for p in ps):
                inactive = None
                break
            inactive += (E - K) * (sum(p.numel() for p in ps) // E)
            moe_layers += 1
        if not moe_layers:
            inactive = None
    return {"total": total, "language_model": text if wrapped else None,
            "moe": bool(E), "inactive_experts": inactive,
            "token_embedding": emb.weight.numel() if emb is not None else 0, "lm_head": lm_head,
                      "class": type(model).__name__, "version": transformers.__version__}


for cfg in configs:
    try:
        row = one(cfg)
    except Exception as e:
        row = {"error": f"{type(e).__name__}: {str(e)[:160]}"}
    print(json.dumps(row), flush=True)
"""


@dataclass(frozen=True)
class HFCount:
    """A parameter count made by transformers (see the module docstring).

    Attributes:
        model_type: the config's ``model_type``.
        total: every parameter of what ``AutoModelForCausalLM`` builds (an image-text wrapper whole).
        language_model: for such a wrapper, its language model and head alone (None otherwise).
        token_embedding: the token embedding.
        lm_head: an untied LM head (0 when tied).
        model_class: the transformers class that was built.
        transformers_version: the transformers release that counted.
        moe: the model routes tokens to experts.
        inactive_experts: MoE: the routed experts beyond the top-k (None: not measurable).
    """

    model_type: str
    total: int
    language_model: int | None
    token_embedding: int
    lm_head: int
    model_class: str
    transformers_version: str
    moe: bool = False
    inactive_experts: int | None = None  # MoE: the routed experts beyond the top-k (None: not measurable)

    @property
    def source(self) -> str:
        """Where the number comes from, for labels."""
        return f"transformers {self.transformers_version} ({self.model_class} on the meta device)"

    @property
    def embedding(self) -> int:
        """The token embedding plus an untied head."""
        return self.token_embedding + self.lm_head

    @property
    def non_embedding(self) -> int:
        """``total`` minus :attr:`embedding`."""
        return self.total - self.embedding

    def to_dict(self) -> dict[str, object]:
        """The count as plain data (JSON-ready; the disk cache's format).

        Returns:
            A dict of every field.
        """
        return dict(self.__dict__)

    def param_count(self) -> ParamCount:
        """The :class:`~planner.model.params.ParamCount` of this count: the language model for a wrapper
        (the rest as ``vision``), ``embeddings`` and ``head`` as measured, everything else in ``other``."""
        n = self.total if self.language_model is None else self.language_model
        return ParamCount(embeddings=self.token_embedding, positions=0, projection=0, attention=0, mlp=0, router=0,
                          norms=0, head=self.lm_head, other=n - self.token_embedding - self.lm_head,
                          is_moe=self.moe, inactive_experts=self.inactive_experts if self.moe else 0,
                          language_model_of=None if self.language_model is None else self.model_type,
                          vision=None if self.language_model is None else self.total - self.language_model,
                          counted_by=self.source)


def config_key(config: Mapping[str, object]) -> str:
    """A canonical hash of a config dict (sorted keys, no whitespace): the cache key.

    Args:
        config: The config dict.

    Returns:
        The SHA-256 hex digest of its canonical JSON.

    Raises:
        ConfigError: Naming ``config``: the dict cannot be written as JSON.
    """
    try:
        text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError) as e:
        raise ConfigError("config", f"must be plain JSON to be counted by transformers ({e})") from None
    return hashlib.sha256(text.encode()).hexdigest()


def _disk_dir() -> Path | None:
    if os.environ.get("PLANNER_NO_DISK_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "planner" / "hf_counts"


def _from_disk(key: str) -> HFCount | None:
    d = _disk_dir()
    if d is None:
        return None
    try:
        row = json.loads((d / f"{key}.json").read_text())
        return HFCount(**row)
    except (OSError, ValueError, TypeError):
        return None


def _to_disk(key: str, hc: HFCount) -> None:
    d = _disk_dir()
    if d is None:
        return
    try:
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f"{key}.json.tmp{os.getpid()}"
        tmp.write_text(json.dumps(hc.__dict__))
        tmp.replace(d / f"{key}.json")
    except OSError:  # a read-only home: the memory cache still holds it
        pass


def _transformers_version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("transformers")
    except PackageNotFoundError:
        return "unknown"


def available() -> bool:
    """Whether torch and transformers can be imported (checked without importing them)."""
    import importlib.util
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false", "TRANSFORMERS_VERBOSITY": "error", "PYTHONWARNINGS": "ignore"}


def _row(mt: object, out: Mapping[str, Any]) -> HFCount:
    """One count from the child's JSON output (any JSON values, checked here: hence Any)."""
    def n(key: str) -> int:
        v: int = validate.count(key, out[key], minimum=0, maximum=MAX_COUNT)
        return v
    return HFCount(model_type=str(mt), total=n("total"),
                   language_model=None if out["language_model"] is None else n("language_model"),
                   token_embedding=n("token_embedding"), lm_head=n("lm_head"), model_class=str(out["class"]),
                   transformers_version=str(out["version"]), moe=bool(out["moe"]),
                   inactive_experts=None if out["inactive_experts"] is None else n("inactive_experts"))


def hf_counts(configs: Sequence[Mapping[str, Any]], *, timeout: float = TIMEOUT) -> list[HFCount | str]:
    """Count many configs with transformers in one subprocess (see :func:`hf_count`), cached.

    Args:
        configs: config dicts.
        timeout: seconds for the whole batch.

    Returns:
        One entry per config: its :class:`HFCount`, or the one-line reason transformers could not
            count it (a ``str``).

    Raises:
        UnknownModelError: torch/transformers are not installed, or the batch took longer than ``timeout``.
        ConfigError: a config is not a JSON object of plain values.
    """
    keys: list[str] = []
    for cfg in configs:
        if not isinstance(cfg, Mapping):
            raise ConfigError("config", f"must be a JSON object, got {type(cfg).__name__}")
        keys.append(config_key(cfg))
    version = _transformers_version()
    results: list[HFCount | str | None] = [_MEMORY.get(k) or _from_disk(f"{k}-{version}") for k in keys]
    todo = [i for i, r in enumerate(results) if r is None]
    if todo and not available():
        raise UnknownModelError("config.model_type", f"not counted natively; {INSTALL_HINT}")
    if todo:
        try:
            proc = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=timeout,
                                  check=False, input=json.dumps([configs[i] for i in todo], default=str), env=_env())
        except subprocess.TimeoutExpired:
            raise UnknownModelError("config.model_type",
                                    f"transformers did not build it within {timeout:g} s") from None
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        outs: list[dict[str, Any]] = []
        for ln in lines:
            try:
                outs.append(json.loads(ln))
            except ValueError:
                outs.append({"error": "unreadable output"})
        if outs and "missing" in outs[0]:
            raise UnknownModelError("config.model_type", f"not counted natively; {INSTALL_HINT} ({outs[0]['missing']})")
        err = (proc.stderr.strip().splitlines() or ["no output"])[-1][:160]
        for j, i in enumerate(todo):
            out = outs[j] if j < len(outs) else {"error": f"the counting process stopped: {err}"}
            if "error" in out:
                results[i] = str(out["error"])
                continue
            hc = _row(configs[i].get("model_type"), out)
            _MEMORY[keys[i]] = hc
            _to_disk(f"{keys[i]}-{hc.transformers_version}", hc)
            results[i] = hc
    counted: list[HFCount | str] = []
    for r in results:
        assert r is not None  # every config missing from the caches was counted above
        counted.append(r)
    return counted


def hf_count(config: Mapping[str, Any], *, timeout: float = TIMEOUT, reason: str = "") -> HFCount:
    """Count ``config`` with transformers on the meta device, in a subprocess, cached.

    Args:
        config: a ``config.json`` as a dict (its ``model_type`` must be one transformers knows).
        timeout: seconds before the subprocess is stopped.
        reason: why the native counter refused it, for the messages.

    Returns:
        The ``HFCount``.

    Raises:
        UnknownModelError: torch/transformers are not installed (the message says how to get them),
            transformers cannot build the config, or the count took longer than ``timeout``.
        ConfigError: the config is not plain JSON.
    """
    if not isinstance(config, Mapping):
        raise ConfigError("config", f"must be a JSON object, got {type(config).__name__}")
    lead = reason or f"{config.get('model_type')!r} is not counted natively"
    try:
        (out,) = hf_counts([config], timeout=timeout)
    except UnknownModelError as e:
        why = INSTALL_HINT if not available() else str(e).split(": ", 1)[-1]
        raise UnknownModelError("config.model_type", f"{lead}; {why}") from None
    if isinstance(out, str):
        raise UnknownModelError("config.model_type", f"{lead}, and transformers cannot build it either: {out}")
    return out


__all__ = ["INSTALL_HINT", "TIMEOUT", "HFCount", "available", "config_key", "hf_count", "hf_counts"]
