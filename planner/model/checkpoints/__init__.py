"""N straight from a checkpoint's headers: safetensors files, sharded indexes, GGUF, model folders.

A checkpoint stores every tensor's shape in a header in front of the weights, so its
parameter count is exact for any architecture and costs a few kilobytes of reading: this
module reads the header bytes only, never the tensor data, so a 100 GB checkpoint is
counted as fast as a 10 MB one. It checks what it reads (one malformed header gives one
:class:`~planner.errors.ConfigError` naming the file and the field), refuses anything that
is not a regular file (a FIFO or a device could block or never end) and caps the bytes
read.

Formats:

* ``*.safetensors``: 8-byte little-endian header length, a JSON header of
  ``{name: {"dtype", "shape", "data_offsets"}}`` plus an optional ``__metadata__``;
* ``model.safetensors.index.json``: a sharded checkpoint; the shards named in its
  ``weight_map`` must sit beside it and each shard's header is read once;
* ``*.gguf`` (version 2 and 3, either byte order): key/value metadata then tensor infos
  (name, dims, ggml type, offset); the shapes are the logical element counts, so a
  quantized GGUF still gives the exact N;
* a folder: ``config.json`` plus weights (an index, ``model.safetensors``, one
  ``*.safetensors`` or one ``*.gguf``).

The count is of stored tensors. It can differ from the architecture's parameter count,
and :func:`explain` says why when it can: a tied head stored twice, buffers that are not
parameters (GPT-2's ``attn.bias`` mask, rotary ``inv_freq``), extra layers (DeepSeek-V3's
multi-token prediction), a vision tower, packed integer (quantized) tensors, or a
``total_parameters`` metadata field that disagrees with the shapes.

The package, one job per module: :mod:`~.count` (the :class:`CheckpointCount` every reader returns),
:mod:`~.safetensors` and :mod:`~.gguf` (header readers), :mod:`~.dispatch` (which reader a path
needs: :func:`read_checkpoint`), :mod:`~.tensors` (what each tensor is: :func:`tensor_kind`,
:func:`param_count`) and :mod:`~.explain` (why a checkpoint and its config disagree). Every path is
opened through :mod:`planner.files`.
"""

from __future__ import annotations

from .count import METADATA_TOTAL_KEYS, CheckpointCount
from .dispatch import is_checkpoint, read_checkpoint, weights_in
from .explain import explain
from .gguf import (
                   GGML_TYPES,
                   MAX_GGUF_HEADER,
                   MAX_GGUF_ITEMS,
                   MAX_GGUF_KEYS,
                   MAX_GGUF_NESTED,
                   MAX_GGUF_TENSORS,
                   read_gguf,
)
from .safetensors import (
                   INTEGER_DTYPES,
                   MAX_INDEX_BYTES,
                   MAX_SAFETENSORS_HEADER,
                   MAX_SHARDS,
                   SAFETENSORS_BITS,
                   read_safetensors,
                   read_safetensors_index,
)
from .tensors import breakdown, param_count, tensor_kind

__all__ = ["GGML_TYPES", "INTEGER_DTYPES", "MAX_GGUF_HEADER", "MAX_GGUF_ITEMS", "MAX_GGUF_KEYS", "MAX_GGUF_NESTED",
           "MAX_GGUF_TENSORS", "MAX_INDEX_BYTES", "MAX_SAFETENSORS_HEADER", "MAX_SHARDS", "METADATA_TOTAL_KEYS",
           "SAFETENSORS_BITS", "CheckpointCount", "breakdown", "explain", "is_checkpoint", "param_count",
           "read_checkpoint", "read_gguf", "read_safetensors", "read_safetensors_index", "tensor_kind",
           "weights_in"]
