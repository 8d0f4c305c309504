"""The protocol's checks at its boundary: inputs that do not fit the spec, results that left the dtype's
range, and training that diverged, each named the same way for every framework. The data's and the training
settings' checks are the reference's own (reference_numpy/inputs.py): one message for the library and the protocol."""

import math

import numpy as np

from reference_numpy.inputs import as_matrix, check_data

from .errors import InputError, NonFiniteError, TrainingDiverged
from .spec import ModelSpec


def check_choice(what: str, value, choices) -> None:
    if value not in choices:
        raise InputError(f"unknown {what} {value!r}; choose one of {tuple(choices)}")


def validate_inputs(spec: ModelSpec, params: dict, X: np.ndarray, Y: np.ndarray | None = None) -> None:
    """Raise InputError (a ValueError) or TypeError naming the first thing that does not fit the spec."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of NumPy arrays, got {type(params).__name__}")
    expected = spec.param_shapes()
    missing, extra = sorted(set(expected) - set(params)), sorted(set(params) - set(expected))
    if missing or extra:
        raise InputError(f"params for {spec.label} need keys {list(expected)}; missing {missing}, extra {extra}")
    for key, shape in expected.items():
        as_matrix(f"params[{key!r}]", params[key])
        if params[key].shape != shape:
            raise InputError(f"params[{key!r}] has shape {params[key].shape}; {spec.label} needs {shape}")
    check_data(X, Y, spec.n_x)


def check_range(name: str, value: np.ndarray, dtype: str) -> None:
    """Finite float64 numbers beyond float32's range would silently become Inf on conversion."""
    largest = float(np.finfo(dtype).max)
    biggest = float(np.max(np.abs(value), initial=0.0))
    if biggest > largest:
        raise InputError(
            f"{name} holds values up to {biggest:.3g}, beyond {dtype}'s largest {largest:.3g}; scale it or use float64"
        )


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
    raise TrainingDiverged(
        f"training diverged at iteration {iteration}: {why}; learning_rate {learning_rate:g} is "
        f"too large for this problem, try a smaller one (e.g. {learning_rate / 10:g})",
        iteration,
        cost,
    )
