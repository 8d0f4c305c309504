"""Timing of Keras 3, a peer (bench/peers.py): `train_on_batch` on each of its backends, and its own whole
loop (fit with steps_per_execution) beside our compiled loops. Keras binds its backend at import, so each
backend runs in its own child process, `python -m conformance.bench.keras BACKEND DIR`, started with the
thread limits already in its environment and run one at a time, never beside another timing."""

import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np

from .. import ROOT
from ..check import peers
from ..core.spec import ModelSpec
from .machine import limit_threads
from .peer_rows import KERAS, MODES, bench_row, params_of, peer_row, peer_threads
from .workloads import Problem, Workload


def keras_rows(peer: str, workloads: list[Workload], dtypes: list[str], threads: int, min_time: float,
                min_repeats: int, rounds: int = 1, loops: list[str] | None = None) -> list[dict]:  # fmt: skip
    """All rows of one Keras backend from its child; rows it did not finish say why."""
    backend = KERAS[peer]
    with mock.patch.dict(os.environ):  # limit_threads's settings, for the child only
        limit_threads(threads, pin=False)  # this process is bound already; the child inherits the binding
        env = dict(os.environ)
    env |= {"KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2", "JAX_ENABLE_X64": "1"}  # x64: else jax is float32
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    job = {"workloads": [dataclasses.asdict(w) for w in workloads], "dtypes": list(dtypes), "threads": threads,
           "min_time": min_time, "min_repeats": min_repeats, "rounds": rounds, "loops": loops}  # fmt: skip
    error = ""
    with tempfile.TemporaryDirectory(prefix="quartet-bench-peers-") as tmp:
        Path(tmp, "in.json").write_text(json.dumps(job))
        timeout = 180 + len(workloads) * len(dtypes) * (4 * min_time * rounds + 60)
        try:
            argv = [sys.executable, "-m", "conformance.bench.keras", backend, tmp]
            peers.run_children({backend: (argv, env)}, Path(tmp), timeout)
        except RuntimeError as err:
            error = f"error: {str(err).strip().splitlines()[-1]}"[:200]
        out = Path(tmp, f"out-{backend}.json")
        done = {(r["workload"], r["dtype"], r["mode"]): r for r in json.loads(out.read_text())} if out.exists() else {}
    missing = error or "error: the child wrote no row"
    found = [
        done.get((w.name, d, MODES[peer])) or peer_row(peer, w, d, status=missing) for w in workloads for d in dtypes
    ]
    return found + [r for (_, _, mode), r in done.items() if mode != MODES[peer]]  # the fit loops


def _keras_runner(prob: Problem, dtype: str):
    """A Sequential of Dense layers compiled with SGD and BinaryCrossentropy(from_logits=True), built as
    peers.py builds it; one step = one train_on_batch, which returns the loss of its forward pass."""
    import keras

    spec = prob.workload.spec
    keras.backend.clear_session()  # the previous row's model and graphs
    # floatx too: Keras keeps the optimizer's learning rate and the loss tracker in floatx, so under the
    # float32 default a float64 row's update uses lr rounded to float32 and its reported loss is rounded
    keras.config.set_floatx(dtype)
    model = peers.keras_model(spec, prob.params, dtype)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=prob.workload.learning_rate, momentum=0.0),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype))  # fmt: skip
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


KERAS_LOOP = 20  # steps in one fit() call, the Keras row that compares with our whole compiled loops


def _keras_loop_runner(prob: Problem, dtype: str):
    """Keras's own whole loop, like with like for our compiled loops: fit() over KERAS_LOOP copies of the
    batch in one execution (steps_per_execution, jit_compile where the backend compiles; on PyTorch, which
    allows one step per execution, one fit call), plain SGD. The
    check is on the weights after those steps; fit reports only the epoch's mean loss, so the first
    cost is the reference's own (the update check carries the row)."""
    import keras

    spec = prob.workload.spec
    keras.backend.clear_session()
    keras.config.set_floatx(dtype)
    model = peers.keras_model(spec, prob.params, dtype)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=prob.workload.learning_rate, momentum=0.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype),
        steps_per_execution=1 if keras.backend.backend() == "torch" else KERAS_LOOP,
        jit_compile="auto",
    )  # fmt: skip  (Keras on PyTorch runs one step per execution only)
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


def _keras_child(backend: str, workdir: Path) -> None:
    """In the child: every row of in.json on this Keras backend, written to out-BACKEND.json after each."""
    job = json.loads((workdir / "in.json").read_text())
    start = time.perf_counter()
    import keras

    import_s = time.perf_counter() - start
    assert keras.backend.backend() == backend, f"KERAS_BACKEND={backend} but keras runs {keras.backend.backend()}"
    from keras.src.backend.common.dtypes import BIT64_TO_BIT32_DTYPE

    BIT64_TO_BIT32_DTYPE["float64"] = "float64"  # real float64 on jax and torch: see peers._keras_child
    with peer_threads(job["threads"], torch=backend == "torch"):
        if backend == "tensorflow":
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(job["threads"])  # before TF starts its pools
            tf.config.threading.set_inter_op_parallelism_threads(1)
        rows = []
        for w in job["workloads"]:
            workload = Workload(**(w | {"spec": ModelSpec(**w["spec"])}))
            for dtype in job["dtypes"]:
                # one model at a time (each row clears Keras's session and sets its floatx), its rounds in a row:
                # a Keras row is compared with ours unpaired (timing.ratio_interval)
                row = bench_row(f"keras/{backend}", workload, dtype, _keras_runner, job["min_time"],
                                 job["min_repeats"], job["rounds"])  # fmt: skip
                rows.append(row | {"import_s": import_s})
                if workload.name in job["loops"]:
                    loop = bench_row(f"keras/{backend}", workload, dtype, _keras_loop_runner, job["min_time"],
                                      job["min_repeats"], job["rounds"], per_call=KERAS_LOOP)  # fmt: skip
                    rows.append(loop | {"import_s": import_s, "mode": "fit loop"})
                (workdir / "out.tmp").write_text(json.dumps(rows))
                (workdir / "out.tmp").replace(workdir / f"out-{backend}.json")  # whole rows only


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m conformance.bench.keras BACKEND DIR")
    _keras_child(sys.argv[1], Path(sys.argv[2]))
