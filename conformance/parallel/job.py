"""What a data-parallel run is given, how it trains and is timed, and what it gives back: the job
(DataParallelJob), the one training loop and the one timing loop (train, time_calls) and the result
(DataParallelResult), the same for the NumPy oracle (engine.py) and for impl_torch, impl_jax and
impl_tf (each parallel.py). Each framework keeps what is its own: how it shards the columns, all-reduces
the gradients and starts its workers; it hands `train` its grads, its step and its step's timed parts,
and `train` does the rest. (The implementations import nothing from conformance/: the job comes to them,
and `train` is passed in.)
"""

import itertools
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

WARMUP = 2  # untimed calls before the timed ones: the first traces or compiles


@dataclass(frozen=True)
class DataParallelJob:
    """One data-parallel training run: the columns this program holds (all m in one process, or one
    rank's block across processes), the initial weights, and the steps to train and to time. It is
    pickled to the worker processes."""

    X: np.ndarray  # (n_x, m), or one rank's columns X_k (n_x, m_k)
    Y: np.ndarray  # (1, m), or Y_k (1, m_k)
    m: int  # the batch's columns in all: each worker weighs its gradient by m_k / m
    parameters: dict[str, np.ndarray]  # W1 (n[1], n_x), b1 (n[1], 1), ..., WL (1, n[L-1]), bL (1, 1)
    hidden_activation: str
    learning_rate: float
    num_iterations: int  # steps to train, each cost recorded
    workers: int
    dtype: str  # "float32" or "float64": the computation's, whatever X's
    time_steps: int = 0  # steps to time after training (0: none)
    threads: int = 1  # per worker
    device: str = "cpu"  # "gpu": PyTorch on NCCL, one GPU per rank


@dataclass(frozen=True)
class DataParallelResult:
    """What one job gives back, as NumPy and Python floats (rank 0's copy: every worker holds the same)."""

    grads: dict[str, np.ndarray]  # dW1, db1, ...: the full-batch gradients at the initial weights
    cost: float  # the full-batch cost there
    parameters: dict[str, np.ndarray]  # after num_iterations steps
    costs: list[float]  # the cost before each of those steps
    step_s: float | None = None  # with time_steps: median seconds of one step
    comm_s: float | None = None  # ... and of its all-reduce, where the framework times it on its own
    steps: int | None = None  # how many steps were timed


@dataclass(frozen=True)
class Timed:
    """Median seconds of a whole call and of each of its parts, over `calls` timed calls."""

    seconds: float
    parts: tuple[float, ...]
    calls: int


def time_calls(parts: Sequence[Callable[[Any], Any]], n: int, warmup: int = WARMUP, state: Any = None) -> Timed:
    """Call the parts in turn, warmup + n times, each on what the one before returned (the first on
    `state`, then on what the previous call's last part returned: a step's new parameters); the median
    seconds of the whole call and of each part over the last n. Each part returns only when its work is
    done: the framework's synchronisation is inside it."""
    whole: list[float] = []
    each: list[list[float]] = [[] for _ in parts]
    for i in range(warmup + n):
        clock = [time.perf_counter()]
        for part in parts:
            state = part(state)
            clock.append(time.perf_counter())
        if i >= warmup:
            whole.append(clock[-1] - clock[0])
            for times, (start, end) in zip(each, itertools.pairwise(clock), strict=True):
                times.append(end - start)
    return Timed(statistics.median(whole), tuple(statistics.median(times) for times in each), len(whole))


def train(
    job: DataParallelJob,
    parameters: Any,
    grads: Callable[[Any], tuple[Any, Any]],
    step: Callable[[Any], tuple[Any, Any]],
    parts: Sequence[Callable[[Any], Any]],
    numpy: Callable[[Any], Any],
    communicate: int | None = None,
    warmup: int = WARMUP,
) -> DataParallelResult:
    """One job, given a framework's pieces on this worker's columns: `grads(parameters)` -> (grads, cost)
    and `step(parameters)` -> (parameters, cost), each already summed over the workers; `parts`, one
    step as time_calls' parts, parameters in, parameters out (`communicate`: the index of the part that
    is the all-reduce, where the framework runs it on its own); `numpy`, a result as NumPy. The grads and
    cost at the start, the parameters and costs after num_iterations steps, and with time_steps the
    median seconds per step."""
    first, cost = grads(parameters)
    final, costs = parameters, []
    for _ in range(job.num_iterations):
        final, c = step(final)
        costs.append(float(numpy(c)))
    timed = time_calls(parts, job.time_steps, warmup, state=final) if job.time_steps else None
    return DataParallelResult(
        grads={k: np.asarray(v) for k, v in numpy(first).items()},
        cost=float(numpy(cost)),
        parameters=numpy(final),
        costs=costs,
        step_s=timed and timed.seconds,
        comm_s=timed.parts[communicate] if timed and communicate is not None else None,
        steps=timed and timed.calls,
    )


def time_all_reduce(parts: Sequence[Callable[[Any], Any]], repeats: int) -> float:
    """Median seconds of a framework's all-reduce, the last of its parts (a barrier may come before it)."""
    return time_calls(parts, repeats).parts[-1]
