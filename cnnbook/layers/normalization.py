"""Batch normalization, spatial batch normalization and dropout (chapter 10).

Shapes: batch normalization works on features ``(N, D)`` with ``gamma``, ``beta``
and the running statistics of ``(D,)``; spatial batch normalization on feature
maps ``(N, C, H, W)`` with ``(C,)`` parameters; dropout keeps any shape. Every
layer has a ``mode``, ``"train"`` or ``"eval"`` (:data:`BN_MODES`). The
conventions of every layer are in :mod:`cnnbook.layers`.
"""

from __future__ import annotations

import numbers

import numpy as np

from cnnbook.conv_shapes import as_array as _as_array
from cnnbook.conv_shapes import check_dout as _check_dout
from cnnbook.conv_shapes import check_ndim as _check_ndim
from cnnbook.conv_shapes import check_same_shape as _check_same_shape
from cnnbook.conv_shapes import float_dtype as _float_dtype

__all__ = [
    "batchnorm_forward",
    "batchnorm_backward",
    "spatial_batchnorm_forward",
    "spatial_batchnorm_backward",
    "dropout_mask",
    "dropout_forward",
    "dropout_backward",
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

