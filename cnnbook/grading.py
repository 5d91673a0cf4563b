"""Feedback helpers for the graded exercises (visible and hidden tests).

Every test cell of the assignments in ``exercises/`` calls these helpers, so
that test cells stay short and every failure reads the same way: *which call*
failed (the function, its arguments' shapes, stride and pad), expected
against received shape, dtype problems, the first mismatching index with
both values, and a hint pointing to the chapter that explains the idea. The
messages locate an error; they never print the expected formula or code.

Two rules of nbgrader shape this module:

* nbgrader gives 0 points to a test cell that writes anything to stderr, so
  the helpers never print, and :func:`call` runs the student's function with
  NumPy floating-point warnings and Python warnings silenced (a NaN or an
  overflow is reported by the value check instead).
* nbgrader gives full credit to a test cell whose last line evaluates to a
  non-float, so the helpers return ``None`` and *raise* ``AssertionError``
  on failure; test cells end with one of these calls or an ``assert``.

Typical test cell::

    out = call(conv2d_forward, x, w, b, stride=2, pad=1)
    check_array("out", out, expected, context=describe_call(conv2d_forward, x, w, b,
                stride=2, pad=1), hint=hint("02", "the output-size formula"))
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "CHAPTERS",
    "REFERENCE_MODULES",
    "hint",
    "describe",
    "describe_call",
    "call",
    "check_array",
    "check_int",
    "check_float",
    "check_output",
    "check_unchanged",
    "check_raises",
    "hidden_rng",
]

#: While the trusted judge runs test code (:mod:`cnnbook.grader.judge`), the session
#: that answers calls of the student's functions; ``None`` in a student's notebook.
_JUDGE = None

#: Modules holding the reference solutions: a graded function may not come from them.
REFERENCE_MODULES = ("cnnbook.layers", "cnnbook.fast_layers", "cnnbook.tensors")

#: Book pages by chapter number: (path in the repository, title).
CHAPTERS = {
    "01": ("chapters/01_input_tensors", "Images as input tensors"),
    "02": ("chapters/02_convolution", "Convolution"),
    "03": ("chapters/03_padding_stride", "Padding and stride"),
    "04": ("chapters/04_pooling", "Pooling"),
    "05": ("chapters/05_activations_dense", "Activations and fully connected layers"),
    "06": ("chapters/06_softmax_cross_entropy", "Softmax and cross-entropy"),
    "07": ("chapters/07_backpropagation", "Backpropagation through a CNN"),
    "08": ("chapters/08_training", "Training a CNN from scratch"),
}


def hidden_rng(tag: int) -> np.random.Generator:
    """The random generator of a hidden test's inputs.

    In the notebook (the instructor's source) it is ``np.random.default_rng(tag)``;
    under the judge, its seed also depends on a secret drawn for the grading run, so
    hidden inputs cannot be known in advance.
    """
    if _JUDGE is not None:
        return _JUDGE.rng(tag)
    return np.random.default_rng(tag)


def hint(chapter: str, topic: str) -> str:
    """A pointer to the book: ``hint("02", "output size")`` names the chapter page and topic."""
    path, title = CHAPTERS[chapter]
    return f"Hint: reread '{title}' ({path}), on {topic}."


# --------------------------------------------------------------------------
# Describing values and calls
# --------------------------------------------------------------------------


def describe(value: Any) -> str:
    """Short description of a value: arrays by shape and dtype, numbers by type and value."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return f"a 0-d NumPy array ({value.dtype}) holding {value.item()!r}"
        return f"an array of shape {value.shape} ({value.dtype})"
    if value is None:
        return "None"
    if isinstance(value, bool | np.bool_):
        return f"the bool {value!r}"
    if isinstance(value, numbers.Number):
        return f"{type(value).__name__} {value!r}"
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of length {len(value)}"
    what = getattr(value, "what", None)
    if type(value).__name__ == "Opaque" and isinstance(what, str):
        return f"{what}, which is not plain data (return NumPy arrays, numbers or tuples of them)"
    return f"a {type(value).__name__}"


def _short(value: Any) -> str:
    """An argument as shown in a call: arrays by shape, the rest by repr."""
    if isinstance(value, np.ndarray):
        return f"<array {value.shape}>" if value.ndim else f"<0-d array {value.item()!r}>"
    if isinstance(value, list | tuple) and value and isinstance(value[0], np.ndarray):
        return f"<{type(value).__name__} of {len(value)} arrays {value[0].shape}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _name(fn: Callable) -> str:
    return getattr(fn, "__name__", repr(fn))


def describe_call(fn: Callable, *args, **kwargs) -> str:
    """The call as text, with argument names and array shapes.

    ``describe_call(conv2d_forward, x, w, b, stride=2)`` gives
    ``conv2d_forward(x=<array (2, 3, 7, 9)>, w=<array (4, 3, 3, 3)>, b=<array (4,)>, stride=2)``.
    """
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        parts = [f"{k}={_short(v)}" for k, v in bound.arguments.items()]
    except (TypeError, ValueError):
        parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return f"{_name(fn)}({', '.join(parts)})"


def _fail(message: str, context: str = "", hint: str = "") -> None:
    lines = []
    if context:
        lines.append(f"In {context}:")
    lines.append(message)
    if hint:
        lines.append(hint)
    likely = _likely_line()
    if likely:
        lines.append(likely)
    raise AssertionError("\n".join(lines))


# --------------------------------------------------------------------------
# Calling the student's code
# --------------------------------------------------------------------------


def call(fn: Callable, *args, **kwargs):
    """Call ``fn(*args, **kwargs)`` quietly and return its result.

    * NumPy floating-point warnings and Python warnings are silenced, so
      nothing reaches stderr (the value checks report NaN or inf instead).
    * Arrays passed in are copies, so a function that modifies its input
      cannot corrupt the test's expected values (see :func:`check_unchanged`
      to test for that mistake).
    * A function imported from a reference module (:data:`REFERENCE_MODULES`)
      instead of written is refused.
    * Any exception becomes an ``AssertionError`` naming the call; the
      original exception is chained, so its traceback still shows the line.
    """
    if _JUDGE is not None and _JUDGE.handles(fn):
        return _JUDGE.call(fn, args, kwargs)
    if not callable(fn):
        _fail(f"expected a function, but the name refers to {describe(fn)}")
    module = getattr(fn, "__module__", None) or ""
    if module in REFERENCE_MODULES:
        _fail(
            f"{_name(fn)} is the course's reference implementation ({module}.{_name(fn)}), "
            f"imported instead of written. Write your own {_name(fn)} in its answer cell."
        )
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        _fail(
            f"{_name(fn)} does not accept these arguments ({exc}). Keep the signature given "
            f"in the answer cell: the names and defaults of the parameters are fixed.",
            describe_call(fn, *args, **kwargs),
        )
    except ValueError:
        pass
    probe = _observe(fn, args, kwargs)
    args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    kwargs = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - every student error becomes a test failure
        if probe is not None:
            probe.done(raised=exc)
        raise raised_error(fn, args, kwargs, type(exc).__name__, str(exc)) from exc
    if probe is not None:
        probe.done(args, result)
    return result


def raised_error(
    fn: Callable, args, kwargs, type_name: str, message: str, traceback_shown: bool = True
) -> AssertionError:
    """The failure for a call of the student's ``fn`` that raised ``type_name: message``."""
    where = (
        "(the traceback above shows the line of your code that raised it)"
        if traceback_shown
        else "(run the test cell in your notebook to see the line of your code that raised it)"
    )
    if type_name == "NotImplementedError":
        return AssertionError(
            f"{_name(fn)} is not implemented yet: it still raises NotImplementedError. "
            f"Replace the 'raise NotImplementedError()' line of its answer cell with your code."
        )
    likely = _likely_line() if traceback_shown else ""
    return AssertionError(
        f"In {describe_call(fn, *args, **kwargs)}:\nthe call raised {type_name}: {message}\n{where}"
        + (f"\n{likely}" if likely else "")
    )


def modified_input_error(name: str, fn: Callable, args, kwargs) -> None:
    """Fail because a call of ``fn`` modified its input ``name``."""
    _fail(
        f"the call modified its input {name}. Compute the result in a new array and "
        f"leave the input as it was: the caller (and the backward pass) still needs it.",
        describe_call(fn, *args, **kwargs),
    )


def judge_raises(fn, args, kwargs, exception, hint, raised, result) -> None:
    """Fail unless the call raised ``exception``; ``raised`` is ``(type name, MRO names)``
    of what it raised, or ``None`` if it returned ``result``."""
    context = describe_call(fn, *args, **kwargs)
    if raised is not None:
        type_name, mro = raised
        if exception.__name__ in mro:
            return
        if type_name == "NotImplementedError":
            raise AssertionError(f"{_name(fn)} is not implemented yet.")
        _fail(
            f"expected {exception.__name__} for this bad input, but the call raised {type_name}.",
            context,
            hint,
        )
    _fail(
        f"expected {exception.__name__} for this bad input, but the call returned "
        f"{describe(result)}.",
        context,
        hint,
    )


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


def _index(idx) -> str:
    return "(" + ", ".join(str(int(i)) for i in idx) + (",)" if len(idx) == 1 else ")")


def check_array(
    name: str,
    received: Any,
    expected: np.ndarray,
    context: str = "",
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-9,
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
    expected = np.asarray(expected)
    if received is None:
        _fail(f"{name}: received None. Did you forget to return it?", context, hint)
    if not isinstance(received, np.ndarray):
        if isinstance(received, numbers.Number) and expected.ndim == 0:
            received = np.asarray(received)
        else:
            _fail(
                f"{name}: expected a NumPy array of shape {expected.shape}, "
                f"received {describe(received)}.",
                context,
                hint,
            )
    if received.shape != expected.shape:
        _fail(
            f"{name} has the wrong shape: expected {expected.shape}, received {received.shape}.",
            context,
            hint,
        )
    if np.issubdtype(expected.dtype, np.floating) and not np.issubdtype(
        received.dtype, np.floating
    ):
        _fail(
            f"{name} has dtype {received.dtype}, expected a floating-point dtype like "
            f"{expected.dtype} (an array created with an integer dtype truncates every value).",
            context,
            hint,
        )
    if not np.issubdtype(received.dtype, np.number) and received.dtype != np.bool_:
        _fail(f"{name} has dtype {received.dtype}, expected numbers.", context, hint)
    with np.errstate(all="ignore"):
        got = received.astype(np.float64)
        want = expected.astype(np.float64)
        bad_value = ~np.isfinite(got) & np.isfinite(want)
        if bad_value.any():
            first = tuple(np.argwhere(bad_value)[0])
            _fail(
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
        _fail(
            f"{name} has the right shape {expected.shape} but {int(wrong.sum())} of "
            f"{wrong.size} entries are wrong; the first{where}: expected {want[first]:.8g}, "
            f"received {got[first]:.8g}.",
            context,
            hint,
        )


def check_int(name: str, received: Any, expected: int, context: str = "", hint: str = "") -> None:
    """Check that ``received`` is a Python ``int`` (not float, not bool) equal to ``expected``."""
    if isinstance(received, bool) or not isinstance(received, numbers.Integral):
        _fail(
            f"{name}: expected the int {expected!r}, received {describe(received)}. "
            f"A size must be an int (it is used in shapes and range()).",
            context,
            hint,
        )
    if received != expected:
        _fail(f"{name}: expected {expected}, received {received}.", context, hint)


def check_float(
    name: str,
    received: Any,
    expected: float,
    context: str = "",
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Check that ``received`` is a single real number (a ``float``) close to ``expected``."""
    if isinstance(received, np.ndarray) or not isinstance(received, numbers.Real):
        _fail(
            f"{name}: expected a single float, received {describe(received)}. "
            f"Convert the result with float(...).",
            context,
            hint,
        )
    value = float(received)
    if not np.isfinite(value) and np.isfinite(expected):
        _fail(
            f"{name}: expected {expected:.8g}, received {value!r}. "
            f"Look for an overflow or the log of 0.",
            context,
            hint,
        )
    if not np.isclose(value, expected, rtol=rtol, atol=atol * max(1.0, abs(expected))):
        _fail(f"{name}: expected {expected:.8g}, received {value:.8g}.", context, hint)


def check_output(
    fn: Callable,
    args: tuple,
    kwargs: dict | None,
    expected,
    names: str | tuple[str, ...] = "out",
    hint: str = "",
    rtol: float = 1e-6,
    atol: float = 1e-9,
) -> None:
    """Call ``fn(*args, **kwargs)`` and check its result against ``expected``.

    ``expected`` is one array (``names`` a string) or a tuple of arrays
    (``names`` a tuple of the same length), e.g. ``("dx", "dw", "db")``;
    an entry ``None`` in the tuple is not checked (a test cell that grades
    only ``db`` passes ``(None, None, expected_db)``).
    """
    kwargs = kwargs or {}
    context = describe_call(fn, *args, **kwargs)
    try:
        received = call(fn, *args, **kwargs)
    except AssertionError as exc:
        if not hint:
            raise
        raise AssertionError(f"{exc}\n{hint}") from exc.__cause__
    if isinstance(names, str):
        check_array(names, received, expected, context, hint, rtol, atol)
        return
    if not isinstance(received, tuple | list) or len(received) != len(names):
        _fail(
            f"expected a tuple of {len(names)} arrays ({', '.join(names)}), "
            f"received {describe(received)}.",
            context,
            hint,
        )
    for name, got, want in zip(names, received, expected, strict=True):
        if want is not None:
            check_array(name, got, want, context, hint, rtol, atol)


def check_unchanged(name: str, before: np.ndarray, fn: Callable, *args, **kwargs) -> None:
    """Check that calling ``fn`` leaves the array argument ``before`` unchanged.

    ``before`` must be one of ``args`` (the very object); the call is made
    on it directly, not on a copy.
    """
    if _JUDGE is not None and _JUDGE.handles(fn):
        return _JUDGE.check_unchanged(name, before, fn, args, kwargs)
    snapshot = before.copy()
    context = describe_call(fn, *args, **kwargs)
    probe = _observe(fn, args, kwargs)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise AssertionError(f"{_name(fn)} is not implemented yet.") from exc
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"In {context}:\nthe call raised {type(exc).__name__}: {exc}") from exc
    if probe is not None:
        probe.done(args, result)
    if not np.array_equal(before, snapshot, equal_nan=True):
        modified_input_error(name, fn, args, kwargs)


def check_raises(
    fn: Callable, *args, exception: type[BaseException] = ValueError, hint: str = "", **kwargs
) -> None:
    """Check that ``fn(*args, **kwargs)`` raises ``exception``."""
    if _JUDGE is not None and _JUDGE.handles(fn):
        return _JUDGE.check_raises(fn, args, kwargs, exception, hint)
    context = describe_call(fn, *args, **kwargs)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise AssertionError(f"{_name(fn)} is not implemented yet.") from exc
    except exception:
        return
    except Exception as exc:  # noqa: BLE001
        _fail(
            f"expected {exception.__name__} for this bad input, but the call raised "
            f"{type(exc).__name__}: {exc}",
            context,
            hint,
        )
    _fail(
        f"expected {exception.__name__} for this bad input, but the call returned "
        f"{describe(result)}.",
        context,
        hint,
    )


# --------------------------------------------------------------------------
# Naming the likely mistake (data shipped with the release: cnnbook.likely_mistake)
# --------------------------------------------------------------------------


def _observe(fn: Callable, args, kwargs):
    """A probe that notes this call of the student's function, or None (in the judge,
    or when the release ships no data on known mistakes)."""
    if _JUDGE is not None:
        return None
    try:
        from cnnbook import likely_mistake
    except ImportError:
        return None
    return likely_mistake.observe(fn, args, kwargs)


def _likely_line() -> str:
    """``Likely mistake: ...`` when a known mistake explains this cell's calls, else ""."""
    if _JUDGE is not None:
        return ""
    try:
        from cnnbook import likely_mistake
    except ImportError:
        return ""
    return likely_mistake.line()
