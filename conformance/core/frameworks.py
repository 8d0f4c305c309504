"""How each framework is called behind the protocol: the NumPy reference directly, PyTorch, JAX and
TensorFlow through their impl_* packages (arrays cross in arrays.py, compiled by the framework's own
compiler, backward by its autodiff). What every backend promises is in conformance/core/protocol.py."""

import functools
import importlib
from collections.abc import Callable

import numpy as np

from .protocol import Backend
from .registry import PACKAGES, compiler
from .spec import ModelSpec


def _compiler(name: str, mode: str) -> Callable[[Callable], Callable]:
    """How this framework compiles a function in `mode` (forward and gradients; training steps are
    compiled by the implementation's own make_train_step)."""
    if mode == "eager":
        return lambda f: f
    declared = compiler(name)  # a plugin's own
    if declared is not None:
        return declared(mode)
    if name == "torch":
        import torch

        return torch.compile
    if name == "jax":
        import jax

        return jax.jit
    import tensorflow as tf

    # a function traces once per shape (the check's cases have many): that is the plan, not a leak
    tf.get_logger().setLevel("ERROR")
    return functools.partial(tf.function, jit_compile=(mode == "compiled"))


def full_float32_matmuls(name: str, tf32: bool = False) -> None:
    """Conformance runs float32 matrix products in float32 on a GPU: JAX and TensorFlow use TF32 (a 10-bit
    mantissa) by default on NVIDIA GPUs, and PyTorch may be told to. What TF32 changes is a measurement
    of its own (matrix.run_matrix's tf32_drift, with tf32=True for that run only), never a wider tolerance."""
    if name == "torch":
        import torch

        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    elif name == "jax":
        import jax

        jax.config.update("jax_default_matmul_precision", "tensorfloat32" if tf32 else "highest")
    elif name == "tf":
        import tensorflow as tf

        tf.config.experimental.enable_tensor_float_32_execution(tf32)


class ReferenceBackend(Backend):
    """The NumPy reference: hand-written backward, eager only; float32 runs the same code on float32 arrays."""

    def _put(self, arrays):
        if isinstance(arrays, dict):
            return {k: v.astype(self.dtype) for k, v in arrays.items()}
        return arrays.astype(self.dtype)

    def _get(self, values):
        if isinstance(values, dict):
            return {k: np.asarray(v) for k, v in values.items()}
        return float(values) if np.ndim(values) == 0 else np.asarray(values)

    def _compile(self, fn: Callable) -> Callable:
        return fn

    def _grads_deep(self, p, X_, Y_):
        act = self.spec.hidden_activation
        AL, caches = self.deep.L_model_forward(X_, p, act)
        cost = self.deep.compute_cost_from_logits(caches[-1][1], Y_)
        return self.deep.L_model_backward(AL, Y_, caches, act), cost

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

    def _model(self, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate):
        return self.logistic.model(X_train, Y_train, X_test, Y_test, num_iterations, self._lr(learning_rate))

    def _lr(self, learning_rate: float):
        return np.dtype(self.dtype).type(learning_rate)  # a float64 Python scalar would not upcast, but be explicit


# FrameworkBackend._function's programs, by framework, mode, device, activation, function and implementation
_PROGRAMS: dict[tuple, Callable] = {}


def _as_it_is(module) -> tuple:
    """What a traced function finds in `module` when it runs, by identity: each name's object, a dict's entries
    (ACTIVATIONS). A function patched in place (a test's bug) or an activation swapped in the dict
    changes it, so a program traced before is never run for code that has changed since."""
    found = []
    for name, value in vars(module).items():
        if name.startswith("__"):
            continue
        if isinstance(value, dict):
            value = tuple(value.items())
        try:
            hash(value)
        except TypeError:  # a list or the like: the module holds it, so its identity stays its own
            value = ("unhashable", id(value))
        found.append((name, value))
    return tuple(found)


class FrameworkBackend(Backend):
    """PyTorch, JAX, TensorFlow or a plugin through its package (impl_* for the built-in three); arrays
    cross the boundary in its arrays.py."""

    def __init__(self, name: str, spec: ModelSpec, mode: str, dtype: str, device: str) -> None:
        super().__init__(name, spec, mode, dtype, device)
        self.arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
        if name == "torch" and mode == "compiled":
            import torch

            # torch.compile keeps 8 versions of a function per process, then silently runs it eagerly:
            # start every compiled backend afresh so that "compiled" stays compiled.
            torch.compiler.reset()
        if device == "gpu":
            full_float32_matmuls(name)

    def _function(self, key: str, build: Callable[[], Callable]) -> Callable:
        """The compiled function `key` (forward, cost, gradients), one per process for every backend instance of
        this framework, mode, device and hidden activation while the implementation is as it was: tf.function, jax.jit
        and mx.compile keep their traced programs in the function object they return, so a second instance (the
        check makes one per case and unit) runs what the first traced instead of tracing and compiling it again.
        PyTorch's instances each start afresh (__init__), so each compiles its own."""
        if self.mode == "eager" or self.name == "torch" or key in self._compiled:
            return super()._function(key, build)
        spec = self.spec
        shared = (self.name, self.mode, self.device, spec.kind, spec.hidden_activation, key)
        shared += (_as_it_is(self.deep), _as_it_is(self.logistic))
        if shared not in _PROGRAMS:
            _PROGRAMS[shared] = self._compile(build())
        self._compiled[key] = _PROGRAMS[shared]
        return self._compiled[key]

    def _put(self, arrays):
        return self.arrays.from_numpy(arrays, self.dtype, self.device)

    def _get(self, values):
        return self.arrays.to_numpy(values)

    def _compile(self, fn: Callable) -> Callable:
        return _compiler(self.name, self.mode)(fn)

    def _grads_deep(self, p, X_, Y_):
        act = self.spec.hidden_activation
        grads_fn = self._function("grads", lambda: functools.partial(self.deep.L_model_grads, hidden_activation=act))
        return grads_fn(p, X_, Y_)

    def _optimize(self, p, X_, Y_, learning_rate, num_iterations, record_every):
        return self.logistic.optimize(
            p["w"], p["b"], X_, Y_, num_iterations, learning_rate, mode=self.mode, record_every=record_every
        )

    def _model(self, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate):
        return self.logistic.model(X_train, Y_train, X_test, Y_test, num_iterations, learning_rate, mode=self.mode)

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
