"""Timing of Keras 3, a peer (bench/peers.py): `train_on_batch` on each of its backends, and its own whole
loop (fit with steps_per_execution) beside our compiled loops. Keras binds its backend at import, so each
backend runs in a process of its own, `python -m conformance.bench.keras_worker BACKEND`: a worker that lives as
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

from .. import ROOT
from .peer_rows import KERAS, peer_row
from .row import Row
from .threads import limit_threads
from .workloads import Workload

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
            [sys.executable, "-m", "conformance.bench.keras_worker", self.backend],
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
            if loop:
                row.mode = FIT_LOOP
            return RemoteRow(self, key, row, ready=False)
        return RemoteRow(self, key, Row.from_dict(reply["row"]), ready=reply["ready"])

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
    row: Row
    ready: bool = True
    rounds: list[float] = dataclasses.field(default_factory=list)

    @property
    def step(self):
        return self.key if self.ready else None

    def time_round(self, min_time: float, min_repeats: int, warm_up: bool = True) -> float:
        start = time.perf_counter()
        reply = self.worker.ask(op="round", key=self.key, min_time=min_time, min_repeats=min_repeats, warm_up=warm_up)
        if "error" in reply:
            self.ready, self.row = False, self.row.failed(f"error: {reply['error']}")
        else:
            self.rounds.append(reply["round_s"])
        return time.perf_counter() - start

    def finish(self) -> Row:
        if not self.rounds:
            return self.row
        reply = self.worker.ask(op="finish", key=self.key)
        return Row.from_dict(reply["row"]) if "row" in reply else self.row.failed(f"error: {reply['error']}")

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
) -> list[Row]:
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
