"""Peers: the same model written the way a framework's own users write it, by code nobody here wrote:
an idiomatic torch.nn.Sequential with BCEWithLogitsLoss, and a Keras 3 Sequential of Dense layers with
BinaryCrossentropy(from_logits=True) on each Keras backend. Loaded with our weights, they must give our
cost and gradients, returned in our naming and shapes ({"dW1": (n[1], n[0]), "db1": (n[1], 1), ...}).

Keras binds its backend when it is imported (KERAS_BACKEND), so each Keras backend runs in a child
process, `python -m conformance.check.peers keras BACKEND DIR`, with inputs and outputs in .npz files."""

import dataclasses
import functools
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from reference_numpy.activations import LEAKY_RELU_SLOPE

from .. import ROOT
from ..core.backends import BackendUnavailable, validate_inputs
from ..core.registry import KERAS_BACKENDS  # Keras's backend names, each the module it needs
from ..core.spec import ModelSpec

Grads = dict[str, np.ndarray]


class Problem(NamedTuple):
    spec: ModelSpec
    params: dict[str, np.ndarray]  # ours, float64
    X: np.ndarray  # (n_x, m)
    Y: np.ndarray  # (1, m)
    dtype: str = "float64"
    keras_x64: bool = True  # False: Keras as shipped, which rounds float64 through float32 on jax and torch


def _layers(spec: ModelSpec, params: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """Our params as [(W (n[l], n[l-1]), b (n[l],)), ...]; logistic regression is the one-layer net W1 = w^T."""
    if spec.kind == "logistic":
        return [(params["w"].T, params["b"][:, 0])]
    return [(params[f"W{l}"], params[f"b{l}"][:, 0]) for l in range(1, spec.L + 1)]


def _ours(spec: ModelSpec, layer_grads: list[tuple[np.ndarray, np.ndarray]]) -> Grads:
    """[(dW (n[l], n[l-1]), db (n[l],)), ...] back to {"dW1", "db1" (n[l], 1), ...} or {"dw" (n_x, 1), "db" (1, 1)}."""
    if spec.kind == "logistic":
        ((dW, db),) = layer_grads
        return {"dw": dW.T.copy(), "db": db.reshape(1, 1)}
    grads = {}
    for l, (dW, db) in enumerate(layer_grads, start=1):
        grads[f"dW{l}"], grads[f"db{l}"] = dW, db.reshape(-1, 1)
    return grads


# --- torch.nn ------------------------------------------------------------------------------------


def torch_nn_model(spec: ModelSpec, params: dict, dtype: str = "float64") -> tuple:
    """(nn.Sequential(Linear, act, ..., Linear), its Linear layers) holding our weights: each Linear's weight
    (out, in) is our W[l], its bias our b[l] flattened. The check's cost and gradients and the benchmark's
    torch.nn row both build it here."""
    import torch
    from torch import nn

    activation = {
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "leaky_relu": functools.partial(nn.LeakyReLU, LEAKY_RELU_SLOPE),
    }[spec.hidden_activation]
    torch_dtype = getattr(torch, dtype)
    linears = []
    for W, b in _layers(spec, params):
        linears.append(nn.Linear(W.shape[1], W.shape[0], dtype=torch_dtype))  # weight (out, in) is our W[l]
        with torch.no_grad():
            linears[-1].weight.copy_(torch.from_numpy(W))
            linears[-1].bias.copy_(torch.from_numpy(b))
    model = nn.Sequential(*[module for lin in linears[:-1] for module in (lin, activation())], linears[-1])
    return model, linears


def torch_nn_cost_and_grads(
    spec: ModelSpec, params: dict, X: np.ndarray, Y: np.ndarray, dtype: str = "float64"
) -> tuple[float, Grads]:
    """Cost and gradients from nn.Sequential(Linear, act, ..., Linear) + BCEWithLogitsLoss, samples as rows."""
    import torch
    from torch import nn

    validate_inputs(spec, params, X, Y)
    model, linears = torch_nn_model(spec, params, dtype)
    torch_dtype = getattr(torch, dtype)
    logits = model(torch.tensor(X.T, dtype=torch_dtype))  # (m, 1): samples as rows, one logit each
    loss = nn.BCEWithLogitsLoss()(logits, torch.tensor(Y.T, dtype=torch_dtype))  # mean over the m samples
    loss.backward()
    return loss.item(), _ours(spec, [(lin.weight.grad.numpy(), lin.bias.grad.numpy()) for lin in linears])


# --- Keras 3, one child process per backend ------------------------------------------------------


def keras_backends_available() -> dict[str, tuple[bool, str]]:
    """{backend: (ok, reason)}, found without importing anything heavy into this process."""
    if importlib.util.find_spec("keras") is None:
        return {name: (False, "keras not installed") for name in KERAS_BACKENDS}
    version = importlib.metadata.version("keras")
    if not version.startswith("3."):
        return {name: (False, f"keras {version} is not Keras 3") for name in KERAS_BACKENDS}
    return {
        name: (True, "") if importlib.util.find_spec(name) else (False, f"{name} not installed")
        for name in KERAS_BACKENDS
    }


def keras_cost_and_grads(
    spec: ModelSpec, params: dict, X: np.ndarray, Y: np.ndarray, keras_backend: str, dtype: str = "float64"
) -> tuple[float, Grads]:
    """Cost and gradients from a Keras Sequential of Dense layers on one Keras backend (one child process)."""
    cost, grads, _ = keras_solve([Problem(spec, params, X, Y, dtype)], [keras_backend])[keras_backend][0]
    return cost, grads


def keras_solve(
    problems: list[Problem], keras_backends: list[str], timeout: float = 240.0
) -> dict[str, list[tuple[float, Grads, list[str]]]]:
    """Every problem on each Keras backend: {backend: [(cost, grads, dtypes the child computed in), ...]}.
    One child per backend, all started at once (each spends seconds importing its framework)."""
    available = keras_backends_available()
    for name in keras_backends:
        if name not in KERAS_BACKENDS:
            raise ValueError(f"unknown keras backend {name!r}; choose one of {tuple(KERAS_BACKENDS)}")
        if not available[name][0]:
            raise BackendUnavailable(f"keras backend {name}: {available[name][1]}")
    meta, arrays = [], {}
    for i, (spec, params, X, Y, dtype, keras_x64) in enumerate(problems):
        validate_inputs(spec, params, X, Y)
        meta.append(dataclasses.asdict(spec) | {"dtype": dtype, "keras_x64": keras_x64})
        arrays |= {f"{i}/X": X, f"{i}/Y": Y} | {f"{i}/{k}": v for k, v in params.items()}
    with tempfile.TemporaryDirectory(prefix="quartet-peers-") as tmp:
        np.savez(Path(tmp, "in.npz"), problems=json.dumps(meta), **arrays)
        # JAX silently computes float64 in float32 unless x64 is on before it starts
        env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2", "JAX_ENABLE_X64": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        argv = [sys.executable, "-m", "conformance.check.peers", "keras"]
        run_children(
            {name: ([*argv, name, tmp], env | {"KERAS_BACKEND": name}) for name in keras_backends}, Path(tmp), timeout
        )
        results = {}
        for name in keras_backends:
            with np.load(Path(tmp, f"out-{name}.npz")) as out:
                results[name] = [
                    (
                        float(out[f"{i}/cost"]),
                        {f"d{k}": out[f"{i}/d{k}"] for k in p.spec.param_shapes()},
                        str(out[f"{i}/computed_in"]).split(","),
                    )
                    for i, p in enumerate(problems)
                ]
    return results


def run_children(jobs: dict[str, tuple[list[str], dict]], logdir: Path, timeout: float) -> None:
    """Run {name: (argv, env)} at once; RuntimeError with the stderr tail when one fails or outlives `timeout`."""

    def tail(name: str) -> str:
        return (logdir / f"{name}.stderr").read_text(errors="replace")[-3000:]

    procs, deadline = {}, time.monotonic() + timeout
    try:
        for name, (argv, env) in jobs.items():
            with open(logdir / f"{name}.stderr", "w") as stderr:  # a file, not a pipe: a chatty child cannot block
                procs[name] = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
        for name, proc in procs.items():
            try:
                returncode = proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"{name} child gave no answer within {timeout:g} s:\n{tail(name)}") from None
            if returncode != 0:
                raise RuntimeError(f"{name} child failed (exit {returncode}):\n{tail(name)}")
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _keras_child(backend: str, workdir: Path) -> None:
    """In the child: build, load and differentiate each problem's Keras model; write out-BACKEND.npz."""
    import keras

    assert keras.backend.backend() == backend, f"KERAS_BACKEND={backend} but keras runs {keras.backend.backend()}"
    # Keras's type promotion maps float64 to float32 on every backend but TensorFlow (to mirror JAX's
    # x64-off default), so on jax and torch ops.matmul, ops.tanh and ops.mean round float64 through
    # float32 whatever the dtype policy says. Its private table is the one switch; TF's entry is ours.
    from keras.src.backend.common.dtypes import BIT64_TO_BIT32_DTYPE

    shipped = BIT64_TO_BIT32_DTYPE["float64"]
    out = {}
    with np.load(workdir / "in.npz") as f:
        arrays = dict(f)
    for i, meta in enumerate(json.loads(str(arrays["problems"]))):
        dtype = meta.pop("dtype")
        BIT64_TO_BIT32_DTYPE["float64"] = "float64" if meta.pop("keras_x64") else shipped
        spec = ModelSpec(**meta)
        model = keras_model(spec, {k: arrays[f"{i}/{k}"] for k in spec.param_shapes()}, dtype)
        loss_fn = keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype)  # mean over the batch
        x = keras.ops.convert_to_tensor(arrays[f"{i}/X"].T, dtype=dtype)  # (m, n_x)
        y = keras.ops.convert_to_tensor(arrays[f"{i}/Y"].T, dtype=dtype)  # (m, 1)
        loss, grads = _keras_value_and_grads(backend, model, loss_fn, x, y)
        loss, *grads = [keras.ops.convert_to_numpy(t) for t in [loss, *grads]]  # grads: [kernel1, bias1, ...]
        out[f"{i}/computed_in"] = ",".join(str(t.dtype) for t in [loss, *grads])  # what came out
        out[f"{i}/cost"] = loss
        kernels = [g.T for g in grads[::2]]  # (in, out) -> our (n[l], n[l-1])
        out |= {f"{i}/{k}": v for k, v in _ours(spec, list(zip(kernels, grads[1::2], strict=True))).items()}
    np.savez(workdir / f"out-{backend}.npz", **out)


def keras_model(spec: ModelSpec, params: dict[str, np.ndarray], dtype: str):
    """A Keras Sequential of Dense layers holding our weights and producing the logit; samples as rows."""
    import keras

    layers = _layers(spec, params)
    # Keras's own leaky_relu slope is 0.2; the string "leaky_relu" would not be our model
    leaky = functools.partial(keras.activations.leaky_relu, negative_slope=LEAKY_RELU_SLOPE)
    activation = leaky if spec.hidden_activation == "leaky_relu" else spec.hidden_activation
    # dtype on every layer (and on the loss, by the caller): Keras computes in floatx wherever it is not told
    model = keras.Sequential(
        [keras.Input((spec.n_x,), dtype=dtype)]
        + [keras.layers.Dense(W.shape[0], activation=activation, dtype=dtype) for W, _ in layers[:-1]]
        + [keras.layers.Dense(1, dtype=dtype)]  # the logit
    )
    model.set_weights([w for W, b in layers for w in (W.T, b)])  # Dense kernel is (in, out) = W^T
    return model


def _keras_value_and_grads(backend: str, model, loss_fn, x, y):
    """The loss and its gradients w.r.t. model.trainable_weights, by the backend's own autodiff."""
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return loss, tape.gradient(loss, model.trainable_weights)
    if backend == "jax":
        import jax

        def loss_of(trainable, x, y):  # pure: the weights are an argument, not state
            logits, _ = model.stateless_call(trainable, [], x, training=True)  # Dense has no state
            return loss_fn(y, logits)

        return jax.value_and_grad(loss_of)([v.value for v in model.trainable_weights], x, y)
    loss = loss_fn(y, model(x, training=True))
    loss.backward()
    return loss.detach(), [v.value.grad for v in model.trainable_weights]


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "keras":
        sys.exit("usage: python -m conformance.check.peers keras BACKEND DIR")
    _keras_child(sys.argv[2], Path(sys.argv[3]))
