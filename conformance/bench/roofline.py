"""The bound of a step: its FLOPs and its compulsory bytes, and max(FLOPs / peak GEMM rate, bytes /
bandwidth) with both limits measured in the same run (machine.py); each row as a fraction of it."""

import numpy as np

from ..core.spec import ModelSpec
from .machine import read_bandwidth
from .row import COLUMNS, Row

__all__ = ["COLUMNS", "ROUND_INPUTS", "add_roofline", "round_fractions", "step_bytes", "step_flops"]


def working_set_bytes(spec: ModelSpec, m: int, itemsize: int) -> int:
    """X, the weights and one copy of every layer's activations: what one step keeps touching."""
    dims = spec.layer_dims
    weights = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    return itemsize * (dims[0] * m + weights + 2 * sum(dims[l] * m for l in range(1, len(dims))))


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


def add_roofline(row: Row, spec: ModelSpec, limits: dict) -> Row:
    """FLOPs, bytes, achieved GFLOP/s and the fraction of the roofline bound; a row that failed its
    check keeps its status but loses its time (it computed something else)."""
    itemsize = 4 if row.dtype == "float32" else 8
    row.flops = step_flops(spec, row.m)
    row.bytes = step_bytes(spec, row.m, itemsize)
    peak = limits["gemm_gflops"][row.dtype] * 1e9
    # the rate at which this machine reads a working set of this size: from the caches when it fits (a GPU:
    # its device memory's, from the run's probe)
    on_gpu = row.device == "gpu"
    row.bandwidth_gbs = limits["bandwidth_gbs"] if on_gpu else read_bandwidth(working_set_bytes(spec, row.m, itemsize))
    row.roofline_s = max(row.flops / peak, row.bytes / (row.bandwidth_gbs * 1e9))
    if row.status != "ok" or not row.median_s:
        row.median_s = row.gflops = row.roofline_fraction = None
        return row
    row.gflops = row.flops / row.median_s / 1e9
    row.roofline_fraction = row.roofline_s / row.median_s
    if row.round_s and row.round_gemm_gflops:  # round by round, against that round's probe
        row.roofline_fraction = float(np.median(round_fractions(*(getattr(row, k) for k in ROUND_INPUTS))))
    return row


ROUND_INPUTS = ("flops", "bytes", "bandwidth_gbs", "round_gemm_gflops", "round_s")  # round_fractions' arguments


def round_fractions(
    flops: float, bytes: float, bandwidth_gbs: float, round_gemm_gflops: list[float], round_s: list[float]
) -> list[float]:
    """The fraction of the roofline in each round: the bound with that round's GEMM peak (its memory half
    from the run's bandwidth probe) over that round's time; a row's values (ROUND_INPUTS) after add_roofline."""
    memory_s = bytes / (bandwidth_gbs * 1e9)
    return [
        max(flops / (peak * 1e9), memory_s) / seconds for peak, seconds in zip(round_gemm_gflops, round_s, strict=True)
    ]
