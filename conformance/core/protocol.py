"""What the protocol promises, whatever the framework: the four calls of conformance/core/backends.py take and
return NumPy, never mutate the caller's arrays, validate their inputs once (conformance/core/validation.py),
name a result that is not finite, and train in segments that stop when training diverges. How each
framework is called (conversions, compilation, its backward) is in conformance/core/frameworks.py."""

import functools
import importlib
from collections.abc import Callable

import numpy as np

from reference_numpy.inputs import check_training

from .errors import TrainingDiverged
from .registry import PACKAGES
from .spec import ModelSpec
from .validation import SEGMENT, check_divergence, check_finite, check_range, validate_inputs


def _quiet_numpy(method: Callable) -> Callable:
    """NumPy's own overflow warnings stay quiet inside the protocol: an Inf or NaN in a result is reported
    once, as NonFiniteError naming the quantity, the same way for every backend."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return method(*args, **kwargs)

    return wrapper


class Backend:
    """One framework in one mode, dtype and device, behind the protocol: NumPy in and out, inputs checked
    once, results that left the dtype's range named, training in segments that stop when it diverges.
    Subclasses say how their framework is called."""

    def __init__(self, name: str, spec: ModelSpec, mode: str, dtype: str, device: str) -> None:
        self.name, self.spec, self.mode, self.dtype, self.device = name, spec, mode, dtype, device
        self.package = package = PACKAGES[name]  # where an exception from the backend's own code comes from
        self.deep = importlib.import_module(f"{package}.deep")
        self.logistic = importlib.import_module(f"{package}.logistic")
        self._compiled: dict[str, Callable] = {}

    def __repr__(self) -> str:
        return f"<{self.name} {self.mode} {self.dtype} {self.device} {self.spec.label}>"

    # how the framework is called: conformance/core/frameworks.py
    def _put(self, arrays):
        """NumPy in: arrays (or a dict of them) as the framework's, in this dtype and on this device."""
        raise NotImplementedError

    def _get(self, values):
        """NumPy out: the framework's arrays (or a dict of them) as NumPy; a scalar as a float."""
        raise NotImplementedError

    def _compile(self, fn: Callable) -> Callable:
        """fn as this mode runs it: itself when eager, else the framework's compiler applied to it."""
        raise NotImplementedError

    def _grads_deep(self, p, X_, Y_):
        """(grads, cost) of the L-layer network: by hand in the reference, by autodiff elsewhere."""
        raise NotImplementedError

    def _optimize(self, p, X_, Y_, learning_rate, num_iterations, record_every):
        raise NotImplementedError

    def _L_layer_model(self, p, X_, Y_, learning_rate, num_iterations, record_every):
        raise NotImplementedError

    def _model(self, X_train, Y_train, X_test, Y_test, num_iterations, learning_rate) -> dict:
        raise NotImplementedError

    def _function(self, key: str, build: Callable[[], Callable]) -> Callable:
        if key not in self._compiled:
            self._compiled[key] = self._compile(build())
        return self._compiled[key]

    def _deep_params(self, params: dict) -> dict:
        """Logistic regression is the one-layer network with W1 = w^T."""
        return {"W1": params["w"].T.copy(), "b1": params["b"]} if self.spec.kind == "logistic" else params

    def _validate(self, params: dict, X: np.ndarray, Y: np.ndarray | None = None) -> None:
        validate_inputs(self.spec, params, X, Y)
        if self.dtype != "float64":
            for key, value in [("X", X), *((f"params[{k!r}]", v) for k, v in params.items())]:
                check_range(key, value, self.dtype)

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
    def course_cost(self, params: dict, X: np.ndarray, Y: np.ndarray) -> float:
        """The course's own formula, compute_cost(AL, Y), on the implementation's forward pass. It is inf or
        nan once AL rounds to 0 or 1 (cost() is the stable one) and is returned as it is."""
        self._validate(params, X, Y)
        AL, _ = self.deep.L_model_forward(
            self._put(X), self._put(self._deep_params(params)), self.spec.hidden_activation
        )
        return float(np.asarray(self._get(self.deep.compute_cost(AL, self._put(Y)))))

    @_quiet_numpy
    def predict(self, params: dict, X: np.ndarray) -> np.ndarray:
        """The implementation's predict: 1.0 where AL > 0.5, else 0.0, (1, m)."""
        self._validate(params, X)
        p, X_ = self._put(params), self._put(X)
        if self.spec.kind == "logistic":
            return np.asarray(self._get(self.logistic.predict(p["w"], p["b"], X_)))
        return np.asarray(self._get(self.deep.predict(X_, p, self.spec.hidden_activation)))

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
        final, _, costs = self._train(params, X, Y, learning_rate, num_iterations, record_every)
        return final, costs

    @_quiet_numpy
    def optimize(
        self,
        params: dict,
        X: np.ndarray,
        Y: np.ndarray,
        learning_rate: float,
        num_iterations: int,
        record_every: int = 100,
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[float]]:
        """Logistic regression's training as the course's optimize returns it: (params, the grads of the last
        iteration, the costs), in segments as train()."""
        if self.spec.kind != "logistic":
            raise ValueError(f"optimize is logistic regression's; this backend runs {self.spec.label}")
        return self._train(params, X, Y, learning_rate, num_iterations, record_every)

    @_quiet_numpy
    def model(
        self,
        X_train: np.ndarray,
        Y_train: np.ndarray,
        X_test: np.ndarray,
        Y_test: np.ndarray,
        num_iterations: int,
        learning_rate: float,
    ) -> dict:
        """The course's model() of logistic regression: zeros, optimize, predictions and accuracies on both
        sets; its arrays as NumPy, the accuracies as floats."""
        if self.spec.kind != "logistic":
            raise ValueError(f"model is logistic regression's; this backend runs {self.spec.label}")
        zeros = {"w": np.zeros((X_train.shape[0], 1)), "b": np.zeros((1, 1))}
        self._validate(zeros, X_train, Y_train)
        self._validate(zeros, X_test, Y_test)
        check_training(learning_rate, num_iterations, 100)
        arrays = [self._put(a) for a in (X_train, Y_train, X_test, Y_test)]
        result = self._model(*arrays, num_iterations, float(learning_rate))
        out = {k: result[k] for k in ("train_accuracy", "test_accuracy")}
        out.update(self._get({k: result[k] for k in ("w", "b", "Y_prediction_train", "Y_prediction_test")}))
        return out

    def _train(self, params, X, Y, learning_rate, num_iterations, record_every):
        """(params, the last iteration's grads (logistic regression; {} for the deep net), costs)."""
        self._validate(params, X, Y)
        check_training(learning_rate, num_iterations, record_every)
        p, X_, Y_ = self._put(params), self._put(X), self._put(Y)
        costs: list[float] = []
        grads: dict = {}
        segment = record_every * -(-SEGMENT // record_every)
        for start in range(0, num_iterations, segment):
            n = min(segment, num_iterations - start)
            if self.spec.kind == "logistic":
                p, grads, recorded = self._optimize(p, X_, Y_, float(learning_rate), n, record_every)
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
            raise TrainingDiverged(
                f"training diverged after iteration {last}: {bad} hold Inf or NaN at the end; "
                f"learning_rate {learning_rate:g} is too large for this problem, try a smaller "
                f"one (e.g. {learning_rate / 10:g})",
                last,
                float("nan"),
            )
        return final, self._get(grads), costs
