"""A failed check: :class:`CheckError` and the messages of the failures the checks share.

:class:`CheckError` is an ``AssertionError`` that IPython shows with the course's
message first, then the line of the test cell (see :mod:`cnnbook.grading.frames`).
The judge builds the same failures from a sandbox's results (:func:`raised_error`,
:func:`modified_input_error`, :func:`judge_raises`), so that a message reads the same
in the student's notebook and in the feedback.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from cnnbook.grading import frames, judge_mode
from cnnbook.grading.describing import describe, describe_call, function_name


class CheckError(AssertionError):
    """A failed check. ``str()`` is the course's message; in IPython (``_render_traceback_``)
    the message comes first, followed by the test cell's line, without the helpers' frames."""

    def _render_traceback_(self) -> list[str]:
        red, bold, reset = "\x1b[0;31m", "\x1b[1m", "\x1b[0m"
        lines = []
        for i, line in enumerate(str(self).splitlines() or [""]):
            head = f"{red}AssertionError{reset}: " if i == 0 else ""
            wrapped = textwrap.wrap(line, frames.WIDTH - (16 if i == 0 else 0),
                                    subsequent_indent="    ", break_on_hyphens=False,
                                    break_long_words=False) or [""]
            lines.append(head + (bold if i == 0 else "") + wrapped[0] + (reset if i == 0 else ""))
            lines.extend(wrapped[1:])
        mine = frames.student_frames(self.__traceback__)
        if mine:
            filename, lineno, function, source = mine[-1]
            where = frames.where(filename, lineno, function)
            lines += ["", f"Checked by {where}:", f"    {source}"]
        return lines


def fail(message: str, context: str = "", hint: str = "") -> None:
    __tracebackhide__ = True
    lines = []
    if context:
        lines.append(f"In {context}:")
    lines.append(message)
    if hint:
        lines.append(hint)
    likely = judge_mode.likely_line()
    if likely:
        lines.append(likely)
    raise CheckError("\n".join(lines))


def not_implemented(fn: Callable) -> str:
    """The message for a function whose answer cell still raises NotImplementedError."""
    return (f"{function_name(fn)} is not implemented yet: it still raises "
            f"NotImplementedError. Replace the 'raise NotImplementedError()' line of its "
            f"answer cell with your code.")


def raised_error(
    fn: Callable, args, kwargs, type_name: str, message: str, where: str = ""
) -> CheckError:
    """The failure for a call of the student's ``fn`` that raised ``type_name: message``;
    ``where`` names the line of the student's code that raised it, when known."""
    if type_name == "NotImplementedError":
        return CheckError(not_implemented(fn))
    from cnnbook.grading import numpy2

    changed = numpy2.advice(type_name, message)
    likely = judge_mode.likely_line()
    return CheckError(
        f"In {describe_call(fn, *args, **kwargs)}:\nthe call raised {type_name}: {message}"
        + (f"\n{where}" if where else "")
        + (f"\n{changed}" if changed else "")
        + (f"\n{likely}" if likely else "")
    )


def modified_input_error(name: str, fn: Callable, args, kwargs) -> None:
    """Fail because a call of ``fn`` modified its input ``name``."""
    fail(
        f"the call modified its input {name}. Compute the result in a new array and "
        f"leave the input as it was: the caller (and the backward pass) still needs it.",
        describe_call(fn, *args, **kwargs),
    )


def judge_raises(fn, args, kwargs, exception, hint, raised, result) -> None:
    """Fail unless the call raised ``exception``; ``raised`` is ``(type name, MRO names,
    message)`` of what it raised, or ``None`` if it returned ``result``. The one wording of
    a failed ``check_raises``, in the notebook and in the judge."""
    context = describe_call(fn, *args, **kwargs)
    if raised is not None:
        type_name, mro, message = raised
        if exception.__name__ in mro:
            return
        if type_name == "NotImplementedError":
            raise CheckError(not_implemented(fn))
        fail(
            f"expected {exception.__name__} for this bad input, but the call raised "
            f"{type_name}: {message}",
            context,
            hint,
        )
    fail(
        f"expected {exception.__name__} for this bad input, but the call returned "
        f"{describe(result)}.",
        context,
        hint,
    )
