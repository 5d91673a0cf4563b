"""The ReLU activation and the dense (affine) layer (chapter 5; the backward
passes in chapter 7).

Shapes: ReLU keeps any shape; the dense layer flattens ``x`` of ``(N, d_1, ..., d_k)``
row-major to ``(N, D)`` and computes ``x @ w + b`` with ``w`` of ``(D, M)`` and ``b``
of ``(M,)``. The conventions of every layer are in :mod:`cnnbook.layers`.
"""

from __future__ import annotations

import numpy as np

from cnnbook.conv_shapes import as_array as _as_array
from cnnbook.conv_shapes import check_ndim as _check_ndim
from cnnbook.conv_shapes import check_same_shape as _check_same_shape
from cnnbook.conv_shapes import float_dtype as _float_dtype

__all__ = [
    "relu_forward",
    "relu_backward",
    "affine_forward",
    "affine_backward",
]


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

