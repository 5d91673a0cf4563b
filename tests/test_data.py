"""cnnbook.data: the digits split, the IDX reader, the sample photos."""

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
