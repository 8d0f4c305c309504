"""Data parallel = full batch: the NumPy split-and-sum oracle, and PyTorch (torch.distributed over gloo),
JAX (a Mesh of CPU devices) and TensorFlow (MirroredStrategy over logical CPUs) with 2 workers, even
and uneven splits, float32 and float64, through the conformance engine."""

import dataclasses
import pickle

import numpy as np
import pytest

from conformance.check.cases import Case, make_case
from conformance.core.backends import framework_status
from conformance.core.spec import ModelSpec
from conformance.parallel import engine
from conformance.parallel import full_batch as parallel
from conformance.parallel import speedup as parallel_bench
from conformance.parallel.job import DataParallelJob, DataParallelResult, time_calls, train
from reference_numpy import deep
from reference_numpy import parallel as oracle


def full_batch(case: Case) -> tuple[dict, float]:
    AL, caches = deep.L_model_forward(case.X, case.params, case.spec.hidden_activation)
    grads = deep.L_model_backward(AL, case.Y, caches, case.spec.hidden_activation, need_dA0=False)
    return grads, deep.compute_cost_from_logits(caches[-1][1], case.Y)


@pytest.mark.parametrize("m", [12, 13])
@pytest.mark.parametrize("workers", [1, 2, 3, 4, 5])
def test_split_and_sum_is_the_full_batch(m, workers):
    case = make_case(ModelSpec("deep", (6, 5, 3, 1), "relu"), m=m)
    grads, cost = oracle.data_parallel_grads(case.params, case.X, case.Y, workers, "relu")
    expected, expected_cost = full_batch(case)
    assert cost == pytest.approx(expected_cost, rel=1e-15)
    for key, g in grads.items():
        np.testing.assert_allclose(g, expected[key], rtol=1e-13, atol=1e-17)


def test_averaging_the_workers_would_be_wrong_for_an_uneven_split():
    """The weights m_k / m matter: a plain mean of 2 workers' gradients over 13 columns (7 and 6) is
    not the full-batch gradient, which is why every implementation weighs before it sums."""
    case = make_case(ModelSpec("deep", (6, 5, 1), "tanh"), m=13)
    X_parts, Y_parts = oracle.shard(case.X, case.Y, 2)
    assert [X_k.shape[1] for X_k in X_parts] == [7, 6] and [Y_k.shape[1] for Y_k in Y_parts] == [7, 6]
    per_worker = []
    for X_k, Y_k in zip(X_parts, Y_parts, strict=True):
        AL, caches = deep.L_model_forward(X_k, case.params, "tanh")
        per_worker.append(deep.L_model_backward(AL, Y_k, caches, "tanh", need_dA0=False))
    mean = (per_worker[0]["dW1"] + per_worker[1]["dW1"]) / 2
    expected, _ = full_batch(case)
    assert not np.allclose(mean, expected["dW1"], rtol=1e-6)
    weighted, _ = oracle.data_parallel_grads(case.params, case.X, case.Y, 2, "tanh")
    np.testing.assert_allclose(weighted["dW1"], expected["dW1"], rtol=1e-13)


def test_more_workers_than_samples_is_named():
    case = make_case(ModelSpec("logistic", (3, 1)), m=3)
    with pytest.raises(ValueError, match="workers must be between 1 and m = 3, got 4"):
        parallel.job(case, 4, "float64")
    with pytest.raises(ValueError, match="workers must be between 1 and m = 3, got 4"):
        oracle.shard(case.X, case.Y, 4)


def test_the_uneven_split_survives_into_the_check_results():
    """`quartet check --workers 2` keeps a row per case: its rows are de-duplicated by case label across a resume, so
    m = 12 and m = 13 of one spec must differ in label (they did not, and m = 13, the uneven split over 2 workers,
    was dropped from every --workers run: porting_bugs_7's padded mean in JAX's weighted_grads passed so)."""
    from conformance.check import planner

    settings = parallel.ParallelCheckSettings(backends=["numpy"], dtypes=["float64"], workers=2)
    skipped: list[dict] = []
    (unit,) = parallel.units(settings, skipped)
    frame = planner.result(unit.work(), skipped).frame
    assert set(frame["model"]) == {case.label for case in parallel.default_cases()}
    assert {"logistic[6,1] m = 13", "deep[6,5,3,1]/tanh m = 13"} <= set(frame["model"])
    twice = [parallel.default_cases()[0]] * 2
    with pytest.raises(ValueError, match="two cases of one label"):
        parallel.check(twice, ["numpy"], [2], ["float64"])


def test_a_data_parallel_failure_is_blamed_on_the_data_parallel_code():
    """A --workers run checks no single-process function: a gradient its workers sum wrong is the port's
    parallel.py's to explain, not compute_cost_from_logits's or L_model_grads's (as the matrix's rows would say)."""
    import pandas as pd

    from conformance.check import suspects
    from conformance.check.judge import COLUMNS, compare
    from conformance.check.measure import measure
    from conformance.core.backends import load_backend

    case = parallel.default_cases()[3]  # the deep net, m = 13
    (result,) = engine.run("numpy", [engine.job(case, 2, "float64")])
    got = engine.quantities(result, case, engine.STEPS)
    ref = measure(load_backend("numpy", case.spec, "eager", "float64"), case, steps=(engine.STEPS,))
    got["dW1"] = got["dW1"] * (1 + 1e-3)  # a share weighed wrong in one layer
    got[f"params@{engine.STEPS}"] = got[f"params@{engine.STEPS}"] * (1 + 1e-3)
    labels = dict(backend="numpy", mode=engine.workers_label(2, "numpy", "devices"), dtype="float64", device="cpu")
    frame = pd.DataFrame(compare(got, ref, case, labels, "numpy/float64", only=list(got)), columns=COLUMNS)
    found = suspects.of_run([], frame)
    assert [s["function"] for s in found] == ["data_parallel_grads", "data_parallel_L_layer_model"], found
    assert "the data-parallel dW1 on deep[6,5,3,1]/tanh m = 13 (2 workers" in found[0]["detail"]
    assert "parallel.py" in found[0]["detail"]


def test_a_job_pickles_for_the_worker_processes():
    sent = parallel.job(make_case(ModelSpec("deep", (6, 5, 1), "tanh"), m=13), 2, "float32", time_steps=3)
    got = pickle.loads(pickle.dumps(sent))
    assert isinstance(got, DataParallelJob) and (got.m, got.workers, got.dtype, got.time_steps) == (13, 2, "float32", 3)
    np.testing.assert_array_equal(got.X, sent.X)
    assert got.parameters.keys() == sent.parameters.keys()


def test_time_calls_warms_up_untimed_then_times_each_part_and_the_whole():
    """Each call runs the parts in turn on what the one before returned; the first `warmup` calls are not
    timed; the whole call's median is at least every part's (each whole is the sum of its parts)."""
    seen = []

    def part(state: int) -> int:
        seen.append(state)
        return state + 1

    timed = time_calls([part, part, part], 4, warmup=2, state=0)
    assert seen == list(range(18)) and timed.calls == 4 and len(timed.parts) == 3
    assert all(0 < p <= timed.seconds for p in timed.parts)


def test_train_is_the_one_loop_every_framework_hands_its_pieces():
    """The harness's train, on the oracle's pieces: the grads and cost at the start, one cost per step taken
    before it, the parameters after the last, and with time_steps the median step and the part named as the
    all-reduce; without, no times at all."""
    job = parallel.job(make_case(ModelSpec("deep", (6, 5, 1), "relu"), m=13), 2, "float64", num_iterations=3)
    X, Y, p0 = job.X, job.Y, job.parameters
    steps = []

    def step(p):
        steps.append(p)
        return oracle.data_parallel_train_step(p, X, Y, job.learning_rate, 2, "relu")

    pieces = dict(grads=lambda p: oracle.data_parallel_grads(p, X, Y, 2, "relu"), step=step, numpy=lambda x: x)
    result = train(job, p0, parts=[lambda p: step(p)[0]], **pieces)
    expected, costs = oracle.data_parallel_L_layer_model(X, Y, p0, job.learning_rate, 3, 2, "relu", 1)
    assert isinstance(result, DataParallelResult) and len(steps) == 3 and result.costs == costs
    assert result.cost == costs[0] and result.grads.keys() == {"dW1", "db1", "dW2", "db2"}
    for k, v in expected.items():
        np.testing.assert_array_equal(result.parameters[k], v)
    assert (result.step_s, result.comm_s, result.steps) == (None, None, None)
    timed = dataclasses.replace(job, time_steps=2)
    noop = [lambda p: p, lambda p: p]
    result = train(timed, p0, parts=noop, communicate=1, warmup=0, **pieces)
    assert result.steps == 2 and 0 < result.comm_s <= result.step_s


@pytest.mark.slow
def test_every_framework_with_two_devices_equals_the_full_batch():
    """Logistic regression and a deep net, m = 12 (even) and 13 (uneven), float32 and float64: the
    gradients, the cost and 10 steps of training, each framework's single-process launch (PyTorch:
    torch.multiprocessing; JAX: 2 host devices; TensorFlow: 2 logical CPUs). The multi-process
    launch: test_parallel_processes.py."""
    frame, skipped = parallel.check(parallel.default_cases(), workers=(2,), launch="devices")
    for skip in skipped:
        print(f"skipped {skip['backend']}: {skip['reason']}")  # shown with -rP; the others still checked
    assert len(frame) and frame["passed"].all(), frame[~frame["passed"]].to_string()
    checked = set(frame["backend"])
    assert "numpy" in checked and checked | {s["backend"] for s in skipped} == set(parallel.NAMES)
    assert set(frame["mode"]) == {f"2 workers, {engine.DEVICE_ENGINES[name]}" for name in checked}
    assert set(frame["dtype"]) == {"float32", "float64"}
    assert {"dW1", "db2", "dw", "db", "cost", "params@10", "cost@10"} <= set(frame["quantity"])
    uneven = frame[frame["model"].str.startswith("deep") & (frame["quantity"] == "params@10")]
    assert len(uneven) == 2 * 2 * len(checked)  # m = 12 and 13, two dtypes, every framework


def test_bench_times_each_worker_count_and_checks_the_first_step():
    from conformance.bench.workloads import Workload

    ok, reason = framework_status("jax")
    if not ok:
        pytest.skip(reason)
    small = Workload("small", ModelSpec("deep", (64, 8, 1), "relu"), 50, 0.01)
    rows = parallel_bench.bench(["jax"], [1, 2], ["float64"], time_steps=2, workloads=[small])
    assert [r["workers"] for r in rows] == [1, 2]
    assert {r["engine"] for r in rows} == {"jax.distributed gloo"}  # separate processes, also for 1 worker
    for r in rows:
        assert r["status"] == "ok" and r["step_s"] > 0 and r["check_err"] <= r["check_tol"], r
        assert r["comm_share"] is None  # XLA's all-reduce is inside its program: not exposed
    assert rows[0]["speedup"] == 1.0
    assert rows[1]["efficiency"] == pytest.approx(rows[1]["speedup"] / 2)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "--workers", "0,2"], "--workers takes worker counts separated by commas (e.g. 1,2), got '0,2'"),
        (["bench", "--workers", "1,300"], "--workers 1,300: the smallest workload has m = 209 columns, so at most 209"),
        (["check", "--workers", "20"], "the data-parallel cases have m = [12, 13] columns, so at most 12"),
        (["bench", "--launch", "processes"], "--launch chooses how data-parallel workers start: use it with --workers"),
        (["check", "--launch", "devices"], "--launch chooses how data-parallel workers start: use it with --workers N"),
        (["check", "--data-parallel", "13"], "--data-parallel 13: the data-parallel cases have m = [12, 13] columns"),
        (["check", "--workers", "2", "--data-parallel", "2"], "--workers N runs it instead: one or the other"),
        (["check", "--device", "gpu", "--data-parallel", "2"], "--data-parallel runs on the CPU (logical devices)"),
    ],
)
def test_bad_worker_counts_are_named_before_any_work(capsys, tmp_path, argv, message):
    from conformance import cli

    assert cli.main([*argv, "--out", str(tmp_path)]) == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert not list(tmp_path.iterdir())  # no results folder was started


@pytest.mark.parametrize(
    ("argv", "workers"),
    [
        ([], 2),
        (["--quick"], 0),
        (["--function", "sigmoid"], 0),
        (["--device", "gpu"], 0),
        (["--quick", "--data-parallel", "3"], 3),
        (["--data-parallel", "0"], 0),
    ],
)
def test_a_full_check_ends_with_data_parallel_and_a_quick_one_does_not(argv, workers):
    """The full check is every part a port has: data parallel on two devices after the matrix (a bug in a port's
    parallel.py had passed `quartet check`, only `--workers N` saw it); --quick keeps to its minute."""
    from conformance.cli import build_parser
    from conformance.cli.check import data_parallel_workers

    assert data_parallel_workers(build_parser().parse_args(["check", *argv])) == workers


def test_the_data_parallel_stage_is_judged_and_reported_with_the_matrix(tmp_path, capsys):
    """--data-parallel 2 after a function's own check: the data-parallel rows in the same results, exit 0, and
    the run's settings keep the stage (a resumed run finishes it)."""
    import json

    import pandas as pd

    from conformance import cli

    ok, reason = framework_status("torch")
    if not ok:
        pytest.skip(reason)
    argv = ["check", "--backends", "numpy,torch", "--modes", "eager", "--dtypes", "float64", "--function", "sigmoid"]
    assert cli.main([*argv, "--data-parallel", "2", "--out", str(tmp_path)]) == 0, capsys.readouterr().out
    (folder,) = tmp_path.glob("check-*")
    frame = pd.read_csv(folder / "conformance.csv")
    modes = set(frame["mode"])
    assert modes == {"2 workers, torch.distributed gloo via torch.multiprocessing"}, modes
    assert set(frame["model"]) == {case.label for case in parallel.default_cases()}
    assert frame["passed"].all()
    assert json.loads((folder / "conformance.json").read_text())["settings"]["data_parallel"] == 2
