"""A small network API built on :mod:`cnnbook.layers`.

Each layer object keeps what its forward pass needs for the backward pass
and owns its parameters. A :class:`Sequential` model chains layers; an
optimizer updates the parameters from their gradients::

    rng = np.random.default_rng(0)
    model = Sequential([
        Conv2D(1, 16, kernel_size=3, pad=1, rng=rng), ReLU(), MaxPool2D(2),
        Flatten(), Dense(16 * 4 * 4, 10, rng=rng),
    ])
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    logits = model.forward(x)                      # (N, 10)
    loss, dlogits = softmax_cross_entropy(logits, y)
    model.backward(dlogits)                        # fills every parameter's .grad
    optimizer.step()

One *iteration* is one such forward/backward/update on a mini-batch; one
*epoch* is as many iterations as it takes to see every training example once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnbook import fast_layers, layers
from cnnbook.layers import softmax_cross_entropy
from cnnbook.optim import SGD, Adam, RMSProp

__all__ = [
    "Parameter",
    "Layer",
    "Conv2D",
    "ReLU",
    "MaxPool2D",
    "AvgPool2D",
    "Flatten",
    "Dense",
    "Sequential",
    "SGD",
    "softmax_cross_entropy",
]


class Parameter:
    """A learnable array and the gradient of the loss with respect to it.

    Attributes:
        value: the array (updated in place by the optimizer).
        grad: its gradient, same shape, set by the owning layer's backward pass.
        name: e.g. ``"conv1.w"``.
    """

    def __init__(self, value: np.ndarray, name: str):
        self.value = value
        self.grad = np.zeros_like(value)
        self.name = name

    def __repr__(self) -> str:
        return f"Parameter({self.name}, shape={self.value.shape}, dtype={self.value.dtype})"


class Layer:
    """Base class: ``forward`` caches its input, ``backward`` returns the input gradient."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def parameters(self) -> list[Parameter]:
        return []

    def _cached_input(self) -> np.ndarray:
        x = getattr(self, "_x", None)
        if x is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return x


def _he_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, dtype) -> np.ndarray:
    """He initialization, std = sqrt(2 / fan_in), suited to ReLU networks."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


class Conv2D(Layer):
    """Convolution layer: weights ``(out_channels, in_channels, k, k)``, biases ``(out_channels,)``.

    Input ``(N, in_channels, H, W)``, output ``(N, out_channels, H', W')``.

    This is the one place where the course picks the fast convolution: the
    layer calls :mod:`cnnbook.fast_layers` (same results as the reference
    :func:`cnnbook.layers.conv2d_forward`, faster) with a cache dict of its
    own, so its backward pass reuses the forward pass's window matrix.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        pad: int = 0,
        rng: np.random.Generator | None = None,
        dtype=np.float32,
        name: str = "conv",
    ):
        rng = np.random.default_rng() if rng is None else rng
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        fan_in = in_channels * kernel_size * kernel_size
        self.w = Parameter(_he_normal(rng, shape, fan_in, dtype), f"{name}.w")
        self.b = Parameter(np.zeros(out_channels, dtype=dtype), f"{name}.b")
        self.stride = stride
        self.pad = pad
        self._x = None
        self._cache: dict = {}  # work arrays and the window matrix (cnnbook.fast_layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return fast_layers.conv2d_forward(
            x, self.w.value, self.b.value, self.stride, self.pad, cache=self._cache
        )

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._cached_input()
        dx, self.w.grad, self.b.grad = fast_layers.conv2d_backward(
            dout, x, self.w.value, self.stride, self.pad, cache=self._cache
        )
        return dx

    def parameters(self) -> list[Parameter]:
        return [self.w, self.b]


class ReLU(Layer):
    """Elementwise ``max(0, x)``; any shape."""

    def __init__(self):
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return layers.relu_forward(x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return layers.relu_backward(dout, self._cached_input())


class _Pool2D(Layer):
    """Pooling over ``size x size`` windows; subclasses name the layer functions."""

    _forward = None  # e.g. layers.maxpool2d_forward
    _backward = None

    def __init__(self, size: int = 2, stride: int | None = None):
        self.size = size
        self.stride = size if stride is None else stride
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return self._forward(x, self.size, self.stride)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward(dout, self._cached_input(), self.size, self.stride)


class MaxPool2D(_Pool2D):
    """Max pooling over ``size x size`` windows; ``stride`` defaults to ``size``."""

    _forward = staticmethod(fast_layers.maxpool2d_forward)  # same results as layers'
    _backward = staticmethod(fast_layers.maxpool2d_backward)


class AvgPool2D(_Pool2D):
    """Average pooling over ``size x size`` windows; ``stride`` defaults to ``size``."""

    _forward = staticmethod(layers.avgpool2d_forward)
    _backward = staticmethod(layers.avgpool2d_backward)


class Flatten(Layer):
    """``(N, d1, ..., dk)`` to ``(N, d1 * ... * dk)``, row-major."""

    def __init__(self):
        self._shape = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._shape is None:
            raise RuntimeError("Flatten.backward called before forward")
        return dout.reshape(self._shape)


class Dense(Layer):
    """Fully connected layer: weights ``(in_features, out_features)``, biases ``(out_features,)``.

    Input ``(N, in_features)`` (or any ``(N, ...)`` that flattens to it),
    output ``(N, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rng: np.random.Generator | None = None,
        dtype=np.float32,
        name: str = "dense",
    ):
        rng = np.random.default_rng() if rng is None else rng
        w = _he_normal(rng, (in_features, out_features), in_features, dtype)
        self.w = Parameter(w, f"{name}.w")
        self.b = Parameter(np.zeros(out_features, dtype=dtype), f"{name}.b")
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return layers.affine_forward(x, self.w.value, self.b.value)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x = self._cached_input()
        dx, self.w.grad, self.b.grad = layers.affine_backward(dout, x, self.w.value)
        return dx

    def parameters(self) -> list[Parameter]:
        return [self.w, self.b]


class Sequential(Layer):
    """Layers applied one after the other; ``backward`` runs them in reverse."""

    def __init__(self, layer_list: Sequence[Layer]):
        self.layers = list(layer_list)
        if not self.layers:
            raise ValueError("Sequential needs at least one layer")

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def predict(self, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Predicted class of each sample: ``(N,)`` int64."""
        starts = range(0, len(x), batch_size)
        return np.concatenate([self.forward(x[i : i + batch_size]).argmax(axis=1) for i in starts])

    def __repr__(self) -> str:
        inner = ",\n  ".join(type(layer).__name__ for layer in self.layers)
        return f"Sequential(\n  {inner}\n)"


# --------------------------------------------------------------------------
# Batch normalization, dropout and residual blocks (chapter 10)
# --------------------------------------------------------------------------

__all__ += ["BatchNorm", "BatchNorm2D", "Dropout", "ResidualBlock", "RMSProp", "Adam",
            "set_mode"]  # the optimizers are cnnbook.optim's, re-exported


class BatchNorm(Layer):
    """Batch normalization of ``(N, D)`` features (:func:`cnnbook.layers.batchnorm_forward`).

    ``mode`` is ``"train"`` (batch statistics, running statistics updated) or
    ``"eval"`` (running statistics); :func:`set_mode` switches a whole model.
    """

    _forward = staticmethod(layers.batchnorm_forward)
    _backward = staticmethod(layers.batchnorm_backward)

    def __init__(self, num_features: int, momentum: float = 0.9, eps: float = 1e-5,
                 dtype=np.float32, name: str = "bn"):
        self.gamma = Parameter(np.ones(num_features, dtype=dtype), f"{name}.gamma")
        self.beta = Parameter(np.zeros(num_features, dtype=dtype), f"{name}.beta")
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.momentum = momentum
        self.eps = eps
        self.mode = "train"
        self._x = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        out, self.running_mean, self.running_var = self._forward(
            x, self.gamma.value, self.beta.value, self.running_mean, self.running_var,
            self.mode, self.momentum, self.eps)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.mode != "train":
            raise RuntimeError(f"{type(self).__name__}.backward is for mode 'train'")
        dx, self.gamma.grad, self.beta.grad = self._backward(
            dout, self._cached_input(), self.gamma.value, self.eps)
        return dx

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]


class BatchNorm2D(BatchNorm):
    """Spatial batch normalization of ``(N, C, H, W)`` maps: per channel, over N, H, W."""

    _forward = staticmethod(layers.spatial_batchnorm_forward)
    _backward = staticmethod(layers.spatial_batchnorm_backward)


class Dropout(Layer):
    """Inverted dropout (:func:`cnnbook.layers.dropout_forward`); ``p`` drops a unit.

    In mode ``"train"`` each forward pass draws a new mask from ``rng``; in
    ``"eval"`` the layer passes its input through.
    """

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None):
        self.p = p
        self.rng = np.random.default_rng() if rng is None else rng
        self.mode = "train"
        self._mask = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.mode == "eval":
            return x
        self._mask = layers.dropout_mask(x.shape, self.p, self.rng)
        return layers.dropout_forward(x, self.p, self._mask, "train")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._mask is None:
            raise RuntimeError("Dropout.backward called before a forward pass in mode 'train'")
        return layers.dropout_backward(dout, self.p, self._mask)


class ResidualBlock(Layer):
    """``out = relu(F(x) + S(x))``, input ``(N, C_in, H, W)``, output ``(N, C_out, H, W)``.

    ``F`` is conv 3x3 -> BatchNorm2D -> ReLU -> conv 3x3 -> BatchNorm2D (padding 1,
    stride 1; ``batchnorm=False`` leaves the batch norms out); the shortcut ``S`` is
    the identity when ``C_in == C_out``, else a 1x1 convolution. ``skip=False``
    removes the shortcut: ``out = relu(F(x))``, the same layers stacked plainly.
    Backward: the gradient reaching the sum goes to both branches unchanged, so
    ``dx = dF/dx(...) + dS/dx(...)``: through the identity it arrives whole, however
    small the gradient through ``F``.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 rng: np.random.Generator | None = None, batchnorm: bool = True,
                 skip: bool = True, dtype=np.float32, name: str = "res"):
        rng = np.random.default_rng() if rng is None else rng
        norm = (lambda c, n: BatchNorm2D(c, dtype=dtype, name=n)) if batchnorm else None
        parts = [Conv2D(in_channels, out_channels, 3, pad=1, rng=rng, dtype=dtype,
                        name=f"{name}.conv1")]
        if norm:
            parts.append(norm(out_channels, f"{name}.bn1"))
        parts += [ReLU(), Conv2D(out_channels, out_channels, 3, pad=1, rng=rng, dtype=dtype,
                                 name=f"{name}.conv2")]
        if norm:
            parts.append(norm(out_channels, f"{name}.bn2"))
        self.branch = Sequential(parts)
        self.skip = skip
        self.shortcut = None
        if skip and in_channels != out_channels:
            self.shortcut = Conv2D(in_channels, out_channels, 1, rng=rng, dtype=dtype,
                                   name=f"{name}.shortcut")
        self.relu = ReLU()

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.branch.forward(x)
        if self.skip:
            out = out + (x if self.shortcut is None else self.shortcut.forward(x))
        return self.relu.forward(out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dsum = self.relu.backward(dout)
        dx = self.branch.backward(dsum)
        if not self.skip:
            return dx
        return dx + (dsum if self.shortcut is None else self.shortcut.backward(dsum))

    def parameters(self) -> list[Parameter]:
        extra = [] if self.shortcut is None else self.shortcut.parameters()
        return self.branch.parameters() + extra

    @property
    def layers(self) -> list[Layer]:
        """The sub-layers, for :func:`set_mode`."""
        return [self.branch, self.relu] + ([self.shortcut] if self.shortcut else [])


def set_mode(model: Layer, mode: str) -> None:
    """Put every BatchNorm and Dropout layer in ``model`` in ``"train"`` or ``"eval"`` mode."""
    if mode not in layers.BN_MODES:
        raise ValueError(f"mode must be 'train' or 'eval', got {mode!r}")
    if hasattr(model, "mode"):
        model.mode = mode
    for layer in getattr(model, "layers", []):
        set_mode(layer, mode)
