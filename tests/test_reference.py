"""Tests of the reference network, backprop_book.reference.MLP.

The gradient check compares backprop's gradients with central finite
differences (backprop_book.gradcheck.numerical_gradient, eps = 1e-5) over a
seeded set of random architectures, using a NORM-based relative error,
``||numeric - analytic|| / (||numeric|| + ||analytic||)``:

- over all parameters at once, below 1e-7;
- for each weight and bias array, below 1e-7, with the denominator floored at
  1e-2, so an array whose gradient is tiny (a deep sigmoid stack's first layer,
  a dead ReLU unit) is held to an absolute error of 1e-9 instead.

The per-element ``relative_error`` of backprop_book.gradcheck is too strict for
this: it divides by each entry's own size, and entries of 1e-5 or less, where
the finite difference's rounding noise (about 1e-11) is no longer negligible,
give per-element errors of 1e-6 for a correct gradient. It is still used below
where every entry is of order one.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from backprop_book.gradcheck import numerical_gradient, relative_error
from backprop_book.reference import HIDDEN_ACTIVATIONS, LOSSES, MLP, OUTPUTS

EPS = 1e-5
TOLERANCE = 1e-7
#: Every meaningful (output, loss) pairing: cross-entropy needs a probability output.
PAIRINGS = [(o, l) for o in OUTPUTS for l in LOSSES if not (o == "identity" and l == "cross_entropy")]
COMBINATIONS = [(h, o, l) for h in HIDDEN_ACTIVATIONS for (o, l) in PAIRINGS]


def targets(rng: np.random.Generator, output: str, loss: str, batch: int, n_out: int) -> np.ndarray:
    """Targets the loss accepts: one-hot rows for softmax with cross-entropy, else values in (0, 1)."""
    if output == "softmax" and loss == "cross_entropy":
        return np.eye(n_out)[rng.integers(n_out, size=batch)]
    return rng.uniform(0.05, 0.95, size=(batch, n_out))


def random_case(index: int) -> tuple[MLP, np.ndarray, np.ndarray]:
    """Case ``index`` of the gradient check: a random architecture, batch and data."""
    rng = np.random.default_rng(1000 + index)
    hidden, output, loss = COMBINATIONS[index % len(COMBINATIONS)]
    n_hidden = 1 + index % 4  # 1 to 4 hidden layers
    sizes = [int(n) for n in rng.integers(1, 7, size=n_hidden + 2)]  # 1 to 6 units each
    if output == "softmax":
        sizes[-1] = max(sizes[-1], 2)  # a softmax over one unit is the constant 1
    batch = int(rng.integers(1, 6))
    net = MLP(sizes, hidden, output, loss, seed=index)
    for b in net.biases:  # non-zero biases, so their part of the pass is exercised too
        b[...] = rng.normal(scale=0.1, size=b.shape)
    Y = targets(rng, output, loss, batch, sizes[-1])
    # Keep every hidden pre-activation well away from ReLU's kink at 0, where the
    # finite difference would straddle the corner; draw the inputs again if not.
    for _ in range(100):
        X = rng.normal(size=(batch, sizes[0]))
        zs, _ = net._forward(X)
        if hidden != "relu" or all(np.min(np.abs(z)) > 1e-3 for z in zs[:-1]):
            return net, X, Y
    raise AssertionError("could not draw inputs away from the ReLU kink")


def norm_error(a: np.ndarray, b: np.ndarray, floor: float = 0.0) -> float:
    """||a - b|| / max(||a|| + ||b||, floor)."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor, 1e-300))


N_CASES = 60


@pytest.mark.parametrize("index", range(N_CASES))
def test_gradients_match_finite_differences(index: int) -> None:
    net, X, Y = random_case(index)
    dWs, dbs = net.gradients(X, Y)
    params = net.weights + net.biases
    before = [p.copy() for p in params]
    analytic = dWs + dbs
    numeric = [numerical_gradient(lambda: net.loss(X, Y), p, eps=EPS) for p in params]
    for p, saved in zip(params, before):
        assert np.array_equal(p, saved)
    for name, num, ana, p in zip([f"dW{i + 1}" for i in range(len(dWs))] + [f"db{i + 1}" for i in range(len(dbs))],
                                 numeric, analytic, params):
        assert ana.shape == p.shape and ana.dtype == np.float64
        error = norm_error(num, ana, floor=1e-2)
        assert error < TOLERANCE, f"{net}: {name} differs from finite differences by {error:.2e}"
    everything = [np.concatenate([a.ravel() for a in arrays]) for arrays in (numeric, analytic)]
    assert norm_error(*everything) < TOLERANCE


def test_the_gradient_cases_cover_every_combination_depth_and_batch() -> None:
    seen, depths, batches, widths = set(), set(), set(), set()
    for index in range(N_CASES):
        net, X, _ = random_case(index)
        seen.add((net.hidden_activation, net.output, net.loss_name))
        depths.add(len(net.layer_sizes) - 2)
        batches.add(X.shape[0])
        widths.update(net.layer_sizes[1:-1])
    assert seen == set(COMBINATIONS)
    assert depths == {1, 2, 3, 4}
    assert batches == {1, 2, 3, 4, 5}
    assert widths == {1, 2, 3, 4, 5, 6}


def test_a_wrong_gradient_fails_the_check() -> None:
    """The check has teeth: dropping mse's factor 2 is caught."""
    net, X, Y = random_case(0)
    assert net.loss_name == "mse"
    dWs, _ = net.gradients(X, Y)
    numeric = numerical_gradient(lambda: net.loss(X, Y), net.weights[-1], eps=EPS)
    assert norm_error(numeric, dWs[-1] / 2, floor=1e-2) > 0.1


# ------------------------------------------------------------- hand computations


def test_mse_by_hand() -> None:
    net = MLP([1, 1], output="identity", loss="mse")
    net.weights[0][...] = 2.0
    net.biases[0][...] = 0.5
    X, Y = np.array([[1.0], [3.0]]), np.array([[1.0], [2.0]])
    # y_hat = 2.5 and 6.5; errors 1.5 and 4.5; squares 2.25 and 20.25; mean 11.25 (no factor 1/2).
    assert net.loss(X, Y) == pytest.approx(11.25)
    # dL/dy_hat = 2 (y_hat - y) / B = [1.5, 4.5]; dW = x^T delta = 1.5 + 13.5; db = 1.5 + 4.5.
    dWs, dbs = net.gradients(X, Y)
    assert dWs[0] == pytest.approx(np.array([[15.0]]))
    assert dbs[0] == pytest.approx(np.array([6.0]))


def test_mse_sums_over_output_units() -> None:
    net = MLP([1, 2], output="identity", loss="mse")
    net.weights[0][...] = 0.0
    # y_hat = (0, 0), y = (1, 2): 1 + 4 = 5 for the one sample.
    assert net.loss(np.array([[7.0]]), np.array([[1.0, 2.0]])) == pytest.approx(5.0)


def test_two_layer_sigmoid_by_hand() -> None:
    net = MLP([1, 1, 1], hidden_activation="sigmoid", output="identity", loss="mse")
    net.weights[0][...] = 0.0  # z1 = 0, a1 = 0.5, sigma'(z1) = 0.25
    net.weights[1][...] = 2.0
    net.biases[1][...] = 1.0  # y_hat = 2 * 0.5 + 1 = 2
    X, Y = np.array([[3.0]]), np.array([[1.0]])
    assert net.forward(X) == pytest.approx(np.array([[2.0]]))
    assert net.loss(X, Y) == pytest.approx(1.0)
    delta1, delta2 = net.deltas(X, Y)
    assert delta2 == pytest.approx(np.array([[2.0]]))  # 2 (y_hat - y)
    assert delta1 == pytest.approx(np.array([[1.0]]))  # delta2 * w2 * sigma'(z1) = 2 * 2 * 0.25
    dWs, dbs = net.gradients(X, Y)
    assert [float(d[0, 0]) for d in dWs] == pytest.approx([3.0, 1.0])  # x * delta1, a1 * delta2
    assert [float(d[0]) for d in dbs] == pytest.approx([1.0, 2.0])


def test_softmax_cross_entropy_by_hand() -> None:
    net = MLP([2, 3], output="softmax", loss="cross_entropy")
    net.weights[0][...] = 0.0
    net.biases[0][...] = np.log([1.0, 2.0, 5.0])  # softmax = (1/8, 2/8, 5/8)
    X = np.zeros((2, 2))
    Y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert net.forward(X) == pytest.approx(np.array([[1, 2, 5], [1, 2, 5]]) / 8)
    assert net.loss(X, Y) == pytest.approx((-math.log(5 / 8) - math.log(1 / 8)) / 2)


def test_binary_cross_entropy_by_hand() -> None:
    net = MLP([1, 2], output="sigmoid", loss="cross_entropy")
    net.weights[0][...] = 0.0
    net.biases[0][...] = [0.0, math.log(3.0)]  # sigmoid = (1/2, 3/4)
    X, Y = np.zeros((1, 1)), np.array([[1.0, 0.0]])
    assert net.forward(X) == pytest.approx(np.array([[0.5, 0.75]]))
    # -log(1/2) - log(1 - 3/4), summed over the two outputs.
    assert net.loss(X, Y) == pytest.approx(math.log(2.0) + math.log(4.0))


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_matched_pair_output_delta_is_y_hat_minus_y_over_batch(output: str) -> None:
    rng = np.random.default_rng(7)
    net = MLP([3, 5, 4], hidden_activation="tanh", output=output, loss="cross_entropy", seed=3)
    X = rng.normal(size=(5, 3))
    Y = targets(rng, output, "cross_entropy", 5, 4)
    expected = (net.forward(X) - Y) / 5
    assert relative_error(net.deltas(X, Y)[-1], expected) < 1e-14
    dWs, dbs = net.gradients(X, Y)
    hidden = np.tanh(X @ net.weights[0] + net.biases[0])
    assert relative_error(dWs[-1], hidden.T @ expected) < 1e-12
    assert relative_error(dbs[-1], expected.sum(axis=0)) < 1e-12


def test_hidden_delta_follows_the_recurrence() -> None:
    rng = np.random.default_rng(8)
    net = MLP([3, 4, 2], hidden_activation="sigmoid", output="identity", loss="mse", seed=1)
    X, Y = rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    delta1, delta2 = net.deltas(X, Y)
    a1 = 1 / (1 + np.exp(-(X @ net.weights[0] + net.biases[0])))
    assert relative_error(delta2, 2 * (net.forward(X) - Y) / 3) < 1e-14
    assert relative_error(delta1, (delta2 @ net.weights[1].T) * a1 * (1 - a1)) < 1e-12


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_is_stable_for_huge_logits(dtype: type) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or divide-by-zero warnings either
        net = MLP([1, 3], output="softmax", loss="cross_entropy", dtype=dtype)
        net.weights[0][...] = 0.0
        net.biases[0][...] = [1000.0, 0.0, -1000.0]
        X = np.zeros((3, 1), dtype=dtype)
        Y = np.eye(3, dtype=dtype)
        # Per sample: -log softmax = 0, 1000 and 2000.
        assert net.loss(X, Y) == pytest.approx(1000.0)
        dWs, dbs = net.gradients(X, Y)
        assert all(np.all(np.isfinite(g)) for g in dWs + dbs)
        assert dbs[0] == pytest.approx(np.array([2.0, -1.0, -1.0]) / 3, abs=1e-6)

        binary = MLP([1, 2], output="sigmoid", loss="cross_entropy", dtype=dtype)
        binary.weights[0][...] = 0.0
        binary.biases[0][...] = [1000.0, -1000.0]
        X1 = np.zeros((1, 1), dtype=dtype)
        # log(1 + e^z) - y z: 1000 for y = 0 at z = 1000, 1000 for y = 1 at z = -1000.
        assert binary.loss(X1, np.array([[0.0, 1.0]], dtype=dtype)) == pytest.approx(2000.0)
        assert binary.loss(X1, np.array([[1.0, 0.0]], dtype=dtype)) == pytest.approx(0.0, abs=1e-6)
        assert np.all(np.isfinite(binary.gradients(X1, np.array([[0.0, 1.0]], dtype=dtype))[0][0]))


# ------------------------------------------------------------- initialisation


def test_initialisation_shapes_scales_and_seed() -> None:
    net = MLP([3, 4, 2])
    assert [W.shape for W in net.weights] == [(3, 4), (4, 2)]
    assert [b.shape for b in net.biases] == [(4,), (2,)]
    assert all(np.all(b == 0) for b in net.biases)
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, MLP([3, 4, 2]).weights))
    assert not np.array_equal(net.weights[0], MLP([3, 4, 2], seed=1).weights[0])
    assert MLP(np.array([3, 4, 2])).layer_sizes == [3, 4, 2]  # type: ignore[arg-type]
    relu = MLP([400, 300], hidden_activation="relu")
    assert relu.weights[0].std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)  # He
    tanh = MLP([400, 300], hidden_activation="tanh")
    assert tanh.weights[0].std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)  # Glorot


# ------------------------------------------------------------- training and float32


@pytest.mark.parametrize("hidden, output, loss", COMBINATIONS)
def test_a_small_step_lowers_the_loss(hidden: str, output: str, loss: str) -> None:
    rng = np.random.default_rng(5)
    net = MLP([4, 6, 5, 3], hidden, output, loss, seed=2)
    X, Y = rng.normal(size=(8, 4)), targets(rng, output, loss, 8, 3)
    before = net.loss(X, Y)
    assert net.step(X, Y, 1e-2) == before
    assert net.loss(X, Y) < before


def test_step_updates_in_place_by_the_gradient() -> None:
    rng = np.random.default_rng(6)
    net = MLP([2, 3, 1], hidden_activation="tanh")
    X, Y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    W1, b2 = net.weights[0], net.biases[1]
    expected_W1 = W1 - 0.1 * net.gradients(X, Y)[0][0]
    net.step(X, Y, 0.1)
    assert net.weights[0] is W1 and net.biases[1] is b2
    assert np.allclose(W1, expected_W1, rtol=0, atol=1e-15)


def test_float32_matches_float64_and_stays_float32() -> None:
    rng = np.random.default_rng(9)
    X64 = rng.normal(size=(16, 5))
    labels = rng.integers(3, size=16)
    Y64 = np.eye(3)[labels]
    X32, Y32 = X64.astype(np.float32), Y64.astype(np.float32)
    net64 = MLP([5, 8, 3], "relu", "softmax", "cross_entropy", seed=4)
    net32 = MLP([5, 8, 3], "relu", "softmax", "cross_entropy", seed=4, dtype=np.float32)
    assert all(W.dtype == np.float32 for W in net32.weights + net32.biases)
    assert np.array_equal(net32.weights[0], net64.weights[0].astype(np.float32))
    y_hat = net32.forward(X32)
    assert y_hat.dtype == np.float32
    assert np.allclose(y_hat, net64.forward(X64), rtol=1e-5, atol=1e-6)
    dWs32, dbs32 = net32.gradients(X32, Y32)
    dWs64, dbs64 = net64.gradients(X64, Y64)
    assert all(g.dtype == np.float32 for g in dWs32 + dbs32)
    assert all(norm_error(a, b) < 1e-5 for a, b in zip(dWs32 + dbs32, dWs64 + dbs64))
    # float32 training lowers the loss, and ints or float32 data are accepted.
    first = net32.step(X32, Y32, 0.5)
    for _ in range(50):
        last = net32.step(X32, Y32, 0.5)
    assert last < first
    assert all(W.dtype == np.float32 for W in net32.weights + net32.biases)
    assert net32.accuracy(X32, labels) > 0.5
    assert net32.forward(np.ones((1, 5), dtype=np.int64)).dtype == np.float32
    assert net64.forward(X32).dtype == np.float64  # float32 data in a float64 network is exact
    assert net32.forward([[0.5] * 5]).dtype == np.float32  # a plain list is converted


def test_predict_and_accuracy() -> None:
    net = MLP([1, 2], output="softmax", loss="cross_entropy")
    net.weights[0][...] = [[1.0, -1.0]]
    X = np.array([[2.0], [-2.0], [3.0]])
    assert list(net.predict(X)) == [0, 1, 0]
    assert net.accuracy(X, [0, 1, 1]) == pytest.approx(2 / 3)
    binary = MLP([1, 1], output="sigmoid")
    binary.weights[0][...] = 1.0
    assert list(binary.predict(X)) == [1, 0, 1]


# ------------------------------------------------------------- errors


def test_unknown_names_list_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown hidden_activation 'softplus'; choose one of 'sigmoid', 'tanh', 'relu'"):
        MLP([2, 1], hidden_activation="softplus")
    with pytest.raises(ValueError, match=r"unknown output 'linear'; choose one of 'identity', 'sigmoid', 'softmax'"):
        MLP([2, 1], output="linear")
    with pytest.raises(ValueError, match=r"unknown loss 'mae'; choose one of 'mse', 'cross_entropy'"):
        MLP([2, 1], loss="mae")
    with pytest.raises(ValueError, match=r"unknown loss None"):
        MLP([2, 1], loss=None)  # type: ignore[arg-type]


def test_cross_entropy_needs_a_probability_output() -> None:
    with pytest.raises(ValueError, match=r"cross_entropy' needs output='sigmoid' or output='softmax'"):
        MLP([2, 1], output="identity", loss="cross_entropy")


@pytest.mark.parametrize(
    "sizes, error, message",
    [
        ([3], ValueError, r"at least 2 entries \(input and output size"),
        ([], ValueError, r"at least 2 entries"),
        ([3, 0, 1], ValueError, r"at least 1 unit, got \[3, 0, 1\]"),
        ([3, -2], ValueError, r"at least 1 unit"),
        ([3, 2.5], TypeError, r"layer sizes must be ints, got 2.5"),
        ([3, True], TypeError, r"layer sizes must be ints, got True"),
        ("32", TypeError, r"layer_sizes must be a list of ints"),
        (5, TypeError, r"layer_sizes must be a list of ints"),
    ],
)
def test_bad_layer_sizes(sizes: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        MLP(sizes)  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [np.float16, np.int32, "banana"])
def test_bad_dtype(dtype: object) -> None:
    with pytest.raises(TypeError, match=r"dtype must be numpy.float32 or numpy.float64"):
        MLP([2, 1], dtype=dtype)  # type: ignore[arg-type]


def test_shape_errors_name_the_expected_shape() -> None:
    net = MLP([3, 4, 2])
    X, Y = np.zeros((5, 3)), np.zeros((5, 2))
    with pytest.raises(ValueError, match=r"X has shape \(5, 4\) but the network expects \(batch, n_0\) = \(batch, 3\)"):
        net.forward(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"X has shape \(3, 5\) but the network expects \(batch, n_0\) = \(batch, 3\)"):
        net.loss(np.zeros((3, 5)), np.zeros((3, 2)))  # X transposed
    with pytest.raises(ValueError, match=r"X must be 2-d .* got shape \(3,\); for a single sample use X.reshape\(1, -1\)"):
        net.forward(np.zeros(3))
    with pytest.raises(ValueError, match=r"X must be 2-d of shape \(batch, n_0\) = \(batch, 3\), got shape \(\)"):
        net.forward(1.0)
    with pytest.raises(ValueError, match=r"X has shape \(0, 3\): the batch is empty"):
        net.forward(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"Y has shape \(5, 3\), expected \(batch, n_L\) = \(5, 2\)"):
        net.loss(X, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"Y has shape \(4, 2\), expected \(batch, n_L\) = \(5, 2\)"):
        net.gradients(X, np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"Y has shape \(2, 5\), expected .* = \(5, 2\)"):
        net.step(X, Y.T, 0.1)
    with pytest.raises(ValueError, match=r"Y has shape \(10,\), expected .* = \(5, 2\); reshape it to one row per sample"):
        net.deltas(X, np.zeros(10))
    single = MLP([3, 1])
    with pytest.raises(ValueError, match=r"Y has shape \(5,\), expected \(batch, n_L\) = \(5, 1\); reshape it with Y.reshape\(-1, 1\)"):
        single.loss(X, np.zeros(5))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused(bad: float) -> None:
    net = MLP([2, 1])
    X, Y = np.zeros((3, 2)), np.zeros((3, 1))
    X_bad, Y_bad = X.copy(), Y.copy()
    X_bad[1, 0] = bad
    Y_bad[2, 0] = bad
    with pytest.raises(ValueError, match=r"X contains NaN or inf \(1 of 6 values\)"):
        net.forward(X_bad)
    with pytest.raises(ValueError, match=r"Y contains NaN or inf \(1 of 3 values\)"):
        net.gradients(X, Y_bad)


def test_dtype_errors() -> None:
    net32 = MLP([2, 1], dtype=np.float32)
    with pytest.raises(TypeError, match=r"X is float64 but the network computes in float32; convert it first with X.astype\(np.float32\)"):
        net32.forward(np.zeros((1, 2)))
    with pytest.raises(TypeError, match=r"Y is float64 but the network computes in float32"):
        net32.loss(np.zeros((1, 2), dtype=np.float32), np.zeros((1, 1)))
    with pytest.raises(TypeError, match=r"X must hold real numbers, got an array of dtype complex128"):
        MLP([2, 1]).forward(np.zeros((1, 2), dtype=complex))
    with pytest.raises(TypeError, match=r"X must hold real numbers, got an array of dtype <U1"):
        MLP([2, 1]).forward([["a", "b"]])


def test_cross_entropy_target_errors() -> None:
    X = np.zeros((2, 2))
    binary = MLP([2, 2], output="sigmoid", loss="cross_entropy")
    with pytest.raises(ValueError, match=r"cross_entropy targets Y must lie in \[0, 1\]"):
        binary.loss(X, np.array([[0.0, 2.0], [1.0, 0.0]]))
    softmax = MLP([2, 2], output="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match=r"each row of Y must sum to 1 \(one-hot or probabilities\); row 1 sums to 0"):
        softmax.gradients(X, np.array([[0.0, 1.0], [0.0, 0.0]]))
    assert np.isfinite(softmax.loss(X, np.array([[0.25, 0.75], [0.5, 0.5]])))  # soft targets are fine


@pytest.mark.parametrize(
    "rate, error, message",
    [
        (-0.1, ValueError, r"learning_rate must be a positive finite number, got -0.1"),
        (0, ValueError, r"learning_rate must be a positive finite number"),
        (float("nan"), ValueError, r"learning_rate must be a positive finite number"),
        ("0.1", TypeError, r"learning_rate must be a number, got '0.1'"),
        (None, TypeError, r"learning_rate must be a number"),
    ],
)
def test_bad_learning_rate(rate: object, error: type, message: str) -> None:
    net = MLP([2, 1])
    with pytest.raises(error, match=message):
        net.step(np.zeros((1, 2)), np.zeros((1, 1)), rate)  # type: ignore[arg-type]


def test_accuracy_labels_shape() -> None:
    net = MLP([2, 3], output="softmax", loss="cross_entropy")
    with pytest.raises(ValueError, match=r"labels has shape \(4, 1\), expected \(4,\): one class index per sample"):
        net.accuracy(np.zeros((4, 2)), np.zeros((4, 1), dtype=int))
