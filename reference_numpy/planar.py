"""The course's planar-data assignment (course 1, week 3) under its own names: a network with one tanh
hidden layer, [n_x, n_h, n_y], whose caches are dicts {"Z1", "A1", "Z2", "A2"}. It is the L-layer
network of deep.py with layer_dims [n_x, n_h, n_y] and hidden activation tanh, and is built from
deep.py's pieces, so the notebook's calls and deep.py compute the same numbers.
"""

import numpy as np

from . import activations, deep, initializers


def layer_sizes(X: np.ndarray, Y: np.ndarray) -> tuple[int, int, int]:
    """(n_x, n_h, n_y): the input size, the notebook's 4 hidden units, the output size."""
    return X.shape[0], 4, Y.shape[0]


def initialize_parameters(n_x: int, n_h: int, n_y: int) -> dict[str, np.ndarray]:
    """W1 = randn(n_h, n_x) * 0.01, b1 = 0, W2 = randn(n_y, n_h) * 0.01, b2 = 0, seeded 2 as the notebook seeds."""
    return initializers.initialize_parameters(n_x, n_h, n_y, seed=2)


def forward_propagation(X: np.ndarray, parameters: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
    """A2 (n_y, m) and the cache {"Z1", "A1", "Z2", "A2"}."""
    A1, ((_, _, _), Z1) = deep.linear_activation_forward(X, parameters["W1"], parameters["b1"], "tanh")  # (n_h, m)
    A2, ((_, _, _), Z2) = deep.linear_activation_forward(A1, parameters["W2"], parameters["b2"], "sigmoid")
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2: np.ndarray, Y: np.ndarray) -> float:
    """The cross-entropy J = -(1/m) sum(Y log A2 + (1 - Y) log(1 - A2)), the notebook's formula."""
    return deep.compute_cost(A2, np.asarray(Y, dtype=A2.dtype))


def backward_propagation(parameters: dict, cache: dict, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """{"dW1", "db1", "dW2", "db2"}: dZ2 = A2 - Y, then back through W2 and tanh' = 1 - A1^2."""
    dZ2 = cache["A2"] - Y  # (n_y, m)
    dA1, dW2, db2 = deep.linear_backward(dZ2, (cache["A1"], parameters["W2"], parameters["b2"]))
    dZ1 = activations.tanh_backward(dA1, cache["Z1"])  # (n_h, m) = dA1 (1 - A1^2)
    _, dW1, db1 = deep.linear_backward(dZ1, (X, parameters["W1"], parameters["b1"]), need_dA_prev=False)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters: dict, grads: dict, learning_rate: float = 1.2) -> dict[str, np.ndarray]:
    """One gradient-descent step, with the notebook's default learning rate."""
    return deep.update_parameters(parameters, grads, learning_rate)


def nn_model(
    X: np.ndarray, Y: np.ndarray, n_h: int, num_iterations: int = 10000, print_cost: bool = False
) -> dict[str, np.ndarray]:
    """Gradient descent from initialize_parameters, printing the cost every 1000 iterations when asked."""
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        parameters = update_parameters(parameters, backward_propagation(parameters, cache, X, Y))
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {cost:f}")
    return parameters


def predict(parameters: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """True where A2 > 0.5, (n_y, m), as the notebook's (A2 > 0.5)."""
    A2, _ = forward_propagation(X, parameters)
    return A2 > 0.5
