"""cnnbook.fast_layers: same results as the reference, threads, the forward/backward cache;
im2col/col2im; the layer modules' import graph; cnnbook.costs."""

import ast
import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import convolve2d, correlate2d

from cnnbook import costs, fast_layers, layers
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


def _imports(module: str) -> set[str]:
    """The cnnbook modules ``module`` imports, at module level or inside any function
    (for a package, those its modules import from outside it)."""
    path = Path(__file__).resolve().parent.parent / "cnnbook" / module
    files = sorted(path.glob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    found = set()
    for node in (n for f in files for n in ast.walk(ast.parse(f.read_text()))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cnnbook"):
            found.add(node.module)
            found |= {f"cnnbook.{a.name}" for a in node.names if node.module == "cnnbook"}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("cnnbook")}
    return found


def test_the_layer_modules_import_without_cycles():
    """The reference and the fast path stand apart; nn is the one place that picks."""
    assert _imports("conv_shapes") == set()
    assert {m for m in _imports("layers") if not m.startswith("cnnbook.layers.")} == {
        "cnnbook.conv_shapes"
    }
    assert _imports("fast_layers") == {"cnnbook.conv_shapes"}
    assert _imports("optim") == {"cnnbook.layers.optimizers"}
    assert _imports("nn") <= {"cnnbook", "cnnbook.layers", "cnnbook.fast_layers", "cnnbook.optim"}
    assert "cnnbook.costs" not in _imports("nn")


def test_reference_cache_keeps_its_own_windows_and_fast_cache_ignores_them():
    x, w, b = randn(2, 3, 6, 5), randn(4, 3, 3, 3), randn(4)
    cache = {}
    out = layers.conv2d_forward(x, w, b, 2, 1, cache=cache)
    assert "windows" in cache and "cols" not in cache  # the reference, not the fast layer
    dout = randn(*out.shape)
    x[0, 0, 0, 0] += 3.0  # edited in place: the reference must notice
    want = oracles.conv_backward_loops(dout, x, w, 2, 1)
    for a, c in zip(layers.conv2d_backward(dout, x, w, 2, 1, cache=cache), want, strict=True):
        np.testing.assert_allclose(a, c, atol=1e-10)
    for a, c in zip(fast_layers.conv2d_backward(dout, x, w, 2, 1, cache=cache), want, strict=True):
        np.testing.assert_allclose(a, c, atol=1e-10)


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (2, 1), (3, 2)])
def test_public_im2col_and_col2im(stride, pad):
    x = randn(2, 3, 7, 8)
    cols = fast_layers.im2col(x, 3, 2, stride, pad)
    Ho, Wo = layers.conv_output_size(7, 3, pad, stride), layers.conv_output_size(8, 2, pad, stride)
    assert cols.shape == (3 * 3 * 2, 2 * Ho * Wo)
    xp = layers.zero_pad(x, pad)
    n, c, i, j, ho, wo = 1, 2, 2, 1, Ho - 1, 0
    row, col = (c * 3 + i) * 2 + j, (n * Ho + ho) * Wo + wo
    assert cols[row, col] == xp[n, c, ho * stride + i, wo * stride + j]
    # one matrix product is the convolution
    w, b = randn(4, 3, 3, 2), randn(4)
    out = (w.reshape(4, -1) @ cols + b[:, None]).reshape(4, 2, Ho, Wo).transpose(1, 0, 2, 3)
    np.testing.assert_allclose(out, layers.conv2d_forward(x, w, b, stride, pad), atol=1e-12)
    # col2im is the adjoint: <im2col(x), c> == <x, col2im(c)>
    c = randn(*cols.shape)
    lhs, rhs = np.sum(cols * c), np.sum(x * fast_layers.col2im(c, x.shape, 3, 2, stride, pad))
    assert lhs == pytest.approx(rhs, rel=1e-12)
    with pytest.raises(ValueError, match="im2col's shape"):
        fast_layers.col2im(c[:, 1:], x.shape, 3, 2, stride, pad)
    with pytest.raises(ValueError, match="larger than the padded input"):
        fast_layers.im2col(x, 9, 2, stride, 0)
    with pytest.raises(ValueError, match="4 dimensions"):
        fast_layers.im2col(x[0], 3, 2)


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


def test_a_reused_work_array_does_not_leak_another_geometry_into_the_padding():
    """Regression: (3, 2, 8, 8) is the padded input of a 6x6 input with padding 1
    and of a 4x4 input with padding 2; the second call used the first's pixels as
    its border, because only the interior of a reused array was written."""
    cache = {}
    big = randn(2, 3, 6, 6) + 100.0
    w, b = randn(2, 3, 3, 3), randn(2)
    fast_layers.conv2d_forward(big, w, b, 1, 1, cache=cache)
    small = randn(2, 3, 4, 4)
    got = fast_layers.conv2d_forward(small, w, b, 1, 2, cache=cache)
    np.testing.assert_allclose(got, layers.conv2d_forward(small, w, b, 1, 2), atol=1e-12)
    dout = randn(*got.shape)
    for a, c in zip(
        fast_layers.conv2d_backward(dout, small, w, 1, 2, cache=cache),
        layers.conv2d_backward(dout, small, w, 1, 2),
        strict=True,
    ):
        np.testing.assert_allclose(a, c, atol=1e-12)


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
    table = costs.layer_costs(model, (1, 8, 8))
    assert [c.name for c in table] == ["conv1", "ReLU", "MaxPool2D", "Flatten", "dense"]
    assert table[0].output_shape == (4, 8, 8)
    assert table[0].multiply_adds == 4 * 8 * 8 * 1 * 3 * 3
    assert table[0].parameters == 4 * 9 + 4
    assert table[2].activations == 4 * 4 * 4
    assert table[4].multiply_adds == 64 * 10
    assert table[1].multiply_adds == 0


@pytest.mark.parametrize(("size", "stride"), [(2, 2), (3, 2), (2, 1), (3, 3), (1, 1)])
def test_fast_max_pooling_matches_the_reference_with_ties(size, stride):
    """Ties (whole windows of ReLU zeros, repeated values) go to the first maximum."""
    x = np.maximum(np.round(randn(2, 3, 9, 8), 1), 0)  # many zeros and repeated values
    out = fast_layers.maxpool2d_forward(x, size, stride)
    np.testing.assert_array_equal(out, layers.maxpool2d_forward(x, size, stride))
    dout = randn(*out.shape)
    np.testing.assert_allclose(
        fast_layers.maxpool2d_backward(dout, x, size, stride),
        layers.maxpool2d_backward(dout, x, size, stride),
        atol=1e-12,
    )
    x32 = x.astype(np.float32)
    assert fast_layers.maxpool2d_backward(dout.astype(np.float32), x32, size, stride).dtype == (
        np.float32
    )


def test_fast_max_pooling_rejects_bad_input():
    with pytest.raises(ValueError, match="larger than the input"):
        fast_layers.maxpool2d_forward(randn(1, 1, 3, 3), 4, 4)
    with pytest.raises(ValueError, match="forward output's shape"):
        fast_layers.maxpool2d_backward(randn(1, 1, 3, 3), randn(1, 1, 4, 4), 2, 2)
