"""nbgrader's Execute step, replaced: the sandbox's outputs and the judge's verdicts.

nbgrader's Autograde converter runs on the staged, sanitized copy of a submission with
its Execute preprocessor swapped for :class:`ReplayExecute`, which puts in the outputs
the sandbox produced for the student's cells, and shows each test cell as the student's
release does (visible code only) with the judge's verdict as its output. Everything
after (SaveAutoGrades, late penalties, the autograded/ folder) is nbgrader's own, so the
gradebook, formgrader and feedback work as with plain nbgrader.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.converters import Autograde
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config import Config

from cnnbook.grader import cells
from cnnbook.grader.isolation.execution import ExecutionRecord, merge_outputs
from cnnbook.grader.judging import inert, judge
from cnnbook.grader.sanitizing import step_name


class ReplayExecute(NbGraderPreprocessor):
    """Stands in for nbgrader's Execute: takes the outputs from the sandboxed run."""

    jobs_dir = Unicode("").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        notebook = resources["nbgrader"]["notebook"]
        job_dir = Path(self.jobs_dir) / student / notebook
        info = json.loads((job_dir / "record.json").read_text())
        record = ExecutionRecord(
            {int(k): (v[0], v[1]) for k, v in info["cells"].items()},
            info["complete"],
            info["status"],
            info["reason"],
        )
        merge_outputs(nb, record)
        put_verdicts(nb, info.get("verdicts"))
        # Formgrader and the feedback pages render this notebook: student output as text
        inert.make_inert(nb, inert.written_by_student)
        return nb, resources


def write_record(job_dir: Path, record, verdicts: dict) -> None:
    """``job_dir/record.json``, what :class:`ReplayExecute` puts into the notebook: the
    sandbox's outputs per cell (an :class:`~cnnbook.grader.isolation.execution.
    ExecutionRecord`) and the judge's verdict per test cell."""
    (job_dir / "record.json").write_text(
        json.dumps(
            {
                "cells": {str(k): list(v) for k, v in record.cells.items()},
                "complete": record.complete,
                "status": record.status,
                "reason": record.reason,
                "verdicts": verdicts,
            }
        )
    )


def verdict_outputs(verdict: dict | None) -> list:
    """The outputs of a test cell that show the judge's verdict (nbgrader scores them:
    an error output is 0 points, none is full marks)."""
    if verdict is None:
        verdict = {"passed": False, "message": "this test was not judged"}
    outputs = []
    if verdict.get("stdout"):
        outputs.append(new_output("stream", name="stdout", text=str(verdict["stdout"])[:5000]))
    if not verdict.get("passed"):
        message = str(verdict.get("message") or "the test failed")
        outputs.append(
            new_output(
                "error",
                ename="AssertionError",
                evalue=message,
                # Formgrader shows the traceback in <pre>, which never wraps: wrapped here
                traceback=[wrap_lines(f"AssertionError: {message}")],
            )
        )
    return outputs


def wrap_lines(text: str, width: int = 100) -> str:
    """Every line of ``text`` wrapped at ``width`` characters (a link is never cut)."""
    import textwrap

    out = []
    for line in text.splitlines() or [""]:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False) or [line]  # fmt: skip
    return "\n".join(out)


def put_verdicts(nb, verdicts: dict | None) -> None:
    """Show each test cell as the student's release does (no hidden tests) with the
    judge's verdict as its output, in place."""
    for cell in nb.cells:
        if judge.cell_kind(cell) is not judge.CellKind.TEST:
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        cell.source = cells.without_hidden_tests(cell.source).rstrip()
        cell.outputs = verdict_outputs((verdicts or {}).get(grade_id))
        cell.execution_count = None


def autograde_config(course_config: Config, jobs_dir: Path, staged: Path) -> Config:
    """nbgrader's Autograde configuration for a run: the course's, with Execute replaced by
    :class:`ReplayExecute` (reading the sandbox's outputs from ``jobs_dir``) and the
    staged (already sanitized) submissions in ``staged``."""
    cfg = Config()
    cfg.merge(course_config)
    cfg.CourseDirectory.submitted_directory = str(staged)
    pps = list(cfg.Autograde.get("autograde_preprocessors", []) or [])
    if not pps:
        pps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    # Execute, or the door's JudgedExecute (the course's config, cnnbook.grader.doors): the
    # sandbox has run already, replay its outputs; the door's RecordJudgement is the
    # autograder's own record
    pps = [
        ReplayExecute if (p is Execute or step_name(p) in ("Execute", "JudgedExecute")) else p
        for p in pps
        if step_name(p) != "RecordJudgement"
    ]
    if ReplayExecute not in pps:
        raise ValueError("Autograde.autograde_preprocessors has no Execute to replace")
    cfg.Autograde.autograde_preprocessors = pps
    # the staged notebooks were sanitized (isolation.staging.sanitize) with nbgrader's own
    # preprocessors (and executed as such): grading them as they are avoids doing it twice
    cfg.Autograde.sanitize_preprocessors = []
    cfg.ReplayExecute.jobs_dir = str(jobs_dir)
    return cfg
