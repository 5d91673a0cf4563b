"""Ctrl-C that always stops a run.

nbgrader's API runs each of its apps inside ``capture_log``, whose bare ``except:``
turns a ``KeyboardInterrupt`` raised during the call into an ordinary failure: the run
would go on, and record a stale score as ``grading_error``. So while a command runs,
:func:`guard` installs its own SIGINT (and SIGTERM) handler, which records the signal
before raising ``KeyboardInterrupt``; after every call into nbgrader the library calls
:func:`check`, which raises it again if nbgrader swallowed it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_received = threading.Event()


def _handler(signum, frame):
    _received.set()
    raise KeyboardInterrupt


@contextmanager
def guard() -> Iterator[None]:
    """Record SIGINT and SIGTERM for :func:`check` (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {s: signal.signal(s, _handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def check() -> None:
    """Raise ``KeyboardInterrupt`` if a signal arrived (and was perhaps swallowed)."""
    if _received.is_set():
        raise KeyboardInterrupt
