"""Exercise 2 (one hidden layer): full marks for the solution, zero for the untouched exercise,
and feedback that names each catalogued mistake, made in one answer cell of the solution."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from backprop_book.checks import one_hidden_layer
from backprop_book.grade import grade_many
from exercise_support import RELEASES, feedback, score, with_answer
from exercise_support import solution as solution_of

ROOT = Path(__file__).resolve().parent.parent
NAME = "02_one_hidden_layer"
SOLUTION, EXERCISE = ROOT / "solutions" / f"{NAME}.ipynb", ROOT / "exercises" / f"{NAME}.ipynb"
TIMEOUT = 10  # seconds per cell
CODE = ("@", ".T", "[0]", "(1 - ", "axis=", "np.")  # never in feedback: no solution code


def test_solution_scores_full_marks_and_exercise_zero() -> None:
    full, empty = grade_many([SOLUTION, EXERCISE], RELEASES, TIMEOUT, jobs=2)
    assert full.max_score == 11 and len(full.questions) == 8
    assert full.score == full.max_score, [(q.id, q.feedback) for q in full.questions]
    assert full.messages == []
    assert empty.ran and empty.score == 0
    assert all(q.feedback.startswith("not answered yet") for q in empty.questions), empty.questions


def test_the_check_draws_the_examples_numbers_as_the_example_does() -> None:
    # The check uses RandomState(18) so as not to touch the global generator; same draws.
    state = np.random.get_state()
    try:
        np.random.seed(18)
        x = np.random.randn(3)
        target, eta = np.random.random(), np.random.random()
        w_i_h, w_h_o = np.random.random((3, 2)), np.random.random((2, 1))
    finally:
        np.random.set_state(state)
    example = one_hidden_layer._seed_18()
    assert np.array_equal(example["x"], x.reshape(1, -1)) and example["y"][0, 0] == target
    assert example["eta"] == eta
    assert np.array_equal(example["W1"], w_i_h) and np.array_equal(example["W2"], w_h_o)


def solution() -> dict:
    return solution_of(NAME)


# Each catalogued mistake, made in one answer cell of an otherwise correct solution: (answer cell,
# its wrong source, the question that must score 0, words its feedback must contain).
SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n"
FORWARD = SIGMOID + ("def forward(x, W1, b1, W2, b2, f):\n"
                     "    z1 = {z1}\n    a1 = {a1}\n    z2 = {z2}\n    return z1, a1, z2, {y}")
RIGHT = {"z1": "x @ W1 + b1", "a1": "f(z1)", "z2": "a1 @ W2 + b2", "y": "sigmoid(z2)"}
DERIVATIVES = ("def sigmoid_prime(z):\n    s, t = sigmoid(z), np.tanh(z)\n    return {s}\n\n"
               "def tanh_prime(z):\n    s, t = sigmoid(z), np.tanh(z)\n    return {t}")
HIDDEN = "def hidden_delta(delta2, W2, z1, z2, f_prime):\n    return {}"
GRADIENTS = "def gradients(x, a1, delta1, delta2):\n    return {}"
CHANGES = ("def weight_changes(x, y, W1, W2, eta):\n"
           "    b1, b2 = np.zeros(W1.shape[1]), np.zeros(W2.shape[1])\n"
           "    z1, a1, z2, y_hat = forward(x, W1, b1, W2, b2, {f})\n"
           "    delta2 = output_delta(z2, y_hat, y)\n"
           "    delta1 = hidden_delta(delta2, W2, z1, z2, {f_prime})\n"
           "    dW1, db1, dW2, db2 = gradients(x, a1, delta1, delta2)\n"
           "    return {changes}")
CHANGES_RIGHT = {"f": "sigmoid", "f_prime": "sigmoid_prime",
                 "changes": "update(W1, dW1, eta) - W1, update(W2, dW2, eta) - W2"}
OUTPUT = "def output_delta(z2, y_hat, y):\n    return {}"


def forward(**wrong: str) -> str:
    return FORWARD.format(**{**RIGHT, **wrong})


def changes(**wrong: str) -> str:
    return CHANGES.format(**{**CHANGES_RIGHT, **wrong})


MISTAKES = {
    # 1. forward
    "no-hidden-bias": ("forward", forward(z1="x @ W1"), "check-forward", "bias b1 is missing"),
    "hidden-always-sigmoid": ("forward", forward(a1="sigmoid(z1)"), "check-forward", "f that is passed in"),
    "hidden-always-tanh": ("forward", forward(a1="np.tanh(z1)"), "check-forward", "f that is passed in"),
    "z1-fed-forward": ("forward", forward(z2="z1 @ W2 + b2"), "check-forward", "ACTIVATION a1"),
    "output-uses-f": ("forward", forward(y="f(z2)"), "check-forward", "output units are sigmoids"),
    # 2. derivatives
    "sigmoid-formula-on-z": ("derivatives", DERIVATIVES.format(s="z * (1 - z)", t="1 - t ** 2"),
                             "check-derivatives", "applied to z itself"),
    "tanh-formula-on-z": ("derivatives", DERIVATIVES.format(s="s * (1 - s)", t="1 - z ** 2"),
                          "check-derivatives", "applied to z itself"),
    "sigmoid-prime-is-tanhs": ("derivatives", DERIVATIVES.format(s="1 - t ** 2", t="1 - t ** 2"),
                               "check-derivatives", "tanh's derivative"),
    "tanh-prime-is-sigmoids": ("derivatives", DERIVATIVES.format(s="s * (1 - s)", t="s * (1 - s)"),
                               "check-derivatives", "sigmoid's derivative"),
    # 3. output delta
    "output-no-derivative": ("output-delta", OUTPUT.format("y_hat - y"),
                             "check-output-delta", "derivative is missing"),
    "output-tanh-derivative": ("output-delta", OUTPUT.format("(y_hat - y) * (1 - y_hat ** 2)"),
                               "check-output-delta", "tanh's derivative"),
    "output-derivative-at-y-hat": ("output-delta", OUTPUT.format("(y_hat - y) * sigmoid_prime(y_hat)"),
                                   "check-output-delta", "as if it were z2"),
    "output-sign": ("output-delta", OUTPUT.format("(y - y_hat) * sigmoid_prime(z2)"),
                    "check-output-delta", "opposite sign"),
    "output-factor-2": ("output-delta", OUTPUT.format("2 * (y_hat - y) * sigmoid_prime(z2)"),
                        "check-output-delta", "factor 1/2"),
    # 4. hidden delta
    "missing-transpose": ("hidden-delta", HIDDEN.format("(delta2 @ W2) * f_prime(z1)"),
                          "check-hidden-delta", "sums over the wrong index"),
    "output-layer-derivative": ("hidden-delta", HIDDEN.format("(delta2 @ W2.T) * sigmoid_prime(z2)"),
                                "check-hidden-delta", "output layer"),
    "derivative-at-z2": ("hidden-delta", HIDDEN.format("(delta2 @ W2.T) * f_prime(z2)"),
                         "check-hidden-delta", "ITS OWN activation"),
    "tanh-derivative-on-sigmoid": ("hidden-delta", HIDDEN.format("(delta2 @ W2.T) * tanh_prime(z1)"),
                                   "check-hidden-delta", "this hidden layer is a sigmoid"),
    "one-minus-a-squared": ("hidden-delta", HIDDEN.format("(delta2 @ W2.T) * (1 - sigmoid(z1) ** 2)"),
                            "check-hidden-delta", "1 - a**2 is tanh's derivative"),
    "sigmoid-derivative-on-tanh": ("hidden-delta", HIDDEN.format("(delta2 @ W2.T) * sigmoid_prime(z1)"),
                                   "check-hidden-delta", "this hidden layer is tanh"),
    "hidden-no-derivative": ("hidden-delta", HIDDEN.format("delta2 @ W2.T"), "check-hidden-delta", "dL/da1"),
    "hidden-as-column": ("hidden-delta", HIDDEN.format("(W2 @ delta2.T) * f_prime(z1).T"),
                         "check-hidden-delta", "column-per-sample"),
    # 5. gradients
    "dW2-from-x": ("gradients", GRADIENTS.format("x.T @ delta1, delta1[0], x.T @ delta2, delta2[0]"),
                   "check-gradients", "built from the input x"),
    "dW1-from-a1": ("gradients", GRADIENTS.format("a1.T @ delta1, delta1[0], a1.T @ delta2, delta2[0]"),
                    "check-gradients", "built from the hidden activations a1"),
    "dW1-transposed": ("gradients", GRADIENTS.format("delta1.T @ x, delta1[0], a1.T @ delta2, delta2[0]"),
                       "check-gradients", "transposed"),
    "dW2-transposed": ("gradients", GRADIENTS.format("x.T @ delta1, delta1[0], delta2.T @ a1, delta2[0]"),
                       "check-gradients", "transposed"),
    "swapped-deltas": ("gradients", GRADIENTS.format("x.T @ delta2, delta2[0], a1.T @ delta1, delta1[0]"),
                       "check-gradients", "output layer's delta"),
    "bias-as-rows": ("gradients", GRADIENTS.format("x.T @ delta1, delta1, a1.T @ delta2, delta2"),
                     "check-gradients", "shape of its bias"),
    "bias-summed-over-units": ("gradients",
                               GRADIENTS.format("x.T @ delta1, delta1.sum(axis=1), a1.T @ delta2, delta2[0]"),
                               "check-gradients", "summed over the units"),
    # 6. update
    "uphill": ("update", "def update(param, grad, eta):\n    return param + eta * grad", "check-update",
               "UP the gradient"),
    "no-eta": ("update", "def update(param, grad, eta):\n    return param - grad", "check-update", "learning rate"),
    # 7. shapes
    "delta1-column": ("shapes", "DELTA1_SHAPE = (100, 1)\nDW1_SHAPE = (785, 100)", "check-shapes", "column-per-sample"),
    "delta1-is-delta2": ("shapes", "DELTA1_SHAPE = (1, 10)\nDW1_SHAPE = (785, 100)", "check-shapes", "shape of delta2"),
    "dW1-column-convention": ("shapes", "DELTA1_SHAPE = (1, 100)\nDW1_SHAPE = (100, 785)", "check-shapes",
                              "column-per-sample"),
    "dW1-without-bias-row": ("shapes", "DELTA1_SHAPE = (1, 100)\nDW1_SHAPE = (784, 100)", "check-shapes",
                             "row of weights too"),
    # 8. the worked example
    "example-sign-with-minus": ("weight-changes",
                                changes(changes="W1 - update(W1, dW1, eta), W2 - update(W2, dW2, eta)"),
                                "check-weight-changes", "UP the gradient"),
    "new-weights": ("weight-changes", changes(changes="update(W1, dW1, eta), update(W2, dW2, eta)"),
                    "check-weight-changes", "new weights"),
    "example-shape": ("weight-changes",
                      changes(changes="update(W1, dW1, eta) - W1, (update(W2, dW2, eta) - W2).ravel()"),
                      "check-weight-changes", "1-d shape (2,)"),
    "tanh-hidden-layer": ("weight-changes", changes(f="np.tanh", f_prime="tanh_prime"),
                          "check-weight-changes", "sigmoid in both layers"),
    "changes-without-eta": ("weight-changes", changes(changes="-dW1, -dW2"), "check-weight-changes",
                            "learning rate eta is missing"),
}

# Later tasks call earlier functions: a mistake there may also cost these questions.
CASCADES = {
    "forward": {"check-weight-changes"},
    "derivatives": {"check-output-delta", "check-weight-changes"},  # output_delta uses sigmoid_prime
    "output-delta": {"check-weight-changes"},
    "hidden-delta": {"check-weight-changes"},
    "gradients": {"check-weight-changes"},
    "update": {"check-weight-changes"},
}


def test_each_catalogued_mistake_gets_its_own_feedback(tmp_path: Path) -> None:
    paths = []
    for name, (answer, source, _, _) in MISTAKES.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_text(json.dumps(with_answer(solution(), answer, source)))
        paths.append(path)
    subs = {Path(s.notebook).stem: s for s in grade_many(paths, RELEASES, TIMEOUT, jobs=2)}
    for name, (answer, _, question, words) in MISTAKES.items():
        sub = subs[name]
        assert f"graded as exercise '{NAME}'" in " ".join(sub.messages)  # matched by its metadata
        assert score(sub, question) == 0, name
        assert words in feedback(sub, question), (name, feedback(sub, question))
        excused = {question} | CASCADES.get(answer, set())
        for q in sub.questions:
            if q.score < q.max_score:
                assert q.id in excused, (name, q.id, q.feedback)
                assert not any(code in q.feedback for code in CODE), (name, q.id, q.feedback)
        if question != "check-weight-changes" and score(sub, "check-weight-changes") == 0:
            assert "fix that one first" in feedback(sub, "check-weight-changes"), name
