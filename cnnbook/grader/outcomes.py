"""What grading a submission came to: statuses and outcomes, as types.

A submission's status is the worst of its notebooks' statuses (:func:`worst`); its
reason says why in a sentence, for the instructor and in the student's grading note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Status(str, Enum):
    """How grading a notebook ended, worst first (the order :func:`worst` uses).

    The values are the strings stored in the gradebook's side table and reports.
    """

    SANDBOX_ERROR = "sandbox_error"  # the tool failed to run the job: retried next run
    GRADING_ERROR = "grading_error"  # the tool failed to grade: retried next run
    MISSING_NOTEBOOK = "missing_notebook"
    CORRUPT_NOTEBOOK = "corrupt_notebook"
    KERNEL_DIED = "kernel_died"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    OK = "ok"

    def __str__(self) -> str:
        return self.value


#: The tool's own failures: a re-run retries them; the student's outcomes stand.
RETRIED = (Status.SANDBOX_ERROR, Status.GRADING_ERROR)
#: Outcomes without an autograded/ folder (nothing was run).
NOT_RUN = (Status.CORRUPT_NOTEBOOK, Status.MISSING_NOTEBOOK)


def text(value: object, most: int = 2000) -> str:
    """Any message as text that can be stored and written anywhere: a lone surrogate or
    a name that is not UTF-8 (a student can put either in an exception) is escaped."""
    s = str(value)[:most]
    return s.encode("utf-8", "backslashreplace").decode("utf-8")


def worst(statuses) -> Status:
    statuses = [Status(s) for s in statuses] or [Status.OK]
    return min(statuses, key=list(Status).index)


@dataclass
class NotebookOutcome:
    notebook: str
    status: Status = Status.OK
    reason: str = ""


@dataclass
class SubmissionOutcome:
    student: str
    status: Status = Status.OK
    reason: str = ""
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    skipped: bool = False
    notebooks: list[NotebookOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth saying, not a failure
    diagnoses: list[tuple[str, str, str]] = field(default_factory=list)  # notebook, test, id

    def as_row(self, assignment: str, fingerprint: str, sandbox: str) -> dict:
        return {
            "assignment": assignment,
            "student": self.student,
            "status": str(self.status),
            "reason": text(self.reason),
            "score": self.score,
            "max_score": self.max_score,
            "fingerprint": fingerprint,
            "sandbox": sandbox,
            "seconds": round(self.seconds, 2),
        }

    def summarize(self) -> None:
        """Set ``status`` and ``reason`` from the notebooks' outcomes and the notes."""
        self.status = worst(n.status for n in self.notebooks)
        self.reason = text(
            "; ".join(
                [
                    f"{n.notebook}: {n.reason}" if len(self.notebooks) > 1 else n.reason
                    for n in self.notebooks
                    if n.status != Status.OK
                ]
                + self.notes
            )
        )
