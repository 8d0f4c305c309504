"""impl_jax against the float64 NumPy reference: every Z[l], A[l], AL, cost and gradient, the kinks
at exactly zero, 20-step trajectories eager and compiled, logistic regression, dtypes, and the errors;
and the compiled training loop against the eager one, compiled once per count, not per learning rate.

Tolerances (relative, with atol = rtol * max|expected|, or * the largest gradient for gradients,
so entries that cancel to ~0 are judged by the size of what cancelled):
- float64, rtol 1e-12: JAX runs the reference's formulas in the same order; only the summation
  order inside a matmul (XLA's dot against NumPy's BLAS) and the exp/tanh/log1p implementations
  differ, each by a few ulp (~1e-16). Measured: at most 1.3e-15 (gradients), so 1e-12 is ample.
- float32, rtol 1e-5: the inputs are rounded to float32 (6e-8 relative) and every op adds about
  as much; through three layers forward and back that stays near 1e-6. Measured: at most 3.5e-7.
"""

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="jax not installed")

from conformance.core.datasets import make_random_dataset  # noqa: E402
from impl_jax import arrays, deep, logistic  # noqa: E402
from reference_numpy import deep as ref_deep  # noqa: E402
from reference_numpy import initializers  # noqa: E402
from reference_numpy import logistic as ref_logistic  # noqa: E402
from reference_numpy.activations import sigmoid  # noqa: E402

DTYPES = ("float32", "float64")
RTOL = {"float64": 1e-12, "float32": 1e-5}
HIDDEN = ("relu", "tanh", "leaky_relu", "sigmoid")


def assert_close(actual, expected, dtype: str, rtol: float | None = None, scale: float | None = None) -> None:
    """A JAX array against a NumPy float64 one: the dtype asked for, the exact shape, values within
    rtol, and atol = rtol * scale (default max|expected|) for entries that cancel to near 0."""
    rtol = RTOL[dtype] if rtol is None else rtol
    scale = np.max(np.abs(expected)) if scale is None else scale
    assert actual.dtype == dtype, f"{actual.dtype} instead of {dtype}"
    actual = arrays.to_numpy(actual)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def make_problem(depth: int, n_x: int = 5, width: int = 4, m: int = 16, seed: int = 0):
    """layer_dims, X (n_x, m), Y (1, m) and He-initialised parameters with nonzero biases, all NumPy float64."""
    X, Y = make_random_dataset(n_x, m, seed=seed)
    layer_dims = [n_x] + [width] * (depth - 1) + [1]
    rng = np.random.default_rng(seed + 1)
    parameters = initializers.initialize(layer_dims, scheme="he", rng=rng)
    for l in range(1, depth + 1):  # nonzero biases, so db is tested too
        parameters[f"b{l}"] = 0.1 * rng.standard_normal(parameters[f"b{l}"].shape)
    return layer_dims, X, Y, parameters


def to_jax(dtype: str, *values):
    return [arrays.from_numpy(value, dtype, "cpu") for value in values]


def compare_forward_and_grads(X, Y, parameters, hidden_activation: str, dtype: str) -> None:
    """Every cache entry (A_prev, W, b, Z), AL, both costs and every gradient against the reference."""
    ref_AL, ref_caches = ref_deep.L_model_forward(X, parameters, hidden_activation)
    ref_cost = ref_deep.compute_cost_from_logits(ref_caches[-1][1], Y)
    ref_grads = ref_deep.L_model_backward(ref_AL, Y, ref_caches, hidden_activation)
    Xj, Yj, Pj = to_jax(dtype, X, Y, parameters)
    AL, caches = deep.L_model_forward(Xj, Pj, hidden_activation)
    assert len(caches) == len(ref_caches)
    for (linear_cache, Z), (ref_linear_cache, ref_Z) in zip(caches, ref_caches, strict=True):
        assert_close(Z, ref_Z, dtype)
        for actual, expected in zip(linear_cache, ref_linear_cache, strict=True):  # A_prev, W, b
            assert_close(actual, expected, dtype)
    assert_close(AL, ref_AL, dtype)
    assert deep.compute_cost(AL, Yj).shape == ()
    assert float(deep.compute_cost(AL, Yj)) == pytest.approx(ref_deep.compute_cost(ref_AL, Y), rel=RTOL[dtype])
    grads, cost = deep.L_model_grads(Pj, Xj, Yj, hidden_activation)
    assert cost.shape == () and cost.dtype == dtype
    assert float(cost) == pytest.approx(ref_cost, rel=RTOL[dtype])
    assert list(grads) == [f"d{name}" for name in parameters]
    # db[L] = mean(AL - Y) sums O(1) terms to ~1e-3: its rounding error is that of its terms, so
    # every gradient's atol is measured against the largest gradient of the network.
    scale = max(np.max(np.abs(ref_grads[name])) for name in grads)
    for name, grad in grads.items():
        assert_close(grad, ref_grads[name], dtype, scale=scale)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden_activation", HIDDEN)
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_caches_cost_and_grads_match_the_reference(depth, hidden_activation, dtype):
    _, X, Y, parameters = make_problem(depth, seed=depth)
    compare_forward_and_grads(X, Y, parameters, hidden_activation, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hidden_activation", ["relu", "leaky_relu"])
def test_exact_zeros_at_the_kink_give_the_reference_gradient(hidden_activation, dtype):
    """Zero columns of X and zero biases make whole columns of Z1, Z2 and ZL exactly 0: db1 and db2
    then depend on g'(0) (0 for relu, 0.01 for leaky_relu), and every db on the cost's slope at ZL = 0."""
    _, X, Y, parameters = make_problem(3, seed=7)
    X[:, :5] = 0.0
    parameters = {name: (0 * value if name.startswith("b") else value) for name, value in parameters.items()}
    _, ref_caches = ref_deep.L_model_forward(X, parameters, hidden_activation)
    assert all(np.all(Z[:, :5] == 0) for _, Z in ref_caches)  # precondition: the kinks are hit
    compare_forward_and_grads(X, Y, parameters, hidden_activation, dtype)
    slope = {"relu": 0.0, "leaky_relu": 0.01}[hidden_activation]
    Z0 = arrays.from_numpy(np.zeros((2, 3)), dtype, "cpu")  # (2, 3) of exact zeros
    dZ = jax.grad(lambda Z: deep.ACTIVATIONS[hidden_activation](Z).sum())(Z0)  # (2, 3): g'(0) everywhere
    np.testing.assert_array_equal(arrays.to_numpy(dZ), np.full((2, 3), slope, dtype=dtype))


def test_cost_from_logits_is_finite_and_has_slope_sigmoid_minus_y_everywhere():
    ZL = np.array([[-1000.0, -40.0, -1.0, 0.0, 0.0, 2.0, 40.0, 1000.0]])  # (1, 8)
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]])  # (1, 8)
    ZLj, Yj = to_jax("float64", ZL, Y)
    cost = deep.compute_cost_from_logits(ZLj, Yj)
    assert float(cost) == pytest.approx(ref_deep.compute_cost_from_logits(ZL, Y), rel=1e-15)
    dZL = jax.grad(deep.compute_cost_from_logits)(ZLj, Yj)  # (1, 8), the reference's dZL / m = (AL - Y) / m
    AL, _ = sigmoid(ZL)  # (1, 8)
    assert_close(dZL, (AL - Y) / 8, "float64", rtol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", deep.MODES)
def test_20_step_trajectory_matches_the_reference(mode, dtype):
    layer_dims, X, Y, parameters = make_problem(3)
    ref_parameters, ref_costs = ref_deep.L_layer_model(
        X, Y, layer_dims, 0.1, 20, parameters=parameters, record_every=1, hidden_activation="tanh"
    )
    Xj, Yj, Pj = to_jax(dtype, X, Y, parameters)
    final, costs = deep.L_layer_model(Xj, Yj, Pj, 0.1, 20, hidden_activation="tanh", mode=mode, record_every=1)
    assert all(isinstance(cost, float) for cost in costs)
    np.testing.assert_allclose(costs, ref_costs, rtol=RTOL[dtype])
    for name, value in final.items():
        assert_close(value, ref_parameters[name], dtype)
    np.testing.assert_array_equal(arrays.to_numpy(Pj["W1"]), np.asarray(parameters["W1"], dtype=dtype))  # unchanged


@pytest.mark.parametrize("mode", deep.MODES)
def test_float32_stays_float32_even_with_a_float64_learning_rate(mode):
    _, X, Y, parameters = make_problem(3)
    Xj, Yj, Pj = to_jax("float32", X, Y, parameters)
    step = deep.make_train_step("tanh", mode)
    for learning_rate in (0.1, np.float64(0.1), jax.numpy.asarray(0.1, dtype="float64")):
        new, cost = step(Pj, Xj, Yj, learning_rate)
        assert cost.dtype == "float32" and all(value.dtype == "float32" for value in new.values())
    grads, _ = deep.L_model_grads(Pj, Xj, Yj, "tanh")
    assert all(grad.dtype == "float32" for grad in grads.values())
    assert deep.predict(Xj, Pj, "tanh").dtype == "float32"


def test_update_parameters_returns_a_new_dict_and_leaves_the_old_one():
    _, X, Y, parameters = make_problem(2)
    Xj, Yj, Pj = to_jax("float64", X, Y, parameters)
    before = arrays.to_numpy(Pj)
    grads, _ = deep.L_model_grads(Pj, Xj, Yj)
    updated = deep.update_parameters(Pj, grads, 0.5)
    assert updated is not Pj and list(updated) == list(Pj)
    for name, value in arrays.to_numpy(Pj).items():
        np.testing.assert_array_equal(value, before[name])
        assert not np.array_equal(arrays.to_numpy(updated[name]), value)


@pytest.mark.parametrize("dtype", DTYPES)
def test_predict_matches_the_reference(dtype):
    _, X, _, parameters = make_problem(3)
    Xj, Pj = to_jax(dtype, X, parameters)
    prediction = deep.predict(Xj, Pj)
    assert prediction.dtype == dtype
    np.testing.assert_array_equal(arrays.to_numpy(prediction), ref_deep.predict(X, parameters))


def logistic_problem(seed: int = 3):
    X, Y = make_random_dataset(5, 16, seed=seed)
    rng = np.random.default_rng(seed)
    return 0.3 * rng.standard_normal((5, 1)), np.array([[0.2]]), X, Y  # w, b, X, Y


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_propagate_and_predict_match_the_reference(dtype):
    w, b, X, Y = logistic_problem()
    ref_grads, ref_cost = ref_logistic.propagate(w, b, X, Y)
    grads, cost = logistic.propagate(*to_jax(dtype, w, b, X, Y))
    assert cost.shape == () and float(cost) == pytest.approx(ref_cost, rel=RTOL[dtype])
    for name in ("dw", "db"):
        assert_close(grads[name], ref_grads[name], dtype)
    prediction = logistic.predict(*to_jax(dtype, w, b, X))
    np.testing.assert_array_equal(arrays.to_numpy(prediction), ref_logistic.predict(w, b, X))


def test_logistic_propagate_reproduces_the_course():
    W, B = np.array([[1.0], [2.0]]), np.array([[2.0]])
    X, Y = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]]), np.array([[1.0, 0.0, 1.0]])
    grads, cost = logistic.propagate(*to_jax("float64", W, B, X, Y))
    assert float(cost) == pytest.approx(5.801545319394553, rel=1e-14)
    np.testing.assert_allclose(arrays.to_numpy(grads["dw"]), [[0.99845601], [2.39507239]], atol=5e-9)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", deep.MODES)
def test_logistic_optimize_matches_the_reference(mode, dtype):
    w, b, X, Y = logistic_problem()
    ref_params, ref_grads, ref_costs = ref_logistic.optimize(w, b, X, Y, 20, 0.1, record_every=1)
    params, grads, costs = logistic.optimize(*to_jax(dtype, w, b, X, Y), 20, 0.1, mode=mode, record_every=1)
    np.testing.assert_allclose(costs, ref_costs, rtol=RTOL[dtype])
    for name in ("w", "b"):
        assert_close(params[name], ref_params[name], dtype)
    for name in ("dw", "db"):
        assert_close(grads[name], ref_grads[name], dtype)


# The compiled loop (jax.lax.scan inside one jax.jit) against the eager Python loop over the step:
# the same ops in the same order, so only XLA's fusion of the whole program against one op at a
# time can differ, by an ulp here and there. Measured over 20 steps: at most 3e-16 (float64) and
# 2.7e-7 (float32) of the largest entry.
LOOP_RTOL = {"float64": 1e-13, "float32": 1e-6}


@pytest.mark.parametrize("dtype", DTYPES)
def test_compiled_loop_matches_the_eager_step_by_step_loop(dtype):
    _, X, Y, parameters = make_problem(3)  # the trajectory test's problem: its compiled loop is reused
    Xj, Yj, Pj = to_jax(dtype, X, Y, parameters)
    eager, eager_costs = deep.L_layer_model(Xj, Yj, Pj, 0.1, 20, "tanh", mode="eager", record_every=1)
    final, costs = deep.L_layer_model(Xj, Yj, Pj, 0.1, 20, "tanh", mode="compiled", record_every=1)
    assert len(costs) == 20 and all(isinstance(cost, float) for cost in costs)
    np.testing.assert_allclose(costs, eager_costs, rtol=LOOP_RTOL[dtype])
    for name, value in eager.items():
        assert_close(final[name], arrays.to_numpy(value), dtype, rtol=LOOP_RTOL[dtype])
    _, some_costs = deep.L_layer_model(Xj, Yj, Pj, 0.1, 20, "tanh", mode="compiled", record_every=7)
    assert some_costs == [costs[0], costs[7], costs[14]]  # the same program, so exactly equal


@pytest.mark.parametrize("dtype", DTYPES)
def test_compiled_logistic_loop_matches_the_eager_loop_last_grads_included(dtype):
    w, b, X, Y = logistic_problem()
    args = to_jax(dtype, w, b, X, Y)
    eager, eager_grads, eager_costs = logistic.optimize(*args, 20, 0.1, mode="eager", record_every=1)
    params, grads, costs = logistic.optimize(*args, 20, 0.1, mode="compiled", record_every=1)
    assert len(costs) == 20
    np.testing.assert_allclose(costs, eager_costs, rtol=LOOP_RTOL[dtype])
    for name in ("w", "b"):
        assert_close(params[name], arrays.to_numpy(eager[name]), dtype, rtol=LOOP_RTOL[dtype])
    scale = max(np.max(np.abs(arrays.to_numpy(grad))) for grad in eager_grads.values())
    for name in ("dw", "db"):
        assert_close(grads[name], arrays.to_numpy(eager_grads[name]), dtype, rtol=LOOP_RTOL[dtype], scale=scale)
    _, _, some_costs = logistic.optimize(*args, 20, 0.1, mode="compiled", record_every=7)
    assert some_costs == [costs[0], costs[7], costs[14]]


def test_a_new_learning_rate_reuses_the_compiled_loop_and_a_new_count_compiles_again():
    """learning_rate is traced, num_iterations static (the scan's length): a new rate lowers to the same
    program, a new count to another. (Comparing the lowered programs, not jit's cache size: that cache
    is shared by the whole test session and evicts.) The loops are the ones L_layer_model and optimize use."""
    _, X, Y, parameters = make_problem(3)
    Xj, Yj, Pj = to_jax("float64", X, Y, parameters)
    loop = deep.make_train_loop("tanh", "compiled")  # functools.cache: the same object every time

    def program(rate, count):
        return loop.lower(Pj, Xj, Yj, rate, count).as_text()

    assert program(0.1, 20) == program(0.05, 20)
    assert program(0.1, 20) != program(0.1, 21)
    _, costs = loop(Pj, Xj, Yj, 0.1, 20)
    _, other_costs = loop(Pj, Xj, Yj, 0.05, 20)
    assert other_costs[0] == costs[0] and other_costs[1] != costs[1]  # and the new rate is used

    w, b, X, Y = logistic_problem()
    args = to_jax("float64", w, b, X, Y)
    logistic_loop = logistic.make_train_loop("compiled")
    assert logistic_loop.lower(*args, 0.1, 19).as_text() == logistic_loop.lower(*args, 0.05, 19).as_text()


def test_deep_network_with_layer_dims_n_x_1_is_logistic_regression():
    w, b, X, Y = logistic_problem()
    wj, bj, Xj, Yj = to_jax("float64", w, b, X, Y)
    Pj = {"W1": wj.T, "b1": bj}  # (1, n_x), (1, 1)
    grads, cost = deep.L_model_grads(Pj, Xj, Yj)
    logistic_grads, logistic_cost = logistic.propagate(wj, bj, Xj, Yj)
    assert float(cost) == pytest.approx(float(logistic_cost), rel=1e-14)
    assert_close(grads["dW1"].T, arrays.to_numpy(logistic_grads["dw"]), "float64", rtol=1e-14)
    assert_close(grads["db1"], arrays.to_numpy(logistic_grads["db"]), "float64", rtol=1e-14)
    final, costs = deep.L_layer_model(Xj, Yj, Pj, 0.1, 20, record_every=1)
    params, _, logistic_costs = logistic.optimize(wj, bj, Xj, Yj, 20, 0.1, record_every=1)
    np.testing.assert_allclose(costs, logistic_costs, rtol=1e-13)
    assert_close(final["W1"].T, arrays.to_numpy(params["w"]), "float64", rtol=1e-13)


def test_arrays_round_trip_keeps_keys_dtype_and_device():
    parameters = initializers.initialize([3, 2, 1], seed=1)
    converted = arrays.from_numpy(parameters, "float32", "cpu")
    assert list(converted) == list(parameters)
    assert all(
        value.dtype == "float32" and value.devices() == {arrays.resolve_device("cpu")} for value in converted.values()
    )
    back = arrays.to_numpy(converted)
    assert all(isinstance(value, np.ndarray) and value.dtype == np.float32 for value in back.values())
    np.testing.assert_array_equal(back["W1"], parameters["W1"].astype(np.float32))
    assert arrays.to_numpy(jax.numpy.asarray(2.5, dtype="float32")) == 2.5
    assert isinstance(arrays.to_numpy(jax.numpy.asarray(2.5, dtype="float32")), float)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: deep.make_train_step(mode="fast"),
            r"unknown mode 'fast' for jax; choose one of \('eager', 'compiled'\)",
        ),
        (lambda: logistic.make_train_step(mode="function"), r"unknown mode 'function' for jax"),
        (lambda: deep.make_train_step("softmax"), r"unknown hidden_activation 'softmax'; choose one of \('relu'"),
        (lambda: deep.L_model_forward(np.ones((2, 3)), {"W1": 1, "b1": 1}, "swish"), r"'swish'.*'leaky_relu'"),
        (lambda: arrays.from_numpy(np.ones(2), "float16", "cpu"), r"unknown dtype 'float16'; choose one of"),
        (
            lambda: arrays.from_numpy(np.ones(2), "float32", "tpu"),
            r"unknown device 'tpu'; choose one of \('cpu', 'gpu'\)",
        ),
    ],
)
def test_bad_names_raise_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def gpu_or_skip():
    try:
        return arrays.resolve_device("gpu")
    except RuntimeError as error:
        pytest.skip(str(error))


def test_gpu_without_one_is_a_clear_runtime_error():
    if any(device.platform == "gpu" for device in jax.devices()):
        pytest.skip("a GPU is visible to jax")
    with pytest.raises(RuntimeError, match="no GPU visible to jax") as raised:
        arrays.from_numpy(np.ones(2), "float32", "gpu")
    assert raised.value.__suppress_context__  # jax's own traceback is not chained on


@pytest.mark.gpu
def test_gpu_trajectory_matches_the_reference():
    device = gpu_or_skip()
    layer_dims, X, Y, parameters = make_problem(3)
    Xj, Yj, Pj = (arrays.from_numpy(value, "float64", "gpu") for value in (X, Y, parameters))
    assert Xj.devices() == {device}
    final, costs = deep.L_layer_model(Xj, Yj, Pj, 0.1, 20, hidden_activation="tanh", mode="compiled", record_every=1)
    _, ref_costs = ref_deep.L_layer_model(
        X, Y, layer_dims, 0.1, 20, parameters=parameters, record_every=1, hidden_activation="tanh"
    )
    np.testing.assert_allclose(costs, ref_costs, rtol=1e-12)
    assert final["W1"].devices() == {device}
