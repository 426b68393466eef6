"""What the scaling-law science says about one plan, in one call: the numbers every surface shows.

:func:`plan_advice` takes the numbers an assessment already has (N, D, the corpus, the architecture's
layers and width, the batch, the hardware) and returns :class:`PlanAdvice`: the data-constrained optimum
at the plan's budget and at 20× with the corpus N needs (when the plan has a corpus), the inference-aware
plan (when it states lifetime inference tokens), and the batch size and learning rate (always). Reports,
the review and the workbook render ``PlanAdvice.to_dict()`` so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import validate
from ..training.compute import DEFAULT_MFU, training_flops
from .data_constrained import CorpusPlanAdvice, FitLike, corpus_advice
from .hyperparams import HyperparameterAdvice, advise, recommend
from .inference import InferenceOptimum, inference_optimal

# The plan's numbers are typed Any: they are validated by the functions called here (numbers, text such as "7B").


@dataclass(frozen=True)
class PlanAdvice:
    """The data-constrained optimum, the inference-aware plan and the batch/LR recommendation for one plan.

    Args:
        corpus: the data-constrained advice; None without a corpus.
        inference: the inference-aware plan; None without inference tokens.
        hyperparameters: the batch-size and learning-rate recommendation.
        hyperparameters_basis: ``"architecture"`` (DeepSeek's M from layers and width) or ``"6·N"`` (no architecture).
    """

    corpus: CorpusPlanAdvice | None
    inference: InferenceOptimum | None
    hyperparameters: HyperparameterAdvice
    hyperparameters_basis: str

    def to_dict(self) -> dict[str, Any]:
        """The advice as JSON.

        Returns:
            A dict with keys ``data_constrained``, ``inference`` (None when absent) and ``hyperparameters``
                (with ``batch_tokens_opt``, ``learning_rate_opt``, ``basis``).
        """
        return {"data_constrained": None if self.corpus is None else self.corpus.to_dict(),
                "inference": None if self.inference is None else self.inference.to_dict(),
                "hyperparameters": {**self.hyperparameters.to_dict(), "basis": self.hyperparameters_basis}}


def plan_advice(*, params: Any, tokens: Any, unique_tokens: Any = None, inference_tokens: Any = None,
                fit: FitLike = None, flops: Any = None, num_layers: Any = None, hidden_size: Any = None,
                seq_len: Any = None, non_embedding_params: Any = None, tokens_per_step: Any = None,
                mfu: Any = DEFAULT_MFU, inference_mfu: Any = None, price_per_gpu_hour: Any = None,
                inference_price_per_gpu_hour: Any = None, accelerator: str = "h100-sxm") -> PlanAdvice:
    """The science for one plan, from the numbers its assessment holds.

    Args:
        params: the N the plan's FLOPs use (active N for MoE).
        tokens: training tokens D.
        unique_tokens: the corpus U, if the plan has one.
        inference_tokens: lifetime inference tokens, if the plan states them.
        fit: the plan's fit (see :func:`planner.laws.data_constrained.law_fit`); default the planner's.
        flops: the plan's training compute (default 6·N·D), the budget of the data-constrained optimum.
        num_layers: the architecture's layers L, for DeepSeek's M = 72·L·d² + 6·L·d·s; without L, d and s,
            M = 6·(non-embedding N, else N).
        hidden_size: the architecture's width d.
        seq_len: the sequence length s.
        non_embedding_params: non-embedding N, for M without an architecture.
        tokens_per_step: the plan's batch, checked against B_opt.
        mfu: training MFU, for the inference-aware plan (see :func:`planner.laws.inference.inference_optimal`).
        inference_mfu: inference MFU (default: the training MFU).
        price_per_gpu_hour: training price in dollars per accelerator-hour (optional).
        inference_price_per_gpu_hour: inference price (default: the training price).
        accelerator: an accelerator key or name from ``data/accelerators.csv``.

    Returns:
        A ``PlanAdvice``.

    Raises:
        InputError: a value out of range, naming the argument, or an unknown fit.
    """
    corpus = None if unique_tokens is None else corpus_advice(params, tokens, unique_tokens, fit, flops=flops)
    inference = None
    if inference_tokens is not None:
        inference = inference_optimal(inference_tokens, params=params, tokens=tokens, fit=fit,
                                      unique_tokens=unique_tokens, mfu=mfu, inference_mfu=inference_mfu,
                                      price_per_gpu_hour=price_per_gpu_hour,
                                      inference_price_per_gpu_hour=inference_price_per_gpu_hour,
                                      accelerator=accelerator)
    if None not in (num_layers, hidden_size, seq_len):
        hp = recommend(num_layers, hidden_size, seq_len, tokens, tokens_per_step=tokens_per_step)
        basis = "architecture"
    else:
        field, n = (("params", params) if non_embedding_params is None
                    else ("non_embedding_params", non_embedding_params))
        hp = advise(training_flops(float(validate.quantity(field, n, minimum=1)), 1.0), tokens,
                    tokens_per_step=tokens_per_step)
        basis = "6·N"
    return PlanAdvice(corpus=corpus, inference=inference, hyperparameters=hp, hyperparameters_basis=basis)
