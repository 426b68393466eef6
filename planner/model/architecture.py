"""A decoder-only language model described by the dimensions and conventions that fix its size.

:class:`Architecture` is the one description every count starts from. Build it directly
from slider values (``Architecture(num_layers=12, hidden_size=768, ...)``) or from a
Hugging Face ``config.json`` with :func:`planner.from_hf_config`.

It is a value object: it stores exactly the inputs it was given (``None`` where a value is
to be derived) and derives the rest from them, so ``a.with_(num_layers=64)`` equals a fresh
``Architecture`` built from the same inputs with ``num_layers=64``. Reading an attribute
gives the value in use (``a.head_dim`` is ``hidden_size // num_heads`` when no head_dim
was given); :meth:`Architecture.inputs` gives what was given.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from .. import validate
from ..errors import InputError
from ..limits import MAX_COUNT

NORM_KINDS = ("rms", "layer", "layer_nobias", "none")
QK_NORM_SCOPES = ("head", "all")
MIXERS = ("attention", "mamba", "mamba2", "gated_deltanet", "short_conv")
LAYER_TYPES = ("attention", "mixer", "mlp", "moe")  # single-block layers (Nemotron-H): one norm + one block
MAX_DIM = 10**9  # any one dimension; a billion layers or features is past every real model

_FLAGS = ("tied_embeddings", "gated_mlp", "final_norm", "qk_norm", "qkv_bias", "o_bias", "mlp_bias", "lm_head_bias",
          "attention_sinks", "shared_expert_gate", "router_bias", "expert_bias", "ssm_conv_bias", "ssm_proj_bias",
          "feed_forward", "ssm_dt_norms", "embed_norm",
          "attention_output_gate", "attention_with_mixer", "ssm_norm")


class Architecture:
    """Dimensions and per-family conventions of a decoder-only language model.

    Only the first four arguments are required; the rest default to a Llama-style block
    (RMSNorm, gated MLP, no biases, untied head, full multi-head attention).

    Dimensions:
        num_layers, hidden_size, num_heads, vocab_size: the decoder's depth and width, the
            number of query heads, the vocabulary.
        intermediate_size: width of the dense MLP (default ``4 * hidden_size``).
        num_kv_heads: key/value heads (default ``num_heads``; must divide it).
        head_dim: width of one query/key head (default ``hidden_size // num_heads``, which
            then must divide evenly). With latent attention it is the full q/k head width
            (no-position part + rotary part).
        max_positions: rows of a learned position table (0: rotary or none).
        embed_dim: embedding width when it differs from ``hidden_size`` (OPT-350m's
            projection in and out).
        embed_norm: a norm right after the token embedding (BLOOM's word_embeddings_layernorm).
        mlp_extra: parameters of each dense MLP beyond its matrices and biases (Apertus's
            learned xIELU activation: 2).
        attention_extra: parameters of each attention block beyond its projections (DeepSeek-V3.2's
            sparse-attention indexer).

    Sliding-window attention (Mistral-7B-v0.1, Gemma-2/3, gpt-oss), switched on by ``sliding_window``: a query
        attends to the last ``sliding_window`` tokens (itself included) instead of the whole sequence.
        sliding_window_layers: how many attention layers use the window (None: all of them; Gemma-2 windows
        every other layer). It changes no parameter count, only the attention FLOPs at sequences longer than
        the window (:func:`planner.training.flops.token_flops`). Read back, ``a.sliding_window_layers`` is
        the count in use: 0 without a window, at most ``num_attention_layers`` (a shallower variant made
        with :meth:`with_` keeps at most all of its attention layers windowed).

    Conventions (booleans unless said): tied_embeddings, gated_mlp (3 matrices, else 2),
        norm (``"rms"``, ``"layer"`` (weight and bias), ``"layer_nobias"`` (weight only) or
        ``"none"``), norms_per_layer, final_norm, qk_norm with qk_norm_scope (``"head"``: one
        norm of head_dim for q and one for k; ``"all"``: weights for every head) and
        qk_norm_kind (default: the block's norm), qkv_bias, o_bias, mlp_bias (the
        dense and shared-expert MLPs), lm_head_bias, attention_sinks (one learned logit per
        head).

    Multi-head latent attention (DeepSeek-V2/V3), switched on by ``kv_lora_rank``:
        q_lora_rank (None: a plain q projection), kv_lora_rank, qk_rope_head_dim (the
        rotary part of head_dim), v_head_dim (default head_dim).

    Mixture of experts, switched on by ``num_experts``:
        experts_per_token (top-k, required; ``None``: not stated, as in DeepSeek-V2's default
        config, so the total is counted and active N is unknown), moe_intermediate_size (one expert's width,
        default intermediate_size), num_shared_experts and shared_expert_intermediate_size
        (always-active experts, default the expert width), shared_expert_gate (a
        ``hidden -> 1`` gate on the shared expert), router_bias, expert_bias (biases in
        the routed experts; dense and shared MLPs follow mlp_bias).
        Which layers are MoE is a rule, evaluated for the current depth: layer ``i``
        (from 0) is MoE when ``i % moe_layer_period == moe_layer_offset``, ``i >=
        first_dense_layers`` and ``i`` is not in ``dense_layers``. ``moe_layers``, if
        given, is instead a count: the last ``moe_layers`` layers are MoE. moe_latent_size:
        experts working in a narrower latent width, behind a projection in and out.

    State-space mixer (Mamba, Mamba-2), switched on by ``mixer="mamba"`` or ``"mamba2"``:
        attention_layer_period and attention_layer_offset (a hybrid such as Jamba: layer ``i``
        uses attention when ``i % period == offset``, the mixer otherwise; None: every layer
        uses the mixer), attention_layers (instead of the rule, a list of the layer indices that
        use attention, as in a Qwen3.5 config whose full-attention layers are irregular; indices
        at or beyond num_layers are ignored), feed_forward (False: no MLP in any layer, as in Mamba, whose layers
        are one norm and one mixer), ssm_state_size, ssm_inner_size
        (default ``2 * hidden_size``), ssm_conv_kernel, ssm_dt_rank (Mamba; default
        ``ceil(hidden_size / 16)``), ssm_heads (Mamba-2, required), ssm_groups (Mamba-2),
        ssm_conv_bias, ssm_proj_bias (in and out projections), ssm_out_bias (the out projection
        alone; default ssm_proj_bias), ssm_norm (Mamba-2's gated norm), ssm_dt_norms (Jamba's
        RMSNorms on Δ, B and C), attention_with_mixer (Falcon-H1: attention and the mixer side by
        side in every layer).
        layer_types: a list with one entry per layer, for models whose layers each hold one
        norm and one block (Nemotron-H): ``"attention"``, ``"mixer"``, ``"mlp"`` or ``"moe"``;
        it must have ``num_layers`` entries.

    Gated DeltaNet linear attention (Qwen3-Next), switched on by ``mixer="gated_deltanet"``
        (usually with attention every few layers): linear_key_heads, linear_value_heads,
        linear_key_head_dim, linear_value_head_dim (all required), ssm_conv_kernel;
        attention_output_gate (a sigmoid gate on the attention output: q_proj twice as wide).

    Short gated convolution (LFM2), switched on by ``mixer="short_conv"``: in_proj to three times the
        width, a depthwise convolution of ssm_conv_kernel, out_proj; ssm_conv_bias biases all three.

    Multimodal wrappers: language_model_of (the wrapper's ``model_type``, e.g. ``"gemma3"``,
        when this is the language model inside an image-text model) and vision_params (that
        wrapper's vision tower and projector, counted apart; ``None``: not counted).

    Training: dropout, the largest dropout rate the model trains with (0 to 1; 0: none). It changes no count;
        a rate above zero means training stores dropout masks (:func:`planner.memory_estimate`). From a
        config.json it is the largest of the rates the config sets or its class defaults to (GPT-2's 0.1).

    Labels: family (the ``model_type``) and name (display only: not part of equality).

    Raises :class:`~planner.errors.InputError` naming the field for any invalid value.
    """


    # The values in use (the inputs with the derived ones filled in), set on each instance by __init__.
    num_layers: int
    hidden_size: int
    num_heads: int
    vocab_size: int
    intermediate_size: int
    num_kv_heads: int
    head_dim: int
    tied_embeddings: bool
    gated_mlp: bool
    norm: str
    norms_per_layer: int
    final_norm: bool
    qk_norm: bool
    qk_norm_scope: str
    qk_norm_kind: str
    qkv_bias: bool
    o_bias: bool
    mlp_bias: bool
    lm_head_bias: bool
    attention_sinks: bool
    max_positions: int
    embed_dim: int | None
    embed_norm: bool
    mlp_extra: int
    attention_extra: int
    sliding_window: int | None
    sliding_window_layers: int
    q_lora_rank: int | None
    kv_lora_rank: int | None
    qk_rope_head_dim: int | None
    v_head_dim: int | None
    num_experts: int
    experts_per_token: int | None
    moe_intermediate_size: int | None
    num_shared_experts: int
    shared_expert_intermediate_size: int | None
    shared_expert_gate: bool
    router_bias: bool
    expert_bias: bool
    moe_layer_period: int
    moe_layer_offset: int
    first_dense_layers: int
    dense_layers: tuple[int, ...]
    moe_layers: int
    moe_latent_size: int | None
    mixer: str
    attention_layer_period: int | None
    attention_layer_offset: int
    attention_layers: tuple[int, ...] | None
    feed_forward: bool
    layer_types: tuple[str, ...] | None
    ssm_state_size: int
    ssm_inner_size: int | None
    ssm_conv_kernel: int
    ssm_dt_rank: int | None
    ssm_heads: int | None
    ssm_groups: int
    ssm_conv_bias: bool
    ssm_proj_bias: bool
    ssm_dt_norms: bool
    linear_key_heads: int | None
    linear_value_heads: int | None
    linear_key_head_dim: int | None
    linear_value_head_dim: int | None
    attention_output_gate: bool
    attention_with_mixer: bool
    ssm_norm: bool
    ssm_out_bias: bool
    language_model_of: str | None
    vision_params: int | None
    dropout: float
    family: str
    name: str
    num_attention_layers: int
    num_mixer_layers: int
    num_mlp_layers: int
    _inputs: dict[str, Any]
    _resolved: dict[str, Any]

    def __init__(self, num_layers: int, hidden_size: int, num_heads: int, vocab_size: int, *,
                 intermediate_size: int | None = None, num_kv_heads: int | None = None, head_dim: int | None = None,
                 tied_embeddings: bool = False, gated_mlp: bool = True, norm: str = "rms", norms_per_layer: int = 2,
                 final_norm: bool = True, qk_norm: bool = False, qk_norm_scope: str = "head",
                 qk_norm_kind: str | None = None, qkv_bias: bool = False, o_bias: bool = False,
                 mlp_bias: bool = False, lm_head_bias: bool = False, attention_sinks: bool = False,
                 max_positions: int = 0, embed_dim: int | None = None, embed_norm: bool = False,
                 mlp_extra: int = 0, attention_extra: int = 0,
                 sliding_window: int | None = None, sliding_window_layers: int | None = None,
                 q_lora_rank: int | None = None, kv_lora_rank: int | None = None,
                 qk_rope_head_dim: int | None = None, v_head_dim: int | None = None,
                 num_experts: int = 0, experts_per_token: int | None = 0, moe_intermediate_size: int | None = None,
                 num_shared_experts: int = 0, shared_expert_intermediate_size: int | None = None,
                 shared_expert_gate: bool = False, router_bias: bool = False, expert_bias: bool = False,
                 moe_layer_period: int = 1, moe_layer_offset: int = 0, first_dense_layers: int = 0,
                 dense_layers: Iterable[int] = (),
                 moe_layers: int | None = None, moe_latent_size: int | None = None, mixer: str = "attention",
                 attention_layer_period: int | None = None, attention_layer_offset: int = 0,
                 attention_layers: Iterable[int] | None = None, feed_forward: bool = True,
                 layer_types: Iterable[str] | None = None,
                 ssm_state_size: int = 16, ssm_inner_size: int | None = None,
                 ssm_conv_kernel: int = 4,
                 ssm_dt_rank: int | None = None, ssm_heads: int | None = None, ssm_groups: int = 1,
                 ssm_conv_bias: bool = True, ssm_proj_bias: bool = False,
                 ssm_dt_norms: bool = False, linear_key_heads: int | None = None,
                 linear_value_heads: int | None = None, linear_key_head_dim: int | None = None,
                 linear_value_head_dim: int | None = None, attention_output_gate: bool = False,
                 attention_with_mixer: bool = False, ssm_norm: bool = True,
                 ssm_out_bias: bool | None = None,
                 language_model_of: str | None = None, vision_params: int | None = None, dropout: float = 0.0,
                 family: str = "custom", name: str = "custom") -> None:
        given = dict(locals())  # exactly the constructor's arguments
        del given["self"]
        object.__setattr__(self, "_inputs", _validated(given))
        object.__setattr__(self, "_resolved", _resolve(self._inputs))
        # the values in use as plain instance attributes: read at dict speed (counting reads dozens of them)
        self.__dict__.update(self._resolved)
        for k in _CLASS_NAMES.intersection(self._resolved):  # a property of the same name stays in charge
            del self.__dict__[k]

    # -- value semantics ---------------------------------------------------------------------
    def inputs(self) -> dict[str, Any]:
        """Every input as given (``None`` where the value is derived), defaults included."""
        return dict(self._inputs)

    def with_(self, **changes: Any) -> Architecture:
        """The architecture built from the same inputs with ``changes`` applied (validated again).

        Derived values are derived afresh: a head_dim that was never given follows a new
        hidden size, the MoE layers follow a new depth by the same rule.

        Args:
            **changes: Constructor arguments to replace (``num_layers=12``, ``hidden_size=1024``).

        Returns:
            A new :class:`Architecture`; this one is unchanged.

        Raises:
            InputError: A name that is not an Architecture field, or a value the constructor refuses.

        Examples:
            >>> from planner.model.catalog import architecture
            >>> a = architecture("qwen2.5-0.5b").with_(num_layers=12)
            >>> a.num_layers, a.hidden_size
            (12, 896)
        """
        unknown = sorted(set(changes) - set(_DEFAULTS))
        if unknown:
            raise InputError(unknown[0], f"one of the Architecture fields ({', '.join(_DEFAULTS)})", detail=None)
        return Architecture(**{**self._inputs, **changes})

    def __getattr__(self, key: str) -> object:
        if key.startswith("_"):  # slots not yet set (a failed construction, unpickling)
            raise AttributeError(key)
        try:
            return self._resolved[key]
        except KeyError:
            raise AttributeError(f"'Architecture' object has no attribute {key!r}") from None

    def __setattr__(self, key: str, value: object) -> NoReturn:
        raise AttributeError("Architecture is immutable: use a.with_(...) for a variant")

    def __delattr__(self, key: str) -> NoReturn:
        raise AttributeError("Architecture is immutable: use a.with_(...) for a variant")

    def _key(self) -> tuple[tuple[str, Any], ...]:
        return tuple((k, v) for k, v in self._inputs.items() if k != "name")

    def __eq__(self, other: object) -> bool:
        return type(other) is Architecture and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._inputs.items() if k in (
            "num_layers", "hidden_size", "num_heads", "vocab_size") or v != _DEFAULTS[k])
        return f"Architecture({shown})"

    def __reduce__(self) -> tuple[Callable[[dict[str, Any]], Architecture], tuple[dict[str, Any]]]:
        return (_rebuild, (self._inputs,))

    # -- derived facts -------------------------------------------------------------------------
    @property
    def is_moe(self) -> bool:
        """True when at least one layer routes tokens to experts."""
        return self.num_experts > 0 and self.num_moe_layers > 0

    @property
    def is_mla(self) -> bool:
        """True for multi-head latent attention (a low-rank key/value path)."""
        return self.kv_lora_rank is not None

    @property
    def num_moe_layers(self) -> int:
        """How many layers are MoE at the current depth (also ``a.moe_layers``)."""
        return self.moe_layers

    def is_moe_layer(self, i: int) -> bool:
        """Whether layer ``i`` (from 0) routes tokens to experts.

        Args:
            i: The layer's index, from 0.

        Returns:
            True for an MoE layer; False for a dense one, for an index outside ``[0, num_layers)``,
                and for every layer of a model without experts.
        """
        if not self.num_experts or not 0 <= i < self.num_layers:
            return False
        if self.layer_types is not None:
            return self.layer_types[i] == "moe"
        given: int | None = self._inputs["moe_layers"]  # a count (the last layers), not the rule below
        if given is not None:
            return i >= self.num_layers - given
        return (i >= self.first_dense_layers and i % self.moe_layer_period == self.moe_layer_offset
                and i not in self.dense_layers)



#: Names the class itself defines (properties, methods): resolved values never shadow them.
_CLASS_NAMES = frozenset(dir(Architecture))

#: Every input with its default, in the constructor's order: read off the constructor's signature, the one place
#: the defaults are written (the four required dimensions default to None here).
_DEFAULTS: dict[str, object] = {
    name: None if p.default is inspect.Parameter.empty else p.default
    for name, p in inspect.signature(Architecture.__init__).parameters.items() if name != "self"}


def _rebuild(inputs: dict[str, Any]) -> Architecture:
    return Architecture(**inputs)


def _dim(k: str, v: Any, minimum: int = 1, maximum: int = MAX_DIM) -> int:
    n: int = validate.count(k, v, minimum=minimum, maximum=maximum)
    return n


def _opt_dim(k: str, v: Any, minimum: int = 1, maximum: int = MAX_DIM) -> int | None:
    return None if v is None else _dim(k, v, minimum, maximum)


def _choice(k: str, v: Any, options: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in options:
        raise InputError(k, f"one of {', '.join(options)}", v)
    return v


def _validated(g: dict[str, Any]) -> dict[str, Any]:
    """The inputs with each value checked and normalised (numpy ints to int), ``None`` kept."""
    out = dict(g)
    for k in ("num_layers", "hidden_size", "num_heads", "vocab_size"):
        out[k] = _dim(k, g[k])
    for k in ("moe_latent_size", "intermediate_size", "head_dim", "embed_dim", "q_lora_rank", "kv_lora_rank",
              "qk_rope_head_dim",
              "v_head_dim", "moe_intermediate_size", "shared_expert_intermediate_size", "ssm_inner_size",
              "ssm_dt_rank", "ssm_heads", "linear_key_heads", "linear_value_heads", "linear_key_head_dim",
              "linear_value_head_dim"):
        if g[k] is not None:
            out[k] = _dim(k, g[k])
    out["num_kv_heads"] = _opt_dim("num_kv_heads", g["num_kv_heads"], maximum=out["num_heads"])
    for k in _FLAGS:
        if g[k] is not True and g[k] is not False:
            out[k] = validate.flag(k, g[k])
    out["norm"] = _choice("norm", g["norm"], NORM_KINDS)
    out["qk_norm_scope"] = _choice("qk_norm_scope", g["qk_norm_scope"], QK_NORM_SCOPES)
    if g["qk_norm_kind"] is not None:
        out["qk_norm_kind"] = _choice("qk_norm_kind", g["qk_norm_kind"], NORM_KINDS)
    out["mixer"] = _choice("mixer", g["mixer"], MIXERS)
    out["attention_layer_period"] = _opt_dim("attention_layer_period", g["attention_layer_period"])
    out["attention_layer_offset"] = _dim("attention_layer_offset", g["attention_layer_offset"], minimum=0)
    out["norms_per_layer"] = validate.count("norms_per_layer", g["norms_per_layer"], minimum=0, maximum=8)
    out["max_positions"] = _dim("max_positions", g["max_positions"], minimum=0)
    out["mlp_extra"] = _dim("mlp_extra", g["mlp_extra"], minimum=0)
    out["dropout"] = validate.positive_real("dropout", g["dropout"], minimum=0.0, inclusive=True, maximum=1.0)
    out["attention_extra"] = _dim("attention_extra", g["attention_extra"], minimum=0, maximum=MAX_COUNT)
    out["sliding_window"] = _opt_dim("sliding_window", g["sliding_window"])
    out["sliding_window_layers"] = _opt_dim("sliding_window_layers", g["sliding_window_layers"], minimum=0)
    for k in ("num_experts", "num_shared_experts", "first_dense_layers", "moe_layer_offset"):
        out[k] = _dim(k, g[k], minimum=0)
    out["experts_per_token"] = _opt_dim("experts_per_token", g["experts_per_token"], minimum=0)
    out["moe_layer_period"] = _dim("moe_layer_period", g["moe_layer_period"])
    out["moe_layers"] = _opt_dim("moe_layers", g["moe_layers"], minimum=0, maximum=out["num_layers"])
    for k in ("ssm_state_size", "ssm_conv_kernel", "ssm_groups"):
        out[k] = _dim(k, g[k])
    lt = g["layer_types"]
    if lt is not None:
        if isinstance(lt, (str, bytes)) or not hasattr(lt, "__iter__"):
            raise InputError("layer_types", f"a list of layer kinds ({', '.join(LAYER_TYPES)})", lt)
        out["layer_types"] = tuple(_choice("layer_types", t, LAYER_TYPES) for t in lt)
        if len(out["layer_types"]) != out["num_layers"]:
            raise InputError("layer_types", f"one entry per layer (num_layers = {out['num_layers']})",
                             detail=f"has {len(out['layer_types'])} entries for num_layers = {out['num_layers']}")
    al = g["attention_layers"]
    if al is not None:
        if isinstance(al, (str, bytes)) or not hasattr(al, "__iter__"):
            raise InputError("attention_layers", "a list of layer indices (whole numbers from 0)", al)
        out["attention_layers"] = tuple(sorted({_dim("attention_layers", i, minimum=0) for i in al}))
    dl = g["dense_layers"]
    if isinstance(dl, (str, bytes)) or not hasattr(dl, "__iter__"):
        raise InputError("dense_layers", "a list of layer indices (whole numbers from 0)", dl)
    out["dense_layers"] = tuple(sorted({_dim("dense_layers", i, minimum=0) for i in dl}))
    for k in ("family", "name"):
        out[k] = validate.text(k, g[k])
    if g["language_model_of"] is not None:
        out["language_model_of"] = validate.text("language_model_of", g["language_model_of"])
    if g["ssm_out_bias"] is not None:
        out["ssm_out_bias"] = validate.flag("ssm_out_bias", g["ssm_out_bias"])
    out["vision_params"] = _opt_dim("vision_params", g["vision_params"], minimum=0, maximum=MAX_COUNT)
    return out


def _resolve(g: dict[str, Any]) -> dict[str, Any]:
    """Every value in use, derived from the inputs; checks that need several inputs together."""
    r = dict(g)
    d, h, L = g["hidden_size"], g["num_heads"], g["num_layers"]
    if g["qk_norm_kind"] is None:
        r["qk_norm_kind"] = g["norm"]
    if g["intermediate_size"] is None:
        r["intermediate_size"] = _dim("intermediate_size", 4 * d)
    if g["head_dim"] is None:
        if d % h:
            raise InputError("num_heads", f"a divisor of the hidden size ({d}) unless head_dim is given", h)
        r["head_dim"] = d // h
    if g["num_kv_heads"] is None:
        r["num_kv_heads"] = h
    elif h % g["num_kv_heads"]:
        raise InputError("num_kv_heads", f"a divisor of num_heads, the number of attention heads ({h})",
                         g["num_kv_heads"])
    # latent attention
    if g["kv_lora_rank"] is not None:
        rope = g["qk_rope_head_dim"]
        if rope is None or rope >= r["head_dim"]:
            raise InputError("qk_rope_head_dim", f"the rotary part of head_dim, from 1 to {r['head_dim'] - 1}, "
                             "needed with kv_lora_rank", rope)
        r["num_kv_heads"] = h
        if g["v_head_dim"] is None:
            r["v_head_dim"] = r["head_dim"]
    # experts and the layers that hold them
    if g["num_experts"]:
        r["experts_per_token"] = (None if g["experts_per_token"] is None else
                                  _dim("experts_per_token", g["experts_per_token"], maximum=g["num_experts"]))
        if g["moe_intermediate_size"] is None:
            r["moe_intermediate_size"] = r["intermediate_size"]
        if g["shared_expert_intermediate_size"] is None and g["num_shared_experts"]:
            r["shared_expert_intermediate_size"] = r["moe_intermediate_size"]
        if g["moe_layer_offset"] >= g["moe_layer_period"]:
            raise InputError("moe_layer_offset", f"a whole number below moe_layer_period ({g['moe_layer_period']})",
                             g["moe_layer_offset"])
        if g["layer_types"] is not None:
            r["moe_layers"] = g["layer_types"].count("moe")
        elif g["moe_layers"] is not None:
            r["moe_layers"] = g["moe_layers"]
        else:  # counted, not listed: a billion-layer hypothetical must not build a billion-entry list
            period: int = g["moe_layer_period"]
            offset: int = g["moe_layer_offset"]
            first: int = g["first_dense_layers"]

            def below(n: int) -> int:  # i < n with i % period == offset
                return (n - offset + period - 1) // period if n > offset else 0

            rule = below(L) - below(min(first, L))
            r["moe_layers"] = rule - sum(1 for i in g["dense_layers"] if first <= i < L and i % period == offset)
    else:
        r.update(experts_per_token=0, moe_intermediate_size=None, num_shared_experts=0,
                 shared_expert_intermediate_size=None, moe_layers=0)
    # state-space mixer, alone or interleaved with attention
    p, o = g["attention_layer_period"], g["attention_layer_offset"]
    lt = g["layer_types"]
    if lt is not None:
        r["num_attention_layers"] = lt.count("attention")
    elif g["mixer"] == "attention" or g["attention_with_mixer"]:
        r["num_attention_layers"] = L
    elif g["attention_layers"] is not None:
        r["num_attention_layers"] = sum(1 for i in g["attention_layers"] if i < L)
    elif p is None:
        r["num_attention_layers"] = 0
    else:
        if o >= p:
            raise InputError("attention_layer_offset", f"a whole number below attention_layer_period ({p})", o)
        r["num_attention_layers"] = (L - o + p - 1) // p if o < L else 0
    if lt is not None and "moe" in lt and not g["num_experts"]:
        raise InputError("layer_types", "'moe' layers only with num_experts", detail="lists 'moe' layers but "
                         "num_experts is 0")
    if lt is not None and "mixer" in lt and g["mixer"] == "attention":
        raise InputError("layer_types", "'mixer' layers only with mixer='mamba' or 'mamba2'",
                         detail="lists 'mixer' layers but mixer is 'attention'")
    if lt is not None:
        r["num_mixer_layers"] = lt.count("mixer")
    elif g["mixer"] == "attention":
        r["num_mixer_layers"] = 0
    else:
        r["num_mixer_layers"] = L if g["attention_with_mixer"] else L - r["num_attention_layers"]
    if g["ssm_out_bias"] is None:
        r["ssm_out_bias"] = g["ssm_proj_bias"]
    r["sliding_window_layers"] = _windowed_layers(g["sliding_window"], g["sliding_window_layers"],
                                                  r["num_attention_layers"])
    if lt is not None:
        r["num_mlp_layers"] = lt.count("mlp")
    else:
        r["num_mlp_layers"] = L - r["moe_layers"] if g["feed_forward"] else 0
    if g["mixer"] != "attention":
        if g["ssm_inner_size"] is None:
            r["ssm_inner_size"] = _dim("ssm_inner_size", 2 * d)
        if g["ssm_dt_rank"] is None:
            r["ssm_dt_rank"] = math.ceil(d / 16)
        if g["mixer"] == "gated_deltanet":
            for k in ("linear_key_heads", "linear_value_heads", "linear_key_head_dim", "linear_value_head_dim"):
                if g[k] is None:
                    raise InputError(k, "a whole number from 1 (needed with mixer='gated_deltanet')", None)
        if g["mixer"] == "mamba2":
            if g["ssm_heads"] is None:
                raise InputError("ssm_heads", "the number of Mamba-2 heads (needed with mixer='mamba2')", None)
            if r["ssm_inner_size"] % g["ssm_heads"]:
                raise InputError("ssm_heads", f"a divisor of ssm_inner_size ({r['ssm_inner_size']})", g["ssm_heads"])
    return r


def _windowed_layers(window: int | None, given: int | None, attention_layers: int) -> int:
    """The attention layers that use the sliding window: all of them when ``given`` is None, at most all."""
    if window is None:
        if given:
            raise InputError("sliding_window_layers", "None or 0 without a sliding_window (to drop a window, set "
                             "both to None)", given)
        return 0
    return attention_layers if given is None else min(given, attention_layers)
