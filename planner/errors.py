"""The planner's errors and warnings: one base class, specific subclasses.

Every error names the field it is about and what is accepted, so a message can be
shown to a user as it is (the command line prints it on one line and exits 2).
"""

from __future__ import annotations

from typing import Protocol


class PlannerError(ValueError):
    """Base class of every error the planner raises on purpose.

    ``field`` names what is wrong and ``problem`` says what, so a caller can re-label the
    field (``steps`` → ``--steps``, ``plan.training.steps``) without parsing the message.

    Attributes:
        field: the input the error is about (empty when none).
    """

    field: str = ""

    @property
    def problem(self) -> str:
        """The message without its ``field: `` prefix."""
        msg = str(self)
        return msg[len(self.field) + 2:] if self.field and msg.startswith(self.field + ": ") else msg


class InputError(PlannerError):
    """A value is out of range or of the wrong kind.

    Args:
        field: the input (``steps``, ``config.hidden_size``, ``plan.corpus.tokens``).
        accepted: what would be accepted (``a whole number from 1 to 10^30``).
        got: the offending value (quoted in the message unless ``detail`` is given).
        detail: the whole problem, in place of ``must be <accepted>, got <got>``.

    Examples:
        >>> str(InputError("steps", "a whole number >= 1", 0))
        'steps: must be a whole number >= 1, got 0'
    """

    def __init__(self, field: str, accepted: str, got: object = None, *, detail: str | None = None):
        self.field = field
        self.accepted = accepted
        self.got = got
        msg = f"{field}: {detail or 'must be ' + accepted}"
        if got is not None and detail is None:
            msg += f", got {got!r}"
        super().__init__(msg)


class ConfigError(PlannerError):
    """A model config cannot be read or does not describe a supported architecture.

    Args:
        field: what is wrong (``config``, ``config.hidden_size``, ``plan``).
        problem: what is wrong with it, in words.
    """

    def __init__(self, field: str, problem: str):
        self.field = field
        super().__init__(f"{field}: {problem}")


class UnknownModelError(ConfigError):
    """A model name is not in the catalog, or a ``model_type`` is not supported."""


class PlanFileError(ConfigError):
    """A plan file is missing, malformed, or has a bad field."""


class _Judgement(Protocol):
    """What :class:`BlockedPlanError` needs of a gate result (the verdict layer's ``GateResult``): its message."""

    @property
    def message(self) -> str: ...


class BlockedPlanError(PlannerError):
    """Raised by the gate when a plan is below the launch threshold and ``force`` is not set.

    Args:
        result: the gate's :class:`~planner.verdict.gate.GateResult` (kept as ``result``; its message is
            the error's).
    """

    def __init__(self, result: _Judgement):
        self.result = result
        super().__init__(result.message)


class PlannerWarning(UserWarning):
    """Base class of the planner's warnings."""


class UnderProvisionedWarning(PlannerWarning):
    """A plan trains on fewer tokens per parameter than the compute-optimal target."""


class DataRepetitionWarning(PlannerWarning):
    """A plan repeats its corpus enough that extra epochs add little."""
