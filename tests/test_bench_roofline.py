"""The roofline (conformance/bench/roofline.py): a step's flops and bytes, and the fraction of its bound
a row reaches."""

import pytest

from conformance.bench import roofline
from conformance.bench.row import Row
from conformance.core.spec import ModelSpec


def test_flops_count_the_three_products_per_layer_but_not_dA0():
    spec = ModelSpec("deep", (10, 4, 1))
    m = 7
    forward = 2 * m * (4 * 10 + 1 * 4)
    backward = 2 * m * (4 * 10 + 1 * 4) + 2 * m * (1 * 4)  # dW for both layers, dA1 only
    assert roofline.step_flops(spec, m) == forward + backward


def test_bytes_grow_with_the_itemsize_and_m():
    spec = ModelSpec("deep", (100, 20, 1))
    assert roofline.step_bytes(spec, 50, 8) == 2 * roofline.step_bytes(spec, 50, 4)
    assert roofline.step_bytes(spec, 100, 4) > roofline.step_bytes(spec, 50, 4)


def test_roofline_fraction_and_a_failed_row_loses_its_time():
    spec = ModelSpec("deep", (6, 4, 1))
    limits = {
        "gemm_gflops": {"float32": 100.0},
        "bandwidth_gbs": 10.0,
        "cache_bandwidth_gbs": 50.0,
        "cache_bytes": 2**25,
    }
    timed = Row("w", "", "numpy", "eager", "float32", m=16, median_s=1e-3, status="ok")
    row = roofline.add_roofline(timed, spec, limits)
    assert row.roofline_fraction == pytest.approx(row.roofline_s / 1e-3)
    failed = Row("w", "", "numpy", "eager", "float32", m=16, median_s=1e-3, status="check failed")
    failed = roofline.add_roofline(failed, spec, limits)
    assert failed.median_s is None and failed.roofline_fraction is None
