"""`quartet gpu`: on a machine with a GPU it writes docs/conformance-gpu.md and docs/benchmarks-gpu.md; here,
without one, it stops with one line, and `--device cpu` proves the same path end to end."""

import pandas as pd
import pytest

from conformance import cli
from conformance.backends import device_status


def _any_gpu() -> bool:
    return any(device_status(name, "gpu")[0] for name in ("torch", "jax", "tf"))


@pytest.mark.skipif(_any_gpu(), reason="a GPU is visible here")
def test_without_a_gpu_it_stops_with_one_line(capsys, tmp_path):
    code = cli.main(["gpu", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "no framework sees a GPU" in err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_the_same_path_on_the_cpu_writes_both_pages(capsys, tmp_path):
    code = cli.main(["gpu", "--device", "cpu", "--quick", "--backends", "numpy,jax", "--out", str(tmp_path / "docs"),
                     "--results", str(tmp_path / "results")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    docs = tmp_path / "docs"
    check, bench = (docs / "conformance-cpu.md").read_text(), (docs / "benchmarks-cpu.md").read_text()
    assert "quartet gpu --device cpu" in check and "0 failed" in check
    assert "quartet gpu --device cpu" in bench and "Speed goals" in bench
    rows = pd.read_csv(docs / "benchmarks-cpu.csv")
    assert set(rows["backend"]) >= {"numpy", "jax"} and (rows["status"] == "ok").all()
    assert (pd.read_csv(docs / "conformance-cpu.csv")["passed"]).all()
