"""Our rows (conformance/bench/steps.py): each framework's step and loop, checked on the program that is timed,
the clock waiting for the whole state, and a row's memory its own."""

import numpy as np
import pytest

from conformance.bench import steps as ours
from conformance.bench import workloads
from conformance.core.registry import COURSE
from conformance.core.spec import ModelSpec


def one_round(prepared: ours.Prepared, repeats: int) -> dict:
    """A prepared row timed for one round of `repeats` calls, as a benchmark run times each of its rounds."""
    prepared.time_round(min_time=0.0, min_repeats=repeats)
    return prepared.finish()


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
    row = one_round(ours.prepare_loop("jax", "float32", "cpu", workload, 20), 2)
    assert row.status == "check failed" and not row.verified
    monkeypatch.setattr(impl_jax.deep, "make_train_loop", real)
    assert one_round(ours.prepare_loop("jax", "float32", "cpu", workload, 20), 2).status == "ok"


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


@pytest.mark.parametrize("name", COURSE)
def test_our_rows_are_checked_and_timed(name):
    from conformance.core.backends import framework_status

    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason)
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "relu"), 16, 0.1)
    mode = "eager" if name == "numpy" else "compiled"
    row = one_round(ours.prepare_ours(name, mode, "float32", "cpu", workload), 3)
    assert row.status == "ok" and row.verified and row.median_s > 0 and row.repeats == 3
    assert row.peak_mem_mb >= 0


def test_a_rows_memory_is_its_own():
    """What the process held before a row is not the row's: a 400 MB array held across it does not count."""
    held = np.ones(50 * 2**20)  # noqa: F841 (400 MB, alive during the row)
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "relu"), 16, 0.1)
    row = one_round(ours.prepare_ours("numpy", "eager", "float32", "cpu", workload), 3)
    assert 0 <= row.peak_mem_mb < 100, row.peak_mem_mb


@pytest.mark.parametrize("name", ["jax", "tf"])
def test_the_products_loop_runs_every_iteration(name):
    """The bound of a compiled loop: its products inside one compiled loop, each iteration on the weights
    the last one left (so no compiler can hoist them out): with eps 0.01 the weights after 3 iterations are
    NumPy's W <- W - eps (W A) A^T, three times."""
    from conformance.bench.products import prepare_products_loop
    from conformance.core.backends import PACKAGES, framework_status

    ok, reason = framework_status(name)
    if not ok:
        pytest.skip(reason)
    import importlib

    arrays = importlib.import_module(f"{PACKAGES[name]}.arrays")
    workload = workloads.Workload("tiny", ModelSpec("deep", (6, 4, 1), "relu"), 16, 0.1)
    prepared = prepare_products_loop(name, "float64", "cpu", workload, 3, eps=0.01)
    Ws, _ = prepared.step()
    rng = np.random.default_rng(0)  # the loop's operands, drawn as it draws them
    W = [rng.standard_normal(s) for s in ((4, 6), (1, 4))]
    A = [rng.standard_normal(s) for s in ((6, 16), (4, 16))]
    for _ in range(3):
        W = [w - 0.01 * (w @ a) @ a.T for w, a in zip(W, A, strict=True)]
    for got, want in zip(Ws, W, strict=True):
        np.testing.assert_allclose(np.asarray(arrays.to_numpy(got)), want, rtol=1e-12)
    assert prepared.per_call == 3 and prepared.row.mode == "products loop"
