"""Softmax and the softmax cross-entropy loss with its gradient (chapter 6).

Shapes: logits ``z`` are ``(N, K)``, one row of ``K`` class scores per sample
(:func:`softmax` also takes a single ``(K,)`` vector); labels ``y`` are ``(N,)``
integers in ``[0, K)``. The conventions of every layer are in :mod:`cnnbook.layers`.
"""

from __future__ import annotations

import numpy as np

from cnnbook.conv_shapes import as_array as _as_array
from cnnbook.conv_shapes import check_ndim as _check_ndim
from cnnbook.conv_shapes import float_dtype as _float_dtype

__all__ = [
    "softmax",
    "softmax_cross_entropy",
]


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

