"""``cnnbook autograde`` on a hostile class, end to end (issue #5).

One tiny assignment (``cnnbook.grader.samples``: one answer cell, three graded tests, 4
points), released with ``cnnbook release``, and a class of ten: honest, partially wrong,
empty, an infinite loop, a 40 GB allocation, ``os._exit``, a 50 MB print, a corrupt
notebook, a missing notebook, and a snoop that tries to read another student's notebook
and the solutions, rewrite the gradebook, write outside its folder and connect to a
listener on this machine. Graded once with two jobs; every outcome is asserted.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook, samples
from cnnbook.grader.isolation.bubblewrap import sandbox_available
from tests import hostile_submissions as hostile

A = samples.TINY
SECRET = "alice-private-answer-5f3c9d"  # only in alice's notebook

# student -> (status, score out of 4)
EXPECTED = {
    "alice": ("ok", 4),
    "bob": ("ok", 2),  # abs(x) * x fails the hidden square(-2) == 4 (2 points)
    "carol": ("ok", 0),  # handed in the stub
    "loop": ("timeout", 0),
    "alloc": ("memory_limit", 0),
    "exit": ("kernel_died", 0),
    "print50": ("output_limit", 4),
    "corrupt": ("corrupt_notebook", 0),
    "missing": ("missing_notebook", 0),
    "snoop": ("ok", 0),  # answers wrongly; any other score would be tampering
}


def require_sandbox():
    if not sandbox_available():
        msg = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection it gets."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, addr = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(addr)
            conn.close()

    def close(self):
        self._stop.set()
        self.thread.join()
        self.sock.close()


def submit(root: Path, student: str, answers=None, prefix: str = "") -> Path:
    released = nbformat.read(str(root / "exercises" / A / f"{A}.ipynb"), as_version=4)
    path = root / "submitted" / student / A / f"{A}.ipynb"
    samples.make_submission(released, answers or {}, prefix=prefix, path=path)
    return path


def build_class(root: Path, port: int) -> None:
    honest = {"square": samples.TINY_ANSWERS["honest"]}
    alice = submit(root, "alice", {"square": f"# {SECRET}\n" + honest["square"]})
    assert SECRET in alice.read_text()
    submit(root, "bob", {"square": samples.TINY_ANSWERS["partial"]})
    submit(root, "carol")
    submit(root, "loop", honest, prefix=hostile.PREFIXES["infinite_loop"])
    submit(root, "alloc", honest, prefix=hostile.PREFIXES["huge_allocation"])
    submit(root, "exit", honest, prefix=hostile.PREFIXES["os_exit"])
    submit(root, "print50", honest, prefix=hostile.PREFIXES["print_50mb"])
    corrupt = root / "submitted" / "corrupt" / A / f"{A}.ipynb"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"cells": [{"cell_type": "code", "source": "oops"')
    (root / "submitted" / "missing" / A).mkdir(parents=True)
    (root / "submitted" / "missing" / A / "notes.txt").write_text("forgot the notebook")
    snoop = hostile.snoop_code(root, "alice", A, port)
    submit(root, "snoop", {"square": snoop})


def cell_scores(db_url: str) -> dict[str, dict[str, float]]:
    _, cells = gradebook.grade_table(db_url, A)
    out: dict[str, dict[str, float]] = {}
    for c in cells:
        out.setdefault(c["student"], {})[c["cell"]] = c["score"]
    return out


def stdout_of(nb_path: Path, grade_id: str) -> str:
    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    raise AssertionError(grade_id)


@pytest.mark.slow
def test_hostile_class_end_to_end(tmp_path, capsys):
    require_sandbox()
    root = samples.write_tiny_course(tmp_path / "course")
    assert cnnbook(["--root", str(root), "release"]) == 0
    assert (root / "exercises" / A / f"{A}.ipynb").exists()
    listener = Listener()
    try:
        build_class(root, listener.port)
        before_solutions = (root / "solutions" / A / f"{A}.ipynb").read_bytes()
        args = ["--root", str(root), "autograde", A, "--jobs", "2", "--timeout", "40"]
        assert cnnbook([*args, "--memory", "1536", "--no-progress"]) == 0
    finally:
        listener.close()
    printed = capsys.readouterr().out
    db = f"sqlite:///{root / 'gradebook.db'}"

    # -- every submission has a grade row and the expected status and score --------
    status = gradebook.read_status(db, A)
    assert sorted(status) == sorted(EXPECTED)
    scores = {s["student"]: s for s in gradebook.grade_table(db, A)[0]}
    assert sorted(scores) == sorted(EXPECTED)
    for student, (want_status, want_score) in EXPECTED.items():
        row = status[student]
        assert row["status"] == want_status, (student, row)
        assert scores[student]["score"] == want_score, (student, scores[student])
        assert scores[student]["max_score"] == 4
        assert row["score"] == want_score and row["max_score"] == 4
        assert (row["reason"] == "") == (want_status == "ok"), (student, row["reason"])
        assert row["sandbox"] == "bubblewrap"
    # every graded cell of every submission has a score (none left ungraded)
    per_cell = cell_scores(db)
    assert all(v is not None for s in per_cell.values() for v in s.values())
    assert per_cell["bob"] == {
        "test_square_int": 1.0,
        "test_square_array": 0.0,
        "test_square_float": 1.0,
    }

    # -- the reasons say what happened ------------------------------------------------
    assert "time limit" in status["loop"]["reason"]
    assert "MemoryError" in status["alloc"]["reason"]
    assert "kernel died" in status["exit"]["reason"]
    assert "output" in status["print50"]["reason"]
    assert "not a readable notebook" in status["corrupt"]["reason"]
    assert "not submitted" in status["missing"]["reason"]
    with open(root / "reports" / A / "autograde_status.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert {s: r["status"] for s, r in rows.items()} == {s: e[0] for s, e in EXPECTED.items()}
    assert "10 submissions, 4 graded normally, 6 with a recorded reason" in printed

    # -- the 50 MB print was cut to the output limit ----------------------------------
    graded = root / "autograded"
    assert (graded / "print50" / A / f"{A}.ipynb").stat().st_size < 6_000_000
    # the hidden test ran (it is what bob fails) but the student's copy never had it
    assert "square(-2)" not in (root / "exercises" / A / f"{A}.ipynb").read_text()

    # -- the snoop got nowhere ---------------------------------------------------------
    snoop_nb = graded / "snoop" / A / f"{A}.ipynb"
    report = json.loads(stdout_of(snoop_nb, "square").strip().splitlines()[-1])
    assert set(report) == {
        "read_victim",
        "read_victim_relative",
        "find_notebooks",
        "read_solutions",
        "rewrite_gradebook",
        "write_outside",
        "socket",
    }
    assert all(v.startswith("blocked") for v in report.values()), report
    assert listener.connections == []  # no connection reached the listener
    assert not (root / "pwned.txt").exists()
    assert (root / "solutions" / A / f"{A}.ipynb").read_bytes() == before_solutions
    for path in (graded / "snoop").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace")
    # the gradebook holds the scores above, not the snoop's 100s
    assert max(s["score"] for s in scores.values()) == 4

    # -- re-running is safe: unchanged submissions are skipped, grades unchanged ------
    fixed = submit(root, "bob", {"square": samples.TINY_ANSWERS["honest"]})
    assert fixed.exists()
    assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("(unchanged, skipped)") == len(EXPECTED) - 1
    status2 = gradebook.read_status(db, A)
    assert status2["bob"]["status"] == "ok" and status2["bob"]["score"] == 4
    scores2 = {s["student"]: s["score"] for s in gradebook.grade_table(db, A)[0]}
    assert scores2 == {s: (4 if s == "bob" else e[1]) for s, e in EXPECTED.items()}

    # -- feedback: an HTML page per graded student, a note for the ungradable ones ----
    assert cnnbook(["--root", str(root), "feedback", A]) == 0
    feedback = root / "feedback"
    assert (feedback / "alice" / A / f"{A}.html").exists()
    assert "4.0 / 4.0" in (feedback / "alice" / A / f"{A}.html").read_text()
    note = (feedback / "corrupt" / A / "grading_note.html").read_text()
    assert "not a readable notebook" in note
    assert (feedback / "missing" / A / "grading_note.html").exists()
    for path in (feedback / "snoop").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace")

    # -- report: CSVs, plots, HTML -----------------------------------------------------
    out = tmp_path / "report"
    assert cnnbook(["--root", str(root), "report", A, "--out", str(out)]) == 0
    with open(out / "grades.csv") as f:
        grades = {r["student"]: r for r in csv.DictReader(f)}
    assert sorted(grades) == sorted(EXPECTED)
    assert grades["alice"]["score"] == "4.0" and grades["alice"]["percent"] == "100.0"
    assert grades["loop"]["status"] == "timeout" and "time limit" in grades["loop"]["reason"]
    with open(out / "tests.csv") as f:
        tests = list(csv.DictReader(f))
    rates = {t["test"]: (int(t["passed"]), int(t["submissions"])) for t in tests}
    # passing: alice, bob (now fixed) and print50 everywhere
    assert rates == {
        "test_square_int": (3, 10),
        "test_square_array": (3, 10),
        "test_square_float": (3, 10),
    }
    for png in ("pass_rates.png", "histogram.png"):
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    page = (out / "summary.html").read_text()
    # the charts travel inside the page (data: URIs, as the LMS work made them)
    for png in ("pass_rates.png", "histogram.png"):
        inline = 'src="data:image/png;base64,' + base64.b64encode((out / png).read_bytes()).decode()
        assert inline in page, png
    assert "corrupt_notebook" in page and "alice" in page


def nbgrader_scores(root: Path) -> dict[str, dict[str, float]]:
    return cell_scores(f"sqlite:///{root / 'gradebook.db'}")


@pytest.mark.slow
def test_grades_identical_to_serial_nbgrader(tmp_path):
    """Honest and partial submissions: cnnbook (2 jobs, sandboxed or not) and a plain
    serial ``nbgrader autograde`` give the same score to every cell. A correct answer that
    writes warnings to stderr loses points to nbgrader's stderr rule, never to the judge
    (which does not look at the student's output)."""
    ours = samples.write_tiny_course(tmp_path / "ours")
    assert cnnbook(["--root", str(ours), "release"]) == 0
    submit(ours, "alice", {"square": samples.TINY_ANSWERS["honest"]})
    submit(ours, "bob", {"square": samples.TINY_ANSWERS["partial"]})
    # nbgrader scores a test cell that writes to stderr 0, even if it passes: dave's
    # square() warns (once per call site, so only some cells)
    warns = "import warnings\ndef square(x):\n    warnings.warn('slow')\n    return x * x"
    submit(ours, "dave", {"square": warns})
    theirs = tmp_path / "theirs"
    shutil.copytree(ours, theirs)
    with contextlib.suppress(FileNotFoundError):
        (theirs / "gradebook.db").unlink()
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", A, "--force"],
        cwd=theirs,
        check=True,
        capture_output=True,
    )
    r = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", A, "--force"],
        cwd=theirs,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    args = ["--root", str(ours), "autograde", A, "--jobs", "2", "--no-progress"]
    if not sandbox_available():
        args.append("--no-sandbox")
    assert cnnbook(args) == 0
    expected = nbgrader_scores(theirs)
    assert sorted(expected) == ["alice", "bob", "dave"]
    assert expected["bob"]["test_square_array"] == 0.0
    assert 0.0 in expected["dave"].values()  # the stderr trap is exercised
    graded = nbgrader_scores(ours)
    assert {s: graded[s] for s in ("alice", "bob")} == {s: expected[s] for s in ("alice", "bob")}
    assert graded["dave"] == graded["alice"]  # correct, warnings or not: full marks
