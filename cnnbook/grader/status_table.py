"""``reports/<assignment>/autograde_status.csv``: how grading ended for every student."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from cnnbook.grader import gradebook
from cnnbook.grader.course import Course
from cnnbook.grader.judging.inert import csv_cell
from cnnbook.grader.outcomes import SubmissionOutcome


def write_status_table(course: Course, assignment: str, outcomes: list[SubmissionOutcome]) -> Path:
    """The status table of the whole class, from the gradebook's side table (other
    graders sharing the gradebook - shards - included), written atomically under a
    gradebook lock so that graders finishing together write it in turn."""
    path = course.root / "reports" / assignment / "autograde_status.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    skipped = {o.student: o.skipped for o in outcomes}  # "" for other graders' rows
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with gradebook.exclusive(course.db_url):
        rows = gradebook.read_status(course.db_url, assignment)
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["student", "status", "score", "max_score", "reason", "skipped"])
            for student, r in sorted(rows.items()):
                w.writerow(
                    [csv_cell(v) for v in (student, r["status"], r["score"],
                     r["max_score"], r["reason"], skipped.get(student, ""))]
                )  # fmt: skip
        os.replace(tmp, path)
    return path
