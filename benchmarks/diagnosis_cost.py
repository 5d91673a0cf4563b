"""What does naming the likely mistake cost per submission?

Grades a class with the real ``cnnbook autograde`` (sandboxed, ``--jobs 2``): one
student per catalogued mistake of the assignment plus honest ones. In the SAME run, the
judge step of every submission is timed twice on the same outcomes: without diagnosis
and with it (the diagnosis caches each mistake's evaluation per grading run, so the
first failing submissions pay for it). A submission's cost is its sandbox time plus its
judge time; the ratio with/without is printed per submission (median, worst) and for
the whole class. A measurement, not a test::

    python benchmarks/diagnosis_cost.py ps02_convolution --honest 4
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cnnbook.cli import main as cnnbook  # noqa: E402
from cnnbook.grader.autograde import Autograder  # noqa: E402
from cnnbook.grader.course import Course  # noqa: E402
from cnnbook.grader.judging import judge  # noqa: E402
from cnnbook.grader.judging.misconceptions import for_assignment  # noqa: E402
from tests.test_grader_report_misconceptions import submit  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="?", default="ps02_convolution")
    parser.add_argument("--honest", type=int, default=4)
    args = parser.parse_args(argv)
    a = args.assignment
    root = Path(tempfile.mkdtemp(prefix="cnnbook-diagnosis-cost-"))
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "solutions" / a, root / "solutions" / a)
    assert cnnbook(["--root", str(root), "release", a]) == 0
    students = {f"honest{i}": () for i in range(args.honest)}
    students |= {f"m{i:02d}": (m.id,) for i, m in enumerate(for_assignment(a))}
    for student, mistakes in students.items():
        submit(root, a, student, mistakes, {})

    timings: list[tuple[float, float]] = []  # (judge without, judge with) per notebook
    real_judge = judge.judge

    def timed_judge(recording, outcomes, diagnose=True):
        start = time.perf_counter()
        real_judge(recording, outcomes, diagnose=False)
        plain = time.perf_counter() - start
        start = time.perf_counter()
        verdicts = real_judge(recording, outcomes, diagnose=True)
        timings.append((plain, time.perf_counter() - start))
        return verdicts

    judge.judge = timed_judge
    try:
        grader = Autograder(Course(root), a, jobs=2, progress=False, seed=1)
        start = time.perf_counter()
        outcomes = grader.run()
        wall = time.perf_counter() - start
    finally:
        judge.judge = real_judge
    sandbox = [o.seconds for o in outcomes]
    without = [s + t[0] for s, t in zip(sandbox, timings, strict=True)]
    with_ = [s + t[1] for s, t in zip(sandbox, timings, strict=True)]
    ratios = [w / p for w, p in zip(with_, without, strict=True)]
    extra = sum(t[1] - t[0] for t in timings)
    print(f"{a}: {len(outcomes)} submissions ({len(students) - args.honest} mistakes), "
          f"run {wall:.1f} s wall (both judge variants timed inside)")
    print(f"  sandbox per submission: median {statistics.median(sandbox):.2f} s")
    print(f"  judge without diagnosis: median {statistics.median(t[0] for t in timings):.3f} s")
    print(f"  judge with diagnosis:    median {statistics.median(t[1] for t in timings):.3f} s, "
          f"max {max(t[1] for t in timings):.3f} s (first evaluations of the mistakes)")
    print(f"  per-submission cost ratio: median {statistics.median(ratios):.3f}, "
          f"worst {max(ratios):.3f}")
    print(f"  whole class: {sum(with_):.1f} s with / {sum(without):.1f} s without "
          f"= {sum(with_) / sum(without):.3f} (diagnosis adds {extra:.1f} s in all)")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
