"""``cnnbook demo`` end to end: a new instructor's first command."""

from __future__ import annotations

import csv

import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import samples
from cnnbook.grader.isolation.bubblewrap import sandbox_available


@pytest.mark.slow
def test_demo_takes_a_class_through_the_whole_cycle(tmp_path, capsys):
    # --root points at a folder without solutions/, so the demo uses its tiny assignment
    # (run from the course root it uses ps02_convolution; the benchmark covers that one)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    demo = tmp_path / "demo"
    assert cnnbook(["--root", str(empty), "demo", "--dir", str(demo), "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    for step in ("1. release", "2. collect", "3. autograde", "4. feedback", "5. report"):
        assert step in out
    if not sandbox_available():
        assert "bubblewrap is not installed" in out
    A = samples.TINY
    assert (demo / "exercises" / A / f"{A}.ipynb").exists()
    with open(demo / "reports" / A / "grades.csv") as f:
        grades = {r["student"]: r for r in csv.DictReader(f)}
    assert sorted(grades) == ["ada", "ben", "chloe", "dev", "emma", "farid", "gita", "hugo"]
    assert grades["ada"]["percent"] == "100.0" and grades["ben"]["percent"] == "100.0"
    assert grades["emma"]["percent"] == "0.0"
    assert grades["farid"]["status"] == "timeout"
    assert grades["gita"]["status"] == "kernel_died"
    assert grades["hugo"]["status"] == "corrupt_notebook"
    assert all(grades[s]["status"] == "ok" for s in ("ada", "ben", "chloe", "dev", "emma"))
    assert (demo / "feedback" / "ada" / A / f"{A}.html").exists()
    assert (demo / "feedback" / "hugo" / A / "grading_note.html").exists()
    for name in ("summary.html", "pass_rates.png", "histogram.png", "tests.csv"):
        assert (demo / "reports" / A / name).stat().st_size > 0
    # a second demo in the same folder is refused rather than mixed with the first
    assert cnnbook(["--root", str(empty), "demo", "--dir", str(demo)]) == 1
