"""The optimizers' update rules, one parameter array per call (chapter 10):
SGD with momentum, RMSProp and Adam.

Shapes: the parameter ``w``, its gradient ``dw`` and the optimizer's state
(``velocity``, ``s``, ``m``, ``v``) all have one shape, any shape; every step
returns new arrays and leaves its inputs alone. :class:`cnnbook.optim.RMSProp` and
:class:`cnnbook.optim.Adam` update a network's parameters in place with these rules;
:class:`cnnbook.optim.SGD` applies the momentum rule in place itself (with optional
weight decay).
"""

from __future__ import annotations

import numpy as np

from cnnbook.conv_shapes import as_array as _as_array
from cnnbook.conv_shapes import check_int as _check_int
from cnnbook.conv_shapes import check_same_shape as _check_same_shape

__all__ = [
    "sgd_momentum_step",
    "rmsprop_step",
    "adam_step",
]


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
