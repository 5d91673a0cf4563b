"""The student's own helpers, recorded in the sandbox (cnnbook.grader.sandboxed.helper_calls).

Through the real harness (``harness.run_calls``) in this process: a graded call that
names helpers runs with the student's own functions wrapped in recorders, the record is
bounded, a helper that raises is recorded as failed, and the names are given back.
Costs about 3 s (a helper called a million times).
"""

from __future__ import annotations

import json

import numpy as np

from cnnbook.grader.sandboxed import harness, helper_calls, plaindata


def run(namespace: dict, calls: list[dict], tmp_path, inputs=()) -> list[dict]:
    """The harness's result lines for ``calls`` made on ``namespace``."""
    tree, blobs = plaindata.encode(list(inputs))
    payload = {"calls": calls, "blobs": plaindata.blobs_to_text(blobs)}
    path, out = tmp_path / "calls.json", tmp_path / "results.jsonl"
    path.write_text(json.dumps(payload))
    harness.run_calls(namespace, str(path), str(out))
    return [json.loads(line) for line in out.read_text().splitlines()]


def key(fn, *args, **kwargs):
    return helper_calls.arguments_key(helper_calls.signature_of(fn), args, kwargs)


def test_the_key_is_exact_and_ignores_how_arguments_are_passed():
    def zero_pad(x, pad=1):
        return x

    x = np.arange(24.0).reshape(2, 3, 4)
    same = [key(zero_pad, x, 1), key(zero_pad, x, pad=1), key(zero_pad, x),
            key(zero_pad, x.copy(), np.int64(1)), key(zero_pad, x, 1.0),
            key(zero_pad, np.asfortranarray(x), 1)]  # fmt: skip
    assert len(set(same)) == 1 and len(same[0]) == 64
    window = np.zeros((4, 4))[1:3, 1:3]  # a view: compared by its values
    assert key(zero_pad, window, 1) == key(zero_pad, np.zeros((2, 2)), 1)
    different = [key(zero_pad, x, 2), key(zero_pad, x.astype(np.float32), 1),
                 key(zero_pad, x.reshape(6, 4), 1), key(zero_pad, x + 1e-12, 1),
                 key(zero_pad, [x], 1)]  # fmt: skip
    assert len(set(different + same[:1])) == len(different) + 1
    assert key(zero_pad, object(), 1) is None and key(zero_pad, np.zeros(2, complex)) is None


STUDENT = '''
import numpy as np

def helper(x, k):
    return x * k

def fails(x):
    raise ValueError("no")

def layer(x, times=1):
    total = np.zeros_like(x)
    for i in range(times):
        total = total + helper(x, i % 3)
    try:
        fails(x)
    except ValueError:
        pass
    return total
'''


def test_a_graded_call_records_the_students_own_helpers(tmp_path):
    namespace: dict = {}
    exec(STUDENT, namespace)
    helper = namespace["helper"]
    x = np.arange(3.0)
    spec = {"fn": "layer", "args": [{"__array__": 0}], "kwargs": {"__dict__": [["times", 4]]},
            "helpers": ["helper", "fails", "not_defined", 5]}  # fmt: skip
    (line,) = run(namespace, [spec], tmp_path, [x])
    blobs = plaindata.text_to_blobs(line["blobs"])
    assert plaindata.decode(line["value"], blobs).tolist() == [0.0, 3.0, 6.0]
    record = line["helpers"]
    assert record["truncated"] is False
    calls = record["calls"]
    assert [c["fn"] for c in calls] == ["helper"] * 4 + ["fails"]
    assert calls[1]["key"] == key(helper, x, 1) != calls[0]["key"]
    assert plaindata.decode(calls[2]["value"], blobs).tolist() == [0.0, 2.0, 4.0]
    assert calls[4]["raised"] == "ValueError" and "value" not in calls[4]
    assert namespace["helper"] is helper  # the student's names given back
    # a call that names no helpers carries no record
    (line,) = run(namespace, [{**spec, "helpers": []}], tmp_path, [x])
    assert "helpers" not in line


def test_a_helper_called_a_million_times_is_recorded_up_to_the_bound(tmp_path):
    namespace: dict = {}
    exec(STUDENT, namespace)
    spec = {"fn": "layer", "args": [{"__array__": 0}],
            "kwargs": {"__dict__": [["times", 1_000_000]]}, "helpers": ["helper"]}  # fmt: skip
    (line,) = run(namespace, [spec], tmp_path, [np.ones(2)])
    blobs = plaindata.text_to_blobs(line["blobs"])
    assert plaindata.decode(line["value"], blobs).tolist() == [999_999.0] * 2  # still runs
    assert line["helpers"]["truncated"] is True
    assert 0 < len(line["helpers"]["calls"]) <= helper_calls.MAX_HELPER_CALLS
    assert len(json.dumps(line)) < 2 * helper_calls.MAX_HELPER_BYTES


def test_the_job_budget_bounds_the_records_of_all_calls(tmp_path, monkeypatch):
    monkeypatch.setattr(helper_calls, "MAX_JOB_HELPER_BYTES", 50_000)
    namespace: dict = {}
    exec(STUDENT, namespace)
    spec = {"fn": "layer", "args": [{"__array__": 0}],
            "kwargs": {"__dict__": [["times", 100]]}, "helpers": ["helper"]}  # fmt: skip
    lines = run(namespace, [spec] * 6, tmp_path, [np.ones(2)])
    kept = [len(line["helpers"]["calls"]) for line in lines]
    assert kept[0] == 100 and 0 < kept[1] < 100 and kept[-1] == 0, kept
    assert lines[1]["helpers"]["truncated"] and not lines[0]["helpers"]["truncated"]
    assert sum(len(json.dumps(line["helpers"])) for line in lines) < 2 * 50_000
