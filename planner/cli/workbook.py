"""`planner workbook`: open the what-if workbook (JupyterLab on a working copy, or Voila as an app)."""

from __future__ import annotations

import argparse
import os
import shlex

from ..surfaces.workbook_words import WORKDIR_ENV
from .common import EXIT_OK, Subparsers
from .jupyter import app_environment, command


def cmd_workbook(args: argparse.Namespace) -> int:
    """Run ``planner workbook``: print the server command (``--dry-run``) or replace this process with the server.

    Args:
        args: the parsed command line.

    Returns:
        The exit code (0) of a dry run; otherwise the server never returns here.
    """
    cmd = command(app=args.app, folder=args.dir, port=args.port, browser=not args.no_browser, fresh=args.fresh,
                  create=not args.dry_run)
    cmd += [a for a in args.server_args if a != "--"]
    env = {"JUPYTER_PATH": app_environment()["JUPYTER_PATH"]} if args.app else {}   # Voila finds the template
    if args.dry_run:
        print(" ".join([*(shlex.quote(f"{k}={v}") for k, v in env.items()), shlex.join(cmd)]))
        return EXIT_OK
    os.environ.update(env)
    os.environ[WORKDIR_ENV] = os.getcwd()   # the workbook's relative paths start where it was launched
    os.execvp(cmd[0], cmd)  # the server replaces this process: Ctrl+C stops it  # pragma: no cover


def register(sub: Subparsers) -> None:
    """Add ``planner workbook`` to the command line.

    Args:
        sub: the parser's sub-parsers.
    """
    sw = sub.add_parser("workbook", help="open the what-if workbook (JupyterLab on a working copy; --app: Voila)")
    sw.add_argument("--app", action="store_true", help="serve it as an app with Voila (no code, nothing saved)")
    sw.add_argument("--dir", default="planner-workbook",
                    help="folder for the working copy JupyterLab opens (default planner-workbook/)")
    sw.add_argument("--fresh", action="store_true", help="replace the working copy with the stored notebook")
    sw.add_argument("--port", type=int, help="server port")
    sw.add_argument("--no-browser", action="store_true", help="do not open a browser")
    sw.add_argument("--dry-run", action="store_true", help="print the server command instead of running it")
    sw.add_argument("server_args", nargs=argparse.REMAINDER,
                    help="after --: options passed to JupyterLab or Voila as they are")
    sw.set_defaults(func=cmd_workbook)
