"""What the stored tensors are: each name classified into embeddings, head, layers' parts, experts, buffers."""

from __future__ import annotations

import functools
import re

from ..params import ParamCount
from .count import CheckpointCount

_BUFFER = (r"(\.attn\.(masked_)?bias$|\.inv_freq$|rope_freqs\.weight$|\.rotary_emb\.|position_ids$"
           r"|e_score_correction_bias$)")
_VISION = (r"(^|\.)(vision|visual|vision_tower|vision_model|multi_modal_projector|mm_projector|image_newline)(\.|_|$)"
           r"|^v\.|^mm\.")
_KINDS = (  # (breakdown key, pattern on the lower-cased tensor name); first match wins
    ("positions", r"(wpe|embed_positions|position_embd|position_embeddings)\."),
    ("embeddings", r"(embed_tokens|wte|token_embd|word_embeddings|tok_embeddings|embed_in|embeddings)\."),
    ("head", r"(^|\.)(lm_head|embed_out|output)\.(weight|bias)$"),
    ("shared_experts", r"shared_expert|shexp"),
    ("experts", r"\.experts\.|experts\.|_exps\.|block_sparse_moe\.(input|output)_linear"),
    ("router", r"(mlp|moe|feed_forward|block_sparse_moe)\.(gate|router)(\.|$)|\.router\.|ffn_gate_inp"
               r"|e_score_correction"),
    ("norms", r"norm|ln_|\.ln\d|layernorm"),
    ("ssm", r"mixer\.|ssm_|\.mamba\.|a_log|conv1d"),
    ("attention", r"attn|attention|q_proj|k_proj|v_proj|o_proj|qkv|sinks"),
    ("mlp", r"mlp|ffn|feed_forward|fc1|fc2|c_fc|dense_h_to_4h|dense_4h_to_h|gate_proj|up_proj|down_proj"),
)


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], list[tuple[str, re.Pattern[str]]]]:
    """The compiled name patterns (compiled on first use: ``import planner`` stays fast)."""
    return re.compile(_BUFFER), re.compile(_VISION), [(k, re.compile(p)) for k, p in _KINDS]


def tensor_kind(name: str) -> str:
    """The breakdown key of one stored tensor, from its name (HF or GGUF naming).

    ``vision`` and ``buffer`` mark tensors that are not language-model parameters;
    anything unrecognised is ``other``.

    Args:
        name: the tensor's name (``model.layers.0.self_attn.q_proj.weight``, ``blk.0.attn_q.weight``).

    Returns:
        A breakdown key (``embeddings``, ``head``, ``attention``, ``mlp``, ``experts``, ...), ``buffer``,
            ``vision`` or ``other``.
    """
    n = name.lower()
    buffer, vision, kinds = _patterns()
    if buffer.search(n):
        return "buffer"
    if vision.search(n):
        return "vision"
    for key, pattern in kinds:
        if pattern.search(n):
            return key
    return "other"


def breakdown(c: CheckpointCount) -> dict[str, int]:
    """Elements per tensor kind (see :func:`tensor_kind`), summing to ``c.total``.

    Args:
        c: the checkpoint count.

    Returns:
        ``{kind: elements}``.
    """
    out: dict[str, int] = {}
    for name, n in c.tensors.items():
        k = tensor_kind(name)
        out[k] = out.get(k, 0) + n
    return out


def param_count(c: CheckpointCount) -> ParamCount:
    """A :class:`~planner.model.params.ParamCount` built from the headers alone.

    Buffers (masks, rotary tables) are left out; a vision tower is reported as ``vision``
    and left out of ``total``, as for a config's count; tensors whose name is not
    recognised are added to ``projection``. ``active`` is only known for a GGUF whose
    metadata gives ``expert_count`` and ``expert_used_count`` (fused expert tensors);
    otherwise the count is reported as dense.

    Args:
        c: the checkpoint count.

    Returns:
        The ``ParamCount``.
    """
    parts = breakdown(c)
    inactive, is_moe = 0, False
    arch = c.metadata.get("general.architecture")
    E = c.metadata.get(f"{arch}.expert_count")
    k = c.metadata.get(f"{arch}.expert_used_count")
    if isinstance(E, int) and isinstance(k, int) and 0 < k <= E and parts.get("experts"):
        is_moe = True
        inactive = parts["experts"] * (E - k) // E
    vision = parts.get("vision")
    return ParamCount(
        embeddings=parts.get("embeddings", 0), positions=parts.get("positions", 0),
        projection=parts.get("other", 0), attention=parts.get("attention", 0), mlp=parts.get("mlp", 0),
        router=parts.get("router", 0), norms=parts.get("norms", 0), head=parts.get("head", 0),
        ssm=parts.get("ssm", 0), experts=parts.get("experts", 0), shared_experts=parts.get("shared_experts", 0),
        inactive_experts=inactive, is_moe=is_moe, vision=vision,
        language_model_of=c.path if vision else None)
