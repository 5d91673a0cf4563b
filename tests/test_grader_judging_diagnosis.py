"""The judge names the misconception (cnnbook.grader.judging.diagnosis), on the real assignments.

In-process grading as in tests/test_grader_judging_judge.py (the harness makes the recorded
calls on the student's namespace, the judge grades the decoded results): every
catalogued mistake submitted alone must get its own ``Likely mistake:`` line; correct
alternatives, the reference and random wrong answers (random arrays of the right
shape) must get none. The measured fractions go to test-artifacts/diagnosis.json.
"""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pytest

from cnnbook.grader.judging import diagnosis, judge, misconceptions, visible_table
from cnnbook.grader.sandboxed import harness
from cnnbook.grading import CHAPTERS
from tests import judge_harness
from tests.exercise_catalogue import ALTERNATIVES, MISTAKES
from tests.exercise_harness import ASSIGNMENTS, ROOT, reference_answers, solution_path
from tests.test_grader_judging_judge import grade


def recording(assignment: str):
    return judge_harness.recording(solution_path(assignment), assignment)


FAST = [a for a in ASSIGNMENTS if a != "ps07_training"]  # ps07 trains a network per student
RESULTS: dict[str, dict] = {}


def named(assignment: str, answers: dict[str, str], tmp_path) -> tuple[set[str], list]:
    _, _, verdicts = grade(assignment, answers, tmp_path)
    return {v.diagnosis for v in verdicts if v.diagnosis}, verdicts


def check_catalogue(assignment: str, tmp_path) -> None:
    answers = reference_answers(assignment)
    found, missed = [], []
    for m in misconceptions.for_assignment(assignment):
        ids, verdicts = named(assignment, {**answers, m.cell: m.source(answers[m.cell])}, tmp_path)
        lines = [v.message.splitlines()[-1] for v in verdicts if v.diagnosis == m.id]
        if lines and all(line == m.line for line in lines):
            found.append(m.id)
        else:
            missed.append((m.id, sorted(ids)))
        assert not any(v.passed and v.diagnosis for v in verdicts)
    RESULTS[assignment] = {"named": len(found), "total": len(found) + len(missed),
                           "not_named": missed}  # fmt: skip
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "diagnosis.json").write_text(json.dumps(RESULTS, indent=1))
    assert not missed, f"mistakes not named: {missed}"


@pytest.mark.parametrize("assignment", FAST)
def test_each_mistake_alone_is_named(assignment, tmp_path):
    check_catalogue(assignment, tmp_path)


@pytest.mark.slow
def test_each_ps07_mistake_alone_is_named(tmp_path):
    check_catalogue("ps07_training", tmp_path)


def randomized(value, rng):
    """``value`` with every number replaced by a random one (same types and shapes)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return rng.standard_normal(value.shape)
        return rng.integers(-3, 10, value.shape).astype(value.dtype)
    if isinstance(value, tuple | list):
        return type(value)(randomized(v, rng) for v in value)
    if isinstance(value, dict):
        return {k: randomized(v, rng) for k, v in value.items()}
    if isinstance(value, bool):
        return value
    if isinstance(value, int | np.integer):
        return int(rng.integers(-3, 30))
    if isinstance(value, float | np.floating):
        return float(rng.standard_normal())
    return value


def random_student(assignment: str, seed: int, tmp_path) -> list[judge.Verdict]:
    """Every graded function returns random numbers in the reference's types and shapes
    (and fills the dicts it updates in place with random arrays)."""
    rec = recording(assignment)
    reference = judge.reference_namespace(rec.tests)
    rng = np.random.default_rng(seed)
    namespace = dict(reference)

    def wrap(fn):
        def random_fn(*args, **kwargs):
            copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
            out = fn(*copies, **kwargs)
            for a in args:
                if isinstance(a, dict):
                    a.update(randomized(a, rng))
            return randomized(out, rng)

        return random_fn

    for name in rec.tests.functions:
        if callable(reference.get(name)):
            namespace[name] = wrap(reference[name])
    calls, results = tmp_path / "calls.json", tmp_path / "results.jsonl"
    calls.write_text(json.dumps(rec.payload()))
    harness.run_calls(namespace, str(calls), str(results))
    lines = [json.loads(line) for line in results.read_text().splitlines()]
    return judge.judge(rec, judge.decode_outcomes(rec, lines))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_diagnosis_for_correct_or_random_answers(assignment, tmp_path):
    answers = reference_answers(assignment)
    ids, verdicts = named(assignment, answers, tmp_path)
    assert all(v.passed for v in verdicts) and not ids
    for alternative in ALTERNATIVES:
        if alternative.assignment == assignment:
            cells = {k: textwrap.dedent(v).strip("\n") + "\n" for k, v in alternative.cells.items()}
            ids, verdicts = named(assignment, {**answers, **cells}, tmp_path)
            assert all(v.passed for v in verdicts) and not ids, alternative.name
    for seed in range(3):
        verdicts = random_student(assignment, seed, tmp_path)
        assert not all(v.passed for v in verdicts)
        wrong = [(v.grade_id, v.diagnosis) for v in verdicts if v.diagnosis]
        assert not wrong, f"random answers diagnosed: {wrong}"
        assert not any("Likely mistake" in v.message for v in verdicts)


def test_a_mistake_that_is_right_on_a_test_is_never_named():
    # "ignored stride" is correct whenever stride is 1: it must not be a candidate
    # on a cell whose calls all use stride 1, whatever the student returned.
    rec = recording("ps03_pooling")
    found = diagnosis.diagnoser(rec)
    ref = found.outcomes(None, len(rec.calls))
    stride = misconceptions.BY_ID["ps03.maxpool2d_forward.ignored-stride-windows-start-at-i-j"]
    for grade_id, cell in found.cells.items():
        theirs = found.outcomes(stride, cell.calls[-1] + 1)
        same = all(diagnosis.same_outcome(theirs[i], ref[i], cell.rtol, cell.atol)
                   for i in cell.calls)  # fmt: skip
        if same:  # the student answered like the reference on this cell: nothing named
            assert found.diagnose_cell(grade_id, ref) is None


def test_outcomes_compare_within_the_cells_tolerance():
    assert diagnosis.cell_tolerance("check_output(f, (x,), {}, e, rtol=1e-5, atol=1e-7)") == (
        1e-5, 1e-7)  # fmt: skip
    assert diagnosis.cell_tolerance("check_output(f, (x,), {}, e)") == (1e-6, 1e-9)
    a = np.array([1.0, 2.0])
    assert diagnosis.close(a, a + 1e-8) and not diagnosis.close(a, a + 1e-3)
    assert not diagnosis.close(a, a.astype(int)) and not diagnosis.close(3, 3.0)
    assert not diagnosis.close((a,), [a]) and diagnosis.close({"w": a}, {"w": a.copy()})
    assert diagnosis.close(np.array([np.nan]), np.array([np.nan]))
    boom = judge.CallOutcome(raised={"type": "ValueError", "mro": [], "message": "axes"})
    other = judge.CallOutcome(raised={"type": "ValueError", "mro": [], "message": "other"})
    assert diagnosis.same_outcome(boom, boom, 1e-6, 1e-9)
    assert not diagnosis.same_outcome(boom, other, 1e-6, 1e-9)
    assert not diagnosis.same_outcome(judge.CallOutcome(missing="no"), boom, 1e-6, 1e-9)


# ---------------------------------------------------------------------------- the data


def headings(chapter: str) -> set[str]:
    path = ROOT / f"{CHAPTERS[chapter][0]}.md"
    return {m.group(1).strip() for m in re.finditer(r"^##+ (.+)$", path.read_text(), re.M)}


def test_catalogue_entries_are_complete_and_point_to_existing_sections():
    ids = [m.id for m in misconceptions.MISCONCEPTIONS]
    assert len(ids) == len(set(ids)) == len(MISTAKES)
    for m in misconceptions.MISCONCEPTIONS:
        assert re.fullmatch(r"ps\d\d\.\w+\.[a-z0-9-]+", m.id), m.id
        assert m.cell in m.functions or m.cell in ("layers", "train"), m.id
        assert m.says.endswith(".") and m.says.count(". ") == 0, f"one sentence: {m.id}"
        assert not re.search(r"[`\[\]{}=]|\w\(", m.says), f"no code in the sentence: {m.id}"
        assert m.reread[1] in headings(m.reread[0]), f"{m.id}: no section {m.reread}"
        assert m.line.startswith("Likely mistake: ")


@pytest.mark.parametrize("assignment", FAST)
def test_declared_functions_cover_what_a_mistake_changes(assignment):
    """Each function whose results a mistake changes on the same inputs is declared
    (the judge only tries a mistake on tests of the functions it declares)."""
    rec = recording(assignment)
    found = diagnosis.diagnoser(rec)
    n = len(rec.calls)
    ref = found.outcomes(None, n)
    for m in misconceptions.for_assignment(assignment):
        theirs = found.outcomes(m, n)
        changed = {
            c.fn for c in rec.calls
            if not diagnosis._refs(c.args) + diagnosis._refs(c.kwargs)
            and not diagnosis.same_outcome(theirs[c.index], ref[c.index], 1e-6, 1e-9)
        }  # fmt: skip
        assert changed and changed <= set(m.functions), (m.id, changed)


def test_release_data_is_fresh_and_holds_no_code():
    a = "ps03_pooling"
    tests = judge.AssignmentTests.from_path(solution_path(a), a)
    fresh = json.loads(json.dumps(visible_table.visible_table(tests), sort_keys=True))
    for folder in ("solutions", "exercises"):
        shipped = json.loads((ROOT / folder / a / "misconceptions.json").read_text())
        assert shipped == fresh, f"{folder}/{a}: run python tools/build_solutions.py"
    for a in ASSIGNMENTS:
        text = (ROOT / "exercises" / a / "misconceptions.json").read_text()
        for code in ("def ", "import ", " = ", "np.", "lambda ", "###"):
            assert code not in text, (a, code)


def test_an_entry_that_no_longer_applies_is_skipped_not_fatal():
    a = "ps03_pooling"
    tests = judge.AssignmentTests.from_path(solution_path(a), a)
    rewritten = [
        judge.Cell(c.index, c.kind, c.grade_id,
                   c.source.replace("return out / (size * size)", "return out / size**2"),
                   c.points)
        for c in tests.cells
    ]  # fmt: skip
    found = diagnosis.Diagnoser(
        judge.record(judge.AssignmentTests(a, rewritten, tests.functions), 1)
    )
    kept = {m.id for m in found.catalogue}
    assert len(kept) == len(misconceptions.for_assignment(a)) - 3  # the 3 edits of that line
    assert "ps03.maxpool2d_forward.ignored-stride-windows-start-at-i-j" in kept
