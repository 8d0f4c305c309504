"""A benchmark run in several fresh processes times each row's share of the rounds in each (run.py); here
its rows are joined again, one per workload, backend, mode and dtype."""

import dataclasses

import numpy as np

from .row import Row

ROUND_COLUMNS = ("round_s", "round_gemm_gflops", "round_process")

BOUNDS = ("products alone", "products loop")  # bounds, not ways to train (products.py)


def bound_mode(mode: str) -> str:
    """The bound a row of `mode` is measured against: its library's products run the way it runs, one call
    per step, or inside one compiled loop of the same length for a compiled loop."""
    return BOUNDS[1] if mode == "compiled-loop" else BOUNDS[0]


def merge_processes(rows: list[Row]) -> list[Row]:
    """One row per workload, backend, mode and dtype from its rows in each process: the rounds joined
    (time, probe and process of each), the median over all of them, the worst check, the largest memory;
    then each step over its bound (its own library's products run the way it runs), round by round."""
    merged: dict[tuple, Row] = {}
    for row in rows:
        key = (row.workload, row.backend, row.mode, row.dtype)
        if key not in merged:
            merged[key] = dataclasses.replace(row)
            continue
        into = merged[key]
        if into.status == "ok" and row.status != "ok":  # a failure in any process is the row's
            into = merged[key] = dataclasses.replace(row, **{k: getattr(into, k) for k in ROUND_COLUMNS})
        for k in ROUND_COLUMNS:
            if getattr(row, k) is not None:
                setattr(into, k, [*(getattr(into, k) or []), *getattr(row, k)])
        for k in ("peak_mem_mb", "device_mem_mb", "check_err"):
            values = [v for v in (getattr(into, k), getattr(row, k)) if v is not None and v == v]
            setattr(into, k, max(values) if values else getattr(into, k))
        into.repeats = (into.repeats or 0) + (row.repeats or 0)
        into.extra_rounds = (into.extra_rounds or 0) + (row.extra_rounds or 0)
        into.iqr_s = max(into.iqr_s or 0.0, row.iqr_s or 0.0)  # the widest process's spread
        if into.verified is not None or row.verified is not None:  # a row that was checked (not the bounds)
            into.verified = bool(into.verified) and bool(row.verified)
    out = list(merged.values())
    for row in out:
        if row.round_s:
            row.median_s = float(np.median(row.round_s))
    bounds = {(r.workload, r.backend, r.mode, r.dtype): r for r in out if r.mode in BOUNDS and r.round_s}
    for row in out:
        own = bounds.get((row.workload, row.backend, bound_mode(row.mode), row.dtype))
        if row.round_s and own is not None and row.mode not in BOUNDS and len(own.round_s) == len(row.round_s):
            row.products_s = own.median_s  # the step over its own products, round by round
            row.over_products = float(np.median(np.divide(row.round_s, own.round_s)))
    return out
