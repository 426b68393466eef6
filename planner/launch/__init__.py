"""Plans from the files people launch training with.

:func:`read_launch_config` reads a Megatron-LM launch script, a torchtitan TOML job config,
a LitGPT pretraining YAML, a nanoGPT config file or Hugging Face ``TrainingArguments``
(JSON/YAML, with an optional DeepSpeed JSON) into a :class:`LaunchConfig`: a plan document
plus the list of fields read (with their lines) and the values assumed (with the reason).
:func:`launch_plan` is the one call ``check``/``report`` need: the :class:`planner.Plan`.

Not imported by ``import planner``; PyYAML and tomli-w are imported when used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .. import validate
from ..errors import InputError
from ..verdict.schema import Plan
from . import hf_trainer, litgpt, megatron, nanogpt, torchtitan
from .common import FORMATS, Assumed, FieldRead, LaunchConfig, read_text

__all__ = ["FORMATS", "Assumed", "FieldRead", "LaunchConfig", "launch_plan", "read_launch_config"]


def _reader(fmt: str) -> Callable[..., LaunchConfig]:
    return {"megatron": megatron.read, "torchtitan": torchtitan.read, "litgpt": litgpt.read,
            "nanogpt": nanogpt.read, "hf-trainer": hf_trainer.read}[fmt]


# gpus, nodes, gpus_per_node, dataset_size and seq_len are user input before validation (Any).
def read_launch_config(path: str | os.PathLike[str], format: str, *, gpus: Any = None, nodes: Any = None,
                       gpus_per_node: Any = None, dataset_size: Any = None, seq_len: Any = None) -> LaunchConfig:
    """Read a framework's launch file into a plan document.

    Args:
        path: the launch file (a Megatron-LM shell script or argument file, a torchtitan
            ``.toml``, a LitGPT ``.yaml``, a nanoGPT ``config/*.py``, a Hugging Face
            ``TrainingArguments`` ``.json``/``.yaml``).
        format: one of :data:`FORMATS` (``megatron``, ``torchtitan``, ``litgpt``, ``nanogpt``,
            ``hf-trainer``).
        gpus: total number of GPUs of the run, when the file does not state it; the
            data-parallel size is GPUs / (tensor × pipeline × context parallel).
        nodes, gpus_per_node: the other way to give the GPU count (``nodes × gpus_per_node``).
        dataset_size: samples in the training set, for epoch-based Hugging Face runs
            (``num_train_epochs`` without ``max_steps``).
        seq_len: tokens per sample, for Hugging Face runs whose arguments do not state it.

    Returns:
        A :class:`LaunchConfig`: ``document`` (the plan document
            :func:`planner.plan_from_dict` accepts), ``read``, ``assumed``, ``parallelism``;
            ``.plan()`` builds the :class:`planner.Plan`, ``.to_toml()`` a plan file.

    Raises:
        PlanFileError: the file is missing, unreadable or malformed, holds a field the
            framework does not have, or fields that contradict each other (e.g. a global
            batch not divisible by micro-batch × data-parallel); the field names the file,
            the line and the key.
        InputError: ``format``, ``gpus``, ``nodes``, ``gpus_per_node``, ``dataset_size`` or
            ``seq_len`` is not acceptable.
    """
    if not isinstance(format, str) or format not in FORMATS:
        raise InputError("--format", f"one of {', '.join(FORMATS)}",
                         detail=f"must be one of {', '.join(FORMATS)}, got {validate.shown(format)}")
    p, text = read_text(path)
    kwargs: dict[str, Any] = dict(gpus=gpus, nodes=nodes, gpus_per_node=gpus_per_node)
    if format == "hf-trainer":
        kwargs.update(dataset_size=dataset_size, seq_len=seq_len)
    else:
        for name, value in (("--dataset-size", dataset_size), ("--seq-len", seq_len)):
            if value is not None:
                raise InputError(name, "given only with --format hf-trainer (the other formats state it)",
                                 detail=f"only for --format hf-trainer; {format} files state it")
    return _reader(format)(p, text, **kwargs)


def launch_plan(path: str | os.PathLike[str], format: str, **kwargs: Any) -> Plan:
    """The :class:`planner.Plan` of a launch file: ``read_launch_config(path, format, **kwargs).plan()``.

    Args:
        path: the launch file, as for :func:`read_launch_config`.
        format: one of :data:`FORMATS`.
        **kwargs: the other arguments of :func:`read_launch_config` (``gpus``, ``nodes``, ``gpus_per_node``,
            ``dataset_size``, ``seq_len``).

    Returns:
        The validated :class:`planner.Plan`.

    Raises:
        PlanFileError: as for :func:`read_launch_config`, or the plan document it reads is not a valid plan.
        InputError: as for :func:`read_launch_config`.
    """
    return read_launch_config(path, format, **kwargs).plan()
