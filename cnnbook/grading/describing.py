"""Values and calls described in words, for the checks' messages.

Arrays by shape and dtype, numbers by type and value, calls with argument names and
array shapes: what a failure says about a value, never the expected formula.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np


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


def function_name(fn: Callable) -> str:
    """The name a message gives a function (its ``__name__``, else its repr)."""
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
    return f"{function_name(fn)}({', '.join(parts)})"
