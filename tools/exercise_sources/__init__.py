"""Sources of the graded assignments, one module per assignment.

Each module defines ``ASSIGNMENT`` (the nbgrader assignment id, also the
notebook's name) and ``CELLS``, a list built with :func:`md`, :func:`code`,
:func:`answer` and :func:`tests`. ``tools/build_solutions.py`` turns them
into nbgrader source notebooks in ``solutions/`` and releases them into
``exercises/`` with ``nbgrader generate_assignment``.
"""

from __future__ import annotations

import ast
import textwrap

import nbformat

from cnnbook.grader import assignments, cells
from cnnbook.grader.cells import nbgrader_metadata

ASSIGNMENTS = assignments.NAMES  # cnnbook/coursedata/assignments.toml


def _clean(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


def md(grade_id: str, source: str):
    """A read-only instruction cell."""
    cell = nbformat.v4.new_markdown_cell(_clean(source), id=grade_id)
    cell.metadata = nbgrader_metadata(grade_id, locked=True)
    return cell


def code(grade_id: str, source: str):
    """A read-only code cell (imports, data loading): run, not edited, not graded."""
    cell = nbformat.v4.new_code_cell(_clean(source), id=grade_id)
    cell.metadata = nbgrader_metadata(grade_id, locked=True)
    return cell


def driver(grade_id: str, source: str):
    """A read-only code cell that calls the student's functions (a training run, say).

    In the notebook it runs like any locked cell. When grading, the trusted judge runs
    it (with the student's functions answered from the sandbox) and the sandbox skips
    it, so that the work is not done twice.
    """
    cell = code(grade_id, source)
    cell.metadata["cnnbook"] = {"role": "driver"}
    return cell


def answer(grade_id: str, source: str):
    """An answer cell: the part between ### BEGIN/END SOLUTION is replaced by a stub."""
    src = _clean(source)
    if cells.SOLUTION_BEGIN not in src or cells.SOLUTION_END not in src:
        raise ValueError(f"answer cell {grade_id} has no solution region")
    cell = nbformat.v4.new_code_cell(src, id=grade_id)
    cell.metadata = nbgrader_metadata(grade_id, solution=True)
    return cell


def _ends_in_check(source: str) -> bool:
    """True if the last statement (or a loop's last) is an ``assert`` or a ``check_*`` call."""
    return _last_is_check(ast.parse(source).body)


def _last_is_check(body) -> bool:
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.For | ast.While | ast.With | ast.If):
        return _last_is_check(last.body)
    if isinstance(last, ast.Assert):
        return True
    if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call):
        func = last.value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        return name.startswith("check_")
    return False


def tests(grade_id: str, points: int, source: str):
    """A graded, read-only test cell worth ``points``; hidden tests sit in
    ### BEGIN/END HIDDEN TESTS. The last line must be a check that raises."""
    src = _clean(source)
    released = cells.without_hidden_tests(src)
    for text in (src, released):
        if not _ends_in_check(text):
            raise ValueError(f"test cell {grade_id} must end with an assert or a check_ call")
    cell = nbformat.v4.new_code_cell(src, id=grade_id)
    cell.metadata = nbgrader_metadata(grade_id, grade=True, locked=True, points=points)
    return cell


REPOSITORY_URL = "https://github.com/cnnbook/cnn-from-the-ground-up"
#: The Python the course's environment is verified with (binder/runtime.txt: python-3.11).
COURSE_PYTHON = "3.11.7"


def colab_setup():
    """A read-only cell that installs the course package in Google Colab, and only there.

    Binder, JupyterHub and a local checkout install ``cnnbook`` with the
    repository's requirements; Colab opens the notebook alone. In the
    autograder (no ``google.colab`` module) the cell does nothing.
    """
    return code(
        "colab-setup",
        f"""
        # In Google Colab only: install the course's package (elsewhere it is already installed).
        import sys

        if "google.colab" in sys.modules:
            get_ipython().run_line_magic("pip", "install -q git+{REPOSITORY_URL}")
        """,
    )


def notebook(cells, sandbox_modules=()) -> nbformat.NotebookNode:
    """A notebook of ``cells`` with the course's kernel, no outputs.

    A Colab setup cell (:func:`colab_setup`) goes after the title cell.
    ``sandbox_modules`` names the course modules holding reference answers that the
    student's code may import when it is graded (none, unless the assignment builds
    on earlier graded work, as the training assignment does).
    """
    cells = list(cells)
    cells.insert(1 if cells and cells[0].cell_type == "markdown" else 0, colab_setup())
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"duplicate grade_id(s): {sorted(dupes)}")
    nb = nbformat.v4.new_notebook(cells=list(cells))
    nb.metadata = {
        # As Jupyter writes them back (ipykernel's kernel.json and language_info), so that
        # a notebook opened in JupyterLab is not marked as modified before the student types
        # anything (tests/test_student_jupyterlab.py). JupyterLab compares the whole
        # language_info: under another Python than COURSE_PYTHON the notebook still opens
        # marked as modified once the kernel has started (harmless: nothing else changed).
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
            "version": COURSE_PYTHON,
        },
    }
    if sandbox_modules:
        nb.metadata["cnnbook"] = {"sandbox_modules": list(sandbox_modules)}
    nbformat.validate(nb)
    return nb
