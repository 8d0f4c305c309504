"""Logistic regression in MLX: A = sigmoid(w^T X + b), cross-entropy cost, gradient descent, with
the gradients from mx.value_and_grad. It is the deep network with layer_dims = [n_x, 1], W1 = w^T.

Shapes: w (n_x, 1); b (1, 1) (or the course's scalar); X (n_x, m); Y and A (1, m).
"""

import functools
from collections.abc import Callable

import mlx.core as mx

from .deep import MODES, compute_cost_from_logits, sigmoid


def propagate(w: mx.array, b: mx.array | float, X: mx.array, Y: mx.array) -> tuple[dict[str, mx.array], mx.array]:
    """The 0-d cost and its gradients {"dw": (n_x, 1), "db": (1, 1)}; a scalar b, as the course's
    notebook passes it, gives a 0-d db. A = sigmoid(Z) itself is not needed: the cost takes the
    logits Z, and autodiff finds the reference's dZ = A - Y."""
    b = mx.array(b, dtype=X.dtype)  # a Python float becomes a 0-d array of X's dtype

    def cost_of(w: mx.array, b: mx.array) -> mx.array:
        Z = w.T @ X + b  # (1, m) = (1, n_x) @ (n_x, m) + (1, 1)
        return compute_cost_from_logits(Z, Y)

    cost, (dw, db) = mx.value_and_grad(cost_of, argnums=(0, 1))(w, b)  # (n_x, 1), (1, 1)
    assert dw.shape == w.shape and db.shape == b.shape
    return {"dw": dw, "db": db}, cost


def train_step(
    w: mx.array, b: mx.array, X: mx.array, Y: mx.array, learning_rate: float
) -> tuple[mx.array, mx.array, mx.array]:
    """One gradient-descent step: (w, b, the cost before the update)."""
    grads, cost = propagate(w, b, X, Y)
    learning_rate = mx.array(learning_rate, dtype=w.dtype)  # () in the weights' dtype
    w = w - learning_rate * grads["dw"]  # (n_x, 1)
    b = b - learning_rate * grads["db"]  # (1, 1)
    return w, b, cost


@functools.cache  # one step function per mode: a second training run reuses its compiled program
def make_train_step(mode: str = "eager") -> Callable:
    """step(w, b, X, Y, learning_rate) -> (w, b, cost); "compiled" is mx.compile of the whole step."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for mlx; choose one of {MODES}")
    return mx.compile(train_step) if mode == "compiled" else train_step


def optimize(
    w: mx.array,
    b: mx.array,
    X: mx.array,
    Y: mx.array,
    num_iterations: int = 100,
    learning_rate: float = 0.009,
    mode: str = "eager",
    record_every: int = 100,
) -> tuple[dict[str, mx.array], dict[str, mx.array], list[float]]:
    """Gradient descent; returns ({"w", "b"}, the last iteration's grads, the costs at iterations
    0, record_every, ...), each cost measured before that iteration's update. MLX has no compiled
    loop: "compiled" loops in Python over the compiled step."""
    if num_iterations == 0:
        return {"w": w, "b": b}, {}, []
    step = make_train_step(mode)
    costs = []
    for i in range(num_iterations):
        w_last, b_last = w, b
        w, b, cost = step(w, b, X, Y, learning_rate)
        mx.eval(w, b, cost)  # this step computed: the next one's graph starts from arrays, not records
        if i % record_every == 0:
            costs.append(cost.item())
    # The step returns no grads; the reference's last grads are those at the last pre-update weights.
    grads = propagate(w_last, b_last, X, Y)[0]
    return {"w": w, "b": b}, grads, costs


def predict(w: mx.array, b: mx.array, X: mx.array) -> mx.array:
    """1 where sigmoid(w^T X + b) > 0.5, else 0, in X's dtype; (1, m)."""
    A = sigmoid(w.T @ X + b)  # (1, m) = sigmoid((1, n_x) @ (n_x, m) + (1, 1))
    return (A > 0.5).astype(X.dtype)  # (1, m)


def model(
    X_train: mx.array,
    Y_train: mx.array,
    X_test: mx.array | None,
    Y_test: mx.array | None,
    num_iterations: int = 2000,
    learning_rate: float = 0.5,
    mode: str = "eager",
) -> dict:
    """Zero initialisation, optimize, then predictions and accuracies on both sets (the test set may be None),
    as reference_numpy.logistic.model. An accuracy is the count of right predictions over m, in Python floats."""
    w = mx.zeros((X_train.shape[0], 1), dtype=X_train.dtype)  # (n_x, 1)
    b = mx.zeros((1, 1), dtype=X_train.dtype)  # (1, 1)
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
        "train_accuracy": int(mx.sum(Y_prediction_train == Y_train).item()) / Y_train.shape[1],
        "Y_prediction_test": None,
        "test_accuracy": None,
    }
    if X_test is not None and Y_test is not None:
        result["Y_prediction_test"] = predict(w, b, X_test)  # (1, m_test)
        result["test_accuracy"] = int(mx.sum(result["Y_prediction_test"] == Y_test).item()) / Y_test.shape[1]
    return result
