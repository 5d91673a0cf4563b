"""nbgrader's notebook conventions, in one home: cell metadata, cell kinds, markers.

* :func:`nbgrader_metadata` writes a cell's metadata (schema version 3), for the
  assignments' generator (``tools/exercise_sources``) and the sample course
  (:mod:`cnnbook.grader.samples`);
* :func:`is_answer`, :func:`is_test`, :func:`is_locked` and :func:`grade_id` read it
  (the rules of ``nbgrader.utils.is_solution``/``is_grade``/``is_locked``, for
  nbformat cells and plain dicts alike, without importing nbgrader: the judge and
  ``cnnbook check`` start faster; ``tests/test_grader_cells.py`` checks they agree);
* the ``### BEGIN/END SOLUTION`` and ``### BEGIN/END HIDDEN TESTS`` markers, and the
  one way to remove each.
"""

from __future__ import annotations

import re

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"

#: A ``### BEGIN/END SOLUTION`` line's text (the line itself stays, empty).
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*$", re.M)
#: A whole ``### BEGIN/END SOLUTION`` line, its newline included.
SOLUTION_LINES = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.M)
#: A hidden-tests region, with its indentation and the newline after it.
HIDDEN_TESTS = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S)


def blank_solution_markers(source: str) -> str:
    """``source`` with the marker lines emptied (line numbers kept)."""
    return SOLUTION_MARKERS.sub("", source)


def without_solution_markers(source: str) -> str:
    """``source`` without its marker lines: the answer as a student would write it."""
    return SOLUTION_LINES.sub("", source)


def answer_lines(source: str) -> str:
    """The lines of an answer cell that are not marker lines, joined (no final newline)."""
    markers = (SOLUTION_BEGIN, SOLUTION_END)
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def without_hidden_tests(source: str) -> str:
    """A test cell's source as the student's release shows it (hidden regions removed)."""
    return HIDDEN_TESTS.sub("", source)


def _nbgrader(cell) -> dict:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def is_answer(cell) -> bool:
    """An answer cell: nbgrader's solution cell (``nbgrader.utils.is_solution``)."""
    return bool(_nbgrader(cell).get("solution", False))


def is_test(cell) -> bool:
    """A graded test cell (``nbgrader.utils.is_grade``)."""
    return bool(_nbgrader(cell).get("grade", False))


def is_locked(cell) -> bool:
    """Read-only for students (``nbgrader.utils.is_locked``: a test cell is locked, an
    answer cell never is)."""
    if is_answer(cell):
        return False
    return is_test(cell) or bool(_nbgrader(cell).get("locked", False))


def grade_id(cell, default: str = "") -> str:
    """The cell's nbgrader ``grade_id`` (``default`` when it has none)."""
    return _nbgrader(cell).get("grade_id", default)


def nbgrader_metadata(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float | None = None,
) -> dict:
    """The ``metadata`` of one nbgrader cell.

    Args:
        grade_id: the cell's unique name in its notebook (nbgrader's ``grade_id``).
        grade: an autograded test cell (give it ``points``).
        solution: an answer cell (its solution region is replaced in the release).
        locked: read-only for students (nbgrader restores it if edited).
        points: the cell's points; only for graded cells.

    Returns:
        ``{"nbgrader": {...}}``, ready to set as a cell's metadata.
    """
    if grade and points is None:
        raise ValueError(f"graded cell {grade_id!r} needs points")
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}
