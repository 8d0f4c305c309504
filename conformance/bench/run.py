"""`quartet bench` as a run: its settings, the machine probe (once per run, kept for a resume), one unit
per timed row (our backends, the compiled loops, the peers) for the runner, and the table of every row
with its roofline.

    settings = BenchSettings(backends=["numpy", "jax"], workloads=["planar"], quick=True)
    limit_threads(settings.threads)            # threads.py: before any framework is imported
    frame, meta = run(settings, runner)        # runner: conformance/run/runner.py
"""

import json

import pandas as pd

from ..core import environment
from ..core.backends import FRAMEWORKS, framework_status
from ..run.runner import Runner
from . import machine, threads, vectorisation
from .between import fingerprint
from .merge import merge_processes
from .roofline import COLUMNS, add_roofline
from .settings import BenchSettings
from .units import plan, units

__all__ = ["BenchSettings", "plan", "run", "run_process", "units"]


def run(settings: BenchSettings, runner: Runner) -> tuple[pd.DataFrame, dict]:
    """Every row of the benchmark through the runner, with the machine probed once per run (a resumed run
    keeps the first run's probe: one roofline per table); (the rows with their roofline, the metadata).
    With more than one process, each is a fresh `quartet bench --resume FOLDER --process i` started in
    turn, timing its share of every workload's rounds. Call threads.limit_threads(settings.threads) before
    anything imports a framework."""
    applied = _prepare_frameworks(settings, probing="limits" not in runner.extra)
    console = runner.console
    count = settings.process_count
    then = (
        f"; resuming {runner.folder} ({len(runner.checkpoint.units)} rows done)"
        if runner.resumed
        else "; probing the machine"
    )
    spread = f", {settings.round_count} rounds in {count} processes one after another" if count > 1 else ""
    console.print(
        f"[bold]bench[/] {len(settings.workload_list())} workloads, backends {settings.backends}, "
        f"{settings.threads} threads{spread}{then}"
    )
    limits = _probed(settings, runner)
    todo, unavailable = units(settings, runner.extra["imports"], limits)
    if count == 1:
        runner.run("bench", todo)
    else:
        for e in range(count):
            mine, _ = units(settings, runner.extra["imports"], limits, process=e)
            runner.run_in_processes(f"bench, process {e + 1} of {count}", mine, jobs=1, process=e)
            if not runner.complete:
                break
    specs = {w.name: w.spec for w in settings.workload_list()}
    rows = unavailable + merge_processes(runner.rows())
    frame = pd.DataFrame([add_roofline(r, specs[r["workload"]], limits) for r in rows])
    meta = {
        "environment": environment.environment(),
        "limits": limits,
        "threads": settings.threads,
        "thread_settings": applied,
        "device": settings.device,
        "quick": settings.quick,
        "complete": runner.complete,
        "folder": str(runner.folder),
        "processes": count,
        "vectorisation": runner.extra["vectorisation"],
    }
    meta["fingerprint"] = fingerprint(meta)  # the machine by what it measures: which spread between runs applies
    return frame.reindex(columns=COLUMNS), meta


def _probed(settings: BenchSettings, runner: Runner) -> dict:
    """The machine's limits (GEMM rate, bandwidth), each framework's import time and the vectorisation lesson,
    measured once per run and kept in its checkpoint (a resumed run reads the first run's); the limits."""
    if "limits" not in runner.extra:
        limits = machine.gpu_limits(settings.quick) if settings.device == "gpu" else machine.probe(settings.quick)
        runner.extra["limits"] = json.loads(json.dumps(limits))  # as a resume reads it
        runner.save()
    limits = runner.extra["limits"]
    runner.console.print(
        f"GEMM {limits['gemm_gflops']['float32']:.1f} / {limits['gemm_gflops']['float64']:.1f} GFLOP/s "
        f"(float32 / float64), bandwidth {limits['bandwidth_gbs']:.1f} GB/s"
    )
    if "imports" not in runner.extra:
        runner.extra["imports"] = {n: machine.import_seconds(FRAMEWORKS[n]) for n in settings.backends if n != "numpy"}
    if "vectorisation" not in runner.extra:  # the course's lesson: the loop the notes write, against propagate
        runner.extra["vectorisation"] = [
            vectorisation.measure(n) for n in settings.backends if n in vectorisation.MATH and framework_status(n)[0]
        ]
        runner.save()
    return limits


def run_process(settings: BenchSettings, runner: Runner, process: int) -> None:
    """In a child of run: this process's units of every workload (the parent probed the machine and
    timed the imports; both are in the run's folder)."""
    _prepare_frameworks(settings)
    mine, _ = units(settings, runner.extra["imports"], runner.extra["limits"], process=process)
    runner.run(f"bench, process {process + 1} of {settings.process_count}", mine)


def _prepare_frameworks(settings: BenchSettings, probing: bool = False) -> dict[str, str]:
    """Every backend imported (quietly) before the thread limits are applied; the limits as applied: to every
    installed framework in the process that probes the machine (the probe's GEMM runs in each), else to the
    run's backends and in-process peers only (a resumed run, a child of --processes)."""
    for name in settings.backends:
        framework_status(name)
    if probing:
        return threads.apply_thread_limits(settings.threads)
    used = {*settings.backends, *(["torch"] if "torch.nn" in settings.peers else [])}
    return threads.apply_thread_limits(settings.threads, used)
