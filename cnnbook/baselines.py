"""Baselines for the CNN: logistic regression and a one-hidden-layer MLP (scikit-learn).

A CNN's accuracy means little alone. :func:`fit_baselines` trains the two
classic non-convolutional classifiers on the same split, on the pixels as a
flat vector, choosing each one's regularization on the validation set and
measuring the test set once with the chosen setting, exactly as the CNN is
treated. Chapter 8 puts the three side by side on MNIST and on the digits.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["BaselineResult", "SETTINGS", "fit_baselines"]

#: The candidate settings of each baseline (its L2 regularization), tried on validation.
SETTINGS = {
    "logistic regression": [{"C": 0.1}, {"C": 1.0}],
    "MLP (1 hidden layer of 128)": [{"alpha": 1e-3}, {"alpha": 1.0}],
}


@dataclass(frozen=True)
class BaselineResult:
    """One baseline: the setting validation chose, its validation and test accuracy."""

    name: str
    setting: dict
    validation_accuracy: float
    test_accuracy: float
    seconds: float  # fitting all candidate settings


def _model(name: str, setting: dict, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    if name.startswith("logistic"):
        return LogisticRegression(max_iter=300, **setting)
    return MLPClassifier(hidden_layer_sizes=(128,), max_iter=60, random_state=seed, **setting)


def fit_baselines(data, x_val, y_val, seed: int = 0) -> list[BaselineResult]:
    """Fit every baseline of :data:`SETTINGS` on ``data.x_train``; choose on validation.

    Args:
        data: anything with ``x_train, y_train, x_test, y_test`` (images ``(N, C, H, W)``).
        x_val, y_val: the validation images and labels.
        seed: the MLP's random seed.

    Returns:
        One :class:`BaselineResult` per baseline. The test set is measured once,
        with the setting of the best validation accuracy (the first on a tie).
    """

    from threadpoolctl import threadpool_limits

    # one BLAS thread, as in cnnbook.train: several stall each other on a busy machine
    with threadpool_limits(limits=1, user_api="blas"):
        return [_fit_one(name, data, x_val, y_val, seed) for name in SETTINGS]


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1)


def _fit_one(name: str, data, x_val, y_val, seed: int) -> BaselineResult:
    """Fit every candidate setting of one baseline, keep the best on validation."""
    start = time.perf_counter()
    best = None
    for setting in SETTINGS[name]:
        with warnings.catch_warnings():  # an MLP stopped at max_iter warns; it is fine
            warnings.simplefilter("ignore")
            model = _model(name, setting, seed).fit(_flat(data.x_train), data.y_train)
        accuracy = float(np.mean(model.predict(_flat(x_val)) == y_val))
        if best is None or accuracy > best[0]:
            best = (accuracy, setting, model)
    accuracy, setting, model = best
    test = float(np.mean(model.predict(_flat(data.x_test)) == data.y_test))
    return BaselineResult(name, setting, accuracy, test, time.perf_counter() - start)
