"""Naming the misconception behind a failed test: the judge's diagnosis.

When a test cell fails, the judge asks which known mistake
(:mod:`cnnbook.grader.judging.misconceptions`) behaves exactly like the student's code on that
cell's calls. Each candidate mistake is evaluated here, in the trusted process, the way
the reference is: the reference notebook's code and answer cells run with the mistake
applied to its answer cell, and the recorded calls (the same seed, so the same inputs)
are made on it by :func:`cnnbook.grader.sandboxed.harness.run_calls`, exactly as the sandbox made
them on the student's code. A mistake is named for a failed cell when

* it is meant to be named (``diagnose``) and changes a function the cell depends on,
* its results differ from the reference's on at least one of the cell's calls (so it
  is a mistake *there*: a correct answer can never match it), and
* the student's results equal the mistake's on **all** of the cell's calls, within the
  cell's tolerance (the loosest ``rtol``/``atol`` its checks use, by default those of
  :func:`cnnbook.grading.check_array`, ``atol`` scaled the same way), by behaviour, not
  by accident: a call that raised matches one that raised the same kind of failure
  (:func:`cnnbook.grading.likely_mistake.failure_class`: the exception type and what its
  message names, so ``np.dot`` and ``@`` refusing the same shapes are one failure), and
  a single value matches in an array of any shape of one element.

When no single mistake explains a cell, pairs of that answer cell's mistakes made
together are tried (:class:`~cnnbook.grader.judging.combined.Pair`, at most
:data:`~cnnbook.grader.judging.combined.MAX_PAIRS`), and a match names both. When no
pair does either, each call of the cell that fails is explained on its own
(:class:`~cnnbook.grader.judging.combined.CallLines`): a mistake whose every wrong
outcome on the cell's calls is the student's (its other outcomes are the reference's:
the student made it, and something else where it is right) explains the failing calls
where it is wrong; a line for each mistake that explains a call, the first failing
call's line as the student's notebook writes it at that call (which applies the same
rule to the calls it has seen).

A cell's calls are its own, plus the earlier calls whose results they take as inputs;
a test cell without calls of its own (ps07's loss curve) is judged on the calls of the
driver cells before it. When several mistakes match, the most specific is named: the
one that changes the fewest functions, then the lowest ``priority``, then the first in
the catalogue. None matches: nothing is added.

Mistakes are evaluated lazily, only for the functions a failed cell needs, and only up
to that cell's last call, and cached per recording (one assignment and seed): each is
evaluated at most once per grading run, whatever the number of students.
"""

from __future__ import annotations

import ast
import copy
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cnnbook.grader import cells
from cnnbook.grader.judging import misconceptions
from cnnbook.grader.judging.assignment_tests import AssignmentTests, CellKind
from cnnbook.grader.judging.combined import MAX_PAIRS, CallLines, Pair
from cnnbook.grader.judging.decoding import decode_outcomes
from cnnbook.grader.judging.misconceptions import Misconception
from cnnbook.grader.judging.running import exec_cell
from cnnbook.grader.judging.session import CallOutcome, Recording
from cnnbook.grader.judging.verdicts import Verdict
from cnnbook.grader.sandboxed import harness, plaindata
from cnnbook.grading import likely_mistake
from cnnbook.grading.describing import describe_call
from cnnbook.grading.tolerances import ATOL, RTOL

#: Recordings whose diagnosers are kept (one per assignment notebook of a grading run).
CACHE_SIZE = 8


# ---------------------------------------------------------------------------- comparing


def cell_tolerance(source: str) -> tuple[float, float]:
    """The loosest ``rtol`` and ``atol`` the checks of a test cell pass (or the defaults)."""
    rtol, atol = RTOL, ATOL
    try:
        tree = ast.parse(cells.blank_solution_markers(source))
    except SyntaxError:
        return rtol, atol
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, float | int):
                    if kw.arg == "rtol":
                        rtol = max(rtol, float(kw.value.value))
                    elif kw.arg == "atol":
                        atol = max(atol, float(kw.value.value))
    return rtol, atol


def close(got, want, rtol: float = RTOL, atol: float = ATOL,
          loose: bool = False) -> bool:
    """Whether the plain-data value ``got`` equals ``want`` within the tolerances: the
    comparison the visible checks use too (:func:`cnnbook.grading.likely_mistake.close`)."""
    if isinstance(got, plaindata.Opaque | plaindata.Ref) or isinstance(
        want, plaindata.Opaque | plaindata.Ref
    ):
        return False
    return likely_mistake.close(got, want, rtol, atol, loose)


def same_outcome(got: CallOutcome, want: CallOutcome, rtol: float, atol: float,
                 loose: bool = False) -> bool:
    """Whether two outcomes of one call are alike: the same exception (word for word, or
    with ``loose`` the same kind of failure, :func:`likely_mistake.failure_class`), or
    values and arguments left behind (in-place changes) equal within the tolerances
    (with ``loose``, a single value in any array of one element)."""
    if got.missing or want.missing:
        return False
    if got.raised is not None or want.raised is not None:
        if got.raised is None or want.raised is None:
            return False
        if loose:
            return likely_mistake.failure_class(
                got.raised["type"], got.raised["message"]
            ) == likely_mistake.failure_class(want.raised["type"], want.raised["message"])
        return (got.raised["type"] == want.raised["type"]
                and got.raised["message"] == want.raised["message"])
    if not close(got.value, want.value, rtol, atol, loose):
        return False
    if set(got.after) != set(want.after):
        return False
    return all(close(got.after[i][0], want.after[i][0], rtol, atol, loose) for i in want.after)


# ---------------------------------------------------------------------------- evaluating


def mistaken_namespace(tests: AssignmentTests, mistake: Misconception | None) -> dict:
    """The reference solution's namespace with ``mistake`` applied to its answer cell
    (as :func:`reference_namespace` builds it; ``None``: the reference itself)."""
    namespace: dict = {"__name__": "__cnnbook_mistake__"}
    for cell in tests.cells:
        if cell.kind is CellKind.CODE:
            exec_cell(cell.source, namespace)
        elif cell.kind is CellKind.ANSWER:
            source = cell.source
            if mistake is not None and cell.grade_id == mistake.cell:
                source = mistake.source(cell.source)
            try:
                exec_cell(source, namespace)
            except Exception:  # noqa: BLE001 - a mistaken cell may raise, as in a notebook
                pass
    return namespace


def run_calls(recording: Recording, namespace: dict, upto: int) -> list[CallOutcome]:
    """The outcomes of the recording's first ``upto`` calls made on ``namespace`` (the
    later ones ``missing``), through the same harness the sandbox uses."""
    payload = recording.payload()
    payload["calls"] = payload["calls"][:upto]
    with tempfile.TemporaryDirectory(prefix="cnnbook-diagnosis-") as tmp:
        calls, results = Path(tmp) / "calls.json", Path(tmp) / "results.jsonl"
        calls.write_text(json.dumps(payload))
        harness.run_calls(namespace, str(calls), str(results))
        lines = [json.loads(line) for line in results.read_text().splitlines()]
    return decode_outcomes(recording, lines)


def _refs(tree) -> list[int]:
    if isinstance(tree, list):
        return [i for v in tree for i in _refs(v)]
    if isinstance(tree, dict) and len(tree) == 1:
        ((tag, body),) = tree.items()
        if tag == "__ref__" and isinstance(body, list) and body:
            return [body[0]]
        if tag == "__tuple__":
            return _refs(body)
        if tag == "__dict__":
            return [i for _, v in body for i in _refs(v)]
    return []


def _applies(mistake: Misconception, tests: AssignmentTests) -> bool:
    """Whether the mistake can be made from this notebook's reference answer cell (a
    reference rewritten since the catalogue entry was written is skipped, not fatal)."""
    for cell in tests.cells:
        if cell.kind is CellKind.ANSWER and cell.grade_id == mistake.cell:
            try:
                mistake.source(cell.source)
            except ValueError:
                return False
            return True
    return False


class _Earlier:
    """An argument that is an earlier call's result, as a call's text shows it."""

    def __init__(self, ref):
        self.ref = ref

    def __repr__(self) -> str:
        return "<an earlier result>"


@dataclass
class CellCalls:
    """What a test cell is diagnosed on: call indices, their functions, its tolerance."""

    calls: list[int]
    functions: set[str]
    rtol: float
    atol: float


class Diagnoser:
    """The known mistakes of one recording (assignment and seed), evaluated on demand."""

    def __init__(self, recording: Recording, catalogue: list[Misconception] | None = None):
        self.recording = recording
        tests = recording.tests
        if catalogue is None:
            catalogue = misconceptions.for_assignment(tests.name)
        self.catalogue = [m for m in catalogue if m.diagnose and _applies(m, tests)]
        self._order = {m.id: i for i, m in enumerate(self.catalogue)}
        self._outcomes: dict[str | None, tuple[int, list[CallOutcome]]] = {}
        self.evaluations = 0  # harness runs made (for the cost measurements)
        self.cells = self._cell_calls()

    def _cell_calls(self) -> dict[str, CellCalls]:
        calls = self.recording.calls
        by_cell: dict[str, list[int]] = {}
        for c in calls:
            by_cell.setdefault(c.cell, []).append(c.index)
        out = {}
        drivers: list[int] = []
        for cell in self.recording.tests.cells:
            if cell.kind is CellKind.DRIVER:
                drivers += by_cell.get(cell.grade_id, [])
            if cell.kind is not CellKind.TEST:
                continue
            own = by_cell.get(cell.grade_id, []) or list(drivers)
            todo, seen = list(own), set()
            while todo:  # the earlier calls whose results flow into these
                i = todo.pop()
                if i in seen or not 0 <= i < len(calls):
                    continue
                seen.add(i)
                todo += _refs(calls[i].args) + _refs(calls[i].kwargs)
            rtol, atol = cell_tolerance(cell.source)
            out[cell.grade_id] = CellCalls(
                sorted(seen), {calls[i].fn for i in seen}, rtol, atol
            )
        return out

    def outcomes(self, mistake: Misconception | None, upto: int) -> list[CallOutcome]:
        """The mistake's (or, for ``None``, the reference's) outcomes on the first ``upto``
        calls at least; evaluated once, again only if more calls are needed later."""
        key = None if mistake is None else mistake.id
        done = self._outcomes.get(key)
        if done is None or done[0] < upto:
            upto = max(upto, done[0] if done else 0)
            namespace = mistaken_namespace(self.recording.tests, mistake)
            self._outcomes[key] = (upto, run_calls(self.recording, namespace, upto))
            self.evaluations += 1
        return self._outcomes[key][1]

    def candidates(self, grade_id: str) -> list[Misconception]:
        """The mistakes that change a function this test cell depends on."""
        cell = self.cells.get(grade_id)
        if cell is None or not cell.calls:
            return []
        return [m for m in self.catalogue if set(m.functions) & cell.functions]

    def _matches(self, cell: CellCalls, mistakes, student, upto: int) -> list:
        reference = self.outcomes(None, upto)
        matches = []
        for m in mistakes:
            theirs = self.outcomes(m, upto)
            wrong_there = any(
                not same_outcome(theirs[i], reference[i], cell.rtol, cell.atol)
                for i in cell.calls
            )
            if not wrong_there:
                continue
            if all(same_outcome(student[i], theirs[i], cell.rtol, cell.atol, loose=True)
                   for i in cell.calls):  # fmt: skip
                matches.append(m)
        return matches

    def rank(self, m: Misconception):
        """How specific a mistake is (lower first): fewest functions changed, then
        ``priority``, then catalogue order."""
        return (len(m.functions), m.priority, self._order[m.id])

    def pairs(self, grade_id: str) -> list[Pair]:
        """Two mistakes of one answer cell made together, for the cells no single mistake
        explains: every pair of this cell's candidates whose edits apply together (most
        specific first, at most :data:`MAX_PAIRS`)."""
        found = []
        tests = self.recording.tests
        mistakes = sorted((m for m in self.candidates(grade_id) if m.code is None),
                          key=self.rank)  # fmt: skip
        for i, a in enumerate(mistakes):
            for b in mistakes[i + 1:]:
                if a.cell != b.cell or len(found) >= MAX_PAIRS:
                    continue
                pair = Pair(a, b)
                if _applies(pair.both, tests):
                    found.append(pair)
        return found

    def diagnose_cell(self, grade_id: str, student: list[CallOutcome]):
        """The most specific known mistake the student's outcomes match on this cell, or
        else the most specific pair of mistakes made together (a :class:`Pair`), or else
        the mistakes that explain single failing calls (:class:`CallLines`)."""
        cell = self.cells.get(grade_id)
        mistakes = self.candidates(grade_id)
        if not mistakes:
            return None
        upto = cell.calls[-1] + 1
        if any(i >= len(student) for i in cell.calls):
            return None
        if any((student[i].raised or {}).get("type") == "NotImplementedError" for i in cell.calls):
            return None  # a stub: no mistake raises that (matching compares exception types)
        matches = self._matches(cell, mistakes, student, upto)
        if matches:
            return min(matches, key=self.rank)
        pairs = self.pairs(grade_id)
        both = self._matches(cell, [p.both for p in pairs], student, upto)
        if both:
            return pairs[[p.both.id for p in pairs].index(both[0].id)]
        return self.per_call(grade_id, cell, mistakes, student, upto)

    def per_call(self, grade_id: str, cell: CellCalls, mistakes, student, upto: int):
        """Each failing call of the cell's own that one mistake explains on its own (see
        the module's docstring), as :class:`CallLines`; None when no call is explained."""
        reference = self.outcomes(None, upto)
        failing = [i for i in cell.calls if self.recording.calls[i].cell == grade_id
                   and not same_outcome(student[i], reference[i], cell.rtol, cell.atol)]
        found: dict[str, tuple[str, Misconception]] = {}
        explains: dict[str, set[int]] = {}
        for m in sorted(mistakes, key=self.rank):
            theirs = self.outcomes(m, upto)
            wrong = {i for i in cell.calls
                     if not same_outcome(theirs[i], reference[i], cell.rtol, cell.atol)}
            if all(same_outcome(student[i], theirs[i], cell.rtol, cell.atol, loose=True)
                   for i in wrong):  # fmt: skip
                explains[m.id] = wrong
        for k, i in enumerate(failing):
            for m in sorted(mistakes, key=self.rank):
                if i in explains.get(m.id, ()):
                    found.setdefault(m.id, ("" if k == 0 else self.describe(i), m))
                    break
        return CallLines(list(found.values())) if found else None

    def describe(self, i: int) -> str:
        """Recorded call ``i`` as the failure messages show a call (arrays by shape)."""
        call = self.recording.calls[i]
        try:
            args = plaindata.decode(call.args, call.blobs, resolve=_Earlier)
            kwargs = plaindata.decode(call.kwargs, call.blobs, resolve=_Earlier)
        except plaindata.NotPlainDataError:
            return f"{call.fn}(...)"
        fn = self.recording.reference.get(call.fn)
        if not callable(fn):  # arguments by position, under the function's name

            def fn():
                pass

            fn.__name__ = call.fn
        return describe_call(fn, *args, **dict(kwargs))

    def diagnose(self, verdicts: list[Verdict], student: list[CallOutcome]) -> None:
        """Add the ``Likely mistake:`` line to each failed verdict a known mistake explains
        (and its id to ``verdict.diagnosis``), in place."""
        for v in verdicts:
            if v.passed:
                continue
            found = self.diagnose_cell(v.grade_id, student)
            if found is not None:
                v.diagnosis = found.id
                v.message = f"{v.message.rstrip()}\n{found.line}"


def snapshot(outcomes: list[CallOutcome]) -> list[CallOutcome]:
    """A copy of the student's outcomes that the judge's replay cannot change."""
    return copy.deepcopy(outcomes)


_CACHE: dict[int, tuple[Recording, Diagnoser]] = {}


def diagnoser(recording: Recording) -> Diagnoser:
    """The diagnoser of a recording, cached for as long as the grading run uses it."""
    entry = _CACHE.get(id(recording))
    if entry is None or entry[0] is not recording:
        while len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        entry = _CACHE[id(recording)] = (recording, Diagnoser(recording))
    return entry[1]


def annotate(recording: Recording, outcomes, verdicts: list[Verdict]) -> None:
    """The judge's hook: name the likely mistake of each failed verdict, in place.

    Never fatal: a diagnosis that cannot be made leaves the verdict as it was.
    """
    if all(v.passed for v in verdicts):
        return
    try:
        diagnoser(recording).diagnose(verdicts, outcomes)
    except Exception:  # noqa: BLE001 - feedback without a diagnosis is still feedback
        pass
