"""Exercise 6, training a real network: full marks for the solution, zero for the untouched exercise,
feedback that names each catalogued mistake without showing the solution's code, other correct answers
accepted, and check cases built so that every mistake they name can be told apart."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from backprop_book import numerical_gradient
from backprop_book.checks import training
from backprop_book.grade import grade_many
from exercise_support import RELEASES, feedback, score, with_answer
from exercise_support import solution as solution_of

ROOT = Path(__file__).resolve().parent.parent
NAME = "06_training_digits"
SOLUTION, EXERCISE = ROOT / "solutions" / f"{NAME}.ipynb", ROOT / "exercises" / f"{NAME}.ipynb"
TIMEOUT = 10  # seconds per cell
QUESTIONS = ["check-prepare", "check-minibatches", "check-counts", "check-sgd-epoch", "check-accuracy",
             "check-best-epoch", "check-rate"]
# Code that feedback must never show: the solution's operations, axes and NumPy calls.
CODE = ("@", ".T", "axis=", "np.", "+=", "-=", "//", "/ 16", "argmax", "argmin", "permutation(", "[:, None]",
        "eye(", "isfinite", ".mean(", ".sum(", "keepdims", "yield ")


def test_solution_scores_full_marks_and_the_exercise_zero() -> None:
    sol, ex = grade_many([SOLUTION, EXERCISE], RELEASES, TIMEOUT, jobs=2)
    assert [q.id for q in sol.questions] == QUESTIONS
    assert sol.max_score == 10 and sol.score == 10, [(q.id, q.feedback) for q in sol.questions]
    assert sol.messages == []
    assert ex.ran and ex.score == 0 and ex.max_score == 10
    assert all(q.feedback.startswith("not answered yet") for q in ex.questions), ex.questions


def solution() -> dict:
    return solution_of(NAME)


# ----------------------------------------------------------------------------
# The catalogue: each mistake made in ONE answer cell of an otherwise correct solution:
# (answer cell, its wrong source, the question that must score 0, words its feedback must contain).
# Every check gets its own inputs (sgd_epoch its own mini-batches and gradient function), so a
# mistake in one answer fails no other question: there are no cascades.

PREPARE = ("def prepare(X_raw, labels, n_classes):\n"
           "    X = {X}\n"
           "    Y = {Y}\n"
           "    return X, Y")
P_RIGHT = {"X": "X_raw / 16", "Y": "np.eye(n_classes)[labels]"}
MINI = ("def minibatches(X, Y, batch, rng):\n"
        "    n = len(X)\n"
        "    order = {order}\n"
        "    for start in {starts}:\n"
        "        rows = order[start:start + batch]\n"
        "        yield X[rows], Y[rows]")
M_RIGHT = {"order": "rng.permutation(n)", "starts": "range(0, n, batch)"}
SGD = ("def sgd_epoch(Ws, bs, batches, eta, grad_fn):\n"
       "    for X_batch, Y_batch in batches:\n"
       "        dWs, dbs = grad_fn(Ws, bs, X_batch, Y_batch)\n"
       "        Ws = [W - {step} for W, dW in zip(Ws, dWs)]\n"
       "        bs = [b - {bstep} for b, db in zip(bs, dbs)]\n"
       "    return Ws, bs")
S_RIGHT = {"step": "eta * dW", "bstep": "eta * db"}
RATE = ("def largest_stable_rate(run, etas):\n"
        "    stable = [eta for eta in etas if {rule}]\n"
        "    return max(stable) if stable else None")
STABLE = "np.all(np.isfinite(run(eta))) and np.all(run(eta) <= run(eta)[0])"


def fill(template, right, **changes):
    return template.format(**{**right, **changes})


MISTAKES = {
    # 1. prepare
    "unscaled": ("prepare", fill(PREPARE, P_RIGHT, X="X_raw.copy()"), "check-prepare", "still the counts 0..16"),
    "divided-by-255": ("prepare", fill(PREPARE, P_RIGHT, X="X_raw / 255"), "check-prepare", "255"),
    "divided-by-largest-present": ("prepare", fill(PREPARE, P_RIGHT, X="X_raw / X_raw.max()"), "check-prepare",
                                   "largest count present"),
    "floor-division": ("prepare", fill(PREPARE, P_RIGHT, X="X_raw // 16"), "check-prepare", "Floor division"),
    "labels-kept": ("prepare", fill(PREPARE, P_RIGHT, Y="labels"), "check-prepare", "holds the labels themselves"),
    "labels-as-column": ("prepare", fill(PREPARE, P_RIGHT, Y="labels.reshape(-1, 1)"), "check-prepare",
                         "holds the labels themselves"),
    "classes-from-largest-label": ("prepare", fill(PREPARE, P_RIGHT, Y="np.eye(labels.max() + 1)[labels]"),
                                   "check-prepare", "one too few"),
    "classes-counted-from-1": ("prepare", fill(PREPARE, P_RIGHT, Y="np.eye(n_classes)[labels - 1]"),
                               "check-prepare", "one column to the left"),
    "one-column-per-sample": ("prepare", fill(PREPARE, P_RIGHT, Y="np.eye(n_classes)[labels].T"), "check-prepare",
                              "one column per sample"),
    "scaled-in-place": ("prepare", "def prepare(X_raw, labels, n_classes):\n    X_raw /= 16\n"
                                   "    return X_raw, np.eye(n_classes)[labels]", "check-prepare",
                        "changed the arrays it was given"),
    # 2. minibatches
    "not-shuffled": ("minibatches", fill(MINI, M_RIGHT, order="np.arange(n)"), "check-minibatches", "not shuffled"),
    "two-permutations": ("minibatches",
                         "def minibatches(X, Y, batch, rng):\n"
                         "    order_X, order_Y = rng.permutation(len(X)), rng.permutation(len(X))\n"
                         "    for start in range(0, len(X), batch):\n"
                         "        yield X[order_X[start:start + batch]], Y[order_Y[start:start + batch]]",
                         "check-minibatches", "two different random orders"),
    "shuffled-separately-in-place": ("minibatches",
                                     "def minibatches(X, Y, batch, rng):\n"
                                     "    rng.shuffle(X)\n    rng.shuffle(Y)\n"
                                     "    for start in range(0, len(X), batch):\n"
                                     "        yield X[start:start + batch], Y[start:start + batch]",
                                     "check-minibatches", "shuffled in place, separately"),
    "shuffled-together-in-place": ("minibatches",
                                   "def minibatches(X, Y, batch, rng):\n"
                                   "    order = rng.permutation(len(X))\n    X[:] = X[order]\n    Y[:] = Y[order]\n"
                                   "    for start in range(0, len(X), batch):\n"
                                   "        yield X[start:start + batch], Y[start:start + batch]",
                                   "check-minibatches", "shuffled them in place"),
    "last-batch-dropped": ("minibatches", fill(MINI, M_RIGHT, starts="range(0, n - batch + 1, batch)"),
                           "check-minibatches", "is dropped"),
    "last-batch-filled-up": ("minibatches",
                             "def minibatches(X, Y, batch, rng):\n"
                             "    order = rng.permutation(len(X))\n"
                             "    for start in range(0, len(X), batch):\n"
                             "        rows = np.take(order, range(start, start + batch), mode='wrap')\n"
                             "        yield X[rows], Y[rows]",
                             "check-minibatches", "filled up"),
    "empty-last-batch": ("minibatches", fill(MINI, M_RIGHT, starts="range(0, n + 1, batch)"), "check-minibatches",
                         "empty mini-batch"),
    "with-replacement": ("minibatches", fill(MINI, M_RIGHT, order="rng.integers(0, n, size=n)"),
                         "check-minibatches", "with replacement"),
    "only-batch-order-shuffled": ("minibatches",
                                  "def minibatches(X, Y, batch, rng):\n"
                                  "    for start in rng.permutation(np.arange(0, len(X), batch)):\n"
                                  "        yield X[start:start + batch], Y[start:start + batch]",
                                  "check-minibatches", "only the order of the mini-batches"),
    "nearly-equal-parts": ("minibatches",
                           "def minibatches(X, Y, batch, rng):\n"
                           "    order = rng.permutation(len(X))\n"
                           "    for rows in np.array_split(order, -(-len(X) // batch)):\n"
                           "        yield X[rows], Y[rows]",
                           "check-minibatches", "the shorter one last give sizes [4, 4, 2]"),
    "global-random": ("minibatches", fill(MINI, M_RIGHT, order="np.random.permutation(n)"), "check-minibatches",
                      "not drawn from the rng passed in"),
    "fixed-seed-inside": ("minibatches", fill(MINI, M_RIGHT, order="np.random.default_rng(0).permutation(n)"),
                          "check-minibatches", "two epochs in a row"),
    # 3. counts
    "updates-floor": ("counts", "UPDATES_PER_EPOCH = 31\nLAST_BATCH_SIZE = 8", "check-counts", "one more update"),
    "updates-ratio": ("counts", "UPDATES_PER_EPOCH = 1000 / 32\nLAST_BATCH_SIZE = 8", "check-counts",
                      "whole number"),
    "last-batch-full": ("counts", "UPDATES_PER_EPOCH = 32\nLAST_BATCH_SIZE = 32", "check-counts", "is shorter"),
    # 4. sgd_epoch
    "uphill": ("sgd-epoch", fill(SGD, S_RIGHT, step="-eta * dW", bstep="-eta * db"), "check-sgd-epoch", "AGAINST"),
    "mean-divided-again": ("sgd-epoch", fill(SGD, S_RIGHT, step="eta * dW / len(X_batch)",
                                             bstep="eta * db / len(X_batch)"), "check-sgd-epoch", "B times too small"),
    "step-of-the-sum": ("sgd-epoch", fill(SGD, S_RIGHT, step="eta * len(X_batch) * dW",
                                          bstep="eta * len(X_batch) * db"), "check-sgd-epoch", "SUMMED"),
    "no-learning-rate": ("sgd-epoch", fill(SGD, S_RIGHT, step="dW", bstep="db"), "check-sgd-epoch",
                         "learning rate eta is missing"),
    "biases-not-updated": ("sgd-epoch", fill(SGD, S_RIGHT, bstep="0 * db"), "check-sgd-epoch",
                           "biases were not updated"),
    "layer-updated-before-the-others": ("sgd-epoch",
                                        "def sgd_epoch(Ws, bs, batches, eta, grad_fn):\n"
                                        "    for X_batch, Y_batch in batches:\n"
                                        "        for i in range(len(Ws)):\n"
                                        "            dWs, dbs = grad_fn(Ws, bs, X_batch, Y_batch)\n"
                                        "            Ws[i] = Ws[i] - eta * dWs[i]\n"
                                        "            bs[i] = bs[i] - eta * dbs[i]\n"
                                        "    return Ws, bs",
                                        "check-sgd-epoch", "before the gradients of the other layers"),
    "weights-then-biases-regraded": ("sgd-epoch",
                                     "def sgd_epoch(Ws, bs, batches, eta, grad_fn):\n"
                                     "    for X_batch, Y_batch in batches:\n"
                                     "        dWs = grad_fn(Ws, bs, X_batch, Y_batch)[0]\n"
                                     "        Ws = [W - eta * dW for W, dW in zip(Ws, dWs)]\n"
                                     "        dbs = grad_fn(Ws, bs, X_batch, Y_batch)[1]\n"
                                     "        bs = [b - eta * db for b, db in zip(bs, dbs)]\n"
                                     "    return Ws, bs",
                                     "check-sgd-epoch", "called grad_fn 6 times for 3 mini-batches"),
    "steps-not-kept": ("sgd-epoch",
                       "def sgd_epoch(Ws, bs, batches, eta, grad_fn):\n"
                       "    for X_batch, Y_batch in batches:\n"
                       "        dWs, dbs = grad_fn(Ws, bs, X_batch, Y_batch)\n"
                       "        new_Ws = [W - eta * dW for W, dW in zip(Ws, dWs)]\n"
                       "        new_bs = [b - eta * db for b, db in zip(bs, dbs)]\n"
                       "    return new_Ws, new_bs",
                       "check-sgd-epoch", "only the last mini-batch's step"),
    "gradients-all-first": ("sgd-epoch",
                            "def sgd_epoch(Ws, bs, batches, eta, grad_fn):\n"
                            "    grads = [grad_fn(Ws, bs, X_batch, Y_batch) for X_batch, Y_batch in batches]\n"
                            "    for dWs, dbs in grads:\n"
                            "        Ws = [W - eta * dW for W, dW in zip(Ws, dWs)]\n"
                            "        bs = [b - eta * db for b, db in zip(bs, dbs)]\n"
                            "    return Ws, bs",
                            "check-sgd-epoch", "CURRENT parameters"),
    "return-inside-the-loop": ("sgd-epoch",
                               "def sgd_epoch(Ws, bs, batches, eta, grad_fn):\n"
                               "    for X_batch, Y_batch in batches:\n"
                               "        dWs, dbs = grad_fn(Ws, bs, X_batch, Y_batch)\n"
                               "        Ws = [W - eta * dW for W, dW in zip(Ws, dWs)]\n"
                               "        bs = [b - eta * db for b, db in zip(bs, dbs)]\n"
                               "        return Ws, bs",
                               "check-sgd-epoch", "only the first mini-batch"),
    "in-place-without-return": ("sgd-epoch",
                                "def sgd_epoch(Ws, bs, batches, eta, grad_fn):\n"
                                "    for X_batch, Y_batch in batches:\n"
                                "        dWs, dbs = grad_fn(Ws, bs, X_batch, Y_batch)\n"
                                "        for W, b, dW, db in zip(Ws, bs, dWs, dbs):\n"
                                "            W -= eta * dW\n"
                                "            b -= eta * db",
                                "check-sgd-epoch", "returned None"),
    # 5. accuracy
    "argmax-over-the-samples": ("accuracy", "def accuracy(Y_hat, labels):\n"
                                            "    return np.mean(np.argmax(Y_hat, axis=0) == labels)",
                                "check-accuracy", "down each column"),
    "count-not-share": ("accuracy", "def accuracy(Y_hat, labels):\n"
                                    "    return np.sum(np.argmax(Y_hat, axis=1) == labels)",
                        "check-accuracy", "NUMBER of samples"),
    "percentage": ("accuracy", "def accuracy(Y_hat, labels):\n"
                               "    return 100 * np.mean(np.argmax(Y_hat, axis=1) == labels)",
                   "check-accuracy", "percentage"),
    "labels-as-a-column": ("accuracy", "def accuracy(Y_hat, labels):\n"
                                       "    return np.mean(np.argmax(Y_hat, axis=1) == labels[:, None])",
                           "check-accuracy", "a row and a column"),
    "largest-value-not-column": ("accuracy", "def accuracy(Y_hat, labels):\n"
                                             "    return np.mean(np.max(Y_hat, axis=1) == labels)",
                                 "check-accuracy", "largest output VALUE"),
    # 6. best_epoch
    "epoch-counted-from-0": ("best-epoch", "def best_epoch(train_losses, val_losses):\n"
                                           "    return int(np.argmin(val_losses))", "check-best-epoch", "off by one"),
    "chosen-on-training-loss": ("best-epoch", "def best_epoch(train_losses, val_losses):\n"
                                              "    return int(np.argmin(train_losses)) + 1",
                                "check-best-epoch", "TRAINING loss"),
    "later-of-equal-losses": ("best-epoch", "def best_epoch(train_losses, val_losses):\n"
                                            "    best = 0\n"
                                            "    for i, v in enumerate(val_losses):\n"
                                            "        if v <= val_losses[best]:\n"
                                            "            best = i\n"
                                            "    return best + 1", "check-best-epoch", "later one"),
    "last-epoch": ("best-epoch", "def best_epoch(train_losses, val_losses):\n    return len(val_losses)",
                   "check-best-epoch", "the last epoch"),
    # 7. largest_stable_rate
    "only-the-last-loss": ("rate", fill(RATE, {}, rule="run(eta)[-1] <= run(eta)[0]"), "check-rate", "LAST loss"),
    "nan-counted-stable": ("rate", fill(RATE, {}, rule="not np.any(run(eta) > run(eta)[0])"), "check-rate",
                           "nan"),
    "only-inf-and-nan": ("rate", fill(RATE, {}, rule="np.all(np.isfinite(run(eta)))"), "check-rate",
                         "large but finite"),
    "must-fall-every-epoch": ("rate", fill(RATE, {}, rule="np.all(np.isfinite(run(eta))) and "
                                                         "np.all(np.diff(run(eta)) < 0)"),
                              "check-rate", "need not fall at every single epoch"),
    "rate-with-lowest-loss": ("rate", "def largest_stable_rate(run, etas):\n"
                                      "    finals = {eta: run(eta)[-1] for eta in etas}\n"
                                      "    finals = {eta: f for eta, f in finals.items() if np.isfinite(f)}\n"
                                      "    return min(finals, key=finals.get) if finals else None",
                              "check-rate", "ends with the lowest loss"),
    "never-measured": ("rate", "def largest_stable_rate(run, etas):\n    return max(etas)", "check-rate",
                       "whatever its run shows"),
    "assumes-sorted-rates": ("rate", "def largest_stable_rate(run, etas):\n"
                                     "    best = None\n"
                                     "    for eta in etas:\n"
                                     f"        if not ({STABLE}):\n"
                                     "            break\n"
                                     "        best = eta\n"
                                     "    return best", "check-rate", "as if the list were sorted"),
    "no-none-when-all-diverge": ("rate", "def largest_stable_rate(run, etas):\n"
                                         f"    return max(eta for eta in etas if {STABLE})",
                                 "check-rate", "should return None"),
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
        text = feedback(sub, question)
        assert score(sub, question) == 0, (name, text)
        assert words in text, (name, text)
        assert not any(code in text for code in CODE), (name, text)
        others = [q for q in sub.questions if q.id != question]
        assert all(q.score == q.max_score for q in others), (name, [(q.id, q.feedback) for q in others])


# Other correct answers: in-place updates, a shuffled index array, a list of mini-batches, and so on.
ALTERNATIVES = {
    "prepare": ("def prepare(X_raw, labels, n_classes):\n"
                "    Y = np.zeros((len(labels), n_classes), dtype=int)\n"
                "    for s, label in enumerate(labels):\n"
                "        Y[s, label] = 1\n"
                "    return X_raw.astype(float) / 16.0, Y"),
    "minibatches": ("def minibatches(X, Y, batch, rng):\n"
                    "    index = np.arange(len(X))\n"
                    "    rng.shuffle(index)\n"
                    "    X_shuffled, Y_shuffled = X[index], Y[index]\n"
                    "    return [(X_shuffled[i:i + batch], Y_shuffled[i:i + batch]) for i in range(0, len(X), batch)]"),
    "counts": "UPDATES_PER_EPOCH = int(np.ceil(1000 / 32))\nLAST_BATCH_SIZE = 1000 - 31 * 32",
    "sgd-epoch": ("def sgd_epoch(Ws, bs, batches, eta, grad_fn):\n"
                  "    for X_batch, Y_batch in batches:\n"
                  "        dWs, dbs = grad_fn(Ws, bs, X_batch, Y_batch)\n"
                  "        for W, b, dW, db in zip(Ws, bs, dWs, dbs):\n"
                  "            W -= eta * dW\n"
                  "            b -= eta * db\n"
                  "    return Ws, bs"),
    "accuracy": ("def accuracy(Y_hat, labels):\n"
                 "    return sum(int(np.argmax(row) == label) for row, label in zip(Y_hat, labels)) / len(labels)"),
    "best-epoch": ("def best_epoch(train_losses, val_losses):\n"
                   "    return list(val_losses).index(min(val_losses)) + 1"),
    "rate": ("def largest_stable_rate(run, etas):\n"
             "    for eta in sorted(etas, reverse=True):\n"
             "        losses = run(eta)\n"
             "        if not np.isnan(losses).any() and losses.max() <= losses[0]:\n"
             "            return eta\n"
             "    return None"),
}


def test_other_correct_answers_get_full_marks(tmp_path: Path) -> None:
    nb = solution()
    for answer, source in ALTERNATIVES.items():
        nb = with_answer(nb, answer, source)
    path = tmp_path / "alternatives.ipynb"
    path.write_text(json.dumps(nb))
    sub = grade_many([path], RELEASES, TIMEOUT, jobs=1)[0]
    assert sub.score == sub.max_score, [(q.id, q.feedback) for q in sub.questions]


# ----------------------------------------------------------------------------
# The check cases, without a kernel


def test_each_check_runs_in_well_under_a_second() -> None:
    ns: dict = {}
    for cell in solution()["cells"]:
        gid = cell["metadata"]["nbgrader"]["grade_id"]
        if cell["cell_type"] == "code" and gid != "demo":
            start = time.perf_counter()
            exec("".join(cell["source"]), ns)
            assert time.perf_counter() - start < 1.0, gid


def test_the_setup_cells_gradients_are_the_checks() -> None:
    """sgd_epoch's check hands the learner its own gradient function: it must be the setup cell's."""
    setup = next(c for c in solution()["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "setup")
    ns: dict = {}
    exec("".join(setup["source"]), ns)
    Ws, bs = training._init((4, 6, 5, 3), 70, bias_scale=0.1)
    X, _, Y = training._data(71, 9, 4, 3)
    for mine, theirs in zip(sum(training._gradients(Ws, bs, X, Y), []), sum(ns["gradients"](Ws, bs, X, Y), [])):
        assert np.array_equal(mine, theirs)
    assert training._loss(Ws, bs, X, Y) == pytest.approx(ns["loss"](Ws, bs, X, Y), rel=1e-15)


def test_the_checks_gradients_agree_with_central_differences() -> None:
    Ws, bs = training._init((4, 6, 5, 3), 72, bias_scale=0.1)
    X, _, Y = training._data(73, 9, 4, 3)
    for grad, param in zip(sum(training._gradients(Ws, bs, X, Y), []), Ws + bs):
        measured = numerical_gradient(lambda: training._loss(Ws, bs, X, Y), param)
        assert np.linalg.norm(grad - measured) / (np.linalg.norm(grad) + np.linalg.norm(measured)) < 1e-7


def test_the_sgd_cases_end_with_a_shorter_mini_batch() -> None:
    for _, sizes, batch_sizes, _ in training._SGD_CASES:
        assert batch_sizes[-1] < batch_sizes[0] and len(set(sizes)) == len(sizes)


def test_every_sgd_mistake_changes_the_result() -> None:
    for seed, sizes, batch_sizes, eta in training._SGD_CASES:
        Ws, bs = training._init(sizes, seed, bias_scale=0.1)
        X, _, Y = training._data(seed + 1, sum(batch_sizes), sizes[0], sizes[-1])
        starts = np.cumsum((0,) + batch_sizes)
        batches = [(X[a:b], Y[a:b]) for a, b in zip(starts[:-1], starts[1:])]
        results = {m: training._sgd(Ws, bs, batches, eta, m) for m in ["", *training._SGD_MISTAKES]}
        names = list(results)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                same = all(np.allclose(p, q) for p, q in zip(results[a], results[b]))
                assert not same or {a, b} == {"layer by layer", "layer by layer, output first"}, (a, b)


def test_the_accuracy_cases_tell_every_mistake_apart() -> None:
    for case in training._ACCURACY_CASES:
        _, Y_hat, labels = training._accuracy_case(*case)
        right = np.mean(np.argmax(Y_hat, axis=1) == labels)
        values = [right] + [value for value, _ in training._accuracy_mistakes(Y_hat, labels)]
        assert 0.5 < right < 1
        assert len({round(v, 9) for v in values}) == len(values), (case, values)
    first = training._accuracy_case(*training._ACCURACY_CASES[0])[1]
    assert first.shape[0] == first.shape[1]  # the wrong axis runs, and only its value tells


def test_the_epoch_cases_tell_every_mistake_apart() -> None:
    tables = [training._epoch_answers(train, val) for train, val in training._EPOCH_CASES]
    signatures = {name: tuple(t[name] for t in tables) for name in tables[0]}
    assert len(set(signatures.values())) == len(signatures), signatures
    assert set(signatures) == {"right", *training._EPOCH_MISTAKES}


def test_the_rate_cases_tell_every_mistake_apart() -> None:
    with np.errstate(all="ignore"):
        tables = [training._rate_answers(run, etas) for _, run, etas in training._RATE_CASES]
    signatures = {name: tuple(t[name] for t in tables) for name in tables[0]}
    assert len(set(signatures.values())) == len(signatures), signatures
    assert set(signatures) == {"right", *training._RATE_MISTAKES}
    assert signatures["right"][-1] is None  # one case where every rate diverges


def test_the_real_run_has_a_rate_that_leaps_and_comes_back() -> None:
    """In the real run, the trap of the chapter: a loss far above the start, then below it again."""
    _, run, etas = training._RATE_CASES[0]
    with np.errstate(all="ignore"):
        runs = {eta: run(eta) for eta in etas}
    assert any(np.all(np.isfinite(l)) and l.max() > 2 * l[0] and l[-1] < l[0] for l in runs.values())
    assert list(etas) != sorted(etas)
