"""The student's own helpers, recorded during a graded call (``graded_with_reference``).

A graded call may name helpers (``spec["helpers"]``: only names, never code): the
student's functions of those names that their graded function is expected to call
(``conv2d_forward`` calls ``zero_pad`` and ``conv_single_step``, say). During that call
each of them is wrapped in a recorder: the call goes through to the student's own
function, and the recorder notes, as plain data, which arguments it was called with
(:func:`arguments_key`, a SHA-256 over the arguments bound to the function's signature:
arrays by shape, dtype and bytes) and what it returned (or that it raised). The judge
replays the reference's graded function on these results
(:mod:`cnnbook.grader.judging.own_helpers`), so that a mistake in a helper costs the
helper's points only.

Nothing here is trusted, and nothing here comes from the reference: the recorder only
sees the student's own calls. It is bounded (:data:`MAX_HELPER_CALLS` and
:data:`MAX_HELPER_BYTES` per graded call, :data:`MAX_JOB_HELPER_BYTES` for a job):
past a bound the helpers still run, but nothing more is recorded and the record says
``truncated``. The same :func:`arguments_key` runs in the judge on the reference's
calls, so that equal arguments give equal keys on both sides.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import math

import numpy as np

from cnnbook.grader.sandboxed import plaindata

#: Helper calls recorded per graded call at most.
MAX_HELPER_CALLS = 20_000
#: Bytes of helper records (keys, results' ``.npy`` blobs) per graded call at most.
MAX_HELPER_BYTES = 2_000_000
#: Bytes of helper records for all the graded calls of a job together, well inside the
#: job's result stream (``3 * output_mb + 8`` MB, 20 MB by default).
MAX_JOB_HELPER_BYTES = 6_000_000
#: What one record costs besides its result's blobs (the key, the name, JSON).
ENTRY_BYTES = 128
#: Containers nested deeper than this make arguments that get no key.
MAX_KEY_DEPTH = 6


class UnkeyableError(ValueError):
    """Arguments the key cannot describe exactly (an object, a complex array, ...)."""


def _feed(h, value, depth: int = 0) -> None:
    """Feed ``value``'s exact description to the hash ``h`` (or raise UnkeyableError)."""
    if depth > MAX_KEY_DEPTH:
        raise UnkeyableError("nested too deeply")
    if value is None or isinstance(value, bool | np.bool_):
        h.update(f"<{value if value is None else bool(value)}>".encode())
    elif isinstance(value, int | np.integer):
        h.update(f"<n:{float(value).hex() if abs(int(value)) < 2**53 else int(value)}>".encode())
    elif isinstance(value, float | np.floating):
        f = float(value)
        h.update(f"<n:{f.hex() if math.isfinite(f) else repr(f)}>".encode())
    elif isinstance(value, str):
        h.update(f"<s:{len(value)}:{value}>".encode())
    elif type(value) is np.ndarray and value.dtype.kind in plaindata.ARRAY_KINDS:
        h.update(f"<a:{value.dtype.str}:{value.shape}>".encode())
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, tuple | list):
        h.update(f"<{type(value).__name__}:{len(value)}>".encode())
        for v in value:
            _feed(h, v, depth + 1)
    elif type(value) is dict and all(type(k) is str for k in value):
        h.update(f"<d:{len(value)}>".encode())
        for k in sorted(value):
            _feed(h, k, depth + 1)
            _feed(h, value[k], depth + 1)
    else:
        raise UnkeyableError(type(value).__name__)


def bound_arguments(signature, args, kwargs) -> tuple:
    """The values of a call's arguments in the order of ``signature``'s parameters,
    defaults applied (``f(x, 1)``, ``f(x, pad=1)`` and ``f(x)`` with ``pad=1`` the
    default are one call); ``args`` and ``kwargs`` as given when there is no signature
    or they do not bind."""
    if signature is not None:
        try:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return tuple(bound.arguments.values())
        except TypeError:
            pass
    return (tuple(args), dict(kwargs))


def signature_of(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


def arguments_key(signature, args, kwargs) -> str | None:
    """A hex SHA-256 of the call's arguments (bound to ``signature``), exactly: numbers
    by value, arrays by dtype, shape and bytes. ``None`` for arguments it cannot
    describe exactly."""
    h = hashlib.sha256()
    try:
        _feed(h, bound_arguments(signature, args, kwargs))
    except UnkeyableError:
        return None
    return h.hexdigest()


class Recorder:
    """Records the helper calls of one graded call into the line's encoder ``enc``."""

    def __init__(self, enc: plaindata.Encoder, job_budget: list[int]):
        self.enc = enc
        self.job_budget = job_budget  # [bytes left for the job], shared across calls
        self.entries: list[dict] = []
        self.bytes = 0
        self.truncated = False

    def _room(self, size: int) -> bool:
        if (len(self.entries) >= MAX_HELPER_CALLS or self.bytes + size > MAX_HELPER_BYTES
                or size > self.job_budget[0]):  # fmt: skip
            self.truncated = True
            return False
        return True

    def _note(self, name: str, key: str | None, value=None, raised: str | None = None) -> None:
        if self.truncated or key is None or not self._room(ENTRY_BYTES):
            return
        entry: dict = {"fn": name, "key": key}
        if raised is not None:
            entry["raised"] = raised[:100]
            size = ENTRY_BYTES
        else:
            start = len(self.enc.blobs)
            try:
                entry["value"] = self.enc.encode(value)
            except Exception:  # noqa: BLE001 - a value it cannot encode is not recorded
                del self.enc.blobs[start:]
                return
            size = ENTRY_BYTES + sum(len(b) * 4 // 3 for b in self.enc.blobs[start:])
            if not self._room(size):
                del self.enc.blobs[start:]
                return
        self.entries.append(entry)
        self.bytes += size
        self.job_budget[0] -= size

    def wrap(self, name: str, fn):
        """``fn`` (the student's function ``name``), recorded while the record has room."""
        signature = signature_of(fn)

        @functools.wraps(fn)
        def recorded(*args, **kwargs):
            if self.truncated:
                return fn(*args, **kwargs)
            key = arguments_key(signature, args, kwargs)
            try:
                value = fn(*args, **kwargs)
            except BaseException as exc:
                self._note(name, key, raised=type(exc).__name__)
                raise
            self._note(name, key, value)
            return value

        return recorded

    def record(self) -> dict:
        """The record, as it goes on the graded call's result line."""
        return {"calls": self.entries, "truncated": self.truncated}
