"""How close is "equal": the tolerance for every compared quantity, with its reasoning.

Errors are normwise: max |x - ref| / max |ref| over the whole array (the max-abs error relative to
the array's scale). Elementwise relative errors are meaningless where the reference is near 0
(ReLU outputs, small gradient entries), and floating-point error analysis bounds exactly this
normwise quantity. For the forward pass and the gradients the scale is the larger of max |ref| and
the magnitude of the computation (the same products and sums on absolute values, compare.magnitudes):
rounding error is proportional to |W||A|, not to |W A|, so a sum that cancels to zero (db[L] =
mean(AL - Y) with AL = 0.5 and balanced labels) is compared at the scale of its terms.

The model of the error, for a backend in precision u (unit roundoff) against the float64 NumPy
reference:

  * One matrix product with inner dimension n rounds each of its n products and n - 1 sums.
    The worst-case bound is about n u |W||A|; with rounding errors that behave like independent
    random variables the error is about sqrt(n) u |W||A| (Higham and Mary, "A new approach to
    probabilistic rounding error analysis", SIAM J. Sci. Comput. 2019). Different backends sum
    in different orders (BLAS blocking, oneDNN, XLA), so two correct backends differ by this much.
  * L layers compose: each adds its own rounding and passes on the previous layer's error
    amplified by |W| |g'|, which is O(1) for the initialisations used here. So the bound grows
    linearly in L.
  * Backward does two more products per layer (dW = dZ A^T / m, dA = W^T dZ) and a sum over m
    for db: a further constant factor, and sqrt(m) for the sums over samples.
  * N steps of gradient descent from the same start: each step adds an independent rounding
    error, and a stable step (learning rate well below 2 / curvature) does not amplify old
    errors, so they accumulate like a random walk: a factor sqrt(N + 1).

So the tolerance is   C * u * sqrt(n_max) * sqrt(m) * L * sqrt(N + 1)   with n_max the widest fan-in,
and C a safety factor of 16 (forward, cost) and 64 (gradients, trajectories) that absorbs
the constants of the bounds and the condition of the data; measured errors sit one to three
decades inside (the `margin` column says how far). For comparison, the anchors the design names:
NumPy's assert_allclose default rtol 1e-7; torch.testing.assert_close float32 rtol 1.3e-6 /
float64 1e-7; JAX's float32 gradient checks 2e-3, float64 1e-5. A float64 backend here must agree
to about 1e-13 on small nets, a million times tighter than those defaults.

float32 against the float64 reference also carries the float32 rounding of the *inputs* (X and
the weights are rounded to float32 before any arithmetic): that is an error of u in every input,
inside the same model.

Underflow: a number below the dtype's smallest normal (float32: 1.2e-38) has lost its relative precision,
and exp(-200) is 0 in float32. So every scale has a floor, underflow_floor(dtype) = tiny / u (float32:
2e-31, float64: 2e-292): an error is measured against at least that, and a cost of 1e-86 that float32
computes as 0 is an underflow, not a disagreement. Anything of a size that matters is far above it.

On an NVIDIA GPU, JAX and TensorFlow run float32 matrix products in TF32 by default (a 10-bit
mantissa): their float32 GPU rows are held to u = 2^-11, which is what users of those defaults
get. PyTorch keeps full float32 matmuls unless told otherwise (torch.backends.cuda.matmul.allow_tf32).
"""

import math
from dataclasses import dataclass

from .spec import ModelSpec

UNIT_ROUNDOFF = {"float32": 2.0**-24, "float64": 2.0**-53, "tf32": 2.0**-11}
SAFETY = {"forward": 16.0, "cost": 16.0, "grads": 64.0, "trajectory": 64.0}


@dataclass(frozen=True)
class Tolerance:
    rtol: float  # bound on max|x - ref| / max|ref|
    reason: str


def underflow_floor(dtype: str) -> float:
    """The smallest scale an error is measured against in `dtype`: its smallest normal number over u."""
    import numpy as np

    return float(np.finfo(dtype).tiny) / UNIT_ROUNDOFF[dtype]


def group(quantity: str) -> str:
    """forward (Z1, A1, AL), cost, grads (dW1, db1, dw, db), trajectory (params@N, cost@N)."""
    if "@" in quantity:
        return "trajectory"
    if quantity == "cost":
        return "cost"
    if quantity.startswith("d"):
        return "grads"
    return "forward"


def tolerance(
    quantity: str, dtype: str, spec: ModelSpec, m: int, steps: int = 0, backend: str = "numpy", device: str = "cpu"
) -> Tolerance:
    """The normwise relative tolerance for `quantity` computed in `dtype` on `spec` with m samples,
    after `steps` training steps (trajectory quantities only)."""
    g = group(quantity)
    tf32 = device == "gpu" and dtype == "float32" and backend in ("jax", "tf")
    u = UNIT_ROUNDOFF["tf32" if tf32 else dtype]
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
