"""PyTorch's step as one captured graph (conformance/bench/captured.py) and where a step's time goes
(conformance/bench/profile.py), on the CPU path: no GPU has run either (docs/benchmarks-gpu.md says so).
torch.compile costs seconds here, so one planar row serves every test that needs one."""

import pandas as pd
import pytest

from conformance.bench import captured, gpu_page, profile, steps, workloads
from conformance.bench import units as bench_units
from conformance.bench.settings import BenchSettings
from conformance.core.backends import framework_status
from conformance.core.spec import ModelSpec

PLANAR = next(w for w in workloads.main_workloads() if w.name == "planar")


@pytest.fixture(scope="module")
def planar():
    """The captured planar row, prepared (compiled, its first step checked), and how many graphs Dynamo made."""
    ok, reason = framework_status("torch")
    if not ok:
        pytest.skip(reason)
    from torch._dynamo.utils import counters

    counters.clear()
    prepared = steps.prepare_ours("torch", captured.MODE, "float32", "cpu", PLANAR)
    return prepared, counters["stats"]["unique_graphs"]


def test_the_whole_step_is_one_graph_checked_like_every_row(planar):
    prepared, graphs = planar
    assert prepared.row.status == "ok" and prepared.row.verified, prepared.row
    assert graphs == 1  # forward, cost, backward and update (fullgraph: a graph break would have raised)
    prepared.time_round(min_time=0.0, min_repeats=3)
    assert prepared.finish().median_s > 0


def test_the_state_is_updated_in_place_as_a_replay_needs(planar):
    """Every step writes the same buffers: the state a CUDA graph's replay reads and writes."""
    prepared, _ = planar
    state = prepared.step()
    buffers, before = dict(state["params"]), {k: v.clone() for k, v in state["params"].items()}
    again = prepared.step()
    assert again is state and all(again["params"][k] is v for k, v in buffers.items())
    assert any(not (v == before[k]).all() for k, v in again["params"].items())  # and the step moved them


def test_logistic_regression_is_captured_too():
    ok, reason = framework_status("torch")
    if not ok:
        pytest.skip(reason)
    tiny = workloads.Workload("tiny_logistic", ModelSpec("logistic", (6, 1)), 16, 0.1)
    row = steps.prepare_ours("torch", captured.MODE, "float64", "cpu", tiny).row
    assert row.status == "ok" and row.verified, row


def test_a_profile_says_where_the_time_goes(planar, monkeypatch, tmp_path):
    found = profile.profile(planar[0], steps=3)
    assert found.ops and abs(sum(o["share"] for o in found.ops) - 1) < 1e-6
    products = [o["op"] for o in found.ops if o["matmul"]]
    assert any("mm" in name for name in products) and 0 < found.matmul_share < 1, found.ops
    assert found.wall_ms > 0 and found.busy_ms > 0
    # as the GPU command writes it into the run's folder, and the page reads it back
    monkeypatch.setattr(profile, "prepare_ours", lambda *_: planar[0])
    profile.write_profiles([PLANAR], "cpu", tmp_path)
    (back,) = profile.read_profiles(tmp_path)
    assert back.row == "torch captured float32 on planar (cpu)" and back.ops
    page = "\n".join(profile.markdown([back]))
    assert page.startswith("## Where the time goes") and "| yes |" in page


def test_a_gpu_run_times_the_captured_step_on_the_tiny_nets_and_a_cpu_run_when_asked(monkeypatch):
    monkeypatch.setattr(bench_units, "device_status", lambda name, device: (True, ""))

    def captured_rows(**settings) -> set[str]:
        units, _ = bench_units.units(BenchSettings(backends=["torch"], quick=True, **settings), {})
        return {
            u.key
            for u in units
            for arg in u.work.args
            if isinstance(arg, list)
            for target in arg
            if isinstance(target, tuple) and captured.MODE in target
        }

    assert captured_rows(device="gpu") == {"course_logistic", "course_deep", "planar"}  # not the wide net
    assert captured_rows(device="cpu") == set()  # each row compiles for seconds on the CPU: only when named
    assert captured_rows(device="cpu", modes=["eager", captured.MODE]) == {"course_logistic", "course_deep", "planar"}


def test_the_launch_cost_note_says_the_ways_its_table_shows():
    frame = pd.read_csv("docs/benchmarks-gpu.csv")  # a run from before the captured step: cuda-graphs
    before = " ".join(gpu_page.launch_section(frame))
    assert "`cuda-graphs`" in before and "`captured`" not in before
    after = " ".join(gpu_page.launch_section(frame.replace({"mode": {"cuda-graphs": captured.MODE}})))
    assert "`captured` the whole step" in after and "`cuda-graphs`" not in after and "| torch captured |" in after
