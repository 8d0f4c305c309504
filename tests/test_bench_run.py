"""A whole benchmark run (conformance/bench/run.py through `quartet bench`): its files, a failed check failing
the run, and a run shared out over fresh processes."""

import json

import numpy as np
import pandas as pd
import pytest
from backend_helper import small_bench

from conformance import cli
from conformance.bench import steps as ours


@pytest.mark.slow
def test_a_failed_check_fails_the_run(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(ours, "check_first_step", lambda *args: (False, 1.0, 1e-6))
    code = cli.main(small_bench(tmp_path))
    assert code == 1 and "check failed" in capsys.readouterr().out


@pytest.mark.slow
def test_quick_bench_writes_its_results(capsys, tmp_path):
    code = cli.main(small_bench(tmp_path, "numpy,jax", threads=None))  # the default: 2 threads
    out = capsys.readouterr().out
    assert code == 0, out
    (folder,) = tmp_path.iterdir()
    frame = pd.read_csv(folder / "bench.csv")
    expected = {
        "workload",
        "backend",
        "mode",
        "dtype",
        "device",
        "m",
        "median_s",
        "iqr_s",
        "compile_s",
        "gflops",
        "roofline_fraction",
        "peak_mem_mb",
    }
    assert expected <= set(frame.columns)
    assert set(frame["mode"]) == {"eager", "compiled", "compiled-loop", "products alone", "products loop"}
    loop = frame[frame["mode"] == "compiled-loop"].iloc[0]  # measured against its products inside a compiled loop
    assert (
        loop["over_products"] > 0 and loop["products_s"] == frame[frame["mode"] == "products loop"]["median_s"].iloc[0]
    )
    assert (frame["status"] == "ok").all() and (frame["median_s"] > 0).all()
    assert np.isfinite(frame["roofline_fraction"]).all()
    meta = json.loads((folder / "bench.json").read_text())
    assert meta["limits"]["gemm_gflops"]["float32"] > 0 and meta["threads"] == 2
    assert (folder / "bench-workloads.png").stat().st_size > 1000
    assert "Speed goals" in (folder / "bench.md").read_text()


@pytest.mark.slow
def test_a_bench_in_processes_times_each_share_in_a_fresh_process(capsys, tmp_path):
    """--processes 2: two child processes, one after the other, each timing its share
    of the rounds; one row per backend, mode and dtype with the rounds of both. A Keras peer is timed by its
    worker in the same rounds (each process has its own worker): its ratio to ours is paired round by round."""
    from conformance.bench.peers import peer_status

    keras = peer_status("keras/jax")[0]
    code = cli.main(
        [
            "bench",
            "--quick",
            "--workloads",
            "planar",
            "--backends",
            "numpy",
            "--dtypes",
            "float32",
            "--peers",
            "keras/jax" if keras else "",
            "--rounds",
            "3",
            "--processes",
            "2",
            "--decide",
            "4",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, capsys.readouterr().out
    (folder,) = tmp_path.iterdir()
    rows = json.loads((folder / "bench.json").read_text())["rows"]
    eager = [r for r in rows if r["mode"] == "eager"]
    assert len(eager) == 1 and len(eager[0]["round_s"]) == 3 + eager[0]["extra_rounds"]
    assert eager[0]["round_process"][:2] == [0, 0] and 1 in eager[0]["round_process"]  # 2 rounds, then 1, and extras
    # the goals left within noise took extra rounds (--decide 4: 2 s in each process), every row of the workload
    # in each, so every pair of rows stays paired: the same rounds, in the same processes
    labels = {json.dumps(r["round_process"]) for r in rows if r.get("round_s")}
    assert len(labels) == 1, labels
    if keras:
        (peer,) = [r for r in rows if r["backend"] == "keras/jax"]
        assert peer["status"] == "ok" and peer["round_process"] == eager[0]["round_process"]
    assert "shared out over 2 fresh processes" in (folder / "bench.md").read_text()
    units = json.loads((folder / "progress.json").read_text())["units"]
    assert list(units) == ["planar #1", "planar #2"]
