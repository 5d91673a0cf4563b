"""Max and average pooling (chapter 4; the backward passes in chapter 7).

Shapes: ``x`` is ``(N, C, H, W)``; a ``size x size`` window moved by ``stride``
gives ``(N, C, H', W')`` with ``H' = floor((H - size) / stride) + 1`` (no padding).
The conventions of every layer are in :mod:`cnnbook.layers`.
"""

from __future__ import annotations

import numpy as np

from cnnbook.conv_shapes import as_array as _as_array
from cnnbook.conv_shapes import check_dout as _check_dout
from cnnbook.conv_shapes import check_int as _check_int
from cnnbook.conv_shapes import check_ndim as _check_ndim
from cnnbook.conv_shapes import conv_output_size
from cnnbook.conv_shapes import float_dtype as _float_dtype

__all__ = [
    "maxpool2d_forward",
    "maxpool2d_backward",
    "avgpool2d_forward",
    "avgpool2d_backward",
]


# --------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------


def _check_pool_args(x, size, stride):
    x = _as_array(x, "x")
    _check_ndim(x, 4, "x", "(N, C, H, W)")
    size = _check_int(size, "size", 1)
    stride = _check_int(stride, "stride", 1)
    H, W = x.shape[2:]
    if size > H or size > W:
        raise ValueError(f"pooling window {size}x{size} is larger than the input {H}x{W}")
    return x, size, stride


def _check_pool_backward_args(dout, x, size, stride):
    x, size, stride = _check_pool_args(x, size, stride)
    N, C, H, W = x.shape
    Ho = conv_output_size(H, size, 0, stride)
    Wo = conv_output_size(W, size, 0, stride)
    dout = _check_dout(dout, (N, C, Ho, Wo), "(N, C, H', W')")
    return dout, x, size, stride


def _pool_windows(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """Read-only view of every pooling window: shape ``(N, C, H', W', size, size)``."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))
    return windows[:, :, ::stride, ::stride]


def maxpool2d_forward(x, size: int = 2, stride: int = 2) -> np.ndarray:
    """Max pooling over ``size x size`` windows moved by ``stride``.

    ``out[n, c, i, j] = max_{di, dj < size} x[n, c, i*stride + di, j*stride + dj]``

    Args:
        x: input, shape ``(N, C, H, W)``.
        size: window height and width, 1 <= size <= min(H, W).
        stride: step between windows, >= 1 (``stride < size`` overlaps windows).

    Returns:
        ``out`` of shape ``(N, C, H', W')`` with ``H' = floor((H - size) / stride) + 1``
        (likewise W'), dtype of ``x``.
    """
    x, size, stride = _check_pool_args(x, size, stride)
    return _pool_windows(x, size, stride).max(axis=(4, 5))


def maxpool2d_backward(dout, x, size: int = 2, stride: int = 2) -> np.ndarray:
    """Backward pass of :func:`maxpool2d_forward`.

    Each window passes its gradient ``dout[n, c, i, j]`` to the position of its
    maximum; with ties, to the *first* maximum in row-major order. Where windows
    overlap (``stride < size``), the gradients routed to one input are summed.

    Args:
        dout: upstream gradient, shape ``(N, C, H', W')``.
        x: the forward input, shape ``(N, C, H, W)``.
        size, stride: as in the forward pass.

    Returns:
        ``dx`` of shape ``(N, C, H, W)``.
    """
    dout, x, size, stride = _check_pool_backward_args(dout, x, size, stride)
    windows = _pool_windows(x, size, stride)
    N, C, Ho, Wo = dout.shape
    dtype = _float_dtype(dout, x)
    # np.argmax returns the first maximum of each flattened (row-major) window.
    first_max = windows.reshape(N, C, Ho, Wo, size * size).argmax(axis=4)
    dx = np.zeros(x.shape, dtype=dtype)
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    for di in range(size):
        for dj in range(size):
            routed = np.where(first_max == di * size + dj, dout, 0)
            dx[:, :, di : di + h_end : stride, dj : dj + w_end : stride] += routed
    return dx


def avgpool2d_forward(x, size: int = 2, stride: int = 2) -> np.ndarray:
    """Average pooling over ``size x size`` windows moved by ``stride``.

    ``out[n, c, i, j] = (1 / size**2) * sum_{di, dj < size} x[n, c, i*stride + di, j*stride + dj]``

    Args:
        x: input, shape ``(N, C, H, W)``.
        size: window height and width, 1 <= size <= min(H, W).
        stride: step between windows, >= 1.

    Returns:
        ``out`` of shape ``(N, C, H', W')``, ``H' = floor((H - size) / stride) + 1``,
        in the float dtype of ``x``.
    """
    x, size, stride = _check_pool_args(x, size, stride)
    dtype = _float_dtype(x)
    return _pool_windows(x, size, stride).mean(axis=(4, 5), dtype=dtype).astype(dtype, copy=False)


def avgpool2d_backward(dout, x, size: int = 2, stride: int = 2) -> np.ndarray:
    """Backward pass of :func:`avgpool2d_forward`.

    Every input in a window receives ``dout[n, c, i, j] / size**2``; where
    windows overlap the contributions are summed.

    Args:
        dout: upstream gradient, shape ``(N, C, H', W')``.
        x: the forward input, shape ``(N, C, H, W)``.
        size, stride: as in the forward pass.

    Returns:
        ``dx`` of shape ``(N, C, H, W)``.
    """
    dout, x, size, stride = _check_pool_backward_args(dout, x, size, stride)
    Ho, Wo = dout.shape[2:]
    dtype = _float_dtype(dout, x)
    share = dout.astype(dtype, copy=False) / (size * size)
    dx = np.zeros(x.shape, dtype=dtype)
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    for di in range(size):
        for dj in range(size):
            dx[:, :, di : di + h_end : stride, dj : dj + w_end : stride] += share
    return dx

