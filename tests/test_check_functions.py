"""Each course function checked on its own (conformance/check/functions.py): a correct port is green function by
function, a seeded bug names its function first, a stub is "not written yet" and what needs it waits, and
whatever a backend raises is that backend's failure, named, while the rest of the run goes on."""

import numpy as np
import pytest
from backend_helper import framework

from conformance.check import functions, matrix, probes, suspects
from conformance.check.cases import make_case
from conformance.core.registry import framework_status
from conformance.core.spec import ModelSpec


@pytest.fixture
def torch_deep():
    return framework("torch").deep


def verdicts(dtype: str = "float64") -> dict[str, dict]:
    return {v["function"]: v for v in functions.check_functions("torch", "eager", dtype, "cpu")}


@pytest.mark.parametrize("name", ["torch", "jax"])  # JAX eager: op by op (the suite's shared check is compiled JAX)
def test_a_correct_port_is_green_function_by_function(name):
    framework(name)  # skips, saying why, without it
    found = functions.check_functions(name, "eager", "float32", "cpu")
    # every course function; sync is a plugin's (the built-in three's clocks wait in conformance/core/frameworks.py)
    assert {v["function"] for v in found} == {f.key for f in functions.FUNCTIONS} - {"sync"}
    assert all(v["status"] == "green" for v in found), [v for v in found if v["status"] != "green"]
    assert suspects.suspects(found) == []
    assert suspects.progress_lines(found) == [
        f"{name}: arrays: 3 of 3 green; logistic: 5 of 5 green; deep: 14 of 14 green"
    ]


def leaky_derivative_of(torch, slope: float):
    """leaky ReLU whose backward uses `slope` where z <= 0: a hand-written derivative."""

    class Leaky(torch.autograd.Function):
        @staticmethod
        def forward(ctx, Z):
            ctx.save_for_backward(Z)
            return torch.where(Z > 0, Z, 0.01 * Z)

        @staticmethod
        def backward(ctx, grad):
            (Z,) = ctx.saved_tensors
            return grad * torch.where(Z > 0, torch.ones_like(Z), torch.full_like(Z, slope))

    return Leaky.apply


def seed(bug: str, monkeypatch, deep) -> None:
    import torch

    import impl_torch.logistic

    if bug == "leaky_relu":  # the derivative 0.02 instead of 0.01
        monkeypatch.setitem(deep.ACTIVATIONS, "leaky_relu", leaky_derivative_of(torch, 0.02))
    elif bug == "logistic.propagate":  # a transposed dw
        real = impl_torch.logistic.propagate

        def transposed(w, b, X, Y):
            grads, cost = real(w, b, X, Y)
            return {**grads, "dw": grads["dw"].T}, cost

        monkeypatch.setattr(impl_torch.logistic, "propagate", transposed)
    elif bug == "L_model_grads":  # db divided by n_x instead of m
        real = deep.L_model_grads

        def db_over_n_x(parameters, X, Y, hidden_activation="relu"):
            grads, cost = real(parameters, X, Y, hidden_activation)
            return {k: v * X.shape[1] / X.shape[0] if k.startswith("db") else v for k, v in grads.items()}, cost

        monkeypatch.setattr(deep, "L_model_grads", db_over_n_x)
    elif bug == "linear_activation_forward":  # the cache holds A where the course keeps Z
        real = deep.linear_activation_forward

        def keeps_A(A_prev, W, b, activation):
            A, (linear, _) = real(A_prev, W, b, activation)
            return A, (linear, A)

        monkeypatch.setattr(deep, "linear_activation_forward", keeps_A)
    elif bug == "compute_cost_from_logits":  # the reference's stable formula, differentiated by autograd

        def through_max_and_abs(ZL, Y):  # right in value; at z = 0 clamp passes 1 and abs 0: 1 - y, not 1/2 - y
            losses = torch.clamp(ZL, min=0) - ZL * Y + torch.log1p(torch.exp(-torch.abs(ZL)))
            return torch.sum(losses) / Y.shape[1]

        monkeypatch.setattr(deep, "compute_cost_from_logits", through_max_and_abs)
        monkeypatch.setattr(impl_torch.logistic, "compute_cost_from_logits", through_max_and_abs)


BUGS = ["leaky_relu", "logistic.propagate", "L_model_grads", "linear_activation_forward", "compute_cost_from_logits"]


@pytest.mark.parametrize("bug", BUGS)
def test_a_seeded_bug_names_its_function_first(bug, torch_deep, monkeypatch):
    seed(bug, monkeypatch, torch_deep)
    found = suspects.suspects(list(verdicts().values()))
    assert found and found[0]["function"] == bug and not found[0]["follows_from"], found
    assert all(s["follows_from"] for s in found[1:]), found  # everything else follows from it
    if bug == "leaky_relu":
        assert "derivative at z = " in found[0]["detail"] and "0.02 where the reference has 0.01" in found[0]["detail"]
    if bug == "logistic.propagate":
        assert "dw has shape (1, 8); the reference's is (8, 1)" in found[0]["detail"]
    if bug == "compute_cost_from_logits":
        assert "derivative in the logits at z = 0, y = 0 is 1 where the reference has 0.5" in found[0]["detail"]


@pytest.mark.parametrize("backward", ["weight decay", "through compute_cost"])
def test_a_backward_wrong_at_some_logits_is_not_blamed_on_the_cost(backward, torch_deep, monkeypatch):
    """Two backward bugs that the cost probe sees at some z only: a weight-decay term left in (0 at z = 0, W1 = z),
    and gradients taken of the course's compute_cost(sigmoid(ZL)) (wrong once AL rounds to 0 or 1). The first
    does not double with X (the probe's second reading, X = 2I), the second returns another cost than the port's
    compute_cost_from_logits: neither is the cost's."""

    real = torch_deep.L_model_grads

    def decayed(parameters, X, Y, hidden_activation="relu"):
        grads, cost = real(parameters, X, Y, hidden_activation)
        return {k: v + 0.1 * parameters[k[1:]] if k.startswith("dW") else v for k, v in grads.items()}, cost

    def through_probabilities(parameters, X, Y, hidden_activation="relu"):
        leaves = {k: v.detach().clone().requires_grad_(True) for k, v in parameters.items()}
        AL, _ = torch_deep.L_model_forward(X, leaves, hidden_activation)
        cost = torch_deep.compute_cost(AL, Y)
        cost.backward()
        return {f"d{k}": v.grad for k, v in leaves.items()}, cost.detach()

    monkeypatch.setattr(torch_deep, "L_model_grads", decayed if backward == "weight decay" else through_probabilities)
    found = verdicts()
    assert found["compute_cost_from_logits"]["status"] == "green", found["compute_cost_from_logits"]
    first = suspects.suspects(list(found.values()))[0]["function"]
    # through compute_cost, L_model_grads passes its own cases (they do not saturate): the activations' probes,
    # which do, see it first; the cost is not blamed either way
    assert first == "L_model_grads" if backward == "weight decay" else first != "compute_cost_from_logits"


def test_a_backward_wrong_everywhere_is_not_blamed_on_the_cost(torch_deep, monkeypatch):
    """The cost's derivative is read through L_model_grads (probes.cost_probe): an L_model_grads whose every dW is
    doubled is wrong at every z of the probe, which says nothing of the cost: L_model_grads is named, the cost
    green."""
    real = torch_deep.L_model_grads

    def doubled(parameters, X, Y, hidden_activation="relu"):
        grads, cost = real(parameters, X, Y, hidden_activation)
        return {k: 2 * v if k.startswith("dW") else v for k, v in grads.items()}, cost

    monkeypatch.setattr(torch_deep, "L_model_grads", doubled)
    found = verdicts()
    assert found["compute_cost_from_logits"]["status"] == "green", found["compute_cost_from_logits"]
    assert suspects.suspects(list(found.values()))[0]["function"] == "L_model_grads"


@pytest.mark.parametrize("labels", ["float32", "bool"])
def test_predictions_in_another_dtype_are_predicts(labels, monkeypatch):
    """Labels are 1.0 and 0.0 in X's dtype (the reference's predict and every port's): float32 or bool labels in a
    float64 run fail predict itself, not logistic.model, which passes them on."""
    import torch

    import impl_torch.logistic

    real = impl_torch.logistic.predict
    monkeypatch.setattr(impl_torch.logistic, "predict", lambda w, b, X: real(w, b, X).to(getattr(torch, labels)))
    found = verdicts()
    assert found["logistic.predict"]["status"] == "wrong", found["logistic.predict"]
    assert f"{labels} where the run asks for float64 (labels: 1.0 and 0.0" in found["logistic.predict"]["detail"]
    assert suspects.suspects(list(found.values()))[0]["function"] == "logistic.predict"


def test_a_stub_is_not_written_yet_and_what_goes_through_it_waits(torch_deep, monkeypatch):
    def stub(A_prev, W, b):
        raise NotImplementedError("linear_forward")

    monkeypatch.setattr(torch_deep, "linear_forward", stub)
    found = verdicts()
    assert found["linear_forward"]["status"] == "not written yet"
    assert found["linear_activation_forward"]["status"] == "not checked"
    assert found["linear_activation_forward"]["detail"] == "needs linear_forward, not written yet"
    assert found["relu"]["detail"] == "needs linear_forward, not written yet"  # its derivative is read through it
    assert found["compute_cost"]["status"] == found["logistic.propagate"]["status"] == "green"
    assert suspects.progress_lines(list(found.values())) == [
        "torch: arrays: 3 of 3 green; logistic: 5 of 5 green; deep: 13 of 14 written, 3 green, 10 not checked yet"
    ]


def test_what_a_backend_raises_is_its_failure_and_the_run_goes_on(torch_deep, monkeypatch):
    def broken(AL, Y):
        raise ValueError("the port's own message")

    monkeypatch.setattr(torch_deep, "compute_cost", broken)
    found = verdicts()["compute_cost"]
    assert (found["status"], found["detail"]) == ("raised", "ValueError: the port's own message")
    case = make_case(ModelSpec("deep", (4, 3, 1), "tanh"), m=8)
    done = matrix.run_matrix([case], [("torch", "eager", "float64", "cpu")], steps=(1,), pairwise=False)
    assert [(r["section"], r["status"]) for r in done.raised] == [("course_cost", "raised")]
    assert len(done.frame) > 10 and done.frame["passed"].all() and not done.passed


def test_a_loop_that_records_the_wrong_iterations_fails(torch_deep, monkeypatch):
    """record_every other than 1: a loop that records every iteration whatever it is asked."""
    real = torch_deep.L_layer_model

    def records_all(
        X,
        Y,
        parameters,
        learning_rate=0.0075,
        num_iterations=3000,
        hidden_activation="relu",
        mode="eager",
        record_every=100,
    ):
        return real(X, Y, parameters, learning_rate, num_iterations, hidden_activation, mode, record_every=1)

    monkeypatch.setattr(torch_deep, "L_layer_model", records_all)
    found = verdicts("float32")["L_layer_model"]
    assert found["status"] == "wrong" and "record_every 4 recorded" in found["detail"]


def test_the_probe_reads_the_derivative_from_the_gradient():
    """dW1 of the probe net is g'(Z1) (AL - Y) / (4 m): the factor the derivative is read back with."""
    from reference_numpy import deep

    probe = probes.derivative_probe("tanh", "float64")
    AL, caches = deep.L_model_forward(probe.X, probe.params, "tanh")
    dW1 = deep.L_model_backward(AL, probe.Y, caches, "tanh")["dW1"]
    factor = probe.params["W2"][0][:, None] * (AL - probe.Y) / probe.X.shape[1]
    assert np.allclose(dW1 / factor, 1 - np.tanh(probe.params["W1"]) ** 2, rtol=1e-12, atol=1e-300)
    assert np.all(np.abs(AL - probe.Y) >= 0.5)


# --- the regimes the matrix never visited (each of these passed `quartet check --quick` before) -----------


@pytest.fixture
def jax_deep():
    return framework("jax").deep


def test_a_compiled_loop_that_loses_the_hidden_activation_fails(jax_deep, monkeypatch):
    real = jax_deep.make_train_loop
    monkeypatch.setattr(jax_deep, "make_train_loop", lambda activation, mode: real("relu", mode))
    found = {v["function"]: v for v in functions.check_functions("jax", "compiled", "float32", "cpu")}
    assert found["L_layer_model"]["status"] == "wrong" and "tanh net" in found["L_layer_model"]["detail"]


def test_a_compiled_loop_kept_for_the_first_m_it_saw_fails(jax_deep, monkeypatch):
    """A loop whose 1/m is the first m's: right on the first net, wrong on the same layers at another m."""
    real, first = jax_deep.make_train_loop, {}

    def first_m(activation, mode):
        loop = real(activation, mode)

        def run(params, X, Y, learning_rate, n):
            m = first.setdefault("m", X.shape[1])
            return loop(params, X, Y, learning_rate * X.shape[1] / m, n)

        return run

    monkeypatch.setattr(jax_deep, "make_train_loop", first_m)
    found = {v["function"]: v for v in functions.check_functions("jax", "compiled", "float64", "cpu")}
    assert found["L_layer_model"]["status"] == "wrong" and "relu net, m = 37" in found["L_layer_model"]["detail"]


def test_a_compiled_logistic_loop_kept_for_the_first_m_it_saw_fails(monkeypatch):
    """The same slip in logistic regression's compiled loop (a shapeless compile with m baked in): optimize is
    also run at a second m, as L_layer_model is."""
    import impl_jax.logistic as jax_logistic

    real, first = jax_logistic.make_train_loop, {}

    def first_m(mode):
        loop = real(mode)

        def run(w, b, X, Y, learning_rate, num_iterations):
            m = first.setdefault("m", X.shape[1])
            return loop(w, b, X, Y, learning_rate * X.shape[1] / m, num_iterations)

        return run

    monkeypatch.setattr(jax_logistic, "make_train_loop", first_m)
    found = {v["function"]: v for v in functions.check_functions("jax", "compiled", "float64", "cpu")}
    assert found["logistic.optimize"]["status"] == "wrong", found["logistic.optimize"]
    assert found["logistic.optimize"]["detail"].startswith("m = "), found["logistic.optimize"]


def test_an_accuracy_taken_as_a_float32_mean_fails_in_float64(monkeypatch):
    """float(tf.reduce_mean(tf.cast(correct, tf.float32))), TensorFlow's idiom: k / m rounded to float32. Exact where
    m is a power of two, so model is also judged at an m where it is not."""
    import numpy as np

    import impl_torch.logistic

    real = impl_torch.logistic.model

    def float32_mean(*args, **kwargs):
        out = real(*args, **kwargs)
        return {**out, **{k: float(np.float32(out[k])) for k in ("train_accuracy", "test_accuracy")}}

    monkeypatch.setattr(impl_torch.logistic, "model", float32_mean)
    found = verdicts()["logistic.model"]
    assert found["status"] == "wrong" and "accuracy@10" in found["detail"], found


def test_a_sigmoid_whose_gradient_overflows_past_88_fails(torch_deep, monkeypatch):
    """The derivative written as e^-z / (1 + e^-z)^2 is inf / inf = NaN once e^-z overflows (z < -88.7 in
    float32): the probe reaches z = -100, where no case of the matrix's pre-activations went."""
    import torch

    class Sigmoid(torch.autograd.Function):
        @staticmethod
        def forward(ctx, Z):
            ctx.save_for_backward(Z)
            return torch.sigmoid(Z)

        @staticmethod
        def backward(ctx, grad):
            (Z,) = ctx.saved_tensors
            return grad * torch.exp(-Z) / (1 + torch.exp(-Z)) ** 2

    monkeypatch.setitem(torch_deep.ACTIVATIONS, "sigmoid", Sigmoid.apply)
    found = verdicts("float32")["sigmoid"]
    assert found["status"] == "wrong" and found["detail"] == "derivative is nan at z in {-100, -90, 90, 100}"


def test_a_reference_that_ignores_record_every_fails_the_check(monkeypatch):
    """The matrix trains the reference one step at a time, so its own record_every is read only here: a reference
    L_layer_model or optimize that records every cost fails the training functions' rows, naming the reference."""
    from reference_numpy import deep, logistic

    train, optimize = deep.L_layer_model, logistic.optimize
    monkeypatch.setattr(deep, "L_layer_model", lambda *a, **k: train(*a, **{**k, "record_every": 1}))
    monkeypatch.setattr(logistic, "optimize", lambda *a, **k: optimize(*a, **{**k, "record_every": 1}))
    found = {
        v["function"]: v
        for v in functions.check_functions("torch", "eager", "float64", "cpu", ("L_layer_model", "logistic.optimize"))
    }
    for key in ("L_layer_model", "logistic.optimize"):
        assert found[key]["status"] == "wrong" and "the reference's" in found[key]["detail"], found[key]


# --- porting bugs the operator mutants never make (issue 33): each failed to name its function before ---------


def first_suspect(found: dict) -> dict:
    ranked = suspects.suspects(list(found.values()))
    assert ranked, "no suspect"
    return ranked[0]


def test_a_gpu_request_served_by_the_cpu_is_wrong(monkeypatch):
    """resolve_device("gpu") on a machine without a GPU must raise RuntimeError with the reason; a port that falls
    back to the CPU runs a "gpu" row on the CPU without a word (porting_bugs_7, 23, passed)."""
    import torch

    arrays = framework("torch").arrays
    monkeypatch.setattr(arrays, "resolve_device", lambda device: torch.device("cpu"))
    found = verdicts()
    assert found["resolve_device"]["status"] == "wrong", found["resolve_device"]
    assert 'resolve_device("gpu") gives the CPU\'s device' in found["resolve_device"]["detail"]
    assert first_suspect(found)["function"] == "resolve_device"


def test_a_boundary_that_ignores_the_dtype_is_named_not_what_it_feeds(monkeypatch):
    """from_numpy that keeps NumPy's float64 in a float32 run: the round trip cast it back, so the arrays passed
    and an activation or L_model_grads was blamed."""
    import torch

    arrays = framework("torch").arrays
    monkeypatch.setattr(
        arrays,
        "from_numpy",
        lambda a, dtype, device: {k: torch.tensor(v) for k, v in a.items()} if isinstance(a, dict) else torch.tensor(a),
    )
    first = first_suspect(verdicts("float32"))
    assert (first["function"], first["status"]) == ("from_numpy", "wrong"), first
    assert "float32 makes torch.float64 arrays" in first["detail"]


def test_a_boundary_that_takes_any_dtype_is_named(monkeypatch):
    """from_numpy that looks the dtype up with getattr(torch, dtype) and drops the check: float16 is accepted
    without a word, and an unknown name is an AttributeError (porting_bugs_6, 06, passed); the four built-in ports
    refuse both with a ValueError that names the dtype."""
    import numpy as np
    import torch

    arrays = framework("torch").arrays

    def any_dtype(a, dtype, device):
        if isinstance(a, dict):
            return {k: any_dtype(v, dtype, device) for k, v in a.items()}
        return torch.tensor(np.asarray(a), dtype=getattr(torch, dtype))

    monkeypatch.setattr(arrays, "from_numpy", any_dtype)
    first = first_suspect(verdicts("float64"))
    assert (first["function"], first["status"]) == ("from_numpy", "wrong"), first
    assert "accepts float16" in first["detail"]


def test_a_boundary_that_returns_float32_in_a_float64_run_is_to_numpy(monkeypatch):
    arrays = framework("torch").arrays
    real = arrays.to_numpy

    def single(x):
        back = real(x)
        if isinstance(back, dict):
            return {k: v.astype("float32") for k, v in back.items()}
        return back if isinstance(back, float) else back.astype("float32")

    monkeypatch.setattr(arrays, "to_numpy", single)
    first = first_suspect(verdicts("float64"))
    assert first["function"] == "to_numpy" and "gives float32" in first["detail"], first


def test_an_activation_that_changes_its_argument_in_place_is_named(torch_deep, monkeypatch):
    """relu as Z.clamp_(min=0): right values, but the cache's Z (the same tensor) becomes A. linear_activation_forward
    was blamed; the function that changed it is relu."""
    monkeypatch.setitem(torch_deep.ACTIVATIONS, "relu", lambda Z: Z.clamp_(min=0))
    first = first_suspect(verdicts())
    assert first["function"] == "relu" and "in place" in first["detail"], first


def test_a_raise_under_compilation_names_the_function_that_raised(monkeypatch, request):
    """A cost that reads a Python float off its input: fine eagerly, a ConcretizationTypeError under jax.jit. It was
    blamed on the training loop, with the last line of JAX's message (a link) as the reason."""
    deep = framework("jax").deep
    source = open(deep.__file__).read()
    # the bug written into the port's own file, where a traceback finds it (as localise.py puts a mutant in place)
    buggy = source.replace(
        "    m = Y.shape[1]\n    losses = -(Y", "    m = Y.shape[1] + 0 * float(jnp.sum(Y))\n    losses = -(Y", 1
    )
    assert buggy != source
    exec(compile(buggy, deep.__file__, "exec"), deep.__dict__)
    request.addfinalizer(lambda: exec(compile(source, deep.__file__, "exec"), deep.__dict__))
    found = {v["function"]: v for v in functions.check_functions("jax", "compiled", "float64", "cpu")}
    assert found["L_layer_model"]["status"] == "raised" and found["L_layer_model"]["via"] == (
        "compute_cost_from_logits",
    )
    first = first_suspect(found)
    assert (first["function"], first["status"]) == ("compute_cost_from_logits", "raised"), first
    assert "http" not in first["detail"] and "called from L_layer_model" in first["detail"], first["detail"]


def test_a_raise_in_the_boundary_or_an_activation_is_theirs():
    assert functions.course_function("/x/impl_torch/arrays.py", "from_numpy") == "from_numpy"
    assert functions.course_function("/x/impl_torch/logistic.py", "propagate") == "logistic.propagate"
    assert functions.course_function("/x/impl_torch/deep.py", "make_train_step") == "train_step"
    deep = framework("jax").deep
    source = open(deep.__file__).read().splitlines()
    line = next(i for i, text in enumerate(source, start=1) if '"tanh":' in text)
    assert functions.course_function(deep.__file__, "<lambda>", line) == "tanh"


def test_predictions_are_compared_as_labels(monkeypatch):
    """A flipped label is "3 of 37 labels differ", never a relative error that reads like rounding."""
    import impl_torch.logistic

    real = impl_torch.logistic.predict

    def flips_the_first(w, b, X):
        out = real(w, b, X).clone()
        out[0, 0] = 1 - out[0, 0]
        return out

    monkeypatch.setattr(impl_torch.logistic, "predict", flips_the_first)
    found = verdicts()["logistic.predict"]
    assert found["status"] == "wrong" and "1 of 32 labels differ (first at column 0: " in found["detail"], found


def test_a_failure_only_the_matrix_sees_is_replayed_to_its_function(torch_deep, monkeypatch):
    """linear_forward that drops b when m = 1: every function check (m = 32, 37) passes; the matrix's one-sample
    case fails, and its replay, function by function on that case, names linear_forward."""
    from conformance.check import planner, regimes

    real = torch_deep.linear_forward
    monkeypatch.setattr(torch_deep, "linear_forward", lambda A, W, b: W @ A if A.shape[1] == 1 else real(A, W, b))
    assert suspects.suspects(list(verdicts().values())) == []  # the function checks alone see nothing
    case = next(c for c in regimes.cases(quick=True) if c.m == 1 and c.spec.kind == "deep")
    rows = planner._rows([case], [("torch", "eager", "float64", "cpu")], (1,), pairwise=False)
    replayed = [r for r in rows if r.get("function_check")]
    assert replayed and all(r["case"] == case.label for r in replayed)
    found = suspects.suspects(replayed)
    assert found[0]["function"] == "linear_forward" and case.label in found[0]["where"][0], found


def test_every_failing_run_names_a_suspect():
    """No function check failed, the matrix did: the function that computes the failing part is named; a raise,
    the innermost course function of the port's traceback."""
    import pandas as pd

    from conformance.check.judge import COLUMNS

    row = dict(
        model="deep[3,4,1]/relu pairs",
        backend="port",
        mode="eager",
        dtype="float64",
        device="cpu",
        quantity="dW1",
        group="grads",
        against="numpy/float64",
        max_abs_err=1.0,
        max_rel_err=0.5,
        tolerance=1e-12,
        margin=2e-12,
        in_dtype=True,
        passed=False,
        f32_drift=np.nan,
        tf32_drift=np.nan,
    )
    found = suspects.of_run([], pd.DataFrame([row], columns=COLUMNS))
    assert [s["function"] for s in found] == ["L_model_grads"] and "dW1" in found[0]["detail"]
    raised = dict(
        model="logistic[8,1]",
        backend="port",
        mode="compiled",
        dtype="float32",
        device="cpu",
        section="train",
        status="raised",
        detail="TypeError: ...",
        frames=[("/x/quartet_port/logistic.py", "optimize", 3), ("/x/quartet_port/deep.py", "_loss", 9)],
    )
    found = suspects.of_run([], None, [raised])
    assert [s["function"] for s in found] == ["compute_cost_from_logits"], found


def test_a_boundary_that_shares_memory_with_the_caller_is_named(monkeypatch):
    """torch.as_tensor for torch.tensor: no copy of a float64 array, so the caller's later changes reach the port."""
    import torch

    arrays = framework("torch").arrays
    monkeypatch.setattr(
        arrays,
        "from_numpy",
        lambda a, dtype, device: (
            {k: torch.as_tensor(v) for k, v in a.items()} if isinstance(a, dict) else torch.as_tensor(a)
        ),
    )
    first = first_suspect(verdicts("float64"))
    assert first["function"] == "from_numpy" and "shares memory" in first["detail"], first


def test_gradients_that_accumulate_between_calls_are_named(torch_deep, monkeypatch):
    """autograd_leaves without detach(): backward() adds into the caller's tensors' .grad, so the second call on
    the same arrays returns twice the gradient. The first call is right, so one call never showed it."""
    monkeypatch.setattr(
        torch_deep, "autograd_leaves", lambda parameters: {k: P.requires_grad_(True) for k, P in parameters.items()}
    )
    first = first_suspect(verdicts())
    assert first["function"] == "L_model_grads" and "called again on the same arrays" in first["detail"], first


def test_a_raise_inside_a_function_that_passes_on_its_own_is_the_callers():
    """optimize passes train_step a float32 learning rate in a float64 run: train_step raises, eagerly and compiled,
    but on its own it is green, so the caller is the one to look at; a raise only under compilation, inside a
    function that raises compiled on its own too, stays the inner function's (the test above)."""

    def row(function, mode, status, via=()):
        return {
            "function": function,
            "status": status,
            "detail": "InvalidArgumentError: cannot compute AddV2",
            "backend": "tf",
            "mode": mode,
            "dtype": "float64",
            "device": "cpu",
            "via": via,
            "max_rel_err": 0.0,
            "tolerance": 0.0,
        }

    rows = [
        row("logistic.train_step", "eager", "green"),
        row("logistic.optimize", "eager", "raised", ("logistic.train_step",)),
        row("logistic.optimize", "compiled", "raised", ("logistic.train_step",)),
    ]
    found = suspects.suspects(rows)
    assert [s["function"] for s in found] == ["logistic.optimize"], found
    assert "inside logistic.train_step, which passes on its own" in found[0]["detail"]


def test_a_step_compiled_too_strictly_is_the_steps_not_the_gradients(torch_deep, monkeypatch):
    """torch.compile(step, fullgraph=True): Dynamo cannot trace backward() without a graph break, so the compiled step
    raises inside L_model_grads. That was named first (porting_bugs_5, 02), no check having compiled L_model_grads; it
    is now compiled on its own, runs (with its graph break), and the training function is named."""
    import torch

    def strict(hidden_activation="relu", mode="eager"):
        def step(parameters, X, Y, learning_rate):
            return torch_deep.train_step(parameters, X, Y, learning_rate, hidden_activation)

        return step if mode == "eager" else torch.compile(step, dynamic=False, fullgraph=True)

    monkeypatch.setattr(torch_deep, "make_train_step", strict)
    rows = functions.check_functions("torch", "compiled", "float32", "cpu", ("L_layer_model",))
    found = {v["function"]: v for v in rows}
    assert found["L_layer_model"]["status"] == "raised" and found["L_layer_model"]["via"] == ("L_model_grads",)
    assert found["L_model_grads"]["status"] == "green", found["L_model_grads"]
    first = first_suspect(found)
    assert first["function"] == "L_layer_model" and "passes compiled on its own" in first["detail"], first


def test_a_replay_of_a_saturated_case_does_not_blame_the_courses_cost():
    """Replayed on a saturated case (a failure there replays it function by function), a correct compute_cost is
    log(0) where AL rounds to 0 or 1, as the course's formula is by design: it is not judged there, and a NaN
    elsewhere reads as a NaN, not as another precision."""
    from conformance.check import regimes

    case = regimes.saturated(ModelSpec("deep", (3, 4, 1), "relu"), m=8)
    found = {v["function"]: v for v in functions.replay("torch", "eager", "float32", "cpu", case)}
    assert found["compute_cost"]["status"] == "green", found["compute_cost"]
    assert found["compute_cost_from_logits"]["status"] == "green", found["compute_cost_from_logits"]


def test_a_forward_that_raises_is_named_before_the_activations_read_through_it(torch_deep, monkeypatch):
    """L_model_forward raising (its layer count halved) shows in every activation's derivative too, read through
    L_model_grads and so through it: those follow from L_model_forward, which is named first, not the other way
    round because an activation is among the functions L_model_forward calls."""
    real = torch_deep.L_model_forward

    def halved(X, parameters, hidden_activation="relu"):
        return real(X, {k: v for k, v in parameters.items() if int(k[1:]) <= len(parameters) // 4}, hidden_activation)

    monkeypatch.setattr(torch_deep, "L_model_forward", halved)
    found = suspects.suspects(list(verdicts().values()))
    assert found[0]["function"] == "L_model_forward" and not found[0]["follows_from"], found[:2]


def test_a_predict_whose_numbers_are_coarser_than_its_dtype_fails(torch_deep, monkeypatch):
    """Weights rounded to bfloat16 inside predict (mixed precision for inference): the logits move by a few
    thousandths of their terms, which flips no label of a random case, and some of the thousands that sit
    that close to the boundary when b[L] is the median logit. float32's own rounding flips none there."""
    import torch

    real = torch_deep.predict

    def coarse(X, parameters, hidden_activation="relu"):
        return real(X, {k: v.to(torch.bfloat16).to(v.dtype) for k, v in parameters.items()}, hidden_activation)

    assert verdicts("float32")["predict"]["status"] == "green"
    monkeypatch.setattr(torch_deep, "predict", coarse)
    found = verdicts("float32")["predict"]
    assert found["status"] == "wrong" and "the median logit" in found["detail"] and "labels differ" in found["detail"]


def test_a_forward_that_autodiff_cannot_see_through_is_named_not_the_gradients(torch_deep, monkeypatch):
    """linear_forward's product taken in NumPy and brought back as a new tensor: every value is right, and no
    gradient reaches W or b through it. L_model_grads is what fails; run again with linear_forward rebuilt from
    the framework's own operators it is right, so linear_forward is the function to look at first."""
    import torch

    def through_numpy(A_prev, W, b):
        Z = W.detach().numpy() @ A_prev.detach().numpy() + b.detach().numpy()
        return torch.from_numpy(Z).requires_grad_()  # a leaf of its own: the graph to W and b is cut

    monkeypatch.setattr(torch_deep, "linear_forward", through_numpy)
    rows = functions.check_functions("torch", "eager", "float64", "cpu")
    found = {v["function"]: v for v in rows}["linear_forward"]
    assert found["status"] == "wrong" and "gradients do not flow through it" in found["detail"], found
    assert suspects.suspects(rows)[0]["function"] == "linear_forward"


def test_a_model_that_invents_a_test_accuracy_without_a_test_set_fails(monkeypatch):
    """The course's model takes X_test = Y_test = None and then has no test predictions and no test accuracy: a
    port that reports 0.0 there (a number where the course has none) is wrong."""
    import impl_torch.logistic

    real = impl_torch.logistic.model

    def zero_for_none(X_train, Y_train, X_test, Y_test, *args, **kwargs):
        out = real(X_train, Y_train, X_test, Y_test, *args, **kwargs)
        return {**out, "test_accuracy": 0.0} if X_test is None else out

    assert verdicts()["logistic.model"]["status"] == "green"
    monkeypatch.setattr(impl_torch.logistic, "model", zero_for_none)
    found = verdicts()["logistic.model"]
    assert found["status"] == "wrong" and "without a test set" in found["detail"], found


def test_an_accuracy_over_the_other_sets_m_fails(monkeypatch):
    """The test accuracy counted right but divided by the training set's m: invisible while both sets have the
    same m, so model is also given a test set of another size, and each accuracy must be its own predictions'
    count over its own m."""
    import impl_torch.logistic

    real = impl_torch.logistic.model

    def over_train_m(X_train, Y_train, X_test, Y_test, *args, **kwargs):
        out = real(X_train, Y_train, X_test, Y_test, *args, **kwargs)
        if X_test is None:
            return out
        return {**out, "test_accuracy": out["test_accuracy"] * Y_test.shape[1] / Y_train.shape[1]}

    monkeypatch.setattr(impl_torch.logistic, "model", over_train_m)
    found = verdicts()["logistic.model"]
    assert found["status"] == "wrong" and "the test set 17" in found["detail"], found


def test_a_raise_only_tf_function_sees_is_named_by_the_frame_its_message_quotes(tmp_path):
    """b held in a tf.Variable made on every call of propagate (porting_bugs_4's bug 17, written here as
    it was there): fine eagerly; under tf.function it raises from optimize's line, quoting the traced code's
    frames in its message ("in user code:"). The frame there, propagate's, names the function, and the detail
    is the error, not "in user code:". AutoGraph reads the source file, so the bug goes into a copy of impl_tf
    that a `quartet check` of its own imports first."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if not framework_status("tf")[0]:
        pytest.skip(framework_status("tf")[1])
    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "impl_tf", tmp_path / "impl_tf", ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "impl_tf" / "logistic.py"
    source = path.read_text()
    buggy = source.replace("    b = tf.convert_to_tensor(b, dtype=X.dtype)", "    b = tf.Variable(b, dtype=X.dtype)", 1)
    assert buggy != source
    path.write_text(buggy)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{root}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    argv = ["check", "--backends", "numpy,tf", "--modes", "eager,function", "--dtypes", "float64"]
    argv += ["--function", "logistic.propagate,logistic.optimize", "--out", str(tmp_path / "out")]
    run = [sys.executable, "-m", "conformance", *argv]
    done = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True)  # cwd: first on the path
    assert done.returncode == 3, done.stdout + done.stderr
    (found,) = (tmp_path / "out").glob("check-*/suspects.json")
    first = json.loads(found.read_text())[0]
    assert first["function"] == "logistic.propagate" and "in propagate (logistic.py:" in first["detail"], first
    assert "user code" not in first["detail"] and "ValueError: ValueError" not in first["detail"], first["detail"]


def test_a_sigmoid_that_loses_its_tiny_values_is_named(torch_deep, monkeypatch):
    """sigmoid(z) as (1 + tanh(z / 2)) / 2, an identity true in algebra: tanh(-25) rounds to -1, so sigmoid(-50)
    is 0 where the reference has 2e-22. Beside values near 1 a normwise comparison cannot see it: each z of the
    grid is judged against its own size."""
    import torch

    def through_tanh(Z):
        return (1 + torch.tanh(Z / 2)) / 2

    monkeypatch.setitem(torch_deep.ACTIVATIONS, "sigmoid", through_tanh)
    found = verdicts()["sigmoid"]
    assert found["status"] == "wrong" and "value at z = -" in found["detail"], found


def test_a_cost_over_the_first_batch_only_fails_on_many_samples(torch_deep, monkeypatch):
    """The cost of the first 256 samples (a batch kept from a data loader): the same number for every m the
    function cases had, wrong on the 4001 samples compute_cost is also judged on."""
    real = torch_deep.compute_cost

    def first_batch(AL, Y):
        return real(AL[:, :256], Y[:, :256])

    assert verdicts()["compute_cost"]["status"] == "green"
    monkeypatch.setattr(torch_deep, "compute_cost", first_batch)
    found = verdicts()["compute_cost"]
    assert found["status"] == "wrong" and "m = 4001" in found["detail"], found


def test_full_batch_training_on_a_subsample_fails_on_many_samples(torch_deep, monkeypatch):
    """L_layer_model trained on at most 256 columns (a cap for speed): right while m <= 256, wrong on the 300
    samples it is also trained on eagerly."""
    real = torch_deep.L_layer_model

    def capped(X, Y, *args, **kwargs):
        return real(X[:, :256], Y[:, :256], *args, **kwargs)

    assert verdicts()["L_layer_model"]["status"] == "green"
    monkeypatch.setattr(torch_deep, "L_layer_model", capped)
    found = verdicts()["L_layer_model"]
    assert found["status"] == "wrong" and "m = 300" in found["detail"], found


def test_a_forward_that_accepts_an_activation_the_course_lacks_fails(torch_deep, monkeypatch):
    """An unknown hidden activation falling back to ReLU (ACTIVATIONS.get(name, relu)): every case the course
    has is right, and a typo trains the wrong network silently. The reference raises ValueError naming it."""
    real = torch_deep.L_model_forward

    def fallback(X, parameters, hidden_activation="relu"):
        return real(X, parameters, hidden_activation if hidden_activation in torch_deep.ACTIVATIONS else "relu")

    assert verdicts()["L_model_forward"]["status"] == "green"
    monkeypatch.setattr(torch_deep, "L_model_forward", fallback)
    found = verdicts()["L_model_forward"]
    assert found["status"] == "wrong" and "'softmax'" in found["detail"] and "was accepted" in found["detail"], found


def test_the_linear_cache_holds_the_layers_inputs(torch_deep, monkeypatch):
    """A cache holding the layer's output A where the course keeps its input A_prev: every value right, so only
    L_model_forward's caches showed it (porting_bugs_6, 09, named L_model_forward); the cache is now read where
    it is made."""
    real = torch_deep.linear_activation_forward

    def output_cached(A_prev, W, b, activation):
        A, ((_, W_, b_), Z) = real(A_prev, W, b, activation)
        return A, ((A, W_, b_), Z)

    monkeypatch.setattr(torch_deep, "linear_activation_forward", output_cached)
    first = first_suspect(verdicts())
    assert first["function"] == "linear_activation_forward" and "A_prev of shape" in first["detail"], first


def test_a_model_given_test_inputs_without_labels_returns_no_test_accuracy(monkeypatch):
    """The course's model tests both halves of its test set: with X_test and no Y_test it returns None for the test
    prediction and accuracy. A guard on X_test alone reads Y_test's shape and raises (porting_bugs_6, 11, passed)."""
    logistic = framework("torch").logistic
    real = logistic.model

    def half_guarded(X_train, Y_train, X_test, Y_test, *args, **kwargs):
        if X_test is not None and Y_test is None:
            Y_test.shape  # noqa: B018  the port's accuracy reads it
        return real(X_train, Y_train, X_test, Y_test, *args, **kwargs)

    monkeypatch.setattr(logistic, "model", half_guarded)
    found = verdicts()
    assert found["logistic.model"]["status"] == "wrong", found["logistic.model"]
    assert "with test inputs but no labels: raised AttributeError" in found["logistic.model"]["detail"]
    assert first_suspect(found)["function"] == "logistic.model"


def test_a_model_result_without_the_keys_of_the_course_is_wrong(monkeypatch):
    """The course's d keeps every key, None where there is no test set, so a caller reads d["test_accuracy"] either
    way; a port that sets the test keys only when a test set is given fails model, naming the keys it lacks."""
    logistic = framework("torch").logistic
    real = logistic.model

    def keys_when_present(X_train, Y_train, X_test, Y_test, *args, **kwargs):
        d = real(X_train, Y_train, X_test, Y_test, *args, **kwargs)
        return {k: v for k, v in d.items() if v is not None}

    monkeypatch.setattr(logistic, "model", keys_when_present)
    found = verdicts()
    assert found["logistic.model"]["status"] == "wrong", found["logistic.model"]
    assert (
        "without a test set (None, None): the result lacks Y_prediction_test, test_accuracy"
        in (found["logistic.model"]["detail"])
    )
    assert first_suspect(found)["function"] == "logistic.model"


def test_training_for_no_iterations_gives_back_the_parameters(monkeypatch):
    """num_iterations = 0, which the course's API allows: a loop whose bookkeeping reads what only an iteration
    sets raises (porting_bugs_6, 21, passed); the reference returns the parameters it was given and no cost."""
    logistic = framework("torch").logistic
    real = logistic.optimize

    def needs_an_iteration(w, b, X, Y, num_iterations, *args, **kwargs):
        if num_iterations == 0:
            raise UnboundLocalError("cannot access local variable 'grads' where it is not associated with a value")
        return real(w, b, X, Y, num_iterations, *args, **kwargs)

    monkeypatch.setattr(logistic, "optimize", needs_an_iteration)
    found = {
        v["function"]: v for v in functions.check_functions("torch", "eager", "float64", "cpu", ("logistic.optimize",))
    }
    assert found["logistic.optimize"]["status"] == "wrong", found
    assert "num_iterations = 0: raised UnboundLocalError" in found["logistic.optimize"]["detail"]


def test_model_repeats_the_hyperparameters_it_was_given(monkeypatch):
    """The course's model returns its learning_rate and num_iterations in d; two adjacent fields swapped passed
    (porting_bugs_6, 24): the weights, costs and accuracies were right."""
    logistic = framework("torch").logistic
    real = logistic.model

    def swapped(*args, **kwargs):
        out = real(*args, **kwargs)
        return {**out, "learning_rate": out["num_iterations"], "num_iterations": out["learning_rate"]}

    monkeypatch.setattr(logistic, "model", swapped)
    found = {
        v["function"]: v for v in functions.check_functions("torch", "eager", "float64", "cpu", ("logistic.model",))
    }
    assert found["logistic.model"]["status"] == "wrong" and "where it was given" in found["logistic.model"]["detail"]


def test_a_step_whose_output_the_next_step_takes_wrongly_is_named(torch_deep, monkeypatch):
    """A train_step with momentum carried on the parameters it returns (a habit from torch.optim.SGD): from fresh
    weights it is plain gradient descent, so one call is right; fed its own output, as every training loop feeds
    it, it steps with the velocity too. train_step is named, not the training loop that calls it twice."""

    def with_momentum(parameters, X, Y, learning_rate, hidden_activation="relu"):
        grads, cost = torch_deep.L_model_grads(parameters, X, Y, hidden_activation)
        new = {}
        for key, P in parameters.items():
            velocity = grads[f"d{key}"] + 0.9 * getattr(P, "velocity", 0.0)
            new[key] = P - learning_rate * velocity
            new[key].velocity = velocity
        return new, cost

    monkeypatch.setattr(torch_deep, "train_step", with_momentum)
    found = verdicts()
    first = first_suspect(found)
    assert first["function"] == "train_step" and "a second step from its own output" in first["detail"], first
