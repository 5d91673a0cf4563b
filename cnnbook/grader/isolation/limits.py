"""The resource limits of one job, and how they are set on its processes.

Set with ``prlimit`` before the sandbox starts (so every process in it inherits them):
address space (``--memory``), CPU time, file size, no core dumps, and the number of
processes when not run as root (Linux never applies RLIMIT_NPROC to root: the job's
cgroup holds then, :mod:`cnnbook.grader.isolation.cgroups`, which also caps the memory
of the whole job, tmpfs included, and its CPU share). The wall clock is the parent's
(:mod:`cnnbook.grader.isolation.jobs`).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

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


def rlimits(limits: Limits) -> dict[str, int]:
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


def prlimit_args(limits: Limits) -> list[str]:
    return [f"--{name}={value}" for name, value in rlimits(limits).items()]


def limit_preexec(limits: Limits):
    def apply() -> None:
        names = {"as": "RLIMIT_AS", "cpu": "RLIMIT_CPU", "fsize": "RLIMIT_FSIZE"}
        names.update(core="RLIMIT_CORE", nproc="RLIMIT_NPROC")
        for name, value in rlimits(limits).items():
            resource.setrlimit(getattr(resource, names[name]), (value, value))

    return apply
