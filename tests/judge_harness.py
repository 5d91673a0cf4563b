"""Grade a student's answers with the trusted judge in this process (no sandbox).

The student's namespace is built as the sandbox builds it (the notebook's set-up cells,
then the answer cells), the recorded calls are made by the real harness, and the judge
grades the decoded results. Used by tests/test_grader_judging_judge.py and
tests/test_exercises_visible.py: the same grading as ``cnnbook autograde`` minus the
isolation, so that a whole catalogue runs in seconds. (Isolation has its own tests:
tests/test_grader_cheating.py, tests/test_grader_autograde.py.)

Several test files grade the same students against the same recording (the judge's,
the visible-vs-hidden, the diagnosis and the check-parity tests all go over the
catalogue). Running a student's answers on a recording's calls is deterministic, so its
results are kept, compressed, in a folder every xdist worker of the run shares
(``CNNBOOK_TEST_RESULTS``, made by tests/conftest.py), under the SHA-256 of the calls,
the set-up cells and the answers; the judge still judges every time. ps07's training makes this the
difference of minutes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import zlib
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


def grade(
    rec: judge.Recording, answers: dict[str, str], tmp_path: Path, diagnose: bool = True
) -> list[judge.Verdict]:
    """The judge's verdicts for a student whose answer cells are ``answers`` (with
    ``diagnose=False``, without the ``Likely mistake:`` lines, for tests that compare
    points only: the diagnosis tries the catalogue on every failed cell)."""
    payload = json.dumps(rec.payload())
    setup = [c.source for c in rec.tests.cells if c.kind is judge.CellKind.CODE]
    key = json.dumps([payload, setup, answers], sort_keys=True)
    lines = _cached_results(key)
    if lines is None:
        lines = _run(rec, payload, answers, tmp_path)
        _keep_results(key, lines)
    outcomes = judge.decode_outcomes(rec, [json.loads(line) for line in lines])
    return judge.judge(rec, outcomes, diagnose=diagnose)


def _run(rec: judge.Recording, payload: str, answers: dict[str, str], tmp_path: Path) -> list:
    """The results lines of the recorded calls made on the student's namespace."""
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
    calls.write_text(payload)
    harness.run_calls(namespace, str(calls), str(results))
    return results.read_text().splitlines()


def _results_file(key: str) -> Path | None:
    folder = os.environ.get("CNNBOOK_TEST_RESULTS")
    if not folder:
        return None
    return Path(folder) / f"{hashlib.sha256(key.encode()).hexdigest()}.jsonl.z"


def _cached_results(key: str) -> list | None:
    path = _results_file(key)
    try:
        return zlib.decompress(path.read_bytes()).decode().splitlines() if path else None
    except OSError:
        return None


def _keep_results(key: str, lines: list) -> None:
    path = _results_file(key)
    if path is None:
        return
    part = path.with_suffix(f".{os.getpid()}.part")
    part.write_bytes(zlib.compress("\n".join(lines).encode(), 1))
    part.replace(path)  # atomic: a worker reading it sees all of it or nothing
