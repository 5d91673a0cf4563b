"""The convolution made fast: the speed machinery kept apart from :mod:`cnnbook.layers`.

:mod:`cnnbook.layers` is the readable reference (and the API the exercises
are graded against). This module computes the same convolution with the
same im2col matrix product, plus three things that only buy speed, walked
through in the chapter "Making convolution fast":

1. **Threads.** The copy loops of im2col and col2im run in NumPy, which
   releases the GIL while it copies; large copies are split by channel
   across a thread pool, the way BLAS already splits the matrix products.
2. **Reused work buffers.** A layer that passes the same ``cache`` dict on
   every call gets its large arrays (padded input, window matrix, column
   gradients) back instead of page-faulting fresh ones each time.
3. **The forward/backward cache.** The window matrix built by the forward
   pass is kept in ``cache`` and reused by the backward pass, which would
   otherwise build it again. It is reused only when the backward pass gets
   the *same* array with the *same* contents: a copy of ``x`` taken in the
   forward pass is compared with ``x``, so an input edited in place between
   the two calls is noticed and its windows are built afresh.

It also holds the window matrix itself as public functions (:func:`im2col`
and its adjoint :func:`col2im`) and the plain-loop convolution the chapter
benchmarks against. It imports :mod:`cnnbook.conv_shapes` (the argument
checks it shares with the reference) and no other module of the course.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cnnbook.conv_shapes import (
    as_array,
    check_bias,
    check_conv_args,
    check_dout,
    check_int,
    check_ndim,
    conv_output_size,
    float_dtype,
)

__all__ = [
    "conv2d_forward",
    "conv2d_backward",
    "im2col",
    "col2im",
    "maxpool2d_forward",
    "maxpool2d_backward",
    "conv2d_forward_loops",
]


# --------------------------------------------------------------------------
# 1. Threads
# --------------------------------------------------------------------------

# Copies smaller than this stay on one thread (a thread hand-off costs more).
_PARALLEL_MIN_ELEMENTS = 1 << 20
_thread_pool: ThreadPoolExecutor | None = None


def _for_channel_chunks(n_channels: int, n_elements: int, work) -> None:
    """Call ``work(c0, c1)`` on chunks of ``range(n_channels)`` covering it exactly once."""
    workers = min(os.cpu_count() or 1, n_channels)
    if workers < 2 or n_elements < _PARALLEL_MIN_ELEMENTS:
        work(0, n_channels)
        return
    global _thread_pool
    if _thread_pool is None:
        _thread_pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cnnbook")
    bounds = np.linspace(0, n_channels, workers + 1).astype(int)
    chunks = zip(bounds[:-1], bounds[1:], strict=True)
    futures = [_thread_pool.submit(work, int(a), int(b)) for a, b in chunks]
    for future in futures:
        future.result()


# --------------------------------------------------------------------------
# 2. Reused work buffers
# --------------------------------------------------------------------------


def _buffer(workspace: dict | None, name: str, shape, dtype) -> np.ndarray:
    """A work array: reused from ``workspace`` when it has one of this shape and dtype.

    A reused array keeps its old contents: callers overwrite or clear what they use.
    """
    if workspace is not None:
        buf = workspace.get(name)
        if buf is not None and buf.shape == tuple(shape) and buf.dtype == dtype:
            return buf
    buf = np.empty(shape, dtype=dtype)
    if workspace is not None:
        workspace[name] = buf
    return buf


def _im2col(x, HH: int, WW: int, stride: int, pad: int, Ho: int, Wo: int, workspace=None):
    """The window matrix of :func:`im2col`, threaded and into reusable buffers.

    Returns ``cols`` of shape ``(C*HH*WW, N*Ho*Wo)``. The padded input is kept
    channel-major, ``(C, N, H+2p, W+2p)``, so that one channel chunk of it is
    contiguous.
    """
    N, C, H, W = x.shape
    xp = _buffer(workspace, "xp", (C, N, H + 2 * pad, W + 2 * pad), x.dtype)
    # A reused xp may hold another geometry's pixels in this one's border (a 6x6 input
    # padded by 1 and a 4x4 input padded by 2 share its shape): clear the border.
    xp[:, :, :pad] = xp[:, :, pad + H :] = 0
    xp[:, :, :, :pad] = xp[:, :, :, pad + W :] = 0
    cols = _buffer(workspace, "cols", (C, HH, WW, N, Ho, Wo), x.dtype)
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1

    def copy_windows(c0: int, c1: int) -> None:
        xp[c0:c1, :, pad : pad + H, pad : pad + W] = x[:, c0:c1].transpose(1, 0, 2, 3)
        for i in range(HH):
            for j in range(WW):
                cols[c0:c1, i, j] = xp[c0:c1, :, i : i + h_end : stride, j : j + w_end : stride]

    _for_channel_chunks(C, cols.size, copy_windows)
    return cols.reshape(C * HH * WW, N * Ho * Wo)


def _col2im(
    dcols, x_shape, HH: int, WW: int, stride: int, pad: int, Ho: int, Wo: int, workspace=None
):
    """:func:`col2im`, threaded and with a reusable buffer; returns a new ``dx``."""
    N, C, H, W = x_shape
    dcols = dcols.reshape(C, HH, WW, N, Ho, Wo)
    dxp = _buffer(workspace, "dxp", (C, N, H + 2 * pad, W + 2 * pad), dcols.dtype)
    dx = np.empty(x_shape, dtype=dcols.dtype)
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1

    def add_windows(c0: int, c1: int) -> None:
        dxp[c0:c1] = 0
        for i in range(HH):
            for j in range(WW):
                dxp[c0:c1, :, i : i + h_end : stride, j : j + w_end : stride] += dcols[c0:c1, i, j]
        dx[:, c0:c1] = dxp[c0:c1, :, pad : pad + H, pad : pad + W].transpose(1, 0, 2, 3)

    _for_channel_chunks(C, dcols.size, add_windows)
    return dx


def im2col(x, HH: int, WW: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Copy every convolution window of ``x`` into one column of a matrix ("im2col").

    Args:
        x: input, shape ``(N, C, H, W)``.
        HH, WW: kernel height and width.
        stride, pad: as in :func:`conv2d_forward`.

    Returns:
        ``cols`` of shape ``(C*HH*WW, N*H'*W')`` with
        ``cols[(c*HH + i)*WW + j, (n*H' + ho)*W' + wo] = xp[n, c, ho*stride + i, wo*stride + j]``
        where ``xp`` is ``x`` zero-padded by ``pad``: row ``(c, i, j)`` is one kernel
        tap, column ``(n, ho, wo)`` one window. A convolution is then one matrix
        product, ``w.reshape(F, -1) @ cols``.
    """
    x = as_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    HH, WW = check_int(HH, "HH", 1), check_int(WW, "WW", 1)
    N, C, H, W = x.shape
    no_filters = np.empty((0, C, HH, WW))  # check_conv_args checks the kernel size
    x, _, stride, pad = check_conv_args(x, no_filters, stride, pad)
    Ho, Wo = conv_output_size(H, HH, pad, stride), conv_output_size(W, WW, pad, stride)
    return _im2col(x.astype(float_dtype(x), copy=False), HH, WW, stride, pad, Ho, Wo)


def col2im(dcols, x_shape, HH: int, WW: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The adjoint of :func:`im2col` ("col2im"): add every column back onto its window.

    For every ``cols`` of the shape :func:`im2col` returns,
    ``sum(im2col(x, ...) * cols) == sum(x * col2im(cols, x.shape, ...))``: this
    is how the gradient of a convolution's input is assembled from the
    gradients of its windows.

    Args:
        dcols: shape ``(C*HH*WW, N*H'*W')``.
        x_shape: ``(N, C, H, W)``, the shape of the input of :func:`im2col`.
        HH, WW, stride, pad: as in :func:`im2col`.

    Returns:
        An array of shape ``x_shape``. Where windows overlap, their columns are
        summed; what lands on the padding is cut off.
    """
    N, C, H, W = (check_int(n, "x_shape entry", 1) for n in x_shape)
    HH, WW = check_int(HH, "HH", 1), check_int(WW, "WW", 1)
    shape_only = np.broadcast_to(np.float32(0), (N, C, H, W))  # no memory
    _, _, stride, pad = check_conv_args(shape_only, np.empty((0, C, HH, WW)), stride, pad)
    Ho, Wo = conv_output_size(H, HH, pad, stride), conv_output_size(W, WW, pad, stride)
    dcols = as_array(dcols, "dcols")
    if dcols.shape != (C * HH * WW, N * Ho * Wo):
        raise ValueError(
            f"dcols must have im2col's shape (C*HH*WW, N*H'*W') = "
            f"{(C * HH * WW, N * Ho * Wo)}, got {dcols.shape}"
        )
    dcols = dcols.astype(float_dtype(dcols), copy=False)
    return _col2im(dcols, (N, C, H, W), HH, WW, stride, pad, Ho, Wo)


# --------------------------------------------------------------------------
# 3. The forward/backward cache
# --------------------------------------------------------------------------


def _remember_input(cache: dict, x: np.ndarray, settings: tuple) -> None:
    """Record which input (object and contents) the cached window matrix was built from."""
    seen = _buffer(cache.setdefault("buffers", {}), "x_seen", x.shape, x.dtype)
    np.copyto(seen, x)
    cache.update(x=x, x_seen=seen, settings=settings)


def _cached_cols(cache: dict | None, x: np.ndarray, settings: tuple, dtype) -> np.ndarray | None:
    """The forward pass's window matrix if it was built from this very ``x``, unchanged."""
    if cache is None or cache.get("x") is not x or cache.get("settings") != settings:
        return None
    cols = cache.get("cols")
    if cols is None or cols.dtype != dtype:
        return None
    # Same object is not enough: x may have been edited in place since the forward pass.
    if not np.array_equal(cache["x_seen"], x):
        return None
    return cols


def conv2d_forward(x, w, b, stride: int = 1, pad: int = 0, *, cache: dict | None = None):
    """:func:`cnnbook.layers.conv2d_forward`, fast: same arguments, same result.

    Args:
        x, w, b, stride, pad: as in :func:`cnnbook.layers.conv2d_forward`.
        cache: optional dict owned by one layer and passed on every call; it
            keeps the work arrays for the next call and the window matrix for
            :func:`conv2d_backward`.

    Returns:
        ``out`` of shape ``(N, F, H', W')``.
    """
    x, w, stride, pad = check_conv_args(x, w, stride, pad)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    b = check_bias(b, F)
    dtype = float_dtype(x, w, b)
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    workspace = None if cache is None else cache.setdefault("buffers", {})
    cols = _im2col(x.astype(dtype, copy=False), HH, WW, stride, pad, Ho, Wo, workspace)
    if cache is not None:
        cache["cols"] = cols
        _remember_input(cache, x, (stride, pad, (HH, WW)))
    out = w.reshape(F, -1).astype(dtype, copy=False) @ cols  # (F, N*Ho*Wo)
    out += b.astype(dtype, copy=False)[:, np.newaxis]
    return out.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)


def conv2d_backward(dout, x, w, stride: int = 1, pad: int = 0, *, cache: dict | None = None):
    """:func:`cnnbook.layers.conv2d_backward`, fast: same arguments, same result.

    With the ``cache`` of the forward pass, the window matrix is reused when
    ``x`` is the same array, unchanged, with the same stride, padding and
    kernel size; otherwise it is built again.

    Returns:
        ``(dx, dw, db)`` with shapes ``(N, C, H, W)``, ``(F, C, HH, WW)``, ``(F,)``.
    """
    x, w, stride, pad = check_conv_args(x, w, stride, pad)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    dout = check_dout(dout, (N, F, Ho, Wo), "(N, F, H', W')")
    dtype = float_dtype(dout, x, w)
    workspace = None if cache is None else cache.setdefault("buffers", {})
    cols = _cached_cols(cache, x, (stride, pad, (HH, WW)), dtype)
    if cols is None:
        cols = _im2col(x.astype(dtype, copy=False), HH, WW, stride, pad, Ho, Wo)
    dout_rows = dout.astype(dtype, copy=False).transpose(1, 0, 2, 3).reshape(F, N * Ho * Wo)
    w_rows = w.reshape(F, C * HH * WW).astype(dtype, copy=False)

    db = dout_rows.sum(axis=1)
    dw = (dout_rows @ cols.T).reshape(F, C, HH, WW)
    dcols = _buffer(workspace, "dcols", (C * HH * WW, N * Ho * Wo), dtype)
    np.matmul(w_rows.T, dout_rows, out=dcols)
    dx = _col2im(dcols, x.shape, HH, WW, stride, pad, Ho, Wo, workspace)
    return dx, dw, db


# --------------------------------------------------------------------------
# Max pooling without window reductions
# --------------------------------------------------------------------------


def _check_pool(x, size, stride):
    x = as_array(x, "x")
    check_ndim(x, 4, "x", "(N, C, H, W)")
    size, stride = check_int(size, "size", 1), check_int(stride, "stride", 1)
    if size > x.shape[2] or size > x.shape[3]:
        raise ValueError(f"pooling window {size}x{size} is larger than the input {x.shape[2:]}")
    Ho, Wo = (
        conv_output_size(x.shape[2], size, 0, stride),
        conv_output_size(x.shape[3], size, 0, stride),
    )
    return x, size, stride, Ho, Wo


def _window_views(x: np.ndarray, size: int, stride: int, Ho: int, Wo: int):
    """For each window offset ``(di, dj)`` in row-major order, the strided view
    ``x[:, :, di + stride*i, dj + stride*j]`` of shape ``(N, C, Ho, Wo)``."""
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    for di in range(size):
        for dj in range(size):
            yield x[:, :, di : di + h_end : stride, dj : dj + w_end : stride]


def _window_max(x: np.ndarray, size: int, stride: int, Ho: int, Wo: int) -> np.ndarray:
    """The maximum of every window: one ``np.maximum`` per window offset over strided
    views, instead of a reduction over the small window axes (which NumPy does slowly)."""
    views = _window_views(x, size, stride, Ho, Wo)
    out = next(views).copy()
    for view in views:
        np.maximum(out, view, out=out)
    return out


def maxpool2d_forward(x, size: int = 2, stride: int = 2) -> np.ndarray:
    """:func:`cnnbook.layers.maxpool2d_forward`, fast: same arguments, same result."""
    x, size, stride, Ho, Wo = _check_pool(x, size, stride)
    return _window_max(x, size, stride, Ho, Wo)


def maxpool2d_backward(dout, x, size: int = 2, stride: int = 2) -> np.ndarray:
    """:func:`cnnbook.layers.maxpool2d_backward`, fast: same arguments, same result
    for finite inputs.

    Each window's gradient goes to its first maximum in row-major order: the
    offsets are visited in that order, and a window whose gradient has been
    routed passes nothing more. Overlapping windows add up.
    """
    x, size, stride, Ho, Wo = _check_pool(x, size, stride)
    N, C, H, W = x.shape
    dout = check_dout(dout, (N, C, Ho, Wo), "(N, C, H', W')")
    dtype = float_dtype(dout, x)
    out = _window_max(x, size, stride, Ho, Wo)
    left = dout.astype(dtype, copy=True)  # the gradient of each window not routed yet
    dx = np.zeros(x.shape, dtype=dtype)
    for view, dx_view in zip(
        _window_views(x, size, stride, Ho, Wo), _window_views(dx, size, stride, Ho, Wo), strict=True
    ):
        routed = left * (view == out)  # arithmetic, not masked writes (which are slow)
        dx_view += routed
        left -= routed
    return dx


# --------------------------------------------------------------------------
# The slow baseline and the cost of a network
# --------------------------------------------------------------------------


def conv2d_forward_loops(x, w, b, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The convolution as plain Python loops, one output number at a time (slow).

    Same arguments and result as :func:`cnnbook.layers.conv2d_forward`; the
    baseline of the chapter's benchmark. Each output is one dot product of a
    ``(C, HH, WW)`` window with a filter (``conv_single_step``).
    """
    x, w, stride, pad = check_conv_args(x, w, stride, pad)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    b = check_bias(b, F)
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.empty((N, F, Ho, Wo), dtype=float_dtype(x, w, b))
    for n in range(N):
        for k in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, k, i, j] = np.sum(window * w[k]) + b[k]
    return out
