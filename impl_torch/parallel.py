"""Data-parallel training with torch.distributed: N processes, each with one block of the batch's
columns and a full copy of the parameters, their gradients summed by all_reduce (gloo on CPUs,
NCCL on GPUs). The oracle is reference_numpy/parallel.py.

Two ways to start the processes, one training code: torch.multiprocessing.spawn from one parent
(run_data_parallel, "devices"), or the torchrun launcher on each machine (join / run_process,
"processes"), where every process reads only its own columns and the ranks meet over TCP through
torchrun's c10d rendezvous, on 127.0.0.1 as across machines.

Why an explicit all_reduce of our gradient dict, not DistributedDataParallel: DDP would need our
parameters wrapped in an nn.Module, and it averages the N gradients (divides the sum by N), which
is the full-batch gradient only when every worker has m / N columns. Here each worker weighs its
gradient by its own share m_k / m before the sum, so uneven splits come out exact, and the one
collective that data parallelism adds is in plain sight: flatten, all_reduce, unflatten, which is
what one of DDP's gradient buckets does.
"""

import datetime
import os
import socket
import tempfile
from collections.abc import Callable

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import Tensor

from .arrays import TORCH_DTYPES, from_numpy, to_numpy
from .deep import L_model_grads, update_parameters


def shard(X: Tensor, Y: Tensor, group: None) -> tuple[Tensor, Tensor]:
    """X (n_x, m), Y (1, m) split by columns over the group's N processes: this one's X_k (n_x, m_k),
    Y_k (1, m_k), rank k's contiguous block, the first m % N one column longer."""
    rank, world_size = dist.get_rank(group), dist.get_world_size(group)
    return torch.tensor_split(X, world_size, dim=1)[rank], torch.tensor_split(Y, world_size, dim=1)[rank]


def all_reduce_grads(grads: dict[str, Tensor], cost: Tensor, share: float) -> tuple[dict[str, Tensor], Tensor]:
    """sum over workers of share * (grads, cost), in one collective: every gradient and the cost are
    flattened into one buffer (one message instead of 2L + 1), summed in place, and cut back out."""
    keys = list(grads)
    flat = torch.cat([grads[k].reshape(-1) for k in keys] + [cost.reshape(1)]) * share  # (P + 1,)
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)  # every worker now holds the same sum
    out, offset = {}, 0
    for k in keys:
        n = grads[k].numel()
        out[k] = flat[offset : offset + n].view_as(grads[k])  # same shape as the parameter
        offset += n
    return out, flat[-1]


def data_parallel_grads(
    parameters: dict[str, Tensor], X_k: Tensor, Y_k: Tensor, m: int, hidden_activation: str = "relu"
) -> tuple[dict[str, Tensor], Tensor]:
    """The full-batch gradients and cost: this worker's (the ordinary L_model_grads on its m_k
    columns), weighted by m_k / m and summed over the workers."""
    grads, cost = L_model_grads(parameters, X_k, Y_k, hidden_activation)  # this shard's mean
    return all_reduce_grads(grads, cost, X_k.shape[1] / m)


def data_parallel_train_step(
    parameters: dict[str, Tensor],
    X_k: Tensor,
    Y_k: Tensor,
    m: int,
    learning_rate: float,
    hidden_activation: str = "relu",
) -> tuple[dict[str, Tensor], Tensor]:
    """One step: every worker applies the same summed gradient, so every copy stays the same."""
    grads, cost = data_parallel_grads(parameters, X_k, Y_k, m, hidden_activation)
    return update_parameters(parameters, grads, learning_rate), cost


def data_parallel_L_layer_model(
    X: Tensor,
    Y: Tensor,
    parameters: dict[str, Tensor],
    learning_rate: float,
    num_iterations: int,
    group: None,
    hidden_activation: str = "relu",
    record_every: int = 100,
) -> tuple[dict[str, Tensor], list[float]]:
    """Full-batch gradient descent with the columns split over the group's processes, this one's part."""
    X_k, Y_k = shard(X, Y, group)  # (n_x, m_k), (1, m_k)
    costs = []
    for i in range(num_iterations):
        parameters, cost = data_parallel_train_step(parameters, X_k, Y_k, X.shape[1], learning_rate, hidden_activation)
        if i % record_every == 0:
            costs.append(float(cost))
    return parameters, costs


# In one process's children: torch.multiprocessing, joined over gloo.


def run_data_parallel(jobs: list, train: Callable) -> list:
    """Every job (conformance/parallel/job.py's DataParallelJob) on jobs[0].workers processes
    (torch.multiprocessing), each trained by `train` (its train: the loop, the timing and the result) from
    this file's grads, step and step parts; rank 0's results."""
    world_size = jobs[0].workers
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "results.pt")
        mp.spawn(_worker, args=(world_size, _free_port(), jobs, train, out), nprocs=world_size, join=True)
        return torch.load(out, weights_only=False)


def _worker(rank: int, world_size: int, port: int, jobs: list, train: Callable, out: str) -> None:
    """What each spawned process runs: join the group, run every job; rank 0 saves the results."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(jobs[0].threads)
    backend = "nccl" if jobs[0].device == "gpu" else "gloo"
    dist.init_process_group(backend, rank=rank, world_size=world_size)
    try:
        results = [_run(job, None, train) for job in jobs]
        if rank == 0:
            torch.save(results, out)
    finally:
        dist.destroy_process_group()


def _run(job, group: None, train: Callable):
    """One job of the whole batch: this process's shard of it, trained."""
    device = f"cuda:{dist.get_rank(group)}" if job.device == "gpu" else "cpu"
    X, Y = from_numpy(job.X, job.dtype, device), from_numpy(job.Y, job.dtype, device)  # (n_x, m), (1, m)
    X_k, Y_k = shard(X, Y, group)  # (n_x, m_k), (1, m_k)
    return _train(X_k, Y_k, from_numpy(job.parameters, job.dtype, device), job, train)


def _train(X_k: Tensor, Y_k: Tensor, parameters: dict[str, Tensor], job, train: Callable):
    """This worker's part of one job: PyTorch's grads, step and timed parts, handed to `train`. Three
    parts, the all_reduce, the second, also timed on its own."""
    act, lr, m = job.hidden_activation, job.learning_rate, job.m
    return train(
        job,
        parameters,
        grads=lambda p: data_parallel_grads(p, X_k, Y_k, m, act),
        step=lambda p: data_parallel_train_step(p, X_k, Y_k, m, lr, act),
        parts=_step_parts(X_k, Y_k, m, lr, act),
        numpy=to_numpy,
        communicate=1,
    )


def _step_parts(X_k: Tensor, Y_k: Tensor, m: int, learning_rate: float, hidden_activation: str) -> list[Callable]:
    """One training step as three timed parts, parameters in, parameters out: this shard's gradients,
    their weighted sum over the workers (gloo's all_reduce returns when every worker has the sum), the
    update."""
    share = X_k.shape[1] / m  # m_k / m

    def compute(parameters):
        return parameters, *L_model_grads(parameters, X_k, Y_k, hidden_activation)  # this shard's mean

    def communicate(state):
        parameters, grads, cost = state
        return parameters, *all_reduce_grads(grads, cost, share)

    def update(state):
        parameters, grads, _ = state
        return update_parameters(parameters, grads, learning_rate)

    return [compute, communicate, update]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Across processes: each process started by torchrun, joined by its c10d rendezvous.


def join(address: str, world_size: int, rank: int, timeout_s: float) -> None:
    """Join the group of `world_size` processes as `rank`, over gloo. torchrun has set MASTER_ADDR and
    MASTER_PORT (its store, at `address`); `timeout_s` bounds every collective, so a lost peer stops
    the others with an error instead of a hang."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=datetime.timedelta(seconds=timeout_s))


def all_gather_settings(group: None, settings: np.ndarray) -> np.ndarray:
    """Every process's settings vector (k,) int32, stacked by rank: (world_size, k)."""
    mine = torch.from_numpy(np.ascontiguousarray(settings, dtype=np.int32))
    everyone = [torch.empty_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(everyone, mine)
    return torch.stack(everyone).numpy()


def run_process(group: None, job, train: Callable):
    """This process's part of one job, on its own columns X_k (n_x, m_k), Y_k (1, m_k) of the m in all."""
    X_k, Y_k = from_numpy(job.X, job.dtype, "cpu"), from_numpy(job.Y, job.dtype, "cpu")  # (n_x, m_k), (1, m_k)
    return _train(X_k, Y_k, from_numpy(job.parameters, job.dtype, "cpu"), job, train)


def all_reduce_parts(group: None, n: int, dtype: str) -> list[Callable]:
    """One all_reduce(SUM) of n numbers, the collective of every training step, as timed parts: a barrier
    first (untimed by the caller), so that every rank starts it together."""
    buffer = torch.ones(n, dtype=TORCH_DTYPES[dtype])  # (n,)

    def barrier(_):
        dist.barrier(group)

    def all_reduce(_):
        dist.all_reduce(buffer, op=dist.ReduceOp.SUM, group=group)  # returns when every rank has the sum

    return [barrier, all_reduce]


def leave(group: None) -> None:
    dist.destroy_process_group()
