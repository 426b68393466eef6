"""What every family module shares: the :class:`Family` row, the registry, and the config readers.

A family is one ``model_type``. Its row says which norm it uses and how many per layer,
whether its MLP is gated, which projections carry a bias (a constant, or the config flag
that switches it and that flag's default), whether the head is tied by default, how it
finds its head width, and the defaults Hugging Face applies when a field is absent. What
is not a constant (Falcon's fused QKV width, DeepSeek's latent attention, the MoE layer
pattern) is a small function, ``extra``, named in the row.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypedDict

from ... import validate
from ...errors import ConfigError, InputError
from ..architecture import MAX_DIM

# Where each dimension may be spelled in a config.json, first match wins.
ALIASES = {
    "hidden_size": ("hidden_size", "n_embd", "d_model", "n_embed"),
    "num_layers": ("num_hidden_layers", "n_layer", "num_layers", "n_layers"),
    "num_heads": ("num_attention_heads", "n_head", "n_heads", "num_heads"),
    "num_kv_heads": ("num_key_value_heads", "num_kv_heads", "n_head_kv"),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_dim", "ffn_hidden_size"),
    "vocab_size": ("vocab_size",),
    "head_dim": ("head_dim",),
}

#: A parsed config.json, or a section of one: JSON values of any type until a reader below checks them (hence Any).
Config = Mapping[str, Any]
#: The Architecture keyword arguments a family assembles (values of several types; Architecture validates each).
Fields = dict[str, Any]
Flag = bool | tuple[str, bool]  # a constant, or (config flag, its default)
Extra = Callable[[Config, Fields], object]  # what it returns is not used
#: transformers' default ``layer_types`` rule, counted: ``rule(cfg, num_layers)`` → how many layers are sliding.
WindowRule = Callable[[Config, int], int]


@dataclass(frozen=True)
class Window:
    """How a family's config sets sliding-window attention, as transformers' config class and modeling code read it.

    The window is the config's ``key`` (``default`` when absent; null or 0: none). Which layers use it:

    * ``rule`` None: every layer, whatever the config lists (Mistral, Mixtral, Phi-3, Starcoder2: the modeling
      code passes ``config.sliding_window`` to every attention layer and never reads ``layer_types``);
    * else the config's ``layer_types`` (its ``"sliding_attention"`` entries; transformers requires one entry
      per layer) and, when it lists none, ``rule``: transformers' ``__post_init__`` default for ``layer_types``.

    Attributes:
        default: transformers' config-class window (None: no window unless the config sets one).
        rule: the count of sliding layers transformers' default ``layer_types`` gives (None: all, unlisted).
        switch: a config flag, default false, that must be true for any window (Qwen's ``use_sliding_window``).
        key: the config key of the window's size (GPT-Neo's ``window_size``).
    """

    default: int | None = None
    rule: WindowRule | None = None
    switch: str | None = None
    key: str = "sliding_window"


#: A window (default None) that every layer uses: the modeling code passes ``config.sliding_window`` to each.
EVERY_LAYER = Window()


@dataclass(frozen=True)
class Family:
    """The conventions of one ``model_type`` (see the module docstring).

    A :data:`Flag` is a constant bool or ``(config field, its default)``.

    Attributes:
        norm: the block norm: ``rms``, ``layer``, ``layer_nobias`` or ``none``.
        norms_per_layer: block norms per layer.
        gated_mlp: the MLP has gate, up and down projections.
        qkv_bias: biases on the q, k, v projections (a Flag).
        o_bias: a bias on the output projection (a Flag).
        mlp_bias: biases in the MLP (a Flag).
        lm_head_bias: a bias on the LM head (a Flag).
        qk_norm: norms on queries and keys (a Flag).
        qk_norm_scope: ``head``: one norm of head_dim; ``all``: one weight per head.
        qk_norm_kind: the q/k norms' kind (None: the block norm's).
        tie_default: the head is tied to the embedding when the config does not say.
        head_dim_default: head width when absent (None: hidden_size // num_heads).
        head_dim_from_config: False: the config's head_dim is ignored (hidden // heads).
        intermediate_default: the MLP width when absent, as a multiple of hidden_size (None: required).
        positions: config fields holding learned positions (the first present counts).
        position_offset: extra rows of the position table (OPT's 2).
        defaults: transformers' config defaults for absent keys.
        extra: a function ``extra(cfg, fields)`` for what is not a constant (Falcon's fused QKV width,
            DeepSeek's latent attention, the MoE layer pattern).
        window: how the config sets sliding-window attention (:class:`Window`; None: the family has none).
    """

    norm: str = "rms"
    norms_per_layer: int = 2
    gated_mlp: bool = True
    qkv_bias: Flag = ("attention_bias", False)
    o_bias: Flag = ("attention_bias", False)
    mlp_bias: Flag = ("mlp_bias", False)
    lm_head_bias: Flag = False
    qk_norm: Flag = False
    qk_norm_scope: str = "head"               # "head": one norm of head_dim; "all": one weight per head
    qk_norm_kind: str | None = None           # None: the block norm's kind
    tie_default: bool = False
    head_dim_default: int | None = None       # None: hidden_size // num_heads
    head_dim_from_config: bool = True         # False: the config's head_dim is ignored (hidden // heads)
    intermediate_default: int | None = None   # multiple of hidden_size when absent; None: required
    positions: tuple[str, ...] = ()           # config fields holding learned positions (first present)
    position_offset: int = 0
    defaults: Config = field(default_factory=dict)  # transformers' config defaults for absent keys
    extra: Extra | None = field(default=None)
    window: Window | None = None


FAMILIES: dict[str, Family] = {}
# model_type -> the module of this package that defines it ("dense", "moe", "ssm").
MODULES: dict[str, str] = {}
# model_types recognised but not counted, with the reason given to the user.
REFUSED: dict[str, str] = {}
# Legacy model_types that older checkpoints still carry: (family, config defaults they imply).
LEGACY: dict[str, tuple[str, Fields]] = {}


class Biases(TypedDict):
    """The three bias flags of a :class:`Family` that families often set together (``Family(**biases)``).

    Attributes:
        qkv_bias: biases on the q, k, v projections (a Flag).
        o_bias: a bias on the output projection (a Flag).
        mlp_bias: biases in the MLP (a Flag).
    """

    qkv_bias: Flag
    o_bias: Flag
    mlp_bias: Flag


def register(module: str, table: Mapping[str, Family], defaults: Mapping[str, Config] | None = None) -> None:
    """Add a family module's rows to the registry (a model_type is defined once).

    Args:
        module: The family module's ``__name__``; its last part is recorded in :data:`MODULES`.
        table: model_type → :class:`Family`.
        defaults: model_type → its transformers config-class defaults, applied to keys a
            config.json omits.

    Raises:
        RuntimeError: A model_type that is already registered (a programming error, not a user's).
    """
    for model_type, fam in table.items():
        if model_type in FAMILIES:
            raise RuntimeError(f"model_type {model_type!r} is defined twice")
        if defaults and model_type in defaults:
            fam = replace(fam, defaults=defaults[model_type])
        FAMILIES[model_type] = fam
        MODULES[model_type] = module.rsplit(".", 1)[-1]


# ---- config readers: every failure is a ConfigError naming config.<key> ---------------------------

def flag(cfg: Config, key: str, default: bool) -> bool:
    """A boolean field of a config.

    Args:
        cfg: The config dict.
        key: The field.
        default: The value when the field is absent or null.

    Returns:
        The field's value.

    Raises:
        ConfigError: Naming ``config.<key>``: the value is not ``true`` or ``false``.
    """
    v = cfg.get(key, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise ConfigError(f"config.{key}", f"must be true or false, got {v!r}")
    return v


def dim(cfg: Config, key: str, default: int | None = None, *, minimum: int = 1) -> int:
    """A whole-number field of a config (a dimension, a count).

    Args:
        cfg: The config dict.
        key: The field.
        default: The value when the field is absent or null; None: the field is required.
        minimum: The least value accepted.

    Returns:
        The value, a whole number from ``minimum`` to ``MAX_DIM`` (10⁹).

    Raises:
        ConfigError: Naming ``config.<key>``: missing when required, a string, or not a whole number
            from ``minimum`` to ``MAX_DIM`` (10⁹).

    Examples:
        >>> dim({"hidden_size": 896}, "hidden_size")
        896
    """
    v = cfg.get(key)
    if v is None:
        if default is None:
            raise ConfigError(f"config.{key}", "missing: this field is needed to count parameters")
        return default
    if isinstance(v, str):  # a config system wrote text where a number belongs
        raise ConfigError(f"config.{key}", f"must be a JSON number (a whole number >= {minimum}), got the string {v!r}")
    try:
        n: int = validate.count(f"config.{key}", v, minimum=minimum, maximum=MAX_DIM)
        return n
    except InputError as e:
        raise ConfigError(f"config.{key}", e.problem) from e


def first_dim(cfg: Config, keys: tuple[str, ...], default: int | None = None, *, minimum: int = 1) -> int:
    """The first of ``keys`` present in ``cfg`` (a field with several spellings).

    Args:
        cfg: The config dict.
        keys: The spellings, first match wins.
        default: The value when none is present; None: required.
        minimum: The least value accepted.

    Returns:
        The value, as :func:`dim` reads it.

    Raises:
        ConfigError: As for :func:`dim`; a missing field is named by its first spelling.
    """
    for key in keys:
        if cfg.get(key) is not None:
            return dim(cfg, key, minimum=minimum)
    return dim(cfg, keys[0], default, minimum=minimum)


def layer_list(cfg: Config, key: str) -> list[int]:
    """A list-of-layer-indices field of a config (absent or null: empty).

    Args:
        cfg: The config dict.
        key: The field.

    Returns:
        The indices as given.

    Raises:
        ConfigError: Naming ``config.<key>``: not a list of whole numbers ≥ 0.
    """
    v = cfg.get(key) or []
    if not isinstance(v, list) or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v):
        raise ConfigError(f"config.{key}", f"must be a list of layer indices, got {v!r}")
    return v


class _Required(enum.Enum):
    REQUIRED = enum.auto()


_REQUIRED = _Required.REQUIRED  # the default of a required field (None is a value a field may default to)


def aliased(cfg: Config, name: str, default: int | None | Literal[_Required.REQUIRED] = _REQUIRED,
            used: dict[str, str] | None = None) -> int | None:
    """The first of ``name``'s spellings (:data:`ALIASES`) present in ``cfg``.

    Args:
        cfg: The config dict.
        name: The Architecture field (``hidden_size``, ``num_layers`` ...).
        default: The value when no spelling is present; omitted: required.
        used: A dict that records, under ``name``, which key was read.

    Returns:
        The value, as :func:`dim` reads it, or ``default``.

    Raises:
        ConfigError: As for :func:`dim`; a missing required field is named by its first spelling.

    Examples:
        >>> used = {}
        >>> aliased({"n_embd": 768}, "hidden_size", used=used), used
        (768, {'hidden_size': 'n_embd'})
    """
    for key in ALIASES[name]:
        if cfg.get(key) is not None:
            if used is not None:
                used[name] = key
            return dim(cfg, key)
    if default is _REQUIRED:
        raise ConfigError(f"config.{ALIASES[name][0]}", "missing: this field is needed to count parameters")
    return default


def resolve(cfg: Config, f: Flag) -> bool:
    """The value of a :class:`Family` flag for one config.

    Args:
        cfg: The config dict.
        f: A constant bool, or ``(config field, its default)``.

    Returns:
        The constant, or the field read by :func:`flag`.

    Raises:
        ConfigError: As for :func:`flag`.
    """
    return f if isinstance(f, bool) else flag(cfg, *f)


def every(key: str | None, period: int) -> WindowRule:
    """transformers' ``"sliding_attention" if (i + 1) % period else "full_attention"``: every period-th layer full.

    Args:
        key: the config key that sets the period (None: fixed at ``period``).
        period: the period, or the key's default.

    Returns:
        The rule: ``num_layers - num_layers // period`` sliding layers.
    """
    def rule(cfg: Config, num_layers: int) -> int:
        p = period if key is None else dim(cfg, key, period)
        return num_layers - num_layers // p
    return rule


def window_fields(cfg: Config, num_layers: int, w: Window) -> Fields:
    """The Architecture's ``sliding_window`` and ``sliding_window_layers`` for one config (see :class:`Window`).

    Args:
        cfg: The config dict (class defaults filled in).
        num_layers: The decoder's layers (every one an attention layer in a family with a window).
        w: The family's :class:`Window`.

    Returns:
        ``{}`` when no layer uses a window; else ``sliding_window`` and, unless every layer is sliding,
            ``sliding_window_layers``.

    Raises:
        ConfigError: Naming ``config.sliding_window`` (or the family's key; not a whole number ≥ 0),
            ``config.layer_types`` (not one kind per layer), the switch (not true or false) or the rule's key.

    Examples:
        Gemma-2-2B: a 4,096-token window on every other of its 26 layers.

        >>> window_fields({"sliding_window": 4096}, 26, Window(4096, every(None, 2)))
        {'sliding_window': 4096, 'sliding_window_layers': 13}
    """
    if w.switch is not None and not flag(cfg, w.switch, False):
        return {}
    if cfg.get(w.key) is not None:
        size = dim(cfg, w.key, minimum=0) or None
    elif w.key not in cfg:   # absent: transformers' default; null: none
        size = w.default
    else:
        return {}
    if size is None:
        return {}
    if w.rule is None:
        return {"sliding_window": size}
    kinds = cfg.get("layer_types")
    if kinds is None:
        n = w.rule(cfg, num_layers)
    elif isinstance(kinds, list) and len(kinds) == num_layers and all(isinstance(k, str) for k in kinds):
        n = kinds.count("sliding_attention")
    else:
        shown = repr(kinds) if len(repr(kinds)) < 80 else repr(kinds)[:77] + "..."
        raise ConfigError("config.layer_types", f"must list one attention kind per layer ({num_layers}), got {shown}")
    if n <= 0:
        return {}
    return {"sliding_window": size, "sliding_window_layers": None if n >= num_layers else n}
