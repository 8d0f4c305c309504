"""Initial weights, made by NumPy for every framework so that all four start from the same numbers.

Course-exact seeding: with an integer `seed`, W1, W2, ... are drawn in that order from
`np.random.RandomState(seed)`, which yields the same stream as the course's
`np.random.seed(seed); np.random.randn(...)` without touching NumPy's global RNG. Biases are zeros
and draw nothing. Pass a `numpy.random.Generator` as `rng` instead for any other stream.

Schemes, for W[l] of shape (n[l], n[l-1]):
  zeros   all zeros (logistic regression; a deep net cannot break symmetry from it)
  small   randn * 0.01                 (the course's two-layer and planar models)
  xavier  randn / sqrt(n[l-1])         (the course's deep application calls this Xavier; it is the
                                        variance-1/fan_in form, also known as LeCun normal)
  he      randn * sqrt(2 / n[l-1])     (He et al., for ReLU)
"""

import numpy as np

SCHEMES = ("zeros", "small", "xavier", "he")


def check_layer_dims(layer_dims) -> list[int]:
    """Return layer_dims as a list of ints, or raise ValueError naming what is wrong."""
    dims = list(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"layer_dims needs at least an input and an output size, got {dims!r}")
    for l, n in enumerate(dims):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"layer_dims[{l}] must be a positive integer, got {n!r} in {dims!r}")
    return [int(n) for n in dims]


def scale(scheme: str, draw: np.ndarray, n_prev: int) -> np.ndarray:
    """A standard normal draw for W[l] scaled as the course writes each scheme (a division for
    xavier: multiplying by 1 / sqrt(n) instead rounds differently in the last bit)."""
    if scheme == "small":
        return draw * 0.01
    if scheme == "xavier":
        return draw / np.sqrt(n_prev)
    if scheme == "he":
        return draw * np.sqrt(2.0 / n_prev)
    raise ValueError(f"unknown initialisation scheme {scheme!r}; choose one of {SCHEMES}")


def initialize(
    layer_dims: list[int],
    scheme: str = "xavier",
    seed: int | None = 1,
    rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """{"W1": (n[1], n[0]), "b1": (n[1], 1), ..., "WL", "bL"}, float64."""
    layer_dims = check_layer_dims(layer_dims)
    if scheme not in SCHEMES:
        raise ValueError(f"unknown initialisation scheme {scheme!r}; choose one of {SCHEMES}")
    if rng is None:
        if seed is None:
            raise ValueError("give a seed (course-exact legacy stream) or a numpy.random.Generator as rng")
        stream = np.random.RandomState(seed)  # randn(*shape) is its standard_normal(shape)
    else:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        stream = rng
    parameters = {}
    for l in range(1, len(layer_dims)):
        shape = (layer_dims[l], layer_dims[l - 1])
        if scheme == "zeros":
            parameters[f"W{l}"] = np.zeros(shape)  # (n[l], n[l-1])
        else:
            parameters[f"W{l}"] = scale(scheme, stream.standard_normal(shape), layer_dims[l - 1])  # (n[l], n[l-1])
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))  # (n[l], 1)
    return parameters


def initialize_parameters(n_x: int, n_h: int, n_y: int, seed: int = 1) -> dict[str, np.ndarray]:
    """The course's two-layer initialisation: W1 = randn(n_h, n_x) * 0.01, then W2 = randn(n_y, n_h) * 0.01.
    initialize_parameters(n_x, n_h, n_y)          the week-4 notebooks' (seed 1; W1[0] = 0.01624345 ...)
    initialize_parameters(n_x, n_h, n_y, seed=2)  the planar notebook's (week 3; W1[0] = -0.00416758 ...)"""
    return initialize([n_x, n_h, n_y], scheme="small", seed=seed)
