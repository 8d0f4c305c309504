"""Logistic regression: the course's own test cases, gradient checking, and agreement with the
deep network of layer_dims [n_x, 1]."""

import numpy as np
import pytest

from reference_numpy import deep, gradcheck, logistic

from conftest import assert_rank2

# The course's notebook (course 1, week 2) checks propagate, optimize and predict on these inputs
# and prints these values; they are the course's numbers, not ours.
W, B = np.array([[1.0], [2.0]]), np.array([[2.0]])
X = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]])
Y = np.array([[1.0, 0.0, 1.0]])


def test_propagate_reproduces_the_course():
    grads, cost = logistic.propagate(W, B, X, Y)
    assert_rank2("dw", grads["dw"], (2, 1))
    assert_rank2("db", grads["db"], (1, 1))
    np.testing.assert_allclose(grads["dw"], [[0.99845601], [2.39507239]], atol=5e-9)
    np.testing.assert_allclose(grads["db"], [[0.00145557813678]], atol=5e-15)
    assert cost == pytest.approx(5.801545319394553, rel=1e-14)


def test_optimize_reproduces_the_course():
    params, grads, costs = logistic.optimize(W, B, X, Y, num_iterations=100, learning_rate=0.009)
    np.testing.assert_allclose(params["w"], [[0.19033591], [0.12259159]], atol=5e-9)
    np.testing.assert_allclose(params["b"], [[1.92535983008]], atol=5e-12)
    np.testing.assert_allclose(grads["dw"], [[0.67752042], [1.41625495]], atol=5e-9)
    np.testing.assert_allclose(grads["db"], [[0.219194504541]], atol=5e-13)
    assert len(costs) == 1
    np.testing.assert_array_equal(W, [[1.0], [2.0]])  # the caller's arrays are left alone


def test_predict_reproduces_the_course():
    w, b = np.array([[0.1124579], [0.23106775]]), np.array([[-0.3]])
    Xp = np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    np.testing.assert_array_equal(logistic.predict(w, b, Xp), [[1.0, 1.0, 0.0]])


def test_propagate_passes_gradcheck(rng):
    Xr = rng.standard_normal((5, 30))
    Yr = (rng.random((1, 30)) > 0.5).astype(np.float64)
    w, b = 0.3 * rng.standard_normal((5, 1)), np.array([[0.2]])
    grads, _ = logistic.propagate(w, b, Xr, Yr)

    def J(p):
        return logistic.propagate(p["w"], p["b"], Xr, Yr)[1]

    assert gradcheck.gradient_check(J, {"w": w, "b": b}, grads) < 1e-7


def test_equals_the_deep_network_with_one_layer(rng):
    """Same cost, gradients and 50-step trajectory as L_model_forward with layer_dims [n_x, 1],
    to rounding (the two sum in different orders: w^T X against W1 X)."""
    n_x, m = 6, 40
    Xr = rng.standard_normal((n_x, m))
    Yr = (rng.random((1, m)) > 0.5).astype(np.float64)
    w, b = 0.1 * rng.standard_normal((n_x, 1)), np.array([[0.05]])
    parameters = {"W1": w.T.copy(), "b1": b.copy()}

    grads, cost = logistic.propagate(w, b, Xr, Yr)
    AL, caches = deep.L_model_forward(Xr, parameters)
    deep_grads = deep.L_model_backward(AL, Yr, caches)
    assert cost == pytest.approx(deep.compute_cost_from_logits(caches[-1][1], Yr), rel=1e-14)
    np.testing.assert_allclose(grads["dw"], deep_grads["dW1"].T, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(grads["db"], deep_grads["db1"], rtol=1e-13, atol=1e-16)

    params, _, costs = logistic.optimize(w, b, Xr, Yr, 50, 0.1, record_every=1)
    final, deep_costs = deep.L_layer_model(Xr, Yr, [n_x, 1], 0.1, 50, parameters=parameters, record_every=1)
    np.testing.assert_allclose(costs, deep_costs, rtol=1e-13)
    np.testing.assert_allclose(params["w"], final["W1"].T, rtol=1e-12)
    np.testing.assert_allclose(params["b"], final["b1"], rtol=1e-12)
    np.testing.assert_array_equal(logistic.predict(params["w"], params["b"], Xr), deep.predict(Xr, final))


def test_model_reports_both_accuracies(rng):
    Xr = rng.standard_normal((3, 60))
    Yr = (Xr[:1] + 0.5 * Xr[1:2] > 0).astype(np.float64)  # linearly separable
    d = logistic.model(Xr[:, :40], Yr[:, :40], Xr[:, 40:], Yr[:, 40:], num_iterations=300, learning_rate=0.5)
    assert d["train_accuracy"] >= 0.95 and d["test_accuracy"] >= 0.9
    assert_rank2("Y_prediction_test", d["Y_prediction_test"], (1, 20))
    assert logistic.model(Xr, Yr, None, None, 10, 0.1)["test_accuracy"] is None
