"""Grade a student's answers with the trusted judge in this process (no sandbox).

The student's namespace is built as the sandbox builds it (the notebook's set-up cells,
then the answer cells), the recorded calls are made by the real harness, and the judge
grades the decoded results. Used by tests/test_grader_judging_judge.py and
tests/test_exercises_visible.py: the same grading as ``cnnbook autograde`` minus the
isolation, so that a whole catalogue runs in seconds. (Isolation has its own tests:
tests/test_grader_cheating.py, tests/test_grader_autograde.py.)
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from cnnbook.grader.judging import judge
from cnnbook.grader.sandboxed import harness

SEED = 20261130
_RECORDINGS: dict[tuple[str, bool], judge.Recording] = {}


def visible_only(tests: judge.AssignmentTests) -> judge.AssignmentTests:
    """The same assignment with every test cell cut to its visible part (what the
    released notebook runs)."""
    cells = [
        dataclasses.replace(c, source=c.visible_source) if c.kind is judge.CellKind.TEST else c
        for c in tests.cells
    ]
    return dataclasses.replace(tests, cells=cells)


def recording(solution: Path, assignment: str, visible: bool = False) -> judge.Recording:
    key = (assignment, visible)
    if key not in _RECORDINGS:
        tests = judge.AssignmentTests.from_path(solution, assignment)
        _RECORDINGS[key] = judge.record(visible_only(tests) if visible else tests, SEED)
    return _RECORDINGS[key]


def grade(rec: judge.Recording, answers: dict[str, str], tmp_path: Path) -> list[judge.Verdict]:
    """The judge's verdicts for a student whose answer cells are ``answers``."""
    namespace: dict = {"__name__": "__main__"}
    for cell in rec.tests.cells:
        if cell.kind is judge.CellKind.CODE:
            exec(cell.source, namespace)
        elif cell.kind is judge.CellKind.ANSWER:
            try:
                exec(answers[cell.grade_id], namespace)
            except Exception:  # noqa: BLE001 - a cell that raises, as in a notebook
                pass
    calls, results = tmp_path / "calls.json", tmp_path / "results.jsonl"
    calls.write_text(json.dumps(rec.payload()))
    harness.run_calls(namespace, str(calls), str(results))
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    return judge.judge(rec, judge.decode_outcomes(rec, lines))
