"""A peer's row of the benchmark, whichever peer: its columns, its first step from our weights timed on its
own and checked (as bench/steps.py does for ours), and its rounds; the threads a peer runs on. peers.py (in
this process) and keras.py (in a child process per Keras backend) both build their rows here."""

import contextlib
import time
from collections.abc import Callable, Iterator

import numpy as np

from ..check import peers
from ..core.registry import PEER_INFO
from ..core.spec import ModelSpec
from .machine import own_peak_mb, reset_peak_rss
from .row import Row
from .steps import Prepared
from .workloads import Problem, Workload, check_first_step, problem

KERAS = {p.name: p.keras_backend for p in PEER_INFO.values() if p.keras_backend}  # peer -> Keras backend
MODES = {p.name: p.unit for p in PEER_INFO.values()}
PeerSetup = Callable[[Problem, str], tuple[Callable, Callable, Callable]]  # -> (step, sync, read)


class Unavailable(Exception):
    """The peer cannot run this row (scikit-learn has no leaky ReLU); the message says why."""


def peer_row(peer: str, workload: Workload, dtype: str, **values) -> Row:
    """A peer's row as it starts, in its peer's own mode, not yet timed (repeats 0) nor checked."""
    return workload.row(peer, MODES[peer], dtype, repeats=0, verified=False, **values)


def prepare_peer(peer: str, workload: Workload, dtype: str, runner: PeerSetup, per_call: int = 1) -> Prepared:
    """As steps.prepare_ours: the first step from our weights, timed on its own and checked; the row is then
    ready for its rounds. A failed check keeps its time here; the caller does not report it."""
    row = peer_row(peer, workload, dtype)
    try:
        prob = problem(workload)
        baseline = reset_peak_rss()
        step, sync, read = runner(prob, dtype)
        start = time.perf_counter()
        sync(step())
        row.first_call_s = time.perf_counter() - start
        cost0, params1 = read()
        passed, err, tol = check_first_step(prob, dtype, cost0, params1, per_call)
        row.verified, row.check_err, row.check_tol = bool(passed), float(err), float(tol)  # plain types: JSON
        row.peak_mem_mb, row.status = own_peak_mb(baseline), "ok" if row.verified else "check failed"
        return Prepared(row, step, sync, per_call=per_call)
    except Unavailable as err:
        row.status = f"unavailable: {err}"
    except Exception as err:  # one broken row must not lose the others
        row.status = f"error: {type(err).__name__}: {err}"[:200]
    return Prepared(row)


def bench_row(
    peer: str,
    workload: Workload,
    dtype: str,
    runner: PeerSetup,
    min_time: float,
    min_repeats: int,
    rounds: int = 1,
    per_call: int = 1,
) -> Row:
    """One peer row on its own: prepared, its rounds one after another, finished."""
    prepared = prepare_peer(peer, workload, dtype, runner, per_call)
    for r in range(rounds if prepared.step is not None else 0):
        prepared.time_round(min_time, min_repeats, warm_up=r == 0)  # rounds back to back: warm from the first
    return prepared.finish()


def params_of(spec: ModelSpec, layers: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
    """[(W (n[l], n[l-1]), b (n[l],)), ...] in our naming: {"W1", "b1" (n[l], 1), ...} or {"w", "b"}."""
    return {name[1:]: value for name, value in peers._ours(spec, layers).items()}  # "dW1" -> "W1"


@contextlib.contextmanager
def peer_threads(threads: int, torch: bool = False) -> Iterator[None]:
    """NumPy's BLAS (scikit-learn, and OpenMP pools) and, where asked, PyTorch on `threads` threads inside
    the block; as before after it."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads):
        if not torch:
            yield
            return
        import torch as torch_module

        saved = torch_module.get_num_threads()
        torch_module.set_num_threads(threads)
        try:
            yield
        finally:
            torch_module.set_num_threads(saved)
