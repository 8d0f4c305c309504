"""Data parallel across processes: N operating-system processes that find each other over TCP, on
127.0.0.1 exactly as across machines, each reading only its own columns (worker.py), and a supervisor
that turns every way of failing into one line.

    engine                                  who starts the processes     how they meet
    torch.distributed gloo via torchrun     torchrun (one per "node")    c10d rendezvous at host:port
    jax.distributed gloo                    this launcher, one per rank  the coordinator (rank 0) at host:port
    MultiWorkerMirroredStrategy             this launcher, one per rank  TF_CONFIG: every worker's host:port

The supervisor watches the processes (or torchrun's agents). When one is lost, it waits GRACE_S for
the others to stop on their own (each engine's timeout: gloo's collective timeout, JAX's heartbeats,
TensorFlow's health checks), stops whatever is left, and raises WorkerLost naming the lost rank; no
result is returned. Ports in use are refused before anything starts; a rank that cannot reach the
others says so within the timeout; ranks started with different settings stop before any step.
"""

import dataclasses
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from .. import ROOT
from ..bench.threads import THREAD_VARIABLES
from ..core.backends import InputError
from ..core.registry import BACKENDS
from .failures import progress, started_pid, wait_for_others, what_failed
from .job import DataParallelJob

ENGINES = {name: info.engines["processes"] for name, info in BACKENDS.items() if "processes" in info.engines}
TIMEOUT_S = 60.0  # every engine's timeout: to meet, and for any collective to finish
GRACE_S = 30.0  # after a loss, how long the others get to stop on their own


__all__ = ["WorkerLost", "run", "started_pid"]


class WorkerLost(RuntimeError):
    """A data-parallel process died or failed; the run has no result."""


def split(task: DataParallelJob, world_size: int) -> list[DataParallelJob]:
    """One job for each rank: the task with only its own columns X_k (n_x, m_k), Y_k (1, m_k), contiguous
    blocks with the first m % N one longer (as every engine splits); m stays the full batch's. The
    columns go in the task's dtype, rounded here exactly as the worker's from_numpy would round them:
    a float32 shard is half the bytes to write, read and hold (m = 65536 of the course net: 3.2 GB, not 6.4)."""
    blocks = zip(np.array_split(task.X, world_size, axis=1), np.array_split(task.Y, world_size, axis=1), strict=True)
    return [
        dataclasses.replace(
            task, X=np.ascontiguousarray(X_k, dtype=task.dtype), Y=np.ascontiguousarray(Y_k, dtype=task.dtype)
        )
        for X_k, Y_k in blocks
    ]


def check_port(host: str, port: int) -> None:
    """Refuse a port that something else holds, before any process starts."""
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError as err:
            raise InputError(f"port {port} on {host} is in use ({err.strerror}): pick a free one") from err


def free_ports(host: str, n: int) -> list[int]:
    """n ports that were free a moment ago (held together, so they differ)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind((host, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def environment(name: str) -> dict[str, str]:
    """One thread per process, every library, each process bound to one core (XLA sizes its own thread pool
    by the cores it sees); no forced host devices for JAX (one per process)."""
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "QUARTET_PIN": "1",
    }  # worker.py: each process on one core of those this one may use
    env.update({var: "1" for var in THREAD_VARIABLES})
    if name == "jax":
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false"
    if name == "tf":
        env.update(TF_NUM_INTRAOP_THREADS="1")
    return env


def run(
    name: str,
    tasks: list[DataParallelJob],
    *,
    shards: list[list[DataParallelJob | dict]] | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    ranks: list[int] | None = None,
    nodes: int = 1,
    only_nodes: list[int] | None = None,
    timeout_s: float = TIMEOUT_S,
    grace_s: float = GRACE_S,
    folder: Path | None = None,
) -> list[dict]:
    """Every task on tasks[0].workers processes of framework `name`; rank 0's results.

    shards: each rank's own jobs (default: split(task) of every task; or a collective to time, the dict
    {"sizes", "dtype", "repeats"}, worker.py); ranks: the ranks to start here
    (default all: the others would be started on other machines with the same host and port); nodes:
    torchrun launchers (the processes spread over them, as over machines), only_nodes: the launchers
    to start here (default all); folder: where the shards, progress notes and results go (default: a
    temporary folder)."""
    if name not in ENGINES:
        raise InputError(f"no multi-process engine for {name!r}; choose one of {list(ENGINES)}")
    world_size = len(shards) if shards else tasks[0].workers
    if shards is None:
        splits = [split(task, world_size) for task in tasks]
        shards = [[jobs[rank] for jobs in splits] for rank in range(world_size)]
    ranks = list(range(world_size)) if ranks is None else ranks
    if world_size % nodes:
        raise InputError(f"{world_size} processes do not split evenly over {nodes} nodes")
    if port is not None:
        check_port(host, port)
    ports = free_ports(host, world_size + 1)
    port = port or ports[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(folder or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for rank, jobs in enumerate(shards):
            with open(folder / f"shard-{rank}.pkl", "wb") as f:  # streamed: no bytes object the size of the data
                pickle.dump(dict(name=name, timeout_s=timeout_s, jobs=jobs), f, protocol=pickle.HIGHEST_PROTOCOL)
        if name == "torch":
            started = _start_torchrun(folder, world_size, nodes, only_nodes, host, port, timeout_s)
        else:
            workers = [port, *ports[1:world_size]]  # TF: worker 0 at `port`, then free ones
            started = {rank: _start_rank(name, folder, rank, world_size, host, port, workers) for rank in ranks}
        try:
            _supervise(name, folder, started, world_size, f"{host}:{port}", timeout_s, grace_s)
        finally:
            for process in started.values():
                _stop(process)
        return pickle.loads((folder / "result.pkl").read_bytes())


def _start_rank(
    name: str, folder: Path, rank: int, world_size: int, host: str, port: int, workers: list[int]
) -> subprocess.Popen:
    env = dict(environment(name), RANK=str(rank), WORLD_SIZE=str(world_size), MASTER_ADDR=host, MASTER_PORT=str(port))
    if name == "tf":
        cluster = {"worker": [f"{host}:{p}" for p in workers]}
        env["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": rank}})
    log = open(folder / f"log-rank{rank}", "w")
    return subprocess.Popen(
        [sys.executable, "-m", "conformance.parallel.worker", str(folder)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _start_torchrun(
    folder: Path, world_size: int, nodes: int, only_nodes: list[int] | None, host: str, port: int, timeout_s: float
) -> dict[str, subprocess.Popen]:
    """`nodes` torchrun launchers (or those of only_nodes), each with world_size / nodes processes,
    meeting at host:port."""
    run_id = uuid.uuid4().hex[:8]
    started = {}
    for node in range(nodes) if only_nodes is None else only_nodes:
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            f"--nnodes={nodes}",
            f"--nproc-per-node={world_size // nodes}",
            "--rdzv-backend=c10d",
            f"--rdzv-endpoint={host}:{port}",
            f"--rdzv-id={run_id}",
            f"--rdzv-conf=join_timeout={int(timeout_s)}",
            "--max-restarts=0",
            "--monitor-interval=0.5",
            "-m",
            "conformance.parallel.worker",
            str(folder),
        ]
        log = open(folder / f"log-node{node}", "w")
        started[f"node{node}"] = subprocess.Popen(
            command, env=environment("torch"), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return started


def _supervise(
    name: str, folder: Path, started: dict, world_size: int, address: str, timeout_s: float, grace_s: float
) -> None:
    """Wait for every process; on the first failure, raise the clearest line there is."""
    while True:
        codes = {key: process.poll() for key, process in started.items()}
        failed = {key: code for key, code in codes.items() if code not in (None, 0)}
        if failed:
            key, code = next(iter(failed.items()))
            lost = what_failed(name, folder, key, code, address)
            survivors = wait_for_others(started, key, grace_s)
            if sorted(folder.glob("error-*")):  # a worker said what went wrong: the others' ends add nothing
                survivors = ""
            ending = "" if "nothing was trained" in lost else "; nothing is reported as complete"
            raise WorkerLost(f"{ENGINES[name]}: {lost}{f'; {survivors}' if survivors else ''}{ending}")
        if all(code == 0 for code in codes.values()):
            if not (folder / "result.pkl").is_file():
                raise WorkerLost(
                    f"{ENGINES[name]}: every process exited, but rank 0 was not among them here "
                    "(its results are written on its own machine)"
                )
            return
        for rank in range(world_size):  # a rank that has not joined timeout_s (and 15 s to start) after it began
            path, lines = folder / f"progress-{rank}", progress(folder, rank)
            if lines and "joined" not in lines and time.time() - path.stat().st_mtime > timeout_s + 15:
                raise WorkerLost(
                    f"{ENGINES[name]}: rank {rank} could not join the {world_size} processes at {address} "
                    f"within {timeout_s + 15:g} s, and the engine did not give up by itself"
                )
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    """Kill a process and everything it started (its session), if it still runs."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
