"""`quartet bench`: one training step of every backend and peer timed with the roofline
(conformance/bench/run.py), or with --workers the data-parallel step on N and M workers
(conformance/parallel/speedup.py), run by the runner; the tables, the goals and the written results."""

import argparse
from dataclasses import asdict

from rich.markup import escape
from rich.table import Table

from ..bench import between, goals, results, threads
from ..bench.captured import MODE as CAPTURED
from ..bench.run import BenchSettings, run_process
from ..bench.run import run as run_bench
from ..bench.workloads import gpu_workloads, main_workloads, sweep_workloads
from ..core import environment
from ..core.backends import DTYPES, NAMES
from ..core.registry import MODE_NAMES, PEER_NAMES, PEERS
from ..parallel import speedup as parallel
from ..parallel.engine import LAUNCHES, engine_label
from ..run.child import add_child_options
from ..run.runner import Runner
from .common import (
    FAILED,
    GREEN,
    UNFINISHED,
    UsageError,
    add_selection,
    choices,
    console,
    data_parallel_backends,
    positive_float,
    positive_int,
    seconds_or_none,
)


def add_parser(sub) -> None:
    parser = sub.add_parser("bench", help="time one training step of every backend and peer, with the roofline")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="3 short rounds and no sweeps (five to six and a half minutes here with every backend and peer, "
        "15 s of them deciding rounds)",
    )
    main, sweeps, gpu = ([w.name for w in ws] for ws in (main_workloads(), sweep_workloads(), gpu_workloads()))
    parser.add_argument(
        "--workloads",
        default="",
        metavar="A,B",
        help=f"a subset of the workloads by name: {', '.join(main)}; the full run's sweeps "
        f"{', '.join(sweeps)}; on the GPU {', '.join(gpu)} (default: every workload of the "
        "run)",
    )
    # a plugin is timed when named: MLX's CPU products on Linux run at 6 GFLOP/s, and its rows of the wide
    # net alone would take six minutes of a three-minute quick run
    add_selection(parser, "bench", plugins=False, cache=False)
    parser.add_argument(
        "--peers",
        default=",".join(PEER_NAMES),
        metavar="A,B",
        help="peers to time beside ours: "
        + ", ".join(f"{p.name} ({p.title}, {p.unit})" if p.title != p.name else f"{p.name} ({p.unit})" for p in PEERS)
        + " (empty: none)",
    )
    _add_timing(parser)
    parser.add_argument(
        "--workers",
        default=None,
        metavar="N,M",
        help="instead: data-parallel training on N and M workers, one thread each (default: none, the step benchmark)",
    )
    parser.add_argument(
        "--launch",
        choices=LAUNCHES,
        default=None,
        help="with --workers: separate processes that meet over TCP (default) or devices in one process",
    )
    add_child_options(parser, process=True)  # --resume DIR; a child of a run in processes: --shard, --process
    parser.set_defaults(func=run)


def _add_timing(parser: argparse.ArgumentParser) -> None:
    """How the rows are timed: threads, seconds per row, rounds, processes, and rounds to decide a goal."""
    parser.add_argument("--threads", type=positive_int, default=2, help="threads for every framework")
    parser.add_argument("--min-time", type=positive_float, default=0.4, help="seconds of repeats per row and round")
    parser.add_argument(
        "--rounds",
        type=positive_int,
        default=None,
        help="rounds of every row and the probe, each shuffled (default: 3 quick, 9 full)",
    )
    parser.add_argument(
        "--processes",
        type=positive_int,
        default=None,
        metavar="N",
        help="fresh processes, one after another, that share the rounds (default: 1 quick, 3 full): "
        "the intervals then hold what differs from process to process",
    )
    parser.add_argument(
        "--decide",
        type=seconds_or_none,
        default=None,
        metavar="SECONDS",
        help="seconds of extra rounds, shared by the workloads, for goals their rounds left within "
        "noise (default: 15 with --quick, 120 for a full run; 0: none)",
    )


def settings_from(args: argparse.Namespace) -> BenchSettings:
    """The options as plain values, each name checked against what exists."""
    every = main_workloads() + ([] if args.quick else sweep_workloads()) + gpu_workloads()
    return BenchSettings(
        backends=choices(args.backends, NAMES, "backend(s)"),
        modes=choices(args.modes, (*MODE_NAMES, CAPTURED), "mode(s)"),  # captured: on the CPU, when named
        dtypes=choices(args.dtypes, DTYPES, "dtype(s)"),
        workloads=choices(args.workloads, tuple(w.name for w in every), "workload(s)") if args.workloads else [],
        peers=choices(args.peers, PEER_NAMES, "peer(s)") if args.peers else [],
        quick=args.quick,
        threads=args.threads,
        min_time=args.min_time,
        device=args.device,
        rounds=args.rounds or 0,
        processes=args.processes or 0,
        decide_s=args.decide,
    )


def run(args: argparse.Namespace) -> int:
    runner = Runner.resume(args.resume, "bench", console) if args.resume else None
    if args.launch and not args.workers and not runner:
        raise UsageError("--launch chooses how data-parallel workers start: use it with --workers N,M")
    if (runner and "workers" in runner.settings) or (not runner and args.workers):
        threads.limit_threads(1, pin=False)  # the parent only prepares data; each worker has its own single thread
        return run_parallel(args, runner)
    settings = BenchSettings(**runner.settings) if runner else settings_from(args)
    threads.limit_threads(settings.threads)  # before any framework is imported
    if args.shard:  # a child of a run in processes: its process's rounds of every workload
        if runner is None:
            raise UsageError("--shard is for the children of a bench run in processes, with --resume DIR")
        runner.child(*args.shard)
        run_process(settings, runner, args.process)
        runner.leave()
    runner = runner or Runner.start(args.out, "bench", asdict(settings), console)
    frame, meta = run_bench(settings, runner)
    paths = results.write_bench(frame, meta, runner.folder)
    interrupted = runner.finish()
    if interrupted:
        return interrupted
    print_table(frame)
    for r in frame[frame["status"] == "check failed"].itertuples():
        console.print(
            f"[bold red]check failed[/] {r.workload} {r.backend} {r.mode} {r.dtype}: "
            f"error {r.check_err:.2e} > tolerance {r.check_tol:.2e}; its time is not reported"
        )
    spread, spread_note = between.for_run(meta)
    found = goals.goals(frame, spread)
    said = f"{goals.decided(found)}{results.extra_rounds(frame)}"
    console.print(
        "[bold]speed goals[/] (conformance/bench/goals.toml): the median of per-round values, with a "
        f"bootstrap 95% interval; {spread_note}; {said}"
    )
    for title, _, table in [s for s in goals.sections(found) if s[0] != goals.BESIDE]:
        goal_table = Table(title=title, title_justify="left")
        for column in ("goal", "target", "measured (95% interval)", "verdict"):
            goal_table.add_column(column, justify="left" if column == "goal" else "right")
        for g in table.to_dict("records"):
            style = {"met": "green", "missed": "bold red", "within noise": "yellow"}.get(g["verdict"], "dim")
            goal_table.add_row(g["goal"], g["target"], g["measured (95% interval)"], f"[{style}]{g['verdict']}[/]")
        console.print(goal_table)
    for r in meta.get("vectorisation", []):
        console.print(
            f"vectorisation, {r['framework']}: the loop over {r['n_x']} x {r['m']} numbers "
            f"{1e3 * r['loop_s']:.3g} ms, propagate {1e3 * r['vectorised_s']:.3g} ms: "
            f"{r['ratio']:.0f} times slower"
        )
    console.print(f"wrote {paths['md']} (and bench.csv, bench.json, plots)")
    return exit_status(frame)


def print_table(frame) -> None:
    """Milliseconds per step and % of the roofline: one row per backend, mode and dtype, one column per workload."""
    main = frame[frame["family"].fillna("") == ""]
    workloads = list(dict.fromkeys(main["workload"]))
    table = Table(title="ms per training step (median); in brackets: % of the roofline bound", title_justify="left")
    for column in ["backend", "mode", "dtype", *workloads]:
        table.add_column(column, justify="left" if column in ("backend", "mode", "dtype") else "right", no_wrap=True)
    for (name, mode, dtype), rows in main.groupby(["backend", "mode", "dtype"], sort=False):
        cells = []
        for workload in workloads:
            row = rows[rows["workload"] == workload]
            if row.empty:
                cells.append("")
                continue
            r = row.iloc[0]
            if r["status"] != "ok":
                cells.append(f"[red]{escape(str(r['status']))[:24]}[/]")
            else:
                cells.append(f"{r['median_s'] * 1e3:.3g} ({100 * r['roofline_fraction']:.0f}%)")
        table.add_row(name, mode, dtype.replace("float", "f"), *cells)
    console.print(table)


def _workers_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise UsageError(f"--workers takes worker counts separated by commas (e.g. 1,2), got {text!r}")
    return sorted(set(values))


def run_parallel(args: argparse.Namespace, runner: Runner | None) -> int:
    """bench --workers 1,2: seconds per data-parallel step, speed-up and efficiency per framework."""
    if runner:
        settings = parallel.ParallelBenchSettings(**runner.settings)
    else:
        workers, most = _workers_list(args.workers), min(w.m for w in parallel.bench_workloads(args.quick))
        if max(workers) > most:
            raise UsageError(
                f"--workers {args.workers}: the smallest workload has m = {most} columns, so at most {most} workers"
            )
        settings = parallel.ParallelBenchSettings(
            backends=[n for n in data_parallel_backends(args.backends) if n != "numpy"],
            workers=workers,
            dtypes=choices(args.dtypes, DTYPES, "dtype(s)"),
            quick=args.quick,
            launch=args.launch or "processes",
        )
        runner = Runner.start(args.out, "bench", asdict(settings), console)
    workloads = [w.name for w in parallel.bench_workloads(settings.quick)]
    console.print(
        f"[bold]bench[/] data parallel: {settings.backends} on {settings.workers} workers as "
        f"{settings.launch}, one thread each, {settings.steps} timed steps; {workloads}"
    )
    for name in settings.backends:
        console.print(f"  {name}: {engine_label(name, settings.launch)}")
    runner.run("data parallel", parallel.units(settings))
    frame = parallel.table(runner.rows())
    print_parallel_table(frame)
    page = parallel.write(frame, settings, environment.environment(), runner.folder, runner.incomplete_note())
    interrupted = runner.finish()
    if interrupted:
        return interrupted
    console.print(f"wrote {page} (and parallel.csv, parallel.json)")
    return exit_status(frame)


def print_parallel_table(frame) -> None:
    """One row per workload, backend, dtype and worker count: ms per step, speed-up, efficiency, all-reduce share."""
    table = Table(
        title="data-parallel step: ms (median), speed-up over 1 worker, efficiency, all-reduce share",
        title_justify="left",
    )
    for column in ("workload", "backend", "engine", "dtype", "workers", "ms", "speed-up", "efficiency", "all-reduce"):
        table.add_column(column, justify="left" if column in ("workload", "backend", "engine", "dtype") else "right")

    def fmt(value, pattern: str) -> str:
        return "" if value is None or value != value else pattern.format(value)

    for r in frame.itertuples():
        if r.status != "ok":
            table.add_row(
                r.workload, r.backend, r.engine, r.dtype, str(r.workers), f"[red]{escape(str(r.status))[:40]}[/]"
            )
            continue
        table.add_row(
            r.workload,
            r.backend,
            r.engine,
            r.dtype.replace("float", "f"),
            str(r.workers),
            fmt(1e3 * r.step_s, "{:.3g}"),
            fmt(r.speedup, "{:.2f}x"),
            fmt(r.efficiency, "{:.0%}"),
            fmt(r.comm_share, "{:.0%}") or "not exposed",
        )
    console.print(table)


def exit_status(frame) -> int:
    """The check's statuses: UNFINISHED when a row of one of our backends raised (a stub's NotImplementedError
    too; a peer's error is the peer's, and "unavailable" is no error), else FAILED when a row computes something
    else than the reference (its time is not reported), else GREEN."""
    ours = frame[frame["backend"].isin(NAMES)]
    if ours["status"].astype(str).str.startswith("error").any():
        for r in ours[ours["status"].astype(str).str.startswith("error")].drop_duplicates("backend").itertuples():
            console.print(f"[bold red]{r.backend} raised[/] ({r.workload} {r.mode} {r.dtype}): {escape(str(r.status))}")
        return UNFINISHED
    return FAILED if (frame["status"] == "check failed").any() else GREEN
