"""Per-family conventions: how a Hugging Face ``config.json`` becomes an :class:`Architecture`.

Each supported ``model_type`` is one :class:`Family` row in one module of this package
(``dense``, ``moe``, ``ssm``, ``hybrid``), registered in :data:`FAMILIES`; adding a family is one row
(plus, when its structure is new, one small function beside it) and a test fixture.
``multimodal`` unwraps image-text configs to their language model.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import ConfigError, InputError, UnknownModelError
from ..architecture import Architecture
from . import dense, hybrid, moe, ssm  # noqa: F401  (each registers its rows)
from ._base import (
    _REQUIRED,
    ALIASES,
    FAMILIES,
    LEGACY,
    MODULES,
    REFUSED,
    Config,
    Family,
    Fields,
    aliased,
    dim,
    first_dim,
    flag,
    resolve,
    window_fields,
)
from ._class_defaults import ATTRIBUTE_MAPS, CLASS_DEFAULTS
from .multimodal import unwrap

SUPPORTED_MODEL_TYPES = tuple(sorted(FAMILIES))

# Architecture fields whose config key is not found through ALIASES (for error messages).
CONFIG_KEYS = {"num_heads": "num_attention_heads", "num_kv_heads": "num_key_value_heads",
               "experts_per_token": "num_experts_per_tok", "embed_dim": "word_embed_proj_dim",
               "moe_intermediate_size": "moe_intermediate_size", "kv_lora_rank": "kv_lora_rank",
               "qk_rope_head_dim": "qk_rope_head_dim", "ssm_heads": "num_heads",
               "sliding_window": "sliding_window", "sliding_window_layers": "layer_types"}


def _family(model_type: object) -> Family:
    fam = FAMILIES.get(model_type) if isinstance(model_type, str) else None
    if fam is not None:
        return fam
    if isinstance(model_type, str) and model_type in REFUSED:
        raise UnknownModelError("config.model_type", f"{model_type!r} is recognised but not counted: "
                                f"{REFUSED[model_type]}")
    raise UnknownModelError("config.model_type",
                            f"{model_type!r} is not supported; supported: {', '.join(SUPPORTED_MODEL_TYPES)}")


#: The config keys of the dropout rates a causal language model trains with (embedding, attention, residual,
#: MLP): a rate above zero means training stores dropout masks. A classifier or summary head's rate is not the
#: language model's and is left out.
DROPOUT_KEYS = ("activation_dropout", "attention_dropout", "attn_pdrop", "dropout", "emb_pdrop", "embd_pdrop",
                "embed_dropout", "embedding_dropout", "ffn_dropout", "hidden_dropout", "mlp_dropout", "resid_dropout",
                "resid_pdrop", "residual_dropout")


def _dropout_rate(config: Config) -> float:
    """The largest dropout rate among :data:`DROPOUT_KEYS` in the config (class defaults filled in); 0 for none."""
    rates = [0.0]
    for k in DROPOUT_KEYS:
        v = config.get(k)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise ConfigError(f"config.{k}", f"must be a dropout rate from 0 to 1, got {v!r:.60}")
        rates.append(float(v))
    return max(rates)


# Spellings of one field (transformers' attribute maps): a class default under one must not shadow another.
_SYNONYMS = (*ALIASES.values(), ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"),
             ("num_experts_per_tok", "moe_k", "moe_topk"), ("num_shared_experts", "n_shared_experts"))
_SPELLINGS = {key: names for names in _SYNONYMS for key in names}


_CORE = {name for group in ("hidden_size", "num_layers", "num_heads", "vocab_size") for name in ALIASES[group]}
_EXPERTS = set(_SYNONYMS[len(ALIASES)])  # the number of experts: a partial config without it is refused too


def _spelled_as_transformers_reads(amap: Config, config: Config) -> Config:
    """The config with each field its class spells another way (``attribute_map``) also under the field's own
    name, as transformers sets it; a field given under its own name wins."""
    extra = {target: config[alias] for alias, target in amap.items()
             if config.get(alias) is not None and config.get(target) is None}
    return {**config, **extra} if extra else config


def _absent_defaults(defaults: Mapping[str, object], config: Config, partial: bool = False) -> dict[str, object]:
    """The class defaults whose field the config does not give under any of its spellings
    (Falcon-40B's ``n_head`` is its ``num_attention_heads``: the class default must not shadow it).

    The four core dimensions (width, depth, heads, vocabulary) are filled only in a config that gives
    no width, heads or vocabulary (the config class's defaults, perhaps at another depth): a config that gives
    some and omits one is refused naming it (a config.json without hidden_size is a broken file, not a default
    model); so is one without its number of experts, which a family's own code may still default. ``partial``: fill
    them in any config (a family module's own defaults, as they always were)."""
    bare = partial or not any(config.get(name) is not None for name in _CORE - set(ALIASES["num_layers"]))
    return {k: v for k, v in defaults.items() if (bare or (k not in _CORE and k not in _EXPERTS))
            and not any(config.get(name) is not None for name in _SPELLINGS.get(k, (k,)))}


def from_hf_config(config: Config, name: str | None = None) -> Architecture:
    """Build the :class:`Architecture` a Hugging Face ``config.json`` (as a dict) describes.

    Args:
        config: the parsed ``config.json``. An image-text config (one with a
            ``text_config``) gives its language model, with ``language_model_of`` set to the
            wrapper's ``model_type`` and ``vision_params`` to its vision tower when counted.
        name: display name (default: the config's ``_name_or_path`` or its ``model_type``).

    Returns:
        The ``Architecture``, counted exactly as the current transformers release builds it.

    Raises:
        ConfigError: a field is missing, malformed or out of range (named ``config.<key>``).
        UnknownModelError: the ``model_type`` is missing from the supported families (the
            message lists them, or says why a recognised hybrid is not counted).
    """
    if not isinstance(config, Mapping):
        raise ConfigError("config", f"must be a JSON object, got {type(config).__name__}")
    label = name or config.get("_name_or_path") or config.get("model_type")
    config, wrapper = unwrap(config)
    model_type = config.get("model_type")
    if model_type is None:
        raise ConfigError("config.model_type", "missing: needed to know the model family")
    if isinstance(model_type, str) and model_type in LEGACY:
        model_type, implied = LEGACY[model_type]
        config = {**implied, **config, "model_type": model_type}
    fam = _family(model_type)
    config = _spelled_as_transformers_reads(ATTRIBUTE_MAPS.get(model_type, {}), config)
    config = {**_absent_defaults(CLASS_DEFAULTS.get(model_type, {}), config),
              **_absent_defaults(fam.defaults, config, partial=True), **config}
    out: Fields = {"family": model_type, "name": label if isinstance(label, str) else model_type}
    used: dict[str, str] = {}  # Architecture field -> the config key it came from, for error messages
    out["hidden_size"] = aliased(config, "hidden_size", used=used)
    out["num_layers"] = aliased(config, "num_layers", used=used)
    out["num_heads"] = aliased(config, "num_heads", used=used)
    out["vocab_size"] = aliased(config, "vocab_size", used=used)
    out["num_kv_heads"] = aliased(config, "num_kv_heads", out["num_heads"], used=used)
    out["head_dim"] = (aliased(config, "head_dim", fam.head_dim_default, used=used) if fam.head_dim_from_config
                       else None)  # None: hidden // heads
    mult = fam.intermediate_default
    out["intermediate_size"] = aliased(config, "intermediate_size",
                                       mult * out["hidden_size"] if mult else _REQUIRED, used=used)
    out.update(
        norm=fam.norm, norms_per_layer=fam.norms_per_layer, gated_mlp=fam.gated_mlp,
        qkv_bias=resolve(config, fam.qkv_bias), o_bias=resolve(config, fam.o_bias),
        mlp_bias=resolve(config, fam.mlp_bias), qk_norm=resolve(config, fam.qk_norm),
        qk_norm_scope=fam.qk_norm_scope, qk_norm_kind=fam.qk_norm_kind,
        lm_head_bias=resolve(config, fam.lm_head_bias),
        tied_embeddings=flag(config, "tie_word_embeddings", fam.tie_default),
        dropout=_dropout_rate(config),
    )
    if fam.positions:
        out["max_positions"] = first_dim(config, fam.positions) + fam.position_offset
    if fam.extra:
        fam.extra(config, out)
    if fam.window is not None:
        out.update(window_fields(config, out["num_layers"], fam.window))
    if wrapper is not None:
        out.update(wrapper)
    try:
        return Architecture(**out)
    except InputError as e:
        key = {**CONFIG_KEYS, **used}.get(e.field, e.field)
        raise ConfigError(f"config.{key}", e.problem) from e


__all__ = ["ALIASES", "CONFIG_KEYS", "DROPOUT_KEYS", "FAMILIES", "LEGACY", "MODULES", "REFUSED",
           "SUPPORTED_MODEL_TYPES", "Family", "from_hf_config", "dim", "flag"]
