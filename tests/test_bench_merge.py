"""Merging a row's processes (conformance/bench/merge.py)."""

import pytest


def test_a_rows_processes_merge_into_one_row():
    """Each process's rows of a workload join into one: every round with its probe and its process, the
    median over all rounds, the step over its own products round by round; a check failed in any process
    fails the row, and the products alone (never checked) stay unchecked."""
    from conformance.bench.merge import merge_processes
    from conformance.bench.row import Row

    def rows(process: int, step: list[float], verified: bool = True) -> list[Row]:
        common = {
            "workload": "planar",
            "family": "",
            "backend": "numpy",
            "dtype": "float32",
            "round_process": [process] * 2,
            "round_gemm_gflops": [100.0, 110.0],
            "repeats": 10,
            "iqr_s": 1e-5,
        }
        return [
            Row.from_dict(
                {
                    **common,
                    "mode": "eager",
                    "round_s": step,
                    "verified": verified,
                    "check_err": 1e-7 * (1 + process),
                    "status": "ok" if verified else "check failed",
                    "peak_mem_mb": 10.0 + process,
                }
            ),
            Row.from_dict({**common, "mode": "products alone", "round_s": [1e-3, 1e-3], "status": "ok"}),
        ]

    merged = merge_processes(rows(0, [2e-3, 2e-3]) + rows(1, [3e-3, 3e-3]))
    step, products = (next(r for r in merged if r.mode == mode) for mode in ("eager", "products alone"))
    assert len(merged) == 2 and step.round_s == [2e-3, 2e-3, 3e-3, 3e-3]
    assert step.round_process == [0, 0, 1, 1] and step.round_gemm_gflops == [100.0, 110.0] * 2
    assert step.median_s == pytest.approx(2.5e-3) and step.over_products == pytest.approx(2.5)
    assert step.repeats == 20 and step.peak_mem_mb == 11.0 and step.check_err == pytest.approx(2e-7)
    assert step.verified and products.verified is None
    failed = merge_processes(rows(0, [2e-3, 2e-3]) + rows(1, [3e-3, 3e-3], verified=False))
    assert next(r for r in failed if r.mode == "eager").status == "check failed"
