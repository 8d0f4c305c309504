"""Gradient checking: the hand-written backward against central differences of the cost, in float64.

    dJ/dθ_i ≈ (J(θ + ε e_i) - J(θ - ε e_i)) / (2 ε)
    difference = ||g - g_num|| / (||g|| + ||g_num||)       (norms over all parameters at once)

With ε = 1e-7 the truncation error is O(ε²) and the rounding error about 1e-16 |J| / ε, so a
correct backward gives a difference well under 1e-7 (the course's threshold is 2e-7). A kink (ReLU
at Z = 0) inside [θ - ε, θ + ε] breaks the approximation, not the backward: keep |Z| away from 0.
"""

from collections.abc import Callable

import numpy as np

Params = dict[str, np.ndarray]


def numerical_gradients(cost_fn: Callable[[Params], float], parameters: Params, epsilon: float = 1e-7) -> Params:
    """{"d" + name: array of central differences} for every entry of `parameters`."""
    parameters = {name: np.asarray(value, dtype=np.float64) for name, value in parameters.items()}
    numerical = {}
    for name, value in parameters.items():
        g = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            plus = value.copy()
            plus[index] += epsilon
            minus = value.copy()
            minus[index] -= epsilon
            J_plus = cost_fn({**parameters, name: plus})
            J_minus = cost_fn({**parameters, name: minus})
            g[index] = (J_plus - J_minus) / (2 * epsilon)
        numerical[f"d{name}"] = g
    return numerical


def relative_difference(grads: Params, numerical: Params) -> float:
    """||g - g_num|| / (||g|| + ||g_num||) over the keys of `numerical`, concatenated."""
    missing = sorted(set(numerical) - set(grads))
    if missing:
        raise KeyError(f"grads lacks {missing}; it has {sorted(grads)}")
    g = np.concatenate([np.ravel(grads[key]) for key in numerical])
    g_num = np.concatenate([np.ravel(numerical[key]) for key in numerical])
    denominator = np.linalg.norm(g) + np.linalg.norm(g_num)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(g - g_num) / denominator)


def gradient_check(
    cost_fn: Callable[[Params], float], parameters: Params, grads: Params, epsilon: float = 1e-7
) -> float:
    """The relative difference between `grads` and the central differences of `cost_fn` at `parameters`."""
    return relative_difference(grads, numerical_gradients(cost_fn, parameters, epsilon))
