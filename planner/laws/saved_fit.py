"""The saved-fit file: a law fitted to your runs, written as TOML and read back (``planner fit --save``).

The file (format ``planner-fit/1``) holds the tables ``[law]`` (name, E, A, B, alpha, beta, source),
``[method]`` (approach, Huber δ, objective, the runs' compute range, dropped runs), ``[runs]`` (the runs
fitted, column by column) and, with a bootstrap, ``[intervals]`` and ``[bootstrap]`` (the refits).

* :func:`write` writes such a document; :func:`read` parses one and checks every value a loader uses,
  so a hostile file is one :class:`~planner.errors.InputError` naming ``fit`` or the key
  (``fit.law.alpha``, ``fit.method.flops_range``, ``fit.intervals.level``);
* :func:`load_law` reads the law alone, as a :class:`~planner.laws.power_law.Fit` (what a plan's
  ``[law] fit = "PATH"`` and ``--fit PATH`` use). The fitted ladder and its bootstrap are read back by
  :func:`planner.laws.ladder_fit.load_ladder` and :func:`~planner.laws.ladder_fit.load_bootstrap`.

Paths go through :mod:`planner.files` (regular files only, at most 16 MiB, never blocking).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .. import files, limits, validate
from ..errors import InputError
from .power_law import Fit

# A saved fit's document is parsed TOML: dict[str, Any] until read() has checked the values it uses.

#: The format tag written at the top of every saved fit.
FORMAT = "planner-fit/1"
#: The fitted exponents a saved law may state: a law with α or β outside this range has no finite optimum.
EXPONENTS = (1e-6, 10.0)
#: The largest Huber δ accepted (the same bound as ``fit_ladder``'s ``delta``).
MAX_DELTA = 10.0


def _fit_error(field: str, problem: str) -> InputError:
    return InputError(field, "a saved fit (.toml)", detail=problem)


def write(path: str | Path, doc: dict[str, Any]) -> Path:
    """Write the saved-fit document ``doc`` to ``path`` as TOML.

    Args:
        path: the ``.toml`` file to write (a regular file or a new one; never a FIFO or device).
        doc: the document (see the module docstring); every value must be TOML-serialisable.

    Returns:
        The path written, as a :class:`~pathlib.Path`.

    Raises:
        InputError: (field ``save``) the path is not usable (a NUL byte, an existing FIFO or device) or the
            file cannot be written.
    """
    import tomli_w
    return files.write_text(path, tomli_w.dumps(doc), "save",
                            error=lambda field, problem: InputError(field, "a writable file path", detail=problem))


def read(path: str | Path) -> tuple[dict[str, Any], dict[str, float]]:
    """The parsed TOML of a saved fit and its validated constants.

    Args:
        path: the saved fit's path.

    Returns:
        ``(document, constants)``: the document with ``method`` and ``intervals`` values checked in place,
            and ``{"E", "A", "B", "alpha", "beta"}`` as floats.

    Raises:
        InputError: (field ``fit`` or the key, e.g. ``fit.law.alpha``) a missing or unreadable file, one that is
            not TOML, one without a ``[law]`` table, or a value out of range.
    """
    p = files.checked_path(path, "fit", error=_fit_error)
    if not p.exists() and not p.is_symlink():
        raise InputError("fit", "a built-in fit name or a saved fit (.toml)", str(path),
                         detail=f"no such fit file: {files.display(p)}")
    text = files.read_text(p, "fit", error=_fit_error)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _fit_error("fit", f"cannot read {files.display(p)}: not valid TOML ({e})") from None
    except (ValueError, RecursionError, MemoryError) as e:  # 5,000 digits, nesting 5,000 deep
        raise _fit_error("fit", f"cannot read {files.display(p)}: not a usable TOML document "
                                f"({type(e).__name__})") from None
    law = doc.get("law")
    if not isinstance(law, dict):
        raise InputError("fit", "a saved fit (.toml)", detail=f"{files.display(p)} has no [law] table")
    c = {k: validate.positive_real(f"fit.law.{k}", law.get(k), maximum=limits.MAX_REAL) for k in ("E", "A", "B")}
    for k in ("alpha", "beta"):
        c[k] = validate.positive_real(f"fit.law.{k}", law.get(k), minimum=EXPONENTS[0], inclusive=True,
                                      maximum=EXPONENTS[1])
    for k in ("name", "source"):
        if k in law and not isinstance(law[k], str):
            raise _fit_error(f"fit.law.{k}", f"must be a string, got {validate.shown(law[k])}")
    method = doc.get("method", {})
    if not isinstance(method, dict):
        raise _fit_error("fit.method", "must be a table")
    span = method.get("flops_range")
    if span is not None:
        if not isinstance(span, list) or len(span) != 2:
            raise _fit_error("fit.method.flops_range", f"must be a list of two FLOP counts, got {validate.shown(span)}")
        lo, hi = (validate.positive_real("fit.method.flops_range", v, maximum=limits.MAX_FLOPS) for v in span)
        if lo > hi:
            raise _fit_error("fit.method.flops_range", f"must be [smallest, largest], got {validate.shown(span)}")
        method["flops_range"] = [lo, hi]
    if "delta" in method:
        method["delta"] = validate.positive_real("fit.method.delta", method["delta"], maximum=MAX_DELTA)
    if "objective" in method:
        method["objective"] = validate.positive_real("fit.method.objective", method["objective"], minimum=0,
                                                     inclusive=True, maximum=limits.MAX_REAL)
    dropped = method.get("dropped", [])
    if not isinstance(dropped, list) or not all(isinstance(x, (str, int)) and not isinstance(x, bool)
                                                for x in dropped):
        raise _fit_error("fit.method.dropped", "must be a list of run names")
    iv = doc.get("intervals", {})
    if not isinstance(iv, dict):
        raise _fit_error("fit.intervals", "must be a table")
    if "level" in iv:
        iv["level"] = validate.positive_real("fit.intervals.level", iv["level"], maximum=0.999999)
    if "seed" in iv:
        iv["seed"] = validate.count("fit.intervals.seed", iv["seed"], minimum=0, maximum=2**63)
    return doc, c


def load_law(path: str | Path) -> Fit:
    """The law saved in ``path`` (by :meth:`~planner.laws.ladder_fit.LadderFit.save`) as a :class:`Fit` named ``path``.

    This is what :func:`planner.laws.fit` returns for a ``*.toml`` name, so the name round-trips.

    Args:
        path: the saved fit's path.

    Returns:
        The ``Fit``, its compute range the saved runs' (None when the file does not say).

    Raises:
        InputError: (field ``fit``) a missing or unreadable file, or one without the law's constants.
    """
    doc, c = read(path)
    source = str(doc["law"].get("source", "")) or f"fitted law saved in {path}"
    span = (doc.get("method") or {}).get("flops_range")
    fitted = (span[0], span[1]) if span is not None else None
    return Fit(name=str(path), E=c["E"], A=c["A"], B=c["B"], alpha=c["alpha"], beta=c["beta"], source=source,
               fitted_flops=fitted)
