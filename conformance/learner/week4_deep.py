"""Week 4, the L-layer net step by step (sigmoid(Z) and relu(Z) return (A, cache); linear_forward returns
(Z, (A, W, b)); L_model_backward starts from dAL and returns "dA{l-1}", "dW{l}", "db{l}"), and its application
on the cat images (two_layer_model, L_layer_model, the step functions imported from dnn_app_utils_v3)."""

import numpy as np

from reference_numpy import activations, deep, initializers

from .assignment import Assignment, Function, labels, notebook, randn, rng


def _deep_parameters(seed: int, dims: list[int]) -> dict[str, np.ndarray]:
    r = rng(seed)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = r.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        p[f"b{l}"] = r.randn(dims[l], 1) * 0.1
    return p


def _forward_case(seed: int, dims: list[int], m: int) -> tuple:
    return randn(seed, (dims[0], m))[0], _deep_parameters(seed + 1, dims)


def _backward_case(seed: int, dims: list[int], m: int) -> tuple:
    X, parameters = _forward_case(seed, dims, m)
    AL, caches = deep.L_model_forward(X, parameters, "relu")
    return AL, labels(seed + 2, m), caches


def _linear_cache(seed: int, n: int, n_prev: int, m: int, activation: str | None = None) -> tuple:
    A_prev, W, b, dZ = randn(seed, (n_prev, m), (n, n_prev), (n, 1), (n, m))
    if activation is None:
        return dZ, (A_prev, W, b)
    Z, _ = deep.linear_forward(A_prev, W, b)
    Z[:, 0] = 0.0  # a kink: relu's derivative at 0 is taken as 0
    return dZ, ((A_prev, W, b), Z), activation


def _with_kink(Z: np.ndarray) -> np.ndarray:
    Z = Z.copy()
    Z.flat[::3] = 0.0
    return Z


def _deep_grads(seed: int, dims: list[int]) -> tuple:
    AL, Y, caches = _backward_case(seed, dims, 5)
    grads = deep.L_model_backward(AL, Y, caches, "relu")
    return _deep_parameters(seed + 1, dims), grads


def _course_L_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    parameters = _deep_init(layers_dims)
    return deep.L_layer_model(X, Y, list(layers_dims), learning_rate, num_iterations, parameters=parameters)


def _deep_init(layer_dims) -> dict[str, np.ndarray]:
    return deep.initialize_parameters_deep(list(layer_dims), seed=1, scheme="xavier")


def _two_layer_init(n_x: int, n_h: int, n_y: int) -> dict[str, np.ndarray]:
    return initializers.initialize_parameters(n_x, n_h, n_y, seed=1)


def _course_two_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    n_x, n_h, n_y = layers_dims
    return deep.L_layer_model(
        X, Y, [n_x, n_h, n_y], learning_rate, num_iterations, parameters=_two_layer_init(n_x, n_h, n_y)
    )


DEEP = Assignment(
    "deep",
    "week 4, the L-layer network",
    (
        Function(
            "sigmoid",
            ("A", "cache"),
            (
                ("a (2, 3) array with large |z|", lambda: (np.array([[-40.0, -1.0, 0.0], [0.5, 3.0, 40.0]]),)),
                ("a (1, 1) array", lambda: (np.array([[0.3]]),)),
            ),
            activations.sigmoid,
        ),
        Function(
            "relu",
            ("A", "cache"),
            (
                ("a (3, 4) array with zeros", lambda: (_with_kink(randn(20, (3, 4))[0]),)),
                ("a (1, 1) array", lambda: (np.array([[-0.3]]),)),
            ),
            activations.relu,
        ),
        Function(
            "initialize_parameters",
            ("parameters",),
            (("3, 2, 1", lambda: (3, 2, 1)), ("60, 40, 1", lambda: (60, 40, 1))),
            _two_layer_init,
            kind="initialiser",
        ),
        Function(
            "initialize_parameters_deep",
            ("parameters",),
            (("[5, 4, 3]", lambda: ([5, 4, 3],)), ("[60, 50, 40, 1]", lambda: ([60, 50, 40, 1],))),
            _deep_init,
            kind="initialiser",
        ),
        Function(
            "linear_forward",
            ("Z", "cache"),
            (
                ("the notebook's test", notebook("linear_forward")),
                ("m = 1", lambda: tuple(randn(21, (4, 1), (3, 4), (3, 1)))),
                ("an odd m, 7", lambda: tuple(randn(22, (4, 7), (5, 4), (5, 1)))),
                ("(1, 1) arrays", lambda: tuple(randn(23, (1, 1), (1, 1), (1, 1)))),
            ),
            deep.linear_forward,
        ),
        Function(
            "linear_activation_forward",
            ("A", "cache"),
            (
                ("the notebook's test, sigmoid", notebook("linear_activation_forward_sigmoid")),
                ("the notebook's test, relu", notebook("linear_activation_forward_relu")),
                ("m = 1, relu", lambda: (*randn(24, (4, 1), (3, 4), (3, 1)), "relu")),
                ("an odd m, 7, sigmoid", lambda: (*randn(25, (4, 7), (2, 4), (2, 1)), "sigmoid")),
            ),
            deep.linear_activation_forward,
        ),
        Function(
            "L_model_forward",
            ("AL", "caches"),
            (
                ("the notebook's test", notebook("L_model_forward")),
                ("m = 1", lambda: _forward_case(26, [3, 2, 1], 1)),
                ("an odd m, 7, four layers", lambda: _forward_case(27, [4, 5, 3, 2, 1], 7)),
            ),
            lambda X, parameters: deep.L_model_forward(X, parameters, "relu"),
        ),
        Function(
            "compute_cost",
            ("cost",),
            (
                ("the notebook's test", notebook("compute_cost")),
                ("m = 1", lambda: (np.array([[0.2]]), np.array([[1.0]]))),
                (
                    "an odd m, 5",
                    lambda: (np.array([[0.1, 0.9, 0.3, 0.6, 0.99]]), np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])),
                ),
            ),
            deep.compute_cost,
        ),
        Function(
            "sigmoid_backward",
            ("dZ",),
            (
                ("a (2, 3) array", lambda: (*randn(28, (2, 3), (2, 3)),)),
                ("a (1, 1) array", lambda: (np.array([[0.7]]), np.array([[-1.2]]))),
            ),
            activations.sigmoid_backward,
        ),
        Function(
            "relu_backward",
            ("dZ",),
            (
                ("a (3, 4) array with zeros", lambda: (randn(29, (3, 4))[0], _with_kink(randn(30, (3, 4))[0]))),
                ("a (1, 1) array", lambda: (np.array([[0.7]]), np.array([[1.2]]))),
            ),
            activations.relu_backward,
        ),
        Function(
            "linear_backward",
            ("dA_prev", "dW", "db"),
            (
                ("m = 2", lambda: _linear_cache(31, 3, 5, 2)),
                ("m = 1", lambda: _linear_cache(32, 1, 3, 1)),
                ("an odd m, 7", lambda: _linear_cache(33, 4, 3, 7)),
            ),
            deep.linear_backward,
        ),
        Function(
            "linear_activation_backward",
            ("dA_prev", "dW", "db"),
            (
                ("sigmoid, m = 2", lambda: _linear_cache(34, 1, 3, 2, "sigmoid")),
                ("relu, m = 5", lambda: _linear_cache(35, 3, 4, 5, "relu")),
                ("relu, m = 1", lambda: _linear_cache(36, 2, 3, 1, "relu")),
            ),
            deep.linear_activation_backward,
        ),
        Function(
            "L_model_backward",
            ("grads",),
            (
                ("two layers, m = 2", lambda: _backward_case(37, [4, 3, 1], 2)),
                ("m = 1", lambda: _backward_case(38, [3, 2, 1], 1)),
                ("an odd m, 7, four layers", lambda: _backward_case(39, [4, 5, 3, 2, 1], 7)),
            ),
            lambda AL, Y, caches: deep.L_model_backward(AL, Y, caches, "relu"),
        ),
        Function(
            "update_parameters",
            ("parameters",),
            (
                ("learning rate 0.1", lambda: (*_deep_grads(40, [4, 3, 1]), 0.1)),
                ("three layers, learning rate 0.0075", lambda: (*_deep_grads(41, [3, 4, 2, 1]), 0.0075)),
            ),
            lambda parameters, grads, learning_rate: deep.update_parameters(parameters, grads, learning_rate),
        ),
    ),
    frozenset(
        {
            "initialize_parameters_deep",
            "linear_forward",
            "linear_activation_forward",
            "L_model_forward",
            "linear_backward",
            "linear_activation_backward",
            "L_model_backward",
        }
    ),
    {
        "sigmoid": activations.sigmoid,
        "relu": activations.relu,
        "sigmoid_backward": activations.sigmoid_backward,
        "relu_backward": activations.relu_backward,
    },
    {},
)

DEEP_APPLICATION = Assignment(
    "deep_application",
    "week 4, the L-layer network on the cat images",
    (
        Function(
            "two_layer_model",
            ("parameters", "costs"),
            (
                (
                    "[5, 4, 1], m = 9, 101 iterations",
                    lambda: (*_forward_case(42, [5, 1], 9)[:1], labels(43, 9), (5, 4, 1), 0.1, 101),
                ),
            ),
            _course_two_layer_model,
            kind="training",
        ),
        Function(
            "L_layer_model",
            ("parameters", "costs"),
            (
                (
                    "[5, 4, 3, 1], m = 9, 101 iterations",
                    lambda: (*_forward_case(44, [5, 1], 9)[:1], labels(45, 9), [5, 4, 3, 1], 0.1, 101),
                ),
            ),
            _course_L_layer_model,
            kind="training",
        ),
    ),
    frozenset({"two_layer_model", "L_layer_model"}),
    {**DEEP.provided, **{f.name: f.reference for f in DEEP.functions}},  # dnn_app_utils_v3 gives them all
    {"initialize_parameters": _two_layer_init, "initialize_parameters_deep": _deep_init},
)
