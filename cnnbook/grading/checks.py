"""The checks every test cell ends with: each raises :class:`CheckError` on failure.

Tolerances: ``rtol``/``atol`` of ``np.isclose``, ``atol`` scaled by the largest
expected magnitude (at least 1); the defaults are :data:`RTOL` and :data:`ATOL`.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from cnnbook.grading import judge_mode
from cnnbook.grading.calling import call
from cnnbook.grading.describing import describe, describe_call
from cnnbook.grading.failures import (
    CheckError,
    fail,
    judge_raises,
    modified_input_error,
    not_implemented,
    raised_error,
)
from cnnbook.grading.frames import raised_at
from cnnbook.grading.tolerances import ATOL, RTOL


def _index(idx) -> str:
    return "(" + ", ".join(str(int(i)) for i in idx) + (",)" if len(idx) == 1 else ")")


def check_array(
    name: str,
    received: Any,
    expected: np.ndarray,
    context: str = "",
    hint: str = "",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Check that ``received`` is a float array of ``expected``'s shape and values.

    Raises ``AssertionError`` with: the call (``context``), what was
    received if it is not an array, expected against received shape, an
    integer dtype where floats were expected, NaN or inf, or the number of
    wrong entries with the first mismatching index and both values there.

    Args:
        name: what the array is called in the message (``"out"``, ``"dx"``).
        received: the student's result.
        expected: the correct array.
        context: the call that produced ``received`` (see :func:`describe_call`).
        hint: where to read about it (see :func:`hint`).
        rtol, atol: tolerances of ``np.isclose``; ``atol`` is scaled by the
            largest expected magnitude (at least 1).
    """
    __tracebackhide__ = True
    expected = np.asarray(expected)
    if received is None:
        fail(f"{name}: received None. Did you forget to return it?", context, hint)
    if not isinstance(received, np.ndarray):
        if isinstance(received, numbers.Number) and expected.ndim == 0:
            received = np.asarray(received)
        else:
            advice = ""
            if isinstance(received, numbers.Number):
                advice = (" If your function returns several values, return them in the order "
                          "its docstring gives.")
            elif isinstance(received, list):
                advice = " Build the result as a NumPy array (np.array(...) or np.zeros(...))."
            fail(
                f"{name}: expected a NumPy array of shape {expected.shape}, "
                f"received {describe(received)}.{advice}",
                context,
                hint,
            )
    if received.shape != expected.shape:
        fail(
            f"{name} has the wrong shape: expected {expected.shape}, received {received.shape}.",
            context,
            hint,
        )
    if np.issubdtype(expected.dtype, np.floating) and not np.issubdtype(
        received.dtype, np.floating
    ):
        fail(
            f"{name} has dtype {received.dtype}, expected a floating-point dtype like "
            f"{expected.dtype} (an array created with an integer dtype truncates every value).",
            context,
            hint,
        )
    if not np.issubdtype(received.dtype, np.number) and received.dtype != np.bool_:
        fail(f"{name} has dtype {received.dtype}, expected numbers.", context, hint)
    with np.errstate(all="ignore"):
        got = received.astype(np.float64)
        want = expected.astype(np.float64)
        bad_value = ~np.isfinite(got) & np.isfinite(want)
        if bad_value.any():
            first = tuple(np.argwhere(bad_value)[0])
            fail(
                f"{name} contains {int(bad_value.sum())} non-finite value(s) (nan or inf); the "
                f"first at index {_index(first)}: expected {want[first]:.8g}, received "
                f"{float(got[first])}. Look for an overflow or a division by zero.",
                context,
                hint,
            )
        scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
        wrong = ~np.isclose(got, want, rtol=rtol, atol=atol * scale)
    if wrong.any():
        first = tuple(np.argwhere(wrong)[0])
        where = f" at index {_index(first)}" if first else ""
        fail(
            f"{name} has the right shape {expected.shape} but {int(wrong.sum())} of "
            f"{wrong.size} entries are wrong; the first{where}: "
            f"{_versus(float(want[first]), float(got[first]), rtol, atol * scale)}.",
            context,
            hint,
        )


def check_int(name: str, received: Any, expected: int, context: str = "", hint: str = "") -> None:
    """Check that ``received`` is a Python ``int`` (not float, not bool) equal to ``expected``."""
    __tracebackhide__ = True
    if isinstance(received, bool) or not isinstance(received, numbers.Integral):
        fail(
            f"{name}: expected the int {expected!r}, received {describe(received)}. "
            f"A size must be an int (it is used in shapes and range()).",
            context,
            hint,
        )
    if received != expected:
        fail(f"{name}: expected {expected}, received {received}.", context, hint)


def check_float(
    name: str,
    received: Any,
    expected: float,
    context: str = "",
    hint: str = "",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Check that ``received`` is a single real number (a ``float``) close to ``expected``."""
    __tracebackhide__ = True
    if isinstance(received, np.ndarray) or not isinstance(received, numbers.Real):
        if received is None:
            advice = "Did you forget to return it?"
        elif isinstance(received, np.ndarray) and received.size == 1:
            advice = "Convert the result with float(...)."
        elif isinstance(received, np.ndarray | tuple | list):
            advice = ("If your function returns several values, return them in the order its "
                      "docstring gives; if it computes one number, reduce the array to it.")
        else:
            advice = "Return a number."
        fail(
            f"{name}: expected a single float, received {describe(received)}. {advice}",
            context,
            hint,
        )
    value = float(received)
    if not np.isfinite(value) and np.isfinite(expected):
        fail(
            f"{name}: expected {expected:.8g}, received {value!r}. "
            f"Look for an overflow or the log of 0.",
            context,
            hint,
        )
    if not np.isclose(value, expected, rtol=rtol, atol=atol * max(1.0, abs(expected))):
        fail(f"{name}: {_versus(float(expected), value, rtol, atol * max(1.0, abs(expected)))}.",
             context, hint)


def _versus(expected: float, received: float, rtol: float, atol: float) -> str:
    """``expected 3.301117, received 3.3011118 (tolerance rtol=1e-06, atol=1e-09)``: with
    enough digits to show the two differ, and the tolerance they were compared with."""
    digits = 8
    while digits < 17 and f"{expected:.{digits}g}" == f"{received:.{digits}g}":
        digits += 1
    return (f"expected {expected:.{digits}g}, received {received:.{digits}g} "
            f"(tolerance rtol={rtol:g}, atol={atol:g})")


def check_output(
    fn: Callable,
    args: tuple,
    kwargs: dict | None,
    expected,
    names: str | tuple[str, ...] = "out",
    hint: str = "",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Call ``fn(*args, **kwargs)`` and check its result against ``expected``.

    ``expected`` is one array (``names`` a string) or a tuple of arrays
    (``names`` a tuple of the same length), e.g. ``("dx", "dw", "db")``;
    an entry ``None`` in the tuple is not checked (a test cell that grades
    only ``db`` passes ``(None, None, expected_db)``).
    """
    __tracebackhide__ = True
    kwargs = kwargs or {}
    context = describe_call(fn, *args, **kwargs)
    try:
        received = call(fn, *args, **kwargs)
    except AssertionError as exc:
        if not hint:
            raise
        raise CheckError(f"{exc}\n{hint}") from exc.__cause__
    if isinstance(names, str):
        check_array(names, received, expected, context, hint, rtol, atol)
        return
    check_tuple("the result", received, names, context, hint)
    _check_order(names, received, expected, context, hint)
    for name, got, want in zip(names, received, expected, strict=True):
        if want is not None:
            check_array(name, got, want, context, hint, rtol, atol)


def check_tuple(
    name: str,
    received: Any,
    names: tuple[str, ...],
    context: str = "",
    hint: str = "",
    kinds: tuple[type | tuple[type, ...], ...] | None = None,
) -> None:
    """Check that ``received`` is a tuple of ``len(names)`` values, e.g. ``(loss, dlogits)``.

    ``kinds`` (optional) gives the type of each value, e.g. ``(numbers.Real, np.ndarray)``;
    values of the right kinds in another order are reported as a wrong order.
    """
    __tracebackhide__ = True
    wanted = f"a tuple of {len(names)} values ({', '.join(names)})"
    if received is None:
        fail(f"{name}: expected {wanted}, received None. Did you forget to return it?",
              context, hint)
    if not isinstance(received, tuple | list):
        fail(f"{name}: expected {wanted}, received {describe(received)}. "
              f"Return all of them: return {', '.join(names)}", context, hint)
    if len(received) != len(names):
        fail(f"{name}: expected {wanted}, received {describe(received)}. "
              f"Return exactly these values, in this order.", context, hint)
    if kinds is None:
        return
    fits = [isinstance(v, k) and not isinstance(v, bool)
            for v, k in zip(received, kinds, strict=True)]
    if all(fits):
        return
    for i, j in ((i, j) for i in range(len(names)) for j in range(len(names)) if i != j):
        swapped = list(received)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        if all(isinstance(v, k) for v, k in zip(swapped, kinds, strict=True)):
            fail(f"{name}: the values are in the wrong order: {names[i]} and {names[j]} are "
                  f"swapped (received {describe(received[i])} where {names[i]} belongs). "
                  f"Return ({', '.join(names)}).", context, hint)
    bad = fits.index(False)
    value = received[bad]
    advice = ""
    if isinstance(value, np.ndarray) and value.size == 1 and np.ndarray not in _as_tuple(
        kinds[bad]
    ):
        advice = " Convert it with float(...)."
    fail(f"{name}: {names[bad]} (value {bad + 1} of {len(names)}) has the wrong type: "
          f"received {describe(value)}.{advice}", context, hint)


def _as_tuple(kind) -> tuple:
    return kind if isinstance(kind, tuple) else (kind,)


def _check_order(names, received, expected, context: str, hint: str) -> None:
    """Arrays of the right shapes returned in another order: say so, instead of a shape error."""
    __tracebackhide__ = True
    shape = {i: np.shape(w) for i, w in enumerate(expected) if w is not None}
    for i, got in enumerate(received):
        if i not in shape or not isinstance(got, np.ndarray) or got.shape == shape[i]:
            continue
        others = [names[j] for j in range(len(names)) if j != i and j in shape
                  and shape[j] == got.shape and shape[j] != shape[i]]
        if others:
            fail(f"{names[i]} has the shape {got.shape} of {others[0]}, not {shape[i]}: are the "
                  f"returned values in the order ({', '.join(names)})?", context, hint)


def check_unchanged(name: str, before: np.ndarray, fn: Callable, *args, **kwargs) -> None:
    """Check that calling ``fn`` leaves the array argument ``before`` unchanged.

    ``before`` must be one of ``args`` (the very object); the call is made
    on it directly, not on a copy.
    """
    session = judge_mode.session()
    if session is not None and session.handles(fn):
        return session.check_unchanged(name, before, fn, args, kwargs)
    __tracebackhide__ = True
    snapshot = before.copy()
    probe = judge_mode.observe(fn, args, kwargs)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise CheckError(not_implemented(fn)) from exc
    except Exception as exc:  # noqa: BLE001
        if probe is not None:
            probe.done(raised=exc)
        raise raised_error(fn, args, kwargs, type(exc).__name__, str(exc), raised_at(exc)) from exc
    if probe is not None:
        probe.done(args, result)
    if not np.array_equal(before, snapshot, equal_nan=True):
        modified_input_error(name, fn, args, kwargs)


def check_raises(
    fn: Callable, *args, exception: type[BaseException] = ValueError, hint: str = "", **kwargs
) -> None:
    """Check that ``fn(*args, **kwargs)`` raises ``exception``."""
    session = judge_mode.session()
    if session is not None and session.handles(fn):
        return session.check_raises(fn, args, kwargs, exception, hint)
    __tracebackhide__ = True
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise CheckError(not_implemented(fn)) from exc
    except exception:
        return
    except Exception as exc:  # noqa: BLE001
        raised = (type(exc).__name__, (), str(exc))  # not the expected type: its message
        judge_raises(fn, args, kwargs, exception, hint, raised, None)
    judge_raises(fn, args, kwargs, exception, hint, None, result)
