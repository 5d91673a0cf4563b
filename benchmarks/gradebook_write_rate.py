"""How fast does a PostgreSQL gradebook take cnnbook's writes?

Starts a throwaway PostgreSQL server on loopback (``tests/postgres_support.py``;
``fsync`` on, as a real server runs), releases ``--assignment`` into it, and measures:

* **side-table upserts** (``gradebook.record_status``: one connection and one
  ``INSERT ... ON CONFLICT`` transaction per call, as the parent writes one per
  submission), from 1 and from ``--writers`` processes at once;
* **raw upserts**: what the server itself sustains, one persistent connection per
  writer and one ``INSERT ... ON CONFLICT`` transaction per write;
* **nbgrader grade writes**: one submission's grade rows written and committed the way
  nbgrader's ``SaveAutoGrades`` does (open the gradebook, update or create the
  submission, set every grade's score, commit, close), 1 and ``--writers`` at once.

A measurement, not a test::

    python benchmarks/gradebook_write_rate.py --n 300 --writers 4
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def side_table(url: str, who: int, n: int, start: float, cpu) -> None:
    from cnnbook.grader import gradebook

    gradebook.record_status(url, _row("warmup", who))
    time.sleep(max(0.0, start - time.time()))
    t, t0 = time.process_time(), time.time()
    for i in range(n):
        gradebook.record_status(url, _row(f"w{who}-s{i}", who))
    cpu.put((t0, time.time(), time.process_time() - t))


def _row(student: str, who: int) -> dict:
    return {
        "assignment": "bench", "student": student, "status": "ok", "reason": "",
        "score": 1.0, "max_score": 4.0, "fingerprint": "0" * 64, "sandbox": "bubblewrap",
        "seconds": 1.0,
    }  # fmt: skip


def raw_upserts(url: str, who: int, n: int, start: float, cpu) -> None:
    """What the server sustains: one connection, one upsert transaction per write."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.autocommit = True
        conn.execute("CREATE TABLE IF NOT EXISTS raw_bench (student text PRIMARY KEY, score float)")
        time.sleep(max(0.0, start - time.time()))
        t, t0 = time.process_time(), time.time()
        for i in range(n):
            conn.execute(
                "INSERT INTO raw_bench VALUES (%s, 1.0) ON CONFLICT (student) "
                "DO UPDATE SET score = excluded.score",
                (f"w{who}-s{i}",),
            )
        cpu.put((t0, time.time(), time.process_time() - t))


def grade_rows(url: str, assignment: str, who: int, n: int, start: float, cpu) -> None:
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)
    time.sleep(max(0.0, start - time.time()))
    t, t0 = time.process_time(), time.time()
    for i in range(n):
        with Gradebook(url) as gb:
            student = f"w{who}-s{i}"
            gb.update_or_create_student(student)
            sub = gb.update_or_create_submission(assignment, student)
            for nb in sub.notebooks:
                for grade in nb.grades:
                    grade.auto_score = grade.max_score
                    grade.needs_manual_grade = False
            gb.db.commit()
    cpu.put((t0, time.time(), time.process_time() - t))


def timed(target, args_for, writers: int, n: int) -> tuple[float, float]:
    """Writes per second of ``writers`` processes, each doing ``n`` writes, and the
    client-side CPU milliseconds per write."""
    ctx = mp.get_context("spawn")
    cpu = ctx.Queue()
    start = time.time() + 8.0  # after every process has imported what it needs
    procs = [ctx.Process(target=target, args=(*args_for(w), n, start, cpu)) for w in range(writers)]
    for proc in procs:
        proc.start()
    reports = [cpu.get(timeout=600) for _ in procs]  # (first write, last write, CPU s)
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            sys.exit(f"a writer failed (exit {proc.exitcode})")
    first, last = min(r[0] for r in reports), max(r[1] for r in reports)
    rate = writers * n / (last - first)
    return rate, 1000 * sum(r[2] for r in reports) / (writers * n)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=300, help="writes per writer")
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--assignment", default="ps02_convolution")
    a = p.parse_args()
    from cnnbook.grader.course import Course
    from tests.postgres_support import PostgresServer

    base = Path(tempfile.mkdtemp(prefix="cnnbook-pg-bench-"))
    with PostgresServer(durable=True) as pg:
        try:
            url = pg.new_database("bench")
            root = base / "course"
            root.mkdir()
            shutil.copy(REPO / "nbgrader_config.py", root)
            shutil.copytree(REPO / "solutions" / a.assignment, root / "solutions" / a.assignment)
            course = Course(root, db_url=url)
            r = course.api.generate_assignment(a.assignment, force=True, create=True)
            assert r.get("success"), r
            from nbgrader.api import Gradebook

            with Gradebook(url) as gb:
                notebooks = gb.find_assignment(a.assignment).notebooks
                cells = sum(len(nb.grade_cells) for nb in notebooks)
            out = {
                "assignment": a.assignment, "graded_cells": cells, "fsync": True,
                "cores": len(os.sched_getaffinity(0)), "load_start": os.getloadavg()[0],
            }  # fmt: skip
            for writers in sorted({1, a.writers}):
                tests = {
                    "raw_upserts": (raw_upserts, lambda w: (url, w), a.n * 5),
                    "side_table_upserts": (side_table, lambda w: (url, w), a.n),
                    "nbgrader_submissions": (
                        grade_rows, lambda w, ww=writers: (url, a.assignment, w + 100 * ww),
                        max(1, a.n // 5),
                    ),
                }  # fmt: skip
                for name, (target, args_for, n) in tests.items():
                    rate, ms = timed(target, args_for, writers, n)
                    out[f"{name}_per_s_{writers}_writers"] = round(rate, 1)
                    out[f"{name}_client_cpu_ms_{writers}_writers"] = round(ms, 1)
                    print(
                        f"{name}, {writers} writer(s): {rate:.0f}/s, client CPU {ms:.1f} ms "
                        "per write",
                        flush=True,
                    )
            out["load_end"] = os.getloadavg()[0]
            print(json.dumps(out))
        finally:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
