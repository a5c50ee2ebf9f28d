"""Numbers and arrays as LaTeX, for the stepper's pages."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["latex_number", "latex_array", "shape_text"]

#: Largest number of rows or columns shown before the middle is elided.
MAX_SHOWN = 8


def latex_number(x: float, digits: int = 4) -> str:
    """Format one number with ``digits`` significant digits, exponents as powers of ten.

    >>> latex_number(0.000570726224)
    '0.0005707'
    >>> latex_number(-2.93588634e-05)
    '-2.936 \\\\times 10^{-5}'
    """
    x = float(x) + 0.0  # + 0.0 turns -0.0 into 0.0: a page should never show "-0"
    if math.isnan(x):
        return r"\text{NaN}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def _elided(n: int) -> list[int | None]:
    """Indices to show along an axis of length n; None marks the elided middle."""
    if n <= MAX_SHOWN:
        return list(range(n))
    half = MAX_SHOWN // 2
    return [*range(half - 1), None, *range(n - half + 1, n)]


def latex_array(value: ArrayLike, digits: int = 4) -> str:
    """A scalar, vector or matrix as LaTeX; long axes are elided with dots.

    A 1-d array is written as a row, as NumPy prints it; a 2-d array as a
    matrix with its own rows and columns, so a (1, n) row and an (n, 1)
    column look different.
    """
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return latex_number(a, digits)
    if a.ndim > 2:
        raise ValueError(f"can only format up to 2 dimensions, got shape {a.shape}")
    if a.ndim == 1:
        a = a[np.newaxis, :]
    rows = []
    for i in _elided(a.shape[0]):
        cells = []
        for j in _elided(a.shape[1]):
            if i is None:
                cells.append(r"\vdots" if j is not None else r"\ddots")
            elif j is None:
                cells.append(r"\cdots")
            else:
                cells.append(latex_number(a[i, j], digits))
        rows.append(" & ".join(cells))
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def shape_text(value: ArrayLike) -> str:
    """NumPy's shape as it prints, e.g. ``(1, 3)``; ``()`` for a scalar."""
    return str(tuple(np.shape(value)))
