"""The check can fail: results that are wrong in the ways porting bugs make them wrong fail at least one
row of the engine, in float32 and float64, labelled "cpu" or "gpu", on the default nets and on wide ones
(where a loose error scale would hide them). Each wrong result is the NumPy reference's own, changed
in one way; the unchanged one passes, so every failure below is the change's."""

import functools

import numpy as np
import pytest

from conformance.check import regimes
from conformance.check.cases import Case, default_cases, make_case
from conformance.check.judge import compare
from conformance.check.measure import flatten, measure
from conformance.core.backends import load_backend
from conformance.core.spec import ModelSpec

STEPS = (1, 10)
WIDE = [
    ModelSpec("deep", (256, 256, 256, 256, 1), "relu"),
    ModelSpec("deep", (256, 256, 256, 256, 1), "tanh"),
    ModelSpec("deep", (1024, 1024, 1024, 1), "relu"),
    ModelSpec("deep", (1024, 1024, 1024, 1), "tanh"),
]
CASES = default_cases() + [make_case(spec, seed=7) for spec in WIDE]


def _grad_keys(got: dict) -> list[str]:
    return [k for k in got if k.startswith("d")]


def zero_gradients(got: dict, case: Case) -> dict:
    return {k: (np.zeros_like(v) if k in _grad_keys(got) else v) for k, v in got.items()}


def negated_dW1(got: dict, case: Case) -> dict:
    first = "dw" if case.spec.kind == "logistic" else "dW1"
    return {**got, first: -got[first]}


def flipped_AL(got: dict, case: Case) -> dict:
    return {**got, "AL": 1 - got["AL"]}


def no_update(got: dict, case: Case) -> dict:
    """The parameters never move: params@N is the start, and every recorded cost the first one."""
    out = dict(got)
    for n in STEPS:
        out[f"params@{n}"] = flatten(case.params)
        out[f"cost@{n}"] = np.full(n, got["cost"])
    return out


MUTANTS = [zero_gradients, negated_dW1, flipped_AL, no_update]


@functools.cache
def measured(index: int, dtype: str) -> dict:
    case = CASES[index]
    return measure(load_backend("numpy", case.spec, "eager", dtype), case, STEPS)


def failures(got: dict, index: int, dtype: str, device: str) -> list[str]:
    case = CASES[index]
    rows = compare(
        got,
        measured(index, "float64"),
        case,
        dict(backend="jax", mode="eager", dtype=dtype, device=device),
        "numpy/float64",
    )
    return [r["quantity"] for r in rows if not r["passed"]]


@pytest.mark.parametrize("device", ["cpu", "gpu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_reference_itself_passes(dtype, device):
    """The baseline of every test below: unchanged, each result passes every row."""
    for index in range(len(CASES)):
        assert failures(measured(index, dtype), index, dtype, device) == [], CASES[index].spec.label


@pytest.mark.parametrize("device", ["cpu", "gpu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda f: f.__name__)
def test_a_wrong_result_fails_on_every_net(mutant, dtype, device):
    missed = [
        CASES[i].spec.label
        for i in range(len(CASES))
        if not failures(mutant(measured(i, dtype), CASES[i]), i, dtype, device)
    ]
    assert not missed, f"{mutant.__name__} passed on {missed}"


@pytest.mark.parametrize("device", ["cpu", "gpu"])
def test_a_float32_row_computed_in_float64_fails(device):
    """A float32 row whose numbers are not float32 numbers was computed in another precision."""
    missed = [
        CASES[i].spec.label for i in range(len(CASES)) if not failures(measured(i, "float64"), i, "float32", device)
    ]
    assert not missed, f"float64 results labelled float32 passed on {missed}"


# Each sample on its own, and the course's optimize and model(): wrong where a normwise comparison of the
# whole would not look.
SATURATED = regimes.saturated(regimes.DEEP)  # |z| up to 1000, half the labels wrong: losses from 1e-292 to 1000
LOGISTIC = default_cases()[0]


@functools.cache
def measured_case(case_name: str, dtype: str) -> dict:
    case = {"saturated": SATURATED, "logistic": LOGISTIC}[case_name]
    return measure(load_backend("numpy", case.spec, "eager", dtype), case, STEPS)


def failed(case_name: str, got: dict, dtype: str) -> list[str]:
    case = {"saturated": SATURATED, "logistic": LOGISTIC}[case_name]
    labels = dict(backend="torch", mode="eager", dtype=dtype, device="cpu")
    rows = compare(got, measured_case(case_name, "float64"), case, labels, "numpy/float64")
    return [r["quantity"] for r in rows if not r["passed"]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_smallest_loss_is_judged_against_itself(dtype):
    """The most confident right sample's loss 20 % high: nothing beside it notices (the cost is a mean
    dominated by the wrong samples' losses of hundreds), its own row does."""
    got = measured_case("saturated", dtype)
    assert failed("saturated", got, dtype) == []
    losses = got["losses"].copy()
    j = int(np.argmin(np.where(losses > 1e-30, losses, np.inf)))  # a loss float32 still represents
    losses[0, j] *= 1.2
    assert failed("saturated", {**got, "losses": losses}, dtype) == ["losses"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_confident_samples_gradient_is_judged_against_itself(dtype):
    got = measured_case("saturated", dtype)
    grads = got["sample_grads"].copy()
    sizes = np.max(np.abs(grads), axis=1)
    j = int(np.argmin(np.where(sizes > 1e-30, sizes, np.inf)))
    grads[j] *= 1.2
    assert failed("saturated", {**got, "sample_grads": grads}, dtype) == ["sample_grads"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_course_optimize_grads_and_model_accuracies_are_compared(dtype):
    got = measured_case("logistic", dtype)
    assert failed("logistic", got, dtype) == []
    n = max(STEPS)
    assert failed("logistic", {**got, f"grads@{n}": -got[f"grads@{n}"]}, dtype) == [f"grads@{n}"]
    counted = got[f"accuracy@{n}"] * LOGISTIC.m  # a sum where the mean belongs
    assert failed("logistic", {**got, f"accuracy@{n}": counted}, dtype) == [f"accuracy@{n}"]
    assert failed("logistic", {**got, f"model@{n}": np.zeros_like(got[f"model@{n}"])}, dtype) == [f"model@{n}"]


def test_a_quantity_the_reference_lost_fails():
    """A reference whose optimize returns no grads must not shrink the check to what it still returns."""
    got = measured_case("logistic", "float64")
    n = max(STEPS)
    ref = {k: v for k, v in measured_case("logistic", "float64").items() if k != f"grads@{n}"}
    rows = compare(
        got, ref, LOGISTIC, dict(backend="torch", mode="eager", dtype="float64", device="cpu"), "numpy/float64"
    )
    assert [r["quantity"] for r in rows if not r["passed"]] == [f"grads@{n}"]
    from conformance.cli.common import short

    assert short(float("inf")) == "inf" and short(1.5e-7) == "1.5e-7"  # the table prints such a row


def test_the_error_model_takes_a_large_x_a_block_at_a_time_with_the_same_result(monkeypatch):
    """_rss_matmul sums a^2 @ b^2 over blocks of b's rows (X at m = 65536 is 6.4 GB, and |X|, X^2 and the
    scaled copy were three more): block by block or whole, the same scales; signs do not count."""
    import numpy as np

    from conformance.check import scales

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((7, 300)) * 1e-200, rng.standard_normal((300, 50)) * 1e150  # scaled: no underflow
    whole = scales._rss_matmul(a, b)
    monkeypatch.setattr(scales, "BLOCK", 50 * 7)  # blocks of 7 rows of b, the last one shorter
    np.testing.assert_allclose(scales._rss_matmul(a, b), whole, rtol=1e-14)
    np.testing.assert_allclose(scales._rss_matmul(-a, np.abs(b)), whole, rtol=1e-14)
    assert np.all(whole > 0) and np.isfinite(whole).all()
