"""The one seam between grading and running student code.

A :class:`Job` is a self-contained folder::

    job.json   {"spec": {...}, "notebook": {...}}  (piped to the runner's stdin)
    files/     the assignment's other files, copied into the working folder
    out/       written by the runner: progress.jsonl, result.json

An :class:`Executor` takes jobs and yields a :class:`JobResult` for each, in any order,
once its ``out/`` folder is final. The parent never needs more than that, so the
executor is the only piece a cluster engine has to replace: ship the job folder to a
node, run :func:`cnnbook.grader.isolation.jobs.run_job` there (or ``python -m
cnnbook.grader.isolation.jobs JOB_DIR``), bring ``out/`` back and yield the result.
Everything that touches the gradebook stays in the parent, which consumes the results
one at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cnnbook.grader.isolation.bubblewrap import Bubblewrap
from cnnbook.grader.isolation.engine import Isolation, RunOutcome
from cnnbook.grader.isolation.jobs import kill_all, run_job
from cnnbook.grader.isolation.limits import Limits


@dataclass
class Job:
    student: str
    notebook: str
    job_dir: Path
    meta: dict = field(default_factory=dict)


@dataclass
class JobResult:
    job: Job
    outcome: RunOutcome | None
    error: str = ""  # the executor itself failed (not the student's code)


class Executor(Protocol):
    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]: ...


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class LocalExecutor:
    """Runs jobs on this machine, ``jobs`` sandboxes at a time.

    Threads only wait for their sandbox process, so they cost nothing; each sandbox is
    its own process tree, so N jobs use N cores.
    """

    def __init__(
        self,
        jobs: int | None = None,
        limits: Limits | None = None,
        isolation: Isolation | None = None,
    ):
        self.jobs = max(1, jobs or default_jobs())
        self.limits = limits or Limits()
        self.isolation = isolation or Bubblewrap()

    def _run_one(self, job: Job) -> JobResult:
        try:
            return JobResult(job, run_job(job.job_dir, self.limits, self.isolation))
        except Exception as e:  # noqa: BLE001 - one bad job never stops the batch
            return JobResult(job, None, f"{type(e).__name__}: {e}")

    def run(self, jobs: Iterable[Job]) -> Iterator[JobResult]:
        """Jobs are taken from ``jobs`` lazily, a few ahead of the free workers, so the
        caller may prepare them while earlier ones run (and grade results in between)."""
        source = iter(jobs)
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        running: set = set()
        exhausted = False

        def top_up() -> None:
            nonlocal exhausted
            while not exhausted and len(running) < 2 * self.jobs:
                job = next(source, None)
                if job is None:
                    exhausted = True
                else:
                    running.add(pool.submit(self._run_one, job))

        try:
            top_up()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.discard(future)
                    yield future.result()
                top_up()
        finally:  # also on Ctrl-C or an error in the consumer: stop what still runs
            for future in running:
                future.cancel()
            kill_all()
            pool.shutdown(wait=True)
