"""Data-parallel gradient descent, the oracle: what PyTorch's all_reduce, JAX's sharded jit and
TensorFlow's MirroredStrategy must each compute, written as the plain sum it is.

The batch's m columns are split into N shards (m_1 + ... + m_N = m, uneven when N does not divide m).
Worker k computes its shard's cost J_k = (1/m_k) sum over its columns, and its gradients, with the
ordinary single-process code. The full-batch cost is the mean over all m columns, so

    J = sum_k (m_k / m) J_k        and        dW[l] = sum_k (m_k / m) dW[l]_k

Each worker weighs its gradient by its share of m, and the all-reduce is a sum. (Averaging the N
workers' gradients, as a plain mean all-reduce does, is right only when every m_k = m / N.)

Every framework's parallel.py has this shard(X, Y, workers): X (n_x, m), Y (1, m) split by columns over
the workers (here a count; PyTorch's process group, JAX's mesh, TensorFlow's strategy), returned as
each worker's X_k, Y_k in the form the framework hands them out.
"""

import numpy as np

from .deep import L_model_backward, L_model_forward, compute_cost_from_logits, update_parameters


def shard(X: np.ndarray, Y: np.ndarray, workers: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """X (n_x, m), Y (1, m) split by columns over the N workers: every worker's X_k (n_x, m_k), Y_k (1, m_k),
    here all in one process. Contiguous blocks, the first m % N one column longer."""
    if not 1 <= workers <= X.shape[1]:
        raise ValueError(f"workers must be between 1 and m = {X.shape[1]}, got {workers}")
    return np.array_split(X, workers, axis=1), np.array_split(Y, workers, axis=1)  # [(n_x, m_k)], [(1, m_k)]


# The oracle's form: every worker in one loop, the all-reduce a plain sum. The frameworks' data_parallel_grads
# run one worker's columns each (PyTorch, TensorFlow), or return one program over the whole batch (JAX).
def data_parallel_grads(
    parameters: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, workers: int, hidden_activation: str = "relu"
) -> tuple[dict[str, np.ndarray], float]:
    """The full-batch gradients and cost, from `workers` shards: each worker's, weighted by m_k / m, summed."""
    m = X.shape[1]
    total: dict[str, np.ndarray] = {}
    dtype = X.dtype.type  # the weighted sum in the computation's dtype, as the frameworks' all-reduce does
    cost = dtype(0)
    X_parts, Y_parts = shard(X, Y, workers)  # [(n_x, m_k)], [(1, m_k)]
    for X_k, Y_k in zip(X_parts, Y_parts, strict=True):  # what each worker computes, on its own columns
        share = X_k.shape[1] / m  # m_k / m
        AL, caches = L_model_forward(X_k, parameters, hidden_activation)  # (1, m_k)
        grads = L_model_backward(AL, Y_k, caches, hidden_activation, need_dA0=False)
        cost += dtype(share) * dtype(compute_cost_from_logits(caches[-1][1], Y_k))
        for key, g in grads.items():  # the all-reduce: a sum of the weighted gradients
            if not key.startswith("dA"):
                total[key] = total.get(key, 0.0) + share * g  # same shape as the parameter
    return total, float(cost)


def data_parallel_train_step(
    parameters: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    learning_rate: float,
    workers: int,
    hidden_activation: str = "relu",
) -> tuple[dict[str, np.ndarray], float]:
    """One step: every worker applies the same all-reduced gradient, so every copy stays the same."""
    grads, cost = data_parallel_grads(parameters, X, Y, workers, hidden_activation)
    return update_parameters(parameters, grads, learning_rate), cost


def data_parallel_L_layer_model(
    X: np.ndarray,
    Y: np.ndarray,
    parameters: dict[str, np.ndarray],
    learning_rate: float,
    num_iterations: int,
    workers: int,
    hidden_activation: str = "relu",
    record_every: int = 100,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Full-batch gradient descent on `workers` shards: (final parameters, costs at 0, record_every, ...)."""
    costs = []
    for i in range(num_iterations):
        parameters, cost = data_parallel_train_step(parameters, X, Y, learning_rate, workers, hidden_activation)
        if i % record_every == 0:
            costs.append(cost)
    return parameters, costs
