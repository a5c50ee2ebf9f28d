"""Exercise 7, debugging backprop: full marks for the solution, zero for the untouched exercise, feedback
that names each catalogued mistake without showing the solution's code, and a bug hunt whose feedback
never tells which backward pass has which mistake."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from backprop_book.checks import debugging
from backprop_book.grade import grade_many
from exercise_support import RELEASES, feedback, score, with_answer
from exercise_support import solution as solution_of

ROOT = Path(__file__).resolve().parent.parent
NAME = "07_debugging"
SOLUTION, EXERCISE = ROOT / "solutions" / f"{NAME}.ipynb", ROOT / "exercises" / f"{NAME}.ipynb"
TIMEOUT = 10  # seconds per cell
QUESTIONS = ["check-central-difference", "check-relative-error", "check-whole-relative-error", "check-best-eps",
             "check-near-kinks", "check-locate-bug", "check-find-bug"]
# Code that feedback must never show: the solution's expressions and NumPy calls.
CODE = ("@", ".T", "axis=", "np.", "max(", "norm(", "argmin", "argwhere", "2 * eps", "/ (2", "+=", "-=",
        "ndindex", "[::-1]", "backward_1", "backward_2", "backward_3", "backward_4", "backward_5")


def test_solution_scores_full_marks_and_the_exercise_zero() -> None:
    sol, ex = grade_many([SOLUTION, EXERCISE], RELEASES, TIMEOUT, jobs=2)
    assert [q.id for q in sol.questions] == QUESTIONS
    assert sol.max_score == 11 and sol.score == 11, [(q.id, q.feedback) for q in sol.questions]
    assert sol.messages == []
    assert ex.ran and ex.score == 0 and ex.max_score == 11
    assert all(q.feedback.startswith("not answered yet") for q in ex.questions), ex.questions


def solution() -> dict:
    return solution_of(NAME)


# ----------------------------------------------------------------------------
# The catalogue: each mistake made in ONE answer cell of an otherwise correct solution.


def central_fn(nudge_up: str = "param[index] = saved + eps", nudge_down: str = "param[index] = saved - eps",
               restore: str = "param[index] = saved", grad: str = "(plus - minus) / (2 * eps)",
               before: str = "") -> str:
    return ("def central_difference(f, param, eps):\n"
            + before +
            "    grad = np.zeros_like(param)\n"
            "    for index in np.ndindex(param.shape):\n"
            "        saved = param[index]\n"
            f"        {nudge_up}\n"
            "        plus = f()\n"
            f"        {nudge_down}\n"
            "        minus = f()\n"
            f"        {restore}\n"
            f"        grad[index] = {grad}\n"
            "    return grad")


ONE_SIDED = ("def central_difference(f, param, eps):\n"
             "    grad = np.zeros_like(param)\n"
             "    for index in np.ndindex(param.shape):\n"
             "        base = f()\n"
             "        saved = param[index]\n"
             "        param[index] = saved + eps\n"
             "        grad[index] = (f() - base) / eps\n"
             "        param[index] = saved\n"
             "    return grad")
ALL_AT_ONCE = ("def central_difference(f, param, eps):\n"
               "    saved = param.copy()\n"
               "    param[...] = saved + eps\n"
               "    plus = f()\n"
               "    param[...] = saved - eps\n"
               "    minus = f()\n"
               "    param[...] = saved\n"
               "    return np.full_like(param, (plus - minus) / (2 * eps))")
ON_A_COPY = ("def central_difference(f, param, eps):\n"
             "    param = param.copy()\n"
             "    grad = np.zeros_like(param)\n"
             "    for index in np.ndindex(param.shape):\n"
             "        saved = param[index]\n"
             "        param[index] = saved + eps\n"
             "        plus = f()\n"
             "        param[index] = saved - eps\n"
             "        minus = f()\n"
             "        param[index] = saved\n"
             "        grad[index] = (plus - minus) / (2 * eps)\n"
             "    return grad")


def relerr_fn(body: str) -> str:
    return f"def relative_error(g, g_num, floor):\n    return {body}"


def whole_fn(body: str) -> str:
    return ("def whole_relative_error(grads, grads_num):\n"
            "    g = np.concatenate([np.ravel(a) for a in grads])\n"
            "    n = np.concatenate([np.ravel(a) for a in grads_num])\n"
            f"    return {body}")


def eps_fn(body: str) -> str:
    return ("def best_eps(f, param, grad, epsilons):\n"
            "    errors = [whole_relative_error([grad], [central_difference(f, param, eps)]) for eps in epsilons]\n"
            f"    return {body}")


ONE_SIDED_EPS = ("def best_eps(f, param, grad, epsilons):\n"
                 "    errors = []\n"
                 "    for eps in epsilons:\n"
                 "        measured = np.zeros_like(param)\n"
                 "        for i in np.ndindex(param.shape):\n"
                 "            base = f()\n"
                 "            saved = param[i]\n"
                 "            param[i] = saved + eps\n"
                 "            measured[i] = (f() - base) / eps\n"
                 "            param[i] = saved\n"
                 "        errors.append(whole_relative_error([grad], [measured]))\n"
                 "    return epsilons[int(np.argmin(errors))]")


def kinks_fn(layer: str = "fs[l - 1] == 'relu'", test: str = "np.abs(zs[l]) < eps", triple: str = "(l, int(s), int(k))",
             start: str = "1", empty: str = "found") -> str:
    return ("def near_kinks(zs, fs, eps):\n"
            "    found = []\n"
            f"    for l in range({start}, len(zs)):\n"
            f"        if {layer}:\n"
            f"            found += [{triple} for s, k in np.argwhere({test})]\n"
            f"    return {empty}")


def locate_fn(order: str = "range(len(Ws), 0, -1)", pairs: str = "((dWs[l - 1], Ws[l - 1]), (dbs[l - 1], bs[l - 1]))",
              shapes: bool = True, floor: str = "FLOOR", answer: str = "l") -> str:
    shape_test = ("            if np.shape(grad) != param.shape:\n"
                  f"                return {answer}\n") if shapes else ""
    return ("def locate_bug(backward_fn, Ws, bs, fs, X, Y):\n"
            "    zs, activations = forward(Ws, bs, fs, X)\n"
            "    dWs, dbs = backward_fn(Ws, fs, zs, activations, Y)\n"
            "    loss = lambda: loss_of(Ws, bs, fs, X, Y)\n"
            f"    for l in {order}:\n"
            f"        for grad, param in {pairs}:\n"
            + shape_test +
            f"            if relative_error(grad, central_difference(loss, param, EPS), {floor}) >= TOLERANCE:\n"
            f"                return {answer}\n"
            "    return None")


def find_fn(transposed: str = "transposed gradient", wrong_layer: str = "wrong layer's activations",
            sum_test: bool = True, tanh_test: bool = True, none: str = "None") -> str:
    return ("def find_bug(backward_fn):\n"
            "    if locate_bug(backward_fn, Ws, bs, fs, X, Y) is None:\n"
            f"        return {none}\n"
            "    zs, activations = forward(Ws, bs, fs, X)\n"
            "    dWs, dbs = backward_fn(Ws, fs, zs, activations, Y)\n"
            "    shapes = [np.shape(dW) for dW in dWs]\n"
            "    if all(shape == W.shape[::-1] for shape, W in zip(shapes, Ws)):\n"
            f"        return {transposed!r}\n"
            "    if any(shape != W.shape for shape, W in zip(shapes, Ws)):\n"
            f"        return {wrong_layer!r}\n"
            "    loss = lambda: loss_of(Ws, bs, fs, X, Y)\n"
            + ("    if all(relative_error(g / len(X), central_difference(loss, p, EPS), FLOOR) < TOLERANCE\n"
               "           for g, p in zip(dWs + dbs, Ws + bs)):\n"
               "        return 'sum instead of mean'\n" if sum_test else "")
            + ("    if locate_bug(backward_fn, Ws, bs, fs_tanh, X, Y) is None:\n"
               "        return 'tanh derivative on a sigmoid layer'\n" if tanh_test else "")
            + "    return 'missing derivative'")


FLOORED = "np.maximum(np.abs(g) + np.abs(g_num), floor)"
MISTAKES = {
    # 1. the central difference
    "one-sided": ("central-difference", ONE_SIDED, "check-central-difference", "one-sided difference"),
    "divided-by-eps": ("central-difference", central_fn(grad="(plus - minus) / eps"), "check-central-difference",
                       "whole distance"),
    "precedence": ("central-difference", central_fn(grad="(plus - minus) / 2 * eps"), "check-central-difference",
                   "divided by 2 and then multiplied by eps"),
    "not-restored": ("central-difference", central_fn(restore="pass"), "check-central-difference",
                     "changed the parameter"),
    "restored-by-arithmetic": ("central-difference",
                               central_fn(nudge_up="param[index] += eps", nudge_down="param[index] -= 2 * eps",
                                          restore="param[index] += eps"),
                               "check-central-difference", "in its last digits"),
    "all-at-once": ("central-difference", ALL_AT_ONCE, "check-central-difference", "nudged at once"),
    "fixed-eps": ("central-difference", central_fn(before="    eps = 1e-6\n"), "check-central-difference",
                  "not with the eps it was given"),
    "nudges-a-copy": ("central-difference", ON_A_COPY, "check-central-difference", "not of a copy"),
    # 2. the worst element with a floor
    "no-floor": ("relative-error", relerr_fn("np.max(np.abs(g - g_num) / (np.abs(g) + np.abs(g_num)))"),
                 "check-relative-error", "0 / 0"),
    "floor-added": ("relative-error", relerr_fn("np.max(np.abs(g - g_num) / (np.abs(g) + np.abs(g_num) + floor))"),
                    "check-relative-error", "floor is added"),
    "norm-not-worst": ("relative-error",
                       relerr_fn("np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num))"),
                       "check-relative-error", "whole-array error"),
    "mean-not-max": ("relative-error", relerr_fn(f"np.mean(np.abs(g - g_num) / {FLOORED})"),
                     "check-relative-error", "mean of the elements' errors"),
    "no-absolute-value": ("relative-error", relerr_fn(f"np.max((g - g_num) / {FLOORED})"),
                          "check-relative-error", "absolute value"),
    "one-sided-denominator": ("relative-error", relerr_fn("np.max(np.abs(g - g_num) / np.maximum(np.abs(g), floor))"),
                              "check-relative-error", "holds only |g_i|"),
    "array-not-number": ("relative-error", relerr_fn(f"np.abs(g - g_num) / {FLOORED}"),
                         "check-relative-error", "returns an array"),
    "fixed-floor": ("relative-error",
                    relerr_fn("np.max(np.abs(g - g_num) / np.maximum(np.abs(g) + np.abs(g_num), 1e-12))"),
                    "check-relative-error", "was not used"),
    # 3. the whole gradient
    "whole-worst-element": ("whole-relative-error", whole_fn("np.max(np.abs(g - n) / (np.abs(g) + np.abs(n)))"),
                            "check-whole-relative-error", "worst single element"),
    "whole-per-array-max": ("whole-relative-error",
                            "def whole_relative_error(grads, grads_num):\n"
                            "    return max(np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))\n"
                            "               for g, n in zip(grads, grads_num))",
                            "check-whole-relative-error", "each array on its own"),
    "whole-first-only": ("whole-relative-error",
                         "def whole_relative_error(grads, grads_num):\n"
                         "    g, n = grads[0], grads_num[0]\n"
                         "    return np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))",
                         "check-whole-relative-error", "only the first array"),
    "whole-sum-of-norms": ("whole-relative-error",
                           "def whole_relative_error(grads, grads_num):\n"
                           "    top = sum(np.linalg.norm(g - n) for g, n in zip(grads, grads_num))\n"
                           "    bottom = sum(np.linalg.norm(g) + np.linalg.norm(n) for g, n in zip(grads, grads_num))\n"
                           "    return top / bottom",
                           "check-whole-relative-error", "adds up the norms"),
    "whole-one-norm": ("whole-relative-error", whole_fn("np.linalg.norm(g - n) / np.linalg.norm(g)"),
                       "check-whole-relative-error", "only the norm of grads"),
    "whole-no-sqrt": ("whole-relative-error", whole_fn("np.sum((g - n) ** 2) / (np.sum(g ** 2) + np.sum(n ** 2))"),
                      "check-whole-relative-error", "square roots"),
    "whole-not-flattened": ("whole-relative-error",
                            "def whole_relative_error(grads, grads_num):\n"
                            "    g, n = np.concatenate(grads), np.concatenate(grads_num)\n"
                            "    return np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n))",
                            "check-whole-relative-error", "flatten each one"),
    # 4. choosing eps
    "eps-smallest": ("best-eps", eps_fn("min(epsilons)"), "check-best-eps", "smallest eps of the list"),
    "eps-largest-error": ("best-eps", eps_fn("epsilons[int(np.argmax(errors))]"), "check-best-eps", "LARGEST error"),
    "eps-index": ("best-eps", eps_fn("int(np.argmin(errors))"), "check-best-eps", "position"),
    "eps-error": ("best-eps", eps_fn("min(errors)"), "check-best-eps", "the eps that gives it"),
    "eps-guessed": ("best-eps", "def best_eps(f, param, grad, epsilons):\n    return 1e-5", "check-best-eps",
                    "measure it, don't guess"),
    "eps-one-sided": ("best-eps", ONE_SIDED_EPS, "check-best-eps", "one-sided difference"),
    # 5. near the kink
    "kinks-every-layer": ("near-kinks", kinks_fn(layer="True"), "check-near-kinks", "not ReLU layers"),
    "kinks-no-abs": ("near-kinks", kinks_fn(test="zs[l] < eps"), "check-near-kinks", "every negative pre-activation"),
    "kinks-one-side": ("near-kinks", kinks_fn(test="(zs[l] >= 0) & (zs[l] < eps)"), "check-near-kinks",
                       "just below 0"),
    "kinks-layers-from-0": ("near-kinks", kinks_fn(triple="(l - 1, int(s), int(k))"), "check-near-kinks",
                            "one too small"),
    "kinks-pairs": ("near-kinks", kinks_fn(triple="(int(s), int(k))"), "check-near-kinks", "triples (l, s, k)"),
    "kinks-counts": ("near-kinks",
                     "def near_kinks(zs, fs, eps):\n"
                     "    return [int(np.sum(np.abs(z) < eps)) for z, f in zip(zs[1:], fs) if f == 'relu']",
                     "check-near-kinks", "returned counts"),
    "kinks-none-when-empty": ("near-kinks", kinks_fn(empty="found or None"), "check-near-kinks", "returned None"),
    "kinks-from-zs0": ("near-kinks", kinks_fn(start="0", layer="fs[l - 1] == 'relu' or l == 0"), "check-near-kinks",
                       "zs[0] is None"),
    # 6. which layer
    "locate-from-the-input": ("locate-bug", locate_fn(order="range(1, len(Ws) + 1)"), "check-locate-bug",
                              "LOWEST failing layer"),
    "locate-zero-based": ("locate-bug", locate_fn(answer="l - 1"), "check-locate-bug", "numbered as in the book"),
    "locate-weights-only": ("locate-bug", locate_fn(pairs="((dWs[l - 1], Ws[l - 1]),)"), "check-locate-bug",
                            "bias gradients checked"),
    "locate-no-floor": ("locate-bug", locate_fn(floor="1e-12"), "check-locate-bug", "blank input"),
    "locate-no-shape-check": ("locate-bug", locate_fn(shapes=False), "check-locate-bug",
                              "Compare shapes before values"),
    # 7. the bug hunt
    "hunt-always-none": ("find-bug", "def find_bug(backward_fn):\n    return None", "check-find-bug",
                         "returned None, no mistake"),
    "hunt-no-tanh-test": ("find-bug", find_fn(tanh_test=False), "check-find-bug", "more than one backward pass"),
    "hunt-shapes-swapped": ("find-bug", find_fn(transposed="wrong layer's activations",
                                                wrong_layer="transposed gradient"),
                            "check-find-bug", "whose mistake is another one"),
    "hunt-no-sum-test": ("find-bug", find_fn(sum_test=False), "check-find-bug", "more than one backward pass"),
    "hunt-false-alarm": ("find-bug", find_fn(none="'missing derivative'"), "check-find-bug",
                         "for a correct backward pass"),
    "hunt-own-names": ("find-bug", find_fn(transposed="transposed"), "check-find-bug",
                       "not one of the names in MISTAKES"),
}

# Later tasks call earlier functions, so a mistake there may also fail these checks.
CASCADES = {
    "central-difference": {"check-best-eps", "check-locate-bug", "check-find-bug"},
    "relative-error": {"check-locate-bug", "check-find-bug"},
    "whole-relative-error": {"check-best-eps"},
    "locate-bug": {"check-find-bug"},
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
        excused = {question} | CASCADES.get(answer, set())
        for q in sub.questions:
            if q.score < q.max_score:
                assert q.id in excused, (name, q.id, q.feedback)
                assert not any(code in q.feedback for code in CODE), (name, q.id, q.feedback)


def test_the_hunt_names_only_what_the_answer_claims(tmp_path: Path) -> None:
    """The bug hunt's feedback names no mistake but one that the learner's find_bug returned."""
    returned = {  # what each wrong find_bug of the catalogue returns, over the check's six passes
        "hunt-no-tanh-test": {"missing derivative"},
        "hunt-shapes-swapped": {"transposed gradient", "wrong layer's activations"},
        "hunt-no-sum-test": {"missing derivative"},
        "hunt-false-alarm": {"missing derivative"},
    }
    paths = []
    for name in returned:
        path = tmp_path / f"{name}.ipynb"
        path.write_text(json.dumps(with_answer(solution(), "find-bug", MISTAKES[name][1])))
        paths.append(path)
    for sub in grade_many(paths, RELEASES, TIMEOUT, jobs=2):
        text = feedback(sub, "check-find-bug")
        named = {m for m in debugging.MISTAKES if m in text}
        assert named <= returned[Path(sub.notebook).stem] and len(named) == 1, (sub.notebook, text)


# ----------------------------------------------------------------------------
# The checks' own cases, without a kernel


def test_the_suspects_each_make_their_mistake() -> None:
    rng = np.random.default_rng(0)  # the setup cell's network
    sizes = [6, 5, 4, 3]
    Ws = [rng.normal(0, 1 / np.sqrt(m), size=(m, n)) for m, n in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(0, 0.1, size=n) for n in sizes[1:]]
    X = rng.normal(size=(7, 6))
    Y = np.eye(3)[rng.integers(0, 3, size=7)]
    fs = ["sigmoid", "sigmoid", "softmax"]
    zs, acts = debugging._forward(Ws, bs, fs, X)
    right_W, right_b = debugging._backward(Ws, fs, zs, acts, Y)
    measured = debugging._measure(Ws, bs, fs, X, Y)
    for g, m in zip(right_W + right_b, measured):
        assert debugging._worst(g, m, debugging.FLOOR) < 1e-7
    suspects = dict(zip(debugging._SETUP_ORDER, debugging.suspects()))
    assert sorted(suspects) == sorted(debugging.MISTAKES)
    got = {kind: fn(Ws, fs, zs, acts, Y) for kind, fn in suspects.items()}
    dWs, dbs = got["sum instead of mean"]
    assert all(np.allclose(g, 7 * r) for g, r in zip(dWs + dbs, right_W + right_b))
    dWs, _ = got["transposed gradient"]
    assert all(np.allclose(g, r.T) for g, r in zip(dWs, right_W))
    dWs, _ = got["wrong layer's activations"]
    assert all(g.shape != W.shape and g.shape != W.T.shape for g, W in zip(dWs, Ws))
    for kind in ("missing derivative", "tanh derivative on a sigmoid layer"):
        dWs, dbs = got[kind]
        assert np.allclose(dWs[2], right_W[2]) and np.allclose(dbs[2], right_b[2])      # the output layer passes
        assert debugging._worst(dWs[1], measured[1], debugging.FLOOR) > 1e-2              # the hidden ones fail
    # On tanh hidden layers, only the missing derivative still fails.
    fs_tanh = ["tanh", "tanh", "softmax"]
    zs_t, acts_t = debugging._forward(Ws, bs, fs_tanh, X)
    right_t = debugging._backward(Ws, fs_tanh, zs_t, acts_t, Y)
    tanh_on_sigmoid = suspects["tanh derivative on a sigmoid layer"](Ws, fs_tanh, zs_t, acts_t, Y)
    missing = suspects["missing derivative"](Ws, fs_tanh, zs_t, acts_t, Y)
    assert all(np.allclose(a, b) for a, b in zip(tanh_on_sigmoid[0] + tanh_on_sigmoid[1], right_t[0] + right_t[1]))
    assert not np.allclose(missing[0][0], right_t[0][0])


def test_the_hunts_orders_and_the_functions_reveal_nothing() -> None:
    assert set(debugging._CHECK_ORDER) == set(debugging.MISTAKES) | {None}
    assert list(debugging._SETUP_ORDER) != [k for k in debugging._CHECK_ORDER if k is not None]
    for fn in debugging.suspects():
        assert fn.__name__ == "backward" and not any(m in repr(fn) for m in debugging.MISTAKES)


def test_the_locate_cases_are_what_the_reference_finds() -> None:
    for case, net, backward_fn, want, _ in debugging._locate_cases():
        assert debugging._judge_layers(net, backward_fn) == want, case
        L = len(net["Ws"])
        assert len({len(net["X"])} | {n for W in net["Ws"] for n in W.shape}) == L + 2   # sizes and B all differ


def test_without_a_floor_the_blank_input_raises_a_false_alarm() -> None:
    case = next(c for c in debugging._locate_cases() if c[0] == "blank")
    net, backward_fn = case[1], case[2]
    zs, acts = debugging._forward(net["Ws"], net["bs"], net["fs"], net["X"])
    dWs, _ = backward_fn(net["Ws"], net["fs"], zs, acts, net["Y"])
    measured = debugging._measure(net["Ws"], net["bs"], net["fs"], net["X"], net["Y"])
    assert debugging._worst(dWs[0], measured[0], 1e-12) > 1e-4            # a false alarm without the floor
    assert debugging._worst(dWs[0], measured[0], debugging.FLOOR) < 1e-6  # none with it
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.max(np.abs(dWs[0] - measured[0]) / (np.abs(dWs[0]) + np.abs(measured[0]))))


@pytest.mark.parametrize("index", [0, 1])
def test_the_best_eps_stands_out_whatever_the_measure(index: int) -> None:
    _, F, G, start, epsilons = debugging._eps_cases()[index]
    grad = G(start)
    errors = np.array(debugging._eps_errors(F, grad, start, epsilons))
    best, second = np.sort(errors)[:2]
    assert second / best > 5
    work = start.copy()
    worst = [debugging._worst(grad, debugging._central(lambda: F(work), work, e), 1e-12) for e in epsilons]
    assert np.argmin(worst) == np.argmin(errors)
    assert epsilons[int(np.argmin(errors))] not in (1e-5, 1e-6)


def test_the_two_eps_cases_have_different_answers_and_distinct_mistakes() -> None:
    bests = []
    for _, F, G, start, epsilons in debugging._eps_cases():
        errors = debugging._eps_errors(F, G(start), start, epsilons)
        one_sided = debugging._eps_errors(F, G(start), start, epsilons, "forward")
        bests.append(epsilons[int(np.argmin(errors))])
        assert epsilons[int(np.argmin(one_sided))] != bests[-1]
        assert min(epsilons) != bests[-1] and epsilons[int(np.argmax(errors))] != bests[-1]
    assert bests[0] != bests[1]


def test_restoring_by_arithmetic_changes_a_central_difference_parameter() -> None:
    params = [np.array([[0.3, -1.7], [2.9, 0.55], [-0.45, 1.3]]), np.array([0.7, -2.3, 1.1, 3.7, -0.9])]
    for param, eps in zip(params, [1e-2, 1e-3]):
        moved = param.copy()
        for index in np.ndindex(moved.shape):
            moved[index] += eps
            moved[index] -= 2 * eps
            moved[index] += eps
        assert not np.array_equal(moved, param)


def test_the_relative_error_cases_need_the_floor() -> None:
    g, g_num, floor = debugging._relative_error_cases()[1]
    with np.errstate(invalid="ignore"):
        assert np.isnan(np.max(np.abs(g - g_num) / (np.abs(g) + np.abs(g_num))))
    assert debugging._worst(g, g_num, floor) != debugging._worst(g, g_num, 1e-12)


def test_a_check_function_can_be_called_directly() -> None:
    """The checks accept plain functions; a correct one passes and a wrong one fails with feedback."""
    debugging.relative_error(lambda g, n, f: np.max(np.abs(g - n) / np.maximum(np.abs(g) + np.abs(n), f)))
    with pytest.raises(AssertionError, match="floor"), np.errstate(invalid="ignore"):
        debugging.relative_error(lambda g, n, f: np.max(np.abs(g - n) / (np.abs(g) + np.abs(n))))
