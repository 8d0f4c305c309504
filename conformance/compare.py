"""The one comparison engine: every test and `quartet check` run their backends through here.

For a case (a spec, data and initial weights), every backend computes the same quantities; each is
compared with the float64 NumPy reference (and float64 backends with each other), and each
comparison becomes one row of a tidy DataFrame:

    model, backend, mode, dtype, device, quantity, against, max_abs_err, max_rel_err,
    tolerance, margin, passed, f32_drift, tf32_drift

max_rel_err is normwise (max |x - ref| / max |ref|, see tolerances.py); margin is tolerance /
max_rel_err, how many times inside its tolerance a quantity is (inf for an exact match); f32_drift,
on float32 rows, is how far the NumPy reference itself moves when run in float32: the error that
float32 costs any implementation, next to the error this one has; tf32_drift, on float32 rows of a
framework on a GPU, is how far the same framework moves when its matrix products use TF32 (the default
of JAX and TensorFlow there): measured, never part of the tolerance, which holds TF32 off."""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .datasets import make_random_dataset
from .scales import predicted
from .spec import ModelSpec
from .tolerances import group, tolerance_from_scale, underflow_floor

STEPS = (1, 10, 100)
COLUMNS = [
    "model", "backend", "mode", "dtype", "device", "quantity", "group", "against", "max_abs_err", "max_rel_err",
    "tolerance", "margin", "in_dtype", "passed", "f32_drift", "tf32_drift",
]  # fmt: skip


@dataclass
class Case:
    """One spec with its data and initial weights (float64 NumPy), shared by every backend."""

    spec: ModelSpec
    X: np.ndarray  # (n_x, m)
    Y: np.ndarray  # (1, m)
    params: dict[str, np.ndarray]
    learning_rate: float = 0.05
    name: str = ""  # the regime, where the case is one (conformance/regimes.py)
    per_sample: bool = False  # also each sample's loss and gradients on its own (measure())

    @property
    def m(self) -> int:
        return self.X.shape[1]

    @property
    def label(self) -> str:
        """The "model" column of its rows: the spec, and the regime's name."""
        return f"{self.spec.label} {self.name}" if self.name else self.spec.label


def make_case(spec: ModelSpec, m: int = 32, seed: int = 0, learning_rate: float = 0.05, kink: bool = True) -> Case:
    """Random data from a linear teacher and seeded weights. With `kink`, sample 0 is all zeros, so with
    the zero initial biases every Z[l] of that column is exactly 0: ReLU's kink, in every layer."""
    X, Y = make_random_dataset(spec.n_x, m, seed=seed)
    if kink:
        X[:, 0] = 0.0
    scheme = "he" if spec.hidden_activation in ("relu", "leaky_relu") else "xavier"
    params = spec.init_params(seed=None, scheme=scheme, rng=np.random.default_rng(seed + 1))
    return Case(spec, X, Y, params, learning_rate)


def default_cases(depths: Iterable[int] = (1, 2, 3, 4, 5), activations: Iterable[str] | None = None) -> list[Case]:
    """Logistic regression, and the deep net at each depth with each hidden activation."""
    from reference_numpy.activations import HIDDEN_ACTIVATIONS

    widths = [7, 6, 5, 4, 3, 3]
    cases = [make_case(ModelSpec("logistic", (8, 1)))]
    for activation in activations or HIDDEN_ACTIVATIONS:
        for depth in depths:
            dims = (8, *widths[: depth - 1], 1)
            cases.append(make_case(ModelSpec("deep", dims, activation), seed=depth))
    return cases


def flatten(params: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(params[k]) for k in sorted(params)])


def measure(backend, case: Case, steps: Iterable[int] = STEPS) -> dict[str, np.ndarray]:
    """Every compared quantity, as float64 NumPy arrays: Z[l], A[l], AL, cost, the gradients, and the
    parameters and costs after each number of steps; for logistic regression also the last iteration's
    grads that the course's optimize returns (grads@N) and the course's model() (model@N, accuracy@N);
    for a per-sample case each sample's loss and gradients on its own (losses, sample_grads)."""
    out = dict(backend.forward(case.params, case.X))
    out["cost"] = np.array(backend.cost(case.params, case.X, case.Y))
    out["course_cost"] = np.array(backend.course_cost(case.params, case.X, case.Y))  # inf once AL rounds to 0 or 1
    out["predictions"] = backend.predict(case.params, case.X)
    out.update(backend.grads(case.params, case.X, case.Y))
    if case.per_sample:  # each sample alone: a tiny loss or gradient is judged against its own size
        columns = [(case.X[:, [j]], case.Y[:, [j]]) for j in range(case.m)]
        out["losses"] = np.array([[backend.cost(case.params, X, Y) for X, Y in columns]])  # (1, m)
        out["sample_grads"] = np.stack([flatten(backend.grads(case.params, X, Y)) for X, Y in columns])  # (m, P)
    logistic = case.spec.kind == "logistic"
    params, costs, done = case.params, [], 0
    for n in sorted(steps):  # continue from the last stop: N = 1, 10, 100 cost 100 steps, not 111
        if logistic:
            params, last, more = backend.optimize(params, case.X, case.Y, case.learning_rate, n - done, 1)
            if last:  # no grads at all: the row of a missing quantity fails
                out[f"grads@{n}"] = flatten(last)
        else:
            params, more = backend.train(params, case.X, case.Y, case.learning_rate, n - done, record_every=1)
        costs, done = costs + more, n
        out[f"params@{n}"] = flatten(params)
        out[f"cost@{n}"] = np.array(costs)
    if logistic:  # the course's model(): from zeros, on the case's data; the test set is the same X, labels flipped
        n = max(steps)
        result = backend.model(case.X, case.Y, case.X, 1 - case.Y, n, case.learning_rate)
        out[f"model@{n}"] = flatten({"w": result["w"], "b": result["b"]})
        out[f"accuracy@{n}"] = np.array([result["train_accuracy"], result["test_accuracy"]])
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


KINKED = ("relu", "leaky_relu")


def kink_margin(case: Case, steps: int = 0) -> float:
    """How far the pre-activations stay from ReLU's kink, in units of their layer's scale: the smallest
    |Z[l]| / max(|W[l]| |A[l-1]| + |b[l]|) over every hidden Z[l] entry that is not exactly 0, at the
    initial weights and after each of `steps` steps of the float64 reference (inf without a kink).

    Where this is below the forward tolerance, rounding alone can put a unit on either side of the kink:
    its derivative jumps from 1 to 0 (0.01 for leaky ReLU), and float32 and float64, or two float32
    backends, legitimately take different branches. No tolerance can hold there; exact zeros are fine,
    every backend computes them exactly."""
    if case.spec.kind == "logistic" or case.spec.hidden_activation not in KINKED or case.spec.L == 1:
        return float("inf")
    from reference_numpy.deep import L_model_forward, train_step

    params = {k: v.astype(np.float64) for k, v in case.params.items()}
    smallest = float("inf")
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps + 1):
            _, caches = L_model_forward(case.X, params, case.spec.hidden_activation)
            for (A_prev, W, b), Z in caches[:-1]:  # the hidden layers
                scale = float(np.max(np.abs(W) @ np.abs(A_prev) + np.abs(b)))
                nonzero = np.abs(Z[Z != 0])
                if nonzero.size and scale > 0:
                    smallest = min(smallest, float(nonzero.min()) / scale)
            if step < steps:
                params, _ = train_step(params, case.X, case.Y, case.learning_rate, case.spec.hidden_activation)
    return smallest


def errors(x: np.ndarray, ref: np.ndarray, magnitude: float = 0.0) -> tuple[float, float]:
    """(max |x - ref|, normwise relative error: max |x - ref| / max(max |ref|, magnitude)); a shape
    mismatch is an error of its own. `magnitude` is a floor: the dtype's smallest normal number."""
    if x.shape != ref.shape:
        raise AssertionError(f"shape {x.shape} where the reference has {ref.shape}")
    max_abs = float(np.max(np.abs(x - ref))) if x.size else 0.0
    scale = max(float(np.max(np.abs(ref))) if ref.size else 0.0, magnitude)
    if max_abs == 0:
        return 0.0, 0.0
    return max_abs, (max_abs / scale if scale > 0 else float("inf"))


def _rounds_to_0_or_1(got: dict[str, np.ndarray]) -> bool:
    return "AL" in got and bool(np.any((got["AL"] == 0) | (got["AL"] == 1)))


def compare(
    got: dict[str, np.ndarray],
    ref: dict[str, np.ndarray],
    case: Case,
    labels: dict,
    against: str,
    drift: dict[str, float] | None = None,
    only: Iterable[str] | None = None,
    tf32: dict[str, float] | None = None,
) -> list[dict]:
    """One row per quantity of `ref` (or of `only`); a quantity missing from `got` fails, so does one that
    `got` has and the reference lacks (a reference that lost a result), and so does a float32 row whose
    numbers are not float32 numbers (it computed in another precision)."""
    sigma = predicted(case.spec, case.params, case.X, case.Y, ref, case.learning_rate)
    dtype = labels["dtype"]
    floor = underflow_floor(dtype)
    rows = []
    for quantity, ref_value in ref.items():
        if (only is not None and quantity not in only) or not np.all(np.isfinite(ref_value)):
            continue  # the course's cost is inf once AL rounds to 0 or 1: where it is, the stable cost speaks
        if quantity == "course_cost" and _rounds_to_0_or_1(got) and not np.all(np.isfinite(got[quantity])):
            continue  # the same in the row's dtype: float32's AL is 0 or 1 far sooner than float64's
        in_dtype = quantity in got and _in_dtype(quantity, got[quantity], dtype)
        if quantity not in got:
            max_abs = max_rel = float("inf")
            rtol = tolerance_from_scale(quantity, dtype, float(np.max(sigma[quantity])), 0.0).rtol
        else:
            max_abs, max_rel, rtol = _worst(quantity, got[quantity], ref_value, sigma[quantity], dtype, floor)
        rows.append({
            "model": case.label, **labels, "quantity": quantity, "group": group(quantity),
            "against": against, "max_abs_err": max_abs, "max_rel_err": max_rel, "tolerance": rtol,
            "margin": rtol / max_rel if max_rel > 0 else float("inf"), "in_dtype": in_dtype,
            "passed": bool(max_rel <= rtol and in_dtype), "f32_drift": (drift or {}).get(quantity, float("nan")),
            "tf32_drift": (tf32 or {}).get(quantity, float("nan")),
        })  # fmt: skip
    for quantity in [q for q in got if q not in ref and (only is None or q in only)]:  # the reference lacks it
        rows.append({
            "model": case.label, **labels, "quantity": quantity, "group": group(quantity), "against": against,
            "max_abs_err": float("inf"), "max_rel_err": float("inf"), "tolerance": 0.0, "margin": 0.0,
            "in_dtype": True, "passed": False, "f32_drift": float("nan"), "tf32_drift": float("nan"),
        })  # fmt: skip
    return rows


def _in_dtype(quantity: str, x: np.ndarray, dtype: str) -> bool:
    """Whether x holds numbers of `dtype`; an accuracy is a count over m, a Python float in every dtype."""
    return quantity.startswith("accuracy@") or bool(np.all(x.astype(dtype).astype(np.float64) == x))


PER_SAMPLE = ("losses", "sample_grads")  # judged sample by sample: each against its own size


def _worst(quantity: str, x: np.ndarray, ref: np.ndarray, sigma: np.ndarray, dtype: str, floor: float):
    """(max_abs_err, max_rel_err, tolerance) of a quantity: normwise over the whole array, or for the
    per-sample ones normwise within each sample, reported for the sample nearest its tolerance. Errors are
    relative to the scale of the computation where that is larger than the result (a cancelled sum)."""
    if quantity not in PER_SAMPLE:
        scale = float(np.max(sigma))
        max_abs, max_rel = errors(x, ref, max(scale, floor))
        return max_abs, max_rel, tolerance_from_scale(quantity, dtype, scale, float(np.max(np.abs(ref)))).rtol
    if x.shape != ref.shape:
        raise AssertionError(f"{quantity}: shape {x.shape} where the reference has {ref.shape}")
    rows = [(x.T, ref.T, sigma.T) if quantity == "losses" else (x, ref, sigma)][0]  # one row per sample
    worst = (0.0, 0.0, float("inf"), float("inf"))  # (max_abs, max_rel, tolerance, margin)
    for xj, rj, sj in zip(*rows, strict=True):
        scale = float(np.max(sj))
        max_abs, max_rel = errors(xj, rj, max(scale, floor))
        rtol = tolerance_from_scale(quantity, dtype, scale, float(np.max(np.abs(rj)))).rtol
        margin = rtol / max_rel if max_rel > 0 else float("inf")
        if margin < worst[3] or (worst[3] == float("inf") and rtol < worst[2]):
            worst = (max_abs, max_rel, rtol, margin)
    return worst[:3]


def column(quantity: str) -> str:
    """The summary column of a quantity: forward, cost, grads, or train@N."""
    g = group(quantity)
    return f"train@{quantity.split('@')[1]}" if g == "trajectory" else g


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (backend, mode, dtype, device) against the reference, one column per quantity
    group: the worst max_rel_err and the smallest margin over every case and quantity in it."""
    ref_rows = frame[frame["against"] == "numpy/float64"].assign(column=lambda f: f["quantity"].map(column))
    keys = ["backend", "mode", "dtype", "device", "column"]
    table = ref_rows.groupby(keys, sort=False).agg(
        max_rel_err=("max_rel_err", "max"), margin=("margin", "min"), passed=("passed", "all"),
        f32_drift=("f32_drift", "max"), tf32_drift=("tf32_drift", "max"),
    )  # fmt: skip
    return table.reset_index()
