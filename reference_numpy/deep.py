"""The L-layer network: [LINEAR -> hidden activation] x (L-1) -> LINEAR -> SIGMOID, trained by
full-batch gradient descent on the cross-entropy cost. Forward and backward written by hand.

Notation (the course's): X is (n[0], m), one column per sample; W[l] is (n[l], n[l-1]); b[l] is
(n[l], 1) and broadcasts over the m columns; Z[l] and A[l] are (n[l], m); Y and AL are (1, m).
"""

from collections.abc import Callable

import numpy as np

from . import activations, initializers
from .inputs import check_data, check_parameters, check_training

LinearCache = tuple[np.ndarray, np.ndarray, np.ndarray]  # (A_prev, W, b)
Cache = tuple[LinearCache, np.ndarray]  # (linear_cache, Z)


def initialize_parameters_deep(
    layer_dims: list[int], seed: int | None = 1, scheme: str = "xavier", rng: np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """W[l] (n[l], n[l-1]) and b[l] (n[l], 1) for l = 1..L. The two week-4 notebooks write this function
    twice, each seeding and scaling inside it, so one call cannot give both notebooks' weights:
      initialize_parameters_deep(layers_dims)                         the application notebook's
          (seed 1, W = randn(n[l], n[l-1]) / sqrt(n[l-1]); its printed costs start at 0.771749)
      initialize_parameters_deep([5, 4, 3], seed=3, scheme="small")   the step-by-step notebook's
          (seed 3, W = randn * 0.01; W1[0] = 0.01788628 0.0043651 ...)
    The seed is this function's own stream: np.random.seed() beforehand changes nothing."""
    return initializers.initialize(layer_dims, scheme=scheme, seed=seed, rng=rng)


def linear_forward(A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, LinearCache]:
    """Z = W A_prev + b, and the cache the hand-written backward reads (the course's signature; the three
    frameworks' linear_forward returns Z alone: their autodiff keeps what the backward needs)."""
    Z = W @ A_prev + b  # (n[l], m) = (n[l], n[l-1]) @ (n[l-1], m) + (n[l], 1)
    assert Z.shape == (W.shape[0], A_prev.shape[1])
    return Z, (A_prev, W, b)


def linear_activation_forward(
    A_prev: np.ndarray, W: np.ndarray, b: np.ndarray, activation: str
) -> tuple[np.ndarray, Cache]:
    """A = g(W A_prev + b) for g = relu, tanh, leaky_relu or sigmoid."""
    Z, linear_cache = linear_forward(A_prev, W, b)  # (n[l], m)
    A, activation_cache = activations.FORWARD[activation](Z)  # (n[l], m)
    return A, (linear_cache, activation_cache)


def L_model_forward(
    X: np.ndarray, parameters: dict[str, np.ndarray], hidden_activation: str = "relu"
) -> tuple[np.ndarray, list[Cache]]:
    """AL = sigmoid(Z[L]) after L-1 hidden layers; caches[l-1] holds ((A[l-1], W[l], b[l]), Z[l])."""
    if hidden_activation not in activations.HIDDEN_ACTIVATIONS:
        raise ValueError(
            f"unknown hidden_activation {hidden_activation!r}; choose one of {activations.HIDDEN_ACTIVATIONS}"
        )
    caches = []
    A = X  # (n[0], m)
    L = len(parameters) // 2
    for l in range(1, L):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]  # (n[l], n[l-1]), (n[l], 1)
        A, cache = linear_activation_forward(A, W, b, hidden_activation)  # (n[l], m)
        caches.append(cache)
    W, b = parameters[f"W{L}"], parameters[f"b{L}"]  # (1, n[L-1]), (1, 1)
    AL, cache = linear_activation_forward(A, W, b, "sigmoid")  # (1, m)
    caches.append(cache)
    assert AL.shape == (1, X.shape[1])
    return AL, caches


def compute_cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """The course's formula, J = -(1/m) sum(Y log AL + (1 - Y) log(1 - AL)); kept for reading.
    It is inf (or nan) once AL rounds to exactly 0 or 1: train with compute_cost_from_logits."""
    m = Y.shape[1]
    cost = -(Y @ np.log(AL).T + (1 - Y) @ np.log(1 - AL).T) / m  # (1, 1) = (1, m) @ (m, 1)
    return float(np.squeeze(cost))


def compute_cost_from_logits(ZL: np.ndarray, Y: np.ndarray) -> float:
    """The same J from the logits ZL = W[L] A[L-1] + b[L]: for one sample,
    -y log s(z) - (1 - y) log(1 - s(z)) = max(z, 0) - z y + log(1 + exp(-|z|)), finite for every z."""
    m = Y.shape[1]
    losses = np.maximum(ZL, 0) - ZL * Y + np.log1p(np.exp(-np.abs(ZL)))  # (1, m)
    return float(np.sum(losses) / m)


def linear_backward(
    dZ: np.ndarray, cache: LinearCache, need_dA_prev: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """From dZ[l] to dA[l-1], dW[l], db[l]; the 1/m is the mean in the cost. dA[l-1] is None when
    not needed: for l = 1 it is dA0, the gradient with respect to the data, which training never uses."""
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m  # (n[l], n[l-1]) = (n[l], m) @ (m, n[l-1])
    db = np.sum(dZ, axis=1, keepdims=True) / m  # (n[l], 1)
    dA_prev = W.T @ dZ if need_dA_prev else None  # (n[l-1], m) = (n[l-1], n[l]) @ (n[l], m)
    assert dW.shape == W.shape and db.shape == b.shape and (dA_prev is None or dA_prev.shape == A_prev.shape)
    return dA_prev, dW, db


def linear_activation_backward(
    dA: np.ndarray, cache: Cache, activation: str, need_dA_prev: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """From dA[l] to dA[l-1], dW[l], db[l] through g'(Z[l])."""
    linear_cache, activation_cache = cache
    dZ = activations.BACKWARD[activation](dA, activation_cache)  # (n[l], m)
    return linear_backward(dZ, linear_cache, need_dA_prev)


def L_model_backward(
    AL: np.ndarray, Y: np.ndarray, caches: list[Cache], hidden_activation: str = "relu", need_dA0: bool = True
) -> dict[str, np.ndarray]:
    """grads["dW1"], grads["db1"], ..., grads["dA0"], ... of the mean cross-entropy.

    The course starts from dAL = -(Y / AL - (1 - Y) / (1 - AL)) and multiplies by sigmoid'(ZL) =
    AL (1 - AL); the product is exactly AL - Y, which this writes directly because the quotient
    form divides by zero once AL rounds to 0 or 1. The course also computes dA0 = W1^T dZ1, the
    gradient with respect to X; training does not need it (need_dA0=False), and on the course's
    deep net it is a third of the step's arithmetic: W1 is (20, 12288)."""
    grads = {}
    L = len(caches)
    assert Y.shape == AL.shape
    dZL = AL - Y  # (1, m)
    dA_prev, grads[f"dW{L}"], grads[f"db{L}"] = linear_backward(dZL, caches[L - 1][0], L > 1 or need_dA0)
    if dA_prev is not None:
        grads[f"dA{L - 1}"] = dA_prev  # (n[L-1], m)
    for l in reversed(range(L - 1)):
        need = l > 0 or need_dA0
        dA_prev, dW, db = linear_activation_backward(grads[f"dA{l + 1}"], caches[l], hidden_activation, need)
        grads[f"dW{l + 1}"], grads[f"db{l + 1}"] = dW, db
        if dA_prev is not None:
            grads[f"dA{l}"] = dA_prev  # (n[l], m)
    return grads


def update_parameters(
    parameters: dict[str, np.ndarray], grads: dict[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """One gradient-descent step, W[l] -= learning_rate dW[l], b[l] -= learning_rate db[l]; returns
    new arrays and leaves `parameters` as it was."""
    L = len(parameters) // 2
    updated = {}
    for l in range(1, L + 1):
        updated[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]  # (n[l], n[l-1])
        updated[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]  # (n[l], 1)
    return updated


def train_step(
    parameters: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    learning_rate: float,
    hidden_activation: str = "relu",
) -> tuple[dict[str, np.ndarray], float]:
    """Forward, cost, backward, update: (the new parameters, the cost BEFORE the update)."""
    AL, caches = L_model_forward(X, parameters, hidden_activation)  # (1, m)
    cost = compute_cost_from_logits(caches[-1][1], Y)  # from ZL (1, m)
    grads = L_model_backward(AL, Y, caches, hidden_activation, need_dA0=False)
    return update_parameters(parameters, grads, learning_rate), cost


def predict(X: np.ndarray, parameters: dict[str, np.ndarray], hidden_activation: str = "relu") -> np.ndarray:
    """1.0 where AL > 0.5, else 0.0; (1, m)."""
    check_data(X)
    check_parameters(parameters, X.shape[0])
    AL, _ = L_model_forward(X, parameters, hidden_activation)  # (1, m)
    return (AL > 0.5).astype(X.dtype)  # (1, m)


def L_layer_model(
    X: np.ndarray,
    Y: np.ndarray,
    layers_dims: list[int],
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    print_cost: bool = False,
    *,
    hidden_activation: str = "relu",
    parameters: dict[str, np.ndarray] | None = None,
    seed: int = 1,
    init: str = "xavier",
    record_every: int = 100,
    callback: Callable[[int, float], None] | None = None,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Full-batch gradient descent; returns the final parameters and the cost at iterations
    0, record_every, 2 record_every, ... (each cost is measured before that iteration's update).
    The course's signature (layers_dims, print_cost): the three frameworks' L_layer_model takes the
    `parameters` NumPy made instead (every framework starts from the same weights) and a `mode`.
    Starts from `parameters` when given, else from initialize_parameters_deep(layers_dims, seed, init).
    `callback(i, cost)` is called after every iteration."""
    check_data(X, Y, layers_dims[0])
    check_training(learning_rate, num_iterations, record_every)
    if parameters is None:
        parameters = initialize_parameters_deep(layers_dims, seed=seed, scheme=init)
    check_parameters(parameters, X.shape[0])
    costs = []
    for i in range(num_iterations):
        parameters, cost = train_step(parameters, X, Y, learning_rate, hidden_activation)
        if i % record_every == 0:
            costs.append(cost)
        if print_cost and (i % 100 == 0 or i == num_iterations - 1):
            print(f"Cost after iteration {i}: {cost}")
        if callback is not None:
            callback(i, cost)
    return parameters, costs
