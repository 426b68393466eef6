"""The workbook's controls as plain values: what each may be, and the moves that keep an architecture valid.

:class:`ControlValues` holds one value per control (no widgets), reads typed values through
:mod:`planner.validate` (:class:`~planner.surfaces.fields.NumberField`) and makes the moves that follow a
person's change:

- heads among the divisors of the hidden size that leave a head at least :data:`MIN_HEAD_DIM` wide (a
  new hidden size keeps the head width when it can), or free beside an explicit head-dim control when
  the model's config states its head_dim; kv heads among the divisors of the heads;
- top-k from 1 to the number of experts; layers keep the family's MoE layer rule (the
  :class:`~planner.model.architecture.Architecture` derives it);
- TP among :func:`tp_options`, PP among the divisors of the layers; with the layout on,
  GPUs = data parallel × TP × PP (a new TP, PP or data parallel moves the GPUs; new GPUs move data parallel).

:class:`~planner.surfaces.workbook_state.WorkbookState` adds the plan they describe.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..datafiles import read_csv
from ..errors import InputError
from ..format import fmt_int
from ..laws.power_law import FITS
from ..model.architecture import MAX_DIM, Architecture
from ..model.catalog import architecture, list_models
from ..training.compute import DEFAULT_MFU, MAX_PRICE, MFU_RANGE, accelerators
from ..training.corpus import corpora
from ..training.frameworks import FRAMEWORKS
from ..training.parallelism import PRECISIONS, RECOMPUTE, tp_degrees
from .fields import NumberField, count_text
from .workbook_words import FIELD_LABELS

CUSTOM = "custom"
NO_CORPUS = "none"
CUSTOM_CORPUS = "custom (unique tokens)"
MIN_HEAD_DIM = 8   # heads offered for a hidden size: the divisors that leave a head at least this wide
FREE_HEADS = 256   # heads offered beside an explicit head dim: 1 to this
#: The controls that are on/off switches.
SWITCHES = ("tied", "gated", "continued", "layout")
#: The values the workbook opens with before a plan is loaded (the origin case's).
DEFAULTS = {"layers": 24, "hidden": 896, "heads": 14, "head_dim": 64, "kv_heads": 2, "intermediate": 4864,
            "vocab": 151936, "experts": 8, "top_k": 2, "expert_size": 14336, "shared_experts": 0, "steps": 2700,
            "micro_batch": 4, "grad_accum": 1, "data_parallel": 1, "seq_len": 2048, "prior": 0,
            "unique": 1_240_000_000, "gpus": 1, "mfu": DEFAULT_MFU, "price": 2.0, "inference": None, "tp": 1, "pp": 1,
            "zero": 0, "model": CUSTOM, "tied": False, "gated": True, "continued": False, "corpus": CUSTOM_CORPUS,
            "accelerator": "a100", "fit": "chinchilla", "layout": True, "recompute": "none", "precision": "bf16-mixed",
            "framework": "pytorch"}


def _money_text(v: float) -> str:
    return f"{v:,.2f}"


def number_fields() -> dict[str, NumberField]:
    """A fresh set of the workbook's numbers, keyed by control name (the state changes their allowed values).

    Returns:
        ``{name: NumberField}`` for every numeric control.
    """
    F, dim = NumberField, MAX_DIM
    return {
        "layers": F("layers", maximum=dim), "hidden": F("hidden size", maximum=dim),
        "heads": F("heads", options=tuple(head_options(896)), why="a divisor of the hidden size", maximum=dim),
        "head_dim": F("head dim", maximum=dim),
        "kv_heads": F("kv heads", options=tuple(divisors(14)), why="a divisor of the heads", maximum=dim),
        "intermediate": F("intermediate size", maximum=dim), "vocab": F("vocab", maximum=dim),
        "experts": F("experts", maximum=dim),
        "top_k": F("top-k", why="from 1 to the number of experts", maximum=dim),
        "expert_size": F("expert size", maximum=dim),
        "shared_experts": F("shared experts", minimum=0, maximum=dim),
        "steps": F("steps"), "micro_batch": F("micro-batch"), "grad_accum": F("grad accum"),
        "data_parallel": F("data parallel"), "seq_len": F("seq len"), "prior": F("prior tokens", minimum=0),
        "unique": F("unique tokens"), "gpus": F("GPUs"),
        "mfu": F("MFU", real=True, percent=True, minimum=MFU_RANGE[0], maximum=MFU_RANGE[1],
                 why="model FLOPs utilisation: a fraction of the peak"),
        "price": F("$ per GPU-hour", real=True, minimum=0, maximum=MAX_PRICE, allow_blank=True, fmt=_money_text,
                   why="blank for no cost"),
        "inference": F("inference tokens", allow_blank=True, why="lifetime tokens served; blank for none"),
        "tp": F("TP", maximum=10**6, options=(1,), why="a divisor of the heads that suits the kv heads"),
        "pp": F("PP", maximum=10**6, options=(1,), why="a divisor of the layers"),
        "zero": F("ZeRO stage", minimum=0, maximum=3, options=(0, 1, 2, 3), why="0 to 3"),
    }

def accelerator_label(name: str, memory_gb: str) -> str:
    """An accelerator as the workbook's dropdown names it: short enough to read whole, with the memory it is
    judged at.

    Args:
        name: the catalog's name (``NVIDIA A100 80GB (SXM/PCIe)``).
        memory_gb: the catalog's memory in GB (the capacity memory is judged against).

    Returns:
        The vendor, its brand and any parenthesised detail dropped, the memory added where the name lacks it
            (``A100 80GB``, ``B200 180 GB``, ``MI300X 192 GB``).
    """
    label = re.sub(r"^(NVIDIA|AMD Instinct|AMD|Google|Intel)\s+(GeForce\s+)?", "", name.strip())
    label = re.sub(r"\s*\([^)]*\)", "", label)   # form factors, power limits, code names: the memory stays
    return label if re.search(r"\d\s*GB", label) else f"{label} {float(memory_gb):g} GB"


def divisors(n: int) -> list[int]:
    """Every divisor of ``n``, ascending.

    Args:
        n: a positive whole number.

    Returns:
        The divisors, from 1 to ``n``.
    """
    small: list[int] = []
    large: list[int] = []
    i = 1
    while i * i <= n:
        if n % i == 0:
            small.append(i)
            if i * i != n:
                large.append(n // i)
        i += 1
    return small + large[::-1]


def head_options(hidden: int) -> list[int]:
    """Head counts offered for a hidden size.

    Args:
        hidden: the hidden size.

    Returns:
        Its divisors that leave heads at least :data:`MIN_HEAD_DIM` wide, ascending (``[1]`` when none does).
    """
    opts = [d for d in divisors(hidden) if hidden // d >= MIN_HEAD_DIM]
    return opts or [1]


def tp_options(heads: int, kv_heads: int) -> list[int]:
    """TP degrees offered: the divisors of the heads that divide the kv heads or are a multiple of them.

    Args:
        heads: attention heads.
        kv_heads: key/value heads (a divisor of ``heads``).

    Returns:
        The degrees, ascending.
    """
    return tp_degrees(heads, kv_heads)


def closest(options: Iterable[int], target: int, prefer: int | None = None) -> int:
    """The option nearest a target.

    Args:
        options: the allowed values.
        target: the value wanted.
        prefer: a value that wins when it is an option.

    Returns:
        ``prefer`` if it is an option, else the option nearest ``target`` (the smaller on a tie).
    """
    if prefer is not None and prefer in options:
        return prefer
    return min(options, key=lambda o: (abs(o - target), o))

class ControlValues:
    """The workbook's controls as values, kept valid as they move; the architecture they describe.

    Starts on :data:`DEFAULTS` with no base model; :meth:`load_model` sets one.

    Attributes:
        values: ``{control name: value}`` (the numbers of :attr:`fields`, and the choices and switches).
        fields: ``{name: NumberField}``: each number's limits and allowed values (they move with the others).
        base, base_name: the architecture departures are measured from, and what the readout calls it.
        explicit_head_dim: the base's config states its head_dim (heads move freely beside it).
        all_moe: no layer is dense (the dense-MLP width does not count).
    """

    def __init__(self) -> None:
        # Any: each control's own type (a whole number, a fraction, a choice's key, a switch's bool, None for a
        # blank box), looked up by the control's name
        self.values: dict[str, Any] = dict(DEFAULTS)
        # a loaded layout's context-parallel degree (no control of its own): the GPUs are DP × TP × PP × CP
        self.context_parallel = 1
        self.fields = number_fields()
        self.base: Architecture | None = None
        self.base_name = CUSTOM
        self.explicit_head_dim = False
        self.all_moe = False
        self.model_options = [CUSTOM] + list_models()
        self.corpus_options = [NO_CORPUS, CUSTOM_CORPUS] + list(corpora())
        self.fit_options = list(FITS)
        names = {row["key"]: accelerator_label(row["name"], row["memory_gb"]) for row in read_csv("accelerators.csv")}
        self.accelerator_names = {k: names[k] for k in accelerators()}
        self._top_k_range(self.values["experts"])

    def options(self, name: str) -> Sequence[object] | None:
        """The allowed values of a choice (a number's :attr:`NumberField.options`, a dropdown's keys).

        Args:
            name: a control name.

        Returns:
            A sequence, or ``None`` for a number free within its limits.
        """
        if name in self.fields:
            return self.fields[name].options
        return self._choices(name)

    def _choices(self, name: str) -> Sequence[object]:
        """The allowed values of a control that is not a number: a switch's, a dropdown's keys."""
        if name in SWITCHES:
            return (False, True)
        return {"model": self.model_options, "corpus": self.corpus_options, "fit": self.fit_options,
                "accelerator": list(self.accelerator_names), "recompute": RECOMPUTE,
                "precision": PRECISIONS, "framework": FRAMEWORKS}[name]

    def parse(self, name: str, value: object) -> Any:
        """The value ``value`` (typed text or a number, a choice's key, a switch's bool) means for control ``name``.

        Args:
            name: a control name (a key of :data:`DEFAULTS`).
            value: what was typed or chosen.

        Returns:
            The value the control takes.

        Raises:
            AttributeError: no control is called ``name``.
            InputError: naming the control, when it cannot take ``value`` (never clamped).
        """
        if name not in self.values:
            raise AttributeError(f"no control named {name!r}")
        if name in self.fields:
            return self.fields[name].parse(value)
        if name in SWITCHES:
            if not isinstance(value, bool):
                raise InputError(name, "on or off (True or False)", value)
            return value
        if value not in self._choices(name):
            raise InputError(name, "", detail=f"{value!r} is not one of {', '.join(map(str, self._choices(name)))}")
        return value

    def set(self, name: str, value: object) -> None:
        """Set one control as a person would, and make the moves that keep the others valid.

        ``model`` loads that model's architecture (:meth:`load_model`).

        Args:
            name: a control name.
            value: typed text, a number, a choice or a bool.

        Raises:
            AttributeError: no control is called ``name``.
            InputError: the control cannot take ``value``; nothing changes.
        """
        v = self.parse(name, value)
        if name == "model":
            self.load_model(v)
            return
        old, self.values[name] = self.values[name], v
        if v != old:
            self._follow(name)

    def _put(self, name: str, value: object) -> None:
        """Set a value as a loaded plan or model gives it (checked, but no coupled move; ``None`` is the plan's
        own "not given", e.g. an MFU left to the default or to ``achieved_tflops``)."""
        self.values[name] = None if value is None else self.parse(name, value)

    def _put_choice(self, name: str, options: Iterable[float], value: object) -> None:
        """New allowed values for a numeric choice, and its value among them."""
        self.fields[name].options = tuple(options)
        self._put(name, value)

    def _follow(self, name: str) -> None:
        """The moves that follow a person's change of ``name``."""
        v = self.values
        if name == "hidden" and not self.explicit_head_dim:
            hd, hidden = v["head_dim"], v["hidden"]   # keep the head width when it can, else the nearest head count
            self._heads_from_hidden(hidden, hidden // hd if hidden % hd == 0 else v["heads"])
            self._follow_heads()
            self._layout_bounds()
        elif name == "heads":
            self._follow_heads()
            self._layout_bounds()
        elif name in ("kv_heads", "layers"):
            self._layout_bounds()
        elif name == "experts":
            self._top_k_range(v["experts"])
        elif name in ("tp", "pp", "layout", "data_parallel"):
            if v["layout"]:   # data parallel is kept: the GPUs follow
                self._put("gpus", v["data_parallel"] * self.model_parallel)
        elif name == "gpus":
            mp = self.model_parallel
            if v["layout"] and v["gpus"] % mp == 0:   # data parallel follows the GPUs
                self._put("data_parallel", v["gpus"] // mp)
        elif name == "corpus":
            self._named_corpus_size()

    def _named_corpus_size(self) -> None:
        if self.values["corpus"] not in (NO_CORPUS, CUSTOM_CORPUS):   # the (disabled) box shows the corpus's size
            self._put("unique", int(corpora()[self.values["corpus"]]))

    # -- the valid moves -------------------------------------------------------------------------------
    def _heads_free(self, heads: int) -> None:
        """Heads move freely (the head width is its own control)."""
        self.fields["heads"].why = f"from 1 to {FREE_HEADS} on the slider"
        self._put_choice("heads", sorted(set(range(1, FREE_HEADS + 1)) | {heads}), heads)

    def _heads_from_hidden(self, hidden: int, wanted: int) -> None:
        opts = head_options(hidden)
        if wanted not in opts:
            opts = sorted(set(opts) | ({wanted} if hidden % wanted == 0 else set()))
        self.fields["heads"].why = f"a divisor of the hidden size {fmt_int(hidden)}"
        self._put_choice("heads", opts, closest(opts, wanted))

    def _follow_heads(self) -> None:
        """kv heads stay a divisor of heads (the nearest to their value); a derived head dim follows."""
        h = self.values["heads"]
        self._put_choice("kv_heads", divisors(h), closest(divisors(h), self.values["kv_heads"]))
        self.fields["kv_heads"].why = f"a divisor of the heads ({fmt_int(h)})"
        if not self.explicit_head_dim:
            self._put("head_dim", self.values["hidden"] // h)

    def _top_k_range(self, experts: int) -> None:
        """top-k stays within 1…experts."""
        f = self.fields["top_k"]
        f.maximum, f.why = experts, f"from 1 to the number of experts ({fmt_int(experts)})"
        if self.values["top_k"] > experts:
            self._put("top_k", experts)

    def _layout_bounds(self) -> None:
        """TP among :func:`tp_options`, PP among the divisors of the layers; the GPUs follow a moved degree."""
        v = self.values
        for name, opts, why in (("tp", tp_options(v["heads"], v["kv_heads"]),
                                 f"a divisor of the heads ({fmt_int(v['heads'])}) that divides or is a "
                                 f"multiple of the kv heads ({fmt_int(v['kv_heads'])})"),
                                ("pp", divisors(v["layers"]), f"a divisor of the layers ({fmt_int(v['layers'])})")):
            self.fields[name].why = why
            if list(opts) != list(self.fields[name].options or ()) or v[name] not in opts:
                self._put_choice(name, opts, closest(opts, v[name]))
        if v["layout"] and v["gpus"] != v["data_parallel"] * self.model_parallel:
            self._put("gpus", v["data_parallel"] * self.model_parallel)

    @property
    def model_parallel(self) -> int:
        """The GPUs one data-parallel replica spans: TP × PP × the loaded layout's CP."""
        return int(self.values["tp"] * self.values["pp"] * self.context_parallel)

    def inactive(self) -> builtins.set[str]:   # builtins: the class's own set() is a method
        """The controls that do not count now (shown greyed out): a derived head dim, the dense width of an
        all-MoE model, the size of a named corpus, prior tokens without continued pretraining, and the GPUs
        a layout derives.

        Returns:
            Control names.
        """
        v = self.values
        off = {"head_dim"} if not self.explicit_head_dim else set()
        off |= {"intermediate"} if self.all_moe else set()
        off |= {"unique"} if v["corpus"] != CUSTOM_CORPUS else set()
        off |= {"prior"} if not v["continued"] else set()
        return off | ({"gpus"} if v["layout"] else set())

    # -- the architecture ------------------------------------------------------------------------------
    def load_model(self, name: str) -> None:
        """Make a catalog model (or ``"custom"``, a Llama-style block) the base and set its controls.

        Args:
            name: a catalog model name or ``"custom"``.

        Raises:
            InputError: an unknown model.
        """
        if name == CUSTOM:
            base = Architecture(num_layers=12, hidden_size=768, num_heads=12, vocab_size=50257)
        else:
            base = architecture(name)
        self._show_architecture(base, name, base)

    def _show_architecture(self, base: Architecture, name: str, a: Architecture) -> None:
        """Set every architecture control to ``a`` (its base: ``base``, called ``name``)."""
        self.base, self.base_name = base, name
        self.values["model"] = name if name in self.model_options else CUSTOM
        self.explicit_head_dim = explicit = base.inputs()["head_dim"] is not None
        self._put("layers", a.num_layers)
        self._put("hidden", a.hidden_size)
        if explicit:
            self._heads_free(a.num_heads)
        else:
            self._heads_from_hidden(a.hidden_size, a.num_heads)
        self._put("head_dim", a.head_dim)
        self._put_choice("kv_heads", divisors(a.num_heads), a.num_kv_heads)
        for key, value in (("vocab", a.vocab_size), ("tied", a.tied_embeddings), ("gated", a.gated_mlp),
                           ("intermediate", a.intermediate_size)):
            self._put(key, value)
        if base.num_experts > 0:
            self._put("experts", a.num_experts)
            self._top_k_range(a.num_experts)
            for key, moe_value in (("top_k", a.experts_per_token), ("expert_size", a.moe_intermediate_size),
                                   ("shared_experts", a.num_shared_experts)):
                self._put(key, moe_value)
        self._note_dense(a)
        self._layout_bounds()

    def _note_dense(self, a: Architecture) -> None:
        self.all_moe = a.num_layers - (a.num_moe_layers if a.num_experts else 0) == 0

    def architecture(self) -> Architecture:
        """The architecture the controls describe: the base with every control that departs from it.

        Returns:
            The base itself when nothing departs, else a copy named ``"<base> (modified)"``.

        Raises:
            InputError: the values make no valid architecture.
        """
        b, v = self.base, self.values
        assert b is not None, "no base model"   # load_model sets it; WorkbookState opens a plan in __init__
        values = {"num_layers": v["layers"], "hidden_size": v["hidden"], "num_heads": v["heads"],
                  "num_kv_heads": v["kv_heads"], "intermediate_size": v["intermediate"], "vocab_size": v["vocab"],
                  "tied_embeddings": v["tied"], "gated_mlp": v["gated"]}
        if self.explicit_head_dim:
            values["head_dim"] = v["head_dim"]
        if b.num_experts:
            values.update(num_experts=v["experts"], experts_per_token=v["top_k"],
                          moe_intermediate_size=v["expert_size"])
            if b.num_shared_experts:
                values["num_shared_experts"] = v["shared_experts"]
        changes = {k: x for k, x in values.items() if getattr(b, k) != x}
        if not changes:
            return b
        return b.with_(**changes, name=f"{self.base_name} (modified)")

    def departures(self) -> list[str]:
        """How the architecture departs from its base, in the controls' words (``layers 24 → 25``).

        Returns:
            One phrase per departed setting, in the controls' order.

        Raises:
            InputError: the values make no valid architecture.
        """
        b, a = self.base, self.architecture()
        assert b is not None, "no base model"   # architecture() refuses first
        out = []
        for field, label in FIELD_LABELS.items():
            if hasattr(b, field) and field in b.inputs() and getattr(b, field) != getattr(a, field):
                out.append(f"{label} {count_text(getattr(b, field))} → {count_text(getattr(a, field))}")
        for field, label in (("tied_embeddings", "tied embeddings"), ("gated_mlp", "gated MLP")):
            if getattr(b, field) != getattr(a, field):
                out.append(f"{label} {'on' if getattr(a, field) else 'off'}")
        return out

    # -- the plan --------------------------------------------------------------------------------------
