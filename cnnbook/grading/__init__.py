"""Feedback helpers for the graded exercises (visible and hidden tests).

Every test cell of the assignments in ``exercises/`` calls these helpers, so
that test cells stay short and every failure reads the same way: *which call*
failed (the function, its arguments' shapes, stride and pad), expected
against received shape, dtype problems, the first mismatching index with
both values, and a hint pointing to the chapter that explains the idea. The
messages locate an error; they never print the expected formula or code.

A failure raises :class:`CheckError`, an ``AssertionError`` that IPython
(JupyterLab, nbgrader's autograder) shows with the course's message FIRST,
then the line of the student's code that raised (for an error inside their
function) and the line of the test cell; the helpers' own frames are left
out (they also set ``__tracebackhide__`` for pytest and IPython's debugger).

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
import linecache
import numbers
import os
import re
import sysconfig
import textwrap
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import Any

import numpy as np

from cnnbook.grading.door_guard import refuse_unsandboxed_autograde

refuse_unsandboxed_autograde()  # nbgrader's own Execute, outside the sandbox: stop here

__all__ = [
    "BOOK_URL",
    "CHAPTERS",
    "SECTIONS",
    "REFERENCE_MODULES",
    "CheckError",
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
    "graded_with_reference",
    "check_tuple",
]

#: While the trusted judge runs test code (:mod:`cnnbook.grader.judging.judge`), the session
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


def graded_with_reference(*helpers: str) -> None:
    """Declare, at the top of a test cell, that the autograder runs the student's
    functions in this cell with the course's own ``helpers`` (functions graded in
    earlier cells that the assignment asks students to reuse), so that one mistake in a
    helper is charged once, in the helper's own tests. In the notebook it does nothing:
    the student's own helpers are used, and a failure there points at them."""
    if _JUDGE is not None:
        _JUDGE.use_reference(helpers)


def hidden_rng(tag: int) -> np.random.Generator:
    """The random generator of a hidden test's inputs.

    In the notebook (the instructor's source) it is ``np.random.default_rng(tag)``;
    under the judge, its seed also depends on a secret drawn for the grading run, so
    hidden inputs cannot be known in advance.
    """
    if _JUDGE is not None:
        return _JUDGE.rng(tag)
    return np.random.default_rng(tag)


#: Where the built book is published (``ghp-import`` to the repository's gh-pages).
BOOK_URL = "https://cnnbook.github.io/cnn-from-the-ground-up"

#: The section of a chapter a hint points to: per chapter, (words of the topic, the
#: section's heading in chapters/NN_*.md); the first entry whose words occur in the
#: topic wins. tests/test_grading_helpers.py checks that every heading exists and that
#: every hint of the assignments finds a section.
SECTIONS: dict[str, list[tuple[str, str]]] = {
    "01": [("image file", "(H, W, C) or (C, H, W)?"),
           ("grayscale images", "A grayscale image is a matrix"),
           ("grayscale conversion", "A colour image has three channels"),
           ("batches", "Batches: (N, C, H, W)"),
           ("channel", "Batches: (N, C, H, W)")],
    "02": [("one output position", "The sliding dot product, by hand"),
           ("F filters", "Several filters, bias and parameter count"),
           ("over an image", "The sliding dot product, by hand")],
    "03": [("output size", "The output size"),
           ("stride", "Stride"),
           ("padding", "Valid, same and full padding")],
    "04": [("overlapping", "Overlapping pooling"),
           ("window size and stride", "Output size and parameters"),
           ("pooling", "Max and average pooling, by hand")],
    "05": [("ReLU", "ReLU and its derivative"),
           ("flattening", "Flatten"),
           ("fully connected", "The dense layer is a matrix product")],
    "06": [("log-sum-exp", "Numerical stability"),
           ("overflowing", "Numerical stability"),
           ("gradient", "Through the cross-entropy"),
           ("cross-entropy", "Cross-entropy"),
           ("softmax", "Softmax")],
    "07": [("ReLU", "Dense and ReLU backward"),
           ("fully connected", "Dense and ReLU backward"),
           ("flattening", "Dense and ReLU backward"),
           ("max pooling", "Max-pool backward: routing to the maximum"),
           ("average pooling", "Average-pool backward: sharing equally"),
           ("", "Convolution backward is a convolution")],
    "08": [("layer by layer", "The network"),
           ("learning rate", "Learning curves"),
           ("gradient descent", "Iterations and epochs"),
           ("", "Training")],
}


def section_anchor(heading: str) -> str:
    """The HTML anchor Jupyter Book gives a heading (docutils' ``make_id`` for ASCII)."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def hint(chapter: str, topic: str) -> str:
    """A pointer to the book: ``hint("03", "the output size")`` names the chapter, the
    section on that topic (:data:`SECTIONS`), the chapter's file and its page online."""
    path, title = CHAPTERS[chapter]
    section = next((h for words, h in SECTIONS.get(chapter, []) if words in topic), None)
    url = f"{BOOK_URL}/{path}.html"
    if section is None:
        return f"Hint: reread '{title}' ({path}.md, {url}), on {topic}."
    return (f"Hint: reread '{title}', section '{section}' ({path}.md, "
            f"{url}#{section_anchor(section)}), on {topic}.")


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


# --------------------------------------------------------------------------
# Failures: the course's message first, then only the student's lines
# --------------------------------------------------------------------------

_HERE = os.path.abspath(__file__)
# Frames from these folders are not the student's: the standard library, installed
# packages (NumPy, IPython) and the cnnbook package itself (this folder's parent).
_LIBRARIES = tuple(
    {os.path.abspath(p) + os.sep for p in (
        sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"], os.path.dirname(os.path.dirname(_HERE)),
    )}
)
_WIDTH = 100  # rendered lines are wrapped here (nbgrader validate cuts at Validator.width)


def _is_students(filename: str) -> bool:
    """A frame of the student's notebook (or script), not of the helpers, NumPy or IPython."""
    path = os.path.abspath(filename)
    return not (path == _HERE or path.startswith(_LIBRARIES) or filename.startswith("<frozen"))


def _where(filename: str, lineno: int, function: str) -> str:
    """``Cell In[3], line 7, in conv2d_forward`` for a notebook cell, else the file."""
    label = filename
    try:
        from IPython import get_ipython

        shell = get_ipython()
        named = shell.compile.format_code_name(filename) if shell is not None else None
        if named:
            label = " ".join(named)
    except Exception:  # noqa: BLE001 - only a nicer name; never fail while failing
        pass
    where = f"{label}, line {lineno}"
    return where if function == "<module>" else f"{where}, in {function}"


def _student_frames(tb: TracebackType | None) -> list[tuple[str, int, str, str]]:
    """(filename, line, function, source) of the student's frames in ``tb``, outermost first."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if _is_students(code.co_filename) and not tb.tb_frame.f_locals.get("__tracebackhide__"):
            source = linecache.getline(code.co_filename, tb.tb_lineno).strip()
            frames.append((code.co_filename, tb.tb_lineno, code.co_name, source))
        tb = tb.tb_next
    return frames


def _raised_at(exc: BaseException) -> str:
    """Where in the student's code ``exc`` was raised: the innermost frame of theirs."""
    frames = _student_frames(exc.__traceback__)
    if not frames:
        return ""
    filename, lineno, function, source = frames[-1]
    return f"at {_where(filename, lineno, function)}: {source}"


class CheckError(AssertionError):
    """A failed check. ``str()`` is the course's message; in IPython (``_render_traceback_``)
    the message comes first, followed by the test cell's line, without the helpers' frames."""

    def _render_traceback_(self) -> list[str]:
        red, bold, reset = "\x1b[0;31m", "\x1b[1m", "\x1b[0m"
        lines = []
        for i, line in enumerate(str(self).splitlines() or [""]):
            head = f"{red}AssertionError{reset}: " if i == 0 else ""
            wrapped = textwrap.wrap(line, _WIDTH - (16 if i == 0 else 0),
                                    subsequent_indent="    ", break_on_hyphens=False,
                                    break_long_words=False) or [""]
            lines.append(head + (bold if i == 0 else "") + wrapped[0] + (reset if i == 0 else ""))
            lines.extend(wrapped[1:])
        frames = _student_frames(self.__traceback__)
        if frames:
            filename, lineno, function, source = frames[-1]
            lines += ["", f"Checked by {_where(filename, lineno, function)}:", f"    {source}"]
        return lines


def _fail(message: str, context: str = "", hint: str = "") -> None:
    __tracebackhide__ = True
    lines = []
    if context:
        lines.append(f"In {context}:")
    lines.append(message)
    if hint:
        lines.append(hint)
    likely = _likely_line()
    if likely:
        lines.append(likely)
    raise CheckError("\n".join(lines))


def _not_implemented(fn: Callable) -> str:
    return (f"{_name(fn)} is not implemented yet: it still raises NotImplementedError. "
            f"Replace the 'raise NotImplementedError()' line of its answer cell with your code.")


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
    * Any exception becomes a :class:`CheckError` naming the call and the
      line of the student's code that raised it; the original exception is
      chained.
    """
    if _JUDGE is not None and _JUDGE.handles(fn):
        return _JUDGE.call(fn, args, kwargs)
    __tracebackhide__ = True
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
        raise raised_error(fn, args, kwargs, type(exc).__name__, str(exc), _raised_at(exc)) from exc
    if probe is not None:
        probe.done(args, result)
    return result


def raised_error(
    fn: Callable, args, kwargs, type_name: str, message: str, where: str = ""
) -> CheckError:
    """The failure for a call of the student's ``fn`` that raised ``type_name: message``;
    ``where`` names the line of the student's code that raised it, when known."""
    if type_name == "NotImplementedError":
        return CheckError(_not_implemented(fn))
    likely = _likely_line()
    return CheckError(
        f"In {describe_call(fn, *args, **kwargs)}:\nthe call raised {type_name}: {message}"
        + (f"\n{where}" if where else "")
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
            raise CheckError(_not_implemented(fn))
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
    __tracebackhide__ = True
    expected = np.asarray(expected)
    if received is None:
        _fail(f"{name}: received None. Did you forget to return it?", context, hint)
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
            _fail(
                f"{name}: expected a NumPy array of shape {expected.shape}, "
                f"received {describe(received)}.{advice}",
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
    __tracebackhide__ = True
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
        _fail(
            f"{name}: expected a single float, received {describe(received)}. {advice}",
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
        _fail(f"{name}: expected {wanted}, received None. Did you forget to return it?",
              context, hint)
    if not isinstance(received, tuple | list):
        _fail(f"{name}: expected {wanted}, received {describe(received)}. "
              f"Return all of them: return {', '.join(names)}", context, hint)
    if len(received) != len(names):
        _fail(f"{name}: expected {wanted}, received {describe(received)}. "
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
            _fail(f"{name}: the values are in the wrong order: {names[i]} and {names[j]} are "
                  f"swapped (received {describe(received[i])} where {names[i]} belongs). "
                  f"Return ({', '.join(names)}).", context, hint)
    bad = fits.index(False)
    value = received[bad]
    advice = ""
    if isinstance(value, np.ndarray) and value.size == 1 and np.ndarray not in _as_tuple(
        kinds[bad]
    ):
        advice = " Convert it with float(...)."
    _fail(f"{name}: {names[bad]} (value {bad + 1} of {len(names)}) has the wrong type: "
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
            _fail(f"{names[i]} has the shape {got.shape} of {others[0]}, not {shape[i]}: are the "
                  f"returned values in the order ({', '.join(names)})?", context, hint)


def check_unchanged(name: str, before: np.ndarray, fn: Callable, *args, **kwargs) -> None:
    """Check that calling ``fn`` leaves the array argument ``before`` unchanged.

    ``before`` must be one of ``args`` (the very object); the call is made
    on it directly, not on a copy.
    """
    if _JUDGE is not None and _JUDGE.handles(fn):
        return _JUDGE.check_unchanged(name, before, fn, args, kwargs)
    __tracebackhide__ = True
    snapshot = before.copy()
    probe = _observe(fn, args, kwargs)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise CheckError(_not_implemented(fn)) from exc
    except Exception as exc:  # noqa: BLE001
        if probe is not None:
            probe.done(raised=exc)
        raise raised_error(fn, args, kwargs, type(exc).__name__, str(exc), _raised_at(exc)) from exc
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
    __tracebackhide__ = True
    context = describe_call(fn, *args, **kwargs)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = fn(*args, **kwargs)
    except NotImplementedError as exc:
        raise CheckError(_not_implemented(fn)) from exc
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
# Naming the likely mistake (data shipped with the release: cnnbook.grading.likely_mistake)
# --------------------------------------------------------------------------


def _observe(fn: Callable, args, kwargs):
    """A probe that notes this call of the student's function, or None (in the judge,
    or when the release ships no data on known mistakes)."""
    if _JUDGE is not None:
        return None
    try:
        from cnnbook.grading import likely_mistake
    except ImportError:
        return None
    return likely_mistake.observe(fn, args, kwargs)


def _likely_line() -> str:
    """``Likely mistake: ...`` when a known mistake explains this cell's calls, else ""."""
    if _JUDGE is not None:
        return ""
    try:
        from cnnbook.grading import likely_mistake
    except ImportError:
        return ""
    return likely_mistake.line()
