"""How data parallel runs: the job every framework's data-parallel training (impl_*/parallel.py) is given
(a DataParallelJob of job.py, built here), the engine that runs it, and its results under the conformance
engine's names.

Two launches. "processes" (launch.py): N operating-system processes that meet over TCP as across
machines, each with only its own columns: torchrun, jax.distributed, MultiWorkerMirroredStrategy.
"devices": the single-process modes, in a child process of each framework's own, because each needs
its devices set up before it starts: JAX reads XLA_FLAGS (--xla_force_host_platform_device_count=N)
when it is imported, TensorFlow fixes its logical CPUs when its runtime starts, and PyTorch's
workers are processes anyway (torch.multiprocessing, joined by torch.distributed over gloo). Each
worker gets one thread, so N workers use N cores. The NumPy split-and-sum (reference_numpy/parallel.py) is the oracle.

    python -m conformance.parallel FOLDER   # the child: reads FOLDER/job.pkl, writes FOLDER/result.pkl
"""

import importlib
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from reference_numpy import parallel

from .. import ROOT
from ..bench.threads import THREAD_VARIABLES
from ..check.cases import Case
from ..check.measure import flatten
from ..core.backends import PACKAGES, InputError, framework_status
from ..core.registry import BACKENDS, COURSE
from . import launch as launcher
from .job import DataParallelJob, DataParallelResult, train

NAMES = COURSE  # numpy: the split-and-sum oracle, in-process
WORKERS = (1, 2, 4)
STEPS = 10
LAUNCHES = ("processes", "devices")
DEVICE_ENGINES = {name: BACKENDS[name].engines["devices"] for name in COURSE}  # the registry's words


def default_launch(workers: int) -> str:
    """Separate processes for N > 1 (the path that carries over to several machines), one process for 1."""
    return "processes" if workers > 1 else "devices"


def engine_label(name: str, launch: str) -> str:
    """Which engine and launcher run `name`'s data parallel: "jax.distributed gloo", ..."""
    if name == "numpy" or launch == "devices":
        return DEVICE_ENGINES[name]
    return launcher.ENGINES[name]


def workers_label(n: int, name: str | None = None, launch: str | None = None) -> str:
    """The engine's "mode" column for a data-parallel row: "2 workers", or with the engine named,
    "2 workers, jax.distributed gloo"."""
    label = f"{n} worker{'s' if n != 1 else ''}"
    return f"{label}, {engine_label(name, launch)}" if name else label


def job(case: Case, workers: int, dtype: str, num_iterations: int = STEPS, time_steps: int = 0) -> DataParallelJob:
    """What every framework is asked: the case's data and weights (as the one-layer network for
    logistic regression), the workers, the dtype, the steps to train and to time."""
    if not 1 <= workers <= case.m:
        raise InputError(f"workers must be between 1 and m = {case.m}, got {workers}")
    params = case.params
    if case.spec.kind == "logistic":
        params = {"W1": params["w"].T.copy(), "b1": params["b"]}
    return DataParallelJob(
        X=case.X,
        Y=case.Y,
        m=case.m,
        parameters=params,
        hidden_activation=case.spec.hidden_activation,
        learning_rate=case.learning_rate,
        num_iterations=num_iterations,
        workers=workers,
        dtype=dtype,
        time_steps=time_steps,
        threads=1,
    )


def child_environment(name: str, workers: int) -> dict[str, str]:
    """One thread per worker, and N devices where the framework needs to be told."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    env.update({var: "1" for var in THREAD_VARIABLES})
    if name == "jax":
        # Eigen on one thread per device; XLA has no intra-op thread flag (a word without dashes is ignored)
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={workers} --xla_cpu_multi_thread_eigen=false"
    if name == "tf":  # replicas run side by side on the inter-op pool, each op on one thread
        env.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS=str(workers))
    return env


def run(name: str, tasks: list[DataParallelJob], launch: str = "devices") -> list[DataParallelResult]:
    """The jobs (all with the same number of workers) on `name`'s data-parallel engine, as separate
    processes or in one child process: one result each."""
    if name == "numpy":
        return [_run_numpy(task) for task in tasks]
    ok, reason = framework_status(name)
    if not ok:
        raise RuntimeError(reason)
    if launch == "processes":
        return launcher.run(name, tasks)
    workers = tasks[0].workers
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "job.pkl").write_bytes(pickle.dumps((name, tasks)))
        done = subprocess.run(
            [sys.executable, "-m", "conformance.parallel", folder],
            capture_output=True,
            text=True,
            env=child_environment(name, workers),
        )
        result = Path(folder) / "result.pkl"
        if done.returncode != 0 or not result.is_file():
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            raise RuntimeError(f"{name} data-parallel run with {workers} workers failed:\n{tail}")
        return pickle.loads(result.read_bytes())


def _run_numpy(task: DataParallelJob) -> DataParallelResult:
    """The oracle in this process: the split-and-sum in the job's dtype; timed steps without a warm-up."""
    X, Y = task.X.astype(task.dtype), task.Y.astype(task.dtype)  # (n_x, m), (1, m)
    params = {k: v.astype(task.dtype) for k, v in task.parameters.items()}
    act, workers, lr = task.hidden_activation, task.workers, np.dtype(task.dtype).type(task.learning_rate)

    def step(parameters: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], float]:
        return parallel.data_parallel_train_step(parameters, X, Y, lr, workers, act)

    return train(
        task,
        params,
        grads=lambda p: parallel.data_parallel_grads(p, X, Y, workers, act),
        step=step,
        parts=[lambda p: step(p)[0]],
        numpy=lambda x: x,
        warmup=0,
    )


def quantities(result: DataParallelResult, case: Case, steps: int) -> dict[str, np.ndarray]:
    """The result under the engine's names: cost, dW[l] / db[l] (dw / db), params@N, cost@N."""
    grads, params = result.grads, result.parameters
    if case.spec.kind == "logistic":
        grads = {"dw": grads["dW1"].T, "db": grads["db1"]}
        params = {"w": params["W1"].T, "b": params["b1"]}
    out = {"cost": np.array(result.cost), **grads}
    out[f"params@{steps}"] = flatten(params)
    out[f"cost@{steps}"] = np.array(result.costs)
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def child(folder: str) -> None:
    name, tasks = pickle.loads((Path(folder) / "job.pkl").read_bytes())

    module = importlib.import_module(f"{PACKAGES[name]}.parallel")
    results = module.run_data_parallel(tasks, train)
    (Path(folder) / "result.pkl").write_bytes(pickle.dumps(results))
