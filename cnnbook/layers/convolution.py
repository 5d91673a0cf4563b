"""Convolution (chapters 2 and 3, backward pass in chapter 7): padding, one
window, and the whole layer forward and backward, vectorized with im2col.

Shapes: ``x`` is ``(N, C, H, W)``, the weights ``w`` are ``(F, C, HH, WW)``, the
biases ``b`` are ``(F,)``, and the output is ``(N, F, H', W')`` with
``H' = floor((H + 2*pad - HH) / stride) + 1`` (:func:`conv_output_size`, which
lives in :mod:`cnnbook.conv_shapes` and is re-exported here). The conventions of
every layer are in :mod:`cnnbook.layers`.
"""

from __future__ import annotations

import numpy as np

from cnnbook.conv_shapes import as_array as _as_array
from cnnbook.conv_shapes import check_bias as _check_bias
from cnnbook.conv_shapes import check_conv_args as _check_conv_args
from cnnbook.conv_shapes import check_dout as _check_dout
from cnnbook.conv_shapes import check_int as _check_int
from cnnbook.conv_shapes import check_ndim as _check_ndim
from cnnbook.conv_shapes import check_same_shape as _check_same_shape
from cnnbook.conv_shapes import conv_output_size
from cnnbook.conv_shapes import float_dtype as _float_dtype

__all__ = [
    "conv_output_size",
    "zero_pad",
    "conv_single_step",
    "conv2d_forward",
    "conv2d_backward",
]


# --------------------------------------------------------------------------
# Padding (the output size, conv_output_size, is in cnnbook.conv_shapes)
# --------------------------------------------------------------------------


def zero_pad(x, pad: int) -> np.ndarray:
    """Pad the height and width of a batch of images with zeros.

    Args:
        x: images, shape ``(N, C, H, W)``.
        pad: number of zero rows/columns added on each side, >= 0.

    Returns:
        Padded images, shape ``(N, C, H + 2*pad, W + 2*pad)``, dtype of ``x``.
        N and C are never padded.
    """
    x = _as_array(x, "x")
    _check_ndim(x, 4, "x", "(N, C, H, W)")
    pad = _check_int(pad, "pad", 0)
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")


# --------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------


def conv_single_step(x_slice, w, b) -> float:
    """One position of a convolution: the dot product of a window with a filter, plus bias.

    ``out = sum_{c,i,j} x_slice[c, i, j] * w[c, i, j] + b``

    Args:
        x_slice: one window of the input, shape ``(C, HH, WW)``.
        w: one filter, shape ``(C, HH, WW)``.
        b: the filter's bias, a scalar (or an array of size 1).

    Returns:
        A Python ``float``.
    """
    x_slice = _as_array(x_slice, "x_slice")
    w = _as_array(w, "w")
    _check_ndim(x_slice, 3, "x_slice", "(C, HH, WW)")
    _check_same_shape(w, x_slice, "w", "x_slice")
    b = _as_array(b, "b")
    if b.size != 1:
        raise ValueError(f"b must be a single number, got shape {b.shape}")
    return float(np.sum(x_slice * w) + b.reshape(()))


def _im2col(x: np.ndarray, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
    """Copy every convolution window of ``x`` into one column of a matrix ("im2col").

    Args:
        x: input, shape ``(N, C, H, W)``.
        HH, WW: kernel height and width.
        stride, pad: as in :func:`conv2d_forward`.

    Returns:
        ``cols`` of shape ``(C*HH*WW, N*H'*W')`` with
        ``cols[(c*HH + i)*WW + j, (n*H' + ho)*W' + wo] = xp[n, c, ho*stride + i, wo*stride + j]``
        where ``xp = zero_pad(x, pad)``: row ``(c, i, j)`` is one kernel tap, column
        ``(n, ho, wo)`` one window. The loop runs over the ``HH*WW`` kernel taps; each
        step copies, for every window at once, the pixel under that tap.
    """
    N, C, H, W = x.shape
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    xp = zero_pad(x, pad)
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    cols = np.empty((C, HH, WW, N, Ho, Wo), dtype=x.dtype)
    for i in range(HH):
        for j in range(WW):
            under_tap = xp[:, :, i : i + h_end : stride, j : j + w_end : stride]  # (N, C, H', W')
            cols[:, i, j] = under_tap.transpose(1, 0, 2, 3)
    return cols.reshape(C * HH * WW, N * Ho * Wo)


def _col2im(dcols: np.ndarray, x_shape, HH: int, WW: int, stride: int, pad: int) -> np.ndarray:
    """Adjoint of :func:`_im2col` ("col2im"): add every column back onto its window.

    Args:
        dcols: gradient of the columns, shape ``(C*HH*WW, N*H'*W')``.
        x_shape: ``(N, C, H, W)``, the shape of the input of :func:`_im2col`.

    Returns:
        ``dx`` of shape ``x_shape``. Where windows overlap, their contributions
        are summed; gradients that land on the padding are cut off.
    """
    N, C, H, W = x_shape
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    dcols = dcols.reshape(C, HH, WW, N, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dcols.dtype)
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i : i + h_end : stride, j : j + w_end : stride] += dcols[:, i, j].transpose(
                1, 0, 2, 3
            )
    return dxp[:, :, pad : pad + H, pad : pad + W]


def _cached_windows(cache: dict | None, x: np.ndarray, settings: tuple, dtype):
    """The window matrix :func:`conv2d_forward` kept in ``cache``, if it fits this call.

    It fits when it was built from an input equal to ``x`` (a copy was kept, so
    an ``x`` edited in place since the forward pass is noticed), with the same
    ``(stride, pad, HH, WW)`` and dtype. Otherwise ``None``.
    """
    if cache is None or "windows" not in cache:
        return None
    x_seen, settings_seen, cols = cache["windows"]
    if settings_seen != settings or cols.dtype != dtype or not np.array_equal(x_seen, x):
        return None
    return cols


def conv2d_forward(x, w, b, stride: int = 1, pad: int = 0, *, cache: dict | None = None):
    """Forward pass of a 2-D convolution layer (cross-correlation, no kernel flip).

    ``out[n, k, i, j] = b[k] + sum_{c, u, v} w[k, c, u, v] * xp[n, c, i*s + u, j*s + v]``

    with ``s = stride``, ``xp = zero_pad(x, pad)``, and
    ``H' = floor((H + 2*pad - HH) / stride) + 1``,
    ``W' = floor((W + 2*pad - WW) / stride) + 1``.

    Computed as one matrix product: the windows of ``xp`` are copied into the
    columns of a ``(C*HH*WW, N*H'*W')`` matrix (:func:`_im2col`) and multiplied
    by the filters reshaped to ``(F, C*HH*WW)``.

    Args:
        x: input, shape ``(N, C, H, W)``.
        w: filters, shape ``(F, C, HH, WW)``.
        b: biases, shape ``(F,)``.
        stride: step between windows, >= 1 (same along H and W).
        pad: zeros added on each side of H and W, >= 0.
        cache: optional dict. With it, the window matrix is kept in the dict
            (with a copy of ``x``) so that :func:`conv2d_backward`, given the
            same dict, need not build it again.

    Returns:
        ``out`` of shape ``(N, F, H', W')``, in the inputs' float dtype.
    """
    x, w, stride, pad = _check_conv_args(x, w, stride, pad)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    b = _check_bias(b, F)
    dtype = _float_dtype(x, w, b)
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    cols = _im2col(x.astype(dtype, copy=False), HH, WW, stride, pad)  # (C*HH*WW, N*H'*W')
    if cache is not None:  # for conv2d_backward: the windows and what they were built from
        cache["windows"] = (x.copy(), (stride, pad, HH, WW), cols)
    w_rows = w.reshape(F, C * HH * WW).astype(dtype, copy=False)  # (F, C*HH*WW)
    out = w_rows @ cols + b.astype(dtype, copy=False)[:, np.newaxis]  # (F, N*H'*W')
    return out.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)


def conv2d_backward(dout, x, w, stride: int = 1, pad: int = 0, *, cache: dict | None = None):
    """Backward pass of :func:`conv2d_forward`.

    With ``xp = zero_pad(x, pad)``:

    * ``db[k] = sum_{n, i, j} dout[n, k, i, j]``
    * ``dw[k, c, u, v] = sum_{n, i, j} dout[n, k, i, j] * xp[n, c, i*stride + u, j*stride + v]``
      (a valid cross-correlation of the input with ``dout``)
    * ``dxp[n, c, i*stride + u, j*stride + v] += sum_k dout[n, k, i, j] * w[k, c, u, v]``:
      every ``dout`` entry stamps the kernel, scaled, back onto its window. For
      stride 1 this is the full cross-correlation of ``dout`` with the kernel
      rotated by 180 degrees, which is the same as the true (flipping) full
      convolution of ``dout`` with ``w``; for stride > 1, the same with ``dout``
      dilated by ``stride - 1`` zeros between its entries. ``dx`` is ``dxp`` with
      the padding cut off.

    Computed with the window matrix of the forward pass:
    ``dw = dout_rows @ cols.T`` and ``dx = col2im(w_rows.T @ dout_rows)``.

    Args:
        dout: upstream gradient, shape ``(N, F, H', W')``.
        x: the forward input, shape ``(N, C, H, W)``.
        w: the filters, shape ``(F, C, HH, WW)``.
        stride, pad: as in the forward pass.
        cache: the dict passed to :func:`conv2d_forward`, if any. Its window
            matrix is reused when it was built from an ``x`` equal to this one
            with the same stride, padding and kernel size (same results);
            otherwise the windows are built again.

    Returns:
        ``(dx, dw, db)`` with shapes ``(N, C, H, W)``, ``(F, C, HH, WW)``, ``(F,)``.
    """
    x, w, stride, pad = _check_conv_args(x, w, stride, pad)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    dout = _check_dout(dout, (N, F, Ho, Wo), "(N, F, H', W')")
    dtype = _float_dtype(dout, x, w)
    cols = _cached_windows(cache, x, (stride, pad, HH, WW), dtype)
    if cols is None:
        cols = _im2col(x.astype(dtype, copy=False), HH, WW, stride, pad)  # (C*HH*WW, N*H'*W')
    dout_rows = dout.astype(dtype, copy=False).transpose(1, 0, 2, 3).reshape(F, N * Ho * Wo)
    w_rows = w.reshape(F, C * HH * WW).astype(dtype, copy=False)
    db = dout_rows.sum(axis=1)
    dw = (dout_rows @ cols.T).reshape(F, C, HH, WW)
    dx = _col2im(w_rows.T @ dout_rows, x.shape, HH, WW, stride, pad)
    return dx, dw, db

