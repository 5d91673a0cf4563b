"""exercises/ is exactly what nbgrader releases from solutions/, and solutions/ is
exactly what tools/build_solutions.py writes: no hand edits, no drift, and no
answer or hidden test reaches students."""

from __future__ import annotations

import importlib
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.exercise_harness import (
    ASSIGNMENTS,
    ROOT,
    Course,
    nbgrader_meta,
    read_notebook,
    release_path,
    solution_path,
)

PRESENT = [a for a in ASSIGNMENTS if solution_path(a).exists()]
# The reference modules: a release may import from them only what its student does not write.
WHOLESALE = re.compile(
    r"import cnnbook\.(layers|tensors)|from cnnbook import .*\b(layers|tensors)\b"
    r"|cnnbook\.(layers|tensors) import \*"
)
FROM_LAYERS = re.compile(r"from cnnbook\.(?:layers|tensors) import (\([^)]*\)|[^\n]*)")
# Graded cells whose visible test is the whole test: ps07's loss curve comes from the
# student's one training run, so there is no other input to hide a test on.
NO_HIDDEN_TESTS = {"ps07_training": {"test_training_loss"}}
IGNORED_META = {"checksum"}  # recomputed by nbgrader from the content


def content(nb) -> list[tuple]:
    """What a student sees and nbgrader grades: cell types, sources, nbgrader metadata."""
    return [
        (
            cell.cell_type,
            cell.source,
            {k: v for k, v in nbgrader_meta(cell).items() if k not in IGNORED_META},
            cell.metadata.get("editable", True),
            cell.metadata.get("deletable", True),
        )
        for cell in nb.cells
    ]


def test_all_assignments_present():
    missing = [a for a in ASSIGNMENTS if a not in PRESENT]
    assert not missing, f"assignments without a source notebook: {missing}"


@pytest.mark.parametrize("assignment", PRESENT)
def test_solutions_are_generated(assignment):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        build = importlib.import_module("build_solutions").build
    finally:
        sys.path.remove(str(ROOT / "tools"))
    committed = read_notebook(solution_path(assignment))
    assert content(committed) == content(build(assignment)), (
        f"solutions/{assignment} differs from tools/exercise_sources/{assignment}.py; "
        f"run python tools/build_solutions.py"
    )


@pytest.mark.parametrize("assignment", PRESENT)
@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_no_outputs_committed(assignment, folder):
    path = (solution_path if folder == "solutions" else release_path)(assignment)
    for cell in read_notebook(path).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.relative_to(ROOT)}: cell {nbgrader_meta(cell).get('grade_id')} "
                f"has outputs or an execution count"
            )


@pytest.mark.parametrize("assignment", PRESENT)
def test_nbgrader_metadata(assignment):
    nb = read_notebook(solution_path(assignment))
    ids = [nbgrader_meta(c).get("grade_id") for c in nb.cells]
    assert None not in ids, "every cell carries nbgrader metadata"
    assert len(ids) == len(set(ids)), "grade_ids are unique"
    graded = [c for c in nb.cells if nbgrader_meta(c).get("grade")]
    assert len(graded) >= 3, "points are split over several test cells"
    for cell in graded:
        meta = nbgrader_meta(cell)
        assert meta["locked"] and not meta["solution"] and meta["points"] > 0, meta
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in cell.source, meta["grade_id"]
        else:
            assert meta["locked"], f"instruction cell {meta['grade_id']} must be read-only"


@pytest.fixture(scope="session")
def fresh_release(tmp_path_factory) -> Path:
    """A temporary course root in which nbgrader released every assignment (one process)."""
    course = Course(tmp_path_factory.mktemp("release") / "course")
    course.run(*[("release", a) for a in PRESENT])
    return course.root


@pytest.mark.slow
@pytest.mark.parametrize("assignment", PRESENT)
def test_release_has_no_drift_and_no_answers(assignment, fresh_release):
    fresh = read_notebook(release_path(assignment, fresh_release))
    committed_path = release_path(assignment)
    committed = read_notebook(committed_path)
    assert content(committed) == content(fresh), (
        f"exercises/{assignment} is not what nbgrader generate_assignment produces from "
        f"solutions/; run python tools/build_solutions.py (never edit exercises/ by hand)"
    )
    released_files = sorted(p.name for p in committed_path.parent.iterdir())
    fresh_files = sorted(p.name for p in (fresh_release / "exercises" / assignment).iterdir())
    assert released_files == fresh_files

    solution_cells = {
        nbgrader_meta(c)["grade_id"]: c for c in read_notebook(solution_path(assignment)).cells
    }
    answers = {
        name
        for c in solution_cells.values() if nbgrader_meta(c)["solution"]
        for name in re.findall(r"^def (\w+)", c.source, re.M)
    }
    for cell in committed.cells:
        meta = nbgrader_meta(cell)
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN", "END HIDDEN"):
            assert marker not in cell.source, f"{meta['grade_id']}: {marker} left in the release"
        if cell.cell_type == "code":
            assert not WHOLESALE.search(cell.source), (
                f"{meta['grade_id']}: the release must not import the reference module"
            )
            for line in FROM_LAYERS.findall(cell.source):
                imported = set(re.findall(r"\w+", line))
                assert not imported & answers, (
                    f"{meta['grade_id']}: imports the reference of {imported & answers}"
                )
        if meta.get("solution"):
            assert "raise NotImplementedError()" in cell.source, meta["grade_id"]
        if meta.get("grade"):
            hidden = solution_cells[meta["grade_id"]].source
            if meta["grade_id"] not in NO_HIDDEN_TESTS.get(assignment, ()):
                assert "### BEGIN HIDDEN TESTS" in hidden, f"{meta['grade_id']} has no hidden tests"


@pytest.mark.slow
def test_command_line_release_matches(tmp_path):
    """The instructor's command, ``nbgrader generate_assignment`` with the course's
    nbgrader_config.py, gives the committed release too (here for one assignment)."""
    assignment = PRESENT[0]
    course = Course(tmp_path / "course")
    shutil.copytree(ROOT / "solutions" / assignment, course.root / "solutions" / assignment)
    course.nbgrader("generate_assignment", assignment, "--force", "--create")
    fresh = read_notebook(release_path(assignment, course.root))
    assert content(read_notebook(release_path(assignment))) == content(fresh)
