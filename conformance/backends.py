"""One protocol over every (framework, mode, dtype, device): what the tests, the CLI, the benchmark
and outside tools script against.

    be = load_backend("jax", spec, mode="compiled", dtype="float64", device="cpu")
    be.forward(params, X)   # {"Z1", "A1", ..., "Z<L>", "AL"} as NumPy
    be.cost(params, X, Y)   # Python float
    be.grads(params, X, Y)  # {"dW1", "db1", ...} (logistic: {"dw", "db"}) as NumPy
    be.train(params, X, Y, learning_rate, num_iterations, record_every=100)  # (params as NumPy, costs)

Weights always come in and go out as NumPy; the caller's arrays are never mutated. Inputs are
validated here, once, so no framework's own exception reaches the user for a bad shape or label."""

import functools
import importlib
import math
from collections.abc import Callable

import numpy as np

from .spec import ModelSpec

NAMES = ("numpy", "torch", "jax", "tf")
MODES = {
    "numpy": ("eager",),
    "torch": ("eager", "compiled"),
    "jax": ("eager", "compiled"),
    "tf": ("eager", "compiled", "function"),  # "compiled" is tf.function(jit_compile=True); "function" without XLA
}
DTYPES = ("float32", "float64")
DEVICES = ("cpu", "gpu")
PACKAGES = {"numpy": "reference_numpy", "torch": "impl_torch", "jax": "impl_jax", "tf": "impl_tf"}
FRAMEWORKS = {"numpy": "numpy", "torch": "torch", "jax": "jax", "tf": "tensorflow"}


class BackendUnavailable(RuntimeError):
    """The framework is not installed, or the device is not there; the message says which."""


class InputError(ValueError):
    """An argument that cannot be used: the message names it, with the shapes or values involved."""


class NonFiniteError(InputError):
    """A result left the dtype's range (Inf or NaN): the message names the quantity, its dtype and the cure."""


class TrainingDiverged(NonFiniteError):
    """Gradient descent blew up: the cost became NaN or Inf, or grew tenfold. Names the iteration."""

    def __init__(self, message: str, iteration: int, cost: float) -> None:
        super().__init__(message)
        self.iteration, self.cost = iteration, cost


# --- availability -------------------------------------------------------------------------------


@functools.cache
def framework_status(name: str) -> tuple[bool, str]:
    """(True, version) or (False, why it cannot be imported)."""
    from .environment import captured_stderr

    try:
        with captured_stderr():  # TensorFlow's start-up notices, which no log level silences
            module = importlib.import_module(FRAMEWORKS[name])
            importlib.import_module(PACKAGES[name])
    except ImportError as err:
        return False, f"{FRAMEWORKS[name]} not installed ({err})"
    return True, str(getattr(module, "__version__", ""))


@functools.cache
def device_status(name: str, device: str) -> tuple[bool, str]:
    ok, reason = framework_status(name)
    if not ok:
        return False, reason
    if device == "cpu":
        return True, ""
    if name == "numpy":
        return False, "NumPy runs on the CPU only"
    try:
        importlib.import_module(f"{PACKAGES[name]}.arrays").resolve_device("gpu")
    except RuntimeError as err:
        return False, str(err)
    return True, ""


def available_backends() -> list[dict]:
    """One row per (name, mode, dtype, device): available, and the reason where it is not."""
    rows = []
    for name in NAMES:
        for mode in MODES[name]:
            for dtype in DTYPES:
                for device in DEVICES:
                    ok, reason = device_status(name, device)
                    rows.append(
                        dict(
                            name=name, mode=mode, dtype=dtype, device=device, available=ok, reason="" if ok else reason
                        )
                    )
    return rows


# --- validation ---------------------------------------------------------------------------------


def _check_choice(what: str, value, choices) -> None:
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


def _check_range(name: str, value: np.ndarray, dtype: str) -> None:
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


def _check_training(learning_rate, num_iterations, record_every) -> None:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float | np.floating):
        raise TypeError(f"learning_rate must be a number, got {type(learning_rate).__name__}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise InputError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    for name, value, least in (("num_iterations", num_iterations, 0), ("record_every", record_every, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
            raise InputError(f"{name} must be an integer >= {least}, got {value!r}")


# --- the backends -------------------------------------------------------------------------------


def _compiler(name: str, mode: str) -> Callable[[Callable], Callable]:
    """How this framework compiles a function in `mode` (forward and gradients; training steps are
    compiled by the implementation's own make_train_step)."""
    if mode == "eager":
        return lambda f: f
    if name == "torch":
        import torch

        return torch.compile
    if name == "jax":
        import jax

        return jax.jit
    import tensorflow as tf

    # every backend instance traces its own functions once per shape: that is the plan, not a leak
    tf.get_logger().setLevel("ERROR")
    return functools.partial(tf.function, jit_compile=(mode == "compiled"))


def _quiet_numpy(method: Callable) -> Callable:
    """NumPy's own overflow warnings stay quiet inside the protocol: an Inf or NaN in a result is reported
    once, as NonFiniteError naming the quantity, the same way for every backend."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return method(*args, **kwargs)

    return wrapper


class Backend:
    """One framework in one mode, dtype and device, behind the protocol above."""

    def __init__(self, name: str, spec: ModelSpec, mode: str, dtype: str, device: str) -> None:
        self.name, self.spec, self.mode, self.dtype, self.device = name, spec, mode, dtype, device
        package = PACKAGES[name]
        self.deep = importlib.import_module(f"{package}.deep")
        self.logistic = importlib.import_module(f"{package}.logistic")
        self._compiled: dict[str, Callable] = {}

    def __repr__(self) -> str:
        return f"<{self.name} {self.mode} {self.dtype} {self.device} {self.spec.label}>"

    # conversions: overridden by the framework backends
    def _put(self, arrays):
        return (
            {k: v.astype(self.dtype) for k, v in arrays.items()}
            if isinstance(arrays, dict)
            else arrays.astype(self.dtype)
        )

    def _get(self, values):
        if isinstance(values, dict):
            return {k: np.asarray(v) for k, v in values.items()}
        return float(values) if np.ndim(values) == 0 else np.asarray(values)

    def _function(self, key: str, build: Callable[[], Callable]) -> Callable:
        if key not in self._compiled:
            self._compiled[key] = _compiler(self.name, self.mode)(build())
        return self._compiled[key]

    def _deep_params(self, params: dict) -> dict:
        """Logistic regression is the one-layer network with W1 = w^T."""
        return {"W1": params["w"].T.copy(), "b1": params["b"]} if self.spec.kind == "logistic" else params

    def _validate(self, params: dict, X: np.ndarray, Y: np.ndarray | None = None) -> None:
        validate_inputs(self.spec, params, X, Y)
        if self.dtype != "float64":
            for key, value in [("X", X), *((f"params[{k!r}]", v) for k, v in params.items())]:
                _check_range(key, value, self.dtype)

    def _finite(self, what: str, values: dict) -> dict:
        cure = "scale the inputs or weights down" + (" or use float64" if self.dtype != "float64" else "")
        check_finite(f"{self.name} {self.mode}: {what}", values, self.dtype, cure)
        return values

    @_quiet_numpy
    def forward(self, params: dict, X: np.ndarray) -> dict[str, np.ndarray]:
        self._validate(params, X)
        act = self.spec.hidden_activation
        forward = self._function("forward", lambda: functools.partial(self._forward_fn, hidden_activation=act))
        AL, caches = forward(self._put(X), self._put(self._deep_params(params)))
        out = {}
        for l, (_, Z) in enumerate(caches, start=1):
            out[f"Z{l}"] = Z
            if l < len(caches):
                out[f"A{l}"] = caches[l][0][0]  # A[l] is the next layer's A_prev
        out["AL"] = AL
        return self._finite("the forward pass", self._get(out))

    def _forward_fn(self, X, parameters, hidden_activation):
        return self.deep.L_model_forward(X, parameters, hidden_activation)

    @_quiet_numpy
    def cost(self, params: dict, X: np.ndarray, Y: np.ndarray) -> float:
        self._validate(params, X, Y)
        act = self.spec.hidden_activation

        def cost_fn(X, Y, parameters):
            _, caches = self.deep.L_model_forward(X, parameters, act)
            return self.deep.compute_cost_from_logits(caches[-1][1], Y)

        cost = self._function("cost", lambda: cost_fn)(self._put(X), self._put(Y), self._put(self._deep_params(params)))
        return self._finite("the cost", {"cost": np.asarray(self._get(cost))})["cost"].item()

    @_quiet_numpy
    def grads(self, params: dict, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
        self._validate(params, X, Y)
        p, X_, Y_ = self._put(params), self._put(X), self._put(Y)
        if self.spec.kind == "logistic":
            grads, cost = self._function("propagate", lambda: self.logistic.propagate)(p["w"], p["b"], X_, Y_)
        else:
            grads, cost = self._grads_deep(p, X_, Y_)
        grads = self._get({k: v for k, v in grads.items() if not k.startswith("dA")})
        # an Inf cost means an overflowed forward pass: autodiff then returns finite gradients that are
        # wrong (JAX and TensorFlow in float32), so the cost is checked with them
        self._finite("the gradients", {**grads, "cost": np.asarray(self._get(cost))})
        return grads

    def _grads_deep(self, p, X_, Y_):
        act = self.spec.hidden_activation
        if self.name == "numpy":
            AL, caches = self.deep.L_model_forward(X_, p, act)
            cost = self.deep.compute_cost_from_logits(caches[-1][1], Y_)
            return self.deep.L_model_backward(AL, Y_, caches, act), cost
        grads_fn = self._function("grads", lambda: functools.partial(self.deep.L_model_grads, hidden_activation=act))
        return grads_fn(p, X_, Y_)

    @_quiet_numpy
    def train(
        self,
        params: dict,
        X: np.ndarray,
        Y: np.ndarray,
        learning_rate: float = 0.0075,
        num_iterations: int = 2500,
        record_every: int = 100,
    ) -> tuple[dict[str, np.ndarray], list[float]]:
        """Runs a segment of at least SEGMENT iterations (a multiple of record_every) at a time and looks at
        its recorded costs, so training that diverges stops within a segment with TrainingDiverged naming
        the first recorded iteration whose cost is NaN, Inf or tenfold."""
        self._validate(params, X, Y)
        _check_training(learning_rate, num_iterations, record_every)
        p, X_, Y_ = self._put(params), self._put(X), self._put(Y)
        costs: list[float] = []
        segment = record_every * -(-SEGMENT // record_every)
        for start in range(0, num_iterations, segment):
            n = min(segment, num_iterations - start)
            if self.spec.kind == "logistic":
                p, _, recorded = self._optimize(p, X_, Y_, float(learning_rate), n, record_every)
            else:
                p, recorded = self._L_layer_model(p, X_, Y_, float(learning_rate), n, record_every)
            for k, cost in enumerate(recorded):  # the costs at iterations start, start + record_every, ...
                costs.append(float(cost))
                if len(costs) == 1:  # not finite before any step: overflow in the data, not divergence
                    self._finite("the cost at iteration 0", {"cost": np.asarray(costs[0])})
                check_divergence(start + k * record_every, costs[-1], costs[0], learning_rate)
        final = self._get(p)
        bad = [k for k, v in final.items() if not np.all(np.isfinite(v))]
        if bad:
            last = (num_iterations - 1) // record_every * record_every
            raise TrainingDiverged(f"training diverged after iteration {last}: {bad} hold Inf or NaN at the end; "
                                   f"learning_rate {learning_rate:g} is too large for this problem, try a smaller "
                                   f"one (e.g. {learning_rate / 10:g})", last, float("nan"))  # fmt: skip
        return final, costs

    def _optimize(self, p, X_, Y_, learning_rate, num_iterations, record_every):
        return self.logistic.optimize(
            p["w"], p["b"], X_, Y_, num_iterations, learning_rate, mode=self.mode, record_every=record_every
        )

    def _L_layer_model(self, p, X_, Y_, learning_rate, num_iterations, record_every):
        return self.deep.L_layer_model(
            X_,
            Y_,
            p,
            learning_rate,
            num_iterations,
            hidden_activation=self.spec.hidden_activation,
            mode=self.mode,
            record_every=record_every,
        )


class ReferenceBackend(Backend):
    """The NumPy reference: hand-written backward, eager only; float32 runs the same code on float32 arrays."""

    def _optimize(self, p, X_, Y_, learning_rate, num_iterations, record_every):
        return self.logistic.optimize(
            p["w"], p["b"], X_, Y_, num_iterations, self._lr(learning_rate), record_every=record_every
        )

    def _L_layer_model(self, p, X_, Y_, learning_rate, num_iterations, record_every):
        return self.deep.L_layer_model(
            X_,
            Y_,
            list(self.spec.layer_dims),
            self._lr(learning_rate),
            num_iterations,
            hidden_activation=self.spec.hidden_activation,
            parameters=p,
            record_every=record_every,
        )

    def _lr(self, learning_rate: float):
        return np.dtype(self.dtype).type(learning_rate)  # a float64 Python scalar would not upcast, but be explicit


class FrameworkBackend(Backend):
    """PyTorch, JAX or TensorFlow through its impl_* package; arrays cross the boundary in arrays.py."""

    def __init__(self, name: str, spec: ModelSpec, mode: str, dtype: str, device: str) -> None:
        super().__init__(name, spec, mode, dtype, device)
        self.arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
        if name == "torch" and mode == "compiled":
            import torch

            # torch.compile keeps 8 versions of a function per process, then silently runs it eagerly:
            # start every compiled backend afresh so that "compiled" stays compiled.
            torch.compiler.reset()

    def _put(self, arrays):
        return self.arrays.from_numpy(arrays, self.dtype, self.device)

    def _get(self, values):
        return self.arrays.to_numpy(values)


def load_backend(
    name: str, spec: ModelSpec, mode: str = "eager", dtype: str = "float64", device: str = "cpu"
) -> Backend:
    """The backend for one framework, mode, dtype and device; BackendUnavailable says why one is missing."""
    _check_choice("backend", name, NAMES)
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"spec must be a conformance.spec.ModelSpec, got {type(spec).__name__}")
    _check_choice(f"mode for {name}", mode, MODES[name])
    _check_choice("dtype", dtype, DTYPES)
    _check_choice("device", device, DEVICES)
    ok, reason = device_status(name, device)
    if not ok:
        raise BackendUnavailable(f"{name} on {device} is unavailable: {reason}")
    cls = ReferenceBackend if name == "numpy" else FrameworkBackend
    return cls(name, spec, mode, dtype, device)
