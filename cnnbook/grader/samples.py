"""The sample course and submissions of ``cnnbook demo`` (and of the tests built on it).

``write_tiny_course`` makes a self-contained course with one small assignment (one
answer cell, three graded test cells, one with hidden tests), so the instructor tools
can be tried and tested without the real problem sets. ``make_submission`` turns a
released notebook into a student's submission by filling in its answer cells.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnbook.grader import cells
from cnnbook.grader.cells import nbgrader_metadata

TINY = "ps00_tiny"

COURSE_CONFIG = """\
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "{course_id}"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.Execute.timeout = 8  # seconds per cell (nbgrader's own limit; the tiny tests take ms)
"""


def tiny_source_notebook():
    cells = [
        new_markdown_cell("# A tiny assignment\n\nWrite `square(x)`, for numbers and arrays."),
        new_code_cell(
            'def square(x):\n    """Return x squared (element-wise for arrays)."""\n'
            "    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
            metadata=nbgrader_metadata("square", solution=True),
        ),
        new_code_cell(
            "assert square(3) == 9",
            metadata=nbgrader_metadata("test_square_int", grade=True, locked=True, points=1),
        ),
        new_code_cell(
            "import numpy as np\n\nassert np.allclose(square(np.arange(4)), [0, 1, 4, 9])\n"
            "### BEGIN HIDDEN TESTS\nassert square(-2) == 4\n### END HIDDEN TESTS",
            metadata=nbgrader_metadata("test_square_array", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            "assert square(0.5) == 0.25",
            metadata=nbgrader_metadata("test_square_float", grade=True, locked=True, points=1),
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.language_info = {"name": "python"}
    return nb


def write_tiny_course(root: Path, course_id: str = "cnnbook-demo") -> Path:
    """A course root with nbgrader_config.py and solutions/ps00_tiny/ps00_tiny.ipynb."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(COURSE_CONFIG.format(course_id=course_id))
    src = root / "solutions" / TINY
    src.mkdir(parents=True, exist_ok=True)
    nbformat.write(tiny_source_notebook(), str(src / f"{TINY}.ipynb"))
    return root


def solution_answers(source_nb) -> dict[str, str]:
    """grade_id -> the source notebook's answer, markers removed (an honest student)."""
    out = {}
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            out[meta["grade_id"]] = cells.answer_lines(cell.source)
    return out


def make_submission(
    released_nb, answers: dict[str, str], prefix: str = "", path: Path | None = None
):
    """Fill the released notebook's answer cells: ``answers[grade_id]`` replaces a
    cell's source (cells without an answer keep their stub); ``prefix`` is put in
    front of the first answer cell. Written to ``path`` if given."""
    nb = nbformat.from_dict(json.loads(json.dumps(released_nb)))
    first = True
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            source = answers.get(meta["grade_id"], cell.source)
            if first and prefix:
                source = prefix + "\n" + source
            first = False
            cell.source = source
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
    return nb


def submit_honest_class(root: Path, assignment: str, students: int) -> list[str]:
    """``students`` honest submissions (the source notebook's answers in the released
    notebook) in ``root/submitted/studentNNNN/assignment``; returns the student ids."""
    name = f"{assignment}.ipynb"
    source = nbformat.read(str(Path(root) / "solutions" / assignment / name), as_version=4)
    released = nbformat.read(str(Path(root) / "exercises" / assignment / name), as_version=4)
    answers = solution_answers(source)
    ids = [f"student{i:04d}" for i in range(students)]
    for student in ids:
        path = Path(root) / "submitted" / student / assignment / name
        make_submission(released, answers, path=path)
    return ids


# Student code for the tiny assignment's answer cell.
TINY_ANSWERS = {
    "honest": "def square(x):\n    return x * x",
    # right for 3, arrays of non-negatives and 0.5; wrong for the hidden square(-2)
    "partial": "def square(x):\n    return abs(x) * x",
}

# Code an unlucky student puts in front of an otherwise honest answer (the demo class;
# the tests' hostile submissions are in tests/hostile_submissions.py).
PREFIXES = {
    "infinite_loop": "while True:\n    pass",
    "os_exit": "import os\nos._exit(1)",
}
