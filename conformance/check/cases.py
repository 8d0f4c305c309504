"""The cases of the check: a spec with its data and initial weights (float64 NumPy), the same for every
backend; the default ones (logistic regression, and the deep net at each depth and hidden activation); and how
near a case's pre-activations come to ReLU's kink."""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from reference_numpy.activations import HIDDEN_ACTIVATIONS
from reference_numpy.deep import L_model_forward, train_step

from ..core.datasets import make_random_dataset
from ..core.spec import ModelSpec

STEPS = (1, 10, 100)  # the training steps after which parameters and costs are compared


@dataclass
class Case:
    """One spec with its data and initial weights (float64 NumPy), shared by every backend."""

    spec: ModelSpec
    X: np.ndarray  # (n_x, m)
    Y: np.ndarray  # (1, m)
    params: dict[str, np.ndarray]
    learning_rate: float = 0.05
    name: str = ""  # the regime, where the case is one (conformance/check/regimes.py)
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
    widths = [7, 6, 5, 4, 3, 3]
    cases = [make_case(ModelSpec("logistic", (8, 1)))]
    for activation in activations or HIDDEN_ACTIVATIONS:
        for depth in depths:
            dims = (8, *widths[: depth - 1], 1)
            cases.append(make_case(ModelSpec("deep", dims, activation), seed=depth))
    return cases


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
