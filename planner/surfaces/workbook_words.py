"""How the workbook names things: fields in its controls' words, and paths as the person typed them."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from ..files import checked_path

# What the package calls a field, in the words of the control that sets it (for messages).
FIELD_LABELS = {
    "num_layers": "layers", "hidden_size": "hidden size", "num_heads": "heads", "num_kv_heads": "kv heads",
    "head_dim": "head dim", "intermediate_size": "intermediate size", "vocab_size": "vocab",
    "num_experts": "experts", "experts_per_token": "top-k", "moe_intermediate_size": "expert size",
    "num_shared_experts": "shared experts", "micro_batch": "micro-batch", "grad_accum": "grad accum",
    "data_parallel": "data parallel", "seq_len": "seq len", "prior_tokens": "prior tokens",
    "unique_tokens": "unique tokens", "hardware.mfu": "MFU", "hardware.count": "GPUs",
    "hardware.price_per_gpu_hour": "$ per GPU-hour", "tokens_per_step": "tokens per step",
    "parallelism.tp": "TP", "parallelism.pp": "PP", "parallelism.zero": "ZeRO stage",
    "inference.tokens": "inference tokens",
}
#: The loss laws in words (the dropdown shows their keys; ``epoch`` is Epoch AI, not data epochs).
FIT_NAMES = {"chinchilla": "Hoffmann et al. 2022 (Chinchilla, Approach 3)",
             "epoch": "Epoch AI's refit of Chinchilla (Besiroglu et al. 2024)",
             "muennighoff": "Muennighoff et al. 2023 (data-constrained)"}
#: Set by ``planner workbook`` to the folder it was launched from: the workbook's relative paths start there (the
#: kernel itself runs in the notebook's folder).
WORKDIR_ENV = "PLANNER_WORKDIR"


def in_control_words(message: str) -> str:
    """A package message with its fields named as the workbook's controls are.

    Args:
        message: an error's text (``num_heads: must be ...``).

    Returns:
        The text with each field in :data:`FIELD_LABELS` replaced by its control's label (``heads: must be ...``).
    """
    for field, label in sorted(FIELD_LABELS.items(), key=lambda kv: -len(kv[0])):
        message = message.replace(f"{field}:", f"{label}:").replace(f"({field})", f"({label})")
    return message


def user_path(path: str | os.PathLike[str]) -> Path:
    """A path the person typed, as they mean it.

    Args:
        path: the typed path.

    Returns:
        ``~`` expanded; a relative path taken from the folder the workbook was launched from
            (:data:`WORKDIR_ENV`), else from the kernel's working directory.

    Raises:
        InputError: (field ``plan file``) a path no file system accepts (a NUL byte).
    """
    p = checked_path(str(path).strip() or ".", "plan file",
                     error=lambda field, problem: InputError(field, "", detail=problem)).expanduser()
    base = os.environ.get(WORKDIR_ENV)
    return p if p.is_absolute() or not base else Path(base) / p


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as the workbook shows it: as the person typed it (never re-rooted at the kernel's folder).

    Args:
        path: the typed path.

    Returns:
        The text, stripped.
    """
    return str(path).strip()


def fit_words(fit: str) -> str:
    """A loss law in words, for the line under the law dropdown.

    Args:
        fit: a key of :data:`FIT_NAMES`, or the path of a saved fit.

    Returns:
        Who fitted it (``Epoch AI's refit ...``), or ``a law fitted to your runs: PATH``.
    """
    return FIT_NAMES.get(fit, f"a law fitted to your runs: {fit}")
