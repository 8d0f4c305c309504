"""Week 2, logistic regression: sigmoid(z) returns s; b is a Python float."""

import numpy as np

from reference_numpy import logistic

from .assignment import Assignment, Function, labels, notebook, randn, rng


def _logistic_data(seed: int, n_x: int, m: int) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    w, X = randn(seed, (n_x, 1), (n_x, m))
    return w * 0.5, float(rng(seed + 1).randn()), X, labels(seed + 2, m)


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
                ("the notebook's test, [0, 2]", notebook("sigmoid")),
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
                ("the notebook's test", notebook("propagate", scalar_b=True)),
                ("m = 1", lambda: _logistic_data(3, 3, 1)),
                ("an odd m, 7", lambda: _logistic_data(4, 4, 7)),
            ),
            _course_propagate,
        ),
        Function(
            "optimize",
            ("params", "grads", "costs"),
            (
                ("the notebook's test, 100 iterations", notebook("optimize", scalar_b=True)),
                ("m = 7, 201 iterations", lambda: (*_logistic_data(5, 3, 7), 201, 0.1)),
                ("its defaults, 100 iterations at 0.009", lambda: _logistic_data(15, 3, 5)),
            ),
            _course_optimize,
        ),
        Function(
            "predict",
            ("Y_prediction",),
            (
                ("the notebook's test", notebook("logistic_predict", scalar_b=True)),
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
