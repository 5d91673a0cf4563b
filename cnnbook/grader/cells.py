"""nbgrader's cell metadata (schema version 3), for code that writes source notebooks.

Used by the assignments' generator (``tools/exercise_sources``) and by the sample
course of :mod:`cnnbook.grader.samples`, so both mark cells the way nbgrader expects.
"""

from __future__ import annotations


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
