"""`planner review`: the review notebook executed for one plan, as self-contained offline HTML."""

from __future__ import annotations

from .common import EXIT_OK


def cmd_review(args) -> int:
    from ..surfaces.review import check_output, render_review

    explicit = args.output is not None
    output = args.output if explicit else "report.html"
    # Checked before anything runs: a bad path or an existing file fails in a second, not after the kernel.
    check_output(output, overwrite=explicit or args.force)
    out = render_review(args.plan, output, overwrite=True)
    print(f"wrote {out}")
    return EXIT_OK


def register(sub) -> None:
    sv = sub.add_parser("review", help="render the review notebook for a plan to a self-contained HTML file")
    sv.add_argument("plan", help="a plan TOML file (see data/plans/)")
    sv.add_argument("-o", "--output", default=None,
                    help="HTML file to write (default report.html; a file named here is replaced)")
    sv.add_argument("--force", action="store_true", help="replace an existing report.html")
    sv.set_defaults(func=cmd_review)
