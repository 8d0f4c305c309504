"""One protocol over every (framework, mode, dtype, device): what the tests, the CLI, the benchmark
and outside tools script against.

    be = load_backend("jax", spec, mode="compiled", dtype="float64", device="cpu")
    be.forward(params, X)   # {"Z1", "A1", ..., "Z<L>", "AL"} as NumPy
    be.cost(params, X, Y)   # Python float
    be.grads(params, X, Y)  # {"dW1", "db1", ...} (logistic: {"dw", "db"}) as NumPy
    be.train(params, X, Y, learning_rate, num_iterations, record_every=100)  # (params as NumPy, costs)

Weights always come in and go out as NumPy; the caller's arrays are never mutated. Inputs are
validated here, once, so no framework's own exception reaches the user for a bad shape or label.

This module is the protocol's public face: what a backend promises is in protocol.py, how each
framework is called in frameworks.py, the checks in validation.py, the errors in errors.py and which
backends exist in registry.py; everything an outside tool needs is importable from here."""

from .errors import BackendUnavailable, InputError, NonFiniteError, TrainingDiverged
from .frameworks import FrameworkBackend, ReferenceBackend
from .protocol import Backend
from .registry import (
    BACKENDS,
    DEVICES,
    DTYPES,
    FRAMEWORKS,
    MODES,
    NAMES,
    PACKAGES,
    BackendInfo,
    available_backends,
    device_status,
    framework_status,
)
from .spec import ModelSpec
from .validation import check_choice, check_divergence, check_finite, validate_inputs

__all__ = [
    "BACKENDS",
    "DEVICES",
    "DTYPES",
    "FRAMEWORKS",
    "MODES",
    "NAMES",
    "PACKAGES",
    "Backend",
    "BackendInfo",
    "BackendUnavailable",
    "InputError",
    "NonFiniteError",
    "TrainingDiverged",
    "available_backends",
    "check_divergence",
    "check_finite",
    "device_status",
    "framework_status",
    "load_backend",
    "validate_inputs",
]


def load_backend(
    name: str, spec: ModelSpec, mode: str = "eager", dtype: str = "float64", device: str = "cpu"
) -> Backend:
    """The backend for one framework, mode, dtype and device; BackendUnavailable says why one is missing."""
    check_choice("backend", name, NAMES)
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"spec must be a conformance.spec.ModelSpec, got {type(spec).__name__}")
    check_choice(f"mode for {name}", mode, MODES[name])
    check_choice("dtype", dtype, DTYPES)
    check_choice("device", device, DEVICES)
    ok, reason = device_status(name, device)
    if ok and dtype not in BACKENDS[name].dtypes:
        ok, reason = False, f"it declares the dtypes {BACKENDS[name].dtypes} only"
    if not ok:
        raise BackendUnavailable(f"{name} on {device} is unavailable: {reason}")
    cls = ReferenceBackend if name == "numpy" else FrameworkBackend
    return cls(name, spec, mode, dtype, device)
