"""The visible checks' data: known mistakes' results on the visible tests' inputs.

``misconceptions.json``, written beside each source notebook by
``tools/build_solutions.py`` and released with the notebook, lets the student's own
checks (:mod:`cnnbook.grading.likely_mistake`) name a likely mistake: for each visible
call (by the digest of its inputs), what each known mistake returns there. Data,
never code; computed here, in the trusted process, with the diagnosis's evaluation
(:mod:`cnnbook.grader.judging.diagnosis`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cnnbook.grader.judging.assignment_tests import AssignmentTests, Cell, CellKind
from cnnbook.grader.judging.diagnosis import Diagnoser, close, same_outcome
from cnnbook.grader.judging.misconceptions import Misconception
from cnnbook.grader.judging.running import reference_namespace, run_cells
from cnnbook.grader.judging.session import CallOutcome, Recording, Session
from cnnbook.grader.sandboxed import plaindata
from cnnbook.grading import judge_mode, likely_mistake

#: A visible call whose shipped results would hold more numbers than this is left out
#: of the release's data (its cell then gets no diagnosis in the notebook).
MAX_SHIPPED_NUMBERS = 20_000


def visible_tests(tests: AssignmentTests) -> AssignmentTests:
    """The assignment as the student's release runs it: test cells without hidden tests."""
    cells = [
        Cell(c.index, c.kind, c.grade_id,
                   c.visible_source if c.kind is CellKind.TEST else c.source, c.points)
        for c in tests.cells
    ]  # fmt: skip
    return AssignmentTests(tests.name, cells, tests.functions, tests.sandbox_modules)


def _numbers(value) -> int:
    if isinstance(value, np.ndarray):
        return value.size
    if isinstance(value, tuple | list):
        return sum(_numbers(v) for v in value)
    if isinstance(value, dict):
        return sum(_numbers(v) for v in value.values())
    return 1


def _reference_changes(call, reference: CallOutcome) -> list[int]:
    """The arguments the reference leaves changed after the call (an input array it
    writes into, a dict it updates): the student's notebook compares what the student
    changed with what each mistake changes beyond these."""
    try:
        args = plaindata.decode(call.args, call.blobs, resolve=lambda ref: None)
    except plaindata.NotPlainDataError:
        args = ()
    return sorted(
        i for i, (value, _) in reference.after.items()
        if not (i < len(args) and close(value, args[i], 0.0, 0.0))
    )  # fmt: skip


def _shipped(outcome: CallOutcome, reference: CallOutcome) -> dict:
    if outcome.raised is not None:
        return {"raised": [outcome.raised["type"], outcome.raised["message"]]}
    after = [
        [i, likely_mistake.to_json(value)]
        for i, (value, _) in sorted(outcome.after.items())
        if i not in reference.after or not close(value, reference.after[i][0], 0.0, 0.0)
    ]
    return {"value": likely_mistake.to_json(outcome.value), "after": after}


def visible_table(tests: AssignmentTests, catalogue: list[Misconception] | None = None):
    """What the visible checks need to name a mistake, as JSON-able data (no code).

    ``calls`` maps the digest of each visible call's inputs to, for each known mistake
    that fails that call's test cell there, ``"correct"`` (the mistake returns what the
    reference returns on this call) or what it returns (or raises) instead;
    ``misconceptions`` gives each mistake's line and rank (most specific first).

    Pairs of mistakes made together (:class:`~cnnbook.grader.judging.diagnosis.Pair`,
    the judge's next try when no single mistake explains a cell) are entries too, id
    ``first+second``, ranked after every single mistake in the order the judge tries
    them, so the visible check names two mistakes at once exactly when the judge does.
    """
    visible = visible_tests(tests)
    reference = reference_namespace(visible)
    # the digest of each call's inputs as the student's notebook computes it
    # (cnnbook.grading.likely_mistake.digest), noted before the call is recorded
    digests: list[str] = []
    session = Session("record", 0, reference=reference, on_record=lambda fn, args, kwargs:
                      digests.append(likely_mistake.digest(fn.name, args, kwargs)))  # fmt: skip
    with judge_mode.judged_by(session):
        for cell, error, _ in run_cells(visible, session, reference):
            if error is not None:
                raise RuntimeError(f"the reference fails the visible part of {cell.grade_id}")
    recording = Recording(visible, 0, session.calls)
    found = Diagnoser(recording, catalogue)
    table: dict = {}
    too_large: set[str] = set()
    used: dict[str, tuple] = {}  # id -> (line, rank key)
    for grade_id, cell in found.cells.items():
        if not cell.calls:
            continue
        upto = cell.calls[-1] + 1
        ref = found.outcomes(None, upto)
        tried = [(m, m.line, (0, found.rank(m))) for m in found.candidates(grade_id)]
        pairs = {p.id: (p.first, p.second) for p in found.pairs(grade_id)}
        tried += [(p.both, p.line, (1, found.rank(p.first), found.rank(p.second)))
                  for p in found.pairs(grade_id)]  # fmt: skip
        for m, line, rank in tried:
            theirs = found.outcomes(m, upto)
            if all(same_outcome(theirs[i], ref[i], cell.rtol, cell.atol) for i in cell.calls):
                continue  # not a mistake on this cell's visible inputs
            if "+" in m.id and any(
                all(same_outcome(theirs[i], mine[i], 0.0, 0.0) for i in cell.calls)
                for mine in (found.outcomes(p, upto) for p in pairs[m.id])
            ):
                continue  # a pair that behaves like one of its mistakes here: never named
            used[m.id] = (line, rank)
            for i in cell.calls:
                call = recording.calls[i]
                if call.cell != grade_id or call.mode not in ("call", "unchanged"):
                    continue  # the notebook notes only the cell's own calls through call()
                entry = table.setdefault(
                    digests[i],
                    {"fn": call.fn, "rtol": cell.rtol, "atol": cell.atol, "mistakes": {},
                     "changes": _reference_changes(call, ref[i])},
                )  # fmt: skip
                entry["rtol"], entry["atol"] = (
                    max(entry["rtol"], cell.rtol), max(entry["atol"], cell.atol)
                )
                alike = same_outcome(theirs[i], ref[i], 0.0, 0.0)
                if not alike and _numbers(theirs[i].value) > MAX_SHIPPED_NUMBERS:
                    too_large.add(digests[i])
                entry["mistakes"][m.id] = "correct" if alike else _shipped(theirs[i], ref[i])
    for key in too_large:
        del table[key]
    ranked = sorted(used, key=lambda mid: used[mid][1])
    return {
        "about": (
            "Known mistakes' results on the visible tests' inputs"
            " (cnnbook.grading.likely_mistake)."
        ),
        "assignment": tests.name,
        "misconceptions": {mid: {"line": used[mid][0], "rank": r}
                           for r, mid in enumerate(ranked)},
        "calls": table,
    }


def write_visible_table(source_notebook: Path, assignment: str) -> Path:
    """Write ``misconceptions.json`` beside an assignment's source notebook (released
    with it by nbgrader)."""
    tests = AssignmentTests.from_path(source_notebook, assignment)
    path = Path(source_notebook).parent / likely_mistake.DATA_FILE
    path.write_text(json.dumps(visible_table(tests), indent=None, sort_keys=True) + "\n")
    return path
