"""What only impl_tf has: its own leaky ReLU (tf.nn.leaky_relu's slope is float32) and tf.function's traces,
one per shape whatever the learning rate or count. Everything the three frameworks share is tested
once in test_impls.py and test_impls_training.py."""

import numpy as np
import pytest
from backend_helper import framework, make_problem

fw = framework("tf")  # skips this file, saying why, where tensorflow is not installed
import tensorflow as tf  # noqa: E402

from conformance.core.datasets import make_random_dataset  # noqa: E402


def problem():
    """X (6, 64), Y (1, 64) and a depth-3 net's weights (backend_helper.make_problem), as float32 tensors."""
    _, X, Y, parameters = make_problem(3, seed=7, n_x=6, width=5, m=64)
    return fw.put("float32", X, Y, parameters)


def test_tf_nn_leaky_relu_has_a_float32_slope_which_is_why_deep_writes_its_own():
    """If this fails, TensorFlow now keeps alpha in float64, and deep.leaky_relu could call it."""
    Z = tf.constant([-1.0], dtype=tf.float64)
    assert tf.nn.leaky_relu(Z, alpha=0.01).numpy()[0] == -float(np.float32(0.01))
    assert fw.deep.ACTIVATIONS["leaky_relu"](Z).numpy()[0] == -0.01


@pytest.mark.parametrize("mode", ("function", "compiled"))
def test_20_steps_trace_once(mode):
    """The parameters, X, Y and the learning rate are tensors and the activation is closed over, so
    new values (a new learning rate included) reuse the one trace."""
    X_, Y_, P_ = problem()
    step = fw.deep.make_train_step("relu", mode)  # shared with other tests: count the traces it adds
    traced_before = step.experimental_get_tracing_count()
    for i in range(20):
        learning_rate = tf.constant(0.1 if i < 10 else 0.05, dtype=tf.float32)
        P_, _ = step(P_, X_, Y_, learning_rate)
    assert step.experimental_get_tracing_count() - traced_before <= 1


@pytest.mark.parametrize("mode", ("function", "compiled"))
def test_the_loop_traces_once_for_a_new_learning_rate_or_count(mode):
    """learning_rate and num_iterations are tensors, so new values reuse the trace (XLA still compiles
    once per count: its TensorArray needs the size). The loops are the ones L_layer_model uses."""
    X_, Y_, P_ = problem()
    loop = fw.deep.make_train_loop("relu", mode)  # functools.cache: the same object every time
    _, costs = loop(P_, X_, Y_, tf.constant(0.1, tf.float32), tf.constant(20))
    traced = loop.experimental_get_tracing_count()
    _, other_costs = loop(P_, X_, Y_, tf.constant(0.05, tf.float32), tf.constant(20))
    assert loop.experimental_get_tracing_count() == traced
    assert other_costs[0] == costs[0] and other_costs[1] != costs[1]  # and the new rate is used
    fw.deep.L_layer_model(X_, Y_, P_, 0.05, 21, mode=mode)
    assert loop.experimental_get_tracing_count() == traced

    X, Y = make_random_dataset(6, 40, seed=9)
    args = fw.put("float32", 0.3 * np.random.default_rng(9).standard_normal((6, 1)), np.array([[0.2]]), X, Y)
    logistic_loop = fw.logistic.make_train_loop(mode)
    fw.logistic.optimize(*args, 20, 0.1, mode=mode)
    traced = logistic_loop.experimental_get_tracing_count()
    fw.logistic.optimize(*args, 20, 0.05, mode=mode)
    assert logistic_loop.experimental_get_tracing_count() == traced


def test_a_step_traced_for_many_shapes_says_nothing_and_other_warnings_still_print(caplog):
    """One step function serves every shape a run meets (one trace each, by design): TensorFlow's warning
    that it "triggered tf.function retracing" is dropped by impl_tf; its other warnings are not."""
    step = fw.deep.make_train_step("tanh", "function")
    with caplog.at_level("WARNING", logger="tensorflow"):
        for m in range(3, 12):  # nine shapes in a row: TensorFlow warns after five
            _, X, Y, parameters = make_problem(2, seed=m, n_x=4, width=3, m=m)
            X_, Y_, P_ = fw.put("float64", X, Y, parameters)
            step(P_, X_, Y_, tf.constant(0.1, dtype=tf.float64))
        tf.get_logger().warning("another warning")
    assert step.experimental_get_tracing_count() >= 9
    messages = [record.getMessage() for record in caplog.records]
    assert "another warning" in messages and not any("retracing" in text for text in messages)


def test_tensorflow_starts_without_keras_and_jax_and_both_import_afterwards():
    """impl_tf keeps TensorFlow's import from loading Keras (for SavedModel's optimizers) and JAX (for
    TensorFlow Lite's converter), seconds in every process that runs TensorFlow; both import as usual after it."""
    import subprocess
    import sys

    script = (
        "import sys; import impl_tf, tensorflow as tf; "
        "print(sorted(n for n in ('keras', 'jax', 'sklearn') if n in sys.modules)); "
        "import jax, keras.optimizers; print(float(jax.numpy.ones(2).sum()), keras.optimizers.SGD.__name__, "
        "float(tf.reduce_sum(tf.ones(3))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "2.0 SGD 3.0"], done.stdout
