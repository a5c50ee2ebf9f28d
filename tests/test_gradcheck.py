import numpy as np
import pytest

from backprop_book.gradcheck import numerical_gradient, relative_error


def test_matches_an_analytic_gradient_and_restores_the_parameter():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 3))
    w = rng.normal(size=(3, 2))
    before = w.copy()

    def loss() -> float:
        return float(np.sum(np.tanh(A @ w) ** 2))

    analytic = A.T @ (2 * np.tanh(A @ w) * (1 - np.tanh(A @ w) ** 2))
    numeric = numerical_gradient(loss, w)
    assert relative_error(numeric, analytic) < 1e-8
    assert np.array_equal(w, before)


def test_detects_a_wrong_gradient():
    w = np.array([1.0, -2.0, 3.0])
    numeric = numerical_gradient(lambda: float(np.sum(w**2)), w)
    assert relative_error(numeric, 2 * w) < 1e-9
    assert relative_error(numeric, w) > 0.1  # the factor 2 forgotten


def test_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_relative_error_shapes_must_agree():
    with pytest.raises(ValueError, match="shapes differ"):
        relative_error(np.zeros((2, 1)), np.zeros((1, 2)))


def test_relative_error_of_two_zeros_is_zero():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
