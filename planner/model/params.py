"""Exact parameter counts of an :class:`~planner.architecture.Architecture`.

Counts are Python integers and match what the reference Hugging Face implementation's
``model.parameters()`` holds (a tied embedding counted once). Per decoder layer, with
d = hidden size, h = query heads, k = key/value heads, e = head dim, f = intermediate size:

* attention: ``d·h·e`` (q) + ``2·d·k·e`` (k, v) + ``h·e·d`` (o) + optional biases
  ``h·e + 2·k·e`` (q, k, v) and ``d`` (o); q/k norms of size e where the family has them;
* MLP: ``3·d·f`` gated or ``2·d·f`` plain, + biases ``2f + d`` or ``f + d``;
* MoE layers: router ``d·E`` and E experts, of which only the top-k are *active*;
* norms: RMSNorm holds ``d`` weights, LayerNorm ``2d`` (weight and bias).

Conventions of the reported totals: ``embedding`` is the token embedding plus an untied
LM head (with its bias); ``non_embedding`` is everything else (learned positions
included, as in the published figures we test against); ``active`` is set for MoE only.
"""

from __future__ import annotations

from dataclasses import dataclass

from .architecture import Architecture

PARAM_KINDS = ("total", "non_embedding", "active")  # which N a ratio divides by
BREAKDOWN_KEYS = ("embeddings", "positions", "projection", "attention", "mlp", "router", "norms", "head")


def norm_size(kind: str, width: int) -> int:
    """Weights in one norm over ``width`` features: RMSNorm ``width``, LayerNorm ``2·width``."""
    return {"rms": 1, "layer": 2, "none": 0}[kind] * width


def mlp_size(d: int, f: int, gated: bool, bias: bool) -> int:
    """One MLP (or one expert): ``3·d·f`` gated / ``2·d·f`` plain, plus its biases."""
    if gated:
        return 3 * d * f + (2 * f + d if bias else 0)
    return 2 * d * f + (f + d if bias else 0)


def attention_size(a: Architecture) -> int:
    """One attention block: q, k, v, o projections, their biases and q/k norms."""
    d, h, k, e = a.hidden_size, a.num_heads, a.num_kv_heads, a.head_dim
    n = d * h * e + 2 * d * k * e + h * e * d
    if a.qkv_bias:
        n += h * e + 2 * k * e
    if a.o_bias:
        n += d
    if a.qk_norm:
        n += 2 * norm_size(a.norm, e)
    return n


@dataclass(frozen=True)
class ParamCount:
    """Exact parameter count with its breakdown (all Python ints)."""

    embeddings: int
    positions: int
    projection: int
    attention: int
    mlp: int
    router: int
    norms: int
    head: int
    inactive_experts: int = 0
    is_moe: bool = False

    @property
    def total(self) -> int:
        return sum(getattr(self, k) for k in BREAKDOWN_KEYS)

    @property
    def embedding(self) -> int:
        """Token embedding plus untied LM head (the part that scales with the vocabulary)."""
        return self.embeddings + self.head

    @property
    def non_embedding(self) -> int:
        return self.total - self.embedding

    @property
    def active(self) -> int | None:
        """Parameters used per token (MoE: only the top-k experts); ``None`` for dense models."""
        return self.total - self.inactive_experts if self.is_moe else None

    def get(self, kind: str) -> int:
        """The N of one convention: ``total``, ``non_embedding`` or ``active`` (total for dense)."""
        kinds = {"total": self.total, "non_embedding": self.non_embedding,
                 "active": self.active if self.is_moe else self.total}
        try:
            return kinds[kind.replace("-", "_")]
        except KeyError:
            from ..errors import InputError
            raise InputError("param_kind", "one of total, non_embedding, active", kind) from None

    @property
    def breakdown(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in BREAKDOWN_KEYS}

    def to_dict(self) -> dict:
        return {"total": self.total, "embedding": self.embedding, "non_embedding": self.non_embedding,
                "active": self.active, "breakdown": self.breakdown}


def count_params(arch: Architecture) -> ParamCount:
    """Count every parameter of ``arch`` exactly."""
    a = arch
    d, L, V = a.hidden_size, a.num_layers, a.vocab_size
    emb_dim = a.embed_dim or d
    dense_layers = L - a.moe_layers
    mlp = dense_layers * mlp_size(d, a.intermediate_size, a.gated_mlp, a.mlp_bias)
    router = inactive = 0
    if a.num_experts:
        expert = mlp_size(d, a.moe_intermediate_size, a.gated_mlp, a.mlp_bias)
        mlp += a.moe_layers * a.num_experts * expert
        router = a.moe_layers * d * a.num_experts
        inactive = a.moe_layers * (a.num_experts - a.experts_per_token) * expert
    head = (0 if a.tied_embeddings else V * emb_dim) + (V if a.lm_head_bias else 0)
    return ParamCount(
        embeddings=V * emb_dim,
        positions=a.max_positions * d,
        projection=2 * emb_dim * d if emb_dim != d else 0,
        attention=L * attention_size(a),
        mlp=mlp,
        router=router,
        norms=L * a.norms_per_layer * norm_size(a.norm, d) + (norm_size(a.norm, d) if a.final_norm else 0),
        head=head,
        inactive_experts=inactive,
        is_moe=a.is_moe,
    )
