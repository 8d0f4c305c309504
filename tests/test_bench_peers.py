"""The peers' benchmark rows: every available peer (Keras 3 on each backend, scikit-learn, torch.nn) is
timed only after its first step from our weights matched the float64 reference, in float64 and in
float32; an unavailable peer says why; a peer that computes something else is flagged, not reported."""

import dataclasses

import pytest

from conformance.bench import peer_rows
from conformance.bench import peers as bench_peers
from conformance.bench.row import Row
from conformance.bench.workloads import Problem, Workload
from conformance.core.registry import PEER_NAMES
from conformance.core.spec import ModelSpec

from conftest import once_per_run

# names of their own: workloads.problem caches by workload name
WORKLOADS = [
    Workload("peers_tiny_deep", ModelSpec("deep", (8, 6, 1), "tanh"), 32, 0.1),
    Workload("peers_tiny_logistic", ModelSpec("logistic", (8, 1)), 32, 0.1),
]
DTYPES = ("float64", "float32")
KEYS = {
    "workload",
    "backend",
    "mode",
    "dtype",
    "device",
    "m",
    "first_call_s",
    "median_s",
    "iqr_s",
    "repeats",
    "import_s",
    "peak_mem_mb",
    "verified",
    "check_err",
    "check_tol",
    "status",
}


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> list[dict]:
    """All peers on both workloads in both dtypes, briefly timed: one Keras child per backend; once for the
    run's workers."""
    return once_per_run(tmp_path_factory, "bench-peers", lambda _: time_every_peer())


def time_every_peer() -> list[Row]:
    return bench_peers.bench_peers(
        list(PEER_NAMES),
        WORKLOADS,
        list(DTYPES),
        2,
        min_time=0.02,
        min_repeats=3,
        loops=[w.name for w in WORKLOADS],
    )


@pytest.mark.slow  # makes `rows` (about 45 s) among the first tests: the module's others, met later, find it made
def test_one_row_per_peer_workload_and_dtype_with_every_column(rows: list[Row]) -> None:
    """A per-call row for every peer, workload and dtype; and for each available Keras backend its whole
    loop too (fit with steps_per_execution), the row our compiled loops compare with."""
    steps = [r for r in rows if r.mode != "fit loop"]
    expected = {(p, w.name, d) for p in PEER_NAMES for w in WORKLOADS for d in DTYPES}
    assert {(r.backend, r.workload, r.dtype) for r in steps} == expected
    assert len(steps) == len(expected)
    loops = {(r.backend, r.workload, r.dtype) for r in rows if r.mode == "fit loop"}
    available = [p for p in peer_rows.KERAS if bench_peers.peer_status(p)[0]]
    assert loops == {(p, w.name, d) for p in available for w in WORKLOADS for d in DTYPES}
    for row in rows:
        unmeasured = {k for k in KEYS if getattr(row, k) is None}
        assert row.status != "ok" or not unmeasured, f"{row.backend} lacks {unmeasured}"
        assert row.mode in (peer_rows.MODES[row.backend], "fit loop") and row.device == "cpu"


@pytest.mark.parametrize("peer", PEER_NAMES)
def test_every_available_peer_is_verified_then_timed(rows: list[Row], peer: str) -> None:
    ok, reason = bench_peers.peer_status(peer)
    if not ok:
        assert all(r.status == f"unavailable: {reason}" for r in rows if r.backend == peer)
        pytest.skip(f"{peer}: {reason}")
    for row in (r for r in rows if r.backend == peer):
        who = f"{peer} {row.workload} {row.dtype}"
        assert row.status == "ok", f"{who}: {row.status} (error {row.check_err}, tol {row.check_tol})"
        assert row.verified and row.check_err <= row.check_tol, who
        assert row.median_s > 0 and row.first_call_s > 0 and row.repeats >= 3, who
        assert row.import_s is not None and row.import_s > 0, who
        assert row.peak_mem_mb >= 0, who  # the row's own increase: 0 for a tiny net


def test_float64_rows_are_held_to_float64_tolerance(rows: list[Row]) -> None:
    """A peer rounding through float32 (Keras's floatx learning rate and loss tracker) would miss by 1e-8."""
    for row in (r for r in rows if r.dtype == "float64" and r.status == "ok"):
        assert row.check_tol < 1e-12 and row.check_err < 1e-14, f"{row.backend} {row.workload}"


def test_an_unavailable_peer_gives_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_peers.importlib.util, "find_spec", lambda name: None)
    assert bench_peers.peer_status("sklearn") == (False, "sklearn not installed")
    (row,) = bench_peers.bench_peers(["sklearn"], WORKLOADS[:1], ["float64"])
    assert row.status == "unavailable: sklearn not installed" and row.median_s is None and not row.verified
    with pytest.raises(ValueError, match="unknown peer"):
        bench_peers.peer_status("keras/mxnet")


def test_an_activation_the_peer_lacks_is_unavailable() -> None:
    if not bench_peers.peer_status("sklearn")[0]:
        pytest.skip("scikit-learn not installed")
    leaky = Workload("peers_tiny_leaky", ModelSpec("deep", (8, 6, 1), "leaky_relu"), 32, 0.1)
    (row,) = bench_peers.bench_peers(["sklearn"], [leaky], ["float64"])
    assert row.status == "unavailable: scikit-learn's MLP has no leaky_relu"


def test_a_peer_that_computes_something_else_is_flagged_not_reported() -> None:
    if not bench_peers.peer_status("torch.nn")[0]:
        pytest.skip("torch not installed")
    workload = WORKLOADS[0]
    wrong = dataclasses.replace(workload, learning_rate=0.2)  # its own step, against our reference's 0.1

    def runner(prob: Problem, dtype: str):
        return bench_peers._torch_runner(dataclasses.replace(prob, workload=wrong), dtype)

    row = peer_rows.bench_row("torch.nn", workload, "float64", runner, min_time=0.01, min_repeats=2)
    assert row.status == "check failed" and not row.verified
    assert row.check_err > row.check_tol and row.median_s > 0  # timed, for the caller to withhold
