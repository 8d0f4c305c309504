"""Logistic regression in TensorFlow: A = sigmoid(w^T X + b), cross-entropy cost, gradient descent,
with the gradients from tf.GradientTape. It is the deep network with layer_dims = [n_x, 1], W1 = w^T.

Shapes: w is (n_x, 1); b is (1, 1) (or the course's scalar); X is (n_x, m); Y and A are (1, m). The
weights come from NumPy (arrays.from_numpy), so there is no initializer; model() starts from zeros of
X's dtype, as the course's model does.
"""

import functools
from collections.abc import Callable

import tensorflow as tf

from .deep import MODES, compute_cost_from_logits


def propagate(w: tf.Tensor, b: tf.Tensor | float, X: tf.Tensor, Y: tf.Tensor) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    """The cost (0-d) and its gradients {"dw": (n_x, 1), "db": (1, 1)}; a scalar b, as the course's
    notebook passes it, gives a 0-d db."""
    b = tf.convert_to_tensor(b, dtype=X.dtype)  # a Python float becomes a 0-d tensor of X's dtype
    with tf.GradientTape() as tape:
        tape.watch([w, b])  # plain tensors: the tape records only what it is told to watch
        Z = tf.transpose(w) @ X + b  # (1, m) = (1, n_x) @ (n_x, m) + (1, 1)
        # A = sigmoid(Z) is not needed: the cost is taken from the logits Z, and the tape finds dZ = A - Y
        cost = compute_cost_from_logits(Z, Y)  # ()
    dw, db = tape.gradient(cost, [w, b])  # (n_x, 1), (1, 1)
    assert dw.shape == w.shape and db.shape == b.shape
    return {"dw": dw, "db": db}, cost


def train_step(
    w: tf.Tensor, b: tf.Tensor, X: tf.Tensor, Y: tf.Tensor, learning_rate: float | tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """One gradient-descent step: (new w, new b, the cost before the update)."""
    grads, cost = propagate(w, b, X, Y)
    w = w - learning_rate * grads["dw"]  # (n_x, 1)
    b = b - learning_rate * grads["db"]  # (1, 1)
    return w, b, cost


@functools.cache  # one step function per mode: a second training run reuses its compiled program
def make_train_step(mode: str = "eager") -> Callable:
    """step(w, b, X, Y, learning_rate) -> (w, b, cost), modes as deep.make_train_step: "eager",
    "function" (tf.function) or "compiled" (tf.function with XLA). Pass learning_rate as a tensor of
    the weights' dtype, so that a new value does not trace the step again."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for tf; choose one of {MODES}")
    if mode == "eager":
        return train_step
    return tf.function(train_step, jit_compile=(mode == "compiled"))


@functools.cache  # one loop per mode: a second training run reuses its trace and programs
def make_train_loop(mode: str = "compiled") -> Callable:
    """loop(w, b, X, Y, learning_rate, num_iterations) -> (w, b, costs (num_iterations,)), the cost of
    every iteration before its update; modes, tf.while_loop and tf.TensorArray as in
    deep.make_train_loop. Pass learning_rate and num_iterations as tensors, so that the loop is traced once."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for tf; choose one of {MODES}")

    def loop(w, b, X, Y, learning_rate, num_iterations):
        costs = tf.TensorArray(X.dtype, size=num_iterations, element_shape=())  # (num_iterations,) when stacked
        for i in tf.range(num_iterations):
            w, b, cost = train_step(w, b, X, Y, learning_rate)  # (n_x, 1), (1, 1), ()
            costs = costs.write(i, cost)
        return w, b, costs.stack()  # (n_x, 1), (1, 1), (num_iterations,)

    if mode == "eager":
        return loop
    return tf.function(loop, jit_compile=(mode == "compiled"))


def optimize(
    w: tf.Tensor,
    b: tf.Tensor,
    X: tf.Tensor,
    Y: tf.Tensor,
    num_iterations: int = 100,
    learning_rate: float = 0.009,
    mode: str = "eager",
    record_every: int = 100,
) -> tuple[dict[str, tf.Tensor], dict[str, tf.Tensor], list[float]]:
    """Gradient descent; returns ({"w", "b"}, the last iteration's grads, the cost at iterations
    0, record_every, ...), each cost measured before that iteration's update. "eager" is the plain
    Python loop over the step; "function" and "compiled" run all iterations but the last in one call
    (make_train_loop), then the last with the step, whose pre-update weights give the grads."""
    if num_iterations == 0:
        return {"w": w, "b": b}, {}, []
    step = make_train_step(mode)
    learning_rate = tf.constant(learning_rate, dtype=X.dtype)  # once: no retracing, no dtype mixing
    with tf.device(X.device):  # compute where the data lives
        if mode != "eager":
            w, b, costs = make_train_loop(mode)(w, b, X, Y, learning_rate, tf.constant(num_iterations - 1))
            w_before, b_before = w, b  # (n_x, 1), (1, 1): the last iteration's pre-update weights
            w, b, cost = step(w, b, X, Y, learning_rate)
            costs = [*costs.numpy().tolist(), float(cost)][::record_every]  # to the host, as Python floats
        else:
            costs = []
            for i in range(num_iterations):
                w_before, b_before = w, b  # (n_x, 1), (1, 1)
                w, b, cost = step(w, b, X, Y, learning_rate)
                if i % record_every == 0:
                    costs.append(float(cost))  # copies the cost to the host, waiting for the step
        # The step returns no gradients (it is the unit that is compiled and timed); the reference
        # returns the last iteration's, taken at its pre-update weights, so recompute those once.
        grads, _ = propagate(w_before, b_before, X, Y)
    return {"w": w, "b": b}, grads, costs


def predict(w: tf.Tensor, b: tf.Tensor, X: tf.Tensor) -> tf.Tensor:
    """1 where sigmoid(w^T X + b) > 0.5, else 0, in the dtype of X; (1, m)."""
    A = tf.math.sigmoid(tf.transpose(w) @ X + b)  # (1, m) = (1, n_x) @ (n_x, m) + (1, 1)
    return tf.cast(A > 0.5, X.dtype)  # (1, m)


def model(
    X_train: tf.Tensor,
    Y_train: tf.Tensor,
    X_test: tf.Tensor | None,
    Y_test: tf.Tensor | None,
    num_iterations: int = 2000,
    learning_rate: float = 0.5,
    mode: str = "eager",
) -> dict:
    """Zero initialisation, optimize, then predictions and accuracies on both sets (the test set may be None),
    as reference_numpy.logistic.model. An accuracy is the count of right predictions over m, in Python floats:
    the same number NumPy's mean gives, whatever the dtype."""
    with tf.device(X_train.device):
        w = tf.zeros((X_train.shape[0], 1), dtype=X_train.dtype)  # (n_x, 1)
        b = tf.zeros((1, 1), dtype=X_train.dtype)  # (1, 1)
    params, _, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, mode=mode)
    w, b = params["w"], params["b"]
    Y_prediction_train = predict(w, b, X_train)  # (1, m_train)
    result = {
        "costs": costs,
        "w": w,
        "b": b,
        "learning_rate": learning_rate,
        "num_iterations": num_iterations,
        "Y_prediction_train": Y_prediction_train,
        "train_accuracy": int(tf.reduce_sum(tf.cast(Y_prediction_train == Y_train, tf.int32))) / Y_train.shape[1],
        "Y_prediction_test": None,
        "test_accuracy": None,
    }
    if X_test is not None and Y_test is not None:
        result["Y_prediction_test"] = predict(w, b, X_test)  # (1, m_test)
        result["test_accuracy"] = (
            int(tf.reduce_sum(tf.cast(result["Y_prediction_test"] == Y_test, tf.int32))) / Y_test.shape[1]
        )
    return result
