"""Feedback on the mistakes real students make (issue 21): failures compared by kind,
two mistakes at once, a line for each call, NumPy 1 habits, the student's own line in
the judge's message, and the same lines in the student's notebook (the visible check,
run in this process on the released data).

In-process grading as in tests/test_grader_judge.py. About 45 s on 2 cores (the pair
test evaluates pairs of ps06 mistakes once; the real mistakes about 2 s each).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnbook.grader.judging import combined, diagnosis, misconceptions
from cnnbook.grader.judging.session import CallOutcome
from cnnbook.grader.sandboxed import harness, plaindata
from cnnbook.grading import likely_mistake, numpy2, where_line
from tests.exercise_harness import ROOT, reference_answers, solution_path
from tests.test_grader_judging_judge import grade


def _raised(fn) -> tuple[str, str]:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__, str(exc)
    raise AssertionError("did not raise")


def test_the_same_mistake_worded_by_two_numpy_functions_is_one_failure():
    x, w = np.ones((2, 3, 4)), np.ones((12, 5))
    dot = _raised(lambda: np.dot(x, w))
    matmul = _raised(lambda: x @ w)
    assert dot[1] != matmul[1]
    assert likely_mistake.failure_class(*dot) == likely_mistake.failure_class(*matmul)
    # a different kind of failure stays different
    index = _raised(lambda: np.zeros(3)[5])
    assert likely_mistake.failure_class(*index) != likely_mistake.failure_class(*dot)
    a = CallOutcome(raised={"type": dot[0], "mro": [], "message": dot[1]})
    b = CallOutcome(raised={"type": matmul[0], "mro": [], "message": matmul[1]})
    assert diagnosis.same_outcome(a, b, 1e-6, 1e-9, loose=True)
    assert not diagnosis.same_outcome(a, b, 1e-6, 1e-9)  # strict: mistake vs reference


def test_failures_whose_message_says_nothing_about_the_mistake_are_one_kind():
    """An assert's message is the student's own words; an unbound variable keeps its name."""
    kinds = {likely_mistake.failure_class(*_raised(code)) for code in (
        lambda: exec("assert 3 % 2 == 0"),  # noqa: S102
        lambda: exec("assert 3 % 2 == 0, 'conv layer. check Height'"),  # noqa: S102
    )}  # fmt: skip
    assert kinds == {"AssertionError:assert"}

    def unbound(name):
        source = f"def f(pad):\n    if pad:\n        {name} = 1\n    return {name}\n"
        exec(source, scope := {})  # noqa: S102
        return _raised(lambda: scope["f"](0))

    # a variable used before assignment keeps its name: "x_pad" is not the course's "xp"
    # (the same message fits a variable that is never assigned, with or without padding)
    assert likely_mistake.failure_class(*unbound("xp")) != likely_mistake.failure_class(
        *unbound("x_pad"))
    # the shape given as separate numbers: two wordings, one kind
    assert likely_mistake.failure_class(*_raised(lambda: np.zeros(2, 3))) == (
        likely_mistake.failure_class(*_raised(lambda: np.zeros(2, 3, 4, 5))))


def test_one_value_in_arrays_of_any_shape_is_the_same_value():
    one = np.array([3.5])
    assert likely_mistake.close(np.full((1, 1, 1), 3.5), one, loose=True)
    assert not likely_mistake.close(np.full((1, 1, 1), 3.5), one)
    assert not likely_mistake.close(np.full((1, 1, 1), 3.0), one, loose=True)
    assert not likely_mistake.close(3.5, one, loose=True)  # a float is not an array
    assert not likely_mistake.close(np.ones((1, 2)), np.ones(2), loose=True)


@pytest.mark.parametrize("code, fix", [
    ("float(np.ones((1, 1, 1)))", "float(a.item())"),
    ("np.int(3)", "Write int"),
    ("np.float(3)", "Write float"),
    ("np.product([2, 3])", "np.prod"),
    ("np.alltrue([True])", "np.all"),
    ("np.ones(4).reshape(newshape=(2, 2))", "a.reshape(shape)"),
    ("np.reshape(np.ones(4), newshape=(2, 2))", "a.reshape(shape)"),
    ("np.zeros(2).__setitem__(0, np.ones((1, 1, 1)))", "a.item()"),
])
def test_numpy_1_habits_get_what_changed_and_the_fix(code, fix):
    line = numpy2.advice(*_raised(lambda: eval(code)))  # noqa: S307 - fixed test strings
    assert line.startswith("NumPy 2 changed this") and fix in line, line
    assert numpy2.advice("TypeError", "unsupported operand type(s)") == ""


def test_the_harness_records_the_students_line_and_the_judge_shows_it(tmp_path):
    import linecache

    source = "def relu_forward(x):\n    y = np.asarray(x)\n    return float(y)  # NumPy 1 habit\n"
    filename = str(tmp_path / "deep" / "folder" / "student_helpers.py")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102
    enc = plaindata.Encoder()
    args = enc.encode((np.ones((1, 1)),))
    payload = {"blobs": plaindata.blobs_to_text(enc.blobs),
               "calls": [{"fn": "relu_forward", "args": args, "kwargs": enc.encode({})}]}
    calls, results = tmp_path / "calls.json", tmp_path / "results.jsonl"
    calls.write_text(json.dumps(payload))
    harness.run_calls(namespace, str(calls), str(results))
    line = json.loads(results.read_text())
    assert "where" in line["raised"], line
    raised = line["raised"]
    assert raised["where"] == {"file": "student_helpers.py", "line": 3,
                               "function": "relu_forward",
                               "source": "return float(y)  # NumPy 1 habit"}
    assert str(tmp_path) not in json.dumps(raised["where"])  # never a host path
    text = where_line(raised["where"])
    assert text == ("at student_helpers.py, line 3, in relu_forward: "
                    "return float(y)  # NumPy 1 habit")
    # anything malformed from the sandbox shows nothing, and long text is cut
    assert where_line({"file": 3, "line": "x"}) == ""
    assert len(where_line({"file": "f", "line": 1, "source": "x" * 10_000})) < 400


def test_the_feedback_of_a_failed_call_names_the_students_line(tmp_path):
    answers = reference_answers("ps02_convolution")
    answers["conv_single_step"] = (
        "def conv_single_step(x_slice, w, b):\n"
        "    z = np.sum(x_slice * w) + np.array([[[b]]])\n"
        "    return np.float(z)\n"
    )
    _, _, verdicts = grade("ps02_convolution", answers, tmp_path)
    failed = [v for v in verdicts if not v.passed]
    # conv2d_forward calls it, and raises too (no course code runs in its place in the
    # sandbox, issue 20): its tests name the same line, in conv_single_step
    assert failed[0].grade_id == "test_conv_single_step"
    assert {v.grade_id for v in failed[1:]} == {"test_conv2d_forward_basic",
                                                "test_conv2d_forward_pad",
                                                "test_conv2d_forward_stride"}  # fmt: skip
    for v in failed:
        assert "the call raised AttributeError" in v.message
        assert ", line 3, in conv_single_step" in v.message  # exec()d here: no source line
        assert "NumPy 2 changed this: np.float" in v.message


def test_two_mistakes_in_one_function_are_named_together(tmp_path):
    answers = reference_answers("ps06_backprop")
    cell = answers["avgpool2d_backward"]
    both = (cell.replace("share = dout[n, c, i, j] / (size * size)", "share = dout[n, c, i, j]")
                .replace("left:left + size] += share", "left:left + size] = share"))
    assert both != cell
    _, _, verdicts = grade("ps06_backprop", {**answers, "avgpool2d_backward": both}, tmp_path)
    failed = [v for v in verdicts if not v.passed]
    assert failed
    named = [v for v in failed if v.diagnosis]
    assert named, [v.message for v in failed]
    for v in named:
        assert v.diagnosis == ("ps06.avgpool2d_backward.not-dividing-by-the-window-area+"
                               "ps06.avgpool2d_backward.instead-of-overlapping-windows")
        assert "Likely mistakes (two at once): 1. " in v.message


# --------------------------------------------- the judge and the visible check alike


def visible_check_lines(assignment: str, answers: dict[str, str], test: str, table: dict,
                        tmp_path, monkeypatch) -> list[str]:
    """The ``Likely mistake`` lines the student's notebook shows under the visible part of
    test cell ``test``: the released cells run in order in this process, as the kernel
    runs them, with ``table`` as the misconceptions.json beside the notebook."""
    from cnnbook.grader.judging import judge, visible_table

    tests = judge.AssignmentTests.from_path(solution_path(assignment), assignment)
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / likely_mistake.DATA_FILE).write_text(json.dumps(table))
    monkeypatch.chdir(folder)
    monkeypatch.setattr(likely_mistake, "_cell_key", lambda: "the running cell")
    namespace: dict = {"__name__": "__main__"}
    for cell in visible_table.visible_tests(tests).cells:
        if cell.kind is judge.CellKind.CODE:
            exec(cell.source, namespace)  # noqa: S102 - the course's own cells
        elif cell.kind is judge.CellKind.ANSWER:
            exec(answers[cell.grade_id], namespace)  # noqa: S102
        elif cell.kind is judge.CellKind.TEST and cell.grade_id == test:
            likely_mistake._cell["key"] = object()  # a new cell: no calls noted yet
            try:
                exec(cell.source, namespace)  # noqa: S102
            except AssertionError as exc:
                return [line for line in str(exc).splitlines() if line.startswith("Likely")]
            raise AssertionError(f"the visible part of {test} passed")
    raise AssertionError(f"no test cell {test}")


def judge_lines(verdicts, test: str) -> list[str]:
    (v,) = [v for v in verdicts if v.grade_id == test]
    return [line for line in v.message.splitlines() if line.startswith("Likely")]


def test_a_pair_is_named_by_the_visible_check_as_by_the_judge(tmp_path, monkeypatch):
    """The shipped misconceptions.json holds pairs: where the first visible call that
    fails shows both mistakes, the student's notebook names the two at once with the
    judge's words (ps06: dw and dx both overwritten instead of accumulated)."""
    answers = reference_answers("ps06_backprop")
    first, second = (misconceptions.BY_ID[f"ps06.conv2d_backward.{slug}"]
                     for slug in ("dw-with-instead-of", "dx-with-instead-of"))
    cell = answers["conv2d_backward"]
    for old, new in first.edits + second.edits:
        cell = cell.replace(old, new)
    answers["conv2d_backward"] = cell
    _, _, verdicts = grade("ps06_backprop", answers, tmp_path)
    test = "test_conv_backward_dw"
    judged = judge_lines(verdicts, test)
    assert judged == [combined.Pair(first, second).line]
    table = json.loads((ROOT / "exercises" / "ps06_backprop" / likely_mistake.DATA_FILE)
                       .read_text())  # what the student downloads
    assert visible_check_lines("ps06_backprop", answers, test, table, tmp_path,
                               monkeypatch) == judged


TWO_D = """
def relu_backward(dout, x):
    return dout * (x >= 0) if x.ndim == 2 else dout * (x > 0)
"""
FOUR_D = """
def relu_backward(dout, x):
    return 2 * dout * (x > 0) if x.ndim == 4 else dout * (x > 0)
"""
BOTH = """
def relu_backward(dout, x):
    if x.ndim == 2:
        return dout * (x >= 0)
    return 2 * dout * (x > 0) if x.ndim == 4 else dout * (x > 0)
"""


def test_a_line_for_each_call_one_mistake_explains(tmp_path, monkeypatch):
    """Two mistakes that fail different calls of one test cell, neither a pair: the judge
    writes a line for each (the later one naming its call); the student's notebook, where
    the cell stops at the first failing call, writes the first line, word for word. Two
    made-up mistakes (on 2-D inputs, on 4-D inputs) of ps06's relu_backward."""
    import dataclasses

    from cnnbook.grader.judging import judge, visible_table
    from tests import judge_harness

    base = misconceptions.BY_ID["ps06.relu_backward.derivative-1-at-x-0-x-0"]
    two_d, four_d = (
        dataclasses.replace(base, id=f"ps06.relu_backward.{name}", edits=(), code=code,
                            says=f"It is wrong on {name} inputs.")
        for name, code in (("two-d", TWO_D), ("four-d", FOUR_D))
    )  # fmt: skip
    answers = {**reference_answers("ps06_backprop"), "relu_backward": BOTH.lstrip()}
    rec = judge_harness.recording(solution_path("ps06_backprop"), "ps06_backprop")
    namespace: dict = {"__name__": "__main__"}
    for cell in rec.tests.cells:
        if cell.kind in (judge.CellKind.CODE, judge.CellKind.ANSWER):
            exec(answers.get(cell.grade_id, cell.source), namespace)  # noqa: S102
    calls, results = tmp_path / "calls.json", tmp_path / "results.jsonl"
    calls.write_text(json.dumps(rec.payload()))
    harness.run_calls(namespace, str(calls), str(results))
    student = judge.decode_outcomes(rec, [json.loads(line) for line in
                                          results.read_text().splitlines()])
    found = diagnosis.Diagnoser(rec, [two_d, four_d]).diagnose_cell("test_relu_backward",
                                                                     student)
    assert isinstance(found, combined.CallLines)
    assert found.id == "ps06.relu_backward.two-d+ps06.relu_backward.four-d"
    assert found.line.splitlines() == [
        two_d.line,
        "Likely mistake in a later call, relu_backward(dout=<array (2, 3, 4, 5)>, "
        f"x=<array (2, 3, 4, 5)>): {four_d.says} Reread {four_d.section}.",
    ]
    # one mistake alone, or a mistake that contradicts a call the student got right,
    # explains nothing: the same student against each made-up mistake on its own
    assert diagnosis.Diagnoser(rec, [four_d]).diagnose_cell("test_relu_backward",
                                                            student).line == (
        "Likely mistake in a later call, relu_backward(dout=<array (2, 3, 4, 5)>, "
        f"x=<array (2, 3, 4, 5)>): {four_d.says} Reread {four_d.section}.")
    wrong_everywhere = dataclasses.replace(four_d, id="ps06.relu_backward.always",
                                           code=FOUR_D.replace("x.ndim == 4", "True"))
    assert diagnosis.Diagnoser(rec, [wrong_everywhere]).diagnose_cell(
        "test_relu_backward", student) is None
    # the student's notebook: the first failing call, the judge's first line
    tests = judge.AssignmentTests.from_path(solution_path("ps06_backprop"), "ps06_backprop")
    table = visible_table.visible_table(tests, [two_d, four_d])
    assert visible_check_lines("ps06_backprop", answers, "test_relu_backward", table,
                               tmp_path, monkeypatch) == [two_d.line]


@pytest.mark.parametrize("mid, test", [
    ("ps06.relu_backward.dout-zeroed-in-place-where-x-is-negative", "test_relu_backward"),
    ("ps06.relu_backward.mask-made-in-the-input-array", "test_relu_backward"),
    ("ps02.conv2d_forward.im2col-rows-indexed-as-if-the-output-were-square",
     "test_conv2d_forward_pad"),
    ("ps02.conv2d_forward.output-shape-given-as-separate-numbers", "test_conv2d_forward_basic"),
    ("ps03.maxpool2d_forward.output-reshaped-as-if-square", "test_maxpool_forward_basic"),
    ("ps03.maxpool2d_forward.refuses-strides-that-do-not-divide", "test_maxpool_forward_overlap"),
    ("ps06.maxpool2d_backward.ignored-stride-windows-start-at-i-j", "test_maxpool_backward"),
    ("ps06.maxpool2d_backward.gradient-to-every-maximum-of-a-window-ties",
     "test_maxpool_backward_overlap_ties"),
])  # fmt: skip
def test_real_students_mistakes_are_named_alike_by_the_judge_and_the_notebook(
        mid, test, tmp_path, monkeypatch):
    """The mistakes found in real students' code (issue 21): the judge and the visible
    check of the released notebook name each with the same line. About 2 s each."""
    m = misconceptions.BY_ID[mid]
    answers = reference_answers(m.assignment)
    answers[m.cell] = m.source(answers[m.cell])
    _, _, verdicts = grade(m.assignment, answers, tmp_path)
    assert judge_lines(verdicts, test) == [m.line]
    table = json.loads((ROOT / "exercises" / m.assignment / likely_mistake.DATA_FILE)
                       .read_text())  # fmt: skip
    assert visible_check_lines(m.assignment, answers, test, table, tmp_path,
                               monkeypatch) == [m.line]


IN_THEIR_WORDS = [
    # the input overwritten with x < 0, not through a copy named out
    ("ps04_activations_dense", "relu_forward", """
def relu_forward(x):
    x[x < 0] = 0
    return x
""", "test_relu_forward_input_unchanged", "ps04.relu_forward.modifies-the-input-in-place"),
    # np.pad instead of the course's zero_pad, tensordot instead of conv_single_step
    ("ps02_convolution", "conv2d_forward", """
def conv2d_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    if pad > 0:
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = (H + 2 * pad - HH) // stride + 1, (W + 2 * pad - WW) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            window = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out
""", "test_conv2d_forward_basic", "ps02.conv2d_forward.padded-input-only-made-when-there-is-padding"),
    # an assert with a message of the student's own
    ("ps03_pooling", "maxpool2d_forward", """
def maxpool2d_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    assert (H - size) % stride == 0, 'pooling layer: check the height'
    assert (W - size) % stride == 0, 'pooling layer: check the width'
    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size,
                                j * stride:j * stride + size].max(axis=(2, 3))
    return out
""", "test_maxpool_forward_overlap", "ps03.maxpool2d_forward.refuses-strides-that-do-not-divide"),
    # DLS's pool_backward: a mask of every maximum, and windows that ignore the stride
    ("ps06_backprop", "maxpool2d_backward", """
def maxpool2d_backward(dout, x, size=2, stride=2):
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for h in range(Ho):
            for w in range(Wo):
                for c in range(C):
                    window = x[n, c, h:h + size, w:w + size]
                    mask = window == np.max(window)
                    dx[n, c, h:h + size, w:w + size] += mask * dout[n, c, h, w]
    return dx
""", "test_maxpool_backward_overlap_ties",
     "ps06.maxpool2d_backward.gradient-to-every-maximum-of-a-window-ties"
     "+ps06.maxpool2d_backward.ignored-stride-windows-start-at-i-j"),
]


@pytest.mark.parametrize("assignment, cell, code, test, mid", IN_THEIR_WORDS)
def test_a_mistake_written_as_students_write_it_is_named(assignment, cell, code, test, mid,
                                                          tmp_path):
    """The catalogue's mistakes in the forms real students write them (other names, other
    NumPy functions, their own assert messages): the same line. About 1 s each."""
    answers = {**reference_answers(assignment), cell: code.lstrip()}
    _, _, verdicts = grade(assignment, answers, tmp_path)
    (v,) = [v for v in verdicts if v.grade_id == test]
    assert v.diagnosis == mid, v.message
