"""Data parallel across processes, as across machines: torchrun, jax.distributed and
MultiWorkerMirroredStrategy on 127.0.0.1, each process with only its own columns, against the
single-process full batch; and the faults: a worker killed mid-run, a port in use, a coordinator that
cannot be reached, workers started with different settings. Each engine gets every case."""

import os
import signal
import socket
import threading
import time

import pytest

from conformance.check.cases import make_case
from conformance.check.judge import compare
from conformance.check.measure import measure
from conformance.core.backends import InputError, framework_status
from conformance.core.spec import ModelSpec
from conformance.parallel import full_batch as parallel
from conformance.parallel import launch
from conformance.parallel.engine import job
from conformance.parallel.job import DataParallelJob

ENGINES = list(launch.ENGINES)


def available(name: str) -> None:
    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason)


def small_job(workers: int = 2, dtype: str = "float64", steps: int = 2, seed: int = 3, m: int = 13) -> DataParallelJob:
    case = make_case(ModelSpec("deep", (6, 5, 3, 1), "tanh"), m=m, seed=seed)
    return job(case, workers, dtype, steps)


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.slow
def test_two_processes_equal_the_full_batch(name):
    """Logistic regression and a deep net, m = 12 (even) and 13 (uneven), float32 and float64: the
    gradients, the cost and 10 steps, through the same engine and tolerances as every check."""
    available(name)
    frame, skipped = parallel.check(parallel.default_cases(), [name], workers=(2,), launch="processes")
    assert not skipped and len(frame) and frame["passed"].all(), frame[~frame["passed"]].to_string()
    assert set(frame["mode"]) == {f"2 workers, {launch.ENGINES[name]}"}
    assert set(frame["dtype"]) == {"float32", "float64"}
    assert (frame["quantity"] == "cost").sum() == 4 * 2  # cases, dtypes


def test_three_processes_over_two_torchrun_launchers_as_two_nodes():
    """torchrun --nnodes 2 --nproc-per-node 1, twice, meeting at one c10d endpoint; and three
    processes on one launcher for the uneven 13 = 5 + 4 + 4."""
    available("torch")
    case = make_case(ModelSpec("deep", (6, 5, 3, 1), "tanh"), m=13, seed=4)
    ref = measure(parallel.load_backend("numpy", case.spec, "eager", "float64"), case, steps=(10,))
    for workers, nodes in [(2, 2), (3, 1)]:
        result = launch.run("torch", [job(case, workers, "float64", 10)], nodes=nodes)[0]
        got = parallel.quantities(result, case, 10)
        rows = compare(
            got,
            ref,
            case,
            dict(backend="torch", mode="p", dtype="float64", device="cpu"),
            "numpy/float64",
            only=list(got),
        )
        assert all(r["passed"] for r in rows), (workers, nodes, [r for r in rows if not r["passed"]])


@pytest.mark.parametrize("name", ENGINES)
def test_a_worker_killed_mid_run_stops_the_others_and_is_named(name, tmp_path):
    """SIGKILL to rank 1 while it trains its second job: the run raises within 60 s, naming rank 1 and
    the signal, the other rank stops, and no result is returned."""
    available(name)
    jobs = [small_job(steps=2), small_job(steps=200_000)]  # the second runs far longer than the test waits
    outcome: dict = {}

    def go():
        try:
            outcome["result"] = launch.run(name, jobs, timeout_s=10, grace_s=40, folder=tmp_path)
        except launch.WorkerLost as err:
            outcome["error"] = err

    thread = threading.Thread(target=go)
    thread.start()
    progress = tmp_path / "progress-1"
    deadline = time.monotonic() + 120
    while "job 1" not in (progress.read_text() if progress.is_file() else "") and thread.is_alive():
        assert time.monotonic() < deadline, "rank 1 never reached its second job"
        time.sleep(0.05)
    pid = launch.started_pid(tmp_path, 1)
    time.sleep(0.5)  # mid-step
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    thread.join(timeout=90)
    assert not thread.is_alive() and "result" not in outcome
    message = str(outcome["error"])
    assert time.monotonic() - killed < 60
    assert "rank 1" in message and "SIGKILL" in message and "nothing is reported as complete" in message, message
    assert launch.ENGINES[name] in message


@pytest.mark.parametrize("name", ENGINES)
def test_a_port_in_use_is_refused_before_anything_starts(name, tmp_path):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} on 127.0.0.1 is in use"):
            launch.run(name, [small_job()], port=port, folder=tmp_path)
    assert not list(tmp_path.glob("progress-*"))  # no process was started


@pytest.mark.parametrize("name", ENGINES)
def test_a_coordinator_that_cannot_be_reached_is_named_within_the_timeout(name, tmp_path):
    """Only rank 1 is started here (rank 0 would run on another machine, which is not there)."""
    available(name)
    begun = time.monotonic()
    ranks = None if name == "torch" else [1]  # torchrun: one of two nodes; its rendezvous waits for the other
    with pytest.raises(launch.WorkerLost) as caught:
        launch.run(
            name,
            [small_job()],
            ranks=ranks,
            nodes=2 if name == "torch" else 1,
            timeout_s=5,
            grace_s=5,
            folder=tmp_path,
            only_nodes=[1] if name == "torch" else None,
        )
    message = str(caught.value)
    assert time.monotonic() - begun < 60
    assert "could not join" in message or ("rendezvous at 127.0.0.1" in message and "timed out" in message), message
    assert not (tmp_path / "result.pkl").exists()


def mismatched(name: str, theirs: DataParallelJob, folder) -> str:
    """The message of a 2-process run whose rank 1 was started with `theirs` (rank 0: small_job())."""
    ours = small_job()
    shards = [[launch.split(ours, 2)[0]], [launch.split(theirs, 2)[1]]]
    with pytest.raises(launch.WorkerLost, match="different settings") as caught:
        launch.run(name, [ours], shards=shards, timeout_s=20, folder=folder)
    assert all("job 0" not in (folder / f"progress-{r}").read_text() for r in (0, 1))  # no step was taken
    assert "nothing was trained" in str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("name", ENGINES)
def test_workers_started_with_different_dtypes_stop_before_training(name, tmp_path):
    available(name)
    assert "rank 1 has dtype float32, rank 0 float64" in mismatched(name, small_job(dtype="float32"), tmp_path)


@pytest.mark.parametrize(
    ("theirs", "expected"),
    [
        (lambda: small_job(m=12), "rank 1 has m = 12, rank 0 m = 13"),
        (lambda: small_job(seed=4), "rank 1 has other initial parameters than rank 0"),
        (
            lambda: job(make_case(ModelSpec("deep", (6, 4, 3, 1), "tanh"), m=13, seed=3), 2, "float64", 2),
            "rank 1 has other layer dims than rank 0",
        ),
    ],
)
def test_every_setting_is_compared_before_training(theirs, expected, tmp_path):
    """m, the seed (as the initial parameters) and the layer dims; the handshake is the same code on
    every engine (worker.py), so one engine shows it: JAX's, whose two workers start in a third of the time
    torchrun's launcher and two workers take (the dtype test above shows it on every engine)."""
    available("jax")
    assert expected in mismatched("jax", theirs(), tmp_path)
