"""State-space families (Mamba, Mamba-2, the Jamba hybrid), and the hybrids not counted yet, with the reason.

A Mamba layer is one RMSNorm and one mixer (no attention, no MLP). transformers derives
the mixer width from ``expand x hidden_size`` (a config's ``intermediate_size`` is
overwritten) and Mamba's Δ rank ``"auto"`` as ``ceil(hidden_size / 16)``.
"""

from __future__ import annotations

import math
from typing import Mapping

from ._base import REFUSED, Family, dim, flag, register
from ...errors import ConfigError


def _expand(cfg: Mapping, hidden: int) -> int:
    e = cfg.get("expand", 2)
    if isinstance(e, bool) or not isinstance(e, (int, float)) or not e > 0 or not math.isfinite(e):
        raise ConfigError("config.expand", f"must be a positive number, got {e!r}")
    return int(e * hidden)


def _mamba(cfg: Mapping, out: dict) -> None:
    d = out["hidden_size"]
    rank = cfg.get("time_step_rank", "auto")
    out.update(mixer="mamba", feed_forward=False, num_heads=1, head_dim=None, num_kv_heads=None, norms_per_layer=1,
               ssm_inner_size=_expand(cfg, d), ssm_state_size=dim(cfg, "state_size", 16),
               ssm_conv_kernel=dim(cfg, "conv_kernel", 4), ssm_conv_bias=flag(cfg, "use_conv_bias", True),
               ssm_proj_bias=flag(cfg, "use_bias", False),
               ssm_dt_rank=math.ceil(d / 16) if rank == "auto" else dim(cfg, "time_step_rank"))


def _mamba2(cfg: Mapping, out: dict) -> None:
    d = out["hidden_size"]
    heads, head_dim = dim(cfg, "num_heads", 128), dim(cfg, "head_dim", 64)
    inner = _expand(cfg, d)
    if inner != heads * head_dim:
        raise ConfigError("config.num_heads", f"num_heads x head_dim ({heads * head_dim}) must equal expand x "
                          f"hidden_size ({inner}), as transformers requires")
    out.update(mixer="mamba2", feed_forward=False, num_heads=1, head_dim=None, num_kv_heads=None, norms_per_layer=1,
               ssm_inner_size=inner, ssm_heads=heads, ssm_groups=dim(cfg, "n_groups", 8),
               ssm_state_size=dim(cfg, "state_size", 128), ssm_conv_kernel=dim(cfg, "conv_kernel", 4),
               ssm_conv_bias=flag(cfg, "use_conv_bias", True), ssm_proj_bias=flag(cfg, "use_bias", False))


def _jamba(cfg: Mapping, out: dict) -> None:
    """Jamba: attention every attn_layer_period-th layer (at attn_layer_offset), Mamba elsewhere,
    with RMSNorms on Δ, B and C; MoE every expert_layer_period-th layer, a gated MLP elsewhere."""
    d = out["hidden_size"]
    rank = cfg.get("mamba_dt_rank", "auto")
    out.update(mixer="mamba", attention_layer_period=dim(cfg, "attn_layer_period", 8),
               attention_layer_offset=dim(cfg, "attn_layer_offset", 4, minimum=0), ssm_dt_norms=True,
               ssm_inner_size=dim(cfg, "mamba_expand", 2) * d, ssm_state_size=dim(cfg, "mamba_d_state", 16),
               ssm_conv_kernel=dim(cfg, "mamba_d_conv", 4), ssm_conv_bias=flag(cfg, "mamba_conv_bias", True),
               ssm_proj_bias=flag(cfg, "mamba_proj_bias", False),
               ssm_dt_rank=math.ceil(d / 16) if rank == "auto" else dim(cfg, "mamba_dt_rank"))
    experts = dim(cfg, "num_experts", 16) if cfg.get("num_experts") is not None or cfg.get("num_local_experts") \
        is None else dim(cfg, "num_local_experts")
    out.update(num_experts=experts, experts_per_token=dim(cfg, "num_experts_per_tok", 2),
               moe_layer_period=dim(cfg, "expert_layer_period", 2),
               moe_layer_offset=dim(cfg, "expert_layer_offset", 1, minimum=0))


_NEMOTRON_LAYERS = {"M": "mixer", "*": "attention", "-": "mlp", "E": "moe",  # hybrid_override_pattern
                    "linear_attention": "mixer", "mamba": "mixer", "full_attention": "attention",
                    "attention": "attention", "mlp": "mlp", "moe": "moe"}          # layer_types, legacy names


def _nemotron_h(cfg: Mapping, out: dict) -> None:
    """Nemotron-H: each layer is one RMSNorm and one block (Mamba-2, attention, a plain MLP or MoE), in the
    order of ``layer_types`` (or the older ``hybrid_override_pattern``); the depth is that list's length.
    Experts, shared experts and MLPs are plain (up, down) MLPs; the router's correction bias is a buffer.
    transformers declares no tied weights for it: the head is untied whatever tie_word_embeddings says."""
    kinds = cfg.get("layer_types")
    key = "layer_types"
    if kinds is None and cfg.get("hybrid_override_pattern") is not None:
        kinds, key = cfg["hybrid_override_pattern"], "hybrid_override_pattern"
    if kinds is None:
        kinds = ["linear_attention", "moe", "full_attention", "mlp"]  # the config class's default
    if not isinstance(kinds, (str, list)) or any(not isinstance(k, str) or k not in _NEMOTRON_LAYERS for k in kinds):
        raise ConfigError(f"config.{key}", f"must list layer kinds ({', '.join(_NEMOTRON_LAYERS)}), got {kinds!r}")
    layers = [_NEMOTRON_LAYERS[k] for k in kinds]
    heads, head_dim = dim(cfg, "mamba_num_heads", 128), dim(cfg, "mamba_head_dim", 64)
    out.update(num_layers=len(layers), layer_types=layers, mixer="mamba2", tied_embeddings=False, norms_per_layer=1, gated_mlp=False,
               ssm_inner_size=heads * head_dim, ssm_heads=heads, ssm_groups=dim(cfg, "n_groups", 8),
               ssm_state_size=dim(cfg, "ssm_state_size", 128), ssm_conv_kernel=dim(cfg, "conv_kernel", 4),
               ssm_conv_bias=flag(cfg, "use_conv_bias", True), ssm_proj_bias=flag(cfg, "use_bias", False))
    if "moe" in layers:
        out.update(num_experts=dim(cfg, "n_routed_experts", 8), experts_per_token=dim(cfg, "num_experts_per_tok", 2),
                   moe_intermediate_size=dim(cfg, "moe_intermediate_size", 7688),
                   num_shared_experts=1 if dim(cfg, "n_shared_experts", 1, minimum=0) else 0,
                   shared_expert_intermediate_size=dim(cfg, "moe_shared_expert_intermediate_size", 7688),
                   moe_latent_size=None if cfg.get("moe_latent_size") is None else dim(cfg, "moe_latent_size"))


# No attention: num_attention_heads defaults to a placeholder 1 (each layer's mixer replaces attention).
_SSM = dict(intermediate_default=1, head_dim_from_config=False, **{"qkv_bias": False, "o_bias": False,
                                                                   "mlp_bias": False})

# transformers' config-class defaults (current release) for keys a config.json may omit.
_DEFAULTS = {
    "nemotron_h": {"vocab_size": 131072, "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
                   "intermediate_size": 21504, "num_hidden_layers": 4},
    "mamba": {"vocab_size": 50280, "hidden_size": 768, "num_hidden_layers": 32, "num_attention_heads": 1},
    "mamba2": {"vocab_size": 32768, "hidden_size": 4096, "num_hidden_layers": 64, "num_attention_heads": 1},
}

register(__name__, defaults=_DEFAULTS, table={
    # Nemotron-H: attention without biases; its q/k/v widths follow head_dim (config class default 128).
    "nemotron_h": Family(norm="rms", gated_mlp=False, qkv_bias=False, o_bias=False, mlp_bias=("mlp_bias", False),
                         head_dim_default=128, extra=_nemotron_h),
    "jamba": Family(defaults={'vocab_size': 65536, 'hidden_size': 4096, 'intermediate_size': 14336,
                              'num_hidden_layers': 32, 'num_attention_heads': 32, 'num_key_value_heads': 8},
                    **{**_SSM, "intermediate_default": None, "head_dim_from_config": True},
                    extra=_jamba),
    "mamba": Family(tie_default=True, extra=_mamba, **_SSM),
    "mamba2": Family(tie_default=False, extra=_mamba2, **_SSM),
})

REFUSED.update({
    "falcon_h1": "its parallel attention + Mamba-2 blocks are not counted yet",
})
