"""Data-parallel training with jax.sharding: one process, N devices in a Mesh, the batch's columns
split over them by a NamedSharding, and the jitted training step unchanged. XLA's SPMD partitioner
sees that the cost sums over a sharded axis and inserts the all-reduce itself. The oracle is
reference_numpy/parallel.py.

Two ways to get the N devices, one training code. In one process ("devices"),
XLA_FLAGS=--xla_force_host_platform_device_count=N (set before jax is imported) makes N CPU devices.
Across processes ("processes", as across machines), jax.distributed.initialize() in each process
joins them over TCP into one set of global devices, the CPU collectives run over gloo, each process
hands in only its own columns (jax.make_array_from_process_local_data), and the same Mesh, shardings
and jitted step span them all (join / run_process).

A NamedSharding splits an axis into equal blocks, so m must be a multiple of N. When it is not, the
columns are padded to the next multiple with zero-weight samples, and the step uses the weighted
mean cost sum(w * loss) / sum(w): the padding then changes nothing but the shapes.
"""

import functools
import math
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from .arrays import from_numpy
from .deep import L_model_forward, L_model_grads, make_train_step, update_parameters

Parameters = dict[str, jax.Array]


def make_mesh(workers: int) -> jax.sharding.Mesh:
    """A one-axis mesh, "batch", over the first `workers` devices."""
    devices = jax.devices()
    if len(devices) < workers:
        flag = f"XLA_FLAGS=--xla_force_host_platform_device_count={workers}"
        raise RuntimeError(f"{workers} workers need {workers} devices, jax sees {len(devices)}: on a CPU set {flag} "
                           "before importing jax")  # fmt: skip
    return jax.make_mesh((workers,), ("batch",), devices=devices[:workers])


def shard(X: jax.Array, Y: jax.Array, mesh: jax.sharding.Mesh) -> tuple[jax.Array, jax.Array, jax.Array | None]:
    """X (n_x, m) and Y (1, m) with their columns split over the mesh, and the columns' weights (1, m')
    when m had to be padded to a multiple of the device count (None when it did not)."""
    columns = NamedSharding(mesh, P(None, "batch"))  # axis 0 whole on every device, axis 1 split
    m, workers = X.shape[1], mesh.devices.size
    pad = -m % workers
    if pad == 0:
        return jax.device_put(X, columns), jax.device_put(Y, columns), None
    weights = jnp.concatenate([jnp.ones((1, m), X.dtype), jnp.zeros((1, pad), X.dtype)], axis=1)  # (1, m + pad)
    X = jnp.pad(X, ((0, 0), (0, pad)))  # zero columns: finite activations, weight 0
    Y = jnp.pad(Y, ((0, 0), (0, pad)))
    return jax.device_put(X, columns), jax.device_put(Y, columns), jax.device_put(weights, columns)


def replicate(parameters: Parameters, mesh: jax.sharding.Mesh) -> Parameters:
    """A full copy of every W[l] and b[l] on every device."""
    return jax.device_put(parameters, NamedSharding(mesh, P()))


def weighted_grads(
    parameters: Parameters, X: jax.Array, Y: jax.Array, weights: jax.Array, hidden_activation: str = "relu"
) -> tuple[Parameters, jax.Array]:
    """L_model_grads of the weighted mean cost sum(w * loss) / sum(w), for padded columns (w = 0)."""

    def cost_of(parameters: Parameters) -> jax.Array:
        _, caches = L_model_forward(X, parameters, hidden_activation)
        ZL = caches[-1][1]  # (1, m')
        losses = -(
            Y * jax.nn.log_sigmoid(ZL) + (1 - Y) * jax.nn.log_sigmoid(-ZL)
        )  # (1, m'), as compute_cost_from_logits
        return jnp.sum(weights * losses) / jnp.sum(weights)

    cost, d_parameters = jax.value_and_grad(cost_of)(parameters)
    return {f"d{name}": d for name, d in d_parameters.items()}, cost


@functools.cache
def data_parallel_grads(hidden_activation: str = "relu", weighted: bool = False):
    """grads(parameters, X, Y[, weights]) -> (grads, cost), jitted: on sharded X and Y it runs on
    every device, each on its columns, and XLA all-reduces the sums over m."""
    if weighted:
        return jax.jit(functools.partial(weighted_grads, hidden_activation=hidden_activation))
    return jax.jit(functools.partial(L_model_grads, hidden_activation=hidden_activation))


@functools.cache
def data_parallel_train_step(hidden_activation: str = "relu", weighted: bool = False):
    """step(parameters, X, Y, learning_rate[, weights]) -> (parameters, cost). Unweighted, this is
    deep.make_train_step(..., "compiled") itself: the data parallelism is in the inputs' shardings."""
    if not weighted:
        return make_train_step(hidden_activation, "compiled")

    def step(parameters, X, Y, learning_rate, weights):
        grads, cost = weighted_grads(parameters, X, Y, weights, hidden_activation)
        return update_parameters(parameters, grads, learning_rate), cost

    return jax.jit(step)


def data_parallel_L_layer_model(
    X: jax.Array,
    Y: jax.Array,
    parameters: Parameters,
    learning_rate: float,
    num_iterations: int,
    mesh: jax.sharding.Mesh,
    hidden_activation: str = "relu",
    record_every: int = 100,
) -> tuple[Parameters, list[float]]:
    """Full-batch gradient descent with the columns split over the mesh's devices."""
    X, Y, weights = shard(X, Y, mesh)
    parameters = replicate(parameters, mesh)
    step = data_parallel_train_step(hidden_activation, weights is not None)
    extra = () if weights is None else (weights,)
    costs = []
    for i in range(num_iterations):
        parameters, cost = step(parameters, X, Y, learning_rate, *extra)
        if i % record_every == 0:
            costs.append(float(cost))
    return parameters, costs


def run_data_parallel(jobs: list[dict]) -> list[dict]:
    """Every job on jobs[0]["workers"] devices of this process: grads and cost at the start, parameters
    and costs after num_iterations steps (as NumPy); with time_steps, the median seconds per step."""
    mesh = make_mesh(jobs[0]["workers"])
    return [_run(job, mesh) for job in jobs]


def _run(job: dict, mesh: jax.sharding.Mesh) -> dict:
    dtype = job["dtype"]
    X, Y = from_numpy(job["X"], dtype, "cpu"), from_numpy(job["Y"], dtype, "cpu")
    Xs, Ys, weights = shard(X, Y, mesh)
    return _train(Xs, Ys, weights, replicate(from_numpy(job["parameters"], dtype, "cpu"), mesh), job)


def _train(Xs: jax.Array, Ys: jax.Array, weights: jax.Array | None, parameters: Parameters, job: dict) -> dict:
    """One job on sharded columns: grads and cost at the start, parameters and costs after
    num_iterations steps, and with time_steps the median seconds per step. Results are read from this
    process's copy (addressable_data): across processes no array is wholly in one of them."""
    act, lr, weighted = job["hidden_activation"], job["learning_rate"], weights is not None
    extra = () if weights is None else (weights,)
    grads, cost = data_parallel_grads(act, weighted)(parameters, Xs, Ys, *extra)
    step, final, costs = data_parallel_train_step(act, weighted), parameters, []
    for _ in range(job["num_iterations"]):
        final, c = step(final, Xs, Ys, lr, *extra)
        costs.append(float(_local(c)))
    result = {"grads": _local(grads), "cost": float(_local(cost)), "parameters": _local(final), "costs": costs}
    if job.get("time_steps"):
        p, times = final, []
        for i in range(job["time_steps"] + 2):  # two warm-up steps
            start = time.perf_counter()
            p, c = step(p, Xs, Ys, lr, *extra)
            jax.block_until_ready(c)
            if i >= 2:
                times.append(time.perf_counter() - start)
        result.update(step_s=statistics.median(times), comm_s=None, steps=len(times))
    return result


def _local(tree):
    """This process's copy of replicated arrays, as NumPy."""
    return jax.tree.map(lambda a: np.asarray(a.addressable_data(0)), tree)


# Across processes: each process started on its own, joined by jax.distributed.


def join(address: str, world_size: int, rank: int, timeout_s: float) -> jax.sharding.Mesh:
    """Join the `world_size` processes as `rank` through the coordinator at `address` (rank 0 runs
    it) within `timeout_s`, with gloo for the CPU collectives; a peer whose heartbeats stop for 10 s
    (JAX's default: 100) stops the others. The mesh spans every process's device."""
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(address, world_size, rank, initialization_timeout=math.ceil(timeout_s),
                               heartbeat_timeout_seconds=math.ceil(min(timeout_s, 10)))  # fmt: skip
    return make_mesh(world_size)


def all_gather_settings(mesh: jax.sharding.Mesh, settings: np.ndarray) -> np.ndarray:
    """Every process's settings vector (k,) int32, stacked by rank: (world_size, k)."""
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(np.asarray(settings, dtype=np.int32)))


def run_process(mesh: jax.sharding.Mesh, job: dict) -> dict:
    """This process's part of one job, from its own columns X_k (n_x, m_k), Y_k (1, m_k) of the m in
    all. Each process's block is padded to ceil(m / N) columns with zero-weight samples when N does
    not divide m, so that the global array has equal blocks."""
    dtype, m, world_size = job["dtype"], job["m"], mesh.devices.size
    block = -(-m // world_size)  # ceil(m / N)
    X_k, Y_k = np.asarray(job["X_k"], dtype), np.asarray(job["Y_k"], dtype)
    pad = block - X_k.shape[1]
    columns = NamedSharding(mesh, P(None, "batch"))

    def global_array(local: np.ndarray) -> jax.Array:  # (rows, block) here -> (rows, block * N) in all
        local = np.pad(local, ((0, 0), (0, pad)))
        return jax.make_array_from_process_local_data(columns, local, (local.shape[0], block * world_size))

    weights = None
    if m % world_size:
        weights = global_array(np.ones((1, X_k.shape[1]), dtype))  # (1, m'): 1 on samples, 0 on padding
    everywhere = NamedSharding(mesh, P())  # a full copy in every process
    parameters = {k: jax.make_array_from_process_local_data(everywhere, np.asarray(v, dtype))
                  for k, v in job["parameters"].items()}  # fmt: skip
    return _train(global_array(X_k), global_array(Y_k), weights, parameters, job)


def time_all_reduce(mesh: jax.sharding.Mesh, n: int, dtype: str, repeats: int) -> float:
    """Median seconds of one all-reduce (sum) of n numbers: a (N, n) array, one row per process, summed
    over its rows into a copy on every process, which XLA compiles to one all-reduce."""
    rows = NamedSharding(mesh, P("batch", None))
    buffer = jax.make_array_from_process_local_data(rows, np.ones((1, n), dtype), (mesh.devices.size, n))
    reduce = jax.jit(lambda x: jnp.sum(x, axis=0), out_shardings=NamedSharding(mesh, P()))
    times = []
    for i in range(repeats + 2):  # two warm-up calls (the first compiles)
        start = time.perf_counter()
        jax.block_until_ready(reduce(buffer))
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def leave(mesh: jax.sharding.Mesh) -> None:
    jax.distributed.shutdown()
