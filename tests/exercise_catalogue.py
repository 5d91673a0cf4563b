"""A catalogue of realistic student mistakes, and of correct answers written differently.

Each :class:`Mistake` changes ONE answer cell of the reference solution,
either by text edits (``old`` -> ``new``, each ``old`` found exactly once) or
by a whole new cell (``code``). Autograded with the real nbgrader, every
mistake must lose points. Each :class:`Alternative` replaces one or more
answer cells by a correct answer written another way (plain loops,
``sliding_window_view`` with ``einsum``, log-sum-exp ...); it must keep full
marks. See ``tests/test_exercises_autograde.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mistake:
    assignment: str
    cell: str  # grade_id of the answer cell
    name: str
    edits: tuple[tuple[str, str], ...] = ()
    code: str | None = None


@dataclass(frozen=True)
class Alternative:
    assignment: str
    name: str
    cells: dict[str, str] = field(default_factory=dict)


def _m(assignment, cell, name, *edits, code=None):
    return Mistake(assignment, cell, name, tuple(edits), code)


PS01 = "ps01_input_tensors"
PS02 = "ps02_convolution"
PS03 = "ps03_pooling"
PS04 = "ps04_activations_dense"
PS05 = "ps05_softmax_cross_entropy"
PS06 = "ps06_backprop"
PS07 = "ps07_training"

MISTAKES: list[Mistake] = [
    # ---------------------------------------------------------------- ps02
    _m(PS02, "conv_output_size", "output size with the ceiling instead of the floor",
       ("return (n + 2 * pad - f) // stride + 1", "return -(-(n + 2 * pad - f) // stride) + 1")),
    _m(PS02, "conv_output_size", "output size returned as a float (true division)",
       ("return (n + 2 * pad - f) // stride + 1", "return (n + 2 * pad - f) / stride + 1")),
    _m(PS02, "conv_output_size", "output size as int(...) of true division, then rounded",
       ("return (n + 2 * pad - f) // stride + 1", "return round((n + 2 * pad - f) / stride + 1)")),
    _m(PS02, "conv_output_size", "padding counted on one side only",
       ("return (n + 2 * pad - f) // stride + 1", "return (n + pad - f) // stride + 1")),
    _m(PS02, "conv_output_size", "forgot the + 1",
       ("return (n + 2 * pad - f) // stride + 1", "return (n + 2 * pad - f) // stride")),
    _m(PS02, "zero_pad", "padding the batch and channel axes too",
       code="""
def zero_pad(x, pad):
    return np.pad(x, pad, mode="constant")
"""),
    _m(PS02, "zero_pad", "padding only the bottom and right",
       ("out[:, :, pad:pad + H, pad:pad + W] = x", "out[:, :, :H, :W] = x")),
    _m(PS02, "conv_single_step", "missing bias",
       ("return float(total + b)", "return float(total)")),
    _m(PS02, "conv_single_step", "bias added to every product",
       code="""
def conv_single_step(x_slice, w, b):
    return float(np.sum(x_slice * w + b))
"""),
    _m(PS02, "conv_single_step", "returns an array instead of a float",
       ("return float(total + b)", "return np.array([total + b])")),
    _m(PS02, "conv2d_forward", "flipped kernel (true convolution)",
       ("conv_single_step(window, w[f], b[f])", "conv_single_step(window, w[f, :, ::-1, ::-1], b[f])")),
    _m(PS02, "conv2d_forward", "ignored stride (windows start at i, j)",
       ("top, left = i * stride, j * stride", "top, left = i, j")),
    _m(PS02, "conv2d_forward", "missing bias",
       ("conv_single_step(window, w[f], b[f])", "conv_single_step(window, w[f], 0.0)")),
    _m(PS02, "conv2d_forward", "swapped H and W",
       ("N, C, H, W = x.shape", "N, C, W, H = x.shape")),
    _m(PS02, "conv2d_forward", "output size computed without the padding",
       ("Ho = conv_output_size(H, HH, pad, stride)\n    Wo = conv_output_size(W, WW, pad, stride)",
        "Ho = conv_output_size(H, HH, 0, stride)\n    Wo = conv_output_size(W, WW, 0, stride)")),
    _m(PS02, "conv2d_forward", "one bias for all filters",
       ("conv_single_step(window, w[f], b[f])", "conv_single_step(window, w[f], b[0])")),
    _m(PS02, "conv2d_forward", "height stride used for the width offset only",
       ("top, left = i * stride, j * stride", "top, left = i, j * stride")),
    # ---------------------------------------------------------------- ps03
    _m(PS03, "maxpool2d_forward", "window size taken as the stride",
       ("np.max(x[n, c, top:top + size, left:left + size])",
        "np.max(x[n, c, top:top + stride, left:left + stride])")),
    _m(PS03, "maxpool2d_forward", "ignored stride (windows start at i, j)",
       ("top, left = i * stride, j * stride", "top, left = i, j")),
    _m(PS03, "maxpool2d_forward", "output size H // size (assumes stride == size)",
       ("Ho = (H - size) // stride + 1\n    Wo = (W - size) // stride + 1",
        "Ho = H // size\n    Wo = W // size")),
    _m(PS03, "maxpool2d_forward", "maximum taken over all channels at once",
       ("np.max(x[n, c, top:top + size, left:left + size])",
        "np.max(x[n, :, top:top + size, left:left + size])")),
    _m(PS03, "maxpool2d_forward", "output size with the ceiling (partial windows kept)",
       ("Ho = (H - size) // stride + 1\n    Wo = (W - size) // stride + 1",
        "Ho = -(-(H - size) // stride) + 1\n    Wo = -(-(W - size) // stride) + 1")),
    _m(PS03, "avgpool2d_forward", "average divided by size instead of size**2",
       ("return out / (size * size)", "return out / size")),
    _m(PS03, "avgpool2d_forward", "sum instead of average",
       ("return out / (size * size)", "return out")),
    _m(PS03, "avgpool2d_forward", "swapped H and W",
       ("N, C, H, W = x.shape", "N, C, W, H = x.shape")),
    _m(PS03, "avgpool2d_forward", "divided by the number of windows instead of the window area",
       ("return out / (size * size)", "return out / (Ho * Wo)")),
    # ---------------------------------------------------------------- ps04
    _m(PS04, "relu_forward", "modifies the input in place",
       ("out = x.copy()\n    out[out < 0] = 0", "out = x\n    out[out < 0] = 0")),
    _m(PS04, "relu_forward", "clips to [0, 1] instead of [0, inf)",
       code="""
def relu_forward(x):
    return np.clip(x, 0, 1)
"""),
    _m(PS04, "relu_forward", "returns the derivative mask instead of the values",
       code="""
def relu_forward(x):
    return (x > 0).astype(float)
"""),
    _m(PS04, "affine_forward", "missing bias", ("return X @ w + b", "return X @ w")),
    _m(PS04, "affine_forward", "flattened channels-last (NHWC order)",
       ("X = x.reshape(N, -1)", "X = np.moveaxis(x, 1, -1).reshape(N, -1)")),
    _m(PS04, "affine_forward", "no flattening", ("X = x.reshape(N, -1)", "X = x")),
    _m(PS04, "affine_forward", "flattened with the batch axis last",
       ("X = x.reshape(N, -1)", "X = x.reshape(-1, N).T")),
    # ---------------------------------------------------------------- ps05
    _m(PS05, "softmax", "softmax without the max shift",
       ("shifted = z - np.max(z, axis=1, keepdims=True)", "shifted = z")),
    _m(PS05, "softmax", "softmax over the wrong axis (columns)",
       code="""
def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)
"""),
    _m(PS05, "softmax", "shift by the global maximum instead of each row's",
       ("shifted = z - np.max(z, axis=1, keepdims=True)", "shifted = z - np.max(z)")),
    _m(PS05, "softmax", "normalized by the sum of the whole batch",
       ("return e / np.sum(e, axis=1, keepdims=True)", "return e / np.sum(e)")),
    _m(PS05, "softmax", "max without keepdims (broadcasts against the wrong axis)",
       ("shifted = z - np.max(z, axis=1, keepdims=True)", "shifted = z - np.max(z, axis=1)")),
    _m(PS05, "softmax_cross_entropy", "loss summed over the batch instead of averaged",
       ("loss = -np.mean(log_probs[rows, y])", "loss = -np.sum(log_probs[rows, y])")),
    _m(PS05, "softmax_cross_entropy", "gradient not divided by N",
       ("    dlogits /= N\n", "")),
    _m(PS05, "softmax_cross_entropy", "gradient with the wrong sign (onehot - probs)",
       ("dlogits /= N", "dlogits /= -N")),
    _m(PS05, "softmax_cross_entropy", "loss as -log(softmax) (log of 0 for large scores)",
       code="""
def softmax_cross_entropy(logits, y):
    N = logits.shape[0]
    probs = softmax(logits)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dlogits = probs.copy()
    dlogits[np.arange(N), y] -= 1
    return float(loss), dlogits / N
"""),
    _m(PS05, "softmax_cross_entropy", "labels indexed as probs[:, y]",
       ("loss = -np.mean(log_probs[rows, y])", "loss = -np.mean(log_probs[:, y])")),
]

ALTERNATIVES: list[Alternative] = [
    Alternative(PS02, "vectorized: sliding_window_view + einsum, np.pad", {
        "conv_output_size": """
def conv_output_size(n, f, pad=0, stride=1):
    import math
    return int(math.floor((n + 2 * pad - f) / stride)) + 1
""",
        "zero_pad": """
def zero_pad(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
""",
        "conv_single_step": """
def conv_single_step(x_slice, w, b):
    return float(np.einsum("chw,chw->", x_slice, w) + b)
""",
        "conv2d_forward": """
from numpy.lib.stride_tricks import sliding_window_view

def conv2d_forward(x, w, b, stride=1, pad=0):
    F, C, HH, WW = w.shape
    xp = zero_pad(x, pad)
    windows = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,fcij->nfhw", windows, w) + b[None, :, None, None]
""",
    }),
    Alternative(PS02, "as_strided windows and tensordot, in float32-safe style", {
        "conv2d_forward": """
def conv2d_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    xp = np.ascontiguousarray(zero_pad(x, pad))
    sN, sC, sH, sW = xp.strides
    win = np.lib.stride_tricks.as_strided(
        xp, shape=(N, C, Ho, Wo, HH, WW),
        strides=(sN, sC, sH * stride, sW * stride, sH, sW), writeable=False)
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))   # (N, Ho, Wo, F)
    return out.transpose(0, 3, 1, 2) + b.reshape(1, F, 1, 1)
""",
    }),
    Alternative(PS02, "plain loops over output positions, vectorized over filters", {
        "conv2d_forward": """
def conv2d_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho = conv_output_size(H, HH, pad, stride)
    Wo = conv_output_size(W, WW, pad, stride)
    xp = zero_pad(x, pad)
    out = np.empty((N, F, Ho, Wo))
    flat_w = w.reshape(F, -1)
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = patch.reshape(N, -1) @ flat_w.T + b
    return out
""",
    }),
    Alternative(PS03, "sliding_window_view, max and mean over the window axes", {
        "maxpool2d_forward": """
from numpy.lib.stride_tricks import sliding_window_view

def maxpool2d_forward(x, size=2, stride=2):
    windows = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.max(axis=(-2, -1))
""",
        "avgpool2d_forward": """
from numpy.lib.stride_tricks import sliding_window_view

def avgpool2d_forward(x, size=2, stride=2):
    windows = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij->nchw", windows) / size**2
""",
    }),
    Alternative(PS03, "loops over window offsets; average from an integral image", {
        "maxpool2d_forward": """
def maxpool2d_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.full((N, C, Ho, Wo), -np.inf)
    for di in range(size):
        for dj in range(size):
            part = x[:, :, di:di + stride * (Ho - 1) + 1:stride, dj:dj + stride * (Wo - 1) + 1:stride]
            out = np.maximum(out, part)
    return out
""",
        "avgpool2d_forward": """
def avgpool2d_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // stride + 1, (W - size) // stride + 1
    s = np.zeros((N, C, H + 1, W + 1))
    s[:, :, 1:, 1:] = x.cumsum(axis=2).cumsum(axis=3)
    r = np.arange(Ho) * stride
    c = np.arange(Wo) * stride
    R, Cc = np.ix_(r, c)
    total = s[:, :, R + size, Cc + size] - s[:, :, R, Cc + size] - s[:, :, R + size, Cc] + s[:, :, R, Cc]
    return total / (size * size)
""",
    }),
    Alternative(PS04, "np.maximum and np.dot with reshape(N, -1)", {
        "relu_forward": """
def relu_forward(x):
    return np.maximum(x, 0.0)
""",
        "affine_forward": """
def affine_forward(x, w, b):
    return np.dot(x.reshape(len(x), np.prod(x.shape[1:])), w) + b
""",
    }),
    Alternative(PS04, "np.where and einsum over a flattened batch", {
        "relu_forward": """
def relu_forward(x):
    return np.where(x > 0, x, 0.0)
""",
        "affine_forward": """
def affine_forward(x, w, b):
    N = x.shape[0]
    out = np.zeros((N, w.shape[1]))
    for n in range(N):
        out[n] = np.einsum("d,dm->m", x[n].ravel(), w) + b
    return out
""",
    }),
    Alternative(PS05, "log-sum-exp softmax; loss via scipy-free logsumexp", {
        "softmax": """
def softmax(z):
    m = z.max(axis=-1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return np.exp(z - lse)
""",
        "softmax_cross_entropy": """
def softmax_cross_entropy(logits, y):
    N, K = logits.shape
    m = logits.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True))).ravel()
    loss = np.mean(lse - logits[np.arange(N), y])
    onehot = np.eye(K)[y]
    return float(loss), (softmax(logits) - onehot) / N
""",
    }),
    Alternative(PS05, "plain loops over rows", {
        "softmax": """
def softmax(z):
    out = np.empty(z.shape)
    for n in range(z.shape[0]):
        e = np.exp(z[n] - max(z[n]))
        out[n] = e / e.sum()
    return out
""",
        "softmax_cross_entropy": """
import math

def softmax_cross_entropy(logits, y):
    N, K = logits.shape
    loss = 0.0
    dlogits = np.zeros((N, K))
    for n in range(N):
        m = max(logits[n])
        total = sum(math.exp(v - m) for v in logits[n])
        loss += m + math.log(total) - logits[n, y[n]]
        for k in range(K):
            dlogits[n, k] = math.exp(logits[n, k] - m) / total - (k == y[n])
    return loss / N, dlogits / N
""",
    }),
]
