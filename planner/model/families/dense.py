"""Dense decoder families: one attention block and one MLP per layer.

Each row follows the current transformers release's modeling code; comments name the
conventions that are not visible in the row's fields.
"""

from __future__ import annotations

from ...errors import ConfigError
from ._base import EVERY_LAYER, LEGACY, Biases, Config, Extra, Family, Fields, Window, dim, every, flag, register


def _falcon(cfg: Config, out: Fields) -> None:
    """Falcon: fused QKV width, parallel block norms, and one bias flag for every Linear."""
    new_arch = flag(cfg, "new_decoder_architecture", False)
    if not new_arch:  # the new architecture reads num_kv_heads as usual
        out["num_kv_heads"] = 1 if flag(cfg, "multi_query", True) else out["num_heads"]
    n_ln = cfg.get("num_ln_in_parallel_attn")
    if n_ln is None and new_arch:
        n_ln = 2
    # Sequential block: input + post-attention norms. Parallel block: ln_attn + ln_mlp, or one shared norm.
    out["norms_per_layer"] = 2 if (not flag(cfg, "parallel_attn", True) or n_ln == 2) else 1


def _opt(cfg: Config, out: Fields) -> None:
    """OPT: an optional embedding projection, affine-less norms, and a final norm rule."""
    out["embed_dim"] = dim(cfg, "word_embed_proj_dim", out["hidden_size"])
    if not flag(cfg, "layer_norm_elementwise_affine", True):
        out["norm"] = "none"
    out["final_norm"] = flag(cfg, "do_layer_norm_before", True) and not flag(cfg, "_remove_final_layer_norm", False)
    bias = flag(cfg, "enable_bias", True)
    out.update(qkv_bias=bias, o_bias=bias, mlp_bias=bias)


def _gpt_bigcode(cfg: Config, out: Fields) -> None:
    """GPTBigCode: multi-query attention (one key/value head) unless ``multi_query`` is false."""
    out["num_kv_heads"] = 1 if flag(cfg, "multi_query", True) else out["num_heads"]


def _stablelm(cfg: Config, out: Fields) -> None:
    """StableLM: a parallel residual block has one norm (no post-attention norm)."""
    out["norms_per_layer"] = 1 if flag(cfg, "use_parallel_residual", False) else 2


def _helium(cfg: Config, out: Fields) -> None:
    """Helium: the output projection is hidden x hidden whatever the heads, so head_dim x heads must be hidden."""
    e = out["head_dim"] or out["hidden_size"] // out["num_heads"]
    if e * out["num_heads"] != out["hidden_size"]:
        raise ConfigError("config.head_dim", f"head_dim x num_attention_heads must equal hidden_size "
                          f"({out['hidden_size']}) for helium, got {e} x {out['num_heads']}")


def _mpt(cfg: Config, out: Fields) -> None:
    """MPT: a fixed 4 x d_model MLP (expansion_ratio is not read), ALiBi (no position table)."""
    out["intermediate_size"] = 4 * out["hidden_size"]


def _internlm3(cfg: Config, out: Fields) -> None:
    """InternLM3 (Llama's implementation): its configs spell attention_bias ``qkv_bias`` and mlp_bias ``bias``."""
    attn = flag(cfg, "attention_bias", False) if cfg.get("attention_bias") is not None else flag(cfg, "qkv_bias", False)
    mlp = flag(cfg, "mlp_bias", False) if cfg.get("mlp_bias") is not None else flag(cfg, "bias", False)
    out.update(qkv_bias=attn, o_bias=attn, mlp_bias=mlp)


def _required(*keys: str) -> Extra:
    """An ``extra`` that refuses a config without ``keys``: transformers cannot build the model without them."""
    def check(cfg: Config, out: Fields) -> None:
        for key in keys:
            if cfg.get(key) is None:
                raise ConfigError(f"config.{key}", "missing: transformers needs it to build this model")
    return check


def _above_max_window_layers(cfg: Config, num_layers: int) -> int:
    """Qwen2/Qwen3 (``Qwen2Config.__post_init__``): layer i is sliding when ``i >= max_window_layers`` (default 28)."""
    return max(0, num_layers - dim(cfg, "max_window_layers", 28, minimum=0))


def _nope_layers(cfg: Config, num_layers: int) -> int:
    """SmolLM3 (``SmolLM3Config.__post_init__``): the layers without RoPE (``no_rope_layers[i] == 0``; by default
    every ``no_rope_layer_interval``-th, 4) are the sliding ones."""
    given = cfg.get("no_rope_layers")
    if given is None:
        return num_layers // dim(cfg, "no_rope_layer_interval", 4)
    if not isinstance(given, list) or len(given) < num_layers or any(v not in (0, 1) for v in given[:num_layers]):
        raise ConfigError("config.no_rope_layers", f"must list 0 or 1 for each of the {num_layers} layers")
    return given[:num_layers].count(0)


def _gpt_neo_local(cfg: Config, num_layers: int) -> int:
    """GPT-Neo: ``attention_types`` ([[kinds, repeats], ...], default [[["global", "local"], 12]]) expanded to one
    kind per layer (``GPTNeoConfig.expand_attention_types_params``); "local" layers see the last window_size
    tokens (``GPTNeoSelfAttention``: ``bias ^ tril(bias, -window_size)``)."""
    spec = cfg.get("attention_types")
    if spec is None:
        spec = [[["global", "local"], 12]]
    pairs = [p for p in spec if isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], list)
             and isinstance(p[1], int) and not isinstance(p[1], bool) and p[1] >= 0] if isinstance(spec, list) else []
    if not isinstance(spec, list) or len(pairs) != len(spec):
        raise ConfigError("config.attention_types", "must be a list of [kinds, repeats] pairs")
    layers = sum(len(kinds) * repeats for kinds, repeats in pairs)   # counted, not expanded
    if layers != num_layers:
        raise ConfigError("config.attention_types", f"must expand to one kind per layer ({num_layers}), got {layers}")
    return sum(kinds.count("local") * repeats for kinds, repeats in pairs)


# Sliding windows, each as transformers' config class (default window, default layer_types) and modeling code
# (which layers read the window) have it; see _base.Window. "All layers" families pass config.sliding_window to
# every attention layer (MistralAttention: sliding_window=getattr(config, "sliding_window", None)).
_GEMMA2 = Window(4096, every(None, 2))                  # Gemma2Config: (i + 1) % 2 sliding, from layer 0
_QWEN = Window(4096, _above_max_window_layers, switch="use_sliding_window")


_BIASED = Biases(qkv_bias=True, o_bias=True, mlp_bias=True)
_NO_BIAS = Biases(qkv_bias=False, o_bias=False, mlp_bias=False)


# transformers' config-class defaults (current release) for keys a config.json may omit.
_DEFAULTS = {
    "ministral3": {"vocab_size": 131072, "hidden_size": 4096, "num_hidden_layers": 34, "num_attention_heads": 32,
                   "num_key_value_heads": 8, "intermediate_size": 14336},
    "olmo": {"vocab_size": 50304, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
             "intermediate_size": 11008},
    "olmo2": {"vocab_size": 50304, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
              "intermediate_size": 11008},
    "olmo3": {"vocab_size": 50304, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
              "intermediate_size": 11008},
    "gemma3_text": {"vocab_size": 262208, "hidden_size": 2304, "num_hidden_layers": 26, "num_attention_heads": 8,
                    "num_key_value_heads": 4, "intermediate_size": 9216},
    "smollm3": {"vocab_size": 128256, "hidden_size": 2048, "num_hidden_layers": 36, "num_attention_heads": 16,
                "num_key_value_heads": 4, "intermediate_size": 11008},
    "exaone4": {"vocab_size": 102400, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                "num_key_value_heads": 32, "intermediate_size": 16384},
    "cohere": {"vocab_size": 256000, "hidden_size": 8192, "num_hidden_layers": 40, "num_attention_heads": 64,
               "intermediate_size": 22528},
    "cohere2": {"vocab_size": 256000, "hidden_size": 8192, "num_hidden_layers": 40, "num_attention_heads": 64,
                "intermediate_size": 22528},
    "starcoder2": {"vocab_size": 49152, "hidden_size": 3072, "num_hidden_layers": 30, "num_attention_heads": 24,
                   "num_key_value_heads": 2, "intermediate_size": 12288},
    "gptj": {"vocab_size": 50400, "n_embd": 4096, "n_layer": 28, "n_head": 16},
    "gpt_bigcode": {"vocab_size": 50257, "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024},
    "stablelm": {"vocab_size": 50304, "hidden_size": 2560, "num_hidden_layers": 32, "num_attention_heads": 32,
                 "num_key_value_heads": 32, "intermediate_size": 6912},
    "glm": {"vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 13696, "num_hidden_layers": 40,
            "num_attention_heads": 32, "num_key_value_heads": 2},
    "glm4": {"vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 13696, "num_hidden_layers": 40,
             "num_attention_heads": 32, "num_key_value_heads": 2},
    "seed_oss": {"vocab_size": 155136, "hidden_size": 4096, "intermediate_size": 27648, "num_hidden_layers": 64,
                 "num_attention_heads": 80, "num_key_value_heads": 8},
    "arcee": {"vocab_size": 32000, "hidden_size": 2560, "intermediate_size": 18432, "num_hidden_layers": 32,
              "num_attention_heads": 32},
    "apertus": {"vocab_size": 131072, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                "num_attention_heads": 32},
    "ernie4_5": {"vocab_size": 103424, "hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 18,
                 "num_attention_heads": 16, "num_key_value_heads": 2},
    "hunyuan_v1_dense": {"vocab_size": 290943, "hidden_size": 4096, "intermediate_size": 11008,
                         "num_hidden_layers": 32, "num_attention_heads": 32},
    "exaone": {"vocab_size": 102400, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
               "num_attention_heads": 32, "num_key_value_heads": 8},
    "helium": {"vocab_size": 48000, "hidden_size": 2560, "intermediate_size": 7040, "num_hidden_layers": 24,
               "num_attention_heads": 20},
    "nemotron": {"vocab_size": 256000, "hidden_size": 6144, "intermediate_size": 24576, "num_hidden_layers": 32,
                 "num_attention_heads": 48},
    "gpt_neo": {"vocab_size": 50257, "hidden_size": 2048, "num_layers": 24, "num_heads": 16,
                "max_position_embeddings": 2048},
    "bloom": {"vocab_size": 250880, "hidden_size": 64, "n_layer": 2, "n_head": 8},
    "mpt": {"vocab_size": 50368, "d_model": 2048, "n_layers": 24, "n_heads": 16},
    "granite": {"vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
                "intermediate_size": 11008},
}

register(__name__, defaults=_DEFAULTS, table={
    "llama": Family(),
    # Mistral: MistralConfig.sliding_window defaults to 4096 (null: none), on every layer.
    "mistral": Family(window=Window(4096), **_NO_BIAS),  # bias flags are not honoured
    # Ministral (Ministral-8B): Mistral's block; transformers needs head_dim.
    # Its default layer_types make every layer sliding when sliding_window (default 4096) is set.
    "ministral": Family(extra=_required("head_dim"), window=Window(4096, lambda cfg, n: n), **_NO_BIAS),
    # Mistral-3's language model (Devstral, Ministral): Mistral's window on every layer (default None).
    "ministral3": Family(head_dim_default=128, window=EVERY_LAYER, **_NO_BIAS),
    # Qwen2/Qwen3: a window only with use_sliding_window, on layers from max_window_layers on.
    "qwen2": Family(qkv_bias=True, o_bias=False, mlp_bias=False, window=_QWEN),
    "qwen3": Family(qk_norm=True, mlp_bias=False, head_dim_default=128, window=_QWEN),
    "gemma": Family(mlp_bias=False, tie_default=True, head_dim_default=256),
    "gemma2": Family(norms_per_layer=4, mlp_bias=False, tie_default=True, head_dim_default=256, window=_GEMMA2),
    # Gemma-3: four norms per layer (pre/post attention, pre/post MLP) and q/k RMSNorms of head_dim.
    # Its window (default 4096) on all but every sliding_window_pattern-th layer (Gemma3TextConfig: 6).
    "gemma3_text": Family(norms_per_layer=4, qk_norm=True, mlp_bias=False, tie_default=True, head_dim_default=256,
                          window=Window(4096, every("sliding_window_pattern", 6))),
    "phi3": Family(window=EVERY_LAYER, **_NO_BIAS),
    "phi": Family(norm="layer", norms_per_layer=1, gated_mlp=False, lm_head_bias=True,
                  qk_norm=("qk_layernorm", False), **_BIASED),
    "gpt2": Family(norm="layer", gated_mlp=False, tie_default=True, intermediate_default=4,
                   positions=("n_positions", "max_position_embeddings"),
                   head_dim_from_config=False, **_BIASED),
    "gpt_neox": Family(norm="layer", gated_mlp=False, qkv_bias=("attention_bias", True),
                       o_bias=("attention_bias", True), mlp_bias=True),
    # GPT-SW3: GPT-2's implementation and config class.
    "gpt-sw3": Family(norm="layer", gated_mlp=False, tie_default=True, intermediate_default=4,
                      positions=("n_positions", "max_position_embeddings"), head_dim_from_config=False, **_BIASED),
    "opt": Family(norm="layer", gated_mlp=False, tie_default=True, positions=("max_position_embeddings",),
                  position_offset=2, extra=_opt),
    "falcon": Family(norm="layer", gated_mlp=False, qkv_bias=("bias", False), o_bias=("bias", False),
                     mlp_bias=("bias", False), tie_default=True, intermediate_default=4, extra=_falcon),
    # OLMo: LayerNorms without parameters (weight and bias fixed).
    "olmo": Family(norm="none", mlp_bias=False),
    # OLMo-2/3: norms after attention and after the MLP; q/k RMSNorms over all heads (h·e and k·e).
    "olmo2": Family(qk_norm=True, qk_norm_scope="all", mlp_bias=False),
    # OLMo-3: a window (default 4096) on three layers of four (Olmo3Config: (i + 1) % 4 != 0).
    "olmo3": Family(qk_norm=True, qk_norm_scope="all", mlp_bias=False, window=Window(4096, every(None, 4))),
    "smollm3": Family(tie_default=True, window=Window(None, _nope_layers, switch="use_sliding_window")),
    "granite": Family(),  # Llama's block; its embedding/residual/logit multipliers hold no parameters
    # EXAONE-4: a window (default 4096) on all but every sliding_window_pattern-th layer (default 4).
    "exaone4": Family(qk_norm=True, window=Window(4096, every("sliding_window_pattern", 4)), **_NO_BIAS),
    # Cohere: one weight-only LayerNorm per layer (parallel block); q/k norms per head with use_qk_norm.
    "cohere": Family(norm="layer_nobias", norms_per_layer=1, qk_norm=("use_qk_norm", False), qk_norm_scope="all",
                     mlp_bias=False, tie_default=True),
    # Cohere-2: its config sets head_dim = hidden // heads, but an explicit head_dim key wins.
    # Its window (default 4096) on all but every sliding_window_pattern-th layer (Cohere2Config: 4).
    "cohere2": Family(norm="layer_nobias", norms_per_layer=1, mlp_bias=False, tie_default=True,
                      window=Window(4096, every("sliding_window_pattern", 4))),
    "starcoder2": Family(norm="layer", gated_mlp=False, qkv_bias=("use_bias", True), o_bias=("use_bias", True),
                         mlp_bias=("use_bias", True), tie_default=True, window=EVERY_LAYER),
    # GPT-J: parallel block with one LayerNorm, bias-free attention, biased MLP and LM head.
    "gptj": Family(norm="layer", norms_per_layer=1, gated_mlp=False, qkv_bias=False, o_bias=False, mlp_bias=True,
                   lm_head_bias=True, intermediate_default=4, head_dim_from_config=False),
    "gpt_bigcode": Family(norm="layer", gated_mlp=False, tie_default=True, intermediate_default=4,
                          positions=("n_positions", "max_position_embeddings"), head_dim_from_config=False,
                          extra=_gpt_bigcode, **_BIASED),
    # StableLM: LayerNorms with bias; optional per-head q/k LayerNorms without bias.
    "stablelm": Family(norm="layer", qkv_bias=("use_qkv_bias", False), o_bias=False, mlp_bias=False,
                       qk_norm=("qk_layernorm", False), qk_norm_scope="all", qk_norm_kind="layer_nobias",
                       head_dim_from_config=False, extra=_stablelm),
    # GLM-4 (0414) and GLM: biased q/k/v, a fused gate_up MLP; GLM-4 adds norms after attention and the MLP.
    "glm": Family(qkv_bias=("attention_bias", True), o_bias=False, mlp_bias=False, head_dim_default=128),
    "glm4": Family(norms_per_layer=4, qkv_bias=("attention_bias", True), o_bias=False, mlp_bias=False,
                   head_dim_default=128),
    # Seed-OSS: q/k/v biases by attention_bias, the output projection's by attention_out_bias.
    "seed_oss": Family(qkv_bias=("attention_bias", True), o_bias=("attention_out_bias", False), head_dim_default=128),
    # Arcee (AFM): a plain up/down MLP (ReLU²).
    "arcee": Family(gated_mlp=False),
    # Apertus: plain MLP with a learned xIELU activation (alpha_p, alpha_n), q/k RMSNorms of head_dim.
    "apertus": Family(gated_mlp=False, qk_norm=True, mlp_bias=False, extra=lambda cfg, out: out.update(mlp_extra=2)),
    # ERNIE-4.5 dense: one use_bias flag for every Linear but the head.
    "ernie4_5": Family(qkv_bias=("use_bias", False), o_bias=("use_bias", False), mlp_bias=("use_bias", False),
                       tie_default=True, head_dim_default=128),
    # Hunyuan dense: q/k RMSNorms of head_dim (query_layernorm, key_layernorm), bias-free MLP.
    "hunyuan_v1_dense": Family(qk_norm=True, mlp_bias=False, extra=_required("head_dim")),
    "exaone": Family(),  # EXAONE-3/3.5: Llama's block
    # InternLM3 and IQuest-Coder: transformers builds them with Llama's implementation (head_dim default 128).
    "internlm3": Family(head_dim_default=128, extra=_internlm3),
    "iquestcoder": Family(head_dim_default=128),
    "helium": Family(o_bias=False, extra=_helium),
    # Nemotron (Minitron): LayerNorm1P (weight and bias), plain MLP (ReLU²).
    "nemotron": Family(norm="layer", gated_mlp=False, extra=_required("num_key_value_heads")),
    # VaultGemma: Gemma's block with two norms (input, pre-feedforward).
    "vaultgemma": Family(mlp_bias=False, tie_default=True, head_dim_default=256, window=_GEMMA2),
    # Granite-SWA: Llama's block with one learned attention sink per head; a 128-token window on all but
    # layers 0, 4, 8, ... (GraniteSWAConfig: "full_attention" if i % 4 == 0).
    "granite_swa": Family(extra=lambda cfg, out: out.update(attention_sinks=True),
                          window=Window(128, lambda cfg, n: n - (n + 3) // 4)),
    # Jais-2: LayerNorms with bias, biased attention and a plain biased MLP (by the two flags).
    "jais2": Family(norm="layer", gated_mlp=False, qkv_bias=("attention_bias", True), o_bias=("attention_bias", True),
                    mlp_bias=("mlp_bias", True), head_dim_default=128),
    # nanochat: RMSNorms and q/k norms without weights, a plain bias-free MLP (ReLU²).
    "nanochat": Family(norm="none", gated_mlp=False, mlp_bias=False),
    # GPT-Neo: learned positions, LayerNorms, bias-free q/k/v, biased output projection and MLP; "local" layers (by
    # default every other, from layer 1) see a 256-token window.
    "gpt_neo": Family(norm="layer", gated_mlp=False, qkv_bias=False, o_bias=True, mlp_bias=True, tie_default=True,
                      positions=("max_position_embeddings",), head_dim_from_config=False, intermediate_default=4,
                      window=Window(256, _gpt_neo_local, key="window_size")),
    # BLOOM: ALiBi, a LayerNorm after the embedding, fused biased q/k/v, plain 4d MLP with biases.
    "bloom": Family(norm="layer", gated_mlp=False, tie_default=True, intermediate_default=4,
                    head_dim_from_config=False, extra=lambda cfg, out: out.update(embed_norm=True), **_BIASED),
    # MPT: ALiBi, weight-only LayerNorms, no biases anywhere.
    "mpt": Family(norm="layer_nobias", gated_mlp=False, tie_default=True, head_dim_from_config=False,
                  intermediate_default=4, extra=_mpt, **_NO_BIAS),
})

LEGACY.update({
    "RefinedWeb": ("falcon", {"new_decoder_architecture": True}),        # Falcon-40B's original format
    "RefinedWebModel": ("falcon", {"new_decoder_architecture": False}),  # Falcon-7B's original format
})
