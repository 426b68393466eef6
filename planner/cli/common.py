"""What every command shares: exit codes, the one-line usage error, the parser that raises it."""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage: printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse without prefix matching, raising :class:`UsageError` instead of printing a usage block."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(message)
