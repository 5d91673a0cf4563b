"""``cnnbook autograde``: nbgrader's autograder, in parallel sandboxes, losing nothing.

The flow, for one assignment (all of it in the parent process except step 3):

1. **Stage**: copy each submission ``submitted/<student>/<assignment>`` into a private
   staging folder (no symlinks, no special files). A notebook that is not a readable
   notebook is left out of the staged copy (nbgrader then scores it 0, as it does a
   missing notebook) and the reason is kept.
2. **Sanitize** with nbgrader's own sanitize preprocessors, configured as its Autograde
   converter configures them: test cells, kernelspec and cell metadata restored from
   the gradebook. The staged notebook is replaced by the sanitized one, and becomes a
   job. Submissions are staged one at a time as the executor asks for work, so the
   first sandboxes start at once.
3. **Execute** (in parallel): each job runs under the isolation engine the CLI chose
   (:mod:`cnnbook.grader.isolation.jobs`), with nbgrader's Execute settings: the
   student's notebook without its test cells, then the graded calls the judge recorded
   on the reference (:func:`cnnbook.grader.judging.judge.record`), as plain data.
4. **Judge and grade**, one submission at a time as results arrive: the trusted judge
   runs the test cells on the decoded results (:func:`cnnbook.grader.judging.judge.judge`,
   a verdict per test cell, a likely mistake named); then nbgrader's Autograde converter
   on the staged copy, its Execute preprocessor replaced by :class:`ReplayExecute`,
   which puts in the sandbox's outputs and the verdicts. Everything after that
   (LimitOutput, SaveAutoGrades, late penalties, the autograded/ folder) is nbgrader's,
   so the grades are recorded as nbgrader records them.
5. **Record** the outcome of every submission in the gradebook's ``cnnbook_grading``
   side table and in ``reports/<assignment>/autograde_status.csv``.

Only the parent opens the gradebook, and only from its main thread.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from cnnbook.grader import drift, gradebook, interrupts, rerun
from cnnbook.grader.course import Course
from cnnbook.grader.errors import CnnbookError
from cnnbook.grader.isolation import capabilities, overlay
from cnnbook.grader.isolation.engine import Isolation
from cnnbook.grader.isolation.execution import ExecutionRecord, merge_outputs, read_job
from cnnbook.grader.isolation.executor import Executor, Job, JobResult, LocalExecutor
from cnnbook.grader.isolation.job_folder import write_job_folder
from cnnbook.grader.isolation.jobs import choose
from cnnbook.grader.isolation.limits import Limits
from cnnbook.grader.isolation.staging import (
    fingerprint,
    in_shard,
    sanitize,
    stage_submission,
)
from cnnbook.grader.judging import judge
from cnnbook.grader.judging.assignment_tests import imported_names
from cnnbook.grader.judging.replay import autograde_config, write_record
from cnnbook.grader.outcomes import (
    NOT_RUN,
    NotebookOutcome,
    Status,
    SubmissionOutcome,
    text,
)
from cnnbook.grader.sandboxed.job_spec import JobSpec
from cnnbook.grader.status_table import write_status_table

__all__ = ["Autograder", "AutogradeError", "autograde"]


class AutogradeError(CnnbookError):
    """The run cannot start (unknown assignment, a broken nbgrader configuration, a
    reference solution that fails its own tests)."""


class Autograder:
    """Grades one assignment. ``executor`` is the seam (see :mod:`.executor`)."""

    def __init__(
        self,
        course: Course,
        assignment: str,
        limits: Limits | None = None,
        jobs: int | None = None,
        executor: Executor | None = None,
        isolation: Isolation | None = None,
        force: bool = False,
        progress: bool = True,
        shard: tuple[int, int] | None = None,
        log=None,
        seed: int | None = None,
    ):
        self.course = course
        self.assignment = assignment
        self.limits = limits or Limits()
        self.isolation = isolation or choose()  # bubblewrap when it works here
        self.executor = executor or LocalExecutor(jobs, self.limits, self.isolation)
        self.force = force
        self.progress = progress
        self.shard = shard
        self.log = log or (lambda msg: print(msg, file=sys.stderr))
        # hidden inputs are drawn from this seed: new for every run unless given
        self.seed = secrets.randbits(63) if seed is None else int(seed)
        self.recordings: dict[str, judge.Recording] = {}
        self.drifted: dict[str, str] = {}  # student -> why the grade had drifted
        self.digests = None  # the gradebook's score digests, read once if needed (rerun)

    # -- helpers ------------------------------------------------------------------

    def _notebook_names(self) -> list[str]:
        with Gradebook(self.course.db_url) as gb:
            try:
                a = gb.find_assignment(self.assignment)
            except MissingEntry:
                raise AutogradeError(
                    f"assignment {self.assignment!r} is not in the gradebook: "
                    f"run `cnnbook release {self.assignment}` first"
                ) from None
            return [nb.name for nb in a.notebooks]

    # -- the run ------------------------------------------------------------------

    def run(self) -> list[SubmissionOutcome]:
        with warnings.catch_warnings():
            # nbgrader's gradebook code makes SQLAlchemy warn on every submission; harmless
            warnings.simplefilter("ignore", SAWarning)
            return self._run()

    def _run(self) -> list[SubmissionOutcome]:
        # before any student code runs: a locked (past the timeout), read-only or
        # unreachable gradebook stops the run here, with nothing changed
        gradebook.check_writable(self.course.db_url)
        notebooks = self._notebook_names()
        students = self.course.submitted_students(self.assignment)
        if self.shard:
            students = [s for s in students if in_shard(s, *self.shard)]
        previous = gradebook.read_status(self.course.db_url, self.assignment)
        self._warn_isolation()
        work = Path(tempfile.mkdtemp(prefix="cnnbook-autograde-"))
        self._prepare_judge(notebooks, work)
        staged_root = work / "submitted"
        jobs_dir = work / "jobs"
        outcomes: dict[str, SubmissionOutcome] = {}
        prints: dict[str, str] = {}
        pending: dict[str, set[str]] = {}
        todo: list[str] = []
        self._notebooks = notebooks
        for student in students:
            prints[student], prev = rerun.decide(self, student, previous.get(student), notebooks)
            if prev is not None:
                outcomes[student] = prev
            else:
                todo.append(student)
        bar = self._bar(len(todo))

        def finish(student: str) -> None:
            out = outcomes[student]
            try:
                self._grade(student, out, jobs_dir, staged_root)
            except Exception as e:  # noqa: BLE001 - one bad submission never stops all
                interrupts.check()
                reason = f"could not grade the submission: {type(e).__name__}: {e}"
                out.notebooks.append(NotebookOutcome("*", Status.GRADING_ERROR, text(reason)))
                gradebook.zero_submission(self.course.db_url, self.assignment, student)
                out.summarize()
            self._record(student, out, prints[student])
            # the job's folders are not needed any more: a big class leaves no pile
            shutil.rmtree(jobs_dir / student, ignore_errors=True)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{student}: {out.status}")

        def staged_jobs():
            """Stage submissions one at a time, as the executor asks for more work, so
            the first sandboxes start at once; runs in this (the main) thread."""
            for student in todo:
                src = self.course.path("submitted", student, self.assignment)
                out = outcomes[student] = SubmissionOutcome(student)
                if student in self.drifted:
                    out.notes.append(f"regraded: {self.drifted[student]}")
                try:
                    student_jobs = self._stage(student, src, staged_root, jobs_dir, notebooks, out)
                except Exception as e:  # noqa: BLE001 - one bad submission never stops all
                    reason = f"could not stage the submission: {type(e).__name__}: {e}"
                    reason = text(reason, 300)
                    out.notebooks.append(NotebookOutcome("*", Status.GRADING_ERROR, reason))
                    student_jobs = []
                pending[student] = {j.notebook for j in student_jobs}
                if not student_jobs:  # nothing to execute: graded right away
                    finish(student)
                yield from student_jobs

        started = time.monotonic()
        try:
            for result in self.executor.run(staged_jobs()):
                student = result.job.student
                try:
                    self._collect(result, outcomes[student])
                except Exception as e:  # noqa: BLE001 - what came back cannot stop the batch
                    interrupts.check()
                    reason = text(f"could not read the job's results: {type(e).__name__}: {e}", 300)
                    outcomes[student].notebooks.append(
                        NotebookOutcome(result.job.notebook, Status.GRADING_ERROR, reason)
                    )
                pending[student].discard(result.job.notebook)
                if not pending[student]:
                    finish(student)
        finally:
            if bar is not None:
                bar.close()
            shutil.rmtree(work, ignore_errors=True)
        self.elapsed = time.monotonic() - started
        gradebook.fill_names(self.course.db_url, todo)  # Formgrader's "None, None"
        result = [outcomes[s] for s in students]
        self.status_csv = write_status_table(self.course, self.assignment, result)
        return result

    def judge_one(self, student: str, notebook: str, work: Path) -> tuple[SubmissionOutcome, str]:
        """Stage, run in the sandbox and judge one notebook of one submission, as
        :meth:`run` does for each (nbgrader's Autograde door, :mod:`cnnbook.grader.doors`).
        The verdicts and outputs are left in ``work/jobs/<student>/<notebook>/record.json``
        for :class:`ReplayExecute`; returns the outcome (score not set) and the
        submission's fingerprint."""
        self._warn_isolation()
        self._prepare_judge([notebook], work)
        src = self.course.path("submitted", student, self.assignment)
        out = SubmissionOutcome(student)
        jobs = self._stage(student, src, work / "submitted", work / "jobs", [notebook], out)
        for result in self.executor.run(jobs):
            self._collect(result, out)
        return out, fingerprint(src)

    def _warn_isolation(self) -> None:
        for warning in capabilities.warnings(self.isolation):
            self.log(warning)

    def _prepare_judge(self, notebooks: list[str], work: Path) -> None:
        """Record each notebook's graded calls with the reference (once per run), and
        build the sandbox's copy of the course package."""
        for name in notebooks:
            source = self.course.path("source", ".", self.assignment) / f"{name}.ipynb"
            tests = judge.AssignmentTests.from_path(source, self.assignment)
            try:
                self.recordings[name] = judge.record(tests, self.seed)
            except RuntimeError as e:  # the reference fails its own tests: nothing to grade
                raise AutogradeError(f"{source}: {e}") from e
            graded = [n for n in tests.functions if n not in imported_names(tests)]
            overlay.build(work / "package" / name, tests.sandbox_modules, graded)

    def _bar(self, total: int):
        if not self.progress or total == 0:
            return None
        from tqdm.auto import tqdm

        desc = f"autograde {self.assignment}"
        return tqdm(total=total, desc=desc, unit="submission", file=sys.stderr)

    def _stage(self, student, src, staged_root, jobs_dir, notebooks, out) -> list[Job]:
        """Copy one submission to the staging folder and prepare its jobs."""
        dest = staged_root / student / self.assignment
        # only the notebooks, timestamp.txt and the student's files within the caps: what
        # is staged is what nbgrader copies to autograded/
        problems, refused = stage_submission(src, dest, notebooks)
        if refused:
            out.notes.append("files not given to the notebook: " + "; ".join(refused))
        jobs = []
        files_src = self.course.path("source", ".", self.assignment)
        for name in notebooks:
            path = dest / f"{name}.ipynb"
            unreadable = [p for p in problems if p.startswith(f"{name}.ipynb ")]
            if unreadable:
                out.notebooks.append(
                    NotebookOutcome(name, Status.CORRUPT_NOTEBOOK, unreadable[0][:300])
                )
                continue
            if not path.exists():
                out.notebooks.append(
                    NotebookOutcome(
                        name, Status.MISSING_NOTEBOOK, f"{name}.ipynb was not submitted"
                    )
                )
                continue
            try:
                nb = sanitize(path, self.course, student, self.assignment, name)
                nbformat.write(nb, str(path))  # what is executed is what nbgrader grades
            except Exception as e:  # noqa: BLE001 - corrupt JSON, not a notebook, ...
                path.unlink()  # nbgrader will score it as missing: 0 points
                msg = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
                out.notebooks.append(
                    NotebookOutcome(
                        name,
                        Status.CORRUPT_NOTEBOOK,
                        f"{name}.ipynb is not a readable notebook ({msg})",
                    )
                )
                continue
            execute = self.course.execute_config()
            cell_timeout = execute.get("timeout") or self.limits.timeout
            execute["timeout"] = max(1, int(min(cell_timeout, self.limits.timeout)))
            spec = JobSpec(
                assignment=self.assignment,
                execute=execute,
                max_output_bytes=self.limits.output_mb * 1024 * 1024,
                # one graded call may take as long as one cell; all of them, the job
                call_timeout=min(self.limits.call_timeout or 1e9, execute["timeout"]),
                harness_timeout=int(self.limits.timeout),
            )
            job_dir = jobs_dir / student / name
            write_job_folder(
                job_dir, spec, nb, self.recordings[name].payload(), student_dir=dest,
                package=staged_root.parent / "package" / name, assignment_files=files_src,
            )  # fmt: skip
            jobs.append(Job(student, name, job_dir))
        return jobs

    def _collect(self, result: JobResult, out: SubmissionOutcome) -> None:
        job = result.job
        if result.outcome is None:
            record = ExecutionRecord(
                {}, False, Status.SANDBOX_ERROR, f"executor failed: {result.error}"
            )
        else:
            out.seconds += result.outcome.seconds
            limits = self.limits
            record = read_job(job.job_dir, result.outcome, limits.timeout, limits.memory_mb)
        # notes from the outputs themselves (MemoryError caught by the student's code, ...)
        probe = nbformat.v4.new_notebook()
        info = json.loads((job.job_dir / "job.json").read_text())
        probe.cells = nbformat.from_dict(info["notebook"]).cells
        notes = merge_outputs(probe, record)
        status, reason = record.status, record.reason
        if status == Status.OK and notes:
            status, reason = notes[0].split(": ", 1)
            status = Status(status)
        elif notes:
            reason = "; ".join([reason] + [n.split(": ", 1)[1] for n in notes])
        try:
            recording = self.recordings[job.notebook]
            verdicts = judge.judge(recording, judge.decode_outcomes(recording, record.calls))
            out.diagnoses += [(job.notebook, v.grade_id, v.diagnosis) for v in verdicts
                              if v.diagnosis]  # fmt: skip
            verdicts = {v.grade_id: v.__dict__ for v in verdicts}
        except Exception as e:  # noqa: BLE001 - recorded, never fatal for the batch
            status, reason = (
                Status.GRADING_ERROR,
                f"the judge failed: {type(e).__name__}: {e}"[:300],
            )
            verdicts = {}
        out.notebooks.append(NotebookOutcome(job.notebook, status, reason))
        write_record(job.job_dir, record, verdicts)

    def _grade(self, student, out: SubmissionOutcome, jobs_dir: Path, staged_root: Path) -> None:
        """nbgrader's autograde for one staged submission, outputs replayed (parent only)."""
        api = self.course.api
        coursedir = self.course.coursedir
        saved = api.config, coursedir.submitted_directory
        try:
            api.config = autograde_config(self.course.config, jobs_dir, staged_root)
        except ValueError as e:
            raise AutogradeError(str(e)) from None
        coursedir.submitted_directory = str(staged_root)
        try:
            graded = False
            executed = [n for n in out.notebooks if n.notebook != "*"]
            if any(n.status not in NOT_RUN for n in executed):
                # nbgrader deletes autograded/<student>/ first: wait for a lock out here
                gradebook.check_writable(self.course.db_url)
                r = api.autograde(self.assignment, student, force=True, create=True)
                # nbgrader's capture_log swallows a Ctrl-C: never record it as a failure
                interrupts.check()
                graded = bool(r.get("success"))
                if not graded:
                    err = (r.get("error") or r.get("log") or "").strip().splitlines()
                    reason = f"nbgrader: {err[-1] if err else '?'}"
                    out.notebooks.append(NotebookOutcome("*", Status.GRADING_ERROR, reason))
            if not graded:  # still a grade row for every submission: zeros, and the reason
                gradebook.zero_submission(self.course.db_url, self.assignment, student)
        finally:
            api.config, coursedir.submitted_directory = saved
        score = gradebook.submission_score(self.course.db_url, self.assignment, student)
        out.score, out.max_score = score if score else (None, None)
        out.summarize()

    def _record(self, student: str, out: SubmissionOutcome, fp: str, judged_notebooks=None) -> None:
        row = out.as_row(self.assignment, fp, self.isolation.name)
        # what the judge left, to notice later changes made without it (drift.drifted)
        row["grades_digest"] = drift.grades_digest(self.course.db_url, self.assignment, student)
        folder = self.course.path("autograded", student, self.assignment)
        notebooks = getattr(self, "_notebooks", None) or gradebook.notebook_names(
            self.course.db_url, self.assignment
        )
        row["autograded_digest"] = drift.autograded_digest(folder, notebooks, judged_notebooks)
        gradebook.record_status(self.course.db_url, row)
        gradebook.record_diagnoses(self.course.db_url, self.assignment, student, out.diagnoses)



def autograde(course: Course, assignment: str, **kwargs) -> list[SubmissionOutcome]:
    return Autograder(course, assignment, **kwargs).run()
