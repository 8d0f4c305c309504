"""Where a row of the check is judged: each quantity a backend computed (measure.py) against the float64
NumPy reference (or, for float64 backends, against each other), one row of a tidy DataFrame per quantity:

    model, backend, mode, dtype, device, quantity, group, against, max_abs_err, max_rel_err, tolerance,
    margin, in_dtype, passed, f32_drift, tf32_drift

max_rel_err is normwise (max |x - ref| / max |ref|, see tolerances.py); margin is tolerance / max_rel_err,
how many times inside its tolerance a quantity is (inf for an exact match); in_dtype says whether a float32
row's numbers are float32 numbers; f32_drift, on float32 rows, is how far the NumPy reference itself moves
when run in float32: the error that float32 costs any implementation; tf32_drift, on float32 rows of a
framework on a GPU, is how far the same framework moves when its matrix products use TF32: measured, never
part of the tolerance, which holds TF32 off."""

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .cases import Case
from .scales import predicted
from .tolerances import group, tolerance_from_scale, underflow_floor

COLUMNS = [
    "model",
    "backend",
    "mode",
    "dtype",
    "device",
    "quantity",
    "group",
    "against",
    "max_abs_err",
    "max_rel_err",
    "tolerance",
    "margin",
    "in_dtype",
    "passed",
    "f32_drift",
    "tf32_drift",
]


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


_SCALES: dict[tuple[int, int], tuple[Case, dict, dict]] = {}  # (case, reference) -> the predicted scales


def _predicted(case: Case, ref: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """scales.predicted of a case and its reference, computed once for every target compared with them (the
    matrix measures a case's reference once per process: conformance/check/matrix.py)."""
    key = (id(case), id(ref))
    if key not in _SCALES or _SCALES[key][0] is not case or _SCALES[key][1] is not ref:  # both kept: ids not reused
        if len(_SCALES) >= 32:  # a case's targets come one after another: a few cases suffice
            _SCALES.clear()
        _SCALES[key] = (case, ref, predicted(case.spec, case.params, case.X, case.Y, ref, case.learning_rate))
    return _SCALES[key][2]


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
    sigma = _predicted(case, ref)
    dtype = labels["dtype"]
    floor = underflow_floor(dtype)
    rows = []
    for quantity, ref_value in ref.items():
        if (only is not None and quantity not in only) or not np.all(np.isfinite(ref_value)):
            continue  # the course's cost is inf once AL rounds to 0 or 1: where it is, the stable cost speaks
        if quantity == "course_cost" and _rounds_to_0_or_1(got) and not np.all(np.isfinite(got[quantity])):
            continue  # the same in the row's dtype: float32's AL is 0 or 1 far sooner than float64's
        in_dtype = quantity in got and _in_dtype(quantity, got[quantity], dtype)
        if quantity not in got or np.shape(got[quantity]) != np.shape(ref_value):  # missing, or a wrong shape
            max_abs = max_rel = float("inf")
            rtol = tolerance_from_scale(quantity, dtype, float(np.max(sigma[quantity])), 0.0).rtol
        elif quantity == "predictions":  # labels: each that differs where rounding cannot move it fails
            max_abs, max_rel, rtol = _labels(got[quantity], ref_value, sigma[quantity], dtype)
        else:
            max_abs, max_rel, rtol = _worst(quantity, got[quantity], ref_value, sigma[quantity], dtype, floor)
        drifts = ((drift or {}).get(quantity, float("nan")), (tf32 or {}).get(quantity, float("nan")))
        rows.append(_row(case, labels, quantity, against, (max_abs, max_rel, rtol), in_dtype, drifts))
    for quantity in [q for q in got if q not in ref and (only is None or q in only)]:  # the reference lacks it
        rows.append(_row(case, labels, quantity, against, (float("inf"), float("inf"), 0.0), True))
    return rows


def _row(case: Case, labels: dict, quantity: str, against: str, errors: tuple, in_dtype: bool, drifts=None) -> dict:
    """One row of compare: errors is (max_abs_err, max_rel_err, tolerance); drifts (f32_drift, tf32_drift)."""
    max_abs, max_rel, rtol = errors
    f32, tf32 = drifts or (float("nan"), float("nan"))
    return {
        "model": case.label,
        **labels,
        "quantity": quantity,
        "group": group(quantity),
        "against": against,
        "max_abs_err": max_abs,
        "max_rel_err": max_rel,
        "tolerance": rtol,
        "margin": rtol / max_rel if max_rel > 0 else float("inf"),
        "in_dtype": in_dtype,
        "passed": bool(max_rel <= rtol and in_dtype),
        "f32_drift": f32,
        "tf32_drift": tf32,
    }


def _in_dtype(quantity: str, x: np.ndarray, dtype: str) -> bool:
    """Whether x holds numbers of `dtype` (a NaN is one of every dtype: the error says what is wrong with it);
    an accuracy is a count over m, a Python float in every dtype."""
    return quantity.startswith("accuracy@") or bool(np.all((x.astype(dtype).astype(np.float64) == x) | np.isnan(x)))


def _labels(x: np.ndarray, ref: np.ndarray, sigma: np.ndarray, dtype: str) -> tuple[float, float, float]:
    """(labels that differ where rounding cannot explain it, their share of all labels, 0): predictions are
    labels, never a relative error. A label may flip only where the predicted rounding of Z[L] reaches 0."""
    allowed = tolerance_from_scale("predictions", dtype, 1.0, 1.0).rtol * sigma >= 1  # rounding reaches 0.5
    wrong = int(np.sum((x != ref) & ~allowed))
    return float(wrong), wrong / max(x.size, 1), 0.0


def label_difference(x: np.ndarray, ref: np.ndarray) -> str:
    """ "3 of 37 labels differ (first at column 5: 1 where the reference has 0)"."""
    differ = np.flatnonzero(np.ravel(x) != np.ravel(ref))
    if not differ.size:
        return f"every one of {ref.size} labels agrees"
    j = int(differ[0])
    return (
        f"{differ.size} of {ref.size} labels differ (first at column {j}: {np.ravel(x)[j]:g} where the "
        f"reference has {np.ravel(ref)[j]:g})"
    )


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
        max_rel_err=("max_rel_err", "max"),
        margin=("margin", "min"),
        passed=("passed", "all"),
        f32_drift=("f32_drift", "max"),
        tf32_drift=("tf32_drift", "max"),
    )
    return table.reset_index()
