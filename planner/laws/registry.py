"""Fit resolution: a fit's name (``chinchilla``, ``epoch``, ``muennighoff``) or a saved fit's path → a :class:`Fit`.

Every surface that takes a fit by name (a plan's ``[law] fit``, ``--fit``, the workbook, the Python API)
resolves it here, so they accept the same names and give the same errors.
"""

from __future__ import annotations

from .. import validate
from ..errors import InputError
from .power_law import DEFAULT_FIT, FITS, Fit
from .saved_fit import load_law


def fit(name: object = DEFAULT_FIT) -> Fit:
    """The named fit, or a law fitted to your own runs and saved as TOML (``planner fit --save``).

    Args:
        name: a name of :data:`~planner.laws.power_law.FITS` (``epoch``, the default; ``chinchilla``;
            ``muennighoff``), or the path of a saved fit (``*.toml``).

    Returns:
        The ``Fit`` with its constants and source; a saved fit is named by the path given.

    Raises:
        InputError: ``fit`` is not a known name, or the file is missing or not a saved fit.
    """
    if isinstance(name, str) and name not in FITS and name.strip().lower().endswith(".toml"):
        return load_law(name)
    if not isinstance(name, str) or name not in FITS:
        accepted = f"one of {', '.join(FITS)}, or a saved fit (.toml)"
        raise InputError("fit", accepted, detail=f"must be {accepted}, got "
                         f"{validate.shown(name) if isinstance(name, str) or name is None else type(name).__name__}")
    return FITS[name]
