"""What only impl_jax has: float32 kept through a float64 learning rate (JAX's type promotion), the
compiled loop lowered once per count and not per learning rate, and jax's own traceback kept out of
the GPU error. Everything the three frameworks share is tested once in test_impls.py and
test_impls_training.py."""

import numpy as np
import pytest
from backend_helper import framework, make_problem

fw = framework("jax")  # skips this file, saying why, where jax is not installed
import jax  # noqa: E402

from conformance.core.datasets import make_random_dataset  # noqa: E402


def problem(dtype: str):
    """X (5, 16), Y (1, 16) and a depth-3 net's weights (backend_helper.make_problem), as JAX arrays of `dtype`."""
    _, X, Y, parameters = make_problem(3, seed=0)
    return fw.put(dtype, X, Y, parameters)


@pytest.mark.parametrize("mode", fw.deep.MODES)
def test_float32_stays_float32_even_with_a_float64_learning_rate(mode):
    X_, Y_, P_ = problem("float32")
    step = fw.deep.make_train_step("tanh", mode)
    for learning_rate in (0.1, np.float64(0.1), jax.numpy.asarray(0.1, dtype="float64")):
        new, cost = step(P_, X_, Y_, learning_rate)
        assert cost.dtype == "float32" and all(value.dtype == "float32" for value in new.values())
    grads, _ = fw.deep.L_model_grads(P_, X_, Y_, "tanh")
    assert all(grad.dtype == "float32" for grad in grads.values())
    assert fw.deep.predict(X_, P_, "tanh").dtype == "float32"


def test_a_new_learning_rate_reuses_the_compiled_loop_and_a_new_count_compiles_again():
    """learning_rate is traced, num_iterations static (the scan's length): a new rate lowers to the same
    program, a new count to another. (Comparing the lowered programs, not jit's cache size: that cache
    is shared by the whole test session and evicts.) The loops are the ones L_layer_model and optimize use."""
    X_, Y_, P_ = problem("float64")
    loop = fw.deep.make_train_loop("tanh", "compiled")  # functools.cache: the same object every time

    def program(rate, count):
        return loop.lower(P_, X_, Y_, rate, count).as_text()

    assert program(0.1, 20) == program(0.05, 20)
    assert program(0.1, 20) != program(0.1, 21)
    _, costs = loop(P_, X_, Y_, 0.1, 20)
    _, other_costs = loop(P_, X_, Y_, 0.05, 20)
    assert other_costs[0] == costs[0] and other_costs[1] != costs[1]  # and the new rate is used

    X, Y = make_random_dataset(5, 16, seed=3)
    args = fw.put("float64", 0.3 * np.random.default_rng(3).standard_normal((5, 1)), np.array([[0.2]]), X, Y)
    logistic_loop = fw.logistic.make_train_loop("compiled")
    assert logistic_loop.lower(*args, 0.1, 19).as_text() == logistic_loop.lower(*args, 0.05, 19).as_text()


def test_the_gpu_error_leaves_jaxs_own_traceback_out():
    if any(device.platform == "gpu" for device in jax.devices()):
        pytest.skip("a GPU is visible to jax")
    with pytest.raises(RuntimeError, match="no GPU visible to jax") as raised:
        fw.arrays.from_numpy(np.ones(2), "float32", "gpu")
    assert raised.value.__suppress_context__  # jax's own traceback is not chained on
