"""Checks of exercise 6, training a real network (chapter 6).

Shapes follow the book, one sample per row: a data set ``X`` is (N, n_0), its
one-hot targets ``Y`` are (N, n_L), ``labels`` are whole numbers of shape (N,).
A network is two lists, ``Ws[l - 1]`` = W^(l) of shape (n_{l-1}, n_l) and
``bs[l - 1]`` = b^(l) of shape (n_l,), with ReLU hidden layers and a softmax
output; its loss is the cross-entropy averaged over the mini-batch, and
``gradients(Ws, bs, X, Y)`` (given to the learner, re-implemented here as
``_gradients``) returns the gradients of that mean.

The checks use few samples and tiny networks, so that each runs in
milliseconds. Where a mistake hides when sizes agree, a case has them agree (as
many samples as classes, for an argmax over the wrong axis or a transposed
one-hot); elsewhere sizes differ. Where a task's answer is a measurement (the
mini-batches of an epoch, the largest stable learning rate), the check runs the
learner's function on several cases first and then names the mistake whose
answers match on all of them.

Small generic helpers live here rather than in ``checks/__init__``: ``_number``
(one real number was returned), ``_whole`` (one whole number was returned) and
``_iterate`` (run a function that yields, turning a crash while iterating into
feedback as ``call`` does for a call).
"""

from __future__ import annotations

from numbers import Real
from typing import Any, Callable, Sequence

import numpy as np

from . import Mistake, call, diagnose, fail, passed, unpack

__all__ = ["prepare", "minibatches", "epoch_counts", "sgd_epoch", "accuracy", "best_epoch",
           "largest_stable_rate"]

Array = np.ndarray
CHAPTER = "chapter 6"


# ----------------------------------------------------------------------------
# Small helpers


def _number(value: object, what: str) -> float:
    """One real number (Python, NumPy or a one-element array), or feedback."""
    if isinstance(value, (bool, np.bool_)):
        fail(f"{what} should be a number, got {value!r}")
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf":
        return float(value.reshape(()))
    if value is None:
        fail(f"{what} is None: did the function forget to return it?")
    shape = f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""
    fail(f"{what} should be one number, got {type(value).__name__}{shape}")
    raise AssertionError  # unreachable: fail raises


def _whole(value: object, what: str) -> int:
    """One whole number (an int, or a float with no fractional part), or feedback."""
    number = _number(value, what)
    if not float(number).is_integer():
        fail(f"{what} should be a whole number, got {number:g}")
    return int(number)


def _iterate(fn: Callable, *args: Any, what: str) -> list[Any]:
    """Call ``fn`` and go through what it yields or returns; a crash becomes feedback."""
    result = call(fn, *args, what=what, copy_inputs=False)
    if result is None:
        fail(f"{what} returned None: it should yield the mini-batches, one (X_batch, Y_batch) pair at a time "
             "(a function with `yield` in its loop).")
    if isinstance(result, tuple) and len(result) == 2 and all(isinstance(r, np.ndarray) for r in result):
        fail(f"{what} returned a single pair of arrays; it should yield one (X_batch, Y_batch) pair for every "
             "mini-batch of the epoch.")
    try:
        return list(result)
    except NotImplementedError:
        raise
    except TypeError as err:
        if "not iterable" in str(err):
            fail(f"{what} returned a {type(result).__name__}, which cannot be iterated over: it should yield the "
                 "mini-batches one at a time.")
        fail(f"going through the mini-batches of {what} raised TypeError: {err}.")
    except Exception as err:  # the learner's generator failed while running
        fail(f"going through the mini-batches of {what} raised {type(err).__name__}: {err}.")
    raise AssertionError  # unreachable


# ----------------------------------------------------------------------------
# The reference network: ReLU hidden layers, a softmax output, mean cross-entropy


def _log_softmax(z: Array) -> Array:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _forward(Ws: Sequence[Array], bs: Sequence[Array], X: Array) -> tuple[list[Any], list[Array]]:
    zs: list[Any] = [None]
    activations = [X]
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        z = activations[-1] @ W + b
        zs.append(z)
        activations.append(np.exp(_log_softmax(z)) if l == len(Ws) else np.maximum(z, 0.0))
    return zs, activations


def _loss(Ws: Sequence[Array], bs: Sequence[Array], X: Array, Y: Array) -> float:
    return float(-np.sum(Y * _log_softmax(_forward(Ws, bs, X)[0][-1])) / len(X))


def _gradients(Ws: Sequence[Array], bs: Sequence[Array], X: Array, Y: Array) -> tuple[list[Array], list[Array]]:
    """The gradients of the mean cross-entropy over the rows of X (the setup cell's ``gradients``)."""
    zs, activations = _forward(Ws, bs, X)
    n_layers, batch = len(Ws), len(X)
    dWs: list[Array] = [np.empty(0)] * n_layers
    dbs: list[Array] = [np.empty(0)] * n_layers
    delta = activations[-1] - Y
    for l in range(n_layers, 0, -1):
        if l < n_layers:
            delta = (delta @ Ws[l].T) * (zs[l] > 0)
        dWs[l - 1] = activations[l - 1].T @ delta / batch
        dbs[l - 1] = delta.mean(axis=0)
    return dWs, dbs


def _init(sizes: Sequence[int], seed: int, bias_scale: float = 0.0) -> tuple[list[Array], list[Array]]:
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(0, bias_scale, size=n_out) if bias_scale else np.zeros(n_out) for n_out in sizes[1:]]
    return Ws, bs


def _data(seed: int, n: int, n_0: int, n_classes: int) -> tuple[Array, Array, Array]:
    """Inputs, labels that a small network can learn, and their one-hot targets."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_0))
    labels = np.argmax(X @ rng.normal(size=(n_0, n_classes)), axis=1)
    return X, labels, np.eye(n_classes)[labels]


# ----------------------------------------------------------------------------
# 1. Scaling the pixels and one-hot targets


def prepare(fn: Callable) -> None:
    """``prepare(X_raw, labels, n_classes)`` returns ``(X, Y)``: pixels in [0, 1], one-hot rows.

    The first case's pixels stop at 15 and its labels miss the last class, so that
    dividing by the largest pixel present, or counting the classes from the
    largest label, shows. The second has as many samples as classes, where a
    one-hot with one column per sample has the right shape.
    """
    cases = [(1, 7, 12, 10, 15, 9), (2, 5, 8, 5, 16, 4)]  # seed, B, pixels, n_classes, top pixel, labels below
    for seed, batch, n_pixels, n_classes, top, below in cases:
        rng = np.random.default_rng(seed)
        X_raw = rng.integers(0, top + 1, size=(batch, n_pixels)).astype(float)
        X_raw[0, 0] = top  # the largest count present
        labels = rng.integers(0, below, size=batch)
        labels[rng.integers(batch)] = below - 1  # the largest label present, one below the last class
        given_X, given_labels = X_raw.copy(), labels.copy()
        what = f"prepare(X_raw, labels, {n_classes})"
        X, Y = unpack(call(fn, given_X, given_labels, n_classes, what=what, copy_inputs=False), what, ("X", "Y"))
        want_X = X_raw / 16
        note = f" (Here the largest count in X_raw is {top}, the largest label {below - 1}, and n_classes is " \
               f"{n_classes}.)"
        if np.shape(X) == want_X.shape and not np.any(np.asarray(X, dtype=float)):
            fail("X is zero everywhere. Floor division rounds every count below 16 down to 0 (and 16 to 1); the "
                 "scaled pixels are fractions, each count divided by 16 in ordinary division.")
        diagnose(X, want_X, "X", [
            Mistake(X_raw, "the pixels are still the counts 0..16. Scaled to [0, 1] they keep the pre-activations "
                           f"of the first layer small, so its units do not saturate ({CHAPTER}, 'Scaling the "
                           "pixels')."),
            Mistake(X_raw / 255, "the pixels are divided by 255, the largest value of an MNIST byte; these digits "
                                 "count 'on' pixels in a 4 by 4 block, from 0 to 16."),
            Mistake(X_raw / top, "the pixels are divided by the largest count present in this data, not by 16, the "
                                 "largest count possible: a data set without a full block would be scaled "
                                 "differently from one with it, and new images differently again." + note),
            Mistake(X_raw // 16, "the division rounded every pixel down to a whole number (floor division), so "
                                 "only full blocks stay 1 and every other pixel becomes 0."),
            Mistake((X_raw - X_raw.mean()) / X_raw.std(), "the pixels are standardised (mean 0, standard "
                                                          "deviation 1); the task asks for pixels in [0, 1], each "
                                                          "count divided by 16."),
        ])
        want_Y = np.eye(n_classes)[labels]
        one_column = (f"it holds the labels themselves; a softmax output with {n_classes} units needs one-hot target "
                      f"rows, shape ({batch}, {n_classes}): a 1 in the label's column and 0 elsewhere ({CHAPTER}, "
                      "'One-hot targets' and 'Integer labels where one-hot targets belong').")
        mistakes = [
            Mistake(labels, one_column),
            Mistake(labels.reshape(-1, 1), one_column),
            Mistake(np.eye(below)[labels], f"it has {below} columns, one too few for n_classes = {n_classes}: the "
                                           "number of classes was taken from the largest label in the data, and "
                                           f"these labels have no {n_classes - 1}. Use n_classes, as the "
                                           f"chapter's one_hot does ({CHAPTER}, 'One-hot targets')." + note),
            Mistake(np.eye(n_classes)[(labels - 1) % n_classes], "each 1 is one column to the left of its label: "
                                                                "label d goes in column d, counting from 0."),
            Mistake(np.eye(n_classes + 1)[labels][:, 1:], "each 1 is one column to the left of its label: label d "
                                                          "goes in column d, counting from 0."),
            Mistake(np.eye(n_classes + 1)[labels], f"it has {n_classes + 1} columns, one too many: label d goes in "
                                                   "column d, counting from 0, so n_classes columns are enough."),
            Mistake(want_Y.T, f"it has one column per sample; in this book the targets have one ROW per sample, "
                              f"({batch}, {n_classes}), like the network's output."),
        ]
        if batch != n_classes and labels.max() < batch:
            mistakes.append(Mistake(np.eye(batch)[labels], f"it has {batch} columns, one per sample; it needs one "
                                                           f"per class, n_classes = {n_classes}."))
        diagnose(Y, want_Y, "Y", mistakes)
        if not np.array_equal(given_X, X_raw) or not np.array_equal(given_labels, labels):
            fail("prepare changed the arrays it was given (divided X_raw in place?). Return new arrays and leave "
                 "X_raw and labels as they were: the caller may still need the raw data.")
    passed("prepare")


# ----------------------------------------------------------------------------
# 2. The mini-batches of one epoch


def _row_ids(rows: Array, lookup: dict[bytes, int], name: str, what: str) -> list[int]:
    ids = []
    for row in rows:
        key = np.ascontiguousarray(row, dtype=float).tobytes()
        if key not in lookup:
            fail(f"{what} yields a {name} row that is not a row of the {name} it was given: the mini-batches "
                 "should hold the samples themselves, unchanged.")
        ids.append(lookup[key])
    return ids


def _epoch(fn: Callable, X: Array, Y: Array, batch: int, rng: np.random.Generator,
           what: str) -> tuple[list[list[int]], Array, Array]:
    """The sample numbers of each mini-batch the learner yields, and the X and Y after the epoch."""
    n_0, n_L = X.shape[1], Y.shape[1]
    X_in, Y_in = X.copy(), Y.copy()
    pairs = _iterate(fn, X_in, Y_in, batch, rng, what=what)
    x_ids = {row.tobytes(): i for i, row in enumerate(X)}
    y_ids = {row.tobytes(): i for i, row in enumerate(Y)}
    batches = []
    for number, pair in enumerate(pairs, start=1):
        X_b, Y_b = unpack(pair, f"mini-batch {number} of {what}", ("X_batch", "Y_batch"))
        X_b, Y_b = np.asarray(X_b), np.asarray(Y_b)
        if X_b.ndim != 2 or X_b.shape[1:] != (n_0,):
            fail(f"X_batch of mini-batch {number} has shape {X_b.shape}; a mini-batch of b samples has shape "
                 f"(b, {n_0}), one row per sample, even when b is 1.")
        if Y_b.ndim != 2 or Y_b.shape[1:] != (n_L,):
            fail(f"Y_batch of mini-batch {number} has shape {Y_b.shape}; a mini-batch of b samples has shape "
                 f"(b, {n_L}), one row per sample, even when b is 1.")
        if len(X_b) != len(Y_b):
            fail(f"mini-batch {number} has {len(X_b)} rows of X but {len(Y_b)} rows of Y: each sample's input and "
                 "target travel together.")
        ids_x = _row_ids(X_b, x_ids, "X", what)
        ids_y = _row_ids(Y_b, y_ids, "Y", what)
        if ids_x != ids_y:
            if not np.array_equal(X_in, X) or not np.array_equal(Y_in, Y):
                fail("the rows of X and Y no longer belong together: X and Y were shuffled in place, separately, "
                     "and two shuffles draw two different orders, so each input now sits next to another "
                     "sample's target. Draw ONE random order of the sample numbers per epoch and take both "
                     f"X's and Y's rows in that order; leave the arrays you are given unchanged ({CHAPTER}, "
                     "'Mini-batch stochastic gradient descent').")
            fail("the rows of X_batch and Y_batch do not belong together: X and Y were put in two different "
                 "random orders, so each input now sits next to another sample's target. Draw ONE random order "
                 "of the sample numbers per epoch and take both X's and Y's rows in that order.")
        batches.append(ids_x)
    return batches, X_in, Y_in


def minibatches(fn: Callable) -> None:
    """``minibatches(X, Y, batch, rng)`` yields ``(X_batch, Y_batch)`` for one epoch in a random order.

    Cases: 11 samples in batches of 4 (a last batch of 3), 12 in batches of 4 (no
    partial batch, so no empty one either), 10 in batches of 4 (sizes 4, 4, 2,
    where three nearly equal parts would be 4, 3, 3), 5 in batches of 8 (one
    batch). Each
    case is run twice with generators of the same seed (the same batches) and
    then once more with the first generator (a new order).
    """
    for seed, n, batch in [(21, 11, 4), (22, 12, 4), (24, 10, 4), (23, 5, 8)]:
        data = np.random.default_rng(seed)
        X, Y = data.normal(size=(n, 3)), data.normal(size=(n, 2))  # random rows: each sample can be traced
        what = f"minibatches(X, Y, {batch}, rng) with {n} samples"
        sizes = [batch] * (n // batch) + ([n % batch] if n % batch else [])
        rng = np.random.default_rng(seed + 100)
        batches, X_after, Y_after = _epoch(fn, X, Y, batch, rng, what)
        got_sizes = [len(b) for b in batches]
        flat = [i for b in batches for i in b]
        count = f"{n} samples in mini-batches of {batch}"
        if not batches:
            fail(f"{what} yields nothing: an epoch of {count} has {len(sizes)} mini-batches.")
        if 0 in got_sizes:
            fail(f"for {count} it yields an empty mini-batch (sizes {got_sizes}): the loop over the starts of the "
                 "mini-batches runs once too often.")
        if sorted(flat) != list(range(n)):
            seen = set(flat)
            if got_sizes == sizes[:-1] and len(seen) == len(flat):
                fail(f"for {count} it yields the sizes {got_sizes}: the last, shorter mini-batch of "
                     f"{sizes[-1]} is dropped, so those samples are never trained on in this epoch. Every "
                     f"sample is used once per epoch ({CHAPTER}, 'Mini-batch stochastic gradient descent').")
            if len(flat) > n and all(s == batch for s in got_sizes):
                fail(f"for {count} every mini-batch has {batch} samples (sizes {got_sizes}): the last one was "
                     f"filled up with samples that had already been used. It should be shorter, {sizes[-1]} "
                     "samples, so that every sample is used exactly once per epoch.")
            if len(seen) < len(flat):
                fail(f"for {count} some samples appear more than once in the epoch and others not at all "
                     f"({len(seen)} different samples in {len(flat)} rows): the samples were drawn with "
                     "replacement. An epoch uses every sample exactly once, in a random ORDER.")
            fail(f"for {count} the mini-batches hold {len(flat)} rows in sizes {got_sizes}; an epoch uses every "
                 f"sample exactly once, in mini-batches of sizes {sizes}.")
        if flat == list(range(n)):
            fail(f"for {count} the samples come in their original order: the epoch is not shuffled. Data often "
                 f"arrive sorted (all the zeros first), and then every mini-batch is one class ({CHAPTER}, "
                 "'Forgetting to shuffle, with sorted data').")
        blocks = [set(range(start, min(start + batch, n))) for start in range(0, n, batch)]
        if len(batches) > 1 and sorted(map(sorted, map(set, batches))) == sorted(map(sorted, blocks)):
            fail(f"for {count} each mini-batch holds a run of consecutive samples of X: only the order of the "
                 "mini-batches, or the order inside each, was shuffled, so every epoch has the same mini-batches. "
                 "Shuffle the samples themselves, then cut the new order into mini-batches.")
        if got_sizes != sizes:
            fail(f"for {count} the mini-batches have sizes {got_sizes}; consecutive mini-batches of {batch} with "
                 f"the shorter one last give sizes {sizes}.")
        if not np.array_equal(X_after, X) or not np.array_equal(Y_after, Y):
            fail("minibatches changed the order of the X or Y it was given (shuffled them in place). A caller "
                 "that keeps the labels in another array, to measure the accuracy, would find them no longer "
                 "matching the rows of X. Index the rows in a random order instead, and leave X and Y as they "
                 "were.")
        again, _, _ = _epoch(fn, X, Y, batch, np.random.default_rng(seed + 100), what)
        if again != batches:
            fail("two runs with generators made from the same seed give different mini-batches: the order is "
                 "not drawn from the rng passed in (NumPy's global random functions, or a generator of its own?). "
                 "Drawing from the given rng makes a training run reproducible.")
        if n > batch:
            following, _, _ = _epoch(fn, X, Y, batch, rng, what)
            if following == batches:
                fail("two epochs in a row, drawn from the same rng, give the same mini-batches: each epoch needs "
                     "a new order, drawn from the rng passed in (was a fixed seed used inside the function?).")
    passed("minibatches")


# ----------------------------------------------------------------------------
# 3. How many updates in an epoch


def epoch_counts(updates: object, last_batch: object) -> None:
    """N = 1000 samples, B = 32: the updates per epoch and the size of the last mini-batch."""
    got = _number(updates, "UPDATES_PER_EPOCH")
    hints = {
        31.0: "31 full mini-batches hold 992 samples; the 8 samples left over make one more, shorter mini-batch, "
              f"and one more update. Every sample is used once per epoch ({CHAPTER}, 'Mini-batch stochastic "
              "gradient descent').",
        31.25: "31.25 is N / B; the number of updates is a whole number: the 8 samples left over after 31 full "
               "mini-batches make one more, shorter mini-batch.",
        1000.0: "1000 is the number of samples: an update is made per mini-batch, not per sample.",
        33.0: "33 mini-batches of 32 would need 1056 samples; count the full mini-batches first, then what is "
              "left over.",
    }
    if got != 32:
        fail("UPDATES_PER_EPOCH: " + hints.get(got, f"{got:g} is not the number of updates: one update per "
                                                    "mini-batch, and the mini-batches of 32 cover the 1000 "
                                                    "samples exactly once, the last one shorter."))
    last = _number(last_batch, "LAST_BATCH_SIZE")
    hints = {
        32.0: "the last mini-batch is shorter: after 31 full mini-batches of 32 only 8 samples are left, and "
              "it is not filled up with samples already used.",
        0.0: "the 8 samples left over after 31 full mini-batches are not dropped: they make the last mini-batch.",
        24.0: "24 is how many samples the last mini-batch would need to be full; it holds the samples that are "
              "left over.",
    }
    if last != 8:
        fail("LAST_BATCH_SIZE: " + hints.get(last, f"{last:g} is not the size of the last mini-batch: it holds "
                                                   "what is left of the 1000 samples after the full mini-batches."))
    passed("updates per epoch")


# ----------------------------------------------------------------------------
# 4. One epoch of mini-batch SGD


class _Recorder:
    """The gradient function handed to the learner's ``sgd_epoch``: it counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, Ws: Sequence[Array], bs: Sequence[Array], X: Array, Y: Array) -> tuple[list, list]:
        self.calls += 1
        return _gradients([np.asarray(W, dtype=float) for W in Ws], [np.asarray(b, dtype=float) for b in bs],
                          np.asarray(X, dtype=float), np.asarray(Y, dtype=float))


def _sgd(Ws: Sequence[Array], bs: Sequence[Array], batches: Sequence[tuple[Array, Array]], eta: float,
         mistake: str = "") -> list[Array]:
    """One epoch, right or with one named mistake; returns the parameters after it, Ws then bs."""
    start_W, start_b = [W.copy() for W in Ws], [b.copy() for b in bs]
    Ws, bs = [W.copy() for W in Ws], [b.copy() for b in bs]
    if mistake == "all at the start":
        grads = [_gradients(start_W, start_b, X, Y) for X, Y in batches]
        for dWs, dbs in grads:
            Ws = [W - eta * d for W, d in zip(Ws, dWs)]
            bs = [b - eta * d for b, d in zip(bs, dbs)]
        return Ws + bs
    for number, (X, Y) in enumerate(batches):
        if mistake in {"layer by layer", "layer by layer, output first"}:
            order = range(len(Ws)) if mistake == "layer by layer" else reversed(range(len(Ws)))
            for i in order:
                dWs, dbs = _gradients(Ws, bs, X, Y)
                Ws[i], bs[i] = Ws[i] - eta * dWs[i], bs[i] - eta * dbs[i]
            continue
        at_W, at_b = (start_W, start_b) if mistake == "from the start" else (Ws, bs)
        dWs, dbs = _gradients(at_W, at_b, X, Y)
        factor = {"uphill": -eta, "divided by B": eta / len(X), "times B": eta * len(X), "no eta": 1.0}.get(
            mistake, eta)
        Ws = [W - factor * d for W, d in zip(at_W, dWs)]
        bs = list(at_b) if mistake == "biases kept" else [b - factor * d for b, d in zip(at_b, dbs)]
        if mistake == "first only":
            break
    return Ws + bs


_SGD_MISTAKES = {
    "uphill": "the step goes up the gradient, which raises the loss: each parameter moves AGAINST its gradient "
              f"({CHAPTER}, eq. ch6-sgd-step).",
    "divided by B": "every step is B times too small, B being that mini-batch's size: grad_fn already returns "
                    "the gradient of the MEAN loss over the mini-batch, so the 1/B is in it, and dividing by the "
                    "batch size again shrinks the step. (With the extra division the learning rate would mean "
                    f"something different for every batch size; {CHAPTER}, 'How large may the learning rate "
                    "be?'.)",
    "times B": "every step is B times too large, B being that mini-batch's size: that is the step of the SUMMED "
               "loss over the mini-batch. grad_fn returns the gradient of the MEAN loss and the step is eta times "
               f"it; with the sum the usable learning rates shrink by a factor B ({CHAPTER}, 'How large may the "
               "learning rate be?').",
    "no eta": "the learning rate eta is missing from the step.",
    "biases kept": "the biases were not updated: every weight AND every bias takes a step.",
    "from the start": "each step started again from the parameters the epoch began with, so only the last "
                      "mini-batch's step is left at the end. The steps accumulate: each mini-batch's gradient is "
                      "taken at the parameters the previous step left, and its step starts from there (keep the "
                      "updated lists from one mini-batch to the next).",
    "all at the start": "every mini-batch's gradient was computed at the parameters the epoch began with, before "
                        "any step. Each step needs the gradient at the CURRENT parameters: compute a mini-batch's "
                        "gradient, take its step, then go on to the next mini-batch.",
    "first only": "only the first mini-batch's step was taken (a return inside the loop?): an epoch takes one "
                  "step for every mini-batch the iterable yields.",
    "layer by layer": "a layer was updated before the gradients of the other layers were computed: the "
                      "gradients of the layers below depend on the weights above, so every gradient of one step "
                      "is computed at the same parameters, with ONE call of grad_fn per mini-batch, and only then "
                      "is every layer updated.",
}
_SGD_MISTAKES["layer by layer, output first"] = _SGD_MISTAKES["layer by layer"]

# seed, layer sizes, mini-batch sizes, eta: a last mini-batch shorter than the others, so
# that a factor B in the step is not one constant factor over the epoch.
_SGD_CASES = ((31, (3, 5, 4), (4, 4, 3), 0.5), (32, (4, 6, 5, 3), (5, 5, 2), 0.3))


def sgd_epoch(fn: Callable) -> None:
    """``sgd_epoch(Ws, bs, batches, eta, grad_fn)`` returns ``(Ws, bs)`` after one step per mini-batch."""
    for seed, sizes, batch_sizes, eta in _SGD_CASES:
        Ws, bs = _init(sizes, seed, bias_scale=0.1)
        X, _, Y = _data(seed + 1, sum(batch_sizes), sizes[0], sizes[-1])
        starts = np.cumsum((0,) + batch_sizes)
        batches = [(X[a:b], Y[a:b]) for a, b in zip(starts[:-1], starts[1:])]
        right = _sgd(Ws, bs, batches, eta)
        recorder = _Recorder()
        what = "sgd_epoch(Ws, bs, batches, eta, grad_fn)"
        given = iter([(X_b.copy(), Y_b.copy()) for X_b, Y_b in batches])  # a generator, like minibatches(...)
        result = call(fn, [W.copy() for W in Ws], [b.copy() for b in bs], given, eta, recorder, what=what,
                      copy_inputs=False)
        if result is None:
            fail("sgd_epoch returned None: return the lists (Ws, bs) after the epoch, also when you updated the "
                 "arrays in place.")
        if isinstance(result, (tuple, list)) and all(isinstance(r, np.ndarray) for r in result):
            fail(f"sgd_epoch returned {len(result)} arrays; it should return the two LISTS (Ws, bs), the weights "
                 "of every layer and the biases of every layer.")
        new_Ws, new_bs = unpack(result, what, ("Ws", "bs"))
        L = len(Ws)
        for name, value in (("Ws", new_Ws), ("bs", new_bs)):
            if not isinstance(value, (list, tuple)) or len(value) != L:
                fail(f"the {name} returned by sgd_epoch should be a list of {L} arrays, one per layer, like the "
                     f"{name} it was given.")
        got = list(new_Ws) + list(new_bs)
        names = [f"Ws[{i}]" for i in range(L)] + [f"bs[{i}]" for i in range(L)]
        want_shapes = [p.shape for p in right]
        for g, name, shape in zip(got, names, want_shapes):
            if np.shape(g) != shape:
                fail(f"{name} after the epoch has shape {np.shape(g)}; the parameters keep their shapes, "
                     f"{name} is {shape}.")
        arrays = [np.asarray(g, dtype=float) for g in got]
        if all(np.allclose(g, w, rtol=1e-7, atol=1e-10) for g, w in zip(arrays, right)):
            continue
        context = (f" (In this check {len(batches)} mini-batches of sizes {list(batch_sizes)}, the last one shorter; "
                   f"eta = {eta}.)")
        start = [W.copy() for W in Ws] + [b.copy() for b in bs]
        if all(np.allclose(g, s) for g, s in zip(arrays, start)):
            fail("sgd_epoch returned the parameters unchanged: no step was taken (were new arrays built and "
                 "then dropped?)." + context)
        for mistake, feedback in _SGD_MISTAKES.items():
            variant = _sgd(Ws, bs, batches, eta, mistake)
            if all(np.allclose(g, v, rtol=1e-7, atol=1e-10) for g, v in zip(arrays, variant)):
                fail(f"sgd_epoch: {feedback}{context}")
        if recorder.calls != len(batches):
            fail(f"sgd_epoch called grad_fn {recorder.calls} times for {len(batches)} mini-batches. Each step "
                 "takes ONE gradient, of its own mini-batch at the current parameters: call grad_fn once per "
                 "mini-batch, then update every layer." + context)
        for g, w, name in zip(arrays, right, names):
            diagnose(g, w, f"{name} after the epoch")
    passed("sgd_epoch")


# ----------------------------------------------------------------------------
# 5. Accuracy


def _softmax(z: Array) -> Array:
    return np.exp(_log_softmax(z))


# seed, samples, classes, logits: the square case first, where an argmax over the wrong axis runs.
# The seeds are chosen so that the right share and the share of every mistake below all differ
# (tests/test_grader_training.py checks it).
_ACCURACY_CASES = ((401, 5, 5, False), (3, 7, 3, False), (46, 6, 5, True))


def _accuracy_case(seed: int, batch: int, n_classes: int, logits: bool) -> tuple[str, Array, Array]:
    """(description, outputs, labels): outputs that favour the label's column, but not always enough."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=batch)
    Z = rng.normal(0, 1, size=(batch, n_classes)) + 1.5 * np.eye(n_classes)[labels]
    kind = "logits" if logits else "probabilities"
    return f"{batch} samples of {n_classes} classes, given as {kind}", (Z - 1 if logits else _softmax(Z)), labels


def _accuracy_mistakes(Y_hat: Array, labels: Array) -> list[tuple[float, str]]:
    """The share each mistake returns, and its feedback; the wrong axis only where it runs."""
    B, C = Y_hat.shape
    predicted = np.argmax(Y_hat, axis=1)
    hits = predicted == labels
    want = float(np.mean(hits))
    mistakes: list[tuple[float, str]] = []
    if B == C:
        mistakes.append((float(np.mean(np.argmax(Y_hat, axis=0) == labels)), _wrong_axis(B, C)))
    mistakes += [
        (float(np.sum(hits)), f"it is the NUMBER of samples classified right, {int(np.sum(hits))}; the accuracy "
                              "is their share, a number between 0 and 1."),
        (100 * want, "it is a percentage; the accuracy is a share between 0 and 1."),
        (1 - want, "it is the share of samples classified WRONG, the error rate."),
        (float(np.mean(np.argmin(Y_hat, axis=1) == labels)), "the predicted class is the column of the LARGEST "
                                                             "output, the most probable class."),
        (float(np.mean(np.max(Y_hat, axis=1) == labels)), "it compares the largest output VALUE with the label; "
                                                          "the predicted class is the column where the largest "
                                                          "output sits."),
        (float(np.mean(predicted[None, :] == labels[:, None])),
         "the predictions and the labels were compared with different shapes, a row and a column, so "
         "broadcasting compared every prediction with every label; compare them sample by sample, both of "
         f"shape ({B},)."),
    ]
    return mistakes


def _wrong_axis(B: int, C: int) -> str:
    return ("the predicted class of each sample is the column of ITS largest output, found across its row, over "
            "the classes. Taken down each column, over the samples, it gives one entry per class instead of one "
            "per sample" + (f"; it runs here only because there are as many samples as classes ({B})."
                            if B == C else "."))


def accuracy(fn: Callable) -> None:
    """``accuracy(Y_hat, labels)``: the share of samples whose largest output is in the label's column."""
    for case in _ACCURACY_CASES:
        description, Y_hat, labels = _accuracy_case(*case)
        what = f"accuracy(Y_hat, labels) for {description}"
        B, C = Y_hat.shape
        predicted = np.argmax(Y_hat, axis=1)
        hits = predicted == labels
        want = float(np.mean(hits))
        try:
            result = call(fn, Y_hat.copy(), labels.copy(), what=what)
        except AssertionError as err:
            if "broadcast" in str(err) and B != C:
                fail(f"{err} The array of predicted classes should have one entry per sample ({B} here), like "
                     f"labels. If it has one per class ({C}), the largest output was looked for down the columns: "
                     + _wrong_axis(B, C))
            raise
        if isinstance(result, np.ndarray) and result.size > 1:
            if result.shape == (B,) and np.array_equal(result.astype(float), hits.astype(float)):
                fail(f"{what} returns one entry per sample, whether it was classified right; the accuracy is one "
                     "number, the share of samples classified right.")
            if result.shape == (B,) and np.array_equal(result, predicted):
                fail(f"{what} returns the predicted classes; the accuracy is the share of them that equal the "
                     "labels.")
        got = _number(result, what)
        if np.isclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        for value, text in _accuracy_mistakes(Y_hat, labels):
            if np.isclose(got, value, rtol=1e-9, atol=1e-12):
                fail(f"{what} returns {got:.4g}: {text}")
        fail(f"{what} returns {got:.4g}, which is not the share of samples whose largest output is in the "
             "column of their label.")
    passed("accuracy")


# ----------------------------------------------------------------------------
# 6. Early stopping: the best epoch


# (training losses, validation losses), one entry per epoch, entry 0 after epoch 1.
_EPOCH_CASES = (
    ([2.0, 1.2, 0.8, 0.6, 0.45, 0.35, 0.3, 0.26], [2.1, 1.4, 1.05, 0.98, 1.01, 1.07, 1.12, 1.2]),
    ([1.5, 1.0, 0.7, 0.72, 0.5, 0.55], [1.6, 0.9, 1.0, 0.9, 0.95, 1.0]),  # the lowest twice: the earlier epoch
    ([0.9, 0.7, 0.6], [0.8, 0.85, 0.9]),  # the lowest after the first epoch
)


def _epoch_answers(train: Sequence[float], val: Sequence[float]) -> dict[str, int]:
    t, v = np.asarray(train), np.asarray(val)
    last_min = len(v) - 1 - int(np.argmin(v[::-1]))
    return {"right": int(np.argmin(v)) + 1, "from 0": int(np.argmin(v)), "training": int(np.argmin(t)) + 1,
            "training from 0": int(np.argmin(t)), "highest": int(np.argmax(v)) + 1, "later tie": last_min + 1,
            "last": len(v)}


_EPOCH_MISTAKES = {
    "from 0": "it is off by one: it returns the position in the list, counted from 0, but the epochs are counted "
              "from 1, and entry 0 holds the loss after epoch 1.",
    "training": "it is chosen on the TRAINING loss, which keeps falling as the network learns its training "
                "samples ever more precisely. The epoch to keep is the one where the loss on data the network is "
                f"not trained on, the validation loss, is lowest ({CHAPTER}, 'Training the network').",
    "training from 0": "it is chosen on the TRAINING loss, and counted from 0. The epoch to keep is the one with "
                       "the lowest VALIDATION loss, and the epochs are counted from 1.",
    "highest": "it picks the epoch with the HIGHEST validation loss, the worst one.",
    "later tie": "when two epochs share the lowest validation loss it picks the later one; the earlier one is "
                 "as good, and the task asks for it.",
    "last": "it is the last epoch, whatever the losses say: with early stopping the network kept is the one "
            "from the epoch with the lowest validation loss.",
}


def best_epoch(fn: Callable) -> None:
    """``best_epoch(train_losses, val_losses)``: the epoch (from 1) with the lowest validation loss."""
    answers: list[int] = []
    for train, val in _EPOCH_CASES:
        what = "best_epoch(train_losses, val_losses)"
        result = call(fn, list(train), list(val), what=what)
        if isinstance(result, (float, np.floating)) and float(result) in (min(val), min(train)):
            fail(f"{what} returns the lowest loss itself, {float(result):g}; the task asks for the epoch it was "
                 "reached after, a whole number counted from 1.")
        answers.append(_whole(result, what))
    table = [_epoch_answers(train, val) for train, val in _EPOCH_CASES]
    if answers == [t["right"] for t in table]:
        passed("best_epoch")
        return
    for mistake, feedback in _EPOCH_MISTAKES.items():
        if answers == [t[mistake] for t in table]:
            fail(f"best_epoch: {feedback}")
    for (train, val), got, t in zip(_EPOCH_CASES, answers, table):
        if got != t["right"]:
            for mistake, feedback in _EPOCH_MISTAKES.items():
                if got == t[mistake]:
                    fail(f"best_epoch for the validation losses {val}: {feedback}")
            fail(f"best_epoch for the validation losses {val} returns {got}, which is not the epoch (counted from "
                 "1) with the lowest validation loss.")


# ----------------------------------------------------------------------------
# 7. The largest learning rate that does not diverge


class _Recorded:
    """A training run replayed from recorded losses: ``run(eta)`` returns a fresh copy."""

    def __init__(self, losses: dict[float, Sequence[float]]) -> None:
        self.losses = {float(eta): np.array(values, dtype=float) for eta, values in losses.items()}

    def __call__(self, eta: float) -> Array:
        key = float(eta)
        if key not in self.losses:
            raise ValueError(f"this run was recorded for the rates {sorted(self.losses)} only, not {eta!r}")
        return self.losses[key].copy()


def _real_run() -> Callable[[float], Array]:
    """A real run: a [4, 8, 3] ReLU-softmax network, 12 full-batch steps on 30 samples."""
    X, _, Y = _data(60, 30, 4, 3)

    def run(eta: float) -> Array:
        Ws, bs = _init((4, 8, 3), 61)
        losses = [_loss(Ws, bs, X, Y)]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(12):
                dWs, dbs = _gradients(Ws, bs, X, Y)
                Ws = [W - eta * d for W, d in zip(Ws, dWs)]
                bs = [b - eta * d for b, d in zip(bs, dbs)]
                losses.append(_loss(Ws, bs, X, Y))
        return np.array(losses)

    return run


nan, inf = float("nan"), float("inf")
# Each case: (description, the run, the rates in the order given). See _rate_answers for the verdicts.
_RATE_CASES: tuple[tuple[str, Callable[[float], Array], tuple[float, ...]], ...] = (
    ("a real run of a small ReLU network with a softmax output", _real_run(), (0.3, 30, 3, 5, 1, 10, 0.1)),
    ("recorded runs in which one loss becomes nan and one inf", _Recorded({
        0.5: [2.3, 2.0, 1.8, 1.7, 1.65],
        1: [2.3, 1.7, 1.4, 1.5, 1.0],
        2: [2.3, 1.5, 1.9, 1.4, 1.3],
        4: [2.3, 2.1, nan, nan, nan],
        8: [2.3, 50.0, inf, inf, inf],
    }), (1, 0.5, 8, 2, 4)),
    ("recorded runs in which the loss leaps far above its start", _Recorded({
        0.1: [2.4, 2.2, 2.0, 1.9, 1.8],
        0.3: [2.4, 1.9, 1.5, 1.1, 0.8],
        1: [2.4, 1.6, 1.2, 1.25, 0.9],
        2: [2.4, 9.7, 2.31, 2.30, 2.30],
        4: [2.4, 31.0, 6.2, 5.9, 5.8],
    }), (4, 0.3, 2, 1, 0.1)),
    ("recorded runs that all diverge", _Recorded({
        3: [1.0, 1.5, 2.0, 2.5],
        10: [1.0, inf, inf, inf],
        30: [1.0, nan, nan, nan],
    }), (3, 10, 30)),
)


def _stable(losses: Array) -> bool:
    return bool(np.all(np.isfinite(losses)) and np.all(losses <= losses[0]))


def _rate_answers(run: Callable[[float], Array], etas: Sequence[float]) -> dict[str, object]:
    """What the right rule and each mistaken rule return for one case."""
    runs = {eta: run(eta) for eta in etas}
    rules: dict[str, Callable[[Array], bool]] = {
        "right": _stable,
        "last only": lambda l: bool(l[-1] <= l[0]),
        "nan passes": lambda l: not bool(np.any(l > l[0])),
        "finite only": lambda l: bool(np.all(np.isfinite(l))),
        "strictly falling": lambda l: bool(np.all(np.isfinite(l)) and np.all(np.diff(l) < 0)),
    }
    answers: dict[str, object] = {}
    for name, rule in rules.items():
        stable = [eta for eta in etas if rule(runs[eta])]
        answers[name] = max(stable) if stable else None
    stable = [eta for eta in etas if _stable(runs[eta])]
    right = answers["right"]
    answers["largest"] = max(etas)
    finals = {eta: runs[eta][-1] for eta in etas if np.isfinite(runs[eta][-1])}
    answers["lowest loss"] = min(finals, key=lambda eta: finals[eta]) if finals else None
    answers["smallest"] = min(stable) if stable else None
    answers["last in the list"] = stable[-1] if stable else None
    before = None
    for eta in etas:
        if not _stable(runs[eta]):
            break
        before = eta
    answers["stops at the first"] = before
    answers["position"] = list(etas).index(right) if right is not None else None
    return answers


_RATE_MISTAKES = {
    "last only": "a run counts as stable when its LAST loss is below the start. But a run can leap far above "
                 "its starting loss and then come back down (too large a step kills the ReLU units and the loss "
                 "settles near chance): a run whose loss rises above its start at ANY epoch diverged "
                 f"({CHAPTER}, 'How large may the learning rate be?').",
    "nan passes": "a run whose loss became nan counts as stable: every comparison with nan is False, so a test "
                  "that only looks for losses ABOVE the start lets nan through. A loss that is not a finite "
                  "number means the run diverged.",
    "finite only": "only inf and nan count as divergence here. A run whose loss rises above its start, to a "
                   "large but finite value, diverged too.",
    "strictly falling": "a run whose loss rises a little at one epoch, but never above its start, counts as "
                        "diverged here. Only a loss above the start, or one that is not finite, is divergence: "
                        "a run that trains well need not fall at every single epoch.",
    "largest": "it returns the largest rate of the list, whatever its run shows: the run of every rate has to "
               "be measured.",
    "lowest loss": "it returns the rate whose run ends with the lowest loss. The question is the LARGEST rate "
                   "whose run does not diverge, which need not be the one that trains best.",
    "smallest": "it returns the smallest rate whose run does not diverge; the task asks for the largest.",
    "last in the list": "it returns the last stable rate in the order of the list; the rates come in any order, "
                        "so compare the rates themselves.",
    "stops at the first": "it stops at the first rate that diverges, as if the list were sorted from small to "
                          "large; the rates come in any order.",
    "position": "it returns a position in the list; return the rate itself.",
}


def largest_stable_rate(fn: Callable) -> None:
    """``largest_stable_rate(run, etas)``: the largest rate whose run has only finite losses, none above the start."""
    with np.errstate(all="ignore"):  # the diverging runs overflow, on the learner's side and on ours
        _largest_stable_rate(fn)
    passed("largest_stable_rate")


def _largest_stable_rate(fn: Callable) -> None:
    got: list[object] = []
    tables = []
    for description, run, etas in _RATE_CASES:
        what = f"largest_stable_rate(run, etas) on {description}"
        try:
            result = call(fn, run, list(etas), what=what, copy_inputs=False)
        except AssertionError as err:
            if all(not _stable(run(eta)) for eta in etas):
                fail(f"{err} In this case every rate diverges: then the function should return None.")
            raise
        if result is not None:
            value = _number(result, what)
            if not any(value == eta for eta in etas) and not float(value).is_integer():
                fail(f"{what} returns {value:g}, which is not one of the rates it was given.")
            result = value
        got.append(result)
        tables.append(_rate_answers(run, etas))
    if got == [t["right"] for t in tables]:
        return
    for mistake, feedback in _RATE_MISTAKES.items():
        if got == [t[mistake] for t in tables]:
            fail(f"largest_stable_rate: {feedback}")
    for (description, _, etas), value, table in zip(_RATE_CASES, got, tables):
        if value == table["right"]:
            continue
        if table["right"] is None:
            fail(f"largest_stable_rate on {description}, the rates {list(etas)}, returns {value:g}; every one of "
                 "these runs diverges, and then the function should return None.")
        if value is None:
            fail(f"largest_stable_rate on {description}, the rates {list(etas)}, returns None, but at least one "
                 "of these runs does not diverge.")
        for mistake, feedback in _RATE_MISTAKES.items():
            if value == table[mistake]:
                fail(f"largest_stable_rate on {description}: {feedback}")
        fail(f"largest_stable_rate on {description}, the rates {list(etas)}, returns {value:g}, which is not the "
             "largest rate whose run keeps every loss finite and none above the loss at the start.")
