"""An architecture for a target size: config.json shapes of a family whose exact N is close to a target.

:func:`propose_shapes` answers "I need a 230M-parameter Qwen2-style model: which dimensions?". It
searches a grid of depth × width × head width × key/value heads at once (numpy), keeps the shapes a
real model of that size could have, and returns the best few as ``config.json`` dicts, each with its
exact N by :func:`planner.count_params` (the one counter; the grid only pre-selects).

What "sane" means here, and where each rule comes from:

* head width 64 or 128; hidden size a multiple of 128 and equal to heads × head width;
  key/value heads dividing the heads, in the family's usual grouping (:data:`SHAPE_RULES`);
* the MLP width from the family's own rule (Llama's ``multiple_of · ceil(⌊8d/3⌋ / multiple_of)`` with
  ``multiple_of`` 256, which reproduces Llama-2-7B's 11,008, TinyLlama's 5,632 and SmolLM2-135M's 1,536;
  Qwen2.5's 43/8 rounded up to 128, which gives Qwen2.5-0.5B's 4,864; Qwen3's 3·d; Gemma-2's 4·d;
  Mixtral's 3.5·d; GPT-2's and GPT-NeoX's 4·d);
* width/depth (hidden size / layers) inside the range the catalog's real models of that size use:
  :func:`aspect_range` measures it from the ``data/models`` configs whose total N is nearest the
  target (the six nearest, attention models only), so the range moves with the size (SmolLM2-135M
  is 19 wide per layer, GPT-2 64; at 1–1.6B the catalog spans 68–128; Llama-3-8B and Mixtral 128);
* vocabulary, tied embeddings, biases and every other field from the catalog config of that family
  nearest the target in size (a real config.json, its dimensions replaced), or as the caller states.

Within those rules a shape must count within ``tolerance`` (default 2%) of the target; candidates are
ranked by distance to the target plus distance of their width/depth to the catalog's median at that
size, one per (depth, width) pair.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, overload

import numpy as np

from .. import validate
from ..errors import InputError, PlannerError
from .architecture import Architecture
from .catalog import architecture, list_models, load_config
from .families import from_hf_config
from .families._base import ALIASES
from .params import count_params

#: Head widths a proposed shape may use.
HEAD_DIMS = (64, 128)
#: Hidden sizes are multiples of this.
HIDDEN_MULTIPLE = 128
#: The grid: hidden sizes up to this, depths up to :data:`MAX_LAYERS`.
MAX_HIDDEN = 32768
MAX_LAYERS = 160
#: How many catalog models (nearest in total N) set the width/depth range.
NEIGHBOURS = 6


@dataclass(frozen=True)
class ShapeRule:
    """How one family sizes its layers.

    Attributes:
        ratio: with ``multiple``, the MLP width: ``multiple · ceil(⌊ratio · d⌋ / multiple)``.
        multiple: the MLP width is rounded up to a multiple of it.
        kv: the key/value head counts the family uses (each must divide the heads), ``"mha"`` (as many
            as query heads) or ``"half"`` (heads / 2).
        intermediate_key: the config key of the MLP width (None: the family derives it, GPT-2's ``4·d``).
    """

    ratio: Fraction
    multiple: int
    kv: tuple[int, ...] | str
    intermediate_key: str | None = "intermediate_size"


#: The families :func:`propose_shapes` knows, with the catalog configs their rules reproduce.
SHAPE_RULES: dict[str, ShapeRule] = {
    "llama": ShapeRule(Fraction(8, 3), 256, (8, 4)),        # Llama-2-7B 11,008; TinyLlama 5,632 (4 kv)
    "mistral": ShapeRule(Fraction(7, 2), 256, (8,)),        # Mistral-7B 14,336, 8 kv heads
    "qwen2": ShapeRule(Fraction(43, 8), 128, (2, 4, 8)),    # Qwen2.5-0.5B 4,864 (2 kv), -7B 4 kv
    "qwen3": ShapeRule(Fraction(3), 128, (8, 4)),           # Qwen3-0.6B 3,072, -8B 12,288, 8 kv
    "gemma2": ShapeRule(Fraction(4), 128, "half"),          # Gemma-2-2B 9,216, 8 heads / 4 kv
    "mixtral": ShapeRule(Fraction(7, 2), 256, (8,)),        # Mixtral-8x7B 14,336 per expert, 8 kv
    "gpt2": ShapeRule(Fraction(4), 1, "mha", None),         # GPT-2: n_inner = 4·n_embd
    "gpt_neox": ShapeRule(Fraction(4), 1, "mha"),           # Pythia 3,072 at 768
}
FAMILIES = tuple(SHAPE_RULES)


@dataclass(frozen=True)
class ShapeCandidate:
    """One proposed shape.

    Attributes:
        config: a config.json dict that :func:`~planner.model.families.from_hf_config` loads.
        params: its exact total N.
        active: N per token (MoE); else equal to ``params``.
        num_layers: depth.
        hidden_size: width.
        num_heads: query heads.
        num_kv_heads: key/value heads.
        head_dim: width of one head.
        intermediate_size: MLP width (one expert's, for MoE).
        target: the N asked for.
    """

    config: dict[str, Any]  # a config.json (JSON values of any type)
    params: int
    active: int
    num_layers: int
    hidden_size: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    target: int

    @property
    def error(self) -> float:
        """params / target − 1."""
        return self.params / self.target - 1.0

    @property
    def aspect(self) -> float:
        """Width per layer: hidden size / layers."""
        return self.hidden_size / self.num_layers

    def architecture(self) -> Architecture:
        """The :class:`~planner.Architecture` the config describes."""
        return from_hf_config(self.config)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: ``config``, ``params``, ``active``, ``error`` and the dimensions."""
        return {"config": self.config, "params": self.params, "active": self.active, "error": self.error,
                "num_layers": self.num_layers, "hidden_size": self.hidden_size, "num_heads": self.num_heads,
                "num_kv_heads": self.num_kv_heads, "head_dim": self.head_dim,
                "intermediate_size": self.intermediate_size}


# ---- the catalog: templates and the width/depth range ---------------------------------------------

#: One catalog model: (name, model_type, config, total N, aspect).
_Row = tuple[str, object, dict[str, Any], int, float]


@lru_cache(maxsize=1)
def _catalog() -> tuple[_Row, ...]:
    """(name, model_type, config, total N, aspect) of every catalog model with attention in every layer."""
    rows: list[_Row] = []
    for name in list_models():
        try:
            a = architecture(name)
        except PlannerError:  # a catalog entry this release cannot count: not a reference shape
            continue
        if a.mixer != "attention" or a.num_attention_layers != a.num_layers:
            continue
        cfg, _ = load_config(name)
        rows.append((name, cfg.get("model_type"), cfg, count_params(a).total, a.hidden_size / a.num_layers))
    return tuple(rows)


def aspect_range(params: object) -> tuple[float, float, float, tuple[str, ...]]:
    """The width/depth (hidden size / layers) real models of about ``params`` parameters use.

    Measured from the catalog (``data/models``): the :data:`NEIGHBOURS` attention models whose total N is
    nearest ``params`` (in ratio).

    Args:
        params: a model size N.

    Returns:
        ``(low, high, median, names)``: the smallest, largest and median width/depth among them, and their
            catalog names.

    Raises:
        InputError: ``params`` is not a positive whole number (field ``params``).
    """
    n = validate.count("params", params)
    rows = sorted(_catalog(), key=lambda r: abs(np.log(r[3] / n)))[:NEIGHBOURS]
    aspects = [r[4] for r in rows]
    return min(aspects), max(aspects), float(np.median(aspects)), tuple(r[0] for r in rows)


def _template(family: str, params: int) -> dict[str, Any]:
    rows = [r for r in _catalog() if r[1] == family]
    if not rows:  # mistral-style families share Llama's layout
        rows = [r for r in _catalog() if r[1] == "llama"]
    return dict(min(rows, key=lambda r: abs(np.log(r[3] / params)))[2])


def _key(cfg: Mapping[str, object], field: str) -> str:
    for k in ALIASES[field]:
        if k in cfg:
            return k
    return ALIASES[field][0]


def _config(template: Mapping[str, Any], rule: ShapeRule, L: int, d: int, h: int, kv: int, e: int, f: int,
            overrides: Mapping[str, object]) -> dict[str, Any]:
    """The template config with the dimensions replaced (and the caller's overrides)."""
    cfg = {k: v for k, v in template.items() if k not in ("_name_or_path", "transformers_version")}
    cfg[_key(cfg, "num_layers")] = L
    cfg[_key(cfg, "hidden_size")] = d
    cfg[_key(cfg, "num_heads")] = h
    if rule.kv != "mha" or "num_key_value_heads" in cfg:
        cfg[_key(cfg, "num_kv_heads")] = kv
    if rule.intermediate_key is not None:
        cfg[rule.intermediate_key] = f
    if "head_dim" in cfg or cfg.get("model_type") in ("qwen3", "gemma2", "mixtral", "mistral", "llama"):
        cfg["head_dim"] = e
    if "query_pre_attn_scalar" in cfg:  # Gemma-2 scales attention by the head width
        cfg["query_pre_attn_scalar"] = e
    if "max_window_layers" in cfg:
        cfg["max_window_layers"] = L
    if "layer_types" in cfg and isinstance(cfg["layer_types"], list):
        cfg.pop("layer_types")
    cfg.update(overrides)
    return cfg


@overload
def _mlp_width(rule: ShapeRule, d: int) -> int: ...
@overload
def _mlp_width(rule: ShapeRule, d: np.ndarray) -> np.ndarray: ...
def _mlp_width(rule: ShapeRule, d: int | np.ndarray) -> int | np.ndarray:
    raw = (d * rule.ratio.numerator) // rule.ratio.denominator
    return -(-raw // rule.multiple) * rule.multiple


@lru_cache(maxsize=64)
def _surrogate(family: str, template_json: str) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients that give total and active N from the monomials of :func:`_monomials`, fitted to the
    exact counter on small probe shapes of this template (and checked to reproduce it exactly)."""
    template, rule = json.loads(template_json), SHAPE_RULES[family]
    rng = np.random.default_rng(0)
    rows, totals, actives = [], [], []
    for _ in range(40):
        e = int(rng.choice(HEAD_DIMS))
        h = int(rng.integers(2, 9)) * 2
        kv = _kv_options(rule, np.array([h]))[0]
        kv = int(kv[kv > 0][rng.integers(0, int((kv > 0).sum()))]) if (kv > 0).any() else h
        L, d = int(rng.integers(1, 5)), h * e
        f = int(_mlp_width(rule, d)) + 64 * int(rng.integers(0, 4)) * (rule.intermediate_key is not None)
        pc = count_params(from_hf_config(_config(template, rule, L, d, h, kv, e, f, {})))
        rows.append(_monomials(L, d, kv * e, f, e))
        totals.append(pc.total)
        actives.append(pc.active if pc.active is not None else pc.total)
    X = np.array(rows, dtype=float)
    ct = np.linalg.lstsq(X, np.array(totals, dtype=float), rcond=None)[0]
    ca = np.linalg.lstsq(X, np.array(actives, dtype=float), rcond=None)[0]
    if np.abs(X @ ct - totals).max() > 0.5 or np.abs(X @ ca - actives).max() > 0.5:
        raise RuntimeError(f"the {family} count is not a polynomial of the searched dimensions")
    return ct, ca


def _monomials(L: int | np.ndarray, d: int | np.ndarray, k: int | np.ndarray, f: int | np.ndarray,
               e: int | np.ndarray) -> np.ndarray:
    """The terms N is a linear combination of, for hidden d = heads × e, key/value width k, MLP width f."""
    one = np.ones_like(np.asarray(L * d, dtype=float))
    return np.stack(np.broadcast_arrays(*(np.asarray(t, dtype=float) for t in (
        L * d * d, L * d * k, L * d * f, L * d, L * k, L * f, L * e, L, d, one))), axis=-1)


def _kv_options(rule: ShapeRule, h: np.ndarray) -> np.ndarray:
    """Key/value heads per query-head count (rows) and option (columns); 0 where an option does not apply."""
    h = np.asarray(h)
    if rule.kv == "mha":
        return h[:, None]
    if rule.kv == "half":
        return np.where(h % 2 == 0, h // 2, 0)[:, None]
    opts = np.array(rule.kv)[None, :]
    return np.where((h[:, None] % opts == 0) & (opts <= h[:, None]), opts, 0)


def _resolve_family(family: object) -> str:
    if not isinstance(family, str) or family not in SHAPE_RULES:
        raise InputError("family", f"one of {', '.join(FAMILIES)}", family)
    return family


def smallest_shape(family: str, **overrides: object) -> int:
    """The exact N of the smallest shape :func:`propose_shapes` can build for ``family``.

    That is one layer at the smallest width; :func:`propose_shapes` refuses a target below it.

    Args:
        family: A ``model_type`` of :data:`SHAPE_RULES`.
        **overrides: config keys set on the template (``vocab_size``, ``tie_word_embeddings``), as
            :func:`propose_shapes` passes them.

    Returns:
        The total N, a Python int.

    Raises:
        InputError: Naming ``family``: not one of the families of :data:`SHAPE_RULES`.
    """
    family = _resolve_family(family)
    rule = SHAPE_RULES[family]
    template = _template(family, 10**8)
    e = HEAD_DIMS[0]
    d = HIDDEN_MULTIPLE
    h = d // e
    kv = _kv_options(rule, np.array([h]))[0]
    kv = int(kv[kv > 0].min()) if (kv > 0).any() else h
    return count_params(from_hf_config(_config(template, rule, 1, d, h, kv, e, int(_mlp_width(rule, d)),
                                               dict(overrides)))).total


def propose_shapes(params: object, family: str = "llama", *, count: int = 5, tolerance: float = 0.02,
                   vocab_size: int | None = None, tied_embeddings: bool | None = None,
                   at_most: bool = False) -> list[ShapeCandidate]:
    """Architectures of a family whose exact total N is within ``tolerance`` of ``params``.

    Args:
        params: the target total N (a whole number; ``"1.3B"`` and ``1.3e9`` are accepted).
        family: a ``model_type`` of :data:`SHAPE_RULES` (llama, mistral, qwen2, qwen3, gemma2, mixtral,
            gpt2, gpt_neox). Mixtral shapes keep its 8 experts, 2 per token: N is the total.
        count: how many candidates to return (at most), best first.
        tolerance: the largest relative distance |N / target − 1| accepted (default 2%).
        vocab_size: override the template's vocabulary (default: the catalog config of the family nearest
            the target).
        tied_embeddings: override the template's tying of embedding and head (default: likewise).
        at_most: only shapes with N <= target (for "the largest model that fits a budget").

    Returns:
        A list of :class:`ShapeCandidate` (``config``, exact ``params``), ranked: nearest the target and the
            catalog's median width/depth first, one per (layers, hidden size). Each ``config`` loads with
            :func:`planner.from_hf_config` and counts to ``params`` with :func:`planner.count_params`.

    Raises:
        InputError: ``params`` not a whole number >= 1, below one layer of the smallest width, or so large
            that no shape in the grid (hidden up to 32,768, up to 160 layers) reaches it (field ``params``);
            an unknown ``family`` (field ``family``); ``count`` or ``tolerance`` out of range.
    """
    target = validate.count("params", params)
    family = _resolve_family(family)
    count = validate.count("count", count, maximum=100)
    tol = validate.positive_real("tolerance", tolerance, maximum=0.5)
    overrides: dict[str, object] = {}
    if vocab_size is not None:
        overrides["vocab_size"] = validate.count("vocab_size", vocab_size, maximum=10**8)
    if tied_embeddings is not None:
        overrides["tie_word_embeddings"] = validate.flag("tied_embeddings", tied_embeddings)
    at_most = validate.flag("at_most", at_most)
    floor = smallest_shape(family, **overrides)
    if target < floor * (1 - tol) or (at_most and target < floor):
        raise InputError("params", f"at least {floor:,} for {family} (one layer of hidden {HIDDEN_MULTIPLE})",
                         target)
    rule = SHAPE_RULES[family]
    template = {**_template(family, target), **overrides}
    ct, ca = _surrogate(family, json.dumps(template, sort_keys=True))
    lo, hi, mid, _ = aspect_range(target)

    # the grid: hidden × head width × kv option × depth
    d = np.arange(HIDDEN_MULTIPLE, MAX_HIDDEN + 1, HIDDEN_MULTIPLE, dtype=np.int64)
    e = np.array(HEAD_DIMS, dtype=np.int64)
    D, E = np.meshgrid(d, e, indexing="ij")
    H = D // E
    KV = _kv_options(rule, H.ravel()).reshape(*H.shape, -1)
    D, E, H = (np.broadcast_to(x[..., None], KV.shape) for x in (D, E, H))
    F = _mlp_width(rule, D)
    L = np.arange(1, MAX_LAYERS + 1, dtype=np.int64)
    D, E, H, KV, F = (x[..., None] for x in (D, E, H, KV, F))
    X = _monomials(L, D, KV * E, F, E)
    N = X @ ct
    aspect = D / L
    ok = (KV > 0) & (aspect >= lo) & (aspect <= hi) & (np.abs(N / target - 1) <= tol) & (H <= 128)
    if at_most:
        ok &= target >= N
    if not ok.any():
        sane = (KV > 0) & (aspect >= lo) & (aspect <= hi) & (H <= 128)
        top = float(N[sane].max()) if sane.any() else 0.0
        if top < target:
            raise InputError("params", f"at most about {top:.3g} for {family} (hidden up to {MAX_HIDDEN:,}, up to "
                             f"{MAX_LAYERS} layers, width/depth {lo:.0f}-{hi:.0f})", target)
        raise InputError("params", f"a size some {family} shape reaches within {tol:.0%} (width/depth "
                         f"{lo:.0f}-{hi:.0f}, head_dim 64 or 128, hidden a multiple of {HIDDEN_MULTIPLE})", target)
    score = np.abs(N / target - 1) / tol + np.abs(np.log(aspect / mid)) + 0.01 * (E == 64) * (D >= 2048)
    idx = np.argwhere(ok)
    order = np.argsort(score[ok], kind="stable")
    out: list[ShapeCandidate] = []
    seen: set[tuple[int, int]] = set()
    for i in order:
        j = tuple(idx[i])
        Lj, dj = int(L[j[-1]]), int(np.broadcast_to(D, ok.shape)[j])
        if (Lj, dj) in seen:
            continue
        ej, hj = int(np.broadcast_to(E, ok.shape)[j]), int(np.broadcast_to(H, ok.shape)[j])
        kvj, fj = int(np.broadcast_to(KV, ok.shape)[j]), int(np.broadcast_to(F, ok.shape)[j])
        cfg = _config(template, rule, Lj, dj, hj, kvj, ej, fj, {})
        pc = count_params(from_hf_config(cfg))
        if abs(pc.total / target - 1) > tol or (at_most and pc.total > target):
            continue
        seen.add((Lj, dj))
        out.append(ShapeCandidate(config=cfg, params=pc.total, active=pc.active or pc.total, num_layers=Lj,
                                  hidden_size=dj, num_heads=hj, num_kv_heads=kvj, head_dim=ej,
                                  intermediate_size=fj if rule.intermediate_key else 4 * dj, target=target))
        if len(out) == count:
            break
    return out
