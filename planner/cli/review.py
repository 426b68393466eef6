"""`planner review`: the review notebook executed for one plan, as self-contained HTML."""

from __future__ import annotations

from .common import EXIT_OK


def cmd_review(args) -> int:
    from ..surfaces.review import render_review
    out = render_review(args.plan, args.output)
    print(f"wrote {out}")
    return EXIT_OK


def register(sub) -> None:
    sv = sub.add_parser("review", help="render the review notebook for a plan to a self-contained HTML file")
    sv.add_argument("plan", help="a plan TOML file (see data/plans/)")
    sv.add_argument("-o", "--output", default="report.html", help="HTML file to write (default report.html)")
    sv.set_defaults(func=cmd_review)
