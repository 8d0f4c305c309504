"""The bound each of our rows is measured against: the step's own matrix products alone, in one library,
on the step's shapes and layouts, run the way the row runs: one call per step ("products alone"), or for
a compiled training loop inside one compiled loop of the same length ("products loop"). A row's overhead
is its step time over its bound's."""

import importlib
import time
from collections.abc import Callable

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


def step_operands(spec, m: int, dtype: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """step_products with random operands, each the one array the step uses twice: per layer W[l], A[l-1] and
    dZ[l] (Z = W A_prev, dW = dZ A_prev^T, dA_prev = W^T dZ), so the products hold what the step holds and
    read each array as often (a copy per product held the wide batches twice: 1.6 GB per library at m = 16384)."""
    rng, dims, found = np.random.default_rng(0), spec.layer_dims, []
    for l in range(1, len(dims)):
        W, A_prev, dZ = (
            rng.standard_normal(shape).astype(dtype)
            for shape in ((dims[l], dims[l - 1]), (dims[l - 1], m), (dims[l], m))
        )
        found += [(W, A_prev, ""), (dZ, A_prev, "right")] + ([(W, dZ, "left")] if l > 1 else [])
    assert [(a.shape, b.shape, t) for a, b, t in found] == step_products(spec, m)
    return found


def prepare_products(name: str, dtype: str, device: str, workload: Workload) -> Prepared:
    """The step's own matrix products alone, in one library, on the step's shapes and layouts: the bound
    each of that library's rows is measured against (its overhead: step time / these products' time).
    Compiled libraries run them compiled (jax.jit, tf.function with XLA), all in one call."""
    pairs = step_operands(workload.spec, workload.m, dtype)
    row = workload.row(name, "products alone", dtype, device, status="ok", matmul=matmul_precision(name, dtype, device))
    if name == "numpy":

        def run():
            return [(a.T @ b) if t == "left" else (a @ b.T) if t == "right" else a @ b for a, b, t in pairs]

        sync = sync_for(name, device)
    else:
        arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
        operands = {id(x): x for a, b, _ in pairs for x in (a, b)}  # each array once, as the step holds it
        there = {key: arrays.from_numpy(x, dtype, device) for key, x in operands.items()}
        put = [(there[id(a)], there[id(b)], t) for a, b, t in pairs]
        del pairs, operands, there  # the NumPy copies: only the library's are timed
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
            products = jax.jit(
                lambda ops: [
                    (a.T @ b) if t == "left" else (a @ b.T) if t == "right" else a @ b
                    for (a, b), t in zip(ops, kinds, strict=True)
                ]
            )

            def run():
                return products([(a, b) for a, b, _ in put])
        else:

            def run():
                return [(a.T @ b) if t == "left" else (a @ b.T) if t == "right" else a @ b for a, b, t in put]

        sync = sync_for(name, device)
    start = time.perf_counter()
    sync(run())
    row.first_call_s = time.perf_counter() - start
    return Prepared(row, run, sync)


def prepare_products_loop(
    name: str, dtype: str, device: str, workload: Workload, iterations: int, eps: float = 0.0
) -> Prepared:
    """The step's own matrix products inside one compiled loop of `iterations` steps (lax.fori_loop under
    jax.jit, tf.while_loop under XLA), the bound of that library's compiled training loop. Each iteration
    must depend on the last, or the compiler hoists the products out of the loop: per layer Z = W A_prev,
    dW = Z A_prev^T and dA_prev = W^T Z (the step's shapes and layouts), and W - eps dW, the update the
    step also makes, carried to the next iteration (eps is 0, passed in, so nothing grows and nothing is
    folded away). run() returns (each W, each dA_prev) after the loop."""
    rng = np.random.default_rng(0)
    dims, m = workload.spec.layer_dims, workload.m
    Ws = [rng.standard_normal((dims[l], dims[l - 1])).astype(dtype) for l in range(1, len(dims))]
    As = [rng.standard_normal((dims[l - 1], m)).astype(dtype) for l in range(1, len(dims))]
    row = workload.row(name, "products loop", dtype, device, status="ok", matmul=matmul_precision(name, dtype, device))
    arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
    Ws, As = [arrays.from_numpy(W, dtype, device) for W in Ws], [arrays.from_numpy(A, dtype, device) for A in As]
    eps = arrays.from_numpy(np.array(eps, dtype), dtype, device)

    def iteration(Ws, dAs, As, eps, mm):  # one step's products: mm(a, b, which operand is transposed)
        new_W, new_dA = [], []
        for l, (W, A) in enumerate(zip(Ws, As, strict=True)):
            Z = mm(W, A, "")  # (n[l], m) = (n[l], n[l-1]) @ (n[l-1], m)
            dW = mm(Z, A, "right")  # (n[l], n[l-1]) = (n[l], m) @ (m, n[l-1])
            new_dA.append(mm(W, Z, "left") if l > 0 else dAs[l])  # (n[l-1], m): no dA0, as in the step
            new_W.append(W - eps * dW)
        return new_W, new_dA

    dAs = list(As)  # the carried dA_prev (the first layer's stays as it is)
    loop = _compiled_loop(name, iterations, iteration)

    def run():
        return loop(Ws, dAs, As, eps)

    sync = sync_for(name, device)
    start = time.perf_counter()
    sync(run())
    row.first_call_s = time.perf_counter() - start
    return Prepared(row, run, sync, per_call=iterations)


def _compiled_loop(name: str, iterations: int, iteration: Callable) -> Callable:
    """loop(Ws, dAs, As, eps): `iterations` of iteration(Ws, dAs, As, eps, mm) in one compiled program of the
    library (lax.fori_loop under jax.jit, tf.while_loop under XLA), each on what the one before returned."""
    if name == "jax":
        import jax

        def mm(a, b, t):
            return (a.T @ b) if t == "left" else (a @ b.T) if t == "right" else a @ b

        @jax.jit
        def loop(Ws, dAs, As, eps):
            return jax.lax.fori_loop(0, iterations, lambda _, c: iteration(*c, As, eps, mm), (Ws, dAs))

    elif name == "tf":
        import tensorflow as tf

        def mm(a, b, t):
            return tf.matmul(a, b, transpose_a=t == "left", transpose_b=t == "right")

        @tf.function(jit_compile=True)
        def loop(Ws, dAs, As, eps):
            def body(k, Ws, dAs):
                return (k + 1, *iteration(Ws, dAs, As, eps, mm))

            return tf.while_loop(lambda k, *_: k < iterations, body, (tf.constant(0), Ws, dAs))[1:]

    else:
        raise ValueError(f"{name} has no compiled training loop, so no products loop")

    return loop
