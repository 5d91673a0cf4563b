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


PS02 = "ps02_convolution"

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
]
