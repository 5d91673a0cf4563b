"""The sandbox: bubblewrap, resource limits, the wall clock, the process cap."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cnnbook.grader.isolation.bubblewrap import Bubblewrap, bwrap_command, sandbox_available
from cnnbook.grader.isolation.engine import NoIsolation
from cnnbook.grader.isolation.execution import read_job
from cnnbook.grader.isolation.executor import Job, LocalExecutor
from cnnbook.grader.isolation.jobs import choose, run_job
from cnnbook.grader.isolation.limits import Limits


def test_bwrap_command_exposes_no_course_files(tmp_path):
    cmd = bwrap_command(tmp_path, Limits())
    joined = " ".join(cmd)
    for flag in ("--unshare-all", "--unshare-user", "--die-with-parent", "--clearenv"):
        assert flag in cmd
    repo = str(Path(__file__).resolve().parents[1])
    mounted = [cmd[i + 2] for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")]
    for target in mounted:
        # only the package and the venv of the repository are visible, read-only
        if target.startswith(repo + "/"):
            assert target in (f"{repo}/cnnbook", f"{repo}/.venv") or ".venv" in target, target
    assert "--bind" not in cmd  # nothing of the host is writable
    assert "gradebook" not in joined and "submitted" not in joined


def _tiny_job(tmp_path: Path, cells: list[str], cell_timeout: int = 30) -> Job:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "files").mkdir()
    spec = {"assignment": "t", "execute": {"timeout": cell_timeout}}
    (tmp_path / "job.json").write_text(json.dumps({"spec": spec, "notebook": nb}))
    return Job("s", "t", tmp_path)


@pytest.mark.slow
def test_wall_clock_limit_kills_a_job_that_ignores_interrupts(tmp_path):
    code = "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except BaseException:\n        pass"
    job = _tiny_job(tmp_path, ["print('first')", code, "print('never')"])
    use = choose()
    # 12 s: room for the kernel to start and run the first cell on a busy machine
    outcome = run_job(job.job_dir, Limits(timeout=12), use)
    assert outcome.timed_out
    record = read_job(job.job_dir, outcome, 12, 512)
    assert record.status == "timeout" and not record.complete
    assert 0 in record.cells and 2 not in record.cells


@pytest.mark.slow
def test_limits_hold_without_bubblewrap(tmp_path):
    """The fallback when bubblewrap is missing still limits memory and output."""
    job = _tiny_job(
        tmp_path,
        ["import numpy as np\nx = np.ones(40 * 1024**3 // 8)", "print('y' * 9_000_000)"],
    )
    results = list(LocalExecutor(1, Limits(timeout=60, memory_mb=1024), NoIsolation()).run([job]))
    (result,) = results
    record = read_job(job.job_dir, result.outcome, 60, 1024)
    assert record.status == "ok"
    assert record.cells[0][1][0]["ename"] == "MemoryError"
    text = record.cells[1][1][0]["text"]
    assert len(text) < 1000 and "output limit" in text


def test_process_limit_only_when_not_root(monkeypatch):
    from cnnbook.grader.isolation import limits

    monkeypatch.setattr(limits.os, "getuid", lambda: 0)
    assert "nproc" not in limits.rlimits(Limits())
    monkeypatch.setattr(limits.os, "getuid", lambda: 4242)
    monkeypatch.setattr(limits, "user_tasks", lambda uid: 100)
    assert limits.rlimits(Limits(tasks=50))["nproc"] == 150
    assert "--nproc=150" in limits.prlimit_args(Limits(tasks=50))
    assert limits.user_tasks(os.getuid()) >= 1


@pytest.mark.slow
def test_sandbox_works_when_the_course_lives_under_tmp(tmp_path, monkeypatch, request):
    """A course checked out under /tmp (as CI may do) has its venv bound under /tmp.

    bubblewrap must still start: /tmp inside the sandbox is its own tmpfs, and the
    read-only binds below it land inside that tmpfs.
    """
    if not sandbox_available():
        msg = "bubblewrap (bwrap) is not installed: tools/install_system_packages.sh"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)

    from cnnbook.grader.isolation import bubblewrap as sandbox

    shared = Path(tempfile.mkdtemp(dir="/tmp", prefix="cnnbook-course-"))
    request.addfinalizer(lambda: shutil.rmtree(shared, ignore_errors=True))  # leave no trace
    (shared / "marker.txt").write_text("visible, read-only")
    real_roots = sandbox.readonly_roots()
    monkeypatch.setattr(sandbox, "readonly_roots", lambda: [*real_roots, str(shared)])
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    job = _tiny_job(
        job_dir,
        [
            f"print(open('{shared}/marker.txt').read())",
            "open('/tmp/scratch.txt', 'w').write('tmp is writable')\nprint(open('/tmp/scratch.txt').read())",
            f"try:\n    open('{shared}/marker.txt', 'w')\nexcept OSError:\n    print('read-only')",
        ],
    )
    outcome = run_job(job.job_dir, Limits(timeout=60), Bubblewrap())
    record = read_job(job.job_dir, outcome, 60, 512)
    assert record.status == "ok", (record.status, record.reason)
    printed = "".join(
        out.get("text", "") for _, outputs in record.cells.values() for out in outputs
    )
    assert "visible, read-only" in printed
    assert "tmp is writable" in printed and "read-only" in printed
    assert (shared / "marker.txt").read_text() == "visible, read-only"


@pytest.mark.slow
def test_process_cap_holds_for_root_too(tmp_path):
    """A job that starts processes until it cannot: a pids cgroup stops it near
    Limits.tasks whoever runs cnnbook (RLIMIT_NPROC alone would not hold for root)."""
    from cnnbook.grader.isolation.process_cap import process_cap_mode

    mode = process_cap_mode()
    if mode == "none":
        pytest.skip("root without a pids cgroup: nothing can cap processes here")
    job = _tiny_job(
        tmp_path,
        [
            "import subprocess\nprocs = []\nfor _ in range(1000):\n    try:\n"
            "        procs.append(subprocess.Popen(['sleep', '20']))\n    except OSError:\n"
            "        break\nprint('started', len(procs))"
        ],
    )
    limits = Limits(timeout=60, tasks=64)
    outcome = run_job(job.job_dir, limits, choose())
    record = read_job(job.job_dir, outcome, 60, 512)
    printed = "".join(o.get("text", "") for _, outs in record.cells.values() for o in outs)
    started = int(printed.split("started", 1)[1].split()[0])
    assert 0 < started < 64, (mode, started)
