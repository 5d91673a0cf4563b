"""cnnbook.grader.sanitizing: a cell the student marks as the course's stays the student's.

Real nbgrader and a real SQLite gradebook (the tiny course, released); ~3 s.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from cnnbook.grader import course as course_module
from cnnbook.grader import samples
from cnnbook.grader.isolation import staging
from tests.test_grader_autograde import submit

A = samples.TINY
MARKUP = '<img src=z onerror="alert(1)">'


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    from cnnbook.cli import main as cnnbook

    root = samples.write_tiny_course(tmp_path_factory.mktemp("sanitizing") / "course")
    assert cnnbook(["--root", str(root), "release"]) == 0
    return root


def _forged_submission(root, claims, student="forger"):
    path = submit(root, student, {"square": samples.TINY_ANSWERS["honest"]})
    nb = nbformat.read(path, as_version=4)
    for i, claim in enumerate(claims):
        cell = nbformat.v4.new_markdown_cell(MARKUP, metadata={"nbgrader": claim})
        cell.id = f"forged{i}"
        nb.cells.insert(1, cell)
    nbformat.write(nb, path)
    return path


def test_forged_cell_metadata_is_dropped_and_the_release_cells_keep_theirs(released):
    claims = [
        {"locked": True},  # no grade_id: nbgrader's DeduplicateIds would fail on it
        {"locked": True, "grade_id": "not-in-the-gradebook"},
        {"grade": True, "points": 100, "grade_id": "mine", "locked": False},
        "not a table",
    ]
    path = _forged_submission(released, claims)
    course = course_module.Course(released)
    nb = staging.sanitize(path, course, "forger", A, A)
    forged = [c for c in nb.cells if c.get("id", "").startswith("forged")]
    assert len(forged) == len(claims)
    assert all("nbgrader" not in c.metadata for c in forged)
    assert all(c.source == MARKUP for c in forged)  # the student's text, untouched
    kept = {c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata}
    assert kept == {"square", "test_square_int", "test_square_array", "test_square_float"}


def test_a_claim_to_a_real_read_only_cell_gets_the_course_source_back(released):
    """A student cell with a real test cell's id: nbgrader keeps one of the two cells with
    that id and restores the course's source into it; no student text stays in a cell
    marked as the course's."""
    claim = {
        "grade": True,
        "grade_id": "test_square_int",
        "locked": True,
        "points": 1,
        "solution": False,
        "schema_version": 3,
    }
    path = _forged_submission(released, [claim], "claimant")
    nb = staging.sanitize(path, course_module.Course(released), "claimant", A, A)
    marked = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("locked")]
    assert marked and all(MARKUP not in c.source for c in marked)


def test_a_copied_answer_cell_does_not_stop_grading(released):
    """JupyterLab copies a cell with its metadata: the last copy is graded (nbgrader's
    choice), the earlier one becomes an ordinary cell, and the notebook is not refused
    (nbgrader alone refuses it: DeduplicateIds empties the copy's metadata, and
    CheckCellMetadata rejects the emptied schema)."""
    path = submit(released, "copier", {"square": samples.TINY_ANSWERS["honest"]})
    nb = nbformat.read(path, as_version=4)
    index = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "square"
    )
    copy = nbformat.from_dict(json.loads(json.dumps(nb.cells[index])))
    copy.id, copy.source = "trying", "def square(x):\n    return 0  # an experiment"
    nb.cells.insert(index, copy)
    nbformat.write(nb, path)
    nb = staging.sanitize(path, course_module.Course(released), "copier", A, A)
    answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "square"]
    assert [c.id for c in answers] != ["trying"] and len(answers) == 1
    assert any(c.id == "trying" and "nbgrader" not in c.metadata for c in nb.cells)


def test_the_course_config_and_the_guide_list_the_steps_the_package_names():
    """nbgrader_config.py (what nbgrader's doors read) sets the sanitize and autograde
    steps that cnnbook.grader names, and the instructors' guide shows the same lists."""
    import re

    from traitlets.config.loader import PyFileConfigLoader

    from cnnbook.grader import doors, sanitizing

    root = Path(__file__).resolve().parents[1]
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    assert list(config.Autograde.sanitize_preprocessors) == sanitizing.SANITIZE_PREPROCESSORS
    assert list(config.Autograde.autograde_preprocessors) == doors.AUTOGRADE_PREPROCESSORS
    guide = (root / "docs" / "instructors.md").read_text()
    for setting, steps in (
        ("sanitize_preprocessors", sanitizing.SANITIZE_PREPROCESSORS),
        ("autograde_preprocessors", doors.AUTOGRADE_PREPROCESSORS),
    ):
        block = re.search(rf"c\.Autograde\.{setting} = \[(.*?)\]", guide, re.S)
        assert block, f"docs/instructors.md does not show c.Autograde.{setting}"
        assert re.findall(r'"([\w.]+)"', block.group(1)) == steps, setting
