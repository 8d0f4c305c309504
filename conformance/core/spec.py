"""ModelSpec: which model (logistic regression or the L-layer network), its layer sizes and hidden
activation; and the initial weights every backend starts from, made by NumPy."""

from dataclasses import dataclass

import numpy as np

from reference_numpy.activations import HIDDEN_ACTIVATIONS
from reference_numpy.initializers import check_layer_dims, initialize

KINDS = ("logistic", "deep")


@dataclass(frozen=True)
class ModelSpec:
    kind: str
    layer_dims: tuple[int, ...]
    hidden_activation: str = "relu"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown model kind {self.kind!r}; choose one of {KINDS}")
        dims = tuple(check_layer_dims(self.layer_dims))
        object.__setattr__(self, "layer_dims", dims)
        if dims[-1] != 1:
            raise ValueError(f"layer_dims must end with 1 (one sigmoid output unit), got {list(dims)}")
        if self.kind == "logistic" and len(dims) != 2:
            raise ValueError(f"logistic regression has layer_dims [n_x, 1], got {list(dims)}")
        if self.hidden_activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"unknown hidden_activation {self.hidden_activation!r}; choose one of {HIDDEN_ACTIVATIONS}"
            )

    @property
    def n_x(self) -> int:
        return self.layer_dims[0]

    @property
    def L(self) -> int:
        """Number of layers with weights."""
        return len(self.layer_dims) - 1

    @property
    def label(self) -> str:
        """A short name for tables: "logistic[5,1]" or "deep[5,4,3,1]/tanh"."""
        dims = ",".join(map(str, self.layer_dims))
        return f"logistic[{dims}]" if self.kind == "logistic" else f"deep[{dims}]/{self.hidden_activation}"

    def param_shapes(self) -> dict[str, tuple[int, int]]:
        """{"w": (n_x, 1), "b": (1, 1)} for logistic regression; {"W1": (n[1], n[0]), "b1": (n[1], 1), ...}."""
        if self.kind == "logistic":
            return {"w": (self.n_x, 1), "b": (1, 1)}
        shapes = {}
        for l in range(1, self.L + 1):
            shapes[f"W{l}"] = (self.layer_dims[l], self.layer_dims[l - 1])
            shapes[f"b{l}"] = (self.layer_dims[l], 1)
        return shapes

    def init_params(
        self, seed: int | None = 1, scheme: str = "xavier", rng: np.random.Generator | None = None
    ) -> dict[str, np.ndarray]:
        """Float64 NumPy weights from reference_numpy.initializers (course-exact for an integer seed);
        logistic regression's w is the one-layer network's W1 transposed."""
        parameters = initialize(list(self.layer_dims), scheme=scheme, seed=seed, rng=rng)
        if self.kind == "logistic":
            return {"w": parameters["W1"].T.copy(), "b": parameters["b1"]}
        return parameters
