"""The L-layer network in MLX: [LINEAR -> hidden activation] x (L-1) -> LINEAR -> SIGMOID.

Pure functions over a plain dict {"W1": (n[1], n[0]), "b1": (n[1], 1), ...}; the backward is
mx.value_and_grad of the cost, so there is no linear_backward, no L_model_backward. Arrays are
immutable: every update returns new arrays. Shapes as in the course: X (n[0], m), Y and AL (1, m).

Where MLX differs: its float64 mx.exp and mx.sigmoid are float32-accurate on the CPU (MLX 0.32: 6e-7
relative, and exp(x) is 0 below x = -88), so exp here is mx.power(e, x), float64-accurate, and the
sigmoids are written with it; mx.log, mx.log1p, mx.tanh and the matrix products are float64-accurate.
And MLX is lazy: a step records its graph, mx.eval computes it.
"""

import functools
import math
from collections.abc import Callable

import mlx.core as mx

LEAKY_RELU_SLOPE = 0.01
MODES = ("eager", "compiled")

LinearCache = tuple[mx.array, mx.array, mx.array]  # (A_prev, W, b)
Cache = tuple[LinearCache, mx.array]  # (linear_cache, Z)
Parameters = dict[str, mx.array]


def exp(Z: mx.array) -> mx.array:
    """e**Z, accurate in float64 too (mx.exp is float32-accurate there)."""
    return mx.power(mx.array(math.e, dtype=Z.dtype), Z)  # (n[l], m)


def sigmoid(Z: mx.array) -> mx.array:
    """1 / (1 + e**-Z), finite with a finite derivative for every Z: each branch sees only the Z it is
    for (mx.where differentiates both, and an infinite branch would make the gradient NaN)."""
    Zp, Zn = mx.where(Z >= 0, Z, 0), mx.where(Z < 0, Z, 0)  # (n[l], m)
    return mx.where(Z >= 0, 1 / (1 + exp(-Zp)), exp(Zn) / (1 + exp(Zn)))  # (n[l], m)


def log_sigmoid(Z: mx.array) -> mx.array:
    """log(sigmoid(Z)) = -log(1 + e**-Z), down to the smallest loss (MLX's own loses those below 1e-38)."""
    Zp, Zn = mx.where(Z >= 0, Z, 0), mx.where(Z < 0, Z, 0)  # (1, m)
    return mx.where(Z >= 0, -mx.log1p(exp(-Zp)), Zn - mx.log1p(exp(Zn)))  # (1, m)


def relu(Z: mx.array) -> mx.array:
    """A = Z where Z > 0, else 0; its derivative at exactly Z == 0 is 0, as in the reference."""
    return mx.where(Z > 0, Z, 0)  # (n[l], m)


def leaky_relu(Z: mx.array) -> mx.array:
    """A = Z where Z > 0, else 0.01 Z; derivative 0.01 at Z == 0, as in the reference."""
    return mx.where(Z > 0, Z, LEAKY_RELU_SLOPE * Z)  # (n[l], m)


ACTIVATIONS: dict[str, Callable[[mx.array], mx.array]] = {
    "relu": relu,
    "tanh": mx.tanh,
    "leaky_relu": leaky_relu,
    "sigmoid": sigmoid,
}


def _check_hidden_activation(hidden_activation: str) -> None:
    if hidden_activation not in ACTIVATIONS:
        raise ValueError(f"unknown hidden_activation {hidden_activation!r}; choose one of {tuple(ACTIVATIONS)}")


def linear_forward(A_prev: mx.array, W: mx.array, b: mx.array) -> mx.array:
    """Z = W A_prev + b, (n[l], m)."""
    Z = W @ A_prev + b  # (n[l], m) = (n[l], n[l-1]) @ (n[l-1], m) + (n[l], 1)
    assert Z.shape == (W.shape[0], A_prev.shape[1])
    return Z


def linear_activation_forward(A_prev: mx.array, W: mx.array, b: mx.array, activation: str) -> tuple[mx.array, Cache]:
    """A = g(W A_prev + b), (n[l], m); the cache ((A_prev, W, b), Z) is the reference's, kept for reading."""
    Z = linear_forward(A_prev, W, b)  # (n[l], m)
    A = ACTIVATIONS[activation](Z)  # (n[l], m)
    return A, ((A_prev, W, b), Z)


def L_model_forward(
    X: mx.array, parameters: Parameters, hidden_activation: str = "relu"
) -> tuple[mx.array, list[Cache]]:
    """AL = sigmoid(Z[L]) (1, m) after L-1 hidden layers; caches[l-1] holds ((A[l-1], W[l], b[l]), Z[l])."""
    _check_hidden_activation(hidden_activation)
    caches = []
    A = X  # (n[0], m)
    L = len(parameters) // 2
    for l in range(1, L):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]  # (n[l], n[l-1]), (n[l], 1)
        A, cache = linear_activation_forward(A, W, b, hidden_activation)  # (n[l], m)
        caches.append(cache)
    W, b = parameters[f"W{L}"], parameters[f"b{L}"]  # (1, n[L-1]), (1, 1)
    AL, cache = linear_activation_forward(A, W, b, "sigmoid")  # (1, m)
    caches.append(cache)
    assert AL.shape == (1, X.shape[1])
    return AL, caches


def compute_cost(AL: mx.array, Y: mx.array) -> mx.array:
    """The course's J = -(1/m) sum(Y log AL + (1 - Y) log(1 - AL)), 0-d; kept for reading.
    It is inf (or nan) once AL rounds to exactly 0 or 1: train with compute_cost_from_logits."""
    m = Y.shape[1]
    cost = -(Y @ mx.log(AL).T + (1 - Y) @ mx.log(1 - AL).T) / m  # (1, 1) = (1, m) @ (m, 1)
    return mx.squeeze(cost)


def compute_cost_from_logits(ZL: mx.array, Y: mx.array) -> mx.array:
    """The same J from the logits ZL, 0-d: the course's formula with log(AL) = log_sigmoid(z) and
    log(1 - AL) = log_sigmoid(-z), finite for every z, each small loss kept."""
    m = Y.shape[1]
    losses = -(Y * log_sigmoid(ZL) + (1 - Y) * log_sigmoid(-ZL))  # (1, m)
    return mx.sum(losses) / m


def L_model_grads(
    parameters: Parameters, X: mx.array, Y: mx.array, hidden_activation: str = "relu"
) -> tuple[Parameters, mx.array]:
    """({"dW1": (n[1], n[0]), "db1": (n[1], 1), ..., "dWL", "dbL"}, the 0-d cost) by autodiff of
    compute_cost_from_logits; replaces the reference's linear_backward, linear_activation_backward
    and L_model_backward."""

    def cost_of(parameters: Parameters) -> mx.array:
        _, caches = L_model_forward(X, parameters, hidden_activation)
        ZL = caches[-1][1]  # (1, m)
        return compute_cost_from_logits(ZL, Y)

    cost, d_parameters = mx.value_and_grad(cost_of)(parameters)  # d_parameters has the keys of parameters
    grads = {f"d{name}": d_parameters[name] for name in parameters}  # dW[l] (n[l], n[l-1]), db[l] (n[l], 1)
    return grads, cost


def update_parameters(parameters: Parameters, grads: Parameters, learning_rate: float) -> Parameters:
    """One gradient-descent step, W[l] - learning_rate dW[l], b[l] - learning_rate db[l], in a new dict."""
    learning_rate = mx.array(learning_rate, dtype=parameters["W1"].dtype)  # () in the parameters' dtype
    L = len(parameters) // 2
    updated = {}
    for l in range(1, L + 1):
        updated[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]  # (n[l], n[l-1])
        updated[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]  # (n[l], 1)
    return updated


def train_step(
    parameters: Parameters, X: mx.array, Y: mx.array, learning_rate: float, hidden_activation: str = "relu"
) -> tuple[Parameters, mx.array]:
    """Forward, cost, backward, update: (the new parameters, the cost BEFORE the update)."""
    grads, cost = L_model_grads(parameters, X, Y, hidden_activation)
    return update_parameters(parameters, grads, learning_rate), cost


@functools.cache  # one step function per (activation, mode): a second training run reuses its compiled program
def make_train_step(hidden_activation: str = "relu", mode: str = "eager") -> Callable:
    """step(parameters, X, Y, learning_rate) -> (parameters, cost). "eager" records op by op;
    "compiled" is mx.compile of the whole step, update included, traced once per shape and dtype."""
    _check_hidden_activation(hidden_activation)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for mlx; choose one of {MODES}")

    def step(parameters: Parameters, X: mx.array, Y: mx.array, learning_rate: float) -> tuple[Parameters, mx.array]:
        return train_step(parameters, X, Y, learning_rate, hidden_activation)

    return mx.compile(step) if mode == "compiled" else step


def predict(X: mx.array, parameters: Parameters, hidden_activation: str = "relu") -> mx.array:
    """1 where AL > 0.5, else 0, in X's dtype; (1, m)."""
    AL, _ = L_model_forward(X, parameters, hidden_activation)  # (1, m)
    return (AL > 0.5).astype(X.dtype)  # (1, m)


def L_layer_model(
    X: mx.array,
    Y: mx.array,
    parameters: Parameters,
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    hidden_activation: str = "relu",
    mode: str = "eager",
    record_every: int = 100,
) -> tuple[Parameters, list[float]]:
    """Full-batch gradient descent from `parameters` (MLX arrays, like X and Y); returns the final
    parameters and the costs at iterations 0, record_every, ..., each measured before that update.
    MLX has no compiled loop (no scan): "compiled" loops in Python over the compiled step."""
    step = make_train_step(hidden_activation, mode)
    costs = []
    for i in range(num_iterations):
        parameters, cost = step(parameters, X, Y, learning_rate)
        mx.eval(parameters, cost)  # this step computed: the next one's graph starts from arrays, not records
        if i % record_every == 0:
            costs.append(cost.item())
    return parameters, costs
