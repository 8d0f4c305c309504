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

import importlib
import time
from collections.abc import Callable

import numpy as np

from .machine import device_peak_mb, peak_rss_mb, reset_peak_rss
from .timing import time_steps
from .workloads import Problem, Workload, check_first_step, problem


def our_runner(name: str, mode: str, dtype: str, device: str, prob: Problem):
    """(step, sync, read) for one of our implementations: step() runs one training step on its own
    state, sync(result) waits for it to finish, read() returns (cost before the last update, params
    as NumPy). The step is the implementation's own train_step / make_train_step."""
    from ..backends import PACKAGES

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
        sync = _sync_for(name, device)
    state = {"params": put(prob.params), "cost": None}
    X, Y = put(prob.X), put(prob.Y)

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


def _sync_for(name: str, device: str) -> Callable[[object], None]:
    """sync(state) returns when everything the step returned (weights and cost) is computed."""
    if name == "jax":
        import jax

        return jax.block_until_ready  # every array of the state: JAX dispatches asynchronously
    if name == "torch":
        import torch

        if device == "gpu":
            return lambda _: torch.cuda.synchronize()
        return lambda _: None  # CPU kernels return when done
    import tensorflow as tf

    return lambda _: tf.test.experimental.sync_devices()  # every op issued so far, on every device


def bench_ours(name: str, mode: str, dtype: str, device: str, workload: Workload, min_time: float,
               min_repeats: int) -> dict:  # fmt: skip
    """One row: the step's timing, its check against the reference, and its memory."""
    prob = problem(workload)
    row = {"workload": workload.name, "backend": name, "mode": mode, "dtype": dtype, "device": device,
           "m": workload.m, "family": workload.family}  # fmt: skip
    baseline = reset_peak_rss()
    device_peak_mb(name, device, reset=True)
    step, sync, read = our_runner(name, mode, dtype, device, prob)
    start = time.perf_counter()
    sync(step())
    row["first_call_s"] = time.perf_counter() - start
    cost0, params1 = read()
    row["verified"], row["check_err"], row["check_tol"] = check_first_step(prob, dtype, cost0, params1)
    timing = time_steps(step, sync, min_repeats=min_repeats, min_time=min_time)
    row.update(median_s=timing.median_s, iqr_s=timing.iqr_s, repeats=len(timing.times))
    row["compile_s"] = max(row["first_call_s"] - timing.median_s, 0.0) if mode != "eager" else None
    row["peak_mem_mb"] = peak_rss_mb() - baseline  # this row's own: what earlier rows left behind is not counted
    row["device_mem_mb"] = device_peak_mb(name, device)
    row["status"] = "ok" if row["verified"] else "check failed"
    return row


def bench_loop(name: str, dtype: str, device: str, workload: Workload, iterations: int, min_time: float,
               min_repeats: int) -> dict:  # fmt: skip
    """The amortised step of the implementation's compiled training loop (make_train_loop: lax.scan under
    jax.jit, a tf.while_loop under XLA): `iterations` steps in one call, timed as a whole and divided."""
    from ..backends import PACKAGES

    prob = problem(workload)
    spec, act = workload.spec, workload.spec.hidden_activation
    arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
    module = importlib.import_module(f"{PACKAGES[name]}.{spec.kind if spec.kind == 'logistic' else 'deep'}")
    loop = module.make_train_loop("compiled") if spec.kind == "logistic" else module.make_train_loop(act, "compiled")
    params, X, Y = (arrays.from_numpy(a, dtype, device) for a in (prob.params, prob.X, prob.Y))
    lr, count = workload.learning_rate, iterations
    if name == "tf":  # tensors, so that a new rate does not trace the loop again
        import tensorflow as tf

        lr, count = tf.constant(lr, dtype=dtype), tf.constant(iterations)

    def run(n):
        if spec.kind == "logistic":
            w, b, costs = loop(params["w"], params["b"], X, Y, lr, n)
            return {"w": w, "b": b}, costs
        return loop(params, X, Y, lr, n)  # (params, costs): the whole state the clock waits for

    row = {"workload": workload.name, "backend": name, "mode": "compiled-loop", "dtype": dtype, "device": device,
           "m": workload.m, "family": workload.family}  # fmt: skip
    baseline = reset_peak_rss()
    sync = _sync_for(name, device)
    start = time.perf_counter()
    first = run(count)
    sync(first)
    row["first_call_s"] = time.perf_counter() - start
    # the check: the very program that is timed, its first recorded cost and the weights after `iterations` steps
    paramsN, costs = first
    cost0 = float(np.asarray(arrays.to_numpy(costs))[0])
    paramsN = {k: np.asarray(arrays.to_numpy(v)) for k, v in paramsN.items()}
    row["verified"], row["check_err"], row["check_tol"] = check_first_step(prob, dtype, cost0, paramsN, iterations)
    timing = time_steps(lambda: run(count), sync, min_repeats=min_repeats, min_time=min_time)
    row.update(median_s=timing.median_s / iterations, iqr_s=timing.iqr_s / iterations, repeats=len(timing.times))
    row["compile_s"] = max(row["first_call_s"] - timing.median_s, 0.0)
    row["peak_mem_mb"] = peak_rss_mb() - baseline
    row["status"] = "ok" if row["verified"] else "check failed"
    return row
