"""The one verdict: the level rule, the plan and its assessment, many plans at once."""
