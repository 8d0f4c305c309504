"""The machine under the benchmark: the peak GEMM rate and memory bandwidth measured in the same run (the
roofline's two limits), import times, and peak memory (the same threads for every framework: threads.py)."""

import os
import resource
import subprocess
import sys
from collections.abc import Callable, Collection

import numpy as np

from ..core.backends import device_status, framework_status
from ..core.registry import DTYPES
from .timing import seconds

# --- the machine's limits -----------------------------------------------------------------------


def probe(quick: bool = False, libraries: Collection[str] | None = None) -> dict:
    """Peak GEMM rate (GFLOP/s) in float32 and float64, the best any installed framework reaches on a
    square product (the bound is the machine's, whichever library gets closest to it), and memory
    read bandwidth (GB/s) past the caches. With `libraries`, only those (and NumPy) are asked: a quick
    bench probes with its own frameworks, sparing the import of the others (TensorFlow's takes seconds)."""
    n = 2048  # smaller products stay below the peak, which would make the bound too generous
    repeats = 3 if quick else 5
    gemm, gemm_by = {}, {}
    for dtype in DTYPES:
        a, b = _operands(n, dtype)
        rates = {}
        for library, product in _gemms(a, b, libraries).items():
            product()
            rates[library] = 2 * n**3 / min(seconds(product) for _ in range(repeats)) / 1e9
        gemm_by[dtype] = rates
        gemm[dtype] = max(rates.values())
    return {
        "gemm_gflops": gemm,
        "gemm_gflops_by_library": gemm_by,
        "gemm_n": n,
        "bandwidth_gbs": read_bandwidth(max(128 * 2**20, 4 * last_level_cache_bytes())),
        "cache_bandwidth_gbs": read_bandwidth(last_level_cache_bytes() // 4),
        "cache_bytes": last_level_cache_bytes(),
    }


def gemm_rates(
    quick: bool = True,
    device: str = "cpu",
    libraries: dict[str, str] | None = None,
    dtypes: Collection[str] = DTYPES,
) -> dict[str, float]:
    """{dtype: GFLOP/s} for each of `dtypes`: the best rate of any installed framework on a square product now,
    the probe each round of a benchmark repeats (one product per library and dtype, after one to warm up; with
    `libraries`, {dtype: library}, only the one that was fastest at the run's start; a run asks for the dtypes
    its rows have). On a GPU, PyTorch's (or JAX's) rate there, float32 in full float32 (TF32 off)."""
    if device == "gpu":
        return gpu_limits(quick)["gemm_gflops"]
    n, rates = 2048, {}
    for dtype in dtypes:
        a, b = _operands(n, dtype)
        best = 0.0
        want = libraries.get(dtype) if libraries else None
        products = _gemms(a, b, None if want is None else {want})  # a child of --processes imports no other
        if want is not None and want not in products:  # the run's fastest is not here: the best of those that are
            products = _gemms(a, b)
        for library, product in products.items():
            if want in products and library != want:
                continue
            product()
            best = max(best, 2 * n**3 / min(seconds(product) for _ in range(1 if quick else 3)) / 1e9)
        rates[dtype] = best
    return rates


_OPERANDS: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}


def _operands(n: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """Two seeded n x n matrices of `dtype`, drawn once per process (each round's probe reuses them: drawing
    2 x 4 M normals took a tenth of a second a round)."""
    if (n, dtype) not in _OPERANDS:
        rng = np.random.default_rng(0)
        _OPERANDS[n, dtype] = rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype)
    return _OPERANDS[n, dtype]


def gpu_limits(quick: bool = True) -> dict:
    """The GPU's own limits, measured now with PyTorch (or JAX where PyTorch sees no GPU): the GEMM rate in
    float32 with TF32 off (what every row runs) and on, in float64, and the memory bandwidth of a device
    copy. Raises RuntimeError when neither sees a GPU."""
    n, repeats = 4096 if quick else 8192, 3 if quick else 5
    if device_status("torch", "gpu")[0]:
        import torch

        def rate(dtype: str, tf32: bool = False) -> float:
            torch.backends.cuda.matmul.allow_tf32 = tf32
            a = torch.randn((n, n), device="cuda", dtype=getattr(torch, dtype))
            (a @ a).sum().item()
            torch.cuda.synchronize()
            best = min(seconds(lambda: (a @ a, torch.cuda.synchronize())) for _ in range(repeats))
            torch.backends.cuda.matmul.allow_tf32 = False
            return 2 * n**3 / best / 1e9

        big = torch.empty(2**28, device="cuda", dtype=torch.float32)  # 1 GiB
        big.clone()
        torch.cuda.synchronize()
        copy = min(seconds(lambda: (big.clone(), torch.cuda.synchronize())) for _ in range(repeats))
        library, bandwidth = "torch", 2 * big.nbytes / copy / 1e9
        rates = {"float32": rate("float32"), "float64": rate("float64"), "tf32": rate("float32", tf32=True)}
    elif device_status("jax", "gpu")[0]:
        import jax
        import jax.numpy as jnp

        def rate(dtype: str, precision: str = "highest") -> float:
            a = jnp.ones((n, n), dtype=dtype, device=jax.devices("gpu")[0])
            f = jax.jit(lambda x: jnp.matmul(x, x, precision=precision))
            f(a).block_until_ready()
            return 2 * n**3 / min(seconds(lambda: f(a).block_until_ready()) for _ in range(repeats)) / 1e9

        big = jnp.ones(2**28, dtype="float32", device=jax.devices("gpu")[0])
        copy_fn = jax.jit(lambda x: x + 0)
        copy_fn(big).block_until_ready()
        copy = min(seconds(lambda: copy_fn(big).block_until_ready()) for _ in range(repeats))
        library, bandwidth = "jax", 2 * big.nbytes / copy / 1e9
        rates = {"float32": rate("float32"), "float64": rate("float64"), "tf32": rate("float32", "tensorfloat32")}
    else:
        raise RuntimeError("no GPU visible to torch or jax")
    return {
        "gemm_gflops": {"float32": rates["float32"], "float64": rates["float64"]},
        "gemm_gflops_tf32": rates["tf32"],
        "gemm_gflops_by_library": {"float32": {library: rates["float32"]}},
        "gemm_n": n,
        "bandwidth_gbs": bandwidth,
        "cache_bandwidth_gbs": bandwidth,
        "cache_bytes": 0,
        "probed_with": library,
    }


def _gemms(a: np.ndarray, b: np.ndarray, only: Collection[str] | None = None) -> dict[str, Callable[[], object]]:
    """a @ b in every installed framework (or in those of `only`; NumPy's always), each returning only when the
    product is done."""
    products: dict[str, Callable[[], object]] = {"numpy": lambda: a @ b}
    if (only is None or "torch" in only) and framework_status("torch")[0]:
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        products["torch"] = lambda: ta @ tb
    if (only is None or "jax" in only) and framework_status("jax")[0]:
        import jax

        ja, jb = jax.device_put(a), jax.device_put(b)
        matmul = jax.jit(lambda x, y: x @ y)
        products["jax"] = lambda: matmul(ja, jb).block_until_ready()
    if (only is None or "tf" in only) and framework_status("tf")[0]:
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
        _READ_BANDWIDTH[key] = matrix.nbytes / min(seconds(lambda: matrix @ vector) for _ in range(9)) / 1e9
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


# --- imports and memory -------------------------------------------------------------------------


def import_seconds(module: str) -> float | None:
    """Seconds to import `module` in a fresh interpreter (its own column: not part of any step)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
        return float(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def reset_peak_rss() -> float:
    """Linux: writing 5 to /proc/self/clear_refs resets the process's peak RSS (VmHWM) to what it holds
    now; returns that, in MB, the baseline of a row's own peak (peak_rss_mb() - baseline)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return peak_rss_mb()


def own_peak_mb(baseline: float) -> float:
    """A row's own peak memory: the process's peak since reset_peak_rss() returned `baseline`, less that."""
    return max(peak_rss_mb() - baseline, 0.0)


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
