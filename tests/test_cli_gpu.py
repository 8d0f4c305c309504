"""`quartet gpu`: on a machine with a GPU it writes docs/conformance-gpu.md and docs/benchmarks-gpu.md; here,
without one, it stops with one line, and `--device cpu` proves the same path end to end."""

from pathlib import Path

import pandas as pd
import pytest

from conformance import cli
from conformance.core.backends import device_status
from conformance.core.registry import AUTODIFF
from tests.backend_helper import QUICK_SECOND as SECOND  # beside NumPy on the command's CPU path

from conftest import once_per_run


def _any_gpu() -> bool:
    return any(device_status(name, "gpu")[0] for name in AUTODIFF)


@pytest.mark.skipif(_any_gpu(), reason="a GPU is visible here")
def test_without_a_gpu_it_stops_with_one_line(capsys, tmp_path):
    code = cli.main(["gpu", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "no framework sees a GPU" in err
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One run of the command's CPU path (numpy and SECOND, quick), shared by the run's workers: (its pages'
    folder, its results)."""
    return once_per_run(tmp_path_factory, "gpu-command", run_on_the_cpu)


def run_on_the_cpu(tmp_path: Path) -> tuple[Path, Path]:
    code = cli.main(
        [
            "gpu",
            "--device",
            "cpu",
            "--quick",
            "--decide",
            "0",
            "--backends",
            f"numpy,{SECOND}",
            "--out",
            str(tmp_path / "docs"),
            "--results",
            str(tmp_path / "results"),
        ]
    )
    assert code == 0
    return tmp_path / "docs", tmp_path / "results"


@pytest.mark.slow  # `made` (about 35 s) among the first tests: the module's other test waits for it or finds it
def test_the_same_path_on_the_cpu_writes_both_pages(made):
    docs = made[0]
    check, bench = (docs / "conformance-cpu.md").read_text(), (docs / "benchmarks-cpu.md").read_text()
    assert "quartet gpu --device cpu" in check and "0 failed" in check
    assert "quartet gpu --device cpu" in bench and "Speed goals" in bench
    rows = pd.read_csv(docs / "benchmarks-cpu.csv")
    assert set(rows["backend"]) >= {"numpy", SECOND} and (rows["status"] == "ok").all()
    assert (pd.read_csv(docs / "conformance-cpu.csv")["passed"]).all()


def test_pages_from_runs_made_elsewhere_name_the_machine_that_ran_them(made, capsys, tmp_path):
    """`--from`: the pages of runs already made (a lent GPU's, brought back), written here without running
    anything, headed by the environment the runs recorded, not this machine's."""
    import json
    import shutil

    shutil.copytree(made[1], tmp_path / "results")
    folders = sorted((tmp_path / "results").iterdir())
    for name in ("conformance.json", "bench.json"):  # as if another machine had made them
        (path,) = [f / name for f in folders if (f / name).is_file()]
        payload = json.loads(path.read_text())
        payload["environment"]["cpu"] = "Elsewhere CPU"
        path.write_text(json.dumps(payload))
    assert cli.main(["gpu", "--from", *map(str, folders), "--out", str(tmp_path / "b")]) == 0
    docs = tmp_path / "b"
    for page in ("conformance-cpu.md", "benchmarks-cpu.md"):
        text = (docs / page).read_text()
        assert "on Elsewhere CPU" in text, page
    bench = (docs / "benchmarks-cpu.md").read_text()
    assert "](bench-cpu-workloads.png)" in bench and (docs / "bench-cpu-workloads.png").is_file()
    assert pd.read_csv(docs / "benchmarks-cpu.csv").equals(pd.read_csv(made[0] / "benchmarks-cpu.csv"))
    assert cli.main(["gpu", "--from", str(tmp_path)]) == 2  # not a results folder: one line, no traceback
    assert "no progress.json there" in capsys.readouterr().err


def test_gpu_page_shows_the_gpu_and_what_launching_costs():
    """The GPU page's own parts, from a GPU run's rows: the GPU's limits and the launch-cost table."""
    from conformance.bench import gpu_page

    frame = pd.read_csv("docs/benchmarks-gpu.csv")
    costs = gpu_page.launch_costs(frame)
    assert {"course_logistic", "planar", "course_deep"} <= set(costs["workload"])
    assert {"torch eager", "torch cuda-graphs", "jax compiled-loop"} <= set(costs.columns)
    env = {"cpu": "Host", "frameworks": [{"devices": ["cpu", "cuda:0 (NVIDIA H200)"]}]}
    limits = {
        "gemm_n": 8192,
        "gemm_gflops": {"float32": 5e4, "float64": 6e4},
        "gemm_gflops_tf32": 4e5,
        "bandwidth_gbs": 4e3,
    }
    text = " ".join(gpu_page.gpu_limits(env, limits, {"threads": 16}))
    assert text.startswith("NVIDIA H200, host Host") and "TF32 off" in text and "400000 GFLOP/s with TF32 on" in text
