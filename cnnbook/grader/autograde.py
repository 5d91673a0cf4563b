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
3. **Execute** (the executor, in parallel): each job runs in its own sandbox
   (:mod:`cnnbook.grader.sandbox`), with nbgrader's Execute settings
   (:mod:`cnnbook.grader.runner`).
4. **Grade**, one submission at a time as results arrive: nbgrader's Autograde converter
   on the staged copy, its Execute preprocessor replaced by :class:`ReplayExecute`,
   which puts in the outputs the sandbox produced. Everything after execution
   (LimitOutput, SaveAutoGrades, late penalties, the autograded/ folder) is nbgrader's,
   so the grades are the ones nbgrader gives.
5. **Record** the outcome of every submission in the gradebook's ``cnnbook_grading``
   side table and in ``reports/<assignment>/autograde_status.csv``.

Only the parent opens the gradebook, and only from its main thread.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from sqlalchemy.exc import SAWarning
from traitlets import Unicode
from traitlets.config import Config

from . import gradebook
from .course import Course
from .executor import Executor, Job, JobResult, LocalExecutor
from .sandbox import Limits, sandbox_available

# Worst first: the status of a submission is the worst of its notebooks' statuses.
STATUSES = [
    "sandbox_error",
    "grading_error",
    "missing_notebook",
    "corrupt_notebook",
    "kernel_died",
    "timeout",
    "memory_limit",
    "output_limit",
    "ok",
]
NOT_EXECUTED = "CnnbookNotExecuted"
NOT_RUN = ("corrupt_notebook", "missing_notebook")  # outcomes without an autograded/ folder
# Outputs that would run the student's JavaScript in the instructor's browser (formgrader,
# feedback): dropped. Grades never depend on display outputs.
SCRIPT_TYPES = {"application/javascript", "text/javascript", "application/x-javascript"}


@dataclass
class NotebookOutcome:
    notebook: str
    status: str = "ok"
    reason: str = ""


@dataclass
class SubmissionOutcome:
    student: str
    status: str = "ok"
    reason: str = ""
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    skipped: bool = False
    notebooks: list[NotebookOutcome] = field(default_factory=list)

    def as_row(self, assignment: str, fingerprint: str, sandbox: str) -> dict:
        return {
            "assignment": assignment,
            "student": self.student,
            "status": self.status,
            "reason": self.reason,
            "score": self.score,
            "max_score": self.max_score,
            "fingerprint": fingerprint,
            "sandbox": sandbox,
            "seconds": round(self.seconds, 2),
        }


def worst(statuses) -> str:
    statuses = list(statuses) or ["ok"]
    return min(statuses, key=STATUSES.index)


def _only_plain_files(folder: str, names: list[str]) -> set[str]:
    """copytree filter: hidden files, and anything but files, folders and symlinks
    (a FIFO would hang the copy), stay behind; symlinks are removed after the copy."""
    skip = set()
    for name in names:
        p = Path(folder) / name
        if name.startswith(".") or not (p.is_symlink() or p.is_file() or p.is_dir()):
            skip.add(name)
    return skip


def in_shard(student: str, k: int, n: int) -> bool:
    """Whether ``student`` is graded by shard ``k`` of ``n`` (1-based), stable across runs.

    Machines sharing a PostgreSQL gradebook (safe for concurrent writers, unlike SQLite)
    and the course folder can each take one shard of a large class.
    """
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


def fingerprint(folder: Path) -> str:
    """SHA-256 of a submission folder's files (names and contents)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            h.update(str(p.relative_to(folder)).encode() + b"\0")
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- replay


def _clean_output(o) -> dict | None:
    """Rebuild one output from untrusted JSON, keeping only well-formed fields."""
    if not isinstance(o, dict):
        return None

    def text(v):
        if isinstance(v, list):
            return "".join(str(x) for x in v)
        return str(v)

    kind = o.get("output_type")
    if kind == "stream":
        name = o.get("name") if o.get("name") in ("stdout", "stderr") else "stdout"
        return new_output("stream", name=name, text=text(o.get("text", "")))
    if kind == "error":
        tb = o.get("traceback") if isinstance(o.get("traceback"), list) else []
        return new_output(
            "error",
            ename=str(o.get("ename", "")),
            evalue=str(o.get("evalue", "")),
            traceback=[str(x) for x in tb],
        )
    if kind in ("display_data", "execute_result"):
        data = o.get("data") if isinstance(o.get("data"), dict) else {}
        data = {
            str(k): (v if isinstance(v, dict) else text(v))
            for k, v in data.items()
            if isinstance(k, str) and "/" in k and k not in SCRIPT_TYPES
        }
        meta = o.get("metadata") if isinstance(o.get("metadata"), dict) else {}
        if kind == "execute_result":
            count = o.get("execution_count")
            count = count if isinstance(count, int) else None
            return new_output(kind, data=data, metadata=meta, execution_count=count)
        return new_output(kind, data=data, metadata=meta)
    return None


@dataclass
class ExecutionRecord:
    """What came back from one job: cell outputs, and why it stopped early (if it did)."""

    cells: dict[int, tuple[int | None, list]]
    complete: bool
    status: str
    reason: str


def read_job(job_dir: Path, outcome, timeout: float, memory_mb: int) -> ExecutionRecord:
    """Interpret a job's ``out/stream.jsonl`` and exit status."""
    cells: dict[int, tuple[int | None, list]] = {}
    result = None
    stream = job_dir / "out" / "stream.jsonl"
    if stream.exists():
        with open(stream, "rb") as f:
            for raw in f:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(msg, dict):
                    continue
                if msg.get("type") == "cell" and isinstance(msg.get("index"), int):
                    outs = msg.get("outputs") if isinstance(msg.get("outputs"), list) else []
                    count = msg.get("execution_count")
                    cells[msg["index"]] = (count if isinstance(count, int) else None, outs)
                elif msg.get("type") == "result":
                    result = msg
    if outcome is not None and outcome.timed_out:
        return ExecutionRecord(
            cells, False, "timeout", f"did not finish within the time limit of {timeout:g} s"
        )
    if result is None:
        rc = outcome.returncode if outcome is not None else None
        if rc is not None and rc < 0:
            import signal

            sig = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else rc
            if sig == "SIGXCPU":
                return ExecutionRecord(cells, False, "timeout", "CPU time limit reached")
            if sig == "SIGKILL":
                reason = f"killed (SIGKILL), most likely over the memory limit of {memory_mb} MB"
                return ExecutionRecord(cells, False, "memory_limit", reason)
            return ExecutionRecord(cells, False, "kernel_died", f"sandbox killed by {sig}")
        log = (job_dir / "sandbox.log").read_text(errors="replace")[-500:].strip()
        reason = f"the sandbox stopped without a result (exit code {rc})"
        return ExecutionRecord(cells, False, "sandbox_error", f"{reason}: {log}" if log else reason)
    status = result.get("status")
    if status == "ok":
        return ExecutionRecord(cells, True, "ok", "")
    if status == "kernel_died":
        tail = str(result.get("log_tail", "")).replace("\0", "")
        memory = "MemoryError" in tail or "Cannot allocate memory" in tail
        reason = "the kernel died (the student's code ended the Python process)"
        if memory:
            return ExecutionRecord(cells, False, "memory_limit", f"{reason}: out of memory")
        return ExecutionRecord(cells, False, "kernel_died", reason)
    return ExecutionRecord(
        cells, False, "sandbox_error", f"execution failed: {str(result.get('message'))[:300]}"
    )


def merge_outputs(nb, record: ExecutionRecord) -> list[str]:
    """Put the sandbox's outputs into the (trusted) sanitized notebook ``nb``, in place.

    Code cells the sandbox never finished get an error output, so nbgrader scores
    their tests 0 instead of taking an empty output for a pass. Returns notes about
    limits that were hit (MemoryError, cell timeouts, output truncated).
    """
    notes: list[str] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if i in record.cells:
            count, outs = record.cells[i]
            cleaned = [c for c in (_clean_output(o) for o in outs) if c is not None]
            cell.outputs = cleaned
            cell.execution_count = count
            for o in cleaned:
                if o.output_type == "error" and o.ename == "MemoryError":
                    where = cell.metadata.get("nbgrader", {}).get("grade_id", i)
                    notes.append(f"memory_limit: MemoryError in cell {where}")
                if o.output_type == "error" and o.ename == "CellTimeoutError":
                    notes.append("timeout: a cell exceeded the per-cell time limit")
                if o.output_type == "stream" and "[cnnbook: output limit" in o.text:
                    notes.append("output_limit: output over the limit was dropped")
        elif not record.complete and cell.source.strip():
            cell.outputs = [
                new_output(
                    "error",
                    ename=NOT_EXECUTED,
                    evalue=record.reason,
                    traceback=[f"{NOT_EXECUTED}: this cell was not run: {record.reason}"],
                )
            ]
            cell.execution_count = None
    return notes


class ReplayExecute(NbGraderPreprocessor):
    """Stands in for nbgrader's Execute: takes the outputs from the sandboxed run."""

    jobs_dir = Unicode("").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        notebook = resources["nbgrader"]["notebook"]
        job_dir = Path(self.jobs_dir) / student / notebook
        info = json.loads((job_dir / "record.json").read_text())
        record = ExecutionRecord(
            {int(k): (v[0], v[1]) for k, v in info["cells"].items()},
            info["complete"],
            info["status"],
            info["reason"],
        )
        merge_outputs(nb, record)
        return nb, resources


# --------------------------------------------------------------------------- grading


class Autograder:
    """Grades one assignment. ``executor`` is the seam (see :mod:`.executor`)."""

    def __init__(
        self,
        course: Course,
        assignment: str,
        limits: Limits | None = None,
        jobs: int | None = None,
        executor: Executor | None = None,
        use_sandbox: bool | None = None,
        force: bool = False,
        progress: bool = True,
        shard: tuple[int, int] | None = None,
        log=None,
    ):
        self.course = course
        self.assignment = assignment
        self.limits = limits or Limits()
        if use_sandbox is None:
            use_sandbox = sandbox_available()
        self.use_sandbox = use_sandbox
        self.executor = executor or LocalExecutor(jobs, self.limits, use_sandbox)
        self.force = force
        self.progress = progress
        self.shard = shard
        self.log = log or (lambda msg: print(msg, file=sys.stderr))

    # -- helpers ------------------------------------------------------------------

    def _notebook_names(self) -> list[str]:
        with Gradebook(self.course.db_url) as gb:
            try:
                a = gb.find_assignment(self.assignment)
            except MissingEntry:
                raise SystemExit(
                    f"assignment {self.assignment!r} is not in the gradebook: "
                    f"run `cnnbook release {self.assignment}` first"
                ) from None
            return [nb.name for nb in a.notebooks]

    def _nbgrader_config(self, jobs_dir: Path, staged: Path) -> Config:
        cfg = Config()
        cfg.merge(self.course.config)
        cfg.CourseDirectory.submitted_directory = str(staged)
        pps = list(cfg.Autograde.get("autograde_preprocessors", []) or [])
        if not pps:
            pps = list(Autograde.class_traits()["autograde_preprocessors"].default())
        pps = [ReplayExecute if (p is Execute or p == "Execute") else p for p in pps]
        if ReplayExecute not in pps:
            raise SystemExit("Autograde.autograde_preprocessors has no Execute to replace")
        cfg.Autograde.autograde_preprocessors = pps
        # the staged notebooks were sanitized by _stage with nbgrader's own preprocessors
        # (and executed as such): grading them as they are avoids doing it twice
        cfg.Autograde.sanitize_preprocessors = []
        cfg.ReplayExecute.jobs_dir = str(jobs_dir)
        return cfg

    def _sanitize(self, path: Path, student: str, notebook: str):
        """nbgrader's sanitize stage, exactly as its Autograde converter configures it."""
        nb = nbformat.read(str(path), as_version=4)
        resources = {
            "nbgrader": {
                "student": student,
                "assignment": self.assignment,
                "notebook": notebook,
                "db_url": self.course.db_url,
            }
        }
        pps = self.course.config.Autograde.get("sanitize_preprocessors") or list(
            Autograde.class_traits()["sanitize_preprocessors"].default()
        )
        for pp_class in pps:
            nb, resources = pp_class(config=self.course.config)(nb, resources)
        return nb

    # -- the run ------------------------------------------------------------------

    def run(self) -> list[SubmissionOutcome]:
        with warnings.catch_warnings():
            # nbgrader's gradebook code makes SQLAlchemy warn on every submission; harmless
            warnings.simplefilter("ignore", SAWarning)
            return self._run()

    def _run(self) -> list[SubmissionOutcome]:
        notebooks = self._notebook_names()
        students = self.course.submitted_students(self.assignment)
        if self.shard:
            students = [s for s in students if in_shard(s, *self.shard)]
        previous = gradebook.read_status(self.course.db_url, self.assignment)
        if not self.use_sandbox:
            self.log(
                "WARNING: bubblewrap (bwrap) is not available: student code runs WITHOUT "
                "network or file-system isolation, with only memory, CPU-time, file-size "
                "and wall-clock limits. Install it (Debian/Ubuntu: apt-get install "
                "bubblewrap) before grading untrusted submissions."
            )
        work = Path(tempfile.mkdtemp(prefix="cnnbook-autograde-"))
        staged_root = work / "submitted"
        jobs_dir = work / "jobs"
        outcomes: dict[str, SubmissionOutcome] = {}
        prints: dict[str, str] = {}
        pending: dict[str, set[str]] = {}
        todo: list[str] = []
        for student in students:
            src = self.course.path("submitted", student, self.assignment)
            prints[student] = fp = fingerprint(src)
            prev = previous.get(student)
            graded_dir = self.course.path("autograded", student, self.assignment)
            if (
                not self.force
                and prev is not None
                and prev["fingerprint"] == fp
                # the tool's own failures are retried; the student's outcomes stand
                and prev["status"] not in ("sandbox_error", "grading_error")
                and (graded_dir.exists() or prev["status"] in NOT_RUN)
            ):
                outcomes[student] = SubmissionOutcome(
                    student, prev["status"], prev["reason"], prev["score"],
                    prev["max_score"], skipped=True,
                )  # fmt: skip
            else:
                todo.append(student)
        bar = self._bar(len(todo))

        def finish(student: str) -> None:
            out = outcomes[student]
            self._grade(student, out, jobs_dir, staged_root)
            self._record(student, out, prints[student])
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{student}: {out.status}")

        def staged_jobs():
            """Stage submissions one at a time, as the executor asks for more work, so
            the first sandboxes start at once; runs in this (the main) thread."""
            for student in todo:
                src = self.course.path("submitted", student, self.assignment)
                out = outcomes[student] = SubmissionOutcome(student)
                try:
                    student_jobs = self._stage(student, src, staged_root, jobs_dir, notebooks, out)
                except Exception as e:  # noqa: BLE001 - one bad submission never stops all
                    reason = f"could not stage the submission: {type(e).__name__}: {e}"
                    out.notebooks.append(NotebookOutcome("*", "grading_error", reason[:300]))
                    student_jobs = []
                pending[student] = {j.notebook for j in student_jobs}
                if not student_jobs:  # nothing to execute: graded right away
                    finish(student)
                yield from student_jobs

        started = time.monotonic()
        try:
            for result in self.executor.run(staged_jobs()):
                student = result.job.student
                self._collect(result, outcomes[student])
                pending[student].discard(result.job.notebook)
                if not pending[student]:
                    finish(student)
        finally:
            if bar is not None:
                bar.close()
            shutil.rmtree(work, ignore_errors=True)
        self.elapsed = time.monotonic() - started
        result = [outcomes[s] for s in students]
        self._write_csv(result)
        return result

    def _bar(self, total: int):
        if not self.progress or total == 0:
            return None
        from tqdm.auto import tqdm

        desc = f"autograde {self.assignment}"
        return tqdm(total=total, desc=desc, unit="submission", file=sys.stderr)

    def _stage(self, student, src, staged_root, jobs_dir, notebooks, out) -> list[Job]:
        """Copy one submission to the staging folder and prepare its jobs."""
        dest = staged_root / student / self.assignment
        shutil.copytree(src, dest, symlinks=True, ignore=_only_plain_files)
        for p in dest.rglob("*"):  # a submission cannot smuggle links to other files
            if p.is_symlink():
                p.unlink()
        ts = src / "timestamp.txt"
        if ts.is_file() and not ts.is_symlink():
            shutil.copy(ts, dest / "timestamp.txt")
        jobs = []
        files_src = self.course.path("source", ".", self.assignment)
        for name in notebooks:
            path = dest / f"{name}.ipynb"
            if not path.exists():
                out.notebooks.append(
                    NotebookOutcome(name, "missing_notebook", f"{name}.ipynb was not submitted")
                )
                continue
            try:
                nb = self._sanitize(path, student, name)
                nbformat.write(nb, str(path))  # what is executed is what nbgrader grades
            except Exception as e:  # noqa: BLE001 - corrupt JSON, not a notebook, ...
                path.unlink()  # nbgrader will score it as missing: 0 points
                msg = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
                out.notebooks.append(
                    NotebookOutcome(
                        name, "corrupt_notebook", f"{name}.ipynb is not a readable notebook ({msg})"
                    )
                )
                continue
            job_dir = jobs_dir / student / name
            (job_dir / "files").mkdir(parents=True)
            # the assignment's other files (data, helper modules), as nbgrader provides them
            if files_src.is_dir():
                for f in files_src.rglob("*"):
                    rel = f.relative_to(files_src)
                    if f.is_file() and f.suffix != ".ipynb" and not rel.parts[0].startswith("."):
                        (job_dir / "files" / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy(f, job_dir / "files" / rel)
            execute = self.course.execute_config()
            cell_timeout = execute.get("timeout") or self.limits.timeout
            execute["timeout"] = max(1, int(min(cell_timeout, self.limits.timeout)))
            spec = {
                "assignment": self.assignment,
                "execute": execute,
                "max_output_bytes": self.limits.output_mb * 1024 * 1024,
            }
            (job_dir / "job.json").write_text(json.dumps({"spec": spec, "notebook": nb}))
            jobs.append(Job(student, name, job_dir))
        return jobs

    def _collect(self, result: JobResult, out: SubmissionOutcome) -> None:
        job = result.job
        if result.outcome is None:
            record = ExecutionRecord({}, False, "sandbox_error", f"executor failed: {result.error}")
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
        if status == "ok" and notes:
            status, reason = notes[0].split(": ", 1)
        elif notes:
            reason = "; ".join([reason] + [n.split(": ", 1)[1] for n in notes])
        out.notebooks.append(NotebookOutcome(job.notebook, status, reason))
        (job.job_dir / "record.json").write_text(
            json.dumps(
                {
                    "cells": {str(k): list(v) for k, v in record.cells.items()},
                    "complete": record.complete,
                    "status": record.status,
                    "reason": record.reason,
                }
            )
        )

    def _grade(self, student, out: SubmissionOutcome, jobs_dir: Path, staged_root: Path) -> None:
        """nbgrader's autograde for one staged submission, outputs replayed (parent only)."""
        api = self.course.api
        coursedir = self.course.coursedir
        saved = api.config, coursedir.submitted_directory
        api.config = self._nbgrader_config(jobs_dir, staged_root)
        coursedir.submitted_directory = str(staged_root)
        try:
            graded = False
            executed = [n for n in out.notebooks if n.notebook != "*"]
            if any(n.status not in ("missing_notebook", "corrupt_notebook") for n in executed):
                r = api.autograde(self.assignment, student, force=True, create=True)
                graded = bool(r.get("success"))
                if not graded:
                    err = (r.get("error") or r.get("log") or "").strip().splitlines()
                    reason = f"nbgrader: {err[-1] if err else '?'}"
                    out.notebooks.append(NotebookOutcome("*", "grading_error", reason))
            if not graded:  # still a grade row for every submission: zeros, and the reason
                gradebook.zero_submission(self.course.db_url, self.assignment, student)
        finally:
            api.config, coursedir.submitted_directory = saved
        score = gradebook.submission_score(self.course.db_url, self.assignment, student)
        out.score, out.max_score = score if score else (None, None)
        out.status = worst(n.status for n in out.notebooks)
        out.reason = "; ".join(
            f"{n.notebook}: {n.reason}" if len(out.notebooks) > 1 else n.reason
            for n in out.notebooks
            if n.status != "ok"
        )

    def _record(self, student: str, out: SubmissionOutcome, fp: str) -> None:
        sandbox = "bubblewrap" if self.use_sandbox else "none (limits only)"
        gradebook.record_status(self.course.db_url, out.as_row(self.assignment, fp, sandbox))

    def _write_csv(self, outcomes: list[SubmissionOutcome]) -> Path:
        """The status table of the whole class, from the gradebook's side table (other
        graders sharing the gradebook - shards - included), written atomically under a
        gradebook lock so that graders finishing together write it in turn."""
        path = self.course.root / "reports" / self.assignment / "autograde_status.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        skipped = {o.student: o.skipped for o in outcomes}  # "" for other graders' rows
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with gradebook.exclusive(self.course.db_url):
            rows = gradebook.read_status(self.course.db_url, self.assignment)
            with open(tmp, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["student", "status", "score", "max_score", "reason", "skipped"])
                for student, r in sorted(rows.items()):
                    w.writerow(
                        [student, r["status"], r["score"], r["max_score"], r["reason"],
                         skipped.get(student, "")]
                    )  # fmt: skip
            os.replace(tmp, path)
        self.status_csv = path
        return path


def autograde(course: Course, assignment: str, **kwargs) -> list[SubmissionOutcome]:
    return Autograder(course, assignment, **kwargs).run()
