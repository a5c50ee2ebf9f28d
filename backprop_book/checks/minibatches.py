"""Checks of exercise 3, mini-batches and shapes (chapter 3).

Shapes follow the book, one sample per row: a mini-batch ``X`` is (B, n_0),
``W1`` (n_0, n_1), ``b1`` (n_1,), ``W2`` (n_1, n_2), ``b2`` (n_2,); ``a1`` and
``delta1`` are (B, n_1), ``y_hat``, ``Y`` and ``delta2`` are (B, n_2). Both layers
are sigmoids and L_batch = (1/B) sum_s 1/2 sum_k (y_hat_sk - y_sk)^2. Row s of a
delta is sample s's own delta, dL_s/dz, with no 1/B; the parameter gradients are
those of L_batch. The column task uses the column-per-sample convention, every
array the transpose of the book's and the biases (n, 1) columns.

Every check runs on a case whose sizes all differ, with a batch size different
from every layer size, so that a transpose or a wrong axis shows as a wrong
shape; and on a case where the chapter's classic mistake of that task keeps the
right shape (a square weight matrix, B equal to a layer's width, every size
equal), so that only the values give it away.

Small generic helpers live here rather than in ``checks/__init__``: ``_tuple``
(a function returned the right number of arrays), ``_maybe`` (a wrong variant
that only runs for some sizes) and ``_number`` (a single number was returned).
"""

from __future__ import annotations

from numbers import Real
from typing import Callable

import numpy as np

from . import Mistake, call, diagnose, fail, passed, shape_answer, unpack

__all__ = ["forward", "deltas", "weight_gradients", "bias_gradients", "column_gradients", "prepare_targets",
           "shapes_mnist", "sum_learning_rate"]

Array = np.ndarray
CHAPTER = "chapter 3"


def _sigmoid(z: Array) -> Array:
    return 1 / (1 + np.exp(-z))


def _prime_from_output(a: Array) -> Array:
    """The sigmoid's derivative, given its output a = sigma(z)."""
    return a * (1 - a)


def _net(sizes: tuple[int, int, int], batch: int, seed: int) -> dict[str, Array]:
    """A mini-batch, targets in (0, 1), random parameters, and the right forward and backward pass."""
    n_0, n_1, n_2 = sizes
    rng = np.random.default_rng(seed)
    n: dict[str, Array] = {
        "X": rng.normal(size=(batch, n_0)),
        "Y": rng.uniform(0.1, 0.9, size=(batch, n_2)),
        "W1": rng.normal(scale=0.8, size=(n_0, n_1)),
        "b1": rng.normal(scale=0.5, size=n_1),
        "W2": rng.normal(scale=0.8, size=(n_1, n_2)),
        "b2": rng.normal(scale=0.5, size=n_2),
    }
    n["z1"] = n["X"] @ n["W1"] + n["b1"]
    n["a1"] = _sigmoid(n["z1"])
    n["z2"] = n["a1"] @ n["W2"] + n["b2"]
    n["y_hat"] = _sigmoid(n["z2"])
    n["delta2"] = (n["y_hat"] - n["Y"]) * _prime_from_output(n["y_hat"])
    n["delta1"] = (n["delta2"] @ n["W2"].T) * _prime_from_output(n["a1"])
    n["dW1"] = n["X"].T @ n["delta1"] / batch
    n["dW2"] = n["a1"].T @ n["delta2"] / batch
    n["db1"] = n["delta1"].mean(axis=0)
    n["db2"] = n["delta2"].mean(axis=0)
    return n


def _maybe(compute: Callable[[], object]) -> object | None:
    """The value of a wrong variant, or None when its shapes do not fit for these sizes."""
    try:
        with np.errstate(all="ignore"):
            return compute()
    except ValueError:
        return None


def _known(*pairs: tuple[object | None, str]) -> list[Mistake]:
    """Mistakes for the variants that could be computed."""
    return [Mistake(value, feedback) for value, feedback in pairs if value is not None]


# ----------------------------------------------------------------------------
# 1. The forward pass


def forward(fn: Callable) -> None:
    """``forward(X, W1, b1, W2, b2)`` returns ``(a1, y_hat)`` for a mini-batch of rows.

    The first network has a square W1 (n_0 = n_1), where a transposed W1 runs;
    the second has all sizes different.
    """
    for sizes, batch, seed in [((3, 3, 2), 4, 1), ((3, 4, 2), 5, 2)]:
        n = _net(sizes, batch, seed)
        X, W1, b1, W2, b2 = n["X"], n["W1"], n["b1"], n["W2"], n["b2"]
        a1, y_hat = unpack(call(fn, X, W1, b1, W2, b2, what="forward(X, W1, b1, W2, b2)"), "forward",
                           ("a1", "y_hat"))
        one_row = (f"it holds only the first sample. A mini-batch passes through the layer all at once: "
                   f"the product handles every row of X, and a1 has one row per sample, {n['a1'].shape}.")
        transposed = ("W1 is used transposed. It runs only because W1 is square here (n_0 = n_1 = 3): entry "
                      "(j, k) of W1 is the weight from input j to hidden unit k, and the row-per-sample product "
                      f"uses it as it is ({CHAPTER}, 'A transposed weight that happens to be square').")
        a1_mistakes = [
            Mistake(_sigmoid(X @ W1), "the bias b1 is missing from the hidden pre-activation."),
            Mistake(n["z1"], "this is z1, the pre-activation: a1 is its sigmoid."),
            Mistake(np.tanh(n["z1"]), "this is tanh(z1); both layers of this network are sigmoids."),
            Mistake(n["a1"][:1], one_row),
            Mistake(n["a1"][0], one_row),
        ]
        if W1.shape[0] == W1.shape[1]:
            a1_mistakes.append(Mistake(_sigmoid(X @ W1.T + b1), transposed))
        diagnose(a1, n["a1"], "a1", a1_mistakes)
        a1 = n["a1"]
        diagnose(y_hat, n["y_hat"], "y_hat", [
            Mistake(n["z2"], "this is z2: y_hat is the sigmoid of z2."),
            Mistake(np.tanh(n["z2"]), "the output layer used tanh; both layers of this network are sigmoids."),
            Mistake(_sigmoid(a1 @ W2), "the bias b2 is missing."),
            Mistake(_sigmoid(n["z1"] @ W2 + b2), "it is built from z1; the output layer's input is the hidden "
                                                 "ACTIVATION a1."),
            Mistake(n["y_hat"][:1], f"it holds only the first sample; y_hat has one row per sample, "
                                    f"{n['y_hat'].shape}."),
            Mistake(n["y_hat"][0], f"it holds only the first sample; y_hat has one row per sample, "
                                   f"{n['y_hat'].shape}."),
        ])
    passed("forward")


# ----------------------------------------------------------------------------
# 2. The deltas


def deltas(fn: Callable) -> None:
    """``deltas(a1, y_hat, Y, W2)`` returns ``(delta2, delta1)``, one row per sample, no 1/B.

    The first network has n_1 = n_2, so W2 is square and the output layer's arrays
    have the hidden layer's shape: a missing transpose or the output layer's
    derivative runs there, and its values name it. The second has all sizes
    different.
    """
    for sizes, batch, seed in [((2, 3, 3), 4, 4), ((3, 4, 2), 5, 3)]:
        n = _net(sizes, batch, seed)
        a1, y_hat, Y, W2 = n["a1"], n["y_hat"], n["Y"], n["W2"]
        got2, got1 = unpack(call(fn, a1, y_hat, Y, W2, what="deltas(a1, y_hat, Y, W2)"), "deltas",
                            ("delta2", "delta1"))
        want2, want1 = n["delta2"], n["delta1"]
        per_sample = (f"it is divided by the batch size B = {batch}. Each row of a delta is that sample's own "
                      "delta, the derivative of ITS loss L_s; the 1/B of L_batch enters only the gradients of "
                      f"the weights and biases ({CHAPTER}, 'The deltas, one row per sample').")
        collapsed = (f"the rows are combined into one. The deltas keep one row per sample, ({batch}, n): the "
                     "samples only meet in the gradients of the weights and biases, not in the deltas.")
        def column(want: Array, name: str) -> Mistake:
            return Mistake(want.T, f"it holds the right numbers, but as {want.T.shape}, one column per sample: the "
                                   f"column-per-sample convention. In this book {name} has one row per sample, "
                                   f"{want.shape}.")

        diagnose(got2, want2, "delta2", [
            column(want2, "delta2"),
            Mistake(want2 / batch, per_sample),
            Mistake(y_hat - Y, "the sigmoid's derivative is missing: delta2 = dL_s/dz2 needs dL_s/dy_hat times "
                               "dy_hat/dz2."),
            Mistake((y_hat - Y) * (1 - y_hat**2), "1 - y_hat**2 is tanh's derivative written from its output; "
                                                  "the output units are sigmoids."),
            Mistake((y_hat - Y) * _prime_from_output(_sigmoid(y_hat)),
                    "the sigmoid's derivative was taken at y_hat as if it were z2: y_hat is already sigma(z2), "
                    "so the derivative follows from y_hat directly."),
            Mistake(want2.mean(axis=0, keepdims=True), collapsed),
            Mistake(want2.mean(axis=0), collapsed),
            Mistake(want2.sum(axis=0, keepdims=True), collapsed),
            Mistake(want2.sum(axis=0), collapsed),
        ])
        back = want2 @ W2.T  # dL_s/da1, row by row
        mistakes1 = [
            column(want1, "delta1"),
            Mistake(want1 / batch, per_sample),
            Mistake(back, "this is dL_s/da1, the gradient with respect to the hidden ACTIVATIONS. delta1 is with "
                          "respect to z1, one step further back: the hidden sigmoid's derivative is missing."),
            Mistake(back * (1 - a1**2), "1 - a1**2 is tanh's derivative written from its output; the hidden "
                                        "units are sigmoids."),
            Mistake(back * _prime_from_output(_sigmoid(a1)),
                    "the sigmoid's derivative was taken at a1 as if it were z1: a1 is already sigma(z1)."),
            Mistake(want1.mean(axis=0, keepdims=True), collapsed),
            Mistake(want1.mean(axis=0), collapsed),
        ]
        if W2.shape[0] == W2.shape[1]:
            wrong_index = ("it sums over the wrong index of W2: down a column, the weights ARRIVING at one output "
                           "unit. Hidden unit k reaches the loss through the output units it feeds, so its sum "
                           "runs along row k of W2, the weights LEAVING it. It runs only because W2 is square "
                           "here (n_1 = n_2).")
            mistakes1 += [
                Mistake((want2 @ W2) * _prime_from_output(a1), wrong_index),
                Mistake(back * _prime_from_output(y_hat), "this uses the output layer's derivative, from y_hat; "
                                                          "each hidden unit needs the derivative of ITS OWN "
                                                          "sigmoid, from a1."),
            ]
        diagnose(got1, want1, "delta1", mistakes1)
    passed("deltas")


# ----------------------------------------------------------------------------
# 3. The weight gradients


def weight_gradients(fn: Callable) -> None:
    """``weight_gradients(X, a1, delta1, delta2)`` returns ``(dW1, dW2)``, averaged over the mini-batch.

    The first network has all sizes different; the second has n_0 = n_1, so dW1 is
    square (a transposed dW1 has the right shape) and X and a1 have the same shape.
    """
    for sizes, batch, seed in [((3, 4, 2), 5, 5), ((3, 3, 2), 4, 6)]:
        n = _net(sizes, batch, seed)
        X, a1, delta1, delta2 = n["X"], n["a1"], n["delta1"], n["delta2"]
        n_0, n_1, n_2 = sizes
        dW1, dW2 = unpack(call(fn, X, a1, delta1, delta2, what="weight_gradients(X, a1, delta1, delta2)"),
                          "weight_gradients", ("dW1", "dW2"))
        summed = (f"it is the SUM over the mini-batch, B = {batch} times the gradient of L_batch. L_batch is the "
                  "MEAN of the samples' losses, so its gradient is the mean of their gradients; the matrix "
                  f"product already adds up the samples ({CHAPTER}, 'The weights, where the samples meet').")
        twice = (f"it is divided by B = {batch} twice, by {batch * batch} in all: the product adds the "
                 "per-sample gradients once, and a single division by B turns that sum into their mean.")

        def width(count: int, name: str) -> str:
            return (f"it is divided by {count}, {name}, instead of by the batch size B = {batch}: in row-per-"
                    "sample arrays the samples are the ROWS, so B is the number of rows.")

        tail = ("a weight's gradient pairs the activation at its tail (the layer's input) with the delta at its "
                f"head ({CHAPTER}, 'The weights, where the samples meet').")
        kron = ("this is a Kronecker product: it forms every product of a sample's input and delta and sums "
                "none, so it has far more entries than the weights. The gradient sums over the samples and has "
                f"the shape of the weights ({CHAPTER}, 'The mini-batch gradient').")
        want1, want2 = n["dW1"], n["dW2"]
        mistakes1 = [
            Mistake(want1 * batch, summed),
            Mistake(want1 / batch, twice),
            Mistake(want1 * batch / n_0, width(n_0, "the number of inputs n_0, the number of columns of X")),
            Mistake(want1 * batch / n_1, width(n_1, "the number of hidden units n_1")),
            Mistake(a1.T @ delta1 / batch, "it is built from the hidden activations a1; W1 carries the INPUT X "
                                           "into the hidden layer, and " + tail),
            Mistake(X.T @ delta2 / batch, "it pairs X with delta2, the output layer's delta; W1 feeds the hidden "
                                          "layer, so its gradient needs delta1."),
            Mistake(np.kron(X.T, delta1), kron),
            Mistake(np.kron(X.T, delta1) / batch, kron),
        ]
        if n_0 == n_1:
            mistakes1.append(Mistake(want1.T, "it holds the right numbers, transposed: entry (j, k) belongs to "
                                              "the weight from input j to hidden unit k. W1 is square here, so "
                                              "the shape cannot show it; check the order of the factors in the "
                                              "product."))
        diagnose(dW1, want1, "dW1", mistakes1, batch=batch)
        diagnose(dW2, want2, "dW2", [
            Mistake(want2 * batch, summed),
            Mistake(want2 / batch, twice),
            Mistake(want2 * batch / n_0, width(n_0, "the number of inputs n_0, the number of columns of X")),
            Mistake(want2 * batch / n_1, width(n_1, "the number of hidden units n_1, the number of columns of "
                                                    "a1")),
            Mistake(want2 * batch / n_2, width(n_2, "the number of output units n_2")),
            Mistake(X.T @ delta2 / batch, "it is built from the input X; W2 carries the hidden ACTIVATIONS a1 "
                                          "to the outputs, and " + tail),
            Mistake(a1.T @ delta1 / batch, "it pairs a1 with delta1, the hidden layer's delta; W2 feeds the "
                                           "output layer, so its gradient needs delta2."),
            Mistake(np.kron(a1.T, delta2), kron),
            Mistake(np.kron(a1.T, delta2) / batch, kron),
        ], batch=batch)
    passed("weight_gradients")


# ----------------------------------------------------------------------------
# 4. The bias gradients


def _bias_mistakes(delta: Array, other: Array, name: str, bias: str) -> list[Mistake]:
    """What a bias gradient of the mini-batch deltas ``delta`` (B, n) looks like when it goes wrong."""
    batch, units = delta.shape
    across = ("it averages over the units of each sample, one number per sample. A bias gradient averages "
              "over the SAMPLES, one number per unit: the bias was added to every row in the forward pass, so "
              f"its gradient collects from every row ({CHAPTER}, 'The mini-batch gradient').")
    if batch == units:
        across += (f" Here the mini-batch has as many samples as the layer has units ({units}), so the result "
                   "even has the right shape and only its values give it away.")
    summed = (f"it is summed over the samples: B = {batch} times the gradient of L_batch, which takes the MEAN "
              "of the samples' losses. With a mean for the weights and a sum for the biases, the biases learn "
              f"B times faster ({CHAPTER}, 'Averaging one gradient and summing another').")
    row = (f"it holds the right numbers, but as a (1, {units}) row; {name} must have the shape of its bias "
           f"{bias}, ({units},), so that the reduction drops the batch axis.")
    return [
        Mistake(delta.mean(axis=1), across),
        Mistake(delta.mean(axis=1, keepdims=True), across),
        Mistake(delta.sum(axis=1), across),
        Mistake(delta.sum(axis=1, keepdims=True), across),
        Mistake(delta.sum(axis=0), summed),
        Mistake(delta.mean(axis=0, keepdims=True), row),
        Mistake(delta.sum(axis=0, keepdims=True), f"it is summed over the samples where L_batch takes the mean, "
                                                  f"and it is a (1, {units}) row where {name} must have the "
                                                  f"shape of {bias}, ({units},)."),
        Mistake(delta.mean(axis=0) / batch, f"it is divided by B = {batch} twice: a mean already divides the "
                                            "sum by B."),
        Mistake(np.mean(delta), "it is a single number: everything was averaged, samples and units together. A "
                                "bias gradient has one entry per unit."),
        Mistake(np.sum(delta), "it is a single number: everything was summed, samples and units together. A "
                               "bias gradient has one entry per unit."),
        Mistake(delta, f"these are the per-sample deltas themselves, {delta.shape}; a bias gradient has one entry "
                       "per unit, collected from all the rows of the mini-batch."),
        Mistake(other.mean(axis=0), "this is built from the other layer's delta; each bias belongs to the "
                                    "layer whose pre-activation it enters."),
    ]


def bias_gradients(fn: Callable) -> None:
    """``bias_gradients(delta1, delta2)`` returns ``(db1, db2)`` of shapes (n_1,) and (n_2,).

    The first case has B = n_1, so an average over the wrong axis has the right
    shape for db1; the second has every size different.
    """
    for (n_1, n_2), batch, seed in [((3, 2), 3, 7), ((4, 2), 5, 8)]:
        rng = np.random.default_rng(seed)
        delta1, delta2 = rng.normal(size=(batch, n_1)), rng.normal(size=(batch, n_2))
        db1, db2 = unpack(call(fn, delta1, delta2, what="bias_gradients(delta1, delta2)"), "bias_gradients",
                          ("db1", "db2"))
        diagnose(db1, delta1.mean(axis=0), "db1", _bias_mistakes(delta1, delta2, "db1", "b1"), batch=batch)
        diagnose(db2, delta2.mean(axis=0), "db2", _bias_mistakes(delta2, delta1, "db2", "b2"), batch=batch)
    passed("bias_gradients")


# ----------------------------------------------------------------------------
# 5. One column per sample


def _column_pass(X: Array, Y: Array, W1: Array, b1: Array, W2: Array, b2: Array, *, flat_bias: bool = False,
                 wrong_index: bool = False) -> tuple[Array, Array, Array, Array]:
    """The column-per-sample pass, right or with one of two mistakes that only run for some sizes."""
    batch = X.shape[1]
    c1, c2 = (b1.ravel(), b2.ravel()) if flat_bias else (b1, b2)
    a1 = _sigmoid(W1 @ X + c1)
    y_hat = _sigmoid(W2 @ a1 + c2)
    delta2 = (y_hat - Y) * _prime_from_output(y_hat)
    delta1 = ((W2 if wrong_index else W2.T) @ delta2) * _prime_from_output(a1)
    return (delta1 @ X.T / batch, delta1.mean(axis=1, keepdims=True),
            delta2 @ a1.T / batch, delta2.mean(axis=1, keepdims=True))


def _rows_pasted(X: Array, Y: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> tuple[Array, ...]:
    """The book's row-per-sample pass, pasted unchanged and run on column-per-sample arrays."""
    batch = X.shape[0]
    a1 = _sigmoid(X @ W1 + b1)
    y_hat = _sigmoid(a1 @ W2 + b2)
    delta2 = (y_hat - Y) * _prime_from_output(y_hat)
    delta1 = (delta2 @ W2.T) * _prime_from_output(a1)
    return X.T @ delta1 / batch, delta1.mean(axis=0), a1.T @ delta2 / batch, delta2.mean(axis=0)


def column_gradients(fn: Callable) -> None:
    """``column_gradients(X, Y, W1, b1, W2, b2)``: the pass with one sample per column.

    Arguments and results are the transposes of the book's arrays: X (n_0, B),
    Y (n_2, B), W1 and dW1 (n_1, n_0), b1 and db1 (n_1, 1), W2 and dW2 (n_2, n_1),
    b2 and db2 (n_2, 1). The first case has every size equal (3), where the
    row-per-sample formulas pasted unchanged and 1-d biases run without an error;
    the second has every size different.
    """
    for (n_0, n_1, n_2), batch, seed in [((3, 3, 3), 3, 9), ((3, 4, 2), 5, 10)]:
        n = _net((n_0, n_1, n_2), batch, seed)
        X, Y, W1, W2 = n["X"].T, n["Y"].T, n["W1"].T, n["W2"].T
        b1, b2 = n["b1"].reshape(-1, 1), n["b2"].reshape(-1, 1)
        got = unpack(call(fn, X, Y, W1, b1, W2, b2, what="column_gradients(X, Y, W1, b1, W2, b2)"),
                     "column_gradients", ("dW1", "db1", "dW2", "db2"))
        want = _column_pass(X, Y, W1, b1, W2, b2)
        pasted = _maybe(lambda: _rows_pasted(X, Y, W1, b1, W2, b2))
        flat = _maybe(lambda: _column_pass(X, Y, W1, b1, W2, b2, flat_bias=True))
        wrong = _maybe(lambda: _column_pass(X, Y, W1, b1, W2, b2, wrong_index=True))
        pasted_text = ("these are the row-per-sample formulas, run on column-per-sample arrays; they run here "
                       "only because every size is 3 (n_0 = n_1 = n_2 = B). In this convention every array is "
                       "the transpose of the book's, so every product is reversed, (A B)^T = B^T A^T, and the "
                       f"samples are the COLUMNS ({CHAPTER}, 'One column per sample').")
        flat_text = ("the biases were used as 1-d arrays. A 1-d array broadcasts along the last axis, so entry k "
                     "of b1 was added to SAMPLE k instead of to unit k; it runs here only because the batch has "
                     "as many samples as the layers have units. In this convention a bias is a column of shape (n, 1), "
                     f"which broadcasts over the samples ({CHAPTER}, 'Transposing a 1-d bias into a column').")
        wrong_text = ("the hidden delta carries delta2 back through W2 the wrong way round. Here W2 is "
                      "(n_2, n_1), one row per output unit: hidden unit k's weights to the outputs are its column "
                      "k, and the sum over the output units runs down that column. It runs only because W2 is "
                      "square here.")
        by_rows = (f"it is divided by {n_0}, the number of ROWS of X, which in this convention is the number of "
                   f"inputs n_0; the samples are the COLUMNS here, and the batch size is B = {batch}.")
        summed = (f"it is summed over the samples, B = {batch} times the gradient of L_batch, which takes the "
                  "MEAN of the samples' losses.")
        # The four results, diagnosed in the order the backward pass computes them.
        for index, name, bias in [(2, "dW2", ""), (3, "db2", "b2"), (0, "dW1", ""), (1, "db1", "b1")]:
            right = want[index]
            mistakes = _known(
                (None if pasted is None else pasted[index], pasted_text),
                (None if flat is None else flat[index], flat_text),
                (None if wrong is None or index in (2, 3) else wrong[index], wrong_text),
            )
            mistakes.append(Mistake(right * batch, summed))
            if n_0 != batch:
                mistakes.append(Mistake(right * batch / n_0, by_rows))
            if bias:
                units = right.shape[0]
                delta = n["delta2"].T if index == 3 else n["delta1"].T  # (units, B), this convention's delta
                across = ("it averages over the units of each sample, one number per sample; in this convention "
                          "the samples are the COLUMNS, and the bias gradient averages across each row of the "
                          "delta, one number per unit.")
                mistakes += [
                    Mistake(right.ravel(), f"it holds the right numbers, but 1-d, ({units},). In this convention "
                                           f"a bias is a ({units}, 1) column and its gradient must be one too: "
                                           f"a 1-d gradient subtracted from the ({units}, 1) bias would broadcast "
                                           f"to ({units}, {units}) or fail."),
                    Mistake(right.T, f"it holds the right numbers, but as a (1, {units}) row; in this convention "
                                     f"{bias} is a ({units}, 1) column, and its gradient has its shape."),
                    Mistake(delta.mean(axis=0, keepdims=True), across),
                    Mistake(delta.mean(axis=0), across),
                    Mistake(delta.mean(axis=0).reshape(-1, 1), across),
                ]
            else:
                rows = ("it holds the right numbers, transposed, in the book's row-per-sample orientation; in "
                        "this convention a weight matrix is (n_l, n_(l-1)), one row per unit it feeds, here "
                        f"{right.shape}, and its gradient has its shape.")
                mistakes.append(Mistake(right.T, rows))
            diagnose(got[index], right, name, mistakes, batch=batch)
    passed("column_gradients")


# ----------------------------------------------------------------------------
# 6. The (B,) target against a (B, 1) output


def prepare_targets(fn: Callable) -> None:
    """``prepare_targets(y)`` returns the targets as a (B, 1) column, from (B,) or from (B, 1).

    The check forms the error y_hat - Y with a (B, 1) output and the learner's
    targets, as the training code would, and names the (B, B) broadcast.
    """
    rng = np.random.default_rng(12)
    for shape in [(5,), (4, 1), (6,)]:
        y = rng.uniform(0.1, 0.9, size=shape)
        batch = shape[0]
        y_hat = rng.uniform(0.1, 0.9, size=(batch, 1))
        got = call(fn, y, what="prepare_targets(y)")
        if got is None:
            fail("prepare_targets returned None: did the function forget to return the targets?")
        try:
            Y = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            fail(f"prepare_targets should return a NumPy array of numbers, got {type(got).__name__}")
        want = y.reshape(-1, 1)
        came = f"targets that arrive with shape {shape}"
        if Y.shape != want.shape:
            error_shape = _maybe(lambda: (y_hat - Y).shape)
            if error_shape == (batch, batch):
                fail(f"for {came} it returns shape {Y.shape}, and then the error y_hat - Y of a ({batch}, 1) "
                     f"output has shape ({batch}, {batch}), not ({batch}, 1): broadcasting pairs EVERY output "
                     "with EVERY target, and the loss is a plausible number, only the wrong one. The targets "
                     f"must have the output's shape, one row per sample ({CHAPTER}, 'A (B,) target against a "
                     "(B, 1) output').")
            if Y.ndim == 3:
                fail(f"for {came} it returns shape {Y.shape}: an axis was added to targets that already had "
                     f"it. A ({batch}, 1) column is already right and should come back as it is.")
            fail(f"for {came} it returns shape {Y.shape}; the targets must come back as a ({batch}, 1) column, "
                 "one row per sample, like the network's output.")
        diagnose(Y, want, "the targets", [
            Mistake(np.sort(want, axis=0), "the targets are sorted; each must stay in its sample's row."),
            Mistake(want[::-1], "the targets are in reverse order; each must stay in its sample's row."),
        ])
    passed("prepare_targets")


# ----------------------------------------------------------------------------
# 7. A shape question: MNIST with the bias folded in


def shapes_mnist(dW1_aug_shape: object, dW2_aug_shape: object) -> None:
    """The shapes of dW1_aug and dW2_aug for a 785 -> 16 -> 10 network and a mini-batch of 32 rows."""
    dW1 = shape_answer(dW1_aug_shape, "DW1_AUG_SHAPE")
    dW2 = shape_answer(dW2_aug_shape, "DW2_AUG_SHAPE")
    if dW1 != (785, 16):
        hints = {
            (16, 785): "(16, 785) is the shape in the column-per-sample convention; in this book's row-per-sample "
                       "convention W1_aug has one row per input.",
            (784, 16): "the bias is folded in: the 785th input is the constant 1 after the 784 pixels, and its "
                       "row of W1_aug holds the hidden biases, so it has a row of the gradient too.",
            (785, 17): "the hidden layer's constant 1 is not a unit of the first layer: nothing feeds it, so W1_aug "
                       "has no column for it. It is appended only to the hidden activations, for W2_aug.",
            (32, 785): "(32, 785) is the shape of the mini-batch X_aug; a gradient has the shape of its parameter, "
                       "W1_aug, whatever the batch size.",
            (32, 16): "(32, 16) is the shape of z1, a1 and delta1 for the mini-batch; a gradient has the shape of "
                      "its parameter, W1_aug, whatever the batch size.",
            (1, 16): "(1, 16) is the shape of delta1 for one image; a gradient has the shape of its parameter.",
        }
        fail("DW1_AUG_SHAPE: " + hints.get(dW1, f"{dW1} is not the shape of W1_aug: a gradient has the shape of "
                                                "its parameter, and W1_aug maps the 785 inputs (784 pixels and "
                                                "the constant 1) to the 16 hidden units."))
    if dW2 != (17, 10):
        hints = {
            (10, 17): "(10, 17) is the shape in the column-per-sample convention; in this book W2_aug has one row "
                      "per input of the output layer.",
            (16, 10): "the output layer's bias is folded in too: the hidden activations get a constant 1 of their "
                      "own, a 17th input of the output layer, whose row of W2_aug holds the output biases.",
            (785, 10): "(785, 10) would connect the inputs straight to the outputs; W2_aug leads from the hidden "
                       "layer (and its constant 1) to the 10 outputs.",
            (32, 10): "(32, 10) is the shape of y_hat and delta2 for the mini-batch; a gradient has the shape of "
                      "its parameter, W2_aug.",
            (17, 32): "the batch size does not appear in a gradient: the product sums over the samples.",
        }
        fail("DW2_AUG_SHAPE: " + hints.get(dW2, f"{dW2} is not the shape of W2_aug: it maps the 16 hidden units and "
                                                "the hidden constant 1 to the 10 outputs."))
    passed("shapes of dW1_aug and dW2_aug")


# ----------------------------------------------------------------------------
# 8. Sum or mean


def _number(value: object, what: str) -> float:
    if isinstance(value, (bool, np.bool_)):
        fail(f"{what} should return a number, got {value!r}")
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    fail(f"{what} should return a single number, the learning rate, got "
         f"{type(value).__name__}" + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""))
    raise AssertionError  # unreachable: fail raises


def sum_learning_rate(fn: Callable) -> None:
    """``sum_learning_rate(dW_sum, eta, batch)``: the rate that makes the summed step the mean step."""
    rng = np.random.default_rng(13)
    for eta, batch in [(0.5, 8), (2.0, 32)]:
        W = rng.normal(size=(3, 4))
        dW_sum = rng.normal(size=(3, 4)) * batch
        result = call(fn, dW_sum, eta, batch, what="sum_learning_rate(dW_sum, eta, batch)")
        if isinstance(result, np.ndarray) and result.shape == dW_sum.shape:
            if np.allclose(result, eta / batch * dW_sum):
                fail("sum_learning_rate returns the step, the learning rate times the summed gradient; the task "
                     "asks for the learning rate itself, one number.")
            if np.allclose(result, W - eta / batch * dW_sum) or np.allclose(result, dW_sum / batch):
                fail("sum_learning_rate returns an array; the task asks for the learning rate, one number.")
        rate = _number(result, "sum_learning_rate")
        want = eta / batch
        if np.isclose(rate, want, rtol=1e-9, atol=0):
            step_mean = W - eta * (dW_sum / batch)
            step_sum = W - rate * dW_sum
            if not np.allclose(step_mean, step_sum):  # cannot happen for a correct rate; a guard
                fail("with this learning rate the summed step is not the mean step.")
            continue
        hints = {
            eta: f"it is eta itself. With the summed gradient the same eta takes a step B = {batch} times larger "
                 f"than the mean's ({CHAPTER}, 'Sum or mean over the mini-batch?').",
            eta * batch: "it is B times eta, but the summed gradient is already B times the mean gradient: to take "
                         "the same step, its learning rate must be SMALLER than eta, not larger.",
            eta / batch**2: f"it is divided by B = {batch} twice; the sum is only B times the mean.",
            batch / eta: "it is the reciprocal of the right rate.",
            1 / batch: "the learning rate eta is missing: the mean step is eta times the mean gradient.",
        }
        for value, text in hints.items():
            if np.isclose(rate, value, rtol=1e-9, atol=0):
                fail(f"sum_learning_rate(dW_sum, {eta}, {batch}) = {rate:g}: {text}")
        fail(f"sum_learning_rate(dW_sum, {eta}, {batch}) = {rate:g}, and with it the summed step W - rate dW_sum "
             "is not the mean step W - eta (dW_sum / B). Write both steps out and compare them.")
    passed("sum_learning_rate")
