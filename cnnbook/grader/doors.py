"""One grade whichever door: the judge's pipeline inside nbgrader's own Autograde.

An instructor can start grading three ways: ``cnnbook autograde``, plain ``nbgrader
autograde`` run in the course, and Formgrader's Autograde button (which calls
``NbGraderAPI.autograde``, i.e. the same Autograde converter). The last two run
nbgrader's ``Autograde.autograde_preprocessors``, whose first step, ``Execute``, would
run the student's notebook unsandboxed, as the instructor, where the reference answers
are importable. The course's configuration replaces that step by
:class:`JudgedExecute` and appends :class:`RecordJudgement`::

    c.Autograde.autograde_preprocessors = cnnbook.grader.doors.AUTOGRADE_PREPROCESSORS

:class:`JudgedExecute` does for the one notebook nbgrader is grading exactly what
``cnnbook autograde`` does for each submission (the same :class:`Autograder` methods):
stage the submission, run it in the sandbox with the test cells emptied, judge the
calls' results against the reference, then put the sandbox's outputs and the verdicts
in the notebook (:class:`~cnnbook.grader.judging.replay.ReplayExecute`). nbgrader's
own steps after it (``SaveAutoGrades``, late penalties, the ``autograded/`` copy) are
unchanged, so the gradebook gets the judge's grade. :class:`RecordJudgement` then
writes the outcome to cnnbook's side table as ``cnnbook autograde`` does (so a later
``cnnbook autograde`` sees the submission as graded, and ``cnnbook report`` shows it).

Before any of that, nbgrader's sanitize steps run on the submission; the course puts
:class:`cnnbook.grader.sanitizing.DropStrayCellMetadata` first among them.

The last line of defence is in the student's kernel: ``cnnbook.grading`` refuses to be
imported under nbgrader's unsandboxed autograde (see :func:`refuse_unsandboxed`).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from cnnbook.grader.errors import CnnbookError

#: nbgrader's Autograde steps with Execute replaced by the judge; what the course's
#: ``nbgrader_config.py`` (and any config Formgrader loads) sets.
AUTOGRADE_PREPROCESSORS = [
    "cnnbook.grader.doors.JudgedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "cnnbook.grader.doors.RecordJudgement",
]


# outcomes judged by JudgedExecute, waiting for RecordJudgement (after nbgrader has
# saved the grades): (db_url, assignment, student) -> (grader, outcome, fingerprint)
_PENDING: dict[tuple[str, str, str], tuple] = {}


class DoorError(CnnbookError):
    """nbgrader's Autograde cannot grade this submission through the judge."""


def _course_root(pp) -> Path:
    """The course root of the converter running ``pp`` (its CourseDirectory)."""
    obj = pp
    while obj is not None:
        coursedir = getattr(obj, "coursedir", None)
        if coursedir is not None:
            return Path(coursedir.root)
        obj = getattr(obj, "parent", None)
    from nbgrader.coursedir import CourseDirectory

    return Path(CourseDirectory(config=pp.config).root)


class JudgedExecute(NbGraderPreprocessor):
    """Stands in for nbgrader's Execute: the sandbox runs the student's code, the judge
    grades, and the notebook gets the sandbox's outputs and the verdicts."""

    def preprocess(self, nb, resources):
        from cnnbook.grader.autograde import Autograder
        from cnnbook.grader.course import Course
        from cnnbook.grader.judging.replay import ReplayExecute

        info = resources["nbgrader"]
        student, assignment, notebook = info["student"], info["assignment"], info["notebook"]
        root = _course_root(self)
        try:
            course = Course(root, db_url=info["db_url"])
        except CnnbookError as e:
            raise DoorError(
                f"cannot grade {student}/{assignment} through the judge: {e} "
                f"Grade with `cnnbook autograde {assignment}` from the course root."
            ) from e
        grader = Autograder(course, assignment, jobs=1, progress=False, log=self.log.warning)
        work = Path(tempfile.mkdtemp(prefix="cnnbook-door-"))
        try:
            out, fp = grader.judge_one(student, notebook, work)
            record = work / "jobs" / student / notebook / "record.json"
            if not record.is_file():
                raise DoorError(
                    f"{student}/{assignment}: {out.reason or 'the notebook was not run'}; "
                    f"grade with `cnnbook autograde {assignment}`"
                )
            nb, resources = ReplayExecute(jobs_dir=str(work / "jobs")).preprocess(nb, resources)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _PENDING[(info["db_url"], assignment, student)] = (grader, out, fp)
        self.log.info("%s/%s/%s graded by the judge (%s)", student, assignment, notebook,
                      out.notebooks[-1].status if out.notebooks else "?")  # fmt: skip
        return nb, resources


class RecordJudgement(NbGraderPreprocessor):
    """After nbgrader has saved the grades: record the judge's outcome in cnnbook's
    side table, with the score nbgrader computed from the verdicts."""

    def preprocess(self, nb, resources):
        from cnnbook.grader import gradebook

        info = resources["nbgrader"]
        pending = _PENDING.pop((info["db_url"], info["assignment"], info["student"]), None)
        if pending is None:  # not graded by JudgedExecute in this process: nothing to say
            return nb, resources
        grader, out, fp = pending
        score = gradebook.submission_score(info["db_url"], info["assignment"], info["student"])
        out.score, out.max_score = score if score else (None, None)
        out.summarize()
        grader._record(info["student"], out, fp, judged_notebooks={info["notebook"]: nb})
        gradebook.fill_names(info["db_url"], [info["student"]])
        return nb, resources
