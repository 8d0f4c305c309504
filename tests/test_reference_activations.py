import numpy as np
import pytest

from reference_numpy import activations

NAMES = ("sigmoid", "relu", "leaky_relu", "tanh")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_never_overflows_and_stays_in_range(dtype):
    Z = np.array([[-1000.0, -745.0, -100.0, -1.0, 0.0, 1.0, 100.0, 745.0, 1000.0]], dtype=dtype)
    A, cache = activations.sigmoid(Z)  # raises on an overflow warning (conftest)
    assert A.dtype == dtype and cache is Z
    assert np.all((A >= 0) & (A <= 1))
    assert A[0, 0] == 0 and A[0, -1] == 1 and A[0, 4] == 0.5
    np.testing.assert_allclose(A[0, ::-1], 1 - A[0], atol=np.finfo(dtype).eps)


def test_sigmoid_equals_the_textbook_formula_where_that_one_is_finite(rng):
    Z = rng.uniform(-30, 30, size=(4, 50))
    A, _ = activations.sigmoid(Z)
    np.testing.assert_allclose(A, 1 / (1 + np.exp(-Z)), rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_backward_is_the_derivative_of_forward(name, rng):
    Z = rng.standard_normal((3, 40))
    Z[np.abs(Z) < 1e-3] = 0.5  # keep the finite differences off ReLU's kink
    dA = rng.standard_normal((3, 40))
    eps = 1e-6
    numerical = (activations.FORWARD[name](Z + eps)[0] - activations.FORWARD[name](Z - eps)[0]) / (2 * eps)
    dZ = activations.BACKWARD[name](dA, Z)
    assert dZ.shape == Z.shape
    np.testing.assert_allclose(dZ, dA * numerical, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("name", "slope_at_zero"), [("relu", 0.0), ("leaky_relu", 0.01)])
def test_kink_derivative_at_exact_zero_is_the_left_slope(name, slope_at_zero):
    Z = np.array([[0.0, -0.0, 1.0, -1.0]])
    dA = np.full((1, 4), 2.0)
    dZ = activations.BACKWARD[name](dA, Z)
    np.testing.assert_array_equal(dZ, [[2 * slope_at_zero, 2 * slope_at_zero, 2.0, 2 * slope_at_zero]])


@pytest.mark.parametrize("name", NAMES)
def test_forward_keeps_dtype_and_shape(name):
    for dtype in (np.float32, np.float64):
        Z = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
        A, cache = activations.FORWARD[name](Z)
        assert A.shape == (3, 4) and A.dtype == dtype and cache is Z
        assert activations.BACKWARD[name](np.ones_like(Z), Z).dtype == dtype
