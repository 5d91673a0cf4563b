"""Reference layers of a convolutional network, in NumPy, NCHW layout.

Every function here is the single source of truth for the course: the
chapters draw figures with them, the network in :mod:`cnnbook.nn` trains
with them, and the hidden tests of the exercises grade students against
them. The names and signatures are the course's contract (issue #2);
students implement functions of the same names.

Conventions
-----------
* Images are ``(N, C, H, W)``: batch, channels, height, width.
* Convolution weights are ``(F, C, HH, WW)``: filters, input channels,
  kernel height, kernel width; biases are ``(F,)``.
* "Convolution" is cross-correlation, as in every CNN library: the kernel
  is *not* flipped.
* Output size along one axis: ``floor((n + 2*pad - f) / stride) + 1``.
* Floating dtypes are preserved (float32 in, float32 out); integer inputs
  are computed in float64.
* Everything is vectorized: the only Python loops run over kernel or
  pooling-window offsets (at most ``HH * WW`` iterations), never over
  N, C, H or W.
* This module is the readable reference. The speed machinery of the
  convolution (threads, reused work buffers) lives apart in
  :mod:`cnnbook.fast_layers`, which computes the same results; the layer
  objects of :mod:`cnnbook.nn` use it. Neither module imports the other.

Bad input raises ``ValueError`` (or ``TypeError`` for a wrong type) whose
message names the problem.
"""

from __future__ import annotations

import numbers

import numpy as np

# The argument checks and the output-size formula are shared with
# cnnbook.fast_layers, which must not import this module: they live in
# cnnbook.conv_shapes. conv_output_size is part of this module's API.
from cnnbook.conv_shapes import as_array as _as_array
from cnnbook.conv_shapes import check_bias as _check_bias
from cnnbook.conv_shapes import check_conv_args as _check_conv_args
from cnnbook.conv_shapes import check_dout as _check_dout
from cnnbook.conv_shapes import check_int as _check_int
from cnnbook.conv_shapes import check_ndim as _check_ndim
from cnnbook.conv_shapes import conv_output_size
from cnnbook.conv_shapes import float_dtype as _float_dtype

__all__ = [
    "conv_output_size",
    "zero_pad",
    "conv_single_step",
    "conv2d_forward",
    "conv2d_backward",
    "maxpool2d_forward",
    "maxpool2d_backward",
    "avgpool2d_forward",
    "avgpool2d_backward",
    "relu_forward",
    "relu_backward",
    "affine_forward",
    "affine_backward",
    "softmax",
    "softmax_cross_entropy",
]


# --------------------------------------------------------------------------
# Input checks shared by the layers
# --------------------------------------------------------------------------


def _check_same_shape(a: np.ndarray, b: np.ndarray, a_name: str, b_name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{a_name} must have the shape of {b_name} {b.shape}, got {a.shape}")


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


# --------------------------------------------------------------------------
# Activation and dense layers
# --------------------------------------------------------------------------


def relu_forward(x) -> np.ndarray:
    """Rectified linear unit, elementwise: ``out = max(0, x)``.

    ReLU is an *activation* (a nonlinearity), not a normalization.

    Args:
        x: any shape.

    Returns:
        ``out`` of the shape and float dtype of ``x``.
    """
    x = _as_array(x, "x")
    return np.maximum(x, 0).astype(_float_dtype(x), copy=False)


def relu_backward(dout, x) -> np.ndarray:
    """Backward pass of :func:`relu_forward`: ``dx = dout * (x > 0)``.

    The derivative at exactly 0 is taken as 0.

    Args:
        dout: upstream gradient, the shape of ``x``.
        x: the forward input, any shape.

    Returns:
        ``dx`` of the shape of ``x``.
    """
    x = _as_array(x, "x")
    dout = _as_array(dout, "dout")
    _check_same_shape(dout, x, "dout", "x")
    return np.where(x > 0, dout, 0).astype(_float_dtype(dout, x), copy=False)


def _check_affine_args(x, w):
    x = _as_array(x, "x")
    w = _as_array(w, "w")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions (N, d1, ..., dk), got shape {x.shape}")
    _check_ndim(w, 2, "w", "(D, M)")
    D = int(np.prod(x.shape[1:]))
    if w.shape[0] != D:
        raise ValueError(
            f"w has {w.shape[0]} rows but x flattens to D = {D} features per sample "
            f"(x shape {x.shape}); w must be (D, M)"
        )
    return x, w


def affine_forward(x, w, b) -> np.ndarray:
    """Fully connected (dense) layer: ``out = x.reshape(N, D) @ w + b``.

    Args:
        x: input, shape ``(N, d1, ..., dk)``; each sample is flattened to
            ``D = d1 * ... * dk`` features (row-major, as ``x.reshape(N, -1)``).
        w: weights, shape ``(D, M)``.
        b: biases, shape ``(M,)``.

    Returns:
        ``out`` of shape ``(N, M)``.
    """
    x, w = _check_affine_args(x, w)
    b = _as_array(b, "b")
    M = w.shape[1]
    if b.shape != (M,):
        raise ValueError(f"bias length mismatch: b must have shape (M,) = ({M},), got {b.shape}")
    dtype = _float_dtype(x, w, b)
    x2 = x.reshape(x.shape[0], -1).astype(dtype, copy=False)
    return x2 @ w.astype(dtype, copy=False) + b.astype(dtype, copy=False)


def affine_backward(dout, x, w):
    """Backward pass of :func:`affine_forward`.

    With ``X = x.reshape(N, D)``: ``dX = dout @ w.T``, ``dw = X.T @ dout``,
    ``db = dout.sum(axis=0)``.

    Args:
        dout: upstream gradient, shape ``(N, M)``.
        x: the forward input, shape ``(N, d1, ..., dk)``.
        w: weights, shape ``(D, M)``.

    Returns:
        ``(dx, dw, db)`` with shapes ``x.shape``, ``(D, M)``, ``(M,)``.
    """
    x, w = _check_affine_args(x, w)
    dout = _as_array(dout, "dout")
    expected = (x.shape[0], w.shape[1])
    if dout.shape != expected:
        raise ValueError(f"dout must have shape (N, M) = {expected}, got {dout.shape}")
    dtype = _float_dtype(dout, x, w)
    dout = dout.astype(dtype, copy=False)
    x2 = x.reshape(x.shape[0], -1).astype(dtype, copy=False)
    dx = (dout @ w.astype(dtype, copy=False).T).reshape(x.shape)
    return dx, x2.T @ dout, dout.sum(axis=0)


# --------------------------------------------------------------------------
# Softmax and the loss
# --------------------------------------------------------------------------


def softmax(z) -> np.ndarray:
    """Row-wise softmax, numerically stable.

    ``probs[n, k] = exp(z[n, k] - m_n) / sum_j exp(z[n, j] - m_n)`` with ``m_n = max_j z[n, j]``.
    Subtracting the row maximum changes nothing mathematically and keeps
    ``exp`` from overflowing for logits as large as 1e4.

    Args:
        z: logits, shape ``(N, K)`` (a single ``(K,)`` vector is also accepted).

    Returns:
        ``probs`` of the shape of ``z``; each row sums to 1.
    """
    z = _as_array(z, "z")
    if z.ndim not in (1, 2):
        raise ValueError(f"z must have shape (N, K) or (K,), got {z.ndim} dimensions {z.shape}")
    if z.shape[-1] == 0:
        raise ValueError("z must have at least one class (K >= 1)")
    z = z.astype(_float_dtype(z), copy=False)
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits, y):
    """Softmax followed by the cross-entropy loss, averaged over the batch.

    ``L = -(1/N) * sum_n log softmax(logits)[n, y[n]]``, computed with
    log-sum-exp so that it is finite for any finite logits, and

    ``dL/dlogits = (softmax(logits) - onehot(y)) / N``.

    Args:
        logits: class scores, shape ``(N, K)``.
        y: integer labels, shape ``(N,)``, each in ``0 .. K-1``.

    Returns:
        ``(loss, dlogits)``: the mean loss as a Python ``float`` and its
        gradient, shape ``(N, K)``, in the float dtype of ``logits``.
    """
    logits = _as_array(logits, "logits")
    _check_ndim(logits, 2, "logits", "(N, K)")
    N, K = logits.shape
    if N == 0 or K == 0:
        raise ValueError(f"logits must have N >= 1 samples and K >= 1 classes, got {logits.shape}")
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels y must be integers, got dtype {y.dtype}")
    if y.shape != (N,):
        raise ValueError(f"labels y must have shape (N,) = ({N},), got {y.shape}")
    if y.min() < 0 or y.max() >= K:
        bad = y[(y < 0) | (y >= K)][0]
        raise ValueError(
            f"labels out of range: got label {bad}, but there are K={K} classes (0..{K - 1})"
        )
    logits = logits.astype(_float_dtype(logits), copy=False)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -log_probs[rows, y].mean()
    dlogits = np.exp(log_probs)
    dlogits[rows, y] -= 1
    dlogits /= N
    return float(loss), dlogits


# --------------------------------------------------------------------------
# Batch normalization, dropout and the optimizers' update rules (chapter 10)
# --------------------------------------------------------------------------

__all__ += [
    "batchnorm_forward",
    "batchnorm_backward",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "dropout_mask",
    "dropout_forward",
    "dropout_backward",
    "sgd_momentum_step",
    "rmsprop_step",
    "adam_step",
]

BN_MODES = ("train", "eval")


def _check_bn_args(x, gamma, beta, running_mean, running_var, mode, momentum, eps):
    x = _as_array(x, "x")
    _check_ndim(x, 2, "x", "(N, D)")
    N, D = x.shape
    if N == 0:
        raise ValueError(f"x must hold at least one sample, got shape {x.shape}")
    arrays = []
    for name, a in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                    ("running_var", running_var)):
        a = _as_array(a, name)
        if a.shape != (D,):
            raise ValueError(f"{name} must have shape (D,) = ({D},), got {a.shape}")
        arrays.append(a)
    if mode not in BN_MODES:
        raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    return x, *arrays


def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode: str = "train",
                      momentum: float = 0.9, eps: float = 1e-5):
    """Batch normalization of features, ``(N, D)``: each feature over the batch.

    In ``"train"`` mode, with the batch's statistics of each feature ``d``
    (the *biased* variance, dividing by N)::

        mu[d]  = mean_n x[n, d]            var[d] = mean_n (x[n, d] - mu[d])**2
        xhat   = (x - mu) / sqrt(var + eps)
        out    = gamma * xhat + beta
        running_mean' = momentum * running_mean + (1 - momentum) * mu
        running_var'  = momentum * running_var  + (1 - momentum) * var

    In ``"eval"`` mode the running statistics replace the batch's and are
    returned unchanged: ``out = gamma * (x - running_mean) / sqrt(running_var + eps)
    + beta``, the same for a sample whatever else is in its batch.

    ``momentum`` follows CS231n (the weight of the *old* running value);
    PyTorch's ``momentum=0.1`` is our ``momentum=0.9``.

    Args:
        x: input, shape ``(N, D)``.
        gamma, beta: scale and shift, shape ``(D,)``.
        running_mean, running_var: running statistics, shape ``(D,)``; never
            modified (new arrays are returned).
        mode: ``"train"`` or ``"eval"``.
        momentum: in [0, 1).
        eps: > 0, added to the variance under the square root.

    Returns:
        ``(out, running_mean, running_var)`` with shapes ``(N, D)``, ``(D,)``, ``(D,)``.
    """
    x, gamma, beta, running_mean, running_var = _check_bn_args(
        x, gamma, beta, running_mean, running_var, mode, momentum, eps)
    dtype = _float_dtype(x, gamma, beta)
    x = x.astype(dtype, copy=False)
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        mu, var = running_mean, running_var
        running_mean, running_var = running_mean.copy(), running_var.copy()
    xhat = (x - mu) / np.sqrt(var + eps)
    out = (gamma * xhat + beta).astype(dtype, copy=False)
    return out, running_mean, running_var


def batchnorm_backward(dout, x, gamma, eps: float = 1e-5):
    """Backward pass of :func:`batchnorm_forward` in ``"train"`` mode.

    The mean and variance depend on every sample of the batch, so each
    ``dx[n]`` collects gradient from every output. With
    ``xhat = (x - mu) / sqrt(var + eps)`` and ``dxhat = dout * gamma``, the
    chain rule through ``var`` and ``mu`` simplifies to::

        dx     = (dxhat - mean_n dxhat - xhat * mean_n (dxhat * xhat)) / sqrt(var + eps)
        dgamma = sum_n dout * xhat
        dbeta  = sum_n dout

    The statistics are recomputed from ``x`` (the forward input), so the
    backward pass needs only what the forward pass was given.

    Args:
        dout: upstream gradient, shape ``(N, D)``.
        x: the forward input, shape ``(N, D)``.
        gamma: the forward scale, shape ``(D,)``.
        eps: as in the forward pass.

    Returns:
        ``(dx, dgamma, dbeta)`` with shapes ``(N, D)``, ``(D,)``, ``(D,)``.
    """
    x = _as_array(x, "x")
    _check_ndim(x, 2, "x", "(N, D)")
    gamma = _as_array(gamma, "gamma")
    if gamma.shape != (x.shape[1],):
        raise ValueError(f"gamma must have shape (D,) = ({x.shape[1]},), got {gamma.shape}")
    dout = _check_dout(dout, x.shape, "(N, D)")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    dtype = _float_dtype(dout, x, gamma)
    x = x.astype(dtype, copy=False)
    dout = dout.astype(dtype, copy=False)
    mu = x.mean(axis=0)
    std = np.sqrt(x.var(axis=0) + eps)
    xhat = (x - mu) / std
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std
    return dx.astype(dtype, copy=False), (dout * xhat).sum(axis=0), dout.sum(axis=0)


def _channels_last(x: np.ndarray) -> np.ndarray:
    """``(N, C, H, W)`` to ``(N*H*W, C)``: one row per pixel, one column per channel."""
    N, C, H, W = x.shape
    return x.transpose(0, 2, 3, 1).reshape(N * H * W, C)


def _channels_first(rows: np.ndarray, shape) -> np.ndarray:
    """Inverse of :func:`_channels_last`."""
    N, C, H, W = shape
    return rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, running_mean, running_var, mode: str = "train",
                              momentum: float = 0.9, eps: float = 1e-5):
    """Batch normalization of feature maps, ``(N, C, H, W)``: each channel over N, H and W.

    A convolution applies the same filter everywhere, so its channel ``c``
    is one feature observed ``N * H * W`` times: ``mu[c]`` and ``var[c]``
    are taken over the axes ``(0, 2, 3)``, and ``gamma[c]``, ``beta[c]``
    are shared by every position. Equivalent to :func:`batchnorm_forward`
    on ``x.transpose(0, 2, 3, 1).reshape(-1, C)``.

    Args:
        x: input, shape ``(N, C, H, W)``.
        gamma, beta, running_mean, running_var: shape ``(C,)``.
        mode, momentum, eps: as in :func:`batchnorm_forward`.

    Returns:
        ``(out, running_mean, running_var)`` with shapes ``(N, C, H, W)``, ``(C,)``, ``(C,)``.
    """
    x = _as_array(x, "x")
    _check_ndim(x, 4, "x", "(N, C, H, W)")
    out, running_mean, running_var = batchnorm_forward(
        _channels_last(x), gamma, beta, running_mean, running_var, mode, momentum, eps)
    return _channels_first(out, x.shape), running_mean, running_var


def spatial_batchnorm_backward(dout, x, gamma, eps: float = 1e-5):
    """Backward pass of :func:`spatial_batchnorm_forward` in ``"train"`` mode.

    :func:`batchnorm_backward` on one row per pixel (``N * H * W`` rows,
    ``C`` columns), reshaped back.

    Args:
        dout: upstream gradient, shape ``(N, C, H, W)``.
        x: the forward input, shape ``(N, C, H, W)``.
        gamma: shape ``(C,)``.
        eps: as in the forward pass.

    Returns:
        ``(dx, dgamma, dbeta)`` with shapes ``(N, C, H, W)``, ``(C,)``, ``(C,)``.
    """
    x = _as_array(x, "x")
    _check_ndim(x, 4, "x", "(N, C, H, W)")
    dout = _check_dout(dout, x.shape, "(N, C, H, W)")
    dx, dgamma, dbeta = batchnorm_backward(_channels_last(dout), _channels_last(x), gamma, eps)
    return _channels_first(dx, x.shape), dgamma, dbeta


def _check_p(p) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p < 1:
        raise ValueError(f"the drop probability p must be a number in [0, 1), got {p!r}")
    return float(p)


def dropout_mask(shape, p: float, rng: np.random.Generator) -> np.ndarray:
    """A random keep-mask for :func:`dropout_forward`: ``rng.random(shape) >= p``.

    Each entry is True (kept) with probability ``1 - p``, independently.

    Args:
        shape: the shape of the activations.
        p: probability of *dropping* a unit, in [0, 1) (PyTorch's convention;
            CS231n's ``p`` is the keep probability).
        rng: a NumPy random generator.

    Returns:
        A bool array of ``shape``.
    """
    p = _check_p(p)
    return rng.random(shape) >= p


def _check_dropout_args(x, p, mask, x_name: str):
    x = _as_array(x, x_name)
    p = _check_p(p)
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"mask must be a bool array (True = kept), got dtype {mask.dtype}")
    _check_same_shape(mask, x, "mask", x_name)
    return x, p, mask


def dropout_forward(x, p: float, mask, mode: str = "train") -> np.ndarray:
    """Inverted dropout.

    In ``"train"`` mode each unit is kept where ``mask`` is True and scaled
    by ``1 / (1 - p)``, so that its expected value is unchanged::

        out = x * mask / (1 - p)

    In ``"eval"`` mode the layer does nothing: ``out = x`` (the scaling
    already happened during training; nothing is left to correct at test time).

    The mask is an argument (drawn by :func:`dropout_mask`), so that the
    layer's result does not depend on hidden random draws.

    Args:
        x: activations, any shape.
        p: probability of dropping a unit, in [0, 1).
        mask: bool array of the shape of ``x``, True where the unit is kept
            (ignored in ``"eval"`` mode).
        mode: ``"train"`` or ``"eval"``.

    Returns:
        ``out`` of the shape of ``x``.
    """
    x, p, mask = _check_dropout_args(x, p, mask, "x")
    if mode not in BN_MODES:
        raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
    dtype = _float_dtype(x)
    if mode == "eval":
        return x.astype(dtype, copy=True)
    return (x * mask / (1 - p)).astype(dtype, copy=False)


def dropout_backward(dout, p: float, mask) -> np.ndarray:
    """Backward pass of :func:`dropout_forward` in ``"train"`` mode:
    ``dx = dout * mask / (1 - p)``, with the forward pass's ``mask``.

    Args:
        dout: upstream gradient, any shape.
        p: the forward drop probability.
        mask: the forward keep-mask, bool, shape of ``dout``.

    Returns:
        ``dx`` of the shape of ``dout``.
    """
    dout, p, mask = _check_dropout_args(dout, p, mask, "dout")
    return (dout * mask / (1 - p)).astype(_float_dtype(dout), copy=False)


def _check_step_args(w, dw, **state):
    w = _as_array(w, "w")
    dw = _as_array(dw, "dw")
    _check_same_shape(dw, w, "dw", "w")
    out = []
    for name, a in state.items():
        a = _as_array(a, name)
        _check_same_shape(a, w, name, "w")
        out.append(a)
    return w, dw, *out


def sgd_momentum_step(w, dw, velocity, lr: float = 0.01, momentum: float = 0.9):
    """One step of SGD with (heavy-ball) momentum, as :class:`cnnbook.nn.SGD`::

        velocity' = momentum * velocity - lr * dw
        w'        = w + velocity'

    Args:
        w, dw, velocity: parameter, its gradient and its velocity, one shape.
        lr: learning rate; momentum: in [0, 1).

    Returns:
        ``(w', velocity')``, new arrays (the inputs are not modified).
    """
    w, dw, velocity = _check_step_args(w, dw, velocity=velocity)
    velocity = momentum * velocity - lr * dw
    return w + velocity, velocity


def rmsprop_step(w, dw, s, lr: float = 1e-3, decay: float = 0.99, eps: float = 1e-8):
    """One step of RMSProp: each parameter's step is divided by a running
    root-mean-square of its own gradients::

        s'  = decay * s + (1 - decay) * dw**2
        w'  = w - lr * dw / (sqrt(s') + eps)

    Args:
        w, dw, s: parameter, gradient and running mean of squared gradients, one shape.
        lr, decay, eps: learning rate, decay rate in [0, 1), eps > 0.

    Returns:
        ``(w', s')``, new arrays.
    """
    w, dw, s = _check_step_args(w, dw, s=s)
    s = decay * s + (1 - decay) * dw**2
    return w - lr * dw / (np.sqrt(s) + eps), s


def adam_step(w, dw, m, v, t: int, lr: float = 1e-3, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8):
    """One step of Adam (Kingma and Ba, 2015): momentum (``m``) and RMSProp's
    scaling (``v``), both bias-corrected for their start at zero::

        m'    = beta1 * m + (1 - beta1) * dw
        v'    = beta2 * v + (1 - beta2) * dw**2
        mhat  = m' / (1 - beta1**t)
        vhat  = v' / (1 - beta2**t)
        w'    = w - lr * mhat / (sqrt(vhat) + eps)

    Args:
        w, dw, m, v: parameter, gradient, first and second moment estimates, one shape.
        t: the number of this step, 1 for the first update.
        lr, beta1, beta2, eps: learning rate, decay rates in [0, 1), eps > 0.

    Returns:
        ``(w', m', v')``, new arrays (the inputs are not modified).
    """
    w, dw, m, v = _check_step_args(w, dw, m=m, v=v)
    t = _check_int(t, "t", 1)
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw**2
    mhat = m / (1 - beta1**t)
    vhat = v / (1 - beta2**t)
    return w - lr * mhat / (np.sqrt(vhat) + eps), m, v
