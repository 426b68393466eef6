"""What every command shares: exit codes, the one-line usage error, the parser that raises it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn, TypeAlias

from .. import files
from ..verdict.policy import EXIT_BLOCKED, EXIT_LAUNCH

#: The plan may launch (the verdict's code).
EXIT_OK = EXIT_LAUNCH
#: Bad input or usage: one line on stderr naming the option or field.
EXIT_USAGE = 2
#: Standard output was closed before everything was written (``planner models | head -0``): 128 + SIGPIPE,
#: the status a shell reports for a pipeline writer whose reader went away. Never 1, which means "blocked".
EXIT_PIPE = 141


class UsageError(Exception):
    """Bad command-line usage: printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse without prefix matching, raising :class:`UsageError` instead of printing a usage block.

    Args:
        *args: as for :class:`argparse.ArgumentParser`.
        **kwargs: likewise; ``allow_abbrev`` defaults to False.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Raise instead of printing usage and exiting.

        Args:
            message: argparse's message.

        Raises:
            UsageError: Always, with ``message``.
        """
        raise UsageError(message)


#: What :func:`argparse.ArgumentParser.add_subparsers` returns for a :class:`Parser`: each command's
#: ``register(sub)`` adds its parsers to it.
Subparsers: TypeAlias = "argparse._SubParsersAction[Parser]"


#: Options (by dest) that name a file or folder a command writes.
OUTPUT_DESTS = ("output", "save")


def check_output(value: str, option: str) -> Path:
    """Refuse, before any work, an output path no command can write: a NUL byte, a name too long for the file
    system, or an existing FIFO, device or socket (writing to a FIFO would wait for a reader forever).

    Args:
        value: the path as typed.
        option: the option as the user spelled it (``-o``, ``--save``).

    Returns:
        The path as a :class:`pathlib.Path`.

    Raises:
        UsageError: naming ``option``, in one line.
    """
    return files.check_writable(value, option, error=lambda field, problem: UsageError(f"{field}: {problem}"),
                                directory_ok=True)


__all__ = ["EXIT_BLOCKED", "EXIT_OK", "EXIT_PIPE", "EXIT_USAGE", "OUTPUT_DESTS", "Parser", "Subparsers", "UsageError",
           "check_output"]
