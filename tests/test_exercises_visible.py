"""The visible tests catch what the hidden tests catch.

For every assignment, the same students as ``tests/test_exercises_autograde.py``
(the reference, the unanswered release, every catalogued mistake, every
alternative correct answer) are graded twice by the trusted judge (in this
process, tests/judge_harness.py):

* with the *full* test cells (the source notebooks in ``solutions/``, hidden
  tests included), as ``cnnbook autograde`` grades them;
* with the *visible* test cells only (every ``### BEGIN/END HIDDEN TESTS``
  region removed), exactly what a student runs in the released notebook.

The mistakes that import the reference are left out: in this process the reference
is importable, so they pass both; graded in the sandbox they score 0
(tests/test_grader_cheating.py).

A student who sees every visible test pass must be able to expect the hidden
tests to pass too: whenever the hidden tests take points from a mistake, at
least one visible test of the notebook fails. Correct answers (the reference
and every alternative) pass every visible test. The exceptions, each with the
reason it is acceptable, are listed in :data:`EXCEPTIONS`; an exception that
is no longer needed fails the test, so the list stays honest.

The per-mistake table (visible result against full result, and the test cells
where the hidden part takes points but the visible part passes) is written to
``test-artifacts/visible_vs_hidden_<assignment>.md`` and ``.json``.
"""

from __future__ import annotations

import json

import pytest

from tests.exercise_harness import (
    ASSIGNMENTS,
    ROOT,
    catalogue_students,
    max_points,
    reference_answers,
    release_path,
    solution_path,
)
from tests.judge_harness import grade, recording

# (assignment, mistake name) -> why it is acceptable that the visible tests pass while
# the hidden tests take points. Keep this list short and every reason concrete.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _lost(cells: dict[str, float], points: dict[str, float]) -> list[str]:
    return sorted(k for k, v in cells.items() if v < points[k] - 1e-9)


def _cell_points(assignment: str) -> dict[str, float]:
    from tests.exercise_harness import nbgrader_meta, read_notebook

    return {
        nbgrader_meta(c)["grade_id"]: float(nbgrader_meta(c)["points"])
        for c in read_notebook(solution_path(assignment)).cells
        if nbgrader_meta(c).get("grade")
    }


def _table(assignment: str, rows: list[dict]) -> str:
    lines = [
        f"### {assignment}",
        "",
        "| student | answer | full score | visible | hidden-only losses |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        visible = "fails" if r["visible_failed"] else "passes"
        lines.append(
            f"| {r['student']} | {r['description']} | {r['full_score']:g}/{r['max']:g} "
            f"| {visible} ({', '.join(r['visible_failed']) or '-'}) "
            f"| {', '.join(r['hidden_only']) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def _released_answers(assignment: str) -> dict[str, str]:
    """The answer cells of the committed release, as handed out (stubs)."""
    from tests.exercise_harness import nbgrader_meta, read_notebook

    return {
        nbgrader_meta(c)["grade_id"]: c.source
        for c in read_notebook(release_path(assignment)).cells
        if nbgrader_meta(c).get("solution")
    }


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_tests_catch_what_hidden_tests_catch(assignment, tmp_path):
    if not solution_path(assignment).exists():
        pytest.skip(f"{assignment} is not written yet")
    students = [
        s for s in catalogue_students(assignment) if "reference imported" not in s.description
    ]
    full_rec = recording(solution_path(assignment), assignment)
    visible_rec = recording(solution_path(assignment), assignment, visible=True)
    points, total = _cell_points(assignment), max_points(assignment)
    full, visible = {}, {}
    for s in students:
        answers = (
            _released_answers(assignment)
            if s.unchanged_release
            else {**reference_answers(assignment), **s.replace}
        )
        for rec, table in ((full_rec, full), (visible_rec, visible)):
            verdicts = grade(rec, answers, tmp_path, diagnose=False)  # points only
            cells = {v.grade_id: v.points for v in verdicts}
            table[s.student_id] = (sum(cells.values()), total, cells)

    rows, problems, used_exceptions = [], [], set()
    for s in students:
        assert s.student_id in full and s.student_id in visible, f"{s.student_id} not graded"
        full_score, _, full_cells = full[s.student_id]
        _, _, visible_cells = visible[s.student_id]
        visible_failed = _lost(visible_cells, points)
        full_lost = _lost(full_cells, points)
        row = {
            "student": s.student_id,
            "description": s.description,
            "full_score": full_score,
            "max": total,
            "full_lost": full_lost,
            "visible_failed": visible_failed,
            # cells whose hidden part takes points while their visible part passes
            "hidden_only": [c for c in full_lost if c not in visible_failed],
        }
        rows.append(row)
        correct = s.student_id == "reference" or s.student_id.startswith("alternative")
        if correct and visible_failed:
            problems.append(
                f"correct answer {s.description!r} fails visible tests {visible_failed}"
            )
        if s.student_id == "released" and len(visible_failed) != len(points):
            problems.append(f"the unanswered release passes visible tests: {visible_failed}")
        if s.student_id.startswith("mistake") and full_lost and not visible_failed:
            key = (assignment, s.description)
            if key in EXCEPTIONS:
                used_exceptions.add(key)
            else:
                problems.append(
                    f"mistake {s.description!r} passes every visible test but loses "
                    f"{total - full_score:g}/{total:g} points to the hidden tests in {full_lost}"
                )
    stale = {k for k in EXCEPTIONS if k[0] == assignment} - used_exceptions
    for key in sorted(stale):
        problems.append(f"exception {key[1]!r} is no longer needed: remove it from EXCEPTIONS")

    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / f"visible_vs_hidden_{assignment}.json").write_text(json.dumps(rows, indent=1))
    (artifacts / f"visible_vs_hidden_{assignment}.md").write_text(_table(assignment, rows))
    assert not problems, "\n".join(problems)
