"""A decoder-only transformer described by the dimensions and conventions that fix its size.

:class:`Architecture` is the one description every count starts from. Build it directly
from slider values (``Architecture(num_layers=12, hidden_size=768, ...)``) or from a
Hugging Face ``config.json`` with :func:`planner.families.from_hf_config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import validate
from ..errors import InputError

NORM_KINDS = ("rms", "layer", "none")
MAX_DIM = 10**9  # any one dimension; a billion layers or features is past every real model


@dataclass(frozen=True)
class Architecture:
    """Dimensions and per-family conventions of a decoder-only transformer.

    Only the first few fields are needed for a hypothetical model; the rest default to a
    Llama-style block (RMSNorm, gated MLP, no biases, untied head). ``head_dim`` defaults
    to ``hidden_size // num_heads``, ``num_kv_heads`` to ``num_heads`` (full multi-head
    attention), ``intermediate_size`` to ``4 * hidden_size``.
    """

    num_layers: int
    hidden_size: int
    num_heads: int
    vocab_size: int
    intermediate_size: int | None = None
    num_kv_heads: int | None = None
    head_dim: int | None = None
    tied_embeddings: bool = False
    gated_mlp: bool = True
    norm: str = "rms"
    norms_per_layer: int = 2
    final_norm: bool = True
    qk_norm: bool = False
    qkv_bias: bool = False
    o_bias: bool = False
    mlp_bias: bool = False
    lm_head_bias: bool = False
    max_positions: int = 0
    embed_dim: int | None = None
    num_experts: int = 0
    experts_per_token: int = 0
    moe_intermediate_size: int | None = None
    moe_layers: int | None = None
    family: str = "custom"
    name: str = field(default="custom", compare=False)

    def __post_init__(self):
        def set_(k, v):  # a frozen dataclass sets its normalised fields this way
            object.__setattr__(self, k, v)

        def dim(k, v, minimum=1, maximum=MAX_DIM):
            return validate.count(k, v, minimum=minimum, maximum=maximum)

        for k in ("num_layers", "hidden_size", "num_heads", "vocab_size"):
            set_(k, dim(k, getattr(self, k)))
        set_("intermediate_size", dim("intermediate_size", self.intermediate_size
                                      if self.intermediate_size is not None else 4 * self.hidden_size))
        if self.head_dim is None:
            if self.hidden_size % self.num_heads:
                raise InputError("num_heads", f"a divisor of the hidden size ({self.hidden_size}) unless head_dim "
                                 "is given", self.num_heads)
            set_("head_dim", self.hidden_size // self.num_heads)
        set_("head_dim", dim("head_dim", self.head_dim))
        kv = self.num_kv_heads if self.num_kv_heads is not None else self.num_heads
        set_("num_kv_heads", dim("num_kv_heads", kv, maximum=self.num_heads))
        if self.num_heads % self.num_kv_heads:
            raise InputError("num_kv_heads", f"a divisor of num_heads, the number of attention heads "
                             f"({self.num_heads})", self.num_kv_heads)
        if self.norm not in NORM_KINDS:
            raise InputError("norm", f"one of {', '.join(NORM_KINDS)}", self.norm)
        set_("norms_per_layer", validate.count("norms_per_layer", self.norms_per_layer, minimum=0, maximum=8))
        set_("max_positions", dim("max_positions", self.max_positions, minimum=0))
        if self.embed_dim is not None:
            set_("embed_dim", dim("embed_dim", self.embed_dim))
        for k in ("tied_embeddings", "gated_mlp", "final_norm", "qk_norm", "qkv_bias", "o_bias", "mlp_bias",
                  "lm_head_bias"):
            set_(k, validate.flag(k, getattr(self, k)))
        for k in ("family", "name"):
            set_(k, validate.text(k, getattr(self, k)))
        set_("num_experts", dim("num_experts", self.num_experts, minimum=0))
        if self.num_experts:
            set_("experts_per_token", dim("experts_per_token", self.experts_per_token, maximum=self.num_experts))
            set_("moe_intermediate_size", dim("moe_intermediate_size", self.moe_intermediate_size
                                              if self.moe_intermediate_size is not None else self.intermediate_size))
            set_("moe_layers", dim("moe_layers", self.moe_layers if self.moe_layers is not None else self.num_layers,
                                   minimum=0, maximum=self.num_layers))
        else:
            set_("experts_per_token", 0)
            set_("moe_intermediate_size", None)
            set_("moe_layers", 0)

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0 and self.moe_layers > 0

    def with_(self, **changes) -> "Architecture":
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)
