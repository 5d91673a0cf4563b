"""Code written for NumPy 1 that fails on NumPy 2: what changed, and the one-line fix.

Student side (used by :func:`cnnbook.grading.raised_error`, in the notebook and in the
judge). The course pins NumPy 2.4; answers copied from older courses or written from
older tutorials meet removed aliases and stricter conversions. Each pattern is an
exception type and a regular expression over its message, as NumPy 2.4 words it.
"""

from __future__ import annotations

import re

#: (exception type name, message pattern, the line shown to the student). ``{name}`` is
#: replaced by the pattern's group ``name`` when it has one.
PATTERNS: list[tuple[str, re.Pattern, str]] = [
    ("TypeError", re.compile(r"only 0-dimensional arrays can be converted to Python scalars"),
     "NumPy 2 changed this: float() and int() accept only an array with no axes (0-d), and an "
     "array of shape (1,) or (1, 1, 1) now raises instead of giving its one value. Take the "
     "value out first: float(a.item()) or float(np.sum(a))."),
    ("AttributeError", re.compile(
        r"module 'numpy' has no attribute '(?P<name>int|float|bool|object|str|complex|long"
        r"|unicode)'"),
     "NumPy 2 changed this: np.{name} was an alias of Python's own {name} and is gone. Write "
     "{name} (or a NumPy type such as np.float64, np.int64)."),
    ("AttributeError", re.compile(r"module 'numpy' has no attribute '(?P<name>product)'"),
     "NumPy 2 changed this: np.product was removed. Write np.prod."),
    ("AttributeError", re.compile(r"module 'numpy' has no attribute '(?P<name>cumproduct)'"),
     "NumPy 2 changed this: np.cumproduct was removed. Write np.cumprod."),
    ("AttributeError", re.compile(r"module 'numpy' has no attribute '(?P<name>asscalar)'"),
     "NumPy 2 changed this: np.asscalar was removed. Write a.item()."),
    ("AttributeError", re.compile(r"module 'numpy' has no attribute '(?P<name>bool8)'"),
     "NumPy 2 changed this: np.bool8 was removed. Write np.bool_ (or bool)."),
    ("AttributeError", re.compile(r"`np\.(?P<name>\w+)` was removed in the NumPy 2\.0 release\. "
                                  r"Use `(?P<new>[\w.]+)` instead"),
     "NumPy 2 changed this: np.{name} was removed. Write {new}."),
    ("TypeError", re.compile(r"(unexpected keyword argument 'newshape'"
                             r"|'newshape' is an invalid keyword argument)"),
     "NumPy 2 changed this: reshape no longer takes newshape=. Pass the shape itself: "
     "a.reshape(shape) or np.reshape(a, shape)."),
    ("ValueError", re.compile(r"setting an array element with a sequence"),
     "NumPy 2 changed this: one element of an array takes one number, and an array holding "
     "one number (shape (1,) or (1, 1, 1)) is no longer taken for its value. Take the value "
     "out first: a.item() (if the array holds several numbers, the shapes do not fit)."),
    ("ValueError", re.compile(r"Unable to avoid copy while creating an array as requested"),
     "NumPy 2 changed this: np.array(a, copy=False) now refuses to copy. Write np.asarray(a)."),
]


def advice(type_name: str, message: str) -> str:
    """The NumPy 2 line for an exception, or ``""`` when it is not a NumPy 1 habit."""
    for kind, pattern, line in PATTERNS:
        if kind != type_name:
            continue
        found = pattern.search(message or "")
        if found:
            return line.format(**{k: v for k, v in found.groupdict().items() if v})
    return ""
