"""Numerics at the edges: every backend agrees with the reference where the numbers exist, and all of
them report the same clear condition where they do not (float32 overflow, diverging training)."""

import numpy as np
import pytest

from conformance.check import matrix, regimes
from conformance.check.cases import Case, make_case
from conformance.core import backends
from conformance.core.spec import ModelSpec

STEPS = (1, 10)


# the regimes of the check (conformance/check/regimes.py), each also on every backend and mode here
EDGES = {case.label: case for case in regimes.cases()}

# compiled programs cost seconds per shape (torch.compile most): the eager modes take every edge, the
# compiled ones the two saturated cases, whose arithmetic is the most fragile
TARGETS = [(name, mode) for name in backends.NAMES for mode in backends.MODES[name]]
COMPILED_EDGES = tuple(case.label for case in regimes.compiled_cases())


def _available(name: str) -> None:
    ok, reason = backends.framework_status(name)
    if not ok:
        pytest.skip(reason)


@pytest.mark.parametrize(("name", "mode"), TARGETS, ids=[f"{n}-{m}" for n, m in TARGETS])
@pytest.mark.slow
def test_edges_agree_with_the_reference(name, mode):
    _available(name)
    edges = [e for e in EDGES if mode == "eager" or e in COMPILED_EDGES]
    dtypes = ("float32",) if name == "numpy" else ("float32", "float64")
    result = matrix.run_matrix(
        [EDGES[e] for e in edges], [(name, mode, d, "cpu") for d in dtypes], steps=STEPS, pairwise=False
    )
    assert not result.skipped
    frame = result.frame
    assert len(frame) and frame["max_rel_err"].notna().all()
    bad = frame[~frame["passed"]]
    assert bad.empty, bad[["model", "dtype", "quantity", "max_rel_err", "tolerance"]].to_string()


def test_saturated_cost_is_the_logit_not_infinity():
    """A wrong prediction with logit 1000 costs 1000 / m per sample, where the course's log(AL) gives Inf."""
    case = regimes.saturated(ModelSpec("logistic", (3, 1)))
    ZL = backends.load_backend("numpy", case.spec).forward(case.params, case.X)["Z1"]
    expected = np.mean(np.logaddexp(0, ZL) - case.Y * ZL)  # softplus(z) - y z, the exact cross-entropy
    for dtype in ("float32", "float64"):
        cost = backends.load_backend("numpy", case.spec, dtype=dtype).cost(case.params, case.X, case.Y)
        assert np.isfinite(cost) and cost > 100
        assert cost == pytest.approx(expected, rel=1e-6)


def overflowing() -> Case:
    """Finite in float64 and in float32's range at the input, beyond it after the second layer:
    |X| ~ 1e30 and W2 ~ 1e10 make |Z2| ~ 1e40 > 3.4e38."""
    case = make_case(ModelSpec("deep", (3, 4, 1), "leaky_relu"), m=8, kink=False)
    case.X = case.X * 1e30
    case.params["W2"] = case.params["W2"] * 1e10
    return case


@pytest.mark.parametrize(("name", "mode"), TARGETS, ids=[f"{n}-{m}" for n, m in TARGETS])
def test_float32_overflow_is_reported_the_same_way_everywhere(name, mode):
    _available(name)
    case = overflowing()
    backend = backends.load_backend(name, case.spec, mode, "float32")
    with pytest.raises(backends.NonFiniteError, match=r"the forward pass overflowed float32: Inf or NaN in .*Z2"):
        backend.forward(case.params, case.X)
    with pytest.raises(backends.NonFiniteError, match=r"the cost overflowed float32.*or use float64"):
        backend.cost(case.params, case.X, case.Y)
    with pytest.raises(backends.NonFiniteError, match="the gradients overflowed float32"):
        backend.grads(case.params, case.X, case.Y)
    if name != "numpy":  # and float64 has the range: it agrees with the reference
        got = backends.load_backend(name, case.spec, mode, "float64").forward(case.params, case.X)
        ref = backends.load_backend("numpy", case.spec).forward(case.params, case.X)
        np.testing.assert_allclose(got["Z2"], ref["Z2"], rtol=1e-12)


def test_float64_values_beyond_float32_are_named_before_conversion():
    case = make_case(ModelSpec("deep", (3, 4, 1)), m=4)
    case.params["W1"][0, 0] = 1e40
    with pytest.raises(backends.InputError, match=r"params\['W1'\] holds values up to 1e\+40, beyond float32"):
        backends.load_backend("numpy", case.spec, dtype="float32").forward(case.params, case.X)
    assert np.isfinite(backends.load_backend("numpy", case.spec).forward(case.params, case.X)["Z1"]).all()


@pytest.mark.parametrize(("name", "mode"), TARGETS, ids=[f"{n}-{m}" for n, m in TARGETS])
def test_diverging_training_names_the_iteration(name, mode):
    """The planar-sized net with learning rate 100: every backend stops at the same recorded iteration."""
    _available(name)
    case = make_case(ModelSpec("deep", (2, 4, 1), "tanh"), m=64, seed=2)
    ref = backends.load_backend("numpy", case.spec)
    with pytest.raises(backends.TrainingDiverged) as expected:
        ref.train(case.params, case.X, case.Y, learning_rate=100.0, num_iterations=500, record_every=5)
    backend = backends.load_backend(name, case.spec, mode, "float64")
    with pytest.raises(backends.TrainingDiverged, match=r"diverged at iteration \d+: .*try a smaller one") as got:
        backend.train(case.params, case.X, case.Y, learning_rate=100.0, num_iterations=500, record_every=5)
    assert got.value.iteration == expected.value.iteration < 500


def test_nan_cost_is_divergence_too():
    """ReLU with a huge step overflows to Inf, then Inf - Inf = NaN: named as divergence, not as a crash."""
    case = make_case(ModelSpec("deep", (3, 8, 8, 1), "relu"), m=32, seed=1)
    case.X = case.X * 1e3
    backend = backends.load_backend("numpy", case.spec)
    with pytest.raises(backends.TrainingDiverged, match="diverged at iteration"):
        backend.train(case.params, case.X, case.Y, learning_rate=1e6, num_iterations=300, record_every=1)


@pytest.mark.parametrize("first", [0.05, 0.69, 3.0])
def test_the_tenfold_rule(first):
    limit = 10 * max(first, np.log(2))
    backends.check_divergence(7, limit, first, 0.1)  # at the limit: not yet
    with pytest.raises(backends.TrainingDiverged, match="iteration 7"):
        backends.check_divergence(7, limit * 1.001, first, 0.1)
    for bad in (float("nan"), float("inf")):
        with pytest.raises(backends.TrainingDiverged, match=f"cost {bad}"):
            backends.check_divergence(3, bad, first, 0.1)


@pytest.mark.parametrize("name", backends.NAMES)
def test_small_losses_of_confident_right_answers_are_kept(name):
    """z = +-14, +-59 with the right label: losses 8e-7 and 2e-26, which log(1 + x) and softplus(z) - z y
    lose (the property tests found both in framework idioms)."""
    _available(name)
    spec = ModelSpec("logistic", (1, 1))
    X = np.array([[14.0, -14.0, 59.0, -59.0]])  # (1, m): w = 1, b = 0 makes Z = X
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    params = {"w": np.ones((1, 1)), "b": np.zeros((1, 1))}
    exact = np.mean(np.log1p(np.exp(-np.abs(X))))
    for dtype, rel in (("float64", 1e-14), ("float32", 1e-5)):
        cost = backends.load_backend(name, spec, dtype=dtype).cost(params, X, Y)
        assert cost == pytest.approx(exact, rel=rel), (dtype, cost, exact)
