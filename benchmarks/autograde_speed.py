"""How much faster is ``cnnbook autograde --jobs 2`` than grading one notebook at a time?

Builds a throwaway course with one assignment (the course's ``ps02_convolution`` when run
from the repository, else the tiny built-in one) and N honest submissions, then times:

* plain ``nbgrader autograde`` (serial, no sandbox: today's baseline),
* ``cnnbook autograde --jobs 1`` (sandboxed, serial),
* ``cnnbook autograde --jobs 2`` (sandboxed, two at a time),

checks that all three give the same grades, and prints the ratios. A measurement, not a
test: run it on an otherwise idle 2-core machine, e.g.::

    python benchmarks/autograde_speed.py --students 24 --rounds 3

The three are run in a rotating order, ``--rounds`` times, and the medians compared, so
that other load on the machine weighs on all three alike.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnnbook.grader import gradebook, samples
from cnnbook.grader.demo import _pick_assignment
from cnnbook.grader.isolation.bubblewrap import sandbox_available

REPO = Path(__file__).resolve().parents[1]


def make_course(root: Path, students: int, assignment: str | None) -> str:
    if assignment is None:
        assignment = _pick_assignment(REPO)
    if assignment and (REPO / "solutions" / assignment).is_dir():
        root.mkdir(parents=True)
        shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
        shutil.copytree(REPO / "solutions" / assignment, root / "solutions" / assignment)
    else:
        samples.write_tiny_course(root)
        assignment = samples.TINY
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    samples.submit_honest_class(root, assignment, students)
    return assignment


def scores(root: Path, assignment: str) -> dict[str, float]:
    subs, _ = gradebook.grade_table(f"sqlite:///{root / 'gradebook.db'}", assignment)
    return {s["student"]: s["score"] for s in subs}


def reset(root: Path, assignment: str) -> None:
    """A fresh gradebook with the assignment registered, no autograded/ folder."""
    (root / "gradebook.db").unlink(missing_ok=True)
    shutil.rmtree(root / "autograded", ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
        cwd=root,
        check=True,
        capture_output=True,
    )


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, of all child processes) of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=24)
    p.add_argument("--rounds", type=int, default=3, help="interleaved repetitions")
    p.add_argument("--assignment", default=None)
    p.add_argument("--keep", action="store_true", help="keep the temporary course")
    a = p.parse_args()
    load = os.getloadavg()[0]
    base = Path(tempfile.mkdtemp(prefix="cnnbook-bench-"))
    cnnbook = [sys.executable, "-m", "cnnbook.cli"]
    modes = {
        "nbgrader autograde (serial)": None,
        "cnnbook autograde --jobs 1": 1,
        "cnnbook autograde --jobs 2": 2,
    }
    wall: dict[str, list[float]] = {m: [] for m in modes}
    cpu: dict[str, list[float]] = {m: [] for m in modes}
    try:
        root = base / "course"
        assignment = make_course(root, a.students, a.assignment)
        reference = None
        names = list(modes)
        for r in range(a.rounds):
            for name in names[r % 3 :] + names[: r % 3]:  # rotate the order each round
                reset(root, assignment)
                jobs = modes[name]
                if jobs is None:
                    cmd = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"]
                else:
                    cmd = [*cnnbook, "autograde", assignment, "--jobs", str(jobs)]
                    cmd.append("--no-progress")
                w, c = timed(cmd, root)
                wall[name].append(w)
                cpu[name].append(c)
                got = scores(root, assignment)
                reference = reference or got
                assert got == reference, f"{name}: grades differ from nbgrader's"
        med = {m: statistics.median(v) for m, v in wall.items()}
        print(
            f"{a.students} x {assignment}, {os.cpu_count()} cores, sandbox: "
            f"{'bubblewrap' if sandbox_available() else 'none'}, {a.rounds} rounds; load "
            f"average at the start {load:.1f}, at the end {os.getloadavg()[0]:.1f}"
        )
        for name in modes:
            runs = ", ".join(f"{x:.1f}" for x in wall[name])
            print(
                f"  {name:<30} median {med[name]:6.1f} s wall ({runs}); "
                f"CPU {statistics.median(cpu[name]):6.1f} s"
            )
        serial = med["nbgrader autograde (serial)"]
        two = med["cnnbook autograde --jobs 2"]
        one = med["cnnbook autograde --jobs 1"]
        print(f"  speedup, --jobs 2 vs serial nbgrader:  {serial / two:.2f}x")
        print(f"  speedup, --jobs 2 vs --jobs 1:         {one / two:.2f}x")
        print(
            json.dumps(
                {
                    "vs_nbgrader": round(serial / two, 3),
                    "vs_jobs1": round(one / two, 3),
                    "wall": wall,
                    "cpu": cpu,
                    "students": a.students,
                    "assignment": assignment,
                }
            )
        )
    finally:
        if a.keep:
            print(f"course kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
