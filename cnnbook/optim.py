"""The optimizers of :mod:`cnnbook.nn`: SGD with momentum, RMSProp and Adam.

Each one holds a network's parameters (``model.parameters()``: objects with a
``.value`` array, updated in place, and its ``.grad`` of the same shape, as
:class:`cnnbook.nn.Parameter`) and the optimizer's state, one array per parameter;
``step()`` updates every parameter from its current gradient. RMSProp and Adam
apply the reference rules :func:`cnnbook.layers.rmsprop_step` and
:func:`cnnbook.layers.adam_step`. :mod:`cnnbook.nn` re-exports all three.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np

from cnnbook.layers.optimizers import adam_step, rmsprop_step

__all__ = ["SGD", "RMSProp", "Adam"]


class Parameter(Protocol):
    """What an optimizer updates: :class:`cnnbook.nn.Parameter` (this module does not
    import :mod:`cnnbook.nn`, which imports it)."""

    value: np.ndarray
    grad: np.ndarray


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum and optional weight decay.

    For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p
        v = momentum * v - lr * g
        p = p + v
    """

    def __init__(
        self,
        parameters: Iterable[Parameter],
        lr: float = 0.01,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
    ):
        self.parameters = list(parameters)
        if not lr > 0:
            raise ValueError(f"learning rate lr must be > 0, got {lr}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        if weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self._velocity = [np.zeros_like(p.value) for p in self.parameters]

    def step(self) -> None:
        """Update every parameter in place from its current ``.grad``."""
        for p, v in zip(self.parameters, self._velocity, strict=True):
            g = p.grad + self.weight_decay * p.value if self.weight_decay else p.grad
            v *= self.momentum
            v -= self.lr * g
            p.value += v


class _Adaptive:
    """Shared set-up of :class:`RMSProp` and :class:`Adam`."""

    def __init__(self, parameters: Iterable[Parameter], lr: float, eps: float):
        self.parameters = list(parameters)
        if not lr > 0:
            raise ValueError(f"learning rate lr must be > 0, got {lr}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        self.lr = lr
        self.eps = eps


class RMSProp(_Adaptive):
    """RMSProp (:func:`cnnbook.layers.rmsprop_step`), every parameter updated in place."""

    def __init__(self, parameters: Iterable[Parameter], lr: float = 1e-3, decay: float = 0.99,
                 eps: float = 1e-8):
        super().__init__(parameters, lr, eps)
        self.decay = decay
        self._s = [np.zeros_like(p.value) for p in self.parameters]

    def step(self) -> None:
        for i, p in enumerate(self.parameters):
            w, self._s[i] = rmsprop_step(p.value, p.grad, self._s[i], self.lr,
                                         self.decay, self.eps)
            p.value[...] = w


class Adam(_Adaptive):
    """Adam (:func:`cnnbook.layers.adam_step`), every parameter updated in place."""

    def __init__(self, parameters: Iterable[Parameter], lr: float = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(parameters, lr, eps)
        self.beta1, self.beta2 = beta1, beta2
        self.t = 0
        self._m = [np.zeros_like(p.value) for p in self.parameters]
        self._v = [np.zeros_like(p.value) for p in self.parameters]

    def step(self) -> None:
        self.t += 1
        for i, p in enumerate(self.parameters):
            w, self._m[i], self._v[i] = adam_step(
                p.value, p.grad, self._m[i], self._v[i], self.t, self.lr, self.beta1,
                self.beta2, self.eps)
            p.value[...] = w
