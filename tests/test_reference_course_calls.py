"""The course's own calls, unchanged. The logistic-regression notebook (course 1, week 2) passes b as a
Python float (initialize_with_zeros returns 0.0) and checks the types it gets back; these are its public
test-case inputs and the values it prints, not ours."""

import numpy as np
import pytest
from backend_helper import framework

from conformance.core.registry import AUTODIFF
from conformance.kit import course_cases
from reference_numpy import deep, initializers, logistic, planar

# the notebook's propagate and optimize test case
W, B = np.array([[1.0], [2]]), 1.5
X = np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]])
Y = np.array([[1, 1, 0]])


@pytest.mark.parametrize("case", course_cases.CASES, ids=lambda c: c.name)
def test_the_reference_passes_the_notebooks_test_cases(case):
    """The same cases, from conformance/kit/course_cases.py, that `quartet new-backend` puts in a port's tests."""
    got = course_cases.call(case, course_cases.reference(case.module), lambda a: a, np.asarray)
    assert not course_cases.mismatch(case, got)


@pytest.mark.parametrize("name", AUTODIFF)
def test_every_framework_passes_the_notebooks_test_cases(name):
    fw = framework(name)
    arrays, modules = fw.arrays, {"deep": fw.deep, "logistic": fw.logistic}
    for case in course_cases.CASES:
        got = course_cases.call(
            case, modules[case.module], lambda a: arrays.from_numpy(a, "float64", "cpu"), arrays.to_numpy
        )
        assert not course_cases.mismatch(case, got), (name, case.name)


def test_a_wrong_result_is_said_as_the_notebook_would():
    (case,) = [c for c in course_cases.CASES if c.name == "linear_forward"]
    problem = course_cases.mismatch(case, {"value": np.array([[3.26295337, -1.2343]])})
    assert problem.startswith("linear_forward: value is [[ 3.26295337 -1.2343    ]]; the notebook prints")


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


# The step-by-step notebook (course 1, week 4): its test cases draw their inputs from np.random.seed(k)
# and print these values.


def test_step_by_step_initialisation():
    params = initializers.initialize_parameters(3, 2, 1)  # the notebook seeds 1 and scales by 0.01
    np.testing.assert_allclose(
        params["W1"], [[0.01624345, -0.00611756, -0.00528172], [-0.01072969, 0.00865408, -0.02301539]], atol=5e-9
    )
    np.testing.assert_allclose(params["W2"], [[0.01744812, -0.00761207]], atol=5e-9)
    assert not params["b1"].any() and params["b2"].shape == (1, 1)
    # the notebook's initialize_parameters_deep seeds 3 and scales by 0.01; ours defaults to the deep
    # application's seed 1 and 1 / sqrt(n[l-1]), so the step-by-step's call names them
    deep_params = deep.initialize_parameters_deep([5, 4, 3], seed=3, scheme="small")
    np.testing.assert_allclose(
        deep_params["W1"][0], [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388], atol=5e-9
    )


def test_step_by_step_backward():
    np.random.seed(1)
    dZ, A, W, b = np.random.randn(3, 4), np.random.randn(5, 4), np.random.randn(3, 5), np.random.randn(3, 1)
    dA_prev, dW, db = deep.linear_backward(dZ, (A, W, b))
    np.testing.assert_allclose(dA_prev[0], [-1.15171336, 0.06718465, -0.3204696, 2.09812712], atol=5e-9)
    np.testing.assert_allclose(dW[0], [0.07313866, -0.0976715, -0.87585828, 0.73763362, 0.00785716], atol=5e-9)
    np.testing.assert_allclose(db, [[-0.14713786], [-0.11313155], [-0.13209101]], atol=5e-9)


# The planar-data notebook (course 1, week 3), reference_numpy/planar.py under its own names.
PLANAR_W1 = np.array(
    [[-0.00416758, -0.00056267], [-0.02136196, 0.01640271], [-0.01793436, -0.00841747], [0.00502881, -0.01245288]]
)
PLANAR_W2 = np.array([[-0.01057952, -0.00909008, 0.00551454, 0.02292208]])


def test_planar_sizes_and_initialisation():
    np.random.seed(1)
    X, Y = np.random.randn(5, 3), np.random.randn(2, 3)
    assert planar.layer_sizes(X, Y) == (5, 4, 2)
    params = planar.initialize_parameters(2, 4, 1)
    np.testing.assert_allclose(params["W1"], PLANAR_W1, atol=5e-9)
    np.testing.assert_allclose(params["W2"], PLANAR_W2, atol=5e-9)
    assert params["b1"].shape == (4, 1) and params["b2"].shape == (1, 1)


def test_planar_forward_and_cost():
    np.random.seed(1)
    X, b1 = np.random.randn(2, 3), np.random.randn(4, 1)
    A2, cache = planar.forward_propagation(X, {"W1": PLANAR_W1, "b1": b1, "W2": PLANAR_W2, "b2": np.array([[-1.3]])})
    np.testing.assert_allclose(A2, [[0.21292656, 0.21274673, 0.21295976]], atol=5e-9)
    means = [np.mean(cache[k]) for k in ("Z1", "A1", "Z2", "A2")]
    np.testing.assert_allclose(means, [0.262818640198, 0.091999045227, -1.30766601287, 0.212877681719], atol=5e-12)
    A2 = np.array([[0.5002307, 0.49985831, 0.50023963]])
    assert planar.compute_cost(A2, np.array([[True, False, False]])) == pytest.approx(0.6930587610394646, rel=1e-14)


def test_planar_backward_and_predict():
    np.random.seed(1)
    X, Y = np.random.randn(2, 3), np.random.randn(1, 3) > 0
    params = {"W1": PLANAR_W1, "b1": np.zeros((4, 1)), "W2": PLANAR_W2, "b2": np.zeros((1, 1))}
    _, cache = planar.forward_propagation(X, params)
    grads = planar.backward_propagation(params, cache, X, Y)
    dW1 = [[0.00301023, -0.00747267], [0.00257968, -0.00641288], [-0.00156892, 0.003893], [-0.00652037, 0.01618243]]
    np.testing.assert_allclose(grads["dW1"], dW1, atol=5e-9)
    np.testing.assert_allclose(grads["db1"], [[0.00176201], [0.00150995], [-0.00091736], [-0.00381422]], atol=5e-9)
    np.testing.assert_allclose(grads["dW2"], [[0.00078841, 0.01765429, -0.00084166, -0.01022527]], atol=5e-9)
    np.testing.assert_allclose(grads["db2"], [[-0.16655712]], atol=5e-9)
    np.random.seed(1)
    X = np.random.randn(2, 3)
    trained = {
        "W1": np.array(
            [[-0.00615039, 0.0169021], [-0.02311792, 0.03137121], [-0.0169217, -0.01752545], [0.00935436, -0.05018221]]
        ),
        "W2": np.array([[-0.0104319, -0.04019007, 0.01607211, 0.04440255]]),
        "b1": np.array([[-8.97523455e-07], [8.15562092e-06], [6.04810633e-07], [-2.54560700e-06]]),
        "b2": np.array([[9.14954378e-05]]),
    }
    assert np.mean(planar.predict(trained, X)) == pytest.approx(2 / 3)


def test_planar_is_the_deep_net_with_one_tanh_layer():
    """The notebook's names and deep.py agree on a training step to the last bit."""
    from conformance.core.datasets import load_planar_dataset

    X, Y = load_planar_dataset()
    params = planar.initialize_parameters(2, 4, 1)
    A2, cache = planar.forward_propagation(X, params)
    grads = planar.backward_propagation(params, cache, X, Y)
    AL, caches = deep.L_model_forward(X, params, "tanh")
    expected = deep.L_model_backward(AL, Y, caches, "tanh", need_dA0=False)
    np.testing.assert_array_equal(A2, AL)
    for key in ("dW1", "db1", "dW2", "db2"):
        np.testing.assert_array_equal(grads[key], expected[key])


@pytest.mark.parametrize("name", AUTODIFF)
def test_every_framework_takes_the_notebooks_scalar_b(name):
    """The frameworks' propagate accepts b = 1.5 as the notebook passes it: a 0-d db, the reference's numbers."""
    fw = framework(name)
    arrays = fw.arrays
    w, x, y = (arrays.from_numpy(a.astype(np.float64), "float64", "cpu") for a in (W, X, Y))
    grads, cost = fw.logistic.propagate(w, B, x, y)
    expected, expected_cost = logistic.propagate(W, B, X, Y)
    np.testing.assert_allclose(arrays.to_numpy(grads["dw"]), expected["dw"], rtol=1e-14)
    assert np.shape(arrays.to_numpy(grads["db"])) == ()
    assert arrays.to_numpy(grads["db"]) == pytest.approx(float(expected["db"]), rel=1e-14)
    assert arrays.to_numpy(cost) == pytest.approx(float(expected_cost), rel=1e-14)
