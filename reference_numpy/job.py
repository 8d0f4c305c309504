"""What a data-parallel run is given, and how its steps are timed: the one job type and the one timing
loop shared by the NumPy oracle (parallel.py), impl_torch, impl_jax and impl_tf (each parallel.py) and
the harness that builds the jobs (conformance/parallel/engine.py). Here, because the implementations
may import nothing from conformance/.
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
