"""The tokens-per-parameter lines the verdict draws, in one place.

Hoffmann et al. 2022 (Chinchilla) put compute-optimal training near D ≈ 20·N; the planner blocks a
launch below half of that and calls a quarter of it severe. :class:`planner.Thresholds` takes these
as its defaults; the laws, the charts and the number formatting read them from here.
"""

from __future__ import annotations

#: Below this D/N a plan is severe: the model will memorise, not generalise.
SEVERE_LINE = 5.0
#: Below this D/N a plan is blocked (the launch threshold).
LAUNCH_LINE = 10.0
#: At or above this D/N a plan is compute-optimal (Chinchilla's ~20 tokens per parameter).
OPTIMAL_LINE = 20.0
#: The three lines in order: severe, launch, optimal.
DEFAULT_LINES = (SEVERE_LINE, LAUNCH_LINE, OPTIMAL_LINE)
