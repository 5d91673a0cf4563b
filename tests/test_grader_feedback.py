"""Feedback through nbgrader's exchange (cnnbook/grader/feedback.py).

The exchange cycle of tests/exchange_cycle.py (six students; ok, partial, blank,
missing notebook, timeout, late; a resubmission; links planted in a submission): every
student fetches feedback with ``nbgrader fetch_feedback``, the reason included, and
nothing outside a submission's own folder ever reaches the instructor's folders, the
exchange or a student.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import samples
from cnnbook.grader.course import Course
from cnnbook.grader.feedback import drop_links, write_feedback
from tests.exchange_cycle import CLASS, INSTRUCTOR_SECRET, PASSWD_LINE, RENAMED

A = samples.TINY
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]


def test_every_student_fetches_feedback(exchange_class):
    ec = exchange_class
    assert ec.feedback_rc == 0
    for student in CLASS:
        pages = ec.fetched(student)
        expected = f"{RENAMED}.html" if student == "dan" else f"{A}.html"
        assert [p.name for p in pages] == [expected], (student, ec.logs)
    # nbgrader's own feedback for the normally graded, with no note
    ada = ec.fetched("ada")[0].read_text()
    assert "test_square_array" in ada and "cnnbook-grading-note" not in ada


def test_the_reason_travels_with_the_feedback(exchange_class):
    eve = exchange_class.fetched("eve")[0].read_text()
    assert "could not be graded normally" in eve
    assert "did not finish within the time limit of 6 s" in eve
    assert "test_square_array" in eve  # the note sits on top of nbgrader's page
    dan = exchange_class.fetched("dan")[0].read_text()
    assert "was not in your submission" in dan
    assert f"{RENAMED}.ipynb" in dan and f"{A}.ipynb" in dan
    assert f"submit {A}.ipynb under that name" in dan


def test_resubmission_needs_collect_update(exchange_class):
    logs = exchange_class.logs
    assert "Submission already exists, use --update to update: ben" in logs["collect_no_update"]
    assert "Updating submission: ben" in logs["collect_update"]
    ben = exchange_class.root / "autograded" / "ben" / A / f"{A}.ipynb"
    assert "abs(x)" in ben.read_text()  # the resubmitted answer was graded, not the stub


def _all_files(*roots: Path):
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                yield Path(dirpath) / name


def test_links_never_leak(exchange_class):
    ec = exchange_class
    roots = [ec.root / d for d in ("autograded", "feedback", "reports")]
    course = ec.exchange / "cnnbook-exchange-test"  # inbound/ is the students' own
    roots += [course / "outbound", course / "feedback"]
    roots += [ec.homes[s] / A / "feedback" for s in CLASS]
    for p in _all_files(*roots):
        assert not p.is_symlink(), p
        if p.is_file():
            assert PASSWD_LINE.encode() not in p.read_bytes(), p
    # the links are still in the submission, as handed in, and reported
    assert (ec.root / "submitted" / "ben" / A / "passwd").is_symlink()
    grades = (ec.root / "reports" / A / "grades.csv").read_text()
    assert "passwd -> /etc/passwd" in grades


# nbgrader's NbGraderAPI.release_feedback misspells "authenticator" (harmless)
@pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")
def test_feedback_folder_ready_for_release_without_the_exchange(tiny_course, capsys):
    """Submissions copied by hand (no timestamp.txt or submission_secret.txt) and ones
    nbgrader could not grade: every folder can still be released, nothing crashes."""
    sub = tiny_course / "submitted"
    (sub / "kim" / A).mkdir(parents=True)
    (sub / "kim" / A / "notes.txt").write_text("forgot the notebook")
    (sub / "lee" / A).mkdir(parents=True)
    (sub / "lee" / A / f"{A}.ipynb").write_text('{"cells": [ truncated')
    stale = tiny_course / "feedback" / "old" / A  # a folder from another time, by hand
    stale.mkdir(parents=True)
    (stale / f"{A}.html").write_text("<html>older feedback</html>")
    assert cnnbook(["--root", str(tiny_course), "autograde", A, "--no-progress"]) == 0
    assert cnnbook(["--root", str(tiny_course), "feedback", A]) == 0
    err = capsys.readouterr().err
    assert "kim: the submission has no submission_secret.txt" in err
    assert (stale / "timestamp.txt").is_file() and (stale / "submission_secret.txt").is_file()
    for student in ("kim", "lee"):
        folder = tiny_course / "feedback" / student / A
        assert (folder / "timestamp.txt").is_file()
        assert (folder / "submission_secret.txt").is_file()
        assert (folder / "grading_note.html").is_file()
        assert not (folder / "notes.txt").exists()  # only feedback in a feedback folder
    lee = (tiny_course / "feedback" / "lee" / A / f"{A}.html").read_text()
    assert "not a readable notebook" in lee
    course = Course(tiny_course)
    exchange = tiny_course / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # as nbgrader makes it
    course.config.Exchange.root = str(exchange)
    r = course.api.release_feedback(A)
    assert r["success"], r.get("log")
    released = list((exchange / course.course_id / "feedback").glob("*.html"))
    assert len(released) == 4  # lee: page and note; kim (no notebook): the note; old


def test_links_in_autograded_are_dropped_before_nbgrader_copies_them(tiny_course, capsys):
    released = samples.nbformat.read(str(tiny_course / "exercises" / A / f"{A}.ipynb"), 4)
    path = tiny_course / "submitted" / "ada" / A / f"{A}.ipynb"
    samples.make_submission(released, {"square": samples.TINY_ANSWERS["honest"]}, path=path)
    assert cnnbook(["--root", str(tiny_course), "autograde", A, "--no-progress"]) == 0
    graded = tiny_course / "autograded" / "ada" / A
    (graded / "data.txt").symlink_to("/etc/passwd")  # as if some step had kept a link
    result = write_feedback(Course(tiny_course), A)
    assert result.students[0].dropped_links == ["data.txt -> /etc/passwd"]
    files = [p for p in _all_files(tiny_course / "feedback") if not p.is_dir()]
    assert sorted(p.name for p in files) == [f"{A}.html", "submission_secret.txt", "timestamp.txt"]
    for p in files:
        assert p.is_file() and PASSWD_LINE.encode() not in p.read_bytes(), p


def test_drop_links_never_follows(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a").symlink_to("/etc")
    (tmp_path / "d" / "b").symlink_to("/etc/passwd")
    (tmp_path / "d" / "ok.txt").write_text("kept")
    assert sorted(drop_links(tmp_path)) == ["d/a -> /etc", "d/b -> /etc/passwd"]
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["ok.txt"]


def test_what_nbgrader_collect_does_with_a_link(exchange_class):
    """As docs/instructors.md says: nbgrader's collect copies a link in the inbound as
    the content of its target, read as the instructor. cnnbook cannot tell that copy
    from a file the student wrote, but it never leaves the instructor's folders: only
    pages go into feedback/ and through the exchange."""
    ec = exchange_class
    collected = ec.root / "submitted" / "eve" / A / "notes.txt"
    assert not collected.is_symlink() and collected.read_text() == INSTRUCTOR_SECRET
    roots = [ec.root / "feedback", ec.exchange, *(ec.homes[s] for s in CLASS)]
    for p in _all_files(*roots):
        if p.is_file() and not p.is_symlink():
            assert INSTRUCTOR_SECRET.encode() not in p.read_bytes(), p


def test_exchange_permissions_as_the_docs_say(exchange_class):
    course = exchange_class.exchange / "cnnbook-exchange-test"
    modes = {
        p.name: p.stat().st_mode & 0o7777
        for p in [
            exchange_class.exchange,
            *(course / d for d in ("outbound", "inbound", "feedback")),
        ]
    }
    assert modes == {"exchange": 0o777, "outbound": 0o755, "inbound": 0o2733, "feedback": 0o711}
    for submission in (course / "inbound").iterdir():
        assert submission.stat().st_mode & 0o777 == 0o777  # writable by anyone, after submit
