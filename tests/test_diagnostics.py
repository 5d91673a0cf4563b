"""cnnbook.diagnostics and cnnbook.baselines: the tools chapter 8 inspects the network with.

Quick: small networks and the 8x8 digits (about 3 s in all)."""

import numpy as np
import pytest

from cnnbook import baselines, diagnostics, nn, train
from cnnbook.data import load_digits
from cnnbook.layers import softmax


def tiny_model(seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential([
        nn.Conv2D(1, 3, 3, pad=1, rng=rng, dtype=np.float64, name="conv1"),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Flatten(),
        nn.Dense(3 * 4 * 4, 4, rng=rng, dtype=np.float64, name="dense"),
    ])


def test_receptive_field_is_measured_as_the_formula_says():
    model = train.build_mnist_model(0)
    # 3x3 conv: 3; pool 2: 3 + 1 = 4; 3x3 conv at stride 2: 4 + 2*2 = 8; pool: 8 + 2 = 10
    fields = [diagnostics.receptive_field(model, i, (1, 20, 20))[0] for i in (0, 2, 3, 5)]
    assert fields == [3, 4, 8, 10]


def test_layer_statistics_gradients_chain_to_the_parameters():
    rng = np.random.default_rng(1)
    model = tiny_model()
    x, y = rng.standard_normal((5, 1, 8, 8)), np.array([0, 1, 2, 3, 0])
    stats = diagnostics.layer_statistics(model, x, y)
    assert [s.name for s in stats] == ["conv1", "1:ReLU", "2:MaxPool2D", "3:Flatten", "dense"]
    assert stats[0].activations.shape == (5, 3, 8, 8) and stats[-1].gradients.shape == (5, 4)
    # the dense layer's weight gradient is its input times the output gradient
    np.testing.assert_allclose(
        model.layers[-1].w.grad, stats[3].activations.T @ stats[4].gradients, atol=1e-12
    )
    # dlogits of the mean cross-entropy: (softmax - one_hot) / N
    one_hot = np.eye(4)[y]
    np.testing.assert_allclose(stats[-1].gradients, (softmax(stats[-1].activations) - one_hot) / 5)


def test_update_ratios_measure_the_step():
    p = nn.Parameter(np.array([3.0, 4.0]), "p")
    p.grad = np.array([1.0, 0.0])
    ratios = diagnostics.update_ratios(nn.SGD([p], lr=0.5, momentum=0.0))
    assert ratios == {"p": pytest.approx(0.5 / 5.0)}
    np.testing.assert_allclose(p.value, [2.5, 4.0])


def test_saliency_is_the_input_gradient_of_the_class_score():
    rng = np.random.default_rng(2)
    model = tiny_model()
    x = rng.standard_normal((1, 1, 8, 8))
    sal = diagnostics.saliency_map(model, x, 2)
    eps = 1e-6
    for i, j in [(0, 0), (3, 4), (7, 7)]:
        bumped = x.copy()
        bumped[0, 0, i, j] += eps
        numeric = (model.forward(bumped)[0, 2] - model.forward(x)[0, 2]) / eps
        assert sal[i, j] == pytest.approx(abs(numeric), abs=1e-5)
    with pytest.raises(ValueError, match="one image"):
        diagnostics.saliency_map(model, np.zeros((2, 1, 8, 8)), 0)


def test_occlusion_map_positions_and_values():
    rng = np.random.default_rng(3)
    model = tiny_model()
    x = rng.uniform(size=(1, 1, 8, 8))
    occ = diagnostics.occlusion_map(model, x, 1, patch=4, stride=2)
    assert occ.shape == (3, 3)
    covered = x.copy()
    covered[0, 0, 2:6, 4:8] = 0.0
    p = softmax(model.forward(x))[0, 1] - softmax(model.forward(covered))[0, 1]
    assert occ[1, 2] == pytest.approx(p)
    with pytest.raises(ValueError, match="patch"):
        diagnostics.occlusion_map(model, x, 1, patch=9)


def test_shift_images_moves_pixels_and_fills_zeros():
    x = np.arange(2 * 1 * 4 * 5, dtype=float).reshape(2, 1, 4, 5) + 1
    s = diagnostics.shift_images(x, 1, -2)
    np.testing.assert_array_equal(s[:, :, 1:, :3], x[:, :, :3, 2:])
    assert not s[:, :, 0].any() and not s[:, :, :, 3:].any()
    np.testing.assert_array_equal(diagnostics.shift_images(x, 0, 0), x)


def test_baselines_choose_on_validation_and_beat_chance_on_the_digits():
    data = load_digits()
    fit, (x_val, y_val) = train.validation_split(data)
    results = baselines.fit_baselines(fit, x_val, y_val)
    assert [r.name for r in results] == list(baselines.SETTINGS)
    for r in results:
        assert r.setting in baselines.SETTINGS[r.name]
        assert 0.9 < r.validation_accuracy <= 1 and 0.9 < r.test_accuracy <= 1
