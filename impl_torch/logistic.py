"""Logistic regression in PyTorch: A = sigmoid(w^T X + b), cross-entropy cost, gradient descent,
with the gradients from cost.backward(). It is the deep network with layer_dims = [n_x, 1] and
W1 = w^T.

Shapes: w is (n_x, 1); b is (1, 1) (or the course's scalar); X is (n_x, m); Y and A are (1, m). The weights come from
NumPy (impl_torch/arrays.py converts them), so there is no initializer here; model() starts from
zeros of X's dtype, as the course's model does.
"""

import functools
from collections.abc import Callable

import torch

from .deep import MODES, autograd_leaves, compute_cost_from_logits

Tensor = torch.Tensor
Step = Callable[[Tensor, Tensor, Tensor, Tensor, float], tuple[Tensor, Tensor, Tensor]]


def propagate(w: Tensor, b: Tensor | float, X: Tensor, Y: Tensor) -> tuple[dict[str, Tensor], Tensor]:
    """The cost (0-d) and its gradients {"dw": (n_x, 1), "db": (1, 1)}, by cost.backward(); a scalar
    b, as the course's notebook passes it, gives a 0-d db."""
    b = torch.as_tensor(b, dtype=X.dtype, device=X.device)  # a Python float becomes a 0-d tensor
    leaves = autograd_leaves({"w": w, "b": b})  # (n_x, 1), (1, 1)
    Z = leaves["w"].T @ X + leaves["b"]  # (1, m) = (1, n_x) @ (n_x, m) + (1, 1)
    # A = sigmoid(Z) lives inside the cost: computing it from the logits keeps it finite
    cost = compute_cost_from_logits(Z, Y)  # 0-d
    cost.backward()
    grads = {"dw": leaves["w"].grad, "db": leaves["b"].grad}  # (n_x, 1), (1, 1)
    assert grads["dw"].shape == w.shape and grads["db"].shape == b.shape
    return grads, cost.detach()


def train_step(w: Tensor, b: Tensor, X: Tensor, Y: Tensor, learning_rate: float) -> tuple[Tensor, Tensor, Tensor]:
    """One gradient-descent step; returns the new w, b and the cost before the update."""
    grads, cost = propagate(w, b, X, Y)
    with torch.no_grad():  # the update is not part of the cost: autograd must not record it
        w = w - learning_rate * grads["dw"]  # (n_x, 1)
        b = b - learning_rate * grads["db"]  # (1, 1)
    return w, b, cost


@functools.cache  # one step function per mode: a second training run reuses its compiled program
def make_train_step(mode: str = "eager") -> Step:
    """step(w, b, X, Y, learning_rate) -> (w, b, cost): train_step as it is ("eager"), or
    torch.compile of the whole step ("compiled"; see impl_torch.deep.make_train_step)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for torch; choose one of {MODES}")
    if mode == "eager":
        return train_step
    return torch.compile(train_step, dynamic=False)


def optimize(
    w: Tensor,
    b: Tensor,
    X: Tensor,
    Y: Tensor,
    num_iterations: int = 100,
    learning_rate: float = 0.009,
    mode: str = "eager",
    record_every: int = 100,
) -> tuple[dict[str, Tensor], dict[str, Tensor], list[float]]:
    """Gradient descent; returns ({"w", "b"}, the grads of the last iteration, the cost at
    iterations 0, record_every, ..., each measured before that iteration's update)."""
    step = make_train_step(mode)
    costs = []
    grads: dict[str, Tensor] = {}
    for i in range(num_iterations):
        if i == num_iterations - 1:  # the step returns no grads; the reference returns these
            grads, _ = propagate(w, b, X, Y)
        w, b, cost = step(w, b, X, Y, learning_rate)
        if i % record_every == 0:
            costs.append(cost.item())  # only now: .item() waits for a GPU to finish
    return {"w": w, "b": b}, grads, costs


def predict(w: Tensor, b: Tensor, X: Tensor) -> Tensor:
    """1 where sigmoid(w^T X + b) > 0.5, else 0, (1, m), in X's dtype."""
    A = torch.sigmoid(w.T @ X + b)  # (1, m) = (1, n_x) @ (n_x, m) + (1, 1)
    return (A > 0.5).to(X.dtype)  # (1, m)


def model(
    X_train: Tensor,
    Y_train: Tensor,
    X_test: Tensor | None,
    Y_test: Tensor | None,
    num_iterations: int = 2000,
    learning_rate: float = 0.5,
    mode: str = "eager",
) -> dict:
    """Zero initialisation, optimize, then predictions and accuracies on both sets (the test set may be None),
    as reference_numpy.logistic.model. An accuracy is the count of right predictions over m, in Python floats:
    the same number NumPy's mean gives, whatever the dtype."""
    w = torch.zeros((X_train.shape[0], 1), dtype=X_train.dtype, device=X_train.device)  # (n_x, 1)
    b = torch.zeros((1, 1), dtype=X_train.dtype, device=X_train.device)  # (1, 1)
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
        "train_accuracy": int(torch.sum(Y_prediction_train == Y_train)) / Y_train.shape[1],
        "Y_prediction_test": None,
        "test_accuracy": None,
    }
    if X_test is not None and Y_test is not None:
        result["Y_prediction_test"] = predict(w, b, X_test)  # (1, m_test)
        result["test_accuracy"] = int(torch.sum(result["Y_prediction_test"] == Y_test)) / Y_test.shape[1]
    return result
