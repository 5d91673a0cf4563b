"""What this machine's isolation can and cannot limit, said before any student code runs.

``cnnbook autograde`` prints these warnings first: a grader that cannot isolate or limit
student code must say so loudly rather than grade as if it could.
"""

from __future__ import annotations

from cnnbook.grader.isolation import cgroups
from cnnbook.grader.isolation.engine import Isolation
from cnnbook.grader.isolation.process_cap import process_cap_mode


def warnings(isolation: Isolation) -> list[str]:
    """One warning per missing safeguard (no sandbox, no memory or CPU cgroup, no
    process cap for root); empty when everything is in place."""
    out: list[str] = []
    if not isolation.sandboxed:
        out.append(
            "WARNING: bubblewrap (bwrap) is not available: student code runs WITHOUT "
            "network or file-system isolation, with only memory, CPU-time, file-size "
            "and wall-clock limits. Install it (Debian/Ubuntu: apt-get install "
            "bubblewrap) before grading untrusted submissions."
        )
    hierarchy, controllers = cgroups.mode()
    missing = [c for c in ("memory", "cpu") if c not in controllers]
    if missing:
        out.append(
            f"WARNING: no {' or '.join(missing)} cgroup for the jobs here ({hierarchy}): "
            + ("memory is capped per process only (RLIMIT_AS), not for the whole job "
               "with its in-memory files; " if "memory" in missing else "")
            + ("a submission that starts many busy processes can slow its classmates "
               "down; " if "cpu" in missing else "")
            + "run as root, or where /sys/fs/cgroup delegates these controllers."
        )  # fmt: skip
    if process_cap_mode() == "none":
        out.append(
            "WARNING: no pids cgroup can be created and cnnbook runs as root, so the "
            "number of processes a submission starts is NOT capped. Run as an ordinary "
            "user, or where /sys/fs/cgroup offers the pids controller."
        )
    return out
