"""``cnnbook release`` (cnnbook/grader/release.py): a failed release destroys nothing."""

from __future__ import annotations

import nbformat

from cnnbook.cli import main as cnnbook
from cnnbook.grader import samples
from cnnbook.grader.release import nbgrader_reason

A = samples.TINY


def _break_solution(root):
    path = root / "solutions" / A / f"{A}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("### END SOLUTION", "")
    nbformat.write(nb, str(path))


def _release_files(root):
    return {
        p.relative_to(root): p.read_bytes() for p in (root / "exercises").rglob("*") if p.is_file()
    }


def test_failed_release_keeps_the_students_release_and_says_why(tiny_course, capsys):
    before = _release_files(tiny_course)
    assert before, "the fixture has a release"
    _break_solution(tiny_course)
    assert cnnbook(["--root", str(tiny_course), "release", A]) == 1
    err = capsys.readouterr().err.strip()
    lines = err.splitlines()
    assert len(lines) <= 2, err
    assert "No end solution statement found" in err
    assert f"solutions/{A}/{A}.ipynb" in err and "'square'" in err  # the file and the cell
    assert "unchanged" in err and "Traceback" not in err
    assert _release_files(tiny_course) == before
    assert [p.name for p in (tiny_course / "exercises").iterdir()] == [A]  # no leftovers


def test_release_with_an_unopenable_gradebook_keeps_the_release(tiny_course, capsys):
    before = _release_files(tiny_course)
    bad = "sqlite:////nonexistent-folder/gradebook.db"
    assert cnnbook(["--root", str(tiny_course), "--db", bad, "release", A]) == 3
    err = capsys.readouterr().err
    assert "cannot open the gradebook /nonexistent-folder/gradebook.db" in err
    assert "Traceback" not in err
    assert _release_files(tiny_course) == before


def test_successful_release_replaces_the_old_one(tiny_course, capsys):
    stale = tiny_course / "exercises" / A / "stale.txt"
    stale.write_text("from an older release")
    assert cnnbook(["--root", str(tiny_course), "release", A]) == 0
    assert not stale.exists()
    assert (tiny_course / "exercises" / A / f"{A}.ipynb").is_file()
    assert [p.name for p in (tiny_course / "exercises").iterdir()] == [A]


def test_unknown_assignment_is_refused_before_anything_is_generated(tiny_course, capsys):
    before = _release_files(tiny_course)
    assert cnnbook(["--root", str(tiny_course), "release", A, "ps00_tinny"]) == 2
    err = capsys.readouterr().err
    assert "unknown assignment 'ps00_tinny'" in err and f"Did you mean '{A}'" in err
    assert _release_files(tiny_course) == before


def test_nbgrader_reason_is_read_from_its_log():
    log = (
        "[WARNING] Removing existing assignment: x\n"
        "[ERROR] No end solution statement found. Cell contents are: \n"
        "    def f():\n"
        "[ERROR] There was an error processing assignment: y\n"
        "[ERROR] Please see the the above traceback for details\n"
    )
    assert nbgrader_reason(log) == ("No end solution statement found.", "def f():")
    assert nbgrader_reason("", "Traceback...\nValueError: boom\n")[0] == "ValueError: boom"
