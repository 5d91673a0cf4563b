"""cnnbook.grading: the feedback the exercises' tests give, and that it never writes to stderr."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook import grading
from cnnbook.grading import (
    call,
    check_array,
    check_float,
    check_int,
    check_output,
    check_raises,
    check_unchanged,
    describe_call,
    hint,
)


def conv_like(x, w, b, stride=1, pad=0):
    return np.zeros((x.shape[0], w.shape[0], 2, 2))


def test_describe_call_names_arguments_shapes_stride_pad():
    x, w, b = np.zeros((2, 3, 5, 7)), np.zeros((4, 3, 3, 2)), np.zeros(4)
    text = describe_call(conv_like, x, w, b, stride=2, pad=1)
    assert text == ("conv_like(x=<array (2, 3, 5, 7)>, w=<array (4, 3, 3, 2)>, "
                    "b=<array (4,)>, stride=2, pad=1)")


def test_check_array_reports_shapes():
    with pytest.raises(AssertionError, match=r"expected \(2, 3\), received \(3, 2\)"):
        check_array("out", np.zeros((3, 2)), np.zeros((2, 3)), "f(x)")


def test_check_array_reports_first_mismatch_with_both_values_and_hint():
    want = np.arange(6.0).reshape(2, 3)
    got = want.copy()
    got[1, 0] = 99.0
    got[1, 2] = -1.0
    with pytest.raises(AssertionError) as info:
        check_array("out", got, want, "f(x=<array (2, 3)>)", hint("02", "stride"))
    message = str(info.value)
    assert "In f(x=<array (2, 3)>):" in message
    assert "2 of 6 entries are wrong" in message
    assert "index (1, 0): expected 3, received 99" in message
    assert "chapters/02_convolution" in message


def test_check_array_reports_integer_dtype_none_and_non_arrays():
    with pytest.raises(AssertionError, match="dtype int64"):
        check_array("out", np.zeros(3, dtype=np.int64), np.zeros(3))
    with pytest.raises(AssertionError, match="forget to return"):
        check_array("out", None, np.zeros(3))
    with pytest.raises(AssertionError, match="received a list of length 3"):
        check_array("out", [0.0, 0.0, 0.0], np.zeros(3))


def test_check_array_reports_nan_and_inf():
    with pytest.raises(AssertionError, match="non-finite"):
        check_array("probs", np.array([np.nan, 1.0]), np.array([0.5, 0.5]))


def test_check_array_accepts_close_values_and_float32():
    check_array("out", np.float32([1.0, 2.0]) + 1e-8, np.array([1.0, 2.0]))


def test_check_int_rejects_floats_and_bools():
    check_int("size", 3, 3)
    check_int("size", np.int64(3), 3)
    with pytest.raises(AssertionError, match="float 3.0"):
        check_int("size", 3.0, 3)
    with pytest.raises(AssertionError, match="bool"):
        check_int("size", True, 1)
    with pytest.raises(AssertionError, match="expected 3, received 4"):
        check_int("size", 4, 3)


def test_check_float_rejects_arrays_and_infinity():
    check_float("loss", np.float64(1.5), 1.5)
    with pytest.raises(AssertionError, match="single float"):
        check_float("loss", np.array([1.5]), 1.5)
    with pytest.raises(AssertionError, match="overflow"):
        check_float("loss", float("inf"), 2.0)


def test_call_turns_errors_into_assertions_and_stays_silent(capfd):
    def overflow(z):
        return np.exp(z)

    def broken(x):
        return x[10]

    def stub(x):
        raise NotImplementedError()

    out = call(overflow, np.array([1000.0]))
    assert np.isinf(out).all()
    with pytest.raises(AssertionError, match="raised IndexError"):
        call(broken, np.zeros(3))
    with pytest.raises(AssertionError, match="not implemented yet"):
        call(stub, np.zeros(3))
    with pytest.raises(AssertionError, match="does not accept these arguments"):
        call(stub, np.zeros(3), stride=2)
    with pytest.raises(AssertionError, match="non-finite"):
        check_output(overflow, (np.array([1000.0]),), {}, np.array([1.0]))
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_call_passes_copies():
    def mutate(x):
        x[:] = 0
        return x

    x = np.ones(3)
    call(mutate, x)
    assert x.tolist() == [1.0, 1.0, 1.0]


def test_check_output_tuples_skip_none():
    def grads(x):
        return x, 2 * x, 3 * x

    x = np.ones(2)
    check_output(grads, (x,), {}, (None, 2 * x, None), ("dx", "dw", "db"))
    with pytest.raises(AssertionError, match="db has the right shape"):
        check_output(grads, (x,), {}, (None, None, x), ("dx", "dw", "db"))
    with pytest.raises(AssertionError, match="a tuple of 3 arrays"):
        check_output(lambda x: x, (x,), {}, (x, x, x), ("dx", "dw", "db"))


def test_check_unchanged_and_check_raises():
    def in_place(x):
        x[x < 0] = 0
        return x

    x = np.array([-1.0, 1.0])
    with pytest.raises(AssertionError, match="modified its input x"):
        check_unchanged("x", x, in_place, x)
    check_unchanged("y", np.array([1.0]), np.abs, np.array([1.0]))

    def strict(n):
        if n < 0:
            raise ValueError("negative")
        return n

    check_raises(strict, -1)
    with pytest.raises(AssertionError, match="returned int 1"):
        check_raises(strict, 1)


def test_every_chapter_hint_points_to_a_page():
    for number, (path, title) in grading.CHAPTERS.items():
        assert path.startswith(f"chapters/{number}_")
        assert title in hint(number, "x")


def test_call_refuses_the_reference_implementation():
    from cnnbook.layers import relu_forward

    with pytest.raises(AssertionError, match="reference implementation"):
        call(relu_forward, np.zeros(3))
