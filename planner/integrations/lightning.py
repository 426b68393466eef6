"""The planner's gate as a PyTorch Lightning ``Callback`` (``pip install planner[lightning]``).

::

    from planner.integrations.lightning import PlannerCallback
    trainer = lightning.Trainer(max_steps=10_000, callbacks=[PlannerCallback()])
    trainer.fit(module, datamodule)   # raises planner.BlockedPlanError before the first step if D/N < 10

At ``on_train_start`` (the dataloaders are ready, no step has run) the callback counts the
module's parameters (each tensor once) and the tokens the run will see: optimizer steps
(``max_steps``, else Lightning's ``estimated_stepping_batches``) × batch size ×
``accumulate_grad_batches`` × ``world_size`` × sequence length. Batch size and sequence
length are the shape of the first training batch's tokens (a ``(batch, seq)`` tensor, the
first tensor of a tuple, or ``input_ids`` of a dict; read with torch's random state saved
and restored), unless given.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl

from .. import validate
from ..errors import InputError
from ..verdict.gate import GateResult, Thresholds
from . import count_parameters, gate

__all__ = ["PlannerCallback"]


# Any: torch and lightning objects (optional extras, without types in the light install).
def _tokens(batch: Any) -> Any:
    if isinstance(batch, dict):
        batch = batch.get("input_ids")
    elif isinstance(batch, (tuple, list)) and batch:
        batch = batch[0]
    return batch if getattr(batch, "ndim", 0) == 2 else None


class PlannerCallback(pl.Callback):
    """Refuse to start a Lightning run whose D/N is below the launch threshold.

    Args:
        unique_tokens: unique tokens in the training corpus.
        thresholds: a :class:`planner.Thresholds` (default: 5× severe, 10× launch, 20× optimal).
        force: let a blocked run start; the warning is logged instead.
        prior_tokens: tokens the starting checkpoint already saw.
        batch_size, seq_len: sequences per device per micro-batch and tokens per sequence;
            default: the shape of the first training batch.

    After ``on_train_start``, ``self.result`` holds the :class:`planner.GateResult`.

    Raises (from ``trainer.fit()``, before the first step):
        BlockedPlanError: the run is blocked and ``force`` is false.
    """

    def __init__(self, unique_tokens: object = None, thresholds: Thresholds | None = None, force: object = False,
                 prior_tokens: object = 0, batch_size: object = None, seq_len: object = None) -> None:
        self.unique_tokens = None if unique_tokens is None else validate.count("unique_tokens", unique_tokens)
        self.thresholds = thresholds
        self.force = validate.flag("force", force)
        self.prior_tokens = validate.count("prior_tokens", prior_tokens, minimum=0)
        self.batch_size = None if batch_size is None else validate.count("batch_size", batch_size)
        self.seq_len = None if seq_len is None else validate.count("seq_len", seq_len)
        self.result: GateResult | None = None
        self.source = ""

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        """Judge the run before its first step (Lightning calls it once, the dataloaders ready).

        Args:
            trainer: the ``lightning.Trainer``.
            pl_module: the ``LightningModule`` being trained.

        Raises:
            InputError: the first batch is not a (batch, seq) tensor of tokens and ``batch_size``/``seq_len``
                were not given, or the run has no end (``max_steps=-1`` and ``max_epochs=-1``).
            BlockedPlanError: the run is blocked and ``force`` is false.
        """
        b, seq, how = self.batch_size, self.seq_len, "given"
        if b is None or seq is None:
            import torch
            with torch.random.fork_rng(devices=[]):
                tokens = _tokens(next(iter(trainer.train_dataloader)))
            if tokens is None:
                raise InputError("seq_len", "given with batch_size to PlannerCallback (the first batch is not a "
                                 "(batch, seq) tensor of tokens)", detail="missing: give batch_size and seq_len")
            b = b or int(tokens.shape[0])
            seq = seq or int(tokens.shape[1])
            how = "from the first batch"
        if trainer.max_steps and trainer.max_steps > 0:
            steps = trainer.max_steps
        else:  # max_steps=-1 with max_epochs=-1: Lightning estimates inf steps (an endless run)
            import math

            est = trainer.estimated_stepping_batches
            if not isinstance(est, (int, float)) or not math.isfinite(est):
                raise InputError("max_steps", "a finite run", detail="the Trainer runs without end (max_steps=-1 "
                                 "and max_epochs=-1): give max_steps or max_epochs for a D to judge")
            steps = validate.count("estimated_stepping_batches", int(est), minimum=0)
        accum, world = trainer.accumulate_grad_batches, trainer.world_size
        self.source = (f"{'max_steps' if trainer.max_steps and trainer.max_steps > 0 else 'estimated steps'}; "
                       f"{b} per device × {accum} accumulation × {world} processes × {seq} ({how})")
        self.result = gate(count_parameters(pl_module), steps, b * accum * world * seq,
                           unique_tokens=self.unique_tokens, thresholds=self.thresholds, force=self.force,
                           prior_tokens=self.prior_tokens, source=self.source)
