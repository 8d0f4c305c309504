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
import re
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
from ..bench.machine import THREAD_VARIABLES
from ..core.backends import InputError
from .job import DataParallelJob

ENGINES = {
    "torch": "torch.distributed gloo via torchrun",
    "jax": "jax.distributed gloo",
    "tf": "MultiWorkerMirroredStrategy",
}
TIMEOUT_S = 60.0  # every engine's timeout: to meet, and for any collective to finish
GRACE_S = 30.0  # after a loss, how long the others get to stop on their own


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
            lost = _what_failed(name, folder, key, code, address)
            survivors = _wait_for_others(started, key, grace_s)
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
            path, lines = folder / f"progress-{rank}", _progress(folder, rank)
            if lines and "joined" not in lines and time.time() - path.stat().st_mtime > timeout_s + 15:
                raise WorkerLost(
                    f"{ENGINES[name]}: rank {rank} could not join the {world_size} processes at {address} "
                    f"within {timeout_s + 15:g} s, and the engine did not give up by itself"
                )
        time.sleep(0.1)


def _progress(folder: Path, rank: int) -> list[str]:
    path = folder / f"progress-{rank}"
    return path.read_text().splitlines() if path.is_file() else []


def _what_failed(name: str, folder: Path, key, code: int, address: str) -> str:
    """The failure in one line: a worker's own message, or which rank died of what."""
    errors = sorted(folder.glob("error-*"))
    if errors:
        return errors[0].read_text().strip()
    log_path = folder / (f"log-{key}" if name == "torch" else f"log-rank{key}")
    log = log_path.read_text(errors="replace") if log_path.is_file() else ""
    if name == "torch":  # torchrun's summary: "rank: 1 (local_rank: 1) exitcode: -9 (pid: 1234)"
        pattern = r"rank\s*:\s*(\d+)\s*\(local_rank: \d+\)\s+exitcode\s*:\s*(-?\d+)\s*\(pid: (\d+)\)"
        root = log[log.find("Root Cause") :] if "Root Cause" in log else log  # the first failure, not the others'
        # a rank killed by a signal is the cause even when torchrun saw its peer's exit first (the peer's
        # collective failed because it had gone: under load, a race); SIGTERM is torchrun's own, to the rest
        killed = [f for f in re.finditer(pattern, log) if int(f.group(2)) < 0 and int(f.group(2)) != -15]
        found = killed[0] if killed else re.search(pattern, root)
        if found:
            rank, code, pid = (int(g) for g in found.groups())
            return f"rank {rank} (pid {pid}) {_how(code)}, reported by torchrun"
        if "RendezvousTimeoutError" in log or ("rendezvous" in log.lower() and "timed out" in log.lower()):
            return f"torchrun's c10d rendezvous at {address} timed out: not every node joined"
        return f"torchrun {key} {_how(code)}: {_last_line(log)}"
    pid = started_pid(folder, key)
    who = f"rank {key}{f' (pid {pid})' if pid else ''}"
    if "joined" not in _progress(folder, key):  # the engine gave up meeting the others (JAX aborts)
        return f"{who} could not join the processes at {address}: it {_how(code)} ({_last_line(log)})"
    return f"{who} {_how(code)}" + (f": {_last_line(log)}" if code > 0 else "")


def started_pid(folder: Path, rank: int) -> int | None:
    """The pid a worker noted when it started (None before that)."""
    lines = _progress(folder, rank)
    return int(lines[0].split()[1]) if lines and lines[0].startswith("pid ") else None


def _how(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"


def _last_line(log: str) -> str:
    """The line of a log that says most: an error or status line if there is one (without glog's prefix
    or a stack trace), else the last line."""
    lines = [line.strip() for line in log.strip().splitlines() if line.strip() and line.strip()[0] not in "@*"]
    said = [line for line in lines if re.search(r"Error|error|Status|status", line)] or lines
    if not said:
        return "no output"
    status = re.search(r"Status: (.*)$", said[-1])  # absl's "Status: DEADLINE_EXCEEDED: ..." says it all
    return (status.group(1) if status else re.sub(r"^[FEW]\d{4} [\d:.]+\s+\d+ \S+\] ", "", said[-1]))[:300]


def _wait_for_others(started: dict, lost, grace_s: float) -> str:
    """Give the other processes grace_s to stop on their own; say how each ended."""
    deadline = time.monotonic() + grace_s
    others = {key: p for key, p in started.items() if key != lost}
    while time.monotonic() < deadline and any(p.poll() is None for p in others.values()):
        time.sleep(0.1)
    stopped = [
        f"{_label(key)} {'stopped by itself' if p.poll() is not None else 'was stopped'}" for key, p in others.items()
    ]
    return ", ".join(stopped)


def _label(key) -> str:
    return f"rank {key}" if isinstance(key, int) else f"torchrun {key}"


def _stop(process: subprocess.Popen) -> None:
    """Kill a process and everything it started (its session), if it still runs."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
