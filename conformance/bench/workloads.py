"""What is timed: the workloads (a model, a batch size m, a learning rate), each one's seeded data and
weights, the float64 reference's first step from them, and the check that holds every timed row to
that step: no row is fast because it computes something else."""

import importlib
from dataclasses import dataclass, field

import numpy as np

from reference_numpy import deep, logistic
from reference_numpy.deep import L_model_backward, L_model_forward

from ..check.judge import errors
from ..check.measure import flatten
from ..check.scales import predicted
from ..check.tolerances import SCALED_SAFETY, UNIT_ROUNDOFF, tolerance_from_scale, underflow_floor
from ..core.backends import PACKAGES
from ..core.datasets import make_random_dataset
from ..core.spec import ModelSpec
from .row import Row


@dataclass(frozen=True)
class Workload:
    name: str
    spec: ModelSpec
    m: int
    learning_rate: float
    family: str = ""  # the main workloads have none; sweeps are "m" or "width"

    def row(self, backend: str, mode: str, dtype: str, device: str = "cpu", **values) -> Row:
        """A benchmark row of this workload, as every row starts: what it is (workload, family, backend, mode,
        dtype, device, m) and any `values` known already; the measurements are added as they are taken."""
        return Row(self.name, self.family, backend, mode, dtype, device=device, m=self.m, **values)


def main_workloads() -> list[Workload]:
    """The four of the design: the course's two cat models, the planar net and a wide net."""
    return [
        Workload("course_logistic", ModelSpec("logistic", (12288, 1)), 209, 0.005),
        Workload("course_deep", ModelSpec("deep", (12288, 20, 7, 5, 1), "relu"), 209, 0.0075),
        Workload("planar", ModelSpec("deep", (2, 4, 1), "tanh"), 400, 1.2),
        Workload("wide", ModelSpec("deep", (1024, 1024, 1024, 1), "relu"), 4096, 0.01),
    ]


def sweep_workloads() -> list[Workload]:
    """Step time against m (the course's deep net) and against width ([w, w, w, 1] x 1024)."""
    by_m = [
        Workload(f"deep_m{m}", ModelSpec("deep", (12288, 20, 7, 5, 1), "relu"), m, 0.0075, "m")
        for m in (64, 256, 1024, 4096, 16384)
    ]
    by_width = [
        Workload(f"width{w}", ModelSpec("deep", (w, w, w, 1), "relu"), 1024, 0.01, "width")
        for w in (64, 128, 256, 512, 1024, 2048)
    ]
    return by_m + by_width


def gpu_workloads() -> list[Workload]:
    """Workloads that fill a GPU: the wide net at m = 65536, and width up to 8192 at m = 4096."""
    wide = [Workload("wide_m65536", ModelSpec("deep", (1024, 1024, 1024, 1), "relu"), 65536, 0.01, "gpu")]
    return wide + [
        Workload(f"gpu_width{w}", ModelSpec("deep", (w, w, w, 1), "relu"), 4096, 0.01, "width")
        for w in (1024, 2048, 4096, 8192)
    ]


@dataclass
class Problem:
    """A workload's data and initial weights (float64 NumPy), and the reference's first step from them."""

    workload: Workload
    params: dict[str, np.ndarray]
    X: np.ndarray  # (n_x, m)
    Y: np.ndarray  # (1, m)
    cost0: float  # the cost before the first update
    params1: dict[str, np.ndarray]  # the parameters after it
    inputs: dict = field(default_factory=dict, repr=False)  # (backend, dtype, device) -> (X, Y) there: inputs()


_PROBLEMS: dict[Workload, Problem] = {}  # by the whole workload: two of one name are two problems


def problem(workload: Workload) -> Problem:
    """Seeded data and He/Xavier weights for the workload, with the float64 reference's first step (cached)."""
    if workload not in _PROBLEMS:
        spec = workload.spec
        X, Y = make_random_dataset(spec.n_x, workload.m, seed=0)
        scheme = "he" if spec.hidden_activation in ("relu", "leaky_relu") else "xavier"
        params = spec.init_params(seed=1, scheme=scheme)
        if spec.kind == "logistic":
            w, b, cost0 = logistic.train_step(params["w"], params["b"], X, Y, workload.learning_rate)
            params1 = {"w": w, "b": b}
        else:
            params1, cost0 = deep.train_step(params, X, Y, workload.learning_rate, spec.hidden_activation)
        _PROBLEMS[workload] = Problem(workload, params, X, Y, cost0, params1)
    return _PROBLEMS[workload]


def inputs(prob: Problem, name: str, dtype: str, device: str) -> tuple:
    """The workload's X and Y as `name`'s arrays in `dtype` on `device`, one copy for every row of that backend,
    dtype and device (a step only reads them). With a copy per row, a full run's deep_m16384 (X 12288 x 16384)
    held 20 GB in one process and was killed on a machine of 24."""
    key = (name, dtype, device)
    if key not in prob.inputs:
        if name == "numpy":
            prob.inputs[key] = (prob.X.astype(dtype, copy=False), prob.Y.astype(dtype, copy=False))
        else:
            arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
            prob.inputs[key] = (arrays.from_numpy(prob.X, dtype, device), arrays.from_numpy(prob.Y, dtype, device))
    return prob.inputs[key]


def forget(workload: Workload) -> None:
    """Drop what problem() and the checks keep of a workload once its rows are timed: its data, each library's
    copy of it and the reference's steps, which a run's later workloads do not need."""
    _PROBLEMS.pop(workload, None)
    for cache in (_AFTER, _PASSES):
        for key in [k for k in cache if k[0] == workload]:
            del cache[key]


def reference_after(prob: Problem, steps: int) -> tuple[float, dict[str, np.ndarray]]:
    """(the cost before the first update, the parameters after `steps` updates) of the float64 reference."""
    key = (prob.workload, steps)
    if key not in _AFTER:
        spec, lr, params = prob.workload.spec, prob.workload.learning_rate, prob.params
        for _ in range(steps):
            if spec.kind == "logistic":
                w, b, _cost = logistic.train_step(params["w"], params["b"], prob.X, prob.Y, lr)
                params = {"w": w, "b": b}
            else:
                params, _cost = deep.train_step(params, prob.X, prob.Y, lr, spec.hidden_activation)
        _AFTER[key] = (prob.cost0, params)
    return _AFTER[key]


_AFTER: dict[tuple[Workload, int], tuple[float, dict[str, np.ndarray]]] = {}
_PASSES: dict[tuple[Workload, int], tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}


def _reference_pass(prob: Problem, steps: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(ref, sigma), cached: the reference's forward and backward pass at the initial weights under the engine's
    names, with the parameters after `steps` updates, and the predicted rounding error of each
    (conformance/check/scales.py). _scales and kink_allowance both read it: on the wide net one pass and its
    prediction take seconds."""
    key = (prob.workload, steps)
    if key not in _PASSES:
        spec = prob.workload.spec
        logistic = spec.kind == "logistic"
        p = {"W1": prob.params["w"].T, "b1": prob.params["b"]} if logistic else prob.params
        AL, caches = L_model_forward(prob.X, p, spec.hidden_activation)
        grads = L_model_backward(AL, prob.Y, caches, spec.hidden_activation, need_dA0=False)
        ref = {f"Z{l}": Z for l, (_, Z) in enumerate(caches, start=1)}
        ref.update({f"A{l}": caches[l][0][0] for l in range(1, len(caches))})
        ref.update(AL=AL, cost=np.array(prob.cost0))
        if logistic:
            ref.update(dw=grads["dW1"].T, db=grads["db1"])
        else:
            ref.update({k: v for k, v in grads.items() if not k.startswith("dA")})
        ref[f"params@{steps}"] = flatten(reference_after(prob, steps)[1])
        _PASSES[key] = ref, predicted(spec, prob.params, prob.X, prob.Y, ref, prob.workload.learning_rate)
    return _PASSES[key]


def _scales(prob: Problem, steps: int) -> dict[str, np.ndarray]:
    """The predicted rounding error (conformance/check/scales.py) of the first cost and of the parameters after
    `steps` updates, from the reference's forward and backward pass at the initial weights."""
    sigma = _reference_pass(prob, steps)[1]
    return {"cost": sigma["cost"], "update": sigma[f"params@{steps}"]}


_KINKS: dict[tuple[Workload, str], np.ndarray] = {}


def kink_allowance(prob: Problem, dtype: str) -> np.ndarray:
    """How far one step may legitimately move each parameter (flattened as compare.flatten) beyond rounding:
    a ReLU pre-activation within C u of its rounding scale from 0 may land on either side of the kink in
    `dtype`, and its derivative jumps by 1 (0.99 for leaky ReLU). Each such entry changes dZ by its dA;
    that change is carried back through the layers below (absolute values, first order) into dW and db,
    and times the learning rate into the step. Zero for smooth activations and logistic regression."""
    key = (prob.workload, dtype)
    if key not in _KINKS:
        spec, m = prob.workload.spec, prob.workload.m
        zero = {k: np.zeros_like(v) for k, v in prob.params.items()}
        if spec.kind == "logistic" or spec.hidden_activation not in ("relu", "leaky_relu"):
            _KINKS[key] = flatten(zero)
            return _KINKS[key]
        act, L = spec.hidden_activation, spec.L
        ref, sigma = _reference_pass(prob, 1)  # the first-step rows' pass: one step's allowance
        AL = ref["AL"]
        reach = SCALED_SAFETY["forward"] * UNIT_ROUNDOFF[dtype]
        jump = 1.0 if act == "relu" else 1.0 - 0.01
        allowed = dict(zero)
        dZ_next, flip_next = AL - prob.Y, np.zeros_like(prob.Y)  # dZ[l + 1], and its change from flips above
        for l in range(L - 1, 0, -1):
            Z, W_next = ref[f"Z{l}"], prob.params[f"W{l + 1}"]
            dA = W_next.T @ dZ_next  # (n[l], m)
            gp = np.where(Z > 0, 1.0, 0.0 if act == "relu" else 0.01)
            near = (np.abs(Z) <= reach * sigma[f"Z{l}"]) & (Z != 0)  # exact zeros are computed exactly everywhere
            flip = np.where(near, jump * np.abs(dA), 0.0) + gp * (np.abs(W_next).T @ flip_next)  # (n[l], m)
            A_prev = prob.X if l == 1 else ref[f"A{l - 1}"]
            allowed[f"W{l}"] = sum(flip[:, k] @ np.abs(A_prev[:, k]).T for k in _column_blocks(A_prev)) / m
            allowed[f"b{l}"] = flip.sum(axis=1, keepdims=True) / m
            dZ_next, flip_next = dA * gp, flip
        _KINKS[key] = prob.workload.learning_rate * flatten(allowed)
    return _KINKS[key]


def _column_blocks(A: np.ndarray) -> list[slice]:
    """A's columns in blocks of at most 2**25 entries, so |A| is never made whole (X at m = 65536: 6.4 GB)."""
    width = max(1, (1 << 25) // max(A.shape[0], 1))
    return [slice(j, j + width) for j in range(0, A.shape[1], width)]


def check_first_step(
    prob: Problem,
    dtype: str,
    cost0: float,
    params: dict[str, np.ndarray],
    steps: int = 1,
) -> tuple[bool, float, float]:
    """(passed, error, tolerance) of a timed row: the cost before its first update against the float64
    reference's, and how far `steps` updates moved the parameters (params - params0) against how far the
    reference's moved them, each normwise within C u times its predicted rounding error, the conformance
    check's tolerance (conformance/check/tolerances.py), beyond what a ReLU kink flip can explain
    (kink_allowance). A step that leaves the weights alone, goes uphill or lacks the backward pass misses
    by the whole update."""
    sigma = _scales(prob, steps)
    start = flatten(prob.params)
    moved = flatten({k: np.asarray(v, np.float64) for k, v in params.items()}) - start
    expected = flatten(reference_after(prob, steps)[1]) - start
    # a difference a kink flip explains is excused up to the flip's size (each of `steps` steps may flip)
    excused = steps * kink_allowance(prob, dtype)
    moved = expected + np.sign(moved - expected) * np.maximum(np.abs(moved - expected) - excused, 0.0)
    judged = []  # (error / tolerance, error, tolerance)
    for quantity, got, ref in (
        ("cost", np.array(float(cost0)), np.array(prob.cost0)),
        (f"params@{steps}", moved, expected),
    ):
        scale = float(np.max(sigma["cost" if quantity == "cost" else "update"]))
        error = errors(got, ref, max(scale, underflow_floor(dtype)))[1]
        tol = tolerance_from_scale(quantity, dtype, scale, float(np.max(np.abs(ref)))).rtol
        judged.append((error / tol, error, tol))
    ratio, error, tol = max(judged)
    return bool(ratio <= 1), error, tol
