"""Running one job under an isolation engine: start it, limit it, read it back.

:func:`run_job` is the same for every engine (:mod:`cnnbook.grader.isolation.engine`):
the spec and the notebook are piped to the runner's stdin, the limits
(:mod:`cnnbook.grader.isolation.limits`) and the job's cgroup
(:mod:`cnnbook.grader.isolation.cgroups`: processes, memory and CPU share of the whole
job) wrap the command, the parent enforces the wall clock and keeps at most a capped
size of the result stream.
``python -m cnnbook.grader.isolation.jobs JOB_DIR`` runs one prepared job (a cluster node).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cnnbook.grader.isolation import cgroups
from cnnbook.grader.isolation.bubblewrap import Bubblewrap
from cnnbook.grader.isolation.engine import Isolation, NoIsolation, RunOutcome
from cnnbook.grader.isolation.limits import MB, Limits, limit_preexec, prlimit_args
from cnnbook.grader.sandboxed.job_spec import JobSpec


def choose(no_sandbox: bool = False) -> Isolation:
    """The engine to grade with: bubblewrap when it works here, unless ``no_sandbox``."""
    if no_sandbox:
        return NoIsolation()
    engine = Bubblewrap()
    return engine if engine.available() else NoIsolation()


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


def run_job(job_dir: Path, limits: Limits, isolation: Isolation) -> RunOutcome:
    """Run the job prepared in ``job_dir`` in a cgroup of its own (processes, memory
    and CPU share of the whole job: see :mod:`.cgroups`)."""
    cap = None
    try:
        cap = cgroups.JobCgroup(limits.tasks, limits.memory_mb).__enter__()
    except OSError:
        cap = None
    try:
        outcome = _run_job(job_dir, limits, isolation, cap)
    finally:
        if cap is not None:
            cap.__exit__(None, None, None)
    if cap is not None:
        outcome.oom_kills = cap.oom_kills
    return outcome


def _run_job(job_dir: Path, limits: Limits, isolation: Isolation, cap) -> RunOutcome:
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
    launch = isolation.launch(job_dir, JobSpec.from_json(payload["spec"]), limits)
    payload["spec"] = launch.spec.to_json()
    cmd, cwd, env, private = launch.cmd, launch.cwd, launch.env, launch.private
    prlimit = shutil.which("prlimit")
    preexec = None
    if prlimit:
        cmd = [prlimit, *prlimit_args(limits), "--", *cmd]
    else:  # pragma: no cover - util-linux is everywhere bubblewrap is
        preexec = limit_preexec(limits)
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
    return RunOutcome(proc.returncode, time.monotonic() - start, timed_out, isolation.sandboxed)


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnbook.grader.isolation.jobs JOB_DIR``: run one prepared job
    (a cluster node)."""
    import argparse

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("job_dir")
    p.add_argument("--timeout", type=float, default=Limits.timeout)
    p.add_argument("--memory", type=int, default=Limits.memory_mb)
    p.add_argument("--no-sandbox", action="store_true")
    a = p.parse_args(argv)
    limits = Limits(timeout=a.timeout, memory_mb=a.memory)
    outcome = run_job(Path(a.job_dir), limits, choose(no_sandbox=a.no_sandbox))
    print(json.dumps(outcome.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
