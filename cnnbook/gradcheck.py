"""Numerical gradients and gradient checking.

A backward pass is checked by comparing it with centered differences,

    df/dx[i] ~= (f(x + h e_i) - f(x - h e_i)) / (2h),

whose error is O(h^2). The comparison only means something in float64:
in float32 the rounding error of f, about 1e-7 * |f| / h, swamps the
difference for any useful h, so these functions refuse float32 input.

Typical use, checking a layer's backward pass against its forward pass::

    x = rng.standard_normal((2, 3, 5, 5))          # float64
    dout = rng.standard_normal(out_shape)
    dx, dw, db = conv2d_backward(dout, x, w)
    check_gradient(lambda x: conv2d_forward(x, w, b), x, dx, dout=dout, name="x")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "numerical_gradient",
    "relative_error",
    "GradientReport",
    "GradientCheckError",
    "check_gradient",
]


def _require_float64(x: np.ndarray, name: str) -> None:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(
            f"{name} has dtype {x.dtype}; gradient checking needs float64 "
            f"(in float32, rounding error swamps the finite difference). "
            f"Use {name}.astype(np.float64)."
        )


def numerical_gradient(
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    dout: np.ndarray | None = None,
    h: float = 1e-5,
) -> np.ndarray:
    """Centered-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    If ``dout`` is None, ``f`` must return a scalar and the gradient of that
    scalar is returned. ``x`` is perturbed *in place*, one entry at a time,
    and restored afterwards, so ``f`` may either use its argument or a
    closure over the same array.

    Args:
        f: function of ``x`` returning a scalar, or an array of ``dout``'s shape.
        x: point to differentiate at, float64, any shape.
        dout: upstream gradient with the shape of ``f(x)``, float64; optional.
        h: step, > 0.

    Returns:
        The gradient, an array with the shape of ``x`` (float64).
    """
    _require_float64(x, "x")
    if dout is not None:
        _require_float64(dout, "dout")
    if not h > 0:
        raise ValueError(f"step h must be > 0, got {h}")

    def objective() -> float:
        value = np.asarray(f(x), dtype=np.float64)
        if dout is None:
            if value.size != 1:
                raise ValueError(
                    f"f returned an array of shape {value.shape}; pass dout to "
                    f"differentiate sum(f(x) * dout), or make f return a scalar"
                )
            return float(value.reshape(()))
        if value.shape != dout.shape:
            raise ValueError(f"f(x) has shape {value.shape} but dout has shape {dout.shape}")
        return float(np.sum(value * dout))

    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        plus = objective()
        x[index] = original - h
        minus = objective()
        x[index] = original
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b, eps: float = 1e-12) -> float:
    """Largest elementwise relative error ``|a - b| / max(eps, |a| + |b|)``.

    Around 1e-7 or below means agreement for a float64 gradient check;
    1e-2 or above almost always means a bug.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(eps, np.abs(a) + np.abs(b))))


@dataclass(frozen=True)
class GradientReport:
    """Outcome of :func:`check_gradient`."""

    name: str
    max_relative_error: float
    worst_index: tuple[int, ...]
    analytic_value: float
    numerical_value: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.max_relative_error <= self.tolerance

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"gradient of {self.name}: {verdict}, max relative error "
            f"{self.max_relative_error:.2e} (tolerance {self.tolerance:.0e}) at index "
            f"{self.worst_index}: analytic {self.analytic_value:.8g}, "
            f"numerical {self.numerical_value:.8g}"
        )


class GradientCheckError(AssertionError):
    """Raised by :func:`check_gradient` when the gradients disagree."""

    def __init__(self, report: GradientReport):
        super().__init__(str(report))
        self.report = report


def check_gradient(
    f: Callable[[np.ndarray], np.ndarray | float],
    x: np.ndarray,
    analytic: np.ndarray,
    dout: np.ndarray | None = None,
    name: str = "x",
    h: float = 1e-5,
    tolerance: float = 1e-7,
    raise_on_failure: bool = True,
) -> GradientReport:
    """Compare an analytic gradient with :func:`numerical_gradient`.

    Args:
        f, x, dout, h: as in :func:`numerical_gradient`.
        analytic: the gradient to check, shape of ``x``.
        name: what to call ``x`` in the report.
        tolerance: largest acceptable elementwise relative error.
        raise_on_failure: raise :class:`GradientCheckError` when the check fails.

    Returns:
        A :class:`GradientReport` naming the worst index and both values there.
    """
    analytic = np.asarray(analytic)
    if analytic.shape != x.shape:
        raise ValueError(
            f"analytic gradient of {name} has shape {analytic.shape}, expected {x.shape}"
        )
    numeric = numerical_gradient(f, x, dout=dout, h=h)
    a = analytic.astype(np.float64)
    errors = np.abs(a - numeric) / np.maximum(1e-12, np.abs(a) + np.abs(numeric))
    worst = np.unravel_index(int(np.argmax(errors)), errors.shape) if errors.size else ()
    report = GradientReport(
        name=name,
        max_relative_error=float(errors.max()) if errors.size else 0.0,
        worst_index=tuple(int(i) for i in worst),
        analytic_value=float(a[worst]) if errors.size else 0.0,
        numerical_value=float(numeric[worst]) if errors.size else 0.0,
        tolerance=tolerance,
    )
    if raise_on_failure and not report.ok:
        raise GradientCheckError(report)
    return report
