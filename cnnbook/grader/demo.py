"""``cnnbook demo``: a demo class taken through the whole grading cycle.

Builds a throwaway course folder, releases one assignment (the course's real
``ps02_convolution`` when run from the course root, else a tiny built-in one), fills
``submitted/`` with a sample class - honest, partly right, empty, and three that go
wrong (an infinite loop, code that kills its own kernel, a corrupt notebook file) - then
runs autograde, feedback and report, exactly as an instructor would.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from cnnbook.grader import samples
from cnnbook.grader.autograde import Autograder
from cnnbook.grader.course import Course
from cnnbook.grader.feedback import write_feedback
from cnnbook.grader.isolation.bubblewrap import sandbox_available
from cnnbook.grader.isolation.limits import Limits
from cnnbook.grader.release import release
from cnnbook.grader.report import build_report

PREFERRED = "ps02_convolution"
DEMO_TIMEOUT = 30  # seconds per notebook: farid's infinite loop costs this much


def _pick_assignment(source_root: Path) -> str | None:
    src = source_root / "solutions"
    if not (source_root / "nbgrader_config.py").exists() or not src.is_dir():
        return None
    names = sorted(p.name for p in src.iterdir() if (p / f"{p.name}.ipynb").exists())
    if PREFERRED in names:
        return PREFERRED
    return names[0] if names else None


def build_demo_course(
    directory: Path, source_root: Path | None = None, db_url: str | None = None
) -> tuple[Course, str]:
    """A course in ``directory`` with one released assignment and a sample class
    (gradebook: ``db_url``, by default a new ``gradebook.db`` in ``directory``)."""
    directory.mkdir(parents=True, exist_ok=True)
    real = _pick_assignment(source_root) if source_root else None
    if real:
        (directory / "solutions").mkdir(exist_ok=True)
        shutil.copytree(source_root / "solutions" / real, directory / "solutions" / real)
        shutil.copy(source_root / "nbgrader_config.py", directory / "nbgrader_config.py")
        assignment = real
    else:
        samples.write_tiny_course(directory)
        assignment = samples.TINY
    # never the course's own gradebook, even if its nbgrader_config.py names one
    course = Course(directory, db_url=db_url or f"sqlite:///{directory / 'gradebook.db'}")
    release(course, assignment)  # a ReleaseError says why, if it fails
    source = nbformat.read(
        str(course.path("source", ".", assignment) / f"{assignment}.ipynb"), as_version=4
    )
    released = nbformat.read(
        str(course.path("release", ".", assignment) / f"{assignment}.ipynb"), as_version=4
    )
    answers = samples.solution_answers(source)
    keys = list(answers)
    half = {k: answers[k] for k in keys[: max(1, len(keys) // 2)]}
    last_wrong = dict(answers)
    if len(keys) > 1:
        del last_wrong[keys[-1]]  # everything but the last task
    honest_prefix = ""
    cls = {
        "ada": (answers, honest_prefix),
        "ben": (answers, honest_prefix),
        "chloe": (last_wrong, honest_prefix),
        "dev": (half, honest_prefix),
        "emma": ({}, honest_prefix),  # handed in the release untouched
        "farid": (answers, samples.PREFIXES["infinite_loop"]),
        "gita": (answers, samples.PREFIXES["os_exit"]),
    }
    for student, (ans, prefix) in cls.items():
        path = course.path("submitted", student, assignment) / f"{assignment}.ipynb"
        samples.make_submission(released, ans, prefix=prefix, path=path)
        (path.parent / "timestamp.txt").write_text("2026-11-20 17:00:00.000000 UTC")
    corrupt = course.path("submitted", "hugo", assignment) / f"{assignment}.ipynb"
    corrupt.parent.mkdir(parents=True, exist_ok=True)
    corrupt.write_text('{"cells": [ truncated by a failed upload')
    return course, assignment


def run_demo(
    directory: Path | None = None,
    jobs: int | None = None,
    source_root=".",
    db_url: str | None = None,
) -> int:
    directory = Path(directory or tempfile.mkdtemp(prefix="cnnbook-demo-")).resolve()
    if directory.exists() and any(directory.iterdir()):
        print(f"{directory} is not empty: give --dir a new folder", file=sys.stderr)
        return 1
    say = print
    say(f"Demo course in {directory}\n")
    say("1. release: regenerate exercises/ from solutions/ and register in the gradebook")
    course, assignment = build_demo_course(directory, Path(source_root).resolve(), db_url)
    say(f"   released {assignment} -> {course.path('release', '.', assignment)}")
    say("2. collect: a sample class copied into submitted/<student>/" + assignment)
    for student in course.submitted_students(assignment):
        say(f"   {student}")
    say("3. autograde: every notebook in its own sandbox, in parallel")
    if not sandbox_available():
        say("   WARNING: bubblewrap is not installed: running with resource limits only")
    grader = Autograder(course, assignment, limits=Limits(timeout=DEMO_TIMEOUT), jobs=jobs)
    start = time.monotonic()
    outcomes = grader.run()
    say(f"   {len(outcomes)} submissions in {time.monotonic() - start:.0f} s:")
    for o in outcomes:
        score = "-" if o.score is None else f"{o.score:g}/{o.max_score:g}"
        say(f"   {o.student:<6} {score:>7}  {o.status:<16} {o.reason}")
    say("4. feedback: one HTML page per student, the reason included when there is one")
    feedback = write_feedback(course, assignment)
    notes = sum(f.note for f in feedback.students)
    say(
        f"   {len(feedback.students)} students, {notes} with a grading note, in "
        f"{course.path('feedback')}"
    )
    say("5. report: grades CSV, test pass rates, score histogram, HTML summary")
    paths = build_report(course, assignment)
    for kind, path in paths.items():
        say(f"   {kind:>10}: {path}")
    say(
        f"\nOpen {paths['html']} in a browser. To try the commands yourself:\n"
        f"   cd {directory}\n   cnnbook autograde {assignment} --force\n"
        f"   cnnbook report {assignment}"
    )
    return 0
