"""Data parallel = full batch: each framework's data-parallel training (impl_*/parallel.py) against the
single-process, full-batch float64 reference, through the conformance engine and tolerance table.

Every framework runs in a child process of its own, because each needs its devices set up before it
starts: JAX reads XLA_FLAGS (--xla_force_host_platform_device_count=N) when it is imported, TensorFlow
fixes its logical CPUs when its runtime starts, and PyTorch's workers are processes anyway
(torch.multiprocessing, joined by torch.distributed over gloo). Each worker gets one thread, so N
workers use N cores. The NumPy split-and-sum (reference_numpy/parallel.py) is the oracle.

    python -m conformance.parallel FOLDER   # the child: reads FOLDER/job.pkl, writes FOLDER/result.pkl
"""

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from . import compare
from .backends import PACKAGES, InputError, framework_status
from .bench import THREAD_VARIABLES

NAMES = ("numpy", "torch", "jax", "tf")  # numpy: the split-and-sum oracle, in-process
WORKERS = (1, 2, 4)
STEPS = 10


def workers_label(n: int) -> str:
    """The engine's "mode" column for a data-parallel row: "1 worker", "2 workers"."""
    return f"{n} worker{'s' if n != 1 else ''}"


def job(case: compare.Case, workers: int, dtype: str, num_iterations: int = STEPS, time_steps: int = 0) -> dict:
    """What every framework is asked: the case's data and weights (as the one-layer network for
    logistic regression), the workers, the dtype, the steps to train and to time."""
    if not 1 <= workers <= case.m:
        raise InputError(f"workers must be between 1 and m = {case.m}, got {workers}")
    params = case.params
    if case.spec.kind == "logistic":
        params = {"W1": params["w"].T.copy(), "b1": params["b"]}
    return dict(X=case.X, Y=case.Y, parameters=params, hidden_activation=case.spec.hidden_activation,
                learning_rate=case.learning_rate, num_iterations=num_iterations, workers=workers, dtype=dtype,
                time_steps=time_steps, threads=1)  # fmt: skip


def child_environment(name: str, workers: int) -> dict[str, str]:
    """One thread per worker, and N devices where the framework needs to be told."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.update({var: "1" for var in THREAD_VARIABLES})
    if name == "jax":
        env["XLA_FLAGS"] = (f"--xla_force_host_platform_device_count={workers} "
                            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")  # fmt: skip
    if name == "tf":  # replicas run side by side on the inter-op pool, each op on one thread
        env.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS=str(workers))
    return env


def run(name: str, tasks: list[dict]) -> list[dict]:
    """The jobs (all with the same number of workers) on `name`'s data-parallel engine, in one child
    process: [{"grads", "cost", "parameters", "costs"[, "step_s", "comm_s"]}]."""
    if name == "numpy":
        return [_run_numpy(task) for task in tasks]
    ok, reason = framework_status(name)
    if not ok:
        raise RuntimeError(reason)
    workers = tasks[0]["workers"]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "job.pkl").write_bytes(pickle.dumps((name, tasks)))
        done = subprocess.run([sys.executable, "-m", "conformance.parallel", folder], capture_output=True, text=True,
                              env=child_environment(name, workers))  # fmt: skip
        result = Path(folder) / "result.pkl"
        if done.returncode != 0 or not result.is_file():
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
            raise RuntimeError(f"{name} data-parallel run with {workers} workers failed:\n{tail}")
        return pickle.loads(result.read_bytes())


def _run_numpy(task: dict) -> dict:
    """The oracle in this process: the split-and-sum in the job's dtype."""
    import time

    from reference_numpy import parallel

    X, Y = task["X"].astype(task["dtype"]), task["Y"].astype(task["dtype"])
    params = {k: v.astype(task["dtype"]) for k, v in task["parameters"].items()}
    act, workers, lr = task["hidden_activation"], task["workers"], np.dtype(task["dtype"]).type(task["learning_rate"])
    grads, cost = parallel.data_parallel_grads(params, X, Y, workers, act)
    final, costs = parallel.data_parallel_L_layer_model(X, Y, params, lr, task["num_iterations"], workers, act, 1)
    result = {"grads": grads, "cost": float(cost), "parameters": final, "costs": [float(c) for c in costs]}
    if task.get("time_steps"):
        times = []
        for _ in range(task["time_steps"]):
            start = time.perf_counter()
            final, _ = parallel.data_parallel_train_step(final, X, Y, lr, workers, act)
            times.append(time.perf_counter() - start)
        result.update(step_s=float(np.median(times)), comm_s=None, steps=len(times))
    return result


def quantities(result: dict, case: compare.Case, steps: int) -> dict[str, np.ndarray]:
    """The result under the engine's names: cost, dW[l] / db[l] (dw / db), params@N, cost@N."""
    grads, params = result["grads"], result["parameters"]
    if case.spec.kind == "logistic":
        grads = {"dw": grads["dW1"].T, "db": grads["db1"]}
        params = {"w": params["W1"].T, "b": params["b1"]}
    out = {"cost": np.array(result["cost"]), **grads}
    out[f"params@{steps}"] = compare.flatten(params)
    out[f"cost@{steps}"] = np.array(result["costs"])
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def check(cases: list[compare.Case], names=NAMES, workers=WORKERS, dtypes=("float32", "float64"), steps: int = STEPS,
          on_progress=None) -> tuple[pd.DataFrame, list[dict]]:  # fmt: skip
    """Rows of the engine for every (case, framework, workers, dtype) against the full-batch float64
    reference; and the skipped (framework, reason)."""
    from .backends import load_backend

    rows, skipped = [], []
    available = []
    for name in names:
        ok, reason = framework_status(name)
        if ok:
            available.append(name)
        else:
            skipped.append(dict(backend=name, mode="data-parallel", dtype="", device="cpu", reason=reason))
    refs = [
        compare.measure(load_backend("numpy", case.spec, "eager", "float64"), case, steps=(steps,)) for case in cases
    ]
    for n_workers in workers:
        for name in available:
            if on_progress:
                on_progress(f"{name} {n_workers} workers")
            plan = [(case, ref, dtype) for case, ref in zip(cases, refs, strict=True) for dtype in dtypes
                    if n_workers <= case.m]  # fmt: skip
            results = run(name, [job(case, n_workers, dtype, steps) for case, _, dtype in plan])
            for (case, ref, dtype), result in zip(plan, results, strict=True):
                got = quantities(result, case, steps)
                labels = dict(backend=name, mode=workers_label(n_workers), dtype=dtype, device="cpu")
                rows += compare.compare(got, ref, case, labels, "numpy/float64", only=list(got))
    return pd.DataFrame(rows, columns=compare.COLUMNS), skipped


def default_cases() -> list[compare.Case]:
    """Logistic regression and a deep net, each with m = 12 (even over 1, 2 and 4 workers) and m = 13
    (uneven over 2 and 4)."""
    from .spec import ModelSpec

    cases = []
    for m in (12, 13):
        cases.append(compare.make_case(ModelSpec("logistic", (6, 1)), m=m, seed=m))
        cases.append(compare.make_case(ModelSpec("deep", (6, 5, 3, 1), "tanh"), m=m, seed=m + 1))
    return cases


# --- benchmark ------------------------------------------------------------------------------------


def bench_workloads(quick: bool = False):
    """The course's deep net on its 209 images (a small batch: the split has little to share out) and
    on 4096 (1024 when quick; a large batch: each worker's first-layer product is big enough to pay
    for the all-reduce)."""
    from .bench import Workload
    from .spec import ModelSpec

    spec, m = ModelSpec("deep", (12288, 20, 7, 5, 1), "relu"), 1024 if quick else 4096
    return [Workload("course_deep", spec, 209, 0.0075), Workload(f"deep_m{m}", spec, m, 0.0075)]


def bench(names=("torch", "jax", "tf"), workers=(1, 2), dtypes=("float32",), time_steps: int = 10,
          workloads=None, on_progress=None) -> list[dict]:  # fmt: skip
    """Seconds per data-parallel training step for each framework, worker count, workload and dtype,
    each worker on one thread; the first step checked against the float64 full batch. Speed-up and
    efficiency are relative to the same framework on 1 worker (add_scaling)."""
    from .backends import load_backend
    from .bench import problem

    rows = []
    work = [(w, problem(w)) for w in workloads or bench_workloads()]
    refs = {}
    for w, prob in work:
        case = compare.Case(w.spec, prob.X, prob.Y, prob.params, w.learning_rate)
        refs[w.name] = (case, compare.measure(load_backend("numpy", w.spec, "eager", "float64"), case, steps=(1,)))
    for n_workers in workers:
        for name in names:
            if on_progress:
                on_progress(f"{name} {n_workers} workers")
            base = dict(backend=name, workers=n_workers, threads=n_workers, device="cpu")
            ok, reason = framework_status(name)
            if not ok:
                rows += [dict(base, workload=w.name, dtype=d, status=f"unavailable: {reason}") for w, _ in work
                         for d in dtypes]  # fmt: skip
                continue
            plan = [(w, d) for w, _ in work for d in dtypes]
            tasks = [job(refs[w.name][0], n_workers, d, num_iterations=1, time_steps=time_steps) for w, d in plan]
            try:
                results = run(name, tasks)
            except RuntimeError as err:
                rows += [dict(base, workload=w.name, dtype=d, status=f"error: {err}"[:200]) for w, d in plan]
                continue
            for (w, dtype), result in zip(plan, results, strict=True):
                case, ref = refs[w.name]
                got = quantities(result, case, 1)
                labels = dict(backend=name, mode=workers_label(n_workers), dtype=dtype, device="cpu")
                checked = compare.compare(got, ref, case, labels, "numpy/float64", only=list(got))
                worst = max(checked, key=lambda r: r["max_rel_err"] / r["tolerance"])
                rows.append(dict(base, workload=w.name, m=w.m, dtype=dtype, step_s=result["step_s"],
                                 comm_s=result.get("comm_s"), steps=result["steps"],
                                 check_err=worst["max_rel_err"], check_tol=worst["tolerance"],
                                 status="ok" if all(r["passed"] for r in checked) else "check failed"))  # fmt: skip
    return add_scaling(rows)


def add_scaling(rows: list[dict]) -> list[dict]:
    """speedup = t(1 worker) / t(N workers) of the same framework, workload and dtype; efficiency =
    speedup / N; comm_share = the all-reduce's part of the step, where the framework exposes it."""
    one = {(r["backend"], r["workload"], r["dtype"]): r.get("step_s") for r in rows if r["workers"] == 1}
    for r in rows:
        t1, t = one.get((r["backend"], r["workload"], r["dtype"])), r.get("step_s")
        ok = r.get("status") == "ok" and t1 and t
        r["speedup"] = t1 / t if ok else None
        r["efficiency"] = t1 / t / r["workers"] if ok else None
        r["comm_share"] = r["comm_s"] / t if ok and r.get("comm_s") is not None else None
    return rows


def _child(folder: str) -> None:
    name, tasks = pickle.loads((Path(folder) / "job.pkl").read_bytes())
    import importlib

    module = importlib.import_module(f"{PACKAGES[name]}.parallel")
    results = module.run_data_parallel(tasks)
    (Path(folder) / "result.pkl").write_bytes(pickle.dumps(results))


if __name__ == "__main__":
    _child(sys.argv[1])
