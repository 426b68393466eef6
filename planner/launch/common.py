"""What every launch-config reader shares: the result type, line-numbered errors, the world size.

A reader turns one framework's launch file into a plan document — the dict
:func:`planner.plan_from_dict` accepts — and says, for every number in it, whether it was
read from the file (with the line) or assumed (with the reason). Parallelism settings that
do not change N or D (tensor/pipeline/context parallel sizes, precision, recompute, ZeRO
stage) are kept beside the plan in :attr:`LaunchConfig.parallelism`;
:meth:`LaunchConfig.layout` turns them into the memory estimate's ``Parallelism``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .. import files, limits, validate
from ..datafiles import DATA_DIR
from ..errors import InputError, PlanFileError
from ..model.architecture import Architecture
from ..training.parallelism import PLAN_KEYS, Parallelism
from ..verdict.planfile import plan_from_dict
from ..verdict.schema import Plan

if TYPE_CHECKING:
    import yaml

_T = TypeVar("_T")

FORMATS = ("megatron", "torchtitan", "litgpt", "nanogpt", "hf-trainer")


@dataclass(frozen=True)
class FieldRead:
    """One value taken from the launch file: its ``key`` as the framework spells it, the
    ``value``, the 1-based ``line`` it was found on (``None`` when the format has no lines
    for it) and the plan field it ``sets``."""

    key: str
    value: object
    line: int | None
    sets: str


@dataclass(frozen=True)
class Assumed:
    """One value the file does not state: the plan field ``key``, the ``value`` used and ``why``."""

    key: str
    value: object
    why: str


@dataclass(frozen=True)
class LaunchConfig:
    """A launch file read into a plan document.

    ``document`` is a plan document (``[model]`` and ``[training]`` tables, the shape
    :func:`planner.plan_from_dict` accepts); ``read`` lists the fields taken from the file,
    ``assumed`` the values it did not state; ``parallelism`` holds the layout in the names of
    :class:`planner.training.parallelism.Parallelism` (``micro_batch``, ``seq_len``, ``tp``,
    ``pp``, ``dp``, ``sp``, ``zero`` or ``fsdp``, ``precision``, ``recompute``, ``fp32_grads``,
    ``master_weights``, ``cp``, ``framework``, ``compile``, ``fp8``, ``offload``, ...) that the file states.
    """

    path: Path
    format: str
    document: dict[str, Any]
    read: tuple[FieldRead, ...]
    assumed: tuple[Assumed, ...]
    parallelism: dict[str, Any] = field(default_factory=dict)

    def plan(self) -> Plan:
        """The :class:`planner.Plan` of :attr:`document` (paths relative to the launch file).

        Raises :class:`PlanFileError` naming the launch file and the plan field for a plan it cannot make (a layout
        that does not suit the model: ``job.toml: parallelism.tp: ...``).
        """
        try:
            return plan_from_dict(self.document, base=self.path.parent,
                                  name=self.document.get("name", self.path.stem))
        except (InputError, PlanFileError) as e:
            raise PlanFileError(f"{self.path.name}: {e.field.removeprefix('plan.')}", e.problem) from None

    def layout(self) -> Parallelism:
        """The :class:`planner.training.parallelism.Parallelism` of the launch file (memory per GPU).

        Raises :class:`InputError` for an inconsistent layout (naming the field).
        """
        return Parallelism(**{k: v for k, v in self.parallelism.items() if v is not None})

    def to_toml(self) -> str:
        """The plan document as TOML text that :func:`planner.load_plan` reads back."""
        import tomli_w
        return tomli_w.dumps(self.document)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``format``, ``path``, ``plan`` (the document), ``read``, ``assumed``, ``parallelism``."""
        return {"format": self.format, "path": str(self.path), "plan": self.document,
                "read": [dataclasses.asdict(f) for f in self.read],
                "assumed": [dataclasses.asdict(a) for a in self.assumed],
                "parallelism": self.parallelism}


def known_fields(name: str) -> frozenset[str]:
    """The field names a framework accepts, from ``data/launch/<name>.txt`` (sources in its SOURCES.md).

    Args:
        name: the list's name (``megatron_arguments``, ``torchtitan_fields``, ...).

    Returns:
        The names, one per non-comment line of the file.
    """
    text = (DATA_DIR / "launch" / f"{name}.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


class Source:
    """One launch file being read: its text, where each key sits, and what was read or assumed."""

    def __init__(self, path: Path, fmt: str, text: str):
        self.path, self.format, self.text = path, fmt, text
        self.lines: dict[str, int] = {}
        self.read: list[FieldRead] = []
        self.assumed: list[Assumed] = []
        self.parallelism: dict[str, Any] = {}

    def line(self, key: str) -> int | None:
        """The 1-based line of ``key`` in the file.

        Args:
            key: the key as the framework spells it.

        Returns:
            The line, or None when the key was not found on a line.
        """
        return self.lines.get(key)

    def where(self, key: str) -> str:
        """Where ``key`` sits, for an error's field: ``file:line: key`` (``file: key`` without a line).

        Args:
            key: the key as the framework spells it.

        Returns:
            The location in words.
        """
        line = self.line(key)
        return f"{self.path.name}:{line}: {key}" if line else f"{self.path.name}: {key}"

    def error(self, key: str, problem: str) -> PlanFileError:
        """A :class:`PlanFileError` whose field names the file, the line and the key.

        Args:
            key: the key at fault.
            problem: what is wrong with it.

        Returns:
            The error, for the caller to raise.
        """
        return PlanFileError(self.where(key), problem)

    def took(self, key: str, value: _T, sets: str) -> _T:
        """Record a value read from the file.

        Args:
            key: the key as the framework spells it.
            value: the value read.
            sets: the plan field it sets (``training.steps``, ``parallelism.tp``, ...).

        Returns:
            ``value``, so a read can be recorded where it is used.
        """
        self.read.append(FieldRead(key, value, self.line(key), sets))
        return value

    def assume(self, key: str, value: _T, why: str) -> _T:
        """Record a value the file does not state.

        Args:
            key: the plan field it sets.
            value: the value used.
            why: the reason, in words (a framework default, a command-line option, ...).

        Returns:
            ``value``, so an assumption can be recorded where it is used.
        """
        self.assumed.append(Assumed(key, value, why))
        return value

    def count(self, key: str, value: Any, *, minimum: int = 1) -> int:
        """``value`` as a whole number, or an error naming ``key`` and its line.

        Args:
            key: the key the value was read from.
            value: the value (text is stripped first).
            minimum: the least value accepted.

        Returns:
            The whole number.

        Raises:
            PlanFileError: naming the file, the line and ``key``: not a whole number from ``minimum``.
        """
        if isinstance(value, str):
            value = value.strip()
        try:
            return validate.count(key, value, minimum=minimum)
        except InputError as e:
            raise self.error(key, e.problem) from None

    def result(self, document: dict[str, Any]) -> LaunchConfig:
        """The :class:`LaunchConfig`, its plan document completed with what the file said of the run: the world
        size as ``[hardware] count`` and the layout as ``[parallelism]`` (so a written plan file keeps them).

        Args:
            document: the plan document the reader built (``[model]`` and ``[training]`` tables).

        Returns:
            The :class:`LaunchConfig`, with what was read and assumed.
        """
        return LaunchConfig(self.path, self.format, complete_document(document, self.parallelism), tuple(self.read),
                            tuple(self.assumed), dict(self.parallelism))


def complete_document(document: dict[str, Any], layout: dict[str, Any]) -> dict[str, Any]:
    """``document`` with ``[hardware] count`` = the world size (DP × TP × PP × CP) and a ``[parallelism]`` table
    of the layout's plan keys (left out when the budget is given as tokens per step).

    Args:
        document: a plan document.
        layout: the layout in :class:`~planner.training.parallelism.Parallelism`'s names, plus ``cp``.

    Returns:
        A new document (``document`` is not changed); ``document`` itself when there is no layout.
    """
    doc = dict(document)
    training = doc.get("training", {})
    if not layout:
        return doc
    cp = layout.get("cp") or 1
    dp = layout.get("dp") or training.get("data_parallel") or 1
    world = dp * (layout.get("tp") or 1) * (layout.get("pp") or 1) * cp
    doc["hardware"] = {**doc.get("hardware", {}), "count": world}
    table = {k: layout[k] for k in PLAN_KEYS if layout.get(k) is not None}
    if table and "micro_batch" in training and "seq_len" in training:
        doc["parallelism"] = table
    return doc


def read_text(path: str | os.PathLike[str], field: str = "launch config") -> tuple[Path, str]:
    """The text of a launch file, read through :func:`planner.files.read_text`.

    Args:
        path: a ``str`` or ``os.PathLike``.
        field: the name errors use (``launch config``, ``deepspeed``).

    Returns:
        ``(path, text)``.

    Raises:
        PlanFileError: naming ``field``: not a path, a NUL byte, missing, a directory, a FIFO or device,
            larger than 16 MiB, not UTF-8, or empty.
    """
    p = files.checked_path(path, field, error=PlanFileError)
    text = files.read_text(p, field, error=PlanFileError)
    if not text.strip():
        raise PlanFileError(field, f"file is empty: {files.display(p)}")
    return p, text


def world_size(src: Source, gpus: Any = None, nodes: Any = None, gpus_per_node: Any = None, *,
               from_file: dict[str, int] | None = None,
               model_parallel: int = 1) -> int:
    """The number of GPUs (ranks) in the run.

    ``gpus`` is the total; ``nodes`` × ``gpus_per_node`` is the other way to say it (both
    given must agree). ``from_file`` maps keys of the file to values that state it
    (``devices`` × ``num_nodes``); without any of these the run is assumed to use
    ``model_parallel`` GPUs (one data-parallel rank).

    Args:
        src: the file being read (the assumption is recorded in it).
        gpus: the total number of GPUs (``--gpus``), or None.
        nodes: the number of nodes (``--nodes``), or None.
        gpus_per_node: GPUs per node (``--gpus-per-node``), or None.
        from_file: keys of the file and the values that multiply to the world size, or None.
        model_parallel: the GPUs of one model replica (TP × PP × CP), used when nothing states the size.

    Returns:
        The world size.

    Raises:
        InputError: naming the option: not a whole number >= 1, ``--gpus`` that disagrees with
            ``--nodes`` × ``--gpus-per-node`` or is not a multiple of ``--nodes``, ``--nodes`` that does not
            divide the world size the file states, or ``--nodes`` without ``--gpus-per-node`` or ``--gpus``.
    """
    g = None if gpus is None else _option("--gpus", gpus)
    n = None if nodes is None else _option("--nodes", nodes)
    per = None if gpus_per_node is None else _option("--gpus-per-node", gpus_per_node)
    if n is not None and per is not None:
        if g is not None and g != n * per:
            raise InputError("--gpus", f"the total number of GPUs, equal to --nodes × --gpus-per-node "
                             f"({n} × {per} = {n * per})", g)
        return src.assume("world_size", n * per, f"--nodes {n} × --gpus-per-node {per}")
    if g is not None:
        if n is not None and g % n:
            raise InputError("--gpus", f"the total number of GPUs, a multiple of --nodes ({n})", g)
        return src.assume("world_size", g, "--gpus (total GPUs)")
    if from_file:
        total = 1
        for key, value in from_file.items():
            total *= src.took(key, value, "world size")
        if n is not None and total % n:
            raise InputError("--nodes", f"a divisor of the world size the file states ({total})", n)
        return total
    if n is not None:
        raise InputError("--gpus-per-node", "given with --nodes (or give --gpus, the total)",
                         detail="missing: give --gpus (the total) or --gpus-per-node with --nodes")
    return src.assume("world_size", model_parallel, "no --gpus given: one data-parallel rank"
                      + (f" of {model_parallel} model-parallel GPUs" if model_parallel > 1 else "")
                      + " (give --gpus for the real data-parallel size)")


def _option(name: str, value: Any) -> int:
    return validate.count(name, value.strip() if isinstance(value, str) else value)


def data_parallel(src: Source, world: int, model_parallel: dict[str, int]) -> int:
    """Data-parallel size = world size / (product of the model-parallel sizes); an error names the first.

    Args:
        src: the file being read.
        world: the world size (GPUs).
        model_parallel: each model-parallel size by the key that states it (the first is named in errors).

    Returns:
        The data-parallel size.

    Raises:
        PlanFileError: naming the file, the line and the first key: the world size is not a multiple of
            the model-parallel sizes' product.
    """
    prod = 1
    for v in model_parallel.values():
        prod *= v
    if world % prod:
        key = next(iter(model_parallel))
        sizes = " × ".join(f"{k} {v}" for k, v in model_parallel.items())
        raise src.error(key, f"the world size ({world} GPUs) is not a multiple of {sizes} = {prod}; "
                             "give --gpus as a multiple of it")
    return world // prod


def architecture_fields(arch: Architecture) -> dict[str, Any]:
    """An Architecture as a ``[model.dimensions]`` table: the inputs it was given (defaults left out).

    Args:
        arch: the architecture.

    Returns:
        Its inputs, tuples as lists; the four required dimensions always.
    """
    defaults = Architecture(num_layers=1, hidden_size=1, num_heads=1, vocab_size=1).inputs()
    return {k: list(v) if isinstance(v, tuple) else v for k, v in arch.inputs().items()
            if v is not None and (v != defaults[k] or k in ("num_layers", "hidden_size", "num_heads", "vocab_size"))}


def training_table(steps: int, micro_batch: int, grad_accum: int, data_parallel_size: int, seq_len: int,
                   prior_tokens: int = 0) -> dict[str, int]:
    """A ``[training]`` table of a plan document.

    Args:
        steps: optimizer steps.
        micro_batch: sequences per device per forward pass.
        grad_accum: gradient-accumulation steps.
        data_parallel_size: data-parallel ranks.
        seq_len: tokens per sequence.
        prior_tokens: tokens the starting checkpoint saw (left out when 0).

    Returns:
        The table.
    """
    t = {"steps": steps, "micro_batch": micro_batch, "grad_accum": grad_accum, "data_parallel": data_parallel_size,
         "seq_len": seq_len}
    if prior_tokens:
        t["prior_tokens"] = prior_tokens
    return t


def batch_split(src: Source, global_key: str, global_batch: int, micro_batch: int, dp: int) -> int:
    """Gradient accumulation = global batch / (micro-batch × data-parallel); not divisible is contradictory.

    Args:
        src: the file being read.
        global_key: the key that states the global batch (named in errors).
        global_batch: the global batch, in sequences.
        micro_batch: sequences per device per forward pass.
        dp: data-parallel ranks.

    Returns:
        The gradient-accumulation steps.

    Raises:
        PlanFileError: naming the file, the line and ``global_key``: the global batch is not divisible by
            micro-batch × data-parallel.
    """
    if global_batch % (micro_batch * dp):
        raise src.error(global_key, f"{global_batch:,} is not divisible by micro-batch {micro_batch} × "
                                    f"data-parallel {dp} = {micro_batch * dp}")
    return global_batch // (micro_batch * dp)


def yaml_lines(text: str, node: yaml.Node | None = None) -> dict[str, int]:
    """Dotted key → 1-based line of every mapping key in a YAML document.

    Args:
        text: the YAML text.
        node: the composed document, when the caller has it (else ``text`` is composed; a document that
            does not compose gives no lines: the loader reports the error).

    Returns:
        The first line of each dotted key (an aliased mapping is walked once).
    """
    import yaml
    out: dict[str, int] = {}
    seen: set[int] = set()

    def walk(node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode) and id(node) not in seen:
            seen.add(id(node))  # an aliased mapping is walked once: no expansion
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    key = prefix + str(k.value)
                    out.setdefault(key, k.start_mark.line + 1)
                    walk(v, key + ".")
    with contextlib.suppress(yaml.YAMLError, ValueError, RecursionError):  # the loader reports the error
        walk(yaml.compose(text, Loader=_yaml_loader()) if node is None else node, "")
    return out


def _yaml_loader() -> type[yaml.SafeLoader]:
    """PyYAML's safe loader, the C one when PyYAML was built with libyaml (about ten times faster)."""
    import yaml
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml
    if isinstance(node, yaml.MappingNode):
        return [c for pair in node.value for c in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def yaml_size(node: yaml.Node) -> tuple[int, int]:
    """``(values, aliases)`` of a composed YAML node graph: the values it expands to and its alias references.

    Measured on the graph, each node once, so an alias bomb is measured without being expanded.

    Args:
        node: a node from ``yaml.compose``.

    Returns:
        The number of values (scalars and collections) the document expands to (capped at 2**62), and
            the number of references to a node already seen (aliases).
    """
    sizes: dict[int, int] = {}
    aliases = 0
    stack = [(node, False)]
    while stack:
        n, done = stack.pop()
        if done:
            sizes[id(n)] = min(1 + sum(sizes[id(c)] for c in _children(n)), 2**62)
            continue
        if id(n) in sizes:
            aliases += 1
            continue
        kids = _children(n)
        if kids:
            sizes[id(n)] = 0  # measured when its children are
            stack.append((n, True))
            stack.extend((c, False) for c in kids)
        else:
            sizes[id(n)] = 1
    return sizes.get(id(node), 1), aliases


def load_yaml(src: Source) -> Any:
    """The YAML document of ``src`` (a safe loader: plain data only), its key lines in ``src.lines``.

    Aliases are bounded before anything is constructed (see :func:`yaml_size`): an alias bomb is one error.

    Args:
        src: the file being read.

    Returns:
        The document as plain data (dicts, lists, strings, numbers, booleans, None).

    Raises:
        PlanFileError: naming the file: not valid YAML (with the line), nesting too deep, a 5,000-digit
            number, or more than :data:`planner.limits.MAX_YAML_ALIASES` aliases or
            :data:`planner.limits.MAX_ITEMS` values.
    """
    import yaml
    try:
        node = yaml.compose(src.text, Loader=_yaml_loader())
        if node is not None:
            values, aliases = yaml_size(node)
            if aliases > limits.MAX_YAML_ALIASES or values > limits.MAX_ITEMS:
                raise PlanFileError(src.path.name, f"the YAML document expands to {values:,} values through "
                                    f"{aliases:,} aliases; at most {limits.MAX_ITEMS:,} values and "
                                    f"{limits.MAX_YAML_ALIASES} aliases are read")
        doc = yaml.load(src.text, Loader=_yaml_loader())  # a safe loader: plain data only
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(e, "problem", None) or e).split())[:120]
        raise PlanFileError(src.path.name, f"not valid YAML{where}: {problem}") from None
    except PlanFileError:
        raise
    except (ValueError, RecursionError, MemoryError, OverflowError) as e:  # a 5,000-digit number, deep nesting
        raise PlanFileError(src.path.name, f"not a usable YAML document ({type(e).__name__})") from None
    src.lines = yaml_lines(src.text, node)
    return doc


def toml_lines(text: str) -> dict[str, int]:
    """Dotted key → 1-based line of every ``key =`` line and ``[table]`` header of a TOML document.

    Args:
        text: the TOML text.

    Returns:
        The first line of each dotted key and table.
    """
    out: dict[str, int] = {}
    table = ""
    for i, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if s.startswith("[") and not s.startswith("[["):
            table = s.strip("[]").strip()
            out.setdefault(table, i)
        elif "=" in s and not s.startswith("#"):
            key = s.split("=", 1)[0].strip().strip('"')
            out.setdefault(f"{table}.{key}" if table else key, i)
    return out


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}`` (tables only; lists stay values).

    Args:
        d: a nested mapping.
        prefix: prepended to every key.

    Returns:
        A flat dict of dotted keys.
    """
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out
