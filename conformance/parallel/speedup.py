"""The data-parallel benchmark: seconds per step on 1, 2, ... workers, one thread each, the first step
checked against the float64 full batch; speed-up, efficiency and the all-reduce's share."""

import dataclasses
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..bench.row import PlainRow
from ..bench.workloads import Workload, check_first_step, problem
from ..check.cases import Case
from ..core.backends import framework_status
from ..core.registry import AUTODIFF
from ..core.spec import ModelSpec
from ..run.files import frame_markdown, write_atomically
from ..run.runner import Unit
from .engine import engine_label, job, run, workers_label


def bench_workloads(quick: bool = False):
    """The course's deep net on its 209 images (a small batch: the split has little to share out), on
    4096, 16384 and 65536 (1024 when quick; large batches: each worker's first-layer product is big enough
    to pay for the all-reduce). At 65536 X is 6.4 GB in float64, which the float64 reference and the
    first-step check hold in this process (about 7 GB at its peak) beside the workers' float32 shards."""
    spec = ModelSpec("deep", (12288, 20, 7, 5, 1), "relu")
    sizes = (1024,) if quick else (4096, 16384, 65536)
    return [Workload("course_deep", spec, 209, 0.0075)] + [Workload(f"deep_m{m}", spec, m, 0.0075) for m in sizes]


@dataclass(kw_only=True)
class ParallelRow(PlainRow):
    """One framework on N workers, one workload and dtype: what it is, its step's time and the all-reduce's, its
    first step checked; the scaling over 1 worker added by add_scaling. A plain dict where it crosses a process
    (the runner's checkpoint): as_dict and from_dict; parallel.csv's columns are the fields but the last two."""

    workload: str
    m: int | None = None
    backend: str
    engine: str
    dtype: str
    workers: int
    threads: int
    step_s: float | None = None
    speedup: float | None = None
    efficiency: float | None = None
    comm_s: float | None = None
    comm_share: float | None = None
    check_err: float | None = None
    check_tol: float | None = None
    status: str = ""  # "ok", "check failed", "unavailable: why", "error: what"
    device: str = "cpu"
    steps: int | None = None  # timed steps


def bench(
    names=AUTODIFF,
    workers=(1, 2),
    dtypes=("float32",),
    time_steps: int = 10,
    workloads=None,
    on_progress=None,
    launch: str = "processes",
) -> list[dict]:
    """Seconds per data-parallel training step for each framework, worker count, workload and dtype,
    each worker on one thread; the first step checked against the float64 full batch. Speed-up and
    efficiency are relative to the same framework on 1 worker, launched the same way (add_scaling)."""
    rows = []
    work = [(w, problem(w)) for w in workloads or bench_workloads()]
    cases = {w.name: Case(w.spec, prob.X, prob.Y, prob.params, w.learning_rate) for w, prob in work}
    for n_workers in workers:
        for name in names:
            if on_progress:
                on_progress(f"{name} {n_workers} workers")
            base = dict(backend=name, engine=engine_label(name, launch), workers=n_workers, threads=n_workers)
            ok, reason = framework_status(name)
            if not ok:
                rows += [
                    ParallelRow(**base, workload=w.name, dtype=d, status=f"unavailable: {reason}")
                    for w, _ in work
                    for d in dtypes
                ]
                continue
            plan = [(w, d) for w, _ in work for d in dtypes]
            tasks = [job(cases[w.name], n_workers, d, num_iterations=1, time_steps=time_steps) for w, d in plan]
            try:
                results = run(name, tasks, launch)
            except RuntimeError as err:
                rows += [ParallelRow(**base, workload=w.name, dtype=d, status=f"error: {err}"[:200]) for w, d in plan]
                continue
            for (w, dtype), result in zip(plan, results, strict=True):
                # the gate of every benchmark row (bench/workloads.py): the first cost and update against the
                # float64 full batch's, beyond what a ReLU kink flip explains (m = 16384 has such flips)
                passed, error, tol = check_first_step(problem(w), dtype, result.cost, result.parameters)
                rows.append(
                    ParallelRow(
                        **base,
                        workload=w.name,
                        m=w.m,
                        dtype=dtype,
                        step_s=result.step_s,
                        comm_s=result.comm_s,
                        steps=result.steps,
                        check_err=error,
                        check_tol=tol,
                        status="ok" if passed else "check failed",
                    )
                )
    return [row.as_dict() for row in add_scaling(rows)]  # the runner keeps plain dicts


def add_scaling(rows: list[ParallelRow]) -> list[ParallelRow]:
    """speedup = t(1 worker) / t(N workers) of the same framework, workload and dtype; efficiency =
    speedup / N; comm_share = the all-reduce's part of the step, where the framework exposes it."""
    one = {(r.backend, r.workload, r.dtype): r.step_s for r in rows if r.workers == 1}
    for r in rows:
        t1, t = one.get((r.backend, r.workload, r.dtype)), r.step_s
        ok = r.status == "ok" and t1 and t
        r.speedup = t1 / t if ok else None
        r.efficiency = t1 / t / r.workers if ok else None
        r.comm_share = r.comm_s / t if ok and r.comm_s is not None else None
    return rows


@dataclass(frozen=True)
class ParallelBenchSettings:
    """`quartet bench --workers 1,2`: these frameworks on each worker count, one thread per worker."""

    backends: list[str]
    workers: list[int]
    dtypes: list[str]
    quick: bool = False
    launch: str = "processes"

    @property
    def steps(self) -> int:
        """Timed steps per row."""
        return 3 if self.quick else 10


def units(settings: ParallelBenchSettings) -> list[Unit]:
    """One unit per (worker count, framework) for the runner."""
    workloads = bench_workloads(settings.quick)
    return [
        Unit(
            f"{name}/{workers_label(n)}",
            f"data parallel: {name} on {workers_label(n)}",
            lambda name=name, n=n: bench(
                [name], [n], settings.dtypes, settings.steps, workloads, launch=settings.launch
            ),
        )
        for n in settings.workers
        for name in settings.backends
    ]


# parallel.csv's, in order: every field but the last two (the device, always the CPU; the timed steps)
COLUMNS = [f.name for f in dataclasses.fields(ParallelRow)][:-2]


def table(rows: list[dict]) -> pd.DataFrame:
    """Every finished row with its speed-up and efficiency over the same framework on 1 worker."""
    scaled = add_scaling([ParallelRow.from_dict(row) for row in rows])
    return pd.DataFrame([row.as_dict() for row in scaled]).reindex(columns=COLUMNS)


def write(frame: pd.DataFrame, settings: ParallelBenchSettings, env: dict, folder: Path, note: str) -> Path:
    """parallel.csv, parallel.json (with the settings and the machine) and parallel.md; `note` heads the
    markdown (the "Incomplete run" line of an interrupted run)."""
    write_atomically(folder / "parallel.csv", frame.to_csv(index=False).encode())
    meta = {"environment": env, "settings": asdict(settings), "complete": not note}
    rows = json.loads(frame.to_json(orient="records"))
    write_atomically(folder / "parallel.json", json.dumps({**meta, "rows": rows}, indent=1, default=str).encode())
    head = f"{note}\n\n" if note else ""
    page = f"# Data-parallel benchmark\n\n{head}{env['cpu']}, one thread per worker.\n\n{frame_markdown(frame)}\n"
    write_atomically(folder / "parallel.md", page.encode())
    return folder / "parallel.md"
