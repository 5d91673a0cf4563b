"""Grading a function with the student's own helpers (``graded_with_reference``).

A test cell that starts with ``graded_with_reference("zero_pad", ...)`` grades a
function that the assignment asks to build on functions graded earlier. One mistake in
a helper must cost the helper's points only, yet nothing of the reference may enter the
sandbox. So the sandbox runs the student's function with the student's own helpers, and
records what those helpers were called with and returned
(:mod:`cnnbook.grader.sandboxed.helper_calls`); here, in the judge, a result that
differs from the reference's is compared with the result the **reference** function
gives when each of its helper calls is answered by the student's recorded result for
the same arguments (:func:`replayed`). If the student's result matches that, within the
cell's tolerance, the function is right given the student's helpers: the test code gets
the reference's recorded result, and the cell's output says the function was graded
with the student's own helpers. Otherwise the student's result is used, as it came.

The records are untrusted, so the replay is bounded. A recorded result is used only if
it is plain data of the same structure and kind of numbers as the reference helper's
result for the same arguments, of bounded size (:func:`same_form`: an array of at most
:data:`MAX_NUMBERS` entries, an integer at most 4x the reference's plus 16); otherwise,
and for a call the student never made, one that raised, or one past a truncated record,
the reference helper's own result is used. One replay makes at most
:data:`MAX_REPLAY_CALLS` helper calls in :data:`MAX_REPLAY_SECONDS`, one student's
replays take :data:`MAX_STUDENT_REPLAY_SECONDS` together, and any error gives no credit.

A degenerate expectation proves nothing: a test cell passes by replay only if some call
of the function, in any test cell, shows it works (:meth:`OwnHelpers.unshown`): right as it
came, or right against an *informative* expectation, of the reference's shapes (or of
other sizes with two or more entries along every axis: a wrong output size) and not all
entries equal where the reference's are not (:func:`informative`). So a helper
that returns a constant cannot make a function that returns zeros right, while an
honest helper mistake that happens to flatten one case (batch norm over the wrong axis,
on one channel) does not cost the whole test.
"""

from __future__ import annotations

import copy
import time
import types
import warnings
from dataclasses import dataclass, field

import numpy as np

from cnnbook.grader.judging.session import Call, CallOutcome
from cnnbook.grader.sandboxed import helper_calls, plaindata
from cnnbook.grading import likely_mistake
from cnnbook.grading.tolerances import ATOL, RTOL

#: Helper calls one replay may make, and the seconds it may take.
MAX_REPLAY_CALLS = helper_calls.MAX_HELPER_CALLS
MAX_REPLAY_SECONDS = 2.0
#: Seconds of replays for one student's whole submission (then: no more credit by replay).
MAX_STUDENT_REPLAY_SECONDS = 20.0
#: Entries of one recorded array at most (what the sandbox's record may hold).
MAX_NUMBERS = helper_calls.MAX_HELPER_BYTES // 8

_FAILED = object()  # a recorded call that raised


class HelperRecord:
    """What the student's helpers did during one graded call (decoded when needed)."""

    def __init__(self, node, blobs: list[bytes], max_bytes: int | None = None):
        self._node, self._blobs, self._max_bytes = node, blobs, max_bytes
        self._results: dict | None = None
        self.truncated = not isinstance(node, dict) or node.get("truncated") is not False

    def results(self) -> dict:
        """``(helper, arguments key) -> result`` (the first call of those arguments)."""
        if self._results is None:
            self._results = {}
            calls = self._node.get("calls") if isinstance(self._node, dict) else None
            for entry in (calls if isinstance(calls, list) else [])[:MAX_REPLAY_CALLS]:
                self._add(entry)
        return self._results

    def _add(self, entry) -> None:
        if not isinstance(entry, dict):
            return
        fn, key = entry.get("fn"), entry.get("key")
        if type(fn) is not str or type(key) is not str or len(key) != 64:
            return
        if "raised" in entry or "value" not in entry:
            self._results.setdefault((fn, key), _FAILED)
            return
        try:
            value = plaindata.decode(entry["value"], self._blobs, max_bytes=self._max_bytes)
        except plaindata.NotPlainDataError:
            value = _FAILED
        self._results.setdefault((fn, key), value)


class _ExhaustedError(Exception):
    """The replay ran over its bounds."""


def same_form(got, want) -> bool:
    """Whether the student's helper result ``got`` may stand in for the reference's
    ``want``: the same structure and kinds of numbers, arrays of any shape (a padding of
    the wrong axes is a result of the student's own) of at most :data:`MAX_NUMBERS`
    entries, integers at most 4x the reference's plus 16 (sizes the reference loops over)."""
    if isinstance(want, np.ndarray):
        return type(got) is np.ndarray and _kind(got) == _kind(want) and got.size <= MAX_NUMBERS
    if isinstance(want, tuple | list):
        return (type(got) is type(want) and len(got) == len(want)
                and all(same_form(g, w) for g, w in zip(got, want, strict=True)))  # fmt: skip
    if isinstance(want, dict):
        return (type(got) is dict and set(got) == set(want)
                and all(same_form(got[k], want[k]) for k in want))  # fmt: skip
    if want is None:
        return got is None
    if isinstance(want, bool | int | float | np.generic) and not isinstance(got, np.ndarray):
        if isinstance(got, bool | int | float | np.generic) and _kind(got) == _kind(want):
            return _kind(want) != "i" or abs(int(got)) <= 4 * abs(int(want)) + 16
    return False


def _kind(value) -> str:
    kind = np.asarray(value).dtype.kind
    return {"u": "i"}.get(kind, kind)


def _replayer(name: str, helper, record: HelperRecord, started: float, count: list[int]):
    """The reference's ``helper``, answered with the student's recorded results."""
    signature = helper_calls.signature_of(helper)
    results = record.results()

    def replay(*args, **kwargs):
        count[0] += 1
        if count[0] > MAX_REPLAY_CALLS or time.monotonic() - started > MAX_REPLAY_SECONDS:
            raise _ExhaustedError(name)
        key = helper_calls.arguments_key(signature, args, kwargs)
        want = helper(*args, **kwargs)
        got = results.get((name, key), _FAILED) if key is not None else _FAILED
        if got is _FAILED or not same_form(got, want):
            return want
        return copy.deepcopy(got)

    return replay


def replayed(reference, helpers, record: HelperRecord, args, kwargs):
    """``(True, result)`` of the reference function on the call's inputs, its helpers
    answered with the student's recorded results; ``(False, None)`` if it fails."""
    if not isinstance(reference, types.FunctionType):
        return False, None
    scope = dict(reference.__globals__)
    started, count = time.monotonic(), [0]
    for name in helpers:
        helper = reference.__globals__.get(name)
        if callable(helper):
            scope[name] = _replayer(name, helper, record, started, count)
    fn = types.FunctionType(reference.__code__, scope, reference.__name__,
                            reference.__defaults__, reference.__closure__)  # fmt: skip
    fn.__kwdefaults__ = reference.__kwdefaults__
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = fn(*copy.deepcopy(list(args)), **copy.deepcopy(dict(kwargs)))
        return True, plaindata.round_trip(value)
    except Exception:  # noqa: BLE001 - any error: no credit by replay
        return False, None


def informative(expected, reference) -> bool:
    """Whether the replayed ``expected`` can tell a function that works from one that
    does not: the reference's structure, arrays of the reference's shapes or of other
    sizes with at least two entries along every axis where the reference has two (a
    helper's wrong output size: the function still had to go over several windows, but
    not a helper that shrinks the work to one window), some array whose entries vary in
    the reference, and none whose entries vary there all equal here (what a helper
    returning a constant gives)."""
    pairs = _arrays(expected, reference)
    if pairs is None:
        return False
    varied = [(e, r) for e, r in pairs if r.size > 1 and not np.all(r == r.flat[0])]
    return bool(varied) and not any(e.size == 0 or np.all(e == e.flat[0]) for e, _ in varied)


def _like_shapes(got: tuple, want: tuple) -> bool:
    """The same shape, or the same axes each at least as long as ``min(2, want's)``."""
    if got == want:
        return True
    return len(got) == len(want) and all(g >= min(2, w) for g, w in zip(got, want, strict=True))


def _arrays(expected, reference) -> list | None:
    """The pairs of arrays of two results of one structure and like shapes, else None."""
    if isinstance(reference, np.ndarray):
        if type(expected) is not np.ndarray or not _like_shapes(expected.shape, reference.shape):
            return None
        return [(expected, reference)]
    if isinstance(reference, tuple | list):
        if type(expected) is not type(reference) or len(expected) != len(reference):
            return None
        pairs = [_arrays(e, r) for e, r in zip(expected, reference, strict=True)]
        return None if any(p is None for p in pairs) else [x for p in pairs for x in p]
    return []


def _close(got, want, rtol: float, atol: float) -> bool:
    if isinstance(got, plaindata.Opaque | plaindata.Ref):
        return False
    try:
        return likely_mistake.close(got, want, rtol, atol)
    except Exception:  # noqa: BLE001 - what cannot be compared is not close
        return False


@dataclass
class OwnHelpers:
    """Answers the judge's calls that name helpers (the session's ``own_helpers``)."""

    reference: dict  # the reference's graded functions by name (Recording.reference)
    tolerances: dict  # test cell -> (rtol, atol) its checks pass
    #: test cell -> the functions some call of it was credited by replay
    credited: dict[str, set[str]] = field(default_factory=dict)
    #: the functions some call showed to work, in any test cell: right as it came, or
    #: credited on an informative expectation
    shown: set[str] = field(default_factory=set)
    spent: float = 0.0  # seconds of replays so far

    def answer(self, call: Call, out: CallOutcome, args, kwargs):
        """The value the test code gets for ``call``: the student's result, or the
        reference's when the student's is right given the student's own helpers."""
        rtol, atol = self.tolerances.get(call.cell, (RTOL, ATOL))
        if _close(out.value, call.expected, rtol, atol):
            self.shown.add(call.fn)
            return out.value
        if out.helpers is None or self.spent > MAX_STUDENT_REPLAY_SECONDS:
            return out.value
        started = time.monotonic()
        done, expected = replayed(self.reference.get(call.fn), call.helpers, out.helpers,
                                  args, kwargs)  # fmt: skip
        self.spent += time.monotonic() - started
        if not done or not _close(out.value, expected, rtol, atol):
            return out.value
        self.credited.setdefault(call.cell, set()).add(call.fn)
        if informative(expected, call.expected):
            self.shown.add(call.fn)
        return copy.deepcopy(call.expected)

    def unshown(self, grade_id: str) -> str:
        """Why a test cell that passed by replay proves nothing, or "": a function it
        credited never showed, in any test cell, that it works (every replayed expectation
        flat or shrunk to one window: helpers that return constants). Asked once every
        cell has run."""
        unproven = sorted(self.credited.get(grade_id, set()) - self.shown)
        if not unproven:
            return ""
        names = ", ".join(unproven)
        return (f"{names} could not be graded with your own helper functions: with what they "
                "returned, every expected result of its tests has all entries equal or "
                f"a single window, so they cannot show that {names} works. "
                "Fix the helper functions first.")

    def note(self, grade_id: str) -> str:
        """The line a passed cell's output gets when a function was graded this way."""
        names = sorted(self.credited.get(grade_id, ()))
        if not names:
            return ""
        return (f"({', '.join(names)} graded with your own helper functions: their mistakes "
                "are counted in their own tests only)\n")
