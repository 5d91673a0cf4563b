"""The visible checks name the likely mistake in the student's own kernel
(cnnbook.grading.likely_mistake, with the misconceptions.json released beside the notebook).

The released notebook, its answer cells filled in, runs in a real Jupyter kernel
(nbclient) in a folder holding what a student downloads. A catalogued mistake gets its
``Likely mistake:`` line under the visible test it fails; honest work gets no failure,
and random answers of the right shape fail without a diagnosis.
"""

from __future__ import annotations

import shutil
import textwrap

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from cnnbook.grader.judging import misconceptions
from cnnbook.grading import likely_mistake
from tests.exercise_harness import nbgrader_meta, reference_answers, release_path

RANDOM_POOL = """
def maxpool2d_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    shape = (N, C, (H - size) // stride + 1, (W - size) // stride + 1)
    return np.random.default_rng(0).standard_normal(shape)
"""


def run_release(assignment: str, answers: dict[str, str], tmp_path) -> dict[str, list[str]]:
    """grade_id -> error messages of each cell, after running the released notebook."""
    folder = tmp_path / assignment
    shutil.copytree(release_path(assignment).parent, folder)
    nb = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    filled = {**reference_answers(assignment), **answers}
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            cell.source = filled[meta["grade_id"]]
    client = NotebookClient(nb, timeout=120, allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})  # fmt: skip
    client.execute()
    return {
        nbgrader_meta(c).get("grade_id", ""): [o.evalue for o in c.outputs if o.output_type == "error"]
        for c in nb.cells if c.cell_type == "code"
    }  # fmt: skip


def mistake(mid: str) -> tuple[misconceptions.Misconception, dict[str, str]]:
    m = misconceptions.BY_ID[mid]
    return m, {m.cell: m.source(reference_answers(m.assignment)[m.cell])}


@pytest.mark.slow
@pytest.mark.parametrize(
    "mid, test",
    [
        # pooling with the wrong stride: the issue's example
        ("ps03.maxpool2d_forward.ignored-stride-windows-start-at-i-j", "test_maxpool_forward_basic"),
        # check_unchanged: the input changed in place
        ("ps04.relu_forward.modifies-the-input-in-place", "test_relu_forward_input_unchanged"),
        # the call raises: the error names the misconception too
        ("ps04.affine_forward.no-flattening", "test_affine_forward_images"),
        ("ps02.conv2d_forward.ignored-stride-windows-start-at-i-j", "test_conv2d_forward_stride"),
    ],
)
def test_visible_check_names_the_mistake_in_a_kernel(mid, test, tmp_path):
    m, answers = mistake(mid)
    errors = run_release(m.assignment, answers, tmp_path)
    assert errors[test], f"{test} did not fail"
    assert m.line in errors[test][0].splitlines()
    for grade_id, messages in errors.items():  # no other cell fails with another name
        for message in messages:
            assert "Likely mistake" not in message or m.line in message, grade_id


@pytest.mark.slow
def test_visible_check_says_nothing_for_honest_or_random_answers(tmp_path):
    errors = run_release("ps03_pooling", {}, tmp_path / "honest")
    assert not any(errors.values())
    random = {"maxpool2d_forward": textwrap.dedent(RANDOM_POOL).strip() + "\n"}
    errors = run_release("ps03_pooling", random, tmp_path / "random")
    failed = [e for messages in errors.values() for e in messages]
    assert failed and not any("Likely mistake" in e for e in failed)


def test_outside_a_kernel_only_the_last_call_counts(tmp_path, monkeypatch):
    """Without IPython (plain Python), the failing call alone is looked up; without the
    data file, nothing is said and nothing is noted."""
    monkeypatch.chdir(tmp_path)
    assert likely_mistake.observe(print, (), {}) is None and likely_mistake.line() == ""
    x = np.ones((1, 1, 2, 2))
    key = likely_mistake.digest("f", (x,), {"stride": 2})
    data = {
        "calls": {key: {"fn": "f", "rtol": 1e-6, "atol": 1e-9, "mistakes": {
            "m1": {"value": likely_mistake.to_json(x * 2), "after": []},
            "m2": "correct",
        }}},
        "misconceptions": {"m1": {"line": "Likely mistake: m1.", "rank": 0},
                           "m2": {"line": "Likely mistake: m2.", "rank": 1}},
    }  # fmt: skip
    (tmp_path / likely_mistake.DATA_FILE).write_text(likely_mistake.json.dumps(data))

    def f(x, stride=1):
        return x * 2

    f.__name__ = "f"
    probe = likely_mistake.observe(f, (x,), {"stride": 2})
    probe.done((x,), x * 2 + 1e-12)
    assert likely_mistake.line() == "Likely mistake: m1."
    probe.done((x,), x * 3)  # another result: no known mistake
    assert likely_mistake.line() == ""
    other = likely_mistake.observe(f, (x + 1,), {"stride": 2})  # inputs never seen
    other.done((x + 1,), x * 2)
    assert likely_mistake.line() == ""
