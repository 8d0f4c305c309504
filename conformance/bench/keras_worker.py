"""The Keras worker, `python -m conformance.bench.keras_worker BACKEND` (keras.py starts it): Keras bound to one
backend at import, a row prepared when asked (train_on_batch, or fit's whole loop with steps_per_execution)
and timed one round at a time, the answers on stdout."""

import json
import os
import sys
import time

import numpy as np

from ..check import peers
from ..core.spec import ModelSpec
from .keras import FIT_LOOP
from .peer_rows import params_of, peer_threads, prepare_peer
from .workloads import Problem, Workload


def _keras_runner(prob: Problem, dtype: str):
    """A Sequential of Dense layers compiled with SGD and BinaryCrossentropy(from_logits=True), built as
    peers.py builds it; one step = one train_on_batch, which returns the loss of its forward pass."""
    import keras

    spec = prob.workload.spec
    model = _compiled(prob, dtype)
    x = keras.ops.convert_to_tensor(prob.X.T, dtype=dtype)  # (m, n_x): in the backend's tensors, as ours are
    y = keras.ops.convert_to_tensor(prob.Y.T, dtype=dtype)  # (m, 1)
    state = {}

    def step():
        state["loss"] = model.train_on_batch(x, y)  # a Python float: the step has finished
        return state["loss"]

    def read():
        weights = model.get_weights()  # [kernel1, bias1, ...]
        return state["loss"], params_of(spec, [(k.T, b) for k, b in zip(weights[::2], weights[1::2], strict=True)])

    return step, lambda _: None, read


def _compiled(prob: Problem, dtype: str, **options):
    """peers.py's Sequential of the workload, compiled with plain SGD at its learning rate and the cross-entropy
    from the logits, in `dtype`; `options` go to compile."""
    import keras

    # floatx: Keras keeps the optimizer's learning rate and the loss tracker in floatx, so under the float32
    # default a float64 row's update uses lr rounded to float32 and its reported loss is rounded
    keras.config.set_floatx(dtype)
    model = peers.keras_model(prob.workload.spec, prob.params, dtype)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=prob.workload.learning_rate, momentum=0.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype),
        **options,
    )
    return model


KERAS_LOOP = 20  # steps in one fit() call, the Keras row that compares with our whole compiled loops


def _keras_loop_runner(prob: Problem, dtype: str):
    """Keras's own whole loop, like with like for our compiled loops: fit() over KERAS_LOOP copies of the
    batch in one execution (steps_per_execution, jit_compile where the backend compiles; on PyTorch, which
    allows one step per execution, one fit call), plain SGD. The
    check is on the weights after those steps; fit reports only the epoch's mean loss, so the first
    cost is the reference's own (the update check carries the row)."""
    import keras

    spec = prob.workload.spec
    steps = 1 if keras.backend.backend() == "torch" else KERAS_LOOP  # Keras on PyTorch: one step per execution
    model = _compiled(prob, dtype, steps_per_execution=steps, jit_compile="auto")
    x = np.tile(prob.X.T.astype(dtype), (KERAS_LOOP, 1))  # (KERAS_LOOP m, n_x): the batch, once per step
    y = np.tile(prob.Y.T.astype(dtype), (KERAS_LOOP, 1))
    start = model.get_weights()

    def step():
        model.set_weights(start)  # every call from the same weights: the timed program is the checked one
        model.fit(x, y, batch_size=prob.workload.m, epochs=1, shuffle=False, verbose=0)
        return None

    def read():
        weights = model.get_weights()
        layers = [(k.T, b) for k, b in zip(weights[::2], weights[1::2], strict=True)]
        return float(prob.cost0), params_of(spec, layers)

    return step, lambda _: None, read


def serve(backend: str) -> None:
    """In the worker: requests on stdin, one JSON reply per line on the stdout it was started with (whatever
    Keras or a framework prints goes to stderr). prepare: a row built and its first step checked; round: one
    round timed; finish: the row with its timing so far; close: the row dropped."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    start = time.perf_counter()
    import keras

    import_s = time.perf_counter() - start
    assert keras.backend.backend() == backend, f"KERAS_BACKEND={backend} but keras runs {keras.backend.backend()}"
    from keras.src.backend.common.dtypes import BIT64_TO_BIT32_DTYPE

    BIT64_TO_BIT32_DTYPE["float64"] = "float64"  # real float64 on jax and torch: see peers._keras_child
    threads = int(os.environ.get("QUARTET_PEER_THREADS", "1"))
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)  # before TF starts its pools
        tf.config.threading.set_inter_op_parallelism_threads(1)
    rows, dtypes = {}, {}
    with peer_threads(threads, torch=backend == "torch"):
        for line in sys.stdin:
            ask = json.loads(line)
            try:
                reply = _answer(ask, rows, dtypes, f"keras/{backend}", import_s)
            except Exception as err:  # one broken row must not lose the others
                reply = {"error": f"{type(err).__name__}: {err}"[:200]}
            replies.write(json.dumps(reply) + "\n")


def _answer(ask: dict, rows: dict, dtypes: dict, peer: str, import_s: float) -> dict:
    import keras

    key = ask["key"]
    if ask["op"] == "prepare":
        if not rows:
            keras.backend.clear_session()  # the previous rows' models and graphs, none alive now
        w = ask["workload"]
        workload = Workload(**(w | {"spec": ModelSpec(**w["spec"])}))
        loop, dtypes[key] = ask["loop"], ask["dtype"]
        keras.config.set_floatx(ask["dtype"])
        runner = _keras_loop_runner if loop else _keras_runner
        prepared = prepare_peer(peer, workload, ask["dtype"], runner, per_call=KERAS_LOOP if loop else 1)
        prepared.row.import_s = import_s
        if loop:
            prepared.row.mode = FIT_LOOP
        if prepared.step is not None:
            rows[key] = prepared
        return {"row": prepared.row.as_dict(), "ready": prepared.step is not None}
    keras.config.set_floatx(dtypes[key])  # the row's own: another row may have set it since
    if ask["op"] == "round":
        prepared = rows[key]
        prepared.time_round(ask["min_time"], ask["min_repeats"], warm_up=ask["warm_up"])
        return {"round_s": prepared.rounds[-1]}
    if ask["op"] == "close":
        rows.pop(key, None)
        return {}
    # finish may be asked again after more rounds: the row stays until closed
    return {"row": rows[key].finish().as_dict()}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m conformance.bench.keras_worker BACKEND (a worker: requests on stdin)")
    serve(sys.argv[1])
