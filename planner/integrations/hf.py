"""The planner's gate as a Hugging Face ``TrainerCallback`` (``pip install planner[hf]``).

::

    from planner.integrations.hf import PlannerCallback
    trainer = Trainer(model=model, args=args, train_dataset=ds, callbacks=[PlannerCallback()])
    trainer.train()   # raises planner.BlockedPlanError before the first step if D/N < 10

At ``on_train_begin`` the callback counts the model's parameters (each tensor once, so a
tied head counts once) and the tokens the Trainer will feed it: optimizer steps
(``args.max_steps``, or the ``state.max_steps`` the Trainer derived from
``num_train_epochs``) × ``per_device_train_batch_size`` × ``gradient_accumulation_steps``
× ``world_size`` × sequence length. The sequence length is the ``seq_len`` given, else the
width of the first training batch's ``input_ids`` (read with torch's random state saved
and restored, so the run's data order does not change), else the model config's
``max_position_embeddings``; the log line says which.
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from .. import validate
from ..errors import InputError
from ..verdict.gate import GateResult, Thresholds
from . import count_parameters, gate

__all__ = ["PlannerCallback"]


# Any: torch and transformers objects (optional extras, without types in the light install).
def _first_batch_width(train_dataloader: Any) -> int | None:
    if train_dataloader is None:
        return None
    import torch
    try:
        with torch.random.fork_rng(devices=[]):
            batch = next(iter(train_dataloader))
    except (StopIteration, TypeError):
        return None
    ids = batch.get("input_ids") if isinstance(batch, dict) or hasattr(batch, "get") else None
    if ids is None or getattr(ids, "ndim", 0) < 2:
        return None
    return int(ids.shape[-1])


def _config_width(model: Any) -> int | None:
    cfg = getattr(model, "config", None)
    for key in ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length"):
        v = getattr(cfg, key, None)
        if isinstance(v, int) and v > 0:
            return v
    return None


class PlannerCallback(TrainerCallback):
    """Refuse to start a Trainer run whose D/N is below the launch threshold.

    Args:
        unique_tokens: unique tokens in the training corpus (adds epochs and the corpus
            ceiling to the assessment).
        thresholds: a :class:`planner.Thresholds` (default: 5× severe, 10× launch, 20× optimal).
        force: let a blocked run start; the warning is logged instead.
        prior_tokens: tokens the starting checkpoint already saw (continued pretraining).
        seq_len: tokens per sample; default: the first batch's width, else the model config's
            ``max_position_embeddings``.

    After ``on_train_begin``, ``self.result`` holds the :class:`planner.GateResult` and
    ``self.source`` says where the sequence length and the step count came from.

    Raises (from ``trainer.train()``, before the first step):
        BlockedPlanError: the run is blocked and ``force`` is false.
    """

    def __init__(self, unique_tokens: object = None, thresholds: Thresholds | None = None, force: object = False,
                 prior_tokens: object = 0, seq_len: object = None) -> None:
        if thresholds is not None and not isinstance(thresholds, Thresholds):
            raise InputError("thresholds", "a planner.Thresholds", type(thresholds).__name__)
        self.unique_tokens = None if unique_tokens is None else validate.count("unique_tokens", unique_tokens)
        self.thresholds = thresholds
        self.force = validate.flag("force", force)
        self.prior_tokens = validate.count("prior_tokens", prior_tokens, minimum=0)
        self.seq_len = None if seq_len is None else validate.count("seq_len", seq_len)
        self.result: GateResult | None = None
        self.source = ""

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, train_dataloader: Any = None,
                       **kwargs: Any) -> Any:
        """Judge the run before its first step (the Trainer calls it once, at the start of ``train()``).

        Args:
            args: the Trainer's ``TrainingArguments``.
            state: the Trainer's ``TrainerState`` (its ``max_steps`` when the run is set in epochs).
            control: the Trainer's ``TrainerControl``.
            model: the model being trained.
            train_dataloader: the training dataloader (its first batch gives the sequence length).
            **kwargs: the Trainer's other callback arguments (unused).

        Returns:
            ``control``, unchanged.

        Raises:
            InputError: no sequence length is given, in the first batch or in the model config.
            BlockedPlanError: the run is blocked and ``force`` is false.
        """
        seq: int | None
        if self.seq_len is not None:
            seq, how = self.seq_len, "seq_len given"
        else:
            seq, how = _first_batch_width(train_dataloader), "seq len from the first batch"
            if seq is None:
                seq, how = _config_width(model), "seq len from the model config's max positions"
        if seq is None:
            raise InputError("seq_len", "given to PlannerCallback (the batch and the model config do not say)",
                             detail="missing: give PlannerCallback(seq_len=...)")
        if args.max_steps is not None and args.max_steps > 0:
            steps, steps_how = args.max_steps, "max_steps"
        else:
            steps, steps_how = state.max_steps, f"{args.num_train_epochs:g} epochs as the Trainer counts them"
        tps = args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size * seq
        self.source = f"{steps_how}; {args.per_device_train_batch_size} per device × " \
                      f"{args.gradient_accumulation_steps} accumulation × {args.world_size} processes × {seq} ({how})"
        self.result = gate(count_parameters(model), steps, tps, unique_tokens=self.unique_tokens,
                           thresholds=self.thresholds, force=self.force, prior_tokens=self.prior_tokens,
                           source=self.source)
        return control

