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

A NamedSharding splits an axis into equal blocks, so m must be a multiple of N. When it is not, shard
pads the columns to the next multiple with zero-weight samples (column_weights), and the step uses the
weighted mean cost sum(w * loss) / sum(w): the padding then changes nothing but the shapes.
"""

import functools
import math
from collections.abc import Callable

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
        raise RuntimeError(
            f"{workers} workers need {workers} devices, jax sees {len(devices)}: on a CPU set {flag} "
            "before importing jax"
        )
    return jax.make_mesh((workers,), ("batch",), devices=devices[:workers])


def shard(X: jax.Array, Y: jax.Array, mesh: jax.sharding.Mesh) -> tuple[jax.Array, jax.Array]:
    """X (n_x, m), Y (1, m) split by columns over the mesh's N devices: global arrays (n_x, m'), (1, m'),
    device k holding X_k, Y_k, equal blocks of m' / N columns. When N does not divide m, zero columns pad
    m to m' = N ceil(m / N); column_weights gives them weight 0."""
    columns = NamedSharding(mesh, P(None, "batch"))  # axis 0 whole on every device, axis 1 split
    pad = -X.shape[1] % mesh.devices.size
    if pad:
        X = jnp.pad(X, ((0, 0), (0, pad)))  # (n_x, m'): zero columns, finite activations
        Y = jnp.pad(Y, ((0, 0), (0, pad)))  # (1, m')
    return jax.device_put(X, columns), jax.device_put(Y, columns)


def column_weights(m: int, mesh: jax.sharding.Mesh, dtype: jnp.dtype) -> jax.Array | None:
    """(1, m'), split as shard splits X: 1 on the m samples, 0 on shard's padding; None when there is none."""
    pad = -m % mesh.devices.size
    if pad == 0:
        return None
    weights = jnp.concatenate([jnp.ones((1, m), dtype), jnp.zeros((1, pad), dtype)], axis=1)  # (1, m + pad)
    return jax.device_put(weights, NamedSharding(mesh, P(None, "batch")))


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


# JAX's form differs from PyTorch's and TensorFlow's (a function of one worker's columns): JAX writes one
# program over the whole batch, sharded, and XLA splits it across the devices and adds the all-reduce; so this
# returns that program, jitted once per activation (weighted: an uneven split, padded).
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
    weights = column_weights(X.shape[1], mesh, X.dtype)  # (1, m') or None
    X, Y = shard(X, Y, mesh)  # (n_x, m'), (1, m'): device k holds X_k, Y_k
    parameters = replicate(parameters, mesh)
    step = data_parallel_train_step(hidden_activation, weights is not None)
    extra = () if weights is None else (weights,)
    costs = []
    for i in range(num_iterations):
        parameters, cost = step(parameters, X, Y, learning_rate, *extra)
        if i % record_every == 0:
            costs.append(float(cost))
    return parameters, costs


# In one process: N devices in one mesh.


def run_data_parallel(jobs: list, train: Callable) -> list:
    """Every job (conformance/parallel/job.py's DataParallelJob) on jobs[0].workers devices of this
    process, each trained by `train` (its train: the loop, the timing and the result) from this file's
    grads, step and step parts."""
    mesh = make_mesh(jobs[0].workers)
    return [_run(job, mesh, train) for job in jobs]


def _run(job, mesh: jax.sharding.Mesh, train: Callable):
    """One job of the whole batch: its columns split over the mesh, trained."""
    X, Y = from_numpy(job.X, job.dtype, "cpu"), from_numpy(job.Y, job.dtype, "cpu")  # (n_x, m), (1, m)
    weights = column_weights(job.m, mesh, X.dtype)  # (1, m') or None
    X, Y = shard(X, Y, mesh)  # (n_x, m'), (1, m'): device k holds X_k, Y_k
    return _train(X, Y, replicate(from_numpy(job.parameters, job.dtype, "cpu"), mesh), job, weights, train)


def _train(X: jax.Array, Y: jax.Array, parameters: Parameters, job, weights: jax.Array | None, train: Callable):
    """One job on sharded columns: JAX's grads, step and timed part, handed to `train`. One part: XLA's
    all-reduce is inside the compiled step, not timed on its own. Results are read from this process's copy
    (addressable_data): across processes no array is wholly in one of them."""
    act, lr, weighted = job.hidden_activation, job.learning_rate, weights is not None
    extra = () if weights is None else (weights,)
    step = data_parallel_train_step(act, weighted)
    return train(
        job,
        parameters,
        grads=lambda p: data_parallel_grads(act, weighted)(p, X, Y, *extra),
        step=lambda p: step(p, X, Y, lr, *extra),
        parts=_step_parts(step, X, Y, lr, extra),
        numpy=_local,
    )


def _step_parts(step: Callable, X: jax.Array, Y: jax.Array, learning_rate: float, extra: tuple) -> list[Callable]:
    """One training step (the jitted `step`) as one timed part, parameters in, parameters out, waiting
    for its cost."""

    def train_step(parameters):
        parameters, cost = step(parameters, X, Y, learning_rate, *extra)
        jax.block_until_ready(cost)
        return parameters

    return [train_step]


def _local(tree):
    """This process's copy of replicated arrays, as NumPy."""
    return jax.tree.map(lambda a: np.asarray(a.addressable_data(0)), tree)


# Across processes: each process started on its own, joined by jax.distributed.


def join(address: str, world_size: int, rank: int, timeout_s: float) -> jax.sharding.Mesh:
    """Join the `world_size` processes as `rank` through the coordinator at `address` (rank 0 runs
    it) within `timeout_s`, with gloo for the CPU collectives; a peer whose heartbeats stop for 10 s
    (JAX's default: 100) stops the others. The mesh spans every process's device."""
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        address,
        world_size,
        rank,
        initialization_timeout=math.ceil(timeout_s),
        heartbeat_timeout_seconds=math.ceil(min(timeout_s, 10)),
    )
    return make_mesh(world_size)


def all_gather_settings(mesh: jax.sharding.Mesh, settings: np.ndarray) -> np.ndarray:
    """Every process's settings vector (k,) int32, stacked by rank: (world_size, k)."""
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(np.asarray(settings, dtype=np.int32)))


def run_process(mesh: jax.sharding.Mesh, job, train: Callable):
    """This process's part of one job, from its own columns X_k (n_x, m_k), Y_k (1, m_k) of the m in
    all. Each process's block is padded to ceil(m / N) columns with zero-weight samples when N does
    not divide m, so that the global array has equal blocks."""
    m, world_size = job.m, mesh.devices.size
    block = -(-m // world_size)  # ceil(m / N)
    X_k, Y_k = np.asarray(job.X, job.dtype), np.asarray(job.Y, job.dtype)  # (n_x, m_k), (1, m_k)
    pad = block - X_k.shape[1]
    columns = NamedSharding(mesh, P(None, "batch"))

    def global_array(local: np.ndarray) -> jax.Array:  # (rows, block) here -> (rows, block * N) in all
        local = np.pad(local, ((0, 0), (0, pad)))
        return jax.make_array_from_process_local_data(columns, local, (local.shape[0], block * world_size))

    weights = None
    if m % world_size:
        weights = global_array(np.ones((1, X_k.shape[1]), job.dtype))  # (1, m'): 1 on samples, 0 on padding
    everywhere = NamedSharding(mesh, P())  # a full copy in every process
    parameters = {
        k: jax.make_array_from_process_local_data(everywhere, np.asarray(v, job.dtype))
        for k, v in job.parameters.items()
    }
    return _train(global_array(X_k), global_array(Y_k), parameters, job, weights, train)


def all_reduce_parts(mesh: jax.sharding.Mesh, n: int, dtype: str) -> list[Callable]:
    """One all-reduce (sum) of n numbers as a timed part: a (N, n) array, one row per process, summed over
    its rows into a copy on every process, which XLA compiles to one all-reduce."""
    rows = NamedSharding(mesh, P("batch", None))
    buffer = jax.make_array_from_process_local_data(rows, np.ones((1, n), dtype), (mesh.devices.size, n))  # (N, n)
    reduce = jax.jit(lambda x: jnp.sum(x, axis=0), out_shardings=NamedSharding(mesh, P()))  # (N, n) -> (n,)

    def all_reduce(_):
        jax.block_until_ready(reduce(buffer))

    return [all_reduce]


def leave(mesh: jax.sharding.Mesh) -> None:
    jax.distributed.shutdown()
