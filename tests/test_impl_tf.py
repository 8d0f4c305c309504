"""impl_tf against the float64 NumPy reference: every Z[l], A[l], AL, cost and gradient for every
hidden activation and depths 1..3, the kinks of ReLU and leaky ReLU, 20-step trajectories in every
mode, the training loop in one call against the eager one (traced once, whatever the learning rate),
logistic regression, and clear errors for bad names.

Tolerances are relative to each array's largest entry (atol = rtol * max|reference|), because entries
near 0 come from cancellation and carry an absolute, not a relative, rounding error:
- float64, rtol 1e-12: both sides round at eps = 2.2e-16 and differ only in summation order (Eigen's
  matmul against OpenBLAS's, reduce_mean against sum / m) and in 1-ulp differences of exp and tanh;
  on these small nets that is about 1e-15 of the scale, so 1e-12 has margin and still catches any
  real difference (tf.nn.leaky_relu's float32 slope, for instance, is off by 2e-8).
- float32, rtol 1e-5: the inputs themselves are rounded to float32 (6e-8 relative) and every op
  rounds at 6e-8; a few layers of sums of a few terms stay below 1e-6 of the scale (measured).
"""

import numpy as np
import pytest

import impl_tf  # noqa: F401  first: it sets TF_CPP_MIN_LOG_LEVEL, which TensorFlow reads when imported

tf = pytest.importorskip("tensorflow", reason="tensorflow not installed")

from conformance.core.datasets import make_random_dataset  # noqa: E402
from impl_tf import arrays  # noqa: E402
from impl_tf import deep as tf_deep  # noqa: E402
from impl_tf import logistic as tf_logistic  # noqa: E402
from reference_numpy import deep, initializers, logistic  # noqa: E402
from reference_numpy.activations import HIDDEN_ACTIVATIONS  # noqa: E402

RTOL = {"float64": 1e-12, "float32": 1e-5}
DTYPES = ("float64", "float32")
MODES = ("eager", "function", "compiled")


def assert_close(actual, expected: np.ndarray, dtype: str, rtol: float | None = None) -> None:
    """Entrywise within rtol (default RTOL[dtype]) of the reference, with atol = rtol times the
    reference's largest entry."""
    actual = np.asarray(arrays.to_numpy(actual) if isinstance(actual, tf.Tensor) else actual)
    expected = np.asarray(expected)
    assert np.shape(actual) == expected.shape, f"shape {np.shape(actual)}, expected {expected.shape}"
    rtol = RTOL[dtype] if rtol is None else rtol
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.max(np.abs(expected)))


def make_problem(depth: int, seed: int, n_x: int = 6, width: int = 5, m: int = 40):
    """Random data from conformance.core.datasets and He-initialised float64 weights with nonzero biases."""
    rng = np.random.default_rng(seed)
    layer_dims = [n_x] + [width] * (depth - 1) + [1]
    X, Y = make_random_dataset(n_x, m, rng=rng)  # (n_x, m), (1, m)
    parameters = initializers.initialize(layer_dims, scheme="he", rng=rng)
    for l in range(1, depth + 1):  # nonzero biases, so db is tested too
        parameters[f"b{l}"] = 0.1 * rng.standard_normal(parameters[f"b{l}"].shape)
    return X, Y, parameters


def to_tf(dtype: str, *arrays_in):
    return [arrays.from_numpy(a, dtype, "cpu") for a in arrays_in]


# --- the deep network, one forward and backward ---


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("depth", (1, 2, 3))
@pytest.mark.parametrize("hidden_activation", HIDDEN_ACTIVATIONS)
def test_forward_cost_and_grads_match_the_reference(hidden_activation, depth, dtype):
    X, Y, parameters = make_problem(depth, seed=depth)
    AL, caches = deep.L_model_forward(X, parameters, hidden_activation)
    cost = deep.compute_cost_from_logits(caches[-1][1], Y)
    grads = deep.L_model_backward(AL, Y, caches, hidden_activation)

    tX, tY, tparameters = to_tf(dtype, X, Y, parameters)
    tAL, tcaches = tf_deep.L_model_forward(tX, tparameters, hidden_activation)
    assert tAL.dtype == tf.as_dtype(dtype) and len(tcaches) == depth
    assert_close(tAL, AL, dtype)
    for l, (((A_prev, _W, _b), Z), ((tA_prev, tW, tb), tZ)) in enumerate(zip(caches, tcaches, strict=True), start=1):
        assert_close(tZ, Z, dtype)
        assert_close(tA_prev, A_prev, dtype)  # A[l-1]; A[0] is X
        assert tW is tparameters[f"W{l}"] and tb is tparameters[f"b{l}"]
    assert_close(tf_deep.compute_cost(tAL, tY), deep.compute_cost(AL, Y), dtype)

    tgrads, tcost = tf_deep.L_model_grads(tparameters, tX, tY, hidden_activation)
    assert tcost.shape == () and tcost.dtype == tf.as_dtype(dtype)
    assert_close(tcost, cost, dtype)
    assert set(tgrads) == {f"d{name}" for name in parameters}
    for name in parameters:
        assert tgrads[f"d{name}"].dtype == tf.as_dtype(dtype)
        assert_close(tgrads[f"d{name}"], grads[f"d{name}"], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_derivatives_at_exactly_zero_are_the_references(dtype):
    """ReLU'(0) = 0 and leaky ReLU'(0) = 0.01 (the slope exactly, in the tensor's dtype)."""
    Z = tf.constant([[0.0, -2.0, 3.0]], dtype=dtype)  # (1, 3)
    expected = {"relu": [[0.0, 0.0, 1.0]], "leaky_relu": [[0.01, 0.01, 1.0]]}
    for name, slopes in expected.items():
        with tf.GradientTape() as tape:
            tape.watch(Z)
            A = tf_deep.ACTIVATIONS[name](Z)  # (1, 3)
        dZ = tape.gradient(A, Z)  # (1, 3): the elementwise derivative, each A depending on its own Z
        np.testing.assert_array_equal(dZ.numpy(), np.array(slopes, dtype=dtype), err_msg=name)
    np.testing.assert_array_equal(tf_deep.ACTIVATIONS["leaky_relu"](Z).numpy(), np.array([[0, -0.02, 3]], dtype))


def test_tf_nn_leaky_relu_has_a_float32_slope_which_is_why_deep_writes_its_own():
    """If this fails, TensorFlow now keeps alpha in float64, and deep.leaky_relu could call it."""
    Z = tf.constant([-1.0], dtype=tf.float64)
    assert tf.nn.leaky_relu(Z, alpha=0.01).numpy()[0] == -float(np.float32(0.01))
    assert tf_deep.ACTIVATIONS["leaky_relu"](Z).numpy()[0] == -0.01


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden_activation", ("relu", "leaky_relu"))
def test_grads_at_exact_kinks_match_the_reference(hidden_activation, dtype):
    """Hidden units sitting at Z = 0 exactly (every number here is exact in float32 too)."""
    X = np.array([[1.0, -1.0, 2.0, 0.0, 1.0], [0.5, 2.0, -1.0, 0.0, 1.0]])  # (2, 5)
    Y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0]])  # (1, 5)
    parameters = {
        "W1": np.array([[1.0, -1.0], [-1.0, 1.0], [0.5, 1.0]]),  # (3, 2): Z1 = 0 on the zero sample and 3 more
        "b1": np.zeros((3, 1)),
        "W2": np.array([[0.5, -0.5, 1.0]]),
        "b2": np.array([[0.25]]),
    }
    AL, caches = deep.L_model_forward(X, parameters, hidden_activation)
    grads = deep.L_model_backward(AL, Y, caches, hidden_activation)
    tX, tY, tparameters = to_tf(dtype, X, Y, parameters)
    _, tcaches = tf_deep.L_model_forward(tX, tparameters, hidden_activation)
    Z1 = caches[0][1]  # (3, 5)
    assert (Z1 == 0).sum() == 6 and ((tcaches[0][1].numpy() == 0) == (Z1 == 0)).all()  # both on the kink
    # and the choice at the kink matters: taking g'(0) = 1 instead would change db1
    slope = 0.01 if hidden_activation == "leaky_relu" else 0.0
    db1_if_slope_1_at_0 = np.where(Z1 >= 0, grads["dA1"], slope * grads["dA1"]).mean(axis=1, keepdims=True)
    assert np.abs(db1_if_slope_1_at_0 - grads["db1"]).max() > 1e-3
    tgrads, _ = tf_deep.L_model_grads(tparameters, tX, tY, hidden_activation)
    for name in ("dW1", "db1", "dW2", "db2"):
        assert_close(tgrads[name], grads[name], dtype)


def test_stable_cost_is_finite_where_the_courses_formula_is_not():
    ZL = tf.constant([[1000.0, -1000.0, 1000.0, -1000.0]], dtype=tf.float64)
    Y = tf.constant([[1.0, 0.0, 0.0, 1.0]], dtype=tf.float64)
    assert float(tf_deep.compute_cost_from_logits(ZL, Y)) == pytest.approx(500.0, rel=1e-15)
    assert not np.isfinite(float(tf_deep.compute_cost(tf.math.sigmoid(ZL), Y)))


def test_update_parameters_returns_a_new_dict_and_leaves_the_old_one():
    X, Y, parameters = make_problem(2, seed=5)
    tX, tY, tparameters = to_tf("float64", X, Y, parameters)
    before = dict(tparameters)
    tgrads, _ = tf_deep.L_model_grads(tparameters, tX, tY)
    updated = tf_deep.update_parameters(tparameters, tgrads, 0.1)
    assert updated is not tparameters and all(tparameters[k] is before[k] for k in before)
    for name, value in parameters.items():
        np.testing.assert_array_equal(tparameters[name].numpy(), value)
        assert_close(updated[name], value - 0.1 * tgrads[f"d{name}"].numpy(), "float64")


@pytest.mark.parametrize("dtype", DTYPES)
def test_predict_thresholds_at_one_half_in_the_input_dtype(dtype):
    X = np.array([[-2.0, -1e-3, 0.0, 1e-3, 2.0]])  # (1, 5)
    tX, tparameters = to_tf(dtype, X, {"W1": np.array([[1.0]]), "b1": np.zeros((1, 1))})
    predictions = tf_deep.predict(tX, tparameters)
    assert predictions.dtype == tf.as_dtype(dtype)
    np.testing.assert_array_equal(predictions.numpy(), [[0, 0, 0, 1, 1]])


# --- training: trajectories and tracing ---


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES)
def test_20_step_trajectory_matches_the_reference(mode, dtype):
    """Every cost (each before its update) and the final parameters. One depth-3 problem for every
    mode, so tf.function and XLA trace and compile one shape per dtype."""
    X, Y, parameters = make_problem(3, seed=7, m=64)
    final, costs = deep.L_layer_model(X, Y, [6, 5, 5, 1], 0.1, 20, parameters=parameters, record_every=1)
    tX, tY, tparameters = to_tf(dtype, X, Y, parameters)
    tfinal, tcosts = tf_deep.L_layer_model(tX, tY, tparameters, 0.1, 20, mode=mode, record_every=1)
    assert len(tcosts) == 20 and all(isinstance(cost, float) for cost in tcosts)
    assert_close(np.array(tcosts), np.array(costs), dtype)
    for name, value in final.items():
        assert tfinal[name].dtype == tf.as_dtype(dtype)
        assert_close(tfinal[name], value, dtype)


def test_L_layer_model_records_every_record_every_th_cost():
    X, Y, parameters = make_problem(2, seed=8)
    tX, tY, tparameters = to_tf("float64", X, Y, parameters)
    _, all_costs = tf_deep.L_layer_model(tX, tY, tparameters, 0.1, 12, "tanh", record_every=1)
    _, some_costs = tf_deep.L_layer_model(tX, tY, tparameters, 0.1, 12, "tanh", record_every=5)
    assert some_costs == [all_costs[0], all_costs[5], all_costs[10]]


@pytest.mark.parametrize("mode", ("function", "compiled"))
def test_20_steps_trace_once(mode):
    """The parameters, X, Y and the learning rate are tensors and the activation is closed over, so
    new values (a new learning rate included) reuse the one trace."""
    X, Y, parameters = make_problem(3, seed=7, m=64)  # the trajectory test's shapes
    tX, tY, tparameters = to_tf("float32", X, Y, parameters)
    step = tf_deep.make_train_step("relu", mode)  # shared with other tests: count the traces it adds
    traced_before = step.experimental_get_tracing_count()
    for i in range(20):
        learning_rate = tf.constant(0.1 if i < 10 else 0.05, dtype=tf.float32)
        tparameters, _ = step(tparameters, tX, tY, learning_rate)
    assert step.experimental_get_tracing_count() - traced_before <= 1


# The loop in one call (tf.while_loop in a tf.function, with or without XLA) against the eager
# Python loop over the step: the same ops in the same order. Only XLA's own kernels (its tanh, its
# fused reductions) and its fusion can differ, by an ulp here and there. Measured over 20 steps: at
# most 4e-16 (float64) and 3.2e-7 (float32) of the largest entry; "function" runs TensorFlow's own
# kernels and matches eager to 1e-16 or exactly.
LOOP_RTOL = {"float64": 1e-13, "float32": 1e-6}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ("function", "compiled"))
def test_the_loop_in_one_call_matches_the_eager_step_by_step_loop(mode, dtype):
    X, Y, parameters = make_problem(3, seed=7, m=64)  # the trajectory test's problem: its traces are reused
    tX, tY, tparameters = to_tf(dtype, X, Y, parameters)
    eager, eager_costs = tf_deep.L_layer_model(tX, tY, tparameters, 0.1, 20, mode="eager", record_every=1)
    final, costs = tf_deep.L_layer_model(tX, tY, tparameters, 0.1, 20, mode=mode, record_every=1)
    assert len(costs) == 20 and all(isinstance(cost, float) for cost in costs)
    np.testing.assert_allclose(costs, eager_costs, rtol=LOOP_RTOL[dtype])
    for name, value in eager.items():
        assert final[name].dtype == tf.as_dtype(dtype)
        assert_close(final[name], value.numpy(), dtype, rtol=LOOP_RTOL[dtype])
    np.testing.assert_array_equal(tparameters["W1"].numpy(), parameters["W1"].astype(dtype))  # unchanged
    _, some_costs = tf_deep.L_layer_model(tX, tY, tparameters, 0.1, 20, mode=mode, record_every=7)
    assert some_costs == [costs[0], costs[7], costs[14]]  # the same program, so exactly equal


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ("function", "compiled"))
def test_the_logistic_loop_in_one_call_matches_the_eager_loop_last_grads_included(mode, dtype):
    w, b, X, Y = logistic_problems()[1]
    args = to_tf(dtype, w, b, X, Y)
    eager, eager_grads, eager_costs = tf_logistic.optimize(*args, 20, 0.1, mode="eager", record_every=1)
    params, grads, costs = tf_logistic.optimize(*args, 20, 0.1, mode=mode, record_every=1)
    assert len(costs) == 20
    np.testing.assert_allclose(costs, eager_costs, rtol=LOOP_RTOL[dtype])
    for name in ("w", "b"):
        assert_close(params[name], eager[name].numpy(), dtype, rtol=LOOP_RTOL[dtype])
    # db = mean(A - Y) cancels O(1) terms: judge its rounding by the size of the largest gradient
    atol = LOOP_RTOL[dtype] * max(np.max(np.abs(grad.numpy())) for grad in eager_grads.values())
    for name in ("dw", "db"):
        np.testing.assert_allclose(grads[name].numpy(), eager_grads[name].numpy(), rtol=LOOP_RTOL[dtype], atol=atol)
    _, _, some_costs = tf_logistic.optimize(*args, 20, 0.1, mode=mode, record_every=7)
    assert some_costs == [costs[0], costs[7], costs[14]]


@pytest.mark.parametrize("mode", ("function", "compiled"))
def test_the_loop_traces_once_for_a_new_learning_rate_or_count(mode):
    """learning_rate and num_iterations are tensors, so new values reuse the trace (XLA still compiles
    once per count: its TensorArray needs the size). The loops are the ones L_layer_model uses."""
    X, Y, parameters = make_problem(3, seed=7, m=64)
    tX, tY, tparameters = to_tf("float32", X, Y, parameters)
    loop = tf_deep.make_train_loop("relu", mode)  # functools.cache: the same object every time
    _, costs = loop(tparameters, tX, tY, tf.constant(0.1, tf.float32), tf.constant(20))
    traced = loop.experimental_get_tracing_count()
    _, other_costs = loop(tparameters, tX, tY, tf.constant(0.05, tf.float32), tf.constant(20))
    assert loop.experimental_get_tracing_count() == traced
    assert other_costs[0] == costs[0] and other_costs[1] != costs[1]  # and the new rate is used
    tf_deep.L_layer_model(tX, tY, tparameters, 0.05, 21, mode=mode)
    assert loop.experimental_get_tracing_count() == traced

    w, b, X, Y = logistic_problems()[1]
    logistic_loop = tf_logistic.make_train_loop(mode)
    tf_logistic.optimize(*to_tf("float32", w, b, X, Y), 20, 0.1, mode=mode)
    traced = logistic_loop.experimental_get_tracing_count()
    tf_logistic.optimize(*to_tf("float32", w, b, X, Y), 20, 0.05, mode=mode)
    assert logistic_loop.experimental_get_tracing_count() == traced


# --- logistic regression ---

# the course's own test case (course 1, week 2), as in tests/test_logistic.py
W, B = np.array([[1.0], [2.0]]), np.array([[2.0]])
X_COURSE = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]])
Y_COURSE = np.array([[1.0, 0.0, 1.0]])


def logistic_problems() -> list[tuple[np.ndarray, ...]]:
    """(w, b, X, Y): the course's case, and random data with small random weights."""
    rng = np.random.default_rng(9)
    X, Y = make_random_dataset(6, 40, rng=rng)  # (6, 40), (1, 40)
    w, b = 0.3 * rng.standard_normal((6, 1)), np.array([[0.2]])  # (6, 1), (1, 1)
    return [(W, B, X_COURSE, Y_COURSE), (w, b, X, Y)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_propagate_matches_the_reference(dtype):
    for w, b, X, Y in logistic_problems():
        grads, cost = logistic.propagate(w, b, X, Y)
        tgrads, tcost = tf_logistic.propagate(*to_tf(dtype, w, b, X, Y))
        assert tcost.shape == () and tcost.dtype == tf.as_dtype(dtype)
        assert_close(tcost, cost, dtype)
        assert_close(tgrads["dw"], grads["dw"], dtype)
        assert_close(tgrads["db"], grads["db"], dtype)


@pytest.mark.parametrize(("mode", "dtype"), [("eager", "float64"), ("eager", "float32"), ("compiled", "float64")])
def test_logistic_optimize_matches_the_reference(mode, dtype):
    """The course's 100 iterations at 0.009: weights, the last iteration's grads, and the costs."""
    params, grads, costs = logistic.optimize(W, B, X_COURSE, Y_COURSE, 100, 0.009, record_every=10)
    tw, tb, tX, tY = to_tf(dtype, W, B, X_COURSE, Y_COURSE)
    tparams, tgrads, tcosts = tf_logistic.optimize(tw, tb, tX, tY, 100, 0.009, mode=mode, record_every=10)
    assert len(tcosts) == 10
    assert_close(np.array(tcosts), np.array(costs), dtype)
    for name in ("w", "b"):
        assert_close(tparams[name], params[name], dtype)
        assert_close(tgrads[f"d{name}"], grads[f"d{name}"], dtype)
    np.testing.assert_array_equal(tw.numpy(), W)  # the caller's tensors are left alone


def test_logistic_predict_matches_the_course():
    w, b, X = np.array([[0.1124579], [0.23106775]]), np.array([[-0.3]]), np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    predictions = tf_logistic.predict(*to_tf("float64", w, b, X))
    assert predictions.dtype == tf.float64
    np.testing.assert_array_equal(predictions.numpy(), logistic.predict(w, b, X))


@pytest.mark.parametrize("dtype", DTYPES)
def test_deep_with_layer_dims_n_x_1_equals_logistic(dtype):
    """Same cost, grads and 30-step trajectory, to rounding (w^T X and W1 X sum in different orders)."""
    w, b, X, Y = logistic_problems()[1]
    tw, tb, tX, tY = to_tf(dtype, w, b, X, Y)
    tparameters = {"W1": tf.transpose(tw), "b1": tb}  # (1, n_x), (1, 1)
    grads, cost = tf_logistic.propagate(tw, tb, tX, tY)
    deep_grads, deep_cost = tf_deep.L_model_grads(tparameters, tX, tY)
    expected = {"cost": cost, "dW1": tf.transpose(grads["dw"]), "db1": grads["db"]}
    for name, actual in {"cost": deep_cost, "dW1": deep_grads["dW1"], "db1": deep_grads["db1"]}.items():
        assert_close(actual, arrays.to_numpy(expected[name]), dtype)
    params, _, costs = tf_logistic.optimize(tw, tb, tX, tY, 30, 0.1, record_every=1)
    final, deep_costs = tf_deep.L_layer_model(tX, tY, tparameters, 0.1, 30, record_every=1)
    assert_close(np.array(deep_costs), np.array(costs), dtype)
    assert_close(final["W1"], arrays.to_numpy(tf.transpose(params["w"])), dtype)
    np.testing.assert_array_equal(tf_deep.predict(tX, final).numpy(), tf_logistic.predict(params["w"], params["b"], tX))


# --- the boundary: conversion, and clear errors for bad names ---


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_numpy_and_to_numpy_round_trip(dtype):
    _, _, parameters = make_problem(2, seed=10)
    tparameters = arrays.from_numpy(parameters, dtype, "cpu")
    assert set(tparameters) == set(parameters)
    for name, tensor in tparameters.items():
        assert tensor.dtype == tf.as_dtype(dtype) and tensor.shape == parameters[name].shape
        assert tensor.device.endswith("CPU:0")
    back = arrays.to_numpy(tparameters)
    for name, value in parameters.items():
        assert back[name].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(back[name], value.astype(dtype))
    cost = arrays.to_numpy(tf.constant(0.5, dtype=dtype))
    assert type(cost) is float and cost == 0.5


def test_unknown_dtype_device_mode_and_activation_are_named():
    X, Y, parameters = make_problem(2, seed=0)
    with pytest.raises(ValueError, match=r"unknown dtype 'float16'; choose one of \('float32', 'float64'\)"):
        arrays.from_numpy(X, "float16", "cpu")
    with pytest.raises(ValueError, match=r"unknown device 'tpu'; choose one of \('cpu', 'gpu'\)"):
        arrays.from_numpy(X, "float64", "tpu")
    modes = r"choose one of \('eager', 'function', 'compiled'\)"
    with pytest.raises(ValueError, match=f"unknown mode 'jit'; {modes}"):
        tf_deep.make_train_step("relu", "jit")
    with pytest.raises(ValueError, match=f"unknown mode 'jit'; {modes}"):
        tf_logistic.make_train_step("jit")
    tX, tY, tparameters = to_tf("float64", X, Y, parameters)
    activations = r"choose one of \('relu', 'tanh', 'leaky_relu', 'sigmoid'\)"
    with pytest.raises(ValueError, match=f"unknown hidden_activation 'gelu'; {activations}"):
        tf_deep.L_model_forward(tX, tparameters, "gelu")
    with pytest.raises(ValueError, match="unknown hidden_activation 'gelu'"):
        tf_deep.make_train_step("gelu", "function")
    with pytest.raises(ValueError, match="unknown hidden_activation 'gelu'"):
        tf_deep.L_layer_model(tX, tY, tparameters, num_iterations=1, hidden_activation="gelu")


def test_gpu_without_one_is_a_clear_runtime_error():
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is visible to TensorFlow")
    with pytest.raises(RuntimeError, match="no GPU visible to TensorFlow"):
        arrays.resolve_device("gpu")
    with pytest.raises(RuntimeError, match="no GPU visible to TensorFlow"):
        arrays.from_numpy(np.zeros((2, 2)), "float32", "gpu")


@pytest.mark.gpu
def test_training_on_the_gpu_matches_the_reference():
    if not tf.config.list_physical_devices("GPU"):
        pytest.skip("no GPU visible to TensorFlow")
    X, Y, parameters = make_problem(3, seed=7, m=64)
    final, costs = deep.L_layer_model(X, Y, [6, 5, 5, 1], 0.1, 20, parameters=parameters, record_every=1)
    tX, tY, tparameters = (arrays.from_numpy(a, "float64", "gpu") for a in (X, Y, parameters))
    assert tX.device.endswith("GPU:0")
    tfinal, tcosts = tf_deep.L_layer_model(tX, tY, tparameters, 0.1, 20, mode="function", record_every=1)
    assert tfinal["W1"].device.endswith("GPU:0")
    assert_close(np.array(tcosts), np.array(costs), "float64")
    for name, value in final.items():
        assert_close(tfinal[name], value, "float64")
