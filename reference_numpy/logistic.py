"""Logistic regression, the course's first model: A = sigmoid(w^T X + b), cross-entropy cost,
gradient descent. It is the deep network with layer_dims = [n_x, 1] and W1 = w^T.

Shapes: w is (n_x, 1); X is (n_x, m); Y and A are (1, m). b is a (1, 1) array (which keeps every
framework's version rank-2), or, as in the course's notebook, a Python or NumPy scalar: then the
functions return what the notebook's do (db a NumPy scalar, the cost a 0-d array, b a scalar), so the
notebook's own calls and test cases run unchanged.
"""

from collections.abc import Callable

import numpy as np

from . import activations, initializers
from .deep import compute_cost_from_logits
from .inputs import check_data, check_logistic, check_training


def sigmoid(z: np.ndarray) -> np.ndarray:
    """s = 1 / (1 + e^-z), elementwise: this assignment's sigmoid, s alone (the deep network's returns
    (A, cache), activations.sigmoid)."""
    return activations.sigmoid(np.asarray(z, dtype=np.result_type(np.asarray(z).dtype, np.float32)))[0]


def initialize_with_zeros(dim: int) -> tuple[np.ndarray, float]:
    """w = 0 (dim, 1), and b = 0.0, a Python float, as the course's notebook returns it."""
    parameters = initializers.initialize([dim, 1], scheme="zeros")
    w = parameters["W1"].T  # (dim, 1)
    return w, 0.0


def propagate(w: np.ndarray, b: np.ndarray | float, X: np.ndarray, Y: np.ndarray) -> tuple[dict, float | np.ndarray]:
    """The cost and its gradients {"dw": (n_x, 1), "db": (1, 1)}; with a scalar b, db a NumPy scalar
    and the cost a 0-d array, as the notebook returns them."""
    m = X.shape[1]
    Z = w.T @ X + b  # (1, m) = (1, n_x) @ (n_x, m) + (1, 1)
    A = sigmoid(Z)  # (1, m)
    cost = compute_cost_from_logits(Z, Y)
    dZ = A - Y  # (1, m)
    dw = X @ dZ.T / m  # (n_x, 1) = (n_x, m) @ (m, 1)
    db = np.sum(dZ, axis=1, keepdims=True) / m  # (1, 1)
    if np.ndim(b) == 0:  # the course's scalar b
        return {"dw": dw, "db": db[0, 0]}, np.array(cost)
    assert dw.shape == w.shape and db.shape == b.shape
    return {"dw": dw, "db": db}, cost


def train_step(
    w: np.ndarray, b: np.ndarray | float, X: np.ndarray, Y: np.ndarray, learning_rate: float
) -> tuple[np.ndarray, np.ndarray | float, float]:
    """One gradient-descent step; returns the new w, b and the cost before the update."""
    grads, cost = propagate(w, b, X, Y)
    w = w - learning_rate * grads["dw"]  # (n_x, 1)
    b = b - learning_rate * grads["db"]  # (1, 1)
    return w, b, cost


def optimize(
    w: np.ndarray,
    b: np.ndarray | float,
    X: np.ndarray,
    Y: np.ndarray,
    num_iterations: int = 100,
    learning_rate: float = 0.009,
    print_cost: bool = False,
    *,
    record_every: int = 100,
    callback: Callable[[int, float], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[float]]:
    """Gradient descent; returns ({"w", "b"}, the last grads, the cost at iterations 0, record_every, ...).
    `callback(i, cost)` is called after every iteration."""
    check_data(X, Y)
    check_training(learning_rate, num_iterations, record_every)
    check_logistic(w, b, X.shape[0])
    costs = []
    grads: dict[str, np.ndarray] = {}
    for i in range(num_iterations):
        if i == num_iterations - 1:  # the step returns no grads; the course's optimize returns these
            grads, _ = propagate(w, b, X, Y)
        w, b, cost = train_step(w, b, X, Y, learning_rate)  # w -= learning_rate dw, b -= learning_rate db
        if i % record_every == 0:
            costs.append(cost)
        if print_cost and i % 100 == 0:
            print(f"Cost after iteration {i}: {cost:f}")
        if callback is not None:
            callback(i, cost)
    return {"w": w, "b": b}, grads, costs


def predict(w: np.ndarray, b: np.ndarray | float, X: np.ndarray) -> np.ndarray:
    """1.0 where sigmoid(w^T X + b) > 0.5, else 0.0; (1, m)."""
    check_data(X)
    check_logistic(w, b, X.shape[0])
    A = sigmoid(w.T @ X + b)  # (1, m)
    return (A > 0.5).astype(X.dtype)  # (1, m)


def model(
    X_train: np.ndarray,
    Y_train: np.ndarray,
    X_test: np.ndarray | None,
    Y_test: np.ndarray | None,
    num_iterations: int = 2000,
    learning_rate: float = 0.5,
    print_cost: bool = False,
    *,
    callback: Callable[[int, float], None] | None = None,
) -> dict:
    """Zero initialisation, optimize, then predictions and accuracies on both sets (the test set may be None)."""
    check_data(X_train, Y_train)
    if X_test is not None:
        check_data(X_test, Y_test, X_train.shape[0])
    w, b = initialize_with_zeros(X_train.shape[0])
    w, b = w.astype(X_train.dtype), np.zeros((1, 1), X_train.dtype)  # float64 would promote float32; b rank-2
    params, _, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost, callback=callback)
    w, b = params["w"], params["b"]
    Y_prediction_train = predict(w, b, X_train)  # (1, m_train)
    result = {
        "costs": costs,
        "w": w,
        "b": b,
        "learning_rate": learning_rate,
        "num_iterations": num_iterations,
        "Y_prediction_train": Y_prediction_train,
        "train_accuracy": float(np.mean(Y_prediction_train == Y_train)),
        "Y_prediction_test": None,
        "test_accuracy": None,
    }
    if X_test is not None and Y_test is not None:
        result["Y_prediction_test"] = predict(w, b, X_test)  # (1, m_test)
        result["test_accuracy"] = float(np.mean(result["Y_prediction_test"] == Y_test))
    return result
