"""Hybrid families: attention mixed with state-space or linear-attention layers.

Jamba interleaves Mamba and attention layers (and MoE); Falcon-H1 runs attention and a Mamba-2
mixer side by side in every layer; Nemotron-H gives each layer one block (Mamba-2, attention,
MLP or MoE) in a listed order; Qwen3-Next and Qwen3.5 interleave gated DeltaNet layers with
output-gated attention. Where attention sits is a rule (every k-th layer) or a list.
"""

from __future__ import annotations

from ...errors import ConfigError
from ._base import Biases, Config, Family, Fields, dim, flag, layer_list, register
from .moe import _experts, _qwen2_moe
from .ssm import _expand


def _jamba(cfg: Config, out: Fields) -> None:
    """Jamba: attention every attn_layer_period-th layer (at attn_layer_offset), Mamba elsewhere,
    with RMSNorms on Δ, B and C; MoE every expert_layer_period-th layer, a gated MLP elsewhere."""
    d = out["hidden_size"]
    rank = cfg.get("mamba_dt_rank", "auto")
    out.update(mixer="mamba", attention_layer_period=dim(cfg, "attn_layer_period", 8),
               attention_layer_offset=dim(cfg, "attn_layer_offset", 4, minimum=0), ssm_dt_norms=True,
               ssm_inner_size=dim(cfg, "mamba_expand", 2) * d, ssm_state_size=dim(cfg, "mamba_d_state", 16),
               ssm_conv_kernel=dim(cfg, "mamba_d_conv", 4), ssm_conv_bias=flag(cfg, "mamba_conv_bias", True),
               ssm_proj_bias=flag(cfg, "mamba_proj_bias", False),
               # None: Architecture derives ceil(d / 16)
               ssm_dt_rank=None if rank == "auto" else dim(cfg, "mamba_dt_rank"))
    experts = dim(cfg, "num_experts", 16) if cfg.get("num_experts") is not None or cfg.get("num_local_experts") \
        is None else dim(cfg, "num_local_experts")
    out.update(num_experts=experts, experts_per_token=dim(cfg, "num_experts_per_tok", 2),
               moe_layer_period=dim(cfg, "expert_layer_period", 2),
               moe_layer_offset=dim(cfg, "expert_layer_offset", 1, minimum=0))


_NEMOTRON_LAYERS = {"M": "mixer", "*": "attention", "-": "mlp", "E": "moe",  # hybrid_override_pattern
                    "linear_attention": "mixer", "mamba": "mixer", "full_attention": "attention",
                    "attention": "attention", "mlp": "mlp", "moe": "moe"}          # layer_types, legacy names


def _nemotron_h(cfg: Config, out: Fields) -> None:
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
    out.update(num_layers=len(layers), layer_types=layers, mixer="mamba2", tied_embeddings=False, norms_per_layer=1,
               gated_mlp=False,
               ssm_inner_size=heads * head_dim, ssm_heads=heads, ssm_groups=dim(cfg, "n_groups", 8),
               ssm_state_size=dim(cfg, "ssm_state_size", 128), ssm_conv_kernel=dim(cfg, "conv_kernel", 4),
               ssm_conv_bias=flag(cfg, "use_conv_bias", True), ssm_proj_bias=flag(cfg, "use_bias", False))
    if "moe" in layers:
        out.update(num_experts=dim(cfg, "n_routed_experts", 8), experts_per_token=dim(cfg, "num_experts_per_tok", 2),
                   moe_intermediate_size=dim(cfg, "moe_intermediate_size", 7688),
                   num_shared_experts=1 if dim(cfg, "n_shared_experts", 1, minimum=0) else 0,
                   shared_expert_intermediate_size=dim(cfg, "moe_shared_expert_intermediate_size", 7688),
                   moe_latent_size=None if cfg.get("moe_latent_size") is None else dim(cfg, "moe_latent_size"))


def _falcon_h1(cfg: Config, out: Fields) -> None:
    """Falcon-H1: attention and a Mamba-2 mixer side by side in every layer, then a gated MLP. The mixer's
    out projection has its own bias flag (projectors_bias) and its gated norm is optional (mamba_rms_norm);
    the µP multipliers are buffers, not parameters."""
    d = out["hidden_size"]
    inner = dim(cfg, "mamba_d_ssm") if cfg.get("mamba_d_ssm") is not None else _expand(
        {"expand": cfg.get("mamba_expand", 2)}, d)
    heads = dim(cfg, "mamba_n_heads", 128)
    head = cfg.get("mamba_d_head", "auto")
    if head != "auto" and dim(cfg, "mamba_d_head") * heads != inner:
        raise ConfigError("config.mamba_d_head", f"mamba_d_head x mamba_n_heads must equal the mixer width {inner}")
    if inner % heads:
        raise ConfigError("config.mamba_n_heads", f"must divide the mixer width {inner}")
    out.update(mixer="mamba2", attention_with_mixer=True, ssm_inner_size=inner, ssm_heads=heads,
               ssm_groups=dim(cfg, "mamba_n_groups", 1), ssm_state_size=dim(cfg, "mamba_d_state", 256),
               ssm_conv_kernel=dim(cfg, "mamba_d_conv", 4), ssm_conv_bias=flag(cfg, "mamba_conv_bias", True),
               ssm_proj_bias=flag(cfg, "mamba_proj_bias", False), ssm_out_bias=flag(cfg, "projectors_bias", False),
               ssm_norm=flag(cfg, "mamba_rms_norm", False))


def _gated_deltanet(cfg: Config, out: Fields) -> None:
    """Qwen3-Next / Qwen3.5: gated DeltaNet layers, with full attention (output-gated, q/k RMSNorms)
    every full_attention_interval-th layer or where ``layer_types`` says ``full_attention``."""
    L = out["num_layers"]
    kinds = cfg.get("layer_types")
    if kinds is None:
        step = dim(cfg, "full_attention_interval", 4)
        period, offset = step, step - 1
    else:
        if not isinstance(kinds, list) or len(kinds) != L or any(k not in ("linear_attention", "full_attention")
                                                                 for k in kinds):
            raise ConfigError("config.layer_types",
                              f"must list {L} of linear_attention / full_attention, got {kinds!r}")
        full = [i for i, k in enumerate(kinds) if k == "full_attention"]
        period = full[1] - full[0] if len(full) > 1 else L
        offset = full[0] if full else 0
        if not full or offset >= period or full != list(range(offset, L, period)):  # irregular: the list itself
            out["attention_layers"] = full
            period, offset = None, 0
    out.update(mixer="gated_deltanet", attention_layer_period=period, attention_layer_offset=offset,
               attention_output_gate=True, ssm_conv_kernel=dim(cfg, "linear_conv_kernel_dim", 4),
               linear_key_heads=dim(cfg, "linear_num_key_heads", 16),
               linear_value_heads=dim(cfg, "linear_num_value_heads", 32),
               linear_key_head_dim=dim(cfg, "linear_key_head_dim", 128),
               linear_value_head_dim=dim(cfg, "linear_value_head_dim", 128))


def _olmo_hybrid(cfg: Config, out: Fields) -> None:
    """OLMo-Hybrid: gated DeltaNet layers (separate q/k/v projections, the same count as Qwen3-Next's fused
    ones) and OLMo-2 attention layers (no output gate); by default full attention every 4th layer, and at
    least the last. Unset linear widths are derived as transformers derives them: heads as the attention
    heads, key head dim int(0.75 x hidden / key heads), value head dim twice that."""
    L, d, h = out["num_layers"], out["hidden_size"], out["num_heads"]
    kinds = cfg.get("layer_types")
    if kinds is None:
        kinds = ["full_attention" if i % 4 == 3 else "linear_attention" for i in range(L)]
        if "full_attention" not in kinds:
            kinds[-1] = "full_attention"
    if not isinstance(kinds, list) or len(kinds) != L or any(k not in ("linear_attention", "full_attention")
                                                             for k in kinds):
        raise ConfigError("config.layer_types", f"must list {L} of linear_attention / full_attention, got {kinds!r}")
    if "linear_attention" not in kinds or "full_attention" not in kinds:
        raise ConfigError("config.layer_types", "transformers needs at least one linear and one full attention layer")
    hk = dim(cfg, "linear_num_key_heads", h)
    hv = dim(cfg, "linear_num_value_heads", h)
    dk = dim(cfg, "linear_key_head_dim", int(0.75 * d / hk))
    dv = dim(cfg, "linear_value_head_dim", 2 * dk)
    out.update(mixer="gated_deltanet", attention_layers=[i for i, k in enumerate(kinds) if k == "full_attention"],
               attention_layer_period=None, ssm_conv_kernel=dim(cfg, "linear_conv_kernel_dim", 4),
               linear_key_heads=hk, linear_value_heads=hv, linear_key_head_dim=dk, linear_value_head_dim=dv)


def _qwen3_next(cfg: Config, out: Fields) -> None:
    """Qwen3-Next: gated DeltaNet hybrid layers, Qwen2-MoE's experts with a gated shared expert."""
    _gated_deltanet(cfg, out)
    _qwen2_moe(cfg, out, default_experts=512)


def _qwen3_5_moe_text(cfg: Config, out: Fields) -> None:
    """Qwen3.5-MoE's language model: gated DeltaNet hybrid layers, every layer MoE with a gated shared expert."""
    _gated_deltanet(cfg, out)
    _experts(cfg, out, 256, ("num_experts", "num_local_experts"), "moe_intermediate_size")
    out.update(num_shared_experts=1, shared_expert_gate=True,
               shared_expert_intermediate_size=dim(cfg, "shared_expert_intermediate_size"))


def _lfm2_layers(cfg: Config, out: Fields) -> None:
    """LFM2: short-convolution layers and attention layers (``layer_types``, else ``full_attn_idxs``, else all
    attention), each with a gated MLP whose width transformers adjusts: 2/3 of intermediate_size, then with
    a multiplier, that times it rounded up to block_multiple_of."""
    L = out["num_layers"]
    kinds = cfg.get("layer_types")
    if kinds is not None:
        if not isinstance(kinds, list) or len(kinds) != L or any(k not in ("conv", "full_attention") for k in kinds):
            raise ConfigError("config.layer_types", f"must list {L} of conv / full_attention, got {kinds!r}")
        full = [i for i, k in enumerate(kinds) if k == "full_attention"]
    elif cfg.get("full_attn_idxs") is not None:
        full = layer_list(cfg, "full_attn_idxs")
    else:
        full = list(range(L))
    f = out["intermediate_size"]
    if cfg.get("model_type") == "lfm2" and flag(cfg, "block_auto_adjust_ff_dim", True):
        f = int(2 * f / 3)
        mult = cfg.get("block_ffn_dim_multiplier", 1.0)
        if mult is not None:
            if isinstance(mult, bool) or not isinstance(mult, (int, float)) or not mult > 0:
                raise ConfigError("config.block_ffn_dim_multiplier", f"must be a positive number, got {mult!r}")
            m = dim(cfg, "block_multiple_of", 256)
            f = m * ((int(mult * f) + m - 1) // m)
    out.update(mixer="short_conv", attention_layers=full, attention_layer_period=None, intermediate_size=f,
               ssm_conv_kernel=dim(cfg, "conv_L_cache", 3), ssm_conv_bias=flag(cfg, "conv_bias", False))


def _lfm2_moe(cfg: Config, out: Fields) -> None:
    """LFM2-MoE: LFM2's layers (dense MLPs of intermediate_size as written), MoE after num_dense_layers;
    the expert bias is a buffer. transformers needs ``layer_types``."""
    if cfg.get("layer_types") is None:
        raise ConfigError("config.layer_types", "missing: transformers needs it to build lfm2_moe")
    _lfm2_layers(cfg, out)
    if _experts(cfg, out, 32, ("num_experts", "num_local_experts"), "moe_intermediate_size"):
        out["first_dense_layers"] = dim(cfg, "num_dense_layers", 2, minimum=0)


_MAMBA_OR_ATTENTION = {"mamba": False, "linear_attention": False, "attention": True, "full_attention": True}


def _mamba2_beside_attention(cfg: Config, out: Fields, attention: list[int]) -> None:
    """Mamba-2 layers (Bamba, Granite-4.0-H) where ``attention`` does not list the layer: the mixer width is
    mamba_expand x hidden_size, split in mamba_n_heads heads of mamba_d_head."""
    d = out["hidden_size"]
    inner = _expand({"expand": cfg.get("mamba_expand", 2)}, d)
    heads = dim(cfg, "mamba_n_heads", 128)
    head = cfg.get("mamba_d_head", "auto")
    if inner % heads or (head != "auto" and dim(cfg, "mamba_d_head") * heads != inner):
        raise ConfigError("config.mamba_n_heads", f"mamba_n_heads x mamba_d_head must equal mamba_expand x "
                          f"hidden_size ({inner}), as transformers requires")
    out.update(mixer="mamba2", attention_layers=attention, attention_layer_period=None, ssm_inner_size=inner,
               ssm_heads=heads, ssm_groups=dim(cfg, "mamba_n_groups", 1), ssm_state_size=dim(cfg, "mamba_d_state", 256),
               ssm_conv_kernel=dim(cfg, "mamba_d_conv", 4), ssm_conv_bias=flag(cfg, "mamba_conv_bias", True),
               ssm_proj_bias=flag(cfg, "mamba_proj_bias", False))


def _granitemoehybrid(cfg: Config, out: Fields) -> None:
    """Granite-4.0 (-H): each layer a Mamba-2 mixer or attention (``layer_types``, default all Mamba), then
    routed experts of intermediate_size (none when num_local_experts is 0) plus a gated shared MLP of
    shared_intermediate_size."""
    L = out["num_layers"]
    kinds = cfg.get("layer_types", cfg.get("layers_block_type"))
    if kinds is None:
        kinds = ["mamba"] * L
    if not isinstance(kinds, list) or len(kinds) != L or any(k not in _MAMBA_OR_ATTENTION for k in kinds):
        raise ConfigError("config.layer_types", f"must list {L} of mamba / attention, got {kinds!r}")
    _mamba2_beside_attention(cfg, out, [i for i, k in enumerate(kinds) if _MAMBA_OR_ATTENTION[k]])
    shared = dim(cfg, "shared_intermediate_size", 1024, minimum=0)
    experts = dim(cfg, "num_local_experts", 8, minimum=0)
    if experts:
        out.update(num_experts=experts, experts_per_token=dim(cfg, "num_experts_per_tok", 2),
                   moe_intermediate_size=out["intermediate_size"], num_shared_experts=1 if shared else 0,
                   shared_expert_intermediate_size=shared or None)
    elif shared:
        out["intermediate_size"] = shared
    else:
        out["feed_forward"] = False


def _bamba(cfg: Config, out: Fields) -> None:
    """Bamba: Mamba-2 layers with attention at attn_layer_indices, a gated MLP in every layer."""
    _mamba2_beside_attention(cfg, out, layer_list(cfg, "attn_layer_indices"))


_NO_BIAS = Biases(qkv_bias=False, o_bias=False, mlp_bias=False)

# transformers' config-class defaults (current release) for keys a config.json may omit.
_DEFAULTS = {
    "falcon_h1": {"vocab_size": 128000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                  "num_attention_heads": 32, "num_key_value_heads": 8, "mamba_d_ssm": 1024},
    "nemotron_h": {"vocab_size": 131072, "hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 8,
                   "intermediate_size": 21504, "num_hidden_layers": 4},
    "qwen3_next": {"vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 48,
                   "num_attention_heads": 16, "num_key_value_heads": 2, "num_experts_per_tok": 10,
                   "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512},
    "qwen3_5_text": {"vocab_size": 248320, "hidden_size": 4096, "intermediate_size": 12288, "num_hidden_layers": 32,
                     "num_attention_heads": 16, "num_key_value_heads": 4},
    "qwen3_5_moe_text": {"vocab_size": 248320, "hidden_size": 2048, "num_hidden_layers": 40,
                         "num_attention_heads": 16, "num_key_value_heads": 2, "num_experts_per_tok": 8,
                         "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512},
    "jamba": {"vocab_size": 65536, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
              "num_attention_heads": 32, "num_key_value_heads": 8},
}

register(__name__, defaults=_DEFAULTS, table={
    "jamba": Family(extra=_jamba, **_NO_BIAS),
    "falcon_h1": Family(mlp_bias=("mlp_bias", False), extra=_falcon_h1),
    # Nemotron-H: attention without biases; its q/k/v widths follow head_dim (config class default 128).
    "nemotron_h": Family(gated_mlp=False, qkv_bias=False, o_bias=False, mlp_bias=("mlp_bias", False),
                         head_dim_default=128, extra=_nemotron_h),
    "qwen3_next": Family(qk_norm=True, mlp_bias=False, head_dim_default=256, extra=_qwen3_next),
    # LFM2 (Liquid): short-convolution and attention layers, q/k RMSNorms of head_dim, a gated MLP.
    "lfm2": Family(qk_norm=True, tie_default=True, extra=_lfm2_layers, **_NO_BIAS),
    "lfm2_moe": Family(qk_norm=True, tie_default=True, extra=_lfm2_moe, **_NO_BIAS),
    "granitemoehybrid": Family(mlp_bias=False, extra=_granitemoehybrid),
    # OLMo-Hybrid: OLMo-2's attention (q/k RMSNorms over all heads) beside gated DeltaNet layers.
    "olmo_hybrid": Family(qk_norm=True, qk_norm_scope="all", mlp_bias=False, extra=_olmo_hybrid),
    "bamba": Family(extra=_bamba),
    # Qwen3.5's language models (its image-text wrappers: qwen3_5, qwen3_5_moe).
    "qwen3_5_text": Family(qk_norm=True, mlp_bias=False, head_dim_default=256, extra=_gated_deltanet),
    # every layer is MoE: there is no dense MLP and no intermediate_size in its config class
    "qwen3_5_moe_text": Family(qk_norm=True, mlp_bias=False, head_dim_default=256, intermediate_default=1,
                               extra=_qwen3_5_moe_text),
})
