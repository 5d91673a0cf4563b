"""The student's own stack frames: where in their code an error was raised.

A failure shows the course's message first, then only the student's lines: frames of
the standard library, installed packages (NumPy, IPython) and this package are left
out, and so are frames that set ``__tracebackhide__``.
"""

from __future__ import annotations

import linecache
import os
import sysconfig
from types import TracebackType

_HERE = os.path.abspath(__file__)
# Frames from these folders are not the student's: the standard library, installed
# packages (NumPy, IPython) and the cnnbook package itself (this folder's parent).
_LIBRARIES = tuple(
    {os.path.abspath(p) + os.sep for p in (
        sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"], os.path.dirname(os.path.dirname(_HERE)),
    )}
)  # fmt: skip
WIDTH = 100  # rendered lines are wrapped here (nbgrader validate cuts at Validator.width)


def is_students(filename: str) -> bool:
    """A frame of the student's notebook (or script), not of the helpers, NumPy or IPython."""
    path = os.path.abspath(filename)
    return not (path == _HERE or path.startswith(_LIBRARIES) or filename.startswith("<frozen"))


def where(filename: str, lineno: int, function: str) -> str:
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


def student_frames(tb: TracebackType | None) -> list[tuple[str, int, str, str]]:
    """(filename, line, function, source) of the student's frames in ``tb``, outermost first."""
    frames = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if is_students(code.co_filename) and not tb.tb_frame.f_locals.get("__tracebackhide__"):
            source = linecache.getline(code.co_filename, tb.tb_lineno).strip()
            frames.append((code.co_filename, tb.tb_lineno, code.co_name, source))
        tb = tb.tb_next
    return frames


def raised_at(exc: BaseException) -> str:
    """Where in the student's code ``exc`` was raised: the innermost frame of theirs."""
    frames = student_frames(exc.__traceback__)
    if not frames:
        return ""
    filename, lineno, function, source = frames[-1]
    return f"at {where(filename, lineno, function)}: {source}"
