"""Checks of exercise 2, one hidden layer (chapter 2).

Shapes follow the book: one sample is a row x of shape (1, n_0), W1 is
(n_0, n_1), b1 (n_1,), W2 (n_1, n_2), b2 (n_2,); z1, a1, delta1 are (1, n_1) and
z2, y_hat, y, delta2 are (1, n_2). The hidden activation f is passed in, the
output is a sigmoid, and L = 1/2 sum (y_hat - y)^2.

Most checks run on a network whose sizes all differ, so that a wrong
orientation shows as a wrong shape, and also on one where two sizes agree,
because there a missing transpose or the wrong layer's array has the right
shape and only its values give it away.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import Mistake, call, diagnose, fail, passed, shape_answer, unpack

__all__ = ["forward", "derivatives", "output_delta", "hidden_delta", "gradients", "update", "shapes_785_100_10",
           "weight_changes"]

Array = np.ndarray


def _sigmoid(z: Array) -> Array:
    return 1 / (1 + np.exp(-z))


def _sigmoid_prime(z: Array) -> Array:
    s = _sigmoid(z)
    return s * (1 - s)


def _tanh_prime(z: Array) -> Array:
    return 1 - np.tanh(z) ** 2


#: The hidden activations the checks use, with their derivatives and names.
_ACTIVATIONS = {"tanh": (np.tanh, _tanh_prime), "sigmoid": (_sigmoid, _sigmoid_prime)}


def _network(sizes: tuple[int, int, int], seed: int, hidden: str = "tanh") -> dict[str, Array]:
    """One sample, a target in (0, 1), random parameters, and the right forward and backward pass."""
    n_0, n_1, n_2 = sizes
    f, f_prime = _ACTIVATIONS[hidden]
    rng = np.random.default_rng(seed)
    net = {
        "x": rng.normal(size=(1, n_0)),
        "y": rng.uniform(0.1, 0.9, size=(1, n_2)),
        "W1": rng.normal(scale=0.8, size=(n_0, n_1)),
        "b1": rng.normal(scale=0.5, size=n_1),
        "W2": rng.normal(scale=0.8, size=(n_1, n_2)),
        "b2": rng.normal(scale=0.5, size=n_2),
    }
    net["z1"] = net["x"] @ net["W1"] + net["b1"]
    net["a1"] = f(net["z1"])
    net["z2"] = net["a1"] @ net["W2"] + net["b2"]
    net["y_hat"] = _sigmoid(net["z2"])
    net["delta2"] = (net["y_hat"] - net["y"]) * _sigmoid_prime(net["z2"])
    net["delta1"] = (net["delta2"] @ net["W2"].T) * f_prime(net["z1"])
    return net


# ----------------------------------------------------------------------------
# 1. The forward pass


def forward(fn: Callable) -> None:
    """``forward(x, W1, b1, W2, b2, f)`` returns ``(z1, a1, z2, y_hat)``."""
    for sizes, seed, hidden in [((3, 4, 2), 1, "tanh"), ((4, 2, 3), 2, "sigmoid")]:
        n = _network(sizes, seed, hidden)
        f = _ACTIVATIONS[hidden][0]
        other = "sigmoid" if hidden == "tanh" else "tanh"
        x, W1, b1, W2, b2 = n["x"], n["W1"], n["b1"], n["W2"], n["b2"]
        z1, a1, z2, y_hat = unpack(call(fn, x, W1, b1, W2, b2, f, what="forward(x, W1, b1, W2, b2, f)"),
                                   "forward", ("z1", "a1", "z2", "y_hat"))
        diagnose(z1, n["z1"], "z1", [
            Mistake(x @ W1, "the bias b1 is missing from the hidden pre-activation."),
            Mistake(n["a1"], "this is a1: z1 is the pre-activation, before the hidden activation f."),
        ])
        diagnose(a1, n["a1"], "a1", [
            Mistake(n["z1"], "this is z1: a1 is the hidden activation f applied to z1."),
            Mistake(_ACTIVATIONS[other][0](n["z1"]),
                    f"this is {other}(z1), but the hidden activation here is {hidden}: apply the f that is "
                    "passed in, not a fixed function."),
        ])
        z2_from_z1 = n["z1"] @ W2 + b2
        diagnose(z2, n["z2"], "z2", [
            Mistake(n["a1"] @ W2, "the bias b2 is missing from the output pre-activation."),
            Mistake(z2_from_z1, "it is built from z1; the output layer's input is the hidden ACTIVATION a1."),
        ])
        diagnose(y_hat, n["y_hat"], "y_hat", [
            Mistake(n["z2"], "this is z2: y_hat is the sigmoid of z2."),
            Mistake(np.tanh(n["z2"]),
                    "the output layer used tanh; in this chapter the output units are sigmoids, whatever the "
                    "hidden activation f is."),
            Mistake(_sigmoid(n["a1"] @ W2), "the bias b2 is missing."),
            Mistake(_sigmoid(z2_from_z1), "z2 is built from z1; the output layer's input is the hidden "
                                          "ACTIVATION a1."),
        ])
    passed("forward")


# ----------------------------------------------------------------------------
# 2. The activations' derivatives


def derivatives(sigmoid_prime: Callable, tanh_prime: Callable) -> None:
    """``sigmoid_prime(z)`` and ``tanh_prime(z)``: each derivative at the pre-activation z."""
    z = np.array([[-2.0, -0.5, 0.3, 1.5, 3.0]])
    s, t = _sigmoid(z), np.tanh(z)
    got = call(sigmoid_prime, z, what="sigmoid_prime(z)")
    diagnose(got, s * (1 - s), "sigmoid_prime(z)", [
        Mistake(z * (1 - z), "the formula from the output was applied to z itself: it needs the sigmoid's "
                             "output sigma(z), which has to be computed first."),
        Mistake(1 - t**2, "this is tanh's derivative; the sigmoid's is derived in chapter 1."),
        Mistake(1 - s**2, "this is tanh's derivative written from its output, applied to the sigmoid's "
                          "output; the sigmoid's own formula is a different one (chapter 1)."),
        Mistake(s, "this is the sigmoid itself, not its derivative."),
    ])
    got = call(tanh_prime, z, what="tanh_prime(z)")
    diagnose(got, 1 - t**2, "tanh_prime(z)", [
        Mistake(1 - z**2, "the formula from the output was applied to z itself: it needs tanh(z), which has "
                          "to be computed first."),
        Mistake(s * (1 - s), "this is the sigmoid's derivative; tanh has its own (chapter 2, 'The network')."),
        Mistake(t * (1 - t), "this is the sigmoid's derivative written from its output, applied to tanh's "
                             "output; tanh's own formula is a different one."),
        Mistake(1 - t, "the square is missing."),
        Mistake(t, "this is tanh itself, not its derivative."),
    ])
    passed("derivatives")


# ----------------------------------------------------------------------------
# 3. The output delta


def output_delta(fn: Callable) -> None:
    """``output_delta(z2, y_hat, y)``: dL/dz2 for a sigmoid output and L = 1/2 sum (y_hat - y)^2."""
    yours = " (If output_delta calls your sigmoid_prime, make sure the check of task 2 says correct.)"
    for sizes, seed in [((3, 4, 3), 3), ((2, 3, 1), 4)]:
        n = _network(sizes, seed)
        z2, y_hat, y = n["z2"], n["y_hat"], n["y"]
        got = call(fn, z2, y_hat, y, what="output_delta(z2, y_hat, y)")
        diagnose(got, n["delta2"], "delta2", [
            Mistake(y_hat - y, "the sigmoid's derivative is missing: delta2 = dL/dz2 needs dL/dy_hat times "
                               "dy_hat/dz2."),
            Mistake((y_hat - y) * (1 - y_hat**2), "1 - y_hat**2 is tanh's derivative written from its output; "
                                                  "the output units are sigmoids."),
            Mistake((y_hat - y) * _tanh_prime(z2), "this uses tanh's derivative; the output units are sigmoids "
                                                   "(tanh is only ever a hidden activation here)." + yours),
            Mistake((y_hat - y) * _sigmoid_prime(y_hat), "the sigmoid's derivative was taken at y_hat as if it "
                                                         "were z2: y_hat is already sigma(z2)."),
            Mistake((y_hat - y) * z2 * (1 - z2), "the sigmoid's derivative written from its output was applied "
                                                 "to z2; it takes y_hat = sigma(z2)." + yours),
        ])
    passed("output_delta")


# ----------------------------------------------------------------------------
# 4. The hidden delta


def hidden_delta(fn: Callable) -> None:
    """``hidden_delta(delta2, W2, z1, z2, f_prime)``: dL/dz1, a sum over the output units.

    The first network has as many hidden units as outputs, so W2 is square and
    the output layer's arrays have the hidden layer's shape: only the values
    catch a missing transpose or the output layer's derivative there. The others
    have a single output (a (1, 1) derivative broadcasts) and all sizes different.
    """
    sum_over_inputs = ("it sums over the wrong index: down a column of W2, the weights ARRIVING at one output "
                       "unit. Hidden unit k reaches the loss through the output units it feeds, so its sum runs "
                       "along row k of W2, the weights LEAVING it (chapter 2, 'The hidden layer: a sum over "
                       "every path' and 'Matrix form').")
    for sizes, seed, hidden in [((2, 3, 3), 5, "sigmoid"), ((3, 2, 1), 6, "sigmoid"), ((3, 4, 2), 7, "tanh")]:
        n = _network(sizes, seed, hidden)
        f_prime = _ACTIVATIONS[hidden][1]
        delta2, W2, z1, z2 = n["delta2"], n["W2"], n["z1"], n["z2"]
        got = call(fn, delta2, W2, z1, z2, f_prime, what="hidden_delta(delta2, W2, z1, z2, f_prime)")
        back = delta2 @ W2.T  # dL/da1
        mistakes = [
            Mistake(back, "this is dL/da1, the gradient with respect to the hidden ACTIVATIONS. delta1 is with "
                          "respect to z1, one step further back: the hidden activation's derivative is missing."),
            Mistake(-n["delta1"], "it has the opposite sign: the hidden delta carries delta2 back with its sign, "
                                  "and nothing is negated on the way."),
        ]
        if hidden == "sigmoid":
            mistakes += [
                Mistake(back * _tanh_prime(z1), "tanh's derivative is used, but this hidden layer is a sigmoid: "
                                                "use the f_prime that is passed in, it belongs to the hidden "
                                                "layer."),
                Mistake(back * (1 - _sigmoid(z1) ** 2), "1 - a**2 is tanh's derivative written from its output; "
                                                        "this hidden layer is a sigmoid. Use the f_prime that is "
                                                        "passed in."),
            ]
        else:
            mistakes += [
                Mistake(back * _sigmoid_prime(z1), "the sigmoid's derivative is used, but this hidden layer is "
                                                   "tanh: use the f_prime that is passed in, it belongs to the "
                                                   "hidden layer."),
            ]
        if z2.shape[1] in (1, z1.shape[1]):  # the output layer's (1, n_2) fits the hidden layer's (1, n_1)
            mistakes += [
                Mistake(back * f_prime(z2), "the derivative is taken at the output layer's pre-activation z2. "
                                            "Each hidden unit needs the derivative of ITS OWN activation, at z1."),
                Mistake(back * _sigmoid_prime(z2), "this uses the output layer's derivative, the sigmoid's at "
                                                   "z2. The hidden delta needs the hidden layer's derivative "
                                                   "f_prime, at z1."),
            ]
        if W2.shape[0] == W2.shape[1]:
            mistakes += [
                Mistake((delta2 @ W2) * f_prime(z1), sum_over_inputs),
                Mistake(delta2 @ W2, sum_over_inputs + " The hidden activation's derivative is missing too."),
            ]
        mistakes += [
            Mistake(n["delta1"].T, f"it holds the right numbers, but as a column {n['delta1'].T.shape}, the "
                                   "column-per-sample convention. In this book delta1 is a row "
                                   f"{n['delta1'].shape}, like z1."),
        ]
        diagnose(got, n["delta1"], "delta1", mistakes)
    passed("hidden_delta")


# ----------------------------------------------------------------------------
# 5. The four gradients


def gradients(fn: Callable) -> None:
    """``gradients(x, a1, delta1, delta2)`` returns ``(dW1, db1, dW2, db2)``, each the shape of its parameter.

    The first network has all sizes different; the second has n_0 = n_1, so that
    dW1 and dW2 built from the wrong layer's activations, or a transposed dW1,
    have the right shapes and only their values show the mistake.
    """
    for sizes, seed in [((3, 4, 2), 8), ((3, 3, 2), 9)]:
        n = _network(sizes, seed)
        x, a1, delta1, delta2 = n["x"], n["a1"], n["delta1"], n["delta2"]
        dW1, db1, dW2, db2 = unpack(call(fn, x, a1, delta1, delta2, what="gradients(x, a1, delta1, delta2)"),
                                    "gradients", ("dW1", "db1", "dW2", "db2"))
        want_dW1, want_dW2 = x.T @ delta1, a1.T @ delta2
        n_1, n_2 = delta1.shape[1], delta2.shape[1]
        tail = ("a weight's gradient is the activation at its tail (the layer's input) times the delta at its "
                "head (chapter 2, 'The hidden weights and biases').")
        dW1_mistakes = [
            Mistake(a1.T @ delta1, "it is built from the hidden activations a1; W1 carries the INPUT x into the "
                                   "hidden layer, and " + tail),
            Mistake(x.T @ delta2, "it pairs x with delta2, the output layer's delta; W1 feeds the hidden layer, "
                                  "so its gradient needs delta1."),
        ]
        if want_dW1.shape[0] == want_dW1.shape[1]:
            dW1_mistakes.append(Mistake(want_dW1.T, "it holds the right numbers, transposed: entry (j, k) "
                                                    "belongs to the weight from input j to hidden unit k. Check "
                                                    "the order of the factors in the product."))
        diagnose(dW1, want_dW1, "dW1", dW1_mistakes)
        bias_mistakes = lambda delta, name, n_units: [  # noqa: E731 - the same three for both layers
            Mistake(delta, f"it holds the right numbers, but as a {delta.shape} row; {name} must have the shape "
                           f"of its bias, ({n_units},)."),
            Mistake(np.sum(delta, axis=1), "it is summed over the units; a bias gradient has one entry per "
                                           "unit (and with one sample there is nothing to sum over)."),
        ]
        diagnose(db1, delta1[0], "db1", bias_mistakes(delta1, "db1", n_1) + [
            Mistake(delta2[0], "this is the output layer's delta; b1 belongs to the hidden layer."),
            Mistake(np.sum(want_dW1, axis=0), "db1 is the hidden delta itself (a bias's input is the constant "
                                              "1), not a sum of the weight gradients."),
        ])
        diagnose(dW2, want_dW2, "dW2", [
            Mistake(x.T @ delta2, "it is built from the input x; W2 carries the hidden ACTIVATIONS a1 to the "
                                  "outputs, and " + tail),
            Mistake(a1.T @ delta1, "it pairs a1 with delta1, the hidden layer's delta; W2 feeds the output "
                                   "layer, so its gradient needs delta2."),
        ])
        diagnose(db2, delta2[0], "db2", bias_mistakes(delta2, "db2", n_2) + [
            Mistake(delta1[0], "this is the hidden layer's delta; b2 belongs to the output layer."),
            Mistake(np.sum(want_dW2, axis=0), "db2 is the output delta itself (a bias's input is the constant "
                                              "1), not a sum of the weight gradients."),
        ])
    passed("gradients")


# ----------------------------------------------------------------------------
# 6. The update


def update(fn: Callable) -> None:
    """``update(param, grad, eta)`` returns the parameter after one gradient-descent step."""
    rng = np.random.default_rng(10)
    eta = 0.3
    for shape in [(3, 4), (4,)]:
        param, grad = rng.normal(size=shape), rng.normal(size=shape)
        got = call(fn, param, grad, eta, what="update(param, grad, eta)")
        diagnose(got, param - eta * grad, "the updated parameter", [
            Mistake(param + eta * grad, "the step goes UP the gradient, which raises the loss (chapter 2, "
                                        "'Mixing the sign conventions')."),
            Mistake(param - grad, "the learning rate eta is missing."),
            Mistake(-eta * grad, "this is the change of the parameter, not the new parameter."),
            Mistake(param - grad / eta, "the gradient is divided by eta; the step is eta times the gradient."),
        ])
    passed("update")


# ----------------------------------------------------------------------------
# 7. A shape question


def shapes_785_100_10(delta1_shape: object, dW1_shape: object) -> None:
    """The shapes of delta1 and dL/dW1 for one sample through a 785-100-10 network."""
    delta1_shape = shape_answer(delta1_shape, "DELTA1_SHAPE")
    dW1_shape = shape_answer(dW1_shape, "DW1_SHAPE")
    if delta1_shape != (1, 100):
        hints = {
            (100, 1): "(100, 1) is delta1 as a column, the column-per-sample convention; in this book one sample "
                      "is a row, and delta1 has the shape of z1.",
            (100,): "(100,) is 1-d; in this book delta1 stays 2-d, one row per sample, with the shape of z1.",
            (1, 10): "(1, 10) is the shape of delta2, the output layer's delta; delta1 belongs to the hidden "
                     "layer.",
            (10, 1): "(10, 1) is delta2 as a column; delta1 belongs to the hidden layer, and is a row.",
            (1, 785): "(1, 785) is the shape of the input x; delta1 is dL/dz1, one entry per hidden unit.",
            (785, 100): "(785, 100) is the shape of W1 and of its gradient; delta1 is dL/dz1, with the shape "
                        "of z1.",
        }
        fail("DELTA1_SHAPE: " + hints.get(delta1_shape, f"{delta1_shape} is not the shape of delta1: it is "
                                                        "dL/dz1, so it has the shape of z1 (one sample)."))
    if dW1_shape != (785, 100):
        hints = {
            (100, 785): "(100, 785) is the shape in the column-per-sample convention; in this book's row-per-"
                        "sample convention W1 has one row per input.",
            (784, 100): "the 785th input is the constant 1 appended to the 784 pixels, and it has a row of "
                        "weights too.",
            (100, 10): "(100, 10) is the shape of W2; DW1_SHAPE asks for the gradient of W1.",
            (785, 10): "(785, 10) would connect the inputs straight to the outputs; W1 leads from the 785 "
                       "inputs to the 100 hidden units.",
            (1, 100): "(1, 100) is the shape of delta1; a gradient has the shape of its parameter, W1.",
        }
        fail("DW1_SHAPE: " + hints.get(dW1_shape, f"{dW1_shape} is not the shape of W1: a gradient has the "
                                                  "shape of its parameter, and W1 maps 785 inputs to 100 "
                                                  "hidden units."))
    passed("shapes of delta1 and dL/dW1")


# ----------------------------------------------------------------------------
# 8. The classic worked example, seed 18


def _seed_18() -> dict[str, Array]:
    """The worked example's draws, in its order, and its weight changes computed its own way.

    ``RandomState(18)`` gives the same numbers as ``np.random.seed(18)`` followed
    by the example's calls, without touching the global generator.
    """
    rs = np.random.RandomState(18)
    x = rs.randn(3)
    target = rs.random_sample()
    learning_rate = rs.random_sample()
    w_i_h = rs.random_sample((3, 2))
    w_h_o = rs.random_sample((2, 1))
    # The example's own convention: 1-d arrays, error y - y_hat, changes to be added.
    hidden_output = _sigmoid(x @ w_i_h)
    output = _sigmoid(hidden_output @ w_h_o)
    error = target - output
    output_error_term = error * output * (1 - output)
    hidden_error_term = w_h_o[:, 0] * output_error_term * hidden_output * (1 - hidden_output)
    return {
        "x": x.reshape(1, -1), "y": np.array([[target]]), "eta": np.float64(learning_rate),
        "W1": w_i_h, "W2": w_h_o,
        "change_W1": learning_rate * np.outer(x, hidden_error_term),      # (3, 2)
        "change_W2_1d": learning_rate * output_error_term * hidden_output,  # (2,), the example's shape
    }


def _changes(x: Array, y: Array, W1: Array, W2: Array, eta: float, f: Callable, f_prime: Callable,
             sign: float = -1.0) -> tuple[Array, Array]:
    """The weight changes sign * eta * gradient of a bias-free network with hidden activation f."""
    a1 = f(x @ W1)
    y_hat = _sigmoid(a1 @ W2)
    delta2 = (y_hat - y) * y_hat * (1 - y_hat)
    delta1 = (delta2 @ W2.T) * f_prime(x @ W1)
    return sign * eta * (x.T @ delta1), sign * eta * (a1.T @ delta2)


def _diagnose_changes(fn: Callable, case: dict, is_example: bool) -> tuple[object, object]:
    """Run ``weight_changes`` on one network and diagnose both changes; returns them."""
    x, y, W1, W2, eta = case["x"], case["y"], case["W1"], case["W2"], case["eta"]
    got_W1, got_W2 = unpack(call(fn, x, y, W1, W2, eta, what="weight_changes(x, y, W1, W2, eta)"),
                            "weight_changes", ("change_W1", "change_W2"))
    right_W1, right_W2 = _changes(x, y, W1, W2, eta, _sigmoid, _sigmoid_prime)
    if is_example:  # the example's own numbers, reshaped to the book's (2, 1)
        right_W1, right_W2 = case["change_W1"], case["change_W2_1d"].reshape(-1, 1)
    up_W1, up_W2 = _changes(x, y, W1, W2, eta, _sigmoid, _sigmoid_prime, sign=+1.0)
    tanh_W1, tanh_W2 = _changes(x, y, W1, W2, eta, np.tanh, _tanh_prime)
    uphill = ("the weights change UP the gradient. The example writes its error as y - y_hat and adds the "
              "change; this book's delta has y_hat - y, so the step is subtracted (chapter 2, 'Why the signs "
              "agree').")
    tanh = "this is the change for a tanh hidden layer; the worked example uses the sigmoid in both layers."
    new = "these are the new weights; the change is the new weights minus the old."
    no_eta = "the learning rate eta is missing: a step changes the weights by eta times the gradient."
    diagnose(got_W2, right_W2, "change_W2", [
        Mistake(up_W2, uphill), Mistake(tanh_W2, tanh), Mistake(W2 + right_W2, new),
        Mistake(right_W2 / eta, no_eta),
        Mistake(right_W2.ravel(), f"it holds the example's numbers in the example's 1-d shape "
                                  f"{right_W2.ravel().shape}; in this book a weight's change has the shape of "
                                  f"the weight, {right_W2.shape}, so it can be added to W2."),
    ])
    diagnose(got_W1, right_W1, "change_W1", [
        Mistake(up_W1, uphill), Mistake(tanh_W1, tanh), Mistake(W1 + right_W1, new),
        Mistake(right_W1 / eta, no_eta),
    ])
    return got_W1, got_W2


def weight_changes(fn: Callable) -> None:
    """``weight_changes(x, y, W1, W2, eta)``: the classic seed-18 example's weight changes, and another net's.

    The first case is the worked example of chapter 2 (seed 18, 3-2-1, sigmoid in
    both layers, no biases): the right answer is computed here from the same
    draws by the example's own code, in its own convention. The second is a
    4-3-2 network, so the function must be general.
    """
    example = _seed_18()
    rng = np.random.default_rng(11)
    other = {"x": rng.normal(size=(1, 4)), "y": rng.uniform(0.1, 0.9, size=(1, 2)), "eta": 0.5,
             "W1": rng.normal(size=(4, 3)), "W2": rng.normal(size=(3, 2))}
    cascade = (" weight_changes builds on your earlier functions: if a check above does not say correct, "
               "fix that one first.")
    reproduced: tuple[object, object] = (None, None)
    for case in (example, other):
        try:
            got = _diagnose_changes(fn, case, is_example=case is example)
        except AssertionError as err:
            fail(f"{err}{cascade}")
        if case is example:
            reproduced = got
    passed("weight_changes")
    got_W1, got_W2 = reproduced
    print("the worked example's changes, from your functions:")
    print("  hidden to output:", np.asarray(got_W2).ravel())
    print("  input to hidden:")
    print(np.asarray(got_W1))
