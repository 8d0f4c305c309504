"""The benchmark's units for the runner: per workload, the rows of our backends, the compiled loops and the
peers, prepared (compiled, each first step checked) and timed in shuffled rounds together, with extra rounds
for the goals still within noise; plan() is which rows a run has."""

import functools
import importlib
import time

from ..core.backends import MODES, PACKAGES, device_status
from ..core.registry import PEER_INFO
from ..run.runner import Unit
from . import goals, machine
from .captured import MODE as CAPTURED
from .keras import FIT_LOOP, Worker
from .merge import BOUNDS, bound_mode, merge_processes
from .peer_rows import KERAS, peer_row, prepare_peer
from .peers import peer_runner, peer_status
from .products import prepare_products, prepare_products_loop
from .roofline import add_roofline
from .row import Row, frame_of
from .settings import BenchSettings
from .steps import Prepared, loop_iterations, prepare_loop, prepare_ours
from .timing import interleave
from .workloads import Workload, forget

IN_PROCESS_PEERS = tuple(p for p in PEER_INFO if p not in KERAS)  # Keras in its workers: all in the rounds of ours


def units(
    settings: BenchSettings, imports: dict[str, float | None], limits: dict | None = None, process: int | None = None
) -> tuple[list[Unit], list[Row]]:
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
        if "compiled" in modes and device_status(n, device)[0] and _has_train_loop(n)
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
            prepared[key].row.import_s = imports.get(name)
        except Exception as err:  # one broken row must not lose the others
            status = f"error: {type(err).__name__}: {err}"[:200]
            prepared[key] = Prepared(
                workload.row(name, mode, dtype, settings.device, status=status, import_s=imports.get(name))
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
            prepared[key] = Prepared(workload.row(name, mode, dtype, settings.device, status=status))
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
    dtypes = sorted({p.row.dtype for p in prepared.values()})  # the probe's products: the rows' dtypes only

    def time_one(key: str) -> float:
        if key == PROBE:
            start = time.perf_counter()
            fastest = {d: max(rates, key=rates.get) for d, rates in limits.get("gemm_gflops_by_library", {}).items()}
            rates = machine.gemm_rates(quick=True, device=settings.device, libraries=fastest, dtypes=dtypes)
            for dtype, rate in rates.items():
                gemm[dtype].append(rate)
            return time.perf_counter() - start
        # a quick run warms a row up in its first round only (it was compiled and checked already)
        row = prepared[key]
        return row.time_round(min_time, min_repeats, warm_up=not settings.quick or not row.rounds)

    ready = [k for k, p in prepared.items() if p.step is not None]
    seed = len(workload.name) + 1000 * process
    interleave([*ready, PROBE], time_one, settings.rounds_in(process), seed=seed)

    def finished() -> list[Row]:
        rows = [p.finish() for p in prepared.values()]
        for row in rows:
            if row.round_s is not None:
                row.round_gemm_gflops, row.round_process = list(gemm[row.dtype]), [process] * len(row.round_s)
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
        row.extra_rounds = extra
    for p in prepared.values():  # a Keras row's model in its worker
        getattr(p, "close", lambda: None)()
    forget(workload)  # its data and each library's copy of it: the next workload starts without them
    return [row.as_dict() for row in rows]  # as the run's checkpoint keeps them


MAX_EXTRA_ROUNDS = 60  # a goal an hour of rounds cannot decide is not decided by rounds (goals.toml: change it)


def undecided(rows: list[Row], workload: Workload, limits: dict) -> bool:
    """Whether a goal of this workload's rows is within noise, on this unit's own rounds (no spread between
    runs: the page applies that where the machine's fingerprint matches)."""
    timed = [add_roofline(r, workload.spec, limits) for r in merge_processes(rows) if r.status == "ok"]
    if not timed:
        return False
    found = goals.goals(frame_of(timed))
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
            found[f"{peer} {dtype}"].row.import_s = machine.import_seconds(PEER_INFO[peer].module)
    return found


def _has_train_loop(name: str) -> bool:
    """Whether the backend's deep.py compiles a whole training loop (make_train_loop: JAX's lax.scan, TensorFlow's
    tf.while_loop), the row "compiled-loop" times."""
    return hasattr(importlib.import_module(f"{PACKAGES[name]}.deep"), "make_train_loop")


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
                        unavailable.append(w.row(name, mode, dtype, device, status=f"unavailable: {reason}"))
    return todo, unavailable
