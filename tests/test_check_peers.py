"""Code nobody here wrote, loaded with our weights, gives our cost and gradients: an idiomatic torch.nn
Sequential with BCEWithLogitsLoss, and a Keras 3 Sequential on each Keras backend, against the float64
NumPy reference, within conformance.check.tolerances (float64: about 1e-13 here, which float32 cannot reach)."""

import sys

import numpy as np
import pytest

from conformance.check import peers
from conformance.check.cases import Case, make_case
from conformance.check.judge import errors
from conformance.check.tolerances import tolerance
from conformance.core.backends import framework_status, load_backend
from conformance.core.spec import ModelSpec
from reference_numpy import activations
from reference_numpy.activations import HIDDEN_ACTIVATIONS, LEAKY_RELU_SLOPE

from conftest import once_per_run

CASES = [make_case(ModelSpec("logistic", (8, 1)), kink=False)] + [
    make_case(ModelSpec("deep", (8, 7, 6, 1), activation), kink=False) for activation in HIDDEN_ACTIVATIONS
]
IDS = [case.spec.label for case in CASES]
SHIPPED = [IDS.index("logistic[8,1]"), IDS.index("deep[8,7,6,1]/tanh")]  # also run on Keras as shipped
# sample 0 all zeros: with zero biases every Z[l] of it is exactly 0, the kink of (leaky) ReLU
KINKS = {a: make_case(ModelSpec("deep", (8, 7, 6, 1), a), kink=True) for a in ("relu", "leaky_relu")}
DTYPES = ("float64", "float32")
# TensorFlow's LeakyRelu op holds its slope in a 32-bit float attribute: 0.01 becomes 0.009999999776
TF_LEAKY_SLOPE = float(np.float32(LEAKY_RELU_SLOPE))


def reference(case: Case, leaky_slope: float = LEAKY_RELU_SLOPE) -> tuple[float, dict]:
    """The float64 NumPy reference's cost and gradients, with leaky ReLU's slope as given."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(activations, "LEAKY_RELU_SLOPE", leaky_slope)
        numpy = load_backend("numpy", case.spec)
        return numpy.cost(case.params, case.X, case.Y), numpy.grads(case.params, case.X, case.Y)


def worst_error(got: tuple[float, dict], ref: tuple[float, dict]) -> float:
    (cost, grads), (ref_cost, ref_grads) = got, ref
    quantities = [(np.array(cost), np.array(ref_cost))] + [(grads[k], ref_grads[k]) for k in ref_grads]
    return max(errors(np.asarray(x, np.float64), r)[1] for x, r in quantities)


def assert_matches(got: tuple[float, dict], ref: tuple[float, dict], case: Case, dtype: str, who: str) -> None:
    """Cost and every gradient, in our names and shapes, within the tolerance for `dtype`."""
    (cost, grads), (ref_cost, ref_grads) = got, ref
    assert set(grads) == set(ref_grads), f"{who}: gradients {sorted(grads)}, expected {sorted(ref_grads)}"
    for quantity, x, r in [("cost", np.array(cost), np.array(ref_cost))] + [
        (k, grads[k], ref_grads[k]) for k in ref_grads
    ]:
        _, rel = errors(np.asarray(x, np.float64), r)  # also fails a shape other than ours
        tol = tolerance(quantity, dtype, case.spec, case.m).rtol
        assert rel <= tol, f"{who} {case.spec.label} {dtype} {quantity}: error {rel:.2e} > tolerance {tol:.2e}"


# --- torch.nn ------------------------------------------------------------------------------------


def require_torch() -> None:
    ok, reason = framework_status("torch")
    if not ok:
        pytest.skip(f"torch.nn: {reason}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_torch_nn_gives_the_reference_cost_and_gradients(case, dtype):
    require_torch()
    got = peers.torch_nn_cost_and_grads(case.spec, case.params, case.X, case.Y, dtype)
    assert_matches(got, reference(case), case, dtype, f"torch.nn {dtype}")


# --- Keras 3: one child per backend, all cases and dtypes in it ----------------------------------


@pytest.fixture(scope="module")
def keras_runs(tmp_path_factory) -> dict:
    """{backend: {(case, dtype, keras_x64): (cost, grads, dtypes)}} or {backend: skip reason}; a case is an
    index into CASES or a key of KINKS. Once for the run's workers."""
    return once_per_run(tmp_path_factory, "keras-runs", lambda _: solve_in_keras())


def solve_in_keras() -> dict:
    available = peers.keras_backends_available()
    names = [name for name, (ok, _) in available.items() if ok]
    keys = [(i, dtype, True) for dtype in DTYPES for i in range(len(CASES))]
    keys += [(i, "float64", False) for i in SHIPPED] + [(a, "float64", True) for a in KINKS]
    cases = [KINKS[i] if isinstance(i, str) else CASES[i] for i, _, _ in keys]
    problems = [peers.Problem(c.spec, c.params, c.X, c.Y, d, x64) for c, (_, d, x64) in zip(cases, keys, strict=True)]
    results = peers.keras_solve(problems, names) if names else {}
    runs = {name: f"keras backend {name}: {reason}" for name, (ok, reason) in available.items() if not ok}
    return runs | {name: dict(zip(keys, results[name], strict=True)) for name in names}


def keras_run(keras_runs: dict, backend: str) -> dict:
    if isinstance(keras_runs[backend], str):
        pytest.skip(keras_runs[backend])
    return keras_runs[backend]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case_index", range(len(CASES)), ids=IDS)
@pytest.mark.parametrize("backend", list(peers.KERAS_BACKENDS))
def test_keras_gives_the_reference_cost_and_gradients(keras_runs, backend, case_index, dtype):
    case = CASES[case_index]
    cost, grads, computed_in = keras_run(keras_runs, backend)[case_index, dtype, True]
    assert set(computed_in) == {dtype}, f"keras/{backend} asked for {dtype} computed in {computed_in}"
    tf_leaky = backend == "tensorflow" and case.spec.hidden_activation == "leaky_relu" and dtype == "float64"
    ref = reference(case, TF_LEAKY_SLOPE if tf_leaky else LEAKY_RELU_SLOPE)
    assert_matches((cost, grads), ref, case, dtype, f"keras/{backend} {dtype}")


def test_tensorflow_leaky_relu_slope_is_float32_rounded(keras_runs):
    """The one float64 difference left: against the exact 0.01 it is off by the slope's float32 rounding."""
    case_index = IDS.index("deep[8,7,6,1]/leaky_relu")
    cost, grads, _ = keras_run(keras_runs, "tensorflow")[case_index, "float64", True]
    error = worst_error((cost, grads), reference(CASES[case_index]))
    slope_rounding = abs(TF_LEAKY_SLOPE - LEAKY_RELU_SLOPE) / LEAKY_RELU_SLOPE  # 2.2e-9
    assert slope_rounding / 100 < error < slope_rounding * 10, f"error {error:.2e}, slope rounding {slope_rounding:.1e}"


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_keras_as_shipped_rounds_float64_through_float32(keras_runs, backend):
    """Why peers.py switches Keras's float64 -> float32 promotion off: without that, float64 is float32-accurate.
    If this fails, Keras keeps float64 by itself now and the switch can go."""
    for case_index in SHIPPED:
        cost, grads, _ = keras_run(keras_runs, backend)[case_index, "float64", False]
        assert worst_error((cost, grads), reference(CASES[case_index])) > 1e-10


def at_the_kink(keras_runs: dict, peer: str, activation: str) -> tuple[float, dict]:
    case = KINKS[activation]
    if peer == "torch.nn":
        require_torch()
        return peers.torch_nn_cost_and_grads(case.spec, case.params, case.X, case.Y)
    return keras_run(keras_runs, peer)[activation, "float64", True][:2]


@pytest.mark.parametrize("peer", ["torch.nn", *peers.KERAS_BACKENDS])
def test_at_relu_kink_every_peer_takes_the_derivative_0(keras_runs, peer):
    case = KINKS["relu"]
    assert_matches(at_the_kink(keras_runs, peer, "relu"), reference(case), case, "float64", f"{peer} at the kink")


@pytest.mark.parametrize("peer", ["torch.nn", *peers.KERAS_BACKENDS])
def test_at_leaky_relu_kink_only_keras_jax_takes_the_slope_1(keras_runs, peer):
    """Ours, torch and TF take slope 0.01 at Z == 0; jax.nn.leaky_relu is where(x >= 0, x, 0.01 x), slope 1."""
    case, got = KINKS["leaky_relu"], at_the_kink(keras_runs, peer, "leaky_relu")
    ref = reference(case, TF_LEAKY_SLOPE if peer == "tensorflow" else LEAKY_RELU_SLOPE)
    if peer == "jax":
        assert worst_error(got, ref) > 1e-3, "keras/jax now agrees at leaky ReLU's kink"
    else:
        assert_matches(got, ref, case, "float64", f"{peer} at the kink")


# --- the child process and availability ----------------------------------------------------------


def test_a_failing_child_raises_with_its_stderr(tmp_path):
    jobs = {"boom": ([sys.executable, "-c", "import sys; sys.exit('the child says boom')"], None)}
    with pytest.raises(RuntimeError, match=r"boom child failed \(exit 1\):\s+the child says boom"):
        peers.run_children(jobs, tmp_path, timeout=30)


def test_a_hanging_child_is_stopped_at_the_timeout(tmp_path):
    jobs = {"sleeper": ([sys.executable, "-c", "import time; time.sleep(60)"], None)}
    with pytest.raises(RuntimeError, match=r"sleeper child gave no answer within 0\.5 s"):
        peers.run_children(jobs, tmp_path, timeout=0.5)


def test_keras_backends_available_says_why_not():
    available = peers.keras_backends_available()
    assert set(available) == set(peers.KERAS_BACKENDS)
    for name, (ok, reason) in available.items():
        assert isinstance(ok, bool) and (ok or "not" in reason), (name, reason)


def test_an_unknown_keras_backend_is_refused_before_any_child_starts():
    case = CASES[0]
    with pytest.raises(ValueError, match="unknown keras backend 'theano'"):
        peers.keras_cost_and_grads(case.spec, case.params, case.X, case.Y, "theano")
