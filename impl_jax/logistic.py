"""Logistic regression in JAX: A = sigmoid(w^T X + b), cross-entropy cost, gradient descent, with
the gradients from jax.value_and_grad. It is the deep network with layer_dims = [n_x, 1], W1 = w^T.

Shapes: w (n_x, 1); b (1, 1) (or the course's scalar); X (n_x, m); Y and A (1, m).
"""

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp

from .deep import MODES, compute_cost_from_logits


def propagate(w: jax.Array, b: jax.Array | float, X: jax.Array, Y: jax.Array) -> tuple[dict[str, jax.Array], jax.Array]:
    """The 0-d cost and its gradients {"dw": (n_x, 1), "db": (1, 1)}; a scalar b, as the course's
    notebook passes it, gives a 0-d db. A = sigmoid(Z) itself is not needed: the cost takes the
    logits Z, and autodiff finds the reference's dZ = A - Y."""
    b = jnp.asarray(b, dtype=X.dtype)  # a Python float becomes a 0-d array of X's dtype

    def cost_of(w: jax.Array, b: jax.Array) -> jax.Array:
        Z = w.T @ X + b  # (1, m) = (1, n_x) @ (n_x, m) + (1, 1)
        return compute_cost_from_logits(Z, Y)

    cost, (dw, db) = jax.value_and_grad(cost_of, argnums=(0, 1))(w, b)  # (n_x, 1), (1, 1)
    assert dw.shape == w.shape and db.shape == b.shape
    return {"dw": dw, "db": db}, cost


def train_step(
    w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array, learning_rate: float
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """One gradient-descent step: (w, b, the cost before the update)."""
    grads, cost = propagate(w, b, X, Y)
    learning_rate = jnp.asarray(learning_rate, dtype=w.dtype)  # () a float64 scalar must not promote float32
    w = w - learning_rate * grads["dw"]  # (n_x, 1)
    b = b - learning_rate * grads["db"]  # (1, 1)
    return w, b, cost


@functools.cache  # one step function per mode: a second training run reuses its compiled program
def make_train_step(mode: str = "eager") -> Callable:
    """step(w, b, X, Y, learning_rate) -> (w, b, cost); "compiled" is jax.jit of the whole step,
    learning_rate traced (a new value does not recompile)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for jax; choose one of {MODES}")
    return jax.jit(train_step) if mode == "compiled" else train_step


@functools.cache  # one loop per mode, so jit's cache of compiled programs outlives a training run
def make_train_loop(mode: str = "compiled") -> Callable:
    """loop(w, b, X, Y, learning_rate, num_iterations) -> (w, b, costs (num_iterations,)), the cost of
    every iteration before its update; as deep.make_train_loop, "compiled" is jax.jit of the whole
    jax.lax.scan, num_iterations static (a new count compiles again), learning_rate traced."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for jax; choose one of {MODES}")

    def loop(
        w: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array, learning_rate: float, num_iterations: int
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        def body(carry: tuple[jax.Array, jax.Array], _) -> tuple[tuple[jax.Array, jax.Array], jax.Array]:
            w, b, cost = train_step(*carry, X, Y, learning_rate)  # (n_x, 1), (1, 1), ()
            return (w, b), cost

        (w, b), costs = jax.lax.scan(body, (w, b), length=num_iterations)  # costs (num_iterations,)
        return w, b, costs

    return jax.jit(loop, static_argnames="num_iterations") if mode == "compiled" else loop


def optimize(
    w: jax.Array,
    b: jax.Array,
    X: jax.Array,
    Y: jax.Array,
    num_iterations: int = 100,
    learning_rate: float = 0.009,
    mode: str = "eager",
    record_every: int = 100,
) -> tuple[dict[str, jax.Array], dict[str, jax.Array], list[float]]:
    """Gradient descent; returns ({"w", "b"}, the last iteration's grads, the costs at iterations
    0, record_every, ...), each cost measured before that iteration's update. "eager" is the plain
    Python loop over the step; "compiled" runs all iterations but the last as one program
    (make_train_loop), then the last with the compiled step, whose pre-update weights give the grads."""
    if num_iterations == 0:
        return {"w": w, "b": b}, {}, []
    step = make_train_step(mode)
    if mode != "eager":
        w, b, costs = make_train_loop(mode)(w, b, X, Y, learning_rate, num_iterations - 1)
        w_last, b_last = w, b  # (n_x, 1), (1, 1): the last iteration's pre-update weights
        w, b, cost = step(w, b, X, Y, learning_rate)
        # to the host (a NumPy array, waiting for the loop), then every record_every-th as Python floats
        costs = [*jax.device_get(costs).tolist(), float(cost)][::record_every]
    else:
        costs = []
        for i in range(num_iterations):
            w_last, b_last = w, b
            w, b, cost = step(w, b, X, Y, learning_rate)
            if i % record_every == 0:
                costs.append(float(cost))
    # The step returns no grads; the reference's last grads are those at the last pre-update weights.
    grads = propagate(w_last, b_last, X, Y)[0]
    return {"w": w, "b": b}, grads, costs


def predict(w: jax.Array, b: jax.Array, X: jax.Array) -> jax.Array:
    """1 where sigmoid(w^T X + b) > 0.5, else 0, in X's dtype; (1, m)."""
    A = jax.nn.sigmoid(w.T @ X + b)  # (1, m) = sigmoid((1, n_x) @ (n_x, m) + (1, 1))
    return (A > 0.5).astype(X.dtype)  # (1, m)


def model(
    X_train: jax.Array,
    Y_train: jax.Array,
    X_test: jax.Array | None,
    Y_test: jax.Array | None,
    num_iterations: int = 2000,
    learning_rate: float = 0.5,
    mode: str = "eager",
) -> dict:
    """Zero initialisation, optimize, then predictions and accuracies on both sets (the test set may be None),
    as reference_numpy.logistic.model. An accuracy is the count of right predictions over m, in Python floats:
    the same number NumPy's mean gives, whatever the dtype."""
    w = jnp.zeros((X_train.shape[0], 1), dtype=X_train.dtype)  # (n_x, 1)
    b = jnp.zeros((1, 1), dtype=X_train.dtype)  # (1, 1)
    params, _, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate, mode=mode)
    w, b = params["w"], params["b"]
    Y_prediction_train = predict(w, b, X_train)  # (1, m_train)
    result = {
        "costs": costs,
        "w": w,
        "b": b,
        "learning_rate": learning_rate,
        "num_iterations": num_iterations,
        "Y_prediction_train": Y_prediction_train,
        "train_accuracy": int(jnp.sum(Y_prediction_train == Y_train)) / Y_train.shape[1],
        "Y_prediction_test": None,
        "test_accuracy": None,
    }
    if X_test is not None and Y_test is not None:
        result["Y_prediction_test"] = predict(w, b, X_test)  # (1, m_test)
        result["test_accuracy"] = int(jnp.sum(result["Y_prediction_test"] == Y_test)) / Y_test.shape[1]
    return result
