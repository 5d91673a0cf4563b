"""Run one grading job in a sandbox: bubblewrap plus resource limits.

What the student code sees (with bubblewrap):

* no network: ``--unshare-all`` gives it an empty network namespace (only its own
  loopback), so it cannot reach anything on the machine or outside;
* read-only: ``/usr``, the Python installation, the virtual environment and the
  ``cnnbook`` package, nothing else of the host (no course folder, no gradebook, no
  other submissions, no solutions, no home directory);
* writable: only two size-capped private tmpfs, ``/home/student`` (its working
  folder) and ``/tmp``, gone when the job ends; results come back over the runner's stdout
  pipe, which the student's kernel does not hold (see :mod:`cnnbook.grader.sandboxed.runner`);
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
file-system isolation; :func:`sandbox_available` lets the caller say so loudly.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cnnbook
from cnnbook.grader.isolation import cgroups

SANDBOX_HOME = "/home/student"
SANDBOX_JOB = "/job"
MB = 1024 * 1024


@dataclass
class Limits:
    """Resource limits for one submission."""

    timeout: float = 600.0  # wall-clock seconds for the whole notebook
    memory_mb: int = 2048  # address space of each process (RLIMIT_AS), and of the whole
    # job with its in-memory files (the job's memory cgroup, where there is one)
    output_mb: int = 4  # notebook output kept (further output is dropped)
    file_mb: int = 64  # largest file the job may write (RLIMIT_FSIZE)
    workdir_mb: int = 256  # size of the private working folder (tmpfs)
    call_timeout: float | None = None  # one graded call (default: nbgrader's cell timeout)
    tasks: int = 256  # processes and threads of one job (a pids cgroup; RLIMIT_NPROC if not root)


@dataclass
class RunOutcome:
    returncode: int | None
    seconds: float
    timed_out: bool
    sandboxed: bool
    oom_kills: int = 0  # processes of the job the kernel killed for the job's memory cap


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


def _readonly_roots() -> list[str]:
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
    for p in _readonly_roots():
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


def user_tasks(uid: int) -> int:
    """Processes and threads of ``uid`` now: what RLIMIT_NPROC counts."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count


def _rlimits(limits: Limits) -> dict[str, int]:
    out = {
        "as": limits.memory_mb * MB,  # address space: a 40 GB allocation fails at once
        "cpu": int(limits.timeout) + 30,  # CPU seconds: a backstop behind the wall clock
        "fsize": limits.file_mb * MB,  # largest file written, including sandbox.log
        "core": 0,
    }
    uid = os.getuid()
    if uid != 0:
        # Linux counts processes per real user and never limits root, so a fork bomb is
        # capped only when cnnbook runs as an ordinary user: this user's tasks now plus
        # a margin for this job (a kernel and its threads need a few dozen).
        out["nproc"] = user_tasks(uid) + limits.tasks
    return out


def _prlimit_args(limits: Limits) -> list[str]:
    return [f"--{name}={value}" for name, value in _rlimits(limits).items()]


def _limit_preexec(limits: Limits):
    def apply() -> None:
        names = {"as": "RLIMIT_AS", "cpu": "RLIMIT_CPU", "fsize": "RLIMIT_FSIZE"}
        names.update(core="RLIMIT_CORE", nproc="RLIMIT_NPROC")
        for name, value in _rlimits(limits).items():
            resource.setrlimit(getattr(resource, names[name]), (value, value))

    return apply


# --------------------------------------------------------------------------- process cap


def process_cap_mode() -> str:
    """How jobs' processes are capped here: ``cgroup-v2``, ``cgroup-v1`` (a cgroup per
    job, which holds for root too; see :mod:`.cgroups`), ``rlimit`` (RLIMIT_NPROC, which
    Linux does not apply to root) or ``none``."""
    hierarchy, _ = cgroups.mode()
    if hierarchy != "none":
        return hierarchy
    return "rlimit" if os.getuid() != 0 else "none"


_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()


def kill_all() -> None:
    """Kill every job still running in this process (an interrupted autograde)."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _feed(stream, data: bytes) -> None:
    try:
        stream.write(data)
        stream.close()
    except (BrokenPipeError, OSError):
        pass


def _pump(stream, path: Path, cap: int) -> None:
    """Copy the runner's result stream to ``path``, keeping at most ``cap`` bytes."""
    kept = 0
    with open(path, "wb") as out:
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            if kept < cap:
                out.write(chunk[: cap - kept])
                kept += len(chunk)
    stream.close()


def run_job(job_dir: Path, limits: Limits, use_sandbox: bool = True) -> RunOutcome:
    """Run the job prepared in ``job_dir`` in a cgroup of its own (processes, memory
    and CPU share of the whole job: see :mod:`.cgroups`)."""
    cap = None
    try:
        cap = cgroups.JobCgroup(limits.tasks, limits.memory_mb).__enter__()
    except OSError:
        cap = None
    try:
        outcome = _run_job(job_dir, limits, use_sandbox, cap)
    finally:
        if cap is not None:
            cap.__exit__(None, None, None)
    if cap is not None:
        outcome.oom_kills = cap.oom_kills
    return outcome


def _run_job(job_dir: Path, limits: Limits, use_sandbox: bool, cap) -> RunOutcome:
    """Run the job prepared in ``job_dir`` (``job.json`` and ``files/``).

    The spec and the notebook are piped to the runner's stdin; its result stream is
    saved as ``job_dir/out/stream.jsonl`` (size-capped); bubblewrap's own messages go
    to ``job_dir/sandbox.log``.
    """
    job_dir = Path(job_dir)
    payload = json.loads((job_dir / "job.json").read_text())
    out_dir = job_dir / "out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir()
    spec = payload["spec"]
    private = None
    if use_sandbox:
        spec["files_dir"] = f"{SANDBOX_JOB}/files"
        spec["work_dir"] = f"{SANDBOX_HOME}/{spec.get('assignment', 'work')}"
        # a one-line /etc/passwd for the sandbox user (some libraries look the user up)
        (job_dir / "passwd").write_text("student:x:1000:1000:student:/home/student:/bin/sh\n")
        cmd = bwrap_command(job_dir, limits)
        cwd = env = None
    else:
        private = Path(tempfile.mkdtemp(prefix="cnnbook-job-"))
        spec["files_dir"] = str(job_dir / "files")
        spec["work_dir"] = str(private / spec.get("assignment", "work"))
        cmd = [sys.executable, "-m", "cnnbook.grader.sandboxed.runner"]
        cwd = str(private)
        env = {
            "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
            "HOME": str(private),
            "TMPDIR": str(private / ".tmp"),
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
    prlimit = shutil.which("prlimit")
    preexec = None
    if prlimit:
        cmd = [prlimit, *_prlimit_args(limits), "--", *cmd]
    else:  # pragma: no cover - util-linux is everywhere bubblewrap is
        preexec = _limit_preexec(limits)
    if cap is not None:
        cmd = cap.wrap(cmd)
    setpriv = shutil.which("setpriv")
    if setpriv:  # the job dies with the thread that started it, even on `kill -9 cnnbook`
        cmd = [setpriv, "--pdeathsig", "KILL", "--", *cmd]
    data = json.dumps(payload).encode()
    cap = limits.output_mb * MB * 3 + 8 * MB
    start = time.monotonic()
    timed_out = False
    proc = None
    try:
        with open(job_dir / "sandbox.log", "wb") as log:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=cwd,
                env=env,
                preexec_fn=preexec,
                start_new_session=True,
            )
            with _LIVE_LOCK:
                _LIVE.add(proc)
            pump = threading.Thread(
                target=_pump, args=(proc.stdout, out_dir / "stream.jsonl", cap), daemon=True
            )
            pump.start()
            # fed from a thread, so that the wall clock holds even if nobody reads it
            feeder = threading.Thread(target=_feed, args=(proc.stdin, data), daemon=True)
            feeder.start()
            try:
                proc.wait(timeout=limits.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
            pump.join(timeout=30)
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)
    return RunOutcome(proc.returncode, time.monotonic() - start, timed_out, use_sandbox)


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnbook.grader.isolation.bubblewrap JOB_DIR``: run one prepared job
    (a cluster node)."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("job_dir")
    p.add_argument("--timeout", type=float, default=Limits.timeout)
    p.add_argument("--memory", type=int, default=Limits.memory_mb)
    p.add_argument("--no-sandbox", action="store_true")
    a = p.parse_args(argv)
    outcome = run_job(
        Path(a.job_dir), Limits(timeout=a.timeout, memory_mb=a.memory), use_sandbox=not a.no_sandbox
    )
    print(json.dumps(outcome.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
