"""The bubblewrap isolation engine: the one module that names ``bwrap``.

:class:`Bubblewrap` is an :class:`~cnnbook.grader.isolation.engine.Isolation`: it says
whether it can run here and how one job is launched in it; :mod:`.jobs` starts, limits
and reads back the job. What the student code sees (with bubblewrap):

* no network: ``--unshare-all`` gives it an empty network namespace (only its own
  loopback), so it cannot reach anything on the machine or outside;
* read-only: ``/usr``, the Python installation, the virtual environment and the
  ``cnnbook`` package, nothing else of the host (no course folder, no gradebook, no
  other submissions, no solutions, no home directory);
* writable: only size-capped private tmpfs, ``/home/student`` (its working folder),
  ``/tmp`` and ``/dev/shm`` (capped at ``--memory``), gone when the job ends; results
  come back over the runner's stdout pipe, which the student's kernel does not hold
  (see :mod:`cnnbook.grader.sandboxed.runner`);
* a user namespace with no capabilities (and none to create), a new session, its own
  PID namespace in which the runner is pid 1 (no bubblewrap monitor inside holding the
  result pipe), killed with bubblewrap, which is killed with the thread that started
  it (``setpriv --pdeathsig``);
* limits set with ``prlimit`` before the sandbox starts and inherited by every process
  in it: address space (``--memory``), CPU time, file size, no core dumps, and the
  number of processes when not run as root; and a wall-clock limit enforced by the
  parent, which kills the whole sandbox.

Without bubblewrap (``bwrap`` not on PATH) the job still runs with the resource limits,
in a private temporary folder and with a cleared environment, but with NO network or
file-system isolation (:class:`~cnnbook.grader.isolation.engine.NoIsolation`);
:func:`sandbox_available` lets the caller say so loudly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import cnnbook
from cnnbook.grader.isolation.engine import Launch
from cnnbook.grader.isolation.limits import MB, Limits
from cnnbook.grader.sandboxed.job_spec import JobSpec

SANDBOX_HOME = "/home/student"
SANDBOX_JOB = "/job"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def sandbox_available() -> bool:
    """True when bubblewrap is installed and can create a sandbox here."""
    path = bwrap_path()
    if not path:
        return False
    try:
        r = subprocess.run(
            [path, "--unshare-all", "--unshare-user", "--ro-bind", "/", "/", "true"],
            capture_output=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def readonly_roots() -> list[str]:
    """Host paths the sandbox needs, read-only: Python, the venv, the cnnbook package."""
    paths = ["/usr"]
    for p in (sys.base_prefix, sys.prefix, str(Path(cnnbook.__file__).resolve().parent)):
        p = os.path.realpath(p)
        paths.append(p)
    # the interpreter the venv points to may live elsewhere (pyenv, /opt, ...)
    paths.append(str(Path(os.path.realpath(sys.executable)).parent.parent))
    out: list[str] = []
    for p in sorted(set(paths), key=len):
        if os.path.exists(p) and not any(p == q or p.startswith(q + "/") for q in out):
            out.append(p)
    return out


def bwrap_command(job_dir: Path, limits: Limits) -> list[str]:
    cmd = [
        bwrap_path() or "bwrap",
        "--unshare-all",  # network, pid, ipc, uts, cgroup (and user, below)
        "--unshare-user",
        "--uid", "1000", "--gid", "1000",
        "--disable-userns",
        "--die-with-parent",
        "--as-pid-1",  # no bwrap monitor inside holding our stdout: the runner is pid 1
        "--new-session",
        "--clearenv",
        "--proc", "/proc",
        "--dev", "/dev",
        # shared memory: a tmpfs of its own, within --memory even with no memory cgroup
        # (with one, its pages count in the job's memory with everything else)
        "--size", str(limits.memory_mb * MB), "--tmpfs", "/dev/shm",
        # /tmp first: a course (and so its venv) may itself live under /tmp, and its
        # read-only binds below must land inside this tmpfs, not collide with it
        "--size", str(limits.workdir_mb * MB), "--tmpfs", "/tmp",
    ]  # fmt: skip
    for p in readonly_roots():
        cmd += ["--ro-bind", p, p]
    # usr-merged systems: /bin, /lib... are symlinks into /usr
    for top in ("/bin", "/sbin", "/lib", "/lib64", "/lib32"):
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    for f in ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf"):
        if os.path.exists(f):
            cmd += ["--ro-bind", f, f]
    package = job_dir / "package"
    if package.is_dir():  # the course package without its answers (see overlay.py)
        cmd += ["--ro-bind", str(package), str(Path(cnnbook.__file__).resolve().parent)]
    cmd += [
        "--ro-bind", str(job_dir / "passwd"), "/etc/passwd",
        "--size", str(limits.workdir_mb * MB), "--tmpfs", SANDBOX_HOME,
        "--ro-bind", str(job_dir / "files"), f"{SANDBOX_JOB}/files",
        "--chdir", SANDBOX_HOME,
    ]  # fmt: skip
    venv_bin = os.path.join(os.path.realpath(sys.prefix), "bin")
    env = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": SANDBOX_HOME,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    cmd += [os.path.join(venv_bin, "python"), "-m", "cnnbook.grader.sandboxed.runner"]
    return cmd


@dataclass(frozen=True)
class Bubblewrap:
    """Each job in its own bubblewrap sandbox (see the module's docstring)."""

    name: str = "bubblewrap"  # what the gradebook's side table and the report say
    sandboxed: bool = True

    def available(self) -> bool:
        return sandbox_available()

    def launch(self, job_dir: Path, spec: JobSpec, limits: Limits) -> Launch:
        work = f"{SANDBOX_HOME}/{spec.assignment or 'work'}"
        spec = spec.in_folders(f"{SANDBOX_JOB}/files", work)
        # a one-line /etc/passwd for the sandbox user (some libraries look the user up)
        (job_dir / "passwd").write_text("student:x:1000:1000:student:/home/student:/bin/sh\n")
        return Launch(spec, bwrap_command(job_dir, limits))
