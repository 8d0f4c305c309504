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
import statistics
import tempfile
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import Tensor

from .arrays import TORCH_DTYPES, from_numpy, to_numpy
from .deep import L_model_grads, update_parameters


def shard(X: Tensor, Y: Tensor, rank: int, world_size: int) -> tuple[Tensor, Tensor]:
    """This worker's columns: X_k (n_x, m_k), Y_k (1, m_k), contiguous blocks, the first m % N one longer."""
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
    X_k: Tensor,
    Y_k: Tensor,
    m: int,
    parameters: dict[str, Tensor],
    learning_rate: float,
    num_iterations: int,
    hidden_activation: str = "relu",
    record_every: int = 100,
) -> tuple[dict[str, Tensor], list[float]]:
    """Full-batch gradient descent, this worker's part: (final parameters, costs at 0, record_every, ...)."""
    costs = []
    for i in range(num_iterations):
        parameters, cost = data_parallel_train_step(parameters, X_k, Y_k, m, learning_rate, hidden_activation)
        if i % record_every == 0:
            costs.append(float(cost))
    return parameters, costs


def _worker(rank: int, world_size: int, port: int, jobs: list[dict], out: str) -> None:
    """What each spawned process runs: join the group, then for each job take its shard and run it;
    rank 0 saves the results."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(jobs[0].get("threads", 1))
    backend = "nccl" if jobs[0].get("device") == "gpu" else "gloo"
    dist.init_process_group(backend, rank=rank, world_size=world_size)
    try:
        results = []
        for job in jobs:
            dtype = job["dtype"]
            device = f"cuda:{rank}" if job.get("device") == "gpu" else "cpu"
            X, Y = from_numpy(job["X"], dtype, device), from_numpy(job["Y"], dtype, device)
            X_k, Y_k = shard(X, Y, rank, world_size)
            results.append(_train(X_k, Y_k, X.shape[1], from_numpy(job["parameters"], dtype, device), job))
        if rank == 0:
            torch.save(results, out)
    finally:
        dist.destroy_process_group()


def _train(X_k: Tensor, Y_k: Tensor, m: int, parameters: dict[str, Tensor], job: dict) -> dict:
    """This worker's part of one job: grads and cost at the start, parameters and costs after
    num_iterations steps, and with time_steps the seconds per step."""
    act = job["hidden_activation"]
    grads, cost = data_parallel_grads(parameters, X_k, Y_k, m, act)
    final, costs = data_parallel_L_layer_model(X_k, Y_k, m, parameters, job["learning_rate"], job["num_iterations"],
                                               act, record_every=1)  # fmt: skip
    result = {"grads": to_numpy(grads), "cost": float(cost), "parameters": to_numpy(final), "costs": costs}
    if job.get("time_steps"):
        result.update(_time_steps(final, X_k, Y_k, m, job))
    return result


def _time_steps(parameters: dict[str, Tensor], X_k: Tensor, Y_k: Tensor, m: int, job: dict) -> dict:
    """Seconds per step, and the part of each spent in all_reduce (the gloo call, timed on its own)."""
    act, lr = job["hidden_activation"], job["learning_rate"]
    steps, comms = [], []
    for i in range(job["time_steps"] + 2):  # two warm-up steps
        start = time.perf_counter()
        grads, cost = L_model_grads(parameters, X_k, Y_k, act)
        comm = time.perf_counter()
        grads, cost = all_reduce_grads(grads, cost, X_k.shape[1] / m)
        comm = time.perf_counter() - comm
        parameters = update_parameters(parameters, grads, lr)
        if i >= 2:
            steps.append(time.perf_counter() - start)
            comms.append(comm)
    return {"step_s": statistics.median(steps), "comm_s": statistics.median(comms), "steps": len(steps)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_data_parallel(jobs: list[dict]) -> list[dict]:
    """Start jobs[0]["workers"] processes (torch.multiprocessing), run every job in them, and return
    rank 0's results: grads and cost at the start, parameters and costs after num_iterations steps
    (as NumPy); with time_steps, seconds per step and in all_reduce."""
    world_size = jobs[0]["workers"]
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "results.pt")
        mp.spawn(_worker, args=(world_size, _free_port(), jobs, out), nprocs=world_size, join=True)
        results = torch.load(out, weights_only=False)
    for result in results:
        result["grads"] = {k: np.asarray(v) for k, v in result["grads"].items()}
    return results


# Across processes: each process started by torchrun, joined by its c10d rendezvous.


def join(address: str, world_size: int, rank: int, timeout_s: float) -> None:
    """Join the group of `world_size` processes as `rank`, over gloo. torchrun has set MASTER_ADDR and
    MASTER_PORT (its store, at `address`); `timeout_s` bounds every collective, so a lost peer stops
    the others with an error instead of a hang."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=timeout_s))  # fmt: skip


def all_gather_settings(group: None, settings: np.ndarray) -> np.ndarray:
    """Every process's settings vector (k,) int32, stacked by rank: (world_size, k)."""
    mine = torch.from_numpy(np.ascontiguousarray(settings, dtype=np.int32))
    everyone = [torch.empty_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(everyone, mine)
    return torch.stack(everyone).numpy()


def run_process(group: None, job: dict) -> dict:
    """This process's part of one job, on its own columns X_k (n_x, m_k), Y_k (1, m_k) of the m in all."""
    dtype = job["dtype"]
    X_k, Y_k = from_numpy(job["X_k"], dtype, "cpu"), from_numpy(job["Y_k"], dtype, "cpu")
    return _train(X_k, Y_k, job["m"], from_numpy(job["parameters"], dtype, "cpu"), job)


def time_all_reduce(group: None, n: int, dtype: str, repeats: int) -> float:
    """Median seconds of one all_reduce(SUM) of n numbers, the collective of every training step."""
    buffer = torch.ones(n, dtype=TORCH_DTYPES[dtype])
    times = []
    for i in range(repeats + 2):  # two warm-up calls
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def leave(group: None) -> None:
    dist.destroy_process_group()
