"""Grade files for the LMS: Canvas's gradebook import and Moodle's CSV grade import.

Written by ``cnnbook report`` beside ``grades.csv``, one row per student on the
gradebook's roster (0 for a student who did not submit), with the final score (late
penalty applied, as in ``grades.csv``):

* ``canvas_grades.csv`` - Canvas's Gradebook import format: ``Student`` ("Last, First"),
  ``ID`` (Canvas's user id: the roster's ``lms_user_id`` where set, as nbgrader's LTI
  sync fills it), ``SIS User ID``, ``SIS Login ID`` (the nbgrader student id, which on
  a hub is the login), ``Section``, then one column named after the assignment. Canvas
  matches rows by ID, SIS User ID or SIS Login ID; a new column name makes a new
  assignment worth the points of the second row (``Points Possible``, as Canvas's own
  export writes it).
* ``moodle_grades.csv`` - for Moodle's "Import grades: CSV file": ``Email address``,
  ``ID number`` (the nbgrader student id), ``Username``, and the assignment's grade.
  Map "Identifier from file" to email address or ID number, and the grade column to
  the grade item.

A cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is written with a leading apostrophe: names and ids
come from students' accounts.
"""

from __future__ import annotations

import csv
from pathlib import Path

from cnnbook.grader.judging.inert import csv_cell


def neutral(value) -> str:
    """A cell's text that no spreadsheet evaluates as a formula (numbers stay numbers)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    return csv_cell(str(value))


def _write(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([neutral(h) for h in header])
        for row in rows:
            w.writerow([neutral(v) for v in row])
    return path


def write_grade_files(out: Path, assignment: str, grades: list[dict], roster: list[dict],
                      max_score: float) -> dict[str, Path]:  # fmt: skip
    """``grades``: rows of ``grades.csv`` (student, score = final score); ``roster``:
    :func:`cnnbook.grader.gradebook.roster`."""
    people = {r["student"]: r for r in roster}
    rows = sorted(grades, key=lambda g: g["student"])
    canvas = []
    moodle = []
    for g in rows:
        person = people.get(g["student"], {})
        last, first = person.get("last_name", ""), person.get("first_name", "")
        name = f"{last}, {first}" if last and first else (last or first or g["student"])
        score = float(g["score"] or 0)
        canvas.append([name, person.get("lms_user_id", ""), g["student"], g["student"], "", score])
        moodle.append([person.get("email", ""), g["student"], g["student"], score])
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment]
    points = ["    Points Possible", "", "", "", "", float(max_score)]
    return {
        "canvas": _write(out / "canvas_grades.csv", header, [points, *canvas]),
        "moodle": _write(out / "moodle_grades.csv",
                         ["Email address", "ID number", "Username", assignment], moodle),
    }  # fmt: skip
