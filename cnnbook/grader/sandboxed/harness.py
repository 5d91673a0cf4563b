"""The graded calls, run inside the student's kernel (in the sandbox).

After the student's notebook has run, the runner executes one more cell that calls
:func:`run_calls`: it calls the student's functions, by name, on the judge's inputs
and writes what came back as plain data (:mod:`cnnbook.grader.sandboxed.plaindata`), one JSON
line per call, so that the calls finished before a timeout still count.

Nothing here is trusted. The student's code runs in this process and may replace this
module, rewrite this cell or write the results file itself; all it can produce is
plain data, which the judge decodes strictly and compares with values the sandbox
never sees. A lie here can only claim results, and claiming the right results means
computing them.

A call that names helpers (``graded_with_reference``: names only, never code) runs
with the student's own functions of those names wrapped in recorders
(:mod:`cnnbook.grader.sandboxed.helper_calls`); the line then carries what they were
called with and returned, so that the judge can grade the call with the student's own
helpers.
"""

from __future__ import annotations

import contextlib
import json
import signal
import warnings

import numpy as np

from cnnbook.grader.sandboxed import helper_calls, plaindata


class CallTimeoutError(Exception):
    """A graded call ran over its time limit."""


@contextlib.contextmanager
def _time_limit(seconds):
    """Raise :class:`CallTimeoutError` in this (the kernel's main) thread after
    ``seconds``; no limit if ``seconds`` is falsy."""
    if not seconds:
        yield
        return

    def expire(signum, frame):
        raise CallTimeoutError(f"the call did not return within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _recorded_helpers(namespace: dict, recorder, names):
    """The student's own functions ``names`` (those defined and callable) wrapped in
    ``recorder`` during one call (:mod:`.helper_calls`), then the names given back
    whatever the call did to them."""
    names = [n for n in names if isinstance(n, str) and callable(namespace.get(n))]
    saved = {n: namespace[n] for n in names}
    for n in names:
        namespace[n] = recorder.wrap(n, saved[n])
    try:
        yield
    finally:
        for n, old in saved.items():
            namespace[n] = old


def _where(exc: BaseException) -> dict | None:
    """The student's line that raised ``exc`` (cell label, line, function, source), as
    plain data of bounded size; None if there is none or it cannot be found."""
    try:
        from cnnbook.grading import raised_where

        return raised_where(exc)
    except Exception:  # noqa: BLE001 - the failure itself still goes back
        return None


def _walk(value, path):
    for key in path:
        value = value[key]
    return value


def _ids(value) -> dict:
    """``id`` of each element of a container argument, by key."""
    if isinstance(value, dict):
        return {k: id(v) for k, v in value.items()}
    if isinstance(value, list):
        return dict(enumerate(id(v) for v in value))
    return {}


def run_calls(namespace: dict, calls_path: str, results_path: str) -> None:
    """Make each call of ``calls_path`` and write one result line per call.

    A call does not say what the judge will check: every argument that is an array, a
    dict or a list is sent back as the call left it, whatever the test.
    """
    with open(calls_path) as f:
        payload = json.load(f)
    inputs = plaindata.text_to_blobs(payload["blobs"])
    call_timeout = payload.get("call_timeout")
    job_budget = [helper_calls.MAX_JOB_HELPER_BYTES]
    results: dict[int, object] = {}
    timed_out: set[str] = set()  # a function that ran over its limit once is not run again

    def resolve(ref):
        if ref.call not in results:
            raise LookupError(f"call {ref.call} has no result")
        value = _walk(results[ref.call], ref.path)
        return value.copy() if isinstance(value, np.ndarray) else value

    with open(results_path, "w") as out:
        for index, spec in enumerate(payload["calls"]):
            line: dict = {"index": index}
            enc = plaindata.Encoder()
            args: list = []
            before: list = []
            helpers = spec.get("helpers") or []
            recorder = helper_calls.Recorder(enc, job_budget) if helpers else None
            try:
                fn = namespace.get(spec["fn"])
                args = list(plaindata.decode(spec["args"], inputs, resolve))
                kwargs = plaindata.decode(spec["kwargs"], inputs, resolve)
                before = [_ids(a) for a in args]
                if fn is None or not callable(fn):
                    raise NameError(f"name {spec['fn']!r} is not defined as a function")
                if spec["fn"] in timed_out:
                    raise CallTimeoutError(
                        f"not run: an earlier call of {spec['fn']} did not return within "
                        f"{call_timeout:g} s"
                    )
                with (
                    warnings.catch_warnings(),
                    np.errstate(all="ignore"),
                    _recorded_helpers(namespace, recorder, helpers),
                ):
                    warnings.simplefilter("ignore")
                    with _time_limit(call_timeout):
                        value = fn(*args, **kwargs)
                results[index] = value
                line["value"] = enc.encode(value)
            except KeyboardInterrupt:
                raise
            except CallTimeoutError as exc:
                timed_out.add(spec["fn"])
                line["raised"] = {
                    "type": "TimeoutError",
                    "mro": ["TimeoutError", "OSError", "Exception", "BaseException"],
                    "message": str(exc),
                }
            except BaseException as exc:  # noqa: BLE001 - the judge words the failure
                line["raised"] = {
                    "type": type(exc).__name__,
                    "mro": [k.__name__ for k in type(exc).__mro__][:20],
                    "message": str(exc)[:2000],
                }
                where = _where(exc)
                if where is not None:
                    line["raised"]["where"] = where
            after = []
            for i, arg in enumerate(args):
                if isinstance(arg, np.ndarray | dict | list):
                    now = _ids(arg)
                    old = before[i] if i < len(before) else {}
                    replaced = [k for k, v in now.items() if old.get(k) not in (None, v)]
                    after.append([i, {"value": enc.encode(arg), "replaced": replaced}])
            if after:
                line["after"] = after
            if recorder is not None:
                line["helpers"] = recorder.record()
            line["blobs"] = plaindata.blobs_to_text(enc.blobs)
            out.write(json.dumps(line, allow_nan=True) + "\n")
            out.flush()
