"""The process cap of one job: a pids cgroup, which holds for root too.

:func:`process_cap_mode` says how jobs are capped on this machine (``cgroup-v2``,
``cgroup-v1``, ``rlimit`` or ``none``); :class:`ProcessCap` is one job's cgroup.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_CAP_COUNTER = iter(range(1, 1 << 62))


def _cgroup_v2_root() -> Path | None:
    for root in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        controllers = root / "cgroup.controllers"
        try:
            if controllers.is_file() and "pids" in controllers.read_text().split():
                return root
        except OSError:
            continue
    return None


def _cgroup_v1_root() -> Path | None:
    root = CGROUP_ROOT / "pids"
    return root if (root / "cgroup.procs").is_file() else None


def process_cap_mode() -> str:
    """How jobs' processes are capped here: ``cgroup-v2``, ``cgroup-v1`` (a pids cgroup
    per job, which holds for root too), ``rlimit`` (RLIMIT_NPROC, which Linux does not
    apply to root) or ``none``."""
    if os.access(CGROUP_ROOT, os.W_OK) or os.getuid() == 0:
        if _cgroup_v2_root() and _try_cgroup(_cgroup_v2_root(), v2=True):
            return "cgroup-v2"
        if _cgroup_v1_root() and _try_cgroup(_cgroup_v1_root(), v2=False):
            return "cgroup-v1"
    return "rlimit" if os.getuid() != 0 else "none"


def _try_cgroup(root: Path, v2: bool) -> bool:
    try:
        with ProcessCap(8, root=root, v2=v2):
            return True
    except OSError:
        return False


class ProcessCap:
    """A pids cgroup for one job: at most ``limit`` processes and threads in it, whoever
    the user (``pids.max`` holds for root, unlike RLIMIT_NPROC). The job's command is
    wrapped by :meth:`wrap` so that it joins the cgroup before it runs; leaving the
    ``with`` block kills whatever is left in it and removes the cgroup."""

    def __init__(self, limit: int, root: Path | None = None, v2: bool | None = None):
        self.limit = limit
        if root is None:
            root, v2 = (
                (_cgroup_v2_root(), True) if _cgroup_v2_root() else (_cgroup_v1_root(), False)
            )
        if root is None:
            raise OSError("no pids cgroup controller here")
        self.root, self.v2 = root, v2
        self.path: Path | None = None

    def __enter__(self) -> ProcessCap:
        base = self.root / "cnnbook"
        if not base.is_dir():
            try:
                base.mkdir()
            except FileExistsError:
                pass
        if self.v2:
            for parent in (self.root, base):
                control = parent / "cgroup.subtree_control"
                if "pids" not in control.read_text().split():
                    control.write_text("+pids")
        self.path = base / f"job-{os.getpid()}-{next(_CAP_COUNTER)}"
        self.path.mkdir()
        (self.path / "pids.max").write_text(str(self.limit))
        return self

    def wrap(self, cmd: list[str]) -> list[str]:
        join = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
        return ["/bin/sh", "-c", join, str(self.path), *cmd]

    def __exit__(self, *exc) -> None:
        if self.path is None:
            return
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            except OSError:
                break
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.02)
        try:
            self.path.rmdir()
        except OSError:
            pass
