"""One grade whichever door (issue 24): ``cnnbook autograde``, plain ``nbgrader
autograde`` run in the course, and Formgrader's Autograde button (its HTTP API, on a
real Jupyter server whose nbgrader config only *loads* the course's, as on a hub) give
the same grade and the same feedback, because all three run the sandbox and the judge.

Three students of ``ps02_convolution``: the reference answers (15/15), one missing bias
in ``conv_single_step`` (13/15: ``conv2d_forward`` keeps its points, it is graded with
the student's own helpers, replayed in the judge), and answer cells that import ``cnnbook.layers`` (0/15: before
this, plain nbgrader and the button gave 15/15, running the notebook unsandboxed where
the reference is importable). A door that does not load the course's configuration
refuses (the kernel guard) and records nothing.

Costs about 60 s (three doors x three submissions, one Jupyter server).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook
from cnnbook.grader.judging import judge

from .postgres_support import free_port
from .test_grader_cheating import released_notebook, solution_cells

# the module's graded course is made once, on one worker (xdist_group)
pytestmark = pytest.mark.xdist_group("doors")

ROOT = Path(__file__).resolve().parents[1]
A = "ps02_convolution"
EXPECTED = {"honest": 15.0, "nobias": 13.0, "wraps_reference": 0.0}


def make_submission(root: Path, kind: str) -> None:
    nb = released_notebook()
    answers = solution_cells()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        if kind == "honest":
            cell.source = answers[gid]
        elif kind == "nobias":
            cell.source = answers[gid].replace("float(total + b)", "float(total)")
        elif kind == "wraps_reference":
            # a wrapper, not the reference object itself (which the checks recognise)
            cell.source = (
                f"import cnnbook.layers as _ref\n\ndef {gid}(*args, **kwargs):\n"
                f"    return _ref.{gid}(*args, **kwargs)"
            )
    folder = root / "submitted" / kind / A
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{A}.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A hub-like home: the course in a sub-folder, an instructor config that sets the
    root and loads the course's config (what Formgrader reads)."""
    home = tmp_path_factory.mktemp("home")
    root = home / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / A, root / "solutions" / A)
    assert cnnbook(["--root", str(root), "release", A]) == 0
    for kind in EXPECTED:
        make_submission(root, kind)
    jupyter = home / ".jupyter"
    jupyter.mkdir()
    (jupyter / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\n"
        f"load_subconfig({str(root / 'nbgrader_config.py')!r})\n"
    )
    return home, root


def grades(root: Path) -> dict[str, dict]:
    """Per student: total, the points of each test cell, and the judge's messages of the
    autograded copy (numbers removed: the hidden inputs are drawn anew each run)."""
    db = f"sqlite:///{root / 'gradebook.db'}"
    _, cells = gradebook.grade_table(db, A)
    out = {}
    for student in EXPECTED:
        total = gradebook.submission_score(db, A, student)[0]
        points = {c["cell"]: c["score"] for c in cells if c["student"] == student}
        nb = nbformat.read(root / "autograded" / student / A / f"{A}.ipynb", as_version=4)
        messages = {}
        for cell in nb.cells:
            if judge.cell_kind(cell) is judge.CellKind.TEST:
                gid = cell.metadata["nbgrader"]["grade_id"]
                text = json.dumps([o.get("evalue", o.get("text", "")) for o in cell.outputs])
                messages[gid] = re.sub(r"-?\d[\d.e+-]*", "#", text)
        out[student] = {"total": total, "points": points, "messages": messages}
    return out


def side_table(root: Path) -> dict[str, tuple]:
    rows = gradebook.read_status(f"sqlite:///{root / 'gradebook.db'}", A)
    return {s: (r["status"], r["score"], r["graded_at"]) for s, r in rows.items()}


def clear_grades(root: Path) -> None:
    shutil.rmtree(root / "autograded", ignore_errors=True)


@pytest.mark.slow
def test_three_doors_give_the_judges_grade(course):
    home, root = course
    # door 1: cnnbook autograde
    assert cnnbook(["--root", str(root), "autograde", A, "--jobs", "2", "--no-progress"]) == 0
    by_cnnbook = grades(root)
    assert {s: g["total"] for s, g in by_cnnbook.items()} == EXPECTED
    # the missing bias costs conv_single_step's test only (2 points)
    lost = {c: p for c, p in by_cnnbook["nobias"]["points"].items()
            if p < by_cnnbook["honest"]["points"][c]}  # fmt: skip
    assert lost == {"test_conv_single_step": 0.0}

    # door 2: plain `nbgrader autograde`, run in the course root
    clear_grades(root)
    before = side_table(root)
    r = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", A, "--force"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert "graded by the judge" in r.stderr
    by_nbgrader = grades(root)
    assert by_nbgrader == by_cnnbook
    after = side_table(root)  # the door recorded the judge's outcome, as cnnbook does
    for student, total in EXPECTED.items():
        assert after[student][:2] == ("ok", total)
        assert after[student][2] > before[student][2]

    # door 3: Formgrader's Autograde button (its HTTP API) on a Jupyter server started
    # in the home folder, reading the instructor's config (which loads the course's)
    clear_grades(root)
    before = side_table(root)
    port, token = free_port(), "doors-test-token"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "HOME": str(home)}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1",
         "--no-browser", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}",
         "--allow-root"],
        cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"token {token}"}
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"{base}/formgrader/api/status", headers=headers)
                )
                break
            except OSError:
                assert time.monotonic() < deadline, "the Jupyter server did not start"
                assert server.poll() is None, server.stderr.read()[-3000:]
                time.sleep(0.5)
        for student in EXPECTED:
            req = urllib.request.Request(
                f"{base}/formgrader/api/submission/{A}/{student}/autograde",
                data=b"", headers=headers, method="POST",
            )  # fmt: skip
            with urllib.request.urlopen(req, timeout=300) as resp:
                result = json.loads(resp.read())
            assert result["success"], result.get("error", "")[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=30)
    by_formgrader = grades(root)
    assert by_formgrader == by_cnnbook
    after = side_table(root)
    for student, total in EXPECTED.items():
        assert after[student][:2] == ("ok", total)
        assert after[student][2] > before[student][2]

    # a later `cnnbook autograde` agrees with the door's record: nothing to regrade
    assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    assert grades(root) == by_cnnbook


@pytest.mark.slow
def test_a_door_without_the_course_config_refuses_and_records_nothing(course):
    """Formgrader's API on a configuration that does not load the course's (a hub
    instructor who set only ``CourseDirectory.root``): nbgrader's own Execute would run
    the student's code unsandboxed. The kernel guard stops it before any answer cell;
    nbgrader reports the failure, names ``cnnbook autograde``, and no grade changes.
    (The nbgrader command line is safe either way: given a course root it loads the
    root's ``nbgrader_config.py``.)"""
    home, root = course
    db = f"sqlite:///{root / 'gradebook.db'}"
    if gradebook.submission_score(db, A, "wraps_reference") is None:
        assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    before = gradebook.grade_table(db, A)
    status_before = side_table(root)
    script = f"""
import json
from traitlets.config import Config
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
cfg = Config()
cfg.CourseDirectory.root = {str(root)!r}
cfg.CourseDirectory.source_directory = "solutions"
cfg.CourseDirectory.release_directory = "exercises"
api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
print(json.dumps(api.autograde({A!r}, "wraps_reference")))
"""
    r = subprocess.run([sys.executable, "-c", script], cwd=home, capture_output=True,
                       text=True, timeout=300)  # fmt: skip
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["success"] is False
    assert "Kernel died" in result["error"] + result["log"]
    # the kernel's own message, in the server's log (here: stderr)
    assert "refusing to run a student's notebook" in r.stderr
    assert "cnnbook autograde" in r.stderr
    assert gradebook.grade_table(db, A) == before
    assert side_table(root) == status_before
    # nbgrader removed the autograded copy: `cnnbook autograde` regrades it
    assert not (root / "autograded" / "wraps_reference" / A).exists()
    assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    assert gradebook.submission_score(db, A, "wraps_reference") == (0.0, 15.0)
    assert (root / "autograded" / "wraps_reference" / A).is_dir()


PLAIN_EXECUTE = [
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
]


def unjudged_nbgrader(root: Path, student: str) -> None:
    """What the issue saw: nbgrader's own Execute, unsandboxed, on one submission (the
    kernel guard told it is trusted, to reproduce the old door)."""
    script = f"""
from traitlets.config.loader import PyFileConfigLoader
from nbgrader.apps import NbGraderAPI

cfg = PyFileConfigLoader("nbgrader_config.py", path={str(root)!r}).load_config()
cfg.CourseDirectory.root = {str(root)!r}
cfg.Autograde.autograde_preprocessors = {PLAIN_EXECUTE!r}
r = NbGraderAPI(config=cfg).autograde({A!r}, {student!r})
assert r["success"], r
"""
    subprocess.run([sys.executable, "-c", script], cwd=root, check=True, capture_output=True,
                   env={**os.environ, "CNNBOOK_RUNNER": "1"}, timeout=300)  # fmt: skip


@pytest.mark.slow
def test_drifted_grades_are_regraded_and_flagged(course, capsys):
    """A grade changed behind the judge's back (gradebook or autograded copy) is
    reported by `cnnbook report` and regraded by `cnnbook autograde` without --force;
    manual grades are not drift."""
    import csv

    from nbgrader.api import Gradebook

    _, root = course
    db = f"sqlite:///{root / 'gradebook.db'}"
    assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    assert gradebook.submission_score(db, A, "wraps_reference") == (0.0, 15.0)
    unjudged_nbgrader(root, "wraps_reference")
    # the old door's grade: the reference, imported, passes every test
    assert gradebook.submission_score(db, A, "wraps_reference") == (15.0, 15.0)

    assert cnnbook(["--root", str(root), "report", A]) == 0
    with open(root / "reports" / A / "grades.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["wraps_reference"]["flags"].split() == ["imports_reference", "drift"]
    assert "NOT the judge's grade" in rows["wraps_reference"]["reason"]
    assert "cnnbook.layers" in rows["wraps_reference"]["imports"]
    assert rows["honest"]["flags"] == rows["nobias"]["flags"] == ""
    page = (root / "reports" / A / "summary.html").read_text()
    assert "Grades that are not the judge" in page and "Answers that import the reference" in page

    # the autograded copy alone changed: nobias's failing test shown as passing
    path = root / "autograded" / "nobias" / A / f"{A}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_conv_single_step":
            assert cell.outputs
            cell.outputs = []
    path.chmod(0o644)
    nbformat.write(nb, path)
    # a manual grade given in Formgrader is not drift
    with Gradebook(db) as gb:
        grade = gb.find_grade("test_zero_pad", A, A, "honest")
        grade.manual_score = 1.0
        gb.db.commit()

    capsys.readouterr()
    assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "wraps_reference: the gradebook's automatic scores changed" in err
    assert "now 15/15, the judge's 0" in err
    assert "nobias: the autograded copy" in err and "regrading it with the judge" in err
    assert "WARNING: honest" not in err  # its manual grade is not drift
    assert gradebook.submission_score(db, A, "wraps_reference") == (0.0, 15.0)
    assert gradebook.submission_score(db, A, "nobias") == (13.0, 15.0)
    status = gradebook.read_status(db, A)
    assert status["wraps_reference"]["reason"].startswith("regraded: the gradebook's")
    assert status["honest"]["reason"] == ""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_conv_single_step")
    assert cell.outputs and cell.outputs[-1]["output_type"] == "error"
    # and the report no longer flags drift
    assert cnnbook(["--root", str(root), "report", A]) == 0
    with open(root / "reports" / A / "grades.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert "drift" not in rows["wraps_reference"]["flags"]
