"""The protocol's checks at its boundary: inputs that do not fit the spec, results that left the dtype's
range, and training that diverged, each named the same way for every framework."""

import math

import numpy as np

from .errors import InputError, NonFiniteError, TrainingDiverged
from .spec import ModelSpec


def check_choice(what: str, value, choices) -> None:
    if value not in choices:
        raise InputError(f"unknown {what} {value!r}; choose one of {tuple(choices)}")


def _as_matrix(name: str, value, rows: int | None = None) -> np.ndarray:
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


def validate_inputs(spec: ModelSpec, params: dict, X: np.ndarray, Y: np.ndarray | None = None) -> None:
    """Raise InputError (a ValueError) or TypeError naming the first thing that does not fit the spec."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of NumPy arrays, got {type(params).__name__}")
    expected = spec.param_shapes()
    missing, extra = sorted(set(expected) - set(params)), sorted(set(params) - set(expected))
    if missing or extra:
        raise InputError(f"params for {spec.label} need keys {list(expected)}; missing {missing}, extra {extra}")
    for key, shape in expected.items():
        _as_matrix(f"params[{key!r}]", params[key])
        if params[key].shape != shape:
            raise InputError(f"params[{key!r}] has shape {params[key].shape}; {spec.label} needs {shape}")
    X = _as_matrix("X", X)
    if X.shape[0] != spec.n_x:
        raise InputError(f"X has shape {X.shape}: {X.shape[0]} rows, but layer_dims[0] = {spec.n_x} (X is (n_x, m))")
    if X.shape[1] == 0:
        raise InputError(f"X has shape {X.shape}: no samples (m = 0)")
    if Y is not None:
        Y = _as_matrix("Y", Y)
        if Y.shape != (1, X.shape[1]):
            raise InputError(f"Y has shape {Y.shape}; expected (1, m) = (1, {X.shape[1]}) to match X {X.shape}")
        bad = np.unique(Y[(Y != 0) & (Y != 1)])
        if bad.size:
            raise InputError(f"Y must hold labels 0 and 1 only; found {bad[:5].tolist()}")


def check_range(name: str, value: np.ndarray, dtype: str) -> None:
    """Finite float64 numbers beyond float32's range would silently become Inf on conversion."""
    largest = float(np.finfo(dtype).max)
    biggest = float(np.max(np.abs(value), initial=0.0))
    if biggest > largest:
        raise InputError(f"{name} holds values up to {biggest:.3g}, beyond {dtype}'s largest {largest:.3g}; "
                         "scale it or use float64")  # fmt: skip


def check_finite(what: str, values: dict[str, np.ndarray], dtype: str, cure: str) -> None:
    """Raise NonFiniteError naming every quantity in `values` that holds Inf or NaN."""
    bad = {k: int(np.size(v) - np.isfinite(v).sum()) for k, v in values.items()}
    bad = {k: n for k, n in bad.items() if n}
    if bad:
        named = ", ".join(f"{k} ({n} of {np.size(values[k])})" for k, n in bad.items())
        raise NonFiniteError(f"{what} overflowed {dtype}: Inf or NaN in {named}; {cure}")


SEGMENT = 100  # Backend.train looks for divergence at least this often (in iterations)
DIVERGED_FACTOR = 10.0  # a cost this many times above max(first cost, ln 2) is divergence, not noise
LN2 = math.log(2.0)  # the cost of predicting 0.5 everywhere: the floor of the tenfold test


def check_divergence(iteration: int, cost: float, first_cost: float, learning_rate: float) -> None:
    """Raise TrainingDiverged when `cost` is NaN or Inf, or more than ten times max(first cost, ln 2).
    Gradient descent with a small enough step never raises the cost (for a smooth cost); a tenfold rise
    above the start, or above the cost of a coin flip when the start was already good, is a step
    too large, not rounding."""
    limit = DIVERGED_FACTOR * max(first_cost, LN2)
    if math.isfinite(cost) and cost <= limit:
        return
    why = f"cost {cost:.4g} > 10 x max(first cost {first_cost:.4g}, ln 2)" if math.isfinite(cost) else f"cost {cost}"
    raise TrainingDiverged(f"training diverged at iteration {iteration}: {why}; learning_rate {learning_rate:g} is "
                           f"too large for this problem, try a smaller one (e.g. {learning_rate / 10:g})",
                           iteration, cost)  # fmt: skip


def check_training(learning_rate, num_iterations, record_every) -> None:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float | np.floating):
        raise TypeError(f"learning_rate must be a number, got {type(learning_rate).__name__}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise InputError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    for name, value, least in (("num_iterations", num_iterations, 0), ("record_every", record_every, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise InputError(f"{name} must be an integer >= {least}, got {value!r}")
