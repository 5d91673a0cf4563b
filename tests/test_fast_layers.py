"""cnnbook.fast_layers: same results as the reference, threads, the forward/backward cache."""

import os
import zlib

import numpy as np
import pytest
from scipy.signal import convolve2d, correlate2d

from cnnbook import fast_layers, layers
from cnnbook.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential
from tests import oracles

RNG = np.random.default_rng(20261130)


@pytest.fixture(autouse=True)
def _inputs_of_this_test(request):
    """Each test draws its inputs from its own generator, seeded by its name: the same
    inputs whatever ran before it in this process (pytest-xdist changes the order)."""
    global RNG
    RNG = np.random.default_rng([20261130, zlib.crc32(request.node.nodeid.encode())])


def randn(*shape):
    return RNG.standard_normal(shape)


@pytest.mark.parametrize(
    ("N", "C", "H", "W", "F", "HH", "WW", "stride", "pad"),
    [(2, 3, 7, 6, 4, 3, 3, 1, 1), (1, 2, 8, 9, 3, 2, 3, 2, 0), (3, 1, 9, 9, 2, 3, 3, 3, 2)],
)
def test_fast_conv_matches_the_reference(N, C, H, W, F, HH, WW, stride, pad):
    x, w, b = randn(N, C, H, W), randn(F, C, HH, WW), randn(F)
    cache = {}
    out = fast_layers.conv2d_forward(x, w, b, stride, pad, cache=cache)
    np.testing.assert_allclose(out, layers.conv2d_forward(x, w, b, stride, pad), atol=1e-12)
    dout = randn(*out.shape)
    got = fast_layers.conv2d_backward(dout, x, w, stride, pad, cache=cache)
    for a, c in zip(got, layers.conv2d_backward(dout, x, w, stride, pad), strict=True):
        np.testing.assert_allclose(a, c, atol=1e-12)


def test_reference_with_cache_delegates_to_the_fast_layer():
    x, w, b = randn(2, 3, 6, 5), randn(4, 3, 3, 3), randn(4)
    cache = {}
    layers.conv2d_forward(x, w, b, 2, 1, cache=cache)
    assert "cols" in cache and "buffers" in cache


def test_backward_notices_an_input_edited_in_place_after_forward():
    """Regression: the cached windows were reused whenever ``cache['x'] is x``."""
    x, w, b = randn(2, 3, 6, 5), randn(4, 3, 3, 3), randn(4)
    cache = {}
    out = fast_layers.conv2d_forward(x, w, b, 1, 1, cache=cache)
    dout = randn(*out.shape)
    x[0, 1, 2, 3] += 5.0  # same object, new contents
    x[1] *= -1
    got = fast_layers.conv2d_backward(dout, x, w, 1, 1, cache=cache)
    want = oracles.conv_backward_loops(dout, x, w, 1, 1)
    for a, c in zip(got, want, strict=True):
        np.testing.assert_allclose(a, c, atol=1e-10)


def test_backward_reuses_the_windows_of_an_unchanged_input(monkeypatch):
    x, w, b = randn(2, 3, 6, 5), randn(4, 3, 3, 3), randn(4)
    cache = {}
    out = fast_layers.conv2d_forward(x, w, b, 1, 1, cache=cache)
    calls = []
    real = fast_layers._im2col
    monkeypatch.setattr(fast_layers, "_im2col", lambda *a, **k: calls.append(1) or real(*a, **k))
    fast_layers.conv2d_backward(randn(*out.shape), x, w, 1, 1, cache=cache)
    assert calls == []  # reused
    fast_layers.conv2d_backward(randn(*out.shape), x.copy(), w, 1, 1, cache=cache)
    assert calls == [1]  # another array: rebuilt


def test_conv2d_threaded_copies_stay_exact(monkeypatch):
    """With the size threshold at 0, every copy loop is split across threads."""
    monkeypatch.setattr(fast_layers, "_PARALLEL_MIN_ELEMENTS", 0)
    x, w, b = randn(16, 8, 30, 31), randn(6, 8, 3, 2), randn(6)
    cache = {}
    out = fast_layers.conv2d_forward(x, w, b, cache=cache)
    if (os.cpu_count() or 1) >= 2:
        assert fast_layers._thread_pool is not None
    for n in (0, 15):
        for k in (0, 5):
            expected = sum(correlate2d(x[n, c], w[k, c], mode="valid") for c in range(8)) + b[k]
            np.testing.assert_allclose(out[n, k], expected, atol=1e-10)
    dout = randn(*out.shape)
    dx, dw, _ = fast_layers.conv2d_backward(dout, x, w, cache=cache)
    # dx of a stride-1 convolution is the full (flipping) convolution of dout with the kernel
    for n in (0, 15):
        for c in (0, 7):
            expected = sum(convolve2d(dout[n, k], w[k, c], mode="full") for k in range(6))
            np.testing.assert_allclose(dx[n, c], expected, atol=1e-10)
    for k in (0, 5):
        for c in (0, 7):
            expected = sum(correlate2d(x[n, c], dout[n, k], mode="valid") for n in range(16))
            np.testing.assert_allclose(dw[k, c], expected, atol=1e-9)


def test_plain_loop_convolution_matches_the_reference():
    x, w, b = randn(2, 3, 7, 6), randn(4, 3, 3, 2), randn(4)
    np.testing.assert_allclose(
        fast_layers.conv2d_forward_loops(x, w, b, 2, 1),
        layers.conv2d_forward(x, w, b, 2, 1),
        atol=1e-12,
    )


def test_layer_costs_of_a_small_network():
    rng = np.random.default_rng(0)
    model = Sequential(
        [
            Conv2D(1, 4, 3, pad=1, rng=rng, name="conv1"),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(4 * 4 * 4, 10, rng=rng, name="dense"),
        ]
    )
    costs = fast_layers.layer_costs(model, (1, 8, 8))
    assert [c.name for c in costs] == ["conv1", "ReLU", "MaxPool2D", "Flatten", "dense"]
    assert costs[0].output_shape == (4, 8, 8)
    assert costs[0].multiply_adds == 4 * 8 * 8 * 1 * 3 * 3
    assert costs[0].parameters == 4 * 9 + 4
    assert costs[2].activations == 4 * 4 * 4
    assert costs[4].multiply_adds == 64 * 10
    assert costs[1].multiply_adds == 0
