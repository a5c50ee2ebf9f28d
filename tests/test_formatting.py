import numpy as np
import pytest

from backprop_book.formatting import MAX_SHOWN, latex_array, latex_number, shape_text


@pytest.mark.parametrize(
    "value, expected",
    [
        (0.5, "0.5"),
        (-1.25, "-1.25"),
        (0.000570726224, "0.0005707"),
        (-2.93588634e-05, r"-2.936 \times 10^{-5}"),
        (123456.0, r"1.235 \times 10^{5}"),
        (float("nan"), r"\text{NaN}"),
        (float("inf"), r"\infty"),
        (-float("inf"), r"-\infty"),
        (-0.0, "0"),
    ],
)
def test_latex_number(value, expected):
    assert latex_number(value) == expected


def test_row_and_column_look_different():
    row = latex_array(np.array([[1.0, 2.0]]))
    column = latex_array(np.array([[1.0], [2.0]]))
    assert row == r"\begin{bmatrix}1 & 2\end{bmatrix}"
    assert column == r"\begin{bmatrix}1 \\ 2\end{bmatrix}"


def test_vector_prints_as_a_row_like_numpy():
    assert latex_array(np.array([1.0, 2.0])) == latex_array(np.array([[1.0, 2.0]]))


def test_scalar():
    assert latex_array(np.float64(0.25)) == "0.25"


def test_long_axes_are_elided_but_keep_both_ends():
    text = latex_array(np.arange(785.0)[np.newaxis, :])
    assert r"\cdots" in text
    assert text.count("&") == MAX_SHOWN - 2  # three, the dots, three
    assert text.startswith(r"\begin{bmatrix}0 & 1 & 2")
    assert text.endswith(r"782 & 783 & 784\end{bmatrix}")
    big = latex_array(np.zeros((20, 20)))
    assert r"\ddots" in big and r"\vdots" in big


def test_three_dimensions_are_refused():
    with pytest.raises(ValueError, match="up to 2 dimensions"):
        latex_array(np.zeros((2, 2, 2)))


def test_shape_text():
    assert shape_text(np.zeros((1, 3))) == "(1, 3)"
    assert shape_text(2.0) == "()"
