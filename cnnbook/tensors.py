"""Images as input tensors: from pixels to a normalized ``(N, C, H, W)`` batch.

Reference implementations of the functions of problem set 1
(``exercises/ps01_input_tensors``) and of the chapter *Images as input
tensors* (``chapters/01_input_tensors``).

Conventions
-----------
* An image file decodes to ``(H, W, C)`` (channels last, as PIL, Matplotlib
  and scikit-learn give it) or ``(H, W)`` for grayscale, dtype ``uint8``
  with values 0..255.
* A network takes ``(N, C, H, W)`` floats (channels first, NCHW), as every
  layer in :mod:`cnnbook.layers`.

Bad input raises ``ValueError`` whose message names the problem.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "LUMA_WEIGHTS",
    "image_to_tensor",
    "stack_batch",
    "channel_mean_std",
    "normalize_channels",
    "to_grayscale",
]

#: ITU-R BT.601 luma weights for (R, G, B), as in PIL's ``convert("L")``.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def _check_batch(x, name: str = "x") -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(
            f"{name} must have 4 dimensions (N, C, H, W), got {x.ndim} with shape {x.shape}"
        )
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{name} must hold numbers, got dtype {x.dtype}")
    return x


def image_to_tensor(image) -> np.ndarray:
    """One decoded image as a float tensor, channels first, values in [0, 1].

    ``out[c, i, j] = image[i, j, c] / 255``

    Args:
        image: ``uint8`` pixels, shape ``(H, W, C)`` or ``(H, W)`` (grayscale,
            treated as ``C = 1``).

    Returns:
        ``out`` of shape ``(C, H, W)``, float64, values in [0, 1]. The axes
        are *moved* (a transpose), not reshaped: ``out[c]`` is channel ``c``.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"image must have dtype uint8 (values 0..255), got {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, np.newaxis]
    if image.ndim != 3:
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {image.shape}")
    return image.transpose(2, 0, 1).astype(np.float64) / 255.0


def stack_batch(tensors: Sequence[np.ndarray]) -> np.ndarray:
    """Stack ``N`` image tensors into one batch.

    Args:
        tensors: a non-empty sequence of arrays, all of shape ``(C, H, W)``.

    Returns:
        ``x`` of shape ``(N, C, H, W)`` with ``x[n] = tensors[n]``.
    """
    tensors = [np.asarray(t) for t in tensors]
    if not tensors:
        raise ValueError("cannot stack an empty list of images")
    first = tensors[0].shape
    if len(first) != 3:
        raise ValueError(f"each image must be (C, H, W), got shape {first}")
    for n, t in enumerate(tensors):
        if t.shape != first:
            raise ValueError(
                f"all images must have the same shape: image 0 is {first}, image {n} is {t.shape}"
            )
    return np.stack(tensors, axis=0)


def channel_mean_std(x) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of every channel over a batch.

    ``mean[c] = mean over n, i, j of x[n, c, i, j]``; ``std[c]`` likewise,
    the population standard deviation (``ddof=0``).

    Args:
        x: batch, shape ``(N, C, H, W)``.

    Returns:
        ``(mean, std)``, each of shape ``(C,)``, float64.
    """
    x = _check_batch(x).astype(np.float64, copy=False)
    return x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))


def normalize_channels(x, mean, std) -> np.ndarray:
    """Standardize every channel: ``out[n, c, i, j] = (x[n, c, i, j] - mean[c]) / std[c]``.

    Args:
        x: batch, shape ``(N, C, H, W)``.
        mean: per-channel means, shape ``(C,)``.
        std: per-channel standard deviations, shape ``(C,)``, all > 0.

    Returns:
        ``out`` of the shape of ``x``, float64.
    """
    x = _check_batch(x)
    C = x.shape[1]
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    for name, v in (("mean", mean), ("std", std)):
        if v.shape != (C,):
            raise ValueError(f"{name} must have shape (C,) = ({C},), got {v.shape}")
    if np.any(std <= 0):
        raise ValueError(f"every std must be > 0, got {std}")
    return (x - mean.reshape(1, C, 1, 1)) / std.reshape(1, C, 1, 1)


def to_grayscale(x, weights: Sequence[float] = LUMA_WEIGHTS) -> np.ndarray:
    """Weighted sum of the channels: ``out[n, 0, i, j] = sum_c weights[c] * x[n, c, i, j]``.

    Args:
        x: batch, shape ``(N, C, H, W)`` (usually C = 3, RGB).
        weights: one weight per channel, length C.

    Returns:
        ``out`` of shape ``(N, 1, H, W)``: the channel axis is kept, with size 1,
        so the result is still a batch of images for the layers.
    """
    x = _check_batch(x)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (x.shape[1],):
        raise ValueError(
            f"need one weight per channel: x has C={x.shape[1]} channels, "
            f"weights has shape {weights.shape}"
        )
    return np.einsum("nchw,c->nhw", x, weights)[:, np.newaxis]
