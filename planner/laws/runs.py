"""Reading a user's training runs (a "ladder" of small models) from a CSV file, a DataFrame or a dict of columns.

:func:`read_runs` checks every cell and returns :class:`Runs`: N, D, final loss, a weight and a name per
run. Numbers are read as everywhere else in the planner (:func:`planner.validate.parse_number`):
``7B``, ``22M``, ``1,000``, ``1_000``, ``1.3e9``. A bad cell is one :class:`~planner.errors.InputError`
naming its column and row (and, in a file, its line).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import files, limits, validate
from ..errors import InputError
from ..limits import power
from ..training.compute import training_flops
from .power_law import PARAMETERS, FloatArray

# A cell of a user's table is typed Any: it is read and checked here (text, a number, anything a DataFrame holds).

#: The fewest runs a fit accepts: one per fitted constant.
MIN_RUNS = len(PARAMETERS)


@dataclass(frozen=True, eq=False)
class Runs:
    """A validated table of training runs: parameters N, tokens D, final loss, weight and a name each.

    Build with :func:`read_runs`.

    Args:
        names: one name per run.
        params: N of each run.
        tokens: D of each run.
        loss: final training loss of each run (nats per token).
        weight: weight of each run in the fit (≥ 0).
        dropped: the names of runs that were read but left out.
    """

    names: tuple[str, ...]
    params: FloatArray
    tokens: FloatArray
    loss: FloatArray
    weight: FloatArray
    dropped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"Runs({len(self)} runs, {len(self.dropped)} dropped)"

    @property
    def flops(self) -> FloatArray:
        """Training compute of each run, C = 6·N·D (:func:`planner.training.compute.training_flops`)."""
        out: FloatArray = np.asarray(training_flops(self.params, self.tokens), dtype=float)
        return out

    def to_frame(self) -> Any:  # a pandas DataFrame (pandas has no type information here)
        """The runs as a pandas DataFrame.

        Returns:
            A DataFrame with columns name, params, tokens, flops, loss, weight.
        """
        import pandas as pd
        return pd.DataFrame({"name": self.names, "params": self.params, "tokens": self.tokens,
                             "flops": self.flops, "loss": self.loss, "weight": self.weight})


def _unique_columns(names: Iterable[Any]) -> dict[Any, str]:
    """Column name as given → its lower-case key; two columns with one key (``params``, ``PARAMS``) are refused."""
    out: dict[Any, str] = {}
    for c in names:
        key = str(c).strip().lower()
        if not key:
            continue
        if key in out.values():
            first = next(k for k, v in out.items() if v == key)
            raise InputError("runs", "one column per name (names are case-insensitive)",
                             detail=f"columns {first!r} and {str(c)!r} are the same column ({key}); keep one")
        out[c] = key
    return out


def _csv_columns(source: str | Path) -> tuple[dict[str, list[Any]], list[str]]:
    """The columns of a CSV file and the label of each row: its number below the header and its line."""
    def error(field: str, problem: str) -> InputError:
        return InputError(field, "a CSV file of runs", detail=problem)
    text = files.read_text(source, "runs", error=error)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        # blank lines skipped; each row keeps the file's line number, to point at the line to fix
        rows = [(reader.line_num, r) for r in reader if any(cell.strip() for cell in r)]
    except csv.Error as e:
        raise InputError("runs", "a readable CSV file",
                         detail=f"cannot read {files.display(source)}: {e}") from None
    if not rows:
        raise InputError("runs", "a CSV file with a header row", detail=f"{files.display(source)} is empty")
    header = rows[0][1]
    keys = _unique_columns(dict.fromkeys(header))
    if len(keys) != len([h for h in header if h.strip()]):
        dup = next(h for h in header if h.strip() and header.count(h) > 1)
        raise InputError("runs", "one column per name",
                         detail=f"the header names column {dup.strip()!r} twice; keep one")
    index = {keys[h]: i for i, h in enumerate(header) if h.strip()}
    cols: dict[str, list[Any]] = {key: [] for key in index}
    for _, r in rows[1:]:
        for key, i in index.items():
            cols[key].append(r[i] if i < len(r) else "")
    # rows counted from 1 below the header
    return cols, [f"{i + 1} (line {line})" for i, (line, _) in enumerate(rows[1:])]


def _columns(source: Any) -> tuple[dict[str, list[Any]], list[str]]:
    """Raw columns of ``source`` (keyed by lower-case name) and the label of each row in messages."""
    if type(source).__name__ == "DataFrame" and hasattr(source, "columns"):  # pandas, without importing it
        keys = _unique_columns(source.columns)
        cols = {key: list(source[c]) for c, key in keys.items()}
        return cols, [str(i) for i in source.index]
    if isinstance(source, dict):
        keys = _unique_columns(source)
        cols = {key: list(np.atleast_1d(source[c])) for c, key in keys.items()}
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise InputError("runs", "columns of equal length",
                             detail="columns differ in length: " + ", ".join(f"{c} {len(v)}" for c, v in cols.items()))
        n = lengths.pop() if lengths else 0
        return cols, [str(i + 1) for i in range(n)]
    if isinstance(source, (str, Path)):
        return _csv_columns(source)
    raise InputError("runs", "a CSV path, a pandas DataFrame or a dict of columns", type(source).__name__)


def _cell(column: str, v: Any, where: str) -> float:
    """One cell as a float: text read by :func:`planner.validate.parse_number` (``7B``, ``1,000``),
    numbers as they are."""
    if isinstance(v, str):
        s = v.strip()
        if not s:
            raise InputError(column, "a finite number", detail=f"{where}: must be a finite number, got an empty cell")
        try:
            return float(validate.parse_number(s))
        except OverflowError:
            raise InputError(column, "a finite number", detail=f"{where}: must be a finite number, "
                                                               f"got {validate.shown(v)}") from None
        except ValueError:
            pass
        try:  # "nan", "inf": numbers, but not finite ones (said so by the caller)
            f = float(s)
        except ValueError:
            f = 0.0
        if math.isfinite(f):  # float() reads what the planner does not (other scripts' digits)
            raise InputError(column, "a number", detail=f"{where}: must be a number, got {validate.shown(v)}")
        return f
    if isinstance(v, (bool, np.bool_, complex, np.complexfloating)) or v is None:
        raise InputError(column, "a real number", detail=f"{where}: must be a number (real), got {validate.shown(v)}")
    try:
        return float(v)
    except (TypeError, ValueError):
        raise InputError(column, "a number", detail=f"{where}: must be a number, got {validate.shown(v)}") from None


def _numbers(column: str, values: list[Any], labels: list[str], *, positive: bool = True,
             maximum: float = limits.MAX_REAL) -> FloatArray:
    """The cells of one column as floats, each checked: finite, at most ``maximum``, > 0 (or ≥ 0)."""
    out = np.empty(len(values))
    for i, v in enumerate(values):
        where = f"row {labels[i]}"
        f = _cell(column, v, where)
        if not math.isfinite(f):
            raise InputError(column, "a finite number", detail=f"{where}: must be a finite number, got {v!r}")
        if abs(f) > maximum:
            raise InputError(column, f"a number up to {power(maximum)}", detail=f"{where}: must be at "
                             f"most {power(maximum)}, got {validate.shown(v)}")
        if positive and not f > 0:
            raise InputError(column, "a positive number", detail=f"{where}: must be > 0, got {validate.shown(v)}")
        if not positive and f < 0:
            raise InputError(column, "a number >= 0", detail=f"{where}: must be >= 0, got {validate.shown(v)}")
        out[i] = f
    return out


def _short_repr(v: object) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _kept(names: list[str], loss: FloatArray, drop: object, drop_highest: object) -> npt.NDArray[np.bool_]:
    """Which runs stay: not named in ``drop``, then not among the ``drop_highest`` highest losses."""
    keep = np.ones(len(names), dtype=bool)
    if drop is None:
        drop = ()
    if isinstance(drop, (str, int)):
        drop = (drop,)
    if not isinstance(drop, (list, tuple, set, frozenset)):
        raise InputError("drop", "a list of run names", _short_repr(drop))
    for name in drop:
        if str(name) not in names:
            raise InputError("drop", "names of runs in the table", str(name),
                             detail=f"no run named {str(name)!r} (names are the 'name' column, or row numbers from 1)")
        keep[names.index(str(name))] = False
    k = validate.count("drop_highest", drop_highest, minimum=0)
    if k:
        idx = np.flatnonzero(keep)
        worst = idx[np.argsort(-loss[idx], kind="stable")[:k]]
        keep[worst] = False
    return keep


def read_runs(source: object, *, drop: object = (), drop_highest: int = 0) -> Runs:
    """Read and validate a table of runs.

    Args:
        source: a CSV path, a pandas DataFrame or a dict of columns. Columns (case-insensitive):
            ``params`` (N) and either ``tokens`` (D) or ``flops`` (training compute; D = flops/(6·N)),
            and ``loss`` (final training loss, nats per token); optional ``weight`` (≥ 0, default 1)
            and ``name`` (default: the row's number, counted from 1 below the header).
            ``training_flops`` is accepted for ``flops``. Text cells are read as the planner reads every
            number: ``7B``, ``22M``, ``1,000``, ``1.3e9``.
        drop: names of runs to leave out (each must exist).
        drop_highest: leave out this many of the highest-loss runs (after ``drop``).

    Returns:
        :class:`Runs` with the runs kept and ``dropped`` naming the others.

    Raises:
        InputError: naming the column and the row (or the file's line) of the first bad cell: a missing
            column, a value that is not a number, NaN or empty, N, D or loss ≤ 0, a negative weight;
            ``runs`` when fewer runs remain than the 5 fitted parameters; ``drop`` for an unknown name.
    """
    cols, labels = _columns(source)
    if "flops" not in cols and "training_flops" in cols:
        cols["flops"] = cols.pop("training_flops")
    for need in ("params", "loss"):
        if need not in cols:
            raise InputError(need, "a column", detail=f"missing column {need!r} (have: "
                                                      f"{files.display(', '.join(cols) or 'none')})")
    if "tokens" not in cols and "flops" not in cols:
        raise InputError("tokens", "a column", detail="missing column 'tokens' (or 'flops', with D = flops/(6*params))")
    n = _numbers("params", cols["params"], labels)
    loss = _numbers("loss", cols["loss"], labels)
    if "tokens" in cols:
        d = _numbers("tokens", cols["tokens"], labels)
    else:
        d = _numbers("flops", cols["flops"], labels, maximum=limits.MAX_FLOPS) / training_flops(n, 1.0)
    w = _numbers("weight", cols["weight"], labels, positive=False) if "weight" in cols else np.ones(len(n))
    names = [str(v).strip() for v in cols["name"]] if "name" in cols else [str(i + 1) for i in range(len(n))]
    if len(set(names)) != len(names):
        dup = next(x for x in names if names.count(x) > 1)
        raise InputError("name", "unique run names", detail=f"run name {dup!r} appears more than once")
    keep = _kept(names, loss, drop, drop_highest)
    kept = int(keep.sum())
    if kept < MIN_RUNS:
        raise InputError("runs", f"at least {MIN_RUNS} runs (one per fitted parameter)",
                         detail=f"{kept} run{'s' if kept != 1 else ''} left to fit; need at least {MIN_RUNS} "
                                f"(one per fitted parameter: {', '.join(PARAMETERS)})")
    if not (w[keep] > 0).sum() >= MIN_RUNS:
        raise InputError("weight", f"at least {MIN_RUNS} runs with a weight > 0",
                         detail=f"fewer than {MIN_RUNS} runs have a weight > 0")
    return Runs(names=tuple(x for x, k in zip(names, keep, strict=True) if k), params=n[keep], tokens=d[keep],
                loss=loss[keep], weight=w[keep], dropped=tuple(x for x, k in zip(names, keep, strict=True) if not k))
