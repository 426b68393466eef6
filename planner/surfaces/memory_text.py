"""The memory table as text: the (label, text) rows every surface shows for a memory estimate.

The command line prints them, the report puts them in its table, the review notebook shows them as a
frame. The numbers come from :class:`~planner.training.memory.MemoryEstimate`; nothing is computed here
but the wording.
"""

from __future__ import annotations

from ..format import fmt_gib
from ..training.frameworks import framework
from ..training.memory import DOMINANT_WORDS
from ..training.memory.result import MemoryEstimate


def memory_rows(e: MemoryEstimate) -> list[tuple[str, str]]:
    """(label, text) rows of a memory estimate: the parts in GiB, the total, the accelerator and the verdict.

    Args:
        e: a :class:`~planner.training.memory.MemoryEstimate`.

    Returns:
        A list of (label, text) pairs: Weights, Gradients, Optimizer, Activations, Buffers, Allocator, Overhead,
            Total (with its band), Behaviour, and with a capacity also Accelerator, Fits and, when it does not
            fit, Smallest fix.
    """
    per_layer = "" if e.activations_per_layer is None else f"  ({fmt_gib(e.activations_per_layer)} per layer)"
    out = [(name, ("unknown (a parameter count has no activations)" if e.params_only else "unknown (not modelled for "
             "non-attention layers)") if v is None else f"{fmt_gib(v):>13}{note}")
           for name, v, note in (("Weights", e.weights, ""), ("Gradients", e.gradients, ""),
                                 ("Optimizer", e.optimizer, ""), ("Activations", e.activations, per_layer),
                                 ("Buffers", e.buffers, "  (communication)"),
                                 ("Allocator", e.allocator, "  (PyTorch's reserve beyond the tensors)"),
                                 ("Overhead", e.overhead, "  (CUDA context, NCCL)"))]
    stage = "" if e.stage == "only" else f" (the {e.stage} pipeline stage, {e.stage_layers} layers)"
    band = f", {fmt_gib(e.lower)} to {fmt_gib(e.upper)} (± {e.band:.0%})" if e.band else ""
    out.append(("Total", f"{fmt_gib(e.total):>13} per GPU{stage}{band}"
                         f"{'' if e.activations is not None else ' without activations'}"))
    out.append(("Behaviour", behaviour_words(e)))
    if e.capacity is None:
        return out
    headroom = e.headroom
    assert headroom is not None   # a capacity gives a headroom
    out.append(("Accelerator", f"{e.accelerator}: {fmt_gib(e.capacity)}"))
    if e.fits is None:
        out.append(("Fits", f"unknown: the model states leave {fmt_gib(headroom)}; the activations are "
                            "unknown"))
        return out
    if e.fits:
        verdict = f"yes, {fmt_gib(headroom)} headroom at the upper end ({headroom / e.capacity:.0%} of capacity)"
    elif e.total <= e.capacity:
        verdict = (f"no: the estimate fits but its upper end is {fmt_gib(-headroom)} over; it may run out of memory "
                   f"(mostly {DOMINANT_WORDS[e.dominant]})")
    else:
        verdict = f"no, {fmt_gib(e.total - e.capacity)} over (mostly {DOMINANT_WORDS[e.dominant]})"
    largest = "" if e.max_micro_batch is None else f"; largest micro-batch {e.max_micro_batch:,}"
    out.append(("Fits", verdict + largest))
    if not e.fits:
        out.append(("Smallest fix", "none among recompute, ZeRO stage, offload, TP, PP and CP degree" if e.fix is None
                    else f"{e.fix.words}: {fmt_gib(e.fix.estimate.total)} per GPU"))
    return out


def behaviour_words(e: MemoryEstimate) -> str:
    """The framework behaviours the estimate followed, in a line.

    Args:
        e: a :class:`~planner.training.memory.MemoryEstimate`.

    Returns:
        e.g. ``torchtitan: selective = op-level (every other matmul kept); loss fp32-upcast; compiled``.
    """
    p = e.layout
    fw = framework(p.framework)
    parts = [p.framework]
    if p.recompute == "selective":
        parts.append("selective = " + ("op-level (every other matmul kept)" if fw.selective == "op-sac"
                                       else "attention core recomputed"))
    parts.append(f"loss {p.loss_kind}")
    parts.append(f"{'fp32' if p.grad_bytes == 4 else '16-bit'} gradients")
    if p.compile:
        parts.append("compiled")
    return "; ".join(parts)
