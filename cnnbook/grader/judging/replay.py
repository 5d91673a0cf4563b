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
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from cnnbook.grader.isolation.execution import ExecutionRecord, merge_outputs
from cnnbook.grader.judging import inert, judge


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
                traceback=[f"AssertionError: {message}"],
            )
        )
    return outputs


def put_verdicts(nb, verdicts: dict | None) -> None:
    """Show each test cell as the student's release does (no hidden tests) with the
    judge's verdict as its output, in place."""
    for cell in nb.cells:
        if judge.cell_kind(cell) is not judge.CellKind.TEST:
            continue
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        cell.source = judge.HIDDEN_RE.sub("", cell.source).rstrip()
        cell.outputs = verdict_outputs((verdicts or {}).get(grade_id))
        cell.execution_count = None


# --------------------------------------------------------------------------- grading
