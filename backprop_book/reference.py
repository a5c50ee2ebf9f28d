"""The book's reference network: a fully connected MLP with exact, vectorised backprop.

One tested implementation of everything the chapters derive, in the book's
notation (see the Notation page): one sample per row, ``z = a W + b``,
``W^{(l)}`` of shape ``(n_{l-1}, n_l)`` and ``delta^{(l)} = dL/dz^{(l)}``.
Python counts from 0, so ``weights[0]`` is ``W^{(1)}`` and ``weights[-1]`` is
``W^{(L)}``::

    net = MLP([2, 3, 1], hidden_activation="tanh", output="sigmoid", loss="cross_entropy")
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    Y = np.array([[1.0], [0.0]])
    net.loss(X, Y)                 # mean over the batch of the per-sample loss
    dWs, dbs = net.gradients(X, Y) # exact gradients of that loss
    net.step(X, Y, 0.1)            # one step of gradient descent

The loss of a mini-batch is the mean over its samples of the per-sample loss:

- ``"mse"``: ``sum_k (y_hat_k - y_k)^2``, with no factor one half, so its
  derivative carries a factor 2;
- ``"cross_entropy"`` with a softmax output: ``-sum_k y_k log y_hat_k``;
- ``"cross_entropy"`` with a sigmoid output: the binary form
  ``-sum_k [y_k log y_hat_k + (1 - y_k) log(1 - y_hat_k)]``.

Cross-entropy is computed from the output layer's pre-activation (log-softmax,
log-sigmoid), never as the log of a rounded probability, so it stays finite
for logits of any size.

The backward pass is the delta recurrence::

    delta^{(L)} = dL/dz^{(L)}                       (see below)
    delta^{(l)} = (delta^{(l+1)} W^{(l+1)T}) * f'(z^{(l)})
    dL/dW^{(l)} = a^{(l-1)T} delta^{(l)},  dL/db^{(l)} = sum over the batch of delta^{(l)}

For the matched pairs (softmax with cross-entropy, sigmoid with binary
cross-entropy) the output delta is ``(y_hat - y) / B``; for every other pairing
the chain rule goes through the output activation (for softmax, a
Jacobian-vector product), so every combination is exact.
"""

from __future__ import annotations

from typing import Literal, Sequence, get_args

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = ["MLP", "HIDDEN_ACTIVATIONS", "OUTPUTS", "LOSSES"]

HiddenActivation = Literal["sigmoid", "tanh", "relu"]
Output = Literal["identity", "sigmoid", "softmax"]
Loss = Literal["mse", "cross_entropy"]

#: Allowed values of ``hidden_activation``, ``output`` and ``loss``.
HIDDEN_ACTIVATIONS: tuple[str, ...] = get_args(HiddenActivation)
OUTPUTS: tuple[str, ...] = get_args(Output)
LOSSES: tuple[str, ...] = get_args(Loss)

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow: exp is only ever taken of -|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting the row's maximum keeps exp from overflowing."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log softmax, ``z - logsumexp(z)``, finite for any finite z."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "sigmoid":
        return _sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0)
    if name == "softmax":
        return _softmax(z)
    return z  # identity


def _derivative(name: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """f'(z) of an element-wise activation, from z or from its output a = f(z)."""
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a * a
    return (z > 0).astype(z.dtype)  # relu; taken as 0 at the kink z = 0


def _name(value: object, allowed: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(map(repr, allowed))}")
    return value


class MLP:
    """A fully connected network trained by backpropagation, in one dtype throughout.

    ``layer_sizes`` is ``[n_0, n_1, ..., n_L]``: the input size, the hidden
    layers' sizes and the output size. ``weights[l]`` has shape
    ``(n_l, n_{l+1})`` and ``biases[l]`` shape ``(n_{l+1},)``; they are plain
    NumPy arrays of ``dtype``, updated in place by :meth:`step`, so they may
    be read, replaced with arrays of the same shape, or nudged in place (as a
    gradient check does).

    Weights are drawn from ``numpy.random.default_rng(seed)``, in float64 and
    then rounded to ``dtype`` (so float32 and float64 networks with the same
    seed start from the same weights): Glorot's normal scale
    ``sqrt(2 / (n_in + n_out))`` for sigmoid and tanh, He's ``sqrt(2 / n_in)``
    for ReLU. Biases start at zero.

    Inputs ``X`` and targets ``Y`` are converted to ``dtype``, with one
    exception: a float64 NumPy array given to a float32 network is refused
    with a TypeError rather than rounded silently; convert it with
    ``astype(np.float32)``. Wrong shapes, NaN or inf, and unknown names raise
    a ValueError that names the expected shape or the allowed values.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        hidden_activation: HiddenActivation = "sigmoid",
        output: Output = "identity",
        loss: Loss = "mse",
        seed: int | None = 0,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if isinstance(layer_sizes, np.ndarray) and layer_sizes.ndim == 1:
            layer_sizes = layer_sizes.tolist()
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise TypeError(f"layer_sizes must be a list of ints such as [2, 3, 1], got {layer_sizes!r}")
        if len(layer_sizes) < 2:
            raise ValueError(
                f"layer_sizes needs at least 2 entries (input and output size, e.g. [2, 1]), got {list(layer_sizes)}"
            )
        for n in layer_sizes:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"layer sizes must be ints, got {n!r} in {list(layer_sizes)}")
            if n < 1:
                raise ValueError(f"every layer needs at least 1 unit, got {list(layer_sizes)}")
        self.hidden_activation: str = _name(hidden_activation, HIDDEN_ACTIVATIONS, "hidden_activation")
        self.output: str = _name(output, OUTPUTS, "output")
        self.loss_name: str = _name(loss, LOSSES, "loss")
        if self.loss_name == "cross_entropy" and self.output == "identity":
            raise ValueError(
                "loss='cross_entropy' needs output='sigmoid' or output='softmax' (a probability); "
                "use loss='mse' with output='identity'"
            )
        try:
            self.dtype: np.dtype = np.dtype(dtype)
        except TypeError as error:
            raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from error
        if self.dtype not in _DTYPES:
            raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {self.dtype}")

        self.layer_sizes: list[int] = [int(n) for n in layer_sizes]
        rng = np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            scale = np.sqrt(2 / n_in) if self.hidden_activation == "relu" else np.sqrt(2 / (n_in + n_out))
            self.weights.append((rng.standard_normal((n_in, n_out)) * scale).astype(self.dtype))
            self.biases.append(np.zeros(n_out, dtype=self.dtype))

    def __repr__(self) -> str:
        return (
            f"MLP({self.layer_sizes}, hidden_activation={self.hidden_activation!r}, "
            f"output={self.output!r}, loss={self.loss_name!r}, dtype={self.dtype.name})"
        )

    # ----------------------------------------------------------------- checks

    def _array(self, value: ArrayLike, name: str) -> np.ndarray:
        """``value`` as an array of the network's dtype, refusing what would go wrong silently."""
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
        if isinstance(value, np.ndarray) and array.dtype.kind == "f" and array.dtype.itemsize > self.dtype.itemsize:
            raise TypeError(
                f"{name} is {array.dtype} but the network computes in {self.dtype}; "
                f"convert it first with {name}.astype(np.{self.dtype.name})"
            )
        array = array.astype(self.dtype, copy=False)
        if not np.all(np.isfinite(array)):
            bad = int(np.count_nonzero(~np.isfinite(array)))
            raise ValueError(f"{name} contains NaN or inf ({bad} of {array.size} values)")
        return array

    def _inputs(self, X: ArrayLike) -> np.ndarray:
        n_0 = self.layer_sizes[0]
        X = self._array(X, "X")
        if X.ndim != 2:
            hint = "; for a single sample use X.reshape(1, -1)" if X.ndim == 1 else ""
            raise ValueError(f"X must be 2-d of shape (batch, n_0) = (batch, {n_0}), got shape {X.shape}{hint}")
        if X.shape[1] != n_0:
            raise ValueError(
                f"X has shape {X.shape} but the network expects (batch, n_0) = (batch, {n_0}): "
                f"each row is one sample of {n_0} inputs"
            )
        if X.shape[0] == 0:
            raise ValueError(f"X has shape {X.shape}: the batch is empty")
        return X

    def _targets(self, Y: ArrayLike, batch: int) -> np.ndarray:
        n_L = self.layer_sizes[-1]
        Y = self._array(Y, "Y")
        if Y.shape != (batch, n_L):
            hint = ""
            if Y.ndim == 1:
                hint = "; reshape it with Y.reshape(-1, 1)" if n_L == 1 else "; reshape it to one row per sample"
            raise ValueError(f"Y has shape {Y.shape}, expected (batch, n_L) = ({batch}, {n_L}){hint}")
        if self.loss_name == "cross_entropy":
            if Y.min() < 0 or Y.max() > 1:
                raise ValueError("cross_entropy targets Y must lie in [0, 1] (probabilities or one-hot labels)")
            if self.output == "softmax":
                tolerance = 1e-4 if self.dtype == np.float32 else 1e-8
                sums = Y.sum(axis=1)
                if not np.allclose(sums, 1, rtol=0, atol=tolerance):
                    row = int(np.argmax(np.abs(sums - 1)))
                    raise ValueError(
                        f"with a softmax output and cross_entropy each row of Y must sum to 1 "
                        f"(one-hot or probabilities); row {row} sums to {sums[row]:.6g}"
                    )
        return Y

    # ---------------------------------------------------------------- passes

    def _forward(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Pre-activations ``[z1, ..., zL]`` and activations ``[a0 = X, a1, ..., aL]``."""
        zs: list[np.ndarray] = []
        activations = [X]
        last = len(self.weights) - 1
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = activations[-1] @ W + b
            zs.append(z)
            activations.append(_activate(self.output if l == last else self.hidden_activation, z))
        return zs, activations

    def _loss(self, z: np.ndarray, y_hat: np.ndarray, Y: np.ndarray) -> float:
        """Mean over the batch of the per-sample loss, cross-entropy from the logits z."""
        batch = Y.shape[0]
        if self.loss_name == "mse":
            return float(np.sum((y_hat - Y) ** 2) / batch)
        if self.output == "softmax":
            return float(-np.sum(Y * _log_softmax(z)) / batch)
        # Binary: -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z.
        return float(np.sum(np.logaddexp(0, z) - Y * z) / batch)

    def _output_delta(self, z: np.ndarray, y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """delta^{(L)} = dL/dz^{(L)} for the batch loss (the mean over samples)."""
        batch = Y.shape[0]
        if self.loss_name == "cross_entropy":
            # Matched pairs: softmax + cross-entropy, sigmoid + binary cross-entropy.
            return (y_hat - Y) / batch
        g = 2 * (y_hat - Y) / batch  # dL/dy_hat for the mse loss
        if self.output == "identity":
            return g
        if self.output == "sigmoid":
            return g * y_hat * (1 - y_hat)
        # softmax: the Jacobian diag(s) - s s^T applied to g, row by row.
        return y_hat * (g - np.sum(g * y_hat, axis=1, keepdims=True))

    def _backward(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """The loss, the activations ``[a0, ..., aL]`` and the deltas ``[delta1, ..., deltaL]``."""
        zs, activations = self._forward(X)
        loss = self._loss(zs[-1], activations[-1], Y)
        deltas = [self._output_delta(zs[-1], activations[-1], Y)]
        for l in range(len(self.weights) - 2, -1, -1):
            back = deltas[0] @ self.weights[l + 1].T
            deltas.insert(0, back * _derivative(self.hidden_activation, zs[l], activations[l + 1]))
        return loss, activations, deltas

    # ------------------------------------------------------------ public API

    def forward(self, X: ArrayLike) -> np.ndarray:
        """The output ``y_hat`` of shape ``(batch, n_L)`` for inputs X of shape ``(batch, n_0)``."""
        return self._forward(self._inputs(X))[1][-1]

    def loss(self, X: ArrayLike, Y: ArrayLike) -> float:
        """The mean over the batch of the per-sample loss, as a Python float."""
        X = self._inputs(X)
        Y = self._targets(Y, X.shape[0])
        zs, activations = self._forward(X)
        return self._loss(zs[-1], activations[-1], Y)

    def deltas(self, X: ArrayLike, Y: ArrayLike) -> list[np.ndarray]:
        """``[delta^{(1)}, ..., delta^{(L)}]``, each ``dL/dz^{(l)}`` of shape ``(batch, n_l)``."""
        X = self._inputs(X)
        return self._backward(X, self._targets(Y, X.shape[0]))[2]

    def gradients(self, X: ArrayLike, Y: ArrayLike) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``(dWs, dbs)``: the exact gradients of :meth:`loss`, shaped like ``weights`` and ``biases``."""
        X = self._inputs(X)
        Y = self._targets(Y, X.shape[0])
        _, activations, deltas = self._backward(X, Y)
        dWs = [a.T @ delta for a, delta in zip(activations[:-1], deltas)]
        dbs = [delta.sum(axis=0) for delta in deltas]
        return dWs, dbs

    def step(self, X: ArrayLike, Y: ArrayLike, learning_rate: float) -> float:
        """One step of gradient descent on the batch, in place; returns the loss before the step."""
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.floating, np.integer)):
            raise TypeError(f"learning_rate must be a number, got {learning_rate!r}")
        if not np.isfinite(learning_rate) or learning_rate <= 0:
            raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
        X = self._inputs(X)
        Y = self._targets(Y, X.shape[0])
        loss, activations, deltas = self._backward(X, Y)
        eta = self.dtype.type(learning_rate)
        for W, b, a, delta in zip(self.weights, self.biases, activations[:-1], deltas):
            W -= eta * (a.T @ delta)
            b -= eta * delta.sum(axis=0)
        return loss

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Class indices of shape ``(batch,)``: the argmax of the outputs, or output > 0.5 for one output."""
        y_hat = self.forward(X)
        if y_hat.shape[1] == 1:
            return (y_hat[:, 0] > 0.5).astype(np.int64)
        return np.argmax(y_hat, axis=1)

    def accuracy(self, X: ArrayLike, labels: ArrayLike) -> float:
        """The share of samples whose predicted class equals ``labels`` (integers, shape ``(batch,)``)."""
        labels = np.asarray(labels)
        predicted = self.predict(X)
        if labels.shape != predicted.shape:
            raise ValueError(
                f"labels has shape {labels.shape}, expected ({predicted.shape[0]},): one class index per sample"
            )
        return float(np.mean(predicted == labels))
