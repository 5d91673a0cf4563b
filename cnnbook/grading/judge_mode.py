"""The one switch between the student's notebook and the trusted judge.

In the student's notebook (and in the sandbox) no session is set: the helpers call the
student's functions themselves. While the judge re-runs the test cells
(:mod:`cnnbook.grader.judging.judge`), :func:`judged_by` sets its session, which
answers every call of a student's function from the sandbox's results; the hidden
inputs' seeds and the "Likely mistake:" lines then come from the judge too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np

#: The judge's session while it runs test code; ``None`` in a student's notebook.
_session = None


def session():
    """The judge's session answering calls of the student's functions, or ``None``."""
    return _session


@contextlib.contextmanager
def judged_by(judge_session):
    """Run the helpers in judge mode, answered by ``judge_session``, inside the block."""
    global _session
    previous = _session
    _session = judge_session
    try:
        yield judge_session
    finally:
        _session = previous


def graded_with_reference(*helpers: str) -> None:
    """Declare, at the top of a test cell, that the autograder grades the student's
    functions in this cell given the student's own ``helpers`` (functions graded in
    earlier cells that the assignment asks students to reuse), so that one mistake in a
    helper is charged once, in the helper's own tests.

    The sandbox gets the helpers' names only (never the course's code): it records what
    the student's own helpers were called with and returned during each call, and the
    judge runs the *reference* function again with those results
    (:mod:`cnnbook.grader.judging.own_helpers`). A result that matches that replay
    counts as right. The reference answer of the cell's function must call the helpers.
    In the notebook it does nothing: the tests compare with the right answers, and a
    failure there points at the student's helpers."""
    if _session is not None:
        _session.use_reference(helpers)


def hidden_rng(tag: int) -> np.random.Generator:
    """The random generator of a hidden test's inputs.

    In the notebook (the instructor's source) it is ``np.random.default_rng(tag)``;
    under the judge, its seed also depends on a secret drawn for the grading run, so
    hidden inputs cannot be known in advance.
    """
    if _session is not None:
        return _session.rng(tag)
    return np.random.default_rng(tag)


def observe(fn: Callable, args, kwargs):
    """A probe that notes this call of the student's function, or None (in the judge,
    or when the release ships no data on known mistakes)."""
    if _session is not None:
        return None
    try:
        from cnnbook.grading import likely_mistake
    except ImportError:
        return None
    return likely_mistake.observe(fn, args, kwargs)


def likely_line() -> str:
    """``Likely mistake: ...`` when a known mistake explains this cell's calls, else ""."""
    if _session is not None:
        return ""
    try:
        from cnnbook.grading import likely_mistake
    except ImportError:
        return ""
    return likely_mistake.line()
