"""Build hook: a wheel carries a copy of the repository's ``data/`` (and the notebooks the package opens) inside it.

The top-level ``data/`` stays the single source; ``planner.datafiles`` reads it in place from a checkout and
from ``planner/_data`` in an installed wheel. All other metadata lives in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: The notebooks the package opens itself: the review (``planner review``) and the workbook (``planner workbook``).
SHIPPED_NOTEBOOKS = ("review.ipynb", "what_if.ipynb")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads data/ in place
            return
        target = Path(self.build_lib) / "planner" / "_data"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(ROOT / "data", target)
        (target / "notebooks").mkdir(exist_ok=True)
        for name in SHIPPED_NOTEBOOKS:
            shutil.copy2(ROOT / "notebooks" / name, target / "notebooks" / name)


setup(cmdclass={"build_py": BuildPyWithData})
