"""The ``planner`` command line: the same numbers as the notebooks, for launch scripts.

Exit codes: 0 the plan may launch (warnings on stderr), 1 blocked by the gate,
2 bad input or usage (one line on stderr naming the field).

Each command lives in its own module with a ``register(sub)`` function; :data:`COMMANDS`
lists them in the order ``planner --help`` shows.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from .. import __version__
from ..errors import PlannerError, PlannerWarning
from . import laws, model, plan, review
from .common import EXIT_BLOCKED, EXIT_OK, EXIT_USAGE, Parser, UsageError

COMMANDS = (model, plan, review, laws)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="planner", description="Pretraining-budget planner: N, D, D/N and the Chinchilla gate.")
    p.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        module.register(sub)
    return p


def _as_typed(parser: argparse.ArgumentParser, command: str | None, e: PlannerError) -> str:
    """The error with its field named as the user typed it: ``steps`` -> ``--steps``, ``thresholds.block`` -> ``--block``.

    Only fields that are options of the command are renamed; plan and config fields keep their names.
    """
    sub = parser._subparsers._group_actions[0].choices.get(command) if command and parser._subparsers else None
    if not e.field or sub is None:
        return str(e)
    options = {a.dest: a.option_strings[0] for a in sub._actions if a.option_strings}
    dest = e.field
    for prefix in ("thresholds.", "corpus.", "training.", "model.", "hardware."):
        if dest.startswith(prefix) and dest.removeprefix(prefix) in options:
            dest = dest.removeprefix(prefix)
    return f"{options[dest]}: {e.problem}" if dest in options else str(e)


def main(argv=None) -> int:
    parser = build_parser()
    command = None
    try:
        args = parser.parse_args(argv)
        command = args.command
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlannerWarning)  # the CLI prints its own warnings
            return args.func(args)
    except UsageError as e:
        print(f"planner: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except PlannerError as e:
        print(f"planner: error: {_as_typed(parser, command, e)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    sys.exit(main())
