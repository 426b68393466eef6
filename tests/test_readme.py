"""The README and the docs run: every example in README.md and docs/*.md is executed, and printed output is
compared wherever the page shows it.

* ```` ```pycon ```` blocks: ``>>>`` sessions run as doctests in a fresh namespace from the repository root;
  every value shown is compared (ellipsis ``...`` and whitespace differences allowed).
* ```` ```python ```` blocks: each runs in a fresh namespace, from the repository root, in page order.
* ```` ```console ```` blocks: each ``$ command`` line runs with bash from the repository root; its standard
  output must equal the lines shown under it, up to the next ``$`` line (trailing spaces ignored).
  ``echo $?`` prints the previous command's exit code, as in a terminal.
* ```` ```bash ```` blocks: run as one bash script (``set -e``) from the repository root.

A block is skipped only when the line directly above its fence is ``<!-- readme-test: skip -->`` (installing,
launching JupyterLab or a server). A block that imports torch, transformers, accelerate, lightning or
``planner.integrations`` is marked ``integration`` (run by ``python -m pytest -m integration``). Other fences
(``toml``, plain) are documentation. A failure names the block's page and line (``docs/memory.md:42``).
"""

from __future__ import annotations

import doctest
import os
import re
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
SKIP_MARK = "<!-- readme-test: skip -->"
RUN = ("python", "pycon", "console", "bash")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


@dataclass
class Block:
    line: int          # the fence's line number in its page (1-based)
    lang: str
    body: list[str]
    skip: bool
    page: str = "README.md"

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}-{self.lang}"

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(text: str, page: str = "README.md") -> list[Block]:
    """Every fenced block of ``text`` with its language, its fence's line number and the skip mark."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        if i >= len(lines):
            raise AssertionError(f"{page}:{start + 1}: the {lang or 'plain'} block opened here is never closed")
        skip = start > 0 and lines[start - 1].strip() == SKIP_MARK
        out.append(Block(start + 1, lang, body, skip, page))
        i += 1
    return out


BLOCKS = [b for page in PAGES for b in blocks(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)))
          if b.lang in RUN]


# A block importing one of the integration extra's packages (or the callbacks built on them) is an integration test.
HEAVY = re.compile(r"^\s*(?:from|import)\s+(?:torch|transformers|accelerate|lightning|planner\.integrations)\b", re.M)


def marks(b: Block) -> tuple:
    if b.skip:
        return (pytest.mark.skip(reason=SKIP_MARK),)
    return (pytest.mark.integration,) if HEAVY.search("\n".join(b.body)) else ()


def params(lang: str):
    return [pytest.param(b, id=b.id, marks=marks(b)) for b in BLOCKS if b.lang == lang]


def _env() -> dict:
    """The environment of a README command: this interpreter's ``planner`` first on PATH, no colour, no warnings
    turned into errors."""
    bindir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONWARNINGS", None)
    env["PLANNER_README_TEST"] = "1"
    return env


def _shell(script: str, timeout: int) -> subprocess.CompletedProcess:
    """Run ``script`` with bash from the repository root in its own session; on timeout the whole group is killed
    (a README command that starts a server must be marked skip, and fails here instead of hanging)."""
    p = subprocess.Popen(["bash", "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, text=True, env=_env(), start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail(f"still running after {timeout} s (a server? mark the block with {SKIP_MARK})", pytrace=False)
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


# ---- python ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("block", params("python"))
def test_python_block_runs(block, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = "\n".join(block.body) + "\n"
    try:
        compiled = compile(code, block.where, "exec")
    except SyntaxError as e:
        pytest.fail(f"{block.id}: the python block does not parse: {e}", pytrace=False)
    namespace = {"__name__": "__readme__"}
    failure = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an example may warn (a below-optimal plan does); it must not raise
        try:
            exec(compiled, namespace)
        except Exception as e:  # noqa: BLE001 - any exception is a broken example
            failure = (f"{block.id}: the python block raised {type(e).__name__} at {block.page}:{_line_of(e, block)}: "
                       f"{str(e)[:500]}")
    if failure:
        pytest.fail(failure, pytrace=False)


def _line_of(e: BaseException, block: Block) -> int:
    """The page line of the innermost frame of ``e`` that is in the block."""
    tb, line = e.__traceback__, block.line
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == block.where:
            line = block.line + tb.tb_lineno
        tb = tb.tb_next
    return line


# ---- pycon (doctest sessions) ----------------------------------------------------------------------

@pytest.mark.parametrize("block", params("pycon"))
def test_pycon_block_shows_what_it_prints(block, monkeypatch):
    monkeypatch.chdir(ROOT)
    test = doctest.DocTestParser().get_doctest("\n".join(block.body) + "\n", {"__name__": "__readme__"},
                                               block.id, block.page, block.line)
    assert test.examples, f"{block.id}: a pycon block without a `>>>` example"
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runner.run(test, out=report.append)
    if runner.failures:
        text = "".join(report).replace(f'File "{block.page}", line ', f"{block.page}:")
        pytest.fail(f"{block.id}: {runner.failures} example(s) printed something else than the page shows:\n"
                    f"{text[-3000:]}", pytrace=False)


# ---- console ---------------------------------------------------------------------------------------

def commands(block: Block) -> list[tuple[int, str, list[str]]]:
    """``(README line, command, expected stdout lines)`` for each ``$ command`` of a console block."""
    out = []
    for k, text in enumerate(block.body):
        if text.startswith("$ "):
            out.append((block.line + 1 + k, text[2:], []))
        elif out:
            out[-1][2].append(text.rstrip())
        elif text.strip():
            raise AssertionError(f"{block.page}:{block.line + 1 + k}: output before the first `$ ` command")
    return out


@pytest.mark.parametrize("block", params("console"))
def test_console_block_prints_what_the_readme_shows(block):
    cmds = commands(block)
    assert cmds, f"{block.id}: a console block without a `$ ` command"
    status = 0
    for line, cmd, expected in cmds:
        # `(exit N)` first, so `$?` in this command is the previous command's status, as in a terminal
        p = _shell(f"(exit {status}); {cmd}", timeout=300)
        status = p.returncode
        got = [s.rstrip() for s in p.stdout.splitlines()]
        want = list(expected)
        while want and not want[-1]:
            want.pop()
        while got and not got[-1]:
            got.pop()
        if got != want:
            diff = "\n".join(f"  README: {w!r}\n  actual: {g!r}" for w, g in _pairs(want, got) if w != g)
            pytest.fail(f"{block.page}:{line}: `$ {cmd}` printed something else than the page shows "
                        f"(exit {status}; stderr: {p.stderr.strip()[-300:]!r}):\n{diff}", pytrace=False)


def _pairs(a, b):
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(n)]


# ---- bash ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("block", params("bash"))
def test_bash_block_runs(block):
    script = "set -euo pipefail\n" + "\n".join(block.body) + "\n"
    p = _shell(script, timeout=600)
    assert p.returncode == 0, (f"{block.id}: the bash block exited {p.returncode}; stderr: "
                               f"{p.stderr.strip()[-500:]}")


# ---- the extraction itself -----------------------------------------------------------------------------

def test_blocks_are_found_with_their_lines_and_skip_marks():
    text = "intro\n```python\nx = 1\n```\n<!-- readme-test: skip -->\n```bash\nrm -rf /\n```\n```toml\na = 1\n```\n"
    got = blocks(text)
    assert [(b.line, b.lang, b.body, b.skip) for b in got] == [
        (2, "python", ["x = 1"], False), (6, "bash", ["rm -rf /"], True), (9, "toml", ["a = 1"], False)]


def test_console_commands_pair_with_their_output():
    b = Block(10, "console", ["$ planner models", "gpt2", "qwen", "$ echo $?", "0"], False)
    assert commands(b) == [(11, "planner models", ["gpt2", "qwen"]), (14, "echo $?", ["0"])]


def test_an_unclosed_fence_names_its_line():
    with pytest.raises(AssertionError, match="README.md:2"):
        blocks("text\n```python\nx = 1\n")


def test_the_readme_has_runnable_examples():
    langs = [b.lang for b in BLOCKS if not b.skip]
    assert langs.count("python") >= 2 and langs.count("console") >= 1


def test_blocks_needing_the_integration_extra_are_marked():
    heavy = Block(1, "python", ["import planner", "from planner.integrations.hf import PlannerCallback"], False)
    light = Block(2, "python", ["import planner  # no torch: transformers' counts are recorded"], False)
    assert [m.name for m in marks(heavy)] == ["integration"] and marks(light) == ()
