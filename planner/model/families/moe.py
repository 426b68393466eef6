"""Mixture-of-experts families: routed experts, shared experts, routers, and which layers hold them.

Active parameters: the top-k routed experts of each MoE layer; shared experts, routers and
everything else are always active. Buffers are not parameters: DeepSeek-V3's router
score-correction bias is a buffer in transformers and is not counted.
"""

from __future__ import annotations

from ...errors import ConfigError, UnknownModelError
from ._base import EVERY_LAYER, Config, Family, Fields, Window, dim, every, first_dim, layer_list, register


def _experts(cfg: Config, out: Fields, default: int | None,
             keys: tuple[str, ...] = ("num_local_experts", "num_experts"), width: str | None = None,
             minimum: int = 1) -> int:
    """Routed experts (``default`` when absent: the config class's) and top-k; ``width`` is the
    config key of one expert's width (None: intermediate_size). ``minimum=0``: no experts is dense."""
    experts = first_dim(cfg, keys, default, minimum=minimum)
    out["num_experts"] = experts
    if experts:
        # DeepSeek-V2's config class defaults the top-k to null: transformers builds the model (the count
        # does not depend on it), so the total is counted and active N is unknown.
        null_ok = cfg.get("model_type") == "deepseek_v2" and cfg.get("num_experts_per_tok") is None
        out["experts_per_token"] = None if null_ok else dim(cfg, "num_experts_per_tok")
        if width:
            out["moe_intermediate_size"] = dim(cfg, width)
    return experts


def _mixtral(cfg: Config, out: Fields) -> None:
    _experts(cfg, out, None)


def _sparse_step(cfg: Config, out: Fields) -> None:
    """Qwen-MoE: layer i is sparse unless listed in mlp_only_layers or (i+1) % decoder_sparse_step != 0."""
    step = dim(cfg, "decoder_sparse_step", 1)
    out.update(moe_layer_period=step, moe_layer_offset=step - 1, dense_layers=layer_list(cfg, "mlp_only_layers"))


def _qwen3_moe(cfg: Config, out: Fields) -> None:
    # transformers' config maps num_experts onto num_local_experts: save_pretrained writes the latter.
    if _experts(cfg, out, 128, ("num_experts", "num_local_experts"), "moe_intermediate_size", 0):
        _sparse_step(cfg, out)


def _qwen2_moe(cfg: Config, out: Fields, default_experts: int = 60) -> None:
    """Qwen1.5/2-MoE: Qwen3-MoE's layer rule, plus one shared expert behind a sigmoid gate."""
    if _experts(cfg, out, default_experts, ("num_experts", "num_local_experts"), "moe_intermediate_size", 0):
        _sparse_step(cfg, out)
        out.update(num_shared_experts=1, shared_expert_gate=True,
                   shared_expert_intermediate_size=dim(cfg, "shared_expert_intermediate_size"))


def _deepseek(cfg: Config, out: Fields) -> None:
    """DeepSeek-V2/V3: latent attention; dense layers before first_k_dense_replace, MoE after.

    transformers builds MoE from ``first_k_dense_replace`` on (``moe_layer_freq`` is not read),
    the shared experts as one MLP of ``n_shared_experts x moe_intermediate_size``, and no
    multi-token-prediction layer (``num_nextn_predict_layers``): that layer is not counted.
    """
    rope, nope = dim(cfg, "qk_rope_head_dim"), dim(cfg, "qk_nope_head_dim")
    out.update(q_lora_rank=None if cfg.get("q_lora_rank") is None else dim(cfg, "q_lora_rank"),
               kv_lora_rank=dim(cfg, "kv_lora_rank"), qk_rope_head_dim=rope, head_dim=nope + rope,
               v_head_dim=dim(cfg, "v_head_dim"), num_kv_heads=None)
    default = 64 if cfg["model_type"] == "deepseek_v2" else 256
    if _experts(cfg, out, default, ("n_routed_experts", "num_local_experts", "num_experts"), "moe_intermediate_size"):
        shared = dim(cfg, "n_shared_experts", minimum=0)
        # the shared experts are one MLP of n_shared_experts x moe_intermediate_size (one set of biases)
        out.update(first_dense_layers=dim(cfg, "first_k_dense_replace", 0, minimum=0),
                   num_shared_experts=1 if shared else 0,
                   shared_expert_intermediate_size=shared * out["moe_intermediate_size"] if shared else None)


def _deepseek_v32(cfg: Config, out: Fields) -> None:
    """DeepSeek-V3.2: DeepSeek-V3 with a sparse-attention indexer in every attention block (wq_b from the q
    rank, wk, a LayerNorm on its keys, weights_proj); MoE layers by ``mlp_layer_types`` when listed."""
    if cfg.get("q_lora_rank") is None:
        raise ConfigError("config.q_lora_rank", "missing: DeepSeek-V3.2's indexer reads it")
    _deepseek(cfg, out)
    d, rq = out["hidden_size"], out["q_lora_rank"]
    heads, width = dim(cfg, "index_n_heads", 64), dim(cfg, "index_head_dim", 128)
    out["attention_extra"] = rq * heads * width + d * width + 2 * width + d * heads
    _mlp_layer_types(cfg, out)


def _mlp_layer_types(cfg: Config, out: Fields) -> None:
    """Where ``mlp_layer_types`` lists each layer's MLP (``dense`` / ``sparse``), it wins over the rule; as in
    transformers, entries beyond num_hidden_layers are not read."""
    kinds = cfg.get("mlp_layer_types")
    if kinds is not None and out.get("num_experts"):
        L = out["num_layers"]
        if not isinstance(kinds, list) or len(kinds) < L or any(k not in ("dense", "sparse") for k in kinds[:L]):
            shown = repr(kinds) if len(repr(kinds)) < 80 else repr(kinds)[:77] + "..."
            raise ConfigError("config.mlp_layer_types", f"must list at least {L} of dense / sparse, got {shown}")
        out.update(first_dense_layers=0, dense_layers=[i for i, k in enumerate(kinds[:L]) if k == "dense"])


def _exaone_moe(cfg: Config, out: Fields) -> None:
    """EXAONE-MoE (K-EXAONE): dense layers before first_k_dense_replace (or as mlp_layer_types lists), routed
    experts plus num_shared_experts as one MLP of n x moe_intermediate_size; the correction bias is a buffer."""
    if _experts(cfg, out, 64, ("num_experts", "num_local_experts"), "moe_intermediate_size"):
        shared = dim(cfg, "num_shared_experts", 1, minimum=0)
        out.update(first_dense_layers=dim(cfg, "first_k_dense_replace", 1, minimum=0),
                   num_shared_experts=1 if shared else 0,
                   shared_expert_intermediate_size=shared * out["moe_intermediate_size"] if shared else None)
        _mlp_layer_types(cfg, out)


def _gpt_oss(cfg: Config, out: Fields) -> None:
    """gpt-oss: every layer MoE with biased experts and a biased router; attention sinks."""
    _experts(cfg, out, 128)
    out.update(router_bias=True, attention_sinks=True, expert_bias=True)


def _llama4_text(cfg: Config, out: Fields) -> None:
    """Llama-4: MoE layers (a list, or every interleave_moe_layer_step-th) with one shared expert.

    Experts and the shared expert have ``intermediate_size``; dense layers ``intermediate_size_mlp``.
    q/k norms are L2 norms without weights.
    """
    if not _experts(cfg, out, 16):
        return
    L = out["num_layers"]
    expert = out["intermediate_size"]
    out.update(moe_intermediate_size=expert, intermediate_size=dim(cfg, "intermediate_size_mlp"),
               num_shared_experts=1, shared_expert_intermediate_size=expert)
    step = dim(cfg, "interleave_moe_layer_step", 1)
    if cfg.get("moe_layers") is None:
        out.update(moe_layer_period=step, moe_layer_offset=step - 1)
        return
    moe = sorted(set(layer_list(cfg, "moe_layers")))  # what save_pretrained writes: the layers spelled out
    period = moe[1] - moe[0] if len(moe) > 1 else step
    if moe and moe[0] < period and moe == list(range(moe[0], L, period)):  # a rule: keep it as one
        out.update(moe_layer_period=period, moe_layer_offset=moe[0])
    else:
        out["dense_layers"] = [i for i in range(L) if i not in set(moe)]


def _floor_head_dim(cfg: Config, out: Fields) -> None:
    """head_dim absent: transformers takes hidden // heads, rounded down (GLM-4.5's 96 heads of 4096)."""
    if cfg.get("head_dim") is None:
        out["head_dim"] = out["hidden_size"] // out["num_heads"]


def _glm4_moe(cfg: Config, out: Fields) -> None:
    """GLM-4.5/4.6: dense layers before first_k_dense_replace, then routed experts plus n_shared_experts
    (one MLP of n x moe_intermediate_size); the router's correction bias is a buffer."""
    _floor_head_dim(cfg, out)
    if _experts(cfg, out, 128, ("n_routed_experts", "num_local_experts", "num_experts"), "moe_intermediate_size"):
        out.update(first_dense_layers=dim(cfg, "first_k_dense_replace", 1, minimum=0),
                   num_shared_experts=dim(cfg, "n_shared_experts", 1, minimum=0))


def _olmoe(cfg: Config, out: Fields) -> None:
    """OLMoE / FlexOlmo: every layer MoE, experts of intermediate_size, no shared expert."""
    _experts(cfg, out, 64 if cfg.get("model_type") == "olmoe" else 7, ("num_experts", "num_local_experts"))


def _minimax_m2(cfg: Config, out: Fields) -> None:
    """MiniMax-M2: every layer MoE, experts of intermediate_size; the correction bias is a buffer."""
    _experts(cfg, out, 256)


def _ernie4_5_moe(cfg: Config, out: Fields) -> None:
    """ERNIE-4.5-MoE: layer i is MoE when (i+1) % moe_layer_interval == 0 and start <= i <= end; the
    router's moe_statics correction bias is a parameter (E per layer); moe_num_shared_experts shared
    experts as one MLP of n x moe_intermediate_size."""
    experts = first_dim(cfg, ("moe_num_experts", "num_local_experts", "num_experts"), 64)
    topk = "num_experts_per_tok" if cfg.get("num_experts_per_tok") is not None else "moe_k"
    out.update(num_experts=experts, experts_per_token=dim(cfg, topk, 6))
    L, step = out["num_layers"], dim(cfg, "moe_layer_interval", 1)
    start = dim(cfg, "moe_layer_start_index", 1, minimum=0)
    end = cfg.get("moe_layer_end_index", -1)
    end = L - 1 if end is None or end == -1 else dim(cfg, "moe_layer_end_index", minimum=0)
    shared = dim(cfg, "moe_num_shared_experts", 2, minimum=0)
    out.update(moe_intermediate_size=dim(cfg, "moe_intermediate_size", 1536), moe_layer_period=step,
               moe_layer_offset=step - 1, first_dense_layers=start, router_bias=True,
               dense_layers=list(range(end + 1, L)), num_shared_experts=1 if shared else 0)
    if shared:
        out["shared_expert_intermediate_size"] = shared * out["moe_intermediate_size"]


def _hunyuan_moe(cfg: Config, out: Fields) -> None:
    """Hunyuan-MoE: every layer MoE, experts and one shared MLP of intermediate_size; moe_topk one number."""
    if cfg.get("head_dim") is None:
        raise ConfigError("config.head_dim", "missing: transformers needs it to build this model")
    experts = dim(cfg, "num_experts", 1)
    topk = cfg.get("moe_topk", 1)
    if isinstance(topk, list):
        if not topk or any(t != topk[0] for t in topk):
            raise UnknownModelError("config.moe_topk", "a per-layer list of different top-k values is not counted "
                                    "natively; accepted: one number, or a list of equal numbers")
        topk = topk[0]
    out.update(num_experts=experts, experts_per_token=dim({"moe_topk": topk}, "moe_topk"),
               moe_intermediate_size=out["intermediate_size"], num_shared_experts=1,
               shared_expert_intermediate_size=out["intermediate_size"])


def _granitemoeshared(cfg: Config, out: Fields) -> None:
    """GraniteMoE with a gated shared MLP of shared_intermediate_size (none at 0)."""
    _experts(cfg, out, 8)
    shared = dim(cfg, "shared_intermediate_size", 0, minimum=0)
    if shared and out["num_experts"]:
        out.update(num_shared_experts=1, shared_expert_intermediate_size=shared)


def _solar_open(cfg: Config, out: Fields) -> None:
    """Solar-Open: routed experts in every layer (there is no dense MLP and no intermediate_size) plus
    n_shared_experts as one MLP of n x moe_intermediate_size."""
    if _experts(cfg, out, 128, ("n_routed_experts", "num_local_experts", "num_experts"), "moe_intermediate_size"):
        shared = dim(cfg, "n_shared_experts", 1, minimum=0)
        out.update(num_shared_experts=1 if shared else 0,
                   shared_expert_intermediate_size=shared * out["moe_intermediate_size"] if shared else None)


def _shared_as_one(out: Fields, n: int) -> None:
    """n shared experts built as one MLP of n x moe_intermediate_size."""
    out.update(num_shared_experts=1 if n else 0, shared_expert_intermediate_size=n * out["moe_intermediate_size"] if n
               else None)


def _glm4_moe_lite(cfg: Config, out: Fields) -> None:
    """GLM-4.7-Flash (glm4_moe_lite): DeepSeek's latent attention; layer 0 dense and the rest MoE unless
    mlp_layer_types lists them (first_k_dense_replace is not read)."""
    _deepseek(cfg, out)
    if out.get("num_experts"):
        _shared_as_one(out, dim(cfg, "n_shared_experts", 1, minimum=0))
        out["first_dense_layers"] = 1
        _mlp_layer_types(cfg, out)


def _hy_v3(cfg: Config, out: Fields) -> None:
    """Hunyuan-V3: layer 0 dense and the rest MoE unless mlp_layer_types lists them; num_shared_experts as one
    MLP of n x moe_intermediate_size."""
    if _experts(cfg, out, 192, ("num_experts", "num_local_experts"), "moe_intermediate_size"):
        _shared_as_one(out, dim(cfg, "num_shared_experts", 1, minimum=0))
        out["first_dense_layers"] = 1
        _mlp_layer_types(cfg, out)


def _afmoe(cfg: Config, out: Fields) -> None:
    """AFMoE (Arcee Trinity): a sigmoid gate on the attention output, dense layers before num_dense_layers,
    routed experts with a learned expert bias (E per layer), num_shared_experts as one MLP."""
    out["attention_output_gate"] = True
    if _experts(cfg, out, 64, ("num_experts", "num_local_experts"), "moe_intermediate_size"):
        _shared_as_one(out, dim(cfg, "num_shared_experts", 2, minimum=0))
        out.update(first_dense_layers=dim(cfg, "num_dense_layers", 1, minimum=0), router_bias=True)


def _granitemoe(cfg: Config, out: Fields) -> None:
    _experts(cfg, out, 8)


def _phimoe(cfg: Config, out: Fields) -> None:
    _experts(cfg, out, 16)



# transformers' config-class defaults (current release) for keys a config.json may omit.
_DEFAULTS = {
    "deepseek_v2": {"vocab_size": 102400, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                    "intermediate_size": 11008, "moe_intermediate_size": 1407, "n_shared_experts": 2,
                    "first_k_dense_replace": 0, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_rope_head_dim": 64,
                    "qk_nope_head_dim": 128, "v_head_dim": 128},
    "deepseek_v3": {"vocab_size": 129280, "hidden_size": 7168, "num_hidden_layers": 61, "num_attention_heads": 128,
                    "num_key_value_heads": 128, "intermediate_size": 18432, "num_experts_per_tok": 8,
                    "moe_intermediate_size": 2048, "n_shared_experts": 1, "first_k_dense_replace": 3,
                    "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128,
                    "v_head_dim": 128},
    "qwen2_moe": {"vocab_size": 151936, "hidden_size": 2048, "num_hidden_layers": 24, "num_attention_heads": 16,
                  "num_key_value_heads": 16, "intermediate_size": 5632, "num_experts_per_tok": 4,
                  "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632},
    "gpt_oss": {"vocab_size": 201088, "hidden_size": 2880, "num_hidden_layers": 36, "num_attention_heads": 64,
                "num_key_value_heads": 8, "intermediate_size": 2880, "num_experts_per_tok": 4},
    "llama4_text": {"vocab_size": 202048, "hidden_size": 5120, "num_hidden_layers": 48, "num_attention_heads": 40,
                    "num_key_value_heads": 8, "intermediate_size": 8192, "num_experts_per_tok": 1,
                    "intermediate_size_mlp": 16384},
    "granitemoe": {"vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                   "intermediate_size": 11008, "num_experts_per_tok": 2},
    "glm4_moe": {"vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 10944, "num_hidden_layers": 46,
                 "num_attention_heads": 96, "num_key_value_heads": 8, "moe_intermediate_size": 1408,
                 "num_experts_per_tok": 8},
    "olmoe": {"vocab_size": 50304, "hidden_size": 2048, "intermediate_size": 2048, "num_hidden_layers": 16,
              "num_attention_heads": 16, "num_experts_per_tok": 8},
    "flex_olmo": {"vocab_size": 100352, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                  "num_attention_heads": 32, "num_experts_per_tok": 5},
    "minimax_m2": {"vocab_size": 200064, "hidden_size": 3072, "intermediate_size": 1536, "num_hidden_layers": 62,
                   "num_attention_heads": 48, "num_key_value_heads": 8, "head_dim": 128, "num_experts_per_tok": 8},
    "ernie4_5_moe": {"vocab_size": 103424, "hidden_size": 2560, "intermediate_size": 12288, "num_hidden_layers": 28,
                     "num_attention_heads": 20, "num_key_value_heads": 4},
    "hunyuan_v1_moe": {"vocab_size": 290943, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                       "num_attention_heads": 32},
    "phimoe": {"vocab_size": 32064, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
               "num_key_value_heads": 8, "intermediate_size": 6400, "num_experts_per_tok": 2},
}

def _qwen2_moe_windowed(cfg: Config, num_layers: int) -> int:
    """Qwen1.5/2-MoE (``Qwen2MoeConfig.__post_init__``): layer i is sliding when ``(i + 1) % 2`` and
    ``i < max_window_layers`` (default 28): the even layers below it."""
    return (min(num_layers, dim(cfg, "max_window_layers", 28, minimum=0)) + 1) // 2


# Sliding windows as transformers' config class and modeling code have them (see _base.Window): Mixtral and
# PhiMoE pass config.sliding_window (default None) to every layer, Qwen3-MoE too when use_sliding_window.


register(__name__, defaults=_DEFAULTS, table={
    "mixtral": Family(extra=_mixtral, window=EVERY_LAYER),
    "qwen2_moe": Family(qkv_bias=("qkv_bias", True), o_bias=False, mlp_bias=False, extra=_qwen2_moe,
                        window=Window(4096, _qwen2_moe_windowed, switch="use_sliding_window")),
    # Qwen3-MoE: head_dim absent means hidden // heads here (the dense Qwen3 config defaults to 128).
    "qwen3_moe": Family(qk_norm=True, mlp_bias=False, extra=_qwen3_moe,
                        window=Window(4096, switch="use_sliding_window")),
    "deepseek_v2": Family(o_bias=("attention_bias", False), extra=_deepseek),
    "deepseek_v3": Family(mlp_bias=False, extra=_deepseek),
    "gpt_oss": Family(qkv_bias=("attention_bias", True), o_bias=("attention_bias", True), mlp_bias=False,
                      head_dim_default=64, extra=_gpt_oss,
                      window=Window(128, every(None, 2))),  # GptOssConfig: (i + 1) % 2 sliding, from layer 0
    "llama4_text": Family(mlp_bias=False, head_dim_default=128, extra=_llama4_text),
    "granitemoe": Family(mlp_bias=False, extra=_granitemoe),
    # PhiMoE: LayerNorms with bias, optional LM-head bias.
    "phimoe": Family(norm="layer", mlp_bias=False, lm_head_bias=("lm_head_bias", False), extra=_phimoe,
                     window=EVERY_LAYER),
    # GLM-4.5/4.6 (and Air): biased q/k/v, bias-free output; optional q/k RMSNorms of head_dim.
    "glm4_moe": Family(qkv_bias=("attention_bias", False), o_bias=False, mlp_bias=False,
                       qk_norm=("use_qk_norm", False), extra=_glm4_moe),
    # Sarvam-MoE and Param2-MoE: built by GLM-4.5's implementation (Glm4MoeForCausalLM).
    "sarvam_moe": Family(qkv_bias=("attention_bias", False), o_bias=False, mlp_bias=False,
                         qk_norm=("use_qk_norm", False), extra=_glm4_moe),
    "param2moe": Family(qkv_bias=("attention_bias", False), o_bias=False, mlp_bias=False,
                        qk_norm=("use_qk_norm", False), extra=_glm4_moe),
    "deepseek_v32": Family(mlp_bias=False, extra=_deepseek_v32),
    "granitemoeshared": Family(mlp_bias=False, extra=_granitemoeshared),
    "glm4_moe_lite": Family(mlp_bias=False, extra=_glm4_moe_lite),
    "hy_v3": Family(qk_norm=True, extra=_hy_v3),
    # AFMoE: four norms per layer, q/k RMSNorms of head_dim, bias-free projections.
    "afmoe": Family(norms_per_layer=4, qk_norm=True, qkv_bias=False, o_bias=False, mlp_bias=False,
                    head_dim_default=128, extra=_afmoe,   # a window (default 1024) but every 4th layer full
                    window=Window(1024, every("global_attn_every_n_layers", 4))),
    "solar_open": Family(mlp_bias=False, intermediate_default=1, extra=_solar_open),
    # Mellum: every layer MoE (Qwen3-MoE's block, q/k RMSNorms of head_dim).
    "mellum": Family(qk_norm=True, mlp_bias=False, head_dim_default=128,
                     extra=lambda cfg, out: _experts(cfg, out, 64, ("num_local_experts", "num_experts"),
                                                     "moe_intermediate_size"),
                     window=Window(1024, lambda cfg, n: 0)),  # windowed only where layer_types lists it
    # EXAONE-MoE: EXAONE-4's attention (q/k RMSNorms of head_dim, no biases).
    "exaone_moe": Family(qk_norm=True, qkv_bias=False, o_bias=False, mlp_bias=False, extra=_exaone_moe,
                         window=Window(4096, every("sliding_window_pattern", 4))),
    # Sarvam-MLA: built by DeepSeek-V3's implementation.
    "sarvam_mla": Family(mlp_bias=False, extra=_deepseek),
    # OLMoE / FlexOlmo: q/k RMSNorms over all heads (h·e and k·e), as OLMo-2.
    "olmoe": Family(qk_norm=True, qk_norm_scope="all", mlp_bias=False, extra=_olmoe),
    "flex_olmo": Family(qk_norm=True, qk_norm_scope="all", mlp_bias=False, extra=_olmoe),
    "minimax_m2": Family(qk_norm=True, qk_norm_scope="all", qkv_bias=False, o_bias=False, mlp_bias=False,
                         extra=_minimax_m2),
    # ERNIE-4.5-MoE: one use_bias flag for attention, dense and shared MLPs and the LM head (not the
    # routed experts, not the router).
    "ernie4_5_moe": Family(qkv_bias=("use_bias", False), o_bias=("use_bias", False), mlp_bias=("use_bias", False),
                           lm_head_bias=("use_bias", False), tie_default=True, head_dim_default=128,
                           extra=_ernie4_5_moe),
    "hunyuan_v1_moe": Family(qk_norm=True, mlp_bias=False, extra=_hunyuan_moe),
})
