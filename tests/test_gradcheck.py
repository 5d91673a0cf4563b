"""cnnbook.gradcheck: numerical gradients, relative error, the report."""

import numpy as np
import pytest

from cnnbook.gradcheck import (
    GradientCheckError,
    check_gradient,
    numerical_gradient,
    relative_error,
)


def test_numerical_gradient_of_known_functions():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.5]])
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v**3), x), 3 * x**2, rtol=1e-8)
    dout = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(numerical_gradient(np.sin, x, dout), np.cos(x) * dout, rtol=1e-8)


def test_numerical_gradient_restores_x_and_works_with_closures():
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    before = x.copy()
    # f ignores its argument and closes over x, as in many course notebooks
    grad = numerical_gradient(lambda _: float(np.sum(x**2)), x)
    np.testing.assert_allclose(grad, 2 * before, atol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_float32_is_refused_with_advice():
    with pytest.raises(TypeError, match=r"float32.*needs float64.*astype"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="dout has dtype float32"):
        numerical_gradient(np.sin, np.ones(3), np.ones(3, dtype=np.float32))


def test_shape_problems_are_named():
    with pytest.raises(ValueError, match=r"f returned an array of shape \(3,\); pass dout"):
        numerical_gradient(np.sin, np.ones(3))
    with pytest.raises(ValueError, match=r"f\(x\) has shape \(3,\) but dout has shape \(2,\)"):
        numerical_gradient(np.sin, np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="step h must be > 0"):
        numerical_gradient(np.sum, np.ones(3), h=0)
    with pytest.raises(ValueError, match="analytic gradient of w has shape"):
        check_gradient(np.sum, np.ones(3), np.ones(4), name="w")


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 0.0], [3.0, 0.0]) == pytest.approx(0.5)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.zeros(2), np.zeros(3))


def test_check_gradient_passes_correct_and_reports_worst_index():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    report = check_gradient(lambda v: np.sum(v**2), x, 2 * x)
    assert report.ok and report.max_relative_error < 1e-9

    wrong = 2 * x
    wrong[1, 0] = 5.0  # the one bad entry
    with pytest.raises(GradientCheckError) as info:
        check_gradient(lambda v: np.sum(v**2), x, wrong, name="w")
    report = info.value.report
    assert report.worst_index == (1, 0)
    assert report.analytic_value == 5.0
    assert report.numerical_value == pytest.approx(4.0)
    assert "gradient of w: MISMATCH" in str(info.value) and "(1, 0)" in str(info.value)

    quiet = check_gradient(lambda v: np.sum(v**2), x, wrong, raise_on_failure=False)
    assert not quiet.ok
