"""The benchmark harness: one full training step (forward, cost, backward, update) of each backend and
peer, timed fairly, with the machine's limits measured in the same run.

Fairness: the same thread count for everyone (set before any framework is imported); a warm-up call,
timed on its own (for compiled modes it includes compilation); a synchronisation before every clock
read; repeats until the median is stable (at least `min_repeats` and `min_time` seconds); median and
interquartile range. Every row is also checked: the first step's cost and updated parameters must
equal the float64 NumPy reference's within the conformance tolerances, or the row is flagged and its
time not reported. The roofline bound of a step is max(FLOPs / peak GEMM rate, bytes / bandwidth),
with the peak and the bandwidth measured by `probe` in the same process."""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .spec import ModelSpec

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Workload:
    name: str
    spec: ModelSpec
    m: int
    learning_rate: float
    family: str = ""  # the main workloads have none; sweeps are "m" or "width"


def main_workloads() -> list[Workload]:
    """The four of the design: the course's two cat models, the planar net and a wide net."""
    return [
        Workload("course_logistic", ModelSpec("logistic", (12288, 1)), 209, 0.005),
        Workload("course_deep", ModelSpec("deep", (12288, 20, 7, 5, 1), "relu"), 209, 0.0075),
        Workload("planar", ModelSpec("deep", (2, 4, 1), "tanh"), 400, 1.2),
        Workload("wide", ModelSpec("deep", (1024, 1024, 1024, 1), "relu"), 4096, 0.01),
    ]


def sweep_workloads() -> list[Workload]:
    """Step time against m (the course's deep net) and against width ([w, w, w, 1] x 1024)."""
    by_m = [Workload(f"deep_m{m}", ModelSpec("deep", (12288, 20, 7, 5, 1), "relu"), m, 0.0075, "m")
            for m in (64, 256, 1024, 4096, 16384)]  # fmt: skip
    by_width = [Workload(f"width{w}", ModelSpec("deep", (w, w, w, 1), "relu"), 1024, 0.01, "width")
                for w in (64, 128, 256, 512, 1024, 2048)]  # fmt: skip
    return by_m + by_width


# --- threads ------------------------------------------------------------------------------------


def limit_threads(threads: int) -> None:
    """Give every framework the same number of threads. Call before importing any of them: BLAS,
    OpenMP and XLA read their settings at load time."""
    for var in THREAD_VARIABLES:
        os.environ[var] = str(threads)
    xla = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in xla:
        os.environ["XLA_FLAGS"] = f"{xla} --xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}"


def apply_thread_limits(threads: int) -> dict[str, str]:
    """The runtime half of limit_threads, for the frameworks that take it at run time; returns what
    each one reports, for the metadata."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    report = {"numpy": str(threads)}
    from .backends import framework_status

    if framework_status("torch")[0]:
        import torch

        torch.set_num_threads(threads)
        report["torch"] = str(torch.get_num_threads())
    if framework_status("tf")[0]:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # TensorFlow already started its thread pools
            pass
        report["tf"] = str(tf.config.threading.get_intra_op_parallelism_threads())
    if framework_status("jax")[0]:
        report["jax"] = os.environ.get("XLA_FLAGS", "").strip()
    return report


# --- the machine's limits -----------------------------------------------------------------------


def probe(quick: bool = False) -> dict:
    """Peak GEMM rate (GFLOP/s) in float32 and float64, the best any installed framework reaches on a
    square product (the bound is the machine's, whichever library gets closest to it), and memory
    read bandwidth (GB/s) past the caches."""
    n = 2048  # smaller products stay below the peak, which would make the bound too generous
    repeats = 3 if quick else 5
    gemm, gemm_by = {}, {}
    rng = np.random.default_rng(0)
    for dtype in ("float32", "float64"):
        a, b = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
        rates = {}
        for library, product in _gemms(a, b).items():
            product()
            rates[library] = 2 * n**3 / min(_seconds(product) for _ in range(repeats)) / 1e9
        gemm_by[dtype] = rates
        gemm[dtype] = max(rates.values())
    return {"gemm_gflops": gemm, "gemm_gflops_by_library": gemm_by, "gemm_n": n,
            "bandwidth_gbs": read_bandwidth(max(128 * 2**20, 4 * last_level_cache_bytes())),
            "cache_bandwidth_gbs": read_bandwidth(last_level_cache_bytes() // 4),
            "cache_bytes": last_level_cache_bytes()}  # fmt: skip


def _gemms(a: np.ndarray, b: np.ndarray) -> dict[str, Callable[[], object]]:
    """a @ b in every installed framework, each returning only when the product is done."""
    from .backends import framework_status

    products: dict[str, Callable[[], object]] = {"numpy": lambda: a @ b}
    if framework_status("torch")[0]:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        products["torch"] = lambda: ta @ tb
    if framework_status("jax")[0]:
        import jax

        ja, jb = jax.device_put(a), jax.device_put(b)
        matmul = jax.jit(lambda x, y: x @ y)
        products["jax"] = lambda: matmul(ja, jb).block_until_ready()
    if framework_status("tf")[0]:
        import tensorflow as tf

        fa, fb = tf.constant(a), tf.constant(b)
        products["tf"] = lambda: (fa @ fb).numpy()
    return products


_READ_BANDWIDTH: dict[int, float] = {}


def read_bandwidth(nbytes: int) -> float:
    """GB/s at which this machine reads `nbytes` of float64 (a matrix-vector product over them, the
    access pattern of a step's products), best of several runs: from the caches when it fits in them."""
    key = 1 << max(int(nbytes).bit_length() - 1, 20)  # a probe per power of two; under 1 MiB, overhead dominates
    if key not in _READ_BANDWIDTH:
        rows = max(key // (8 * 1024), 1)
        matrix, vector = np.ones((rows, 1024)), np.ones(1024)
        matrix @ vector
        _READ_BANDWIDTH[key] = matrix.nbytes / min(_seconds(lambda: matrix @ vector) for _ in range(9)) / 1e9
    return _READ_BANDWIDTH[key]


def last_level_cache_bytes() -> int:
    """The largest CPU cache (Linux sysfs), or 8 MiB when it cannot be read."""
    sizes = []
    for index in range(8):
        try:
            with open(f"/sys/devices/system/cpu/cpu0/cache/index{index}/size") as f:
                text = f.read().strip()
        except OSError:
            continue
        unit = {"K": 2**10, "M": 2**20}.get(text[-1], 1)
        sizes.append(int(text.rstrip("KM")) * unit)
    return max(sizes, default=8 * 2**20)


def working_set_bytes(spec: ModelSpec, m: int, itemsize: int) -> int:
    """X, the weights and one copy of every layer's activations: what one step keeps touching."""
    dims = spec.layer_dims
    weights = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    return itemsize * (dims[0] * m + weights + 2 * sum(dims[l] * m for l in range(1, len(dims))))


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def step_flops(spec: ModelSpec, m: int) -> float:
    """Multiply-adds of one step, counted as 2 FLOPs each: forward Z = W A (2 n[l] n[l-1] m per layer),
    backward dW = dZ A^T (the same) and dA_prev = W^T dZ (the same, except for the first layer, whose
    dA0 no one needs). Elementwise work is O(n m) and left out: it is small beside the products except
    on the tiniest nets, where overhead dominates anyway."""
    dims = spec.layer_dims
    products = sum(dims[l] * dims[l - 1] for l in range(1, len(dims)))
    return 2.0 * m * (3 * products - dims[1] * dims[0])


def step_bytes(spec: ModelSpec, m: int, itemsize: int) -> float:
    """Compulsory memory traffic of one step if nothing stays in cache between its operations: X read
    twice (forward and dW1), each W read three times and written once (forward, dA_prev, update), and
    for each layer Z, A, dZ and dA each written once and read once. A lower bound on what a framework
    that fuses nothing moves; caches can beat it only when a layer's matrices fit in them."""
    dims = spec.layer_dims
    weights = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    activations = sum(dims[l] * m for l in range(1, len(dims)))
    return itemsize * (2 * dims[0] * m + 4 * weights + 8 * activations)


# --- timing -------------------------------------------------------------------------------------


@dataclass
class Timing:
    first_call_s: float
    times: list[float]

    @property
    def median_s(self) -> float:
        return float(np.median(self.times))

    @property
    def iqr_s(self) -> float:
        q1, q3 = np.percentile(self.times, [25, 75])
        return float(q3 - q1)


def time_steps(step: Callable[[], object], sync: Callable[[object], None], min_repeats: int = 7,
               min_time: float = 1.0, max_repeats: int = 2000) -> Timing:  # fmt: skip
    """Call step() once (warm-up, timed on its own), then repeatedly until min_time has passed and at
    least min_repeats calls were made; each call is synchronised before the clock is read."""
    start = time.perf_counter()
    sync(step())
    first = time.perf_counter() - start
    times: list[float] = []
    spent = 0.0
    while len(times) < max_repeats and (len(times) < min_repeats or spent < min_time):
        start = time.perf_counter()
        sync(step())
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return Timing(first, times)


# --- memory -------------------------------------------------------------------------------------


def reset_peak_rss() -> None:
    """Linux: writing 5 to /proc/self/clear_refs resets the process's peak RSS (VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the data, the reference's first step, and the check ----------------------------------------


@dataclass
class Problem:
    """A workload's data and initial weights (float64 NumPy), and the reference's first step from them."""

    workload: Workload
    params: dict[str, np.ndarray]
    X: np.ndarray  # (n_x, m)
    Y: np.ndarray  # (1, m)
    cost0: float  # the cost before the first update
    params1: dict[str, np.ndarray]  # the parameters after it


_PROBLEMS: dict[str, Problem] = {}


def problem(workload: Workload) -> Problem:
    """Seeded data and He/Xavier weights for the workload, with the float64 reference's first step (cached)."""
    if workload.name not in _PROBLEMS:
        from reference_numpy import deep, logistic

        from .datasets import make_random_dataset

        spec = workload.spec
        X, Y = make_random_dataset(spec.n_x, workload.m, seed=0)
        scheme = "he" if spec.hidden_activation in ("relu", "leaky_relu") else "xavier"
        params = spec.init_params(seed=1, scheme=scheme)
        if spec.kind == "logistic":
            w, b, cost0 = logistic.train_step(params["w"], params["b"], X, Y, workload.learning_rate)
            params1 = {"w": w, "b": b}
        else:
            params1, cost0 = deep.train_step(params, X, Y, workload.learning_rate, spec.hidden_activation)
        _PROBLEMS[workload.name] = Problem(workload, params, X, Y, cost0, params1)
    return _PROBLEMS[workload.name]


def check_first_step(prob: Problem, dtype: str, cost0: float, params1: dict[str, np.ndarray],
                     backend: str = "numpy", device: str = "cpu") -> tuple[bool, float, float]:  # fmt: skip
    """(passed, error, tolerance): the worst of the cost's and the updated parameters' normwise relative
    errors against the float64 reference, against the conformance tolerance for one step."""
    from .compare import errors, flatten
    from .tolerances import tolerance

    spec, m = prob.workload.spec, prob.workload.m
    cost_err = errors(np.array(float(cost0)), np.array(prob.cost0))[1]
    params_err = errors(flatten({k: np.asarray(v, np.float64) for k, v in params1.items()}),
                        flatten(prob.params1))[1]  # fmt: skip
    cost_tol = tolerance("cost", dtype, spec, m, backend=backend, device=device).rtol
    params_tol = tolerance("params@1", dtype, spec, m, 1, backend=backend, device=device).rtol
    passed = cost_err <= cost_tol and params_err <= params_tol
    worst = max(cost_err / cost_tol, params_err / params_tol)
    return passed, max(cost_err, params_err), (cost_tol if cost_err / cost_tol == worst else params_tol)


# --- our backends -------------------------------------------------------------------------------


def our_runner(name: str, mode: str, dtype: str, device: str, prob: Problem):
    """(step, sync, read) for one of our implementations: step() runs one training step on its own
    state, sync(result) waits for it to finish, read() returns (cost before the last update, params
    as NumPy). The step is the implementation's own train_step / make_train_step."""
    import importlib

    from .backends import PACKAGES

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
            return state["cost"]
    else:

        def step():
            state["params"], state["cost"] = deep_step(state["params"], X, Y, lr_)
            return state["cost"]

    def read():
        return float(get(state["cost"])), {k: np.asarray(get(v)) for k, v in state["params"].items()}

    return step, sync, read


def _sync_for(name: str, device: str) -> Callable[[object], None]:
    if name == "jax":
        import jax

        return jax.block_until_ready
    if name == "torch":
        import torch

        if device == "gpu":
            return lambda _: torch.cuda.synchronize()
        return lambda _: None  # CPU kernels return when done
    return lambda cost: cost.numpy()  # TensorFlow: fetching a value waits for it


def import_seconds(module: str) -> float | None:
    """Seconds to import `module` in a fresh interpreter (its own column: not part of any step)."""
    import subprocess
    import sys

    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
        return float(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def device_peak_mb(name: str, device: str, reset: bool = False) -> float | None:
    """Peak device memory of the row on a GPU (PyTorch and JAX report it; None elsewhere)."""
    if device != "gpu":
        return None
    if name == "torch":
        import torch

        if reset:
            torch.cuda.reset_peak_memory_stats()
            return None
        return torch.cuda.max_memory_allocated() / 2**20
    if name == "jax" and not reset:
        import jax

        stats = jax.devices("gpu")[0].memory_stats() or {}
        return stats.get("peak_bytes_in_use", 0) / 2**20 or None
    return None


def bench_ours(name: str, mode: str, dtype: str, device: str, workload: Workload, min_time: float,
               min_repeats: int) -> dict:  # fmt: skip
    """One row: the step's timing, its check against the reference, and its memory."""
    prob = problem(workload)
    row = {"workload": workload.name, "backend": name, "mode": mode, "dtype": dtype, "device": device,
           "m": workload.m, "family": workload.family}  # fmt: skip
    reset_peak_rss()
    device_peak_mb(name, device, reset=True)
    step, sync, read = our_runner(name, mode, dtype, device, prob)
    start = time.perf_counter()
    sync(step())
    row["first_call_s"] = time.perf_counter() - start
    cost0, params1 = read()
    row["verified"], row["check_err"], row["check_tol"] = check_first_step(prob, dtype, cost0, params1, name, device)
    timing = time_steps(step, sync, min_repeats=min_repeats, min_time=min_time)
    row.update(median_s=timing.median_s, iqr_s=timing.iqr_s, repeats=len(timing.times))
    row["compile_s"] = max(row["first_call_s"] - timing.median_s, 0.0) if mode != "eager" else None
    row["peak_mem_mb"] = peak_rss_mb()
    row["device_mem_mb"] = device_peak_mb(name, device)
    row["status"] = "ok" if row["verified"] else "check failed"
    return row


# --- the whole run ------------------------------------------------------------------------------

COLUMNS = [
    "workload", "family", "backend", "mode", "dtype", "device", "m", "median_s", "iqr_s", "repeats", "first_call_s",
    "compile_s", "import_s", "flops", "bytes", "gflops", "roofline_s", "roofline_fraction", "peak_mem_mb",
    "device_mem_mb", "verified", "check_err", "check_tol", "status",
]  # fmt: skip


def add_roofline(row: dict, spec: ModelSpec, limits: dict) -> dict:
    """FLOPs, bytes, achieved GFLOP/s and the fraction of the roofline bound; a row that failed its
    check keeps its status but loses its time (it computed something else)."""
    itemsize = 4 if row["dtype"] == "float32" else 8
    row["flops"] = step_flops(spec, row["m"])
    row["bytes"] = step_bytes(spec, row["m"], itemsize)
    peak = limits["gemm_gflops"][row["dtype"]] * 1e9
    # the rate at which this machine reads a working set of this size: from the caches when it fits
    bandwidth = read_bandwidth(working_set_bytes(spec, row["m"], itemsize)) * 1e9
    row["roofline_s"] = max(row["flops"] / peak, row["bytes"] / bandwidth)
    median = row.get("median_s")
    if row.get("status") != "ok" or not median:
        row["median_s"] = row["gflops"] = row["roofline_fraction"] = None
        return row
    row["gflops"] = row["flops"] / median / 1e9
    row["roofline_fraction"] = row["roofline_s"] / median
    return row


def plan(workloads: list[Workload], names: list[str], modes: list[str], dtypes: list[str], device: str):
    """(workload, backend, mode, dtype) for every available backend; and the unavailable ones' rows."""
    from .backends import MODES, device_status

    todo, unavailable = [], []
    for name in names:
        ok, reason = device_status(name, device)
        for mode in [m for m in MODES[name] if m in modes]:
            for dtype in dtypes:
                for w in workloads:
                    if ok:
                        todo.append((w, name, mode, dtype))
                    else:
                        unavailable.append({"workload": w.name, "family": w.family, "backend": name, "mode": mode,
                                            "dtype": dtype, "device": device, "m": w.m,
                                            "status": f"unavailable: {reason}"})  # fmt: skip
    return todo, unavailable


def bench_loop(name: str, dtype: str, device: str, workload: Workload, iterations: int, min_time: float,
               min_repeats: int) -> dict:  # fmt: skip
    """The amortised step of the implementation's compiled training loop (make_train_loop: lax.scan under
    jax.jit, a tf.while_loop under XLA): `iterations` steps in one call, timed as a whole and divided."""
    import importlib

    from .backends import PACKAGES

    prob = problem(workload)
    spec, act = workload.spec, workload.spec.hidden_activation
    arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
    module = importlib.import_module(f"{PACKAGES[name]}.{spec.kind if spec.kind == 'logistic' else 'deep'}")
    loop = module.make_train_loop("compiled") if spec.kind == "logistic" else module.make_train_loop(act, "compiled")
    params, X, Y = (arrays.from_numpy(a, dtype, device) for a in (prob.params, prob.X, prob.Y))
    lr, count, one = workload.learning_rate, iterations, 1
    if name == "tf":  # tensors, so that a new count or rate does not trace the loop again
        import tensorflow as tf

        lr, count, one = tf.constant(lr, dtype=dtype), tf.constant(iterations), tf.constant(1)

    def run(n):
        if spec.kind == "logistic":
            w, b, costs = loop(params["w"], params["b"], X, Y, lr, n)
            return {"w": w, "b": b}, costs
        return loop(params, X, Y, lr, n)

    row = {"workload": workload.name, "backend": name, "mode": "compiled-loop", "dtype": dtype, "device": device,
           "m": workload.m, "family": workload.family}  # fmt: skip
    reset_peak_rss()
    sync = _sync_for(name, device)
    start = time.perf_counter()
    sync(run(count)[1])
    row["first_call_s"] = time.perf_counter() - start
    # the check: the loop's first recorded cost, and one step of the same loop code from the start
    params1, costs1 = run(one)
    cost0 = float(np.asarray(arrays.to_numpy(costs1))[0])
    params1 = {k: np.asarray(arrays.to_numpy(v)) for k, v in params1.items()}
    row["verified"], row["check_err"], row["check_tol"] = check_first_step(prob, dtype, cost0, params1, name, device)
    timing = time_steps(lambda: run(count)[1], sync, min_repeats=min_repeats, min_time=min_time)
    row.update(median_s=timing.median_s / iterations, iqr_s=timing.iqr_s / iterations, repeats=len(timing.times))
    row["compile_s"] = max(row["first_call_s"] - timing.median_s, 0.0)
    row["peak_mem_mb"] = peak_rss_mb()
    row["status"] = "ok" if row["verified"] else "check failed"
    return row
