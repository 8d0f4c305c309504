"""What the reference's public entry points check once, at the boundary, before any arithmetic: the data, the
parameters and the training settings, with the messages the command line and the backend protocol give
(conformance/core/validation.py raises these same errors). A check runs once per call of an entry point
(L_layer_model, optimize, model, predict), never inside the training loop: the step's own functions are the
course's, unguarded, as the notebooks write them.

    check_data(X, Y=None, n_x=None)          2-D real finite arrays, X (n_x, m), Y (1, m) of 0 and 1
    check_parameters(parameters, n_x=None)   W1..WL and b1..bL whose shapes chain, finite
    check_logistic(w, b, n_x)                w (n_x, 1), b a number or (1, 1)
    check_training(learning_rate, num_iterations, record_every)
"""

import math

import numpy as np


class InputError(ValueError):
    """An argument that cannot be used: the message names it, with the shapes or values involved."""


def as_matrix(name: str, value, rows: int | None = None) -> np.ndarray:
    """`value` itself when it is a 2-D array of finite real numbers (with `rows` rows); else TypeError or
    InputError naming `name`, its shape and what is wrong."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}")
    if value.ndim != 2:
        raise InputError(f"{name} must be 2-D, got shape {value.shape}")
    if not np.issubdtype(value.dtype, np.number) or np.issubdtype(value.dtype, np.complexfloating):
        raise TypeError(f"{name} must hold real numbers, got dtype {value.dtype}")
    if rows is not None and value.shape[0] != rows:
        raise InputError(f"{name} has shape {value.shape}; expected {rows} rows")
    if not np.all(np.isfinite(value)):
        raise InputError(f"{name} holds {int(np.size(value) - np.isfinite(value).sum())} NaN or Inf values")
    return value


def check_data(X, Y=None, n_x: int | None = None) -> None:
    """X (n_x, m) with m >= 1 and, when given, Y (1, m) holding labels 0 and 1 only."""
    as_matrix("X", X)
    if n_x is not None and X.shape[0] != n_x:
        raise InputError(f"X has shape {X.shape}: {X.shape[0]} rows, but layer_dims[0] = {n_x} (X is (n_x, m))")
    if X.shape[1] == 0:
        raise InputError(f"X has shape {X.shape}: no samples (m = 0)")
    if Y is not None:
        as_matrix("Y", Y)
        if Y.shape != (1, X.shape[1]):
            raise InputError(f"Y has shape {Y.shape}; expected (1, m) = (1, {X.shape[1]}) to match X {X.shape}")
        bad = np.unique(Y[(Y != 0) & (Y != 1)])
        if bad.size:
            raise InputError(f"Y must hold labels 0 and 1 only; found {bad[:5].tolist()}")


def check_parameters(parameters, n_x: int | None = None) -> int:
    """W1, b1, ..., WL, bL with W[l] (n[l], n[l-1]), b[l] (n[l], 1) and W[L] (1, n[L-1]); returns L."""
    if not isinstance(parameters, dict):
        raise TypeError(f"parameters must be a dict of NumPy arrays, got {type(parameters).__name__}")
    L = len(parameters) // 2
    expected = [f"{kind}{l}" for l in range(1, L + 1) for kind in "Wb"]
    if L == 0 or sorted(parameters) != sorted(expected):
        raise InputError(f"parameters need keys W1, b1, ..., WL, bL; got {sorted(parameters)}")
    n_prev = n_x
    for l in range(1, L + 1):
        W, b = (
            as_matrix(f"parameters['W{l}']", parameters[f"W{l}"]),
            as_matrix(f"parameters['b{l}']", parameters[f"b{l}"]),
        )
        if n_prev is not None and W.shape[1] != n_prev:
            given = "X has" if l == 1 else f"W{l - 1} gives"
            raise InputError(
                f"parameters['W{l}'] has shape {W.shape}, but {given} {n_prev} rows (W[l] is (n[l], n[l-1]))"
            )
        if b.shape != (W.shape[0], 1):
            raise InputError(f"parameters['b{l}'] has shape {b.shape}; W{l} {W.shape} needs b{l} ({W.shape[0]}, 1)")
        n_prev = W.shape[0]
    if n_prev != 1:
        raise InputError(f"parameters['W{L}'] has {n_prev} rows; the output layer has one sigmoid unit")
    return L


def check_logistic(w, b, n_x: int) -> None:
    """w (n_x, 1) and b a number or (1, 1), finite."""
    as_matrix("w", w)
    if w.shape != (n_x, 1):
        raise InputError(f"w has shape {w.shape}; X has {n_x} rows, so w must be (n_x, 1) = ({n_x}, 1)")
    if np.ndim(b) == 0:
        if isinstance(b, bool) or not isinstance(b, int | float | np.number) or not math.isfinite(b):
            raise InputError(f"b must be a finite number or a (1, 1) array, got {b!r}")
    elif as_matrix("b", b).shape != (1, 1):
        raise InputError(f"b has shape {np.shape(b)}; it must be a number or (1, 1)")


def check_training(learning_rate, num_iterations, record_every=1) -> None:
    """A positive finite learning rate (a number, not a string), num_iterations >= 0, record_every >= 1."""
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float | np.floating):
        raise TypeError(f"learning_rate must be a number, got {type(learning_rate).__name__} {learning_rate!r}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise InputError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    for name, value, least in (("num_iterations", num_iterations, 0), ("record_every", record_every, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise InputError(f"{name} must be an integer >= {least}, got {value!r}")
