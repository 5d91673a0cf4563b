"""A cgroup per job: processes, memory and CPU share of the whole job, whoever the user.

Resource limits (``setrlimit``) are per process, and RLIMIT_NPROC does not hold for
root; a cgroup holds every process of the job together:

* ``pids``: at most ``Limits.tasks`` processes and threads;
* ``memory``: at most ``Limits.memory_mb`` for the whole job - every process, and the
  files it writes to its tmpfs folders (``/tmp``, home, ``/dev/shm``), which Linux
  charges to the cgroup of the writer; no swap. Going over kills the job's biggest
  process (the kernel); :attr:`JobCgroup.oom_kills` tells the grader it happened;
* ``cpu``: the same share for every job (``cpu.weight`` 100 / ``cpu.shares`` 1024, and
  the ``cnnbook`` group as much as its jobs together), so a submission that starts
  hundreds of busy processes gets one job's share of the CPU, not hundreds of
  processes' worth, and its classmates' jobs keep their pace.

cgroup v2 (one hierarchy) or v1 (one per controller) under ``/sys/fs/cgroup``, in a
``cnnbook`` folder. Controllers that cannot be used here are left out and named by
:func:`mode`; the grader says so loudly.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("pids", "memory", "cpu")
_COUNTER = iter(range(1, 1 << 62))


def v2_root() -> Path | None:
    for root in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        try:
            controllers = (root / "cgroup.controllers").read_text().split()
        except OSError:
            continue
        if "pids" in controllers:
            return root
    return None


def v1_roots() -> dict[str, Path]:
    return {
        c: CGROUP_ROOT / c for c in CONTROLLERS if (CGROUP_ROOT / c / "cgroup.procs").is_file()
    }


def _write(path: Path, value) -> bool:
    try:
        path.write_text(str(value))
        return True
    except OSError:
        return False


class JobCgroup:
    """The cgroup(s) of one job. ``with JobCgroup(limits) as cg: cmd = cg.wrap(cmd)``:
    the wrapped command joins them before it runs; leaving the block kills whatever is
    left in them and removes them. ``controllers`` says which ones hold."""

    def __init__(self, tasks: int, memory_mb: int | None = None):
        self.tasks = tasks
        self.memory_mb = memory_mb
        self.paths: dict[str, Path] = {}  # controller -> its cgroup (the same one on v2)
        self.oom_kills = 0

    @property
    def controllers(self) -> list[str]:
        return sorted(self.paths)

    def __enter__(self) -> JobCgroup:
        name = f"job-{os.getpid()}-{next(_COUNTER)}"
        root = v2_root()
        if root is not None:
            self._enter_v2(root, name)
        else:
            self._enter_v1(name)
        if "pids" not in self.paths:
            self.__exit__(None, None, None)
            raise OSError("no pids cgroup can be made here")
        return self

    def _enter_v2(self, root: Path, name: str) -> None:
        base = root / "cnnbook"
        base.mkdir(exist_ok=True)
        available = (root / "cgroup.controllers").read_text().split()
        for parent in (root, base):
            control = parent / "cgroup.subtree_control"
            for c in CONTROLLERS:
                if c in available and c not in control.read_text().split():
                    _write(control, f"+{c}")
        path = base / name
        path.mkdir()
        enabled = (base / "cgroup.subtree_control").read_text().split()
        if "pids" in enabled and _write(path / "pids.max", self.tasks):
            self.paths["pids"] = path
        if "memory" in enabled and self.memory_mb and _write(
            path / "memory.max", self.memory_mb * 2**20
        ):
            _write(path / "memory.swap.max", 0)
            self.paths["memory"] = path
        if "cpu" in enabled and _write(path / "cpu.weight", 100):
            self.paths["cpu"] = path
            _rebalance(base, "cpu.weight", 100)
        self._v2 = path

    def _enter_v1(self, name: str) -> None:
        self._v2 = None
        for c, root in v1_roots().items():
            path = root / "cnnbook" / name
            try:
                path.parent.mkdir(exist_ok=True)
                path.mkdir()
            except OSError:
                continue
            ok = True
            if c == "pids":
                ok = _write(path / "pids.max", self.tasks)
            elif c == "memory":
                limit = self.memory_mb * 2**20 if self.memory_mb else None
                ok = bool(limit) and _write(path / "memory.limit_in_bytes", limit)
                if ok and (path / "memory.memsw.limit_in_bytes").exists():
                    _write(path / "memory.memsw.limit_in_bytes", limit)  # no swap either
            elif c == "cpu":
                ok = _write(path / "cpu.shares", 1024)
                _rebalance(path.parent, "cpu.shares", 1024)
            if ok:
                self.paths[c] = path
            else:
                _rmdir(path)

    def _dirs(self) -> list[Path]:
        return sorted(set(self.paths.values()) | ({self._v2} if self._v2 else set()))

    def wrap(self, cmd: list[str]) -> list[str]:
        """``cmd`` started inside the job's cgroups (a shell joins them, then execs)."""
        dirs = [str(d) for d in self._dirs()]
        join = " && ".join(f'echo $$ > "${i + 1}/cgroup.procs"' for i in range(len(dirs)))
        return ["/bin/sh", "-c", f'{join} && shift {len(dirs)} && exec "$@"', "sh", *dirs, *cmd]

    def peak(self) -> int | None:
        try:
            return int((self.paths["pids"] / "pids.peak").read_text())
        except (OSError, ValueError, KeyError):
            return None

    def _read_oom_kills(self) -> int:
        path = self.paths.get("memory")
        if path is None:
            return 0
        for name in ("memory.events", "memory.oom_control"):
            try:
                for line in (path / name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
            except (OSError, ValueError):
                continue
        return 0

    def __exit__(self, *exc) -> None:
        dirs = self._dirs()
        for _ in range(100):
            pids = set()
            for d in dirs:
                try:
                    pids |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
                except (OSError, ValueError):
                    pass
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        self.oom_kills = self._read_oom_kills()
        for d in dirs:
            _rmdir(d)
        if "cpu" in self.paths:
            cpu = self.paths["cpu"].parent
            _rebalance(cpu, "cpu.weight" if self._v2 else "cpu.shares", 100 if self._v2 else 1024)


def _rebalance(base: Path, knob: str, one: int) -> None:
    """The ``cnnbook`` group weighs as much as its jobs would as ordinary processes
    (one per CPU each): a job keeps its share of the machine beside other users'
    processes whatever its classmates run, and a job's own processes share only its."""
    try:
        jobs = sum(1 for p in base.iterdir() if p.name.startswith("job-") and p.is_dir())
    except OSError:
        return
    # x CPUs: the scheduler splits a group's weight over the CPUs its tasks run on, so a
    # job alone on one CPU would otherwise weigh less there once a hog fills the others
    most = 10000 if knob == "cpu.weight" else 262144
    _write(base / knob, min(most, one * max(1, jobs) * (os.cpu_count() or 1)))


def _rmdir(path: Path) -> None:
    for _ in range(50):
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # a killed process may take a moment to leave
            time.sleep(0.02)


def mode() -> tuple[str, list[str]]:
    """``(hierarchy, controllers)`` a job gets here: ``("cgroup-v2", [...])``,
    ``("cgroup-v1", [...])`` or ``("none", [])``."""
    if not (os.access(CGROUP_ROOT, os.W_OK) or os.getuid() == 0 or _delegated()):
        return "none", []
    try:
        with JobCgroup(8, 64) as cg:
            return ("cgroup-v2" if cg._v2 else "cgroup-v1"), cg.controllers
    except OSError:
        return "none", []


def _delegated() -> bool:
    root = v2_root()
    return root is not None and os.access(root / "cnnbook", os.W_OK)
