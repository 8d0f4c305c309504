"""The machine (conformance/bench/machine.py): --threads holds for every framework."""

import os
import subprocess
import sys

import pytest

from conformance import ROOT
from conformance.core.registry import COURSE

THREAD_PROBE = """
import os, sys, time
from conformance.bench.threads import limit_threads
limit_threads(1)
name = sys.argv[1]
n = 1024
if name == "numpy":
    import numpy as np
    a = np.ones((n, n), dtype=np.float32); product = lambda: a @ a
elif name == "torch":
    import torch
    a = torch.ones((n, n)); product = lambda: a @ a
elif name == "jax":
    import jax, jax.numpy as jnp
    a = jnp.ones((n, n)); f = jax.jit(lambda x: x @ x); product = lambda: f(a).block_until_ready()
else:
    import tensorflow as tf
    a = tf.ones((n, n)); product = lambda: (a @ a).numpy()
product()
start, cpu = time.perf_counter(), time.process_time()
while time.perf_counter() - start < 1.0:
    product()
tasks = os.listdir("/proc/self/task")
cores = set().union(*(os.sched_getaffinity(int(t)) for t in tasks))
print(len(tasks), len(cores), (time.process_time() - cpu) / (time.perf_counter() - start))
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="binding to cores needs Linux's sched_setaffinity")
@pytest.mark.parametrize("name", COURSE)
def test_the_thread_limit_holds_for_every_framework(name):
    """--threads 1: every thread the framework starts runs on one core, and the process never uses more
    than one core's time (JAX ignored the old XLA_FLAGS word and used every core)."""
    from conformance.core.backends import framework_status

    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", THREAD_PROBE, name], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    threads, cores, busy = done.stdout.split()
    assert int(cores) == 1, f"{name}: {threads} threads on {cores} cores"
    assert float(busy) < 1.25, f"{name} kept {float(busy):.2f} cores busy"


KEPT = """
import os, torch
from threadpoolctl import threadpool_info
from conformance.bench.threads import apply_thread_limits, limit_threads, threads_kept
def state():
    pools = sorted((p["filepath"], p["num_threads"]) for p in threadpool_info())
    return os.environ["OPENBLAS_NUM_THREADS"], sorted(os.sched_getaffinity(0)), pools, torch.get_num_threads()
before = state()
with threads_kept():
    limit_threads(1)
    apply_thread_limits(3, ("torch",))
    inside = state()
print(before == state(), inside != before, inside)
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="binding to cores needs Linux's sched_setaffinity")
def test_a_bench_run_inside_another_program_gives_it_its_threads_back():
    """cli.main runs every command in threads.threads_kept(): what limit_threads and apply_thread_limits set (the
    variables, the cores, the BLAS, OpenMP and PyTorch pools) is undone when the command returns."""
    pytest.importorskip("torch", reason="torch not installed")
    env = {**os.environ, "PYTHONPATH": str(ROOT), **dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"), "2")}
    done = subprocess.run([sys.executable, "-c", KEPT], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    restored, changed, inside = done.stdout.split(" ", 2)
    assert changed == "True", f"nothing changed inside the block: {inside}"
    assert restored == "True", f"left as inside the block: {inside}"
