"""Calling the student's code: quietly, on copies, refusing the course's own answers."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable

import numpy as np

from cnnbook.grading import judge_mode
from cnnbook.grading.describing import describe, describe_call, function_name
from cnnbook.grading.failures import fail, raised_error
from cnnbook.grading.frames import raised_at

#: Modules holding the reference solutions: a graded function may not come from them.
REFERENCE_MODULES = ("cnnbook.layers", "cnnbook.fast_layers", "cnnbook.tensors")


def call(fn: Callable, *args, **kwargs):
    """Call ``fn(*args, **kwargs)`` quietly and return its result.

    * NumPy floating-point warnings and Python warnings are silenced, so
      nothing reaches stderr (the value checks report NaN or inf instead).
    * Arrays passed in are copies, so a function that modifies its input
      cannot corrupt the test's expected values (see :func:`check_unchanged`
      to test for that mistake).
    * A function imported from a reference module (:data:`REFERENCE_MODULES`)
      instead of written is refused.
    * Any exception becomes a :class:`CheckError` naming the call and the
      line of the student's code that raised it; the original exception is
      chained.
    """
    session = judge_mode.session()
    if session is not None and session.handles(fn):
        return session.call(fn, args, kwargs)
    __tracebackhide__ = True
    if not callable(fn):
        fail(f"expected a function, but the name refers to {describe(fn)}")
    module = getattr(fn, "__module__", None) or ""
    name = function_name(fn)
    if module in REFERENCE_MODULES:
        fail(
            f"{name} is the course's reference implementation ({module}.{name}), "
            f"imported instead of written. Write your own {name} in its answer cell."
        )
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        fail(
            f"{name} does not accept these arguments ({exc}). Keep the signature given "
            f"in the answer cell: the names and defaults of the parameters are fixed.",
            describe_call(fn, *args, **kwargs),
        )
    except ValueError:
        pass
    probe = judge_mode.observe(fn, args, kwargs)
    args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    kwargs = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - every student error becomes a test failure
        if probe is not None:
            probe.done(raised=exc)
        raise raised_error(fn, args, kwargs, type(exc).__name__, str(exc), raised_at(exc)) from exc
    if probe is not None:
        probe.done(args, result)
    return result
