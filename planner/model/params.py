"""Exact parameter counts of an :class:`~planner.model.architecture.Architecture`.

Counts are Python integers and match what the reference Hugging Face implementation's
``model.parameters()`` holds (a tied embedding counted once; buffers such as DeepSeek-V3's
router score-correction bias are not parameters and are not counted). With d = hidden
size, h = query heads, k = key/value heads, e = head dim, f = intermediate size:

* attention: ``d·h·e`` (q) + ``2·d·k·e`` (k, v) + ``h·e·d`` (o) + optional biases
  ``h·e + 2·k·e`` (q, k, v) and ``d`` (o); q/k norms (one of width e each, or one per
  head); attention sinks ``h``. Latent attention (DeepSeek) replaces q, k, v with
  low-rank paths: ``d·r_q + r_q + r_q·h·e`` (or ``d·h·e`` without a q rank),
  ``d·(r_kv + e_rope) + r_kv + r_kv·h·(e − e_rope + e_v)`` and ``o = h·e_v·d``;
* MLP: ``3·d·f`` gated or ``2·d·f`` plain, + biases ``2f + d`` or ``f + d``;
* MoE layers: a router ``d·E`` (+ ``E`` with a bias), E experts (each an MLP of the
  expert width) and any shared experts (+ a ``d`` gate); only the top-k routed experts
  are *active*, shared experts and routers always are;
* Mamba layers: in/out projections, a depthwise convolution, the selective-scan
  parameters (``A``, ``D``, Δ), and Mamba-2's gated norm; gated DeltaNet layers
  (Qwen3-Next): q/k/v/z and β/α projections, a depthwise convolution, Δ bias, ``A``, a
  gated norm and the output projection;
* norms: RMSNorm holds ``d`` weights, LayerNorm ``2d`` (weight and bias).

Conventions of the reported totals: ``embedding`` is the token embedding plus an untied
LM head (with its bias); ``non_embedding`` is everything else (learned positions
included, as in the published figures we test against); ``active`` is set for MoE only.
For a multimodal checkpoint the counts are its language model's; the vision tower, when
countable, is reported apart as ``vision`` and is not in ``total``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from .architecture import Architecture

PARAM_KINDS = ("total", "non_embedding", "active")  # which N a ratio divides by
BREAKDOWN_KEYS = ("embeddings", "positions", "projection", "attention", "ssm", "mlp", "experts", "shared_experts",
                  "router", "norms", "head")


def norm_size(kind: str, width: int) -> int:
    """Weights in one norm over ``width`` features: RMSNorm ``width``, LayerNorm ``2·width``.

    Args:
        kind: ``rms``, ``layer``, ``layer_nobias`` (a LayerNorm without bias) or ``none``.
        width: Features normalised.

    Returns:
        The weights: ``width`` (rms, layer_nobias), ``2·width`` (layer) or 0 (none).

    Examples:
        >>> norm_size("rms", 896), norm_size("layer", 768)
        (896, 1536)
    """
    return {"rms": 1, "layer": 2, "layer_nobias": 1, "none": 0}[kind] * width


def mlp_size(d: int, f: int, gated: bool, bias: bool) -> int:
    """One MLP (or one expert): ``3·d·f`` gated / ``2·d·f`` plain, plus its biases.

    Args:
        d: The model width (hidden size).
        f: The MLP's inner width (intermediate size).
        gated: A gated MLP (SwiGLU, GeGLU: gate, up and down projections).
        bias: The projections carry biases (``2·f + d`` gated, ``f + d`` plain).

    Returns:
        The weights.

    Examples:
        Qwen2.5-0.5B's MLP (896 → 4,864, gated, no bias), and GPT-2's (768 → 3,072, with biases):

        >>> mlp_size(896, 4864, gated=True, bias=False), mlp_size(768, 3072, gated=False, bias=True)
        (13074432, 4722432)
    """
    if gated:
        return 3 * d * f + (2 * f + d if bias else 0)
    return 2 * d * f + (f + d if bias else 0)


def attention_size(a: Architecture) -> int:
    """One attention block: projections, their biases, q/k norms and sinks.

    Args:
        a: The architecture (grouped-query or multi-head latent attention).

    Returns:
        The weights of one layer's attention.
    """
    d, h, k, e = a.hidden_size, a.num_heads, a.num_kv_heads, a.head_dim
    if a.is_mla:
        rq, rkv, rope, ev = a.q_lora_rank, a.kv_lora_rank, a.qk_rope_head_dim, a.v_head_dim
        assert rkv is not None and rope is not None and ev is not None  # Architecture sets them with kv_lora_rank
        q = d * h * e if rq is None else d * rq + rq + rq * h * e + (rq if a.qkv_bias else 0)
        kv = d * (rkv + rope) + rkv + rkv * h * (e - rope + ev) + ((rkv + rope) if a.qkv_bias else 0)
        return q + kv + h * ev * d + (d if a.o_bias else 0) + (h if a.attention_sinks else 0) + a.attention_extra
    q = 2 * h * e if a.attention_output_gate else h * e  # a gated output doubles q_proj
    n = d * q + 2 * d * k * e + h * e * d
    if a.qkv_bias:
        n += q + 2 * k * e
    if a.o_bias:
        n += d
    if a.qk_norm:
        n += norm_size(a.qk_norm_kind, e) * (2 if a.qk_norm_scope == "head" else h + k)
    if a.attention_sinks:
        n += h
    return n + a.attention_extra


def ssm_size(a: Architecture) -> int:
    """One Mamba, Mamba-2, gated DeltaNet or short-convolution mixer (0 when the model has none).

    Args:
        a: The architecture; ``a.mixer`` says which mixer.

    Returns:
        The weights of one mixer.
    """
    d, i, n, kc = a.hidden_size, a.ssm_inner_size, a.ssm_state_size, a.ssm_conv_kernel
    pb = a.ssm_proj_bias
    if a.mixer == "mamba":
        r = a.ssm_dt_rank
        assert i is not None and r is not None  # Architecture derives both for every mixer
        return (d * 2 * i + (2 * i if pb else 0)           # in_proj: x and gate
                + i * kc + (i if a.ssm_conv_bias else 0)   # depthwise conv1d
                + i * (r + 2 * n)                          # x_proj: dt, B, C
                + r * i + i                                # dt_proj with bias
                + i * n + i                                # A_log, D
                + i * d + (d if a.ssm_out_bias else 0)     # out_proj
                + ((r + 2 * n) if a.ssm_dt_norms else 0))  # Jamba: RMSNorms on dt, B, C
    if a.mixer == "mamba2":
        hh, g = a.ssm_heads, a.ssm_groups
        assert i is not None and hh is not None  # derived for every mixer; ssm_heads required with mamba2
        conv = i + 2 * g * n
        proj = i + conv + hh
        return (d * proj + (proj if pb else 0) + conv * kc + (conv if a.ssm_conv_bias else 0)
                + 3 * hh                                   # dt_bias, A_log, D
                + (i if a.ssm_norm else 0)                 # gated RMSNorm
                + i * d + (d if a.ssm_out_bias else 0))
    if a.mixer == "short_conv":  # LFM2: in_proj (B, C, x), depthwise conv, out_proj
        b = a.ssm_conv_bias
        return d * 3 * d + d * kc + d * d + ((3 * d + d + d) if b else 0)
    if a.mixer == "gated_deltanet":
        kh, kd, vh, vd = a.linear_key_heads, a.linear_key_head_dim, a.linear_value_heads, a.linear_value_head_dim
        assert kh is not None and kd is not None and vh is not None and vd is not None  # required with this mixer
        key, value = kh * kd, vh * vd
        conv = 2 * key + value
        return (d * (2 * key + 2 * value) + d * 2 * vh  # in_proj_qkvz, in_proj_ba
                + conv * kc                             # depthwise conv1d, no bias
                + 2 * vh                                # dt_bias, A_log
                + vd                                    # gated RMSNorm over one head
                + value * d)                            # out_proj
    return 0


@dataclass(frozen=True)
class ParamCount:
    """Exact parameter count with its breakdown (all Python ints).

    Attributes:
        embeddings: The token embedding.
        positions: Learned position embeddings.
        projection: Input/output projections around the blocks (e.g. an embedding projection).
        attention: Every attention block.
        mlp: Every dense MLP.
        router: MoE routers.
        norms: Every norm.
        head: An untied LM head (0 when tied).
        ssm: State-space and other token mixers.
        experts: Routed experts.
        shared_experts: Shared (always active) experts.
        inactive_experts: Routed-expert weights a token does not use; None when the top-k is not
            stated, so active N is unknown.
        is_moe: At least one layer routes tokens to experts.
        language_model_of: The multimodal wrapper, when only its language model is counted.
        vision: That wrapper's vision tower and projector (None: not counted).
        other: In a count made by transformers (``counted_by``), everything but embeddings and head.
        counted_by: ``planner``, or the transformers release and model class that counted it.
    """

    embeddings: int
    positions: int
    projection: int
    attention: int
    mlp: int
    router: int
    norms: int
    head: int
    ssm: int = 0
    experts: int = 0
    shared_experts: int = 0
    inactive_experts: int | None = 0   # None: the top-k is not stated, so active N is unknown
    is_moe: bool = False
    language_model_of: str | None = None
    vision: int | None = None
    other: int = 0                # transformers' count (counted_by): everything but embeddings and head
    counted_by: str = "planner"   # or the transformers release and model class that counted it

    @property
    def total(self) -> int:
        """Every parameter: the sum of the breakdown."""
        parts: int = sum(getattr(self, k) for k in BREAKDOWN_KEYS)
        return parts + self.other

    @property
    def embedding(self) -> int:
        """Token embedding plus untied LM head (the part that scales with the vocabulary)."""
        return self.embeddings + self.head

    @property
    def non_embedding(self) -> int:
        """``total`` minus :attr:`embedding` (the token embedding and an untied head)."""
        return self.total - self.embedding

    @property
    def active(self) -> int | None:
        """Parameters used per token (MoE: only the top-k routed experts); ``None`` for dense models and for
        an MoE whose config does not state its top-k."""
        if not self.is_moe or self.inactive_experts is None:
            return None
        return self.total - self.inactive_experts

    def get(self, kind: str) -> int:
        """The N of one convention: ``total``, ``non_embedding`` or ``active`` (total for dense).

        Args:
            kind: ``total``, ``non_embedding`` (or ``non-embedding``) or ``active``.

        Returns:
            That N.

        Raises:
            InputError: Naming ``param_kind``: an unknown kind, or ``active`` for an MoE whose config
                does not state ``num_experts_per_tok``.

        Examples:
            >>> from planner.model.catalog import count_params
            >>> count_params("qwen2.5-0.5b").get("non-embedding")
            357898112
        """
        kinds = {"total": self.total, "non_embedding": self.non_embedding,
                 "active": self.active if self.is_moe else self.total}
        try:
            n = kinds[kind.replace("-", "_")]
        except (KeyError, AttributeError):
            raise InputError("param_kind", "one of total, non_embedding, active", kind) from None
        if n is None:
            raise InputError("param_kind", "total or non_embedding for this model: its config does not state "
                             "num_experts_per_tok, so active N is unknown", kind)
        return n

    @property
    def breakdown(self) -> dict[str, int]:
        """Every part by kind (``embeddings``, ``attention``, ``mlp``, ``experts``, ...); sums to ``total``.

        A count made by transformers has only ``embeddings``, ``head`` and ``other`` (the rest)."""
        out = {k: getattr(self, k) for k in BREAKDOWN_KEYS}
        if self.other:
            out["other"] = self.other
        return out

    def to_dict(self) -> dict[str, object]:
        """The count as plain data (JSON-ready).

        Returns:
            ``total``, ``embedding``, ``non_embedding``, ``active`` and ``breakdown``; with
                ``language_model_of`` and ``vision`` for a wrapper, ``counted_by`` when transformers counted.
        """
        d: dict[str, object] = {"total": self.total, "embedding": self.embedding, "non_embedding": self.non_embedding,
             "active": self.active, "breakdown": self.breakdown}
        if self.language_model_of is not None:
            d.update(language_model_of=self.language_model_of, vision=self.vision)
        if self.counted_by != "planner":
            d["counted_by"] = self.counted_by
        return d


def count_params(arch: Architecture) -> ParamCount:
    """Count every parameter of ``arch`` exactly.

    Args:
        arch: the :class:`~planner.model.architecture.Architecture` to count.

    Returns:
        A ``ParamCount``: ``total``, ``embedding``, ``non_embedding``, ``active`` (MoE
            only) and the ``breakdown`` by kind, all Python integers.

    Raises:
        InputError: Naming ``arch``: not an :class:`~planner.model.architecture.Architecture`.

    Examples:
        >>> from planner.model.catalog import architecture
        >>> count_params(architecture("qwen2.5-0.5b")).total
        494032768
    """
    if not isinstance(arch, Architecture):
        raise InputError("arch", "a planner.Architecture (see planner.architecture or planner.from_hf_config)",
                         type(arch).__name__)
    a = arch
    d, L, V = a.hidden_size, a.num_layers, a.vocab_size
    emb_dim = a.embed_dim or d
    moe_L = a.moe_layers
    mlp = experts = shared = router = 0
    inactive: int | None = 0
    mlp = a.num_mlp_layers * (mlp_size(d, a.intermediate_size, a.gated_mlp, a.mlp_bias) + a.mlp_extra)
    if a.num_experts:
        width = a.moe_latent_size or d  # latent experts sit behind a projection in and out
        assert a.moe_intermediate_size is not None  # Architecture sets it with num_experts
        expert = mlp_size(width, a.moe_intermediate_size, a.gated_mlp, a.expert_bias)
        latent = 2 * d * width + ((width + d) if a.mlp_bias else 0) if a.moe_latent_size else 0
        experts = moe_L * (a.num_experts * expert + latent)
        router = moe_L * (d * a.num_experts + (a.num_experts if a.router_bias else 0))
        if a.num_shared_experts:
            assert a.shared_expert_intermediate_size is not None  # Architecture sets it with num_shared_experts
            shared = moe_L * (a.num_shared_experts * mlp_size(d, a.shared_expert_intermediate_size, a.gated_mlp,
                                                              a.mlp_bias) + (d if a.shared_expert_gate else 0))
        inactive = None if a.experts_per_token is None else moe_L * (a.num_experts - a.experts_per_token) * expert
    head = (0 if a.tied_embeddings else V * emb_dim) + (V if a.lm_head_bias else 0)
    return ParamCount(
        embeddings=V * emb_dim,
        positions=a.max_positions * d,
        projection=2 * emb_dim * d if emb_dim != d else 0,
        attention=a.num_attention_layers * attention_size(a),
        ssm=a.num_mixer_layers * ssm_size(a),
        mlp=mlp,
        experts=experts,
        shared_experts=shared,
        router=router,
        norms=(L * a.norms_per_layer * norm_size(a.norm, d) + (norm_size(a.norm, d) if a.final_norm else 0)
               + (norm_size(a.norm, emb_dim) if a.embed_norm else 0)),
        head=head,
        inactive_experts=inactive,
        is_moe=a.is_moe,
        language_model_of=a.language_model_of,
        vision=a.vision_params,
    )
