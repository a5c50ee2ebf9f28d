"""Checks of exercise 7, debugging backprop (chapter 7).

The networks follow chapter 7: one sample per row, ``Ws[l - 1]`` is W^(l) of
shape (n_{l-1}, n_l), ``bs[l - 1]`` is b^(l) of shape (n_l,), ``fs[l - 1]`` names
the activation of layer l, and the output layer is a softmax trained with the
cross-entropy averaged over the batch, so that its delta is y_hat - Y. ``zs[l]``
and ``activations[l]`` belong to layer l; ``zs[0]`` is None and
``activations[0]`` is X. A backward pass has the signature
``backward(Ws, fs, zs, activations, Y)`` and returns ``(dWs, dbs)``.

The check networks have layer sizes that all differ and a batch size that
differs from every one of them, so that a transposed gradient or one built from
another layer's activations has the wrong shape, as chapter 7 advises for a
gradient check.

The bug hunt (``find_bug``) hands the learner's function five backward passes
with one catalogued mistake each and a correct one. Its feedback never says
which pass has which mistake: it only describes the trace of the mistake the
learner's function named, which the learner's answer already says.

Small generic helpers live here rather than in ``checks/__init__``: ``_number``
(a single number was returned), ``_close`` (two numbers agree) and ``_call``
(``call`` with a hint added to the feedback when the learner's function fails).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, Callable, Sequence

import numpy as np

from . import Mistake, call, diagnose, fail, passed

__all__ = ["central_difference", "relative_error", "whole_relative_error", "best_eps", "near_kinks",
           "locate_bug", "find_bug", "suspects", "MISTAKES", "EPS", "FLOOR", "TOLERANCE"]

Array = np.ndarray
CHAPTER = "chapter 7"

#: The step, the floor and the threshold of a layer's check, as in chapter 7.
EPS, FLOOR, TOLERANCE = 1e-5, 1e-4, 1e-5

#: The names ``find_bug`` answers with, one per catalogued mistake (chapter 7, "A catalogue of mistakes").
MISTAKES = ("wrong layer's activations", "transposed gradient", "missing derivative",
            "tanh derivative on a sigmoid layer", "sum instead of mean")


# ----------------------------------------------------------------------------
# Small helpers


def _call(fn: Callable, *args: Any, what: str, hint: str = "", copy_inputs: bool = True) -> Any:
    """``call``, with ``hint`` added to the feedback when the learner's function raises."""
    try:
        return call(fn, *args, what=what, copy_inputs=copy_inputs)
    except AssertionError as err:
        if hint and str(err).startswith(f"{what} raised"):
            fail(f"{err} {hint}")
        raise


def _number(value: object, what: str, meaning: str) -> float:
    """The learner returned one number (a Python or NumPy number, or an array of one element)."""
    if value is None:
        fail(f"{what} returned None: did the function forget to return {meaning}?")
    if isinstance(value, (bool, np.bool_)):
        fail(f"{what} should return {meaning}, one number; got {value!r}.")
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        if value.size == 1:
            return float(value.reshape(()))
        fail(f"{what} should return {meaning}, one number; got an array of shape {value.shape}.")
    fail(f"{what} should return {meaning}, one number; got {type(value).__name__}.")
    raise AssertionError  # unreachable: fail raises


def _close(got: float, want: float, rtol: float = 1e-9) -> bool:
    if np.isnan(got) or np.isnan(want):
        return False
    return abs(got - want) <= rtol * abs(want) + 1e-300


# ----------------------------------------------------------------------------
# The reference network: chapter 7's forward pass, loss and backward pass


def _sigmoid(z: Array) -> Array:
    return 1 / (1 + np.exp(-z))


def _softmax(z: Array) -> Array:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _log_softmax(z: Array) -> Array:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


_F: dict[str, Callable[[Array], Array]] = {
    "sigmoid": _sigmoid, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "softmax": _softmax}
_PRIME: dict[str, Callable[[Array, Array], Array]] = {  # f'(z), given z and a = f(z)
    "sigmoid": lambda z, a: a * (1 - a),
    "tanh": lambda z, a: 1 - a**2,
    "relu": lambda z, a: (z > 0).astype(float),
}


def _forward(Ws: Sequence[Array], bs: Sequence[Array], fs: Sequence[str], X: Array) -> tuple[list, list]:
    zs: list[Any] = [None]
    activations = [X]
    for W, b, name in zip(Ws, bs, fs):
        zs.append(activations[-1] @ W + b)
        activations.append(_F[name](zs[-1]))
    return zs, activations


def _loss(Ws: Sequence[Array], bs: Sequence[Array], fs: Sequence[str], X: Array, Y: Array) -> float:
    zs, _ = _forward(Ws, bs, fs, X)
    return float(-np.sum(Y * _log_softmax(zs[-1])) / len(X))


# Hooks that replace one line of the backward pass, as chapter 7's catalogue does; each gets the layer l.
Prime = Callable[[str, Array, Array, int], Any]
LayerInput = Callable[[Sequence[Array], int], Array]
WeightGrad = Callable[[Array, Array, int, int], Array]
BiasGrad = Callable[[Array, int, int], Array]


def _right_prime(name: str, z: Array, a: Array, l: int) -> Array:
    return _PRIME[name](z, a)


def _right_input(activations: Sequence[Array], l: int) -> Array:
    return activations[l - 1]


def _right_weight_grad(a_in: Array, delta: Array, batch: int, l: int) -> Array:
    return a_in.T @ delta / batch


def _right_bias_grad(delta: Array, batch: int, l: int) -> Array:
    return delta.mean(axis=0)


def _backward(Ws: Sequence[Array], fs: Sequence[str], zs: Sequence[Any], activations: Sequence[Array], Y: Array,
              prime: Prime = _right_prime, layer_input: LayerInput = _right_input,
              weight_grad: WeightGrad = _right_weight_grad,
              bias_grad: BiasGrad = _right_bias_grad) -> tuple[list[Array], list[Array]]:
    """Chapter 7's backward loop, softmax and cross-entropy at the output; hooks may replace one line each."""
    n_layers, batch = len(Ws), len(Y)
    dWs: list[Array] = [np.empty(0)] * n_layers
    dbs: list[Array] = [np.empty(0)] * n_layers
    delta = np.empty(0)
    for l in range(n_layers, 0, -1):
        if l == n_layers:
            delta = activations[l] - Y
        else:
            delta = (delta @ np.asarray(Ws[l]).T) * prime(fs[l - 1], zs[l], activations[l], l)
        dWs[l - 1] = weight_grad(layer_input(activations, l), delta, batch, l)
        dbs[l - 1] = bias_grad(delta, batch, l)
    return dWs, dbs


def _measure(Ws: Sequence[Array], bs: Sequence[Array], fs: Sequence[str], X: Array, Y: Array,
             eps: float = EPS) -> list[Array]:
    """Central differences of the loss for every weight array, then every bias array."""
    Ws, bs = [W.copy() for W in Ws], [b.copy() for b in bs]
    return [_central(lambda: _loss(Ws, bs, fs, X, Y), p, eps) for p in Ws + bs]


def _central(f: Callable[[], float], param: Array, eps: float, one_sided: str = "") -> Array:
    """Eq. ch7-central entry by entry (or a one-sided difference: "forward" or "backward"); restores param."""
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + eps
        plus = float(f()) if one_sided != "backward" else None
        param[index] = saved - eps
        minus = float(f()) if one_sided != "forward" else None
        param[index] = saved
        if one_sided == "forward":
            grad[index] = (plus - float(f())) / eps  # type: ignore[operator]
        elif one_sided == "backward":
            grad[index] = (float(f()) - minus) / eps  # type: ignore[operator]
        else:
            grad[index] = (plus - minus) / (2 * eps)  # type: ignore[operator]
    return grad


def _worst(g: Array, g_num: Array, floor: float) -> float:
    """Eq. ch7-worst-error."""
    return float(np.max(np.abs(g - g_num) / np.maximum(np.abs(g) + np.abs(g_num), floor)))


def _whole(grads: Sequence[Array], grads_num: Sequence[Array]) -> float:
    """Eq. ch4-whole-error."""
    g = np.concatenate([np.ravel(a) for a in grads])
    n = np.concatenate([np.ravel(a) for a in grads_num])
    return float(np.linalg.norm(g - n) / (np.linalg.norm(g) + np.linalg.norm(n)))


def _net(seed: int, sizes: Sequence[int], fs: Sequence[str], batch: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(0, 1 / np.sqrt(n_in), size=(n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(0, 0.1, size=n_out) for n_out in sizes[1:]]
    X = rng.normal(size=(batch, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=batch)]
    return {"Ws": Ws, "bs": bs, "fs": list(fs), "X": X, "Y": Y}


# ----------------------------------------------------------------------------
# 1. The central difference


def _restored(param: Array, original: Array, what: str) -> None:
    if np.array_equal(param, original):
        return
    if np.allclose(param, original, rtol=1e-12, atol=0):
        fail(f"{what} changed the parameter in its last digits: adding eps and then taking it away again does "
             "not give back exactly the old value in floating point. Save each entry before nudging it and put "
             f"the saved value back ({CHAPTER}, 'Which eps: measured').")
    fail(f"{what} changed the parameter: after nudging an entry, put its old value back, or every later "
         "entry is measured at a different point (and the network is left changed).")


def central_difference(fn: Callable) -> None:
    """``central_difference(f, param, eps)``: eq. ch7-central for every entry of param, each restored."""
    rng = np.random.default_rng(70)
    A = rng.normal(size=(4, 3))
    c = rng.normal(size=5)
    cases: list[tuple[Array, Callable[[Array], float], float]] = [
        # eps large, so that the one-sided and central differences (and eps = 1e-5 or 1e-6) differ clearly
        (np.array([[0.3, -1.7], [2.9, 0.55], [-0.45, 1.3]]), lambda p: float(np.sum(np.sin(A @ p) ** 2)), 1e-2),
        (np.array([0.7, -2.3, 1.1, 3.7, -0.9]), lambda p: float(np.sum(np.exp(0.6 * p)) + np.prod(p[:3]) + c @ p**3),
         1e-3),
        (rng.normal(size=(2, 3, 2)), lambda p: float(np.sum(np.tanh(p) * np.arange(1, 13).reshape(2, 3, 2)) ** 2),
         1e-2),
    ]
    what = "central_difference(f, param, eps)"
    for start, F, eps in cases:
        param, original = start.copy(), start.copy()

        def f(param: Array = param, F: Callable[[Array], float] = F) -> float:
            return F(param)  # reads the very array handed to the learner's function

        got = call(fn, f, param, eps, what=what, copy_inputs=False)  # f reads param itself: no copies
        _restored(param, original, "central_difference")
        work = original.copy()

        def g(work: Array = work, F: Callable[[Array], float] = F) -> float:
            return F(work)

        right = _central(g, work, eps)
        if got is not None and np.asarray(got).shape == right.shape and not np.any(got) and np.any(right):
            fail("central_difference is zero everywhere: f takes no arguments and computes its value from param "
                 "itself, so nudge the entries of that very array, in place, not of a copy.")
        nudge_all = np.full_like(right, (F(original + eps) - F(original - eps)) / (2 * eps))
        diagnose(got, right, "central_difference", [
            Mistake(_central(g, work, eps, "forward"),
                    "this is the one-sided difference, f at the entry plus eps against f as it is; the central "
                    f"difference nudges each entry both ways ({CHAPTER}, eq. ch7-central)."),
            Mistake(_central(g, work, eps, "backward"),
                    "this is a one-sided difference, f as it is against f at the entry minus eps; the central "
                    f"difference nudges each entry both ways ({CHAPTER}, eq. ch7-central)."),
            Mistake(2 * right, "it is twice the right value: the two nudged values lie 2 eps apart, and the "
                               "difference must be divided by that whole distance, not by eps."),
            Mistake(right * eps**2, "the difference was divided by 2 and then multiplied by eps: the whole of "
                                    "2 eps belongs in the denominator."),
            Mistake(nudge_all, "every entry holds the same number: all the entries were nudged at once. Nudge one "
                               "entry at a time and keep the others as they are."),
            Mistake(_central(g, work, 1e-6), f"it was measured with a step of 1e-6, not with the eps it was given "
                                             f"({eps:g})."),
            Mistake(_central(g, work, 1e-5), f"it was measured with a step of 1e-5, not with the eps it was given "
                                             f"({eps:g})."),
        ])
    passed("central_difference")


# ----------------------------------------------------------------------------
# 2. The worst element with a floor


def _relative_error_cases() -> list[tuple[Array, Array, float]]:
    rng = np.random.default_rng(71)
    g = rng.normal(size=(3, 4))
    g_num = g * (1 + rng.normal(0, 1e-3, size=g.shape))
    g_num[1, 2] = g[1, 2] + 0.05 * abs(g[1, 2])          # the worst element: g - g_num is negative here
    g2 = np.array([[0.0, 3e-2, -4e-6, 0.8], [2e-7, 0.0, -0.5, 0.02]])
    g2_num = g2 + np.array([[0.0, 3e-9, 2e-8, -1e-9], [-3e-8, 0.0, 1e-10, 2e-10]])
    # the second: entries zero in both and below the floor, and its worst g - g_num positive
    return [(g, g_num, 1e-8), (g2, g2_num, 1e-4)]


def relative_error(fn: Callable) -> None:
    """``relative_error(g, g_num, floor)``: eq. ch7-worst-error, one number."""
    what = "relative_error(g, g_num, floor)"
    for g, g_num, floor in _relative_error_cases():
        result = call(fn, g, g_num, floor, what=what)
        if isinstance(result, np.ndarray) and result.shape == g.shape:
            fail("relative_error returns an array, one error per element; the task asks for one number, the "
                 "error of the worst element.")
        got = _number(result, "relative_error", "the relative error of the worst element")
        diff, size = np.abs(g - g_num), np.abs(g) + np.abs(g_num)
        want = _worst(g, g_num, floor)
        if _close(got, want):
            continue
        if np.isnan(got):
            fail("relative_error returned NaN. An entry that is zero in both arrays gives 0 / 0 when the "
                 "denominator has no floor; the floor is there for it (and for entries so small that rounding "
                 f"noise swamps them): divide by the larger of the two, |g_i| + |g_num_i| or the floor "
                 f"({CHAPTER}, eq. ch7-worst-error).")
        if np.isinf(got):
            fail("relative_error returned infinity: a denominator was zero. Divide by the larger of the two, "
                 f"|g_i| + |g_num_i| or the floor ({CHAPTER}, eq. ch7-worst-error).")
        with np.errstate(divide="ignore", invalid="ignore"):
            hypotheses = [
                (float(np.max(diff / (size + floor))),
                 "the floor is added to the denominator. It replaces |g_i| + |g_num_i| only where that is "
                 "smaller than the floor: the denominator is the larger of the two."),
                (float(np.max(diff / np.minimum(size, floor))),
                 "the denominator is the smaller of |g_i| + |g_num_i| and the floor; it is the larger of the two."),
                (float(np.max(diff / np.maximum(size, 1e-12))) if floor != 1e-12 else np.nan,
                 f"the floor it was given ({floor:g}) was not used: it looks like a fixed tiny floor instead."),
                (float(np.max(diff / np.maximum(np.abs(g), floor))),
                 "the denominator holds only |g_i|; eq. ch7-worst-error divides by |g_i| + |g_num_i| (or the "
                 "floor), so that neither array is the reference."),
                (float(np.max(diff / np.maximum(np.maximum(np.abs(g), np.abs(g_num)), floor))),
                 "the denominator is the larger of |g_i| and |g_num_i|; eq. ch7-worst-error uses their sum."),
                (float(np.max((g - g_num) / np.maximum(size, floor))),
                 "the difference needs its absolute value: the worst element here differs in the other "
                 "direction, and without the absolute value it does not come out as the largest."),
                (float(np.max((g_num - g) / np.maximum(size, floor))),
                 "the difference needs its absolute value: the worst element here differs in the other "
                 "direction, and without the absolute value it does not come out as the largest."),
                (float(np.mean(diff / np.maximum(size, floor))),
                 "this is the mean of the elements' errors; the task asks for the worst element, the largest."),
                (float(np.linalg.norm(g - g_num) / max(np.linalg.norm(g) + np.linalg.norm(g_num), floor)),
                 "this is the whole-array error, a ratio of norms (eq. ch4-whole-error, task 3); the task asks for "
                 "the worst single element, eq. ch7-worst-error."),
                (float(np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num))),
                 "this is the whole-array error, a ratio of norms (eq. ch4-whole-error, task 3); the task asks for "
                 "the worst single element, eq. ch7-worst-error."),
                (float(np.max(diff) / max(np.max(size), floor)),
                 "this divides the largest difference by the largest size; each element's difference must be "
                 "divided by its own size (or the floor), and then the worst of those ratios taken."),
            ]
        for value, feedback in hypotheses:
            if _close(got, value):
                fail(f"relative_error: {feedback} See {CHAPTER}, 'Reading a relative error'.")
        fail(f"relative_error returned {got:.6g}, but the worst element's error is {want:.6g}. Go through eq. "
             f"ch7-worst-error ({CHAPTER}) element by element: difference, denominator with the floor, largest.")
    passed("relative_error")


# ----------------------------------------------------------------------------
# 3. The whole-gradient error


def _whole_cases() -> list[tuple[list[Array], list[Array]]]:
    rng = np.random.default_rng(72)
    shapes = [(3, 4), (4,), (4, 2), (2,)]
    grads = [rng.normal(scale=s, size=shape) for s, shape in zip([0.5, 0.1, 1.5, 0.02], shapes)]
    noise = [1e-3, 0.2, 1e-6, 0.5]                       # the arrays are wrong by very different amounts
    grads_num = [g + rng.normal(scale=n * np.abs(g).mean(), size=g.shape) for g, n in zip(grads, noise)]
    single = rng.normal(size=(5, 3))
    return [(grads, grads_num), ([single], [single * 1.01 + 1e-3])]


def whole_relative_error(fn: Callable) -> None:
    """``whole_relative_error(grads, grads_num)``: eq. ch4-whole-error over every array of two lists."""
    what = "whole_relative_error(grads, grads_num)"
    for grads, grads_num in _whole_cases():
        result = _call(fn, grads, grads_num, what=what,
                       hint="(The arrays of the lists have different shapes: flatten each one before joining them.)")
        got = _number(result, "whole_relative_error", "the relative error of the whole gradient")
        want = _whole(grads, grads_num)
        if _close(got, want):
            continue
        per = [_whole([g], [n]) for g, n in zip(grads, grads_num)]
        norms = [(np.linalg.norm(g - n), np.linalg.norm(g), np.linalg.norm(n)) for g, n in zip(grads, grads_num)]
        g_all = np.concatenate([a.ravel() for a in grads])
        n_all = np.concatenate([a.ravel() for a in grads_num])
        hypotheses = [
            (max(per), "this is the error of each array on its own, and then the largest of them; the task asks "
                       "for one error over every entry of every array, as one long vector."),
            (float(np.mean(per)), "this is the mean of the arrays' own errors; the task asks for one error over "
                                  "every entry of every array, as one long vector."),
            (float(np.sum(per)), "this is the sum of the arrays' own errors; the task asks for one error over "
                                 "every entry of every array, as one long vector."),
            (per[0], "only the first array of each list was compared; the long vector holds every array."),
            (float(sum(d for d, _, _ in norms) / sum(a + b for _, a, b in norms)),
             "this adds up the norms of the arrays one by one; the norm of the long vector is not the sum of the "
             "arrays' norms. Join all the entries into one vector first."),
            (_worst(g_all, n_all, 1e-12), "this is the error of the worst single element (eq. ch7-worst-error, "
                                          "task 2); the task asks for the whole-vector error, a ratio of norms."),
            (float(np.linalg.norm(g_all - n_all) / np.linalg.norm(g_all)),
             "the denominator holds only the norm of grads; eq. ch4-whole-error divides by the sum of both norms."),
            (float(np.linalg.norm(g_all - n_all) / np.linalg.norm(n_all)),
             "the denominator holds only the norm of grads_num; eq. ch4-whole-error divides by the sum of both "
             "norms."),
            (float(np.sum((g_all - n_all) ** 2) / (np.sum(g_all**2) + np.sum(n_all**2))),
             "the norms are missing their square roots: a norm is the square root of the sum of squares."),
            (float(np.linalg.norm(g_all - n_all) / np.linalg.norm(g_all + n_all)),
             "the denominator is the norm of the sum; eq. ch4-whole-error adds the two norms."),
        ]
        for value, feedback in hypotheses:
            if _close(got, value):
                fail(f"whole_relative_error: {feedback} See chapter 4, eq. ch4-whole-error, and {CHAPTER}, "
                     "'Reading a relative error'.")
        fail(f"whole_relative_error returned {got:.6g}, but the whole gradient's error is {want:.6g}: join every "
             "entry of every array of each list into one long vector, then compare the two vectors by eq. "
             "ch4-whole-error (chapter 4).")
    passed("whole_relative_error")


# ----------------------------------------------------------------------------
# 4. Choosing eps, by measuring


def _eps_cases() -> list[tuple[str, Callable[[Array], float], Callable[[Array], Array], Array, list[float]]]:
    """Two functions whose best steps lie far apart, neither of them near 1e-5 or 1e-6."""
    rng = np.random.default_rng(73)
    return [
        # a large loss and a small third derivative: rounding dominates, the best step is large
        ("f(p) = 1e6 + sum(p^3) / 6", lambda p: float(1e6 + np.sum(p**3) / 6), lambda p: p**2 / 2,
         rng.uniform(0.5, 1.5, size=4), [1e-2, 1e-9, 1e-3, 1e-7, 1e-5, 1e-1]),
        # a fast oscillation: a large third derivative, truncation dominates, the best step is small
        ("f(p) = sum(sin(300 p)) / 300", lambda p: float(np.sum(np.sin(300 * p)) / 300), lambda p: np.cos(300 * p),
         rng.uniform(-1, 1, size=4), [1e-4, 1e-1, 1e-7, 1e-9, 1e-6, 1e-8]),
    ]


def _eps_errors(F: Callable[[Array], float], grad: Array, start: Array, epsilons: Sequence[float],
                one_sided: str = "") -> list[float]:
    work = start.copy()
    return [_whole([grad], [_central(lambda: F(work), work, e, one_sided)]) for e in epsilons]


def best_eps(fn: Callable) -> None:
    """``best_eps(f, param, grad, epsilons)``: the eps of the list whose central difference is closest to grad."""
    what = "best_eps(f, param, grad, epsilons)"
    answers, hypotheses = [], []
    for _, F, G, start, epsilons in _eps_cases():
        param, original, grad = start.copy(), start.copy(), G(start)

        def f(param: Array = param, F: Callable[[Array], float] = F) -> float:
            return F(param)

        result = call(fn, f, param, grad.copy(), list(epsilons), what=what, copy_inputs=False)
        _restored(param, original, "best_eps")
        if isinstance(result, (bool, np.bool_)) or not isinstance(result, (Real, np.ndarray)) or \
                np.asarray(result).size != 1:
            fail(f"best_eps should return one number, an eps from the list it was given; got "
                 f"{'None' if result is None else type(result).__name__}.")
        answers.append(float(np.asarray(result)))
        errors = np.array(_eps_errors(F, grad, original, epsilons))
        one_sided = np.array(_eps_errors(F, grad, original, epsilons, "forward"))
        hypotheses.append({
            "right": epsilons[int(np.argmin(errors))],
            "index": float(np.argmin(errors)),
            "error": float(errors.min()),
            "one-sided": epsilons[int(np.argmin(one_sided))],
            "largest error": epsilons[int(np.argmax(errors))],
            "smallest": min(epsilons),
            "largest": max(epsilons),
            "list": epsilons,
        })

    def explains(key: str) -> bool:
        rtol = 1e-6 if key == "error" else 1e-12   # the learner's errors may differ from ours in the last bits
        return all(_close(a, h[key], rtol) for a, h in zip(answers, hypotheses))

    if explains("right"):
        passed("best_eps")
        return
    if explains("index"):
        fail("best_eps returns the position of the best eps in the list; return the eps itself.")
    if explains("error"):
        fail("best_eps returns the smallest error; the task asks for the eps that gives it.")
    if explains("one-sided"):
        fail("best_eps picks the best step of the one-sided difference, whose truncation error is larger, so "
             "its best step is different; measure with the central difference of task 1 "
             f"({CHAPTER}, eq. ch7-central and 'Rounding, and the best eps').")
    if explains("smallest"):
        fail("best_eps returns the smallest eps of the list. A smaller step is not always better: the rounding "
             f"error grows as 1/eps ({CHAPTER}, eq. ch7-rounding). Measure the error of every eps of the list.")
    if explains("largest error"):
        fail("best_eps returns the eps with the LARGEST error; the task asks for the smallest.")
    if explains("largest"):
        fail("best_eps returns the largest eps of the list, where the truncation error is largest "
             f"({CHAPTER}, eq. ch7-central). Measure the error of every eps of the list.")
    if len(set(answers)) == 1:
        fail(f"best_eps returned {answers[0]:g} for two functions whose best steps lie far apart. The best step "
             f"depends on the function, on |L| and |L'''| ({CHAPTER}, eq. ch7-best-eps): measure it, don't guess.")
    if not all(any(_close(a, e, 1e-12) for e in h["list"]) for a, h in zip(answers, hypotheses)):
        fail("best_eps returned a number that is not in the list it was given: return one of the epsilons, the "
             "one whose measured gradient has the smallest error.")
    fail("best_eps did not return the eps whose central difference comes closest to grad: for each eps of the list, "
         "measure the gradient with central_difference, compare it with grad by whole_relative_error, and "
         "return the eps with the smallest error.")


# ----------------------------------------------------------------------------
# 5. Pre-activations near ReLU's kink


def _kink_cases() -> list[tuple[list[Any], list[str], float]]:
    rng = np.random.default_rng(74)
    eps = 1e-5
    zs: list[Any] = [None] + [rng.normal(size=(6, n)) for n in (5, 4, 7, 3)]   # B = 6, layers 1..4
    fs = ["relu", "tanh", "relu", "softmax"]
    for l, s, k, v in [(1, 0, 1, 0.3), (1, 2, 3, -0.5), (1, 4, 0, 0.0), (1, 1, 2, 2.0), (1, 3, 3, -3.0),
                       (2, 1, 1, 0.1), (2, 4, 2, -0.2),                 # tanh: no kink
                       (3, 5, 0, -0.9), (3, 0, 2, 1.5), (3, 2, 6, 0.7),
                       (4, 2, 1, 0.2)]:                                 # softmax: no kink
        zs[l][s, k] = v * eps
    wide = 0.05                                                         # a second case, with a larger eps
    zs2: list[Any] = [None] + [rng.normal(scale=0.2, size=(5, n)) for n in (4, 6, 2)]   # B = 5
    fs2 = ["tanh", "relu", "softmax"]
    zs2[1][0, 0] = 0.01
    zs2[3][1, 1] = -0.01
    none: list[Any] = [None] + [np.full((3, 4), 0.5), np.full((3, 2), -0.5)]           # none near the kink
    return [(zs, fs, eps), (zs2, fs2, wide), (none, ["relu", "softmax"], eps)]


def _kinks(zs: Sequence[Any], fs: Sequence[str], eps: float, *, layers: str = "relu", test: str = "abs",
           offset: int = 0) -> list[tuple[int, ...]]:
    found = []
    for l in range(1, len(zs)):
        if layers == "relu" and fs[l - 1] != "relu":
            continue
        if layers == "hidden" and l == len(zs) - 1:
            continue
        z = zs[l]
        mask = {"abs": np.abs(z) < eps, "below": z < eps, "above": (z >= 0) & (z < eps),
                "inclusive": np.abs(z) <= eps}[test]
        found += [(l - offset, int(s), int(k)) for s, k in np.argwhere(mask)]
    return sorted(found)


def _index_list(result: object) -> list[tuple[int, ...]]:
    what = "near_kinks"
    if result is None:
        fail(f"{what} returned None: return a list of (l, s, k) triples, an empty list when there are none.")
    if isinstance(result, (Integral, np.integer)) or (isinstance(result, (list, tuple)) and result and
                                                      all(isinstance(c, (Integral, np.integer)) for c in result)
                                                      and not isinstance(result, tuple)):
        fail(f"{what} returned counts; the task asks for the indices of the pre-activations near the kink, a "
             "list of (l, s, k) triples.")
    if isinstance(result, np.ndarray):
        result = result.tolist() if result.size else []
    if not isinstance(result, (list, tuple)):
        fail(f"{what} should return a list of (l, s, k) triples; got {type(result).__name__}.")
    triples = []
    for item in result:
        item = np.asarray(item).ravel().tolist() if isinstance(item, np.ndarray) else item
        if not isinstance(item, (list, tuple)) or not all(isinstance(i, (Integral, np.integer)) for i in item):
            fail(f"{what} should return a list of (l, s, k) triples of whole numbers; one of its entries is "
                 f"{item!r}.")
        if len(item) != 3:
            fail(f"{what} should return triples (l, s, k): the layer l, the sample s (the row) and the unit k "
                 f"(the column). One of its entries has {len(item)} numbers.")
        triples.append(tuple(int(i) for i in item))
    if len(set(triples)) != len(triples):
        fail(f"{what} lists an index more than once: each pre-activation near the kink appears once.")
    return sorted(triples)


def near_kinks(fn: Callable) -> None:
    """``near_kinks(zs, fs, eps)``: the (l, s, k) with |zs[l][s, k]| < eps in the ReLU layers."""
    what = "near_kinks(zs, fs, eps)"
    for zs, fs, eps in _kink_cases():
        got = _index_list(_call(fn, zs, fs, eps, what=what,
                                hint="(zs[0] is None: the pre-activations start at zs[1].)"))
        want = _kinks(zs, fs, eps)
        if got == want:
            continue
        hypotheses = [
            (_kinks(zs, fs, eps, layers="all"), "it lists pre-activations of layers that are not ReLU layers. Only "
                                                "a ReLU has a kink; fs[l - 1] names the activation of layer l."),
            (_kinks(zs, fs, eps, layers="hidden"), "it lists pre-activations of every hidden layer. Only a ReLU "
                                                   "has a kink; fs[l - 1] names the activation of layer l."),
            (_kinks(zs, fs, eps, test="below"), "it lists every negative pre-activation. A nudge of eps crosses the "
                                                "kink only from within eps of it, on either side: compare the "
                                                "distance from 0, the absolute value, with eps."),
            (_kinks(zs, fs, eps, test="above"), "it misses the pre-activations just below 0. A nudge of eps crosses "
                                                "the kink from either side: compare the distance from 0, the "
                                                "absolute value, with eps."),
            (_kinks(zs, fs, eps, offset=1), "its layer numbers are one too small. Number the layers as zs does: "
                                            "zs[l] is the pre-activation of layer l, from l = 1."),
            ([(l, k, s) for l, s, k in want], "the sample and the unit are swapped: s is the row of zs[l] (the "
                                              "sample) and k its column (the unit)."),
        ]
        for value, feedback in hypotheses:
            if got == sorted(value) and value != want:
                fail(f"near_kinks: {feedback} ({CHAPTER}, \"ReLU's kink\")")
        missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        fail(f"near_kinks returned {len(got)} indices where {len(want)} were expected"
             + (f"; it misses {missing[0]}" if missing else "") + (f"; it lists {extra[0]}, which is not within "
             "eps of the kink of a ReLU layer" if extra else "")
             + f" (with eps = {eps:g}). A pre-activation is near the kink when its distance from 0 is less than "
             f"eps, in a layer whose activation is a ReLU ({CHAPTER}, \"ReLU's kink\").")
    passed("near_kinks")


# ----------------------------------------------------------------------------
# 6. Which layer?


def _locate_cases() -> list[tuple[str, dict[str, Any], Callable, int | None, str]]:
    """(case, network, backward pass, first failing layer from the output, what is wrong) for locate_bug."""
    deep = _net(75, (5, 7, 6, 4, 3), ("sigmoid", "tanh", "sigmoid", "softmax"), 8)   # L = 4, B = 8
    blank = _net(76, (6, 5, 4, 3), ("tanh", "sigmoid", "softmax"), 7)
    blank["X"][:, 0] = 0.0      # an input that is blank in every sample: its weights' gradients are exactly 0
    blank["X"][:, 3] *= 1e-6    # an input that is nearly blank: its weights' gradients are tiny

    def hooked(**hooks: Any) -> Callable:
        def backward_fn(Ws: Sequence[Array], fs: Sequence[str], zs: Sequence[Any], activations: Sequence[Array],
                        Y: Array) -> tuple[list[Array], list[Array]]:
            return _backward(Ws, fs, zs, activations, Y, **hooks)
        return backward_fn

    tanh_from_z = lambda name, z, a, l: 1 - np.tanh(a) ** 2 if l == 2 else _PRIME[name](z, a)
    bias_summed = lambda delta, batch, l: delta.sum(axis=0) if l == 1 else delta.mean(axis=0)
    flipped = lambda a_in, delta, batch, l: -(a_in.T @ delta) / batch if l == 3 else a_in.T @ delta / batch
    transposed = lambda a_in, delta, batch, l: (delta.T @ a_in if l == 4 else a_in.T @ delta) / batch
    return [
        ("correct", deep, hooked(), None, "a correct backward pass"),
        ("derivative", deep, hooked(prime=tanh_from_z), 2,
         "a backward pass whose tanh layer, layer 2, hands its activation to a derivative written for z: the delta "
         "of layer 2 is wrong, and through the recurrence every delta below it"),
        ("bias", deep, hooked(bias_grad=bias_summed), 1,
         "a backward pass whose only mistake is the bias gradient of layer 1 (summed over the batch)"),
        ("sign", deep, hooked(weight_grad=flipped), 3,
         "a backward pass whose only mistake is the sign of layer 3's weight gradient"),
        ("shape", deep, hooked(weight_grad=transposed), 4,
         "a backward pass whose output layer's weight gradient is transposed, so that it has the wrong shape"),
        ("blank", blank, hooked(), None,
         "a correct backward pass on a network with a blank input (its weights' gradients are exactly 0) and a "
         "nearly blank one (their gradients are tiny)"),
    ]


def _judge_layers(net: dict[str, Any], backward_fn: Callable) -> int | None:
    """The reference: chapter 7's locate_bug, with the floor, from the output down."""
    zs, activations = _forward(net["Ws"], net["bs"], net["fs"], net["X"])
    dWs, dbs = backward_fn(net["Ws"], net["fs"], zs, activations, net["Y"])
    measured = _measure(net["Ws"], net["bs"], net["fs"], net["X"], net["Y"])
    L = len(net["Ws"])
    for l in range(L, 0, -1):
        for grad, num in ((dWs[l - 1], measured[l - 1]), (dbs[l - 1], measured[L + l - 1])):
            if np.shape(grad) != num.shape or _worst(np.asarray(grad), num, FLOOR) >= TOLERANCE:
                return l
    return None


def _layer_answer(value: object, L: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Integral, np.integer)):
        fail(f"locate_bug should return a layer number, a whole number from 1 to L, or None when every layer "
             f"passes; got {value!r}.")
    return int(value)  # type: ignore[arg-type]


def locate_bug(fn: Callable) -> None:
    """``locate_bug(backward_fn, Ws, bs, fs, X, Y)``: the first failing layer from the output, or None."""
    what = "locate_bug(backward_fn, Ws, bs, fs, X, Y)"
    hint = ("(One of the check's backward passes returns a gradient whose shape is not its parameter's: a "
            f"gradient of the wrong shape fails its layer. Compare shapes before values ({CHAPTER}, the judge of "
            "'Reading a relative error').)")
    results = []
    for case, net, backward_fn, want, description in _locate_cases():
        L = len(net["Ws"])
        got = _layer_answer(_call(fn, backward_fn, net["Ws"], net["bs"], net["fs"], net["X"], net["Y"],
                                  what=what, hint=hint), L)
        results.append((case, want, got, description, L))
    wrong = [r for r in results if r[1] != r[2]]
    if not wrong:
        passed("locate_bug")
        return
    if all(got == (want - 1 if want is not None else None) for _, want, got, _, _ in results):
        fail("locate_bug's answers are one less than the layers that fail. Layers are numbered as in the book, "
             "from 1: W^(l) is Ws[l - 1], and the answer is l.")
    case, want, got, description, L = wrong[0]
    where = f"For {description}, the first failing layer from the output is {want}, but locate_bug returned {got}"
    if want is None:
        where = f"For {description}, every layer passes, but locate_bug returned {got}"
    if got is not None and not 1 <= got <= L:
        fail(f"{where}. Layers are numbered as in the book, from 1 (Ws[0] is W^(1)) to L = {L}, the output layer.")
    if case == "blank":
        fail(f"{where}. The gradients of a blank input are exactly zero in backprop and in the central "
             "differences, and those of a nearly blank input are tiny: without the floor, 0 / 0 is NaN and "
             "rounding noise over a tiny entry looks like a large relative error. Judge each array by "
             f"relative_error with the floor FLOOR ({CHAPTER}, 'Reading a relative error').")
    if want is None:
        fail(f"{where}. A correct gradient must pass: measure with eps = EPS, judge each array by relative_error "
             f"with the floor FLOOR, and pass it below TOLERANCE ({CHAPTER}, 'Reading a relative error').")
    if got is None:
        extra = {"bias": " Are the bias gradients checked as well as the weight gradients?",
                 "shape": " A gradient whose shape differs from its parameter's fails its layer."}.get(case, "")
        fail(f"{where}: it missed the bug.{extra} Does it use the backward_fn it is given, and check both "
             "arrays of every layer?")
    if case == "derivative" and got == 1:
        fail(f"{where}, the LOWEST failing layer. A mistake in layer l's delta spoils that layer and, through "
             "the recurrence, every layer below it; the layers above it pass. Check from the output down and "
             f"stop at the first layer that fails ({CHAPTER}, 'Which layer? Localising a bug').")
    fail(f"{where}. Check the layers from the output (layer L) down, each by the shapes and the relative "
         f"errors of its two arrays, and return the first that fails ({CHAPTER}, 'Which layer? Localising a "
         "bug').")


# ----------------------------------------------------------------------------
# 7. The bug hunt


def _suspect(prime: Prime = _right_prime, layer_input: LayerInput = _right_input,
             weight_grad: WeightGrad = _right_weight_grad, bias_grad: BiasGrad = _right_bias_grad) -> Callable:
    def backward(Ws: Sequence[Array], fs: Sequence[str], zs: Sequence[Any], activations: Sequence[Array],
                 Y: Array) -> tuple[list[Array], list[Array]]:
        """A backward pass: (dWs, dbs) for the softmax and cross-entropy network (Ws, fs)."""
        return _backward(Ws, fs, zs, activations, Y, prime, layer_input, weight_grad, bias_grad)
    return backward


def _make(kind: str) -> Callable:
    """A fresh backward pass with the mistake ``kind`` (one of MISTAKES), or a correct one for ``None``."""
    if kind == MISTAKES[0]:
        return _suspect(layer_input=lambda activations, l: activations[l - 2])
    if kind == MISTAKES[1]:
        return _suspect(weight_grad=lambda a_in, delta, batch, l: delta.T @ a_in / batch)
    if kind == MISTAKES[2]:
        return _suspect(prime=lambda name, z, a, l: 1.0)
    if kind == MISTAKES[3]:
        return _suspect(prime=lambda name, z, a, l: 1 - a**2 if name == "sigmoid" else _PRIME[name](z, a))
    if kind == MISTAKES[4]:
        return _suspect(weight_grad=lambda a_in, delta, batch, l: a_in.T @ delta,
                        bias_grad=lambda delta, batch, l: delta.sum(axis=0))
    return _suspect()


#: The order of the suspects in the notebook's setup cell (backward_1, ..., backward_5).
_SETUP_ORDER = (MISTAKES[4], MISTAKES[2], MISTAKES[1], MISTAKES[3], MISTAKES[0])
#: The order in which the check hands its own, fresh, passes to find_bug (None: the correct pass).
_CHECK_ORDER = (None, MISTAKES[3], MISTAKES[0], MISTAKES[2], MISTAKES[4], MISTAKES[1])


def suspects() -> tuple[Callable, ...]:
    """Five backward passes for the bug hunt, each with one of the catalogued MISTAKES (which one is the hunt)."""
    return tuple(_make(kind) for kind in _SETUP_ORDER)


_TRACES = {
    MISTAKES[0]: "a weight gradient built from another layer's activations has, in the setup's network (its "
                 "sizes all differ), a wrong number of rows: a wrong shape, and not the transposed one.",
    MISTAKES[1]: "a transposed weight gradient has, in every layer, the shape of its weight matrix with rows "
                 "and columns swapped.",
    MISTAKES[2]: "a missing activation derivative leaves the output layer right and spoils the hidden layers, "
                 "tanh layers (fs_tanh) as much as sigmoid ones.",
    MISTAKES[3]: "tanh's derivative on a sigmoid layer spoils the hidden layers of the sigmoid network (fs), "
                 "but a network of tanh layers (fs_tanh) passes.",
    MISTAKES[4]: "a sum instead of a mean makes every weight and bias gradient, in every layer, exactly B times "
                 "the measured one.",
}


def find_bug(fn: Callable) -> None:
    """``find_bug(backward_fn)``: the name of backward_fn's mistake from MISTAKES, or None for a correct pass.

    The check runs it on its own, fresh, backward passes: a correct one and one with each mistake. The
    feedback describes only what the learner's answer claims.
    """
    what = "find_bug(backward_fn)"
    hint = ("(Some of the backward passes return gradients whose shapes are not their parameters': compare "
            f"shapes before values ({CHAPTER}, the judge of 'Reading a relative error').)")
    answers = []
    for kind in _CHECK_ORDER:
        result = _call(fn, _make(kind), what=what, hint=hint)
        if result is not None and not isinstance(result, str):
            fail(f"find_bug should return one of the names in MISTAKES (a string) or None; got "
                 f"{type(result).__name__} {result!r}.")
        if isinstance(result, str) and result not in MISTAKES:
            fail(f"find_bug returned {result!r}, which is not one of the names in MISTAKES. Return a name exactly "
                 "as MISTAKES writes it, or None when every layer passes.")
        answers.append(result)
    right = sum(a == k for a, k in zip(answers, _CHECK_ORDER))
    if right == len(_CHECK_ORDER):
        passed("find_bug")
        return
    score = (f" (find_bug named {right} of the {len(_CHECK_ORDER)} backward passes right: five with a mistake, "
             "one correct.)")
    if answers[0] is not None:
        fail(f"find_bug named a mistake, {answers[0]!r}, for a correct backward pass, which should give None. If "
             "your check fails a correct gradient, look at the check first: eps, the floor, the threshold "
             f"({CHAPTER}, 'Reading a relative error').{score}")
    buggy = answers[1:]
    if any(a is None for a in buggy):
        fail("find_bug returned None, no mistake, for a backward pass that has one. Each of the five mistakes "
             "fails the check of at least one layer: does find_bug run the check on both arrays of every layer, "
             f"with the backward_fn it is given?{score}")
    named = [a for a in buggy if a is not None]
    repeated = sorted({a for a in named if named.count(a) > 1})
    if repeated:
        fail(f"find_bug named {repeated[0]!r} for more than one backward pass; each of the five has a different "
             f"mistake. What tells this mistake apart from the others: {_TRACES[repeated[0]]}{score}")
    wrong = next(a for a, k in zip(answers, _CHECK_ORDER) if a != k)
    fail(f"find_bug named {wrong!r} for a backward pass whose mistake is another one. The trace of that "
         f"mistake: {_TRACES[wrong]} Look at what your check measures for this pass ({CHAPTER}, 'A catalogue of "
         f"mistakes').{score}")
