"""Training in impl_torch, impl_jax and impl_tf, one test for all three and every mode each declares:
20-step trajectories against the float64 NumPy reference, the loop in one call (compiled) against the
eager step-by-step loop, logistic regression, the deep net with layer_dims [n_x, 1] as logistic
regression, and the GPU. Every number is judged by the comparison engine (tests/backend_helper.py);
a recorded subset of the costs, run by the same program, is compared exactly."""

import numpy as np
import pytest
from backend_helper import (
    COMPILED_MODES,
    DTYPES,
    FRAMEWORK_MODES,
    assert_backend_conforms,
    assert_conforms,
    framework,
    make_case,
    trajectory,
)

from conformance.check import cases
from conformance.check.measure import flatten
from conformance.core.datasets import make_random_dataset
from conformance.core.spec import ModelSpec
from reference_numpy import logistic


def trajectory_case() -> cases.Case:
    """One problem for every trajectory and loop test (torch.compile, jit and XLA compile once per shape):
    sample 0 is a zero column and the course's biases start at 0, so step 0 sits on ReLU's kink."""
    return cases.make_case(ModelSpec("deep", (6, 5, 4, 1), "relu"), m=32, seed=7, learning_rate=0.1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "mode"), FRAMEWORK_MODES)
def test_20_step_trajectory_matches_the_reference(name, mode, dtype):
    """Every cost (each before its update) and the final parameters; the caller's tensors are left alone."""
    fw, case = framework(name), trajectory_case()
    X_, Y_, P_ = fw.put(dtype, case.X, case.Y, case.params)
    before = fw.get(P_)
    final, costs = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 20, "relu", mode=mode, record_every=1)
    assert len(costs) == 20 and all(isinstance(cost, float) for cost in costs)
    assert all(fw.dtype_of(value) == dtype for value in final.values())
    assert_conforms(case, dtype, trajectory(fw.get(final), costs, 20), steps=(20,), label=f"{name} {mode}")
    for key, value in fw.get(P_).items():
        np.testing.assert_array_equal(value, before[key])


def test_costs_are_recorded_every_record_every_iterations(fw):
    case = trajectory_case()
    X_, Y_, P_ = fw.put("float64", case.X, case.Y, case.params)
    _, all_costs = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 12, "relu", record_every=1)
    _, some_costs = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 12, "relu", record_every=5)
    assert some_costs == [all_costs[0], all_costs[5], all_costs[10]]  # iterations 0, 5, 10
    assert_conforms(case, "float64", {"cost@12": all_costs}, steps=(12,), label=fw.name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "mode"), COMPILED_MODES)
def test_the_loop_in_one_call_matches_the_eager_step_by_step_loop(name, mode, dtype):
    """The same ops in the same order: only the compiler's fusion and kernels can differ, by an ulp here and
    there; a subset of the costs recorded by the same program is exactly the same."""
    fw, case = framework(name), trajectory_case()
    X_, Y_, P_ = fw.put(dtype, case.X, case.Y, case.params)
    eager, eager_costs = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 20, "relu", mode="eager", record_every=1)
    final, costs = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 20, "relu", mode=mode, record_every=1)
    assert len(costs) == 20 and all(isinstance(cost, float) for cost in costs)
    assert all(fw.dtype_of(value) == dtype for value in final.values())
    against = trajectory(fw.get(eager), eager_costs, 20)
    assert_conforms(case, dtype, trajectory(fw.get(final), costs, 20), against, steps=(20,), label=f"{name} {mode}")
    _, some_costs = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 20, "relu", mode=mode, record_every=7)
    assert some_costs == [costs[0], costs[7], costs[14]]  # the same program, so exactly equal


# --- logistic regression ---

# the course's own test case (course 1, week 2), as in tests/test_reference_logistic.py
W, B = np.array([[1.0], [2.0]]), np.array([[2.0]])
X_COURSE = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]])
Y_COURSE = np.array([[1.0, 0.0, 1.0]])


def logistic_problems() -> list[tuple[np.ndarray, ...]]:
    """(w, b, X, Y): the course's case, and random data with small random weights."""
    rng = np.random.default_rng(9)
    X, Y = make_random_dataset(6, 40, rng=rng)  # (6, 40), (1, 40)
    w, b = 0.3 * rng.standard_normal((6, 1)), np.array([[0.2]])  # (6, 1), (1, 1)
    return [(W, B, X_COURSE, Y_COURSE), (w, b, X, Y)]


def optimized(fw, params, grads, costs, steps: int) -> dict[str, np.ndarray]:
    """params@N, cost@N and the last iteration's grads@N, as check.measure names them."""
    return {**trajectory(fw.get(params), costs, steps), f"grads@{steps}": flatten(fw.get(grads))}


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_propagate_and_predict_match_the_reference(fw, dtype):
    for w, b, X, Y in logistic_problems():
        grads, cost = fw.logistic.propagate(*fw.put(dtype, w, b, X, Y))
        assert tuple(cost.shape) == () and fw.dtype_of(cost) == dtype
        assert_conforms(make_case(X, Y, {"w": w, "b": b}), dtype, {"cost": fw.get(cost), **fw.get(grads)})
        prediction = fw.logistic.predict(*fw.put(dtype, w, b, X))
        np.testing.assert_array_equal(fw.get(prediction), logistic.predict(w, b, X))


def test_logistic_propagate_and_predict_reproduce_the_course(fw):
    """The course's printed numbers (to the digits it prints)."""
    grads, cost = fw.logistic.propagate(*fw.put("float64", W, B, X_COURSE, Y_COURSE))
    assert float(fw.get(cost)) == pytest.approx(5.801545319394553, rel=1e-14)
    np.testing.assert_allclose(fw.get(grads["dw"]), [[0.99845601], [2.39507239]], atol=5e-9)
    w, b, X = np.array([[0.1124579], [0.23106775]]), np.array([[-0.3]]), np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])
    prediction = fw.logistic.predict(*fw.put("float64", w, b, X))
    assert fw.dtype_of(prediction) == "float64"
    np.testing.assert_array_equal(fw.get(prediction), logistic.predict(w, b, X))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "mode"), FRAMEWORK_MODES)
def test_logistic_optimize_matches_the_reference(name, mode, dtype):
    """The course's 100 iterations at 0.009: weights, the last iteration's grads, and the costs (every
    tenth one the same, recorded every 10); the caller's tensors are left alone."""
    fw = framework(name)
    case = make_case(X_COURSE, Y_COURSE, {"w": W, "b": B}, learning_rate=0.009)
    args = fw.put(dtype, W, B, X_COURSE, Y_COURSE)
    params, grads, costs = fw.logistic.optimize(*args, 100, 0.009, mode=mode, record_every=1)
    _, _, every_tenth = fw.logistic.optimize(*args, 100, 0.009, mode=mode, record_every=10)
    assert len(costs) == 100 and every_tenth == costs[::10]
    assert_conforms(case, dtype, optimized(fw, params, grads, costs, 100), steps=(100,), label=f"{name} {mode}")
    np.testing.assert_array_equal(fw.get(args[0]), W)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "mode"), COMPILED_MODES)
def test_the_logistic_loop_in_one_call_matches_the_eager_loop_last_grads_included(name, mode, dtype):
    fw = framework(name)
    w, b, X, Y = logistic_problems()[1]
    args = fw.put(dtype, w, b, X, Y)
    eager = fw.logistic.optimize(*args, 20, 0.1, mode="eager", record_every=1)
    params, grads, costs = fw.logistic.optimize(*args, 20, 0.1, mode=mode, record_every=1)
    assert len(costs) == 20
    case = make_case(X, Y, {"w": w, "b": b}, learning_rate=0.1)
    got, against = optimized(fw, params, grads, costs, 20), optimized(fw, *eager, 20)
    assert_conforms(case, dtype, got, against, steps=(20,), label=f"{name} {mode}")
    _, _, some_costs = fw.logistic.optimize(*args, 20, 0.1, mode=mode, record_every=7)
    assert some_costs == [costs[0], costs[7], costs[14]]


@pytest.mark.parametrize("dtype", DTYPES)
def test_deep_network_with_layer_dims_n_x_1_is_logistic_regression(fw, dtype):
    """Same cost, grads, 30-step trajectory and predictions as logistic regression, to rounding (w^T X and
    W1 X sum in different orders)."""
    w, b, X, Y = logistic_problems()[1]
    w_, b_, X_, Y_ = fw.put(dtype, w, b, X, Y)
    (P_,) = fw.put(dtype, {"W1": w.T, "b1": b})  # (1, n_x), (1, 1)
    grads, cost = fw.logistic.propagate(w_, b_, X_, Y_)
    params, _, costs = fw.logistic.optimize(w_, b_, X_, Y_, 30, 0.1, record_every=1)
    deep_grads, deep_cost = fw.deep.L_model_grads(P_, X_, Y_)
    final, deep_costs = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 30, record_every=1)
    as_logistic = {"w": fw.get(final["W1"]).T, "b": fw.get(final["b1"])}
    got = {
        "cost": fw.get(deep_cost),
        "dw": fw.get(deep_grads["dW1"]).T,
        "db": fw.get(deep_grads["db1"]),
        **trajectory(as_logistic, deep_costs, 30),
    }
    against = {"cost": fw.get(cost), **fw.get(grads), **trajectory(fw.get(params), costs, 30)}
    case = make_case(X, Y, {"w": w, "b": b}, learning_rate=0.1)
    assert_conforms(case, dtype, got, against, steps=(30,), label=f"{fw.name} deep as logistic")
    deep_prediction = fw.get(fw.deep.predict(X_, final))
    np.testing.assert_array_equal(deep_prediction, fw.get(fw.logistic.predict(params["w"], params["b"], X_)))


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "mode"), FRAMEWORK_MODES)
def test_training_on_the_gpu_matches_the_reference(name, mode, dtype):
    """On the GPU: the whole protocol as `quartet check` runs it, and the tensors stay on the GPU."""
    fw, case = framework(name), trajectory_case()
    assert_backend_conforms(name, case, mode, dtype, "gpu", steps=(1, 20))  # skips, saying why, without a GPU
    X_, Y_, P_ = fw.put(dtype, case.X, case.Y, case.params, device="gpu")
    assert fw.device_of(X_) == "gpu"
    grads, cost = fw.deep.L_model_grads(P_, X_, Y_, "relu")
    assert fw.device_of(cost) == "gpu" and fw.device_of(grads["dW1"]) == "gpu"
    final, costs = fw.deep.L_layer_model(X_, Y_, P_, 0.1, 20, "relu", mode=mode, record_every=1)
    assert fw.device_of(final["W1"]) == "gpu"
    assert_conforms(
        case,
        dtype,
        {"cost": fw.get(cost), **fw.get(grads), **trajectory(fw.get(final), costs, 20)},
        steps=(20,),
        label=f"{name} {mode} gpu",
    )
