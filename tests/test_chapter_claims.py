"""The chapters' computed claims, checked outside the book build, and their layout.

Each chapter asserts its own numbers while the book is built; these tests check
the general statements behind them on more inputs than the chapter shows (other
shapes, strides, paddings, depths), against the course's layers, and run in a
few seconds without building the book. Where a chapter defines a function that
the text relies on (chapter 5's ``conv_matrix``), the test runs the chapter's
own code. The last tests read the chapters' source: code lines that fit the
column, and statements the review found false that must not come back.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import convolve2d

from cnnbook import layers
from cnnbook.data import load_digits, load_sample_photo
from cnnbook.plotting import to_grayscale

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
CODE_WIDTH = 86  # characters that fit the book's code column without scrolling


@pytest.fixture
def rng(request):
    """A generator seeded by the test's name (the same inputs in any test order)."""
    return np.random.default_rng([20261206, zlib.crc32(request.node.nodeid.encode())])


def code_cells(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, source lines) of every code cell, without its metadata."""
    lines = text.splitlines()
    cells, i = [], 0
    while i < len(lines):
        if lines[i].startswith("```{code-cell}"):
            i += 1
            if i < len(lines) and lines[i].strip() == "---":  # YAML metadata block
                i += 1
                while lines[i].strip() != "---":
                    i += 1
                i += 1
            start, body = i + 1, []
            while i < len(lines) and not lines[i].startswith("```"):
                if not lines[i].startswith(":"):  # ":tags:"-style metadata
                    body.append(lines[i])
                i += 1
            cells.append((start, body))
        i += 1
    return cells


def chapter_function(chapter: str, name: str):
    """The function ``name`` as defined in a code cell of ``chapter``."""
    for _, body in code_cells((CHAPTERS / chapter).read_text()):
        source = "\n".join(body)
        match = re.search(rf"^def {name}\(.*?(?=^\S)", source + "\n#", flags=re.S | re.M)
        if match:
            namespace = {"np": np, "conv_output_size": layers.conv_output_size}
            exec(match.group(0), namespace)  # noqa: S102 - the book's own code
            return namespace[name]
    raise AssertionError(f"{chapter} defines no function {name}")


# ---------------------------------------------------------------- chapter 5


@pytest.mark.parametrize(
    ("C", "F", "H", "W", "f", "stride", "pad"),
    [(1, 1, 4, 4, 3, 1, 0), (2, 3, 7, 6, 3, 2, 1), (3, 2, 8, 8, 4, 3, 2), (1, 2, 5, 9, 1, 2, 0)],
)
def test_convolution_is_the_chapter_matrix_times_the_input(rng, C, F, H, W, f, stride, pad):
    """Ch. 5: conv2d_forward(x)[n] = M x[n] and conv2d_backward's dx[n] = M^T dout[n]."""
    conv_matrix = chapter_function("05_activations_dense.md", "conv_matrix")
    w = rng.standard_normal((F, C, f, f))
    x = rng.standard_normal((2, C, H, W))
    M = conv_matrix(w, H, W, stride, pad)
    out = layers.conv2d_forward(x, w, np.zeros(F), stride=stride, pad=pad)
    assert M.shape == (out[0].size, x[0].size)
    dout = rng.standard_normal(out.shape)
    dx, _, _ = layers.conv2d_backward(dout, x, w, stride=stride, pad=pad)
    for n in range(2):
        np.testing.assert_allclose(M @ x[n].ravel(), out[n].ravel(), atol=1e-12)
        np.testing.assert_allclose(M.T @ dout[n].ravel(), dx[n].ravel(), atol=1e-12)
    # weight sharing: only the F*C*f*f weights appear in M, each in at least one row
    assert np.isin(M[M != 0], w).all()


def test_the_matrix_check_catches_a_wrong_matrix(rng):
    """The comparison above fails for a matrix built with a flipped kernel."""
    conv_matrix = chapter_function("05_activations_dense.md", "conv_matrix")
    w = rng.standard_normal((1, 1, 3, 3))
    x = rng.standard_normal((1, 1, 5, 5))
    flipped = conv_matrix(w[:, :, ::-1, ::-1].copy(), 5, 5)
    assert not np.allclose(flipped @ x.ravel(), layers.conv2d_forward(x, w, np.zeros(1)).ravel())


@pytest.mark.parametrize(
    ("n_in", "f", "s", "p"),
    [(3, 3, 2, 0), (3, 3, 2, 1), (4, 4, 2, 1), (7, 5, 3, 2), (5, 2, 2, 0), (6, 3, 1, 1)],
)
def test_transposed_convolution_output_size(rng, n_in, f, s, p):
    """Ch. 5: M^T maps n' back to n = (n' - 1)s - 2p + f, the smallest n giving n'."""
    n = (n_in - 1) * s - 2 * p + f
    assert layers.conv_output_size(n, f, p, s) == n_in
    if n > 1:
        assert layers.conv_output_size(n - 1, f, p, s) < n_in  # the smallest such n
    # up to s - 1 larger inputs give the same n' (PyTorch's output_padding picks one)
    assert layers.conv_output_size(n + s - 1, f, p, s) == n_in
    assert layers.conv_output_size(n + s, f, p, s) == n_in + 1
    conv_matrix = chapter_function("05_activations_dense.md", "conv_matrix")
    w = rng.standard_normal((1, 1, f, f))
    assert conv_matrix(w, n, n, s, p).T.shape == (n * n, n_in * n_in)


@pytest.mark.parametrize("depth", [2, 3, 10])
def test_stacked_3x3_convolutions_and_one_large_kernel(rng, depth):
    """Ch. 5: L valid 3x3 convolutions are one valid (2L+1)x(2L+1) convolution; with
    'same' padding they agree with one 'same' convolution only L - 1 or more pixels
    from the border, and differ on the whole ring just outside that."""
    n = 2 * depth + 8
    x = rng.standard_normal((1, 1, n, n))
    kernels = [rng.standard_normal((3, 3)) for _ in range(depth)]
    big = kernels[0]
    for k in kernels[1:]:
        big = convolve2d(big, k, mode="full")
    assert big.shape == (2 * depth + 1,) * 2
    valid, same = x, x
    for k in kernels:
        valid = layers.conv2d_forward(valid, k[None, None], np.zeros(1))
        same = layers.conv2d_forward(same, k[None, None], np.zeros(1), pad=1)
    np.testing.assert_allclose(valid, layers.conv2d_forward(x, big[None, None], np.zeros(1)))
    one = layers.conv2d_forward(x, big[None, None], np.zeros(1), pad=depth)
    differs = ~np.isclose(same, one)[0, 0]
    r = depth - 1  # outputs at distance 0 .. r - 1 from the border differ
    assert not differs[r : n - r, r : n - r].any()
    ring = np.zeros((n, n), bool)  # the innermost of them: distance r - 1
    ring[r - 1, r - 1 : n - r + 1] = ring[n - r, r - 1 : n - r + 1] = True
    ring[r - 1 : n - r + 1, r - 1] = ring[r - 1 : n - r + 1, n - r] = True
    assert differs[ring].all()


# ---------------------------------------------------------------- chapter 4


def test_max_pooling_commutes_with_relu_because_relu_is_monotone(rng):
    """Ch. 4: max(ReLU(x)) = ReLU(max x) for every window; |x| is a counterexample."""
    x = rng.standard_normal((3, 2, 8, 8))
    pool = layers.maxpool2d_forward
    np.testing.assert_array_equal(
        pool(layers.relu_forward(x), 2, 2), layers.relu_forward(pool(x, 2, 2))
    )
    window = np.array([[-5.0, 1.0], [0.0, 0.5]])[None, None]
    assert pool(np.abs(window), 2, 2).item() == 5.0
    assert np.abs(pool(window, 2, 2)).item() == 1.0


def _conv1d(signal, kernel, stride):
    return layers.conv2d_forward(
        signal[None, None, None], kernel[None, None, None], np.zeros(1), stride=stride
    )[0, 0, 0]


@pytest.mark.parametrize("source", ["photo row", "random"])
def test_stride_breaks_shift_equivariance(rng, source):
    """Ch. 4: a stride-1 convolution moves with its input; stride 2 moves only for even
    shifts, and its output for a one-pixel shift is the other half of the stride-1 output."""
    if source == "photo row":
        row = to_grayscale(load_sample_photo("china"))[330, 150:217] / 255
    else:
        row = rng.standard_normal(67)
    x, moved, moved2 = row[2:], row[1:-1], row[:-2]
    k = rng.standard_normal(3)
    full = _conv1d(x, k, 1)
    np.testing.assert_allclose(_conv1d(moved, k, 1)[1:], full[:-1], atol=1e-12)
    np.testing.assert_allclose(_conv1d(x, k, 2), full[0::2], atol=1e-12)
    np.testing.assert_allclose(_conv1d(moved, k, 2)[1:], full[1::2], atol=1e-12)
    np.testing.assert_allclose(_conv1d(moved2, k, 2)[1:], _conv1d(x, k, 2)[:-1], atol=1e-12)
    a, b = _conv1d(x, k, 2), _conv1d(moved, k, 2)
    for out_shift in (0, 1):  # neither whole-output shift reproduces the moved output
        n = len(a) - out_shift
        assert np.linalg.norm(b[out_shift : out_shift + n] - a[:n]) > 0.1 * np.linalg.norm(a)


def test_pooling_shift_numbers_follow_the_text():
    """Ch. 4: for max pooling the change under a one-pixel shift falls as the window
    grows; for average pooling 4x4/stride 4 changes more than 3x3/stride 2."""
    x = load_digits(np.float64).x_test
    moved = np.zeros_like(x)
    moved[..., 1:] = x[..., :-1]

    def change(pool, size, stride):
        a, b = pool(x, size, stride), pool(moved, size, stride)
        return np.linalg.norm(a - b) / np.linalg.norm(a)

    mx = [change(layers.maxpool2d_forward, f, s) for f, s in [(2, 2), (3, 2), (4, 4)]]
    avg = [change(layers.avgpool2d_forward, f, s) for f, s in [(2, 2), (3, 2), (4, 4)]]
    assert mx[0] > mx[1] > mx[2]
    assert avg[2] > avg[1]


# ---------------------------------------------------------------- chapters 1 and 7


def test_chapter_1_pixels_are_where_the_text_says():
    """Ch. 1: the sky pixel is brightest in blue, the tree pixel dark and greenest."""
    text = (CHAPTERS / "01_input_tensors.md").read_text()
    sky = re.search(r"i, j = (\d+), (\d+) +# a pixel in the sky", text)
    tree = re.search(r"i, j = (\d+), (\d+) +# a pixel in the tree", text)
    assert sky and tree, "chapter 1 no longer names its sky and tree pixels"
    photo = load_sample_photo("china")
    sky_rgb = photo[int(sky[1]), int(sky[2])]
    tree_rgb = photo[int(tree[1]), int(tree[2])]
    assert sky_rgb.argmax() == 2 and sky_rgb.min() > 200
    assert tree_rgb.argmax() == 1 and tree_rgb.max() < 100


def test_backward_by_hand_numbers():
    """Ch. 7: the 1-D case, the centre dx entry and the 2-channel/2-filter entries."""
    x1, w1, d1 = np.array([1.0, 2, 0, 3, 1]), np.array([1.0, -1, 2]), np.array([1.0, 2, -1])
    dx, dw, db = layers.conv2d_backward(
        d1[None, None, None], x1[None, None, None], w1[None, None, None]
    )
    np.testing.assert_array_equal(dw.ravel(), [5, -1, 5])
    np.testing.assert_array_equal(dx.ravel(), [1, 1, -1, 5, -2])
    assert db.item() == 2
    x = np.array([[1.0, 2, 0], [3, 1, 2], [0, 1, 4]])
    w = np.array([[1.0, -1], [2, 0]])
    dout = np.array([[1.0, 2], [-1, 3]])
    dx, dw, _ = layers.conv2d_backward(dout[None, None], x[None, None], w[None, None])
    assert dx[0, 0, 1, 1] == 8 and dw[0, 0, 0, 0] == 5
    x2 = np.array(
        [[[1, 2, 0], [0, 1, 3], [2, 1, 0]], [[0, 1, 1], [2, 0, 1], [1, 1, 2]]], dtype=float
    )[None]
    w2 = np.array(
        [[[[1, 0], [0, -1]], [[2, 1], [0, 1]]], [[[0, 1], [1, 0]], [[-1, 2], [1, 1]]]], dtype=float
    )
    d2 = np.array([[[1, 0], [2, -1]], [[0, 1], [1, 1]]], dtype=float)[None]
    dx2, dw2, db2 = layers.conv2d_backward(d2, x2, w2)
    assert dw2[1, 0, 0, 0] == 3 and dx2[0, 1, 1, 1] == 3
    np.testing.assert_array_equal(db2, [2, 3])


def _receptive_field_formula(spec):
    r, jump = 1, 1
    for f, s in spec:
        r += (f - 1) * jump
        jump *= s
    return r


@pytest.mark.parametrize(
    "spec",
    [
        [("conv", 3, 1), ("relu",), ("conv", 3, 1), ("relu",), ("pool", 2, 2), ("conv", 3, 1)],
        [("conv", 5, 2), ("conv", 3, 1)],
        [("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 2), ("conv", 1, 1)],
    ],
    ids=["chapter-7-stack", "strided-5x5", "pool-strided-1x1"],
)
def test_receptive_field_measured_by_the_backward_pass(rng, spec):
    """Ch. 2 and 7: the gradient of one output unit is non-zero exactly on the square
    that r_L = r_{L-1} + (f_L - 1) * prod(strides) predicts (union over inputs)."""
    n, batch = 40, 40
    x = rng.random((batch, 1, n, n))
    caches, h, C = [], x, 1
    for layer in spec:
        if layer[0] == "conv":
            _, f, s = layer
            w = rng.standard_normal((3, C, f, f))
            caches.append(("conv", h, w, s))
            h, C = layers.conv2d_forward(h, w, np.zeros(3), stride=s), 3
        elif layer[0] == "pool":
            caches.append(("pool", h, layer[1], layer[2]))
            h = layers.maxpool2d_forward(h, layer[1], layer[2])
        else:
            caches.append(("relu", h))
            h = layers.relu_forward(h)
    dout = np.zeros_like(h)
    centre = h.shape[2] // 2
    dout[:, 0, centre, centre] = 1.0
    for cache in reversed(caches):
        if cache[0] == "conv":
            dout, _, _ = layers.conv2d_backward(dout, cache[1], cache[2], stride=cache[3])
        elif cache[0] == "pool":
            dout = layers.maxpool2d_backward(dout, cache[1], cache[2], cache[3])
        else:
            dout = layers.relu_backward(dout, cache[1])
    reached = (np.abs(dout[:, 0]) > 0).any(axis=0)
    rows, cols = np.flatnonzero(reached.any(axis=1)), np.flatnonzero(reached.any(axis=0))
    geometry = [(layer[1], layer[2]) for layer in spec if layer[0] in ("conv", "pool")]
    r = _receptive_field_formula(geometry)
    assert rows.size == cols.size == r
    assert rows.max() - rows.min() + 1 == r  # one contiguous square
    assert reached[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].all()


# ---------------------------------------------------------------- the chapters' source


CHAPTER_FILES = sorted(p.name for p in CHAPTERS.glob("*.md"))


@pytest.mark.parametrize("chapter", CHAPTER_FILES)
def test_code_lines_fit_the_column(chapter):
    """Code lines of at most 86 characters: the book's code column shows them whole,
    shape comments included (cell metadata is not shown and not counted)."""
    wide = [
        f"line {start + k}: {len(line)} characters: {line.strip()[:60]}"
        for start, body in code_cells((CHAPTERS / chapter).read_text())
        for k, line in enumerate(body)
        if len(line) > CODE_WIDTH
    ]
    assert not wide, f"{chapter}: code lines wider than {CODE_WIDTH}:\n" + "\n".join(wide)


def test_the_width_check_sees_code_and_skips_metadata():
    long = "x = 1  # " + "y" * 90
    page = (
        "```{code-cell} ipython3\n---\ntags: [hide-input]\nmystnb:\n  alt: "
        + "a" * 120
        + "\n---\n"
        + long
        + "\n```\n\n```{code-cell} ipython3\n:tags: "
        + "b" * 100
        + "\nshort = 1\n```\n"
    )
    cells = code_cells(page)
    assert [body for _, body in cells] == [[long], ["short = 1"]]
    assert cells[0][0] == 7  # the line number of the code itself


@pytest.mark.parametrize(
    ("chapter", "pattern"),
    [
        # the test set decides nothing before the final measurement (chapter 8)
        ("06_softmax_cross_entropy.md", r"test accuracy|== y_test"),
        ("07_backpropagation.md", r"test accuracy|== y_test"),
        ("glossary.md", r"training and test sets|while test accuracy"),
        ("glossary.md", r"[Mm]eaningful only in float64"),
        ("07_backpropagation.md", r"transpose is needed to make shapes fit"),
        ("04_pooling.md", r"ReLU never decreases"),
        ("conventions.md", r"\| CS231n notes \| NCHW"),
        ("conventions.md", r"CS231n, MiniTorch"),
    ],
)
def test_corrected_statements_stay_corrected(chapter, pattern):
    """Statements the review found false do not come back."""
    text = (CHAPTERS / chapter).read_text()
    assert not re.search(pattern, text), f"{chapter} says {pattern!r} again"
