"""Autograde the assignments with the real nbgrader, in a temporary course root.

One ``nbgrader autograde`` run per assignment grades, as separate students
submitting the committed release ``exercises/`` with their answers filled in:
the reference answers (must score full marks), the released notebook as it is
(must score 0 and grade without crashing), one catalogued mistake of every graded
function (each must lose points) and every alternative correct answer (must keep
full marks). Scores come from the SQLite gradebook through nbgrader's ``Gradebook``
API. A summary per assignment is written to ``test-artifacts/``.

This is plain nbgrader running the notebooks in a kernel: proof that the source and
release notebooks grade as nbgrader alone would grade them. Every catalogued mistake
is graded by what grades students, the judge, in
tests/test_grader_judging_judge.py (in process) and tests/test_grader_check_parity.py;
here one per function keeps this run to ~70 notebooks instead of ~175.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tests.exercise_catalogue import ALTERNATIVES, MISTAKES
from tests.exercise_harness import (
    ASSIGNMENTS,
    ROOT,
    Course,
    catalogue_students,
    max_points,
    mistake_source,
    read_notebook,
    reference_answers,
    solution_path,
)

CELL_TIMEOUT = 300  # c.ExecutePreprocessor.timeout in nbgrader_config.py


def cell_seconds(path) -> dict[str, float]:
    """grade_id -> seconds the cell ran, from the execution timestamps nbclient records."""
    out = {}
    for cell in read_notebook(path).cells:
        times = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in times and "shell.execute_reply" in times:
            start = datetime.fromisoformat(times["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(times["shell.execute_reply"].replace("Z", "+00:00"))
            out[cell.metadata["nbgrader"]["grade_id"]] = (end - start).total_seconds()
    return out


def test_cell_timeout_matches_config():
    text = (ROOT / "nbgrader_config.py").read_text()
    assert f"c.ExecutePreprocessor.timeout = {CELL_TIMEOUT}" in text


def test_catalogue_is_large_and_applies():
    assert len(MISTAKES) >= 40, f"the catalogue holds {len(MISTAKES)} mistakes, expected >= 40"
    names = [(m.assignment, m.cell, m.name) for m in MISTAKES]
    assert len(names) == len(set(names)), "duplicate mistake names"
    for mistake in MISTAKES:
        if not solution_path(mistake.assignment).exists():
            continue
        assert mistake.cell in reference_answers(mistake.assignment), mistake
        assert mistake_source(mistake) != reference_answers(mistake.assignment)[mistake.cell]
    for alt in ALTERNATIVES:
        if solution_path(alt.assignment).exists():
            assert set(alt.cells) <= set(reference_answers(alt.assignment)), alt.name


def one_mistake_per_function(students: list) -> list:
    """Every student but the catalogued mistakes, and the first mistake of each answer cell."""
    kept, cells = [], set()
    for s in students:
        if s.student_id.startswith("mistake"):
            (cell,) = s.replace  # one answer cell changed
            if cell in cells:
                continue
            cells.add(cell)
        kept.append(s)
    return kept


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograde(assignment, tmp_path):
    if not solution_path(assignment).exists():
        pytest.skip(f"{assignment} is not written yet")
    course = Course(tmp_path / "course")
    students = one_mistake_per_function(catalogue_students(assignment))
    for student in students:
        course.submit(assignment, student)
    # One nbgrader process: generate_assignment (fills the gradebook with the source
    # cells, hidden tests included), then autograde every student.
    course.run(("release", assignment), ("autograde", assignment))
    scores = course.scores(assignment)
    full = max_points(assignment)

    problems, summary = [], {"assignment": assignment, "max_points": full, "students": {}}
    for s in students:
        if s.student_id not in scores:
            problems.append(f"{s.student_id} ({s.description}): not graded")
            continue
        score, max_score, cells = scores[s.student_id]
        summary["students"][s.student_id] = {"description": s.description, "score": score,
                                             "cells": cells}
        assert max_score == full
        lost = sorted(k for k, v in cells.items() if v < 1e-9)
        if s.student_id == "reference" and score != full:
            problems.append(f"reference solution scored {score}/{full}; failed cells: {lost}")
        elif s.student_id == "released" and score != 0:
            problems.append(f"released notebook scored {score}/{full} instead of 0")
        elif s.student_id.startswith("mistake") and score >= full:
            problems.append(f"mistake not caught: {s.description!r} scored {score}/{full}")
        elif s.student_id.startswith("alternative") and score != full:
            problems.append(
                f"correct alternative {s.description!r} scored {score}/{full}; failed cells: {lost}"
            )
    # Time budget: the slowest cell of the plain-loop reference stays far below the
    # per-cell timeout of nbgrader_config.py.
    timings = cell_seconds(course.root / "autograded" / "reference" / assignment
                           / f"{assignment}.ipynb")
    slowest = max(timings, key=timings.get)
    summary["slowest_reference_cell"] = [slowest, timings[slowest]]
    if timings[slowest] > CELL_TIMEOUT / 10:
        problems.append(f"reference cell {slowest} took {timings[slowest]:.1f} s, more than a "
                        f"tenth of the {CELL_TIMEOUT} s cell timeout")
    caught = sum(1 for s in students if s.student_id.startswith("mistake")
                 and s.student_id in scores and scores[s.student_id][0] < full)
    summary["mistakes_caught"] = caught
    summary["mistakes_graded"] = sum(s.student_id.startswith("mistake") for s in students)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / f"autograde_{assignment}.json").write_text(json.dumps(summary, indent=1))
    assert not problems, "\n".join(problems)
