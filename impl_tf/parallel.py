"""Data-parallel training with tf.distribute.MirroredStrategy: N replicas in one process, each with
one block of the batch's columns and a copy of the parameters, their gradients summed by the
replica context's all_reduce. The oracle is reference_numpy/parallel.py.

Two ways to get the N replicas, one replica function. In one process ("devices"),
tf.config.set_logical_device_configuration splits the one physical CPU into N logical devices
(before TensorFlow starts its runtime), and MirroredStrategy mirrors over them. Across processes
("processes", as across machines), MultiWorkerMirroredStrategy runs the same replica function in
every process of the cluster that TF_CONFIG names, each process with only its own columns, and the
all_reduce travels over gRPC (join / run_process).

Each replica computes the ordinary L_model_grads on its m_k columns (the mean over them), weighs the
result by m_k / m, and the all_reduce sums: the full-batch gradient, uneven splits included. (Keras
does the same by scaling each replica's loss by the global batch size, tf.nn.compute_average_loss.)
"""

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from .arrays import TF_DTYPES, to_numpy
from .deep import L_model_grads, update_parameters


def logical_cpus(workers: int) -> list[str]:
    """Split the CPU into `workers` logical devices; must run before TensorFlow's runtime starts."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * workers)
    except RuntimeError as err:  # the runtime is up: keep what it has if that is enough
        if len(tf.config.list_logical_devices("CPU")) < workers:
            raise RuntimeError(
                f"{workers} logical CPUs are needed, TensorFlow was started with "
                f"{len(tf.config.list_logical_devices('CPU'))}: {err}"
            ) from err
    return [d.name for d in tf.config.list_logical_devices("CPU")[:workers]]


def make_strategy(workers: int) -> tf.distribute.MirroredStrategy:
    """A MirroredStrategy over `workers` logical CPUs (or the GPUs, when there are that many)."""
    gpus = tf.config.list_physical_devices("GPU")  # physical: listing logical devices would start the runtime
    if len(gpus) >= workers:
        devices = [d.name for d in tf.config.list_logical_devices("GPU")[:workers]]
    else:
        devices = logical_cpus(workers)
    # on CPUs the cross-device sum is a plain reduction on one device; NCCL is for GPUs
    cross = None if gpus else tf.distribute.ReductionToOneDevice()
    return tf.distribute.MirroredStrategy(devices, cross_device_ops=cross)


def shard(X: tf.Tensor, Y: tf.Tensor, strategy: tf.distribute.Strategy):
    """X (n_x, m), Y (1, m) split by columns over the strategy's N replicas: per-replica values, replica k
    getting X_k (n_x, m_k), Y_k (1, m_k), contiguous blocks, the first m % N one column longer."""
    m, workers = int(X.shape[1]), strategy.num_replicas_in_sync
    sizes = [m // workers + (k < m % workers) for k in range(workers)]
    X_parts, Y_parts = tf.split(X, sizes, axis=1), tf.split(Y, sizes, axis=1)  # [(n_x, m_k)], [(1, m_k)]

    def part(context):  # a tf.distribute.experimental.ValueContext
        k = context.replica_id_in_sync_group
        return X_parts[k], Y_parts[k]

    return strategy.experimental_distribute_values_from_function(part)


def data_parallel_grads(
    parameters: dict[str, tf.Tensor], X_k: tf.Tensor, Y_k: tf.Tensor, m: tf.Tensor, hidden_activation: str = "relu"
) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    """Inside one replica: its gradients and cost, weighted by m_k / m, summed over the replicas."""
    grads, cost = L_model_grads(parameters, X_k, Y_k, hidden_activation)  # this replica's mean
    share = tf.cast(tf.shape(X_k)[1], X_k.dtype) / m  # m_k / m
    context = tf.distribute.get_replica_context()
    return context.all_reduce(tf.distribute.ReduceOp.SUM, ({k: share * g for k, g in grads.items()}, share * cost))


# Built for a strategy, where PyTorch's is called directly: strategy.run takes the replica's function, traced
# once as a tf.function for every step (PyTorch's process is its own worker and needs no such wrapper).
def data_parallel_train_step(strategy: tf.distribute.Strategy, hidden_activation: str = "relu"):
    """step(parameters, X_k, Y_k, m, learning_rate) -> (parameters, cost): one tf.function that runs
    the replica step on every replica (strategy.run) and returns replica 0's copy, which all share."""

    def replica_step(parameters, X_k, Y_k, m, learning_rate):
        grads, cost = data_parallel_grads(parameters, X_k, Y_k, m, hidden_activation)
        return update_parameters(parameters, grads, learning_rate), cost

    @tf.function
    def step(parameters, X_k, Y_k, m, learning_rate):
        out = strategy.run(replica_step, args=(parameters, X_k, Y_k, m, learning_rate))
        return tf.nest.map_structure(lambda v: strategy.experimental_local_results(v)[0], out)

    return step


def data_parallel_L_layer_model(
    X: tf.Tensor,
    Y: tf.Tensor,
    parameters: dict[str, tf.Tensor],
    learning_rate: float,
    num_iterations: int,
    strategy: tf.distribute.Strategy,
    hidden_activation: str = "relu",
    record_every: int = 100,
) -> tuple[dict[str, tf.Tensor], list[float]]:
    """Full-batch gradient descent with the columns split over the strategy's replicas."""
    X_k, Y_k = shard(X, Y, strategy)  # replica k: (n_x, m_k), (1, m_k)
    step = data_parallel_train_step(strategy, hidden_activation)
    rate, m = tf.constant(learning_rate, X.dtype), tf.constant(int(X.shape[1]), X.dtype)
    costs = []
    for i in range(num_iterations):
        parameters, cost = step(parameters, X_k, Y_k, m, rate)
        if i % record_every == 0:
            costs.append(float(cost))
    return parameters, costs


# In one process: N replicas on N logical devices.


def run_data_parallel(jobs: list, train: Callable) -> list:
    """Every job (conformance/parallel/job.py's DataParallelJob) on jobs[0].workers replicas, each trained
    by `train` (its train: the loop, the timing and the result) from this file's grads, step and step parts."""
    strategy = make_strategy(jobs[0].workers)
    return [_run(job, strategy, train) for job in jobs]


def _run(job, strategy: tf.distribute.Strategy, train: Callable):
    """One job of the whole batch: its columns split over the replicas, trained."""
    dtype = TF_DTYPES[job.dtype]
    X, Y = tf.constant(job.X, dtype), tf.constant(job.Y, dtype)  # (n_x, m), (1, m)
    X_k, Y_k = shard(X, Y, strategy)  # replica k: (n_x, m_k), (1, m_k)
    return _train(X_k, Y_k, {k: tf.constant(v, dtype) for k, v in job.parameters.items()}, job, strategy, train)


def _train(X_k, Y_k, parameters: dict[str, tf.Tensor], job, strategy: tf.distribute.Strategy, train: Callable):
    """One job on the replicas' columns: TensorFlow's grads, step and timed part, handed to `train`. One
    part: the replicas' all_reduce is inside the traced step, not timed on its own."""
    dtype, act = TF_DTYPES[job.dtype], job.hidden_activation
    m, rate = tf.constant(job.m, dtype), tf.constant(job.learning_rate, dtype)

    @tf.function
    def grads_at(parameters):
        out = strategy.run(data_parallel_grads, args=(parameters, X_k, Y_k, m, act))
        return tf.nest.map_structure(lambda v: strategy.experimental_local_results(v)[0], out)

    step = data_parallel_train_step(strategy, act)
    return train(
        job,
        parameters,
        grads=grads_at,
        step=lambda p: step(p, X_k, Y_k, m, rate),
        parts=_step_parts(step, X_k, Y_k, m, rate),
        numpy=to_numpy,
    )


def _step_parts(step: Callable, X_k, Y_k, m: tf.Tensor, learning_rate: tf.Tensor) -> list[Callable]:
    """One training step (the traced `step`) as one timed part, parameters in, parameters out, waiting
    for its cost."""

    def train_step(parameters):
        parameters, cost = step(parameters, X_k, Y_k, m, learning_rate)
        cost.numpy()  # wait for it
        return parameters

    return [train_step]


# Across processes: each process started on its own, the cluster named in TF_CONFIG.


def join(address: str, world_size: int, rank: int, timeout_s: float) -> tf.distribute.MultiWorkerMirroredStrategy:
    """Join the cluster that TF_CONFIG names (every worker's host:port, this one's index; `address`
    is worker 0's) as one replica per process. `timeout_s` bounds every collective, and the
    strategy's health checks stop the others when a peer is lost."""
    tf.config.threading.set_intra_op_parallelism_threads(1)
    ring = tf.distribute.experimental.CommunicationImplementation.RING  # gRPC between CPUs
    options = tf.distribute.experimental.CommunicationOptions(implementation=ring, timeout_seconds=timeout_s)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    if strategy.num_replicas_in_sync != world_size:
        raise RuntimeError(f"TF_CONFIG names {strategy.num_replicas_in_sync} workers, expected {world_size}")
    return strategy


def all_gather_settings(strategy: tf.distribute.Strategy, settings: np.ndarray) -> np.ndarray:
    """Every process's settings vector (k,) int32, stacked by rank: (world_size, k)."""
    mine = tf.constant(np.asarray(settings, dtype=np.int32))

    @tf.function
    def gather():  # tf.identity gives the value the replica's device, which a collective needs
        out = strategy.run(lambda: tf.distribute.get_replica_context().all_gather(tf.identity(mine)[None], axis=0))
        return strategy.experimental_local_results(out)[0]

    return gather().numpy()


def run_process(strategy: tf.distribute.Strategy, job, train: Callable):
    """This process's part of one job, on its own columns X_k (n_x, m_k), Y_k (1, m_k) of the m in all."""
    dtype = TF_DTYPES[job.dtype]
    X_k, Y_k = tf.constant(job.X, dtype), tf.constant(job.Y, dtype)  # (n_x, m_k), (1, m_k)
    return _train(X_k, Y_k, {k: tf.constant(v, dtype) for k, v in job.parameters.items()}, job, strategy, train)


def all_reduce_parts(strategy: tf.distribute.Strategy, n: int, dtype: str) -> list[Callable]:
    """One all_reduce(SUM) of n numbers in the replica context, as in every step, as a timed part."""
    buffer = tf.ones([n], TF_DTYPES[dtype])  # (n,)

    def replica():  # tf.identity gives the value the replica's device, which a collective needs
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, tf.identity(buffer))

    @tf.function
    def reduce():
        return strategy.experimental_local_results(strategy.run(replica))[0]

    def all_reduce(_):
        reduce().numpy()  # wait for it

    return [all_reduce]


def leave(strategy: tf.distribute.Strategy) -> None:
    """Nothing to close: the gRPC server lives as long as the process."""
