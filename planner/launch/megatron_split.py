"""Megatron-LM's pipeline split: how many layers each stage builds, by Megatron's own rules, and the arguments that
give it the split the planner's memory model uses.

Megatron splits L layers evenly over PP stages unless told otherwise (``TransformerConfig``: L divisible by PP).
``--decoder-first-pipeline-num-layers F`` and ``--decoder-last-pipeline-num-layers E`` take F and E layers off the
ends and spread the rest evenly (``get_num_layers_to_build``: the rest divisible by the stages left; without virtual
stages in the 2024-12 version). ``--account-for-embedding-in-pipeline-split`` and
``--account-for-loss-in-pipeline-split`` (Megatron-LM from 2025-02, ef490839e8) count the embedding and the loss as
a layer each, so L + 2 units split evenly, also over virtual stages (``--num-layers-per-virtual-pipeline-stage n``:
n units per virtual stage). The planner's memory model splits Megatron's stages as
:func:`planner.training.memory.partition.stage_layers` does (``even``: L/PP, else the embedding and the head as a
layer each): Llama 3.1 405B's 126 layers on 16 stages build 7, 8, …, 8, 7.
"""

from __future__ import annotations

from ..errors import InputError
from ..training.memory.partition import stage_layers

#: The arguments that count the embedding and the loss as pipeline layers (Megatron-LM from 2025-02).
UNIT_FLAGS = ("--account-for-embedding-in-pipeline-split", "--account-for-loss-in-pipeline-split")


def modelled_stages(layers: int, pp: int) -> tuple[int, int, int]:
    """The layers of the first, the middle and the last stage as the planner models Megatron.

    Args:
        layers: L.
        pp: the pipeline degree.

    Returns:
        ``(first, middle, last)``.

    Examples:
        >>> modelled_stages(126, 16), modelled_stages(96, 8)
        ((7, 8, 7), (12, 12, 12))
    """
    first, second, last = (int(x) for x in stage_layers(layers, pp, "even"))
    return first, second, last


def file_stages(layers: int, pp: int, *, first: int | None = None, last: int | None = None,
                embedding: bool = False, loss: bool = False) -> tuple[int, int, int]:
    """The layers of the first, the middle and the last stage as Megatron splits them from its arguments.

    Args:
        layers: L (``--num-layers``).
        pp: ``--pipeline-model-parallel-size``.
        first: ``--decoder-first-pipeline-num-layers``, if given.
        last: ``--decoder-last-pipeline-num-layers``, if given.
        embedding: ``--account-for-embedding-in-pipeline-split`` (the first stage builds a layer fewer).
        loss: ``--account-for-loss-in-pipeline-split`` (the last stage builds a layer fewer).

    Returns:
        ``(first, middle, last)``; with two stages the middle is the last.

    Raises:
        ValueError: the split Megatron refuses, in words (the rest not divisible by the stages left).

    Examples:
        >>> file_stages(126, 16, first=7, last=7), file_stages(126, 16, embedding=True, loss=True)
        ((7, 8, 7), (7, 8, 7))
        >>> file_stages(27, 2, first=14, last=13)     # two stages: the second is the last
        (14, 13, 13)
    """
    if pp == 1:
        return layers, layers, layers
    if first is not None or last is not None:
        left = pp - (first is not None) - (last is not None)
        rest = layers - (first or 0) - (last or 0)
        if left == 0 and rest == 0 and first and last:          # two stages, both given: no middle stage
            return first, last, last
        if left < 1 or rest < left or rest % left:
            raise ValueError(f"the {rest} layers left must split evenly over the {max(left, 0)} other stages")
        middle = rest // left
        return (middle if first is None else first), middle, (middle if last is None else last)
    units = layers + embedding + loss
    if units % pp:
        counted = " with the embedding and the loss" if embedding and loss else " with the embedding" if embedding \
            else " with the loss" if loss else ""
        raise ValueError(f"must divide the {layers} layers{counted + f' ({units})' if counted else ''} evenly, or "
                         "give --decoder-first/last-pipeline-num-layers")
    u = units // pp
    return u - embedding, u, u - loss


def split_arguments(layers: int, pp: int, vpp: int) -> list[str]:
    """The arguments that give Megatron the planner's split of ``layers`` over ``pp`` stages of ``vpp`` virtual
    stages each.

    Args:
        layers: L.
        pp: the pipeline degree.
        vpp: virtual stages per GPU.

    Returns:
        The arguments (none for an even split without virtual stages).

    Raises:
        InputError: ``pp`` when no first and last stage leave the middle stages even; ``vpp`` when neither the
            layers nor the layers with the embedding and the loss divide into the virtual stages.

    Examples:
        >>> split_arguments(126, 16, 1)
        ['--decoder-first-pipeline-num-layers 7', '--decoder-last-pipeline-num-layers 7']
        >>> split_arguments(126, 16, 2)[-1]
        '--num-layers-per-virtual-pipeline-stage 4'
    """
    if pp == 1:
        return []
    if vpp == 1:
        if layers % pp == 0:
            return []
        first, middle, last = modelled_stages(layers, pp)
        if min(first, middle, last) < 1:
            raise InputError("pp", f"a degree that leaves every stage a layer (at most {layers})", pp)
        if pp == 2 or layers - first - last == middle * (pp - 2):
            return [f"--decoder-first-pipeline-num-layers {first}", f"--decoder-last-pipeline-num-layers {last}"]
        raise InputError("pp", f"a degree whose middle stages Megatron can give {middle} layers each "
                               f"(the {layers} layers with the embedding and the head as a layer each)", pp)
    chunks = pp * vpp
    if layers % chunks == 0:
        return [f"--num-layers-per-virtual-pipeline-stage {layers // chunks}"]
    if (layers + 2) % chunks == 0:
        return [*UNIT_FLAGS, f"--num-layers-per-virtual-pipeline-stage {(layers + 2) // chunks}"]
    raise InputError("vpp", f"a number of virtual stages per GPU that divides the {layers} layers (or "
                            f"{layers + 2} with the embedding and the loss) into {pp} × vpp", vpp)
