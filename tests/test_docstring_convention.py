"""One docstring convention across the package: Google style, as mkdocstrings renders docs/api.md.

Read from the source (no import), so the check is fast and sees every module:

* every public function or method (no leading underscore; properties excluded) that takes arguments has
  an ``Args:`` section, ``Returns:`` (or ``Yields:``) when it returns a value, and ``Raises:`` when it raises a
  planner error itself (``raise InputError(...)``), because the errors are part of the API; one without
  arguments, like a property, may have a one-line docstring;
* no numpy-style sections (``Parameters`` over a ``----------`` underline);
* every public class has a docstring;
* a ``Returns:``/``Yields:`` section is one item: its continuation lines are indented under its first line
  (griffe, which renders docs/api.md, reads every line at the first line's indentation as a new item).

The test cannot pass vacuously: :func:`test_the_checks_catch_a_bad_docstring` feeds each rule a function
that breaks it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from planner import errors

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "planner"

#: Not checked: generated code.
NOT_YET = (
    "planner/model/families/_class_defaults.py",  # generated
)

#: The errors a function raises on purpose: the planner's own, and the command line's usage error.
PLANNER_ERRORS = frozenset(name for name, obj in vars(errors).items()
                           if isinstance(obj, type) and issubclass(obj, errors.PlannerError)) | {"UsageError"}

_NUMPY_SECTION = re.compile(r"^\s*(Parameters|Returns|Raises|Yields|Examples|Attributes|Notes)\s*\n\s*-{3,}\s*$",
                            re.MULTILINE)
_RETURNS = re.compile(r"^(\s*)(Returns|Yields):\s*$")


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if not p.relative_to(ROOT).as_posix().startswith(NOT_YET))


def _decorators(fn) -> set[str]:
    return {d.id if isinstance(d, ast.Name) else d.attr if isinstance(d, ast.Attribute) else ""
            for d in fn.decorator_list}


def _public_functions(tree: ast.Module):
    """Module-level functions and the methods of public classes, with their class (None at module level)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, None
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield sub, node


def _takes_arguments(fn, in_class: bool) -> bool:
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    if in_class and "staticmethod" not in _decorators(fn) and names:
        names = names[1:]  # self or cls
    return bool(names or a.vararg or a.kwarg)


def _own_nodes(fn):
    """The nodes of ``fn``'s body, without those of functions and classes defined inside it."""
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


def _returns_value(fn) -> bool:
    for node in _own_nodes(fn):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            return True
    return False


def _raises_planner_error(fn) -> set[str]:
    raised = set()
    for node in _own_nodes(fn):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = exc.id if isinstance(exc, ast.Name) else getattr(exc, "attr", None)
            if name in PLANNER_ERRORS:
                raised.add(name)
    return raised


def _returns_items(doc: str) -> list[str]:
    """The first lines of Returns/Yields sections that have a continuation line at the first line's indentation."""
    lines = doc.splitlines()
    bad = []
    for i, line in enumerate(lines):
        m = _RETURNS.match(line)
        if not m:
            continue
        section = len(m.group(1))
        body = [t for t in lines[i + 1:]]
        first = next((t for t in body if t.strip()), None)
        if first is None or len(first) - len(first.lstrip()) <= section:
            continue
        indent = len(first) - len(first.lstrip())
        for t in body[body.index(first) + 1:]:
            if not t.strip():
                continue
            depth = len(t) - len(t.lstrip())
            if depth <= section:
                break
            if depth == indent:
                bad.append(first.strip()[:60])
                break
    return bad


def problems(source: str, where: str = "<source>") -> list[str]:
    """Every breach of the convention in one module's source, as ``where:line name: what``."""
    tree = ast.parse(source)
    out = [f"{where}: numpy-style section {m.group(1)!r}" for m in _NUMPY_SECTION.finditer(source)]
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not ast.get_docstring(node):
            out.append(f"{where}:{node.lineno} class {node.name}: no docstring")
    for fn, cls in _public_functions(tree):
        if fn.name.startswith("_") or _decorators(fn) & {"property", "cached_property", "setter", "overload"}:
            continue
        name = f"{where}:{fn.lineno} {cls.name + '.' if cls else ''}{fn.name}"
        doc = ast.get_docstring(fn) or ""
        if not _takes_arguments(fn, cls is not None):
            continue  # like a property: a one-line docstring is enough
        if "Args:" not in doc:
            out.append(f"{name}: no Args: section")
        if _returns_value(fn) and "Returns:" not in doc and "Yields:" not in doc:
            out.append(f"{name}: returns a value but has no Returns: section")
        raised = _raises_planner_error(fn)
        if raised and "Raises:" not in doc:
            out.append(f"{name}: raises {', '.join(sorted(raised))} but has no Raises: section")
        for first in _returns_items(doc):
            out.append(f"{name}: Returns/Yields continuation lines must be indented under {first!r}")
    return out


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_docstrings_follow_the_convention(path):
    found = problems(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert not found, "\n".join(found)


def test_not_yet_names_real_paths():
    for entry in NOT_YET:
        assert (ROOT / entry).exists(), f"NOT_YET names {entry}, which does not exist: drop it"


GOOD = '''
class Thing:
    """A thing."""

    def size(self, scale):
        """The size.

        Args:
            scale: a factor.

        Returns:
            The size times ``scale``, a number that
                continues here.

        Raises:
            InputError: ``scale`` is negative.
        """
        if scale < 0:
            raise InputError("scale", ">= 0", scale)
        return 2 * scale

    @property
    def name(self):
        """No arguments, a property: one line is enough."""
        return "thing"


def _private(x):
    return x
'''


@pytest.mark.parametrize("bad, expected", [
    (GOOD.replace("        Args:\n            scale: a factor.\n\n", ""), "no Args: section"),
    (GOOD.replace("        Returns:\n            The size times ``scale``, a number that\n"
                  "                continues here.\n\n", ""), "no Returns: section"),
    (GOOD.replace("        Raises:\n            InputError: ``scale`` is negative.\n", ""), "no Raises: section"),
    (GOOD.replace('class Thing:\n    """A thing."""\n', "class Thing:\n"), "class Thing: no docstring"),
    (GOOD.replace("                continues here.", "            continues here."), "must be indented"),
    (GOOD.replace("        Args:\n            scale: a factor.",
                  "        Parameters\n        ----------\n        scale : float\n            a factor."),
     "numpy-style section 'Parameters'"),
])
def test_the_checks_catch_a_bad_docstring(bad, expected):
    assert problems(GOOD) == []
    assert any(expected in p for p in problems(bad)), problems(bad)
