"""The job's cgroup holds the whole job (issue 20): memory with its in-memory files,
CPU share, and files within the caps where they are copied.

Beside honest and blank controls whose grades must be exact:

* ``shm`` writes 1 GB to ``/dev/shm`` (a tmpfs: no process's address space), ``procs``
  holds 4 x 600 MB in four processes (each under the per-process ``--memory``): both
  are over ``--memory 1024`` as a job, and get ``memory_limit``;
* ``bigfiles`` hands in 40 files of 5 MB: at most the 20 MB cap reaches
  ``autograded/``;
* ``hog`` starts 250 busy processes (under the pids cap) for 20 s: the honest control
  graded beside it must take at most 1.5x its time alone, measured in the same test.

Cost: ~60 s on 2 cores (two autograde runs; the hog's job lasts ~20 s).
"""

from __future__ import annotations

import os

import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook, samples
from cnnbook.grader.isolation import cgroups
from tests.test_grader_autograde import require_sandbox, submit

# One worker for both tests: side by side on two workers, the memory test's jobs ran
# beside the hog's 250 processes (56 s in CI instead of 13 s alone), and the hog's
# ratio was measured beside another test's grading.
pytestmark = pytest.mark.xdist_group("limits")

A = samples.TINY
HONEST = {"square": samples.TINY_ANSWERS["honest"]}

SHM = """
chunk = b"x" * (63 * 2**20)  # files under the 64 MB file-size limit, 1 GB in all
for i in range(17):
    with open(f"/dev/shm/fill{i}", "wb") as f:
        f.write(chunk)
"""

PROCS = """
import subprocess, sys, time
hold = "a = bytearray(600 * 2**20)\\nfor i in range(0, len(a), 4096): a[i] = 1\\nimport time; time.sleep(60)"
procs = [subprocess.Popen([sys.executable, "-c", hold]) for _ in range(4)]
time.sleep(6)  # the tiny course's cells may take 8 s
"""

HOG = """
import os, time
for _ in range(240):
    try:
        pid = os.fork()
    except OSError:  # the pids cap
        break
    if pid == 0:
        end = time.time() + 20
        while time.time() < end:
            pass
        os._exit(0)
time.sleep(7)  # the tiny course's cells may take 8 s; the children spin on
"""

# the control burns 2 s of CPU, so that its whole run overlaps the hog's
BUSY = """
import time
_t = time.process_time()
while time.process_time() - _t < 2:
    pass
"""

EXPECTED = {
    "honest": ("ok", 4),
    "blank": ("ok", 0),
    "shm": ("memory_limit", 0),
    # the kernel kills the biggest processes (the four children): the notebook goes on,
    # its honest answer keeps its points, and the status says what happened
    "procs": ("memory_limit", 4),
    "bigfiles": ("ok", 4),
}


def autograde(root, *extra) -> None:
    args = ["--root", str(root), "autograde", A, "--timeout", "90", "--memory", "1024"]
    assert cnnbook([*args, "--no-progress", "--force", *extra]) == 0


def needs_cgroup(controller: str) -> None:
    hierarchy, controllers = cgroups.mode()
    if controller not in controllers:
        msg = f"no {controller} cgroup here ({hierarchy}, {controllers})"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.mark.slow
def test_memory_of_the_whole_job_and_file_caps(tmp_path):
    require_sandbox()
    needs_cgroup("memory")
    root = samples.write_tiny_course(tmp_path / "course")
    assert cnnbook(["--root", str(root), "release"]) == 0
    submit(root, "honest", HONEST)
    submit(root, "blank")
    submit(root, "shm", HONEST, prefix=SHM)
    submit(root, "procs", HONEST, prefix=PROCS)
    folder = submit(root, "bigfiles", HONEST).parent
    for i in range(40):
        (folder / f"data{i:02d}.bin").write_bytes(os.urandom(1024) * (5 * 1024 - 1))
    autograde(root, "--jobs", "2")
    db = f"sqlite:///{root / 'gradebook.db'}"
    status = gradebook.read_status(db, A)
    scores = {s["student"]: s["score"] for s in gradebook.grade_table(db, A)[0]}
    got = {s: (status[s]["status"], scores[s]) for s in EXPECTED}
    assert got == EXPECTED, {s: status[s]["reason"] for s in EXPECTED}
    for s in ("shm", "procs"):
        assert "memory limit of 1024 MB" in status[s]["reason"], status[s]["reason"]
    graded = root / "autograded" / "bigfiles" / A
    size = sum(p.stat().st_size for p in graded.rglob("*") if p.is_file())
    assert size < 21 * 2**20, size
    assert "files not given" in status["bigfiles"]["reason"]


@pytest.mark.slow
def test_a_cpu_hog_does_not_slow_a_classmate(tmp_path):
    """The control's job time beside the hog is at most 1.5x its time alone (median of
    the control's runs alone before and after, so that the machine's load is fair)."""
    require_sandbox()
    needs_cgroup("cpu")
    root = samples.write_tiny_course(tmp_path / "course")
    with open(root / "nbgrader_config.py", "a") as f:  # time it, not the cell limit
        f.write("c.Execute.timeout = 80\n")
    assert cnnbook(["--root", str(root), "release"]) == 0
    db = f"sqlite:///{root / 'gradebook.db'}"
    submit(root, "control", HONEST, prefix=BUSY)

    def control_seconds() -> float:
        row = gradebook.read_status(db, A)["control"]
        assert (row["status"], row["score"]) == ("ok", 4), row
        return row["seconds"]

    autograde(root, "--jobs", "1")
    alone = [control_seconds()]
    submit(root, "a_hog", HONEST, prefix=HOG)  # staged first: running when control starts
    autograde(root, "--jobs", "2")
    beside = control_seconds()
    assert "a_hog" in gradebook.read_status(db, A)  # graded, whatever its fate
    (root / "submitted" / "a_hog").rename(tmp_path / "a_hog")
    autograde(root, "--jobs", "1")
    alone.append(control_seconds())
    print(f"control alone {alone} s, beside the hog {beside:.2f} s, load {os.getloadavg()}")
    assert beside <= 1.5 * max(alone), (alone, beside)
