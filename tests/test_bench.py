"""The benchmark harness: its arithmetic, its timing loop, its check, and one small real run."""

import json

import numpy as np
import pandas as pd
import pytest

from conformance import cli
from conformance.bench import ours, roofline, workloads
from conformance.bench.timing import time_steps
from conformance.spec import ModelSpec


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


def test_time_steps_warms_up_then_repeats_until_enough():
    calls = []
    timing = time_steps(lambda: calls.append(1), lambda _: None, min_repeats=5, min_time=0.0)
    assert len(calls) == 6 and len(timing.times) == 5  # one warm-up, five timed
    assert timing.median_s >= 0 and timing.iqr_s >= 0


def test_the_check_rejects_a_step_that_computes_something_else():
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "tanh"), 16, 0.1)
    prob = workloads.problem(workload)
    assert workloads.check_first_step(prob, "float64", prob.cost0, prob.params1)[0]
    for dtype, off in (("float32", 1e-3), ("float64", 1e-9)):  # far above each dtype's rounding
        wrong = {k: v * (1 + off) for k, v in prob.params1.items()}
        passed, error, tolerance = workloads.check_first_step(prob, dtype, prob.cost0, wrong)
        assert not passed and error > tolerance, dtype


@pytest.mark.parametrize("name", ["numpy", "torch", "jax", "tf"])
def test_our_rows_are_checked_and_timed(name):
    from conformance.backends import framework_status

    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason)
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "relu"), 16, 0.1)
    mode = "eager" if name == "numpy" else "compiled"
    row = ours.bench_ours(name, mode, "float32", "cpu", workload, min_time=0.0, min_repeats=3)
    assert row["status"] == "ok" and row["verified"] and row["median_s"] > 0 and row["repeats"] == 3
    assert row["peak_mem_mb"] > 0


def test_roofline_fraction_and_a_failed_row_loses_its_time():
    spec = ModelSpec("deep", (6, 4, 1))
    limits = {"gemm_gflops": {"float32": 100.0}, "bandwidth_gbs": 10.0, "cache_bandwidth_gbs": 50.0,
              "cache_bytes": 2**25}  # fmt: skip
    row = roofline.add_roofline({"m": 16, "dtype": "float32", "median_s": 1e-3, "status": "ok"}, spec, limits)
    assert row["roofline_fraction"] == pytest.approx(row["roofline_s"] / 1e-3)
    failed = {"m": 16, "dtype": "float32", "median_s": 1e-3, "status": "check failed"}
    failed = roofline.add_roofline(failed, spec, limits)
    assert failed["median_s"] is None and failed["roofline_fraction"] is None


def test_quick_bench_writes_its_results(capsys, tmp_path):
    code = cli.main(["bench", "--quick", "--workloads", "planar", "--backends", "numpy,jax", "--peers", "",
                     "--dtypes", "float32", "--out", str(tmp_path)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    (folder,) = tmp_path.iterdir()
    frame = pd.read_csv(folder / "bench.csv")
    expected = {"workload", "backend", "mode", "dtype", "device", "m", "median_s", "iqr_s", "compile_s", "gflops",
                "roofline_fraction", "peak_mem_mb"}  # fmt: skip
    assert expected <= set(frame.columns)
    assert set(frame["mode"]) == {"eager", "compiled", "compiled-loop"}
    assert (frame["status"] == "ok").all() and (frame["median_s"] > 0).all()
    assert np.isfinite(frame["roofline_fraction"]).all()
    meta = json.loads((folder / "bench.json").read_text())
    assert meta["limits"]["gemm_gflops"]["float32"] > 0 and meta["threads"] == 2
    assert (folder / "bench-workloads.png").stat().st_size > 1000
    assert "Speed goals" in (folder / "bench.md").read_text()
