"""Our rows of the benchmark: one full training step (forward, cost, backward, update) of each of our
backends, and the amortised step of JAX's and TensorFlow's whole compiled loop, timed fairly.

Fairness: the same cores for everyone (machine.py, set before any framework is imported); a warm-up
call timed on its own (for compiled modes it includes compilation); before every clock read, a wait
for the whole state the step returned (weights and cost); repeats until at least `min_repeats` calls
and `min_time` seconds (timing.py); median and interquartile range; the row's own peak memory (its
increase over what the process held when it began). Every row is also checked
(workloads.check_first_step), on the very program that is timed: its first cost and how far it moved
the weights must equal the float64 NumPy reference's within the conformance tolerances, or the row is
flagged and its time not reported (roofline.add_roofline)."""

import dataclasses
import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..core.backends import PACKAGES
from ..core.frameworks import full_float32_matmuls
from .captured import MODE, captured_runner
from .machine import device_peak_mb, own_peak_mb, reset_peak_rss
from .row import Row
from .timing import time_steps
from .workloads import Problem, Workload, check_first_step, inputs, problem


def our_runner(name: str, mode: str, dtype: str, device: str, prob: Problem):
    """(step, sync, read) for one of our implementations: step() runs one training step on its own
    state, sync(result) waits for it to finish, read() returns (cost before the last update, params
    as NumPy). The step is the implementation's own train_step / make_train_step."""
    if name == "torch" and mode == MODE:  # the benchmark's own row: the whole step one captured graph
        return captured_runner(prob, dtype, device, sync_for("torch", device))
    spec, lr = prob.workload.spec, prob.workload.learning_rate
    act = spec.hidden_activation
    deep = importlib.import_module(f"{PACKAGES[name]}.deep")
    logistic = importlib.import_module(f"{PACKAGES[name]}.logistic")
    if name == "numpy":
        put, get = (
            (lambda a: {k: v.astype(dtype) for k, v in a.items()} if isinstance(a, dict) else a.astype(dtype)),
            (lambda a: a),
        )
        lr_ = np.dtype(dtype).type(lr)
        deep_step = lambda p, X, Y, lr: deep.train_step(p, X, Y, lr, act)  # noqa: E731
        logistic_step = logistic.train_step

        def sync(_):
            return None
    else:
        arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
        put, get = (lambda a: arrays.from_numpy(a, dtype, device)), arrays.to_numpy
        lr_ = lr
        if name == "torch" and mode == "compiled":
            import torch

            torch.compiler.reset()  # a fresh cache: no earlier row's versions count against its limit of 8
        if name == "tf":
            import tensorflow as tf

            lr_ = tf.constant(lr, dtype=dtype)  # a tensor: a Python float would be traced in as a constant
        deep_step = deep.make_train_step(act, mode) if spec.kind == "deep" else None
        logistic_step = logistic.make_train_step(mode) if spec.kind == "logistic" else None
        sync = sync_for(name, device)
    state = {"params": put(prob.params), "cost": None}
    X, Y = inputs(prob, name, dtype, device)  # shared with the backend's other rows of this dtype

    if spec.kind == "logistic":

        def step():
            p = state["params"]
            w, b, state["cost"] = logistic_step(p["w"], p["b"], X, Y, lr_)
            state["params"] = {"w": w, "b": b}
            return state  # the whole state: the clock waits for the updated weights, not only the cost
    else:

        def step():
            state["params"], state["cost"] = deep_step(state["params"], X, Y, lr_)
            return state

    def read():
        return float(get(state["cost"])), {k: np.asarray(get(v)) for k, v in state["params"].items()}

    return step, sync, read


def matmul_precision(name: str, dtype: str, device: str) -> str:
    """The precision every row's matrix products run in, set and named: on a GPU, float32 rows run full
    float32 (TF32 off) in every framework, like with like; JAX and TensorFlow default to TF32 there and
    PyTorch does not (the probe's gemm_gflops_tf32 says what TF32 would give)."""
    if device == "gpu" and name != "numpy":
        full_float32_matmuls(name)
        return f"{dtype} (TF32 off)" if dtype == "float32" else dtype
    return dtype


def sync_for(name: str, device: str) -> Callable[[object], None]:
    """sync(state) returns when everything the step returned (weights and cost) is computed."""
    if name == "numpy":
        return lambda _: None  # NumPy returns when done
    if name == "jax":
        import jax

        return jax.block_until_ready  # every array of the state: JAX dispatches asynchronously
    if name == "torch":
        import torch

        if device == "gpu":
            return lambda _: torch.cuda.synchronize()
        return lambda _: None  # CPU kernels return when done
    if name == "tf":
        import tensorflow as tf

        return lambda _: tf.test.experimental.sync_devices()  # every op issued so far, on every device

    return importlib.import_module(f"{PACKAGES[name]}.arrays").sync


@dataclass
class Prepared:
    """A row ready to be timed round after round: warmed up (compiled) and checked once, its state alive.
    step() runs one call (one training step, or a compiled loop of `per_call` steps) and returns its
    whole state; sync(state) waits for it. A row that could not be prepared has no step, and its status
    says why."""

    row: Row
    step: Callable[[], object] | None = None
    sync: Callable[[object], None] = lambda _: None
    per_call: int = 1
    times: list[float] = field(default_factory=list)  # seconds per step of every timed call
    rounds: list[float] = field(default_factory=list)  # the median of each round, seconds per step

    def time_round(self, min_time: float, min_repeats: int, warm_up: bool = True) -> float:
        """One round: a warm-up call (unless `warm_up` is False), then repeats (timing.time_steps); returns
        the seconds it took."""
        start = time.perf_counter()
        timing = time_steps(self.step, self.sync, min_repeats=min_repeats, min_time=min_time, warm_up=warm_up)
        per_step = [s / self.per_call for s in timing.times]
        self.times += per_step
        self.rounds.append(float(np.median(per_step)))
        return time.perf_counter() - start

    def finish(self) -> Row:
        """A copy of the row with its timing: the median over rounds, the interquartile range of every call, the
        per-round medians (round_s) for the ratios taken round by round."""
        if self.step is None or not self.rounds:
            return dataclasses.replace(self.row)
        median = float(np.median(self.rounds))
        q1, q3 = np.percentile(self.times, [25, 75])
        row = dataclasses.replace(
            self.row, median_s=median, iqr_s=float(q3 - q1), repeats=len(self.times), round_s=list(self.rounds)
        )
        if row.mode != "eager" and row.first_call_s is not None:
            row.compile_s = max(row.first_call_s - median * self.per_call, 0.0)
        return row


def prepare_ours(name: str, mode: str, dtype: str, device: str, workload: Workload) -> Prepared:
    """One of our rows, warmed up and checked: its first step, its check, its own peak memory."""
    prob = problem(workload)
    row = workload.row(name, mode, dtype, device, matmul=matmul_precision(name, dtype, device))
    inputs(prob, name, dtype, device)  # made before the baseline: no row counts the data it reads
    baseline = reset_peak_rss()
    device_peak_mb(name, device, reset=True)
    step, sync, read = our_runner(name, mode, dtype, device, prob)
    start = time.perf_counter()
    sync(step())
    row.first_call_s = time.perf_counter() - start
    cost0, params1 = read()
    row.verified, row.check_err, row.check_tol = check_first_step(prob, dtype, cost0, params1)
    sync(step())  # the second call: what is left to compile or allocate happens before the memory is read
    row.peak_mem_mb = own_peak_mb(baseline)  # this row's own: what earlier rows left behind is not counted
    row.device_mem_mb = device_peak_mb(name, device)
    row.status = "ok" if row.verified else "check failed"
    return Prepared(row, step, sync)


def loop_iterations(workload: Workload) -> int:
    """The steps of one call of a compiled loop: enough that the call's own cost is small beside them."""
    return 1000 if workload.name == "planar" else 20


def prepare_loop(name: str, dtype: str, device: str, workload: Workload, iterations: int) -> Prepared:
    """The implementation's compiled training loop (make_train_loop: lax.scan under jax.jit, a
    tf.while_loop under XLA): `iterations` steps in one call, checked on that very call, timed as a
    whole and divided."""
    prob = problem(workload)
    spec, act = workload.spec, workload.spec.hidden_activation
    arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
    module = importlib.import_module(f"{PACKAGES[name]}.{spec.kind if spec.kind == 'logistic' else 'deep'}")
    loop = module.make_train_loop("compiled") if spec.kind == "logistic" else module.make_train_loop(act, "compiled")
    params, (X, Y) = arrays.from_numpy(prob.params, dtype, device), inputs(prob, name, dtype, device)
    lr, count = workload.learning_rate, iterations
    if name == "tf":  # tensors, so that a new rate does not trace the loop again
        import tensorflow as tf

        lr, count = tf.constant(lr, dtype=dtype), tf.constant(iterations)

    def run():
        if spec.kind == "logistic":
            w, b, costs = loop(params["w"], params["b"], X, Y, lr, count)
            return {"w": w, "b": b}, costs
        return loop(params, X, Y, lr, count)  # (params, costs): the whole state the clock waits for

    row = workload.row(name, "compiled-loop", dtype, device, matmul=matmul_precision(name, dtype, device))
    baseline = reset_peak_rss()
    sync = sync_for(name, device)
    start = time.perf_counter()
    first = run()
    sync(first)
    row.first_call_s = time.perf_counter() - start
    # the check: the very program that is timed, its first recorded cost and the weights after `iterations` steps
    paramsN, costs = first
    cost0 = float(np.asarray(arrays.to_numpy(costs))[0])
    paramsN = {k: np.asarray(arrays.to_numpy(v)) for k, v in paramsN.items()}
    row.verified, row.check_err, row.check_tol = check_first_step(prob, dtype, cost0, paramsN, iterations)
    row.peak_mem_mb = own_peak_mb(baseline)
    row.status = "ok" if row.verified else "check failed"
    return Prepared(row, run, sync, per_call=iterations)
