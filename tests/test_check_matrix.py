"""The conformance matrix: every framework, mode and dtype against the float64 NumPy reference,
through the same engine `quartet check` uses. A missing framework skips with the reason."""

import numpy as np
import pytest

from conformance.check import matrix
from conformance.check.cases import default_cases, make_case
from conformance.check.judge import compare
from conformance.check.measure import measure
from conformance.core import backends
from conformance.core.registry import AUTODIFF
from conformance.core.spec import ModelSpec

EAGER_CASES = default_cases(depths=(1, 2, 3, 4, 5))
# compiled programs cost seconds per new shape (torch.compile ~4 s): two shapes per target
COMPILED_CASES = [
    make_case(ModelSpec("logistic", (8, 1))),
    make_case(ModelSpec("deep", (8, 7, 6, 1), "relu"), seed=3),
]
TARGETS = [(name, mode, dtype) for name in backends.NAMES for mode in backends.MODES[name] for dtype in backends.DTYPES]


def require(name: str) -> None:
    ok, reason = backends.framework_status(name)
    if not ok:
        pytest.skip(reason)


def failures(frame) -> str:
    bad = frame[~frame["passed"]]
    return bad[["model", "backend", "mode", "dtype", "quantity", "max_rel_err", "tolerance"]].to_string()


@pytest.mark.parametrize(("name", "mode", "dtype"), TARGETS, ids=["-".join(t) for t in TARGETS])
@pytest.mark.slow
def test_backend_matches_the_float64_reference(name, mode, dtype):
    require(name)
    cases = EAGER_CASES if mode == "eager" else COMPILED_CASES
    result = matrix.run_matrix(cases, [(name, mode, dtype, "cpu")], pairwise=False)
    frame = result.frame
    assert not result.skipped
    assert set(frame["model"]) == {case.spec.label for case in cases}
    for model, rows in frame.groupby("model"):
        quantities = set(rows["quantity"])
        grads = {"dw", "db"} if model.startswith("logistic") else {"dW1", "db1"}
        assert {"Z1", "AL", "cost", "params@100", "cost@100"} | grads <= quantities, model
    assert frame["passed"].all(), failures(frame)
    if dtype == "float32":
        assert (frame["max_rel_err"] > 0).any(), "a float32 run equal to float64 everywhere is not float32"


def test_float64_backends_agree_with_each_other():
    available = [n for n in AUTODIFF if backends.framework_status(n)[0]]
    if len(available) < 2:
        pytest.skip(f"pairwise needs two frameworks; installed: {available}")
    targets = [(n, "eager", "float64", "cpu") for n in ["numpy", *available]]
    result = matrix.run_matrix(EAGER_CASES[:6], targets, steps=(10,), pairwise=True)
    pairwise = result.frame[result.frame["against"] != "numpy/float64"]
    assert len(pairwise) > 0 and pairwise["passed"].all(), failures(pairwise)


def test_the_engine_flags_a_backend_that_computes_something_else():
    """A backend off by one part in a million in one gradient fails its row: the tolerances bite."""
    case = make_case(ModelSpec("deep", (8, 5, 1), "tanh"))
    ref = measure(backends.load_backend("numpy", case.spec, "eager", "float64"), case, steps=(1,))
    got = {k: v.copy() for k, v in ref.items()}
    got["dW1"] = got["dW1"] * (1 + 1e-6)
    labels = dict(backend="numpy", mode="eager", dtype="float64", device="cpu")
    rows = {r["quantity"]: r for r in compare(got, ref, case, labels, "numpy/float64")}
    assert not rows["dW1"]["passed"] and rows["dW2"]["passed"]
    assert rows["dW2"]["margin"] == np.inf


def test_exact_zeros_at_the_kink_are_in_the_data():
    case = make_case(ModelSpec("deep", (8, 5, 4, 1), "relu"))
    forward = backends.load_backend("numpy", case.spec).forward(case.params, case.X)
    assert (forward["Z1"][:, 0] == 0).all() and (forward["Z2"][:, 0] == 0).all()


def test_a_sum_that_cancels_is_compared_at_the_scale_of_its_terms():
    """db[L] = mean(AL - Y) is exactly 0 with AL = 0.5 and balanced labels: float32's 1e-8 there is
    rounding (measured against the terms' 0.5), a 1e-3 is a wrong gradient, and both are judged so."""
    spec = ModelSpec("deep", (3, 2, 1), "relu")
    case = make_case(spec, m=8)
    case.params = {k: np.zeros_like(v) for k, v in case.params.items()}  # every AL = 0.5
    case.Y = (np.arange(8) % 2).reshape(1, 8).astype(np.float64)
    ref = measure(backends.load_backend("numpy", spec, "eager", "float64"), case, steps=(1,))
    assert ref["db2"].item() == 0.0
    labels = dict(backend="numpy", mode="eager", dtype="float32", device="cpu")
    for offset, passes in ((1e-8, True), (1e-3, False)):
        got = {k: v.astype(np.float32).astype(np.float64) for k, v in ref.items()}  # float32 numbers, as a row has
        got["db2"] = ref["db2"] + float(np.float32(offset))
        rows = {r["quantity"]: r for r in compare(got, ref, case, labels, "numpy/float64")}
        assert rows["db2"]["passed"] is passes, rows["db2"]
        assert np.isfinite(rows["db2"]["max_rel_err"])


@pytest.mark.parametrize("name", ["torch", "jax"])
def test_tf32_is_on_only_while_its_drift_is_measured(name):
    """Every row holds full float32 matrix products; TF32 is switched on for the drift run and off again."""
    from conformance.core.frameworks import full_float32_matmuls

    require(name)

    def tf32() -> bool:
        if name == "torch":
            import torch

            return torch.backends.cuda.matmul.allow_tf32
        import jax

        return jax.config.jax_default_matmul_precision == "tensorfloat32"

    full_float32_matmuls(name, tf32=True)
    assert tf32()
    full_float32_matmuls(name)
    assert not tf32()


def test_cpu_rows_have_no_tf32_drift():
    frame = matrix.run_matrix(COMPILED_CASES[:1], [("torch", "eager", "float32", "cpu")], steps=(1,)).frame
    assert len(frame) and frame["tf32_drift"].isna().all()


@pytest.mark.gpu
def test_gpu_float32_rows_measure_their_tf32_drift():
    """On a GPU each float32 framework row carries how far TF32 moves it; its verdict is the TF32-off one."""
    targets = [(n, "eager", "float32", "gpu") for n in AUTODIFF if backends.device_status(n, "gpu")[0]]
    if not targets:
        pytest.skip("no framework sees a GPU here")
    result = matrix.run_matrix(COMPILED_CASES[1:], targets, steps=(1,))
    assert result.passed, failures(result.frame)
    assert result.frame["tf32_drift"].notna().all()
