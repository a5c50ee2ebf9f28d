"""Checks of exercise 1, a single neuron (chapter 1).

Shapes follow the book: x is a row (1, n_0), w a column (n_0, 1), b has shape
(1,), z, y_hat and y are (1, 1), and L = 1/2 (y_hat - y)^2.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import Mistake, call, diagnose, fail, passed, shape_answer, unpack

__all__ = ["forward", "sigmoid_prime", "output_delta", "gradients", "update", "central_difference",
           "shape_785"]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _neuron(seed: int, n_0: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, n_0))
    w = rng.normal(scale=0.7, size=(n_0, 1))
    b = rng.normal(scale=0.5, size=1)
    y = np.array([[rng.uniform(0.1, 0.9)]])
    z = x @ w + b
    y_hat = _sigmoid(z)
    return {"x": x, "w": w, "b": b, "y": y, "z": z, "y_hat": y_hat}


def forward(fn: Callable) -> None:
    """``forward(x, w, b)`` returns ``(z, y_hat)``."""
    for seed in (1, 2):
        n = _neuron(seed)
        z, y_hat = unpack(call(fn, n["x"], n["w"], n["b"], what="forward(x, w, b)"), "forward", ("z", "y_hat"))
        diagnose(z, n["z"], "z", [
            Mistake(n["x"] @ n["w"], "the bias b is missing from the pre-activation."),
            Mistake(_sigmoid(n["z"]), "this is y_hat: z is the pre-activation, before the sigmoid."),
        ])
        diagnose(y_hat, n["y_hat"], "y_hat", [
            Mistake(n["z"], "this is z: y_hat is the sigmoid of z."),
            Mistake(np.tanh(n["z"]), "this is tanh(z); the neuron uses the sigmoid 1 / (1 + exp(-z))."),
            Mistake(_sigmoid(n["x"] @ n["w"]), "the bias b is missing."),
        ])
    passed("forward")


def sigmoid_prime(fn: Callable) -> None:
    """``sigmoid_prime(y_hat)``: the sigmoid's derivative, computed from its output."""
    a = np.array([[0.1, 0.5, 0.73, 0.95]])
    got = call(fn, a, what="sigmoid_prime(y_hat)")
    diagnose(got, a * (1 - a), "sigmoid_prime", [
        Mistake(1 - a**2, "1 - a**2 is the derivative of tanh written from its output, not the sigmoid's "
                          "(chapter 1 derives the sigmoid's)."),
        Mistake(_sigmoid(a) * (1 - _sigmoid(a)), "the sigmoid was applied to y_hat again: the argument is "
                                                 "already the sigmoid's output, so use it directly."),
        Mistake(a, "this returns y_hat itself, not the derivative."),
    ])
    passed("sigmoid_prime")


def output_delta(fn: Callable) -> None:
    """``output_delta(y_hat, y)``: dL/dz for L = 1/2 (y_hat - y)^2 and a sigmoid output."""
    for seed in (4, 5):
        n = _neuron(seed)
        y_hat, y = n["y_hat"], n["y"]
        got = call(fn, y_hat, y, what="output_delta(y_hat, y)")
        right = (y_hat - y) * y_hat * (1 - y_hat)
        diagnose(got, right, "delta", [
            Mistake(y_hat - y, "the sigmoid's derivative is missing: delta = dL/dz needs dL/dy_hat times "
                               "dy_hat/dz."),
            Mistake((y_hat - y) * (1 - y_hat**2), "1 - y_hat**2 is tanh's derivative; this neuron is a "
                                                  "sigmoid."),
            Mistake((y_hat - y) * _sigmoid(y_hat) * (1 - _sigmoid(y_hat)),
                    "the sigmoid's derivative was taken of y_hat as if it were z: y_hat is already "
                    "sigma(z)."),
        ])
    passed("output_delta")


def gradients(fn: Callable) -> None:
    """``gradients(x, y_hat, delta)`` returns ``(dw, db)`` with the shapes of w and b."""
    for seed in (6, 7):
        n = _neuron(seed)
        x, y_hat = n["x"], n["y_hat"]
        delta = (y_hat - n["y"]) * y_hat * (1 - y_hat)
        dw, db = unpack(call(fn, x, y_hat, delta, what="gradients(x, y_hat, delta)"), "gradients", ("dw", "db"))
        diagnose(dw, x.T @ delta, "dw", [
            Mistake(y_hat.T @ delta, "built from the output y_hat; a weight's gradient pairs the delta with "
                                     "the weight's INPUT x (dL/dw_j = delta x_j)."),
            Mistake(np.kron(y_hat.T, delta), "built from the output y_hat; a weight's gradient pairs the "
                                             "delta with the weight's INPUT x."),
        ])
        diagnose(db, delta[0], "db", [
            Mistake(delta, "it holds the right number, but as a (1, 1) array; db must have the shape of "
                           "b, (1,)."),
            Mistake(np.sum(x.T @ delta, axis=0), "db is delta itself (the bias's input is the constant 1), "
                                                 "not a sum of the weight gradients."),
        ])
    passed("gradients")


def update(fn: Callable) -> None:
    """``update(w, b, dw, db, eta)`` returns the parameters after one gradient-descent step."""
    n = _neuron(8)
    rng = np.random.default_rng(9)
    dw, db, eta = rng.normal(size=n["w"].shape), rng.normal(size=1), 0.3
    w_new, b_new = unpack(call(fn, n["w"], n["b"], dw, db, eta, what="update(w, b, dw, db, eta)"), "update",
                         ("w_new", "b_new"))
    diagnose(w_new, n["w"] - eta * dw, "w_new", [
        Mistake(n["w"] + eta * dw, "the step goes up the gradient, which raises the loss."),
        Mistake(n["w"] - dw, "the learning rate eta is missing."),
        Mistake(-eta * dw, "this is the change of the weights, not the new weights."),
    ])
    diagnose(b_new, n["b"] - eta * db, "b_new", [
        Mistake(n["b"] + eta * db, "the step goes up the gradient, which raises the loss."),
    ])
    passed("update")


def central_difference(fn: Callable) -> None:
    """``central_difference(loss_fn, param, eps)``: the central-difference gradient, param restored."""
    rng = np.random.default_rng(10)
    A = rng.normal(size=(4, 3))
    param = rng.normal(size=(3, 2))
    original = param.copy()
    eps = 1e-3  # large, so that one-sided and central differences differ clearly

    def loss() -> float:
        return float(np.sum(np.sin(A @ param) ** 2))

    # The loss reads `param` itself, so the learner's function must nudge this very array.
    if not callable(fn):
        fail(f"central_difference: expected a function, got {type(fn).__name__}")
    try:
        got = fn(loss, param, eps)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - the learner's code failed: feedback, not a crash
        fail(f"central_difference(loss_fn, param, eps) raised {type(err).__name__}: {err}")
    if not np.array_equal(param, original):
        fail("central_difference changed the parameter: after nudging an entry, put its old value back.")

    def estimate(step: Callable[[int], float]) -> np.ndarray:
        out = np.zeros_like(param)
        for index in np.ndindex(param.shape):
            out[index] = step(index)  # type: ignore[arg-type]
        return out

    def nudged(index: tuple[int, ...], h: float) -> float:
        saved = param[index]
        param[index] = saved + h
        value = loss()
        param[index] = saved
        return value

    right = estimate(lambda i: (nudged(i, eps) - nudged(i, -eps)) / (2 * eps))
    diagnose(got, right, "central_difference", [
        Mistake(estimate(lambda i: (nudged(i, eps) - loss()) / eps),
                "this is the one-sided difference; the central difference nudges each entry both ways."),
        Mistake(estimate(lambda i: (nudged(i, eps) - nudged(i, -eps)) / eps),
                "the step between the two nudged values is not what it was divided by."),
    ])
    passed("central_difference")


def shape_785(answer: object) -> None:
    """The shape of dL/dW for 785 inputs (784 pixels and the bias folded in) and 10 outputs."""
    answer = shape_answer(answer, "DW_SHAPE")
    if answer == (785, 10):
        passed("shape of dL/dW")
        return
    if answer == (10, 785):
        fail("(10, 785) is the shape in the column-per-sample convention; in this book's row-per-sample "
             "convention W has one row per input.")
    if answer in {(784, 10), (10, 784)}:
        fail("the bias is folded in: the constant 1 is the 785th input, and it has a row of weights too.")
    fail(f"{answer} is not the shape of W: a gradient has the shape of the parameter, and W maps 785 "
         "inputs to 10 outputs.")
