"""The trusted judge (cnnbook.grader.judging.judge) on the course's real assignments.

Each catalogued mistake (tests/exercise_catalogue.py) and each correct alternative is
run the way the sandbox runs it, minus the sandbox: the student's namespace is built
from the released set-up cells and the answer cells, the recorded calls are made by the
harness, and the judge grades the decoded results. Every mistake must lose points,
every alternative and the reference must keep full marks, the stub must score 0. The
mistakes that import the reference are graded through the real sandbox in
tests/test_grader_cheating.py (the ``reference_import`` trick), where the reference is
not importable.
"""

from __future__ import annotations

import json
import re
import sys

import numpy as np
import pytest

from cnnbook.grader.judging import judge
from cnnbook.grader.sandboxed import plaindata
from tests import judge_harness
from tests.exercise_catalogue import ALTERNATIVES, MISTAKES
from tests.exercise_harness import ASSIGNMENTS, reference_answers, solution_path
from tests.test_exercises_autograde import mistake_source


def grade(assignment: str, answers: dict[str, str], tmp_path) -> tuple[float, float, list]:
    """Score of a student whose answer cells are ``answers`` (grade_id -> source)."""
    verdicts = judge_harness.grade(
        judge_harness.recording(solution_path(assignment), assignment), answers, tmp_path
    )
    return sum(v.points for v in verdicts), sum(v.max_points for v in verdicts), verdicts


def stub_answers(assignment: str) -> dict[str, str]:
    stub = "raise NotImplementedError()"
    out = {}
    for gid, source in reference_answers(assignment).items():
        # keep the signature line(s), replace the body by the stub, as the release does
        head = source.split(":\n", 1)[0] + ":\n" if source.lstrip().startswith("def ") else ""
        out[gid] = head + ("    " + stub if head else stub)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_full_marks_and_stub_zero(assignment, tmp_path):
    score, total, verdicts = grade(assignment, reference_answers(assignment), tmp_path)
    assert score == total > 0, [v.message for v in verdicts if not v.passed]
    score, _, _ = grade(assignment, stub_answers(assignment), tmp_path)
    assert score == 0


def functions_tested(assignment: str) -> dict[str, set[str]]:
    """grade_id of each test cell -> the graded functions its recorded calls call, and
    those of the driver cell before it (a training run whose result it checks)."""
    rec = judge_harness.recording(solution_path(assignment), assignment)
    by_cell: dict[str, set[str]] = {}
    for call in rec.calls:
        by_cell.setdefault(call.cell, set()).add(call.fn)
    out, driven = {}, set()
    for cell in rec.tests.cells:
        if cell.kind is judge.CellKind.DRIVER:
            driven = by_cell.get(cell.grade_id, set())
        elif cell.kind is judge.CellKind.TEST:
            out[cell.grade_id] = by_cell.get(cell.grade_id, set()) | driven
    return out


def harmed_tests(assignment: str, functions, verdicts) -> list[str]:
    """Failed tests that call none of ``functions``: points a mistake must not cost."""
    tested = functions_tested(assignment)
    return [
        f"{v.grade_id}: {v.message[:200]}"
        for v in verdicts
        if not v.passed and not (tested.get(v.grade_id, set()) & set(functions))
    ]


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_mistake_loses_points_every_alternative_keeps_them(assignment, tmp_path):
    """Every mistake loses points, and only in the tests of the functions it changes
    (its catalogue entry's ``functions``): the other functions keep theirs."""
    answers = reference_answers(assignment)
    caught, missed, harmed = 0, [], {}
    for mistake in MISTAKES:
        if mistake.assignment != assignment or "reference imported" in mistake.name:
            continue
        score, total, verdicts = grade(
            assignment, {**answers, mistake.cell: mistake_source(mistake)}, tmp_path
        )
        if score < total:
            caught += 1
        else:
            missed.append(mistake.name)
        assert mistake.functions, mistake.name
        if lost := harmed_tests(assignment, mistake.functions, verdicts):
            harmed[mistake.name] = lost
    assert not missed, f"mistakes the judge does not catch: {missed}"
    assert not harmed, f"mistakes that cost other functions' points: {harmed}"
    assert caught > 0
    for alternative in ALTERNATIVES:
        if alternative.assignment != assignment:
            continue
        score, total, verdicts = grade(assignment, {**answers, **alternative.cells}, tmp_path)
        assert score == total, (alternative.name, [v.message for v in verdicts if not v.passed])


def test_hidden_inputs_depend_on_the_secret_seed():
    tests = judge.AssignmentTests.from_path(solution_path("ps02_convolution"))
    one, two = judge.record(tests, 1), judge.record(tests, 2)
    assert [c.fn for c in one.calls] == [c.fn for c in two.calls]
    differ = [a.blobs != b.blobs for a, b in zip(one.calls, two.calls, strict=True)]
    assert any(differ)  # hidden cases moved
    assert not all(differ)  # visible cases did not
    again = judge.record(tests, 1)
    assert [c.blobs for c in again.calls] == [c.blobs for c in one.calls]


def test_the_sandbox_never_sees_tests_or_expected_values():
    tests = judge.AssignmentTests.from_path(solution_path("ps02_convolution"))
    payload = json.dumps(judge.record(tests, 3).payload())
    assert "check_" not in payload and "HIDDEN" not in payload
    assert "mode" not in payload and "watch" not in payload  # nor what a call checks


def test_plain_data_refuses_objects_and_pickles():
    tree, blobs = plaindata.encode([np.arange(3.0), (1, "a", None), {"k": np.float32(2)}])
    value = plaindata.decode(tree, blobs)
    assert value[0].tolist() == [0.0, 1.0, 2.0] and value[1] == (1, "a", None)
    assert type(value[2]["k"]) is np.float32

    class Sub(np.ndarray):
        pass

    for thing in (np.zeros(2).view(Sub), np.array([object()]), np.zeros(2, complex), iter([])):
        tree, _ = plaindata.encode(thing)
        assert isinstance(plaindata.decode(tree, []), plaindata.Opaque)
    import io
    import pickle

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(plaindata.NotPlainDataError):
        plaindata.decode({"__array__": 0}, [buf.getvalue()])
    with pytest.raises(plaindata.NotPlainDataError):
        plaindata.decode({"__array__": 0}, [pickle.dumps(np.zeros(2))])
    for bad in ({"__eval__": "1"}, {"__array__": 5}, {"a": 1, "b": 2}, {"__float__": "1e999x"}):
        with pytest.raises(plaindata.NotPlainDataError):
            plaindata.decode(bad, [])


def test_overlay_hides_answers(tmp_path):
    from cnnbook.grader.isolation import overlay

    package = overlay.build(tmp_path / "a")
    assert not (package / "layers").exists() and not (package / "tensors.py").exists()
    assert not (package / "conv_shapes.py").exists()
    assert (package / "grading" / "__init__.py").exists()
    assert (package / "grader" / "sandboxed" / "harness.py").exists()
    package = overlay.build(tmp_path / "b", ["cnnbook.layers"], ["conv2d_backward"])
    # the package's __init__ and every module it star-imports, each trimmed
    copied = {p.name for p in (package / "layers").glob("*.py")}
    assert {"__init__.py", "convolution.py", "pooling.py", "normalization.py"} <= copied
    assert (package / "conv_shapes.py").exists()  # the checks the topic modules import
    init = (package / "layers" / "__init__.py").read_text()
    assert "'conv2d_forward'" in init and "conv2d_backward" not in init  # trimmed __all__
    text = (package / "layers" / "convolution.py").read_text()
    assert "def conv2d_forward" in text and "def conv2d_backward" not in text
    assert "'conv2d_backward'" not in text  # nor in its __all__, so no star import has it
    assert "def _col2im" not in text  # a helper only the removed function used
    assert overlay.module_file("cnnbook.layers") == "layers/__init__.py"
    assert overlay.module_file("cnnbook.layers.pooling") == "layers/pooling.py"
    assert overlay.module_file("cnnbook.nn") == "nn.py"
    with pytest.raises(ValueError, match="not a module of the cnnbook package"):
        overlay.build(tmp_path / "c", ["numpy"])
    assert re.search(r"\bdef conv2d_forward\b", text)
    assert sys.modules.get("cnnbook.grader.isolation.overlay") is overlay


def test_a_helper_mistake_is_charged_once(tmp_path):
    """ps02's conv2d_forward is graded with the student's own helpers, replayed in the
    judge (graded_with_reference): forgetting the bias in conv_single_step costs
    conv_single_step's 2 points, not conv2d_forward's 8 too (more cases in
    tests/test_grader_judging_own_helpers.py)."""
    answers = reference_answers("ps02_convolution")
    answers["conv_single_step"] = answers["conv_single_step"].replace(
        "return float(total + b)", "return float(total)"
    )
    score, total, verdicts = grade("ps02_convolution", answers, tmp_path)
    assert (score, total) == (13, 15)
    assert [v.grade_id for v in verdicts if not v.passed] == ["test_conv_single_step"]
    # a conv2d_forward that does not use the helper is graded on its own, as before
    answers = reference_answers("ps02_convolution")
    answers["conv2d_forward"] = answers["conv2d_forward"].replace(
        "conv_single_step(window, w[f], b[f])", "float(np.sum(window * w[f]))"
    )
    score, _, _ = grade("ps02_convolution", answers, tmp_path)
    assert score == 15 - 8


@pytest.mark.slow
@pytest.mark.parametrize(
    "how",
    ["raise NotImplementedError()", "raise ValueError('oops')", "return dout * (x >= 0)"],
)
def test_ps06_a_failed_relu_backward_costs_its_own_points_only(how, tmp_path):
    """The ps06 cascade (issue 20): a relu_backward that stops its test cell early (a
    stub, an exception) or fails its first check (``x >= 0``) used to change what every
    later cell drew from the shared generator: 2/18 instead of 16/18."""
    answers = reference_answers("ps06_backprop")
    answers["relu_backward"] = f"def relu_backward(dout, x):\n    {how}"
    score, total, verdicts = grade("ps06_backprop", answers, tmp_path)
    assert [v.grade_id for v in verdicts if not v.passed] == ["test_relu_backward"], [
        (v.grade_id, v.message[:200]) for v in verdicts if not v.passed
    ]
    assert (score, total) == (16, 18)


CHEATS = [
    # (assignment, answer cell, code, the test cell that must fail)
    ("ps06_backprop", "relu_backward",
     "def relu_backward(dout, x):\n    x[x <= 0] = 0\n    x[x > 0] = 1\n    x *= dout\n    return x",
     "test_relu_backward"),
    ("ps06_backprop", "affine_backward",
     "from cnnbook import gradcheck\n"
     "def affine_backward(dout, x, w):\n"
     "    xf = x.reshape(x.shape[0], -1)\n"
     "    dx = (dout @ w.T).reshape(x.shape)\n"
     "    dw, db = xf.T @ dout, dout.sum(axis=0)\n"
     "    x[...] = 0\n"
     "    return dx, dw, db",
     "test_affine_backward"),
    ("ps07_training", "model_backward",
     "def model_backward(dlogits, cache, params):\n"
     "    for value in params.values():\n"
     "        value[...] = 0\n"
     "    grads = {k: np.zeros_like(v) for k, v in params.items()}\n"
     "    grads['b2'] = dlogits.sum(axis=0)\n"
     "    return grads",
     "test_model_backward"),
    ("ps07_training", "train",
     "def train(x, y, epochs=15, lr=0.2, batch_size=32, seed=0):\n"
     "    return init_params(seed), list(np.linspace(2.3, 0.05, 600))",
     "test_training_loss"),
]


@pytest.mark.slow
@pytest.mark.parametrize("assignment, cell, code, fails", CHEATS, ids=[c[3] for c in CHEATS])
def test_cheats_earn_nothing_for_the_cheat(assignment, cell, code, fails, tmp_path):
    """Changing the caller's inputs, clearing the model, faking the losses: the test of
    the function that does it fails (issue 20)."""
    answers = reference_answers(assignment)
    answers[cell] = code
    _, _, verdicts = grade(assignment, answers, tmp_path)
    failed = {v.grade_id: v.message for v in verdicts if not v.passed}
    assert fails in failed, failed


def test_a_result_far_bigger_than_the_reference_is_not_compared():
    """A 2 MB result where a few numbers are expected never reaches a comparison (a
    broadcast against it made the judge grow to 1.4 GB, issue 20)."""
    rec = judge_harness.recording(solution_path("ps02_convolution"), "ps02_convolution")
    call = next(c for c in rec.calls if c.fn == "conv2d_forward")
    assert 0 < call.size < 10_000
    tree, blobs = plaindata.encode(np.zeros(250_000))  # 2 MB
    line = {"index": call.index, "value": tree, "blobs": plaindata.blobs_to_text(blobs)}
    out = judge.decode_outcomes(rec, [line])[call.index]
    assert isinstance(out.value, plaindata.Opaque) and "numbers where" in out.value.what
    verdicts = judge.judge(rec, judge.decode_outcomes(rec, [line]), diagnose=False)
    assert not next(v for v in verdicts if v.grade_id == call.cell).passed
