"""Checks of exercise 5, output layers and losses (chapter 5).

Shapes follow the book, one sample per row: the output layer's pre-activations
(the logits) ``z``, the outputs ``y_hat`` and the targets ``y`` are (B, n), with
n the number of output units. Every loss is averaged over the batch,
L_batch = (1/B) sum_s L_s, and returned as one number. An output delta is the
book's: row s is sample s's own dL_s/dz_s, with no 1/B (chapters 3 to 5); the
softmax cross-entropy task asks instead for dL_batch/dZ, which carries the 1/B
once. The softmax Jacobian is taken for one sample, a row y_hat of shape (1, n).

The checks use batches whose size differs from the number of outputs, so that a
sum or a softmax over the wrong axis shows in the shape or breaks broadcasting,
and also square batches (B = n), where such a mistake keeps every shape right and
only the values show it. The numerically delicate tasks run on logits large
enough that a probability rounds to exactly 0 or 1 (|z| around 40) and that e^z
overflows (|z| of several hundred).

Small generic helpers live here rather than in ``checks/__init__``: ``_same``
(equal values, NaN and infinity included), ``_number`` (a function returned a
single number) and ``_near`` (two numbers agree to a relative tolerance).
"""

from __future__ import annotations

from numbers import Real
from typing import Any, Callable, Sequence

import numpy as np

from . import Mistake, call, diagnose, fail, passed

__all__ = ["squared_error", "binary_cross_entropy", "softmax", "softmax_jacobian", "softmax_cross_entropy_grad",
           "pairs", "gradient_check"]

Array = np.ndarray
CHAPTER = "chapter 5"


# ----------------------------------------------------------------------------
# The reference functions, and helpers


def _sigmoid(z: Array) -> Array:
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _softplus(t: Array) -> Array:
    return np.logaddexp(0.0, t)  # log(1 + e^t) without overflow


def _log_softmax(z: Array) -> Array:
    shifted = z - np.max(z, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def _softmax(z: Array) -> Array:
    return np.exp(_log_softmax(z))


def _quiet(compute: Callable[[], Any]) -> Any:
    """A wrong variant's value, computed without NumPy's warnings (it may well be inf or NaN)."""
    with np.errstate(all="ignore"):
        return compute()


def _same(got: Any, value: Any) -> bool:
    """The same shape and values, where NaN equals NaN and inf equals inf."""
    try:
        got, value = np.asarray(got, dtype=float), np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == value.shape and bool(np.allclose(got, value, rtol=1e-7, atol=1e-10, equal_nan=True))


def _near(got: float, want: float, rtol: float = 1e-3) -> bool:
    return abs(got - want) <= rtol * abs(want) + 1e-12


def _number(value: Any, what: str, per_sample: Array | None = None, entries: Array | None = None) -> float:
    """A loss the learner returned: it must be one number (a 0-d or one-element array is accepted)."""
    if value is None:
        fail(f"{what} returned None: did the function forget to return the loss?")
    if isinstance(value, (bool, np.bool_)):
        fail(f"{what} should return one number, the loss; got {value!r}")
    if isinstance(value, Real):
        return float(value)
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"{what} should return one number, the loss; got {type(value).__name__}")
    if array.size == 1:
        return float(array.reshape(()))
    if per_sample is not None and _same(array, per_sample):
        fail(f"{what} returns one loss per sample, shape {array.shape}; the task asks for L_batch, one number: "
             "the mean of the samples' losses over the batch.")
    if entries is not None and _same(array, entries):
        fail(f"{what} returns one term per entry, shape {array.shape}; the loss is one number: a sum over the "
             "output units, averaged over the samples.")
    fail(f"{what} should return one number, the loss averaged over the batch; got an array of shape {array.shape}.")
    raise AssertionError  # unreachable: fail raises


def _loss(got: float, want: float, what: str, mistakes: Sequence[Mistake], batch: int) -> None:
    diagnose(np.asarray(got), np.asarray(want), what, mistakes, batch=batch)


def _labels(rng: np.random.Generator, batch: int, n: int) -> Array:
    """One-hot targets, every class present when the batch allows it."""
    classes = rng.permutation(np.arange(batch) % n)
    return np.eye(n)[classes]


# ----------------------------------------------------------------------------
# 1. Squared error, with and without the one half


def squared_error(loss_fn: Callable, delta_fn: Callable) -> None:
    """``squared_error(y_hat, y, half)``: L_batch; ``squared_error_delta(y_hat, y, half)``: sigmoid outputs' delta."""
    for seed, batch, n in ((1, 5, 3), (2, 4, 2)):
        rng = np.random.default_rng(seed)
        y_hat = _sigmoid(rng.normal(scale=1.5, size=(batch, n)))
        y = rng.uniform(0.05, 0.95, size=(batch, n))
        error = y_hat - y
        prime = y_hat * (1 - y_hat)
        squares = error**2
        for half in (True, False):
            c = 0.5 if half else 1.0
            what = f"squared_error(y_hat, y, half={half})"
            got = _number(call(loss_fn, y_hat, y, half, what=what), what,
                          per_sample=c * squares.sum(axis=1), entries=c * squares)
            other = 1.0 if half else 0.5
            flag = ("it is twice the right value: with half=True the loss has the factor 1/2 in front of the "
                    f"sum of squares ({CHAPTER}, 'Squared error with and without the one half')." if half else
                    "it is half the right value: with half=False there is no factor 1/2, the loss is the plain "
                    f"sum of squares of eq. ch5-mse ({CHAPTER}).")
            _loss(got, c * squares.sum() / batch, what, [
                Mistake(other * squares.sum() / batch, flag),
                Mistake(c * squares.mean(), f"it is divided by the number of entries, B n = {batch * n}, as "
                                            "PyTorch's MSELoss does by default. The book sums over the output units "
                                            "and averages over the samples only, so it divides by B."),
                Mistake(other * squares.mean(), f"it is divided by the number of entries, B n = {batch * n}, and "
                                                "the factor 1/2 is " + ("missing." if half else "there although "
                                                                        "half=False.")),
                Mistake(c * squares.sum(), "it is summed over the batch where the mean was asked for."),
                Mistake(c * np.abs(error).sum() / batch, "the errors are not squared."),
            ], batch)
            what = f"squared_error_delta(y_hat, y, half={half})"
            got = call(delta_fn, y_hat, y, half, what=what)
            right = 2 * c * error * prime
            if half:
                factor = ("it is twice the right value: with the half, the 2 of the square cancels against the "
                          f"1/2 ({CHAPTER}, eq. ch5-mse-delta).")
                missing = ("the sigmoid's derivative is missing, and the 2 of the square should have cancelled "
                           "against the half: this is neither dL/dy_hat nor the delta.")
            else:
                factor = ("it is half the right value: without the one half, the 2 of the square stays in the "
                          f"derivative ({CHAPTER}, eq. ch5-mse-delta).")
                missing = ("the sigmoid's derivative is missing, and without the half the 2 of the square stays: "
                           "this is neither dL/dy_hat nor the delta.")
            no_prime = ("the sigmoid's derivative is missing: this is dL/dy_hat, the derivative with respect to "
                        "the output, but the delta is dL/dz, one more step of the chain rule through the sigmoid "
                        f"({CHAPTER}, 'Sigmoid with the squared error, and the delta of the cross-entropy').")
            diagnose(got, right, "delta", [
                Mistake(2 * c * error, no_prime),
                Mistake(2 * other * error * prime, factor),
                Mistake(2 * other * error, missing),
                Mistake(2 * c * error * (1 - y_hat**2), "1 - y_hat**2 is the derivative of tanh, written from its "
                                                         "output; these output units are sigmoids."),
                Mistake(2 * c * error * _sigmoid(y_hat) * (1 - _sigmoid(y_hat)),
                        "the sigmoid's derivative was taken of y_hat as if it were z: y_hat is already sigma(z), "
                        "so its derivative is written from y_hat directly."),
                Mistake(right / batch, "it is divided by the batch size. Row s of the delta is sample s's own "
                                       "dL_s/dz_s; the 1/B of the batch mean enters once, later, in the weight "
                                       f"and bias gradients ({CHAPTER}, eq. ch5-recurrence)."),
            ], batch=batch)
    passed("squared_error and squared_error_delta")


# ----------------------------------------------------------------------------
# 2. Binary cross-entropy from the logits


def _bce_entries(z: Array, y: Array) -> Array:
    return _softplus(z) - y * z


def _bce_from(p: Array, y: Array, batch: int) -> float:
    return _quiet(lambda: float(-np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / batch))


_ROUNDED = ("it is inf or NaN where |z| = 40: the sigmoid of 40 rounds to exactly 1.0 in float64, the log of "
            "1 minus it is the log of 0, minus infinity (and 0 times minus infinity is NaN). Compute the loss from "
            "the logit z itself, never from a rounded probability "
            f"({CHAPTER}, 'Computing the losses without overflow', eq. ch5-bce-logits).")
_OVERFLOW = ("it is inf or NaN for logits of several hundred: e^z overflows to inf above z = 709. Write the "
             "softplus so that no exponent it computes is ever positive, as the chapter does "
             f"({CHAPTER}, 'Computing the losses without overflow').")
_CLIPPED = ("the probabilities were kept away from 0 and 1 by a small constant. The loss is finite now, but "
            "wrong for large logits: a sample whose logit is 40 on the wrong side should cost about 40, and the "
            "constant caps what it can cost. Compute the loss from the logit z itself, where nothing needs capping "
            f"({CHAPTER}, eq. ch5-bce-logits).")


def _bce_cases() -> list[tuple[str, Array, Array]]:
    rng = np.random.default_rng(3)
    moderate = (rng.normal(scale=2.0, size=(5, 3)), rng.integers(0, 2, size=(5, 3)).astype(float))
    return [
        ("moderate", *moderate),
        ("rounded", np.array([[40.0, -40.0, 3.0], [40.0, -38.0, 0.5]]), np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])),
        ("overflow", np.array([[800.0, -800.0, 2.0], [-750.0, 710.0, -1.0]]),
         np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])),
    ]


def binary_cross_entropy(loss_fn: Callable, delta_fn: Callable) -> None:
    """``binary_cross_entropy(z, y)``: L_batch from the logits; ``binary_cross_entropy_delta(z, y)``: the delta."""
    for case, z, y in _bce_cases():
        batch, n = z.shape
        entries = _bce_entries(z, y)
        what = "binary_cross_entropy(z, y)"
        got = _number(call(loss_fn, z, y, what=what), what, per_sample=entries.sum(axis=1), entries=entries)
        if not np.isfinite(got):
            if case == "rounded":
                fail(f"{what}: {_ROUNDED}")
            if case == "overflow":
                fail(f"{what}: {_OVERFLOW}")
        p = _sigmoid(z)
        mistakes = [Mistake(_bce_from(np.clip(p, eps, 1 - eps), y, batch), _CLIPPED)
                    for eps in (1e-7, 1e-8, 1e-10, 1e-12, 1e-15)]
        mistakes += [Mistake(_quiet(lambda: float(-np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
                                                 / batch)), _CLIPPED) for eps in (1e-7, 1e-8, 1e-10, 1e-12, 1e-15)]
        mistakes += [
            Mistake(np.sum(y * _softplus(-z)) / batch,
                    "only the outputs whose target is 1 are charged: an output whose target is 0 pays for the "
                    f"probability it gives to 'yes' too, the second term of eq. ch5-bce ({CHAPTER})."),
            Mistake(entries.mean(), f"it is divided by the number of entries, B n = {batch * n}; the loss sums over "
                                    "the output units and averages over the samples only, so it divides by B."),
            Mistake(np.sum(_softplus(z) + y * z) / batch, "a sign is wrong in the loss written with the logits: "
                                                          f"rework the step from eq. ch5-bce to eq. ch5-bce-logits "
                                                          f"({CHAPTER})."),
        ]
        _loss(got, entries.sum() / batch, f"{what} for {case} logits", mistakes, batch)

        if case == "rounded":
            continue  # the delta is checked on the moderate and the overflowing logits
        what = "binary_cross_entropy_delta(z, y)"
        got = call(delta_fn, z, y, what=what)
        right = p - y
        apart = _quiet(lambda: (p - y) / (p * (1 - p)) * (p * (1 - p)))
        if case == "overflow" and _same(got, apart) and not np.all(np.isfinite(apart)):
            fail(f"{what}: it is NaN for saturated outputs. dL/dy_hat and the sigmoid's derivative were computed "
                 "apart and multiplied, and where the sigmoid rounds to 0 or 1 that divides 0 by 0. The two cancel "
                 f"in the formula: cancel them before computing ({CHAPTER}, eq. ch5-bce-delta).")
        diagnose(got, right, "delta", [
            Mistake(right * p * (1 - p),
                    "the sigmoid's derivative is multiplied in, but the loss's derivative already divided it out: "
                    f"it is used twice ({CHAPTER}, eq. ch5-bce-delta and 'The activation derivative twice')."),
            Mistake(_quiet(lambda: (p - y) / (p * (1 - p))),
                    "this is dL/dy_hat, the derivative with respect to the output; the delta is dL/dz, one more step "
                    f"of the chain rule, through the sigmoid ({CHAPTER}, eqs. ch5-bce-dyhat and ch5-bce-delta)."),
            Mistake(z - y, "this subtracts the target from the logit z; the output y_hat is the sigmoid of z."),
            Mistake(right / batch, "it is divided by the batch size. Row s of the delta is sample s's own "
                                   "dL_s/dz_s; the 1/B of the batch mean enters once, later, in the weight and bias "
                                   f"gradients ({CHAPTER}, eq. ch5-recurrence)."),
        ], batch=batch)
    passed("binary_cross_entropy and binary_cross_entropy_delta")


# ----------------------------------------------------------------------------
# 3. The stable softmax and log-softmax


_NAIVE = ("it is NaN for large logits: e^z overflows to inf above z = 709, and inf / inf is NaN. Subtracting the "
          "same number from every entry of a row does not change the softmax; choose it so that no exponent is "
          f"positive ({CHAPTER}, eq. ch5-shift).")
_BATCH_SHIFT = ("it is NaN for a row whose logits all lie far below those of another row: the number subtracted is "
                "the largest logit of the whole batch, so that row's exponentials all underflow to 0, and 0 / 0 is "
                f"NaN. Each row needs its own shift, its own largest entry ({CHAPTER}, eq. ch5-shift).")
_WRONG_AXIS = ("each column sums to 1 instead of each row: with one sample per row, a sample's probabilities run "
               f"along its row, over the classes ({CHAPTER}, 'The softmax over the wrong axis').")


def _softmax_cases() -> list[tuple[str, Array]]:
    rng = np.random.default_rng(5)
    return [
        ("square", rng.normal(scale=2.0, size=(4, 4))),     # B = n: a wrong axis keeps the shape
        ("moderate", rng.normal(scale=2.0, size=(5, 3))),
        ("large", np.array([[1000.0, 0.0, -1000.0], [400.0, -400.0, 0.0]])),
        ("rows apart", np.array([[1000.0, 999.0, 998.0], [0.0, -1.0, -2.0], [-5.0, -700.0, 3.0]])),
    ]


def _softmax_mistakes(z: Array) -> list[Mistake]:
    """Wrong normalisations, of the raw exponentials and of those shifted by each row's largest logit."""
    with np.errstate(all="ignore"):  # several of them are inf or NaN for large logits
        return _softmax_variants(z)


def _softmax_variants(z: Array) -> list[Mistake]:
    raw = np.exp(z)
    shifted = np.exp(z - np.max(z, axis=1, keepdims=True))
    mistakes = []
    for e in (raw, shifted):
        mistakes += [
            Mistake(e / e.sum(axis=0), _WRONG_AXIS),
            Mistake(e / e.sum(), "it is normalised over the whole batch, every entry divided by one sum: each "
                                 "sample's probabilities must sum to 1 on their own."),
        ]
        if z.shape[0] == z.shape[1]:
            mistakes.append(Mistake(e / e.sum(axis=1),
                                    "entry (s, k) is divided by the sum of row k, not of row s: the row sums, one "
                                    "per sample, were divided along the wrong axis (broadcasting lines a 1-d array "
                                    "up with the last axis). Keep the sums as a column, one row per sample. It runs "
                                    "only because B = n here."))
    column_shift = np.exp(z - z.max(axis=0))
    mistakes += [
        Mistake(column_shift / column_shift.sum(axis=1, keepdims=True),
                "the number subtracted differs along a row (it is each column's largest entry): the shift leaves "
                f"the softmax unchanged only if it is the same for every entry of a row ({CHAPTER}, eq. ch5-shift)."),
        Mistake(_sigmoid(z), "this is the sigmoid of each entry; the softmax divides each exponential by the sum "
                             f"over its row ({CHAPTER}, eq. ch5-softmax)."),
    ]
    return mistakes


def _log_softmax_mistakes(z: Array) -> list[Mistake]:
    with np.errstate(all="ignore"):  # several of them are inf or NaN for large logits
        return _log_softmax_variants(z)


def _log_softmax_variants(z: Array) -> list[Mistake]:
    shifted = z - np.max(z, axis=1, keepdims=True)
    mistakes = [
        Mistake(_softmax(z), "this is the softmax, not its log."),
        Mistake(shifted, "the log-sum-exp term is missing: this is only the shifted logits."),
        Mistake(shifted - np.log(np.sum(np.exp(shifted), axis=0)),
                f"the log-sum-exp runs over the wrong axis: a sample's sum runs along its row ({CHAPTER}, "
                "eq. ch5-log-softmax)."),
        Mistake(z - np.log(np.sum(np.exp(z))), "the log-sum-exp is taken over the whole batch; each sample has "
                                                "its own, over its row."),
    ]
    return mistakes + [Mistake(np.log(m.value), "it is the log of a wrong softmax: " + m.feedback)
                       for m in _softmax_mistakes(z)]


def _row_sums(got: Any, what: str) -> None:
    """A finite softmax of the right shape whose rows do not sum to 1 says so."""
    array = np.asarray(got, dtype=float)
    if array.ndim == 2 and np.all(np.isfinite(array)) and not np.allclose(array.sum(axis=1), 1.0):
        fail(f"{what}: each row should sum to 1, one sample's probabilities over the classes, but the rows sum to "
             f"{np.round(array.sum(axis=1), 4)}. Check which entries each exponential is divided by "
             f"({CHAPTER}, eq. ch5-softmax).")


def softmax(softmax_fn: Callable, log_softmax_fn: Callable) -> None:
    """``softmax(z)`` and ``log_softmax(z)``, row by row, stable for large logits."""
    for case, z in _softmax_cases():
        what = "softmax(z)"
        got = call(softmax_fn, z, what=what)
        naive = _quiet(lambda: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
        batch_shift = _quiet(lambda: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=1, keepdims=True))
        if _same(got, naive) and not np.all(np.isfinite(naive)):
            fail(f"{what}: {_NAIVE}")
        if _same(got, batch_shift) and not np.all(np.isfinite(batch_shift)):
            fail(f"{what}: {_BATCH_SHIFT}")
        try:
            diagnose(got, _softmax(z), f"{what} for {case} logits", _softmax_mistakes(z))
        except AssertionError as err:
            if "matches none of the common mistakes" in str(err):
                _row_sums(got, f"{what} for {case} logits")
            raise

        what = "log_softmax(z)"
        got = call(log_softmax_fn, z, what=what)
        shifted = z - np.max(z, axis=1, keepdims=True)
        non_finite = [
            (_quiet(lambda: np.log(_softmax(z))),
             "it is minus infinity where a probability underflowed to 0: the log was taken of the softmax. Take "
             "the log of the softmax's formula first, so that no log of a probability is ever computed "
             f"({CHAPTER}, eq. ch5-log-softmax)."),
            (_quiet(lambda: np.log(naive)), f"{_NAIVE} The log of that is NaN too; and even the shifted softmax "
                                            "underflows to 0 for these logits, whose log is minus infinity: take "
                                            f"the log of the formula instead ({CHAPTER}, eq. ch5-log-softmax)."),
            (_quiet(lambda: z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))),
             "the log-sum-exp overflows for large logits: e^z is inf above z = 709. Shift each row by its largest "
             f"entry before the exponentials ({CHAPTER}, eq. ch5-log-softmax)."),
            (_quiet(lambda: (z - z.max()) - np.log(np.sum(np.exp(z - z.max()), axis=1, keepdims=True))),
             _BATCH_SHIFT.replace("0 / 0 is NaN", "the log of 0 is minus infinity")),
        ]
        if not np.all(np.isfinite(np.asarray(got, dtype=float))):
            for value, feedback in non_finite:
                if _same(got, value) and not np.all(np.isfinite(value)):
                    fail(f"{what}: {feedback}")
        diagnose(got, shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True)), f"{what} for {case} logits",
                 _log_softmax_mistakes(z))
    passed("softmax and log_softmax")


# ----------------------------------------------------------------------------
# 4. The softmax Jacobian and the sum over paths


def _jacobian_mistakes(y_hat: Array) -> list[Mistake]:
    s = y_hat[0]
    n = s.size
    return [
        Mistake(-np.outer(s, s), "the diagonal term is missing: on the diagonal, z_k also moves y_hat_k through "
                                 "its own numerator e^{z_k}, the Iverson bracket [k = m] of eq. ch5-softmax-jacobian "
                                 f"({CHAPTER}, 'The softmax Jacobian')."),
        Mistake(np.diag(s * (1 - s)), "only the diagonal is there. The softmax does not act on each entry alone: "
                                      "raising z_m takes probability away from every other class, so every "
                                      f"off-diagonal entry is nonzero ({CHAPTER}, 'The softmax Jacobian')."),
        Mistake(np.diag(s) - s @ s, "the product of the outputs became a single number (an inner product), "
                                    "subtracted from every entry; entry (k, m) needs the product of y_hat_k and "
                                    "y_hat_m, one number for each pair (k, m) (eq. ch5-jacobian-matrix)."),
        Mistake(np.diag(s) - s**2, "the products of the outputs were taken entry by entry (each output squared), "
                                   "and broadcasting spread that row over every row; entry (k, m) needs the product "
                                   "of y_hat_k and y_hat_m, one number for each pair (k, m) "
                                   "(eq. ch5-jacobian-matrix)."),
        Mistake(s[0] - np.outer(s, s), "the diagonal part holds the first output y_hat_1 in every entry: a "
                                       "diagonal matrix is built from the 1-d vector of the sample's outputs, "
                                       "and a (1, n) row handed to the diagonal function gives back its own "
                                       "diagonal, one number."),
        Mistake(np.eye(n) - np.outer(np.ones(n), s), "the factor y_hat_k in front of the bracket is missing "
                                                      f"(eq. ch5-softmax-jacobian, {CHAPTER})."),
        Mistake(np.eye(n) - np.outer(s, s), "the diagonal term has 1 where it should have y_hat_k: redo the "
                                            f"quotient rule of eq. ch5-softmax-jacobian ({CHAPTER})."),
        Mistake(np.outer(s, s) - np.diag(s), "it has the opposite sign: raising z_k raises y_hat_k, so the "
                                             "diagonal is positive, and lowers every other output, so the rest is "
                                             f"negative ({CHAPTER}, 'The softmax Jacobian')."),
        Mistake(_jacobian(_softmax(y_hat)), "the softmax was applied to y_hat again: y_hat already holds the "
                                            "softmax's outputs, and the Jacobian is written with them directly."),
    ]


def _jacobian(y_hat: Array) -> Array:
    return np.diag(y_hat[0]) - y_hat.T @ y_hat


def softmax_jacobian(jacobian_fn: Callable, delta_fn: Callable) -> None:
    """``softmax_jacobian(y_hat)``, (n, n) for one sample (1, n); ``softmax_delta(dL_dyhat, y_hat)``, (1, n)."""
    for seed, n in ((7, 4), (8, 3)):
        rng = np.random.default_rng(seed)
        y_hat = _softmax(rng.normal(scale=1.5, size=(1, n)))
        J = _jacobian(y_hat)
        got = call(jacobian_fn, y_hat, what="softmax_jacobian(y_hat)")
        diagnose(got, J, "the Jacobian", _jacobian_mistakes(y_hat))

        y = np.eye(n)[[int(rng.integers(n))]]
        g_random = rng.normal(size=(1, n))
        for name, g in (("the cross-entropy's", -y / y_hat), ("the half squared error's", y_hat - y),
                        ("a random", g_random)):
            what = f"softmax_delta(dL_dyhat, y_hat) with {name} dL/dy_hat"
            got = call(delta_fn, g, y_hat, what=what)
            diagnose(got, g @ J, what, [
                Mistake(g, "the Jacobian is missing: this is dL/dy_hat itself, but z_m reaches the loss through "
                           f"every output y_hat_k, one path each ({CHAPTER}, 'The sum over paths')."),
                Mistake(g * y_hat * (1 - y_hat),
                        "the softmax was treated as an element-wise activation: only the path through y_hat_m itself "
                        "is counted, with the Jacobian's diagonal. z_m reaches the loss through every output, and "
                        f"the chain rule adds one product per path ({CHAPTER}, eq. ch5-ce-paths)."),
                Mistake(y_hat - y, "this is y_hat - y whatever dL/dy_hat is: that short form holds only for the "
                                   "cross-entropy. Use the dL/dy_hat you are given and the Jacobian."),
            ] + [Mistake(g @ m.value, "the Jacobian it goes through is wrong: " + m.feedback)
                 for m in _jacobian_mistakes(y_hat)])
    passed("softmax_jacobian and softmax_delta")


# ----------------------------------------------------------------------------
# 5. The gradient of the softmax cross-entropy


def _ce_cases() -> list[tuple[str, Array, Array]]:
    rng = np.random.default_rng(11)
    return [
        ("moderate", rng.normal(scale=2.0, size=(5, 3)), _labels(rng, 5, 3)),
        ("square", rng.normal(scale=2.0, size=(4, 4)), _labels(rng, 4, 4)),
        ("large", np.array([[1000.0, 0.0, -1000.0], [400.0, -400.0, 0.0]]), np.eye(3)[[0, 1]]),
    ]


def _softmax_mse_delta(y_hat: Array, y: Array) -> Array:
    g = y_hat - y
    return y_hat * (g - np.sum(g * y_hat, axis=1, keepdims=True))


def softmax_cross_entropy_grad(fn: Callable) -> None:
    """``softmax_cross_entropy_grad(z, y)``: dL_batch/dZ for softmax outputs, the cross-entropy and one-hot y."""
    for case, z, y in _ce_cases():
        batch, n = z.shape
        y_hat = _softmax(z)
        right = (y_hat - y) / batch
        what = "softmax_cross_entropy_grad(z, y)"
        got = call(fn, z, y, what=what)
        e = _quiet(lambda: np.exp(z))
        naive = _quiet(lambda: (e / e.sum(axis=1, keepdims=True) - y) / batch)
        if _same(got, naive) and not np.all(np.isfinite(naive)):
            fail(f"{what}: it is NaN for large logits, because y_hat is: compute it with the stable softmax of "
                 f"task 3 ({CHAPTER}, eq. ch5-shift).")
        mistakes = [
            Mistake(y_hat - y, "these are the rows of the book's delta, each sample's own dL_s/dz_s. The task asks "
                               "for the gradient of L_batch, the MEAN over the batch, which carries the 1/B: applied "
                               f"exactly once ({CHAPTER}, eq. ch5-ce-batch-delta)."),
            Mistake(right / batch, "it is divided by the batch size twice: the 1/B of the mean over the batch is "
                                   f"applied exactly once ({CHAPTER}, eq. ch5-ce-batch-delta)."),
            Mistake(right / n, f"it is divided by the number of entries, B n = {batch * n}: the loss sums over the "
                               "classes and averages over the samples only."),
            Mistake(right * y_hat * (1 - y_hat),
                    "the softmax's derivative (its Jacobian's diagonal) is multiplied in after y_hat - y, which "
                    f"already went through the softmax's Jacobian ({CHAPTER}, 'The activation derivative twice')."),
            Mistake((y_hat - y) * y_hat * (1 - y_hat), "the softmax's derivative is multiplied in after y_hat - y, "
                                                       "which already went through the Jacobian; and the 1/B of "
                                                       "the batch mean is missing."),
            Mistake(_softmax_mse_delta(y_hat, y) / batch,
                    "this is the gradient of the squared error through the softmax (eq. ch5-softmax-mse-delta); "
                    "the loss here is the cross-entropy."),
            Mistake((_sigmoid(z) - y) / batch, "y_hat was computed with the sigmoid; this output layer is a "
                                               "softmax, each row's probabilities summing to 1."),
            Mistake((z - y) / batch, "this subtracts the targets from the logits z; the output y_hat is the "
                                     "softmax of z."),
            Mistake(_quiet(lambda: -y / y_hat / batch), "this is dL/dy_hat (eq. ch5-ce-dyhat) over B, the "
                                                        "derivative with respect to the outputs; the gradient asked "
                                                        "for is with respect to the logits z, through the softmax "
                                                        f"({CHAPTER}, 'The sum over paths')."),
        ] + [Mistake(_quiet(lambda: (m.value - y) / batch), "y_hat is wrong: " + m.feedback)
             for m in _softmax_mistakes(z)]
        diagnose(got, right, f"dL_batch/dZ for {case} logits", mistakes, batch=batch)
    passed("softmax_cross_entropy_grad")


# ----------------------------------------------------------------------------
# 6. Which delta goes with which pair


LETTERS = "ABCDEF"
PAIRS: dict[tuple[str, str], str] = {
    ("identity", "half squared error"): "A",
    ("identity", "squared error"): "F",
    ("sigmoid", "half squared error"): "B",
    ("sigmoid", "squared error"): "C",
    ("sigmoid", "binary cross-entropy"): "A",
    ("softmax", "cross-entropy"): "A",
    ("softmax", "half squared error"): "D",
}

_WHY: dict[tuple[str, str], dict[str, str]] = {
    ("identity", "half squared error"): {
        "B": "the identity output has derivative 1, so there is no sigmoid's derivative to multiply by.",
        "F": "with the one half, the 2 of the square cancels.",
        "": f"the identity's derivative is 1, so the delta is dL/dy_hat of the half squared error ({CHAPTER}, "
            "'Which delta goes with which pair').",
    },
    ("identity", "squared error"): {
        "A": f"without the one half, the 2 of the square stays ({CHAPTER}, eq. ch5-mse-delta).",
        "C": "the identity output has derivative 1, so there is no sigmoid's derivative to multiply by.",
        "": f"the identity's derivative is 1, and without the half the 2 of the square stays ({CHAPTER}, "
            "eq. ch5-mse-delta).",
    },
    ("sigmoid", "half squared error"): {
        "A": "y_hat - y is dL/dy_hat for this loss; the delta also goes through the sigmoid, whose derivative is "
             f"not divided out by the squared error ({CHAPTER}, 'Why dZ2 = A2 - Y works, and when it does not').",
        "C": "with the one half, the 2 of the square cancels.",
        "": f"chapters 1 to 4's output delta: dL/dy_hat times the sigmoid's derivative ({CHAPTER}, "
            "'Only the output delta changes').",
    },
    ("sigmoid", "squared error"): {
        "B": f"without the one half, the 2 of the square stays ({CHAPTER}, eq. ch5-mse-delta).",
        "F": "the sigmoid's derivative is missing: the delta is dL/dz, through the sigmoid.",
        "A": "without the half the 2 of the square stays, and the sigmoid's derivative is missing.",
        "": f"see eq. ch5-mse-delta ({CHAPTER}).",
    },
    ("sigmoid", "binary cross-entropy"): {
        "B": "the loss's derivative already divides the sigmoid's derivative out: multiplying it in again is "
             f"'the activation derivative twice' ({CHAPTER}, eq. ch5-bce-delta).",
        "E": "that is dL/dy_hat, the derivative with respect to the output; the delta is with respect to z, one "
             f"more step of the chain rule ({CHAPTER}, eqs. ch5-bce-dyhat and ch5-bce-delta).",
        "": f"see eqs. ch5-bce-dyhat and ch5-bce-delta ({CHAPTER}).",
    },
    ("softmax", "cross-entropy"): {
        "B": "that treats the softmax as an element-wise activation, and its Jacobian was already used in the sum "
             f"over paths ({CHAPTER}, eq. ch5-ce-paths).",
        "D": f"that is the squared error's delta through the softmax ({CHAPTER}, eq. ch5-softmax-mse-delta).",
        "": f"see the sum over paths, eqs. ch5-ce-paths and ch5-ce-delta ({CHAPTER}).",
    },
    ("softmax", "half squared error"): {
        "A": "y_hat - y is dL/dy_hat here: the sum over paths through the softmax's Jacobian is missing "
             f"({CHAPTER}, 'Softmax with the squared error, and the delta of the cross-entropy').",
        "B": "that treats the softmax as an element-wise activation; every output depends on every z_m, so the "
             f"delta needs the whole Jacobian ({CHAPTER}, eq. ch5-softmax-mse-delta).",
        "": f"for any pair but the matched ones, the chain rule goes through the softmax's Jacobian ({CHAPTER}, "
            "eq. ch5-softmax-mse-delta).",
    },
}


def pairs(answer: object) -> None:
    """``DELTAS``: for each (output activation, loss) pair, the letter of its output delta."""
    if not isinstance(answer, dict):
        fail(f"DELTAS should be a dict from (activation, loss) pairs to letters; got {type(answer).__name__}.")
    unknown = [key for key in answer if key not in PAIRS]
    if unknown:
        fail(f"DELTAS has the key {unknown[0]!r}, which is not one of the pairs of the task; copy the keys "
             "from the task's template.")
    missing = [key for key in PAIRS if key not in answer]
    if missing:
        fail(f"DELTAS lacks the pair {missing[0]!r}: give a letter for every pair of the task's template.")
    for key, right in PAIRS.items():
        value = answer[key]
        if not isinstance(value, str) or value.strip().upper() not in LETTERS:
            fail(f"DELTAS[{key!r}] should be one of the letters {', '.join(LETTERS)}; got {value!r}.")
        letter = value.strip().upper()
        if letter != right:
            why = _WHY[key].get(letter, _WHY[key][""])
            fail(f"DELTAS[{key!r}] = {letter!r} is not the output delta of {key[0]} outputs with the {key[1]}: "
                 f"{why}")
    passed("pairs")


# ----------------------------------------------------------------------------
# 7. A gradient check


def _planted(bug: str) -> Callable[[Array, Array], Array]:
    """A gradient function with the signature of softmax_cross_entropy_grad; ``bug`` makes it wrong."""

    def grad_fn(z: Array, y: Array) -> Array:
        y_hat = _softmax(np.asarray(z, dtype=float))
        delta = y_hat - y
        if bug == "extra derivative":
            delta = delta * y_hat * (1 - y_hat)
        return delta if bug == "no mean" else delta / len(z)

    return grad_fn


def _numerical(z: Array, y: Array, total: str = "mean") -> Array:
    """Central differences of the cross-entropy from the logits: the batch mean, or (mistakes) "sum" or "entries"."""
    from backprop_book.gradcheck import numerical_gradient

    probe = z.copy()
    divide = {"mean": len(z), "sum": 1, "entries": z.size}[total]

    def loss() -> float:
        return float(-np.sum(y * _log_softmax(probe)) / divide)

    return numerical_gradient(loss, probe)


def _whole(g: Array, g_num: Array) -> float:
    return float(np.linalg.norm(g - g_num) / (np.linalg.norm(g) + np.linalg.norm(g_num)))


def _worst(g: Array, g_num: Array) -> float:
    return float(np.max(np.abs(g - g_num) / np.maximum(np.abs(g) + np.abs(g_num), 1e-12)))


def gradient_check(fn: Callable) -> None:
    """``gradient_check(grad_fn, z, y)``: eq. ch4-whole-error of grad_fn(z, y) against central differences."""
    rng = np.random.default_rng(13)
    moderate = (rng.normal(scale=2.0, size=(5, 3)), _labels(rng, 5, 3))
    large = (np.array([[1000.0, 0.0, -1000.0], [400.0, -400.0, 0.0]]), np.eye(3)[[0, 1]])
    what = "gradient_check(grad_fn, z, y)"

    def run(bug: str, z: Array, y: Array) -> float:
        z_given, y_given = z.copy(), y.copy()
        got = call(fn, _planted(bug), z_given, y_given, what=what, copy_inputs=False)
        if not (np.array_equal(z_given, z) and np.array_equal(y_given, y)):
            fail("gradient_check changed the z or y it was given: after nudging an entry, put its old value back "
                 "(numerical_gradient does).")
        if got is None:
            fail("gradient_check returned None: did the function forget to return the relative error?")
        try:
            value = float(np.asarray(got, dtype=float))
        except (TypeError, ValueError):
            fail(f"gradient_check should return one number, the relative error; got {type(got).__name__}.")
        return value

    # A correct gradient, moderate logits: the error must be tiny.
    z, y = moderate
    g = _planted("")(z, y)
    num = _numerical(z, y)
    good = run("", z, y)
    if not np.isfinite(good):
        fail(f"for a correct gradient it returns {good}; the relative error is a finite number between 0 and 1.")
    if good > 1e-6:
        if _near(good, _whole(g, _numerical(z, y, "sum"))):
            fail("for a correct gradient it reports a large error: the loss it differentiates is summed over the "
                 "samples, but the gradient is that of L_batch, the mean over the batch.")
        if _near(good, _whole(g, _numerical(z, y, "entries"))):
            fail("for a correct gradient it reports a large error: the loss it differentiates is divided by the "
                 "number of entries B n; L_batch averages over the samples only.")
        if _near(good, 1.0, 1e-6):
            fail("for a correct gradient it reports an error of 1: the central differences are either all zero "
                 "(the loss does not see the nudged entries: it must read the very array z that is nudged, not a "
                 "copy of it) or of the opposite sign (the cross-entropy is MINUS the sum of y times the log "
                 "of the probabilities).")
        wrong = _planted("extra derivative")(z, y)
        if good < 1e-3 and _near(run("extra derivative", z, y), _worst(wrong, num)):
            fail(f"for a correct gradient it reports {good:.1e}, the relative error of the worst single entry, "
                 "which the rounding error of a tiny entry can dominate. The task asks for the whole gradient's, "
                 "eq. ch4-whole-error (chapter 4), one number for all the entries together.")
        fail(f"for a correct gradient it reports {good:.1e}; a correct gradient gives about 1e-9 or less. Compare "
             "grad_fn(z, y) with the central differences of L_batch, the mean over the batch of the samples' "
             f"cross-entropies, computed from the logits with your log_softmax ({CHAPTER}, eq. ch5-ce-batch).")
    # Two wrong gradients: the numbers must be the whole gradient's relative error.
    for bug, description in (("no mean", "without the 1/B of the mean"),
                             ("extra derivative", "with the softmax's derivative multiplied in again")):
        wrong = run(bug, z, y)
        g = _planted(bug)(z, y)
        want = _whole(g, num)
        if _near(wrong, want):
            continue
        if wrong < 1e-6:
            fail(f"it passed a gradient {description}. Does it compare the gradient that grad_fn returns (call "
                 "grad_fn, do not compute the gradient yourself)?")
        if _near(wrong, _worst(g, num)):
            fail("it returns the relative error of the worst single entry; the task asks for the whole gradient's, "
                 "eq. ch4-whole-error (chapter 4), one number for all the entries together.")
        fail(f"for a gradient {description} it reports {wrong:.3g}, which is not the relative error of "
             "eq. ch4-whole-error (chapter 4) between that gradient and the central differences.")
    # A correct gradient on large logits: the loss must stay finite.
    z, y = large
    big = run("", z, y)
    if not np.isfinite(big):
        fail(f"for large logits it returns {big}: the loss it differentiates is inf or NaN there, because it takes "
             "the log of a probability that underflowed to 0. Compute the cross-entropy from the logits, with "
             f"your log_softmax ({CHAPTER}, 'Computing the losses without overflow').")
    if big > 1e-6:
        fail(f"for a correct gradient and large logits it reports {big:.1e}; a correct gradient gives about 1e-9 "
             "or less. Compute the loss from the logits, with your log_softmax, and take the mean over the batch.")
    passed("gradient_check")
