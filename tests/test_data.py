import gzip
import hashlib
import socket
import struct
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from backprop_book.data import IDX_TYPES, Split, load_digits, load_idx, load_mnist, one_hot, train_test_split

# Images per digit 0..9 in UCI's test set (the UCI page lists the first five: 178, 182, 177, 183, 181).
DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
# SHA-256 of the shipped file, as in scikit-learn 1.9.1's wheel RECORD and in datasets/digits-LICENSE.txt.
DIGITS_FILE_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
# SHA-256 of the pixels and of the labels as bytes, in the file's order.
PIXELS_SHA256 = "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
LABELS_SHA256 = "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"
# The first image of the file, a zero.
FIRST_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]

CODES = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test runs with sockets disabled: nothing here may reach the network."""

    def refuse(*args, **kwargs):
        raise AssertionError("a data loader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


# ------------------------------------------------------------------ the digits


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_shape_and_dtype(digits):
    X, labels = digits
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype == np.int64


def test_digits_values_are_raw_counts_0_to_16(digits):
    X, labels = digits
    assert X.min() == 0 and X.max() == 16
    assert np.array_equal(X, np.round(X))
    assert set(np.unique(labels)) == set(range(10))


def test_digits_label_counts(digits):
    assert np.bincount(digits[1]).tolist() == DIGIT_COUNTS


def test_digits_checksums(digits):
    X, labels = digits
    assert hashlib.sha256(X.astype(np.uint8).tobytes()).hexdigest() == PIXELS_SHA256
    assert hashlib.sha256(labels.astype(np.uint8).tobytes()).hexdigest() == LABELS_SHA256
    assert X.sum() == 561718
    assert np.array_equal(X[0].reshape(8, 8), FIRST_IMAGE) and labels[0] == 0
    assert labels[:10].tolist() == list(range(10))


def test_shipped_file_is_scikit_learns_and_has_its_licence():
    folder = resources.files("backprop_book").joinpath("datasets")
    data = folder.joinpath("digits.csv.gz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == DIGITS_FILE_SHA256
    notice = folder.joinpath("digits-LICENSE.txt").read_text(encoding="utf-8")
    for needed in (DIGITS_FILE_SHA256, "CC BY 4.0", "BSD 3-Clause License", "Alpaydin", "Kaynak",
                   "archive.ics.uci.edu/dataset/80"):
        assert needed in notice


def test_digits_come_back_as_fresh_arrays():
    X, labels = load_digits()
    X[:] = -1
    labels[:] = -1
    X2, labels2 = load_digits()
    assert X2.min() == 0 and labels2.min() == 0


def test_digits_from_another_file_plain_and_gzip(tmp_path, digits):
    X, labels = digits
    lines = "".join(",".join(map(str, [*x.astype(int), y])) + "\n" for x, y in zip(X[:20], labels[:20]))
    plain, packed = tmp_path / "optdigits.tes", tmp_path / "few.csv.gz"
    plain.write_text(lines)
    packed.write_bytes(gzip.compress(lines.encode()))
    for path in (plain, str(packed)):
        X2, labels2 = load_digits(path)
        assert np.array_equal(X2, X[:20]) and np.array_equal(labels2, labels[:20])
        assert X2.dtype == np.float64 and labels2.dtype == np.int64


@pytest.mark.parametrize("content, message", [
    ("", "no data"),
    ("1,2,3\n", "expected 65 numbers a line"),
    (",".join(["0"] * 64 + ["x"]) + "\n", "not lines of comma-separated numbers"),
    (",".join(["0"] * 64 + ["3"]) + "\n" + ",".join(["0"] * 10) + "\n", "not lines of comma-separated numbers"),
    (",".join(["0.5"] * 64 + ["3"]) + "\n", "whole numbers"),
    (",".join(["17"] * 64 + ["3"]) + "\n", "0..16"),
    (",".join(["-1"] * 64 + ["3"]) + "\n", "0..16"),
    (",".join(["0"] * 64 + ["10"]) + "\n", "0..9"),
])
def test_digits_file_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_digits(path)


def test_digits_corrupt_gzip(tmp_path):
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(gzip.compress(b"0," * 64 + b"1\n")[:-6])
    with pytest.raises(ValueError, match="truncated or corrupt gzip"):
        load_digits(path)


# ------------------------------------------------------------------ train_test_split


def test_split_sizes_disjoint_and_complete(digits):
    _, labels = digits
    index = np.arange(len(labels))
    X_train, X_test, labels_train, labels_test = train_test_split(index, labels)
    assert len(X_test) == round(0.2 * 1797) == 359 and len(X_train) == 1797 - 359
    assert np.array_equal(np.sort(np.concatenate([X_train, X_test])), index)
    assert np.array_equal(labels[X_train], labels_train) and np.array_equal(labels[X_test], labels_test)


def test_split_is_stratified(digits):
    _, labels = digits
    split = train_test_split(np.zeros((1797, 3)), labels, test_fraction=0.25)
    counts = np.bincount(split.labels_test, minlength=10)
    assert np.all(np.abs(counts - 0.25 * np.array(DIGIT_COUNTS)) <= 1)
    assert counts.sum() == round(0.25 * 1797)


def test_split_is_deterministic_and_depends_on_the_seed(digits):
    X, labels = digits
    a, b = train_test_split(X, labels, seed=0), train_test_split(X, labels, seed=0)
    c = train_test_split(X, labels, seed=1)
    assert isinstance(a, Split)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a.labels_test, c.labels_test)


def test_split_keeps_the_other_axes_and_returns_copies():
    images = np.arange(40 * 8 * 8, dtype=np.float32).reshape(40, 8, 8)
    labels = np.repeat([0, 1], 20)
    split = train_test_split(images, labels, test_fraction=0.5, seed=3)
    assert split.X_train.shape == (20, 8, 8) and split.X_test.shape == (20, 8, 8)
    assert split.X_train.dtype == np.float32
    assert np.bincount(split.labels_test).tolist() == [10, 10]
    split.X_train[:] = -1
    assert images.min() == 0


def test_split_quotas_add_up_with_small_classes():
    labels = np.array([0, 1, 2, 3, 3, 3, 3])
    split = train_test_split(np.arange(7), labels, test_fraction=0.5)
    assert len(split.X_test) == round(3.5) == 4 and len(split.X_train) == 3
    assert np.bincount(split.labels_test, minlength=4)[3] == 2
    # 9 and 2 samples, 3 to hold out: exact shares 2.45 and 0.55, so the remaining one goes to the small class
    split = train_test_split(np.arange(11), np.repeat([0, 1], [9, 2]), test_fraction=0.3)
    assert np.bincount(split.labels_test).tolist() == [2, 1]


@pytest.mark.parametrize("X, labels, fraction, message", [
    (np.zeros((5, 2)), np.zeros(4, int), 0.2, "5 samples but labels has 4"),
    (np.zeros((5, 2)), np.zeros((5, 1), int), 0.2, "1-d"),
    (np.zeros((5, 2)), np.zeros(5, int), 0.0, "strictly between 0 and 1"),
    (np.zeros((5, 2)), np.zeros(5, int), 1.0, "strictly between 0 and 1"),
    (np.zeros((5, 2)), np.zeros(5, int), 1.5, "strictly between 0 and 1"),
    (np.zeros((2, 2)), np.zeros(2, int), 0.2, "empty training or test set"),
    (np.zeros((2, 2)), np.zeros(2, int), 0.8, "empty training or test set"),
])
def test_split_errors(X, labels, fraction, message):
    with pytest.raises(ValueError, match=message):
        train_test_split(X, labels, test_fraction=fraction)


# ------------------------------------------------------------------ one_hot


def test_one_hot_rows():
    Y = one_hot([2, 0, 1, 2], 3)
    assert Y.dtype == np.float64
    assert np.array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])


def test_one_hot_of_the_digits_round_trips(digits):
    labels = digits[1]
    Y = one_hot(labels, 10, dtype=np.float32)
    assert Y.shape == (1797, 10) and Y.dtype == np.float32
    assert np.all(Y.sum(axis=1) == 1) and np.array_equal(Y.argmax(axis=1), labels)


def test_one_hot_width_is_n_classes_not_the_largest_label():
    assert one_hot(np.array([0, 1], dtype=np.uint8), 10).shape == (2, 10)
    assert one_hot(np.array([], dtype=np.int64), 4).shape == (0, 4)


@pytest.mark.parametrize("labels, n_classes, message", [
    ([0, 10], 10, "0..9, found 10"),
    ([-1, 2], 10, "0..9, found -1"),
    ([0.0, 1.0], 10, "integers"),
    ([[0, 1]], 10, "1-d"),
    ([0], 0, "at least 1"),
])
def test_one_hot_errors(labels, n_classes, message):
    with pytest.raises(ValueError, match=message):
        one_hot(labels, n_classes)


def test_one_hot_refuses_a_float_n_classes():
    with pytest.raises(TypeError):
        one_hot([0, 1], 10.0)


# ------------------------------------------------------------------ IDX files


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file, written from the format's description: magic number, sizes, big-endian values."""
    array = np.asarray(array)
    header = struct.pack(">BBBB", 0, 0, CODES[array.dtype], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)


@pytest.fixture
def labels():
    return np.array([7, 2, 1, 0, 4], dtype=np.uint8)


def test_mnist_header_bytes_are_read_as_documented(tmp_path):
    # MNIST's own headers: magic 0x00000803 (ubyte, 3 dimensions) then the sizes 2, 28, 28, and
    # magic 0x00000801 (ubyte, 1 dimension) then the size 3, all big-endian 32-bit integers.
    pixels = (bytes(range(256)) * 7)[: 2 * 28 * 28]
    (tmp_path / "i").write_bytes(bytes.fromhex("00000803 00000002 0000001c 0000001c") + pixels)
    (tmp_path / "l").write_bytes(bytes.fromhex("00000801 00000003") + bytes([5, 0, 4]))
    assert np.array_equal(load_idx(tmp_path / "i"), np.frombuffer(pixels, np.uint8).reshape(2, 28, 28))
    assert load_idx(tmp_path / "l").tolist() == [5, 0, 4]


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_idx_round_trip_images(tmp_path, images, name):
    result = load_idx(write_idx(tmp_path / name, images))
    assert result.dtype == np.uint8 and result.shape == (5, 28, 28)
    assert np.array_equal(result, images)


@pytest.mark.parametrize("name", ["labels-idx1-ubyte", "labels-idx1-ubyte.gz"])
def test_idx_round_trip_labels(tmp_path, labels, name):
    result = load_idx(str(write_idx(tmp_path / name, labels)))
    assert result.dtype == np.uint8 and result.tolist() == [7, 2, 1, 0, 4]


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_round_trip_every_type_in_native_byte_order(tmp_path, dtype):
    scale = 10.5 if dtype is np.int8 else 1000.25  # values over one byte show a wrong byte order
    array = ((np.arange(24).reshape(2, 3, 4) - 12) * scale).astype(dtype)
    result = load_idx(write_idx(tmp_path / "values.gz", array))
    assert result.dtype == np.dtype(dtype) and result.dtype.isnative
    assert np.array_equal(result, array)
    result[0, 0, 0] = 1  # writable


def test_idx_gzip_is_recognised_by_content_not_name(tmp_path, labels):
    decompressed_but_named_gz = tmp_path / "labels-idx1-ubyte.gz"
    decompressed_but_named_gz.write_bytes(idx_bytes(labels))
    compressed_without_suffix = tmp_path / "labels-idx1-ubyte"
    compressed_without_suffix.write_bytes(gzip.compress(idx_bytes(labels)))
    assert np.array_equal(load_idx(decompressed_but_named_gz), labels)
    assert np.array_equal(load_idx(compressed_without_suffix), labels)


def idx_error_cases():
    good = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    return {
        "empty": (b"", "truncated IDX file: 0 bytes"),
        "3 bytes": (good[:3], "truncated IDX file: 3 bytes"),
        "a web page": (b"<!DOCTYPE html><html></html>", "wrong magic number 3c 21 44 4f"),
        "nonzero first bytes": (b"\x01\x00" + good[2:], "wrong magic number 01 00 08 02"),
        "unknown type code": (b"\x00\x00\x0a\x02" + good[4:], "unknown type code 0x0a"),
        "no dimensions": (b"\x00\x00\x08\x00", "number of dimensions is 0"),
        "cut in the sizes": (good[:9], "header of 2 dimensions needs 12 bytes, the file has 9"),
        "cut in the data": (good[:-1], r"truncated IDX file: shape \(3, 4\) of uint8 needs 12 bytes of data, the file has 11"),
        "header only": (good[:12], "needs 12 bytes of data, the file has 0"),
        "extra bytes": (good + b"\x00\x00", "size mismatch: .* the file has 2 more"),
        "int32 cut": (idx_bytes(np.arange(3, dtype=np.int32))[:-2], "int32 needs 12 bytes of data, the file has 10"),
    }


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("case", list(idx_error_cases()))
def test_idx_errors(tmp_path, case, compress):
    data, message = idx_error_cases()[case]
    path = tmp_path / ("bad.gz" if compress else "bad")
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match=message) as error:
        load_idx(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("damage", ["cut", "flipped"])
def test_idx_damaged_gzip(tmp_path, images, damage):
    packed = bytearray(gzip.compress(idx_bytes(images)))
    if damage == "cut":
        packed = packed[: len(packed) // 2]
    else:
        packed[len(packed) // 2] ^= 0xFF
    path = tmp_path / "images.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match="truncated or corrupt gzip"):
        load_idx(path)


def test_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_idx(tmp_path / "absent-idx1-ubyte")


# ------------------------------------------------------------------ MNIST folders


def mnist_folder(folder: Path, images, labels, kind="train", suffix="") -> Path:
    write_idx(folder / f"{kind}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{kind}-labels-idx1-ubyte{suffix}", labels)
    return folder


@pytest.mark.parametrize("kind, suffix", [("train", ""), ("t10k", ".gz")])
def test_load_mnist(tmp_path, images, labels, kind, suffix):
    X, y = load_mnist(mnist_folder(tmp_path, images, labels, kind, suffix), kind=kind)
    assert X.shape == (5, 784) and X.dtype == np.float64
    assert y.dtype == np.int64 and y.tolist() == [7, 2, 1, 0, 4]
    assert 0 <= X.min() and X.max() <= 1
    assert np.array_equal(np.rint(X * 255).astype(np.uint8), images.reshape(5, 784))
    assert np.array_equal(X[1].reshape(28, 28), images[1] / 255)


def test_load_mnist_reads_both_kinds_from_one_folder(tmp_path, images, labels):
    mnist_folder(tmp_path, images, labels, "train")
    mnist_folder(tmp_path, images[:2], labels[:2], "t10k", ".gz")
    assert len(load_mnist(tmp_path)[0]) == 5
    assert len(load_mnist(str(tmp_path), kind="t10k")[0]) == 2


def test_load_mnist_dotted_file_names(tmp_path, images, labels):
    write_idx(tmp_path / "t10k-images.idx3-ubyte", images)
    write_idx(tmp_path / "t10k-labels.idx1-ubyte", labels)
    assert load_mnist(tmp_path, "t10k")[1].tolist() == [7, 2, 1, 0, 4]


def test_load_mnist_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="'train', 't10k'"):
        load_mnist(tmp_path, kind="test")


def test_load_mnist_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder"):
        load_mnist(tmp_path / "nowhere")


def test_load_mnist_missing_file(tmp_path, images):
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    with pytest.raises(FileNotFoundError, match="no MNIST labels file .* train-labels-idx1-ubyte.gz"):
        load_mnist(tmp_path)


@pytest.mark.parametrize("which, array, message", [
    ("images", np.zeros((5, 784), np.uint8), r"images-idx3-ubyte: expected unsigned bytes of shape \(n, rows"),
    ("images", np.zeros((5, 28, 28), np.float32), "found float32"),
    ("labels", np.zeros((5, 1), np.uint8), r"labels-idx1-ubyte: expected unsigned bytes of shape \(n,\)"),
    ("labels", np.zeros(5, np.int32), "found int32"),
    ("labels", np.zeros(4, np.uint8), "size mismatch: 5 images in train-images-idx3-ubyte but 4 labels"),
])
def test_load_mnist_wrong_contents(tmp_path, images, labels, which, array, message):
    mnist_folder(tmp_path, images, labels)
    write_idx(tmp_path / f"train-{which}-idx{3 if which == 'images' else 1}-ubyte", array)
    with pytest.raises(ValueError, match=message):
        load_mnist(tmp_path)


def test_load_mnist_passes_on_idx_errors(tmp_path, images, labels):
    mnist_folder(tmp_path, images, labels, suffix=".gz")
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(images)[:-1]))
    with pytest.raises(ValueError, match="truncated IDX file"):
        load_mnist(tmp_path)
