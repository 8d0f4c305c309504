"""impl_torch, impl_jax and impl_tf against the float64 NumPy reference, one test for all three: every
Z[l], A[l], AL, cost and gradient, the kinks at exactly zero, the stable cost, predict, and the
boundary (conversion, clear errors). Training is in test_impls_training.py; what only one framework
has (torch's autograd flags, JAX's tracing, TensorFlow's traces) in test_impl_<framework>.py.

Every number is judged by the comparison engine (tests/backend_helper.py: check.judge.compare, with
the tolerance `quartet check` uses); exact results (a derivative at 0, a prediction) are compared exactly.
"""

import re

import numpy as np
import pytest
from backend_helper import (
    DTYPES,
    GPU_NAMES,
    assert_conforms,
    forward_quantities,
    make_case,
    make_problem,
)

from reference_numpy import deep, initializers
from reference_numpy.activations import HIDDEN_ACTIVATIONS, sigmoid


def assert_forward_and_grads_conform(fw, X, Y, parameters, hidden_activation: str, dtype: str) -> None:
    """The caches hold the caller's X and weights; AL, the cost and every gradient are in `dtype`; and
    every Z[l], A[l], AL, both costs, the predictions and every gradient conform to the reference."""
    X_, Y_, P_ = fw.put(dtype, X, Y, parameters)
    AL, caches = fw.deep.L_model_forward(X_, P_, hidden_activation)
    assert len(caches) == len(parameters) // 2 and caches[0][0][0] is X_  # A[0] is X
    for l, ((_, W, b), _) in enumerate(caches, start=1):
        assert W is P_[f"W{l}"] and b is P_[f"b{l}"]
    grads, cost = fw.deep.L_model_grads(P_, X_, Y_, hidden_activation)
    assert tuple(cost.shape) == () and list(grads) == [f"d{name}" for name in parameters]
    assert all(fw.dtype_of(value) == dtype for value in [AL, cost, *grads.values()])
    got = forward_quantities(AL, caches, fw.get)
    got["course_cost"] = fw.get(fw.deep.compute_cost(AL, Y_))
    got["cost"] = fw.get(cost)
    got["predictions"] = fw.get(fw.deep.predict(X_, P_, hidden_activation))
    got.update(fw.get(grads))
    assert_conforms(make_case(X, Y, parameters, hidden_activation), dtype, got, label=fw.name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden_activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_forward_cost_and_grads_match_the_reference(fw, depth, hidden_activation, dtype):
    _, X, Y, parameters = make_problem(depth, seed=depth)
    assert_forward_and_grads_conform(fw, X, Y, parameters, hidden_activation, dtype)


SLOPES = {"relu": [0.0, 0.0, 1.0], "leaky_relu": [0.01, 0.01, 1.0]}  # at Z = [0, -2, 3]
SLOPES_AT_0 = {"relu": 0.0, "leaky_relu": 0.01, "tanh": 1.0, "sigmoid": 0.25}


@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_derivatives_at_exactly_zero_are_the_references(fw, dtype):
    """ReLU'(0) = 0, leaky ReLU'(0) = 0.01 (the slope exactly, in the tensor's dtype), tanh'(0) = 1 and
    sigmoid'(0) = 1/4, all exact."""
    (Z,) = fw.put(dtype, np.array([[0.0, -2.0, 3.0]]))  # (1, 3)
    assert set(fw.deep.ACTIVATIONS) == set(SLOPES_AT_0)
    for name, g in fw.deep.ACTIVATIONS.items():
        dZ = fw.get(fw.grad(g, Z))  # (1, 3): each A entry depends on its own Z entry
        assert dZ[0, 0] == np.array(SLOPES_AT_0[name], dtype=dtype), name
        if name in SLOPES:
            np.testing.assert_array_equal(dZ, np.array([SLOPES[name]], dtype=dtype), err_msg=name)
    leaky = fw.get(fw.deep.ACTIVATIONS["leaky_relu"](Z))
    np.testing.assert_array_equal(leaky, np.array([[0, -0.02, 3]], dtype=dtype))


def kink_problems() -> list[tuple[np.ndarray, np.ndarray, dict, list[int], int]]:
    """(X, Y, parameters, zero columns, layers) whose hidden units sit at Z = 0 exactly (every number exact in
    float32 too): Z[l] of the first `layers` layers is 0 on the zero columns. One feature whose last sample is 0;
    a hand-made net where Z1 = 0 on six entries; and a depth-3 net with five zero columns and zero biases."""
    one = {
        "W1": np.array([[1.0], [-1.0]]),
        "b1": np.zeros((2, 1)),
        "W2": np.array([[0.5, -0.5]]),
        "b2": np.zeros((1, 1)),
    }
    hand = {
        "W1": np.array([[1.0, -1.0], [-1.0, 1.0], [0.5, 1.0]]),  # (3, 2): Z1 = 0 on the zero sample and 3 more
        "b1": np.zeros((3, 1)),
        "W2": np.array([[0.5, -0.5, 1.0]]),
        "b2": np.array([[0.25]]),
    }
    X_hand = np.array([[1.0, -1.0, 2.0, 0.0, 1.0], [0.5, 2.0, -1.0, 0.0, 1.0]])  # (2, 5)
    _, X, Y, parameters = make_problem(3, seed=7)
    X[:, :5] = 0.0
    zero_biases = {name: (0 * value if name.startswith("b") else value) for name, value in parameters.items()}
    return [
        (np.array([[1.0, -1.0, 2.0, 0.0]]), np.array([[1.0, 0.0, 1.0, 1.0]]), one, [3], 2),
        (X_hand, np.array([[1.0, 0.0, 1.0, 0.0, 1.0]]), hand, [3], 1),
        (X, Y, zero_biases, [0, 1, 2, 3, 4], 3),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden_activation", ["relu", "leaky_relu"])
def test_grads_at_exact_kinks_match_the_reference(fw, hidden_activation, dtype):
    """db1 holds the kink's dZ1 = dA1 * g'(0); every db also the cost's slope at ZL = 0 (the third net)."""
    for X, Y, parameters, columns, layers in kink_problems():
        _, caches = deep.L_model_forward(X, parameters, hidden_activation)
        assert all(np.all(Z[:, columns] == 0) for _, Z in caches[:layers])  # precondition: the kinks are hit
        _, fw_caches = fw.deep.L_model_forward(*fw.put(dtype, X, parameters), hidden_activation)
        for (_, Z), (_, fw_Z) in zip(caches, fw_caches, strict=True):  # on the kink exactly where the reference is
            np.testing.assert_array_equal(fw.get(fw_Z) == 0, Z == 0)
        assert_forward_and_grads_conform(fw, X, Y, parameters, hidden_activation, dtype)
    # and the choice at the kink matters: taking g'(0) = 1 instead would change the hand-made net's db1
    X, Y, parameters, _, _ = kink_problems()[1]
    AL, caches = deep.L_model_forward(X, parameters, hidden_activation)
    grads = deep.L_model_backward(AL, Y, caches, hidden_activation)
    Z1, slope = caches[0][1], SLOPES[hidden_activation][0]  # (3, 5)
    assert (Z1 == 0).sum() == 6
    db1_if_slope_1_at_0 = np.where(Z1 >= 0, grads["dA1"], slope * grads["dA1"]).mean(axis=1, keepdims=True)
    assert np.abs(db1_if_slope_1_at_0 - grads["db1"]).max() > 1e-3


def test_stable_cost_is_finite_where_the_courses_formula_is_not(fw):
    """compute_cost_from_logits is the reference's to the ulp even at |ZL| = 1000, and its slope is
    sigmoid(ZL) - Y over m everywhere; the course's compute_cost on sigmoid(ZL) is inf there."""
    ZL = np.array([[-1000.0, -40.0, -1.0, 0.0, 0.0, 2.0, 40.0, 1000.0]])  # (1, 8)
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]])  # (1, 8)
    ZL_, Y_ = fw.put("float64", ZL, Y)
    cost = float(fw.get(fw.deep.compute_cost_from_logits(ZL_, Y_)))
    assert cost == pytest.approx(deep.compute_cost_from_logits(ZL, Y), rel=1e-15)  # to an ulp
    dZL = fw.get(fw.grad(lambda Z: fw.deep.compute_cost_from_logits(Z, Y_), ZL_))  # (1, 8)
    AL, _ = sigmoid(ZL)  # (1, 8)
    np.testing.assert_allclose(dZL, (AL - Y) / 8, rtol=1e-15, atol=1e-15 * np.max(np.abs(AL - Y) / 8))
    extreme, labels = fw.put("float64", np.array([[1000.0, -1000.0, 1000.0, -1000.0]]), np.array([[1.0, 0, 0, 1]]))
    assert float(fw.get(fw.deep.compute_cost_from_logits(extreme, labels))) == pytest.approx(500.0, rel=1e-15)
    AL_extreme = fw.put("float64", sigmoid(np.array([[1000.0, -1000.0, 1000.0, -1000.0]]))[0])[0]
    assert not np.isfinite(float(fw.get(fw.deep.compute_cost(AL_extreme, labels))))


@pytest.mark.parametrize("dtype", DTYPES)
def test_predict_matches_the_reference_and_thresholds_at_one_half(fw, dtype):
    _, X, _, parameters = make_problem(3, seed=8, m=64)
    X_, P_ = fw.put(dtype, X, parameters)
    prediction = fw.deep.predict(X_, P_)
    assert fw.dtype_of(prediction) == dtype and tuple(prediction.shape) == (1, 64)
    np.testing.assert_array_equal(fw.get(prediction), deep.predict(X, parameters))
    X = np.array([[-2.0, -1e-3, 0.0, 1e-3, 2.0]])  # (1, 5)
    X_, P_ = fw.put(dtype, X, {"W1": np.array([[1.0]]), "b1": np.zeros((1, 1))})
    prediction = fw.deep.predict(X_, P_)
    assert fw.dtype_of(prediction) == dtype
    np.testing.assert_array_equal(fw.get(prediction), [[0, 0, 0, 1, 1]])


def test_update_parameters_returns_a_new_dict_and_leaves_the_old_one(fw):
    _, X, Y, parameters = make_problem(2, seed=5)
    X_, Y_, P_ = fw.put("float64", X, Y, parameters)
    before, tensors = fw.get(P_), dict(P_)
    grads, _ = fw.deep.L_model_grads(P_, X_, Y_)
    updated = fw.deep.update_parameters(P_, grads, 0.1)
    assert updated is not P_ and list(updated) == list(P_) and all(P_[k] is tensors[k] for k in tensors)
    for name, value in fw.get(P_).items():
        np.testing.assert_array_equal(value, before[name])
        np.testing.assert_array_equal(fw.get(updated[name]), before[name] - 0.1 * fw.get(grads[f"d{name}"]))


# --- the boundary: conversion, and clear errors for bad names ---


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_numpy_and_to_numpy_round_trip(fw, dtype):
    """from_numpy converts, keeping the keys; to_numpy inverts it; a 0-d tensor comes back a Python float.
    (Whether it copies is torch's promise only: jax's float64 CPU array may share the caller's memory.)"""
    parameters = initializers.initialize([3, 2, 1], seed=1)
    tensors = fw.arrays.from_numpy(parameters, dtype, "cpu")
    assert list(tensors) == list(parameters)
    for name, tensor in tensors.items():
        assert fw.dtype_of(tensor) == dtype and tuple(tensor.shape) == parameters[name].shape
        assert fw.device_of(tensor) == "cpu"
    back = fw.arrays.to_numpy(tensors)
    for name, value in parameters.items():
        assert isinstance(back[name], np.ndarray) and back[name].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(back[name], value.astype(dtype))
    cost = fw.arrays.to_numpy(fw.put(dtype, np.array(0.5))[0])
    assert type(cost) is float and cost == 0.5


ACTIVATIONS = re.escape(str(HIDDEN_ACTIVATIONS))
BAD_NAMES = {  # what is called with a bad name, and the message that names the choices
    "dtype": (
        lambda fw, X_, P_: fw.arrays.from_numpy(np.ones(2), "float16", "cpu"),
        r"unknown dtype 'float16'; choose one of \('float32', 'float64'\)",
    ),
    "device": (
        lambda fw, X_, P_: fw.arrays.from_numpy(np.ones(2), "float32", "tpu"),
        r"unknown device 'tpu'; choose one of \('cpu', 'gpu'\)",
    ),
    "resolve_device": (
        lambda fw, X_, P_: fw.arrays.resolve_device("tpu"),
        r"unknown device 'tpu'; choose one of \('cpu', 'gpu'\)",
    ),
    "deep mode": (lambda fw, X_, P_: fw.deep.make_train_step("relu", "jit"), "{modes}"),
    "logistic mode": (lambda fw, X_, P_: fw.logistic.make_train_step(mode="jit"), "{modes}"),
    "L_layer_model mode": (lambda fw, X_, P_: fw.deep.L_layer_model(X_, X_[:1], P_, mode="jit"), "{modes}"),
    "forward activation": (
        lambda fw, X_, P_: fw.deep.L_model_forward(X_, P_, "gelu"),
        f"unknown hidden_activation 'gelu'; choose one of {ACTIVATIONS}",
    ),
    "step activation": (lambda fw, X_, P_: fw.deep.make_train_step("gelu"), "unknown hidden_activation 'gelu'"),
    "L_layer_model activation": (
        lambda fw, X_, P_: fw.deep.L_layer_model(X_, X_[:1], P_, num_iterations=1, hidden_activation="gelu"),
        "unknown hidden_activation 'gelu'",
    ),
}


@pytest.mark.parametrize("what", BAD_NAMES)
def test_bad_names_raise_a_clear_value_error(fw, what):
    call, message = BAD_NAMES[what]
    modes = f"unknown mode 'jit' for {fw.name}; choose one of {re.escape(str(fw.deep.MODES))}"
    _, X, _, parameters = make_problem(2, seed=0)
    X_, P_ = fw.put("float64", X, parameters)
    with pytest.raises(ValueError, match=message.format(modes=modes)):
        call(fw, X_, P_)


def test_gpu_without_one_is_a_clear_runtime_error(fw):
    try:
        fw.arrays.resolve_device("gpu")
    except RuntimeError:
        pass
    else:
        pytest.skip(f"a GPU is visible to {fw.name}")
    with pytest.raises(RuntimeError, match=f"no GPU visible to {GPU_NAMES[fw.name]}"):
        fw.arrays.resolve_device("gpu")
    with pytest.raises(RuntimeError, match=f"no GPU visible to {GPU_NAMES[fw.name]}"):
        fw.arrays.from_numpy(np.ones((2, 2)), "float32", "gpu")
