"""The reference called directly, as a student does: bad input gets the command line's and the protocol's
messages (reference_numpy/inputs.py), not a UFuncTypeError, a bare matmul error or costs of [nan]."""

import numpy as np
import pytest

from conformance.core.errors import InputError
from conformance.core.spec import ModelSpec
from conformance.core.validation import validate_inputs
from reference_numpy import deep, logistic


def _data(n_x: int = 3, m: int = 6):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n_x, m)), (rng.random((1, m)) > 0.5).astype(float)


def _nan(X: np.ndarray) -> np.ndarray:
    X = X.copy()
    X[1, 2] = np.nan
    return X


X, Y = _data()
PARAMS = deep.initialize_parameters_deep([3, 4, 1])
CALLS = {
    "L_layer_model": lambda X_, Y_, lr: deep.L_layer_model(X_, Y_, [3, 4, 1], lr, 2),
    "deep.predict": lambda X_, Y_, lr: deep.predict(X_, PARAMS),
    "optimize": lambda X_, Y_, lr: logistic.optimize(np.zeros((3, 1)), 0.0, X_, Y_, 2, lr),
    "model": lambda X_, Y_, lr: logistic.model(X_, Y_, None, None, 2, lr),
    "logistic.predict": lambda X_, Y_, lr: logistic.predict(np.zeros((3, 1)), 0.0, X_),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_nan_in_X_is_named(name):
    with pytest.raises(InputError, match=r"^X holds 1 NaN or Inf values$"):
        CALLS[name](_nan(X), Y, 0.1)


@pytest.mark.parametrize("name", ["L_layer_model", "optimize", "model"])
def test_a_string_learning_rate_is_named(name):
    with pytest.raises(TypeError, match=r"^learning_rate must be a number, got str '0.1'$"):
        CALLS[name](X, Y, "0.1")


def test_a_wrong_shape_of_X_is_named():
    wide = np.ones((4, 6))
    with pytest.raises(InputError, match=r"X has shape \(4, 6\): 4 rows, but layer_dims\[0\] = 3 \(X is \(n_x, m\)\)"):
        CALLS["L_layer_model"](wide, Y, 0.1)
    with pytest.raises(InputError, match=r"parameters\['W1'\] has shape \(4, 3\), but X has 4 rows"):
        CALLS["deep.predict"](wide, Y, 0.1)
    with pytest.raises(InputError, match=r"w has shape \(3, 1\); X has 4 rows, so w must be \(n_x, 1\) = \(4, 1\)"):
        CALLS["logistic.predict"](wide, Y, 0.1)
    with pytest.raises(InputError, match=r"Y has shape \(1, 5\); expected \(1, m\) = \(1, 6\) to match X \(3, 6\)"):
        CALLS["optimize"](X, Y[:, :5], 0.1)


def test_the_messages_are_the_protocols():
    """One check for the library and the protocol: validate_inputs says the same words for the same input."""
    spec = ModelSpec("deep", (3, 4, 1), "relu")
    for bad_X, bad_Y in ((_nan(X), Y), (np.ones((4, 6)), Y), (X, Y[:, :5])):
        with pytest.raises(InputError) as protocol:
            validate_inputs(spec, spec.init_params(seed=1), bad_X, bad_Y)
        with pytest.raises(InputError) as library:
            CALLS["L_layer_model"](bad_X, bad_Y, 0.1)
        assert str(library.value) == str(protocol.value)


def test_good_input_still_trains_as_the_course():
    _, costs = deep.L_layer_model(X, Y, [3, 4, 1], 0.1, 1)
    assert len(costs) == 1 and np.isfinite(costs[0])
