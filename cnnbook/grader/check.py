"""``cnnbook check NOTEBOOK``: a student's score on the visible tests before submitting.

It scores exactly as the autograder does, through the same judge: the visible parts of
the tests are recorded on the reference solution (``solutions/<a>/<a>.ipynb`` of the
course the package comes from, or of the course root above the notebook), the
student's notebook runs in the sandbox (when bubblewrap is installed) with every test
cell emptied and the package minus the modules that hold answers, the graded calls are
made there, and the judge decides each visible test from their results, helpers
included (``graded_with_reference``: the student's own helpers, replayed in the
judge). An answer cell that raised (an import of the reference, a syntax error) is
reported first. Where no reference solution is found
(a package installed without the course's files), the released test cells run in the
sandboxed notebook instead and the report says so.

It runs the student's own code for the student's own information: unlike grading,
nothing here has to be protected from that code.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cnnbook.grader.isolation import overlay
from cnnbook.grader.isolation.engine import Isolation
from cnnbook.grader.isolation.execution import read_job
from cnnbook.grader.isolation.jobs import choose, run_job
from cnnbook.grader.isolation.limits import Limits
from cnnbook.grader.isolation.staging import (
    MAX_STUDENT_FILE_BYTES,
    MAX_STUDENT_FILES,
    MAX_STUDENT_FILES_BYTES,
    student_code_only,
)
from cnnbook.grader.judging import judge
from cnnbook.grader.judging.assignment_tests import imported_names
from cnnbook.grader.sandboxed.job_spec import JobSpec


@dataclass
class TestResult:
    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""


@dataclass
class CheckReport:
    notebook: Path
    results: list[TestResult]
    status: str  # how the run ended: ok, timeout, memory_limit, kernel_died, ...
    reason: str
    sandboxed: bool
    judged: bool = False  # the visible tests decided by the judge (the autograder's way)
    failed_answers: list = dataclasses.field(default_factory=list)  # (cell, error)

    @property
    def score(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_points for r in self.results)

    @property
    def all_passed(self) -> bool:
        return self.status == "ok" and all(r.passed for r in self.results)


def _error_text(outputs: list) -> str | None:
    for o in outputs:
        if isinstance(o, dict) and o.get("output_type") == "error":
            ename, evalue = str(o.get("ename", "")), str(o.get("evalue", ""))
            if ename in ("AssertionError", "CheckError"):  # the course's own message
                return evalue or "a check failed"
            return f"{ename}: {evalue}"
    return None


def find_source(path: Path) -> Path | None:
    """The instructor source notebook of the assignment ``path`` belongs to: in the
    course root above it, or in the course the ``cnnbook`` package comes from."""
    from cnnbook.grader.course import find_course_root

    name = f"{path.stem}/{path.stem}.ipynb"
    roots = [find_course_root(path.resolve().parent)]
    roots.append(Path(__file__).resolve().parents[2])  # the course holding cnnbook/
    for root in roots:
        if root is not None and (root / "solutions" / name).is_file():
            return root / "solutions" / name
    return None


def check_notebook(
    path: Path,
    limits: Limits | None = None,
    isolation: Isolation | None = None,
    source: Path | None = None,
) -> CheckReport:
    """Run the notebook at ``path`` and judge its visible tests.

    Raises ``ValueError`` if ``path`` is not a readable notebook with graded test cells.
    """
    path = Path(path)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as e:  # noqa: BLE001 - any unreadable file
        raise ValueError(f"{path} is not a readable notebook ({type(e).__name__}: {e})") from e
    tests = judge.AssignmentTests.from_notebook(nb, path.stem)
    if not tests.tests:
        raise ValueError(f"{path} has no graded test cells: is it an assignment notebook?")
    limits = limits or Limits(timeout=600)
    isolation = isolation or choose()  # bubblewrap when it works here
    source = source or find_source(path)
    recording = None
    if source is not None:
        reference = judge.AssignmentTests.from_path(source, path.stem)
        recording = judge.record(_visible_only(reference), secrets.randbits(63))
    with tempfile.TemporaryDirectory(prefix="cnnbook-check-") as tmp:
        job = Path(tmp) / "job"
        (job / "files").mkdir(parents=True)
        _copy_folder(path.parent, job / "files")
        overlay.build(job / "package", tests.sandbox_modules, _graded_functions(tests))
        spec = JobSpec(
            assignment=path.stem,
            execute={"timeout": int(limits.timeout)},
            max_output_bytes=limits.output_mb * 1024 * 1024,
        )
        payload = {"spec": spec.to_json(), "notebook": nb}
        if recording is not None:  # as the autograder: test cells emptied, calls judged
            spec = dataclasses.replace(
                spec,
                call_timeout=min(limits.call_timeout or 1e9, limits.timeout),
                harness_timeout=int(limits.timeout),
            )
            payload = {
                "spec": spec.to_json(),
                "notebook": student_code_only(nb),
                "calls": recording.payload(),
            }
        (job / "job.json").write_text(json.dumps(payload))
        outcome = run_job(job, limits, isolation)
        record = read_job(job, outcome, limits.timeout, limits.memory_mb)
    failed_answers = _failed_answer_cells(tests, record)
    results = []
    if recording is not None:
        verdicts = {
            v.grade_id: v
            for v in judge.judge(recording, judge.decode_outcomes(recording, record.calls))
        }
        for cell in tests.tests:
            v = verdicts.get(cell.grade_id)
            if v is None:
                why = "not judged: this test is not in the reference"
                results.append(TestResult(cell.grade_id, 0, cell.points, False, why))
                continue
            points = cell.points if v.passed else 0
            message = "" if v.passed else (v.message or "the test failed")
            results.append(TestResult(cell.grade_id, points, cell.points, v.passed, message))
    else:
        for cell in tests.tests:
            ran = record.cells.get(cell.index)
            if ran is None:
                why = record.reason or "the notebook stopped before this cell"
                results.append(TestResult(cell.grade_id, 0, cell.points, False, f"not run: {why}"))
                continue
            error = _error_text(ran[1])
            passed = error is None
            points = cell.points if passed else 0
            results.append(TestResult(cell.grade_id, points, cell.points, passed, error or ""))
    report = CheckReport(path, results, record.status, record.reason, isolation.sandboxed)
    report.failed_answers = failed_answers
    report.judged = recording is not None
    return report


def _visible_only(tests: judge.AssignmentTests) -> judge.AssignmentTests:
    """The tests cut to their visible parts: what the student's release shows."""
    cells = [
        dataclasses.replace(c, source=c.visible_source) if c.kind is judge.CellKind.TEST else c
        for c in tests.cells
    ]
    return dataclasses.replace(tests, cells=cells)


def _failed_answer_cells(tests: judge.AssignmentTests, record) -> list[tuple[str, str]]:
    """(grade id, error) of every answer or set-up cell that raised in the sandbox."""
    out = []
    for cell in tests.cells:
        if cell.kind not in (judge.CellKind.ANSWER, judge.CellKind.CODE):
            continue
        ran = record.cells.get(cell.index)
        error = _error_text(ran[1]) if ran else None
        if error:
            out.append((cell.grade_id, error))
    return out


def _graded_functions(tests: judge.AssignmentTests) -> list[str]:
    imported = imported_names(tests)
    return [n for n in tests.functions if n not in imported]


def _copy_folder(folder: Path, dest: Path) -> None:
    """The notebook's folder (data files, the student's own modules), as when graded:
    no notebooks, no links, within the same size caps."""
    total = count = 0
    for f in sorted(folder.iterdir()):
        if f.is_symlink() or not f.is_file() or f.suffix == ".ipynb" or f.name.startswith("."):
            continue
        size = f.stat().st_size
        if size > MAX_STUDENT_FILE_BYTES or total + size > MAX_STUDENT_FILES_BYTES:
            continue
        if count >= MAX_STUDENT_FILES:
            break
        shutil.copyfile(f, dest / f.name)
        total += size
        count += 1


def format_report(report: CheckReport) -> str:
    """The table a student reads: one line per test, then each failure's full message."""
    width = max([len(r.grade_id) for r in report.results] + [4])
    lines = []
    for gid, error in report.failed_answers:  # first: the cause of later failures
        first = error.splitlines()[0] if error else ""
        lines.append(f"Your cell {gid!r} raised an error, so what it defines is missing: {first}")
    if lines:
        lines.append("")
    lines.append(f"{'test':<{width}}  {'points':>9}  result")
    for r in report.results:
        score = f"{r.points:g}/{r.max_points:g}"
        first = r.message.splitlines()[0] if r.message else ""
        verdict = "passed" if r.passed else f"FAILED  {first}"
        lines.append(f"{r.grade_id:<{width}}  {score:>9}  {verdict}")
    lines.append(f"{'total':<{width}}  {report.score:g}/{report.max_score:g}".rstrip())
    failures = [r for r in report.results if not r.passed]
    for r in failures:
        lines += ["", f"--- {r.grade_id} ---", r.message]
    if report.status != "ok":
        lines += ["", f"The notebook did not run to the end: {report.status}: {report.reason}"]
    if not report.judged:
        lines += [
            "",
            "(no reference solution was found beside the package, so the visible tests ran in "
            "your notebook; the autograder's judge may score differently the tests that "
            "grade a function given your own helper functions)",
        ]
    if not report.sandboxed:
        lines += [
            "",
            "(bubblewrap is not installed, so the notebook ran without the autograder's "
            "sandbox; the results are the same for honest code)",
        ]
    lines += [
        "",
        "These are the visible tests; the autograder runs more on the same functions.",
    ]
    return "\n".join(lines)
