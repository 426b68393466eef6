"""Per-family conventions: how a Hugging Face ``config.json`` becomes an Architecture.

Each supported ``model_type`` has one row in :data:`FAMILIES`. A row says which norm the
family uses and how many per layer, whether its MLP is gated, which projections carry a
bias (a constant, or the name of the config flag that switches it and that flag's
default), whether the head is tied by default, and the defaults Hugging Face applies when
a field is absent. The few rules that are not a constant (Falcon's fused QKV width and
norm count, OPT's embedding projection, Qwen3-MoE's sparse-layer pattern) are small
functions named in the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from .. import validate
from .architecture import MAX_DIM, Architecture
from ..errors import ConfigError, InputError, UnknownModelError

# Where each dimension may be spelled in a config.json, first match wins.
ALIASES = {
    "hidden_size": ("hidden_size", "n_embd", "d_model"),
    "num_layers": ("num_hidden_layers", "n_layer", "num_layers"),
    "num_heads": ("num_attention_heads", "n_head"),
    "num_kv_heads": ("num_key_value_heads", "num_kv_heads", "n_head_kv"),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_dim", "ffn_hidden_size"),
    "vocab_size": ("vocab_size",),
    "head_dim": ("head_dim",),
}

Flag = bool | tuple[str, bool]  # a constant, or (config flag, its default)


@dataclass(frozen=True)
class Family:
    norm: str = "rms"
    norms_per_layer: int = 2
    gated_mlp: bool = True
    qkv_bias: Flag = ("attention_bias", False)
    o_bias: Flag = ("attention_bias", False)
    mlp_bias: Flag = ("mlp_bias", False)
    lm_head_bias: bool = False
    qk_norm: Flag = False
    tie_default: bool = False
    head_dim_default: int | None = None       # None: hidden_size // num_heads
    intermediate_default: int | None = None   # multiple of hidden_size when absent; None: required
    positions: str | None = None              # config field holding learned positions
    position_offset: int = 0
    extra: Callable[[Mapping, dict], None] | None = field(default=None)


def _falcon(cfg: Mapping, out: dict) -> None:
    """Falcon: fused QKV width, parallel block norms, and one bias flag for every Linear."""
    new_arch = _flag(cfg, "new_decoder_architecture", False)
    if not new_arch:  # the new architecture reads num_kv_heads as usual
        out["num_kv_heads"] = 1 if _flag(cfg, "multi_query", True) else out["num_heads"]
    n_ln = cfg.get("num_ln_in_parallel_attn")
    if n_ln is None and new_arch:
        n_ln = 2
    # Sequential block: input + post-attention norms. Parallel block: ln_attn + ln_mlp, or one shared norm.
    out["norms_per_layer"] = 2 if (not _flag(cfg, "parallel_attn", True) or n_ln == 2) else 1


def _opt(cfg: Mapping, out: dict) -> None:
    """OPT: an optional embedding projection, affine-less norms, and a final norm rule."""
    out["embed_dim"] = _dim(cfg, "word_embed_proj_dim", out["hidden_size"])
    if not _flag(cfg, "layer_norm_elementwise_affine", True):
        out["norm"] = "none"
    out["final_norm"] = _flag(cfg, "do_layer_norm_before", True) and not _flag(cfg, "_remove_final_layer_norm", False)
    bias = _flag(cfg, "enable_bias", True)
    out.update(qkv_bias=bias, o_bias=bias, mlp_bias=bias)


def _mixtral(cfg: Mapping, out: dict) -> None:
    out["num_experts"] = _dim(cfg, "num_local_experts")
    out["experts_per_token"] = _dim(cfg, "num_experts_per_tok")


def _qwen3_moe(cfg: Mapping, out: dict) -> None:
    """Qwen3-MoE: layer i is sparse unless listed in mlp_only_layers or (i+1) % decoder_sparse_step != 0."""
    experts = _dim(cfg, "num_experts", minimum=0)
    out["num_experts"] = experts
    if not experts:
        return
    out["experts_per_token"] = _dim(cfg, "num_experts_per_tok")
    out["moe_intermediate_size"] = _dim(cfg, "moe_intermediate_size")
    step = _dim(cfg, "decoder_sparse_step", 1)
    only_dense = cfg.get("mlp_only_layers") or []
    if not isinstance(only_dense, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in only_dense):
        raise ConfigError("config.mlp_only_layers", f"must be a list of layer indices, got {only_dense!r}")
    dense = set(only_dense)
    out["moe_layers"] = sum(1 for i in range(out["num_layers"]) if i not in dense and (i + 1) % step == 0)


_LLAMA = Family()
FAMILIES: dict[str, Family] = {
    "llama": _LLAMA,
    "mistral": Family(qkv_bias=False, o_bias=False, mlp_bias=False),  # bias flags are not honoured
    "mixtral": Family(extra=_mixtral),
    "qwen2": Family(qkv_bias=True, o_bias=False, mlp_bias=False),
    "qwen3": Family(qk_norm=True, mlp_bias=False, head_dim_default=128),
    "qwen3_moe": Family(qk_norm=True, mlp_bias=False, head_dim_default=128, extra=_qwen3_moe),
    "gemma": Family(mlp_bias=False, tie_default=True, head_dim_default=256),
    "gemma2": Family(norms_per_layer=4, mlp_bias=False, tie_default=True, head_dim_default=256),
    "phi3": Family(qkv_bias=False, o_bias=False, mlp_bias=False),
    "phi": Family(norm="layer", norms_per_layer=1, gated_mlp=False, qkv_bias=True, o_bias=True, mlp_bias=True,
                  lm_head_bias=True, qk_norm=("qk_layernorm", False)),
    "gpt2": Family(norm="layer", gated_mlp=False, qkv_bias=True, o_bias=True, mlp_bias=True, tie_default=True,
                   intermediate_default=4, positions="n_positions"),
    "gpt_neox": Family(norm="layer", gated_mlp=False, qkv_bias=("attention_bias", True),
                       o_bias=("attention_bias", True), mlp_bias=True),
    "opt": Family(norm="layer", gated_mlp=False, tie_default=True, positions="max_position_embeddings",
                  position_offset=2, extra=_opt),
    "falcon": Family(norm="layer", gated_mlp=False, qkv_bias=("bias", False), o_bias=("bias", False),
                     mlp_bias=("bias", False), tie_default=True, intermediate_default=4, extra=_falcon),
}

# Legacy model_types that older checkpoints still carry: (family, config defaults they imply).
LEGACY = {
    "RefinedWeb": ("falcon", {"new_decoder_architecture": True}),        # Falcon-40B's original format
    "RefinedWebModel": ("falcon", {"new_decoder_architecture": False}),  # Falcon-7B's original format
}

SUPPORTED_MODEL_TYPES = tuple(sorted(FAMILIES))


def _flag(cfg: Mapping, key: str, default: bool) -> bool:
    v = cfg.get(key, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise ConfigError(f"config.{key}", f"must be true or false, got {v!r}")
    return v


def _dim(cfg: Mapping, key: str, default: int | None = None, *, minimum: int = 1) -> int:
    v = cfg.get(key)
    if v is None:
        if default is None:
            raise ConfigError(f"config.{key}", "missing: this field is needed to count parameters")
        return default
    if isinstance(v, str):  # a config system wrote text where a number belongs
        raise ConfigError(f"config.{key}", f"must be a JSON number (a whole number >= {minimum}), got the string {v!r}")
    try:
        return validate.count(f"config.{key}", v, minimum=minimum, maximum=MAX_DIM)
    except InputError as e:
        raise ConfigError(f"config.{key}", e.problem) from e


_REQUIRED = object()


def _aliased(cfg: Mapping, name: str, default=_REQUIRED, used: dict | None = None) -> int | None:
    """The first of ``name``'s spellings present in ``cfg``; ``used`` records which key it was."""
    for key in ALIASES[name]:
        if cfg.get(key) is not None:
            if used is not None:
                used[name] = key
            return _dim(cfg, key)
    if default is _REQUIRED:
        raise ConfigError(f"config.{ALIASES[name][0]}", "missing: this field is needed to count parameters")
    return default


def _resolve(cfg: Mapping, flag: Flag) -> bool:
    return flag if isinstance(flag, bool) else _flag(cfg, *flag)


def from_hf_config(config: Mapping, name: str | None = None) -> Architecture:
    """Build the :class:`Architecture` a Hugging Face ``config.json`` (as a dict) describes."""
    if not isinstance(config, Mapping):
        raise ConfigError("config", f"must be a JSON object, got {type(config).__name__}")
    model_type = config.get("model_type")
    if model_type is None:
        raise ConfigError("config.model_type", "missing: needed to know the model family")
    if isinstance(model_type, str) and model_type in LEGACY:
        model_type, implied = LEGACY[model_type]
        config = {**implied, **config, "model_type": model_type}
    fam = FAMILIES.get(model_type) if isinstance(model_type, str) else None
    if fam is None:
        raise UnknownModelError("config.model_type",
                                f"{model_type!r} is not supported; supported: {', '.join(SUPPORTED_MODEL_TYPES)}")
    label = name or config.get("_name_or_path") or model_type
    out: dict = {"family": model_type, "name": label if isinstance(label, str) else model_type}
    used: dict[str, str] = {}  # Architecture field -> the config key it came from, for error messages
    out["hidden_size"] = _aliased(config, "hidden_size", used=used)
    out["num_layers"] = _aliased(config, "num_layers", used=used)
    out["num_heads"] = _aliased(config, "num_heads", used=used)
    out["vocab_size"] = _aliased(config, "vocab_size", used=used)
    out["num_kv_heads"] = _aliased(config, "num_kv_heads", out["num_heads"], used=used)
    out["head_dim"] = _aliased(config, "head_dim", fam.head_dim_default, used=used)  # None: hidden // heads
    mult = fam.intermediate_default
    out["intermediate_size"] = _aliased(config, "intermediate_size",
                                        mult * out["hidden_size"] if mult else _REQUIRED, used=used)
    out.update(
        norm=fam.norm, norms_per_layer=fam.norms_per_layer, gated_mlp=fam.gated_mlp,
        qkv_bias=_resolve(config, fam.qkv_bias), o_bias=_resolve(config, fam.o_bias),
        mlp_bias=_resolve(config, fam.mlp_bias), qk_norm=_resolve(config, fam.qk_norm),
        lm_head_bias=fam.lm_head_bias, tied_embeddings=_flag(config, "tie_word_embeddings", fam.tie_default),
    )
    if fam.positions:
        out["max_positions"] = _dim(config, fam.positions) + fam.position_offset
    if fam.extra:
        fam.extra(config, out)
    try:
        return Architecture(**out)
    except InputError as e:
        key = {**CONFIG_KEYS, **used}.get(e.field, e.field)
        raise ConfigError(f"config.{key}", e.problem) from e


# Architecture fields whose config key is not found through ALIASES (for error messages).
CONFIG_KEYS = {"num_heads": "num_attention_heads", "num_kv_heads": "num_key_value_heads",
               "experts_per_token": "num_experts_per_tok", "embed_dim": "word_embed_proj_dim"}
