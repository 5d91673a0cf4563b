"""cnnbook.tensors: the reference of problem set 1."""

from __future__ import annotations

import numpy as np
import pytest

from cnnbook import tensors


def test_image_to_tensor_moves_axes_and_scales():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (5, 7, 3)).astype(np.uint8)
    out = tensors.image_to_tensor(image)
    assert out.shape == (3, 5, 7) and out.dtype == np.float64
    for c in range(3):
        np.testing.assert_array_equal(out[c], image[:, :, c] / 255.0)
    assert out.min() >= 0 and out.max() <= 1
    gray = tensors.image_to_tensor(image[:, :, 0])
    assert gray.shape == (1, 5, 7)


def test_stack_normalize_grayscale_round_trip():
    rng = np.random.default_rng(1)
    batch = tensors.stack_batch([rng.random((3, 4, 6)) * (c + 1) for c in range(5)])
    assert batch.shape == (5, 3, 4, 6)
    mean, std = tensors.channel_mean_std(batch)
    assert mean.shape == std.shape == (3,)
    z = tensors.normalize_channels(batch, mean, std)
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1, atol=1e-12)
    gray = tensors.to_grayscale(batch)
    assert gray.shape == (5, 1, 4, 6)
    np.testing.assert_allclose(
        gray[:, 0], 0.299 * batch[:, 0] + 0.587 * batch[:, 1] + 0.114 * batch[:, 2]
    )


def test_real_photo_becomes_a_batch():
    from cnnbook.data import load_sample_photo

    photo = load_sample_photo("flower")
    x = tensors.stack_batch([tensors.image_to_tensor(photo)])
    assert x.shape == (1, 3, 427, 640)
    assert tensors.to_grayscale(x).shape == (1, 1, 427, 640)


@pytest.mark.parametrize(
    "call",
    [
        lambda: tensors.image_to_tensor(np.zeros((4, 4, 3))),  # float, not uint8
        lambda: tensors.image_to_tensor(np.zeros((2, 4, 4, 3), np.uint8)),
        lambda: tensors.stack_batch([]),
        lambda: tensors.stack_batch([np.zeros((3, 4, 4)), np.zeros((3, 4, 5))]),
        lambda: tensors.stack_batch([np.zeros((4, 4))]),
        lambda: tensors.channel_mean_std(np.zeros((3, 4, 4))),
        lambda: tensors.normalize_channels(np.zeros((1, 3, 2, 2)), np.zeros(2), np.ones(3)),
        lambda: tensors.normalize_channels(np.zeros((1, 3, 2, 2)), np.zeros(3), np.zeros(3)),
        lambda: tensors.to_grayscale(np.zeros((1, 4, 2, 2))),
    ],
)
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()
