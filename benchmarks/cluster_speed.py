"""What does one submission cost, and how does grading scale with Dask workers?

Measured in one run, on a throwaway PostgreSQL gradebook (as a large course runs it;
SQLite when PostgreSQL is not installed):

1. **Per assignment**, ``--per-assignment`` honest submissions of each of the course's
   assignments graded one at a time (``--jobs 1``, bubblewrap): wall-clock seconds per
   submission, of which the sandbox (what a worker spends), and the CPU seconds of the
   parent process (staging, nbgrader's sanitizing and grading, gradebook writes: what
   the one ``cnnbook`` process spends per submission, wherever the sandboxes run).
2. **Throughput** on ``--assignment`` (``ps02_convolution``) with ``--students``
   submissions: ``--cluster local:1``, ``local:2``, ``local:4`` and the default
   ``--jobs 2``, in a rotating order, ``--rounds`` times; submissions per second
   (cluster start-up included) and the grades checked equal across all of them.

A measurement, not a test::

    python benchmarks/cluster_speed.py --students 24 --per-assignment 2 --rounds 1
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cnnbook.grader import gradebook, samples  # noqa: E402
from cnnbook.grader.autograde import Autograder  # noqa: E402
from cnnbook.grader.course import Course  # noqa: E402
from cnnbook.grader.isolation.bubblewrap import Bubblewrap, sandbox_available  # noqa: E402
from cnnbook.grader.isolation.dask_executor import DaskExecutor  # noqa: E402
from cnnbook.grader.isolation.limits import Limits  # noqa: E402


def make_course(root: Path, assignment: str, students: int, db_url: str) -> Course:
    root.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / assignment, root / "solutions" / assignment)
    course = Course(root, db_url=db_url)
    r = course.api.generate_assignment(assignment, force=True, create=True)
    if not r.get("success"):
        sys.exit(f"release of {assignment} failed: {r.get('error') or r.get('log')}")
    samples.submit_honest_class(root, assignment, students)
    return course


def cpu(kind) -> float:
    r = resource.getrusage(kind)
    return r.ru_utime + r.ru_stime


def grade(course: Course, assignment: str, **kwargs) -> tuple[float, float, float, list]:
    """Wall seconds, parent CPU seconds, children CPU seconds, outcomes."""
    grader = Autograder(course, assignment, force=True, progress=False, **kwargs)
    c0, k0, t0 = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN), time.monotonic()
    outcomes = grader.run()
    wall = time.monotonic() - t0
    return wall, cpu(resource.RUSAGE_SELF) - c0, cpu(resource.RUSAGE_CHILDREN) - k0, outcomes


def cluster_startup(mode: str) -> float:
    """Seconds to start and stop a bare local cluster of this size (paid once per run)."""
    executor = DaskExecutor(mode)
    t0 = time.monotonic()
    client, cluster = executor._connect()
    client.wait_for_workers(executor.local_workers, timeout=120)
    client.close()
    cluster.close()
    return time.monotonic() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=24)
    p.add_argument("--per-assignment", type=int, default=2)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--assignment", default="ps02_convolution")
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--skip-assignments", action="store_true")
    a = p.parse_args()
    if not sandbox_available():
        sys.exit("bubblewrap is needed: the measurement is of sandboxed grading")
    from tests.postgres_support import PostgresServer, pg_bindir

    base = Path(tempfile.mkdtemp(prefix="cnnbook-cluster-bench-"))
    pg = PostgresServer().start() if pg_bindir() else None
    limits = Limits(timeout=1200)
    report: dict = {"cores": len(os.sched_getaffinity(0)), "load_start": os.getloadavg()[0]}
    report["gradebook"] = "postgresql" if pg else "sqlite"
    try:

        def db(name: str) -> str:
            return pg.new_database(name) if pg else f"sqlite:///{base / name}.db"

        # -- 1. one submission of each assignment ----------------------------------
        per = {}
        names = (
            []
            if a.skip_assignments
            else sorted(
                d.name for d in (REPO / "solutions").iterdir() if (d / f"{d.name}.ipynb").exists()
            )
        )
        for name in names:
            k = a.per_assignment
            course = make_course(base / f"a-{name}", name, k, db(f"a_{name}"))
            wall, parent, children, outs = grade(course, name, jobs=1, limits=limits)
            status = gradebook.read_status(course.db_url, name)
            sandbox = sum(r["seconds"] for r in status.values())
            assert all(o.status == "ok" and o.score == o.max_score for o in outs), outs
            per[name] = {
                "wall_s": round(wall / k, 2),
                "sandbox_s": round(sandbox / k, 2),
                "parent_cpu_s": round(parent / k, 3),
                "sandbox_cpu_s": round(children / k, 2),
            }
            print(f"{name:<28} {json.dumps(per[name])}", flush=True)
        report["per_submission"] = per

        # -- 2. throughput -----------------------------------------------------------
        n = a.students
        course = make_course(base / "throughput", a.assignment, n, db("throughput"))
        modes = {f"local:{w}": int(w) for w in a.workers.split(",")}
        modes["--jobs 2 (no Dask)"] = 0
        wall: dict[str, list[float]] = {m: [] for m in modes}
        startup: dict[str, list[float]] = {m: [] for m in modes}
        reference = None
        order = list(modes)
        for r in range(a.rounds):
            for mode in order[r % len(order) :] + order[: r % len(order)]:
                workers = modes[mode]
                if workers:
                    kwargs = {"executor": DaskExecutor(mode, limits, Bubblewrap())}
                    startup[mode].append(cluster_startup(mode))
                else:
                    kwargs = {"jobs": 2}
                w, _, _, outs = grade(course, a.assignment, limits=limits, **kwargs)
                got = {o.student: (o.status, o.score) for o in outs}
                reference = reference or got
                assert got == reference, f"{mode}: grades differ"
                wall[mode].append(w)
                print(f"{mode:<20} {n} submissions in {w:.1f} s: {n / w:.2f}/s", flush=True)
        report["throughput"] = {
            m: {
                "students": n,
                "wall_s": [round(x, 1) for x in v],
                "per_s": round(n / statistics.median(v), 3),
                "cluster_startup_s": [round(x, 1) for x in startup[m]],
                "per_s_after_startup": round(
                    n
                    / statistics.median(
                        w - s for w, s in zip(v, startup[m] or [0] * len(v), strict=True)
                    ),
                    3,
                ),
            }
            for m, v in wall.items()
        }
        ones = report["throughput"].get("local:1")
        if ones:
            report["speedup_vs_local_1"] = {
                m: round(t["per_s_after_startup"] / ones["per_s_after_startup"], 2)
                for m, t in report["throughput"].items()
            }
        report["load_end"] = os.getloadavg()[0]
        print(json.dumps(report, indent=1))
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
