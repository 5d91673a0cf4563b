"""A function graded with the student's own helpers (cnnbook.grader.judging.own_helpers).

``graded_with_reference`` used to send the reference helpers' source to the sandbox;
now the payload names the helpers only, the sandbox records the student's own helper
calls, and the judge replays the reference function on them (issue 20). Graded here as
the sandbox grades, minus the isolation (tests/judge_harness.py): the mistakes are the
catalogue's (cnnbook/coursedata/misconceptions), the other answers the reference's.
The bytes the real sandbox receives are checked in tests/test_grader_check_parity.py,
the cheating class in tests/test_grader_cheating.py.

Costs about 20 s (two recordings, ~30 gradings; the failed ones run the diagnosis).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cnnbook.grader.judging import misconceptions, own_helpers
from cnnbook.grader.sandboxed import helper_calls, plaindata
from tests import judge_harness
from tests.exercise_harness import reference_answers, solution_path

PS02, PS08 = "ps02_convolution", "ps08_normalization"
CONV_CELLS = {"test_conv2d_forward_basic", "test_conv2d_forward_pad", "test_conv2d_forward_stride"}
SPATIAL_CELLS = {"test_spatial_batchnorm_forward", "test_spatial_batchnorm_backward"}


def grade(assignment, answers, tmp_path):
    rec = judge_harness.recording(solution_path(assignment), assignment)
    return judge_harness.grade(rec, answers, tmp_path)


def with_mistake(assignment: str, mistake_id: str) -> dict[str, str]:
    """The reference's answers with one catalogued mistake made."""
    mistake = misconceptions.BY_ID[mistake_id]
    answers = reference_answers(assignment)
    answers[mistake.cell] = mistake.source(answers[mistake.cell])
    assert answers[mistake.cell] != reference_answers(assignment)[mistake.cell]
    return answers


def failed(verdicts) -> set[str]:
    return {v.grade_id for v in verdicts if not v.passed}


@pytest.mark.parametrize("assignment", [PS02, PS08])
def test_the_payload_names_helpers_and_holds_no_reference_code(assignment):
    rec = judge_harness.recording(solution_path(assignment), assignment)
    text = json.dumps(rec.payload())
    assert "def " not in text and "helper_sources" not in text and "SOLUTION" not in text
    named = {h for spec in rec.payload()["calls"] for h in spec.get("helpers", [])}
    assert named == ({"conv_output_size", "zero_pad", "conv_single_step"} if assignment == PS02
                     else {"batchnorm_forward", "batchnorm_backward"})  # fmt: skip


@pytest.mark.parametrize("assignment, mistake, helper_cells, downstream", [
    (PS02, "ps02.zero_pad.padding-only-the-bottom-and-right", {"test_zero_pad"}, CONV_CELLS),
    (PS02, "ps02.zero_pad.padding-the-batch-and-channel-axes-too", {"test_zero_pad"}, CONV_CELLS),
    (PS02, "ps02.conv_single_step.missing-bias", {"test_conv_single_step"}, CONV_CELLS),
    (PS02, "ps02.conv_single_step.bias-added-to-every-product", {"test_conv_single_step"},
     CONV_CELLS),
    (PS08, "ps08.batchnorm_forward.unbiased-variance-ddof-1", {"test_batchnorm_forward_train"},
     {"test_spatial_batchnorm_forward"}),
    (PS08, "ps08.batchnorm_forward.statistics-over-the-features-of-each-sample-axis-1",
     {"test_batchnorm_forward_train"}, {"test_spatial_batchnorm_forward"}),
    (PS08, "ps08.batchnorm_backward.gamma-left-out-of-dx", {"test_batchnorm_backward_dx"},
     {"test_spatial_batchnorm_backward"}),
])  # fmt: skip
def test_a_wrong_helper_costs_its_own_points_only(assignment, mistake, helper_cells, downstream,
                                                  tmp_path):
    """The downstream function is right given the student's own (wrong) helper: it keeps
    every point, and the cells where the helper's mistake shows say it was graded with
    the student's helpers (padding at the bottom only shows where there is padding)."""
    verdicts = grade(assignment, with_mistake(assignment, mistake), tmp_path)
    assert failed(verdicts) == helper_cells
    kept = [v for v in verdicts if v.grade_id in downstream]
    assert len(kept) == len(downstream) and all(v.points == v.max_points > 0 for v in kept)
    assert any("graded with your own helper functions" in v.stdout for v in kept)


@pytest.mark.parametrize("assignment, mistake, cells", [
    (PS02, "ps02.conv2d_forward.flipped-kernel-true-convolution", CONV_CELLS),
    (PS02, "ps02.conv2d_forward.missing-bias", CONV_CELLS),
    (PS08, "ps08.spatial_batchnorm_forward.reshaped-to-n-h-w-c-without-moving-the-channel-axis",
     {"test_spatial_batchnorm_forward"}),
])  # fmt: skip
def test_a_wrong_function_with_right_helpers_still_loses(assignment, mistake, cells, tmp_path):
    verdicts = grade(assignment, with_mistake(assignment, mistake), tmp_path)
    assert failed(verdicts) == cells
    assert all("graded with your own" not in v.stdout for v in verdicts)


def test_a_wrong_function_and_a_wrong_helper_lose_both(tmp_path):
    answers = with_mistake(PS02, "ps02.conv2d_forward.flipped-kernel-true-convolution")
    zero_pad = with_mistake(PS02, "ps02.zero_pad.padding-only-the-bottom-and-right")["zero_pad"]
    verdicts = grade(PS02, {**answers, "zero_pad": zero_pad}, tmp_path)
    assert failed(verdicts) == {"test_zero_pad"} | CONV_CELLS


CONSTANT_STEP = "def conv_single_step(x_slice, w, b):\n    return 0.0\n"
ZEROS_LAYER = '''
def conv2d_forward(x, w, b, stride=1, pad=0):
    N, F = x.shape[0], w.shape[0]
    Ho = conv_output_size(x.shape[2], w.shape[2], pad, stride)
    Wo = conv_output_size(x.shape[3], w.shape[3], pad, stride)
    xp = zero_pad(x, pad)
    for n in range(N):
        for f in range(F):
            conv_single_step(xp[n, :, :w.shape[2], :w.shape[3]], w[f], b[f])
    return np.zeros((N, F, Ho, Wo))
'''


@pytest.mark.parametrize("how", ["reference layer", "layer of zeros"])
def test_a_constant_helper_earns_nothing_downstream(how, tmp_path):
    """conv_single_step returns 0: the reference conv2d_forward on it gives zeros, so a
    conv2d_forward that returns zeros would be 'right given the helpers'. A replay whose
    every expectation is flat proves nothing: conv2d_forward's 8 points are lost."""
    answers = {**reference_answers(PS02), "conv_single_step": CONSTANT_STEP}
    if how == "layer of zeros":
        answers["conv2d_forward"] = ZEROS_LAYER
    verdicts = grade(PS02, answers, tmp_path)
    assert failed(verdicts) == {"test_conv_single_step"} | CONV_CELLS
    message = next(v.message for v in verdicts if v.grade_id == "test_conv2d_forward_basic")
    assert "could not be graded with your own helper" in message or "wrong" in message


def test_a_function_that_does_not_call_the_helpers_is_graded_on_its_own(tmp_path):
    answers = with_mistake(PS02, "ps02.conv_single_step.missing-bias")
    # right without the helper: full marks for conv2d_forward
    answers["conv2d_forward"] = answers["conv2d_forward"].replace(
        "conv_single_step(window, w[f], b[f])", "float(np.sum(window * w[f]) + b[f])"
    )
    assert failed(grade(PS02, answers, tmp_path)) == {"test_conv_single_step"}
    # wrong without the helper (no bias): its own mistake costs conv2d_forward's points
    answers["conv2d_forward"] = answers["conv2d_forward"].replace(
        "float(np.sum(window * w[f]) + b[f])", "float(np.sum(window * w[f]))"
    )
    assert failed(grade(PS02, answers, tmp_path)) == {"test_conv_single_step"} | CONV_CELLS


def _record_claiming(rec, call, size) -> own_helpers.HelperRecord:
    """A record (as the sandbox would send it) claiming that conv_output_size returned
    ``size`` for the output height of ``call``."""
    x, w, _ = plaindata.decode(call.args, call.blobs)
    kwargs = plaindata.decode(call.kwargs, call.blobs)
    helper = rec.reference["conv2d_forward"].__globals__["conv_output_size"]
    key = helper_calls.arguments_key(helper_calls.signature_of(helper),
                                     (x.shape[2], w.shape[2], kwargs.get("pad", 0),
                                      kwargs.get("stride", 1)), {})  # fmt: skip
    enc = plaindata.Encoder()
    entry = {"fn": "conv_output_size", "key": key, "value": enc.encode(size)}
    node = json.loads(json.dumps({"calls": [entry], "truncated": False}))
    return own_helpers.HelperRecord(node, enc.blobs)


def test_forged_helper_records_are_ignored_and_the_replay_bounded():
    """Records are untrusted: a size of 10**9 (the reference would loop for hours), an
    array or a string where a number belongs: the replay uses the reference's helper
    instead, at once. A plausible size is used (so the record is read at all)."""
    rec = judge_harness.recording(solution_path(PS02), PS02)
    call = next(c for c in rec.calls if c.fn == "conv2d_forward" and c.mode == "call")
    args = plaindata.decode(call.args, call.blobs)
    kwargs = plaindata.decode(call.kwargs, call.blobs)
    replay = rec.reference["conv2d_forward"]
    for claim in (10**9, np.zeros(3), "x", [1, 2]):
        done, expected = own_helpers.replayed(replay, call.helpers,
                                              _record_claiming(rec, call, claim), args, kwargs)
        assert done and expected.shape == call.expected.shape, claim
        assert own_helpers.likely_mistake.close(expected, call.expected)
    height = call.expected.shape[2]
    done, expected = own_helpers.replayed(replay, call.helpers,
                                          _record_claiming(rec, call, height - 1), args, kwargs)
    assert done and expected.shape[2] == height - 1  # the student's own size, replayed


def test_same_form_bounds_what_a_record_may_claim():
    same = own_helpers.same_form
    assert same(np.float64(2.5), 1.0) and same(3, 4) and same(np.int64(20), 1)
    assert not same(10**6, 4) and not same(2.0, 4) and not same(np.array([1.0]), 1.0)
    assert same(np.zeros((3, 5)), np.zeros((2, 2))) and not same(np.zeros(3, int), np.zeros(3))
    assert not same(np.zeros(own_helpers.MAX_NUMBERS + 1), np.zeros(3))
    assert same((np.zeros(2), 1.0), (np.ones(2), 2.0)) and not same((np.zeros(2),), (1.0, 2.0))


def test_one_students_replays_are_bounded_in_time(tmp_path, monkeypatch):
    """Past the student's replay budget, no more credit by replay (a hostile record
    cannot keep the judge busy): the same wrong zero_pad then costs conv2d_forward too."""
    answers = with_mistake(PS02, "ps02.zero_pad.padding-only-the-bottom-and-right")
    monkeypatch.setattr(own_helpers, "MAX_STUDENT_REPLAY_SECONDS", -1.0)
    assert failed(grade(PS02, answers, tmp_path)) == {"test_zero_pad", "test_conv2d_forward_pad",
                                                      "test_conv2d_forward_stride"}
