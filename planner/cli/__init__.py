"""The ``planner`` command line: the same numbers as the notebooks, for launch scripts.

Exit codes: 0 the plan may launch (warnings on stderr), 1 blocked by the gate,
2 bad input or usage (one line on stderr naming the field), 141 standard output closed early
(``planner models | head -0``: quietly, as a pipeline writer killed by SIGPIPE would).

Each command lives in its own module with a ``register(sub)`` function; :data:`COMMANDS`
lists them in the order ``planner --help`` shows.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence

from .. import __version__
from ..errors import PlannerError, PlannerWarning
from ..files import display
from ..training.parallelism import Parallelism
from ..validate import escape
from . import advise, fit, launch, laws, layout, memory, model, plan, review, workbook
from .common import EXIT_PIPE, EXIT_USAGE, OUTPUT_DESTS, Parser, UsageError, check_output

COMMANDS = (model, plan, review, workbook, laws, fit, memory, layout, launch, advise)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="planner", description="Pretraining-budget planner: N, D, D/N and the Chinchilla gate.")
    p.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        module.register(sub)
    return p


#: Prefixes of internal field names that the command line spells as a bare option (``corpus.unique_tokens`` is
#: ``--unique-tokens``). ``config.*`` and ``plan.*`` name a key inside a file and keep their names.
_OPTION_PREFIXES = ("thresholds.", "corpus.", "training.", "budget.", "model.", "hardware.")
#: Internal field names whose option is spelled differently.
_OPTION_ALIASES = {"corpus.name": "corpus"}


def _as_typed(parser: argparse.ArgumentParser, args: argparse.Namespace | None, e: PlannerError) -> str:
    """The error with its field named as the user typed it: ``steps`` -> ``--steps``, ``thresholds.block`` ->
    ``--block``, ``corpus.unique_tokens`` -> ``--unique-tokens``; a model source error names ``--model`` or
    ``--config``, whichever was given.

    Only fields that are options of the command are renamed; plan and config fields keep their names.
    """
    sub = _subparser(parser, args)
    if not e.field or sub is None:
        return str(e)
    options = {a.dest: max(a.option_strings, key=len) for a in sub._actions if a.option_strings}
    layout = _layout_source(args, e.field)
    if layout is not None:
        return f"{layout}: {e.problem}"
    dest = _OPTION_ALIASES.get(e.field, e.field)
    if dest in ("config", "model", "checkpoint") and "config" in options and "model" in options:
        given = [k for k in ("model", "config") if getattr(args, k, None) is not None]
        dest = given[0] if given else dest
    for prefix in _OPTION_PREFIXES:
        if dest.startswith(prefix) and dest.removeprefix(prefix) in options:
            dest = dest.removeprefix(prefix)
    return f"{options[dest]}: {e.problem}" if dest in options else str(e)


def _subparser(parser: argparse.ArgumentParser, args: argparse.Namespace | None) -> argparse.ArgumentParser | None:
    """The parser of the command ``args`` name, or None before a command was parsed."""
    command = getattr(args, "command", None)
    if not command or not parser._subparsers:
        return None
    action = parser._subparsers._group_actions[0]   # the sub-parsers: the only action of their group
    return action.choices.get(command) if isinstance(action, argparse._SubParsersAction) else None


def _option_of(parser: argparse.ArgumentParser, args: argparse.Namespace | None, filename: object) -> str | None:
    """The option (as spelled in ``--help``) whose value is ``filename`` (or contains it: ``"\\x00"``)."""
    sub = _subparser(parser, args) if args is not None else None
    if sub is None or filename is None:
        return None
    name = os.fsdecode(filename) if isinstance(filename, bytes) else str(filename)
    for a in sub._actions:
        v = getattr(args, a.dest, None)
        if isinstance(v, str) and v and (v == name or (name == "\x00" and "\x00" in v)
                                         or os.path.abspath(v) == os.path.abspath(name)
                                         or os.path.abspath(name).startswith(os.path.abspath(v).rstrip("/") + "/")):
            return max(a.option_strings, key=len) if a.option_strings else a.dest
    return None


def _check_outputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Output paths (``-o``, ``--save``) checked before any work: a FIFO would block the write forever."""
    sub = _subparser(parser, args)
    for a in (sub._actions if sub is not None else ()):
        if a.dest in OUTPUT_DESTS and isinstance(getattr(args, a.dest, None), str):
            check_output(getattr(args, a.dest), "/".join(a.option_strings) if len(a.option_strings) > 1
                         else a.option_strings[0])


def _layout_source(args: argparse.Namespace | None, field: str) -> str | None:
    """Where a layout field (``tp``, ``zero``...) not given as an option came from: ``plan.parallelism.tp`` for a
    plan file's ``[parallelism]`` table, ``run.sh: parallelism.tp`` for a launch file; None otherwise."""
    if field not in Parallelism.__dataclass_fields__ or getattr(args, field, None) not in (None, False):
        return None
    launch = getattr(args, "launch_config", None)
    if launch is not None:
        return f"{display(os.path.basename(str(launch)))}: parallelism.{field}"
    if getattr(args, "plan", None) is not None:
        return f"plan.parallelism.{field}"
    return None


def _error(message: str) -> int:
    """Print ``planner: error: message`` as one line (control characters escaped) and return the usage exit code."""
    print(f"planner: error: {escape(message)}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    Args:
        argv: The arguments after ``planner`` (a list of str); None reads ``sys.argv[1:]``.

    Returns:
        0 (may launch), 1 (blocked), 2 (bad input or usage: one line on stderr, never a traceback),
            130 (interrupted) or 141 (standard output was closed early, e.g. ``planner models | head -0``:
            the conventional status of a pipeline writer whose reader went away; nothing is printed).

    Examples:
        Qwen2.5-0.5B on 2,700 steps of 8,192 tokens is blocked (the reason goes to stderr):

        >>> main(["check", "--model", "qwen2.5-0.5b", "--steps", "2700", "--tokens-per-step", "8192"])
        Verdict                  SEVERE — blocked: D/N 0.045
        ...
        1
    """
    parser = build_parser()
    args = None
    try:
        args = parser.parse_args(argv)
        _check_outputs(parser, args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlannerWarning)  # the CLI prints its own warnings
            code: int = args.func(args)   # the command's cmd_* function
            return code
    except UsageError as e:
        return _error(str(e))
    except PlannerError as e:
        return _error(_as_typed(parser, args, e))
    except BrokenPipeError:
        return EXIT_PIPE
    except OSError as e:  # a path the file system refuses (too long, a loop, ...) that no reader caught first
        where = f" ({display(e.filename)})" if e.filename is not None else ""
        option = _option_of(parser, args, e.filename)
        return _error(f"{option}: cannot use {display(e.filename)}: {e.strerror or e}" if option
                      else f"cannot read a file: {e.strerror or e}{where}")
    except ValueError as e:  # a NUL byte in a path that reached the OS unchecked: name the option holding it
        if "null byte" not in str(e):
            raise
        option = _option_of(parser, args, "\x00")
        return _error(f"{option or 'path'}: the file path contains a NUL byte")
    except KeyboardInterrupt:
        return 130


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's final flush into a closed pipe stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def entry() -> None:
    """The ``planner`` console script: :func:`main`, then exit with its code (141 quietly on a closed pipe)."""
    code = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_PIPE
    except (OSError, ValueError):
        pass
    if code == EXIT_PIPE:
        _silence_stdout()
    sys.exit(code)
