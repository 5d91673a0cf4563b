"""Build the nbgrader source notebooks and release them to students.

    python tools/build_solutions.py            # write solutions/, then exercises/
    python tools/build_solutions.py --no-release

``solutions/<assignment>/<assignment>.ipynb`` is written from
``tools/exercise_sources/<assignment>.py`` (no outputs, no execution
counts), with ``misconceptions.json`` beside it: the known mistakes'
results on the visible tests' inputs, data that the visible checks use to
name a likely mistake (``cnnbook.grader.judging.visible_table.visible_table``; nbgrader
releases it with the notebook). ``exercises/`` is then regenerated with ``nbgrader
generate_assignment --force`` from the repository root, with a throw-away
gradebook in a temporary directory. Never edit either folder by hand:
``tests/test_exercises_release.py`` fails on any drift.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from exercise_sources import ASSIGNMENTS, notebook  # noqa: E402


def build(assignment: str) -> nbformat.NotebookNode:
    """The source notebook of ``assignment``, built from its module."""
    module = importlib.import_module(f"exercise_sources.{assignment}")
    return notebook(module.CELLS, getattr(module, "SANDBOX_MODULES", ()))


def write_solution(assignment: str, root: Path = ROOT) -> Path:
    path = root / "solutions" / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(build(assignment), path)
    return path


def write_misconceptions(assignment: str, root: Path = ROOT) -> Path:
    """``misconceptions.json`` beside the source notebook (run it after write_solution)."""
    from cnnbook.grader.judging.visible_table import write_visible_table

    return write_visible_table(root / "solutions" / assignment / f"{assignment}.ipynb", assignment)


def release(assignments, root: Path = ROOT) -> None:
    """Run ``nbgrader generate_assignment`` for each assignment under ``root``."""
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'gradebook.db'}"
        for assignment in assignments:
            subprocess.run(
                [sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
                 "--force", "--create", f"--CourseDirectory.db_url={db}",
                 f"--CourseDirectory.root={root}", "--log-level=WARN"],
                cwd=root, check=True,
            )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", default=list(ASSIGNMENTS))
    parser.add_argument("--no-release", action="store_true", help="only write solutions/")
    args = parser.parse_args(argv)
    for assignment in args.assignments:
        print("wrote", write_solution(assignment).relative_to(ROOT))
        print("wrote", write_misconceptions(assignment).relative_to(ROOT))
    if not args.no_release:
        release(args.assignments)
        print("released", ", ".join(args.assignments), "to exercises/")


if __name__ == "__main__":
    main()
