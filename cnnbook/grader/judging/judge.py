"""The trusted judge: runs an assignment's tests in a process that never runs student code.

The test cells of an assignment (visible and hidden parts, from the instructor's source
notebook) are ordinary Python using the helpers of :mod:`cnnbook.grading`. The same
code runs in the student's notebook as the visible check, and here, in three steps:

1. **Record** (once per assignment and grading run): every non-test code cell and every
   answer cell of the *reference solution* runs here, then each test cell runs with the
   student's function names bound to :class:`StudentFunction` placeholders. Each call of a
   placeholder is answered by the reference and recorded: which function, on which
   inputs (plain data; an argument that is an earlier call's result is recorded as a
   reference to it, so that the student's own objects flow between their functions).
   Hidden inputs come from :func:`cnnbook.grading.hidden_rng`, seeded here with a seed
   the student never sees.
2. The recorded calls go to the sandbox with the student's notebook (its test cells left
   out); :mod:`cnnbook.grader.sandboxed.harness` makes them there and returns plain data.
3. **Judge** (once per submission): the test cells run again, each call now answered with
   the student's decoded result, in the same order. A test cell that finishes passes; an
   ``AssertionError`` (or any other exception) fails it, and its message is the feedback.

Where each part lives: the cell model in :mod:`.assignment_tests`, the session that
answers the calls in :mod:`.session`, running cells in :mod:`.running`, decoding the
sandbox's results in :mod:`.decoding`, a function graded with the student's own helpers
(``graded_with_reference``) in :mod:`.own_helpers`, verdicts in :mod:`.verdicts`; this module is
the entry point (:func:`judge`) and names them all for its callers.

Only plain data crosses from the sandbox (:mod:`cnnbook.grader.sandboxed.plaindata`): whatever
the student's code did in its own process, a grade is decided here.
"""

from __future__ import annotations

from cnnbook.grader.judging import diagnosis
from cnnbook.grader.judging.assignment_tests import (
    AssignmentTests,
    Cell,
    CellKind,
    cell_kind,
    defined_names,
)
from cnnbook.grader.judging.decoding import decode_outcomes
from cnnbook.grader.judging.own_helpers import OwnHelpers
from cnnbook.grader.judging.running import (
    exec_cell,
    record,
    reference_namespace,
    run_cells,
)
from cnnbook.grader.judging.session import (
    MAX_CALLS,
    Call,
    CallOutcome,
    Recording,
    Session,
    StudentFunction,
)
from cnnbook.grader.judging.verdicts import Verdict, failure_message
from cnnbook.grading import judge_mode

__all__ = [
    "AssignmentTests", "Cell", "CellKind", "cell_kind", "defined_names", "decode_outcomes",
    "exec_cell", "record", "reference_namespace", "run_cells", "MAX_CALLS",
    "Call", "CallOutcome", "Recording", "Session", "StudentFunction", "Verdict",
    "failure_message", "judge",
]  # fmt: skip


def judge(
    recording: Recording, outcomes: list[CallOutcome], diagnose: bool = True
) -> list[Verdict]:
    """Run the tests again on the student's outcomes; one verdict per test cell.

    With ``diagnose``, a failed verdict whose calls behave exactly like a known mistake
    gets a ``Likely mistake:`` line (:mod:`cnnbook.grader.judging.diagnosis`).
    """
    # the test code may change what a call returned (a dict of parameters, say): the
    # diagnosis compares the outcomes as they came back
    pristine = diagnosis.snapshot(outcomes) if diagnose else []
    tests = recording.tests
    session = Session("judge", recording.seed, outcomes=outcomes)
    session.recorded = recording.calls
    for c in recording.calls:
        session.cell_start.setdefault(c.cell, c.index)
    tolerances = {c.grade_id: diagnosis.cell_tolerance(c.source) for c in tests.cells
                  if c.kind is CellKind.TEST}  # fmt: skip
    own = OwnHelpers(recording.reference, tolerances)
    session.own_helpers = own.answer
    with judge_mode.judged_by(session):
        ran = [r for r in run_cells(tests, session, recording.reference)
               if r[0].kind is CellKind.TEST]  # fmt: skip
    # after every cell: whether a function graded with the student's own helpers has
    # shown anywhere that it works (OwnHelpers.unshown)
    verdicts = []
    for cell, error, stdout in ran:
        if error is None and own.unshown(cell.grade_id):
            verdicts.append(Verdict(cell.grade_id, 0.0, cell.points, False,
                                    own.unshown(cell.grade_id), stdout))  # fmt: skip
        elif error is None:
            stdout += own.note(cell.grade_id)
            verdicts.append(Verdict(cell.grade_id, cell.points, cell.points, True, "", stdout))
        else:
            verdicts.append(
                Verdict(cell.grade_id, 0.0, cell.points, False, failure_message(error), stdout)
            )
    if diagnose:
        diagnosis.annotate(recording, pristine, verdicts)
    return verdicts
