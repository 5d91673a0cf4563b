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
    "xss": ("ok", 4),
}

# live content in every form a notebook can show; any of it running sets window.__pwned
XSS = """
from IPython.display import HTML, SVG, Javascript, Markdown, display
display(HTML('<script>window.__pwned = "html"</script><img src=x onerror="window.__pwned=1">'))
display(Markdown('<img src=y onerror="window.__pwned = 2"> *md*'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg"><script>window.__pwned=3</script></svg>'))
display(Javascript('window.__pwned = 4'))
"""
XSS_CELL = '<img src=z onerror="window.__pwned = 5"><script>window.__pwned = 6</script>'


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
        prefix = XSS if student == "xss" else ""
        folders[student] = submit(root, student, answers, prefix=prefix).parent
    # a markdown cell of the student's own, with markup in it
    path = folders["xss"] / f"{A}.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"].insert(
        1, {"cell_type": "markdown", "id": "mine", "metadata": {}, "source": XSS_CELL}
    )
    # ... and two that claim to be the course's read-only cells (nbgrader keeps "locked"
    # on a cell whose grade_id the gradebook does not know, or that has none)
    for i, claim in enumerate(({"locked": True}, {"locked": True, "grade_id": "forged"})):
        forged = {"cell_type": "markdown", "id": f"forged{i}", "source": XSS_CELL}
        nb["cells"].insert(2, {**forged, "metadata": {"nbgrader": claim}})
    path.write_text(json.dumps(nb))
    # a link whose name is a spreadsheet formula (the report lists links)
    (folders["symloop"] / "=HYPERLINK(1)").symlink_to("a")
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
    short = tempfile.mkdtemp(dir="/tmp")  # AF_UNIX paths are short: bind, then move
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(f"{short}/sock")
    sock.close()
    os.rename(f"{short}/sock", folders["specials"] / "sock")
    os.rmdir(short)
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
        check_class(root, private_tmp, capsys, tmp_path)
    finally:
        remove_deep(folders["deepdir"])


def check_class(root: Path, private_tmp: Path, capsys, tmp_path: Path) -> None:
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

    # -- what the instructor opens is inert -------------------------------------------
    nb = json.loads((graded / "xss" / A / f"{A}.ipynb").read_text())
    kinds = {k for c in nb["cells"] for o in c.get("outputs", []) for k in o.get("data", {})}
    assert kinds <= {"text/plain", "image/png", "image/jpeg", "image/gif"}, kinds
    shown = json.dumps(nb)
    assert "window.__pwned" in shown  # shown as text, not dropped silently
    assert not any(
        "<img" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )
    assert cnnbook(["--root", str(root), "feedback", A]) == 0
    out = tmp_path / "report"
    assert cnnbook(["--root", str(root), "report", A, "--out", str(out)]) == 0
    for name in ("grades.csv", "by_test.csv", "tests.csv"):
        with open(out / name, newline="") as f:
            for row in csv.reader(f):
                assert not any(v[:1] in ("=", "+", "-", "@", "\t", "\r") for v in row), row
    assert "HYPERLINK" in (out / "grades.csv").read_text()
    page = root / "feedback" / "xss" / A / f"{A}.html"
    assert page.is_file()
    assert not ran_in_chromium(page)


def ran_in_chromium(page: Path):
    """``window.__pwned`` after Chromium loaded ``page`` (offline), or dialogs it opened."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    from tests.test_site_browser import CHROMIUM_ARGS, _chromium

    with sync_api.sync_playwright() as pw:
        env = {**os.environ, "TMPDIR": "/tmp"}  # its socket path must be short
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS, env=env)
        try:
            tab = browser.new_page()
            dialogs = []
            tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            tab.route("http*://**", lambda route: route.abort())  # offline: only the page
            tab.goto(page.as_uri(), wait_until="load", timeout=30_000)
            tab.wait_for_timeout(500)
            return tab.evaluate("window.__pwned") or dialogs
        finally:
            browser.close()
