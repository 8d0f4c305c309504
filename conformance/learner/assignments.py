"""The course's three programming assignments a learner writes in NumPy, each as the functions it asks
for, in the notebook's order, with the conventions of that notebook (what each function takes and returns),
the reference's version of each under those conventions, and the inputs each is checked on.

  logistic  week 2, logistic regression: sigmoid(z) returns s; b is a Python float
  planar    week 3, one hidden tanh layer: caches are dicts {"Z1", "A1", "Z2", "A2"}
  deep      week 4, the L-layer net step by step: sigmoid(Z) and relu(Z) return (A, cache); linear_forward
            returns (Z, (A, W, b)); L_model_backward starts from dAL and returns "dA{l-1}", "dW{l}", "db{l}"
  deep_application  week 4, two_layer_model and L_layer_model on the cat images, the step functions
            imported from the course's dnn_app_utils_v3

Every input is float64; the inputs of each function are the notebook's own test case where it has one (the
same as the ports' course tests, conformance/kit/course_cases.py),
then the cases a learner's slips show on: m = 1, an odd m, (1, 1) arrays, exact zeros at a kink, large |z|.
An initialiser is judged by its keys, shapes and scale, not its numbers: some notebooks seed inside it,
others leave the seed to the caller."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference_numpy import activations, deep, initializers, logistic, planar

from ..kit import course_cases

Args = Callable[[], tuple]  # a fresh tuple of positional arguments for each call


@dataclass(frozen=True)
class Function:
    name: str
    returns: tuple[str, ...]  # the names of what it returns, in order ("" for one value)
    cases: tuple[tuple[str, Args], ...]  # (what the case is, its arguments)
    reference: Callable
    kind: str = "value"  # "value" | "initialiser" (shapes and scale) | "training" (its own initialiser fixed)
    labels: bool = False  # predictions: compared as 0/1 labels
    scores: Callable | None = None  # for labels: the reference's probabilities on the same inputs (a threshold)


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    functions: tuple[Function, ...]
    distinctive: frozenset[str]  # names only this assignment asks for: how a file is recognised
    provided: dict[str, Callable]  # what the notebook imports from the course's helper modules
    initialisers: dict[str, Callable]  # the fixed initialiser a training function is checked with

    def function(self, name: str) -> Function:
        return next(f for f in self.functions if f.name == name)


def _notebook(name: str, scalar_b: bool = False) -> Args:
    """The inputs of the notebook's own test case `name`, positional (conformance/kit/course_cases.py: one source
    with the ports' course tests); b a Python float where the notebook passes one (week 2)."""
    case = next(c for c in course_cases.CASES if c.name == name)

    def args() -> tuple:
        values, options = case.inputs()
        values = [float(np.squeeze(v)) if scalar_b and i == 1 else v for i, v in enumerate(values)]
        return (*values, *options.values())

    return args


def _rng(seed: int) -> np.random.RandomState:
    return np.random.RandomState(seed)


def _randn(seed: int, *shapes) -> list[np.ndarray]:
    r = _rng(seed)
    return [r.randn(*s) for s in shapes]


def _labels(seed: int, m: int) -> np.ndarray:
    return (_rng(seed).rand(1, m) > 0.5).astype(np.float64)  # (1, m)


# ---- week 2: logistic regression ----------------------------------------------------------------------------


def _logistic_data(seed: int, n_x: int, m: int) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    w, X = _randn(seed, (n_x, 1), (n_x, m))
    return w * 0.5, float(_rng(seed + 1).randn()), X, _labels(seed + 2, m)


def _predict_at_boundary() -> tuple:
    """Every column's sigmoid(w^T x + b) exactly 0.5, 0.5 + and 0.5 -: the threshold is AL > 0.5."""
    w = np.array([[1.0], [-1.0]])
    X = np.array([[0.0, 1.0, 2.0, 3.0, -1.0], [0.0, 1.0, 1.5, 3.5, -2.0]])
    return w, 0.0, X


def _logistic_model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5, print_cost=False):
    """The notebook's model: b a Python float throughout (the reference's model keeps b a (1, 1) array)."""
    w, b = logistic.initialize_with_zeros(X_train.shape[0])
    params, _, costs = logistic.optimize(w, b, X_train, Y_train, num_iterations, learning_rate)
    w, b = params["w"], params["b"]
    return {
        "costs": costs,
        "Y_prediction_test": logistic.predict(w, b, X_test),
        "Y_prediction_train": logistic.predict(w, b, X_train),
        "w": w,
        "b": b,
    }


def _course_propagate(w, b, X, Y):
    grads, cost = logistic.propagate(w, b, X, Y)
    return grads, np.squeeze(np.array(cost))


def _course_optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False):
    return logistic.optimize(w, b, X, Y, num_iterations, learning_rate)


LOGISTIC = Assignment(
    "logistic",
    "week 2, logistic regression",
    (
        Function(
            "sigmoid",
            ("s",),
            (
                ("the notebook's test, [0, 2]", _notebook("sigmoid")),
                ("a (2, 3) array with large |z|", lambda: (np.array([[-40.0, -1.0, 0.0], [0.5, 3.0, 40.0]]),)),
                ("a (1, 1) array", lambda: (np.array([[0.3]]),)),
            ),
            logistic.sigmoid,
        ),
        Function(
            "initialize_with_zeros",
            ("w", "b"),
            (("dim 2", lambda: (2,)), ("dim 1", lambda: (1,))),
            logistic.initialize_with_zeros,
        ),
        Function(
            "propagate",
            ("grads", "cost"),
            (
                ("the notebook's test", _notebook("propagate", scalar_b=True)),
                ("m = 1", lambda: _logistic_data(3, 3, 1)),
                ("an odd m, 7", lambda: _logistic_data(4, 4, 7)),
            ),
            _course_propagate,
        ),
        Function(
            "optimize",
            ("params", "grads", "costs"),
            (
                ("the notebook's test, 100 iterations", _notebook("optimize", scalar_b=True)),
                ("m = 7, 201 iterations", lambda: (*_logistic_data(5, 3, 7), 201, 0.1)),
                ("its defaults, 100 iterations at 0.009", lambda: _logistic_data(15, 3, 5)),
            ),
            _course_optimize,
        ),
        Function(
            "predict",
            ("Y_prediction",),
            (
                ("the notebook's test", _notebook("logistic_predict", scalar_b=True)),
                ("sigmoid exactly 0.5 and either side", _predict_at_boundary),
                ("m = 1", lambda: _logistic_data(6, 3, 1)[:3]),
            ),
            logistic.predict,
            labels=True,
            scores=lambda w, b, X: logistic.sigmoid(w.T @ X + b),
        ),
        Function(
            "model",
            ("d",),
            (
                (
                    "m = 9 and 5, 150 iterations",
                    lambda: (*_logistic_data(7, 4, 9)[2:], *_logistic_data(8, 4, 5)[2:], 150, 0.5),
                ),
                (
                    "its defaults, 2000 iterations at 0.5",
                    lambda: (*_logistic_data(16, 3, 6)[2:], *_logistic_data(17, 3, 4)[2:]),
                ),
            ),
            _logistic_model,
            kind="training",
        ),
    ),
    frozenset({"initialize_with_zeros", "propagate", "optimize", "model"}),
    {},
    {},
)


# ---- week 3: one hidden layer on the planar data -----------------------------------------------------------


def _planar_parameters(seed: int, n_x: int, n_h: int, n_y: int = 1) -> dict[str, np.ndarray]:
    W1, b1, W2, b2 = _randn(seed, (n_h, n_x), (n_h, 1), (n_y, n_h), (n_y, 1))
    return {"W1": W1, "b1": b1 * 0.1, "W2": W2, "b2": b2 * 0.1}


def _planar_forward(seed: int, n_x: int, m: int) -> tuple:
    return (_randn(seed, (n_x, m))[0], _planar_parameters(seed + 1, n_x, 4))


def _planar_backward(seed: int, n_x: int, m: int) -> tuple:
    X, parameters = _planar_forward(seed, n_x, m)
    _, cache = planar.forward_propagation(X, parameters)
    return parameters, cache, X, _labels(seed + 2, m)


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
            (("n_h 4, m = 9, 30 iterations", lambda: (_randn(9, (2, 9))[0], _labels(10, 9), 4, 30)),),
            _planar_nn_model,
            kind="training",
        ),
        Function(
            "predict",
            ("predictions",),
            (
                ("m = 7", lambda: (_planar_parameters(11, 2, 4), _randn(12, (2, 7))[0])),
                ("m = 1", lambda: (_planar_parameters(13, 2, 4), _randn(14, (2, 1))[0])),
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


# ---- week 4: the L-layer network ----------------------------------------------------------------------------


def _deep_parameters(seed: int, dims: list[int]) -> dict[str, np.ndarray]:
    r = _rng(seed)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = r.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        p[f"b{l}"] = r.randn(dims[l], 1) * 0.1
    return p


def _forward_case(seed: int, dims: list[int], m: int) -> tuple:
    return _randn(seed, (dims[0], m))[0], _deep_parameters(seed + 1, dims)


def _backward_case(seed: int, dims: list[int], m: int) -> tuple:
    X, parameters = _forward_case(seed, dims, m)
    AL, caches = deep.L_model_forward(X, parameters, "relu")
    return AL, _labels(seed + 2, m), caches


def _linear_cache(seed: int, n: int, n_prev: int, m: int, activation: str | None = None) -> tuple:
    A_prev, W, b, dZ = _randn(seed, (n_prev, m), (n, n_prev), (n, 1), (n, m))
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
                ("a (3, 4) array with zeros", lambda: (_with_kink(_randn(20, (3, 4))[0]),)),
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
                ("the notebook's test", _notebook("linear_forward")),
                ("m = 1", lambda: tuple(_randn(21, (4, 1), (3, 4), (3, 1)))),
                ("an odd m, 7", lambda: tuple(_randn(22, (4, 7), (5, 4), (5, 1)))),
                ("(1, 1) arrays", lambda: tuple(_randn(23, (1, 1), (1, 1), (1, 1)))),
            ),
            deep.linear_forward,
        ),
        Function(
            "linear_activation_forward",
            ("A", "cache"),
            (
                ("the notebook's test, sigmoid", _notebook("linear_activation_forward_sigmoid")),
                ("the notebook's test, relu", _notebook("linear_activation_forward_relu")),
                ("m = 1, relu", lambda: (*_randn(24, (4, 1), (3, 4), (3, 1)), "relu")),
                ("an odd m, 7, sigmoid", lambda: (*_randn(25, (4, 7), (2, 4), (2, 1)), "sigmoid")),
            ),
            deep.linear_activation_forward,
        ),
        Function(
            "L_model_forward",
            ("AL", "caches"),
            (
                ("the notebook's test", _notebook("L_model_forward")),
                ("m = 1", lambda: _forward_case(26, [3, 2, 1], 1)),
                ("an odd m, 7, four layers", lambda: _forward_case(27, [4, 5, 3, 2, 1], 7)),
            ),
            lambda X, parameters: deep.L_model_forward(X, parameters, "relu"),
        ),
        Function(
            "compute_cost",
            ("cost",),
            (
                ("the notebook's test", _notebook("compute_cost")),
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
                ("a (2, 3) array", lambda: (*_randn(28, (2, 3), (2, 3)),)),
                ("a (1, 1) array", lambda: (np.array([[0.7]]), np.array([[-1.2]]))),
            ),
            activations.sigmoid_backward,
        ),
        Function(
            "relu_backward",
            ("dZ",),
            (
                ("a (3, 4) array with zeros", lambda: (_randn(29, (3, 4))[0], _with_kink(_randn(30, (3, 4))[0]))),
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
                    lambda: (*_forward_case(42, [5, 1], 9)[:1], _labels(43, 9), (5, 4, 1), 0.1, 101),
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
                    lambda: (*_forward_case(44, [5, 1], 9)[:1], _labels(45, 9), [5, 4, 3, 1], 0.1, 101),
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

ASSIGNMENTS = {a.name: a for a in (LOGISTIC, PLANAR, DEEP, DEEP_APPLICATION)}

# What each of the course's helper modules gives that a learner's file imports (testCases, public_tests and
# lr_utils give test cases and data, nothing the check needs): where it is not installed, the reference's stand in.
COURSE_MODULES = {
    "dnn_utils": DEEP.provided,
    "dnn_utils_v2": DEEP.provided,
    "dnn_app_utils": DEEP_APPLICATION.provided,
    "dnn_app_utils_v2": DEEP_APPLICATION.provided,
    "dnn_app_utils_v3": DEEP_APPLICATION.provided,
    "planar_utils": PLANAR.provided,
}


def recognise(defined: set[str]) -> Assignment | None:
    """The assignment whose own functions the file defines most of; None when it defines none of them."""
    scored = sorted(ASSIGNMENTS.values(), key=lambda a: -len(a.distinctive & defined))
    return scored[0] if scored[0].distinctive & defined else None
