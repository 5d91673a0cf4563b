"""Autograde keeps going: a submission that cannot be staged is recorded, and retried."""

from __future__ import annotations

import nbformat
import pytest

from cnnbook.grader import samples


@pytest.mark.slow
def test_one_failing_submission_does_not_stop_the_batch(tmp_path, monkeypatch, capsys):
    from cnnbook.cli import main as cnnbook
    from cnnbook.grader import gradebook
    from cnnbook.grader.autograde import Autograder

    root = samples.write_tiny_course(tmp_path / "course")
    assert cnnbook(["--root", str(root), "release"]) == 0
    released = nbformat.read(str(root / "exercises" / samples.TINY / "ps00_tiny.ipynb"), 4)
    for student in ("alice", "bob"):
        path = root / "submitted" / student / samples.TINY / "ps00_tiny.ipynb"
        samples.make_submission(released, {"square": samples.TINY_ANSWERS["honest"]}, path=path)
    stage = Autograder._stage

    def broken(self, student, *args):
        if student == "bob":
            raise PermissionError("simulated: cannot read the submission")
        return stage(self, student, *args)

    monkeypatch.setattr(Autograder, "_stage", broken)
    args = ["--root", str(root), "autograde", samples.TINY, "--no-progress", "--no-sandbox"]
    assert cnnbook(args) == 0
    status = gradebook.read_status(f"sqlite:///{root / 'gradebook.db'}", samples.TINY)
    assert status["alice"]["status"] == "ok" and status["alice"]["score"] == 4
    assert status["bob"]["status"] == "grading_error" and status["bob"]["score"] == 0
    assert "simulated" in status["bob"]["reason"]
    assert status["bob"]["sandbox"] == "none (limits only)"
    assert "WITHOUT network or file-system isolation" in capsys.readouterr().err
    # the tool's own failure is retried by a plain re-run; alice's grade stands
    monkeypatch.setattr(Autograder, "_stage", stage)
    assert cnnbook(args) == 0
    status = gradebook.read_status(f"sqlite:///{root / 'gradebook.db'}", samples.TINY)
    assert status["bob"]["status"] == "ok" and status["bob"]["score"] == 4
    assert status["alice"]["score"] == 4
