"""``cnnbook check`` scores exactly like the autograder on the visible tests (issue 24).

Both go through the same judge: check records the visible parts of the tests on the
reference, runs the notebook in the sandbox with its test cells emptied, and judges the
calls' results, helpers included (``graded_with_reference``: the student's own helpers,
replayed in the judge).

* In process, over the whole mistake catalogue: the check's judgement of each visible
  test (``check._visible_only``, the recording check makes) against the autograder's
  judgement of the full test (visible and hidden parts). A test the autograder passes
  passes in check; a test that fails in check fails when graded (a visible failure is
  never forgiven by the hidden part). Before, check ran the test cells in the student's
  kernel, without the course's helpers, and a student missing one bias got 5/15 from
  check and 13/15 from the autograder.
* Real command lines on ``ps02_convolution``: the missing bias, and the bias added in
  ``conv2d_forward`` instead (check's old hint led there): ``cnnbook check`` and
  ``cnnbook autograde`` on a course graded with the visible tests only give the same
  points to every test. The bytes the sandbox receives hold no reference code
  (graded_with_reference sends helper names only, issue 20); the same for ``ps08``,
  whose spatial batch norm is graded with the student's own (wrong) batchnorm_forward.

Costs about 40 s in process (the catalogue twice), 40 s for the ps02 command lines and
about 15 s for ps08's check.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import check, gradebook
from cnnbook.grader.isolation import jobs
from cnnbook.grader.judging import judge, misconceptions
from tests import judge_harness
from tests.exercise_catalogue import MISTAKES
from tests.exercise_harness import ASSIGNMENTS, reference_answers, solution_path, strip_hidden_tests
from tests.test_exercises_autograde import mistake_source
from tests.test_grader_check import student_copy

ROOT = Path(__file__).resolve().parents[1]
A = "ps02_convolution"


def _points(rec, answers, tmp_path) -> dict[str, float]:
    verdicts = judge_harness.grade(rec, answers, tmp_path, diagnose=False)  # points only
    return {v.grade_id: v.points for v in verdicts}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_check_and_autograde_agree_on_every_visible_test(assignment, tmp_path):
    tests = judge.AssignmentTests.from_path(solution_path(assignment), assignment)
    by_check = judge.record(check._visible_only(tests), judge_harness.SEED)
    by_autograde = judge_harness.recording(solution_path(assignment), assignment)
    answers = reference_answers(assignment)
    compared = equal = 0
    for mistake in MISTAKES:
        if mistake.assignment != assignment or "reference imported" in mistake.name:
            continue
        student = {**answers, mistake.cell: mistake_source(mistake)}
        seen = _points(by_check, student, tmp_path)
        graded = _points(by_autograde, student, tmp_path)
        assert seen.keys() == graded.keys()
        for test, points in seen.items():
            compared += 1
            equal += points == graded[test]
            if points == 0:  # fails in check: fails when graded
                assert graded[test] == 0, (mistake.name, test)
            if graded[test] > 0:  # passes when graded: passes in check
                assert points == graded[test], (mistake.name, test)
    assert compared > 0
    print(f"{assignment}: {equal}/{compared} (mistake, test) pairs score the same")


def _bias_in_the_layer(answers: dict[str, str]) -> dict[str, str]:
    """No bias in conv_single_step, added in conv2d_forward instead."""
    out = dict(answers)
    out["conv_single_step"] = answers["conv_single_step"].replace("float(total + b)",
                                                                  "float(total)")  # fmt: skip
    out["conv2d_forward"] = answers["conv2d_forward"].replace(
        "conv_single_step(window, w[f], b[f])", "conv_single_step(window, w[f], b[f]) + b[f]"
    )
    assert out["conv2d_forward"] != answers["conv2d_forward"]
    return out


@pytest.mark.slow
def test_check_and_autograde_command_lines_agree(tmp_path, capsys, monkeypatch):
    fed = _capture_sandbox_input(monkeypatch)
    answers = reference_answers(A)
    students = {
        "nobias": {**answers, "conv_single_step": answers["conv_single_step"].replace(
            "float(total + b)", "float(total)")},
        "bias_in_layer": _bias_in_the_layer(answers),
    }  # fmt: skip
    # the autograder on the visible tests only: a course whose source has no hidden tests
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / A, root / "solutions" / A)
    strip_hidden_tests(root / "solutions" / A / f"{A}.ipynb")
    assert cnnbook(["--root", str(root), "release", A]) == 0
    checked = {}
    for student, cells in students.items():
        path = student_copy(tmp_path / student, cells)
        report = check.check_notebook(path, source=root / "solutions" / A / f"{A}.ipynb")
        assert report.judged
        checked[student] = {r.grade_id: r.points for r in report.results}
        (root / "submitted" / student).mkdir(parents=True)
        shutil.copytree(path.parent, root / "submitted" / student / A)
    assert cnnbook(["--root", str(root), "autograde", A, "--jobs", "2", "--no-progress"]) == 0
    _, cells = gradebook.grade_table(f"sqlite:///{root / 'gradebook.db'}", A)
    for student in students:
        graded = {c["cell"]: c["score"] for c in cells
                  if c["student"] == student and c["kind"] == "test"}  # fmt: skip
        assert graded == checked[student], student
    assert sum(checked["nobias"].values()) == 13  # check said 5/15 before
    # the bias in the layer: conv_single_step's test fails; conv2d_forward runs with the
    # student's own conv_single_step and is right (with the course's conv_single_step, as
    # before issue 20, it counted the bias twice: 5/15)
    assert checked["bias_in_layer"]["test_conv_single_step"] == 0
    assert sum(checked["bias_in_layer"].values()) == 13
    assert len(fed) == 2 + 2  # two checks, two autograded submissions
    _assert_no_reference_code(fed, ["conv_output_size", "zero_pad", "conv_single_step",
                                    "conv2d_forward"])  # fmt: skip
    # and through the command itself, the same total
    path = student_copy(tmp_path / "cli", students["nobias"])
    assert cnnbook(["check", str(path)]) == 1
    assert "total                         13/15" in capsys.readouterr().out


@pytest.mark.slow
def test_a_failing_answer_cell_is_reported_first(tmp_path, capsys):
    answers = {**reference_answers(A),
               "conv_output_size": "from cnnbook.layers import conv_output_size"}  # fmt: skip
    path = student_copy(tmp_path, answers)
    assert cnnbook(["check", str(path)]) == 1
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith("Your cell 'conv_output_size' raised an error")
    assert "No module named 'cnnbook.layers'" in first
    assert out.index("raised an error") < out.index("NameError")
    nb = nbformat.read(path, as_version=4)
    assert nb  # the student's notebook is left as it was


def _capture_sandbox_input(monkeypatch) -> list[bytes]:
    """Every byte string fed to a sandbox's stdin (the job: spec, notebook, calls)."""
    fed: list[bytes] = []
    feed = jobs._feed

    def capture(stream, data):
        fed.append(bytes(data))
        return feed(stream, data)

    monkeypatch.setattr(jobs, "_feed", capture)
    return fed


def _assert_no_reference_code(fed: list[bytes], functions: list[str]) -> None:
    for data in fed:
        text = data.decode()
        assert '"helpers"' in text  # calls that name helpers were sent
        assert "helper_sources" not in text
        for name in functions:  # the student's own answer cells define them, once each
            assert text.count(f"def {name}(") <= 1, name


P8 = "ps08_normalization"


@pytest.mark.slow
def test_ps08_check_grades_spatial_batch_norm_with_the_students_own_helper(tmp_path,
                                                                         monkeypatch):
    """A wrong batchnorm_forward (a catalogued mistake) costs its own test only; the
    spatial batch norm built on it keeps its points, in check as when graded."""
    fed = _capture_sandbox_input(monkeypatch)
    mistake = misconceptions.BY_ID["ps08.batchnorm_forward.unbiased-variance-ddof-1"]
    answers = reference_answers(P8)
    answers["batchnorm_forward"] = mistake.source(answers["batchnorm_forward"])
    path = student_copy(tmp_path, answers, P8)
    report = check.check_notebook(path, source=solution_path(P8))
    assert report.judged and report.status == "ok", report.reason
    points = {r.grade_id: (r.points, r.max_points) for r in report.results}
    failed = {gid for gid, (got, most) in points.items() if got < most}
    assert failed == {"test_batchnorm_forward_train"}, points
    assert points["test_spatial_batchnorm_forward"][0] == 2
    # the autograder's judgement (hidden parts too), in process: the same tests fail
    graded = judge_harness.grade(judge_harness.recording(solution_path(P8), P8), answers,
                                 tmp_path)  # fmt: skip
    assert {v.grade_id for v in graded if not v.passed} == failed
    (data,) = fed
    _assert_no_reference_code([data], ["batchnorm_forward", "batchnorm_backward",
                                       "spatial_batchnorm_forward"])  # fmt: skip
