"""Argument checks and output sizes shared by the reference and the fast layers.

:mod:`cnnbook.layers` (the readable reference) and :mod:`cnnbook.fast_layers`
(the same convolution, made fast) check their inputs with these functions,
so both reject bad input with the same message. This module imports no
other module of the course, so neither layer module imports the other.

Bad input raises ``ValueError`` (or ``TypeError`` for a wrong type) whose
message names the problem.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "check_int",
    "as_array",
    "float_dtype",
    "check_ndim",
    "check_same_shape",
    "check_dout",
    "conv_output_size",
    "check_conv_args",
    "check_bias",
]


def check_int(value, name: str, minimum: int) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``.

    Args:
        value: the argument to check (``bool`` is refused, NumPy integers are accepted).
        name: the argument's name, used in the error message.
        minimum: the smallest allowed value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        if name == "stride":
            raise ValueError(f"stride must be >= 1, got {value}")
        if name == "pad":
            raise ValueError(f"pad must be >= 0 (negative padding is not allowed), got {value}")
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def as_array(a, name: str) -> np.ndarray:
    """``a`` as an ndarray of real numbers, or a ``TypeError`` naming ``name``."""
    arr = np.asarray(a)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    return arr


def float_dtype(*arrays: np.ndarray) -> np.dtype:
    """The dtype results are computed in: the inputs' common float type (ints -> float64)."""
    dtype = np.result_type(*arrays)
    if not np.issubdtype(dtype, np.floating):
        return np.dtype(np.float64)
    return dtype


def check_ndim(arr: np.ndarray, ndim: int, name: str, layout: str) -> None:
    """Raise a ``ValueError`` unless ``arr`` has ``ndim`` dimensions (``layout`` names them)."""
    if arr.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions {layout}, got {arr.ndim} dimensions "
            f"with shape {arr.shape}"
        )


def check_same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} must have the shape of {b_name} {b.shape}, got {a.shape}")


def check_dout(dout, expected: tuple[int, ...], layout: str) -> np.ndarray:
    """``dout`` as an array, or a ``ValueError`` if it is not the forward output's shape."""
    dout = as_array(dout, "dout")
    if dout.shape != expected:
        raise ValueError(
            f"dout must have the forward output's shape {layout} = {expected}, got {dout.shape}"
        )
    return dout


def conv_output_size(n: int, f: int, pad: int = 0, stride: int = 1) -> int:
    """Size of a convolution or pooling output along one axis.

    ``out = floor((n + 2*pad - f) / stride) + 1``

    The floor means that a window which would run past the padded input
    is dropped: with n=7, f=3, stride=2 the windows start at 0, 2, 4 and
    cover the input exactly (3 positions); with n=8 they still start at
    0, 2, 4 (a window at 6 would need pixel 8), so the output again has 3
    positions and the last input column is never used.

    Args:
        n: input size (height or width), >= 1.
        f: kernel or window size, >= 1 and at most ``n + 2*pad``.
        pad: zero padding added on *each* side, >= 0.
        stride: step between windows, >= 1.

    Returns:
        The output size, a Python ``int`` >= 1.
    """
    n = check_int(n, "n", 1)
    f = check_int(f, "f", 1)
    pad = check_int(pad, "pad", 0)
    stride = check_int(stride, "stride", 1)
    if f > n + 2 * pad:
        raise ValueError(
            f"kernel size f={f} is larger than the padded input n + 2*pad = {n + 2 * pad}"
        )
    return (n + 2 * pad - f) // stride + 1


def check_conv_args(x, w, stride, pad):
    """Check the arguments of a convolution; return ``(x, w, stride, pad)``.

    ``x`` must be ``(N, C, H, W)`` and ``w`` ``(F, C, HH, WW)`` with the same
    ``C``, ``stride >= 1``, ``pad >= 0``, and the kernel must fit in the padded
    input. ``x`` and ``w`` come back as arrays, ``stride`` and ``pad`` as ints.
    """
    x = as_array(x, "x")
    w = as_array(w, "w")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    check_ndim(w, 4, "w", "(F, C, HH, WW)")
    stride = check_int(stride, "stride", 1)
    pad = check_int(pad, "pad", 0)
    N, C, H, W = x.shape
    F, Cw, HH, WW = w.shape
    if Cw != C:
        raise ValueError(
            f"channel mismatch: x has C={C} channels but w expects {Cw} "
            f"(w is (F, C, HH, WW) = {w.shape})"
        )
    if HH > H + 2 * pad or WW > W + 2 * pad:
        raise ValueError(
            f"kernel {HH}x{WW} is larger than the padded input "
            f"{H + 2 * pad}x{W + 2 * pad} (H={H}, W={W}, pad={pad})"
        )
    return x, w, stride, pad


def check_bias(b, F: int) -> np.ndarray:
    """The biases of ``F`` filters as an array of shape ``(F,)``, or a ``ValueError``."""
    b = as_array(b, "b")
    if b.shape != (F,):
        raise ValueError(f"bias length mismatch: b must have shape (F,) = ({F},), got {b.shape}")
    return b
