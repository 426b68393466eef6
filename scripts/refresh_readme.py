"""Rewrite the output of every ```console block in README.md from what its commands print now.

Run after a change of the package's text output, then review the diff: ``tests/test_readme.py`` compares the
blocks with the commands' output, so the README never shows what the planner no longer prints. Blocks marked
``<!-- readme-test: skip -->`` are left alone. The commands run as the test runs them (bash, repository root).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_readme as t  # noqa: E402  (the test's own block reader and shell: one definition of a block)


def main() -> int:
    lines = t.README.read_text(encoding="utf-8").splitlines()
    for block in reversed([b for b in t.BLOCKS if b.lang == "console" and not b.skip]):
        new, status = [], 0
        for _, cmd, _ in t.commands(block):
            p = t._shell(f"(exit {status}); {cmd}", timeout=300)
            status = p.returncode
            got = [s.rstrip() for s in p.stdout.splitlines()]
            while got and not got[-1]:
                got.pop()
            new += [f"$ {cmd}"] + got
        start = block.line            # the fence's line (1-based): the body starts on the next line
        lines[start:start + len(block.body)] = new
    t.README.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
