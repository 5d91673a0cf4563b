"""What does the trusted judge cost, against the grader before it?

Compares ``cnnbook autograde`` of this checkout with the one of a BASELINE checkout (an
earlier commit, with its own virtual environment, e.g. the commit before the judge),
each on a course built from its own ``solutions/`` and the same number of honest
submissions, with 1 and 2 jobs, in interleaved rounds so that other load on the machine
weighs on both alike::

    git worktree add /tmp/baseline 177895d
    (cd /tmp/baseline && python3.11 -m venv .venv && .venv/bin/pip install -r requirements.txt)
    python benchmarks/judge_cost.py --baseline /tmp/baseline --students 12 --rounds 3

Prints the per-submission cost ratio (this / baseline, 1 job: wall clock and CPU) and the
2-job speedup of each. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
MAKE_COURSE = """
import sys
from pathlib import Path
sys.path.insert(0, str(Path({tree!r}) / "benchmarks"))
from autograde_speed import make_course
print(make_course(Path({root!r}), {students}, {assignment!r}))
"""


def python_of(tree: Path) -> str:
    candidate = tree / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def build(tree: Path, root: Path, students: int, assignment: str) -> None:
    code = MAKE_COURSE.format(tree=str(tree), root=str(root), students=students,
                              assignment=assignment)  # fmt: skip
    subprocess.run([python_of(tree), "-c", code], cwd=tree, check=True, capture_output=True)


def main() -> int:
    sys.path.insert(0, str(HERE / "benchmarks"))
    from autograde_speed import reset, scores, timed

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline", required=True, type=Path, help="checkout of the baseline")
    p.add_argument("--students", type=int, default=12)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--assignment", default="ps02_convolution")
    a = p.parse_args()
    base = Path(tempfile.mkdtemp(prefix="cnnbook-judge-cost-"))
    trees = {"judge": HERE, "baseline": a.baseline.resolve()}
    roots = {}
    for name, tree in trees.items():
        roots[name] = base / name
        build(tree, roots[name], a.students, a.assignment)
    runs: dict[tuple[str, int], list[tuple[float, float]]] = {}
    load = os.getloadavg()[0]
    order = [(t, j) for j in (1, 2) for t in trees]
    for r in range(a.rounds):
        for name, jobs in order[r % len(order):] + order[: r % len(order)]:
            root = roots[name]
            reset(root, a.assignment)
            cmd = [python_of(trees[name]), "-m", "cnnbook.cli", "--root", str(root), "autograde",
                   a.assignment, "--jobs", str(jobs), "--no-progress", "--force"]  # fmt: skip
            runs.setdefault((name, jobs), []).append(timed(cmd, root))
            got = scores(root, a.assignment)
            assert set(got.values()) == {max(got.values())}, (name, got)  # all full marks
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in runs.items()}  # fmt: skip
    n = a.students
    print(f"{n} x {a.assignment}, {a.rounds} rounds; load average {load:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    for (name, jobs), (wall, cpu) in sorted(med.items()):
        print(f"  {name:<8} --jobs {jobs}: median {wall:6.1f} s wall ({wall / n:.2f} s per "
              f"submission), CPU {cpu:6.1f} s")  # fmt: skip
    cost_wall = med[("judge", 1)][0] / med[("baseline", 1)][0]
    cost_cpu = med[("judge", 1)][1] / med[("baseline", 1)][1]
    speedup = {t: med[(t, 1)][0] / med[(t, 2)][0] for t in trees}
    print(f"  per-submission cost, judge / baseline (1 job): {cost_wall:.2f}x wall, "
          f"{cost_cpu:.2f}x CPU")  # fmt: skip
    print(f"  2 jobs vs 1: judge {speedup['judge']:.2f}x, baseline {speedup['baseline']:.2f}x")
    print(json.dumps({"cost_wall": round(cost_wall, 3), "cost_cpu": round(cost_cpu, 3),
                      "speedup": {k: round(v, 3) for k, v in speedup.items()}}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
