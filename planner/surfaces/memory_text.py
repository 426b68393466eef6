"""The memory table as text: the (label, text) rows every surface shows for a memory estimate.

The command line prints them, the report puts them in its table, the review notebook shows them as a
frame. The numbers come from :class:`~planner.training.memory.MemoryEstimate`; nothing is computed here
but the wording.
"""

from __future__ import annotations

from ..format import fmt_gib
from ..training.memory import DOMINANT_WORDS
from ..training.memory.result import MemoryEstimate


def memory_rows(e: MemoryEstimate) -> list[tuple[str, str]]:
    """(label, text) rows of a memory estimate: the parts in GiB, the total, the accelerator and the verdict.

    Args:
        e: a :class:`~planner.training.memory.MemoryEstimate`.

    Returns:
        A list of (label, text) pairs: Weights, Gradients, Optimizer, Activations, Overhead, Total, and with a
            capacity also Accelerator, Fits and, when it does not fit, Smallest fix.
    """
    per_layer = "" if e.activations_per_layer is None else f"  ({fmt_gib(e.activations_per_layer)} per layer)"
    out = [(name, ("unknown (a parameter count has no activations)" if e.params_only else "unknown (not modelled for "
             "non-attention layers)") if v is None else f"{fmt_gib(v):>13}{note}")
           for name, v, note in (("Weights", e.weights, ""), ("Gradients", e.gradients, ""),
                                 ("Optimizer", e.optimizer, ""), ("Activations", e.activations, per_layer),
                                 ("Overhead", e.overhead, "  (allowance)"))]
    stage = "" if e.stage == "only" else f" (the {e.stage} pipeline stage)"
    out.append(("Total", f"{fmt_gib(e.total):>13} per GPU{stage}"
                         f"{'' if e.activations is not None else ' without activations'}"))
    if e.capacity is None:
        return out
    headroom = e.headroom
    assert headroom is not None   # a capacity gives a headroom
    out.append(("Accelerator", f"{e.accelerator}: {fmt_gib(e.capacity)}"))
    if e.fits is None:
        out.append(("Fits", f"unknown: the model states leave {fmt_gib(headroom)}; the activations are "
                            "unknown"))
        return out
    verdict = (f"yes, {fmt_gib(headroom)} headroom ({headroom / e.capacity:.0%} of capacity)"
               if e.fits else f"no, {fmt_gib(-headroom)} over (mostly {DOMINANT_WORDS[e.dominant]})")
    largest = "" if e.max_micro_batch is None else f"; largest micro-batch {e.max_micro_batch:,}"
    out.append(("Fits", verdict + largest))
    if not e.fits:
        out.append(("Smallest fix", "none among recompute, ZeRO stage and TP degree" if e.fix is None else
                    f"{e.fix.words}: {fmt_gib(e.fix.estimate.total)} per GPU"))
    return out
