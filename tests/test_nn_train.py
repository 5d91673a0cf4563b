"""cnnbook.nn and cnnbook.train: the network API and the training entry point."""

import json
import subprocess
import sys

import numpy as np
import pytest

from cnnbook import layers, nn, train
from cnnbook.data import load_digits
from cnnbook.gradcheck import check_gradient


def small_model(seed=0):
    rng = np.random.default_rng(seed)
    return nn.Sequential([
        nn.Conv2D(2, 3, 3, stride=1, pad=1, rng=rng, dtype=np.float64),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Conv2D(3, 2, 2, stride=1, pad=0, rng=rng, dtype=np.float64),
        nn.AvgPool2D(2, stride=1),
        nn.Flatten(),
        nn.Dense(2 * 1 * 1, 4, rng=rng, dtype=np.float64),
    ])


def test_sequential_backward_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    model = small_model()
    x = rng.standard_normal((3, 2, 6, 6))
    y = np.array([0, 3, 1])

    def loss_of(_):
        return layers.softmax_cross_entropy(model.forward(x), y)[0]

    loss, dlogits = layers.softmax_cross_entropy(model.forward(x), y)
    dx = model.backward(dlogits)
    for p in model.parameters():
        check_gradient(loss_of, p.value, p.grad.copy(), name=p.name, tolerance=1e-6)
    check_gradient(loss_of, x, dx, name="x", tolerance=1e-6)


def test_parameters_and_shapes():
    model = train.build_model(seed=0)
    names = [p.name for p in model.parameters()]
    assert names == ["conv1.w", "conv1.b", "conv2.w", "conv2.b", "dense.w", "dense.b"]
    assert sum(p.value.size for p in model.parameters()) == 160 + 4640 + 1290
    out = model.forward(np.zeros((5, 1, 8, 8), np.float32))
    assert out.shape == (5, 10) and out.dtype == np.float32


def test_same_seed_same_model_and_backward_before_forward():
    a, b = train.build_model(3), train.build_model(3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.value, q.value)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        train.build_model(0).backward(np.zeros((1, 10), np.float32))


def test_sgd_momentum_update_rule():
    p = nn.Parameter(np.array([1.0, -2.0]), "p")
    opt = nn.SGD([p], lr=0.1, momentum=0.5)
    p.grad = np.array([1.0, 1.0])
    opt.step()  # v = -0.1 g
    np.testing.assert_allclose(p.value, [0.9, -2.1])
    opt.step()  # v = 0.5 * (-0.1) - 0.1 = -0.15
    np.testing.assert_allclose(p.value, [0.75, -2.25])
    for bad in ({"lr": 0}, {"momentum": 1.0}, {"weight_decay": -1}):
        with pytest.raises(ValueError):
            nn.SGD([p], **{"lr": 0.1, **bad})


def test_random_shift_moves_images_by_at_most_one_pixel():
    rng = np.random.default_rng(0)
    x = np.zeros((50, 1, 8, 8), np.float32)
    x[:, 0, 4, 4] = 1.0
    shifted = train.random_shift(x, rng)
    assert shifted.shape == x.shape
    positions = np.argwhere(shifted[:, 0] == 1.0)[:, 1:]
    assert len(positions) == 50
    assert np.abs(positions - 4).max() == 1 and len({tuple(p) for p in positions}) > 3


def test_training_reduces_loss_and_learns_on_a_small_budget():
    data = load_digits()
    config = train.TrainConfig(epochs=3, seed=0)
    history = train.train(train.build_model(0), data, config, progress=False)
    assert len(history.epochs) == 3
    assert len(history.batch_losses) == 3 * 45
    assert np.mean(history.batch_losses[:10]) > 2.0  # ~ log(10) at initialisation
    assert history.epochs[-1].train_loss < history.epochs[0].train_loss
    assert history.final.test_accuracy > 0.85


def test_mnist_model_shapes_and_parameters():
    model = train.build_mnist_model(seed=0)
    shapes = []
    x = np.zeros((2, 1, 28, 28), np.float32)
    for layer in model.layers:
        x = layer.forward(x)
        shapes.append(x.shape[1:])
    assert shapes == [
        (16, 28, 28), (16, 28, 28), (16, 14, 14), (32, 14, 14), (32, 14, 14), (32, 7, 7),
        (1568,), (10,),
    ]
    assert sum(p.value.size for p in model.parameters()) == 160 + 4640 + 15690
    assert x.dtype == np.float32


@pytest.mark.slow
def test_training_command_prints_json_last_line():
    """The digits CLI, 2 epochs (about 1 s of CPU): far above chance (10 %)."""
    result = subprocess.run(
        [sys.executable, "-m", "cnnbook.train", "--data", "digits", "--epochs", "2",
         "--no-progress"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["data"] == "digits"
    assert summary["epochs"] == 2 and summary["iterations"] == 2 * 36  # 1,150 images / 32
    assert summary["split"] == {"train": 1150, "validation": 287, "test": 360}
    assert 0.5 < summary["test_accuracy"] <= 1.0
    assert summary["seconds"] > 0 and summary["best_epoch"] in (1, 2)


@pytest.mark.slow
def test_mnist_training_command_learns_in_one_epoch():
    """MNIST by default, 1 epoch (about 3 s of CPU): the split sizes and a first accuracy."""
    result = subprocess.run(
        [sys.executable, "-m", "cnnbook.train", "--epochs", "1"],
        capture_output=True, text=True, check=True, timeout=300,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["data"] == "mnist"
    assert summary["split"] == {"train": 3500, "validation": 500, "test": 1000}
    assert summary["iterations"] == 110 and summary["epochs"] == 1
    assert 0.85 < summary["test_accuracy"] <= 1.0
    assert "training" in result.stderr  # the progress bar
    assert summary["config"]["blas_threads"] == 1


def test_training_command_rejects_bad_settings():
    result = subprocess.run(
        [sys.executable, "-m", "cnnbook.train", "--epochs", "0"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "epochs must be >= 1, got 0" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "cnnbook.train", "--blas-threads", "0"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2 and "blas_threads must be >= 1" in result.stderr


def test_validation_split_is_stratified_and_leaves_the_test_set_alone():
    data = load_digits()
    fit, (x_val, y_val) = train.validation_split(data, n_validation=287, seed=0)
    assert len(x_val) == 287 and len(fit.x_train) == 1437 - 287
    assert fit.x_test is data.x_test
    assert np.abs(np.bincount(y_val) / 287 - np.bincount(data.y_train) / 1437).max() < 0.01


def test_early_stopping_keeps_the_best_validation_epoch_and_never_measures_test():
    data = load_digits()
    fit, validation = train.validation_split(data, n_validation=287, seed=0)
    config = train.TrainConfig(epochs=4, seed=0, patience=1, lr=0.5, cosine_decay=False)
    model = train.build_model(0)
    history = train.train(model, fit, config, progress=False, validation=validation)
    accuracies = [r.validation_accuracy for r in history.epochs]
    assert all(r.test_accuracy is None for r in history.epochs)
    assert history.best_epoch == int(np.argmax(accuracies)) + 1
    assert len(history.epochs) <= history.best_epoch + 1  # stopped after one worse epoch
    assert train.evaluate(model, *validation) == max(accuracies)  # best weights restored


def test_early_stopping_needs_a_validation_set():
    with pytest.raises(ValueError, match="validation"):
        train.train(
            train.build_model(0),
            load_digits(),
            train.TrainConfig(epochs=1, patience=1),
            progress=False,
        )
