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

Only plain data crosses from the sandbox (:mod:`cnnbook.grader.sandboxed.plaindata`): whatever
the student's code did in its own process, a grade is decided here.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import inspect
import io
import math
import re
import warnings
from dataclasses import dataclass, field
from enum import Enum

import nbformat
import numpy as np

from cnnbook import grading
from cnnbook.grader.sandboxed import plaindata
from cnnbook.grader.sandboxed.plaindata import shift_blobs

HIDDEN_RE = re.compile(r"[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S)
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*$", re.M)
#: Calls whose results the judge may hold at once, to bound its memory.
MAX_CALLS = 20_000


class CellKind(str, Enum):
    ANSWER = "answer"  # the student's code (a solution region)
    CODE = "code"  # locked instructor code run in both places (imports, data)
    DRIVER = "driver"  # locked instructor code that calls the student's functions
    TEST = "test"  # a graded test cell
    OTHER = "other"  # markdown, unlocked scratch cells


@dataclass(frozen=True)
class Cell:
    index: int
    kind: CellKind
    grade_id: str
    source: str
    points: float = 0.0

    @property
    def visible_source(self) -> str:
        """The test cell as the student's release shows it (hidden tests removed)."""
        return HIDDEN_RE.sub("", self.source).rstrip()


def cell_kind(cell) -> CellKind:
    meta = cell.get("metadata", {})
    nbg = meta.get("nbgrader", {})
    if cell.get("cell_type") != "code":
        return CellKind.OTHER
    if nbg.get("solution"):
        return CellKind.ANSWER
    if nbg.get("grade"):
        return CellKind.TEST
    if meta.get("cnnbook", {}).get("role") == "driver":
        return CellKind.DRIVER
    if nbg.get("locked"):
        return CellKind.CODE
    return CellKind.OTHER


def defined_names(source: str) -> list[str]:
    """Top-level names an answer cell defines (functions, classes, imports, assignments)."""
    try:
        tree = ast.parse(SOLUTION_MARKERS.sub("", source))
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    return names


@dataclass
class AssignmentTests:
    """An assignment's cells as the judge needs them, from its instructor source notebook."""

    name: str
    cells: list[Cell]
    functions: list[str]
    sandbox_modules: tuple[str, ...] = ()

    @classmethod
    def from_notebook(cls, nb, name: str = "") -> AssignmentTests:
        cells = []
        functions: list[str] = []
        for i, cell in enumerate(nb.cells):
            kind = cell_kind(cell)
            nbg = cell.get("metadata", {}).get("nbgrader", {})
            cells.append(
                Cell(i, kind, nbg.get("grade_id", f"cell-{i}"), cell.source,
                     float(nbg.get("points", 0) or 0))
            )  # fmt: skip
            if kind is CellKind.ANSWER:
                functions += [n for n in defined_names(cell.source) if n not in functions]
        meta = nb.metadata.get("cnnbook", {})
        return cls(name, cells, functions, tuple(meta.get("sandbox_modules", ())))

    @classmethod
    def from_path(cls, path, name: str = "") -> AssignmentTests:
        return cls.from_notebook(nbformat.read(str(path), as_version=4), name)

    @property
    def tests(self) -> list[Cell]:
        return [c for c in self.cells if c.kind is CellKind.TEST]


# ---------------------------------------------------------------------------- calls


class StudentFunction:
    """Stands for one of the student's functions in the judge's namespace."""

    def __init__(self, name: str, reference=None):
        self.__name__ = self.__qualname__ = name
        self.name = name
        try:
            self.__signature__ = inspect.signature(reference) if reference else None
        except (TypeError, ValueError):
            self.__signature__ = None

    def __call__(self, *args, **kwargs):
        session = grading._JUDGE
        if session is None:
            raise RuntimeError(f"{self.name} is the student's function: only the judge calls it")
        return session.call(self, args, kwargs, "direct")

    def __repr__(self) -> str:
        return f"<the student's {self.name}>"


@dataclass
class Call:
    """One recorded call: the student's function ``fn`` on plain-data inputs."""

    index: int
    cell: str
    fn: str
    mode: str  # call | direct | unchanged | raises
    args: object  # plain-data tree
    kwargs: object
    blobs: list[bytes]
    watch: list[int] = field(default_factory=list)  # arguments whose state after matters
    helpers: tuple[str, ...] = ()  # the course's versions of these, during the call
    #: numbers in the reference's result and inputs: what a student's result may hold
    #: (a few times over) before the judge computes anything with it
    size: int = 0


@dataclass
class Outcome:
    """What the student's function did on one call, decoded."""

    value: object = None
    raised: dict | None = None  # {"type", "mro", "message"}
    after: dict = field(default_factory=dict)  # argument index -> (value, replaced keys)
    missing: str = ""  # why there is no result (the sandbox never got there)


@dataclass
class Recording:
    """The calls of one assignment's tests, and the seed their hidden inputs came from."""

    tests: AssignmentTests
    seed: int
    calls: list[Call]
    #: the reference's functions by name (their signatures name arguments in messages)
    reference: dict = field(default_factory=dict, repr=False)
    #: source of each reference helper some call runs with (graded_with_reference)
    helper_sources: dict[str, str] = field(default_factory=dict, repr=False)

    def payload(self) -> dict:
        """The calls as the sandbox receives them (JSON, arrays as base64 ``.npy``)."""
        blobs: list[bytes] = []
        out = []
        for c in self.calls:
            offset = len(blobs)
            blobs += c.blobs
            # neither the mode nor the watched arguments: the sandbox is not told what
            # a call checks
            spec = {
                "fn": c.fn,
                "args": shift_blobs(c.args, offset),
                "kwargs": shift_blobs(c.kwargs, offset),
            }
            if c.helpers:
                spec["helpers"] = list(c.helpers)
            out.append(spec)
        payload = {"calls": out, "blobs": plaindata.blobs_to_text(blobs)}
        if self.helper_sources:
            payload["helper_sources"] = dict(self.helper_sources)
        return payload


def _container_items(value):
    if isinstance(value, tuple | list):
        return list(enumerate(value))
    if isinstance(value, dict):
        return list(value.items())
    return []


def _tracked(value) -> bool:
    """Whether a result can be told apart by identity (not a small immutable value that
    Python may share between unrelated places)."""
    return not isinstance(
        value, bool | int | float | str | complex | bytes | type(None) | np.generic
    )


class Session:
    """Answers the calls of the grading helpers while the judge runs test code.

    In ``record`` mode a call is answered by the reference and recorded; in ``judge``
    mode by the student's outcome for the call at the same position.
    """

    def __init__(self, mode: str, seed: int, reference: dict | None = None, outcomes=None):
        self.mode = mode
        self.seed = seed
        self.reference = reference or {}
        self.outcomes: list[Outcome] = outcomes or []
        self.calls: list[Call] = []
        self.position = 0
        self.cell = ""
        self.refs: dict[int, plaindata.Ref] = {}
        self._keep: list = []  # results kept alive, so that their ids stay unique
        self._digests: dict[int, bytes] = {}
        self.recorded: list[Call] = []  # judge mode: the recording's calls
        self.cell_start: dict[str, int] = {}
        self.helpers: tuple[str, ...] = ()  # graded_with_reference of the current cell
        self.helpers_used: set[str] = set()

    # -- helpers used by cnnbook.grading ------------------------------------------

    def handles(self, fn) -> bool:
        return isinstance(fn, StudentFunction)

    def use_reference(self, helpers) -> None:
        self.helpers = tuple(str(h) for h in helpers)
        self.helpers_used |= set(self.helpers)

    def rng(self, tag) -> np.random.Generator:
        return np.random.default_rng([int(self.seed), int(tag)])

    # -- references to earlier results --------------------------------------------

    def _register(self, index: int, value) -> None:
        items = [((), value)] + [((k,), v) for k, v in _container_items(value)]
        for path, item in items:
            if _tracked(item) and id(item) not in self.refs:
                self.refs[id(item)] = plaindata.Ref(index, path)
                self._digests[id(item)] = _digest(item)
                self._keep.append(item)

    def _live_refs(self, args) -> dict[int, plaindata.Ref]:
        """References for arguments that are earlier results, unchanged since.

        Only whole arguments: an item of a dict or list the test built (or changed) is
        sent by value, so that what the sandbox computes on is what the test computes
        its expected values from.
        """
        live = {}
        for value in args:
            ref = self.refs.get(id(value))
            if ref is not None and self._digests.get(id(value)) == _digest(value):
                live[id(value)] = ref
        return live

    # -- the calls --------------------------------------------------------------------

    def call(self, fn: StudentFunction, args, kwargs, mode: str = "call"):
        if self.mode == "record":
            return self._record(fn, args, kwargs, mode, self._containers(args))
        return self._replay(fn, args, kwargs, mode)

    @staticmethod
    def _containers(args) -> list[int]:
        """Arguments a call may change in place where the caller sees it (dicts, lists)."""
        return [i for i, a in enumerate(args) if isinstance(a, dict | list)]

    def _record(self, fn, args, kwargs, mode, watch):
        if len(self.calls) >= MAX_CALLS:
            raise RuntimeError(f"the tests make more than {MAX_CALLS} calls")
        refs = self._live_refs(list(args) + list(kwargs.values()))
        enc = plaindata.Encoder(refs, strict=True)
        tree_args = enc.encode(list(args))
        tree_kwargs = enc.encode(dict(kwargs))
        index = len(self.calls)
        self.calls.append(
            Call(index, self.cell, fn.name, mode, tree_args, tree_kwargs, enc.blobs, list(watch),
                 tuple(h for h in self.helpers if h != fn.name))
        )  # fmt: skip
        reference = self.reference[fn.name]
        if mode in ("call", "direct"):
            args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = reference(*args, **kwargs)
        self.calls[-1].size = max(_numbers(value), _numbers(list(args)), _numbers(kwargs))
        self._register(index, value)
        return value

    def start_cell(self, grade_id: str) -> None:
        """Each cell starts at its own first recorded call, whatever the one before did."""
        self.cell = grade_id
        self.helpers = ()
        if self.mode == "judge":
            self.position = self.cell_start.get(grade_id, len(self.recorded))

    def _next(self, fn) -> tuple[int, Outcome]:
        index = self.position
        self.position += 1
        if (
            index >= len(self.recorded)
            or self.recorded[index].fn != fn.name
            or self.recorded[index].cell != self.cell
        ):
            raise AssertionError(
                f"{fn.name} could not be checked here: an earlier result changed the course "
                "of this test, so its inputs are not the ones your function was run on. Fix "
                "the failures above first."
            )
        return index, self.outcomes[index]

    def _outcome(self, fn, args, kwargs) -> tuple[int, Outcome]:
        index, out = self._next(fn)
        if not self._same_inputs(self.recorded[index], args, kwargs):
            raise AssertionError(
                f"{fn.name} could not be checked: the test's inputs differ from the recorded "
                "ones (the ones your function was run on); an earlier result changed them. "
                "Fix the failures above first."
            )
        if out.missing:
            raise AssertionError(
                f"In {grading.describe_call(fn, *args, **kwargs)}:\nthe call was not made: "
                f"{out.missing}."
            )
        return index, out

    def _replay(self, fn, args, kwargs, mode):
        index, out = self._outcome(fn, args, kwargs)
        if out.raised is not None:
            raise grading.raised_error(fn, args, kwargs, out.raised["type"], out.raised["message"])
        for i, (value, replaced) in out.after.items():
            if i < len(args) and isinstance(args[i], dict | list):  # arrays are copies
                _apply_after(args[i], value, replaced)
        # passed on unchanged, the student's result is the recording's reference to it
        self._register(index, out.value)
        return out.value

    def _same_inputs(self, call: Call, args, kwargs) -> bool:
        """Whether the test code gave this call the inputs it was recorded with (the
        ones the sandbox ran the student's function on): same structure, shapes and
        dtypes, equal values up to rounding (1e-9 relative), earlier results passed on
        by reference as they were when recorded."""
        refs = self._live_refs(list(args) + list(kwargs.values()))
        enc = plaindata.Encoder(refs, strict=False)
        try:
            now = [enc.encode(list(args)), enc.encode(dict(kwargs))]
            return _same_tree([call.args, call.kwargs], call.blobs, now, enc.blobs)
        except Exception:  # noqa: BLE001 - anything odd is "not the same"
            return False

    # -- check_unchanged and check_raises -------------------------------------------

    def check_unchanged(self, name, before, fn, args, kwargs) -> None:
        if self.mode == "record":
            watch = [i for i, a in enumerate(args) if a is before]
            self._record(fn, args, kwargs, "unchanged", watch)
            return
        index, out = self._outcome(fn, args, kwargs)
        if out.raised is not None:
            raise grading.raised_error(fn, args, kwargs, out.raised["type"], out.raised["message"])
        for i in self.recorded[index].watch:
            after = out.after.get(i)
            changed = (
                after is None
                or not isinstance(after[0], np.ndarray)
                or after[0].shape != np.shape(before)
                or not np.array_equal(after[0], before, equal_nan=True)
            )
            if changed:
                grading.modified_input_error(name, fn, args, kwargs)

    def check_raises(self, fn, args, kwargs, exception, hint) -> None:
        if self.mode == "record":
            try:
                self._record(fn, args, kwargs, "raises", ())
            except exception:
                return
            raise RuntimeError(f"the reference {fn.name} does not raise {exception.__name__}")
        _, out = self._outcome(fn, args, kwargs)
        raised = None if out.raised is None else (out.raised["type"], out.raised["mro"])
        grading.judge_raises(fn, args, kwargs, exception, hint, raised, out.value)


def _same_tree(a, blobs_a, b, blobs_b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(
            _same_tree(x, blobs_a, y, blobs_b) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return False
        for key in ("__array__", "__scalar__"):
            if key in a:
                return _same_array(blobs_a[a[key]], blobs_b[b[key]])
        return all(_same_tree(a[k], blobs_a, b[k], blobs_b) for k in a)
    if isinstance(a, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (a != a and b != b)
    return a == b


def _same_array(blob_a: bytes, blob_b: bytes) -> bool:
    if blob_a == blob_b:
        return True
    a, b = (np.load(io.BytesIO(x), allow_pickle=False) for x in (blob_a, blob_b))
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind == "f":
        return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))
    return bool(np.array_equal(a, b))


def _numbers(value, depth: int = 0) -> int:
    """How many numbers ``value`` holds (arrays, scalars, in containers)."""
    if isinstance(value, np.ndarray):
        return int(value.size)
    if depth < 12 and isinstance(value, tuple | list):
        return sum(_numbers(v, depth + 1) for v in value)
    if depth < 12 and isinstance(value, dict):
        return sum(_numbers(v, depth + 1) for v in value.values())
    return 1


def _bounded(value, call: Call):
    """A student's result far bigger than the reference's (or than the inputs) is not
    compared at all: a broadcast against it could make the judge grow to gigabytes."""
    most = 4 * call.size + 4096
    n = _numbers(value)
    if n > most:
        return plaindata.Opaque(f"a result of {n} numbers where about {call.size} are expected")
    return value


def _digest(value) -> bytes:
    try:
        tree, blobs = plaindata.encode(value)
    except Exception:  # noqa: BLE001
        return b"?"
    h = hashlib.sha256(repr(tree).encode())
    for b in blobs:
        h.update(b)
    return h.digest()


def _apply_after(target, value, replaced) -> None:
    """Make the judge's argument ``target`` what the student's call left it as."""
    if isinstance(target, dict) and isinstance(value, dict):
        for key in list(target):
            if key not in value:
                del target[key]
        for key, new in value.items():
            old = target.get(key)
            same_object = key not in replaced
            if (
                same_object
                and isinstance(old, np.ndarray)
                and isinstance(new, np.ndarray)
                and old.shape == new.shape
            ):
                with np.errstate(all="ignore"):
                    old[...] = new
            else:
                target[key] = new
    elif isinstance(target, list) and isinstance(value, list):
        target[:] = value


# ---------------------------------------------------------------------------- running


def _exec(source: str, namespace: dict) -> None:
    code = compile(SOLUTION_MARKERS.sub("", source), "<cell>", "exec")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        exec(code, namespace)  # noqa: S102 - instructor code from the source notebook


@dataclass
class Verdict:
    """The judge's decision on one test cell."""

    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""  # why it failed, in the course's words
    stdout: str = ""  # what the test printed (e.g. the accuracy reached)
    diagnosis: str = ""  # id of the known mistake named in the message (diagnosis.py)


@contextlib.contextmanager
def _installed(session: Session):
    previous = grading._JUDGE
    grading._JUDGE = session
    try:
        yield session
    finally:
        grading._JUDGE = previous


def _run_cells(tests: AssignmentTests, session: Session, reference: dict | None):
    """Run the cells in order in a fresh namespace; yield (cell, error, stdout) per
    driver and test cell."""
    namespace: dict = {"__name__": "__cnnbook_judge__"}
    for cell in tests.cells:
        if cell.kind is CellKind.CODE:
            _exec(cell.source, namespace)
        elif cell.kind is CellKind.ANSWER:
            for name in defined_names(cell.source):
                namespace[name] = StudentFunction(name, (reference or {}).get(name))
        elif cell.kind in (CellKind.DRIVER, CellKind.TEST):
            session.start_cell(cell.grade_id)
            out = io.StringIO()
            error = None
            try:
                with contextlib.redirect_stdout(out):
                    _exec(cell.source, namespace)
            except Exception as exc:  # noqa: BLE001 - a failed test is a verdict
                error = exc
            yield cell, error, out.getvalue()


def reference_namespace(tests: AssignmentTests) -> dict:
    """The reference solution's functions: its code and answer cells, run here."""
    namespace: dict = {"__name__": "__cnnbook_reference__"}
    for cell in tests.cells:
        if cell.kind in (CellKind.CODE, CellKind.ANSWER):
            _exec(cell.source, namespace)
    return namespace


def record(tests: AssignmentTests, seed: int) -> Recording:
    """Run the tests against the reference solution and record every graded call.

    Raises ``RuntimeError`` if the reference fails one of its own tests.
    """
    reference = reference_namespace(tests)
    session = Session("record", seed, reference=reference)
    with _installed(session):
        for cell, error, _ in _run_cells(tests, session, reference):
            if error is not None:
                raise RuntimeError(
                    f"the reference solution fails {cell.grade_id}: {type(error).__name__}: {error}"
                )
    functions = {n: reference[n] for n in tests.functions if callable(reference.get(n))}
    helpers = {name: helper_source(tests, name) for name in sorted(session.helpers_used)}
    return Recording(tests, seed, session.calls, functions, helpers)


def helper_source(tests: AssignmentTests, name: str) -> str:
    """The reference answer cell that defines ``name`` (markers removed), for the sandbox
    to run the student's later functions with (see grading.graded_with_reference)."""
    for cell in tests.cells:
        if cell.kind is CellKind.ANSWER and name in defined_names(cell.source):
            return SOLUTION_MARKERS.sub("", cell.source)
    raise RuntimeError(f"graded_with_reference: no answer cell defines {name!r}")


def decode_outcomes(recording: Recording, lines: list[dict], max_bytes: int | None = None):
    """The student's outcomes from the harness's result lines (untrusted), one per call.

    A call without a well-formed line gets ``missing`` set; a value that is not plain
    data becomes :class:`plaindata.Opaque`.
    """
    by_index: dict[int, dict] = {}
    for line in lines:
        if isinstance(line, dict) and type(line.get("index")) is int:
            by_index.setdefault(line["index"], line)
    outcomes: list[Outcome] = []
    for call in recording.calls:
        line = by_index.get(call.index)
        if line is None:
            outcomes.append(Outcome(missing=_why_missing(call, by_index)))
            continue
        try:
            blobs = plaindata.text_to_blobs(line.get("blobs", []))
            if "raised" in line:
                raised = line["raised"]
                if not isinstance(raised, dict):
                    raise plaindata.NotPlainDataError("a bad exception record")
                mro = raised.get("mro") if isinstance(raised.get("mro"), list) else []
                outcomes.append(
                    Outcome(raised={
                        "type": str(raised.get("type", "Exception"))[:100],
                        "mro": [str(m)[:100] for m in mro[:20]],
                        "message": str(raised.get("message", ""))[:2000],
                    })
                )  # fmt: skip
                continue
            value = _bounded(plaindata.decode(line.get("value"), blobs, max_bytes=max_bytes), call)
            after = {}
            for item in line.get("after", []) or []:
                if isinstance(item, list) and len(item) == 2 and type(item[0]) is int:
                    entry = item[1] if isinstance(item[1], dict) else {}
                    replaced = (
                        entry.get("replaced") if isinstance(entry.get("replaced"), list) else []
                    )
                    state = plaindata.decode(entry.get("value"), blobs, max_bytes=max_bytes)
                    after[item[0]] = (
                        _bounded(state, call),
                        [r for r in replaced if type(r) in (str, int)],
                    )
            outcomes.append(Outcome(value=value, after=after))
        except plaindata.NotPlainDataError as e:
            outcomes.append(Outcome(value=plaindata.Opaque(f"data the grader cannot read ({e})")))
    return outcomes


def _why_missing(call: Call, by_index) -> str:
    if not by_index or call.index > max(by_index):
        return "the notebook stopped before this call (an error, a time or memory limit)"
    return "no result came back for this call"


def judge(recording: Recording, outcomes: list[Outcome], diagnose: bool = True) -> list[Verdict]:
    """Run the tests again on the student's outcomes; one verdict per test cell.

    With ``diagnose``, a failed verdict whose calls behave exactly like a known mistake
    gets a ``Likely mistake:`` line (:mod:`cnnbook.grader.judging.diagnosis`).
    """
    from cnnbook.grader.judging import diagnosis

    # the test code may change what a call returned (a dict of parameters, say): the
    # diagnosis compares the outcomes as they came back
    pristine = diagnosis.snapshot(outcomes) if diagnose else []
    tests = recording.tests
    session = Session("judge", recording.seed, outcomes=outcomes)
    session.recorded = recording.calls
    for c in recording.calls:
        session.cell_start.setdefault(c.cell, c.index)
    verdicts = []
    with _installed(session):
        for cell, error, stdout in _run_cells(tests, session, recording.reference):
            if cell.kind is not CellKind.TEST:
                continue
            if error is None:
                verdicts.append(Verdict(cell.grade_id, cell.points, cell.points, True, "", stdout))
            else:
                verdicts.append(
                    Verdict(cell.grade_id, 0.0, cell.points, False, failure_message(error), stdout)
                )
    if diagnose:
        diagnosis.annotate(recording, pristine, verdicts)
    return verdicts


def failure_message(error: BaseException) -> str:
    if isinstance(error, AssertionError):
        text = str(error).strip()
        return text or "a check of this test failed"
    return (
        f"the test could not finish with what your code returned: {type(error).__name__}: {error}"
    )
