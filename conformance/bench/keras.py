"""Timing of Keras 3, a peer (bench/peers.py): `train_on_batch` on each of its backends, and its own whole
loop (fit with steps_per_execution) beside our compiled loops. Keras binds its backend at import, so each
backend runs in a process of its own, `python -m conformance.bench.keras BACKEND`: a worker that lives as
long as the run and times a row when asked, one round at a time. The benchmark asks it in its own rounds
(bench/units.py), so a Keras row is timed in the same rounds as ours and a ratio to it is paired round by
round like any other; the worker and this process never time at once."""

import atexit
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import ClassVar
from unittest import mock

import numpy as np

from .. import ROOT
from ..check import peers
from ..core.spec import ModelSpec
from .machine import limit_threads
from .peer_rows import KERAS, params_of, peer_row, peer_threads, prepare_peer
from .workloads import Problem, Workload

FIT_LOOP = "fit loop"  # the mode of Keras's whole-loop row
REPLY_S = 600.0  # a reply takes a round (seconds) or a first step (a compile): more is a worker that hangs


class Worker:
    """One Keras backend's worker process; rows prepared in it are timed round by round (RemoteRow)."""

    _open: ClassVar[dict[tuple[str, int], "Worker"]] = {}

    @classmethod
    def of(cls, peer: str, threads: int) -> "Worker":
        """The worker of this Keras peer, started on first use and kept for the rest of the run."""
        key = (KERAS[peer], threads)
        if key not in cls._open or cls._open[key].process.poll() is not None:
            cls._open[key] = cls(peer, threads)
        return cls._open[key]

    @classmethod
    def close_all(cls) -> None:
        for worker in cls._open.values():
            worker.close()
        cls._open.clear()

    def __init__(self, peer: str, threads: int) -> None:
        self.peer, self.backend = peer, KERAS[peer]
        with mock.patch.dict(os.environ):  # limit_threads's settings, for the worker only
            limit_threads(threads, pin=False)  # this process is bound already; the worker inherits the binding
            env = dict(os.environ)
        env |= {
            "KERAS_BACKEND": self.backend,
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "JAX_ENABLE_X64": "1",
            "QUARTET_PEER_THREADS": str(threads),
        }  # x64: else jax is float32
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        # its messages to a file, not a pipe: a chatty framework could fill a pipe nobody reads and block the worker
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "conformance.bench.keras", self.backend],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            bufsize=1,
        )
        self.count = 0

    def ask(self, **request) -> dict:
        """Send one request, wait for its reply; {"error": why} when the worker is gone or says so."""
        if self.process.poll() is not None:
            return {"error": f"the Keras worker ended (exit {self.process.returncode}): {self._tail()}"}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            line = self.process.stdout.readline()
        except (BrokenPipeError, OSError) as err:
            return {"error": f"the Keras worker is gone ({err})"}
        if not line:
            self.process.wait(timeout=10)
            return {"error": f"the Keras worker ended (exit {self.process.returncode}): {self._tail()}"}
        return json.loads(line)

    def _tail(self) -> str:
        """The worker's last line on stderr (why it ended)."""
        self.log.seek(0)
        return (self.log.read().strip().splitlines() or ["no message"])[-1][:200]

    def prepare(self, workload: Workload, dtype: str, loop: bool = False) -> "RemoteRow":
        """A row of this backend built, its first step timed and checked, in the worker."""
        self.count += 1
        key = f"{workload.name} {dtype} {'loop' if loop else 'step'} {self.count}"
        reply = self.ask(op="prepare", key=key, workload=dataclasses.asdict(workload), dtype=dtype, loop=loop)
        if "error" in reply:
            row = peer_row(self.peer, workload, dtype, status=f"error: {reply['error']}"[:200])
            return RemoteRow(self, key, row | ({"mode": FIT_LOOP} if loop else {}), ready=False)
        return RemoteRow(self, key, reply["row"], ready=reply["ready"])

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.log.close()


atexit.register(Worker.close_all)


@dataclasses.dataclass
class RemoteRow:
    """A Keras row prepared in its worker, timed there a round at a time: the interface of steps.Prepared."""

    worker: Worker
    key: str
    row: dict
    ready: bool = True
    rounds: list[float] = dataclasses.field(default_factory=list)

    @property
    def step(self):
        return self.key if self.ready else None

    def time_round(self, min_time: float, min_repeats: int, warm_up: bool = True) -> float:
        start = time.perf_counter()
        reply = self.worker.ask(op="round", key=self.key, min_time=min_time, min_repeats=min_repeats, warm_up=warm_up)
        if "error" in reply:
            self.ready, self.row = False, {**self.row, "status": f"error: {reply['error']}"[:200]}
        else:
            self.rounds.append(reply["round_s"])
        return time.perf_counter() - start

    def finish(self) -> dict:
        if not self.rounds:
            return self.row
        reply = self.worker.ask(op="finish", key=self.key)
        return reply["row"] if "row" in reply else {**self.row, "status": f"error: {reply['error']}"[:200]}

    def close(self) -> None:
        """The row's model dropped in the worker (its last finish is taken)."""
        if self.ready or self.rounds:
            self.worker.ask(op="close", key=self.key)


def keras_rows(
    peer: str,
    workloads: list[Workload],
    dtypes: list[str],
    threads: int,
    min_time: float,
    min_repeats: int,
    rounds: int = 1,
    loops: list[str] | None = None,
) -> list[dict]:
    """All rows of one Keras backend on their own (not in a benchmark's rounds): each prepared, timed `rounds`
    times in a row, finished; and Keras's whole loop on the workloads named in `loops`."""
    worker, found = Worker.of(peer, threads), []
    for workload in workloads:
        for dtype in dtypes:
            for loop in (False, True) if workload.name in (loops or []) else (False,):
                row = worker.prepare(workload, dtype, loop)
                for r in range(rounds if row.step is not None else 0):
                    row.time_round(min_time, min_repeats, warm_up=r == 0)
                found.append(row.finish())
                row.close()
    return found


def _keras_runner(prob: Problem, dtype: str):
    """A Sequential of Dense layers compiled with SGD and BinaryCrossentropy(from_logits=True), built as
    peers.py builds it; one step = one train_on_batch, which returns the loss of its forward pass."""
    import keras

    spec = prob.workload.spec
    # floatx: Keras keeps the optimizer's learning rate and the loss tracker in floatx, so under the float32
    # default a float64 row's update uses lr rounded to float32 and its reported loss is rounded
    keras.config.set_floatx(dtype)
    model = peers.keras_model(spec, prob.params, dtype)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=prob.workload.learning_rate, momentum=0.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype),
    )
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
    keras.config.set_floatx(dtype)
    model = peers.keras_model(spec, prob.params, dtype)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=prob.workload.learning_rate, momentum=0.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True, dtype=dtype),
        steps_per_execution=1 if keras.backend.backend() == "torch" else KERAS_LOOP,
        jit_compile="auto",
    )  # Keras on PyTorch runs one step per execution only
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
        prepared.row.update(import_s=import_s, **({"mode": FIT_LOOP} if loop else {}))
        if prepared.step is not None:
            rows[key] = prepared
        return {"row": prepared.row, "ready": prepared.step is not None}
    keras.config.set_floatx(dtypes[key])  # the row's own: another row may have set it since
    if ask["op"] == "round":
        prepared = rows[key]
        prepared.time_round(ask["min_time"], ask["min_repeats"], warm_up=ask["warm_up"])
        return {"round_s": prepared.rounds[-1]}
    if ask["op"] == "close":
        rows.pop(key, None)
        return {}
    return {"row": rows[key].finish()}  # finish may be asked again after more rounds: the row stays until closed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m conformance.bench.keras BACKEND (a worker: requests on stdin)")
    serve(sys.argv[1])
