"""How much faster is ``cnnbook autograde --jobs 2`` than grading one notebook at a time?

Builds a throwaway course with one assignment (the course's ``ps02_convolution`` when run
from the repository, else the tiny built-in one) and N honest submissions, then times:

* plain ``nbgrader autograde`` (serial, no sandbox: today's baseline),
* ``cnnbook autograde --jobs 1`` (sandboxed, serial),
* ``cnnbook autograde --jobs 2`` (sandboxed, two at a time),

checks that all three give the same grades, and prints the ratios. A measurement, not a
test: run it on an otherwise idle 2-core machine, e.g.::

    python benchmarks/autograde_speed.py --students 12
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from cnnbook.grader import gradebook, samples
from cnnbook.grader.demo import _pick_assignment
from cnnbook.grader.sandbox import sandbox_available

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
    src = nbformat.read(str(root / "solutions" / assignment / f"{assignment}.ipynb"), 4)
    rel = nbformat.read(str(root / "exercises" / assignment / f"{assignment}.ipynb"), 4)
    answers = samples.solution_answers(src)
    for i in range(students):
        path = root / "submitted" / f"student{i:03d}" / assignment / f"{assignment}.ipynb"
        samples.make_submission(rel, answers, path=path)
    return assignment


def scores(root: Path, assignment: str) -> dict[str, float]:
    subs, _ = gradebook.grade_table(f"sqlite:///{root / 'gradebook.db'}", assignment)
    return {s["student"]: s["score"] for s in subs}


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.monotonic()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return elapsed


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=12)
    p.add_argument("--assignment", default=None)
    p.add_argument("--keep", action="store_true", help="keep the temporary course")
    a = p.parse_args()
    load = os.getloadavg()[0]
    base = Path(tempfile.mkdtemp(prefix="cnnbook-bench-"))
    try:
        root = base / "course"
        assignment = make_course(root, a.students, a.assignment)
        cnnbook = [sys.executable, "-m", "cnnbook.cli"]
        rows = {}
        rows["nbgrader autograde (serial)"] = timed(
            [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"], root
        )
        reference = scores(root, assignment)
        for jobs in (1, 2):
            (root / "gradebook.db").unlink()
            shutil.rmtree(root / "autograded")
            subprocess.run(
                [*cnnbook, "release", assignment], cwd=root, check=True, capture_output=True
            )
            cmd = [*cnnbook, "autograde", assignment, "--jobs", str(jobs), "--no-progress"]
            rows[f"cnnbook autograde --jobs {jobs}"] = timed(cmd, root)
            assert scores(root, assignment) == reference, "grades differ from nbgrader's"
        serial = rows["nbgrader autograde (serial)"]
        two = rows["cnnbook autograde --jobs 2"]
        one = rows["cnnbook autograde --jobs 1"]
        print(
            f"{a.students} x {assignment}, {os.cpu_count()} cores, sandbox: "
            f"{'bubblewrap' if sandbox_available() else 'none'}; load average before "
            f"the runs: {load:.1f}"
        )
        for name, seconds in rows.items():
            print(f"  {name:<30} {seconds:7.1f} s  ({seconds / a.students:.2f} s/notebook)")
        print(f"  speedup, --jobs 2 vs serial nbgrader:  {serial / two:.2f}x")
        print(f"  speedup, --jobs 2 vs --jobs 1:         {one / two:.2f}x")
        print(
            json.dumps(
                {
                    "vs_nbgrader": round(serial / two, 3),
                    "vs_jobs1": round(one / two, 3),
                    "seconds": rows,
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
