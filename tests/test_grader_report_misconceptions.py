"""Misconceptions end to end: real ``cnnbook release``/``autograde``/``feedback``/``report``.

A small class hands in ps03 (pooling) and ps02 (convolution): honest work, a correct
alternative, random answers of the right shape, and catalogued mistakes alone or two at
once (pooling that ignores the stride, a window as large as the stride, a sum instead
of an average; a convolution that ignores the stride, an output size rounded up). The
feedback HTML must name each mistake (and nothing for the others), and the report's
counts must match the class.
"""

from __future__ import annotations

import base64
import csv
import html
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook
from cnnbook.grader.judging import misconceptions
from tests.exercise_catalogue import ALTERNATIVES
from tests.exercise_harness import ROOT, nbgrader_meta, reference_answers

# the module's graded course is made once, on one worker (xdist_group)
pytestmark = pytest.mark.xdist_group("misconceptions_report")

PS03, PS02 = "ps03_pooling", "ps02_convolution"
STRIDE = "ps03.maxpool2d_forward.ignored-stride-windows-start-at-i-j"
WINDOW = "ps03.maxpool2d_forward.window-size-taken-as-the-stride"
SUM = "ps03.avgpool2d_forward.sum-instead-of-average"
CONV_STRIDE = "ps02.conv2d_forward.ignored-stride-windows-start-at-i-j"
CEIL = "ps02.conv_output_size.output-size-with-the-ceiling-instead-of-the-floor"
RANDOM = """
def {name}(x, size=2, stride=2):
    N, C, H, W = x.shape
    shape = (N, C, (H - size) // stride + 1, (W - size) // stride + 1)
    return np.random.default_rng(H * W + size).standard_normal(shape)
"""
ALTERNATIVE = next(a for a in ALTERNATIVES if a.assignment == PS03)

# student -> (mistakes, extra answer cells)
CLASS = {
    PS03: {
        "honest": ((), {}),
        "stride_a": ((STRIDE,), {}),
        "stride_b": ((STRIDE,), {}),
        "window": ((WINDOW,), {}),
        "avg_sum": ((SUM,), {}),
        "stride_and_sum": ((STRIDE, SUM), {}),
        "alternative": ((), ALTERNATIVE.cells),
        "random": ((), {n: RANDOM.format(name=n) for n in ("maxpool2d_forward",
                                                           "avgpool2d_forward")}),
    },
    PS02: {
        "honest": ((), {}),
        "conv_stride": ((CONV_STRIDE,), {}),
        "ceil": ((CEIL,), {}),
    },
}


def submit(root: Path, assignment: str, student: str, mistakes, cells) -> None:
    answers = reference_answers(assignment)
    for mid in mistakes:
        m = misconceptions.BY_ID[mid]
        answers[m.cell] = m.source(answers[m.cell])
    answers.update({k: textwrap.dedent(v).strip("\n") + "\n" for k, v in cells.items()})
    nb = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]]
    folder = root / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{assignment}.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for assignment, students in CLASS.items():
        shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
        assert cnnbook(["--root", str(root), "release", assignment]) == 0
        for student, (mistakes, cells) in students.items():
            submit(root, assignment, student, mistakes, cells)
        args = ["--root", str(root), "autograde", assignment, "--jobs", "2", "--no-progress"]
        assert cnnbook(args) == 0
        assert cnnbook(["--root", str(root), "feedback", assignment]) == 0
        assert cnnbook(["--root", str(root), "report", assignment]) == 0
    return root


def feedback(root: Path, assignment: str, student: str) -> str:
    """The feedback page's text as the student reads it (entities such as &#39; decoded,
    line breaks as spaces)."""
    page = (root / "feedback" / student / assignment / f"{assignment}.html").read_text()
    # judge messages are wrapped at 100 characters (replay.wrap_lines): one space each
    return " ".join(html.unescape(page).split())


@pytest.mark.slow
@pytest.mark.parametrize("assignment", list(CLASS))
def test_feedback_names_each_mistake_and_nothing_else(course, assignment):
    for student, (mistakes, _) in CLASS[assignment].items():
        page = feedback(course, assignment, student)
        for mid in mistakes:
            m = misconceptions.BY_ID[mid]
            assert f"Likely mistake: {m.says}" in page, (student, mid)
            assert m.reread[1] in page
        if not mistakes:
            assert "Likely mistake" not in page, student
        named = page.count("Likely mistake:")
        assert named >= len(mistakes)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", list(CLASS))
def test_report_counts_match_the_class(course, assignment):
    expected: dict[str, set[str]] = {}
    for student, (mistakes, _) in CLASS[assignment].items():
        for mid in mistakes:
            expected.setdefault(mid, set()).add(student)
    out = course / "reports" / assignment
    with open(out / "misconceptions.csv") as f:
        rows = list(csv.DictReader(f))
    got = {r["misconception"]: set(r["student_ids"].split()) for r in rows}
    assert got == expected
    counts = [int(r["students"]) for r in rows]
    assert counts == sorted(counts, reverse=True)  # most frequent first
    for r in rows:
        assert r["reread"] == misconceptions.BY_ID[r["misconception"]].section
    assert (out / "misconceptions.png").stat().st_size > 1000
    page = (out / "summary.html").read_text()
    assert '<h2 id="misconceptions">Misconceptions</h2>' in page
    # the chart is inlined (summary.html is one self-contained file): its own PNG bytes
    png = base64.b64encode((out / "misconceptions.png").read_bytes()).decode()
    assert f"data:image/png;base64,{png}" in page
    db = f"sqlite:///{course / 'gradebook.db'}"
    rows = gradebook.read_diagnoses(db, assignment)
    assert {r["student"] for r in rows} == set().union(*expected.values())
