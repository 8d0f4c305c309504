"""impl_torch against the float64 NumPy reference: every Z[l], A[l], AL, cost and gradient, the
ReLU kinks, 20-step trajectories eager and compiled, logistic regression, and the error messages.

Tolerances (rtol, atol), per dtype:
- float64 (1e-12, 1e-14): the same formulas in the same precision; only the summation order
  inside a matmul or a mean differs (a few ulps, about 1e-16 each, over at most a few dozen terms
  and three layers), so 1e-12 leaves a margin of ~1000 and still catches any wrong formula, which
  would be off by 1e-8 or more.
- float32 (1e-5, 1e-6): the inputs are rounded to float32 (relative 6e-8 each) and every product
  and sum after that rounds at 6e-8 too; over these few small layers the error stays near 1e-6,
  far above float64's 1e-16 but below anything a bug would give. atol covers entries near 0.
The 20-step trajectories stay inside the same tolerances: the rounding of each step is carried
forward but, over 20 steps of these small well-conditioned problems, does not grow much.
Measured (this file's problems): float32 uses at most 14% of its tolerance, float64 1%.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch not installed")

from conformance.core.datasets import make_random_dataset  # noqa: E402
from impl_torch import arrays  # noqa: E402
from impl_torch import deep as torch_deep  # noqa: E402
from impl_torch import logistic as torch_logistic  # noqa: E402
from reference_numpy import deep, initializers, logistic  # noqa: E402

# torch's inductor imports torch.utils.mkldnn, which uses the deprecated torch.jit.script_method

TOLERANCES = {"float64": (1e-12, 1e-14), "float32": (1e-5, 1e-6)}
HIDDEN_ACTIVATIONS = tuple(torch_deep.ACTIVATIONS)


def make_problem(depth: int, seed: int, n_x: int = 4, width: int = 5, m: int = 16):
    """A random dataset and He-initialised weights with nonzero biases (so db is tested too), float64."""
    X, Y = make_random_dataset(n_x, m, seed=seed)  # (n_x, m), (1, m)
    rng = np.random.default_rng(seed)
    layer_dims = [n_x] + [width] * (depth - 1) + [1]
    parameters = initializers.initialize(layer_dims, scheme="he", rng=rng)
    for l in range(1, depth + 1):
        parameters[f"b{l}"] = 0.1 * rng.standard_normal(parameters[f"b{l}"].shape)  # (n[l], 1)
    return layer_dims, X, Y, parameters


def to_torch(dtype: str, *arrays_in):
    return [arrays.from_numpy(a, dtype, "cpu") for a in arrays_in]


def assert_matches(name: str, actual, expected, dtype: str) -> None:
    """Same shape, the requested dtype, and within the dtype's tolerance of the reference."""
    if isinstance(actual, torch.Tensor):
        assert actual.dtype == arrays.TORCH_DTYPES[dtype], f"{name} is {actual.dtype}, not {dtype}"
        actual = arrays.to_numpy(actual)
    assert np.shape(actual) == np.shape(expected), f"{name}: shape {np.shape(actual)} != {np.shape(expected)}"
    rtol, atol = TOLERANCES[dtype]
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("dtype", arrays.DTYPES)
@pytest.mark.parametrize("hidden_activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_forward_cost_and_grads_match_the_reference(depth, hidden_activation, dtype):
    _, X, Y, parameters = make_problem(depth, seed=depth)
    AL_ref, caches_ref = deep.L_model_forward(X, parameters, hidden_activation)
    grads_ref = deep.L_model_backward(AL_ref, Y, caches_ref, hidden_activation)
    Xt, Yt, params_t = to_torch(dtype, X, Y, parameters)
    AL, caches = torch_deep.L_model_forward(Xt, params_t, hidden_activation)
    assert len(caches) == depth
    for l, (((A_prev, W, b), Z), ((A_prev_ref, _, _), Z_ref)) in enumerate(
        zip(caches, caches_ref, strict=True), start=1
    ):
        assert W is params_t[f"W{l}"] and b is params_t[f"b{l}"]
        assert_matches(f"A{l - 1}", A_prev, A_prev_ref, dtype)
        assert_matches(f"Z{l}", Z, Z_ref, dtype)
    assert_matches("AL", AL, AL_ref, dtype)
    assert_matches("compute_cost", torch_deep.compute_cost(AL, Yt), deep.compute_cost(AL_ref, Y), dtype)
    ZL_ref = caches_ref[-1][1]
    grads, cost = torch_deep.L_model_grads(params_t, Xt, Yt, hidden_activation)
    assert cost.ndim == 0
    assert_matches("cost", cost, deep.compute_cost_from_logits(ZL_ref, Y), dtype)
    assert set(grads) == {f"d{name}" for name in parameters}
    for name in parameters:
        assert_matches(f"d{name}", grads[f"d{name}"], grads_ref[f"d{name}"], dtype)


def test_activation_derivatives_at_exact_zero_are_the_references():
    Z = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
    slopes = {"relu": 0.0, "leaky_relu": 0.01, "tanh": 1.0, "sigmoid": 0.25}
    for name, g in torch_deep.ACTIVATIONS.items():
        (dZ,) = torch.autograd.grad(g(Z).sum(), Z)
        assert torch.equal(dZ, torch.full((3, 2), slopes[name], dtype=torch.float64)), name


@pytest.mark.parametrize("hidden_activation", ["relu", "leaky_relu"])
def test_grads_at_the_kink_equal_the_reference(hidden_activation):
    X = np.array([[1.0, -1.0, 2.0, 0.0]])  # (1, 4): the last sample puts Z1 = 0 in both units
    Y = np.array([[1.0, 0.0, 1.0, 1.0]])  # (1, 4)
    parameters = {"W1": np.array([[1.0], [-1.0]]), "b1": np.zeros((2, 1)), "W2": np.array([[0.5, -0.5]])}
    parameters["b2"] = np.zeros((1, 1))
    AL_ref, caches_ref = deep.L_model_forward(X, parameters, hidden_activation)
    assert (caches_ref[0][1][:, 3] == 0).all()
    grads_ref = deep.L_model_backward(AL_ref, Y, caches_ref, hidden_activation)
    Xt, Yt, params_t = to_torch("float64", X, Y, parameters)
    grads, _ = torch_deep.L_model_grads(params_t, Xt, Yt, hidden_activation)
    for name in parameters:  # db1 holds the kink's dZ1[:, 3] = dA1[:, 3] * g'(0)
        assert_matches(f"d{name}", grads[f"d{name}"], grads_ref[f"d{name}"], "float64")


@pytest.mark.parametrize("dtype", arrays.DTYPES)
@pytest.mark.parametrize("mode", torch_deep.MODES)
def test_20_step_trajectory_matches_the_reference(mode, dtype):
    """One problem size for every case: torch.compile costs seconds per new shape. X's first
    column is 0 and the course's biases start at 0, so step 0 sits on the ReLU kink, compiled too."""
    layer_dims = [6, 5, 4, 1]
    X, Y = make_random_dataset(6, 32, seed=7)  # (6, 32), (1, 32)
    X[:, 0] = 0.0
    parameters = initializers.initialize(layer_dims, scheme="xavier", seed=1)
    final_ref, costs_ref = deep.L_layer_model(
        X, Y, layer_dims, 0.3, 20, parameters=parameters, hidden_activation="relu", record_every=1
    )
    Xt, Yt, params_t = to_torch(dtype, X, Y, parameters)
    before = {name: P.clone() for name, P in params_t.items()}
    final, costs = torch_deep.L_layer_model(Xt, Yt, params_t, 0.3, 20, "relu", mode=mode, record_every=1)
    assert len(costs) == 20 and all(isinstance(c, float) for c in costs)
    assert_matches("costs", np.array(costs), np.array(costs_ref), dtype)
    for name in parameters:
        assert_matches(name, final[name], final_ref[name], dtype)
        assert torch.equal(params_t[name], before[name]) and not params_t[name].requires_grad


def test_costs_are_recorded_every_record_every_iterations():
    layer_dims, X, Y, parameters = make_problem(2, seed=3)
    _, costs_ref = deep.L_layer_model(X, Y, layer_dims, 0.1, 12, parameters=parameters, record_every=5)
    Xt, Yt, params_t = to_torch("float64", X, Y, parameters)
    _, costs = torch_deep.L_layer_model(Xt, Yt, params_t, 0.1, 12, record_every=5)
    assert len(costs) == 3  # iterations 0, 5, 10
    assert_matches("costs", np.array(costs), np.array(costs_ref), "float64")


def test_update_parameters_and_train_step_leave_their_inputs_alone():
    _, X, Y, parameters = make_problem(2, seed=5)
    Xt, Yt, params_t = to_torch("float64", X, Y, parameters)
    before = {name: P.clone() for name, P in params_t.items()}
    grads, _ = torch_deep.L_model_grads(params_t, Xt, Yt)
    updated = torch_deep.update_parameters(params_t, grads, 0.1)
    torch_deep.train_step(params_t, Xt, Yt, 0.1)
    for name, P in params_t.items():
        assert torch.equal(P, before[name]) and P.grad is None and not P.requires_grad
        assert torch.equal(updated[name], before[name] - 0.1 * grads[f"d{name}"])
        assert not updated[name].requires_grad


@pytest.mark.parametrize("dtype", arrays.DTYPES)
def test_predict_matches_the_reference(dtype):
    _, X, _, parameters = make_problem(3, seed=8, m=64)
    Xt, params_t = to_torch(dtype, X, parameters)
    prediction = torch_deep.predict(Xt, params_t)
    assert prediction.dtype == Xt.dtype and prediction.shape == (1, 64)
    np.testing.assert_array_equal(arrays.to_numpy(prediction), deep.predict(X, parameters))


@pytest.mark.parametrize("dtype", arrays.DTYPES)
def test_logistic_propagate_and_optimize_match_the_reference(dtype):
    X, Y = make_random_dataset(5, 40, seed=9)  # (5, 40), (1, 40)
    w, b = 0.3 * np.random.default_rng(9).standard_normal((5, 1)), np.array([[0.2]])  # (5, 1), (1, 1)
    wt, bt, Xt, Yt = to_torch(dtype, w, b, X, Y)
    grads_ref, cost_ref = logistic.propagate(w, b, X, Y)
    grads, cost = torch_logistic.propagate(wt, bt, Xt, Yt)
    assert_matches("cost", cost, cost_ref, dtype)
    for name in ("dw", "db"):
        assert_matches(name, grads[name], grads_ref[name], dtype)
    params_ref, grads_ref, costs_ref = logistic.optimize(w, b, X, Y, 20, 0.5, record_every=1)
    params, grads, costs = torch_logistic.optimize(wt, bt, Xt, Yt, 20, 0.5, record_every=1)
    assert_matches("costs", np.array(costs), np.array(costs_ref), dtype)
    for name in ("w", "b"):
        assert_matches(name, params[name], params_ref[name], dtype)
    for name in ("dw", "db"):
        assert_matches(name, grads[name], grads_ref[name], dtype)
    np.testing.assert_array_equal(arrays.to_numpy(torch_logistic.predict(wt, bt, Xt)), logistic.predict(w, b, X))
    assert torch.equal(wt, arrays.from_numpy(w, dtype, "cpu"))  # the caller's tensors are left alone


def test_logistic_compiled_step_matches_eager():
    X, Y = make_random_dataset(5, 40, seed=10)
    w, b = np.zeros((5, 1)), np.zeros((1, 1))
    wt, bt, Xt, Yt = to_torch("float64", w, b, X, Y)
    eager = torch_logistic.optimize(wt, bt, Xt, Yt, 5, 0.5, record_every=1)
    compiled = torch_logistic.optimize(wt, bt, Xt, Yt, 5, 0.5, mode="compiled", record_every=1)
    assert_matches("costs", np.array(compiled[2]), np.array(eager[2]), "float64")
    for name in ("w", "b"):
        assert_matches(name, compiled[0][name], arrays.to_numpy(eager[0][name]), "float64")


def test_deep_network_with_one_layer_is_logistic_regression():
    X, Y = make_random_dataset(5, 40, seed=11)
    w, b = 0.3 * np.random.default_rng(11).standard_normal((5, 1)), np.array([[-0.1]])
    wt, bt, Xt, Yt = to_torch("float64", w, b, X, Y)
    grads_logistic, cost_logistic = torch_logistic.propagate(wt, bt, Xt, Yt)
    grads_deep, cost_deep = torch_deep.L_model_grads({"W1": wt.T, "b1": bt}, Xt, Yt)
    assert_matches("cost", cost_deep, cost_logistic.item(), "float64")
    assert_matches("dW1", grads_deep["dW1"], arrays.to_numpy(grads_logistic["dw"]).T, "float64")
    assert_matches("db1", grads_deep["db1"], arrays.to_numpy(grads_logistic["db"]), "float64")


def test_from_numpy_copies_and_converts_and_to_numpy_inverts_it():
    parameters = initializers.initialize([3, 2, 1], seed=1)
    for dtype in arrays.DTYPES:
        tensors = arrays.from_numpy(parameters, dtype, "cpu")
        assert set(tensors) == set(parameters)
        assert all(t.dtype == arrays.TORCH_DTYPES[dtype] and t.device.type == "cpu" for t in tensors.values())
        back = arrays.to_numpy(tensors)
        assert all(back[k].shape == v.shape and back[k].dtype == np.dtype(dtype) for k, v in parameters.items())
    X = np.ones((2, 3))
    Xt = arrays.from_numpy(X, "float64", "cpu")
    X[0, 0] = 5.0
    assert Xt[0, 0].item() == 1.0  # a copy, not a view of the caller's array
    cost = arrays.to_numpy(torch.tensor(0.5, dtype=torch.float32))
    assert isinstance(cost, float) and cost == 0.5


def test_bad_names_raise_clear_errors():
    _, X, _, parameters = make_problem(2, seed=0)
    Xt, params_t = to_torch("float64", X, parameters)
    with pytest.raises(ValueError, match=r"unknown dtype 'float16'.*float32"):
        arrays.from_numpy(X, "float16", "cpu")
    with pytest.raises(ValueError, match=r"unknown device 'tpu'.*cpu.*gpu"):
        arrays.resolve_device("tpu")
    with pytest.raises(ValueError, match=r"unknown hidden_activation 'gelu'.*relu"):
        torch_deep.L_model_forward(Xt, params_t, "gelu")
    with pytest.raises(ValueError, match=r"unknown hidden_activation 'gelu'"):
        torch_deep.make_train_step("gelu")
    with pytest.raises(ValueError, match=r"unknown mode 'jit' for torch.*eager.*compiled"):
        torch_deep.make_train_step("relu", mode="jit")
    with pytest.raises(ValueError, match=r"unknown mode 'jit' for torch"):
        torch_logistic.make_train_step(mode="jit")
    with pytest.raises(ValueError, match=r"unknown mode 'function' for torch"):
        torch_deep.L_layer_model(Xt, Xt[:1], params_t, mode="function")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible to torch")
def test_gpu_without_a_gpu_says_so():
    with pytest.raises(RuntimeError, match="no GPU visible to torch"):
        arrays.resolve_device("gpu")
    with pytest.raises(RuntimeError, match="no GPU visible to torch"):
        arrays.from_numpy(np.ones((2, 2)), "float32", "gpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU visible to torch")
@pytest.mark.parametrize("dtype", arrays.DTYPES)
def test_grads_on_the_gpu_match_the_reference(dtype):
    _, X, Y, parameters = make_problem(3, seed=12)
    AL_ref, caches_ref = deep.L_model_forward(X, parameters, "tanh")
    grads_ref = deep.L_model_backward(AL_ref, Y, caches_ref, "tanh")
    Xt, Yt, params_t = (arrays.from_numpy(a, dtype, "gpu") for a in (X, Y, parameters))
    grads, cost = torch_deep.L_model_grads(params_t, Xt, Yt, "tanh")
    assert cost.device.type == "cuda"
    assert_matches("cost", cost, deep.compute_cost_from_logits(caches_ref[-1][1], Y), dtype)
    for name in parameters:
        assert_matches(f"d{name}", grads[f"d{name}"], grads_ref[f"d{name}"], dtype)
