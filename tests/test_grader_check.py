"""``cnnbook check``: the student's score on the visible tests, run as the autograder runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import cells
from tests.exercise_harness import ASSIGNMENTS

ROOT = Path(__file__).resolve().parents[1]
A = "ps02_convolution"


def student_copy(tmp_path: Path, answers: dict[str, str], assignment: str = A) -> Path:
    folder = tmp_path / assignment
    shutil.copytree(ROOT / "exercises" / assignment, folder)
    path = folder / f"{assignment}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    nbformat.write(nb, path)
    return path


def reference_answers(assignment: str = A) -> dict[str, str]:
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: cells.blank_solution_markers(c.source)
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


@pytest.mark.slow
def test_check_scores_the_visible_tests(tmp_path, capsys):
    answers = reference_answers()
    # the stride is ignored: only the stride test fails, and says why, in full
    answers["conv2d_forward"] = answers["conv2d_forward"].replace("i * stride, j * stride", "i, j")
    path = student_copy(tmp_path, answers)
    assert cnnbook(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"test_conv2d_forward_stride +0/3  FAILED  In conv2d_forward", out)
    assert re.search(r"test_conv2d_forward_basic +3/3  passed", out)
    assert re.search(r"total +12/15", out)
    assert "..." not in out.split("--- test_conv2d_forward_stride ---")[1]  # never cut short


@pytest.mark.slow
def test_check_passes_a_correct_notebook_and_refuses_the_reference(tmp_path, capsys):
    path = student_copy(tmp_path / "a", reference_answers())
    assert cnnbook(["check", str(path)]) == 0
    assert re.search(r"total +15/15", capsys.readouterr().out)
    # importing the reference works on the student's machine but not when graded:
    # the check shows it before the student submits
    wrapped = {"conv_output_size": "from cnnbook.layers import conv_output_size"}
    path = student_copy(tmp_path / "b", wrapped)
    assert cnnbook(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        "test_conv_output_size_values" in out
        and "ModuleNotFoundError" not in out.split("total")[0]
        or "0/2" in out
    )


def test_check_refuses_what_is_not_an_assignment(tmp_path, capsys):
    bad = tmp_path / "notes.ipynb"
    bad.write_text("{not json")
    assert cnnbook(["check", str(bad)]) == 2
    assert "not a readable notebook" in capsys.readouterr().err
    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), empty)
    assert cnnbook(["check", str(empty)]) == 2
    assert "no graded test cells" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_reference_passes_in_the_sandbox(assignment, tmp_path, capsys):
    """The released notebook with the reference answers passes its visible tests in the
    sandbox: its set-up cells and answers import only what the sandbox gives (ps06's
    forward layers, ps07's layers), nothing more is needed."""
    path = student_copy(tmp_path, reference_answers(assignment), assignment)
    assert cnnbook(["check", str(path)]) == 0, capsys.readouterr().out
