"""Exercise 3 (mini-batches and shapes): full marks for the solution, zero for the untouched exercise,
and feedback that names each catalogued mistake, made in one answer cell of the solution."""

from __future__ import annotations

import json
from pathlib import Path

from backprop_book.grade import grade_many
from exercise_support import RELEASES, feedback, score, with_answer
from exercise_support import solution as solution_of

ROOT = Path(__file__).resolve().parent.parent
NAME = "03_minibatches_and_shapes"
SOLUTION, EXERCISE = ROOT / "solutions" / f"{NAME}.ipynb", ROOT / "exercises" / f"{NAME}.ipynb"
TIMEOUT = 10  # seconds per cell
# Never in feedback: no solution code.
CODE = ("@", ".T", "[0]", "(1 - ", "axis=", "np.", "keepdims", "reshape", ".mean(", ".sum(", "eta / batch")


def test_solution_scores_full_marks_and_exercise_zero() -> None:
    full, empty = grade_many([SOLUTION, EXERCISE], RELEASES, TIMEOUT, jobs=2)
    assert full.max_score == 12 and len(full.questions) == 8
    assert full.score == full.max_score, [(q.id, q.feedback) for q in full.questions]
    assert full.messages == []
    assert empty.ran and empty.score == 0 and empty.max_score == 12
    assert all(q.feedback.startswith("not answered yet") for q in empty.questions), empty.questions


def solution() -> dict:
    return solution_of(NAME)


# Each catalogued mistake, made in one answer cell of an otherwise correct solution: (answer cell,
# its wrong source, the question that must score 0, words its feedback must contain).
SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n"
FORWARD = SIGMOID + "def forward(X, W1, b1, W2, b2):\n    a1 = {a1}\n    return a1, {y}"
DELTAS = "def deltas(a1, y_hat, Y, W2):\n    delta2 = {d2}\n    return delta2, {d1}"
D2, D1 = "(y_hat - Y) * y_hat * (1 - y_hat)", "(delta2 @ W2.T) * a1 * (1 - a1)"
WEIGHTS = "def weight_gradients(X, a1, delta1, delta2):\n    B = X.shape[0]\n    return {}"
BIASES = "def bias_gradients(delta1, delta2):\n    return {}"
COLUMNS = ("def column_gradients(X, Y, W1, b1, W2, b2):\n"
           "    batch = {batch}\n"
           "    a1 = sigmoid(W1 @ X + {b1})\n"
           "    y_hat = sigmoid(W2 @ a1 + {b2})\n"
           "    delta2 = (y_hat - Y) * y_hat * (1 - y_hat)\n"
           "    delta1 = ({back} @ delta2) * a1 * (1 - a1)\n"
           "    dW1, dW2 = {dW}\n"
           "    db1, db2 = {db}\n"
           "    return dW1, db1, dW2, db2")
COLUMNS_RIGHT = {"batch": "X.shape[1]", "b1": "b1", "b2": "b2", "back": "W2.T",
                 "dW": "delta1 @ X.T / batch, delta2 @ a1.T / batch",
                 "db": "delta1.mean(axis=1, keepdims=True), delta2.mean(axis=1, keepdims=True)"}
ROWS_PASTED = ("def column_gradients(X, Y, W1, b1, W2, b2):\n"
               "    batch = X.shape[0]\n"
               "    z1 = X @ W1 + b1\n    a1 = sigmoid(z1)\n    z2 = a1 @ W2 + b2\n    y_hat = sigmoid(z2)\n"
               "    delta2 = (y_hat - Y) * y_hat * (1 - y_hat)\n"
               "    dW2 = a1.T @ delta2 / batch\n    db2 = delta2.mean(axis=0)\n"
               "    delta1 = (delta2 @ W2.T) * a1 * (1 - a1)\n"
               "    dW1 = X.T @ delta1 / batch\n    db1 = delta1.mean(axis=0)\n"
               "    return dW1, db1, dW2, db2")
TARGETS = "def prepare_targets(y):\n    return {}"
SHAPES = "DW1_AUG_SHAPE = {}\nDW2_AUG_SHAPE = {}"
RATE = "def sum_learning_rate(dW_sum, eta, batch):\n    return {}"


def forward(a1: str = "sigmoid(X @ W1 + b1)", y: str = "sigmoid(a1 @ W2 + b2)") -> str:
    return FORWARD.format(a1=a1, y=y)


def columns(**wrong: str) -> str:
    return COLUMNS.format(**{**COLUMNS_RIGHT, **wrong})


MISTAKES = {
    # 1. forward
    "no-hidden-bias": ("forward", forward(a1="sigmoid(X @ W1)"), "check-forward", "bias b1 is missing"),
    "no-output-sigmoid": ("forward", forward(y="a1 @ W2 + b2"), "check-forward", "y_hat is the sigmoid of z2"),
    "z1-fed-forward": ("forward", SIGMOID + "def forward(X, W1, b1, W2, b2):\n    z1 = X @ W1 + b1\n"
                                            "    return sigmoid(z1), sigmoid(z1 @ W2 + b2)",
                       "check-forward", "ACTIVATION a1"),
    "first-sample-only": ("forward", forward(a1="sigmoid(X[:1] @ W1 + b1)"), "check-forward", "only the first sample"),
    "square-W1-transposed": ("forward", forward(a1="sigmoid(X @ W1.T + b1)"), "check-forward", "W1 is used transposed"),
    # 2. deltas
    "delta2-divided-by-B": ("deltas", DELTAS.format(d2=D2 + " / len(Y)", d1=D1), "check-deltas", "own delta"),
    "delta1-divided-by-B": ("deltas", DELTAS.format(d2=D2, d1=D1 + " / len(Y)"), "check-deltas", "own delta"),
    "delta2-no-derivative": ("deltas", DELTAS.format(d2="y_hat - Y", d1=D1), "check-deltas", "derivative is missing"),
    "delta2-tanh-derivative": ("deltas", DELTAS.format(d2="(y_hat - Y) * (1 - y_hat ** 2)", d1=D1), "check-deltas",
                               "tanh's derivative"),
    "delta2-batch-mean": ("deltas", DELTAS.format(d2=f"({D2}).mean(axis=0, keepdims=True)", d1=D1), "check-deltas",
                          "one row per sample"),
    "delta1-missing-transpose": ("deltas", DELTAS.format(d2=D2, d1="(delta2 @ W2) * a1 * (1 - a1)"), "check-deltas",
                                 "wrong index"),
    "delta1-no-derivative": ("deltas", DELTAS.format(d2=D2, d1="delta2 @ W2.T"), "check-deltas", "dL_s/da1"),
    "delta1-output-derivative": ("deltas", DELTAS.format(d2=D2, d1="(delta2 @ W2.T) * y_hat * (1 - y_hat)"),
                                 "check-deltas", "output layer's derivative"),
    "delta1-column": ("deltas", DELTAS.format(d2=D2, d1="(W2 @ delta2.T) * (a1 * (1 - a1)).T"), "check-deltas",
                      "column-per-sample"),
    # 3. weight gradients
    "weights-summed": ("weight-gradients", WEIGHTS.format("X.T @ delta1, a1.T @ delta2"), "check-weight-gradients",
                       "SUM over the mini-batch"),
    "weights-divided-twice": ("weight-gradients", WEIGHTS.format("X.T @ delta1 / B / B, a1.T @ delta2 / B / B"),
                              "check-weight-gradients", "divided by B = 5 twice"),
    "weights-transposed": ("weight-gradients", WEIGHTS.format("delta1.T @ X / B, delta2.T @ a1 / B"),
                           "check-weight-gradients", "transposed"),
    "weights-batch-from-columns": ("weight-gradients",
                                   "def weight_gradients(X, a1, delta1, delta2):\n    B = X.shape[1]\n"
                                   "    return X.T @ delta1 / B, a1.T @ delta2 / B",
                                   "check-weight-gradients", "samples are the ROWS"),
    "dW1-from-a1": ("weight-gradients", WEIGHTS.format("a1.T @ delta1 / B, a1.T @ delta2 / B"),
                    "check-weight-gradients", "built from the hidden activations a1"),
    "dW2-from-X": ("weight-gradients", WEIGHTS.format("X.T @ delta1 / B, X.T @ delta2 / B"),
                   "check-weight-gradients", "built from the input X"),
    "weights-kronecker": ("weight-gradients", WEIGHTS.format("np.kron(X.T, delta1) / B, np.kron(a1.T, delta2) / B"),
                          "check-weight-gradients", "Kronecker product"),
    # 4. bias gradients
    "bias-wrong-axis": ("bias-gradients", BIASES.format("delta1.mean(axis=1), delta2.mean(axis=1)"),
                        "check-bias-gradients", "the result even has the right shape"),
    "bias-summed": ("bias-gradients", BIASES.format("delta1.sum(axis=0), delta2.sum(axis=0)"),
                    "check-bias-gradients", "summed over the samples"),
    "bias-keepdims": ("bias-gradients",
                      BIASES.format("delta1.mean(axis=0, keepdims=True), delta2.mean(axis=0, keepdims=True)"),
                      "check-bias-gradients", "shape of its bias b1"),
    "bias-single-number": ("bias-gradients", BIASES.format("delta1.mean(), delta2.mean()"), "check-bias-gradients",
                           "single number"),
    "bias-swapped": ("bias-gradients", BIASES.format("delta2.mean(axis=0), delta1.mean(axis=0)"),
                     "check-bias-gradients", "other layer's delta"),
    # 5. one column per sample
    "columns-rows-pasted": ("columns", ROWS_PASTED, "check-columns", "row-per-sample formulas"),
    "columns-1d-bias-in-forward": ("columns", columns(b1="b1.ravel()", b2="b2.ravel()"), "check-columns",
                                   "used as 1-d arrays"),
    "columns-1d-bias-gradient": ("columns", columns(db="delta1.mean(axis=1), delta2.mean(axis=1)"),
                                 "check-columns", "but 1-d"),
    "columns-bias-wrong-axis": ("columns", columns(db="delta1.mean(axis=0, keepdims=True), "
                                                      "delta2.mean(axis=0, keepdims=True)"),
                                "check-columns", "samples are the COLUMNS"),
    "columns-hidden-wrong-index": ("columns", columns(back="W2"), "check-columns", "wrong way round"),
    "columns-gradients-transposed": ("columns", columns(dW="X.T @ delta1.T / batch, a1 @ delta2.T / batch"),
                                     "check-columns", "row-per-sample orientation"),
    "columns-batch-from-rows": ("columns", columns(batch="X.shape[0]"), "check-columns", "number of ROWS of X"),
    # 6. targets
    "targets-unchanged": ("targets", TARGETS.format("y"), "check-targets", "has shape (5, 5)"),
    "targets-as-row": ("targets", TARGETS.format("np.atleast_2d(y)"), "check-targets", "broadcasting pairs EVERY"),
    "targets-axis-added-twice": ("targets", TARGETS.format("y[:, None]"), "check-targets", "an axis was added"),
    # 7. shapes
    "dW1-column-convention": ("shapes", SHAPES.format("(16, 785)", "(17, 10)"), "check-shapes", "column-per-sample"),
    "dW1-without-bias-row": ("shapes", SHAPES.format("(784, 16)", "(17, 10)"), "check-shapes", "row of the gradient"),
    "dW1-with-batch": ("shapes", SHAPES.format("(32, 16)", "(17, 10)"), "check-shapes", "whatever the batch size"),
    "dW2-without-hidden-constant": ("shapes", SHAPES.format("(785, 16)", "(16, 10)"), "check-shapes",
                                    "constant 1 of their own"),
    # 8. sum or mean
    "rate-unchanged": ("sum-mean", RATE.format("eta"), "check-sum-mean", "eta itself"),
    "rate-times-batch": ("sum-mean", RATE.format("eta * batch"), "check-sum-mean", "SMALLER than eta"),
    "rate-is-the-step": ("sum-mean", RATE.format("eta / batch * dW_sum"), "check-sum-mean", "returns the step"),
}

# Later tasks call earlier functions: a mistake there may also cost these questions.
# column_gradients uses the sigmoid defined in the forward pass's answer cell.
CASCADES = {"forward": {"check-columns"}}


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


def test_a_column_pass_built_on_the_row_functions_is_accepted(tmp_path: Path) -> None:
    # Translating by transposing: the row-per-sample functions on the transposed arrays are right too.
    source = ("def column_gradients(X, Y, W1, b1, W2, b2):\n"
              "    a1, y_hat = forward(X.T, W1.T, b1.ravel(), W2.T, b2.ravel())\n"
              "    delta2, delta1 = deltas(a1, y_hat, Y.T, W2.T)\n"
              "    dW1, dW2 = weight_gradients(X.T, a1, delta1, delta2)\n"
              "    db1, db2 = bias_gradients(delta1, delta2)\n"
              "    return dW1.T, db1.reshape(-1, 1), dW2.T, db2.reshape(-1, 1)")
    path = tmp_path / "by_rows.ipynb"
    path.write_text(json.dumps(with_answer(solution(), "columns", source)))
    sub = grade_many([path], RELEASES, TIMEOUT, jobs=1)[0]
    assert sub.score == sub.max_score, [(q.id, q.feedback) for q in sub.questions]
