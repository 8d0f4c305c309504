"""One process of a data-parallel run across processes, the same on one machine as on many:

    python -m conformance.parallel.worker FOLDER

It reads RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT from the environment (torchrun sets them; the
launcher, launch.py, sets the same for JAX and TensorFlow, and TF_CONFIG), and only its own shard,
FOLDER/shard-RANK.pkl: the framework, the timeout, and the jobs (DataParallelJob) with this rank's columns
of X and Y (or a collective to time: the dict {"sizes", "dtype", "repeats"} of scaling.py).
It joins the group, checks with an all-gather that every rank was started with the same settings
(before any training step), runs the jobs, and rank 0 writes FOLDER/result.pkl. Along the way it
appends what it is doing to FOLDER/progress-RANK (its pid first), and a failure it can explain goes to
FOLDER/error-RANK as one line, with exit status 3.
"""

import importlib
import os
import pickle
import sys
import zlib
from pathlib import Path

import numpy as np

from reference_numpy.activations import HIDDEN_ACTIVATIONS as ACTIVATIONS

from ..core.registry import DTYPES as DTYPE_CODES  # a rank's dtype travels in the all-gather as its index
from .job import DataParallelJob, time_all_reduce, train

FIELDS = (
    "jobs",
    "dtype",
    "hidden activation",
    "m",
    "layer dims",
    "learning rate",
    "iterations",
    "timed steps",
    "initial parameters",
)


def _crc(value) -> int:
    """A 31-bit checksum of a value's bytes (int32-safe, the same in every process)."""
    data = value.tobytes() if isinstance(value, np.ndarray) else repr(value).encode()
    return zlib.crc32(data) & 0x7FFFFFFF


def settings_vector(jobs: list[DataParallelJob | dict]) -> np.ndarray:
    """What every rank must agree on, as int32 for an all-gather: per job, the fields of FIELDS[1:]."""
    rows = [len(jobs)]
    for job in jobs:
        if isinstance(job, dict):  # a collective to time: its dtype, sizes and repeats
            rows += [DTYPE_CODES.index(job["dtype"]), 0, 0, _crc(job["sizes"]), 0, job["repeats"], 0, 0]
            continue
        params = job.parameters
        dims = [params["W1"].shape[1]] + [params[f"W{l}"].shape[0] for l in range(1, len(params) // 2 + 1)]
        rows += [
            DTYPE_CODES.index(job.dtype),
            ACTIVATIONS.index(job.hidden_activation),
            job.m,
            _crc(dims),
            _crc(float(job.learning_rate)),
            job.num_iterations,
            job.time_steps,
            _crc(np.concatenate([np.asarray(v, np.float64).ravel() for v in params.values()])),
        ]
    return np.asarray(rows, dtype=np.int32)


def mismatch(everyone: np.ndarray, jobs: list[DataParallelJob | dict]) -> str | None:
    """None when every rank's settings equal rank 0's; else which ranks and fields differ."""
    width = len(FIELDS) - 1
    problems = []
    for rank in range(1, len(everyone)):
        if len(everyone[rank]) != len(everyone[0]) or everyone[rank][0] != everyone[0][0]:
            problems.append(f"rank {rank} has {everyone[rank][0]} jobs, rank 0 {everyone[0][0]}")
            continue
        differ = {FIELDS[1 + i % width] for i in np.flatnonzero(everyone[rank][1:] != everyone[0][1:])}
        for field in sorted(differ, key=FIELDS.index):
            if field == "dtype":
                ours, theirs = (DTYPE_CODES[int(e[1])] for e in (everyone[0], everyone[rank]))
                problems.append(f"rank {rank} has dtype {theirs}, rank 0 {ours}")
            elif field == "m":
                problems.append(f"rank {rank} has m = {everyone[rank][3]}, rank 0 m = {everyone[0][3]}")
            else:
                problems.append(f"rank {rank} has other {field} than rank 0")
    return "; ".join(problems) or None


class Worker:
    """This process: its rank, its folder, and the notes it leaves there."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.rank, self.world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        self.address = f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}"
        self.note(f"pid {os.getpid()}")
        if os.environ.get("QUARTET_PIN"):  # one core per process, before any framework starts its threads
            cores = sorted(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {cores[self.rank % len(cores)]})  # by rank: two launchers here share cores

    def note(self, what: str) -> None:
        with open(self.folder / f"progress-{self.rank}", "a") as f:
            f.write(what + "\n")

    def fail(self, message: str) -> None:
        (self.folder / f"error-{self.rank}").write_text(message + "\n")
        self.note("failed")
        sys.exit(3)

    def run(self) -> None:
        with open(self.folder / f"shard-{self.rank}.pkl", "rb") as f:  # streamed: no second copy of the columns
            shard = pickle.load(f)
        name, timeout_s, jobs = shard["name"], shard["timeout_s"], shard["jobs"]
        module = importlib.import_module(f"impl_{name}.parallel")
        try:
            group = module.join(self.address, self.world_size, self.rank, timeout_s)
        except Exception as err:  # any engine's failure to meet, said in one line
            first = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
            self.fail(
                f"rank {self.rank} could not join the {self.world_size} processes at {self.address} within "
                f"{timeout_s:g} s: {first}"
            )
        self.note("joined")
        problem = mismatch(module.all_gather_settings(group, settings_vector(jobs)), jobs)
        if problem:
            self.fail(f"the workers were started with different settings ({problem}); nothing was trained")
        results = []
        for i, job in enumerate(jobs):
            self.note(f"job {i}")
            if isinstance(job, dict):  # seconds of one all-reduce of each size
                parts = [module.all_reduce_parts(group, n, job["dtype"]) for n in job["sizes"]]
                times = [time_all_reduce(each, job["repeats"]) for each in parts]
                results.append({"all_reduce_s": times})
            else:
                results.append(module.run_process(group, job, train))
        if self.rank == 0:
            (self.folder / "result.pkl").write_bytes(pickle.dumps(results))
        self.note("done")
        module.leave(group)


if __name__ == "__main__":
    Worker(Path(sys.argv[1])).run()
