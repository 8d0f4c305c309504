"""How close is "equal": the tolerance for every compared quantity, with its reasoning.

Errors are normwise: max |x - ref| / max |ref| over the whole array (the max-abs error relative to
the array's scale). Elementwise relative errors are meaningless where the reference is near 0
(ReLU outputs, small gradient entries), and floating-point error analysis bounds exactly this
normwise quantity.

The conformance check (judge.compare) holds each quantity to

    max |x - ref|  <=  C u sigma,        tolerance_from_scale

where u is the unit roundoff of the row's dtype and sigma the rounding error a correct implementation
carries on this very case, predicted from the reference's own numbers by conformance/check/scales.py (the
probabilistic model: errors add in quadrature through every product, sum, activation, backward
product and step). C is 16 for the forward pass, gradients and trajectories and 8 for the cost: on
the default cases, the wide nets of tests/test_check_power.py and the float32 and float64 rows of
NumPy, PyTorch and JAX, the measured max |x - ref| / (u sigma) had medians of 0.1 to 0.8 and maxima
of 0.8 (cost) to 3.4 (forward), so C sits 5 to 10 times above the worst and 20 to 100 times above the
typical error; docs/conformance-cpu.md gives the margin (tolerance / error) of every cell. Nothing is
multiplied in for width, m, depth or steps: sigma already carries each of them as a term of its own.
Exceptions that no tolerance covers are kept out of the cases: a ReLU pre-activation within rounding
of its kink (kink_margin), where float32 and float64 may take different branches.

Every row runs with full float32 matrix products: on a GPU, JAX's and TensorFlow's TF32 default
(a 10-bit mantissa) is switched off (frameworks.full_float32_matmuls); what TF32 changes is measured
on its own, as the tf32_drift column of GPU runs (matrix.run_matrix), never as a wider tolerance.

Underflow: a number below the dtype's smallest normal (float32: 1.2e-38) has lost its relative precision,
and exp(-200) is 0 in float32. So sigma is at least tiny / u (underflow_floor): an error below C tiny
is an underflow, not a disagreement (a float32 cost of 1e-86 is 0).

`tolerance` is the older analytic bound, C u sqrt(n_max) sqrt(m) L sqrt(N + 1), for the places that
judge one number without a reference run of the case at hand (the benchmark's first-step check, the
course replication's table, the property tests' kink guard). It is far looser than the check's:
Higham and Mary's sqrt(n) per product, times the sum over m, times depth, times sqrt(N + 1) steps.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..core.spec import ModelSpec

UNIT_ROUNDOFF = {"float32": 2.0**-24, "float64": 2.0**-53}
SAFETY = {"forward": 16.0, "cost": 16.0, "grads": 64.0, "trajectory": 64.0}


@dataclass(frozen=True)
class Tolerance:
    rtol: float  # bound on max|x - ref| / max|ref|
    reason: str


SCALED_SAFETY = {"forward": 16.0, "cost": 8.0, "grads": 16.0, "trajectory": 16.0}


def tolerance_from_scale(quantity: str, dtype: str, scale: float, ref_max: float) -> Tolerance:
    """The tolerance of the conformance check: C u times the predicted rounding error of the quantity
    (conformance/check/scales.py, in units of u; at least the dtype's smallest normal number over u), as a
    normwise relative tolerance against the larger of max |ref| and that scale (judge.compare measures
    the error against the same)."""
    g = group(quantity)
    u = UNIT_ROUNDOFF[dtype]
    scale = max(scale, underflow_floor(dtype))
    allowed = SCALED_SAFETY[g] * u * scale
    reason = f"{SCALED_SAFETY[g]:g} u x the predicted rounding error {scale:.3g}"
    return Tolerance(allowed / max(ref_max, scale), reason)


def underflow_floor(dtype: str) -> float:
    """The smallest scale an error is measured against in `dtype`: its smallest normal number over u."""
    return float(np.finfo(dtype).tiny) / UNIT_ROUNDOFF[dtype]


def group(quantity: str) -> str:
    """forward (Z1, A1, AL, predictions), cost (the course's formula, each sample's loss), grads (dW1, db1,
    dw, db, each sample's), trajectory (params@N, cost@N, and the course's grads@N, model@N, accuracy@N)."""
    if "@" in quantity:
        return "trajectory"
    if quantity in ("cost", "course_cost", "losses"):
        return "cost"
    if quantity.startswith("d") or quantity == "sample_grads":
        return "grads"
    return "forward"


def tolerance(quantity: str, dtype: str, spec: ModelSpec, m: int, steps: int = 0) -> Tolerance:
    """The normwise relative tolerance for `quantity` computed in `dtype` on `spec` with m samples,
    after `steps` training steps (trajectory quantities only)."""
    g = group(quantity)
    u = UNIT_ROUNDOFF[dtype]
    n_max = max(spec.layer_dims[:-1])
    L = spec.L
    samples = math.sqrt(m) if g in ("grads", "trajectory", "cost") else 1.0
    growth = math.sqrt(steps + 1) if g == "trajectory" else 1.0
    rtol = SAFETY[g] * u * math.sqrt(n_max) * samples * L * growth
    reason = (
        f"{SAFETY[g]:g} u sqrt(n_max) {'sqrt(m) ' if samples != 1 else ''}L"
        f"{' sqrt(N+1)' if growth != 1 else ''} with u = 2^{int(math.log2(u))}, n_max = {n_max}, "
        f"{f'm = {m}, ' if samples != 1 else ''}L = {L}{f', N = {steps}' if growth != 1 else ''}"
    )
    return Tolerance(rtol, reason)
