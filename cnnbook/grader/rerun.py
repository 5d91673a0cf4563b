"""Which submissions a re-run of ``cnnbook autograde`` grades again.

A submission is skipped (its last outcome stands) only when its files have not changed
since (the same fingerprint), its last outcome was the student's and not the tool's own
failure (``RETRIED`` statuses are graded again), its autograded copy exists (or it
never ran), ``--force`` was not given, and its grade is still the judge's: a gradebook
score or autograded copy changed since by anything else (plain nbgrader, a hand edit)
has drifted (:mod:`cnnbook.grader.drift`) and is regraded, loudly.
"""

from __future__ import annotations

from cnnbook.grader import drift
from cnnbook.grader.isolation.staging import fingerprint
from cnnbook.grader.outcomes import NOT_RUN, RETRIED, SubmissionOutcome


def decide(grader, student: str, prev: dict | None, notebooks: list[str]):
    """(the submission's fingerprint, its last outcome if it is skipped, else None).

    ``grader`` is the :class:`~cnnbook.grader.autograde.Autograder` of the run (its
    course, assignment, ``force``, log, and ``drifted``, where a drifted student's reason
    is kept)."""
    course, assignment = grader.course, grader.assignment
    src = course.path("submitted", student, assignment)
    try:
        fp = fingerprint(src)
    except Exception as e:  # noqa: BLE001 - never fatal: graded again, and said
        fp = f"unreadable: {type(e).__name__}"
    graded_dir = course.path("autograded", student, assignment)
    unchanged = (
        not grader.force
        and prev is not None
        and prev["fingerprint"] == fp
        # the tool's own failures are retried; the student's outcomes stand
        and prev["status"] not in RETRIED
        and (graded_dir.exists() or prev["status"] in NOT_RUN)
    )
    if unchanged:  # but graded since by something other than the judge?
        if grader.digests is None:  # read once, and only when something may be skipped
            grader.digests = drift.grades_digests(course.db_url, assignment)
        why = drift.drifted(course, assignment, student, prev, notebooks, grader.digests)
        if why:
            grader.drifted[student] = why
            grader.log(f"WARNING: {student}: {why}; regrading it with the judge")
            unchanged = False
    if not unchanged:
        return fp, None
    return fp, SubmissionOutcome(
        student, prev["status"], prev["reason"], prev["score"], prev["max_score"], skipped=True
    )
