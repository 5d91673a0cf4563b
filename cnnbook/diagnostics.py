"""Looking inside a trained network: the debugging workflow and what the network uses.

Chapter 8 uses these on the MNIST network:

* :func:`layer_statistics`: every layer's output and the gradient of the loss
  with respect to it, on one mini-batch (for per-layer histograms).
* :func:`update_ratios`: the size of one optimizer step relative to the
  weights, per parameter (about 1e-3 is the usual healthy range).
* :func:`saliency_map` and :func:`occlusion_map`: which pixels the network's
  decision depends on.
* :func:`receptive_field`: the input pixels one unit of a layer can see,
  measured with the backward pass.
* :func:`shift_images`: exact pixel shifts with zero fill, to test how the
  network responds to translation (aliasing of strides and pooling).

Each works with a :class:`cnnbook.nn.Sequential` and plain arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnbook.layers import softmax, softmax_cross_entropy
from cnnbook.nn import SGD, Sequential

__all__ = [
    "LayerStatistics",
    "layer_statistics",
    "update_ratios",
    "saliency_map",
    "occlusion_map",
    "receptive_field",
    "shift_images",
]


@dataclass
class LayerStatistics:
    """One layer's output on a mini-batch and the loss gradient with respect to it."""

    name: str
    activations: np.ndarray
    gradients: np.ndarray


def _layer_name(layer, index: int) -> str:
    w = getattr(layer, "w", None)
    return w.name.removesuffix(".w") if w is not None else f"{index}:{type(layer).__name__}"


def layer_statistics(model: Sequential, x: np.ndarray, y: np.ndarray) -> list[LayerStatistics]:
    """Run one forward and backward pass; keep every layer's output and its gradient.

    Args:
        model: the network.
        x: a mini-batch ``(N, C, H, W)``; y: its labels ``(N,)``.

    Returns:
        One :class:`LayerStatistics` per layer, in order. The parameters'
        ``.grad`` are those of this batch afterwards (nothing is updated).
    """
    outputs = []
    a = x
    for layer in model.layers:
        a = layer.forward(a)
        outputs.append(a)
    _, d = softmax_cross_entropy(a, y)
    gradients = [None] * len(model.layers)
    for i in reversed(range(len(model.layers))):
        gradients[i] = d
        d = model.layers[i].backward(d)
    return [
        LayerStatistics(_layer_name(layer, i), out, grad)
        for i, (layer, out, grad) in enumerate(zip(model.layers, outputs, gradients, strict=True))
    ]


def update_ratios(optimizer: SGD) -> dict[str, float]:
    """Take one optimizer step and return ``||step|| / ||weights||`` for every parameter.

    The parameters' ``.grad`` must hold the current gradients (run a forward
    and a backward pass first). A ratio far above 1e-3 means steps that
    rewrite the weights (learning rate too high); far below, steps that barely
    move them (too low).
    """
    before = [p.value.copy() for p in optimizer.parameters]
    optimizer.step()
    return {
        p.name: float(np.linalg.norm(p.value - old) / max(np.linalg.norm(old), 1e-12))
        for p, old in zip(optimizer.parameters, before, strict=True)
    }


def _check_one_image(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"x must be one image of shape (1, C, H, W), got shape {x.shape}")
    return x


def saliency_map(model: Sequential, x: np.ndarray, label: int) -> np.ndarray:
    """``|d logit[label] / d x|``, the largest over channels: ``(H, W)``.

    A large value marks a pixel whose small change moves the class score most.
    """
    x = _check_one_image(x)
    logits = model.forward(x)
    dlogits = np.zeros_like(logits)
    dlogits[0, label] = 1.0
    dx = model.backward(dlogits)
    return np.abs(dx[0]).max(axis=0)


def occlusion_map(
    model: Sequential, x: np.ndarray, label: int, patch: int = 6, stride: int = 2, fill=0.0
) -> np.ndarray:
    """How much the probability of ``label`` drops when a square patch is covered.

    A ``patch x patch`` square of value ``fill`` is slid over the image with
    ``stride``; for each position, the network's probability of ``label`` is
    measured (all positions in one batch).

    Returns:
        ``(H', W')`` with ``H' = (H - patch) // stride + 1``: the probability of
        ``label`` on the clean image minus that on the covered one.
    """
    x = _check_one_image(x)
    _, C, H, W = x.shape
    if not 1 <= patch <= min(H, W):
        raise ValueError(f"patch must be between 1 and {min(H, W)}, got {patch}")
    tops, lefts = range(0, H - patch + 1, stride), range(0, W - patch + 1, stride)
    covered = np.repeat(x, len(tops) * len(lefts), axis=0)
    for k, (i, j) in enumerate((i, j) for i in tops for j in lefts):
        covered[k, :, i : i + patch, j : j + patch] = fill
    p_clean = softmax(model.forward(x))[0, label]
    p_covered = softmax(model.forward(covered))[:, label]
    return (p_clean - p_covered).reshape(len(tops), len(lefts))


def receptive_field(model: Sequential, layer_index: int, input_shape) -> tuple[int, int]:
    """Height and width of the input region that the centre of a layer's output sees.

    Measured, not computed from a formula: each input pixel of a random image
    is pushed up and then down by 5 (one batch of images, one changed pixel
    each), and the pixels whose change moves any channel of the output of
    layer ``layer_index`` at its centre position form the receptive field.
    (A gradient would not do: max pooling passes it to one pixel per window.)
    The field does not depend on the image size, so a small ``input_shape``
    that holds the field (it costs ``2 * H * W`` images) is enough.
    """
    C, H, W = input_shape
    rng = np.random.default_rng(0)
    dtype = model.parameters()[0].value.dtype if model.parameters() else np.float64
    x = rng.uniform(0.0, 1.0, size=(1, C, H, W)).astype(dtype)
    pushed = np.repeat(x, 2 * H * W, axis=0)
    for k in range(H * W):
        for sign, row in ((5.0, 2 * k), (-5.0, 2 * k + 1)):
            pushed[row, :, k // W, k % W] += sign

    def centre(batch):
        a = batch
        for layer in model.layers[: layer_index + 1]:
            a = layer.forward(a)
        return a[:, :, a.shape[2] // 2, a.shape[3] // 2] if a.ndim == 4 else a

    moved = np.abs(centre(pushed) - centre(x)).max(axis=1).reshape(H * W, 2).max(axis=1)
    rows, cols = np.divmod(np.flatnonzero(moved > 1e-9), W)
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)


def shift_images(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Images ``(N, C, H, W)`` moved ``dy`` pixels down and ``dx`` right; zeros shift in."""
    out = np.zeros_like(x)
    H, W = x.shape[2:]
    src_h = slice(max(0, -dy), H - max(0, dy))
    dst_h = slice(max(0, dy), H - max(0, -dy))
    src_w = slice(max(0, -dx), W - max(0, dx))
    dst_w = slice(max(0, dx), W - max(0, -dx))
    out[:, :, dst_h, dst_w] = x[:, :, src_h, src_w]
    return out
