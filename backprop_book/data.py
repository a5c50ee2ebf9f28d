"""Real handwritten digits for the notebooks, with no download.

Two sources of data, one sample per row as everywhere in the book:

- :func:`load_digits` reads the 8x8 digits that ship with this package: the
  1797 images of the test set of UCI's *Optical Recognition of Handwritten
  Digits* (Alpaydin and Kaynak, 1998; CC BY 4.0), in the file scikit-learn
  distributes. Its source and licences are in ``datasets/digits-LICENSE.txt``::

      X, labels = load_digits()         # (1797, 64) pixels 0..16, (1797,) digits 0..9
      split = train_test_split(X / 16, labels)
      Y_train = one_hot(split.labels_train, 10)

- :func:`load_mnist` reads MNIST (or a data set with MNIST's file names and
  format, such as Fashion-MNIST) from IDX files that you have downloaded
  yourself; :func:`load_idx` reads any one IDX file. Nothing here ever goes to
  the network::

      X, labels = load_mnist("~/data/mnist", kind="t10k")   # (10000, 784) in [0, 1]

:func:`train_test_split` holds out a stratified, seeded share of the samples
and :func:`one_hot` turns labels into the target rows of a softmax output.
"""

from __future__ import annotations

import gzip
import math
import operator
import os
import zlib
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import Literal, NamedTuple, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = [
    "IDX_TYPES",
    "MNIST_KINDS",
    "Split",
    "load_digits",
    "load_idx",
    "load_mnist",
    "one_hot",
    "train_test_split",
]

PathLike = Union[str, os.PathLike[str]]

#: The digits file inside the package, next to its licence and source text.
DIGITS_FILE = "datasets/digits.csv.gz"

#: IDX type codes (the third byte of the magic number) and the big-endian dtypes they stand for.
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),  # unsigned byte: MNIST's images and labels
    0x09: np.dtype(">i1"),  # signed byte
    0x0B: np.dtype(">i2"),  # short
    0x0C: np.dtype(">i4"),  # int
    0x0D: np.dtype(">f4"),  # float
    0x0E: np.dtype(">f8"),  # double
}

#: The values of ``kind`` in :func:`load_mnist`: the training set and the test set.
MNIST_KINDS: tuple[str, ...] = ("train", "t10k")

_GZIP_MAGIC = b"\x1f\x8b"


def _decompress(raw: bytes, name: str) -> bytes:
    """``raw`` itself, or its decompressed content if it is gzip data (recognised by content, not name)."""
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as exc:
        raise ValueError(f"{name}: truncated or corrupt gzip data ({exc})") from exc


# ------------------------------------------------------------------ the 8x8 digits


def load_digits(path: PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits: ``(X, labels)``.

    ``X`` is float64 of shape (1797, 64): one image per row, its 8x8 pixels row
    by row, each the count 0..16 of "on" pixels in a 4x4 block of the scanned
    32x32 bitmap (``X.reshape(-1, 8, 8)`` gives the images back). ``labels`` is
    int64 of shape (1797,), the digits 0..9. The values are the raw counts:
    divide by 16 for pixels in [0, 1].

    The data ship with the package, so nothing is downloaded. ``path`` reads
    another file of the same format instead (lines of 64 pixels and a label,
    comma-separated, plain or gzip-compressed), such as UCI's ``optdigits.tra``
    with the 3823 images of the training set.
    """
    if path is None:
        source = resources.files("backprop_book").joinpath(DIGITS_FILE)
        name, raw = f"backprop_book/{DIGITS_FILE}", source.read_bytes()
    else:
        name, raw = str(path), Path(path).expanduser().read_bytes()
    text = _decompress(raw, name)
    if not text.strip():
        raise ValueError(f"{name}: the file holds no data")
    try:
        table = np.loadtxt(BytesIO(text), delimiter=",", ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{name}: not lines of comma-separated numbers ({exc})") from exc
    if table.shape[1] != 65:
        raise ValueError(f"{name}: expected 65 numbers a line (64 pixels and a label), found {table.shape[1]}")
    if not np.array_equal(table, np.round(table)):
        raise ValueError(f"{name}: pixels and labels must be whole numbers")
    X, labels = table[:, :64], table[:, 64].astype(np.int64)
    if X.min(initial=0) < 0 or X.max(initial=0) > 16:
        raise ValueError(f"{name}: pixel values must lie in 0..16, found {X.min():g}..{X.max():g}")
    if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise ValueError(f"{name}: labels must be digits 0..9, found {labels.min()}..{labels.max()}")
    return np.ascontiguousarray(X), labels


class Split(NamedTuple):
    """The result of :func:`train_test_split`; unpacks as ``X_train, X_test, labels_train, labels_test``."""

    X_train: np.ndarray
    X_test: np.ndarray
    labels_train: np.ndarray
    labels_test: np.ndarray


def train_test_split(X: ArrayLike, labels: ArrayLike, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """Hold out ``test_fraction`` of the samples as a test set, the same share of every class.

    The test set has ``round(test_fraction * n)`` samples, shared out among
    the classes in proportion to their sizes (the rounding remainders going to
    the classes closest to the next sample), and each class's test samples are
    drawn at random. The same ``seed`` always gives the same split. Both parts
    come back in a random order, as new arrays; ``X`` may have any number of
    dimensions after the first (samples) axis::

        X_train, X_test, labels_train, labels_test = train_test_split(X, labels)
    """
    X, labels = np.asarray(X), np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-d (one label a sample), found shape {labels.shape}")
    if X.ndim == 0 or len(X) != len(labels):
        raise ValueError(f"X has {len(X) if X.ndim else 0} samples but labels has {len(labels)}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, found {test_fraction}")
    n = len(labels)
    n_test = round(test_fraction * n)
    if not 0 < n_test < n:
        raise ValueError(f"a test fraction of {test_fraction} of {n} samples leaves an empty training or test set")

    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    exact = counts * n_test / n
    quota = np.floor(exact).astype(np.int64)
    closest = np.argsort(quota - exact, kind="stable")  # largest remainder first
    quota[closest[: n_test - int(quota.sum())]] += 1

    rng = np.random.default_rng(seed)
    test = np.concatenate([rng.permutation(np.flatnonzero(inverse.ravel() == k))[:q] for k, q in enumerate(quota)])
    in_test = np.zeros(n, dtype=bool)
    in_test[test] = True
    train, test = rng.permutation(np.flatnonzero(~in_test)), rng.permutation(test)
    return Split(X[train], X[test], labels[train], labels[test])


def one_hot(labels: ArrayLike, n_classes: int, dtype: DTypeLike = np.float64) -> np.ndarray:
    """The rows of the identity matrix picked by ``labels``: shape ``(len(labels), n_classes)``.

    Row ``i`` is 1 in column ``labels[i]`` and 0 elsewhere, the target ``Y`` of
    a softmax output with cross-entropy. ``n_classes`` is required rather than
    guessed from ``labels.max()``: a mini-batch without a 9 would otherwise get
    one column too few.
    """
    labels = np.asarray(labels)
    n_classes = operator.index(n_classes)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-d (one label a sample), found shape {labels.shape}")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers, found dtype {labels.dtype}; use labels.astype(int)")
    if n_classes < 1:
        raise ValueError(f"n_classes must be at least 1, found {n_classes}")
    outside = labels[(labels < 0) | (labels >= n_classes)] if labels.size else labels
    if outside.size:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, found {outside[0]}")
    return np.eye(n_classes, dtype=dtype)[labels.astype(np.intp)]


# ------------------------------------------------------------------ IDX files and MNIST


def load_idx(path: PathLike) -> np.ndarray:
    """The array stored in an IDX file, such as MNIST's images (3-d) or labels (1-d).

    An IDX file is a magic number of 4 bytes (two zero bytes, a type code from
    :data:`IDX_TYPES` and the number of dimensions), one big-endian 32-bit size
    per dimension, then the values in row-major order, big-endian. The array
    comes back with that shape and type, in native byte order: MNIST's images
    as uint8 of shape (n, 28, 28), its labels as uint8 of shape (n,).

    A gzip-compressed file (``*.gz``) is decompressed first; it is recognised
    by its content, so a file that was already decompressed but kept its
    ``.gz`` name reads as well. A file that is not a complete IDX file raises
    :class:`ValueError` naming the problem: a wrong magic number, a truncated
    file, or more bytes than the sizes in the header call for.
    """
    name = str(path)
    data = _decompress(Path(path).expanduser().read_bytes(), name)
    if len(data) < 4:
        raise ValueError(f"{name}: truncated IDX file: {len(data)} bytes, fewer than the 4 of the magic number")
    if data[:2] != b"\x00\x00":
        raise ValueError(
            f"{name}: wrong magic number {data[:4].hex(' ')}: an IDX file starts with two zero bytes "
            "(is this an IDX file? a web page saved in its place starts with '<')"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02x}" for c in IDX_TYPES)
        raise ValueError(f"{name}: wrong magic number {data[:4].hex(' ')}: unknown type code 0x{code:02x} "
                         f"(known: {known})")
    if ndim == 0:
        raise ValueError(f"{name}: wrong magic number {data[:4].hex(' ')}: the number of dimensions is 0")
    start = 4 + 4 * ndim
    if len(data) < start:
        raise ValueError(f"{name}: truncated IDX file: the header of {ndim} dimensions needs {start} bytes, "
                         f"the file has {len(data)}")
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    count = math.prod(shape)
    needed, found = count * dtype.itemsize, len(data) - start
    if found < needed:
        raise ValueError(f"{name}: truncated IDX file: shape {shape} of {dtype.name} needs {needed} bytes "
                         f"of data, the file has {found}")
    if found > needed:
        raise ValueError(f"{name}: size mismatch: shape {shape} of {dtype.name} needs {needed} bytes of data, "
                         f"the file has {found - needed} more")
    values = np.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def _mnist_file(folder: Path, kind: str, what: str, dims: int) -> Path:
    """The first of the usual names for one MNIST file that exists in ``folder``."""
    names = [f"{kind}-{what}-idx{dims}-ubyte", f"{kind}-{what}.idx{dims}-ubyte"]  # the second: a common variant
    candidates = [name + suffix for name in names for suffix in ("", ".gz")]
    for name in candidates:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"no MNIST {what} file in {folder}: looked for {', '.join(candidates)}")


def load_mnist(folder: PathLike, kind: Literal["train", "t10k"] = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST from the IDX files in ``folder``: ``(X, labels)``.

    ``kind="train"`` reads ``train-images-idx3-ubyte`` and
    ``train-labels-idx1-ubyte`` (60000 images), ``kind="t10k"`` reads
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (10000 images);
    each may also be gzip-compressed with a ``.gz`` suffix, or be named
    ``train-images.idx3-ubyte`` as some copies are. The files are never
    downloaded: fetch them once yourself and pass their folder.

    ``X`` is float64 of shape (n, 784), one 28x28 image a row, row by row,
    scaled from 0..255 to [0, 1]; ``labels`` is int64 of shape (n,). (Float64
    costs 376 MB for the training set; ``X.astype(np.float32)`` halves it.)
    """
    if kind not in MNIST_KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, MNIST_KINDS))}, found {kind!r}")
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    images_path = _mnist_file(folder, kind, "images", 3)
    labels_path = _mnist_file(folder, kind, "labels", 1)
    images, labels = load_idx(images_path), load_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{images_path}: expected unsigned bytes of shape (n, rows, columns), "
                         f"found {images.dtype} of shape {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{labels_path}: expected unsigned bytes of shape (n,), "
                         f"found {labels.dtype} of shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"size mismatch: {len(images)} images in {images_path.name} "
                         f"but {len(labels)} labels in {labels_path.name}")
    X = images.reshape(len(images), -1) / 255.0
    return X, labels.astype(np.int64)
