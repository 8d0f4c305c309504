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
from ..core.registry import PEER_INFO
from ..run.runner import Runner
from . import machine, threads, vectorisation
from .between import fingerprint
from .merge import merge_processes
from .peer_rows import KERAS
from .roofline import add_roofline
from .row import Row, frame_of
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
    rows = unavailable + merge_processes([Row.from_dict(r) for r in runner.rows()])
    frame = frame_of([add_roofline(r, specs[r.workload], limits) for r in rows])
    meta = {
        "environment": _environment(settings),
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
    return frame, meta


def _probed(settings: BenchSettings, runner: Runner) -> dict:
    """The machine's limits (GEMM rate, bandwidth), each framework's import time and the vectorisation lesson,
    measured once per run and kept in its checkpoint (a resumed run reads the first run's); the limits."""
    if "limits" not in runner.extra:
        if settings.device == "gpu":
            limits = machine.gpu_limits(settings.quick)
        else:  # a quick run asks its own frameworks only for the peak (_prepare_frameworks imported no other)
            limits = machine.probe(settings.quick, _used(settings) if settings.quick else None)
        runner.extra["limits"] = json.loads(json.dumps(limits))  # as a resume reads it
        runner.save()
    limits = runner.extra["limits"]
    runner.console.print(
        f"GEMM {limits['gemm_gflops']['float32']:.1f} / {limits['gemm_gflops']['float64']:.1f} GFLOP/s "
        f"(float32 / float64), bandwidth {limits['bandwidth_gbs']:.1f} GB/s"
    )
    if "imports" not in runner.extra:
        timed = [n for n in settings.backends if n != "numpy" and framework_status(n)[0]]  # not an unavailable one
        runner.extra["imports"] = {n: machine.import_seconds(FRAMEWORKS[n]) for n in timed}
    if "vectorisation" not in runner.extra:  # the course's lesson: the loop the notes write, against propagate
        size = vectorisation.QUICK_SIZE if settings.quick else vectorisation.SIZE
        runner.extra["vectorisation"] = [
            vectorisation.measure(n, *size)
            for n in settings.backends
            if framework_status(n)[0] and vectorisation.math_of(n)
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
    installed framework in the full run's process that probes the machine (the probe's GEMM runs in each),
    else to the run's backends and in-process peers only (a quick run, a resumed one, a child of --processes)."""
    for name in settings.backends:
        framework_status(name)
    if probing and not settings.quick:
        return threads.apply_thread_limits(settings.threads)
    return threads.apply_thread_limits(settings.threads, _used(settings))


def _environment(settings: BenchSettings) -> dict:
    """The run's environment: every framework this process imported, described in full; those the run used in
    its child processes (the Keras peers, the backends of --processes), said so; the others by their installed
    versions alone, not imported for it (TensorFlow, Keras and scikit-learn took seconds in a quick bench of
    NumPy)."""
    keras = {KERAS[peer] for peer in settings.peers if peer in KERAS}
    children = keras | {"keras"} if keras else set()
    if settings.process_count > 1:
        children |= {FRAMEWORKS[b].split(".")[0] for b in settings.backends if b in FRAMEWORKS}
    return environment.environment(used_only=True, elsewhere=dict.fromkeys(children, settings.device))


def _used(settings: BenchSettings) -> set[str]:
    """The frameworks the run's rows run on in this process: its backends, and those of its in-process peers
    (PyTorch for torch.nn)."""
    return {*settings.backends, *(PEER_INFO[p].backend for p in settings.peers if PEER_INFO[p].backend)}
