"""What came back from the sandbox, read as untrusted data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnbook.grader.isolation.engine import RunOutcome
from cnnbook.grader.isolation.execution import (
    NOT_EXECUTED,
    ExecutionRecord,
    clean_output,
    merge_outputs,
    read_job,
)


def test_clean_output_keeps_only_well_formed_outputs():
    assert clean_output("junk") is None
    assert clean_output({"output_type": "made_up"}) is None
    s = clean_output({"output_type": "stream", "name": "/etc/passwd", "text": ["a", "b"]})
    assert s.name == "stdout" and s.text == "ab"
    e = clean_output({"output_type": "error", "ename": 1, "traceback": "not a list"})
    assert e.ename == "1" and e.traceback == []
    data = {"text/plain": ["4"], "x": 1, "application/javascript": "alert(1)"}
    d = clean_output({"output_type": "display_data", "data": data})
    assert d.data == {"text/plain": "4"}


def _nb():
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("intro"),
        new_code_cell("x = 1"),
        new_code_cell("assert x == 1"),
        new_code_cell(""),
        new_code_cell("assert x == 2"),
    ]
    return nb


def test_merge_outputs_marks_cells_that_never_ran():
    nb = _nb()
    record = ExecutionRecord(
        {1: (1, [{"output_type": "stream", "name": "stdout", "text": "hi"}])},
        complete=False,
        status="timeout",
        reason="did not finish within the time limit of 5 s",
    )
    merge_outputs(nb, record)
    assert nb.cells[1].outputs[0].text == "hi" and nb.cells[1].execution_count == 1
    for i in (2, 4):  # not run: an error, so nbgrader scores their tests 0
        (out,) = nb.cells[i].outputs
        assert out.output_type == "error" and out.ename == NOT_EXECUTED
        assert "time limit" in out.evalue
    assert nb.cells[3].outputs == []  # empty cells are never run, even by nbgrader


def test_merge_outputs_notes_limits():
    nb = _nb()
    mem = {"output_type": "error", "ename": "MemoryError", "evalue": "", "traceback": []}
    cut = {"output_type": "stream", "name": "stdout", "text": "\n[cnnbook: output limit x"}
    record = ExecutionRecord({1: (1, [mem]), 2: (2, [cut]), 4: (3, [])}, True, "ok", "")
    notes = merge_outputs(nb, record)
    assert any(n.startswith("memory_limit") for n in notes)
    assert any(n.startswith("output_limit") for n in notes)


def _job_dir(tmp_path: Path, lines: list[dict]) -> Path:
    (tmp_path / "out").mkdir()
    with open(tmp_path / "out" / "stream.jsonl", "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
        f.write("garbage that is not json\n")
    (tmp_path / "sandbox.log").write_text("")
    return tmp_path


@pytest.mark.parametrize(
    ("outcome", "result", "status"),
    [
        (RunOutcome(0, 1.0, False, True), {"status": "ok"}, "ok"),
        (RunOutcome(None, 9.0, True, True), None, "timeout"),
        (RunOutcome(-9, 1.0, False, True), None, "memory_limit"),
        (RunOutcome(-24, 1.0, False, True), None, "timeout"),  # SIGXCPU
        (RunOutcome(0, 1.0, False, True), {"status": "kernel_died", "log_tail": ""}, "kernel_died"),
        (RunOutcome(1, 1.0, False, True), None, "sandbox_error"),
    ],
)
def test_read_job_classifies_how_a_job_ended(tmp_path, outcome, result, status):
    lines = [{"type": "cell", "index": 1, "execution_count": 1, "outputs": []}]
    if result is not None:
        lines.append({"type": "result", "message": "", **result})
    record = read_job(_job_dir(tmp_path, lines), outcome, 9.0, 512)
    assert record.status == status
    assert record.complete == (status == "ok")
    assert list(record.cells) == [1]
