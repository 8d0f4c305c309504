"""The L-layer network in JAX: [LINEAR -> hidden activation] x (L-1) -> LINEAR -> SIGMOID.

Pure functions over a plain dict {"W1": (n[1], n[0]), "b1": (n[1], 1), ...}; the backward is
jax.value_and_grad of the cost, so there is no linear_backward, no L_model_backward. Arrays are
immutable: every update returns new arrays. Shapes as in the course: X (n[0], m), Y and AL (1, m).
"""

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp

LinearCache = tuple[jax.Array, jax.Array, jax.Array]  # (A_prev, W, b)
Cache = tuple[LinearCache, jax.Array]  # (linear_cache, Z)
Parameters = dict[str, jax.Array]

LEAKY_RELU_SLOPE = 0.01
MODES = ("eager", "compiled")


def leaky_relu(Z: jax.Array) -> jax.Array:
    """A = Z where Z > 0, else 0.01 Z. Not jax.nn.leaky_relu: that one tests Z >= 0, so its
    derivative at exactly Z == 0 is 1; PyTorch, TensorFlow and the reference take 0.01 there."""
    return jnp.where(Z > 0, Z, LEAKY_RELU_SLOPE * Z)  # (n[l], m)


# jax.nn.relu's derivative at Z == 0 is 0 (a custom JVP), as in the reference.
ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "leaky_relu": leaky_relu,
    "sigmoid": jax.nn.sigmoid,
}


def _check_hidden_activation(hidden_activation: str) -> None:
    if hidden_activation not in ACTIVATIONS:
        raise ValueError(f"unknown hidden_activation {hidden_activation!r}; choose one of {tuple(ACTIVATIONS)}")


def linear_forward(A_prev: jax.Array, W: jax.Array, b: jax.Array) -> jax.Array:
    """Z = W A_prev + b, (n[l], m)."""
    Z = W @ A_prev + b  # (n[l], m) = (n[l], n[l-1]) @ (n[l-1], m) + (n[l], 1)
    assert Z.shape == (W.shape[0], A_prev.shape[1])
    return Z


def linear_activation_forward(
    A_prev: jax.Array, W: jax.Array, b: jax.Array, activation: str
) -> tuple[jax.Array, Cache]:
    """A = g(W A_prev + b), (n[l], m); the cache ((A_prev, W, b), Z) is the reference's, kept for reading."""
    Z = linear_forward(A_prev, W, b)  # (n[l], m)
    A = ACTIVATIONS[activation](Z)  # (n[l], m)
    return A, ((A_prev, W, b), Z)


def L_model_forward(
    X: jax.Array, parameters: Parameters, hidden_activation: str = "relu"
) -> tuple[jax.Array, list[Cache]]:
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


def compute_cost(AL: jax.Array, Y: jax.Array) -> jax.Array:
    """The course's J = -(1/m) sum(Y log AL + (1 - Y) log(1 - AL)), 0-d; kept for reading.
    It is inf (or nan) once AL rounds to exactly 0 or 1: train with compute_cost_from_logits."""
    m = Y.shape[1]
    cost = -(Y @ jnp.log(AL).T + (1 - Y) @ jnp.log(1 - AL).T) / m  # (1, 1) = (1, m) @ (m, 1)
    return jnp.squeeze(cost)


def compute_cost_from_logits(ZL: jax.Array, Y: jax.Array) -> jax.Array:
    """The same J from the logits ZL, 0-d: the course's formula with log(AL) = log_sigmoid(z) and
    log(1 - AL) = log_sigmoid(-z), each -softplus(-z), finite for every z.

    JAX has no fused cross-entropy-with-logits op. Written out with jnp.maximum and jnp.abs, autodiff
    would give 0.5 + (-0.5) = 0 instead of 0.5 at z == 0; jax.nn.softplus has its own derivative.
    softplus(z) - z y is exact too in algebra, but for y = 1 and a large z it subtracts z from
    z + 1e-26 and returns 0 (found by the property tests); log_sigmoid keeps that small loss."""
    m = Y.shape[1]
    losses = -(Y * jax.nn.log_sigmoid(ZL) + (1 - Y) * jax.nn.log_sigmoid(-ZL))  # (1, m)
    return jnp.sum(losses) / m


def L_model_grads(
    parameters: Parameters, X: jax.Array, Y: jax.Array, hidden_activation: str = "relu"
) -> tuple[Parameters, jax.Array]:
    """({"dW1": (n[1], n[0]), "db1": (n[1], 1), ..., "dWL", "dbL"}, the 0-d cost) by autodiff of
    compute_cost_from_logits; replaces the reference's linear_backward, linear_activation_backward
    and L_model_backward."""

    def cost_of(parameters: Parameters) -> jax.Array:
        _, caches = L_model_forward(X, parameters, hidden_activation)
        ZL = caches[-1][1]  # (1, m)
        return compute_cost_from_logits(ZL, Y)

    cost, d_parameters = jax.value_and_grad(cost_of)(parameters)  # d_parameters has the keys of parameters
    grads = {f"d{name}": d_parameters[name] for name in parameters}  # dW[l] (n[l], n[l-1]), db[l] (n[l], 1)
    return grads, cost


def update_parameters(parameters: Parameters, grads: Parameters, learning_rate: float) -> Parameters:
    """One gradient-descent step, W[l] - learning_rate dW[l], b[l] - learning_rate db[l], in a new dict."""
    # A Python float is weakly typed and keeps float32 float32, but a NumPy or JAX float64 scalar
    # would promote float32 parameters to float64: cast it to the parameters' dtype.
    learning_rate = jnp.asarray(learning_rate, dtype=parameters["W1"].dtype)  # ()
    L = len(parameters) // 2
    updated = {}
    for l in range(1, L + 1):
        updated[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]  # (n[l], n[l-1])
        updated[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]  # (n[l], 1)
    return updated


def train_step(
    parameters: Parameters, X: jax.Array, Y: jax.Array, learning_rate: float, hidden_activation: str = "relu"
) -> tuple[Parameters, jax.Array]:
    """Forward, cost, backward, update: (the new parameters, the cost BEFORE the update)."""
    grads, cost = L_model_grads(parameters, X, Y, hidden_activation)
    return update_parameters(parameters, grads, learning_rate), cost


@functools.cache  # one step function per (activation, mode): a second training run reuses its compiled program
def make_train_step(hidden_activation: str = "relu", mode: str = "eager") -> Callable:
    """step(parameters, X, Y, learning_rate) -> (parameters, cost). "eager" runs op by op;
    "compiled" is jax.jit of the whole step, update included, so XLA fuses it into one program."""
    _check_hidden_activation(hidden_activation)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for jax; choose one of {MODES}")

    # hidden_activation is closed over, so jit sees a Python string (static), not a traced argument.
    # learning_rate stays a traced argument: a new value reuses the compiled program instead of
    # recompiling, and a scalar costs nothing to pass.
    def step(parameters: Parameters, X: jax.Array, Y: jax.Array, learning_rate: float) -> tuple[Parameters, jax.Array]:
        return train_step(parameters, X, Y, learning_rate, hidden_activation)

    return jax.jit(step) if mode == "compiled" else step


@functools.cache  # one loop per (activation, mode), so jit's cache of compiled programs outlives a training run
def make_train_loop(hidden_activation: str = "relu", mode: str = "compiled") -> Callable:
    """loop(parameters, X, Y, learning_rate, num_iterations) -> (parameters, costs (num_iterations,)),
    the cost of EVERY iteration, each before its update. "compiled" is jax.jit of the whole loop:
    one call, one program, where a loop over the compiled step pays Python and dispatch for every
    step (on a tiny net that overhead is most of the step). "eager" is the same function without
    jax.jit, for reading; JAX has no op-by-op scan, so even then lax.scan compiles its body.

    jax.lax.scan runs the step num_iterations times and stacks the per-step outputs (the costs) into
    one array. Its length must be known when compiling, so num_iterations is a static argument: each
    new count compiles the loop again (once; later calls with that count reuse it). learning_rate
    stays traced, as in make_train_step: a new value reuses the program."""
    _check_hidden_activation(hidden_activation)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for jax; choose one of {MODES}")

    def loop(
        parameters: Parameters, X: jax.Array, Y: jax.Array, learning_rate: float, num_iterations: int
    ) -> tuple[Parameters, jax.Array]:
        def body(parameters: Parameters, _) -> tuple[Parameters, jax.Array]:
            return train_step(parameters, X, Y, learning_rate, hidden_activation)  # (the carry, this step's cost)

        return jax.lax.scan(body, parameters, length=num_iterations)  # (final parameters, costs (num_iterations,))

    return jax.jit(loop, static_argnames="num_iterations") if mode == "compiled" else loop


def predict(X: jax.Array, parameters: Parameters, hidden_activation: str = "relu") -> jax.Array:
    """1 where AL > 0.5, else 0, in X's dtype; (1, m)."""
    AL, _ = L_model_forward(X, parameters, hidden_activation)  # (1, m)
    return (AL > 0.5).astype(X.dtype)  # (1, m)


def L_layer_model(
    X: jax.Array,
    Y: jax.Array,
    parameters: Parameters,
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    hidden_activation: str = "relu",
    mode: str = "eager",
    record_every: int = 100,
) -> tuple[Parameters, list[float]]:
    """Full-batch gradient descent from `parameters` (JAX arrays, like X and Y); returns the final
    parameters and the costs at iterations 0, record_every, ..., each measured before that update.
    "eager" is the plain Python loop over the step; "compiled" runs the whole loop as one program
    (make_train_loop) and keeps every record_every-th of its costs."""
    if mode != "eager":
        parameters, costs = make_train_loop(hidden_activation, mode)(parameters, X, Y, learning_rate, num_iterations)
        # to the host (a NumPy array, waiting for the loop), then every record_every-th as Python floats
        return parameters, jax.device_get(costs)[::record_every].tolist()
    step = make_train_step(hidden_activation, mode)
    costs = []
    for i in range(num_iterations):
        parameters, cost = step(parameters, X, Y, learning_rate)
        if i % record_every == 0:
            costs.append(float(cost))  # waits for this step; the others are dispatched asynchronously
    return parameters, costs
