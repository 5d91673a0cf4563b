"""How the processes of a job are capped on this machine.

:func:`process_cap_mode` says it: ``cgroup-v2`` or ``cgroup-v1`` (each job in a cgroup
of its own, which holds for root too: :class:`cnnbook.grader.isolation.cgroups.JobCgroup`,
the one cgroup mechanism, also for memory and CPU share), ``rlimit`` (RLIMIT_NPROC,
which Linux does not apply to root) or ``none``.
"""

from __future__ import annotations

import os

from cnnbook.grader.isolation import cgroups


def process_cap_mode() -> str:
    """How jobs' processes are capped here: ``cgroup-v2``, ``cgroup-v1`` (a cgroup per
    job, which holds for root too; see :mod:`.cgroups`), ``rlimit`` (RLIMIT_NPROC, which
    Linux does not apply to root) or ``none``."""
    hierarchy, _ = cgroups.mode()
    if hierarchy != "none":
        return hierarchy
    return "rlimit" if os.getuid() != 0 else "none"
