"""Plain-loop implementations of the layers: slow, obviously correct, independent oracles.

They are written from the formulas in the docstrings of cnnbook.layers,
one output element at a time, and share no code with the package.
"""

import numpy as np


def conv_forward_loops(x, w, b, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=np.float64)
    xp[:, :, pad : pad + H, pad : pad + W] = x
    Ho = (H + 2 * pad - HH) // stride + 1
    Wo = (W + 2 * pad - WW) // stride + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


def conv_backward_loops(dout, x, w, stride, pad):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    xp[:, :, pad : pad + H, pad : pad + W] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    db = np.zeros(F)
    _, _, Ho, Wo = dout.shape
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    hs, ws = i * stride, j * stride
                    g = dout[n, f, i, j]
                    db[f] += g
                    dw[f] += g * xp[n, :, hs : hs + HH, ws : ws + WW]
                    dxp[n, :, hs : hs + HH, ws : ws + WW] += g * w[f]
    return dxp[:, :, pad : pad + H, pad : pad + W], dw, db


def pool_forward_loops(x, size, stride, reduce):
    N, C, H, W = x.shape
    Ho = (H - size) // stride + 1
    Wo = (W - size) // stride + 1
    out = np.zeros((N, C, Ho, Wo))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    hs, ws = i * stride, j * stride
                    out[n, c, i, j] = reduce(x[n, c, hs : hs + size, ws : ws + size])
    return out


def maxpool_backward_loops(dout, x, size, stride):
    dx = np.zeros(x.shape)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs : hs + size, ws : ws + size]
                    # first maximum in row-major order
                    best, best_pos = None, None
                    for a in range(size):
                        for bb in range(size):
                            if best is None or window[a, bb] > best:
                                best, best_pos = window[a, bb], (a, bb)
                    dx[n, c, hs + best_pos[0], ws + best_pos[1]] += dout[n, c, i, j]
    return dx


def avgpool_backward_loops(dout, x, size, stride):
    dx = np.zeros(x.shape)
    N, C, Ho, Wo = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    hs, ws = i * stride, j * stride
                    dx[n, c, hs : hs + size, ws : ws + size] += dout[n, c, i, j] / size**2
    return dx


def softmax_cross_entropy_loops(logits, y):
    N, K = logits.shape
    loss = 0.0
    grad = np.zeros((N, K))
    for n in range(N):
        m = max(logits[n])
        total = sum(np.exp(logits[n, k] - m) for k in range(K))
        for k in range(K):
            p = np.exp(logits[n, k] - m) / total
            grad[n, k] = (p - (1.0 if k == y[n] else 0.0)) / N
        loss += -(logits[n, y[n]] - m - np.log(total)) / N
    return loss, grad
