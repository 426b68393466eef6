"""What a checkpoint's headers say: :class:`CheckpointCount`, the one value every reader returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ... import files, validate
from ...errors import ConfigError, InputError

METADATA_TOTAL_KEYS = ("total_parameters", "total_params", "num_parameters", "parameter_count",
                       "general.parameter_count")


@dataclass(frozen=True)
class CheckpointCount:
    """What a checkpoint's headers say (all counts are Python ints).

    Attributes:
        path: the path the count was asked for (file, index or folder), as given.
        format: ``"safetensors"``, ``"safetensors-index"`` or ``"gguf"``.
        files: the files whose headers were read (one, or every shard).
        tensors: ``{name: number of elements}`` for every stored tensor.
        dtypes: ``{dtype: (elements, bytes)}`` over all tensors.
        metadata: the header's string metadata (safetensors ``__metadata__``; GGUF keys with
            scalar values).
        config: the folder's ``config.json`` path, or ``None``.

    Raises:
        ConfigError: on construction, when the metadata claims a total that is not a count.
    """

    path: str
    format: str
    files: tuple[str, ...]
    tensors: Mapping[str, int]
    dtypes: Mapping[str, tuple[int, int]]
    metadata: Mapping[str, object] = field(default_factory=dict)
    config: str | None = None

    def __post_init__(self) -> None:
        _ = self.metadata_total  # a claimed total that is not a count ("²", 5,000 digits) is refused on reading

    @property
    def total(self) -> int:
        """Elements over every stored tensor: the checkpoint's N."""
        return sum(self.tensors.values())

    @property
    def nbytes(self) -> int:
        """Bytes of tensor data the headers describe."""
        return sum(b for _, b in self.dtypes.values())

    @property
    def metadata_total(self) -> int | None:
        """A parameter total the metadata claims (``total_parameters`` and similar), if any.

        Raises:
            ConfigError: the claimed total is not a count (``"²"``, 5,000 digits).
        """
        for key in METADATA_TOTAL_KEYS:
            v = self.metadata.get(key)
            if v is None or isinstance(v, bool):
                continue
            if isinstance(v, (int, str)):
                try:  # "²", 5,000 digits, "7e9": read as the planner reads every count, or refused
                    n: int = validate.count(key, v.strip() if isinstance(v, str) else v, minimum=0)
                    return n
                except InputError as e:
                    raise ConfigError(f"checkpoint.__metadata__.{key}", f"{e.problem}: "
                                                                        f"{files.display(self.path)}") from None
        return None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary: format, files, tensors, total, bytes, per-dtype elements and bytes.

        Returns:
            A dict of plain numbers, strings, lists and dicts.

        Raises:
            ConfigError: the metadata claims a total that is not a count.
        """
        return {
            "format": self.format, "files": list(self.files), "tensors": len(self.tensors),
            "total": self.total, "bytes": self.nbytes,
            "dtypes": {k: {"params": n, "bytes": b} for k, (n, b) in sorted(self.dtypes.items())},
            "metadata_total": self.metadata_total,
        }
