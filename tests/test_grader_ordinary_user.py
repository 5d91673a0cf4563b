"""``cnnbook autograde`` run by an ordinary user (issue 20): the same grades as root.

CI runs as root; an instructor usually does not. A throwaway Unix user (``useradd``,
removed afterwards) grades a small hostile class - honest, blank, a non-UTF-8 file
name, a FIFO, a fork flood - and the controls' grades must be exact. Where this user
cannot make cgroups, autograde must say so loudly.

The user runs the test's own Python when it can reach it; where that Python lives under
root's private home (a pyenv or a venv made from one, as on CI), it runs the course from
the venv every account can read that the JupyterHub test uses (``tests/hub_support.py``,
made from Debian's ``/usr/bin/python3.11``), so the test runs rather than skips.

Cost: ~30 s on 2 cores (plus making that venv, ~90 s, when the hub test has not made it
yet; both tests share an xdist group). Needs root (to make the user); skipped otherwise.
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
from tests import hub_support
from tests.test_grader_autograde import require_sandbox, submit

pytestmark = pytest.mark.xdist_group("jupyterhub")  # shares the hub test's venv

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


def _python_the_user_can_run(user: str) -> str:
    """This test's Python if ``user`` can run it, else the shared venv's (see above)."""
    reach = subprocess.run(["runuser", "-u", user, "--", sys.executable, "-c", "import cnnbook"],
                           capture_output=True, text=True)  # fmt: skip
    if reach.returncode == 0:
        return sys.executable
    if not hub_support.PYTHON.exists():
        pytest.skip(
            f"an ordinary user cannot run {sys.executable} ({reach.stderr.strip()}) "
            f"and there is no {hub_support.PYTHON} to make a venv they can run"
        )
    python = str(hub_support.hub_venv().path / "bin" / "python")
    shared = subprocess.run(["runuser", "-u", user, "--", python, "-c", "import cnnbook"],
                            capture_output=True, text=True)  # fmt: skip
    assert shared.returncode == 0, f"{user} cannot run the shared venv: {shared.stderr}"
    return python


def _environment(python: str, home: Path) -> dict[str, str]:
    """The user's environment: this process's, with ``python``'s folder first on PATH and
    no trace of a venv the user may not be able to read."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    system = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # runuser is in sbin
    env["PATH"] = f"{Path(python).parent}:{system}"
    env["HOME"] = str(home)
    return env


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
    python = _python_the_user_can_run(ordinary_user)
    subprocess.run(["chown", "-R", ordinary_user, str(tmp_path)], check=True)
    for p in [tmp_path, *tmp_path.parents]:  # the user must reach the course
        os.chmod(p, os.stat(p).st_mode | 0o011)
    run = subprocess.run(
        ["runuser", "-u", ordinary_user, "--", python, "-m", "cnnbook.cli",
         "--root", str(root), "autograde", A, "--jobs", "2", "--no-progress"],
        capture_output=True, text=True, timeout=300, env=_environment(python, tmp_path),
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
        ["runuser", "-u", ordinary_user, "--", python, "-c", probe],
        capture_output=True, text=True, cwd=str(root),
    )  # fmt: skip
    if "memory" not in mode.stdout or "cpu" not in mode.stdout:
        assert "WARNING: no " in run.stderr and "cgroup" in run.stderr, run.stderr[-2000:]
    assert Path(root / "reports" / A / "autograde_status.csv").is_file()
