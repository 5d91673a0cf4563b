"""``cnnbook autograde --cluster`` on a real Dask cluster (issue #13).

``dask scheduler`` and two ``dask worker`` processes on loopback
(``tests/dask_support.py``), ``cnnbook autograde`` run as the instructor runs it (a
subprocess), and the faults the issue names: a worker SIGKILLed mid-job, a submission
whose worker dies every time it runs it, and the scheduler killed mid-run (with a
PostgreSQL gradebook, re-run on a new cluster). The scores must be those of a run on
this machine with the default executor. Everything started is stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import nbformat
import pytest
import sqlalchemy as sa

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook, samples
from cnnbook.grader.autograde import Autograder
from cnnbook.grader.course import Course
from cnnbook.grader.isolation.bubblewrap import sandbox_available
from cnnbook.grader.isolation.dask_executor import (
    ClusterError,
    DaskExecutor,
    pack_job,
    parse_cluster,
    receive,
    run_packed,
)
from cnnbook.grader.isolation.engine import NoIsolation
from cnnbook.grader.isolation.executor import Job
from cnnbook.grader.isolation.limits import Limits

from .dask_support import DaskCluster
from .postgres_support import PostgresServer, free_port, pg_bindir

# one xdist worker takes the whole module (pytest -n 2 --dist loadgroup): its
# module-scoped server or baseline is built once
pytestmark = pytest.mark.xdist_group("dask")

A = samples.TINY
SLOW = "import time\ntime.sleep(1.5)"  # so that a job is surely running when killed
HONEST = {"square": samples.TINY_ANSWERS["honest"]}
CLASS = {  # student -> (answers, prefix)
    "alice": (HONEST, SLOW),
    "bob": ({"square": samples.TINY_ANSWERS["partial"]}, SLOW),
    "carol": ({}, SLOW),
    "dan": (HONEST, SLOW),
    "exit": (HONEST, samples.PREFIXES["os_exit"]),
}


def require_sandbox():
    if not sandbox_available():
        msg = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


def add_students(root, students: dict) -> None:
    released = nbformat.read(str(root / "exercises" / A / f"{A}.ipynb"), as_version=4)
    for student, (answers, prefix) in students.items():
        path = root / "submitted" / student / A / f"{A}.ipynb"
        samples.make_submission(released, answers, prefix=prefix, path=path)


def outcome(db_url: str) -> dict[str, tuple]:
    """student -> (status, per-cell scores): what a grader must reproduce."""
    status = gradebook.read_status(db_url, A)
    _, cells = gradebook.grade_table(db_url, A)
    per_cell: dict[str, dict] = {}
    for c in cells:
        per_cell.setdefault(c["student"], {})[c["cell"]] = c["score"]
    return {s: (r["status"], per_cell.get(s)) for s, r in status.items()}


def submissions_per_student(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(db_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT student_id, count(*) FROM submitted_assignment GROUP BY student_id")
        ).all()
    engine.dispose()
    return dict(rows)


def cli(root, *args: str, db: str | None = None) -> subprocess.Popen:
    """``cnnbook autograde`` as the instructor runs it, in its own process."""
    cmd = [sys.executable, "-m", "cnnbook.cli", "--root", str(root)]
    cmd += ["--db", db] if db else []
    return subprocess.Popen(
        [*cmd, "autograde", A, "--no-progress", "--timeout", "60", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.fixture(scope="module")
def course_template(tmp_path_factory):
    """The released tiny course with the class above, and the outcome of grading it
    on this machine with the default executor (the scores every cluster must give)."""
    require_sandbox()
    root = samples.write_tiny_course(tmp_path_factory.mktemp("dask") / "template")
    assert cnnbook(["--root", str(root), "release"]) == 0
    add_students(root, CLASS)
    local = root.parent / "local"
    shutil.copytree(root, local)
    args = ["--root", str(local), "autograde", A, "--jobs", "2", "--no-progress"]
    assert cnnbook(args) == 0
    expected = outcome(f"sqlite:///{local / 'gradebook.db'}")
    assert expected["alice"][0] == "ok" and expected["exit"][0] == "kernel_died"
    assert sum(expected["bob"][1].values()) == 2
    return root, expected


def test_job_travels_as_bytes(tmp_path):
    """A job folder goes to the worker as bytes and its out/ comes back (no shared disk):
    here the worker's side runs in this process, on a trivial job without the sandbox."""
    job_dir = tmp_path / "job"
    (job_dir / "files" / "data").mkdir(parents=True)
    (job_dir / "files" / "data" / "x.txt").write_text("x")
    (job_dir / "job.json").write_text("{}")
    (job_dir / "out").mkdir()
    (job_dir / "out" / "stale.jsonl").write_text("old")
    packed = pack_job(job_dir)
    assert set(packed) == {"files/", "files/data/", "files/data/x.txt", "job.json"}
    result = {
        "outcome": {"returncode": 0, "seconds": 1.0, "timed_out": False, "sandboxed": True},
        "out": {"stream.jsonl": b'{"type": "result"}\n', "extra/more.txt": b"m"},
        "sandbox_log": b"log",
    }
    got = receive(Job("s", "nb", job_dir), result)
    assert got.outcome.returncode == 0 and got.error == ""
    assert sorted(p.name for p in (job_dir / "out").rglob("*")) == [
        "extra",
        "more.txt",
        "stream.jsonl",
    ]
    assert (job_dir / "sandbox.log").read_text() == "log"
    bad = receive(Job("s", "nb", job_dir), {"error": "no bwrap"})
    assert bad.outcome is None and bad.error == "no bwrap"
    with pytest.raises(ValueError):
        receive(Job("s", "nb", job_dir), {**result, "out": {"../escape": b""}})
    # a job that cannot even start comes back as an error, never as an exception
    broken = run_packed({"job.json": b"not json"}, Limits(), NoIsolation(), "x")
    assert "error" in broken
    assert parse_cluster("local:3") == ("local", 3)
    assert parse_cluster("10.0.0.5:8786") == ("tcp://10.0.0.5:8786", None)
    with pytest.raises(ValueError):
        parse_cluster("local:0")


@pytest.mark.slow
def test_local_cluster_grades_like_the_default_executor(course_template, tmp_path):
    template, expected = course_template
    root = tmp_path / "course"
    shutil.copytree(template, root)
    proc = cli(root, "--cluster", "local:2")
    out, err = finish(proc, timeout=150)
    assert proc.returncode == 0, out + err
    db = f"sqlite:///{root / 'gradebook.db'}"
    assert outcome(db) == expected
    assert submissions_per_student(db) == dict.fromkeys(CLASS, 1)


@pytest.mark.slow
def test_workers_killed_mid_run_lose_nothing(course_template, tmp_path):
    template, expected = course_template
    root = tmp_path / "course"
    shutil.copytree(template, root)
    # "crasher" is an honest submission whose worker dies whenever it runs it (as if
    # it drove the node out of memory): this test is the kernel's OOM killer
    add_students(root, {"crasher": (HONEST, SLOW)})
    kills = {"bob": 0, "crasher": 0}
    with DaskCluster(workers=2, allowed_failures=2, log_dir=tmp_path) as cluster:
        proc = cli(root, "--cluster", cluster.address)

        def oom_killer():
            killed = set()
            deadline = time.monotonic() + 150
            while proc.poll() is None and time.monotonic() < deadline:
                for student in kills:
                    if student == "bob" and kills["bob"]:
                        continue  # bob's worker dies once, mid-job
                    pid = cluster.worker_running(f"cnnbook-jobs/{student}_")
                    if pid and pid not in killed:
                        os.kill(pid, signal.SIGKILL)
                        killed.add(pid)
                        kills[student] += 1
                time.sleep(0.05)

        killer = threading.Thread(target=oom_killer, daemon=True)
        killer.start()
        out, err = finish(proc, timeout=170)
        killer.join(timeout=5)
    assert proc.returncode == 0, out + err
    assert kills["bob"] == 1
    assert kills["crasher"] == 3  # run 1 + allowed_failures (2), then given up
    db = f"sqlite:///{root / 'gradebook.db'}"
    got = outcome(db)
    crasher = gradebook.read_status(db, A)["crasher"]
    assert crasher["status"] == "sandbox_error"
    assert "KilledWorker" in crasher["reason"]
    assert got.pop("crasher")[1] == {k: 0.0 for k in expected["alice"][1]}
    assert got == expected
    # every submission graded exactly once: one line each, one gradebook submission each
    lines = [line.split()[0] for line in out.splitlines()[:-1]]
    assert sorted(lines) == sorted([*CLASS, "crasher"])
    assert submissions_per_student(db) == dict.fromkeys([*CLASS, "crasher"], 1)


@pytest.mark.slow
def test_scheduler_lost_mid_run_then_rerun(course_template, tmp_path):
    if pg_bindir() is None:
        msg = "PostgreSQL is not installed: bash tools/install_system_packages.sh"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    template, expected = course_template
    root = tmp_path / "course"
    shutil.copytree(template, root)
    (root / "gradebook.db").unlink()
    with PostgresServer() as pg:
        db = pg.new_database("dask")
        assert cnnbook(["--root", str(root), "--db", db, "release"]) == 0
        with DaskCluster(workers=2, log_dir=tmp_path) as cluster:
            proc = cli(root, "--cluster", cluster.address, db=db)
            deadline = time.monotonic() + 90
            while proc.poll() is None and time.monotonic() < deadline:
                if len(gradebook.read_status(db, A)) >= 2:
                    break
                time.sleep(0.2)
            cluster.kill_scheduler()
            out, err = finish(proc, timeout=60)
        assert proc.returncode == 3, out + err
        assert "lost the Dask scheduler" in err and "run the same command again" in err
        assert "Traceback" not in err
        before = outcome(db)
        assert 2 <= len(before) < len(CLASS)
        assert all(expected[s] == o for s, o in before.items())

        # the scheduler back (a new cluster): the same command grades the rest
        with DaskCluster(workers=2, log_dir=tmp_path) as cluster:
            proc = cli(root, "--cluster", cluster.address, db=db)
            out, err = finish(proc, timeout=120)
        assert proc.returncode == 0, out + err
        assert out.count("(unchanged, skipped)") == len(before)
        assert outcome(db) == expected
        assert submissions_per_student(db) == dict.fromkeys(CLASS, 1)


def test_unreachable_scheduler_is_a_clear_error(course_template, tmp_path):
    template, _ = course_template
    root = tmp_path / "course"
    shutil.copytree(template, root)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    executor = DaskExecutor(address, connect_timeout=3)
    with pytest.raises(ClusterError, match=f"could not reach the Dask scheduler at {address}"):
        Autograder(Course(root), A, executor=executor, progress=False).run()
    assert gradebook.read_status(f"sqlite:///{root / 'gradebook.db'}", A) == {}
