"""The gate inside the trainer: callbacks for Hugging Face ``Trainer`` and PyTorch Lightning.

``planner.integrations.hf.PlannerCallback`` (extra ``planner[hf]``) and
``planner.integrations.lightning.PlannerCallback`` (extra ``planner[lightning]``) count the
real model's parameters and the tokens the trainer's own settings will feed it, run the
planner's gate before the first step, and refuse to start a blocked run unless forced.
``import planner`` never imports this package, torch, transformers or lightning.
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import BlockedPlanError
from ..verdict.gate import GateResult, Thresholds, assess

logger = logging.getLogger("planner")


def count_parameters(module: Any) -> int:
    """Parameters of a torch module, each tensor once (tied weights once).

    ``module.parameters()`` already yields a shared tensor once; identical tensors reached
    twice are de-duplicated by identity as well. Under DeepSpeed ZeRO-3 a partitioned
    parameter reports its full size in ``ds_numel``.

    Args:
        module: a ``torch.nn.Module``.

    Returns:
        N, the number of parameters.
    """
    # Any: a torch.nn.Module (torch is an optional extra, without types in the light install)
    seen: dict[int, int] = {}
    for p in module.parameters():
        seen[id(p)] = int(getattr(p, "ds_numel", 0) or p.numel())
    return sum(seen.values())


def gate(params: int, steps: int, tokens_per_step: int, *, unique_tokens: int | None = None,
         thresholds: Thresholds | None = None, force: bool = False, prior_tokens: int = 0,
         source: str = "") -> GateResult:
    """Judge a run about to start; raise :class:`planner.BlockedPlanError` when blocked and not ``force``.

    Args:
        params: N, the model's parameters.
        steps: optimizer steps the trainer will take.
        tokens_per_step: tokens in one optimizer step (all ranks).
        unique_tokens: unique tokens in the corpus, for the epoch and ceiling figures.
        thresholds: a :class:`planner.Thresholds` (default 5 / 10 / 20).
        force: log the warning and let a blocked run start.
        prior_tokens: tokens the starting checkpoint already saw.
        source: how the numbers were found, appended to the log line.

    Returns:
        The :class:`planner.GateResult`.

    Raises:
        BlockedPlanError: the run is below the launch threshold and ``force`` is false.
    """
    result = assess(params, steps * tokens_per_step, tokens_per_step=tokens_per_step, prior_tokens=prior_tokens,
                    thresholds=thresholds, unique_tokens=unique_tokens)
    detail = (f"planner: N = {params:,} parameters, D = {steps:,} steps × {tokens_per_step:,} tokens = "
              f"{steps * tokens_per_step:,} tokens{' (' + source + ')' if source else ''}. {result.message}")
    if result.blocked and not force:
        logger.error(detail)
        raise BlockedPlanError(result)
    if result.blocked:
        logger.warning(detail + " Forced: training anyway.")
    elif result.level != "compute-optimal":
        logger.warning(detail)
    else:
        logger.info(detail)
    return result
