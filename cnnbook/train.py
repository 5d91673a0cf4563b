"""Train the course's CNNs from scratch: a LeNet-style network on MNIST, a small one on the digits.

Run it as ``python -m cnnbook.train`` (MNIST, the course's main data set) or
``python -m cnnbook.train --data digits`` (scikit-learn's 8x8 digits, a few
seconds). It shows a progress bar (on stderr) and prints, as its last line on
stdout, one JSON object::

    {"data": "mnist", "test_accuracy": 0.97..., "seconds": ..., "epochs": 12,
     "split": {"train": 3500, "validation": 500, "test": 1000}, "best_epoch": ...,
     "validation_accuracy": ..., "cpu_seconds": ..., "iterations": ..., ...}

Validation decides, the test set is measured once: after every epoch the
validation accuracy is measured, the weights of the best epoch are kept, and
only then is the test set looked at. ``seconds`` is the wall-clock time of
training (the per-epoch measurements included, loading the data excluded).

The MNIST network (input ``(N, 1, 28, 28)``), :func:`build_mnist_model`::

    Conv2D 1->16, 3x3, pad 1   -> (N, 16, 28, 28)     160 parameters
    ReLU, MaxPool 2x2          -> (N, 16, 14, 14)
    Conv2D 16->32, 3x3, pad 1  -> (N, 32, 14, 14)   4,640 parameters
    ReLU, MaxPool 2x2          -> (N, 32, 7, 7)
    Flatten                    -> (N, 1568)
    Dense 1568->10             -> (N, 10)          15,690 parameters

The digits network, :func:`build_model`, is the same with 8x8 inputs (maps of
8x8, 4x4 and 2x2; a dense layer 128->10; 6,090 parameters).

Both train with SGD + momentum on mini-batches of 32, the learning rate
decaying along a half cosine, each training image shifted by up to one pixel
at random in every epoch (a cheap augmentation that teaches some translation
tolerance). The default settings per data set (:data:`DEFAULTS`) were chosen
on the validation set. The matrix products of such small mini-batches run
fastest on one BLAS thread (``blas_threads``): with two, OpenBLAS's threads
spend more time waiting for each other than multiplying, worst on a busy
machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from cnnbook.data import MNIST, Digits, load_digits, load_mnist
from cnnbook.layers import softmax_cross_entropy
from cnnbook.nn import SGD, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential

__all__ = [
    "TrainConfig",
    "EpochRecord",
    "History",
    "build_model",
    "build_mnist_model",
    "DEFAULTS",
    "evaluate",
    "random_shift",
    "validation_split",
    "train",
    "main",
]


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of a training run (the defaults are the digits'; see :data:`DEFAULTS`)."""

    epochs: int = 20
    batch_size: int = 32
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 1e-4
    cosine_decay: bool = True  # lr follows lr * (1 + cos(pi * t / T)) / 2 over the T iterations
    augment: bool = True
    seed: int = 0
    patience: int | None = None  # early stopping: epochs without a better validation accuracy
    blas_threads: int | None = 1  # threads of the matrix products (None: BLAS's default)

    def __post_init__(self):
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be >= 1 (or None), got {self.patience}")
        if self.blas_threads is not None and self.blas_threads < 1:
            raise ValueError(f"blas_threads must be >= 1 (or None), got {self.blas_threads}")


@dataclass
class EpochRecord:
    """Measurements after one epoch."""

    epoch: int
    train_loss: float  # mean mini-batch loss over the epoch
    train_accuracy: float  # on the first 500 (unshifted) training images, after the epoch
    test_accuracy: float | None  # None when training with a validation set
    seconds: float  # wall-clock time since training started
    validation_accuracy: float | None = None


@dataclass
class History:
    """Everything a training run measured."""

    config: TrainConfig
    epochs: list[EpochRecord] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)  # one per iteration
    best_epoch: int | None = None  # with a validation set: the epoch whose weights are kept

    @property
    def final(self) -> EpochRecord:
        return self.epochs[-1]


def build_model(seed: int = 0) -> Sequential:
    """The course's small CNN for ``(N, 1, 8, 8)`` digits, initialised from ``seed``."""
    return _two_conv_cnn(8, seed)


def build_mnist_model(seed: int = 0) -> Sequential:
    """The course's LeNet-style CNN for ``(N, 1, 28, 28)`` MNIST, initialised from ``seed``."""
    return _two_conv_cnn(28, seed)


def _two_conv_cnn(side: int, seed: int) -> Sequential:
    """conv 1->16, ReLU, pool, conv 16->32, ReLU, pool, dense to 10 classes, for square
    ``(N, 1, side, side)`` images (each 2x2 pooling halves the side)."""
    rng = np.random.default_rng(seed)
    return Sequential(
        [
            Conv2D(1, 16, kernel_size=3, pad=1, rng=rng, name="conv1"),
            ReLU(),
            MaxPool2D(2),
            Conv2D(16, 32, kernel_size=3, pad=1, rng=rng, name="conv2"),
            ReLU(),
            MaxPool2D(2),
            Flatten(),
            Dense(32 * (side // 4) ** 2, 10, rng=rng, name="dense"),
        ]
    )


#: The settings ``python -m cnnbook.train`` uses for each data set, chosen on validation.
DEFAULTS = {
    "mnist": TrainConfig(epochs=12),
    "digits": TrainConfig(epochs=20),
}

#: The network for each data set.
MODELS = {"mnist": build_mnist_model, "digits": build_model}


def evaluate(model: Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of samples in ``x`` (N, C, H, W) whose predicted class equals ``y`` (N,)."""
    return float(np.mean(model.predict(x) == y))


def random_shift(x: np.ndarray, rng: np.random.Generator, max_shift: int = 1) -> np.ndarray:
    """Shift each image of ``x`` (N, C, H, W) by up to ``max_shift`` pixels in H and W.

    Pixels shifted in from outside are zero (the digits' background).
    """
    N, _, H, W = x.shape
    p = max_shift
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dy = rng.integers(0, 2 * p + 1, size=N)
    dx = rng.integers(0, 2 * p + 1, size=N)
    rows = dy[:, None] + np.arange(H)[None, :]  # (N, H)
    cols = dx[:, None] + np.arange(W)[None, :]  # (N, W)
    n = np.arange(N)[:, None, None]
    return padded[n, :, rows[:, :, None], cols[:, None, :]].transpose(0, 3, 1, 2)


def validation_split(data: Digits, n_validation: int = 287, seed: int = 0):
    """Split a validation set off the training images, stratified by class.

    The test set is left alone: decisions (which settings, which epoch) are
    made on the validation set, and the test set is measured once, at the end.

    Args:
        data: the digits split from :func:`cnnbook.data.load_digits`.
        n_validation: how many training images to hold out (default: a fifth).
        seed: seed of the split.

    Returns:
        ``(fit, (x_val, y_val))``: a :class:`~cnnbook.data.Digits` whose training
        part is the rest of the training images (its test part is unchanged),
        and the validation images and labels.
    """
    from sklearn.model_selection import train_test_split

    x_fit, x_val, y_fit, y_val = train_test_split(
        data.x_train,
        data.y_train,
        test_size=n_validation,
        stratify=data.y_train,
        random_state=seed,
    )
    return Digits(x_fit, y_fit, data.x_test, data.y_test), (x_val, y_val)


def train(
    model: Sequential,
    data: Digits | MNIST,
    config: TrainConfig = TrainConfig(),
    progress: bool = True,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
) -> History:
    """Train ``model`` on ``data.x_train`` with SGD + momentum; evaluate after every epoch.

    Without ``validation``, the test set is measured after every epoch (to
    draw curves; nothing is decided from it). With ``validation``, the test
    set is never looked at: the validation accuracy is measured after every
    epoch, the weights of the best epoch are kept (restored at the end), and
    with ``config.patience`` training stops early once that many epochs
    passed without a better validation accuracy.

    Args:
        model: a network mapping the images to logits ``(N, 10)``.
        data: anything with ``x_train``, ``y_train``, ``x_test``, ``y_test``:
            :func:`cnnbook.data.load_mnist`, :func:`cnnbook.data.load_digits`
            or the ``fit`` part of :func:`validation_split`.
        config: hyperparameters.
        progress: show a tqdm progress bar on stderr.
        validation: ``(x_val, y_val)`` held out from the training images.

    Returns:
        A :class:`History` with one :class:`EpochRecord` per epoch trained.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=config.blas_threads, user_api="blas"):
        return _train(model, data, config, progress, validation)


def _train(model, data, config, progress, validation) -> History:
    from tqdm.auto import tqdm

    rng = np.random.default_rng(config.seed)
    optimizer = SGD(model.parameters(), config.lr, config.momentum, config.weight_decay)
    history = History(config)
    n_train = len(data.x_train)
    batches_per_epoch = -(-n_train // config.batch_size)
    start = time.perf_counter()
    best_accuracy, best_values = -1.0, None
    if config.patience is not None and validation is None:
        raise ValueError("early stopping (patience) needs a validation set")
    with tqdm(
        total=config.epochs * batches_per_epoch,
        disable=not progress,
        desc="training",
        unit="batch",
        file=sys.stderr,
    ) as bar:
        for epoch in range(1, config.epochs + 1):
            order = rng.permutation(n_train)
            x_epoch = data.x_train[order]
            if config.augment:
                x_epoch = random_shift(x_epoch, rng)
            y_epoch = data.y_train[order]
            losses = []
            for i in range(0, n_train, config.batch_size):
                if config.cosine_decay:
                    t = len(history.batch_losses) + len(losses)
                    total = config.epochs * batches_per_epoch
                    optimizer.lr = config.lr * 0.5 * (1 + np.cos(np.pi * t / total))
                logits = model.forward(x_epoch[i : i + config.batch_size])
                loss, dlogits = softmax_cross_entropy(logits, y_epoch[i : i + config.batch_size])
                model.backward(dlogits)
                optimizer.step()
                losses.append(loss)
                bar.update(1)
            history.batch_losses.extend(losses)
            record = EpochRecord(
                epoch=epoch,
                train_loss=float(np.mean(losses)),
                train_accuracy=evaluate(model, data.x_train[:500], data.y_train[:500]),
                test_accuracy=None if validation else evaluate(model, data.x_test, data.y_test),
                seconds=time.perf_counter() - start,
                validation_accuracy=evaluate(model, *validation) if validation else None,
            )
            history.epochs.append(record)
            if validation is None:
                bar.set_postfix(
                    loss=f"{record.train_loss:.3f}", test_acc=f"{record.test_accuracy:.3f}"
                )
                continue
            bar.set_postfix(
                loss=f"{record.train_loss:.3f}", val_acc=f"{record.validation_accuracy:.3f}"
            )
            if record.validation_accuracy > best_accuracy:
                best_accuracy, history.best_epoch = record.validation_accuracy, epoch
                best_values = [p.value.copy() for p in model.parameters()]
            elif config.patience is not None and epoch - history.best_epoch >= config.patience:
                break
    if best_values is not None:
        for p, value in zip(model.parameters(), best_values, strict=True):
            p.value[...] = value
    return history


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cnnbook.train",
        description="Train the course's CNN from scratch on MNIST (28x28) or the 8x8 digits.",
    )
    parser.add_argument("--data", choices=sorted(DEFAULTS), default="mnist")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lr", type=float, help="learning rate")
    parser.add_argument("--momentum", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--no-cosine", action="store_true", help="constant learning rate")
    parser.add_argument("--no-augment", action="store_true", help="no random one-pixel shifts")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--blas-threads", type=int, help="threads of the matrix products")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    defaults = DEFAULTS[args.data]
    given = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "momentum": args.momentum,
        "weight_decay": args.weight_decay,
        "seed": args.seed,
        "blas_threads": args.blas_threads,
    }
    try:
        config = replace(
            defaults,
            **{k: v for k, v in given.items() if v is not None},
            cosine_decay=defaults.cosine_decay and not args.no_cosine,
            augment=defaults.augment and not args.no_augment,
        )
        model = MODELS[args.data](config.seed)
        SGD(model.parameters(), config.lr, config.momentum, config.weight_decay)  # validates
    except ValueError as exc:
        parser.error(str(exc))
    if args.data == "mnist":
        data = load_mnist()
        fit, validation = data, (data.x_val, data.y_val)
    else:
        fit, validation = validation_split(load_digits())
    cpu_start = time.process_time()
    history = train(model, fit, config, progress=not args.no_progress, validation=validation)
    cpu_seconds = time.process_time() - cpu_start
    best = history.epochs[history.best_epoch - 1]
    result = {
        "data": args.data,
        "test_accuracy": round(evaluate(model, fit.x_test, fit.y_test), 4),  # once, at the end
        "validation_accuracy": round(best.validation_accuracy, 4),
        "best_epoch": history.best_epoch,
        "seconds": round(history.final.seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "epochs": len(history.epochs),
        "iterations": len(history.batch_losses),
        "split": {
            "train": len(fit.x_train),
            "validation": len(validation[0]),
            "test": len(fit.x_test),
        },
        "train_accuracy": round(best.train_accuracy, 4),
        "config": asdict(config),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
