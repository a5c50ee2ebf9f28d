"""Train the same digits classifier with the reference network and with PyTorch.

Both frameworks start from the same initial weights (the reference network's,
copied into PyTorch), see the same mini-batches in the same order, and take
plain SGD steps with the same learning rate, in float32 on the CPU. The script
prints, per framework, the mean time of an epoch, the final test accuracy and
the achieved GFLOP/s, and, for the reference network, that rate as a share of
this machine's own float32 matrix-multiply throughput (a large NumPy matmul).
The figures are measured, printed and never asserted: they depend on the
machine.

Data: the 8x8 handwritten digits (1797 images of 64 pixels, 0..16) from
``backprop_book.data.load_digits()`` if that module exists; otherwise a
deterministic synthetic 10-class problem of the same shape, and the script
says so.

PyTorch is optional: without it, only the reference network is trained.

Usage: .venv/bin/python benchmarks/train_digits.py [--epochs N]   (or `make bench`)
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import importlib
import importlib.util
import os
import platform
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from backprop_book.reference import MLP

LAYER_SIZES = [64, 128, 64, 10]
BATCH = 64
LEARNING_RATE = 0.1
TEST_SHARE = 0.2
SEED = 0
NO_TORCH = "PyTorch is not installed; run `make bench` to install torch==2.13.0 into the virtualenv"


# ------------------------------------------------------------------ data


def synthetic_digits(n: int = 1797, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic stand-in for the digits: 10 classes of noisy, shifted 8x8 blobs.

    Each class has a random blocky 8x8 prototype (a 4x4 pattern drawn with 2x2
    pixels per cell) with pixels in 0..16; a sample
    is its prototype shifted by up to one pixel, plus noise, rounded and
    clipped to 0..16 as the real digits are. Returns ``(X, labels)`` with X of
    shape (n, 64).
    """
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 1, size=(10, 4, 4))
    prototypes = 16 * np.kron(coarse, np.ones((2, 2)))  # (10, 8, 8), blocky strokes
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = prototypes[labels]
    shifts = rng.integers(-1, 2, size=(n, 2))
    images = np.stack([np.roll(img, tuple(s), axis=(0, 1)) for img, s in zip(images, shifts)])
    images = np.clip(np.rint(images + rng.normal(scale=3.0, size=images.shape)), 0, 16)
    return images.reshape(n, 64), labels


def load_digits() -> tuple[np.ndarray, np.ndarray, str]:
    """``(X, labels, description)``: the real digits if backprop_book.data has them, else synthetic ones."""
    if importlib.util.find_spec("backprop_book.data") is not None:
        data = importlib.import_module("backprop_book.data")
        if hasattr(data, "load_digits"):
            loaded = data.load_digits()  # (images or X, labels), or an object with .data and .target
            X, labels = (loaded.data, loaded.target) if hasattr(loaded, "target") else loaded[:2]
            X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
            return X, np.asarray(labels).astype(np.int64), "8x8 handwritten digits from backprop_book.data"
        reason = "backprop_book.data has no load_digits()"
    else:
        reason = "backprop_book.data does not exist"
    print(f"NOTE: {reason}, so this run uses a SYNTHETIC 10-class problem of the digits' shape "
          "(1797 x 64, pixels 0..16); accuracies are not those of the real digits.")
    X, labels = synthetic_digits()
    return X, labels, "synthetic stand-in for the 8x8 digits (1797 x 64, 10 classes)"


def split(X: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hold out TEST_SHARE of the samples, chosen with a fixed seed; pixels scaled to [0, 1]."""
    order = np.random.default_rng(SEED).permutation(len(X))
    n_test = int(round(TEST_SHARE * len(X)))
    test, train = order[:n_test], order[n_test:]
    X = (X / max(float(X.max()), 1.0)).astype(np.float32)
    return X[train], labels[train], X[test], labels[test]


# ------------------------------------------------------------------ machine


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def numpy_threads() -> tuple[int, str]:
    """The number of threads NumPy's BLAS uses, and how it was found."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in glob.glob(str(libs / "*openblas*.so*")):
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            if hasattr(lib, name):
                return int(getattr(lib, name)()), "OpenBLAS"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), var
    return os.cpu_count() or 1, "assumed: one per core"


def matmul_gflops(n: int = 1024, repeats: int = 7) -> float:
    """This machine's float32 matrix-multiply rate through NumPy: best of ``repeats`` n x n products."""
    rng = np.random.default_rng(SEED)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm-up
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def flops_per_epoch(n_train: int) -> int:
    """Multiply-add FLOPs (2 per multiply-add) of the matmuls of one epoch, forward and backward.

    Per layer and batch of B samples: the forward product a W (2 B n_in n_out)
    and the weight gradient a^T delta (the same); the product delta W^T that
    carries the delta back (the same again) for every layer but the first.
    """
    pairs = list(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))
    per_sample = sum(2 * 2 * n_in * n_out for n_in, n_out in pairs) + sum(2 * n_in * n_out for n_in, n_out in pairs[1:])
    return per_sample * n_train


# ------------------------------------------------------------------ training


def batches(n_train: int, epochs: int) -> list[list[np.ndarray]]:
    """The index arrays of every mini-batch, epoch by epoch: one shuffle per epoch, fixed seed."""
    rng = np.random.default_rng(SEED + 1)
    return [np.array_split(order, range(BATCH, n_train, BATCH)) for order in
            (rng.permutation(n_train) for _ in range(epochs))]


def train_reference(net: MLP, X: np.ndarray, labels: np.ndarray, plan: list[list[np.ndarray]]) -> list[float]:
    """Train in place; returns the time of every epoch."""
    Y = np.eye(LAYER_SIZES[-1], dtype=np.float32)[labels]
    times = []
    for epoch in plan:
        start = time.perf_counter()
        for index in epoch:
            net.step(X[index], Y[index], LEARNING_RATE)
        times.append(time.perf_counter() - start)
    return times


def train_torch(torch: Any, initial: tuple[list[np.ndarray], list[np.ndarray]], X: np.ndarray,
                labels: np.ndarray, plan: list[list[np.ndarray]], X_test: np.ndarray,
                labels_test: np.ndarray) -> tuple[list[float], float, list[np.ndarray]]:
    """Train a PyTorch network from ``initial = (weights, biases)``.

    Returns the time of every epoch, the test accuracy and the final weights,
    transposed back to the book's (n_in, n_out) layout.
    """
    layers: list[Any] = []
    for W, b in zip(*initial):
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch stores (n_out, n_in)
            linear.bias.copy_(torch.from_numpy(b.copy()))
        layers += [linear, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])  # no ReLU after the output layer: the loss applies softmax
    optimiser = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    X_t, labels_t = torch.from_numpy(X), torch.from_numpy(labels)
    times = []
    for epoch in plan:
        start = time.perf_counter()
        for index in epoch:
            index_t = torch.from_numpy(index)
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X_t[index_t]), labels_t[index_t])
            loss.backward()
            optimiser.step()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
    weights = [m.weight.detach().numpy().T for m in model if isinstance(m, torch.nn.Linear)]
    return times, float(np.mean(predicted == labels_test)), weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs to train (default 10)")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is reported apart as warm-up)")

    threads, how = numpy_threads()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores ({cpu_name()}), "
          f"Python {platform.python_version()}, NumPy {np.__version__} ({threads} BLAS threads, {how})")
    X, labels, description = load_digits()
    X_train, y_train, X_test, y_test = split(X, labels)
    plan = batches(len(X_train), args.epochs)
    print(f"data: {description}; {len(X_train)} training and {len(X_test)} test samples")
    print(f"network: {'-'.join(map(str, LAYER_SIZES))}, ReLU hidden, softmax + cross-entropy, float32; "
          f"SGD, learning rate {LEARNING_RATE}, batch {BATCH}, {args.epochs} epochs")

    peak = matmul_gflops()
    flops = flops_per_epoch(len(X_train))
    print(f"NumPy float32 1024x1024 matmul, best of 7: {peak:.1f} GFLOP/s")
    print(f"matmul work per epoch (forward + backward): {flops / 1e6:.1f} MFLOP\n")

    net = MLP(LAYER_SIZES, hidden_activation="relu", output="softmax", loss="cross_entropy",
              seed=SEED, dtype=np.float32)
    initial = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    ref_times = train_reference(net, X_train, y_train, plan)
    results = {"reference (NumPy)": (ref_times, net.accuracy(X_test, y_test))}

    try:
        import torch
    except ImportError:
        torch = None
        print(NO_TORCH + "\n")
    if torch is not None:
        torch.set_num_threads(threads)
        torch_times, torch_accuracy, torch_weights = train_torch(torch, initial, X_train, y_train, plan,
                                                                 X_test, y_test)
        results[f"PyTorch {torch.__version__}"] = (torch_times, torch_accuracy)
        drift = max(float(np.max(np.abs(a - b))) for a, b in zip(net.weights, torch_weights))
        print(f"PyTorch: {torch.get_num_threads()} threads; largest difference between the two networks' "
              f"final weights: {drift:.1e} (float32 rounding only if both compute the same steps)\n")

    print(f"{'framework':<22} {'first epoch':>12} {'mean epoch*':>12} {'fastest':>10} {'GFLOP/s*':>9} "
          f"{'test accuracy':>14}")
    means = {}
    for name, (times, accuracy) in results.items():
        means[name] = float(np.mean(times[1:]))
        print(f"{name:<22} {times[0] * 1e3:>9.2f} ms {means[name] * 1e3:>9.2f} ms {min(times) * 1e3:>7.2f} ms "
              f"{flops / means[name] / 1e9:>9.2f} {accuracy:>14.1%}")
    print("* over epochs 2 to N; the first includes one-off set-up and is shown apart")
    ref_mean = means["reference (NumPy)"]
    print(f"\nreference network: {flops / ref_mean / 1e9:.2f} GFLOP/s = "
          f"{flops / ref_mean / 1e9 / peak:.1%} of this machine's float32 matmul rate")
    for name, mean in means.items():
        if name != "reference (NumPy)":
            print(f"time ratio reference / {name}: {ref_mean / mean:.2f} (above 1: the reference is slower)")


if __name__ == "__main__":
    main()
