"""Exercise 4, any number of hidden layers: full marks for the solution, zero for the untouched exercise,
and feedback that names each catalogued mistake without showing the solution's code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backprop_book import numerical_gradient
from backprop_book.checks import any_depth
from backprop_book.grade import grade_many
from exercise_support import RELEASES, feedback, score, with_answer
from exercise_support import solution as solution_of

ROOT = Path(__file__).resolve().parent.parent
NAME = "04_any_depth"
SOLUTION, EXERCISE = ROOT / "solutions" / f"{NAME}.ipynb", ROOT / "exercises" / f"{NAME}.ipynb"
TIMEOUT = 10  # seconds per cell
QUESTIONS = ["check-activation-prime", "check-forward", "check-backward", "check-gradients", "check-update",
             "check-step", "check-shapes", "check-gradient-check"]
# Code that feedback must never show: the solution's products, transposes, axes and derivatives.
CODE = ("@", ".T", "axis=", "(1 - ", "1 - a", "a * (1", "np.", "+=", "-=")


def test_solution_scores_full_marks_and_the_exercise_zero() -> None:
    sol, ex = grade_many([SOLUTION, EXERCISE], RELEASES, TIMEOUT, jobs=2)
    assert [q.id for q in sol.questions] == QUESTIONS
    assert sol.max_score == 12 and sol.score == 12, [(q.id, q.feedback) for q in sol.questions]
    assert sol.messages == []
    assert ex.ran and ex.score == 0 and ex.max_score == 12
    assert all(q.feedback.startswith("not answered yet") for q in ex.questions), ex.questions


def solution() -> dict:
    return solution_of(NAME)


# ----------------------------------------------------------------------------
# The catalogue: each mistake made in ONE answer cell of an otherwise correct solution.


def prime_fn(sigmoid: str = "a * (1 - a)", tanh: str = "1 - a ** 2", relu: str = "(a > 0).astype(float)") -> str:
    return ("def activation_prime(name, a):\n"
            f"    if name == 'sigmoid':\n        return {sigmoid}\n"
            f"    if name == 'tanh':\n        return {tanh}\n"
            f"    return {relu}")


def forward_fn(z: str = "activations[-1] @ W + b", a: str = "activation[name](z)",
               ret: str = "zs, activations") -> str:
    return ("def forward(Ws, bs, fs, X):\n    zs, activations = [None], [X]\n"
            f"    for W, b, name in zip(Ws, bs, fs):\n        z = {z}\n        zs.append(z)\n"
            f"        activations.append({a})\n    return {ret}")


def backward_fn(grad_a_out: str = "activations[l] - Y", prime: str = "activation_prime(fs[l - 1], activations[l])",
                hidden_prime: str | None = None, dW: str = "activations[l - 1].T @ delta / batch",
                db: str = "delta.mean(axis=0)", ret: str = "dWs, dbs") -> str:
    return ("def backward(Ws, fs, zs, activations, Y):\n"
            "    n_layers, batch = len(Ws), len(Y)\n"
            "    dWs, dbs = [None] * n_layers, [None] * n_layers\n"
            "    for l in range(n_layers, 0, -1):\n"
            "        if l == n_layers:\n"
            f"            delta = ({grad_a_out}) * {prime}\n"
            "        else:\n"
            f"            delta = (delta @ Ws[l].T) * {hidden_prime or prime}\n"
            f"        dWs[l - 1] = {dW}\n"
            f"        dbs[l - 1] = {db}\n"
            f"    return {ret}")


def hand_written_backward(dW3: str) -> str:
    """Two hidden layers written out one by one, as the learner of chapter 4 wrote them."""
    return ("def backward(Ws, fs, zs, activations, Y):\n"
            "    W1, W2, W3 = Ws\n"
            "    X, a1, a2, y_hat = activations\n"
            "    batch = len(Y)\n"
            "    delta3 = (y_hat - Y) * activation_prime(fs[2], y_hat)\n"
            "    delta2 = (delta3 @ W3.T) * activation_prime(fs[1], a2)\n"
            "    delta1 = (delta2 @ W2.T) * activation_prime(fs[0], a1)\n"
            f"    dWs = [X.T @ delta1 / batch, a1.T @ delta2 / batch, {dW3}]\n"
            "    dbs = [delta1.mean(axis=0), delta2.mean(axis=0), delta3.mean(axis=0)]\n"
            "    return dWs, dbs")


def step_fn(sign: str = "+=", propagate: str = "before", mean: bool = True) -> str:
    through_old = "        error = delta @ Ws[l - 1].T\n" if propagate == "before" else ""
    through_new = "        error = delta @ new_Ws[l - 1].T\n" if propagate == "after" else ""
    return ("def step_target_minus_output(Ws, bs, fs, X, Y, eta):\n"
            "    zs, activations = forward(Ws, bs, fs, X)\n"
            "    new_Ws, new_bs = [W.copy() for W in Ws], [b.copy() for b in bs]\n"
            "    error = Y - activations[-1]\n"
            "    for l in range(len(Ws), 0, -1):\n"
            "        delta = error * activation_prime(fs[l - 1], activations[l])\n"
            + through_old +
            f"        new_Ws[l - 1] {sign} eta * (activations[l - 1].T @ delta{' / len(X)' if mean else ''})\n"
            f"        new_bs[l - 1] {sign} eta * delta.{'mean' if mean else 'sum'}(axis=0)\n"
            + through_new +
            "    return new_Ws, new_bs")


def check_fn(loss: str = "0.5 * np.sum((forward(Ws, bs, fs, X)[1][-1] - Y) ** 2) / len(X)",
             params: str = "list(Ws) + list(bs)", grads: str = "list(dWs) + list(dbs)", worst: bool = False,
             before: str = "") -> str:
    compare = ("np.max(np.abs(g - g_num) / np.maximum(np.abs(g) + np.abs(g_num), 1e-12))" if worst
               else "np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num))")
    return ("def gradient_check(backward_fn, Ws, bs, fs, X, Y):\n"
            "    zs, activations = forward(Ws, bs, fs, X)\n"
            "    dWs, dbs = backward_fn(Ws, fs, zs, activations, Y)\n"
            + before +
            f"    loss = lambda: {loss}\n"
            f"    g = np.concatenate([grad.ravel() for grad in {grads}])\n"
            f"    g_num = np.concatenate([numerical_gradient(loss, p).ravel() for p in {params}])\n"
            f"    return {compare}")


def update_fn(body: str) -> str:
    return "def update(Ws, bs, dWs, dbs, eta):\n" + body


MISTAKES = {
    # 1. activation_prime
    "tanh-derivative-on-sigmoid": ("activation-prime", prime_fn(sigmoid="1 - a ** 2"),
                                   "check-activation-prime", "derivative of tanh"),
    "sigmoid-derivative-on-tanh": ("activation-prime", prime_fn(tanh="a * (1 - a)"),
                                   "check-activation-prime", "sigmoid's derivative"),
    "from-z-formula-given-a": ("activation-prime",
                               prime_fn(sigmoid="sigmoid(a) * (1 - sigmoid(a))", tanh="1 - np.tanh(a) ** 2"),
                               "check-activation-prime", "as if it were z"),
    "relu-one-at-zero": ("activation-prime", prime_fn(relu="(a >= 0).astype(float)"),
                         "check-activation-prime", "inactive"),
    # 2. forward
    "forward-no-bias": ("forward", forward_fn(z="activations[-1] @ W"), "check-forward", "bias b^(1) is missing"),
    "forward-no-activation": ("forward", forward_fn(a="z"), "check-forward", "was not applied"),
    "forward-first-activation-everywhere": ("forward", forward_fn(a="activation[fs[0]](z)"),
                                            "check-forward", "each layer applies its own activation"),
    "forward-without-the-input": ("forward", forward_fn(ret="zs, activations[1:]"),
                                  "check-forward", "the input X first, at activations[0]"),
    "forward-without-placeholder": ("forward", forward_fn(ret="zs[1:], activations"),
                                    "check-forward", "unused placeholder"),
    # 3. backward. THE classic bug, caught on the network whose hidden layers have equal widths.
    "wrong-layer-activations": ("backward", hand_written_backward("a1.T @ delta3 / batch"), "check-backward",
                                "built from the activations of layer 1"),
    "own-output-activations": ("backward", backward_fn(dW="activations[l].T @ delta / batch"),
                               "check-backward", "own output"),
    "sum-not-mean": ("backward", backward_fn(dW="activations[l - 1].T @ delta", db="delta.sum(axis=0)"),
                     "check-backward", "summed over the batch where the mean was asked for"),
    "bias-over-the-units": ("backward", backward_fn(db="delta.mean(axis=1)"),
                            "check-backward", "across the units of each sample"),
    "bias-keepdims": ("backward", backward_fn(db="delta.mean(axis=0, keepdims=True)"),
                      "check-backward", "must have the shape of b"),
    "missing-output-derivative": ("backward", backward_fn(prime="1", hidden_prime="activation_prime(fs[l - 1], activations[l])"),
                                  "check-backward", "output layer's delta lacks its activation's derivative"),
    "missing-hidden-derivative": ("backward", backward_fn(hidden_prime="1"),
                                  "check-backward", "hidden layers' deltas lack their activation's derivative"),
    "derivative-handed-z": ("backward", backward_fn(prime="activation_prime(fs[l - 1], zs[l])"),
                            "check-backward", "handed the pre-activation z"),
    "transposed": ("backward", backward_fn(dW="delta.T @ activations[l - 1] / batch"),
                   "check-backward", "transposed"),
    "sign-flip": ("backward", backward_fn(grad_a_out="Y - activations[l]"), "check-backward", "opposite sign"),
    "returns-the-deltas-too": ("backward", backward_fn(ret="dWs, dbs, None"),
                               "check-backward", "also returns the deltas"),
    # 4. a backward written for two hidden layers passes task 3 and fails at other depths
    "two-hidden-layers-only": ("backward", hand_written_backward("a2.T @ delta3 / batch"),
                               "check-gradients", "over every layer of the lists it is given"),
    # 5. update
    "update-uphill": ("update", update_fn("    return [W + eta * d for W, d in zip(Ws, dWs)], "
                                          "[b + eta * d for b, d in zip(bs, dbs)]"),
                      "check-update", "up the gradient"),
    "update-in-place": ("update", update_fn("    for W, d in zip(Ws, dWs):\n        W -= eta * d\n"
                                            "    for b, d in zip(bs, dbs):\n        b -= eta * d\n"
                                            "    return Ws, bs"),
                        "check-update", "in place"),
    # 6. the step written with target minus output
    "mixed-sign-conventions": ("step", step_fn(sign="-="), "check-step", "climbs the loss"),
    "error-through-updated-weights": ("step", step_fn(propagate="after"), "check-step", "already been updated"),
    "step-summed": ("step", step_fn(mean=False), "check-step", "summed over the batch"),
    # 7. shapes
    "column-convention": ("shapes", "DELTA2_SHAPE = (64, 32)\nDW3_SHAPE = (64, 10)", "check-shapes",
                          "column-per-sample"),
    "classic-bug-shape": ("shapes", "DELTA2_SHAPE = (32, 64)\nDW3_SHAPE = (128, 10)", "check-shapes",
                          "FIRST hidden layer"),
    "delta-shape-for-gradient": ("shapes", "DELTA2_SHAPE = (32, 64)\nDW3_SHAPE = (32, 10)", "check-shapes",
                                 "shape of its parameter"),
    # 8. the gradient check
    "check-loss-summed": ("gradient-check", check_fn(loss="0.5 * np.sum((forward(Ws, bs, fs, X)[1][-1] - Y) ** 2)"),
                          "check-gradient-check", "summed over the samples"),
    "check-weights-only": ("gradient-check", check_fn(params="list(Ws)", grads="list(dWs)"),
                           "check-gradient-check", "leaves the biases out"),
    "check-worst-element": ("gradient-check", check_fn(worst=True), "check-gradient-check", "worst single element"),
    "check-loss-reads-copies": ("gradient-check",
                                check_fn(before="    seen = [W.copy() for W in Ws], [b.copy() for b in bs]\n",
                                         loss="0.5 * np.sum((forward(*seen, fs, X)[1][-1] - Y) ** 2) / len(X)"),
                                "check-gradient-check", "not copies of them"),
}

# Later tasks call earlier functions, so a mistake there may also fail these checks.
CASCADES = {
    "activation-prime": {"check-backward", "check-gradients", "check-step"},
    "forward": {"check-gradients", "check-step", "check-gradient-check"},
    "backward": {"check-gradients"},
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
        assert f"graded as exercise '{NAME}'" in " ".join(sub.messages)  # matched by metadata
        text = feedback(sub, question)
        assert score(sub, question) == 0, (name, text)
        assert words in text, (name, text)
        assert not any(code in text for code in CODE), (name, text)
        excused = {question} | CASCADES.get(answer, set())
        others = [q for q in sub.questions if q.id not in excused]
        assert all(q.score == q.max_score for q in others), (name, others)


# ----------------------------------------------------------------------------
# The check networks, without a kernel


def test_the_first_backward_network_hides_the_classic_bug() -> None:
    """Both hidden layers are equally wide: the wrong layer's activations give the right shape, wrong values."""
    net = any_depth._net(*any_depth._BACKWARD_NETS[0])
    assert net.L == 3 and net.sizes[1] == net.sizes[2]
    right = any_depth._backprop(net)
    wrong = net.activations[1].T @ right.deltas[3] / net.B
    assert wrong.shape == net.Ws[2].shape and not np.allclose(wrong, right.dWs[2])
    with pytest.raises(AssertionError, match="only the values show it"):
        any_depth._check_gradients((right.dWs[:2] + [wrong], right.dbs), net, "backward")


@pytest.mark.parametrize("spec", any_depth._BACKWARD_NETS[1:] + any_depth._DEPTH_NETS + any_depth._FORWARD_NETS,
                         ids=lambda spec: str(spec[1]))
def test_the_other_networks_have_all_sizes_different(spec) -> None:
    _, sizes, fs, batch = spec
    assert len(set(sizes)) == len(sizes) and batch not in sizes and len(fs) == len(sizes) - 1


def test_depths_of_the_any_depth_check() -> None:
    assert [len(spec[1]) - 2 for spec in any_depth._DEPTH_NETS] == [1, 2, 4]


@pytest.mark.parametrize("spec", any_depth._BACKWARD_NETS + any_depth._DEPTH_NETS, ids=lambda spec: str(spec[1]))
def test_the_checks_reference_agrees_with_central_differences(spec) -> None:
    net = any_depth._net(*spec)
    right = any_depth._backprop(net)

    def loss() -> float:
        y_hat = any_depth._forward(net.Ws, net.bs, net.fs, net.X)[1][-1]
        return float(0.5 * np.sum((y_hat - net.Y) ** 2) / net.B)

    for grad, param in zip(right.dWs + right.dbs, net.Ws + net.bs):
        measured = numerical_gradient(loss, param)
        assert np.linalg.norm(grad - measured) / (np.linalg.norm(grad) + np.linalg.norm(measured)) < 1e-7
