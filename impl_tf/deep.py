"""The L-layer network in TensorFlow: [LINEAR -> hidden activation] x (L-1) -> LINEAR -> SIGMOID.
The forward is written out as in reference_numpy/deep.py; the backward is tf.GradientTape.

Notation (the course's): X is (n[0], m), one column per sample; W[l] is (n[l], n[l-1]); b[l] is
(n[l], 1) and broadcasts over the m columns; Z[l] and A[l] are (n[l], m); Y and AL are (1, m).
Parameters are plain tensors in a dict (not tf.Variable): every step returns a new dict.
"""

import functools
from collections.abc import Callable

import tensorflow as tf

LinearCache = tuple[tf.Tensor, tf.Tensor, tf.Tensor]  # (A_prev, W, b)
Cache = tuple[LinearCache, tf.Tensor]  # (linear_cache, Z)

LEAKY_RELU_SLOPE = 0.01
MODES = ("eager", "compiled", "function")


def leaky_relu(Z: tf.Tensor) -> tf.Tensor:
    """Z where Z > 0, else 0.01 Z; the derivative at Z == 0 is 0.01, as the reference takes it.
    Not tf.nn.leaky_relu: its alpha is a float32 attribute, so in float64 the slope would be
    0.009999999776..., a relative error of 2e-8 against the reference on every negative Z."""
    slope = tf.constant(LEAKY_RELU_SLOPE, dtype=Z.dtype)  # a float64 0.01 for float64 Z
    return tf.where(Z > 0, Z, slope * Z)  # (n[l], m)


# tf.nn.relu's gradient at Z == 0 is 0, as the reference takes it.
ACTIVATIONS: dict[str, Callable[[tf.Tensor], tf.Tensor]] = {
    "relu": tf.nn.relu,
    "tanh": tf.math.tanh,
    "leaky_relu": leaky_relu,
    "sigmoid": tf.math.sigmoid,
}


def _check_hidden_activation(hidden_activation: str) -> None:
    if hidden_activation not in ACTIVATIONS:
        raise ValueError(f"unknown hidden_activation {hidden_activation!r}; choose one of {tuple(ACTIVATIONS)}")


def linear_forward(A_prev: tf.Tensor, W: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """Z = W A_prev + b, (n[l], m)."""
    Z = W @ A_prev + b  # (n[l], m) = (n[l], n[l-1]) @ (n[l-1], m) + (n[l], 1)
    assert Z.shape == (W.shape[0], A_prev.shape[1])
    return Z


def linear_activation_forward(
    A_prev: tf.Tensor, W: tf.Tensor, b: tf.Tensor, activation: str
) -> tuple[tf.Tensor, Cache]:
    """A = g(W A_prev + b) for g = relu, tanh, leaky_relu or sigmoid; cache = ((A_prev, W, b), Z)."""
    Z = linear_forward(A_prev, W, b)  # (n[l], m)
    A = ACTIVATIONS[activation](Z)  # (n[l], m)
    return A, ((A_prev, W, b), Z)


def L_model_forward(
    X: tf.Tensor, parameters: dict[str, tf.Tensor], hidden_activation: str = "relu"
) -> tuple[tf.Tensor, list[Cache]]:
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


def compute_cost(AL: tf.Tensor, Y: tf.Tensor) -> tf.Tensor:
    """The course's formula, J = -(1/m) sum(Y log AL + (1 - Y) log(1 - AL)), a 0-d tensor; kept for
    reading. It is inf (or nan) once AL rounds to exactly 0 or 1: train with compute_cost_from_logits."""
    m = Y.shape[1]
    log_AL, log_1_minus_AL = tf.math.log(AL), tf.math.log(1 - AL)  # (1, m), (1, m)
    cost = -(Y @ tf.transpose(log_AL) + (1 - Y) @ tf.transpose(log_1_minus_AL)) / m  # (1, 1) = (1, m) @ (m, 1)
    return tf.squeeze(cost)  # ()


def compute_cost_from_logits(ZL: tf.Tensor, Y: tf.Tensor) -> tf.Tensor:
    """The same J from the logits ZL, a 0-d tensor. TensorFlow's op computes each sample's loss as
    max(z, 0) - z y + log(1 + exp(-|z|)), the reference's formula, finite for every z."""
    losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=ZL)  # (1, m)
    return tf.reduce_mean(losses)  # ()


def L_model_grads(
    parameters: dict[str, tf.Tensor], X: tf.Tensor, Y: tf.Tensor, hidden_activation: str = "relu"
) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    """grads {"dW1": (n[1], n[0]), "db1": (n[1], 1), ..., "dWL", "dbL"} of compute_cost_from_logits,
    and that cost (0-d). This replaces the reference's linear_backward, linear_activation_backward and
    L_model_backward: the tape records the forward and tape.gradient runs it backwards."""
    with tf.GradientTape() as tape:
        # the tape records only what it watches; tf.Variables are watched by default, plain tensors are not
        tape.watch(list(parameters.values()))
        _, caches = L_model_forward(X, parameters, hidden_activation)
        ZL = caches[-1][1]  # (1, m)
        cost = compute_cost_from_logits(ZL, Y)  # ()
    d_parameters = tape.gradient(cost, parameters)  # a dict with the keys of `parameters`
    grads = {f"d{name}": d_parameters[name] for name in parameters}  # dW[l] (n[l], n[l-1]), db[l] (n[l], 1)
    return grads, cost


def update_parameters(
    parameters: dict[str, tf.Tensor], grads: dict[str, tf.Tensor], learning_rate: float | tf.Tensor
) -> dict[str, tf.Tensor]:
    """One gradient-descent step, W[l] - learning_rate dW[l] and b[l] - learning_rate db[l], in a new
    dict (tensors are immutable, so `parameters` is left as it was)."""
    L = len(parameters) // 2
    updated = {}
    for l in range(1, L + 1):
        updated[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]  # (n[l], n[l-1])
        updated[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]  # (n[l], 1)
    return updated


def train_step(
    parameters: dict[str, tf.Tensor],
    X: tf.Tensor,
    Y: tf.Tensor,
    learning_rate: float | tf.Tensor,
    hidden_activation: str = "relu",
) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    """Forward, cost, backward, update: (the new parameters, the cost before the update)."""
    grads, cost = L_model_grads(parameters, X, Y, hidden_activation)
    return update_parameters(parameters, grads, learning_rate), cost


@functools.cache  # one step function per (activation, mode): a second training run reuses its compiled program
def make_train_step(hidden_activation: str = "relu", mode: str = "eager") -> Callable:
    """step(parameters, X, Y, learning_rate) -> (parameters, cost). "eager" runs op by op;
    "function" traces the step once into a graph (tf.function); "compiled" also compiles that graph
    with XLA (jit_compile=True). Pass learning_rate as a tensor of the parameters' dtype: a Python
    float would be traced in as a constant, and each new value would trace the step again."""
    _check_hidden_activation(hidden_activation)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for tf; choose one of {MODES}")

    def step(parameters, X, Y, learning_rate):
        # hidden_activation is closed over: a Python string is part of the trace, not an argument
        return train_step(parameters, X, Y, learning_rate, hidden_activation)

    if mode == "eager":
        return step
    return tf.function(step, jit_compile=(mode == "compiled"))


@functools.cache  # one loop per (activation, mode): a second training run reuses its trace and programs
def make_train_loop(hidden_activation: str = "relu", mode: str = "compiled") -> Callable:
    """loop(parameters, X, Y, learning_rate, num_iterations) -> (parameters, costs (num_iterations,)),
    the cost of EVERY iteration, each before its update. "compiled" is the whole loop in one XLA
    program (tf.function with jit_compile=True), "function" the same loop as one graph without XLA,
    "eager" the same code op by op. One call runs every iteration, where a Python loop over the
    step pays Python and dispatch for each (on a tiny net that overhead is most of the step).

    Inside tf.function, AutoGraph turns `for i in tf.range(num_iterations)` into a tf.while_loop, and
    the costs go into a tf.TensorArray, the list a graph loop can append to. Pass learning_rate and
    num_iterations as tensors: the loop is traced once, whatever their values; XLA needs the
    TensorArray's size when compiling, so each new num_iterations compiles again (not traces again)."""
    _check_hidden_activation(hidden_activation)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for tf; choose one of {MODES}")

    def loop(parameters, X, Y, learning_rate, num_iterations):
        costs = tf.TensorArray(X.dtype, size=num_iterations, element_shape=())  # (num_iterations,) when stacked
        for i in tf.range(num_iterations):
            parameters, cost = train_step(parameters, X, Y, learning_rate, hidden_activation)  # new dict, ()
            costs = costs.write(i, cost)  # a TensorArray is immutable too: write returns the new one
        return parameters, costs.stack()  # (num_iterations,)

    if mode == "eager":
        return loop
    return tf.function(loop, jit_compile=(mode == "compiled"))


def predict(X: tf.Tensor, parameters: dict[str, tf.Tensor], hidden_activation: str = "relu") -> tf.Tensor:
    """1 where AL > 0.5, else 0, in the dtype of X; (1, m)."""
    AL, _ = L_model_forward(X, parameters, hidden_activation)  # (1, m)
    return tf.cast(AL > 0.5, X.dtype)  # (1, m)


def L_layer_model(
    X: tf.Tensor,
    Y: tf.Tensor,
    parameters: dict[str, tf.Tensor],
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    hidden_activation: str = "relu",
    mode: str = "eager",
    record_every: int = 100,
) -> tuple[dict[str, tf.Tensor], list[float]]:
    """Full-batch gradient descent from `parameters` (tensors of one dtype, on one device); returns the
    final parameters and the cost at iterations 0, record_every, ... (each measured before that
    iteration's update). "eager" is the plain Python loop over the step; "function" and "compiled"
    run the whole loop in one call (make_train_loop) and keep every record_every-th of its costs."""
    # once, as a tensor of the parameters' dtype: no retracing, and no float32/float64 mixing
    learning_rate = tf.constant(learning_rate, dtype=X.dtype)
    with tf.device(X.device):  # compute where the data lives, even when another device is visible
        if mode != "eager":
            loop = make_train_loop(hidden_activation, mode)
            parameters, costs = loop(parameters, X, Y, learning_rate, tf.constant(num_iterations))
            return parameters, costs.numpy()[::record_every].tolist()  # to the host, then Python floats
        step = make_train_step(hidden_activation, mode)
        costs = []
        for i in range(num_iterations):
            parameters, cost = step(parameters, X, Y, learning_rate)
            if i % record_every == 0:
                costs.append(float(cost))  # copies the cost to the host, waiting for the step
    return parameters, costs
