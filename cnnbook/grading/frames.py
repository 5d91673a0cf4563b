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


def cell_label(filename: str) -> str | None:
    """``Cell In[3]`` when ``filename`` is a notebook cell of the running kernel, else None."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        named = shell.compile.format_code_name(filename) if shell is not None else None
        if named:
            return " ".join(named)
    except Exception:  # noqa: BLE001 - only a nicer name; never fail while failing
        pass
    return None


def where(filename: str, lineno: int, function: str) -> str:
    """``Cell In[3], line 7, in conv2d_forward`` for a notebook cell, else the file."""
    where = f"{cell_label(filename) or filename}, line {lineno}"
    return where if function == "<module>" else f"{where}, in {function}"


#: Bounds of the place a graded call raised, as the sandbox's harness records it.
WHERE_LIMITS = {"file": 120, "function": 100, "source": 300}


def raised_where(exc: BaseException) -> dict | None:
    """Where in the student's code ``exc`` was raised, as plain data for the judge:
    ``{"file", "line", "function", "source"}`` of the innermost student frame, the file
    a notebook cell's label (``Cell In[8]``) or a file's own name (never its folder),
    each text cut to :data:`WHERE_LIMITS`; None when no frame is the student's."""
    frames = student_frames(exc.__traceback__)
    if not frames:
        return None
    filename, lineno, function, source = frames[-1]
    label = cell_label(filename) or os.path.basename(filename) or "<unknown>"
    return {"file": label[:WHERE_LIMITS["file"]], "line": int(lineno),
            "function": str(function)[:WHERE_LIMITS["function"]],
            "source": str(source)[:WHERE_LIMITS["source"]]}


def where_line(where) -> str:
    """``at Cell In[8], line 87, in conv_backward: dx = ...`` from :func:`raised_where`'s
    record (untrusted when it comes from the sandbox: anything malformed gives "")."""
    if not isinstance(where, dict):
        return ""
    file, line = where.get("file"), where.get("line")
    function, source = where.get("function"), where.get("source")
    if not isinstance(file, str) or type(line) is not int:
        return ""
    text = f"at {file[:WHERE_LIMITS['file']]}, line {line}"
    if isinstance(function, str) and function and function != "<module>":
        text += f", in {function[:WHERE_LIMITS['function']]}"
    if isinstance(source, str) and source:
        text += f": {source[:WHERE_LIMITS['source']]}"
    return text


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
