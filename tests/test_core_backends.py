"""The backend protocol's boundary: names, shapes, labels and numbers are checked once, here, with
messages that name the argument; the caller's arrays are never mutated."""

import importlib

import numpy as np
import pytest

from conformance.core import backends, registry
from conformance.core.registry import COURSE
from conformance.core.spec import ModelSpec
from tests.backend_helper import make_problem

SPEC = ModelSpec("deep", (3, 4, 1), "tanh")


@pytest.fixture
def problem():
    """SPEC's parameters, X (3, 5) and Y (1, 5), from the tests' one problem builder."""
    layer_dims, X, Y, parameters = make_problem(depth=2, seed=0, n_x=3, width=4, m=5)
    assert tuple(layer_dims) == SPEC.layer_dims
    return parameters, X, Y


def test_available_backends_lists_every_combination_with_a_reason():
    rows = backends.available_backends()
    expected = sum(len(m) for m in backends.MODES.values()) * len(backends.DTYPES) * len(backends.DEVICES)
    assert len(rows) == expected
    for row in rows:
        assert row["available"] or row["reason"], row
    assert any(r["name"] == "numpy" and r["device"] == "gpu" and not r["available"] for r in rows)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "mxnet"}, "unknown backend 'mxnet'"),
        ({"name": "numpy", "mode": "compiled"}, "unknown mode for numpy 'compiled'"),
        ({"name": "torch", "mode": "function"}, "unknown mode for torch 'function'"),
        ({"name": "numpy", "dtype": "float16"}, "unknown dtype 'float16'"),
        ({"name": "numpy", "device": "tpu"}, "unknown device 'tpu'"),
    ],
)
def test_load_backend_names_a_bad_choice(kwargs, message):
    with pytest.raises(backends.InputError, match=message):
        backends.load_backend(spec=SPEC, **kwargs)


def test_numpy_on_gpu_is_unavailable_with_the_reason():
    with pytest.raises(backends.BackendUnavailable, match="NumPy runs on the CPU only"):
        backends.load_backend("numpy", SPEC, device="gpu")


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda p, X, Y: (p, X[0], Y), backends.InputError, r"X must be 2-D, got shape \(5,\)"),
        (lambda p, X, Y: (p, X[:2], Y), backends.InputError, r"X has shape \(2, 5\): 2 rows, but layer_dims\[0\] = 3"),
        (lambda p, X, Y: (p, X[:, :0], Y[:, :0]), backends.InputError, r"no samples \(m = 0\)"),
        (lambda p, X, Y: (p, X, Y.T), backends.InputError, r"Y has shape \(5, 1\); expected \(1, m\) = \(1, 5\)"),
        (lambda p, X, Y: (p, X, Y * 2), backends.InputError, r"labels 0 and 1 only; found \[2.0\]"),
        (lambda p, X, Y: (p, np.where(X > 1, np.nan, X), Y), backends.InputError, "X holds .* NaN or Inf"),
        (lambda p, X, Y: ({**p, "W3": p["W2"]}, X, Y), backends.InputError, r"missing \[\], extra \['W3'\]"),
        (lambda p, X, Y: ({"W1": p["W1"]}, X, Y), backends.InputError, r"missing \['W2', 'b1', 'b2'\]"),
        (lambda p, X, Y: ({**p, "b1": p["b1"].T}, X, Y), backends.InputError, r"params\['b1'\] has shape \(1, 4\)"),
        (lambda p, X, Y: (p, X.tolist(), Y), TypeError, "X must be a NumPy array, got list"),
        (lambda p, X, Y: (p, X > 0, Y), TypeError, "X must hold real numbers, got dtype bool"),
        (lambda p, X, Y: (p, X, Y * 0.5), backends.InputError, r"labels 0 and 1 only; found \[0.5\]"),
        (lambda p, X, Y: (p, X, np.full_like(Y, np.nan)), backends.InputError, "Y holds 5 NaN or Inf values"),
        (lambda p, X, Y: ({**p, "W2": p["W2"] * np.inf}, X, Y), backends.InputError, r"params\['W2'\] holds 4 NaN"),
        (lambda p, X, Y: ({**p, "b2": 0.0}, X, Y), TypeError, r"params\['b2'\] must be a NumPy array, got float"),
        (lambda p, X, Y: (list(p.values()), X, Y), TypeError, "params must be a dict of NumPy arrays, got list"),
    ],
)
@pytest.mark.parametrize("name", backends.NAMES)
def test_bad_inputs_are_named(problem, change, error, message, name):
    """The same message from every backend, before any framework sees the numbers."""
    ok, reason = backends.framework_status(name)
    if not ok:
        pytest.skip(reason)
    params, X, Y = change(*problem)
    backend = backends.load_backend(name, SPEC)
    with pytest.raises(error, match=message):
        backend.grads(params, X, Y)
    with pytest.raises(error, match=message):
        backend.train(params, X, Y, learning_rate=0.1, num_iterations=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"learning_rate": -0.1}, "learning_rate must be a positive finite number, got -0.1"),
        ({"learning_rate": float("inf")}, "learning_rate must be a positive finite number, got inf"),
        ({"num_iterations": -1}, "num_iterations must be an integer >= 0, got -1"),
        ({"record_every": 0}, "record_every must be an integer >= 1, got 0"),
    ],
)
def test_bad_training_arguments_are_named(problem, kwargs, message):
    params, X, Y = problem
    with pytest.raises(backends.InputError, match=message):
        backends.load_backend("numpy", SPEC).train(params, X, Y, **{"learning_rate": 0.1, **kwargs})


@pytest.mark.parametrize("name", COURSE)
def test_protocol_returns_numpy_and_leaves_inputs_alone(problem, name):
    ok, reason = backends.framework_status(name)
    if not ok:
        pytest.skip(reason)
    params, X, Y = problem
    before = {k: v.copy() for k, v in params.items()}
    backend = backends.load_backend(name, SPEC, dtype="float32")
    forward = backend.forward(params, X)
    assert set(forward) == {"Z1", "A1", "Z2", "AL"}
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 for v in forward.values())
    assert isinstance(backend.cost(params, X, Y), float)
    grads = backend.grads(params, X, Y)
    assert {k: v.shape for k, v in grads.items()} == {f"d{k}": v.shape for k, v in params.items()}
    final, costs = backend.train(params, X, Y, learning_rate=0.1, num_iterations=5, record_every=2)
    assert len(costs) == 3 and set(final) == set(params)
    for key, value in before.items():
        np.testing.assert_array_equal(params[key], value)


def test_spec_rejects_what_it_cannot_be():
    with pytest.raises(ValueError, match="logistic regression has layer_dims \\[n_x, 1\\]"):
        ModelSpec("logistic", (3, 2, 1))
    with pytest.raises(ValueError, match="must end with 1"):
        ModelSpec("deep", (3, 2))
    with pytest.raises(ValueError, match="unknown hidden_activation 'swish'"):
        ModelSpec("deep", (3, 2, 1), "swish")
    with pytest.raises(ValueError, match="unknown model kind 'cnn'"):
        ModelSpec("cnn", (3, 1))
    assert ModelSpec("logistic", [3, 1]).param_shapes() == {"w": (3, 1), "b": (1, 1)}


def test_a_plugin_that_cannot_be_used_is_named_with_its_reason_and_left_out(monkeypatch):
    """Entry points of the group quartet.backends: one that does not import, one that is not a BackendInfo,
    one that takes a built-in's name; each goes to BROKEN with the reason, and the four stay."""
    from importlib.metadata import EntryPoint

    from conformance.core import registry

    points = [
        EntryPoint("ghost", "no_such_module_here:BACKEND", registry.GROUP),
        EntryPoint("notinfo", "json:dumps", registry.GROUP),
        EntryPoint("jax", "conformance.core.registry:BUILT_IN", registry.GROUP),
    ]
    monkeypatch.setattr(registry.importlib.metadata, "entry_points", lambda group: points)
    monkeypatch.setattr(registry, "BROKEN", {})
    found = registry._discover()
    assert list(found) == ["numpy", "torch", "jax", "tf"] and found["jax"].plugin == ""
    assert "does not load: ModuleNotFoundError" in registry.BROKEN["ghost"]
    assert "not a conformance.registry.BackendInfo" in registry.BROKEN["notinfo"]
    assert "is a tuple" in registry.BROKEN["jax"]


@pytest.mark.parametrize("info", registry.BUILT_IN[1:], ids=lambda info: info.name)
def test_an_implementation_checks_its_mode_against_the_modes_the_registry_declares(info):
    """The registry declares each backend's modes from one vocabulary (registry.MODE_NAMES); an implementation
    checks its `mode` argument against its own tuple, which must be the same modes in the same order."""
    ok, reason = registry.framework_status(info.name)
    if not ok:
        pytest.skip(reason)
    assert set(info.modes) <= set(registry.MODE_NAMES)
    assert importlib.import_module(f"{info.package}.deep").MODES == info.modes


def test_backends_of_one_framework_share_what_they_traced_until_its_code_changes(problem, monkeypatch):
    """TensorFlow traces a tf.function once per shape: the check's second backend of a framework, mode and
    activation runs the program the first traced, instead of tracing and compiling it again. A function patched in
    place is a new implementation, with programs of its own, and patched back it is the first again."""
    ok, reason = backends.framework_status("tf")
    if not ok:
        pytest.skip(reason)
    import impl_tf.deep

    parameters, X, _ = problem
    load = lambda: backends.load_backend("tf", SPEC, "function", "float64")  # noqa: E731
    first, second = load(), load()
    before = first.forward(parameters, X)["AL"]
    np.testing.assert_array_equal(second.forward(parameters, X)["AL"], before)
    traced = first._compiled["forward"]
    assert second._compiled["forward"] is traced and traced.experimental_get_tracing_count() == 1

    real = impl_tf.deep.linear_forward
    monkeypatch.setattr(impl_tf.deep, "linear_forward", lambda A_prev, W, b: real(A_prev, W, b) * 2)
    patched = load()
    assert not np.allclose(patched.forward(parameters, X)["AL"], before)
    assert patched._compiled["forward"] is not traced  # the patch's own, not the one traced before
    monkeypatch.undo()
    np.testing.assert_array_equal(load().forward(parameters, X)["AL"], before)
    assert traced.experimental_get_tracing_count() == 1
