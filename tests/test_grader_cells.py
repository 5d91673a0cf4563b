"""nbgrader's conventions in one home (cnnbook.grader.cells): the cell kinds agree with
nbgrader's own helpers on every cell of the course's notebooks, and the markers come
off as nbgrader's release removes them. Costs about a second."""

from __future__ import annotations

import nbformat
from nbgrader.utils import is_grade, is_locked, is_solution

from cnnbook.grader import cells
from cnnbook.grader.assignments import NAMES
from tests.exercise_harness import ROOT


def test_cell_kinds_agree_with_nbgrader_on_the_course_notebooks():
    seen = 0
    for name in NAMES:
        for folder in ("solutions", "exercises"):
            nb = nbformat.read(ROOT / folder / name / f"{name}.ipynb", as_version=4)
            for cell in nb.cells:
                assert cells.is_answer(cell) == bool(is_solution(cell))
                assert cells.is_test(cell) == bool(is_grade(cell))
                assert cells.is_locked(cell) == bool(is_locked(cell))
                plain = {"metadata": dict(cell.metadata)}  # a plain dict reads the same
                assert cells.is_answer(plain) == cells.is_answer(cell)
                seen += 1
    assert seen > 100


def test_markers_come_off():
    answer = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert cells.without_solution_markers(answer) == "def f(x):\n    return x\n"
    assert cells.blank_solution_markers(answer) == "def f(x):\n\n    return x\n\n"
    assert cells.answer_lines(answer) == "def f(x):\n    return x"
    test = "assert f(1) == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 2\n### END HIDDEN TESTS\n"
    assert cells.without_hidden_tests(test) == "assert f(1) == 1\n"
    assert cells.grade_id({"metadata": {"nbgrader": {"grade_id": "t1"}}}) == "t1"
    assert cells.grade_id({"metadata": {}}, "cell-3") == "cell-3"
