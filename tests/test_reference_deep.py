"""The L-layer reference: shapes, hand-written backward against central differences, the stable
cost against the course's formula, and the course's dAL path against ours."""

import numpy as np
import pytest
from backend_helper import make_problem
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_numpy import deep, gradcheck, initializers
from reference_numpy.activations import HIDDEN_ACTIVATIONS

from conftest import assert_rank2

DEPTHS = (1, 2, 3, 4, 5)


def cost_function(X, Y, hidden_activation):
    def J(parameters):
        _, caches = deep.L_model_forward(X, parameters, hidden_activation)
        return deep.compute_cost_from_logits(caches[-1][1], Y)

    return J


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("hidden_activation", HIDDEN_ACTIVATIONS)
def test_backward_matches_central_differences(depth, hidden_activation):
    _layer_dims, X, Y, parameters = make_problem(depth, seed=depth + 2, m=32)  # m = 32 averages rounding in J
    AL, caches = deep.L_model_forward(X, parameters, hidden_activation)
    hidden_Z = np.concatenate([np.ravel(Z) for _, Z in caches[:-1]] or [np.ones(1)])
    # precondition, not a skip: ε = 1e-7 steps must not cross a kink
    assert np.abs(hidden_Z).min() > 1e-4, "this seed puts a hidden Z within 1e-4 of 0; pick another"
    grads = deep.L_model_backward(AL, Y, caches, hidden_activation)
    difference = gradcheck.gradient_check(cost_function(X, Y, hidden_activation), parameters, grads)
    assert difference < 1e-7


def test_gradcheck_catches_a_wrong_backward():
    _, X, Y, parameters = make_problem(2, seed=0)
    AL, caches = deep.L_model_forward(X, parameters, "tanh")
    grads = deep.L_model_backward(AL, Y, caches, "tanh")
    grads["dW1"] = grads["dW1"] * 1.01  # a 1% error in one layer
    assert gradcheck.gradient_check(cost_function(X, Y, "tanh"), parameters, grads) > 1e-4


@pytest.mark.parametrize("depth", DEPTHS)
def test_shapes_of_every_cache_and_gradient(depth):
    layer_dims, X, Y, parameters = make_problem(depth, seed=10 + depth, n_x=3, width=4, m=6)
    m = X.shape[1]
    AL, caches = deep.L_model_forward(X, parameters)
    assert_rank2("AL", AL, (1, m))
    assert len(caches) == depth
    for l, ((A_prev, W, b), Z) in enumerate(caches, start=1):
        assert_rank2(f"A{l - 1}", A_prev, (layer_dims[l - 1], m))
        assert W is parameters[f"W{l}"] and b is parameters[f"b{l}"]
        assert_rank2(f"Z{l}", Z, (layer_dims[l], m))
    grads = deep.L_model_backward(AL, Y, caches)
    expected_keys = {f"d{p}{l}" for l in range(1, depth + 1) for p in "Wb"} | {f"dA{l}" for l in range(depth)}
    assert set(grads) == expected_keys
    for l in range(1, depth + 1):
        assert_rank2(f"dW{l}", grads[f"dW{l}"], parameters[f"W{l}"].shape)
        assert_rank2(f"db{l}", grads[f"db{l}"], parameters[f"b{l}"].shape)
        assert_rank2(f"dA{l - 1}", grads[f"dA{l - 1}"], (layer_dims[l - 1], m))


def test_relu_gradient_is_zero_at_exact_zeros():
    """Z = 0 exactly in a hidden unit: frameworks take ReLU'(0) = 0, and so does the reference."""
    X = np.array([[1.0, -1.0, 2.0, 0.0]])  # (1, 4)
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])  # (1, 4)
    parameters = {
        "W1": np.array([[1.0], [-1.0]]),
        "b1": np.zeros((2, 1)),
        "W2": np.array([[0.5, -0.5]]),
        "b2": np.zeros((1, 1)),
    }
    AL, caches = deep.L_model_forward(X, parameters, "relu")
    Z1 = caches[0][1]
    assert (Z1[:, 3] == 0).all()  # the last sample sits on the kink in both units
    grads = deep.L_model_backward(AL, Y, caches, "relu")
    dZ1 = np.where(Z1 > 0, grads["dA1"], 0.0)
    np.testing.assert_array_equal(grads["dW1"], dZ1 @ X.T / 4)
    assert grads["dA0"][0, 3] == 0.0  # nothing flows back through units sitting at Z = 0


def test_stable_and_naive_costs_agree_where_both_are_finite(rng):
    for scale in (0.1, 1.0, 4.0, 8.0):  # |z| stays below 37, where AL would round to exactly 1
        ZL = scale * rng.standard_normal((1, 200))  # (1, 200)
        Y = (rng.random((1, 200)) > 0.5).astype(np.float64)  # (1, 200)
        AL, _ = deep.activations.sigmoid(ZL)
        naive = deep.compute_cost(AL, Y)
        assert np.isfinite(naive)
        # the naive form's own error: 1 - AL rounds with absolute error eps, so log(1 - AL) (and
        # likewise log AL) is off by about eps / min(AL, 1 - AL) per sample; the stable form is not
        naive_error = np.mean(np.finfo(np.float64).eps / np.minimum(AL, 1 - AL))
        assert abs(deep.compute_cost_from_logits(ZL, Y) - naive) <= 2 * naive_error + 1e-15 * naive


def test_stable_cost_stays_finite_at_saturated_logits():
    ZL = np.array([[1000.0, -1000.0, 1000.0, -1000.0]])
    Y = np.array([[1.0, 0.0, 0.0, 1.0]])  # two right, two wrong by a margin of 1000
    assert deep.compute_cost_from_logits(ZL, Y) == pytest.approx(500.0, rel=1e-15)
    AL, _ = deep.activations.sigmoid(ZL)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert not np.isfinite(deep.compute_cost(AL, Y))  # the course's formula: log(0)


def test_dZL_equals_the_course_quotient_form():
    _, X, Y, parameters = make_problem(3, seed=4)
    AL, caches = deep.L_model_forward(X, parameters, "relu")
    grads = deep.L_model_backward(AL, Y, caches, "relu")
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))  # the course's first line of backward
    dA_prev, dW, db = deep.linear_activation_backward(dAL, caches[-1], "sigmoid")
    np.testing.assert_allclose(grads["dW3"], dW, rtol=1e-12)
    np.testing.assert_allclose(grads["db3"], db, rtol=1e-12)
    np.testing.assert_allclose(grads["dA2"], dA_prev, rtol=1e-12)


def test_update_parameters_does_not_mutate_its_input():
    _, X, Y, parameters = make_problem(2, seed=5)
    before = {k: v.copy() for k, v in parameters.items()}
    AL, caches = deep.L_model_forward(X, parameters)
    grads = deep.L_model_backward(AL, Y, caches)
    updated = deep.update_parameters(parameters, grads, 0.1)
    for key, value in before.items():
        np.testing.assert_array_equal(parameters[key], value)
        np.testing.assert_allclose(updated[key], value - 0.1 * grads[f"d{key}"], rtol=0, atol=0)


def test_L_layer_model_records_costs_and_decreases_them():
    layer_dims, X, Y, parameters = make_problem(3, seed=6, m=40)
    seen = []
    final, costs = deep.L_layer_model(
        X, Y, layer_dims, 0.05, 250, parameters=parameters, record_every=50, callback=lambda i, c: seen.append((i, c))
    )
    assert len(costs) == 5 and [i for i, _ in seen] == list(range(250))
    assert costs == [c for i, c in seen if i % 50 == 0]
    assert costs[-1] < costs[0]
    assert set(final) == set(parameters)


def test_predict_thresholds_at_one_half():
    parameters = {"W1": np.array([[1.0]]), "b1": np.zeros((1, 1))}
    X = np.array([[-2.0, -1e-9, 0.0, 1e-9, 2.0]])
    np.testing.assert_array_equal(deep.predict(X, parameters), [[0, 0, 0, 1, 1]])


def test_unknown_hidden_activation_is_named():
    _, X, _, parameters = make_problem(2, seed=0)
    with pytest.raises(ValueError, match="unknown hidden_activation 'gelu'"):
        deep.L_model_forward(X, parameters, "gelu")


@settings(max_examples=25, deadline=None)
@given(
    layer_dims=st.lists(st.integers(1, 5), min_size=2, max_size=5).map(lambda d: [*d[:-1], 1]),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_tanh_networks_pass_gradcheck(layer_dims, m, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((layer_dims[0], m))  # (n_x, m)
    Y = (rng.random((1, m)) > 0.5).astype(np.float64)  # (1, m)
    parameters = initializers.initialize(layer_dims, scheme="xavier", rng=rng)
    AL, caches = deep.L_model_forward(X, parameters, "tanh")
    grads = deep.L_model_backward(AL, Y, caches, "tanh")
    for l in range(1, len(layer_dims)):
        assert grads[f"dW{l}"].shape == parameters[f"W{l}"].shape
    assert gradcheck.gradient_check(cost_function(X, Y, "tanh"), parameters, grads) < 1e-6


def test_training_skips_dA0_and_gets_the_same_parameter_gradients():
    _, X, Y, parameters = make_problem(3, seed=8)
    AL, caches = deep.L_model_forward(X, parameters, "relu")
    full = deep.L_model_backward(AL, Y, caches, "relu")
    lean = deep.L_model_backward(AL, Y, caches, "relu", need_dA0=False)
    assert "dA0" in full and "dA0" not in lean
    assert set(full) - set(lean) == {"dA0"}
    for key in lean:
        np.testing.assert_array_equal(lean[key], full[key])
