"""The inputs the function checks (functions.py) add to the matrix's cases: a case with nonzero biases, the
probe net whose dW1 reads back an activation's derivative on a grid of z, and the one whose dW1 reads back
the cost's derivative in the logits."""

import numpy as np

from reference_numpy import deep as ref_deep

from ..core.spec import ModelSpec
from .cases import Case, make_case


def z_grid(dtype: str) -> np.ndarray:
    """(4, 9) pre-activations, one row per size of |z|: 0, the kinks' neighbours and the unit range; |z| of
    20 and 50; 90 and 100, past float32's exp overflow (88.7); in float64 also 800, past its own (709.8).
    A NaN in dW1 spreads along its row through the product with X = I, so a row names a size of z."""
    big = 800.0 if dtype == "float64" else 100.0
    rows = [
        [0.0, 1e-3, -1e-3, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0],
        [20.0, -20.0, 50.0, -50.0],
        [90.0, -90.0, 100.0, -100.0],
        [big, -big],
    ]
    return np.array([(row * 9)[:9] for row in rows])


def with_biases(case: Case) -> Case:
    """The case with small nonzero biases (the matrix starts from zero ones, as the course does): a function
    that drops or flips b is then wrong on its own, not only in what it feeds."""
    rng = np.random.default_rng(11)
    params = {k: (0.1 * rng.standard_normal(v.shape) if k[0] == "b" else v) for k, v in case.params.items()}
    return Case(case.spec, case.X, case.Y, params, case.learning_rate, name="biases")


def derivative_probe(activation: str, dtype: str) -> Case:
    """A net [9, 4, 1] whose dW1 is g'(Z1) times a known factor: X = I (m = 9), b1 = 0, so Z1 = W1 holds
    the z grid itself; W2 = 1/4 and b2 = 0, so dW1 = dZ1 / m = g'(Z1) (AL - Y) / (4 m). Y is the label
    AL is far from, so |AL - Y| >= 1/2 and no factor vanishes."""
    Z1 = z_grid(dtype)
    params = {"W1": Z1.copy(), "b1": np.zeros((4, 1)), "W2": np.full((1, 4), 0.25), "b2": np.zeros((1, 1))}
    spec = ModelSpec("deep", (9, 4, 1), activation)
    X = np.eye(9)
    AL, _ = ref_deep.L_model_forward(X, params, activation)
    return Case(spec, X, (AL < 0.5).astype(np.float64), params, name="derivative probe")


def cost_probe(dtype: str) -> Case:
    """A net [k, 1] whose dW1 is the cost's derivative in the logits, (sigmoid(z) - y) / m: X = I (m = k) and
    b1 = 0, so ZL = W1 holds z itself. Each z of the grid comes with each label: 0 and tiny |z| (where a
    formula written with max and abs has its kinks), the unit range, and |z| of 20 to 100 (in float64 also
    800), where a loss taken through sigmoid(z) or a softplus without the sign split overflows."""
    zs = [0.0, 1e-3, -1e-3, 0.5, -0.5, 3.0, -3.0, 20.0, -20.0, 50.0, -50.0, 100.0, -100.0]
    zs += [800.0, -800.0] if dtype == "float64" else []
    z, y = np.array([zs * 2]), np.repeat([[0.0, 1.0]], len(zs), axis=1)
    params = {"W1": z, "b1": np.zeros((1, 1))}
    return Case(ModelSpec("deep", (z.shape[1], 1), "relu"), np.eye(z.shape[1]), y, params, name="cost probe")


def middle(case: Case, m: int = 4001) -> Case:
    """The case's net on m samples with b[L] at minus the median of W[L] A[L-1]: the logits spread around 0, one
    of them exactly 0 (AL = 1/2: the course predicts 0), the nearest others a few thousandths of their terms away."""
    wide = with_biases(make_case(case.spec, m=m, seed=10, kink=False))
    L = case.spec.L
    params = {**wide.params, f"b{L}": np.zeros((1, 1))}
    _, caches = ref_deep.L_model_forward(wide.X, params, case.spec.hidden_activation)
    params[f"b{L}"] = -np.median(caches[-1][1], keepdims=True).reshape(1, 1)  # caches[L-1] = (.., Z[L])
    return Case(case.spec, wide.X, wide.Y, params, case.learning_rate, name=f"b[L] at the median logit, m = {m}")


def many_layers(case: Case) -> Case:
    """A net of 11 layers, as narrow as the case's first hidden layer allows: the layer numbers reach 10 and 11."""
    spec = ModelSpec("deep", (case.spec.layer_dims[0], *([3] * 10), 1), case.spec.hidden_activation)
    return with_biases(make_case(spec, m=case.m, seed=9))


def many_samples(case: Case, m: int = 300) -> Case:
    """The case's model on more samples than a mini-batch holds (300: above the usual 32, 64, 128 and 256, a
    multiple of none): full-batch training that steps on part of the columns, or a cost that multiplies the
    samples' likelihoods, is right on a small m and wrong here."""
    return make_case(case.spec, m=m, seed=11)


def another_m(case: Case) -> Case:
    """The case's model at a second m, m + 5 (not a power of two): what kept the first m it saw (a compiled
    program, a cost's 1/m) or counts over m as float32 holds only powers of two exactly shows there."""
    return make_case(case.spec, m=case.m + 5, seed=8)
