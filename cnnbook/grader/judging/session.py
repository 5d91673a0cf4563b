"""The judge's session: what answers each call of a student's function in the test code.

:class:`StudentFunction` stands for a student's function in the judge's namespace; the
:class:`Session` answers its calls, from the reference (``record``: the call is noted
as a :class:`Call` of plain data, the sandbox's job) or from the student's decoded
:class:`CallOutcome` at the same position (``judge``). The grading helpers reach the
session through :mod:`cnnbook.grading.judge_mode`.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from cnnbook.grader.judging.assignment_tests import AssignmentTests
from cnnbook.grader.sandboxed import plaindata
from cnnbook.grader.sandboxed.plaindata import shift_blobs
from cnnbook.grading import describing, failures, judge_mode

#: Calls whose results the judge may hold at once, to bound its memory.
MAX_CALLS = 20_000


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
        session = judge_mode.session()
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
    helpers: tuple[str, ...] = ()  # the student's own, recorded during the call
    #: numbers in the reference's result and inputs: what a student's result may hold
    #: (a few times over) before the judge computes anything with it
    size: int = 0
    #: with helpers: the reference's result, plain data (judge side only, own_helpers)
    expected: object = field(default=None, repr=False)


@dataclass
class CallOutcome:
    """What the student's function did on one call, decoded."""

    value: object = None
    raised: dict | None = None  # {"type", "mro", "message"}
    after: dict = field(default_factory=dict)  # argument index -> (value, replaced keys)
    missing: str = ""  # why there is no result (the sandbox never got there)
    helpers: object = None  # own_helpers.HelperRecord: what the student's helpers did


@dataclass
class Recording:
    """The calls of one assignment's tests, and the seed their hidden inputs came from."""

    tests: AssignmentTests
    seed: int
    calls: list[Call]
    #: the reference's functions by name (their signatures name arguments in messages)
    reference: dict = field(default_factory=dict, repr=False)

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
        return {"calls": out, "blobs": plaindata.blobs_to_text(blobs)}


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

    def __init__(self, mode: str, seed: int, reference: dict | None = None, outcomes=None,
                 on_record=None):  # fmt: skip
        self.mode = mode
        #: called with (fn, args, kwargs) before each call is recorded (the visible
        #: checks' table notes the digest of the inputs, cnnbook.grader.judging.diagnosis)
        self.on_record = on_record
        self.seed = seed
        self.reference = reference or {}
        self.outcomes: list[CallOutcome] = outcomes or []
        self.calls: list[Call] = []
        self.position = 0
        self.cell = ""
        self.refs: dict[int, plaindata.Ref] = {}
        self._keep: list = []  # results kept alive, so that their ids stay unique
        self._digests: dict[int, bytes] = {}
        self.recorded: list[Call] = []  # judge mode: the recording's calls
        self.cell_start: dict[str, int] = {}
        self.helpers: tuple[str, ...] = ()  # graded_with_reference of the current cell
        #: judge mode: answers a call that names helpers (own_helpers.OwnHelpers.answer)
        self.own_helpers = None

    # -- helpers used by cnnbook.grading ------------------------------------------

    def handles(self, fn) -> bool:
        return isinstance(fn, StudentFunction)

    def use_reference(self, helpers) -> None:
        self.helpers = tuple(str(h) for h in helpers)

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
        if self.on_record is not None:
            self.on_record(fn, args, kwargs)
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
        self.calls[-1].size = max(count_numbers(value), count_numbers(list(args)),
                                  count_numbers(kwargs))
        if self.calls[-1].helpers:
            self.calls[-1].expected = plaindata.round_trip(value)
        self._register(index, value)
        return value

    def start_cell(self, grade_id: str) -> None:
        """Each cell starts at its own first recorded call, whatever the one before did."""
        self.cell = grade_id
        self.helpers = ()
        if self.mode == "judge":
            self.position = self.cell_start.get(grade_id, len(self.recorded))

    def _next(self, fn) -> tuple[int, CallOutcome]:
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

    def _outcome(self, fn, args, kwargs) -> tuple[int, CallOutcome]:
        index, out = self._next(fn)
        if not self._same_inputs(self.recorded[index], args, kwargs):
            raise AssertionError(
                f"{fn.name} could not be checked: the test's inputs differ from the recorded "
                "ones (the ones your function was run on); an earlier result changed them. "
                "Fix the failures above first."
            )
        if out.missing:
            raise AssertionError(
                f"In {describing.describe_call(fn, *args, **kwargs)}:\nthe call was not made: "
                f"{out.missing}."
            )
        return index, out

    def _replay(self, fn, args, kwargs, mode):
        index, out = self._outcome(fn, args, kwargs)
        if out.raised is not None:
            raise failures.raised_error(fn, args, kwargs, out.raised["type"], out.raised["message"],
                                        out.raised.get("where", ""))
        value = out.value
        if self.recorded[index].helpers and self.own_helpers is not None:
            value = self.own_helpers(self.recorded[index], out, args, kwargs)
        for i, (after, replaced) in out.after.items():
            if i < len(args) and isinstance(args[i], dict | list):  # arrays are copies
                _apply_after(args[i], after, replaced)
        # passed on unchanged, the student's result is the recording's reference to it
        self._register(index, value)
        return value

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
            raise failures.raised_error(fn, args, kwargs, out.raised["type"], out.raised["message"],
                                        out.raised.get("where", ""))
        for i in self.recorded[index].watch:
            after = out.after.get(i)
            changed = (
                after is None
                or not isinstance(after[0], np.ndarray)
                or after[0].shape != np.shape(before)
                or not np.array_equal(after[0], before, equal_nan=True)
            )
            if changed:
                failures.modified_input_error(name, fn, args, kwargs)

    def check_raises(self, fn, args, kwargs, exception, hint) -> None:
        if self.mode == "record":
            try:
                self._record(fn, args, kwargs, "raises", ())
            except exception:
                return
            raise RuntimeError(f"the reference {fn.name} does not raise {exception.__name__}")
        _, out = self._outcome(fn, args, kwargs)
        raised = out.raised and (out.raised["type"], out.raised["mro"], out.raised["message"])
        failures.judge_raises(fn, args, kwargs, exception, hint, raised, out.value)


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


def count_numbers(value, depth: int = 0) -> int:
    """How many numbers ``value`` holds (arrays, scalars, in containers)."""
    if isinstance(value, np.ndarray):
        return int(value.size)
    if depth < 12 and isinstance(value, tuple | list):
        return sum(count_numbers(v, depth + 1) for v in value)
    if depth < 12 and isinstance(value, dict):
        return sum(count_numbers(v, depth + 1) for v in value.values())
    return 1


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
