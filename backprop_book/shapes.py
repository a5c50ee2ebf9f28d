"""See the shape of every array in a pass, and assert the shapes you expect.

Two tools for the bookkeeping that most backpropagation bugs are about:

- :func:`trace_shapes` runs one of your own functions and records the shape and
  dtype of every NumPy array that it, or any function of yours that it calls,
  holds in a local variable, in the order they were first seen::

      trace = trace_shapes(forward_backward, X, Y, W1, b1, W2, b2)
      trace            # prints a table: function, variable, shape, dtype
      trace.result     # what forward_backward returned

- :func:`expect_shape` checks one array's shape and, when it is wrong, says
  what the wrong shape usually means (a transpose, a ``(B,)`` array broadcast
  against a ``(B, 1)`` one, a sum over the wrong axis).

Library code (NumPy, the standard library, installed packages and this
package) is not traced, so the table lists only the learner's own variables.
The printed table holds names, shapes and dtypes only, never ids or
addresses, so it is the same on every run.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from dataclasses import dataclass
from types import CodeType, FrameType
from typing import Any, Callable, Iterator, Sequence, overload

import numpy as np

__all__ = ["ShapeError", "ShapeRecord", "ShapeTrace", "expect_shape", "trace_shapes"]

#: Name under which a returned array is listed when no local variable holds it.
RETURN = "(return)"


def _library_roots() -> tuple[str, ...]:
    """Folders holding library code, which is not traced."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots.add(os.path.dirname(os.path.abspath(__file__)))  # this package
    return tuple(sorted(os.path.join(os.path.abspath(r), "") for r in roots))


_LIBRARY = _library_roots()


def _is_own_code(code: CodeType) -> bool:
    """True for code the learner wrote: a notebook cell, a script, a test file."""
    filename = code.co_filename
    if filename.startswith("<frozen"):
        return False
    return not os.path.abspath(filename).startswith(_LIBRARY)


def _function_name(frame: FrameType) -> str:
    """The function's qualified name, e.g. ``Net.forward``, without ``<locals>`` parts."""
    code = frame.f_code
    return getattr(code, "co_qualname", code.co_name).replace("<locals>.", "")


@dataclass(frozen=True)
class ShapeRecord:
    """One row of a trace: in ``function``, ``variable`` held an array of this shape and dtype."""

    function: str
    variable: str
    shape: tuple[int, ...]
    dtype: str


class ShapeTrace(Sequence[ShapeRecord]):
    """The arrays seen while a function ran, in the order they were first seen.

    A sequence of :class:`ShapeRecord` that prints as a table. A variable
    that is reassigned with a new shape or dtype gets a second row; seeing
    the same shape again (in a loop, or a second call) adds nothing.
    """

    def __init__(self, records: Sequence[ShapeRecord] = (), result: Any = None) -> None:
        self._records = tuple(records)
        #: What the traced function returned (None if it raised).
        self.result = result

    @overload
    def __getitem__(self, index: int) -> ShapeRecord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ShapeRecord]: ...

    def __getitem__(self, index: int | slice) -> ShapeRecord | Sequence[ShapeRecord]:
        return self._records[index]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[ShapeRecord]:
        return iter(self._records)

    def shape(self, variable: str, function: str | None = None) -> tuple[int, ...]:
        """The shape ``variable`` had when first seen (in ``function``, if given)."""
        for r in self._records:
            if r.variable == variable and function in (None, r.function):
                return r.shape
        where = f" in {function}" if function else ""
        raise KeyError(f"no array named {variable!r}{where} was seen")

    def only(self, *functions: str) -> ShapeTrace:
        """The rows of the named functions only, e.g. without a helper's rows."""
        return ShapeTrace([r for r in self._records if r.function in functions], self.result)

    def table(self) -> str:
        """The trace as a plain-text table; a function's name is printed on its first row."""
        header = ("function", "variable", "shape", "dtype")
        rows, previous = [], None
        for r in self._records:
            rows.append((r.function if r.function != previous else "", r.variable, str(r.shape), r.dtype))
            previous = r.function
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table() if self._records else "(no arrays seen)"

    __repr__ = __str__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the table when the trace is the last line of a notebook cell."""
        printer.text(str(self))


class _Recorder:
    """The trace function handed to :func:`sys.settrace`; collects the records."""

    def __init__(self) -> None:
        self.records: list[ShapeRecord] = []
        self._seen: set[tuple[str, str, tuple[int, ...], str]] = set()

    def _add(self, function: str, variable: str, value: np.ndarray) -> None:
        key = (function, variable, tuple(value.shape), str(value.dtype))
        if key not in self._seen:
            self._seen.add(key)
            self.records.append(ShapeRecord(*key))

    def _look(self, frame: FrameType) -> None:
        function = _function_name(frame)
        for name, value in frame.f_locals.items():
            if isinstance(value, np.ndarray) and not name.startswith("."):
                self._add(function, name, value)

    def _returned(self, frame: FrameType, value: Any) -> None:
        """Record returned arrays that no local variable holds, as in ``return a @ W``."""
        held = [v for v in frame.f_locals.values() if isinstance(v, np.ndarray)]
        if isinstance(value, np.ndarray):
            items = [(RETURN, value)]
        elif isinstance(value, tuple):
            items = [(f"{RETURN}[{i}]", v) for i, v in enumerate(value) if isinstance(v, np.ndarray)]
        else:
            items = []
        for name, array in items:
            if not any(array is h for h in held):
                self._add(_function_name(frame), name, array)

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        # The global trace function sees every 'call'; library frames get no local tracer.
        if event != "call" or not _is_own_code(frame.f_code):
            return None
        self._look(frame)
        return self._local

    def _local(self, frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        # A 'line' event fires before its line runs, so what the previous line assigned is visible.
        self._look(frame)
        if event == "return":
            self._returned(frame, arg)
        return self._local


def trace_shapes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> ShapeTrace:
    """Run ``fn(*args, **kwargs)`` and record the shapes of the arrays it works with.

    Every local variable holding a NumPy array, in ``fn`` and in every function
    of yours that it calls, is recorded as (function, variable, shape, dtype)
    the first time it is seen with that shape and dtype. The returned
    :class:`ShapeTrace` prints as a table and keeps ``fn``'s return value in
    ``.result``.

    If ``fn`` raises, the exception propagates with the rows seen so far
    attached as ``exc.shape_trace`` (and as a note in the traceback), so a
    shape error can be read against the shapes that led to it.

    Tracing uses :func:`sys.settrace`, so it slows ``fn`` down: trace one pass,
    not a training run. A debugger or coverage tool is paused while it runs.
    """
    recorder = _Recorder()
    previous = sys.gettrace()
    sys.settrace(recorder)
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:
        sys.settrace(previous)
        trace = ShapeTrace(recorder.records)
        exc.shape_trace = trace  # type: ignore[attr-defined]
        if hasattr(exc, "add_note"):  # Python 3.11+
            exc.add_note("Shapes seen before the error:\n" + str(trace))
        raise
    finally:
        sys.settrace(previous)
    return ShapeTrace(recorder.records, result)


class ShapeError(AssertionError):
    """An array does not have the shape the derivation says it must have."""


def _hints(actual: tuple[int, ...], expected: tuple[int, ...]) -> list[str]:
    """Likely causes of a shape mismatch, most specific first."""
    hints = []
    if len(actual) == 2 and actual == expected[::-1]:
        hints.append(
            f"{actual} is the transpose of {expected}: a matrix is transposed, or a product is "
            "written in the other convention's order; (A B)^T = B^T A^T."
        )
    if len(actual) == 2 and actual[1] != 1 and expected in ((actual[0], 1), (actual[0],)):
        n, m = actual
        if n == m:
            hints.append(
                f"({n}, {n}) is what broadcasting makes of a ({n},) or (1, {n}) array and a ({n}, 1) "
                f"array combined element-wise (e.g. y_hat - y with y of shape ({n},)): every entry "
                f"of one paired with every entry of the other. Give both the same shape, "
                f"e.g. y.reshape(-1, 1)."
            )
        else:
            hints.append(
                f"broadcasting a ({n}, 1) column against a 1-d array of length {m} gives ({n}, {m}); "
                "check that both operands have the same number of dimensions."
            )
    if len(actual) == len(expected) == 1:
        hints.append(
            "a 1-d result of the wrong length often comes from a sum or mean over the wrong axis: "
            "in row-per-sample code, axis=0 runs over the samples of a mini-batch."
        )
    if len(actual) == 0 and expected:
        hints.append("a sum or mean without axis= reduces an array to a single number.")
    pair = sorted([actual, expected], key=len)
    if len(pair[0]) == 1 and pair[1] == (pair[0][0], 1) and pair[0][0] != 1:
        n = pair[0][0]
        hints.append(
            f"({n},) and ({n}, 1) hold the same numbers, but combining one with the other "
            f"element-wise broadcasts to ({n}, {n}) instead of failing; reshape(-1, 1) or "
            "keepdims=True keeps the column."
        )
    elif not hints and len(actual) != len(expected) and int(np.prod(actual)) == int(np.prod(expected)):
        hints.append(
            "same number of elements, different number of dimensions: check that no axis "
            "was added or dropped."
        )
    return hints


def expect_shape(array: Any, shape: Sequence[int | None], name: str = "array") -> Any:
    """Return ``array`` unchanged if its shape is ``shape``, else raise :class:`ShapeError`.

    ``None`` in ``shape`` accepts any length on that axis. The message names
    the variable, its shape and the expected one, and adds a hint when the
    mismatch looks like a transpose, like a ``(B,)`` target broadcast against a
    ``(B, 1)`` output, or like a reduction over the wrong axis. Returning the
    array lets the check wrap an expression::

        delta2 = expect_shape((y_hat - Y) * y_hat * (1 - y_hat), (batch, 1), "delta2")
    """
    actual = tuple(int(n) for n in np.shape(array))
    wanted = tuple(None if n is None else int(n) for n in shape)
    if len(actual) == len(wanted) and all(w is None or a == w for a, w in zip(actual, wanted)):
        return array
    shown = "(" + ", ".join("any" if w is None else str(w) for w in wanted) + ("," if len(wanted) == 1 else "") + ")"
    message = f"{name} has shape {actual}, expected {shown}"
    if None not in wanted:
        hints = _hints(actual, tuple(int(w) for w in wanted if w is not None))
        message += "".join(f"\n  hint: {h}" for h in hints)
    raise ShapeError(message)
