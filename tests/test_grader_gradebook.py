"""Gradebook trouble (cnnbook/grader/gradebook.py): a locked SQLite gradebook is waited
for, for a bounded time, then reported; a gradebook that cannot be written is detected
before any student code runs; nothing is half-done either way."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook, samples
from cnnbook.grader.errors import GradebookError, GradebookLockedError

A = samples.TINY


def _submit(root, student="ada"):
    released = samples.nbformat.read(str(root / "exercises" / A / f"{A}.ipynb"), as_version=4)
    path = root / "submitted" / student / A / f"{A}.ipynb"
    samples.make_submission(released, {"square": samples.TINY_ANSWERS["honest"]}, path=path)


def _hold_lock(db, seconds: float | None):
    """Another program holding the gradebook (an exclusive transaction)."""
    con = sqlite3.connect(db, check_same_thread=False)
    con.execute("BEGIN EXCLUSIVE")
    if seconds is not None:
        threading.Timer(seconds, con.rollback).start()
    return con


def test_locked_gradebook_is_reported_after_the_timeout_and_nothing_runs(tiny_course, capsys):
    _submit(tiny_course)
    con = _hold_lock(tiny_course / "gradebook.db", None)
    try:
        start = time.monotonic()
        rc = cnnbook(
            ["--root", str(tiny_course), "--lock-timeout", "1", "autograde", A, "--no-progress"]
        )
        waited = time.monotonic() - start
    finally:
        con.rollback()
        con.close()
    assert rc == 3
    err = capsys.readouterr().err
    assert "is locked by another program" in err and "stayed locked for 1 s" in err
    assert "Traceback" not in err and "OperationalError" not in err
    assert 1 <= waited < 30
    assert not (tiny_course / "autograded").exists()
    assert not (tiny_course / "reports").exists()


def test_a_lock_released_within_the_timeout_is_waited_for(tiny_course, capsys):
    _submit(tiny_course)
    con = _hold_lock(tiny_course / "gradebook.db", 1.5)
    try:
        rc = cnnbook(
            [
                "--root",
                str(tiny_course),
                "--lock-timeout",
                "60",
                "autograde",
                A,
                "--no-progress",
                "--jobs",
                "1",
            ]
        )
    finally:
        con.close()
    assert rc == 0, capsys.readouterr().err
    assert (
        gradebook.read_status(f"sqlite:///{tiny_course / 'gradebook.db'}", A)["ada"]["score"] == 4
    )


def test_check_writable_names_the_trouble(tmp_path):
    url = f"sqlite:///{tmp_path / 'gb.db'}"
    gradebook.check_writable(url)  # creates it
    con = _hold_lock(tmp_path / "gb.db", None)
    with pytest.raises(GradebookLockedError, match="locked by another program"):
        gradebook.check_writable(gradebook.with_lock_timeout(url, 0.2))
    con.rollback()
    with pytest.raises(GradebookError, match="cannot open the gradebook /no/such/dir/gb.db"):
        gradebook.check_writable("sqlite:////no/such/dir/gb.db")
    with pytest.raises(GradebookError, match=r"postgresql://u:\*\*\*@"):
        gradebook.check_writable("postgresql://u:secret@localhost:1/x")


def test_read_only_gradebook_is_detected_before_any_student_code_runs(tiny_course):
    """As a user without root's powers (a user namespace: the files stay root's, but
    permission bits now apply), the gradebook file read-only."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-U", "true"]).returncode:
        pytest.skip("unshare -U (user namespaces) is not available")
    _submit(tiny_course)
    # a student whose code would leave a trace if it ran
    marker = tiny_course / "ran.txt"
    released = samples.nbformat.read(str(tiny_course / "exercises" / A / f"{A}.ipynb"), 4)
    samples.make_submission(
        released,
        {"square": f"open({str(marker)!r}, 'w').write('ran')\n" + samples.TINY_ANSWERS["honest"]},
        path=tiny_course / "submitted" / "bob" / A / f"{A}.ipynb",
    )
    (tiny_course / "gradebook.db").chmod(0o444)
    proc = subprocess.run(
        [
            "unshare",
            "-U",
            sys.executable,
            "-m",
            "cnnbook.cli",
            "--root",
            str(tiny_course),
            "autograde",
            A,
            "--no-progress",
            "--no-sandbox",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert "cannot be written (attempt to write a readonly database)" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not marker.exists()
    assert not (tiny_course / "autograded").exists()


def test_lock_taken_mid_run_stops_before_nbgrader_deletes_anything(
    tiny_course, monkeypatch, capsys
):
    """Another program locks the gradebook after the first submission is recorded: the
    run stops with the lock message, and the next student's earlier autograded/ folder
    (which nbgrader's autograde deletes first) is still there."""
    for student in ("ada", "ben"):
        _submit(tiny_course, student)
    args = [
        "--root",
        str(tiny_course),
        "--lock-timeout",
        "1",
        "autograde",
        A,
        "--no-progress",
        "--jobs",
        "1",
    ]
    assert cnnbook(args) == 0
    before = {
        s: sorted(p.name for p in (tiny_course / "autograded" / s / A).iterdir())
        for s in ("ada", "ben")
    }
    held = []
    record = gradebook.record_status

    def record_then_lock(db_url, row):
        record(db_url, row)
        if not held:
            held.append(_hold_lock(tiny_course / "gradebook.db", None))

    monkeypatch.setattr(gradebook, "record_status", record_then_lock)
    try:
        rc = cnnbook([*args, "--force"])
    finally:
        for con in held:
            con.rollback()
            con.close()
    assert rc == 3
    assert "is locked by another program" in capsys.readouterr().err
    for student, names in before.items():
        folder = tiny_course / "autograded" / student / A
        assert sorted(p.name for p in folder.iterdir()) == names, student
