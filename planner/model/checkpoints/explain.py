"""Why a checkpoint's N and its config's differ, one sentence per reason."""

from __future__ import annotations

import re

from .count import CheckpointCount
from .safetensors import INTEGER_DTYPES
from .tensors import tensor_kind


def explain(c: CheckpointCount, config_total: int, *, tied: bool | None = None,
            num_layers: int | None = None) -> list[str]:
    """Reasons the checkpoint's N differs from the config's, one sentence each.

    Args:
        c: the checkpoint count.
        config_total: the config's total (its architecture's parameters, tied head once).
        tied: whether the config ties the LM head to the token embedding, if known.
        num_layers: the config's number of layers, if known (more stored layers are extra).

    Returns:
        Empty when the counts agree and the metadata does not contradict them; otherwise the
            differences it can name, and a last line with any part it cannot explain.
    """
    out: list[str] = []
    diff = c.total - config_total
    explained = 0
    if diff:
        names = list(c.tensors)
        heads = [n for n in names if tensor_kind(n) == "head" and n.endswith("weight")]
        embs = [n for n in names if tensor_kind(n) == "embeddings"]
        if tied and heads and embs and c.tensors[heads[0]] == c.tensors[embs[0]]:
            n = c.tensors[heads[0]]
            out.append(f"the tied LM head is stored a second time as {heads[0]} ({n:,})")
            explained += n
        bufs = [n for n in names if tensor_kind(n) == "buffer"]
        if bufs:
            n = sum(c.tensors[b] for b in bufs)
            out.append(f"{len(bufs)} stored buffer(s) that are not parameters, e.g. {bufs[0]} ({n:,})")
            explained += n
        vis = [n for n in names if tensor_kind(n) == "vision"]
        if vis:
            n = sum(c.tensors[v] for v in vis)
            out.append(f"a vision tower and projector that the language-model count leaves out ({n:,})")
            explained += n
        if num_layers is not None:
            extra = [t for t in names if (m := re.search(r"(?:^|\.)(?:layers|h|blk|blocks)\.(\d+)\.", t))
                     and int(m.group(1)) >= num_layers and tensor_kind(t) not in ("buffer", "vision")]
            if extra:
                n = sum(c.tensors[t] for t in extra)
                out.append(f"{len(extra)} tensor(s) of layers beyond num_hidden_layers={num_layers} "
                           f"(e.g. multi-token prediction), ({n:,})")
                explained += n
        ints = {k: v for k, v in c.dtypes.items() if k in INTEGER_DTYPES}
        if ints and explained != diff:
            n = sum(v[0] for v in ints.values())
            out.append(f"{n:,} elements are integer-typed ({', '.join(sorted(ints))}): packed quantized weights "
                       f"store several parameters per element, so the header count is not N")
        rest = diff - explained
        if rest:
            out.append(f"{abs(rest):,} parameters {'more' if rest > 0 else 'fewer'} in the checkpoint "
                       f"that no rule above explains")
    mt = c.metadata_total
    if mt is not None and mt != c.total:
        out.append(f"the metadata claims {mt:,} parameters but the tensor shapes sum to {c.total:,} "
                   f"(the shapes are what is stored)")
    return out
