"""Checks for the graded exercises: feedback that names the mistake.

Each exercise's check cells call a function of this package with the learner's
function. The check runs it on crafted inputs (sizes chosen so that a transpose
or a broadcast shows), compares the result with the right answer, and when it
is wrong compares it with the results of the mistakes learners make. The
feedback names the mistake it matches and says what to look at, never the
solution's code. A passing check prints one line; a failing one raises
``AssertionError`` with the feedback, which is what the grader reports.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["Mistake", "diagnose", "call", "passed", "fail", "unpack", "shape_answer"]


@dataclass(frozen=True)
class Mistake:
    """A wrong answer learners give, and what to tell them when theirs matches it."""

    value: Any
    feedback: str


def fail(message: str) -> None:
    """Stop the check with feedback for the learner."""
    raise AssertionError(message)


def passed(what: str) -> None:
    print(f"{what}: correct")


def call(fn: Callable[..., Any], *args: Any, what: str, copy_inputs: bool = True) -> Any:
    """Call the learner's function on copies of the inputs; turn a crash into feedback.

    The copies are deep, lists of arrays included, so the learner's function may
    change its inputs in place without touching the check's data. A check that
    wants to see whether the inputs were changed passes copies of its own and
    ``copy_inputs=False``; so does one that passes objects whose identity
    matters (the nodes of a computation graph, whose closures refer to each
    other) or that cannot be copied at all (a generator is passed through as it is).
    """
    if not callable(fn):
        fail(f"{what}: expected a function, got {type(fn).__name__}")
    copies = [_copied(a) for a in args] if copy_inputs else list(args)
    try:
        result = fn(*copies)
    except NotImplementedError:
        raise
    except Exception as err:  # the learner's code failed: say how, not where in ours
        hint = ""
        if isinstance(err, ValueError) and ("matmul" in str(err) or "shapes" in str(err) or "broadcast" in str(err)):
            hint = " The shapes in an operation do not fit: write down the shape of every array in it."
        fail(f"{what} raised {type(err).__name__}: {err}.{hint}")
    return result


def _copied(value: Any) -> Any:
    """A deep copy, or the value itself when it cannot be copied (a generator, say)."""
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - not every object can be copied
        return value


def unpack(result: Any, what: str, names: Sequence[str], extra: str = "") -> tuple[Any, ...]:
    """The learner's function returned several values: check how many, and name them if wrong."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = type(result).__name__ + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        fail(f"{what} should return {len(names)} values, ({', '.join(names)}); got a {got}.{extra}")
    return tuple(result)


def shape_answer(answer: Any, name: str) -> tuple[int, ...]:
    """A shape the learner gave as an answer: it must be a tuple of whole numbers."""
    if not isinstance(answer, tuple) or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool)
                                                for n in answer):
        fail(f"{name} should be a tuple of whole numbers, like (2, 3); got {answer!r}")
    return tuple(int(n) for n in answer)


def _as_array(value: Any, what: str) -> np.ndarray:
    if value is None:
        fail(f"{what} is None: did the function forget to return it?")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"{what} should be a NumPy array of numbers, got {type(value).__name__}")
    return array


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-10))


def diagnose(got: Any, want: Any, what: str, mistakes: Sequence[Mistake] = (), batch: int | None = None) -> None:
    """Pass silently if ``got`` equals ``want``; otherwise fail with the likeliest explanation.

    The order of the questions is the order in which a tutor would ask them:
    is it an array, does it have the right shape (and if not, is it the
    transpose, a broadcast, a known mistake), is it finite, is it right, is it
    a known mistake, is it off by a sign or a constant factor.
    """
    got = _as_array(got, what)
    want = np.asarray(want, dtype=float)
    known = [(np.asarray(m.value, dtype=float), m.feedback) for m in mistakes]
    if got.shape != want.shape:
        for value, feedback in known:
            if _close(got, value):
                fail(f"{what}: {feedback}")
        if want.ndim == 2 and got.shape == want.T.shape:
            if _close(got.T, want):
                fail(f"{what} has shape {got.shape} but should have shape {want.shape}. It holds the right "
                     "numbers, transposed: check the order of the factors in the product (and which one is "
                     "transposed).")
            fail(f"{what} has shape {got.shape} but should have shape {want.shape}: it looks transposed "
                 "(and its values are wrong too).")
        if got.ndim == 2 and got.shape[0] == got.shape[1] and want.ndim == 2 and 1 in want.shape:
            fail(f"{what} has shape {got.shape} but should have shape {want.shape}: a column and a row (or a "
                 "1-d array) of the same length were combined element by element, and broadcasting made a "
                 "square of every pair. Give both operands the same shape first.")
        if got.size == want.size:
            fail(f"{what} has shape {got.shape} but should have shape {want.shape} (the same number of "
                 "entries, arranged differently).")
        fail(f"{what} has shape {got.shape} but should have shape {want.shape}.")
    if not np.all(np.isfinite(got)):
        fail(f"{what} contains NaN or infinity.")
    if _close(got, want):
        return
    for value, feedback in known:
        if _close(got, value):
            fail(f"{what}: {feedback}")
    if not np.any(got) and np.any(want):
        fail(f"{what} is zero everywhere: is something still a placeholder (np.zeros), or multiplied by a "
             "factor that is zero?")
    if np.any(want != 0) and _close(got, -want):
        fail(f"{what} has the right size but the opposite sign: check the order of each subtraction "
             "and every sign that follows from it.")
    if want.ndim == 2 and want.shape[0] == want.shape[1] and _close(got, want.T):
        fail(f"{what} holds the right numbers, transposed (the shape cannot show it: the matrix is "
             "square): check the order of the factors in the product and which one is transposed.")
    scale = _constant_ratio(got, want)
    if scale is not None:
        if batch and np.isclose(scale, batch):
            fail(f"{what} is {batch} times too large (the batch size): it is summed over the batch where "
                 "the mean was asked for.")
        if batch and np.isclose(scale, 1 / batch):
            fail(f"{what} is {batch} times too small (the batch size): it is divided by the batch size "
                 "once too often.")
        if np.isclose(scale, 2):
            fail(f"{what} is twice the right value: look for a factor 2 too many (a loss with a factor 1/2 "
                 "in front of a square has no 2 in its derivative).")
        if np.isclose(scale, 0.5):
            fail(f"{what} is half the right value: check the factor 2 of the square.")
        fail(f"{what} is {scale:.3g} times the right value: a factor is missing or extra.")
    fail(f"{what} has the right shape {want.shape} but not the right values, and it matches none of the "
         "common mistakes; go through the chapter's equation for it factor by factor.")


def _constant_ratio(got: np.ndarray, want: np.ndarray) -> float | None:
    mask = np.abs(want) > 1e-12
    if not mask.any() or np.any(np.abs(got[~mask]) > 1e-12):
        return None
    ratios = got[mask] / want[mask]
    if np.allclose(ratios, ratios.flat[0], rtol=1e-6):
        return float(ratios.flat[0])
    return None
