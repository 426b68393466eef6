"""Fitting L(N, D) = E + A/N^α + B/D^β to your own runs (a "ladder" of small models): the public names, in one import.

Nothing is defined here; each name lives in the module of its job:

* :mod:`planner.laws.runs` — :func:`read_runs`, :class:`Runs` (a runs table from CSV, DataFrame or dict);
* :mod:`planner.laws.objective` — the Huber-on-log-loss objective (:data:`DELTA`);
* :mod:`planner.laws.optimise` — the optimiser (:data:`GRID` of starts, :data:`STARTS`);
* :mod:`planner.laws.identifiability` — which constants the runs can determine;
* :mod:`planner.laws.ladder_fit` — :func:`fit_ladder`, :class:`LadderFit`, :func:`load_ladder`,
  :func:`load_bootstrap`, :class:`ExtrapolationWarning`, :data:`EXTRAPOLATION_LIMIT`;
* :mod:`planner.laws.bootstrap` — :class:`Bootstrap`, :class:`Interval`, :func:`judge_ratio`,
  :class:`RatioJudgement`, :func:`straddles`, :data:`LEVEL`;
* :mod:`planner.laws.saved_fit` — the TOML file (:func:`load_law`).

A plan is judged against a fitted law one layer up, by ``judge_plan`` in the verdict package (``judge.py``).
"""

from __future__ import annotations

from .bootstrap import LEVEL, Bootstrap, Interval, RatioJudgement, judge_ratio, straddles
from .ladder_fit import EXTRAPOLATION_LIMIT, ExtrapolationWarning, LadderFit, fit_ladder, load_bootstrap, load_ladder
from .objective import DELTA
from .optimise import GRID, STARTS
from .power_law import PARAMETERS
from .runs import Runs, read_runs
from .saved_fit import load_law

__all__ = ["DELTA", "EXTRAPOLATION_LIMIT", "GRID", "LEVEL", "PARAMETERS", "STARTS", "Bootstrap", "ExtrapolationWarning",
           "Interval", "LadderFit", "RatioJudgement", "Runs", "fit_ladder", "judge_ratio", "load_bootstrap",
           "load_ladder", "load_law", "read_runs", "straddles"]
