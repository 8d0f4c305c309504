"""The course's own calls, unchanged: the logistic-regression notebook (course 1, week 2) passes b as a
Python float (initialize_with_zeros returns 0.0) and checks the types it gets back; these are its public
test-case inputs and the values it prints, not ours."""

import numpy as np
import pytest

from reference_numpy import logistic

# the notebook's propagate and optimize test case
W, B = np.array([[1.0], [2]]), 1.5
X = np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]])
Y = np.array([[1, 1, 0]])


def test_sigmoid_is_the_notebooks():
    np.testing.assert_allclose(logistic.sigmoid(np.array([0, 2])), [0.5, 0.88079708], atol=5e-9)


def test_initialize_with_zeros_returns_a_float_b():
    w, b = logistic.initialize_with_zeros(2)
    assert type(b) is float and b == 0.0
    assert w.shape == (2, 1) and w.dtype == np.float64 and not w.any()


def test_propagate_with_a_scalar_b():
    grads, cost = logistic.propagate(W, B, X, Y)
    assert type(grads["dw"]) is np.ndarray and grads["dw"].shape == (2, 1)
    assert type(grads["db"]) is np.float64  # the notebook asserts exactly this
    np.testing.assert_allclose(grads["dw"], [[0.25071532], [-0.06604096]], atol=5e-9)
    assert grads["db"] == pytest.approx(-0.1250040450043965, rel=1e-14)
    assert isinstance(cost, np.ndarray) and cost.shape == ()  # np.squeeze(np.array(cost)) in the notebook
    assert float(cost) == pytest.approx(0.15900537707692405, rel=1e-15)


def test_optimize_with_a_scalar_b(capsys):
    params, grads, costs = logistic.optimize(W, B, X, Y, num_iterations=100, learning_rate=0.009, print_cost=True)
    np.testing.assert_allclose(params["w"], [[0.80956046], [2.0508202]], atol=5e-9)
    assert np.ndim(params["b"]) == 0 and float(params["b"]) == pytest.approx(1.5948713189708588, rel=1e-14)
    np.testing.assert_allclose(grads["dw"], [[0.17860505], [-0.04840656]], atol=5e-9)
    assert float(grads["db"]) == pytest.approx(-0.08888460336847771, rel=1e-13)
    assert str(costs) == "[array(0.15900538)]"  # as the notebook prints it
    assert capsys.readouterr().out == "Cost after iteration 0: 0.159005\n"


def test_predict_with_a_scalar_b():
    w = np.array([[0.1124579], [0.23106775]])
    Xp = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    np.testing.assert_array_equal(logistic.predict(w, -0.3, Xp), [[1.0, 1.0, 0.0]])


def test_the_rank_2_b_is_unchanged():
    grads, cost = logistic.propagate(W, np.array([[B]]), X, Y)
    assert grads["db"].shape == (1, 1) and isinstance(cost, float)
    np.testing.assert_allclose(grads["db"], [[-0.1250040450043965]], rtol=1e-14)
