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

Modules (STUDENT SIDE: they run in the student's kernel and in the sandbox, which gets
a copy of this folder whole)
-------
book           the book's chapters and the sections hints point to (course data)
describing     values and calls described in words
frames         the student's own stack frames: where their code raised
failures       CheckError and the failures the checks and the judge share
calling        calling the student's code quietly, on copies
checks         check_array, check_output, ... : what every test cell ends with
tolerances     the course's rtol and atol, in one place
judge_mode     the one switch to the trusted judge (its session answers the calls)
likely_mistake the visible checks' "Likely mistake:" line, from misconceptions.json
door_guard     stops a kernel of nbgrader's own, unsandboxed autograde (grader/doors.py)
numpy2         code written for NumPy 1 that fails on NumPy 2, and the one-line fix

Typical test cell::

    out = call(conv2d_forward, x, w, b, stride=2, pad=1)
    check_array("out", out, expected, context=describe_call(conv2d_forward, x, w, b,
                stride=2, pad=1), hint=hint("02", "the output-size formula"))
"""

from __future__ import annotations

from cnnbook.grading.book import BOOK_URL, CHAPTERS, SECTIONS, hint, section_anchor
from cnnbook.grading.calling import REFERENCE_MODULES, call
from cnnbook.grading.checks import (
    check_array,
    check_float,
    check_int,
    check_output,
    check_raises,
    check_tuple,
    check_unchanged,
)
from cnnbook.grading.describing import describe, describe_call
from cnnbook.grading.door_guard import refuse_unsandboxed_autograde
from cnnbook.grading.failures import CheckError, judge_raises, modified_input_error, raised_error
from cnnbook.grading.frames import raised_where, where_line
from cnnbook.grading.judge_mode import graded_with_reference, hidden_rng

refuse_unsandboxed_autograde()  # nbgrader's own Execute, outside the sandbox: stop here

__all__ = [
    "BOOK_URL",
    "CHAPTERS",
    "SECTIONS",
    "REFERENCE_MODULES",
    "CheckError",
    "hint",
    "section_anchor",
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
    "raised_error",
    "raised_where",
    "where_line",
    "modified_input_error",
    "judge_raises",
]
