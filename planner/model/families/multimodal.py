"""Image-text wrappers: a config with a ``text_config`` is counted as its language model.

The count covers what the wrapper's ``language_model`` and ``lm_head`` hold; the vision
tower and projector are not in it (``language_model_of`` on the Architecture and the count
say so). They are counted apart as ``vision_params`` where this module knows the vision
encoder (Gemma-3's SigLIP, Mistral-3's Pixtral, each with its projector); elsewhere ``vision_params`` is ``None``:
not counted. Whether the head is tied follows what transformers does for the whole wrapper: Llama-4
reads ``text_config.tie_word_embeddings`` (default false); the others read the wrapper's own
``tie_word_embeddings`` and, when it is absent, the wrapper class's default (the text config's flag
is ignored). A wrapper not listed here is refused (``UnknownModelError``): its tie rule and
structure are unknown, so no native number is given.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import ConfigError, UnknownModelError
from ._base import Config, Fields, dim, flag

# Wrapper model_type -> (model_type of its language model when text_config does not say, the wrapper's
# tie default, which config's tie_word_embeddings transformers reads: "wrapper", "text", or "both": the
# image-text model reads the wrapper's, AutoModelForCausalLM's text-only model the text config's (default
# False), so the head is counted only when both agree).
WRAPPERS = {
    "gemma3": ("gemma3_text", True, "wrapper"),
    "llama4": ("llama4_text", False, "text"),
    "mistral3": ("mistral", True, "wrapper"),
    "qwen3_5": ("qwen3_5_text", False, "both"),
    "qwen3_5_moe": ("qwen3_5_moe_text", False, "both"),
}


def unwrap(config: Config) -> tuple[Config, Fields | None]:
    """Split an image-text wrapper's config into its language model's config and the wrapper's fields.

    Args:
        config: A config dict, possibly an image-text wrapper's (a ``text_config``, or a model_type in
            :data:`WRAPPERS`).

    Returns:
        ``(language-model config, Architecture fields naming the wrapper)`` — the fields are
            ``language_model_of`` and ``vision_params`` (None when the vision tower is not counted) —
            or ``(config, None)`` for a config that is not a wrapper.

    Raises:
        ConfigError: ``config.text_config`` is not an object, ``config.model_type`` is missing, or a
            wrapper's ``text_config.model_type`` is missing.
        UnknownModelError: A wrapper that is not counted natively, or a wrapper whose
            ``tie_word_embeddings`` disagrees with its ``text_config``'s where transformers ties by both.
    """
    text = config.get("text_config")
    if text is None:
        if not isinstance(config.get("model_type"), str) or config["model_type"] not in WRAPPERS:
            return config, None
        text = {}  # a wrapper's config without text_config: its language model's defaults
    if not isinstance(text, Mapping):
        raise ConfigError("config.text_config", f"must be a JSON object, got {type(text).__name__}")
    wrapper = config.get("model_type")
    if not isinstance(wrapper, str):
        raise ConfigError("config.model_type", "missing: needed to know the model family")
    if wrapper not in WRAPPERS:
        if text.get("model_type") is None:
            raise ConfigError("config.text_config.model_type",
                              f"missing: needed to count the language model of {wrapper!r}")
        raise UnknownModelError("config.model_type", f"{wrapper!r} (an image-text wrapper) is not counted natively; "
                                f"counted natively: {', '.join(sorted(WRAPPERS))}")
    text_type, tie_default, tie_by = WRAPPERS[wrapper]
    inner = dict(text)
    if inner.get("model_type") is None:
        inner["model_type"] = text_type
    by_wrapper, by_text = config.get("tie_word_embeddings"), text.get("tie_word_embeddings")
    by_wrapper = tie_default if by_wrapper is None else by_wrapper
    by_text = False if by_text is None else by_text
    if tie_by == "both" and by_wrapper != by_text:
        raise UnknownModelError("config.tie_word_embeddings", f"{by_wrapper!r} here and {by_text!r} in text_config: "
                                f"transformers ties the {wrapper} image-text model by the first and its text-only "
                                "causal LM by the second, so the head is not counted natively; make them agree")
    inner["tie_word_embeddings"] = by_text if tie_by == "text" else by_wrapper
    vision = config.get("vision_config")
    counter = VISION.get(wrapper)
    counted = None
    if counter is not None and isinstance(vision, Mapping):
        counted = counter(vision, text, config)
    return inner, {"language_model_of": wrapper, "vision_params": counted}


def _siglip(v: Config) -> int:
    """A SigLIP vision encoder: patch and position embeddings, pre-norm ViT layers, post-norm, optional head."""
    D, f, L = dim(v, "hidden_size", 768), dim(v, "intermediate_size", 3072), dim(v, "num_hidden_layers", 12)
    c, img, p = dim(v, "num_channels", 3), dim(v, "image_size", 224), dim(v, "patch_size", 16)
    ln, mlp = 2 * D, 2 * D * f + f + D
    embeddings = c * p * p * D + D + (img // p) ** 2 * D
    layer = ln + 4 * (D * D + D) + ln + mlp
    head = D + (3 * D * D + 3 * D) + (D * D + D) + ln + mlp if flag(v, "vision_use_head", True) else 0
    return embeddings + L * layer + ln + head


def _gemma3_vision(v: Config, text: Config, wrapper: Config) -> int:
    """Gemma-3: the SigLIP tower, then a projection to the text width behind an RMSNorm."""
    D = dim(v, "hidden_size", 768)
    return _siglip(v) + D * dim(text, "hidden_size", 2304) + D


def _mistral3_vision(v: Config, text: Config, wrapper: Config) -> int:
    """Mistral-3: a Pixtral tower (bias-free ViT with RMSNorms and a gated MLP), then a patch merger and a
    two-layer projector to the text width."""
    D, f, L = dim(v, "hidden_size", 1024), dim(v, "intermediate_size", 4096), dim(v, "num_hidden_layers", 24)
    c, p = dim(v, "num_channels", 3), dim(v, "patch_size", 16)
    tower = c * p * p * D + D + L * (2 * D + 4 * D * D + 3 * D * f)   # patch conv, ln_pre, layers
    merge, t = dim(wrapper, "spatial_merge_size", 2), dim(text, "hidden_size", 4096)
    layers = wrapper.get("vision_feature_layer", -1)
    feeds = len(layers) if isinstance(layers, list) else 1
    bias = flag(wrapper, "multimodal_projector_bias", False)
    projector = D + merge * merge * D * D + (D * feeds * t + (t if bias else 0)) + (t * t + (t if bias else 0))
    return tower + projector


# Wrapper model_type -> the count of its vision tower and projector (vision_config, text_config, wrapper).
VISION = {"gemma3": _gemma3_vision, "mistral3": _mistral3_vision}
