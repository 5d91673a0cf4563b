"""Running an assignment's cells in the judge: the reference's, and the test cells.

Only instructor code runs here (the source notebook's code, answer and test cells):
a student's function is a :class:`~cnnbook.grader.judging.session.StudentFunction`
placeholder, answered by the session. :func:`run_cells` and :func:`exec_cell` are the
seam the diagnosis uses too.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np

from cnnbook.grader import cells
from cnnbook.grader.judging.assignment_tests import AssignmentTests, CellKind, defined_names
from cnnbook.grader.judging.session import Recording, Session, StudentFunction
from cnnbook.grading import judge_mode


def exec_cell(source: str, namespace: dict) -> None:
    """Run one cell of the instructor's notebook (markers blanked) in ``namespace``."""
    code = compile(cells.blank_solution_markers(source), "<cell>", "exec")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        exec(code, namespace)  # noqa: S102 - instructor code from the source notebook


def run_cells(tests: AssignmentTests, session: Session, reference: dict | None):
    """Run the cells in order in a fresh namespace; yield (cell, error, stdout) per
    driver and test cell."""
    namespace: dict = {"__name__": "__cnnbook_judge__"}
    for cell in tests.cells:
        if cell.kind is CellKind.CODE:
            exec_cell(cell.source, namespace)
        elif cell.kind is CellKind.ANSWER:
            for name in defined_names(cell.source):
                namespace[name] = StudentFunction(name, (reference or {}).get(name))
        elif cell.kind in (CellKind.DRIVER, CellKind.TEST):
            session.start_cell(cell.grade_id)
            out = io.StringIO()
            error = None
            try:
                with contextlib.redirect_stdout(out):
                    exec_cell(cell.source, namespace)
            except Exception as exc:  # noqa: BLE001 - a failed test is a verdict
                error = exc
            yield cell, error, out.getvalue()


def reference_namespace(tests: AssignmentTests) -> dict:
    """The reference solution's functions: its code and answer cells, run here."""
    namespace: dict = {"__name__": "__cnnbook_reference__"}
    for cell in tests.cells:
        if cell.kind in (CellKind.CODE, CellKind.ANSWER):
            exec_cell(cell.source, namespace)
    return namespace


def record(tests: AssignmentTests, seed: int) -> Recording:
    """Run the tests against the reference solution and record every graded call.

    Raises ``RuntimeError`` if the reference fails one of its own tests.
    """
    reference = reference_namespace(tests)
    session = Session("record", seed, reference=reference)
    with judge_mode.judged_by(session):
        for cell, error, _ in run_cells(tests, session, reference):
            if error is not None:
                raise RuntimeError(
                    f"the reference solution fails {cell.grade_id}: {type(error).__name__}: {error}"
                )
    functions = {n: reference[n] for n in tests.functions if callable(reference.get(n))}
    return Recording(tests, seed, session.calls, functions)
