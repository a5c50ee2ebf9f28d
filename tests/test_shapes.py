import sys

import numpy as np
import pytest

from backprop_book import ShapeError, expect_shape, trace_shapes
from backprop_book.shapes import ShapeRecord, ShapeTrace


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def one_pass(X, Y, W1, b1, W2, b2):
    batch = X.shape[0]
    z1 = X @ W1 + b1
    a1 = sigmoid(z1)
    z2 = a1 @ W2 + b2
    y_hat = sigmoid(z2)
    delta2 = (y_hat - Y) * y_hat * (1 - y_hat)
    dW2 = a1.T @ delta2 / batch
    db2 = delta2.mean(axis=0)
    delta1 = (delta2 @ W2.T) * a1 * (1 - a1)
    dW1 = X.T @ delta1 / batch
    db1 = np.mean(delta1, axis=0)  # np.mean is Python code inside NumPy: must not be traced
    return dW1, db1, dW2, db2


@pytest.fixture
def arrays():
    rng = np.random.default_rng(0)
    return (
        rng.normal(size=(5, 3)),
        rng.random((5, 2)),
        rng.normal(size=(3, 4)),
        np.zeros(4),
        rng.normal(size=(4, 2)),
        np.zeros(2),
    )


TABLE = """\
function  variable  shape   dtype
--------  --------  ------  -------
one_pass  X         (5, 3)  float64
          Y         (5, 2)  float64
          W1        (3, 4)  float64
          b1        (4,)    float64
          W2        (4, 2)  float64
          b2        (2,)    float64
          z1        (5, 4)  float64
sigmoid   z         (5, 4)  float64
          (return)  (5, 4)  float64
one_pass  a1        (5, 4)  float64
          z2        (5, 2)  float64
sigmoid   z         (5, 2)  float64
          (return)  (5, 2)  float64
one_pass  y_hat     (5, 2)  float64
          delta2    (5, 2)  float64
          dW2       (4, 2)  float64
          db2       (2,)    float64
          delta1    (5, 4)  float64
          dW1       (3, 4)  float64
          db1       (4,)    float64"""


def test_trace_prints_every_array_in_the_order_first_seen(arrays):
    trace = trace_shapes(one_pass, *arrays)
    assert str(trace) == TABLE
    assert repr(trace) == TABLE
    assert "0x" not in str(trace)


def test_trace_keeps_the_result_and_looks_up_shapes(arrays):
    trace = trace_shapes(one_pass, *arrays)
    dW1, db1, dW2, db2 = trace.result
    assert dW1.shape == (3, 4) and db2.shape == (2,)
    assert trace.shape("delta1") == (5, 4)
    assert trace.shape("z", function="sigmoid") == (5, 4)
    with pytest.raises(KeyError, match="no array named 'nope' was seen"):
        trace.shape("nope")
    with pytest.raises(KeyError, match="'z' in one_pass"):
        trace.shape("z", function="one_pass")


def test_only_keeps_the_named_functions(arrays):
    trace = trace_shapes(one_pass, *arrays).only("one_pass")
    assert [r.variable for r in trace] == [
        "X", "Y", "W1", "b1", "W2", "b2", "z1", "a1", "z2", "y_hat",
        "delta2", "dW2", "db2", "delta1", "dW1", "db1",
    ]
    assert {r.function for r in trace} == {"one_pass"}
    assert trace[0] == ShapeRecord("one_pass", "X", (5, 3), "float64")
    assert len(trace[:2]) == 2


def test_trace_is_the_same_on_every_run(arrays):
    assert str(trace_shapes(one_pass, *arrays)) == str(trace_shapes(one_pass, *arrays))


def test_keyword_arguments_are_passed_on():
    def scaled(x, *, factor):
        y = x * factor
        return y

    trace = trace_shapes(scaled, np.ones(3), factor=2.0)
    assert np.array_equal(trace.result, [2.0, 2.0, 2.0])
    assert [(r.variable, r.shape) for r in trace] == [("x", (3,)), ("y", (3,))]


def test_a_new_shape_adds_a_row_and_a_repeated_shape_does_not():
    def loop():
        for n in (2, 3, 2, 3):
            v = np.zeros(n)
        v = v.astype(np.float32)
        return None

    trace = trace_shapes(loop)
    assert [(r.variable, r.shape, r.dtype) for r in trace] == [
        ("v", (2,), "float64"),
        ("v", (3,), "float64"),
        ("v", (3,), "float32"),
    ]


def test_returned_expressions_are_listed_once():
    def forward(x, W):
        return x @ W, x

    trace = trace_shapes(forward, np.ones((1, 3)), np.ones((3, 2)))
    rows = [(r.variable, r.shape) for r in trace]
    # x is returned too, but a local already holds it: no second row.
    assert rows == [("x", (1, 3)), ("W", (3, 2)), ("(return)[0]", (1, 2))]


def test_methods_and_nested_functions_are_named_by_qualified_name():
    class Net:
        def forward(self, x):
            def double(v):
                return 2 * v

            h = double(x)
            return h

    trace = trace_shapes(Net().forward, np.ones(2))
    prefix = "test_methods_and_nested_functions_are_named_by_qualified_name."
    names = [r.function.removeprefix(prefix) for r in trace]
    assert names == ["Net.forward", "Net.forward.double", "Net.forward.double", "Net.forward"]
    assert [r.variable for r in trace] == ["x", "v", "(return)", "h"]


def test_library_code_is_not_traced(arrays):
    trace = trace_shapes(lambda: np.mean(np.ones((2, 2)), axis=0))
    assert [(r.function, r.variable, r.shape) for r in trace] == [
        ("test_library_code_is_not_traced.<lambda>", "(return)", (2,))
    ]
    assert not any(r.function.startswith("_") for r in trace_shapes(one_pass, *arrays))


def test_an_error_keeps_the_shapes_seen_before_it():
    def broken(x, W):
        z = x @ W
        return z @ W  # (1, 3) @ (2, 3): fails

    with pytest.raises(ValueError) as info:
        trace_shapes(broken, np.ones((1, 2)), np.ones((2, 3)))
    trace = info.value.shape_trace
    assert isinstance(trace, ShapeTrace) and trace.result is None
    assert [(r.variable, r.shape) for r in trace] == [("x", (1, 2)), ("W", (2, 3)), ("z", (1, 3))]
    if hasattr(info.value, "__notes__"):
        assert info.value.__notes__ == ["Shapes seen before the error:\n" + str(trace)]


def test_the_previous_trace_function_is_restored(arrays):
    def other_tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(other_tracer)
    try:
        trace_shapes(one_pass, *arrays)
        assert sys.gettrace() is other_tracer
        with pytest.raises(ZeroDivisionError):
            trace_shapes(lambda: 1 / 0)
        assert sys.gettrace() is other_tracer
    finally:
        sys.settrace(previous)


def test_an_empty_trace_says_so():
    trace = trace_shapes(lambda: 3)
    assert trace.result == 3 and len(trace) == 0
    assert str(trace) == "(no arrays seen)"


def test_the_table_is_the_ipython_display():
    class Printer:
        def __init__(self):
            self.out = ""

        def text(self, s):
            self.out += s

    printer = Printer()
    trace = trace_shapes(lambda: np.zeros((2, 1)))
    trace._repr_pretty_(printer, cycle=False)
    assert printer.out == str(trace)


# expect_shape ---------------------------------------------------------------


def test_expect_shape_returns_the_array_when_the_shape_is_right():
    a = np.zeros((4, 3))
    assert expect_shape(a, (4, 3), "a") is a
    assert expect_shape(a, [None, 3], "a") is a
    assert expect_shape(2.0, (), "loss") == 2.0


def test_a_shape_error_is_an_assertion_error():
    with pytest.raises(AssertionError):
        expect_shape(np.zeros(3), (4,), "v")


def test_batch_by_batch_broadcast_is_explained():
    y_hat, y = np.zeros((4, 1)), np.zeros(4)
    with pytest.raises(ShapeError) as info:
        expect_shape(y_hat - y, (4, 1), "error")
    assert str(info.value) == (
        "error has shape (4, 4), expected (4, 1)\n"
        "  hint: (4, 4) is what broadcasting makes of a (4,) or (1, 4) array and a (4, 1) array "
        "combined element-wise (e.g. y_hat - y with y of shape (4,)): every entry of one paired with "
        "every entry of the other. Give both the same shape, e.g. y.reshape(-1, 1)."
    )


def test_transpose_is_explained():
    with pytest.raises(ShapeError) as info:
        expect_shape(np.zeros((2, 3)), (3, 2), "dW1")
    assert str(info.value) == (
        "dW1 has shape (2, 3), expected (3, 2)\n"
        "  hint: (2, 3) is the transpose of (3, 2): a matrix is transposed, or a product is "
        "written in the other convention's order; (A B)^T = B^T A^T."
    )


def test_wrong_axis_is_explained():
    delta2 = np.zeros((5, 2))
    with pytest.raises(ShapeError) as info:
        expect_shape(delta2.mean(axis=1), (2,), "db2")
    assert str(info.value) == (
        "db2 has shape (5,), expected (2,)\n"
        "  hint: a 1-d result of the wrong length often comes from a sum or mean over the wrong "
        "axis: in row-per-sample code, axis=0 runs over the samples of a mini-batch."
    )


def test_a_reduction_to_a_number_is_explained():
    with pytest.raises(ShapeError) as info:
        expect_shape(np.zeros((5, 2)).sum(), (2,), "db2")
    assert str(info.value) == (
        "db2 has shape (), expected (2,)\n"
        "  hint: a sum or mean without axis= reduces an array to a single number."
    )


def test_vector_against_column_is_explained():
    for array, shape, shown in [(np.zeros(4), (4, 1), "(4,), expected (4, 1)"),
                                (np.zeros((4, 1)), (4,), "(4, 1), expected (4,)")]:
        with pytest.raises(ShapeError) as info:
            expect_shape(array, shape, "y")
        assert str(info.value) == (
            f"y has shape {shown}\n"
            "  hint: (4,) and (4, 1) hold the same numbers, but combining one with the other "
            "element-wise broadcasts to (4, 4) instead of failing; reshape(-1, 1) or "
            "keepdims=True keeps the column."
        )


def test_column_against_a_longer_vector_is_explained():
    with pytest.raises(ShapeError) as info:
        expect_shape(np.zeros((4, 1)) - np.zeros(3), (4, 1), "error")
    assert str(info.value) == (
        "error has shape (4, 3), expected (4, 1)\n"
        "  hint: broadcasting a (4, 1) column against a 1-d array of length 3 gives (4, 3); "
        "check that both operands have the same number of dimensions."
    )


def test_other_mismatches_have_no_hint_or_a_general_one():
    with pytest.raises(ShapeError) as info:
        expect_shape(np.zeros((2, 5)), (3, 4), "W")
    assert str(info.value) == "W has shape (2, 5), expected (3, 4)"
    with pytest.raises(ShapeError) as info:
        expect_shape(np.zeros((2, 3)), (6,), "v")
    assert str(info.value) == (
        "v has shape (2, 3), expected (6,)\n"
        "  hint: same number of elements, different number of dimensions: check that no axis "
        "was added or dropped."
    )


def test_wildcards_are_shown_as_any():
    with pytest.raises(ShapeError) as info:
        expect_shape(np.zeros((4, 2)), (None, 3), "a1")
    assert str(info.value) == "a1 has shape (4, 2), expected (any, 3)"
    with pytest.raises(ShapeError) as info:
        expect_shape(np.zeros((4, 2)), (None,), "b")
    assert str(info.value) == "b has shape (4, 2), expected (any,)"
