"""Ctrl-C (cnnbook/grader/interrupts.py): ``cnnbook autograde`` always stops with exit
code 130, wherever the signal lands - nbgrader's log capture included, which swallows a
``KeyboardInterrupt`` - and running it again completes the class correctly."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time

from cnnbook.grader import gradebook, samples

A = samples.TINY
CLASS = {  # student -> (answer, status, score)
    "ada": (samples.TINY_ANSWERS["honest"], "ok", 4),
    "ben": (samples.TINY_ANSWERS["partial"], "ok", 2),
    "cara": (None, "ok", 0),
    "dan": (samples.TINY_ANSWERS["honest"], "ok", 4),
    "eve": (samples.TINY_ANSWERS["partial"], "ok", 2),
}


def _autograde(root) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cnnbook.cli",
            "--root",
            str(root),
            "autograde",
            A,
            "--jobs",
            "2",
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def test_ctrl_c_always_stops_and_a_rerun_completes(tiny_course):
    released = samples.nbformat.read(str(tiny_course / "exercises" / A / f"{A}.ipynb"), 4)
    for student, (answer, _, _) in CLASS.items():
        answers = {"square": answer} if answer else {}
        path = tiny_course / "submitted" / student / A / f"{A}.ipynb"
        samples.make_submission(released, answers, path=path)
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    # start-up, staging, sandboxes running, nbgrader grading: the delays cover them all
    for delay in sorted(rng.uniform(1.0, 8.0) for _ in range(3)):
        proc = _autograde(tiny_course)
        time.sleep(delay)
        if proc.poll() is not None:  # finished before the signal: the class is graded
            break
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        out, err = proc.communicate(timeout=60)
        if proc.returncode == -signal.SIGINT:
            # killed by SIGINT while the interpreter was starting, before any of cnnbook's
            # code ran (a shell shows 130 for that too); only possible on a loaded machine
            assert not out and not err, f"seed {seed}, delay {delay:.2f} s:\n{out}\n{err}"
            continue
        assert proc.returncode == 130, f"seed {seed}, delay {delay:.2f} s:\n{out}\n{err}"
        assert "interrupted" in err
        status = gradebook.read_status(f"sqlite:///{tiny_course / 'gradebook.db'}", A)
        bad = {s: r["status"] for s, r in status.items() if r["status"] != CLASS[s][1]}
        assert not bad, f"seed {seed}: an interrupted run recorded {bad}"
    proc = _autograde(tiny_course)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"seed {seed}:\n{out}\n{err}"
    with open(tiny_course / "reports" / A / "autograde_status.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    for student, (_, status, score) in CLASS.items():
        assert rows[student]["status"] == status, (seed, rows[student])
        assert float(rows[student]["score"]) == score, (seed, rows[student])


SIGNAL_INSIDE_NBGRADER = """
import os, signal, sys, time
from nbgrader.converters import Autograde
from cnnbook.cli import main

def start(self):  # nbgrader's autograde app, interrupted while it runs
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)  # the handler raises KeyboardInterrupt here, inside nbgrader's app

Autograde.start = start
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_inside_nbgrader_is_not_swallowed(tiny_course):
    """The signal lands while nbgrader grades (inside its ``capture_log``, whose bare
    ``except:`` turns KeyboardInterrupt into a failed result): deterministic version,
    in a process of its own."""
    released = samples.nbformat.read(str(tiny_course / "exercises" / A / f"{A}.ipynb"), 4)
    path = tiny_course / "submitted" / "ada" / A / f"{A}.ipynb"
    samples.make_submission(released, {"square": samples.TINY_ANSWERS["honest"]}, path=path)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            SIGNAL_INSIDE_NBGRADER,
            "--root",
            str(tiny_course),
            "autograde",
            A,
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "interrupted" in proc.stderr
    status = gradebook.read_status(f"sqlite:///{tiny_course / 'gradebook.db'}", A)
    assert "ada" not in status  # nothing recorded: the re-run grades ada
