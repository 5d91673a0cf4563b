"""``cnnbook autograde`` run by an ordinary user (issue 20): the same grades as root.

CI runs as root; an instructor usually does not. A throwaway Unix user (``useradd``,
removed afterwards) grades a small hostile class - honest, blank, a non-UTF-8 file
name, a FIFO, a fork flood - and the controls' grades must be exact. Where this user
cannot make cgroups, autograde must say so loudly.

Cost: ~30 s on 2 cores. Needs root (to make the user); skipped otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cnnbook.grader import gradebook, samples
from tests.test_grader_autograde import require_sandbox, submit

A = samples.TINY
HONEST = {"square": samples.TINY_ANSWERS["honest"]}
FLOOD = """
import os, time
for _ in range(2000):
    try:
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
    except OSError:
        break
"""


@pytest.fixture
def ordinary_user():
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd to make a throwaway user")
    name = f"cnnbk{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["pkill", "-KILL", "-u", name], check=False)
        subprocess.run(["userdel", name], check=False)


@pytest.mark.slow
def test_autograde_as_an_ordinary_user(tmp_path, ordinary_user):
    require_sandbox()
    from cnnbook.cli import main as cnnbook

    root = samples.write_tiny_course(tmp_path / "course")
    assert cnnbook(["--root", str(root), "release"]) == 0
    submit(root, "honest", HONEST)
    submit(root, "blank")
    folder = submit(root, "badname", HONEST).parent
    with open(os.fsencode(folder) + b"/x-\xff.txt", "wb") as f:
        f.write(b"x")
    os.mkfifo(submit(root, "fifo", HONEST).parent / "pipe")
    submit(root, "flood", HONEST, prefix=FLOOD)
    reach = subprocess.run(["runuser", "-u", ordinary_user, "--", sys.executable, "-c", "0"],
                           capture_output=True, text=True)  # fmt: skip
    if reach.returncode != 0:  # e.g. a Python under root's private home
        pytest.skip(f"an ordinary user cannot run {sys.executable}: {reach.stderr.strip()}")
    subprocess.run(["chown", "-R", ordinary_user, str(tmp_path)], check=True)
    for p in [tmp_path, *tmp_path.parents]:  # the user must reach the course
        os.chmod(p, os.stat(p).st_mode | 0o011)
    run = subprocess.run(
        ["runuser", "-u", ordinary_user, "--", sys.executable, "-m", "cnnbook.cli",
         "--root", str(root), "autograde", A, "--jobs", "2", "--no-progress"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "HOME": str(tmp_path)},
        cwd=str(root),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    db = f"sqlite:///{root / 'gradebook.db'}"
    status = gradebook.read_status(db, A)
    scores = {s["student"]: s["score"] for s in gradebook.grade_table(db, A)[0]}
    assert {s: (status[s]["status"], scores[s]) for s in ("honest", "blank")} == {
        "honest": ("ok", 4),
        "blank": ("ok", 0),
    }
    assert scores["badname"] == 4 and scores["fifo"] == 4, status
    assert "flood" in status  # graded, whatever its fate
    probe = "from cnnbook.grader.isolation import cgroups; print(cgroups.mode()[1])"
    mode = subprocess.run(
        ["runuser", "-u", ordinary_user, "--", sys.executable, "-c", probe],
        capture_output=True, text=True, cwd=str(root),
    )  # fmt: skip
    if "memory" not in mode.stdout or "cpu" not in mode.stdout:
        assert "WARNING: no " in run.stderr and "cgroup" in run.stderr, run.stderr[-2000:]
    assert Path(root / "reports" / A / "autograde_status.csv").is_file()
