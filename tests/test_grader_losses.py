"""Exercise 5, output layers and losses: full marks for the solution, zero for the untouched exercise,
and feedback that names each catalogued mistake without showing the solution's code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backprop_book import numerical_gradient
from backprop_book.checks import losses
from backprop_book.grade import grade_many
from exercise_support import RELEASES, feedback, score, with_answer
from exercise_support import solution as solution_of

ROOT = Path(__file__).resolve().parent.parent
NAME = "05_losses"
SOLUTION, EXERCISE = ROOT / "solutions" / f"{NAME}.ipynb", ROOT / "exercises" / f"{NAME}.ipynb"
TIMEOUT = 10  # seconds per cell
QUESTIONS = ["check-squared-error", "check-binary-cross-entropy", "check-softmax", "check-jacobian",
             "check-cross-entropy-grad", "check-pairs", "check-gradient-check"]
# Code that feedback must never show: products, transposes, axes, the stable formulas' building blocks.
CODE = ("@", ".T", "axis=", "(1 - ", "1 - y_hat)", "np.", "+=", "-=", "keepdims", "log1p", "logaddexp")


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


def se_fn(loss: str = "c * np.sum((y_hat - y) ** 2) / len(y)",
          delta: str = "2 * c * (y_hat - y) * y_hat * (1 - y_hat)", c: str = "0.5 if half else 1.0") -> str:
    return ("def squared_error(y_hat, y, half):\n"
            f"    c = {c}\n    return {loss}\n\n\n"
            "def squared_error_delta(y_hat, y, half):\n"
            f"    c = {c}\n    return {delta}")


def bce_fn(loss: str = "np.sum(softplus - y * z) / len(z)",
           softplus: str = "np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))", delta: str = "sigmoid(z) - y",
           before: str = "") -> str:
    return ("def binary_cross_entropy(z, y):\n" + before +
            f"    softplus = {softplus}\n    return {loss}\n\n\n"
            "def binary_cross_entropy_delta(z, y):\n"
            f"    return {delta}")


def softmax_fn(shift: str = "np.max(z, axis=1, keepdims=True)", norm: str = "np.sum(e, axis=1, keepdims=True)",
               log: str = "shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))",
               log_shift: str = "np.max(z, axis=1, keepdims=True)") -> str:
    return ("def softmax(z):\n"
            f"    e = np.exp(z - {shift})\n    return e / {norm}\n\n\n"
            "def log_softmax(z):\n"
            f"    shifted = z - {log_shift}\n    return {log}")


def jacobian_fn(J: str = "np.diag(y_hat[0]) - y_hat.T @ y_hat",
                delta: str = "dL_dyhat @ softmax_jacobian(y_hat)") -> str:
    return ("def softmax_jacobian(y_hat):\n"
            f"    return {J}\n\n\n"
            "def softmax_delta(dL_dyhat, y_hat):\n"
            f"    return {delta}")


def grad_fn(body: str) -> str:
    return f"def softmax_cross_entropy_grad(z, y):\n    return {body}"


PAIR_KEYS = {"identity_half": ("identity", "half squared error"), "identity_full": ("identity", "squared error"),
             "sigmoid_half": ("sigmoid", "half squared error"), "sigmoid_full": ("sigmoid", "squared error"),
             "sigmoid_bce": ("sigmoid", "binary cross-entropy"), "softmax_ce": ("softmax", "cross-entropy"),
             "softmax_half": ("softmax", "half squared error")}


def pairs_fn(**changes: str) -> str:
    answer = dict(losses.PAIRS)
    for name, letter in changes.items():
        answer[PAIR_KEYS[name]] = letter
    return "DELTAS = {\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in answer.items()) + "}"


def check_fn(loss: str = "np.mean(-np.sum(y * log_softmax(z), axis=1))", compare: str = "", before: str = "",
             g: str = "grad_fn(z, y)") -> str:
    compare = compare or "np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num))"
    return ("def gradient_check(grad_fn, z, y):\n"
            f"    g = {g}\n" + before +
            f"    loss = lambda: {loss}\n"
            "    g_num = numerical_gradient(loss, z)\n"
            f"    return {compare}")


MISTAKES = {
    # 1. the squared error, with and without the half
    "se-half-always": ("squared-error", se_fn(c="0.5"), "check-squared-error", "half=False there is no factor 1/2"),
    "se-half-never": ("squared-error", se_fn(c="1.0"), "check-squared-error", "factor 1/2 in front"),
    "se-mean-over-entries": ("squared-error", se_fn(loss="c * np.mean((y_hat - y) ** 2)"), "check-squared-error",
                             "MSELoss"),
    "se-summed": ("squared-error", se_fn(loss="c * np.sum((y_hat - y) ** 2)"), "check-squared-error",
                  "summed over the batch"),
    "se-per-sample": ("squared-error", se_fn(loss="c * np.sum((y_hat - y) ** 2, axis=1)"), "check-squared-error",
                      "one loss per sample"),
    "se-delta-factor-2": ("squared-error", se_fn(delta="2 * (y_hat - y) * y_hat * (1 - y_hat)"),
                          "check-squared-error", "cancels against the 1/2"),
    "se-delta-factor-2-dropped": ("squared-error", se_fn(delta="(y_hat - y) * y_hat * (1 - y_hat)"),
                                  "check-squared-error", "the 2 of the square stays"),
    "se-delta-no-prime": ("squared-error", se_fn(delta="2 * c * (y_hat - y)"), "check-squared-error",
                          "sigmoid's derivative is missing"),
    "se-delta-tanh": ("squared-error", se_fn(delta="2 * c * (y_hat - y) * (1 - y_hat ** 2)"),
                      "check-squared-error", "derivative of tanh"),
    "se-delta-sigma-of-yhat": ("squared-error",
                               se_fn(delta="2 * c * (y_hat - y) * sigmoid(y_hat) * (1 - sigmoid(y_hat))"),
                               "check-squared-error", "as if it were z"),
    "se-delta-over-batch": ("squared-error", se_fn(delta="2 * c * (y_hat - y) * y_hat * (1 - y_hat) / len(y)"),
                            "check-squared-error", "divided by the batch size"),
    # 2. the binary cross-entropy from the logits
    "bce-log-of-rounded": ("binary-cross-entropy",
                           bce_fn(loss="-np.sum(y * np.log(sigmoid(z)) + (1 - y) * np.log(1 - sigmoid(z))) / len(z)"),
                           "check-binary-cross-entropy", "never from a rounded probability"),
    "bce-clipped": ("binary-cross-entropy",
                    bce_fn(before="    p = np.clip(sigmoid(z), 1e-7, 1 - 1e-7)\n",
                           loss="-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / len(z)"),
                    "check-binary-cross-entropy", "kept away from 0 and 1"),
    "bce-epsilon-in-log": ("binary-cross-entropy",
                           bce_fn(loss="-np.sum(y * np.log(sigmoid(z) + 1e-12) "
                                       "+ (1 - y) * np.log(1 - sigmoid(z) + 1e-12)) / len(z)"),
                           "check-binary-cross-entropy", "kept away from 0 and 1"),
    "bce-naive-softplus": ("binary-cross-entropy", bce_fn(softplus="np.log(1 + np.exp(z))"),
                           "check-binary-cross-entropy", "e^z overflows"),
    "bce-only-positives": ("binary-cross-entropy", bce_fn(loss="np.sum(y * (softplus - z)) / len(z)"),
                           "check-binary-cross-entropy", "only the outputs whose target is 1"),
    "bce-mean-over-entries": ("binary-cross-entropy", bce_fn(loss="np.mean(softplus - y * z)"),
                              "check-binary-cross-entropy", "number of entries"),
    "bce-summed": ("binary-cross-entropy", bce_fn(loss="np.sum(softplus - y * z)"),
                   "check-binary-cross-entropy", "summed over the batch"),
    "bce-extra-derivative": ("binary-cross-entropy",
                             bce_fn(delta="(sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z))"),
                             "check-binary-cross-entropy", "used twice"),
    "bce-dL-dyhat": ("binary-cross-entropy", bce_fn(delta="(sigmoid(z) - y) / (sigmoid(z) * (1 - sigmoid(z)))"),
                     "check-binary-cross-entropy", "this is dL/dy_hat"),
    "bce-cancel-after": ("binary-cross-entropy",
                         bce_fn(delta="(sigmoid(z) - y) / (sigmoid(z) * (1 - sigmoid(z))) "
                                      "* sigmoid(z) * (1 - sigmoid(z))"),
                         "check-binary-cross-entropy", "divides 0 by 0"),
    "bce-delta-over-batch": ("binary-cross-entropy", bce_fn(delta="(sigmoid(z) - y) / len(z)"),
                             "check-binary-cross-entropy", "divided by the batch size"),
    # 3. the softmax and the log-softmax
    "softmax-no-shift": ("softmax", softmax_fn(shift="0"), "check-softmax", "inf / inf is NaN"),
    "softmax-batch-shift": ("softmax", softmax_fn(shift="np.max(z)"), "check-softmax", "its own largest entry"),
    "softmax-axis-0": ("softmax", softmax_fn(norm="np.sum(e, axis=0)"), "check-softmax", "each column sums to 1"),
    "softmax-no-keepdims": ("softmax", softmax_fn(norm="np.sum(e, axis=1)"), "check-softmax",
                            "only because B = n"),
    "softmax-whole-batch": ("softmax", softmax_fn(norm="np.sum(e)"), "check-softmax", "over the whole batch"),
    "softmax-column-shift": ("softmax", softmax_fn(shift="np.max(z, axis=0)"), "check-softmax",
                             "differs along a row"),
    "log-of-softmax": ("softmax", softmax_fn(log="np.log(softmax(z))"), "check-softmax", "underflowed to 0"),
    "log-softmax-no-shift": ("softmax", softmax_fn(log_shift="0"), "check-softmax", "log-sum-exp overflows"),
    "log-softmax-axis-0": ("softmax", softmax_fn(log="shifted - np.log(np.sum(np.exp(shifted), axis=0))"),
                           "check-softmax", "log-sum-exp runs over the wrong axis"),
    # 4. the Jacobian and the sum over paths
    "jacobian-no-diagonal": ("jacobian", jacobian_fn(J="-y_hat.T @ y_hat"), "check-jacobian",
                             "diagonal term is missing"),
    "jacobian-diagonal-only": ("jacobian", jacobian_fn(J="np.diag(y_hat[0] * (1 - y_hat[0]))"), "check-jacobian",
                               "only the diagonal"),
    "jacobian-inner-product": ("jacobian", jacobian_fn(J="np.diag(y_hat[0]) - y_hat @ y_hat.T"), "check-jacobian",
                               "inner product"),
    "jacobian-diagonal-of-a-row": ("jacobian", jacobian_fn(J="np.diag(y_hat) - y_hat.T @ y_hat"), "check-jacobian",
                                   "gives back its own diagonal"),
    "jacobian-squares": ("jacobian", jacobian_fn(J="np.diag(y_hat[0]) - y_hat ** 2"), "check-jacobian",
                         "entry by entry"),
    "jacobian-sign": ("jacobian", jacobian_fn(J="y_hat.T @ y_hat - np.diag(y_hat[0])"), "check-jacobian",
                      "opposite sign"),
    "jacobian-softmax-again": ("jacobian",
                               jacobian_fn(J="np.diag(softmax(y_hat)[0]) - softmax(y_hat).T @ softmax(y_hat)"),
                               "check-jacobian", "applied to y_hat again"),
    "delta-element-wise": ("jacobian", jacobian_fn(delta="dL_dyhat * y_hat * (1 - y_hat)"), "check-jacobian",
                           "element-wise activation"),
    "delta-transposed": ("jacobian", jacobian_fn(delta="softmax_jacobian(y_hat) @ dL_dyhat.T"), "check-jacobian",
                         "transposed"),
    "delta-no-jacobian": ("jacobian", jacobian_fn(delta="dL_dyhat"), "check-jacobian", "Jacobian is missing"),
    # 5. the gradient of the softmax cross-entropy for a batch
    "ce-no-mean": ("cross-entropy-grad", grad_fn("softmax(z) - y"), "check-cross-entropy-grad", "carries the 1/B"),
    "ce-mean-twice": ("cross-entropy-grad", grad_fn("(softmax(z) - y) / len(z) ** 2"), "check-cross-entropy-grad",
                      "divided by the batch size twice"),
    "ce-extra-derivative": ("cross-entropy-grad",
                            grad_fn("(softmax(z) - y) * softmax(z) * (1 - softmax(z)) / len(z)"),
                            "check-cross-entropy-grad", "The activation derivative twice"),
    "ce-squared-error-delta": ("cross-entropy-grad",
                               grad_fn("softmax(z) * ((softmax(z) - y) - np.sum((softmax(z) - y) * softmax(z), "
                                       "axis=1, keepdims=True)) / len(z)"),
                               "check-cross-entropy-grad", "squared error through the softmax"),
    "ce-sigmoid": ("cross-entropy-grad", grad_fn("(sigmoid(z) - y) / len(z)"), "check-cross-entropy-grad",
                   "computed with the sigmoid"),
    "ce-over-entries": ("cross-entropy-grad", grad_fn("(softmax(z) - y) / z.size"), "check-cross-entropy-grad",
                        "number of entries"),
    "ce-own-softmax-axis-0": ("cross-entropy-grad", grad_fn("(np.exp(z) / np.sum(np.exp(z), axis=0) - y) / len(z)"),
                              "check-cross-entropy-grad", "each column sums to 1"),
    # 6. which delta goes with which pair
    "pairs-bce-derivative-twice": ("pairs", pairs_fn(sigmoid_bce="B"), "check-pairs",
                                   "divides the sigmoid's derivative out"),
    "pairs-bce-dL-dyhat": ("pairs", pairs_fn(sigmoid_bce="E"), "check-pairs", "derivative with respect to the output"),
    "pairs-softmax-se-short": ("pairs", pairs_fn(softmax_half="A"), "check-pairs", "sum over paths"),
    "pairs-softmax-element-wise": ("pairs", pairs_fn(softmax_ce="a", softmax_half="b"), "check-pairs",
                                   "element-wise activation"),
    "pairs-no-half-factor": ("pairs", pairs_fn(sigmoid_full="B"), "check-pairs", "the 2 of the square stays"),
    "pairs-sigmoid-se-short": ("pairs", pairs_fn(sigmoid_half="A"), "check-pairs", "when it does not"),
    "pairs-missing": ("pairs", "DELTAS = {('softmax', 'cross-entropy'): 'A'}", "check-pairs", "lacks the pair"),
    "pairs-not-a-letter": ("pairs", pairs_fn(identity_half="y_hat - y"), "check-pairs", "one of the letters"),
    # 7. the gradient check
    "check-loss-summed": ("gradient-check", check_fn(loss="np.sum(-np.sum(y * log_softmax(z), axis=1))"),
                          "check-gradient-check", "summed over the samples"),
    "check-loss-reads-a-copy": ("gradient-check",
                                check_fn(before="    seen = z.copy()\n",
                                         loss="np.mean(-np.sum(y * log_softmax(seen), axis=1))"),
                                "check-gradient-check", "not a copy of it"),
    "check-loss-sign": ("gradient-check", check_fn(loss="np.mean(np.sum(y * log_softmax(z), axis=1))"),
                        "check-gradient-check", "opposite sign"),
    "check-log-of-softmax": ("gradient-check",
                             check_fn(loss="np.mean(-np.sum(y * np.log(softmax(z)), axis=1))"),
                             "check-gradient-check", "underflowed to 0"),
    "check-worst-entry": ("gradient-check",
                          check_fn(compare="np.max(np.abs(g - g_num) / np.maximum(np.abs(g) + np.abs(g_num), 1e-12))"),
                          "check-gradient-check", "worst single entry"),
    "check-own-gradient": ("gradient-check", check_fn(g="softmax_cross_entropy_grad(z, y)"),
                           "check-gradient-check", "call grad_fn"),
}

# Tasks 5 and 7 call the learner's softmax and log_softmax, so a mistake there may also fail them.
CASCADES = {
    "softmax": {"check-cross-entropy-grad", "check-gradient-check"},
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
# The checks' cases and answer key, without a kernel


def test_the_cases_hit_the_numerical_traps() -> None:
    """The large logits really round a probability to 0 or 1, overflow e^z, and underflow a softmax."""
    cases = {case: (z, y) for case, z, y in losses._bce_cases()}
    z, _ = cases["rounded"]
    with np.errstate(over="ignore"):
        assert np.any(1 / (1 + np.exp(-z)) == 1.0) and np.all(np.abs(z) < 709)
    z, _ = cases["overflow"]
    assert np.any(z > np.log(np.finfo(float).max))
    softmax_cases = dict(losses._softmax_cases())
    with np.errstate(all="ignore"):
        naive = np.exp(softmax_cases["large"]) / np.exp(softmax_cases["large"]).sum(axis=1, keepdims=True)
        assert np.any(np.isnan(naive))
        far = softmax_cases["rows apart"]
        shifted = np.exp(far - far.max())
        assert np.any(np.isnan(shifted / shifted.sum(axis=1, keepdims=True)))
    assert np.any(losses._softmax(softmax_cases["large"]) == 0.0)  # so the log of the softmax is -inf


def test_a_square_case_and_a_non_square_case() -> None:
    shapes = [z.shape for _, z in losses._softmax_cases()[:2]] + [z.shape for _, z, _ in losses._ce_cases()[:2]]
    assert shapes[0][0] == shapes[0][1] and shapes[1][0] != shapes[1][1]
    assert shapes[2][0] != shapes[2][1] and shapes[3][0] == shapes[3][1]


def _numerical_delta(loss, z: np.ndarray) -> np.ndarray:
    probe = z.copy()
    return numerical_gradient(lambda: loss(probe), probe)


DELTA_OF = {  # the candidates of task 6, as functions of (y_hat, y)
    "A": lambda y_hat, y: y_hat - y,
    "B": lambda y_hat, y: (y_hat - y) * y_hat * (1 - y_hat),
    "C": lambda y_hat, y: 2 * (y_hat - y) * y_hat * (1 - y_hat),
    "D": lambda y_hat, y: losses._softmax_mse_delta(y_hat, y),
    "E": lambda y_hat, y: (y_hat - y) / (y_hat * (1 - y_hat)),
    "F": lambda y_hat, y: 2 * (y_hat - y),
}
OUTPUT = {"identity": lambda z: z, "sigmoid": losses._sigmoid, "softmax": losses._softmax}
LOSS = {  # summed over the samples, so that its gradient is the per-sample delta
    "half squared error": lambda y_hat, y: 0.5 * np.sum((y_hat - y) ** 2),
    "squared error": lambda y_hat, y: np.sum((y_hat - y) ** 2),
    "binary cross-entropy": lambda y_hat, y: -np.sum(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)),
    "cross-entropy": lambda y_hat, y: -np.sum(y * np.log(y_hat)),
}


@pytest.mark.parametrize("pair", list(losses.PAIRS), ids=lambda pair: f"{pair[0]}+{pair[1]}")
def test_the_answer_key_of_the_pairs_agrees_with_central_differences(pair) -> None:
    rng = np.random.default_rng(21)
    z = rng.normal(size=(4, 3))
    y = np.eye(3)[[0, 2, 1, 2]]
    output, loss = OUTPUT[pair[0]], LOSS[pair[1]]
    measured = _numerical_delta(lambda p: loss(output(p), y), z)
    right = losses.PAIRS[pair]
    assert np.allclose(DELTA_OF[right](output(z), y), measured, atol=1e-7)
    for letter, delta in DELTA_OF.items():  # and no other candidate fits
        if letter != right:
            assert not np.allclose(delta(output(z), y), measured, atol=1e-4), (pair, letter)


def test_the_references_agree_with_central_differences() -> None:
    for _, z, y in losses._bce_cases()[:1] + losses._bce_cases()[2:]:
        measured = _numerical_delta(lambda p: np.sum(losses._bce_entries(p, y)), z)
        assert np.allclose(losses._sigmoid(z) - y, measured, atol=1e-6)
    for _, z, y in losses._ce_cases():
        measured = _numerical_delta(lambda p: np.mean(-np.sum(y * losses._log_softmax(p), axis=1)), z)
        assert np.allclose(losses._planted("")(z, y), measured, atol=1e-7)
    y_hat = losses._softmax(np.array([[0.3, -1.2, 2.0, 0.1]]))
    z = np.log(y_hat)
    rows = [numerical_gradient(lambda: losses._softmax(z)[0, k], z) for k in range(4)]
    assert np.allclose(losses._jacobian(y_hat), np.vstack(rows), atol=1e-8)


def test_a_correct_gradient_passes_the_gradient_checks_threshold() -> None:
    rng = np.random.default_rng(13)
    moderate = (rng.normal(scale=2.0, size=(5, 3)), losses._labels(rng, 5, 3))
    large = (np.array([[1000.0, 0.0, -1000.0], [400.0, -400.0, 0.0]]), np.eye(3)[[0, 1]])
    for z, y in (moderate, large):
        assert losses._whole(losses._planted("")(z, y), losses._numerical(z, y)) < 1e-8


def test_pair_feedback_never_names_the_right_letter() -> None:
    for pair, why in losses._WHY.items():
        for text in why.values():
            assert f"'{losses.PAIRS[pair]}'" not in text and f" {losses.PAIRS[pair]} " not in text, (pair, text)
