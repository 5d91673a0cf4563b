"""A real Dask cluster on loopback for the tests: ``dask scheduler`` and ``dask worker``
processes (each worker under its nanny, which restarts it when it dies), started and
stopped by the test; helpers to kill a worker as a node failure or the kernel's
out-of-memory killer would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .postgres_support import free_port


def _dask() -> list[str]:
    script = Path(sys.executable).with_name("dask")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dask"]


def children(pid: int) -> list[int]:
    """Child processes of ``pid``, whichever of its threads started them."""
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def descendants(pid: int) -> list[int]:
    out, todo = [], children(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


class DaskCluster:
    """``with DaskCluster(workers=2) as c: c.address``; everything stopped at the end."""

    def __init__(self, workers: int = 2, allowed_failures: int = 3, log_dir: Path | None = None):
        self.workers = workers
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(allowed_failures),
            # a worker lost is noticed within seconds, not after the default minutes
            "DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL": "20s",
            # a worker holds only the jobs it runs, so a worker that dies takes no
            # queued bystander's retry with it (docs/instructors.md recommends the same)
            "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
        }
        self.log_dir = log_dir
        self.scheduler: subprocess.Popen | None = None
        self.nannies: list[subprocess.Popen] = []

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb") if self.log_dir else subprocess.DEVNULL
        return subprocess.Popen(
            [*_dask(), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            start_new_session=True,  # its own process group: stopped as a whole
        )

    def start(self, timeout: float = 60.0) -> DaskCluster:
        self.scheduler = self._spawn(
            ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            "scheduler",
        )
        for i in range(self.workers):
            self.nannies.append(self._spawn(self.worker_args(f"w{i}"), f"worker{i}"))
        self.wait_for_workers(self.workers, timeout)
        return self

    def worker_args(self, name: str) -> list[str]:
        return [
            "worker", self.address, "--name", name, "--nthreads", "1", "--nworkers", "1",
            "--no-dashboard", "--host", "127.0.0.1", "--memory-limit", "0",
            *(["--local-directory", str(self.log_dir / name)] if self.log_dir else []),
        ]  # fmt: skip

    def wait_for_workers(self, n: int, timeout: float = 60.0) -> None:
        from distributed import Client

        deadline = time.monotonic() + timeout
        with Client(self.address, timeout=timeout) as client:
            client.wait_for_workers(n, timeout=max(1.0, deadline - time.monotonic()))

    def worker_pids(self) -> list[int]:
        """The worker processes (the nannies' children), not the nannies."""
        pids = []
        for nanny in self.nannies:
            for pid in children(nanny.pid):
                if "python" in cmdline(pid) or "dask" in cmdline(pid):
                    pids.append(pid)
        return pids

    def worker_running(self, needle: str) -> int | None:
        """The worker process whose sandbox has ``needle`` in its command line."""
        for pid in self.worker_pids():
            if any(needle in cmdline(p) for p in descendants(pid)):
                return pid
        return None

    def kill_scheduler(self) -> None:
        if self.scheduler and self.scheduler.poll() is None:
            os.killpg(self.scheduler.pid, signal.SIGKILL)
            self.scheduler.wait(timeout=30)

    def stop(self) -> None:
        for proc in [*self.nannies, self.scheduler]:
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 5  # a worker whose scheduler is gone may linger
        for proc in [*self.nannies, self.scheduler]:
            if proc is None:
                continue
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)

    def __enter__(self) -> DaskCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
