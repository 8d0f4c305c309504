"""Week 3, one hidden tanh layer on the planar data: caches are dicts {"Z1", "A1", "Z2", "A2"}."""

import numpy as np

from reference_numpy import initializers, logistic, planar

from .assignment import Assignment, Function, labels, randn


def _planar_parameters(seed: int, n_x: int, n_h: int, n_y: int = 1) -> dict[str, np.ndarray]:
    W1, b1, W2, b2 = randn(seed, (n_h, n_x), (n_h, 1), (n_y, n_h), (n_y, 1))
    return {"W1": W1, "b1": b1 * 0.1, "W2": W2, "b2": b2 * 0.1}


def _planar_forward(seed: int, n_x: int, m: int) -> tuple:
    return (randn(seed, (n_x, m))[0], _planar_parameters(seed + 1, n_x, 4))


def _planar_backward(seed: int, n_x: int, m: int) -> tuple:
    X, parameters = _planar_forward(seed, n_x, m)
    _, cache = planar.forward_propagation(X, parameters)
    return parameters, cache, X, labels(seed + 2, m)


def _planar_grads(seed: int) -> tuple:
    parameters, cache, X, Y = _planar_backward(seed, 2, 5)
    return parameters, planar.backward_propagation(parameters, cache, X, Y)


def _planar_nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    parameters = initializers.initialize_parameters(X.shape[0], n_h, Y.shape[0], seed=2)
    for _ in range(num_iterations):
        _, cache = planar.forward_propagation(X, parameters)
        parameters = planar.update_parameters(parameters, planar.backward_propagation(parameters, cache, X, Y))
    return parameters


def _planar_init(n_x: int, n_h: int, n_y: int) -> dict[str, np.ndarray]:
    return initializers.initialize_parameters(n_x, n_h, n_y, seed=2)


PLANAR = Assignment(
    "planar",
    "week 3, a hidden layer on the planar data",
    (
        Function(
            "layer_sizes",
            ("n_x", "n_h", "n_y"),
            (
                ("X (5, 3), Y (2, 3)", lambda: (np.zeros((5, 3)), np.zeros((2, 3)))),
                ("X (2, 400), Y (1, 400)", lambda: (np.zeros((2, 400)), np.zeros((1, 400)))),
            ),
            planar.layer_sizes,
        ),
        Function(
            "initialize_parameters",
            ("parameters",),
            (("2, 4, 1", lambda: (2, 4, 1)), ("60, 40, 1", lambda: (60, 40, 1))),
            planar.initialize_parameters,
            kind="initialiser",
        ),
        Function(
            "forward_propagation",
            ("A2", "cache"),
            (
                ("m = 3", lambda: _planar_forward(1, 2, 3)),
                ("m = 1", lambda: _planar_forward(2, 2, 1)),
                ("an odd m, 7", lambda: _planar_forward(3, 3, 7)),
            ),
            planar.forward_propagation,
        ),
        Function(
            "compute_cost",
            ("cost",),
            (
                (
                    "the notebook's test",
                    lambda: (np.array([[0.5002307, 0.49985831, 0.50023963]]), np.array([[1.0, 0.0, 0.0]])),
                ),
                ("m = 1", lambda: (np.array([[0.2]]), np.array([[1.0]]))),
                (
                    "an odd m, 5",
                    lambda: (np.array([[0.1, 0.9, 0.3, 0.6, 0.99]]), np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])),
                ),
            ),
            planar.compute_cost,
        ),
        Function(
            "backward_propagation",
            ("grads",),
            (
                ("m = 3", lambda: _planar_backward(4, 2, 3)),
                ("m = 1", lambda: _planar_backward(5, 2, 1)),
                ("an odd m, 7", lambda: _planar_backward(6, 3, 7)),
            ),
            planar.backward_propagation,
        ),
        Function(
            "update_parameters",
            ("parameters",),
            (
                ("learning rate 1.2", lambda: (*_planar_grads(7), 1.2)),
                ("learning rate 0.5", lambda: (*_planar_grads(8), 0.5)),
                ("its default learning rate, 1.2", lambda: _planar_grads(18)),
            ),
            planar.update_parameters,
        ),
        Function(
            "nn_model",
            ("parameters",),
            (("n_h 4, m = 9, 30 iterations", lambda: (randn(9, (2, 9))[0], labels(10, 9), 4, 30)),),
            _planar_nn_model,
            kind="training",
        ),
        Function(
            "predict",
            ("predictions",),
            (
                ("m = 7", lambda: (_planar_parameters(11, 2, 4), randn(12, (2, 7))[0])),
                ("m = 1", lambda: (_planar_parameters(13, 2, 4), randn(14, (2, 1))[0])),
            ),
            planar.predict,
            labels=True,
            scores=lambda parameters, X: planar.forward_propagation(X, parameters)[0],
        ),
    ),
    frozenset({"layer_sizes", "forward_propagation", "backward_propagation", "nn_model"}),
    {"sigmoid": logistic.sigmoid},
    {"initialize_parameters": _planar_init},
)
