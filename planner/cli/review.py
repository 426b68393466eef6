"""`planner review`: the review notebook executed for one plan, as self-contained offline HTML."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from ..errors import InputError, PlanFileError
from ..files import display
from ..surfaces import review as review_page  # called through the module: tests replace render_review
from .common import EXIT_OK, Subparsers


def cmd_review(args: argparse.Namespace) -> int:
    """Run ``planner review``: the review notebook executed for one plan, written as HTML.

    Args:
        args: the parsed command line.

    Returns:
        The exit code (0).

    Raises:
        InputError: a bad output path, or one that cannot be written.
        PlanFileError: the plan cannot be reviewed (a kernel error, in one line).
    """
    explicit = args.output is not None
    output = args.output if explicit else "report.html"
    # Checked before anything runs: a bad path or an existing file fails in a second, not after the kernel.
    out = review_page.check_output(output, overwrite=explicit or args.force)
    _check_writable(out)
    try:
        out = review_page.render_review(args.plan, output, overwrite=True)
    except OSError as e:
        raise InputError("output", "", detail=f"cannot write {display(out)}: {e.strerror or e}") from None
    except Exception as e:  # a kernel error: one line naming the plan, exit 2, never a traceback
        if type(e).__name__ != "CellExecutionError":
            raise
        name, value = getattr(e, "ename", "error"), str(getattr(e, "evalue", "") or "").strip()
        first = value.splitlines()[0] if value else ""
        raise PlanFileError("plan", f"cannot be reviewed: {name}: {first}"[:400]) from None
    print(f"wrote {out}")
    return EXIT_OK


def _check_writable(out: Path) -> None:
    """Create and remove a scratch file beside ``out``: a folder that refuses files (``/proc``) fails in a second."""
    parent = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".planner-review-", suffix=".tmp")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise InputError("output", "", detail=f"cannot write to the folder {display(parent)} "
                                             f"({e.strerror or e})") from None


def register(sub: Subparsers) -> None:
    """Add ``planner review`` to the command line.

    Args:
        sub: the parser's sub-parsers.
    """
    sv = sub.add_parser("review", help="render the review notebook for a plan to a self-contained HTML file")
    sv.add_argument("plan", help="a plan TOML file (see data/plans/)")
    sv.add_argument("-o", "--output", default=None,
                    help="HTML file to write (default report.html; a file named here is replaced)")
    sv.add_argument("--force", action="store_true", help="replace an existing report.html")
    sv.set_defaults(func=cmd_review)
