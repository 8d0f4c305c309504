"""The bound each of our rows is measured against: the step's own matrix products alone, in one library,
on the step's shapes and layouts (a row's overhead is its step time over these products' time)."""

import importlib
import time

import numpy as np

from ..core.backends import PACKAGES
from .steps import Prepared, matmul_precision, sync_for
from .workloads import Workload


def step_products(spec, m: int) -> list[tuple[tuple[int, int], tuple[int, int], str]]:
    """The matrix products of one training step, as (left shape, right shape, which operand is transposed):
    per layer Z = W A_prev (n[l] x n[l-1] by n[l-1] x m), dW = dZ A_prev^T (n[l] x m by m x n[l-1], the right
    one transposed) and, except for the first layer, dA_prev = W^T dZ (n[l-1] x n[l] by n[l] x m, the left)."""
    dims, found = spec.layer_dims, []
    for l in range(1, len(dims)):
        n, n_prev = dims[l], dims[l - 1]
        found.append(((n, n_prev), (n_prev, m), ""))
        found.append(((n, m), (n_prev, m), "right"))  # dZ @ A_prev.T
        if l > 1:
            found.append(((n, n_prev), (n, m), "left"))  # W.T @ dZ
    return found


def prepare_products(name: str, dtype: str, device: str, workload: Workload) -> Prepared:
    """The step's own matrix products alone, in one library, on the step's shapes and layouts: the bound
    each of that library's rows is measured against (its overhead: step time / these products' time).
    Compiled libraries run them compiled (jax.jit, tf.function with XLA), all in one call."""
    rng = np.random.default_rng(0)
    shapes = step_products(workload.spec, workload.m)
    pairs = [(rng.standard_normal(a).astype(dtype), rng.standard_normal(b).astype(dtype), t) for a, b, t in shapes]
    row = {"workload": workload.name, "backend": name, "mode": "products alone", "dtype": dtype, "device": device,
           "m": workload.m, "family": workload.family, "status": "ok",
           "matmul": matmul_precision(name, dtype, device)}  # fmt: skip
    if name == "numpy":

        def run():
            return [(a.T @ b) if t == "left" else (a @ b.T) if t == "right" else a @ b for a, b, t in pairs]

        sync = sync_for("torch", "cpu")  # NumPy returns when done
    else:
        arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
        put = [(arrays.from_numpy(a, dtype, device), arrays.from_numpy(b, dtype, device), t) for a, b, t in pairs]
        if name == "tf":
            import tensorflow as tf

            @tf.function(jit_compile=True)
            def products(operands):
                return [tf.matmul(a, b, transpose_a=t == "left", transpose_b=t == "right") for a, b, t in operands]

            def run():
                return products(put)
        elif name == "jax":
            import jax

            kinds = [t for _, _, t in put]
            products = jax.jit(lambda ops: [(a.T @ b) if t == "left" else (a @ b.T) if t == "right" else a @ b
                                            for (a, b), t in zip(ops, kinds, strict=True)])  # fmt: skip

            def run():
                return products([(a, b) for a, b, _ in put])
        else:

            def run():
                return [(a.T @ b) if t == "left" else (a @ b.T) if t == "right" else a @ b for a, b, t in put]

        sync = sync_for(name, device)
    start = time.perf_counter()
    sync(run())
    row["first_call_s"] = time.perf_counter() - start
    return Prepared(row, run, sync)
