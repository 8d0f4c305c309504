"""One way to hold a framework against the float64 NumPy reference, for every framework test.

A test builds a Case (conformance.check.cases) from float64 NumPy data, runs the framework's impl_*
package on it, and passes what it got, under the engine's quantity names (Z1, A1, AL, cost, dW1,
params@N, cost@N, ...), to `assert_conforms`: the engine (check.measure for the reference,
check.judge.compare for the verdict) judges every quantity with the tolerance of its rounding model,
the one `quartet check` uses, and a float32 row must also hold float32 numbers. No test has a
tolerance of its own.

    fw = framework("jax")                        # skips, with the reason, where jax is not installed
    X_, Y_, P_ = fw.put("float32", X, Y, parameters)
    grads, cost = fw.deep.L_model_grads(P_, X_, Y_)
    assert_conforms(case, "float32", {"cost": fw.get(cost), **fw.get(grads)})
"""

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from conformance.check.cases import Case
from conformance.check.judge import COLUMNS, compare
from conformance.check.measure import flatten, measure
from conformance.core.backends import BackendUnavailable, load_backend
from conformance.core.datasets import make_random_dataset
from conformance.core.registry import AUTODIFF, MODES, NAMES, PACKAGES, framework_status
from conformance.core.spec import ModelSpec
from reference_numpy import initializers

FRAMEWORKS = AUTODIFF
DTYPES = ("float32", "float64")
# (framework, mode) for every mode a framework declares, and the modes that run the loop in one call
FRAMEWORK_MODES = [(name, mode) for name in FRAMEWORKS for mode in MODES[name]]
COMPILED_MODES = [(name, mode) for name, mode in FRAMEWORK_MODES if mode != "eager"]
GPU_NAMES = {"torch": "torch", "jax": "jax", "tf": "TensorFlow"}  # as "no GPU visible to ..." names it
# the framework beside NumPy (and PyTorch) in the tests that start quartet's own processes to show a path, not
# numbers: MLX where its plugin is installed (its eager units take a tenth of a second, JAX's half: JAX
# differentiates op by op in Python), else JAX; every backend takes the same path
QUICK_SECOND = "mlx" if "mlx" in NAMES else "jax"


@dataclass(frozen=True)
class Framework:
    """A framework's impl_* package (arrays, deep, logistic) and the little a test needs that differs
    between frameworks: a tensor's dtype and device, and autodiff of a scalar function."""

    name: str
    arrays: ModuleType
    deep: ModuleType
    logistic: ModuleType

    def put(self, dtype: str, *values, device: str = "cpu") -> list:
        """NumPy arrays (or dicts of them) as the framework's tensors of `dtype` on `device`."""
        return [self.arrays.from_numpy(value, dtype, device) for value in values]

    def get(self, value):
        """A tensor, a dict of them or a list of floats as float64 NumPy (a 0-d tensor as a 0-d array)."""
        if isinstance(value, dict):
            return {k: self.get(v) for k, v in value.items()}
        if isinstance(value, list | float):
            return np.asarray(value, dtype=np.float64)
        return np.asarray(self.arrays.to_numpy(value), dtype=np.float64)

    @staticmethod
    def dtype_of(tensor) -> str:
        """ "float32" or "float64", whatever the framework's dtype object."""
        return getattr(tensor.dtype, "name", None) or str(tensor.dtype).removeprefix("torch.")

    def device_of(self, tensor) -> str:
        """ "cpu" or "gpu"."""
        if self.name == "torch":
            return "gpu" if tensor.device.type == "cuda" else tensor.device.type
        if self.name == "jax":
            (device,) = tensor.devices()
            return device.platform
        return "gpu" if "GPU" in tensor.device else "cpu"

    def grad(self, f: Callable, x):
        """d sum(f(x)) / dx by the framework's autodiff: f's own derivative, where each f(x) entry depends
        on its own x entry (an activation), or its gradient, where f is scalar (a cost)."""
        if self.name == "torch":
            import torch

            x = x.detach().requires_grad_(True)
            (dx,) = torch.autograd.grad(f(x).sum(), x)
            return dx
        if self.name == "jax":
            import jax

            return jax.grad(lambda x: f(x).sum())(x)
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return tape.gradient(y, x)  # of the sum of y's entries


def framework(name: str) -> Framework:
    """The framework's impl_* package; the test (or, called at import, the whole file) skips, saying why,
    where the framework is not installed."""
    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason, allow_module_level=True)
    package = PACKAGES[name]
    modules = [importlib.import_module(f"{package}.{part}") for part in ("arrays", "deep", "logistic")]
    return Framework(name, *modules)


def make_case(X: np.ndarray, Y: np.ndarray, parameters: dict, hidden_activation: str = "relu", learning_rate=0.1):
    """A Case of the engine from float64 NumPy data and weights: logistic regression for {"w", "b"}, else
    the deep net whose layer_dims the weights give."""
    if set(parameters) == {"w", "b"}:
        spec = ModelSpec("logistic", (X.shape[0], 1))
    else:
        L = len(parameters) // 2
        spec = ModelSpec(
            "deep", (X.shape[0], *(parameters[f"W{l}"].shape[0] for l in range(1, L + 1))), hidden_activation
        )
    return Case(spec, X, Y, parameters, learning_rate)


def reference(case: Case, steps: Iterable[int] = ()) -> dict[str, np.ndarray]:
    """Every quantity of the float64 NumPy reference on the case, the engine's names (check.measure)."""
    return measure(load_backend("numpy", case.spec, "eager", "float64"), case, tuple(steps) or (1,))


def trajectory(parameters: dict, costs: list, steps: int) -> dict[str, np.ndarray]:
    """The engine's names for where training ended: params@N (flattened as measure does) and cost@N."""
    return {f"params@{steps}": flatten(parameters), f"cost@{steps}": np.asarray(costs, dtype=np.float64)}


def assert_conforms(
    case: Case, dtype: str, got: dict, against: dict | None = None, steps: Iterable[int] = (), label: str = ""
) -> pd.DataFrame:
    """Every quantity of `got` (the engine's names, NumPy) within the engine's tolerance of the float64
    reference's, or of `against` (another run's quantities, e.g. the eager loop's), judged by check.judge:
    each row must pass, a float32 one also holding float32 numbers. The tolerance is predicted from the
    reference's own numbers in both cases."""
    got = {k: np.asarray(v, dtype=np.float64) for k, v in got.items()}
    ref = reference(case, steps)
    if against is not None:
        ref.update({k: np.asarray(v, dtype=np.float64) for k, v in against.items()})
    labels = dict(backend=label or "test", mode="", dtype=dtype, device="")
    rows = pd.DataFrame(
        compare(got, ref, case, labels, "reference" if against is None else "other", only=set(got)), columns=COLUMNS
    )
    assert set(rows["quantity"]) == set(got), f"not judged: {set(got) - set(rows['quantity'])}"
    failed = rows[~rows["passed"]]
    shown = ["quantity", "max_abs_err", "max_rel_err", "tolerance", "in_dtype"]
    assert failed.empty, f"{case.label} {label} {dtype}:\n{failed[shown].to_string()}"
    return rows


def assert_backend_conforms(name: str, case: Case, mode: str, dtype: str, device: str, steps: Iterable[int]) -> None:
    """The whole protocol (load_backend, then check.measure) against the reference, as `quartet check`
    runs it; skips, with the reason, where the backend cannot run here."""
    try:
        backend = load_backend(name, case.spec, mode, dtype, device)
    except BackendUnavailable as err:
        pytest.skip(str(err))
    steps = tuple(steps)
    assert_conforms(case, dtype, measure(backend, case, steps), steps=steps, label=f"{name} {mode} {device}")


def forward_quantities(AL, caches, get: Callable) -> dict[str, np.ndarray]:
    """Z1, A1, ..., Z<L>, AL from a course-style forward pass, as check.measure names them."""
    out = {}
    for l, (_, Z) in enumerate(caches, start=1):
        out[f"Z{l}"] = get(Z)
        if l < len(caches):
            out[f"A{l}"] = get(caches[l][0][0])  # A[l] is the next layer's A_prev
    out["AL"] = get(AL)
    return out


def make_problem(depth: int, seed: int, n_x: int = 5, width: int = 4, m: int = 16):
    """(layer_dims, X (n_x, m), Y (1, m), parameters): data from a linear teacher and He-initialised float64
    weights with nonzero biases (so db is tested too); the one problem builder of the tests."""
    X, Y = make_random_dataset(n_x, m, seed=seed)
    rng = np.random.default_rng(seed + 1)
    layer_dims = [n_x] + [width] * (depth - 1) + [1]
    parameters = initializers.initialize(layer_dims, scheme="he", rng=rng)
    for l in range(1, depth + 1):
        parameters[f"b{l}"] = 0.1 * rng.standard_normal(parameters[f"b{l}"].shape)  # (n[l], 1)
    return layer_dims, X, Y, parameters


def small_bench(
    out,
    backends: str = "numpy",
    dtypes: str = "float32",
    workloads: str = "planar",
    *more: str,
    threads: int | None = 1,
) -> list[str]:
    """`quartet bench` at its smallest, as the tests run it: quick, no extra rounds to decide goals, no peers, one
    thread (a test worker's share of the cores: its bench times for as long with one as with two, and leaves the
    other core to the other worker; threads=None, the default); the backends, dtypes and workloads named, and any
    `more` options; results in `out`."""
    return [
        "bench",
        *(["--threads", str(threads)] if threads else []),
        "--quick",
        "--decide",
        "0",
        "--workloads",
        workloads,
        "--backends",
        backends,
        "--dtypes",
        dtypes,
        "--peers",
        "",
        *more,
        "--out",
        str(out),
    ]
