"""Central finite differences, the yardstick every derived gradient is checked against."""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f: Callable[[], float], param: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Estimate dL/dparam by central differences, one element at a time.

    ``f`` takes no arguments and returns the loss computed from the current
    contents of ``param``; each element of ``param`` is nudged in place by
    ``+eps`` and ``-eps`` and restored afterwards::

        dL/dp ~ (L(p + eps) - L(p - eps)) / (2 eps)

    The truncation error of this estimate shrinks like eps**2 (against eps for
    the one-sided difference) while its rounding error grows like 1/eps; the
    best eps is near the cube root of float64's machine epsilon, about 1e-5 to
    1e-6 for losses of order 1 (chapter 7 measures it). ``param`` must be a
    float64 array.
    """
    if not isinstance(param, np.ndarray) or param.dtype != np.float64:
        raise TypeError("param must be a float64 NumPy array (float32 is too coarse for a gradient check)")
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + eps
        plus = float(f())
        param[index] = saved - eps
        minus = float(f())
        param[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """max |a - b| / max(|a| + |b|, floor), element-wise, as a single number.

    The worst element. For a small network's correct float64 gradient it is
    around 1e-10; an error of 1e-2 or more signals a bug. In a network with many
    parameters some entries of a correct gradient lie near zero, where the
    estimate's fixed absolute rounding error is large relative to them: raise
    ``floor`` (e.g. to 1e-4 times the gradient's scale) or compare whole
    gradients by their norms (chapters 4 and 7).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
