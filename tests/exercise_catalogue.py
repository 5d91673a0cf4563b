"""A catalogue of realistic student mistakes, and of correct answers written differently.

The mistakes come from the course data (``cnnbook/coursedata/misconceptions/``, loaded
by :mod:`cnnbook.grader.judging.misconceptions`).
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

from cnnbook.grader.assignments import NAMES
from cnnbook.grader.judging.misconceptions import MISCONCEPTIONS

PS01, PS02, PS03, PS04, PS05, PS06, PS07, PS08 = NAMES[:8]


@dataclass(frozen=True)
class Mistake:
    assignment: str
    cell: str  # grade_id of the answer cell
    name: str
    edits: tuple[tuple[str, str], ...] = ()
    code: str | None = None
    functions: tuple[str, ...] = ()  # the graded functions whose results it changes


@dataclass(frozen=True)
class Alternative:
    assignment: str
    name: str
    cells: dict[str, str] = field(default_factory=dict)


# The mistakes are course data (cnnbook.grader.judging.misconceptions): each with a stable id,
# the misconception in teaching terms and the book section, which the judge names in
# the feedback. Adding a mistake is adding one [[mistake]] table to
# cnnbook/coursedata/misconceptions/<assignment>.toml.
MISTAKES: list[Mistake] = [
    Mistake(m.assignment, m.cell, m.name, m.edits, m.code, tuple(m.functions))
    for m in MISCONCEPTIONS
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
    Alternative(PS02, "the most naive loops: seven nested loops, scalars only", {
        "conv2d_forward": """
def conv2d_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    total = b[f]
                    for c in range(C):
                        for di in range(HH):
                            for dj in range(WW):
                                r = i * stride + di - pad
                                s = j * stride + dj - pad
                                if 0 <= r < H and 0 <= s < W:
                                    total += x[n, c, r, s] * w[f, c, di, dj]
                    out[n, f, i, j] = total
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
    Alternative(PS06, "vectorized: einsum over windows, loops over kernel offsets, np.add.at", {
        "relu_backward": """
def relu_backward(dout, x):
    return np.where(x > 0, dout, 0.0)
""",
        "affine_backward": """
def affine_backward(dout, x, w):
    X = x.reshape(x.shape[0], -1)
    return np.einsum("nm,dm->nd", dout, w).reshape(x.shape), np.einsum("nd,nm->dm", X, dout), \\
        np.einsum("nm->m", dout)
""",
        "conv2d_backward": """
from numpy.lib.stride_tricks import sliding_window_view

def conv2d_backward(dout, x, w, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("nfhw,nchwij->fcij", dout, win)
    db = dout.sum(axis=(0, 2, 3))
    dxp = np.zeros(xp.shape)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + stride * (Ho - 1) + 1:stride, j:j + stride * (Wo - 1) + 1:stride] += \\
                np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db
""",
        "maxpool2d_backward": """
from numpy.lib.stride_tricks import sliding_window_view

def maxpool2d_backward(dout, x, size=2, stride=2):
    N, C, Ho, Wo = dout.shape
    win = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    k = win.reshape(N, C, Ho, Wo, size * size).argmax(axis=-1)
    di, dj = np.divmod(k, size)
    n, c, i, j = np.indices((N, C, Ho, Wo))
    dx = np.zeros(x.shape)
    np.add.at(dx, (n, c, i * stride + di, j * stride + dj), dout)
    return dx
""",
        "avgpool2d_backward": """
def avgpool2d_backward(dout, x, size=2, stride=2):
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    for di in range(size):
        for dj in range(size):
            dx[:, :, di:di + stride * (Ho - 1) + 1:stride, dj:dj + stride * (Wo - 1) + 1:stride] += \\
                dout / size**2
    return dx
""",
    }),
    Alternative(PS06, "the most naive loops: scalar updates, bounds checks instead of padding", {
        "conv2d_backward": """
def conv2d_backward(dout, x, w, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(F)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    g = dout[n, f, i, j]
                    db[f] += g
                    for c in range(C):
                        for di in range(HH):
                            for dj in range(WW):
                                r = i * stride + di - pad
                                s = j * stride + dj - pad
                                if 0 <= r < H and 0 <= s < W:
                                    dw[f, c, di, dj] += g * x[n, c, r, s]
                                    dx[n, c, r, s] += g * w[f, c, di, dj]
    return dx, dw, db
""",
        "maxpool2d_backward": """
def maxpool2d_backward(dout, x, size=2, stride=2):
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    best, best_r, best_s = None, 0, 0
                    for di in range(size):
                        for dj in range(size):
                            v = x[n, c, i * stride + di, j * stride + dj]
                            if best is None or v > best:
                                best, best_r, best_s = v, i * stride + di, j * stride + dj
                    dx[n, c, best_r, best_s] += dout[n, c, i, j]
    return dx
""",
    }),
    Alternative(PS06, "backward passes written as forward-mode loops over inputs", {
        "conv2d_backward": """
def conv2d_backward(dout, x, w, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dw = np.zeros(w.shape)
    for f in range(F):
        for c in range(C):
            for i in range(HH):
                for j in range(WW):
                    patch = xp[:, c, i:i + stride * (Ho - 1) + 1:stride, j:j + stride * (Wo - 1) + 1:stride]
                    dw[f, c, i, j] = np.sum(patch * dout[:, f])
    dxp = np.zeros(xp.shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                dxp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += \\
                    np.tensordot(dout[n, :, i, j], w, axes=1)
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, np.einsum("nfhw->f", dout)
""",
        "maxpool2d_backward": """
def maxpool2d_backward(dout, x, size=2, stride=2):
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x, dtype=float)
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].reshape(N, C, -1)
            k = win.argmax(axis=2)
            for n in range(N):
                for c in range(C):
                    dx[n, c, i * stride + k[n, c] // size, j * stride + k[n, c] % size] += dout[n, c, i, j]
    return dx
""",
    }),
    Alternative(PS01, "moveaxis, np.stack, vectorized statistics, einsum", {
        "image_to_tensor": """
def image_to_tensor(image):
    image = np.atleast_3d(image)
    return np.moveaxis(image, -1, 0) / np.float64(255)
""",
        "stack_batch": """
def stack_batch(tensors):
    return np.stack(tensors)
""",
        "channel_mean_std": """
def channel_mean_std(x):
    mean = x.mean(axis=(0, 2, 3))
    std = np.sqrt(((x - mean[None, :, None, None]) ** 2).mean(axis=(0, 2, 3)))
    return mean, std
""",
        "normalize_channels": """
def normalize_channels(x, mean, std):
    return (x - np.reshape(mean, (1, -1, 1, 1))) / np.reshape(std, (1, -1, 1, 1))
""",
        "to_grayscale": """
def to_grayscale(x, weights=(0.299, 0.587, 0.114)):
    return np.einsum("nchw,c->nhw", x, np.asarray(weights))[:, None]
""",
    }),
    Alternative(PS07, "own vectorized layers pasted in, dict cache, Xavier init, momentum-free loop", {
        "layers": """
from numpy.lib.stride_tricks import sliding_window_view

def conv2d_forward(x, w, b, stride=1, pad=0):
    HH, WW = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,fcij->nfhw", win, w) + b[None, :, None, None]

def conv2d_backward(dout, x, w, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("nfhw,nchwij->fcij", dout, win)
    dxp = np.zeros(xp.shape)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + stride * (Ho - 1) + 1:stride, j:j + stride * (Wo - 1) + 1:stride] += \\
                np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))

def relu_forward(x):
    return np.maximum(x, 0)

def relu_backward(dout, x):
    return np.where(x > 0, dout, 0.0)

def maxpool2d_forward(x, size=2, stride=2):
    return sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride].max(axis=(4, 5))

def maxpool2d_backward(dout, x, size=2, stride=2):
    N, C, Ho, Wo = dout.shape
    win = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    di, dj = np.divmod(win.reshape(N, C, Ho, Wo, -1).argmax(axis=-1), size)
    n, c, i, j = np.indices((N, C, Ho, Wo))
    dx = np.zeros(x.shape)
    np.add.at(dx, (n, c, i * stride + di, j * stride + dj), dout)
    return dx

def affine_forward(x, w, b):
    return x.reshape(len(x), -1) @ w + b

def affine_backward(dout, x, w):
    X = x.reshape(len(x), -1)
    return (dout @ w.T).reshape(x.shape), X.T @ dout, dout.sum(axis=0)

def softmax_cross_entropy(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    N = len(y)
    d = np.exp(logp)
    d[np.arange(N), y] -= 1
    return float(-logp[np.arange(N), y].mean()), d / N
""",
        "init_params": """
def init_params(seed=0):
    rng = np.random.default_rng(seed)
    lim1, lim2 = np.sqrt(6 / (9 + 72)), np.sqrt(6 / (128 + 10))
    return {"w1": rng.uniform(-lim1, lim1, (8, 1, 3, 3)), "b1": np.zeros(8),
            "w2": rng.uniform(-lim2, lim2, (128, 10)), "b2": np.zeros(10)}
""",
        "model_forward": """
def model_forward(params, x):
    cache = {"x": x}
    cache["a"] = conv2d_forward(x, params["w1"], params["b1"], 1, 1)
    cache["r"] = relu_forward(cache["a"])
    cache["p"] = maxpool2d_forward(cache["r"], 2, 2)
    return affine_forward(cache["p"], params["w2"], params["b2"]), cache
""",
        "model_backward": """
def model_backward(dlogits, cache, params):
    grads = {}
    dp, grads["w2"], grads["b2"] = affine_backward(dlogits, cache["p"], params["w2"])
    da = relu_backward(maxpool2d_backward(dp, cache["r"], 2, 2), cache["a"])
    _, grads["w1"], grads["b1"] = conv2d_backward(da, cache["x"], params["w1"], 1, 1)
    return grads
""",
        "train": """
def train(x, y, epochs=20, lr=0.1, batch_size=16, seed=1):
    params = init_params(seed)
    rng = np.random.default_rng(seed)
    losses = []
    for epoch in range(epochs):
        perm = rng.permutation(len(x))
        for batch in np.array_split(perm, int(np.ceil(len(x) / batch_size))):
            logits, cache = model_forward(params, x[batch])
            loss, dlogits = softmax_cross_entropy(logits, y[batch])
            sgd_step(params, model_backward(dlogits, cache, params), lr)
            losses.append(loss)
    return params, losses
""",
    }),
    Alternative(PS08, "backward by the chain rule through every intermediate; spatial via rows", {
        "batchnorm_forward": """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train",
                      momentum=0.9, eps=1e-5):
    if mode == "train":
        N = x.shape[0]
        mu = np.sum(x, axis=0) / N
        var = np.sum((x - mu) ** 2, axis=0) / N
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        mu, var = running_mean, running_var
        running_mean, running_var = np.array(running_mean), np.array(running_var)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta, running_mean, running_var
""",
        "batchnorm_backward": """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    N = x.shape[0]
    mu = x.mean(axis=0)
    xc = x - mu
    var = (xc ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    inv = 1 / std
    xhat = xc * inv
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dinv = np.sum(dxhat * xc, axis=0)
    dxc = dxhat * inv
    dstd = -dinv / std ** 2
    dvar = 0.5 * dstd / std
    dsq = np.ones_like(x) * dvar / N
    dxc += 2 * xc * dsq
    dmu = -np.sum(dxc, axis=0)
    dx = dxc + dmu / N
    return dx, dgamma, dbeta
""",
        "spatial_batchnorm_forward": """
def spatial_batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train",
                              momentum=0.9, eps=1e-5):
    N, C, H, W = x.shape
    rows = np.moveaxis(x, 1, -1).reshape(-1, C)
    out, rm, rv = batchnorm_forward(rows, gamma, beta, running_mean, running_var, mode,
                                    momentum, eps)
    return np.moveaxis(out.reshape(N, H, W, C), -1, 1), rm, rv
""",
        "spatial_batchnorm_backward": """
def spatial_batchnorm_backward(dout, x, gamma, eps=1e-5):
    N, C, H, W = x.shape
    to_rows = lambda a: a.transpose(0, 2, 3, 1).reshape(-1, C)
    dx, dgamma, dbeta = batchnorm_backward(to_rows(dout), to_rows(x), gamma, eps)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta
""",
        "dropout_forward": """
def dropout_forward(x, p, mask, mode="train"):
    keep = 1.0 - p
    return np.where(mask, x / keep, 0.0) if mode == "train" else np.array(x, dtype=float)
""",
        "dropout_backward": """
def dropout_backward(dout, p, mask):
    return np.where(mask, dout, 0.0) / (1.0 - p)
""",
        "adam_step": """
def adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m_new = beta1 * m + (1 - beta1) * dw
    v_new = beta2 * v + (1 - beta2) * dw * dw
    step = (m_new / (1 - beta1 ** t)) / (np.sqrt(v_new / (1 - beta2 ** t)) + eps)
    return w - lr * step, m_new, v_new
""",
    }),
    Alternative(PS08, "plain loops over features; backward from sums; loops over entries", {
        "batchnorm_forward": """
def batchnorm_forward(x, gamma, beta, running_mean, running_var, mode="train",
                      momentum=0.9, eps=1e-5):
    N, D = x.shape
    out = np.zeros((N, D))
    rm, rv = running_mean.copy(), running_var.copy()
    for d in range(D):
        col = x[:, d]
        if mode == "train":
            mu = sum(col) / N
            var = sum((c - mu) ** 2 for c in col) / N
            rm[d] = momentum * running_mean[d] + (1 - momentum) * mu
            rv[d] = momentum * running_var[d] + (1 - momentum) * var
        else:
            mu, var = running_mean[d], running_var[d]
        out[:, d] = gamma[d] * (col - mu) / (var + eps) ** 0.5 + beta[d]
    return out, rm, rv
""",
        "batchnorm_backward": """
def batchnorm_backward(dout, x, gamma, eps=1e-5):
    N = x.shape[0]
    xhat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dx = gamma / (N * np.sqrt(x.var(0) + eps)) * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
""",
        "spatial_batchnorm_backward": """
def spatial_batchnorm_backward(dout, x, gamma, eps=1e-5):
    N, C, H, W = x.shape
    M = N * H * W
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    std = np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
    xhat = (x - mu) / std
    dbeta = np.einsum("nchw->c", dout)
    dgamma = np.einsum("nchw,nchw->c", dout, xhat)
    g = gamma[None, :, None, None]
    dx = g / (M * std) * (M * dout - dbeta[None, :, None, None]
                          - xhat * dgamma[None, :, None, None])
    return dx, dgamma, dbeta
""",
        "dropout_forward": """
def dropout_forward(x, p, mask, mode="train"):
    if mode != "train":
        return x + 0.0
    out = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        if mask[i]:
            out[i] = x[i] / (1 - p)
    return out
""",
        "adam_step": """
def adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, m, v = w.copy(), m.copy(), v.copy()
    for i in np.ndindex(w.shape):
        m[i] = beta1 * m[i] + (1 - beta1) * dw[i]
        v[i] = beta2 * v[i] + (1 - beta2) * dw[i] ** 2
        w[i] -= lr * (m[i] / (1 - beta1 ** t)) / ((v[i] / (1 - beta2 ** t)) ** 0.5 + eps)
    return w, m, v
""",
    }),
]
