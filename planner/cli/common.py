"""What every command shares: exit codes, the one-line usage error, the parser that raises it."""

from __future__ import annotations

import argparse

EXIT_OK, EXIT_BLOCKED, EXIT_USAGE = 0, 1, 2
#: Standard output was closed before everything was written (``planner models | head -0``): 128 + SIGPIPE,
#: the status a shell reports for a pipeline writer whose reader went away. Never 1, which means "blocked".
EXIT_PIPE = 141


class UsageError(Exception):
    """Bad command-line usage: printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse without prefix matching, raising :class:`UsageError` instead of printing a usage block."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(message)
