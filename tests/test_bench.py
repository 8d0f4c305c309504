"""The benchmark harness: its arithmetic, its timing loop, its check, and one small real run."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conformance import ROOT, cli
from conformance.bench import roofline, workloads
from conformance.bench import steps as ours
from conformance.bench.timing import ratio_interval, time_steps
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


def _uphill(prob: workloads.Problem) -> dict:
    """params0 + lr grad: the step with its sign wrong."""
    return {k: 2 * v - prob.params1[k] for k, v in prob.params.items()}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("workload", workloads.main_workloads(), ids=lambda w: w.name)
def test_no_op_and_uphill_steps_fail_the_first_step_check(workload, dtype):
    """Judged by how far the step moved the weights against the reference's move: a step that leaves them
    alone (or has no backward pass) or goes uphill misses by the whole update, on every workload; the
    reference's own step rounded to the dtype passes. (The old check, against max |params| with the
    analytic tolerance, let both pass on course_deep and wide.)"""
    prob = workloads.problem(workload)
    rounded = {k: v.astype(dtype).astype(np.float64) for k, v in prob.params1.items()}
    cost = float(np.asarray(prob.cost0, dtype=dtype))
    assert workloads.check_first_step(prob, dtype, cost, rounded)[0]
    assert not workloads.check_first_step(prob, dtype, cost, prob.params)[0], "no-op"
    assert not workloads.check_first_step(prob, dtype, cost, _uphill(prob))[0], "uphill"
    assert not workloads.check_first_step(prob, dtype, 1.5 * cost, rounded)[0], "cost 50 % off"


def test_a_compiled_loop_is_checked_on_the_program_it_times(monkeypatch):
    """A loop right for one iteration but not for the twenty that are timed fails its row."""
    from conformance.core.backends import framework_status

    ok, reason = framework_status("jax")
    if not ok:
        pytest.skip(reason)
    import impl_jax.deep

    real = impl_jax.deep.make_train_loop

    def stalls_after_one(activation, mode):
        loop = real(activation, mode)

        def run(params, X, Y, lr, n):
            moved, costs = loop(params, X, Y, lr, n)
            return (moved if n == 1 else params), costs  # a loop of 20 that never updates

        return run

    monkeypatch.setattr(impl_jax.deep, "make_train_loop", stalls_after_one)
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "relu"), 16, 0.1)
    row = ours.bench_loop("jax", "float32", "cpu", workload, 20, min_time=0.0, min_repeats=2)
    assert row["status"] == "check failed" and not row["verified"]
    monkeypatch.setattr(impl_jax.deep, "make_train_loop", real)
    assert ours.bench_loop("jax", "float32", "cpu", workload, 20, min_time=0.0, min_repeats=2)["status"] == "ok"


def test_the_clock_waits_for_the_whole_state():
    """sync is handed everything the step returned: the updated weights as well as the cost."""
    from conformance.core.backends import framework_status

    ok, reason = framework_status("jax")
    if not ok:
        pytest.skip(reason)
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "relu"), 16, 0.1)
    step, sync, _ = ours.our_runner("jax", "eager", "float32", "cpu", workloads.problem(workload))
    seen = []
    returned = step()
    sync(returned)
    seen = returned
    assert set(seen) == {"params", "cost"} and set(seen["params"]) == {"W1", "b1", "W2", "b2"}


def test_a_failed_check_fails_the_run(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(ours, "check_first_step", lambda *args: (False, 1.0, 1e-6))
    code = cli.main(["bench", "--quick", "--workloads", "planar", "--backends", "numpy", "--peers", "",
                     "--dtypes", "float32", "--out", str(tmp_path)])  # fmt: skip
    assert code == 1 and "check failed" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["numpy", "torch", "jax", "tf"])
def test_our_rows_are_checked_and_timed(name):
    from conformance.core.backends import framework_status

    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason)
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "relu"), 16, 0.1)
    mode = "eager" if name == "numpy" else "compiled"
    row = ours.bench_ours(name, mode, "float32", "cpu", workload, min_time=0.0, min_repeats=3)
    assert row["status"] == "ok" and row["verified"] and row["median_s"] > 0 and row["repeats"] == 3
    assert row["peak_mem_mb"] >= 0


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
    assert set(frame["mode"]) == {"eager", "compiled", "compiled-loop", "products alone"}
    assert (frame["status"] == "ok").all() and (frame["median_s"] > 0).all()
    assert np.isfinite(frame["roofline_fraction"]).all()
    meta = json.loads((folder / "bench.json").read_text())
    assert meta["limits"]["gemm_gflops"]["float32"] > 0 and meta["threads"] == 2
    assert (folder / "bench-workloads.png").stat().st_size > 1000
    assert "Speed goals" in (folder / "bench.md").read_text()


THREAD_PROBE = """
import os, sys, time
from conformance.bench.machine import limit_threads
limit_threads(1)
name = sys.argv[1]
n = 1024
if name == "numpy":
    import numpy as np
    a = np.ones((n, n), dtype=np.float32); product = lambda: a @ a
elif name == "torch":
    import torch
    a = torch.ones((n, n)); product = lambda: a @ a
elif name == "jax":
    import jax, jax.numpy as jnp
    a = jnp.ones((n, n)); f = jax.jit(lambda x: x @ x); product = lambda: f(a).block_until_ready()
else:
    import tensorflow as tf
    a = tf.ones((n, n)); product = lambda: (a @ a).numpy()
product()
start, cpu = time.perf_counter(), time.process_time()
while time.perf_counter() - start < 1.0:
    product()
tasks = os.listdir("/proc/self/task")
cores = set().union(*(os.sched_getaffinity(int(t)) for t in tasks))
print(len(tasks), len(cores), (time.process_time() - cpu) / (time.perf_counter() - start))
"""


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="binding to cores needs Linux's sched_setaffinity")
@pytest.mark.parametrize("name", ["numpy", "torch", "jax", "tf"])
def test_the_thread_limit_holds_for_every_framework(name):
    """--threads 1: every thread the framework starts runs on one core, and the process never uses more
    than one core's time (JAX ignored the old XLA_FLAGS word and used every core)."""
    from conformance.core.backends import framework_status

    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", THREAD_PROBE, name], capture_output=True, text=True, env=env,
                          timeout=120, check=True)  # fmt: skip
    threads, cores, busy = done.stdout.split()
    assert int(cores) == 1, f"{name}: {threads} threads on {cores} cores"
    assert float(busy) < 1.25, f"{name} kept {float(busy):.2f} cores busy"


def test_a_rows_memory_is_its_own():
    """What the process held before a row is not the row's: a 400 MB array held across it does not count."""
    held = np.ones(50 * 2**20)  # noqa: F841 (400 MB, alive during the row)
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "relu"), 16, 0.1)
    row = ours.bench_ours("numpy", "eager", "float32", "cpu", workload, min_time=0.0, min_repeats=3)
    assert 0 <= row["peak_mem_mb"] < 100, row["peak_mem_mb"]


def test_round_by_round_ratios_survive_a_machine_that_drifts():
    """A synthetic machine twice as slow for the second half of the run: row A takes 1 ms and B 2 ms at
    full speed. Timed one after the other (A's rows, then B's), the ratio of the two medians reads 4x;
    timed in interleaved rounds, each round's ratio is 2x whatever the machine's mood, and so is the
    median with its interval."""
    from conformance.bench.timing import interleave, ratio_interval, verdict

    base, calls = {"A": 1e-3, "B": 2e-3}, []

    def machine(name: str) -> float:
        calls.append(name)
        return base[name] * (2.0 if len(calls) > 8 else 1.0)  # slow from the 9th call of 16 on

    sequential = {name: [machine(name) for _ in range(8)] for name in ("A", "B")}
    assert np.median(sequential["B"]) / np.median(sequential["A"]) == pytest.approx(4.0)
    calls.clear()
    rounds = interleave(["A", "B"], machine, rounds=8, seed=3)
    centre, low, high = ratio_interval(rounds["B"], rounds["A"])
    assert centre == pytest.approx(2.0) and low == pytest.approx(2.0) and high == pytest.approx(2.0)
    assert verdict(low, high, 1.5) == "met" and verdict(low, high, 2.5) == "missed"
    assert verdict(0.9, 1.2, 1.0) == "within noise"


def test_an_unpaired_interval_is_wider_than_a_paired_one():
    rng = np.random.default_rng(0)
    mood = rng.uniform(1, 2, 9)  # the machine's speed in each round
    a, b = 2e-3 * mood, 1e-3 * mood
    paired, unpaired = ratio_interval(list(a), list(b)), ratio_interval(list(a), list(b), paired=False)
    assert paired[1] == pytest.approx(2.0) and paired[2] == pytest.approx(2.0)
    assert unpaired[1] < 2.0 < unpaired[2]


def test_peer_goals_compare_steps_with_steps():
    """A peer's per-call step is judged against our fastest per-call step, not our whole compiled loop, and
    the verdict follows the interval."""
    from conformance.bench import goals

    def row(backend, mode, seconds):
        return {"workload": "course_deep", "family": "", "backend": backend, "mode": mode, "dtype": "float32",
                "m": 209, "status": "ok", "median_s": float(np.median(seconds)), "round_s": seconds}  # fmt: skip

    frame = pd.DataFrame([row("numpy", "eager", [2e-3, 2.1e-3, 1.9e-3]), row("jax", "compiled-loop", [1e-4] * 3),
                          row("torch.nn", "optim.SGD", [4e-3, 4.2e-3, 3.8e-3])])  # fmt: skip
    (goal,) = [g for g in goals.goals(frame) if "torch.nn" in g["goal"]]
    assert "numpy eager" in goal["goal"] and goal["measured (95% interval)"].startswith("2.00x")
    assert goal["verdict"] == "met"


def test_a_kink_flip_is_excused_but_no_more():
    """On the wide ReLU net some of 8 million pre-activations sit within float32 rounding of 0: XLA's float32
    step takes the other branch there (unit 508 of layer 2 moves by 1.3e-6 more than the reference's) and
    failed the first-step check by 4x; the flip is excused up to its size, a no-op step still is not."""
    from conformance.core.backends import framework_status

    ok, reason = framework_status("jax")
    if not ok:
        pytest.skip(reason)
    (wide,) = [w for w in workloads.main_workloads() if w.name == "wide"]
    prob = workloads.problem(wide)
    step, sync, read = ours.our_runner("jax", "eager", "float32", "cpu", prob)
    sync(step())
    cost0, params1 = read()
    assert workloads.check_first_step(prob, "float32", cost0, params1)[0]
    update = np.concatenate([np.ravel(prob.params1[k] - prob.params[k]) for k in sorted(prob.params)])
    assert workloads.kink_allowance(prob, "float32").max() < 1e-2 * np.abs(update).max()  # a small part of a step
    assert not workloads.check_first_step(prob, "float32", cost0, prob.params)[0]


def test_rounds_spread_over_processes_hold_what_one_process_cannot_see():
    """A synthetic machine whose every process has its own speed (lognormal, 10 %: its allocator, its
    pages, the hour it ran in) and whose rounds within a process differ by 1 %. Two runs of 9 rounds in
    one process each: the rounds' interval promises the second run far more than it gets. Two runs of
    3 processes x 3 rounds, resampled processes first: their intervals overlap nearly always."""
    rng = np.random.default_rng(7)

    def run(processes: int, rounds: int) -> tuple[float, float, float]:
        state = rng.lognormal(0.0, 0.10, processes)  # the ratio as each process sees it
        ratios = np.repeat(state, rounds) * rng.lognormal(0.0, 0.01, processes * rounds)
        labels = list(np.repeat(np.arange(processes), rounds))
        return ratio_interval(list(ratios), [1.0] * ratios.size, resamples=1000, processes=labels)

    def overlap_rate(processes: int, rounds: int, trials: int = 60) -> float:
        pairs = [(run(processes, rounds), run(processes, rounds)) for _ in range(trials)]
        return float(np.mean([a[1] <= b[2] and b[1] <= a[2] for a, b in pairs]))

    one, three = overlap_rate(1, 9), overlap_rate(3, 3)
    assert one < 0.3, one  # the rounds of one process: narrow, and wrong the next time
    assert three > 0.8, three


def test_the_bootstrap_draws_whole_processes_then_rounds_within_them():
    """Rounds 0, 0, 0, 1, 1, 2, 2 valued by their process: a resample is n values, each drawn process gives
    as many rounds as it holds (the first n kept, repeated when short), and all of one process's value
    comes up as often as three draws of one process in three: 3 x (1/3)^3 = 1/9."""
    from conformance.bench.timing import resample_rounds

    processes = [0, 0, 0, 1, 1, 2, 2]
    samples = resample_rounds(np.array(processes, dtype=float), processes, 20000, np.random.default_rng(0))
    assert samples.shape == (20000, 7) and set(np.unique(samples)) == {0.0, 1.0, 2.0}
    alone = (samples == samples[:, :1]).all(axis=1)
    assert abs(alone.mean() - 1 / 9) < 0.01, alone.mean()
    starts = samples[samples[:, 0] == 0][:, :3]  # a drawn first process 0 gives its 3 rounds first
    assert (starts == 0).all()


def test_a_rows_processes_merge_into_one_row():
    """Each process's rows of a workload join into one: every round with its probe and its process, the
    median over all rounds, the step over its own products round by round; a check failed in any process
    fails the row, and the products alone (never checked) stay unchecked."""
    from conformance.bench.merge import merge_processes

    def rows(process: int, step: list[float], verified: bool = True) -> list[dict]:
        common = {"workload": "planar", "backend": "numpy", "dtype": "float32", "round_process": [process] * 2,
                  "round_gemm_gflops": [100.0, 110.0], "repeats": 10, "iqr_s": 1e-5}  # fmt: skip
        return [{**common, "mode": "eager", "round_s": step, "verified": verified, "check_err": 1e-7 * (1 + process),
                 "status": "ok" if verified else "check failed", "peak_mem_mb": 10.0 + process},
                {**common, "mode": "products alone", "round_s": [1e-3, 1e-3], "status": "ok"}]  # fmt: skip

    merged = merge_processes(rows(0, [2e-3, 2e-3]) + rows(1, [3e-3, 3e-3]))
    step, products = (next(r for r in merged if r["mode"] == mode) for mode in ("eager", "products alone"))
    assert len(merged) == 2 and step["round_s"] == [2e-3, 2e-3, 3e-3, 3e-3]
    assert step["round_process"] == [0, 0, 1, 1] and step["round_gemm_gflops"] == [100.0, 110.0] * 2
    assert step["median_s"] == pytest.approx(2.5e-3) and step["over_products"] == pytest.approx(2.5)
    assert step["repeats"] == 20 and step["peak_mem_mb"] == 11.0 and step["check_err"] == pytest.approx(2e-7)
    assert step["verified"] and "verified" not in products
    failed = merge_processes(rows(0, [2e-3, 2e-3]) + rows(1, [3e-3, 3e-3], verified=False))
    assert next(r for r in failed if r["mode"] == "eager")["status"] == "check failed"


def test_a_bench_in_processes_times_each_share_in_a_fresh_process(capsys, tmp_path):
    """--processes 2: two child processes, one after the other, each timing its share
    of the rounds; one row per backend, mode and dtype with the rounds of both."""
    code = cli.main(["bench", "--quick", "--workloads", "planar", "--backends", "numpy", "--dtypes", "float32",
                     "--peers", "", "--rounds", "3", "--processes", "2", "--out", str(tmp_path)])  # fmt: skip
    assert code == 0, capsys.readouterr().out
    (folder,) = tmp_path.iterdir()
    rows = json.loads((folder / "bench.json").read_text())["rows"]
    eager = [r for r in rows if r["mode"] == "eager"]
    assert len(eager) == 1 and eager[0]["round_process"] == [0, 0, 1] and len(eager[0]["round_s"]) == 3
    assert "shared out over 2 fresh processes" in (folder / "bench.md").read_text()
    units = json.loads((folder / "progress.json").read_text())["units"]
    assert list(units) == ["planar #1", "planar #2"]
