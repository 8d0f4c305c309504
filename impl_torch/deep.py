"""The L-layer network in PyTorch: [LINEAR -> hidden activation] x (L-1) -> LINEAR -> SIGMOID,
trained by full-batch gradient descent. The forward is written out as in reference_numpy/deep.py;
the backward is loss.backward().

Notation (the course's): X is (n[0], m), one column per sample; W[l] is (n[l], n[l-1]); b[l] is
(n[l], 1) and broadcasts over the m columns; Z[l] and A[l] are (n[l], m); Y and AL are (1, m).
Every tensor keeps the dtype and device it came in with (see impl_torch/arrays.py).
"""

import functools
from collections.abc import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
LinearCache = tuple[Tensor, Tensor, Tensor]  # (A_prev, W, b)
Cache = tuple[LinearCache, Tensor]  # (linear_cache, Z)
Step = Callable[[dict[str, Tensor], Tensor, Tensor, float], tuple[dict[str, Tensor], Tensor]]

LEAKY_RELU_SLOPE = 0.01
MODES = ("eager", "compiled")

# torch's built-ins take the derivative at Z == 0 as 0 for relu and as the slope 0.01 for
# leaky_relu (their backward tests Z > 0), the same choice as reference_numpy/activations.py.
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "leaky_relu": lambda Z: F.leaky_relu(Z, negative_slope=LEAKY_RELU_SLOPE),
    "sigmoid": torch.sigmoid,
}


def _check_hidden_activation(hidden_activation: str) -> None:
    if hidden_activation not in ACTIVATIONS:
        raise ValueError(f"unknown hidden_activation {hidden_activation!r}; choose one of {tuple(ACTIVATIONS)}")


def linear_forward(A_prev: Tensor, W: Tensor, b: Tensor) -> Tensor:
    """Z = W A_prev + b, (n[l], m)."""
    Z = W @ A_prev + b  # (n[l], m) = (n[l], n[l-1]) @ (n[l-1], m) + (n[l], 1)
    assert Z.shape == (W.shape[0], A_prev.shape[1])
    return Z


def linear_activation_forward(A_prev: Tensor, W: Tensor, b: Tensor, activation: str) -> tuple[Tensor, Cache]:
    """A = g(W A_prev + b), (n[l], m); cache = ((A_prev, W, b), Z) as in the reference."""
    Z = linear_forward(A_prev, W, b)  # (n[l], m)
    A = ACTIVATIONS[activation](Z)  # (n[l], m)
    return A, ((A_prev, W, b), Z)


def L_model_forward(
    X: Tensor, parameters: dict[str, Tensor], hidden_activation: str = "relu"
) -> tuple[Tensor, list[Cache]]:
    """AL = sigmoid(Z[L]) after L-1 hidden layers; caches[l-1] holds ((A[l-1], W[l], b[l]), Z[l])."""
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


def compute_cost(AL: Tensor, Y: Tensor) -> Tensor:
    """The course's formula, J = -(1/m) sum(Y log AL + (1 - Y) log(1 - AL)), a 0-d tensor; kept for
    reading. It is inf (or nan) once AL rounds to exactly 0 or 1: train with compute_cost_from_logits."""
    m = Y.shape[1]
    cost = -(Y @ torch.log(AL).T + (1 - Y) @ torch.log(1 - AL).T) / m  # (1, 1) = (1, m) @ (m, 1)
    return cost.squeeze()


def compute_cost_from_logits(ZL: Tensor, Y: Tensor) -> Tensor:
    """The same J from the logits ZL, a 0-d tensor: the course's formula with log(AL) = logsigmoid(z)
    and log(1 - AL) = logsigmoid(-z), each min(z, 0) - log1p(exp(-|z|)), finite for every z.

    Not F.binary_cross_entropy_with_logits: it computes log(1 + exp(-|z|)) with log, not log1p, so a
    confident right answer's small loss (z = -14, y = 0: 8.3e-7) comes out as 9.5e-7 in float32 and
    off by 1e-9 relative in float64; its autograd still gives sigmoid(z) - y."""
    m = Y.shape[1]
    losses = -(Y * F.logsigmoid(ZL) + (1 - Y) * F.logsigmoid(-ZL))  # (1, m)
    return torch.sum(losses) / m


def autograd_leaves(parameters: dict[str, Tensor]) -> dict[str, Tensor]:
    """Fresh leaf tensors, same keys and shapes, that autograd differentiates with respect to.

    detach() shares the caller's storage without copying; backward() writes only the new leaves'
    .grad, so the caller's tensors are neither changed nor marked requires_grad. (A function of its
    own so that torch.compile, which runs this part eagerly, still traces forward and cost as one graph.)"""
    return {name: P.detach().requires_grad_(True) for name, P in parameters.items()}


def L_model_grads(
    parameters: dict[str, Tensor], X: Tensor, Y: Tensor, hidden_activation: str = "relu"
) -> tuple[dict[str, Tensor], Tensor]:
    """grads {"dW1": (n[1], n[0]), "db1": (n[1], 1), ..., "dWL", "dbL"} of the cost, and the cost (0-d).

    This replaces the reference's linear_backward, linear_activation_backward and L_model_backward:
    the forward records what it did, and cost.backward() walks that record in reverse."""
    leaves = autograd_leaves(parameters)  # W[l] (n[l], n[l-1]), b[l] (n[l], 1), requiring grad
    _, caches = L_model_forward(X, leaves, hidden_activation)  # AL is inside the cost
    ZL = caches[-1][1]  # (1, m)
    cost = compute_cost_from_logits(ZL, Y)  # 0-d
    cost.backward()
    grads = {f"d{name}": leaf.grad for name, leaf in leaves.items()}  # same shapes as the parameters
    return grads, cost.detach()


def update_parameters(
    parameters: dict[str, Tensor], grads: dict[str, Tensor], learning_rate: float
) -> dict[str, Tensor]:
    """One gradient-descent step, W[l] - learning_rate dW[l], b[l] - learning_rate db[l]; returns new
    tensors and leaves `parameters` as it was."""
    L = len(parameters) // 2
    updated = {}
    with torch.no_grad():  # the update is not part of the cost: autograd must not record it
        for l in range(1, L + 1):
            updated[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]  # (n[l], n[l-1])
            updated[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]  # (n[l], 1)
    return updated


def train_step(
    parameters: dict[str, Tensor], X: Tensor, Y: Tensor, learning_rate: float, hidden_activation: str = "relu"
) -> tuple[dict[str, Tensor], Tensor]:
    """Forward, cost, backward, update; returns the new parameters and the cost before the update."""
    grads, cost = L_model_grads(parameters, X, Y, hidden_activation)
    return update_parameters(parameters, grads, learning_rate), cost


@functools.cache  # one step function per (activation, mode): a second training run reuses its compiled program
def make_train_step(hidden_activation: str = "relu", mode: str = "eager") -> Step:
    """step(parameters, X, Y, learning_rate) -> (parameters, cost): train_step as it is ("eager"),
    or torch.compile of the whole step ("compiled").

    Compiled: Dynamo cannot trace cost.backward(), so it splits the step at it: forward + cost is
    one graph (AOTAutograd compiles its backward too, which the autograd engine then runs), the
    update another. Each new shape, dtype or learning_rate compiles again, and torch keeps at most
    8 versions of `step` per process before falling back to eager with a warning:
    torch.compiler.reset() between workloads starts afresh."""
    _check_hidden_activation(hidden_activation)
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r} for torch; choose one of {MODES}")

    def step(
        parameters: dict[str, Tensor], X: Tensor, Y: Tensor, learning_rate: float
    ) -> tuple[dict[str, Tensor], Tensor]:
        return train_step(parameters, X, Y, learning_rate, hidden_activation)

    if mode == "eager":
        return step
    # dynamic=False: every shape gets its own static-shape kernels, as a benchmark of one problem
    # size wants, instead of symbolic shapes after the second size seen.
    return torch.compile(step, dynamic=False)


def predict(X: Tensor, parameters: dict[str, Tensor], hidden_activation: str = "relu") -> Tensor:
    """1 where AL > 0.5, else 0, (1, m), in X's dtype."""
    with torch.no_grad():
        AL, _ = L_model_forward(X, parameters, hidden_activation)  # (1, m)
    return (AL > 0.5).to(X.dtype)  # (1, m)


def L_layer_model(
    X: Tensor,
    Y: Tensor,
    parameters: dict[str, Tensor],
    learning_rate: float = 0.0075,
    num_iterations: int = 3000,
    hidden_activation: str = "relu",
    mode: str = "eager",
    record_every: int = 100,
) -> tuple[dict[str, Tensor], list[float]]:
    """Full-batch gradient descent from `parameters` (tensors of X's dtype, on X's device); returns
    the final parameters and the cost at iterations 0, record_every, ... (each measured before
    that iteration's update, as in the reference)."""
    step = make_train_step(hidden_activation, mode)
    costs = []
    for i in range(num_iterations):
        parameters, cost = step(parameters, X, Y, learning_rate)
        if i % record_every == 0:
            costs.append(cost.item())  # only now: .item() waits for a GPU to finish
    return parameters, costs
