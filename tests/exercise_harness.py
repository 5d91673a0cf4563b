"""Run the real nbgrader on the course's assignments in a temporary course root.

Used by ``tests/test_exercises_*.py``. A :class:`Course` copies
``nbgrader_config.py`` and ``solutions/`` into a temporary directory,
releases the assignments there with ``nbgrader generate_assignment``, builds
"students" by filling the released notebook's answer cells (with the
reference answers, a catalogued mistake, or an alternative correct answer),
autogrades all of them in one ``nbgrader autograde`` run and reads the scores
back from the SQLite gradebook with nbgrader's ``Gradebook`` API.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnnbook.grader import assignments, cells

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = assignments.NAMES  # cnnbook/coursedata/assignments.toml
# nbgrader through its Python API (NbGraderAPI, the same converters as the command line).
_API_SCRIPT = r"""
import json, sys
from traitlets.config.loader import PyFileConfigLoader
from nbgrader.apps import NbGraderAPI

root, db_url, actions = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
config.CourseDirectory.root = root
config.CourseDirectory.db_url = db_url
api = NbGraderAPI(config=config)
for action, assignment in actions:
    if action == "release":
        result = api.generate_assignment(assignment, force=True, create=True)
    elif action == "autograde":
        result = api.autograde(assignment, "*", force=True, create=True)
    else:
        raise ValueError(action)
    if not result["success"]:
        print(result.get("log", ""), result.get("error", ""))
        sys.exit(1)
"""
# These tests grade the exercises themselves (reference answers, the catalogue: trusted
# code) with nbgrader's own Execute, in one kernel per notebook, as nbgrader alone would:
# the course's config routes nbgrader's autograde through the judge (cnnbook.grader.doors),
# and its kernel guard stops nbgrader's own Execute unless told it is trusted.
PLAIN_NBGRADER = """
# tests/exercise_harness.py: trusted code, graded by nbgrader's own Execute
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
"""
TRUSTED_ENV = {**os.environ, "CNNBOOK_RUNNER": "1"}
SOLUTION_RE = cells.SOLUTION_LINES


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def read_notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def solution_path(assignment: str, root: Path = ROOT) -> Path:
    return root / "solutions" / assignment / f"{assignment}.ipynb"


def release_path(assignment: str, root: Path = ROOT) -> Path:
    return root / "exercises" / assignment / f"{assignment}.ipynb"


def reference_answers(assignment: str) -> dict[str, str]:
    """grade_id -> the answer cell's source as a student would write it (markers removed)."""
    answers = {}
    for cell in read_notebook(solution_path(assignment)).cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution") and cell.cell_type == "code":
            answers[meta["grade_id"]] = SOLUTION_RE.sub("", cell.source)
    return answers


def strip_hidden_tests(path: Path) -> None:
    """Remove every ``### BEGIN/END HIDDEN TESTS`` region of the notebook at ``path``."""
    nb = read_notebook(path)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade"):
            cell.source = cells.without_hidden_tests(cell.source)
    nbformat.write(nb, path)


def max_points(assignment: str) -> float:
    return float(
        sum(
            nbgrader_meta(c).get("points", 0)
            for c in read_notebook(solution_path(assignment)).cells
            if nbgrader_meta(c).get("grade")
        )
    )


@dataclass
class Student:
    """A submission: the reference answers with some answer cells replaced."""

    student_id: str
    description: str
    replace: dict[str, str] = field(default_factory=dict)  # grade_id -> full source
    unchanged_release: bool = False  # submit the released notebook as it is


def apply_edit(source: str, old: str, new: str, where: str) -> str:
    """Replace ``old`` (which must occur exactly once) by ``new``."""
    count = source.count(old)
    if count != 1:
        raise ValueError(f"{where}: expected {old!r} exactly once in the answer, found {count}")
    return source.replace(old, new)


class Course:
    """A temporary nbgrader course root with the course's config and solutions."""

    def __init__(self, root: Path, visible_only: bool = False):
        self.root = Path(root)
        # visible_only: the source notebooks lose their hidden tests, so that nbgrader
        # grades with exactly the test cells a student sees in the release.
        self.visible_only = visible_only
        self.db_url = f"sqlite:///{self.root / 'gradebook.db'}"
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "nbgrader_config.py", self.root / "nbgrader_config.py")
        with open(self.root / "nbgrader_config.py", "a") as f:
            f.write(PLAIN_NBGRADER)

    def nbgrader(self, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "nbgrader", *args,
               f"--CourseDirectory.root={self.root}", f"--CourseDirectory.db_url={self.db_url}"]
        result = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True,
                                timeout=timeout, env=TRUSTED_ENV)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def run(self, *actions: tuple[str, str], timeout: float = 1200) -> None:
        """Run nbgrader steps in ONE Python process (nbgrader's import alone takes
        seconds): ``("release", assignment)`` is ``nbgrader generate_assignment
        --force --create``, ``("autograde", assignment)`` is ``nbgrader autograde
        --force --create`` for every submitted student. The course's
        ``nbgrader_config.py`` is loaded as the command line would load it."""
        for action, assignment in actions:
            if action == "release":
                shutil.copytree(ROOT / "solutions" / assignment,
                                self.root / "solutions" / assignment, dirs_exist_ok=True)
                if self.visible_only:
                    strip_hidden_tests(solution_path(assignment, self.root))
        cmd = [sys.executable, "-c", _API_SCRIPT, str(self.root), self.db_url,
               json.dumps(actions)]
        result = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True,
                                timeout=timeout, env=TRUSTED_ENV)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader {actions} failed:\n{result.stdout}\n{result.stderr}")

    def release(self, assignment: str) -> Path:
        self.run(("release", assignment))
        return release_path(assignment, self.root)

    def submit(self, assignment: str, student: Student) -> None:
        """Write ``submitted/<student>/<assignment>/<assignment>.ipynb``, starting from
        the committed student release ``exercises/`` (what students download)."""
        released = read_notebook(release_path(assignment))
        if not student.unchanged_release:
            answers = reference_answers(assignment)
            answers.update(student.replace)
            for cell in released.cells:
                meta = nbgrader_meta(cell)
                if meta.get("solution") and cell.cell_type == "code":
                    cell.source = answers[meta["grade_id"]]
        target = self.root / "submitted" / student.student_id / assignment
        target.mkdir(parents=True, exist_ok=True)
        nbformat.write(released, target / f"{assignment}.ipynb")

    def autograde(self, assignment: str) -> None:
        self.run(("autograde", assignment))

    def scores(self, assignment: str) -> dict[str, tuple[float, float, dict[str, float]]]:
        """student -> (score, max score, {test cell grade_id: score})."""
        from nbgrader.api import Gradebook

        out = {}
        with Gradebook(self.db_url) as gb:
            for student in gb.students:
                try:
                    nb = gb.find_submission_notebook(assignment, assignment, student.id)
                except Exception:  # noqa: BLE001 - not submitted for this assignment
                    continue
                cells = {g.name: float(g.score) for g in nb.grades}
                out[student.id] = (float(nb.score), float(nb.max_score), cells)
        return out


def mistake_source(mistake) -> str:
    """The answer cell of a catalogued :class:`~tests.exercise_catalogue.Mistake`."""
    if mistake.code is not None:
        return textwrap.dedent(mistake.code).strip("\n") + "\n"
    source = reference_answers(mistake.assignment)[mistake.cell]
    for old, new in mistake.edits:
        source = apply_edit(source, old, new, f"{mistake.assignment}/{mistake.name}")
    return source


def catalogue_students(assignment: str) -> list[Student]:
    """The reference, the unanswered release, every catalogued mistake (``mistakeNN``)
    and every alternative correct answer (``alternativeNN``) of ``assignment``."""
    from tests.exercise_catalogue import ALTERNATIVES, MISTAKES

    students = [
        Student("reference", "the reference solution"),
        Student("released", "the released notebook, unanswered", unchanged_release=True),
    ]
    mistakes = [m for m in MISTAKES if m.assignment == assignment]
    for i, m in enumerate(mistakes):
        students.append(Student(f"mistake{i:02d}", m.name, {m.cell: mistake_source(m)}))
    alternatives = [a for a in ALTERNATIVES if a.assignment == assignment]
    for i, a in enumerate(alternatives):
        cells = {k: textwrap.dedent(v).strip("\n") + "\n" for k, v in a.cells.items()}
        students.append(Student(f"alternative{i:02d}", a.name, cells))
    return students
