"""Outcomes and staging: the worst status wins; a submission's fingerprint."""

from __future__ import annotations

from cnnbook.grader.isolation.staging import fingerprint
from cnnbook.grader.outcomes import worst


def test_worst_status_and_fingerprint(tmp_path):
    assert worst(["ok", "timeout", "output_limit"]) == "timeout"
    assert worst(["ok", "corrupt_notebook", "kernel_died"]) == "corrupt_notebook"
    assert worst([]) == "ok"
    (tmp_path / "a.ipynb").write_text("x")
    first = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == first
    (tmp_path / "a.ipynb").write_text("y")
    assert fingerprint(tmp_path) != first
