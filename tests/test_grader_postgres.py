"""The instructor tools on a real PostgreSQL gradebook (issue #13).

A throwaway PostgreSQL server (``tests/postgres_support.py``) on loopback, one database
per test: the whole cycle (release, autograde, feedback, report; ``demo``) through
``c.CourseDirectory.db_url`` and through ``--db``; writers racing on a new gradebook;
and two ``--shard`` graders started at once on one gradebook.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import textwrap
import time

import pytest
import sqlalchemy as sa

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook, samples
from cnnbook.grader.isolation.bubblewrap import sandbox_available

from .postgres_support import PostgresServer, free_port, pg_bindir

# one xdist worker takes the whole module (pytest -n 2 --dist loadgroup): its
# module-scoped server or baseline is built once
pytestmark = pytest.mark.xdist_group("postgres")

A = samples.TINY
HONEST = {"square": samples.TINY_ANSWERS["honest"]}
PARTIAL = {"square": samples.TINY_ANSWERS["partial"]}


@pytest.fixture(scope="module")
def pg():
    if pg_bindir() is None:
        msg = "PostgreSQL is not installed: bash tools/install_system_packages.sh"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    with PostgresServer() as server:
        yield server


def submit(root, student: str, answers: dict) -> None:
    import nbformat

    released = nbformat.read(str(root / "exercises" / A / f"{A}.ipynb"), as_version=4)
    path = root / "submitted" / student / A / f"{A}.ipynb"
    samples.make_submission(released, answers, path=path)


def nbgrader_rows(url: str) -> dict[str, int]:
    """Submissions per student in nbgrader's own tables (exactly one each, or a bug)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT student_id, count(*) FROM submitted_assignment s "
                "JOIN assignment a ON a.id = s.assignment_id WHERE a.name = :a "
                "GROUP BY student_id"
            ),
            {"a": A},
        ).all()
    engine.dispose()
    return dict(rows)


def status_csv(root) -> dict[str, dict]:
    with open(root / "reports" / A / "autograde_status.csv") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def test_concurrent_writers_on_a_new_gradebook(pg, tmp_path):
    """Four processes released at the same instant on a new database: each creates the
    schema and upserts rows (some the same row). No error, nothing lost or doubled."""
    url = pg.new_database("race")
    go = tmp_path / "go"  # created once all four have imported and are waiting
    code = textwrap.dedent(
        """
        import os, sys, time
        from cnnbook.grader import gradebook
        url, who, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        open(f"{go}.ready{who}", "w").close()
        while not os.path.exists(go):
            time.sleep(0.002)
        for i in range(20):
            for student in (f"s{who}-{i}", "shared"):
                gradebook.record_status(url, {
                    "assignment": "a", "student": student, "status": "ok", "reason": "",
                    "score": float(who), "max_score": 4.0, "fingerprint": "f",
                    "sandbox": "bubblewrap", "seconds": 0.1,
                })
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url, str(w), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for w in range(4)
    ]
    deadline = time.monotonic() + 90
    while len(list(tmp_path.glob("go.ready*"))) < 4 and time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.05)
    go.touch()
    outputs = [p.communicate(timeout=90)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, "\n".join(outputs)
    rows = gradebook.read_status(url, "a")
    assert len(rows) == 4 * 20 + 1
    assert {rows[f"s{w}-{i}"]["score"] for w in range(4) for i in range(20)} == set(
        map(float, range(4))
    )
    assert rows["shared"]["score"] in set(map(float, range(4)))


@pytest.mark.slow
def test_instructor_cycle_on_postgres(pg, tmp_path, capsys):
    if not sandbox_available() and os.environ.get("CI"):
        pytest.fail("bubblewrap is not installed")
    # the gradebook named in nbgrader_config.py, as a course sets it once
    url = pg.new_database("course")
    root = samples.write_tiny_course(tmp_path / "course")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f'c.CourseDirectory.db_url = "{url}"\n')
    assert cnnbook(["--root", str(root), "release"]) == 0
    # a gradebook that cannot be reached changes nothing (nbgrader would first delete
    # the old release, then fail)
    released = root / "exercises" / A / f"{A}.ipynb"
    before = released.read_bytes()
    down = f"postgresql://postgres@127.0.0.1:{free_port()}/course"
    assert cnnbook(["--root", str(root), "--db", down, "release"]) == 3  # gradebook trouble
    assert "cannot open the gradebook" in capsys.readouterr().err
    assert released.read_bytes() == before
    for student, answers in (("alice", HONEST), ("bob", PARTIAL), ("carol", {})):
        submit(root, student, answers)
    corrupt = root / "submitted" / "dave" / A / f"{A}.ipynb"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_text('{"cells": [')
    assert cnnbook(["--root", str(root), "autograde", A, "--jobs", "2", "--no-progress"]) == 0
    assert cnnbook(["--root", str(root), "feedback", A]) == 0
    assert cnnbook(["--root", str(root), "report", A]) == 0
    capsys.readouterr()
    assert not (root / "gradebook.db").exists()  # nothing went to a SQLite file
    want = {"alice": 4.0, "bob": 2.0, "carol": 0.0, "dave": 0.0}
    scores = {s["student"]: s["score"] for s in gradebook.grade_table(url, A)[0]}
    assert scores == want
    assert nbgrader_rows(url) == dict.fromkeys(want, 1)
    status = gradebook.read_status(url, A)
    assert status["dave"]["status"] == "corrupt_notebook"
    assert {s: float(r["score"]) for s, r in status_csv(root).items()} == want
    with open(root / "reports" / A / "grades.csv") as f:
        assert {r["student"]: float(r["score"]) for r in csv.DictReader(f)} == want
    assert (root / "feedback" / "alice" / A / f"{A}.html").exists()
    assert (root / "feedback" / "dave" / A / "grading_note.html").exists()
    # re-running regrades nothing and duplicates nothing
    assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    assert capsys.readouterr().out.count("(unchanged, skipped)") == 4
    assert nbgrader_rows(url) == dict.fromkeys(want, 1)

    # the same through --db: the demo, whose gradebook is then the server's
    demo_url = pg.new_database("demo")
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    demo = tmp_path / "demo"
    args = ["--root", str(empty), "--db", demo_url, "demo", "--dir", str(demo), "--jobs", "2"]
    assert cnnbook(args) == 0
    assert not (demo / "gradebook.db").exists()
    demo_status = gradebook.read_status(demo_url, A)
    assert len(demo_status) == 8 and demo_status["ada"]["score"] == 4
    assert (demo / "reports" / A / "summary.html").exists()


@pytest.mark.slow
def test_two_shards_started_at_once(pg, tmp_path):
    """Two graders, as on two machines, start together on one new gradebook."""
    if not sandbox_available() and os.environ.get("CI"):
        pytest.fail("bubblewrap is not installed")
    url = pg.new_database("shards")
    root = samples.write_tiny_course(tmp_path / "course")
    assert cnnbook(["--root", str(root), "--db", url, "release"]) == 0
    want = {}
    for i in range(8):
        answers, score = [(HONEST, 4.0), (PARTIAL, 2.0), ({}, 0.0)][i % 3]
        submit(root, f"s{i}", answers)
        want[f"s{i}"] = score
    cmd = [sys.executable, "-m", "cnnbook.cli", "--root", str(root), "--db", url, "autograde", A]
    procs = [
        subprocess.Popen(
            [*cmd, "--shard", f"{k}/2", "--jobs", "1", "--no-progress"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for k in (1, 2)
    ]
    try:
        outputs = [p.communicate(timeout=150)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], "\n".join(outputs)
    assert "UniqueViolation" not in "".join(outputs)
    scores = {s["student"]: s["score"] for s in gradebook.grade_table(url, A)[0]}
    assert scores == want
    assert nbgrader_rows(url) == dict.fromkeys(want, 1)
    status = gradebook.read_status(url, A)
    assert {s: r["score"] for s, r in status.items()} == want
    # whichever shard finished last wrote the whole class, not only its own rows
    assert {s: float(r["score"]) for s, r in status_csv(root).items()} == want
