"""A class whose submissions attack the batch itself, not the grade (issue #20).

Every submission here tries to stop ``cnnbook autograde`` for everyone, or to leave
something behind: file names that are not UTF-8, folders nested past Python's recursion
limit, JSON nested past it, an exception message with a lone surrogate, thousands of
files, 255-byte names, a FIFO, a socket, a device, a symlink loop, 100k cells, JSON
that is not a notebook. Beside them, honest and blank controls whose grades must come
out exact. Graded once with two jobs through the real ``cnnbook autograde``.

Cost: ~25 s on 2 idle cores (most of it nbgrader's per-submission autograde).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook, samples
from tests.test_grader_autograde import require_sandbox, submit

A = samples.TINY
HONEST = {"square": samples.TINY_ANSWERS["honest"]}

# student -> (status, score out of 4); the hostile ones answer honestly too, so any score
# below 4 for a graded one would be a grade lost to the attack on the batch
EXPECTED = {
    "honest": ("ok", 4),
    "blank": ("ok", 0),
    "badname": ("ok", 4),
    "deepdir": ("ok", 4),
    "deepjson": ("corrupt_notebook", 0),
    "surrogate": ("ok", 3),  # square raises for floats: test_square_float lost, 1 point
    "manyfiles": ("ok", 4),
    "longnames": ("ok", 4),
    "specials": ("ok", 4),
    "symloop": ("ok", 4),
    "cells100k": ("corrupt_notebook", 0),  # over autograde.MAX_CELLS: refused, said
    "notdict": ("corrupt_notebook", 0),
    "badformat": ("corrupt_notebook", 0),
}

SURROGATE = (
    "def square(x):\n"
    "    if isinstance(x, float):\n"
    "        raise ValueError('bad \\ud800 value \\udfff')\n"
    "    return x * x"
)


def deep_folder(base: Path, depth: int) -> None:
    """``depth`` nested one-letter folders, past PATH_MAX, made relative to each other."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            new = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = new
        with open(os.open("deep.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("x = 1\n")
    finally:
        os.close(fd)


def build_class(root: Path) -> dict[str, Path]:
    folders = {}
    for student in EXPECTED:
        if student in ("deepjson", "notdict", "badformat"):
            continue
        answers = {"square": SURROGATE} if student == "surrogate" else HONEST
        if student == "blank":
            answers = {}
        folders[student] = submit(root, student, answers).parent
    # a file name that is not valid UTF-8, beside one that is
    bad = os.fsencode(folders["badname"]) + b"/notes-\xff\xfe.txt"
    with open(bad, "wb") as f:
        f.write(b"not utf-8 name")
    os.mkdir(os.fsencode(folders["badname"]) + b"/dir-\xc3\x28")
    # 1500 nested folders (past the recursion limit and PATH_MAX)
    deep_folder(folders["deepdir"], 1500)
    # a notebook whose JSON nests 100 000 deep
    nb = root / "submitted" / "deepjson" / A / f"{A}.ipynb"
    nb.parent.mkdir(parents=True)
    nb.write_text('{"cells": [], "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    # 5000 small files (the caps are 100 files, 20 MB)
    for i in range(5000):
        (folders["manyfiles"] / f"f{i}.txt").write_text("x")
    # 255-byte names, a folder of them
    long = folders["longnames"] / ("L" * 255)
    long.mkdir()
    (long / ("n" * 255)).write_text("long")
    (folders["longnames"] / ("m" * 250 + ".py")).write_text("y = 2\n")
    # a FIFO, a socket, and (as root) a character device
    os.mkfifo(folders["specials"] / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folders["specials"] / "sock"))
    sock.close()
    if os.geteuid() == 0:
        os.mknod(folders["specials"] / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    # a symlink loop and a link to itself
    (folders["symloop"] / "a").symlink_to("b")
    (folders["symloop"] / "b").symlink_to("a")
    (folders["symloop"] / "self").symlink_to("self")
    (folders["symloop"] / "up").symlink_to("..")
    # 100 000 extra cells (markdown) after the graded ones
    path = folders["cells100k"] / f"{A}.ipynb"
    big = json.loads(path.read_text())
    md = {"cell_type": "markdown", "metadata": {}, "source": "c"}
    big["cells"] += [dict(md, id=f"c{i}") for i in range(100_000)]
    path.write_text(json.dumps(big))
    # JSON that is not a notebook: a list; and a dict whose cells are not a list
    for student, text in (("notdict", "[1, 2, 3]"), ("badformat", '{"cells": 5, "nbformat": 4}')):
        p = root / "submitted" / student / A / f"{A}.ipynb"
        p.parent.mkdir(parents=True)
        p.write_text(text)
    return folders


def remove_deep(folder: Path) -> None:
    """``shutil.rmtree`` recurses (and pytest's clean-up with it); GNU rm does not."""
    subprocess.run(["rm", "-rf", "--", str(folder)], check=True)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """The run's temporary folders in a folder of this test's own (others share /tmp)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


@pytest.mark.slow
def test_hostile_names_and_shapes_never_stop_the_batch(tmp_path, private_tmp, capsys):
    require_sandbox()
    root = samples.write_tiny_course(tmp_path / "course")
    assert cnnbook(["--root", str(root), "release"]) == 0
    folders = build_class(root)
    try:
        check_class(root, private_tmp, capsys)
    finally:
        remove_deep(folders["deepdir"])


def check_class(root: Path, private_tmp: Path, capsys) -> None:
    args = ["--root", str(root), "autograde", A, "--jobs", "2", "--timeout", "60"]
    assert cnnbook([*args, "--no-progress"]) == 0
    printed = capsys.readouterr().out
    db = f"sqlite:///{root / 'gradebook.db'}"

    status = gradebook.read_status(db, A)
    scores = {s["student"]: s for s in gradebook.grade_table(db, A)[0]}
    assert sorted(status) == sorted(EXPECTED), printed
    got = {s: (status[s]["status"], scores[s]["score"]) for s in EXPECTED}
    assert got == EXPECTED, {s: (got[s], status[s]["reason"]) for s in got if got[s] != EXPECTED[s]}
    for student, (want, _) in EXPECTED.items():
        reason = status[student]["reason"]
        assert (want == "ok") or reason, (student, reason)
    assert "not a readable notebook" in status["deepjson"]["reason"]
    assert "not a readable notebook" in status["notdict"]["reason"]
    # the surrogate reached the feedback as text, replaced, and the notebook is valid
    graded = root / "autograded"
    text = (graded / "surrogate" / A / f"{A}.ipynb").read_text(encoding="utf-8")
    assert "bad" in text and "value" in text
    # what was refused is named; nothing past the caps reached autograded/
    assert "files not given" in status["manyfiles"]["reason"]
    copied = [p for p in (graded / "manyfiles" / A).rglob("*") if p.is_file()]
    assert len(copied) <= 100 + 3, len(copied)
    for student in ("specials", "symloop"):
        for p in (graded / student / A).rglob("*"):
            assert p.is_file() or p.is_dir(), p
            assert not p.is_symlink(), p
    with open(root / "reports" / A / "autograde_status.csv", newline="") as f:
        assert {r["student"] for r in csv.DictReader(f)} == set(EXPECTED)
    # nothing left behind in work folders
    assert os.listdir(private_tmp) == []
