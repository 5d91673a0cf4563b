"""An isolation engine is one type behind one interface: :class:`Isolation`.

An engine says whether it can run here (:meth:`~Isolation.available`) and how one job
is launched in it (:meth:`~Isolation.launch`: the command, its folder and environment).
Two exist: :class:`~cnnbook.grader.isolation.bubblewrap.Bubblewrap` and
:class:`NoIsolation` (resource limits only, for trusted code). The CLI chooses one
(:func:`cnnbook.grader.isolation.jobs.choose`) and passes it down; a container engine
(podman, gVisor) is one new class beside ``Bubblewrap``, named in ``choose``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cnnbook.grader.isolation.limits import Limits
from cnnbook.grader.sandboxed.job_spec import JobSpec


@dataclass
class RunOutcome:
    returncode: int | None
    seconds: float
    timed_out: bool
    sandboxed: bool
    oom_kills: int = 0  # processes of the job the kernel killed for the job's memory cap


@dataclass
class Launch:
    """How one job starts: the spec with the job's folders as the runner sees them, the
    command, its working folder and environment (``None``: the engine's own), and a
    private folder removed when the job ends."""

    spec: JobSpec
    cmd: list[str]
    cwd: str | None = None
    env: dict[str, str] | None = None
    private: Path | None = field(default=None)


class Isolation(Protocol):
    """An isolation engine (bubblewrap today): what :func:`run_job` needs of it."""

    name: str  # recorded per submission ("bubblewrap", "none (limits only)")
    sandboxed: bool  # real isolation, not only resource limits

    def available(self) -> bool:
        """Whether it can run jobs on this machine."""

    def launch(self, job_dir: Path, spec: JobSpec, limits: Limits) -> Launch:
        """How the job prepared in ``job_dir`` starts under this engine."""


@dataclass(frozen=True)
class NoIsolation:
    """No sandbox: the runner as a plain child process with the resource limits, in a
    private temporary folder with a cleared environment. For trusted code only."""

    name: str = "none (limits only)"
    sandboxed: bool = False

    def available(self) -> bool:
        return True

    def launch(self, job_dir: Path, spec: JobSpec, limits: Limits) -> Launch:
        private = Path(tempfile.mkdtemp(prefix="cnnbook-job-"))
        spec = spec.in_folders(str(job_dir / "files"), str(private / (spec.assignment or "work")))
        env = {
            "PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin",
            "HOME": str(private),
            "TMPDIR": str(private / ".tmp"),
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
        cmd = [sys.executable, "-m", "cnnbook.grader.sandboxed.runner"]
        return Launch(spec, cmd, str(private), env, private)
