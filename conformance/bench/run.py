"""`quartet bench` as a run: its settings, the machine probe (once per run, kept for a resume), one unit
per timed row (our backends, the compiled loops, the peers) for the runner, and the table of every row
with its roofline.

    settings = BenchSettings(backends=["numpy", "jax"], workloads=["planar"], quick=True)
    limit_threads(settings.threads)            # machine.py: before any framework is imported
    frame, meta = run(settings, runner)        # runner: conformance/run/runner.py
"""

import functools
import json
import time
from dataclasses import dataclass, field

import pandas as pd

from ..core import environment
from ..core.backends import FRAMEWORKS, MODES, device_status, framework_status
from ..core.registry import COURSE, DTYPES, MODE_NAMES
from ..run.runner import Runner, Unit
from . import goals, machine, vectorisation
from .between import fingerprint
from .captured import MODE as CAPTURED
from .keras import FIT_LOOP, Worker
from .merge import BOUNDS, bound_mode, merge_processes
from .peer_rows import KERAS, peer_row, prepare_peer
from .peers import peer_runner, peer_status
from .products import prepare_products, prepare_products_loop
from .roofline import COLUMNS, add_roofline
from .steps import Prepared, loop_iterations, prepare_loop, prepare_ours
from .timing import interleave
from .workloads import Workload, gpu_workloads, main_workloads, sweep_workloads


@dataclass(frozen=True)
class BenchSettings:
    backends: list[str] = field(default_factory=lambda: list(COURSE))
    modes: list[str] = field(default_factory=lambda: list(MODE_NAMES))
    dtypes: list[str] = field(default_factory=lambda: list(DTYPES))
    workloads: list[str] = field(default_factory=list)  # by name; empty: all of them
    peers: list[str] = field(default_factory=list)
    quick: bool = False  # few repeats, no sweeps
    threads: int = 2
    min_time: float = 0.4  # seconds of repeats per row and round (quick: one call a round)
    device: str = "cpu"
    rounds: int = 0  # every row and the machine probe, once per round in a shuffled order; 0: 3 quick, 9 full
    processes: int = 0  # fresh processes the rounds are spread over, one after another; 0: 1 quick, 3 full
    decide_s: float | None = None  # seconds of extra rounds for goals still within noise; None: 15 quick, 120 full

    @property
    def repeats(self) -> tuple[float, int]:
        """(min_time, min_repeats) of every timed row in each round: quick, one call a round."""
        return (0.0, 1) if self.quick else (self.min_time, 5)

    @property
    def round_count(self) -> int:
        return self.rounds or (3 if self.quick else 9)

    @property
    def process_count(self) -> int:
        return min(self.processes or (1 if self.quick else 3), self.round_count)

    @property
    def decide_budget(self) -> float:
        """Seconds of extra rounds, over the whole run, for the goals its rounds left within noise."""
        return self.decide_s if self.decide_s is not None else (15.0 if self.quick else 120.0)

    def rounds_in(self, process: int) -> int:
        """The rounds process `process` times (the rounds shared out, the first processes taking any left over)."""
        share, left = divmod(self.round_count, self.process_count)
        return share + (1 if process < left else 0)

    def workload_list(self) -> list[Workload]:
        # the sweeps: on the CPU, against m and width; on a GPU, the workloads that fill it (a net of width
        # 64 at m = 1024 would only measure launching, which the tiny nets' rows already do)
        sweeps = gpu_workloads() if self.device == "gpu" else sweep_workloads()
        every = main_workloads() + ([] if self.quick else sweeps)
        return [w for w in every if not self.workloads or w.name in self.workloads]


IN_PROCESS_PEERS = ("sklearn", "torch.nn")  # in this process; Keras in its workers: all in the rounds of our rows


def units(
    settings: BenchSettings, imports: dict[str, float | None], limits: dict | None = None, process: int | None = None
) -> tuple[list[Unit], list[dict]]:
    """One unit per workload and process (its rows prepared and timed in that process's interleaved rounds
    with the machine probe), one per Keras peer; and the rows of the backends that cannot run here (with
    the reason). `process`: only that process's units, no peer's."""
    names, modes, dtypes, device = settings.backends, settings.modes, settings.dtypes, settings.device
    workloads = settings.workload_list()
    primary = [w for w in workloads if w.family == ""]
    sweeps = [w for w in workloads if w.family != ""]
    todo, unavailable = plan(primary, names, modes, dtypes, device)
    if sweeps and "float32" in dtypes:  # the sweeps' plots are float32: their float64 would double the run
        more_todo, more_unavailable = plan(sweeps, names, modes, ["float32"], device)
        todo, unavailable = todo + more_todo, unavailable + more_unavailable
    # the compiled whole training loop, where the framework has one, on the overhead-bound workloads
    todo += [
        (w, n, "compiled-loop", d)
        for w in primary
        if w.name != "wide"
        for n in names
        if n in ("jax", "tf") and "compiled" in modes and device_status(n, device)[0]
        for d in dtypes
    ]
    # what launching costs the tiny nets: PyTorch's whole step as one captured graph (captured.py); on a GPU
    # with the compiled rows, on the CPU only when asked for by its mode (each row compiles for seconds here)
    captured = CAPTURED in modes or (device == "gpu" and "compiled" in modes)
    if captured and "torch" in names and device_status("torch", device)[0]:
        todo += [(w, "torch", CAPTURED, d) for w in primary if w.name != "wide" for d in dtypes]
    in_process = [p for p in settings.peers if p in IN_PROCESS_PEERS or p in KERAS]  # Keras: in its workers
    found = []
    count = settings.process_count
    for e in range(count) if process is None else [process]:  # process-major: each workload's rounds span the run
        for w in workloads:
            targets = [(n, m, d) for ww, n, m, d in todo if ww == w]
            peers_here = [(p, d) for p in in_process for d in dtypes] if w.family == "" else []
            work = functools.partial(_workload_rows, settings, w, targets, peers_here, imports, limits or {}, e)
            rows = f"{len(targets) + len(peers_here)} rows x {settings.rounds_in(e)} rounds"
            found.append(
                Unit(
                    w.name if count == 1 else f"{w.name} #{e + 1}",
                    f"{w.name}: {rows}" + (f", process {e + 1} of {count}" if count > 1 else ""),
                    work,
                )
            )
    return found, unavailable


def _prepared(settings: BenchSettings, workload: Workload, targets: list, peer_rows: list, imports: dict) -> dict:
    """Each row of the workload ready to time (a Prepared by its key, "name mode dtype"): ours, each library's
    own products as its bound, and the peers; a row that failed to prepare holds its error as its status."""
    prepared: dict[str, Prepared] = {}
    for name, mode, dtype in targets:
        key = f"{name} {mode} {dtype}"
        try:
            if mode == "compiled-loop":
                prepared[key] = prepare_loop(name, dtype, settings.device, workload, loop_iterations(workload))
            else:
                prepared[key] = prepare_ours(name, mode, dtype, settings.device, workload)
            prepared[key].row["import_s"] = imports.get(name)
        except Exception as err:  # one broken row must not lose the others
            status = f"error: {type(err).__name__}: {err}"[:200]
            prepared[key] = Prepared(
                {**_row(workload, name, mode, dtype, settings.device, status), "import_s": imports.get(name)}
            )
    # each row's bound: its library's own products, one call per step, and for a compiled loop inside one
    # compiled loop of the same length
    bounds = dict.fromkeys((n, bound_mode(m), d) for n, m, d in targets)
    bounds.update(dict.fromkeys((n, BOUNDS[0], d) for n, _, d in targets))
    for name, mode, dtype in sorted(bounds, key=lambda b: b[1]):
        key = f"{name} {mode} {dtype}"
        try:
            prepared[key] = (
                prepare_products(name, dtype, settings.device, workload)
                if mode == BOUNDS[0]
                else prepare_products_loop(name, dtype, settings.device, workload, loop_iterations(workload))
            )
        except Exception as err:
            status = f"error: {type(err).__name__}: {err}"[:200]
            prepared[key] = Prepared(_row(workload, name, mode, dtype, settings.device, status))
    return prepared | _peer_rows(settings, workload, peer_rows)


def _workload_rows(
    settings: BenchSettings,
    workload: Workload,
    targets: list,
    peer_rows: list,
    imports: dict,
    limits: dict,
    process: int = 0,
) -> list[dict]:
    """Every row of one workload in this process: each prepared (compiled, checked) once, then timed in
    interleaved rounds beside the machine's GEMM probe, so every ratio between them can be taken round by
    round; each round labelled with its process (round_process)."""
    min_time, min_repeats = settings.repeats
    prepared = _prepared(settings, workload, targets, peer_rows, imports)
    gemm: dict[str, list[float]] = {"float32": [], "float64": []}

    def time_one(key: str) -> float:
        if key == PROBE:
            start = time.perf_counter()
            fastest = {d: max(rates, key=rates.get) for d, rates in limits.get("gemm_gflops_by_library", {}).items()}
            for dtype, rate in machine.gemm_rates(quick=True, device=settings.device, libraries=fastest).items():
                gemm[dtype].append(rate)
            return time.perf_counter() - start
        # a quick run warms a row up in its first round only (it was compiled and checked already)
        row = prepared[key]
        return row.time_round(min_time, min_repeats, warm_up=not settings.quick or not row.rounds)

    ready = [k for k, p in prepared.items() if p.step is not None]
    seed = len(workload.name) + 1000 * process
    interleave([*ready, PROBE], time_one, settings.rounds_in(process), seed=seed)

    def finished() -> list[dict]:
        rows = [p.finish() for p in prepared.values()]
        for row in rows:
            if "round_s" in row:
                row["round_gemm_gflops"], row["round_process"] = gemm[row["dtype"]], [process] * len(row["round_s"])
        return rows

    # the goals still within noise get more rounds, every row of the workload in each (so every pair stays
    # paired), until each is decided or this unit's share of the budget is spent
    share = settings.decide_budget / (len(settings.workload_list()) * settings.process_count)
    deadline, extra = time.monotonic() + share, 0
    while ready and time.monotonic() < deadline and extra < MAX_EXTRA_ROUNDS:
        if not undecided(finished(), workload, limits):
            break
        extra += 1
        interleave([*ready, PROBE], time_one, 1, seed=seed + extra)
    rows = finished()
    for row in rows:
        row["extra_rounds"] = extra
    for p in prepared.values():  # a Keras row's model in its worker
        getattr(p, "close", lambda: None)()
    return rows


MAX_EXTRA_ROUNDS = 60  # a goal an hour of rounds cannot decide is not decided by rounds (goals.toml: change it)


def undecided(rows: list[dict], workload: Workload, limits: dict) -> bool:
    """Whether a goal of this workload's rows is within noise, on this unit's own rounds (no spread between
    runs: the page applies that where the machine's fingerprint matches)."""
    timed = [add_roofline(r, workload.spec, limits) for r in merge_processes(rows) if r.get("status") == "ok"]
    if not timed:
        return False
    found = goals.goals(pd.DataFrame(timed).reindex(columns=COLUMNS))
    return any(g["status"] == "goal" and g["verdict"] == "within noise" for g in found)


PROBE = "the machine's GEMM probe"


def _peer_rows(settings: BenchSettings, workload: Workload, peer_rows: list) -> dict:
    """The peers' rows of one workload, each prepared for the rounds of ours: scikit-learn and torch.nn in this
    process, Keras in its backend's worker (bench/keras.py), which times a row when a round reaches it; and,
    in full runs, Keras's whole loop where ours run theirs (not on wide: fit's calls cost seconds each)."""
    found: dict = {}
    for peer, dtype in peer_rows:
        ok, reason = peer_status(peer)
        if not ok:
            found[f"{peer} {dtype}"] = Prepared(peer_row(peer, workload, dtype, status=f"unavailable: {reason}"))
        elif peer in KERAS:
            worker = Worker.of(peer, settings.threads)
            found[f"{peer} {dtype}"] = worker.prepare(workload, dtype)
            if not settings.quick and workload.name != "wide":
                found[f"{peer} {FIT_LOOP} {dtype}"] = worker.prepare(workload, dtype, loop=True)
        else:
            found[f"{peer} {dtype}"] = prepare_peer(peer, workload, dtype, peer_runner(peer))
            found[f"{peer} {dtype}"].row["import_s"] = machine.import_seconds(
                "sklearn.neural_network" if peer == "sklearn" else "torch"
            )
    return found


def _row(workload: Workload, name: str, mode: str, dtype: str, device: str, status: str) -> dict:
    """A row with no timing, only its status."""
    return {
        "workload": workload.name,
        "family": workload.family,
        "backend": name,
        "mode": mode,
        "dtype": dtype,
        "device": device,
        "m": workload.m,
        "status": status,
    }


def plan(workloads: list[Workload], names: list[str], modes: list[str], dtypes: list[str], device: str):
    """(workload, backend, mode, dtype) for every available backend; and the unavailable ones' rows."""
    todo, unavailable = [], []
    for name in names:
        ok, reason = device_status(name, device)
        for mode in [m for m in MODES[name] if m in modes]:
            for dtype in dtypes:
                for w in workloads:
                    if ok:
                        todo.append((w, name, mode, dtype))
                    else:
                        unavailable.append(_row(w, name, mode, dtype, device, f"unavailable: {reason}"))
    return todo, unavailable


def run(settings: BenchSettings, runner: Runner) -> tuple[pd.DataFrame, dict]:
    """Every row of the benchmark through the runner, with the machine probed once per run (a resumed run
    keeps the first run's probe: one roofline per table); (the rows with their roofline, the metadata).
    With more than one process, each is a fresh `quartet bench --resume FOLDER --process i` started in
    turn, timing its share of every workload's rounds. Call machine.limit_threads(settings.threads) before
    anything imports a framework."""
    threads = _prepare_frameworks(settings, probing="limits" not in runner.extra)
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
        "thread_settings": threads,
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
        return machine.apply_thread_limits(settings.threads)
    used = {*settings.backends, *(["torch"] if "torch.nn" in settings.peers else [])}
    return machine.apply_thread_limits(settings.threads, used)
