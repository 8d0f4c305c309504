"""The `quartet` command: doctor, train, check, bench, code, report, replicate."""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from reference_numpy.activations import HIDDEN_ACTIVATIONS
from reference_numpy.initializers import SCHEMES

from . import course, datasets, environment
from .backends import check_divergence
from .report import INCOMPLETE

console = Console(width=None if sys.stdout.isatty() else 120)  # piped output: wide enough for the tables
error_console = Console(stderr=True, soft_wrap=True)  # an error message is never wrapped mid-path


class UsageError(ValueError):
    """A command-line argument that cannot be used; printed without a traceback."""


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("cost {task.fields[cost]:.6f}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _layer_dims(text: str) -> list[int]:
    try:
        dims = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--layer-dims takes integers separated by commas, got {text!r}") from None
    if len(dims) < 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"--layer-dims needs at least two positive sizes, got {text!r}")
    return dims


def _positive(kind: type, what: str):
    """An argparse type: `kind`(text), which must be finite and above 0, or the message `what`."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


_positive_float = _positive(float, "a positive finite number")
_positive_int = _positive(int, "a positive integer")


# --- doctor -------------------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    env = environment.environment()
    if args.json:
        print(json.dumps(env, indent=2))
        return 0
    blas = env["blas"]
    overrides = ", ".join(f"{k}={v}" for k, v in blas.items() if k.isupper())
    console.print(
        f"[bold]quartet doctor[/]  Python {env['python']} on {env['platform']}\n"
        f"CPU: {env['cpu']} ({env['cores_usable']} of {env['cores']} cores usable)\n"
        f"BLAS (NumPy): {blas['library']} {blas['version']} {blas['architecture']}, {blas['threads']} threads"
        + (f"  [dim]{overrides}[/]" if overrides else "")
    )
    table = Table(title="frameworks", title_justify="left")
    for column in ("framework", "version", "import s", "threads", "devices", "note"):
        table.add_column(column, justify="right" if column == "import s" else "left")
    for fw in env["frameworks"]:
        table.add_row(
            fw["name"],
            fw["version"] if fw["installed"] else "[red]missing[/]",
            "" if fw["import_s"] is None else f"{fw['import_s']:.2f}",
            fw["threads"],
            ", ".join(fw["devices"]),
            fw["note"],
        )
    console.print(table)
    return 0


# --- train --------------------------------------------------------------------------------------


def _accuracy(predictions: np.ndarray, Y: np.ndarray | None) -> float | None:
    return None if Y is None else float(np.mean(predictions == Y))


def cmd_train(args: argparse.Namespace) -> int:
    from reference_numpy import deep, initializers, logistic

    data = datasets.load_dataset(args.dataset, data_dir=args.data_dir, seed=args.seed)
    n_x = data.n_x
    if args.model == "logistic":
        layer_dims = [n_x, 1]
        if args.layer_dims not in (None, layer_dims):
            raise UsageError(
                f"logistic regression has layer_dims [n_x, 1] = {layer_dims}; got --layer-dims {args.layer_dims}"
            )
        init = args.init or "zeros"
    else:
        layer_dims = args.layer_dims or ([n_x, 20, 7, 5, 1] if args.dataset == "cat" else [n_x, 4, 1])
        init = args.init or "xavier"
    if layer_dims[0] != n_x:
        rest = ",".join(map(str, layer_dims[1:]))
        raise UsageError(
            f"--layer-dims starts with {layer_dims[0]}, but dataset {args.dataset!r} has "
            f"n_x = {n_x} features (X is {data.X_train.shape}); use --layer-dims {n_x},{rest}"
        )
    if layer_dims[-1] != 1:
        raise UsageError(f"--layer-dims must end with 1 (one sigmoid output unit), got {layer_dims}")
    if args.model == "deep" and init == "zeros" and len(layer_dims) > 2:
        console.print("[yellow]note:[/] zero initialisation leaves every hidden unit identical (no symmetry breaking)")

    X, Y = data.X_train, data.Y_train
    console.print(
        f"[bold]train[/] {args.model} on {args.dataset}: X {X.shape}, Y {Y.shape}; layer_dims {layer_dims}, "
        f"hidden {args.hidden_activation if args.model == 'deep' else 'none'}, init {init} (seed {args.seed}), "
        f"learning rate {args.learning_rate}, {args.num_iterations} iterations"
    )
    curve: list[float] = []
    with _progress() as progress:
        task = progress.add_task("training", total=args.num_iterations, cost=float("nan"))

        def callback(i: int, cost: float) -> None:
            curve.append(cost)
            check_divergence(i, cost, curve[0], args.learning_rate)  # stops training with the iteration
            if i % args.print_every == 0 or i == args.num_iterations - 1:
                progress.console.print(f"Cost after iteration {i}: {cost:.6f}")
            progress.update(task, advance=1, cost=cost)

        start = time.perf_counter()
        parameters = initializers.initialize(layer_dims, scheme=init, seed=args.seed)
        if args.model == "logistic":
            w, b = parameters["W1"].T, parameters["b1"]  # (n_x, 1), (1, 1)
            params, _, _ = logistic.optimize(w, b, X, Y, args.num_iterations, args.learning_rate, callback=callback)

            def predict(X_: np.ndarray) -> np.ndarray:
                return logistic.predict(params["w"], params["b"], X_)
        else:
            parameters, _ = deep.L_layer_model(
                X,
                Y,
                layer_dims,
                args.learning_rate,
                args.num_iterations,
                hidden_activation=args.hidden_activation,
                parameters=parameters,
                callback=callback,
            )

            def predict(X_: np.ndarray) -> np.ndarray:
                return deep.predict(X_, parameters, args.hidden_activation)

        wall = time.perf_counter() - start

    train_accuracy = _accuracy(predict(X), Y)
    test_accuracy = None if data.X_test is None else _accuracy(predict(data.X_test), data.Y_test)
    summary = Table(title="summary", title_justify="left", show_header=False)
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    summary.add_row("final cost", f"{curve[-1]:.6f}")
    summary.add_row("train accuracy", f"{100 * train_accuracy:.2f} %  (m = {Y.shape[1]})")
    summary.add_row(
        "test accuracy",
        "n/a (no test set)" if test_accuracy is None else f"{100 * test_accuracy:.2f} %  (m = {data.Y_test.shape[1]})",
    )
    summary.add_row("wall time", f"{wall:.2f} s ({1e3 * wall / args.num_iterations:.3f} ms per iteration)")
    if args.plot:
        from .report import plot_cost_curves

        path = plot_cost_curves(
            {"NumPy reference": curve}, Path(args.plot), f"{args.model} {layer_dims} on {args.dataset}"
        )
        summary.add_row("cost curve", str(path))
    console.print(summary)
    return 0


# --- replicate ----------------------------------------------------------------------------------


def cmd_replicate(args: argparse.Namespace) -> int:
    from .report import write_replication

    names = args.runs or list(course.RUNS)
    unknown = [n for n in names if n not in course.RUNS]
    if unknown:
        raise UsageError(f"unknown course run(s) {unknown}; choose from {list(course.RUNS)}")
    from . import backends

    frameworks = _choices(args.frameworks, ("torch", "jax", "tf"), "framework(s)") if args.frameworks else []
    results, others = [], {}
    with _progress() as progress:
        for name in names:
            run = course.RUNS[name]
            task = progress.add_task(name, total=run.num_iterations, cost=float("nan"))
            result = course.replay(
                run, data_dir=args.data_dir, callback=lambda i, c, t=task: progress.update(t, advance=1, cost=c)
            )
            results.append(result)
            others[name] = []
            for framework in frameworks:
                ok, reason = backends.framework_status(framework)
                if not ok:
                    progress.console.print(f"{framework}: skipped, {reason}")
                    continue
                mode = args.mode if args.mode in backends.MODES[framework] else "eager"
                task = progress.add_task(f"{name} {framework} {mode}", total=1, cost=float("nan"))
                other = course.replay_in(run, framework, mode, data_dir=args.data_dir)
                progress.update(task, completed=1, cost=other.cost_curve[-1])
                others[name].append(other)
    page = write_replication(results, Path(args.out), environment.environment(include_frameworks=False), others)
    console.print(f"wrote {page}")
    return 0


# --- check --------------------------------------------------------------------------------------


def _choices(text: str, choices: tuple[str, ...], what: str) -> list[str]:
    values = [v for v in text.replace(" ", "").split(",") if v]
    unknown = [v for v in values if v not in choices]
    if unknown or not values:
        raise UsageError(f"unknown {what} {unknown or text!r}; choose from {list(choices)}")
    return values


def _short(value: float) -> str:
    """1.5e-07 -> 1.5e-7: the tables are read across nine columns."""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _cell(max_rel_err: float, margin: float, passed: bool) -> str:
    style = "bold red" if not passed else "green" if margin >= 10 else "yellow"
    return f"[{style}]{'exact' if max_rel_err == 0 else _short(max_rel_err)}[/]"


def _interrupted(out: Path, err: KeyboardInterrupt, done: int, total: int, command: str) -> int:
    """What an interrupted run says, and its exit status: 130 for Ctrl-C, 143 for SIGTERM."""
    from .checkpoint import Terminated

    console.print(f"[bold yellow]interrupted[/] ({'SIGTERM' if isinstance(err, Terminated) else 'Ctrl-C'}): "
                  f"{done} of {total} finished units kept in {out}; finish the run with "
                  f"[bold]quartet {command} --resume {out}[/]", soft_wrap=True)  # fmt: skip
    return 143 if isinstance(err, Terminated) else 130


RESUME_HELP = "finish an interrupted run in DIR (with its own settings; other options are ignored)"


def _finish_check(checkpoint, skipped: list[dict], settings: dict, out: Path, interrupted, total: int,
                  device: str) -> int:  # fmt: skip
    """The table, the files and the exit status of a check run from its finished rows."""
    import pandas as pd

    from . import compare
    from .report import write_check

    frame = pd.DataFrame(checkpoint.rows(), columns=compare.COLUMNS).drop_duplicates(
        subset=["model", "backend", "mode", "dtype", "device", "quantity", "against"]
    )
    frame["passed"] = frame["passed"].astype(bool)
    result = compare.MatrixResult(frame, skipped)
    summary = compare.summary(frame)

    columns = list(dict.fromkeys(summary["column"]))
    table = Table(title=f"max relative error against float64 NumPy on {device}; green: 10x inside its "
                  "tolerance, yellow: inside, red: outside", title_justify="left")  # fmt: skip
    for column in ["backend", "mode", "dtype", *columns, "f32 drift"]:
        table.add_column(column, justify="left" if column in ("backend", "mode", "dtype") else "right", no_wrap=True)
    for (name, mode, dtype), rows in summary.groupby(["backend", "mode", "dtype"], sort=False):
        cells = {r.column: _cell(r.max_rel_err, r.margin, r.passed) for r in rows.itertuples()}
        drift = rows["f32_drift"].max()
        short_dtype = dtype.replace("float", "f")
        table.add_row(
            name, mode, short_dtype, *[cells.get(c, "") for c in columns], "" if drift != drift else _short(drift)
        )
    if len(summary):
        console.print(table)
    reasons: dict[tuple[str, str], list[str]] = {}
    for skip in skipped:
        reasons.setdefault((skip["backend"], skip["reason"]), []).append(f"{skip['mode']} {skip['dtype']}")
    for (name, reason), which in reasons.items():
        console.print(f"[dim]unavailable: {name} ({', '.join(which)}): {escape(reason)}[/]")
    pair_rows = frame[frame["against"] != "numpy/float64"]
    if len(pair_rows):
        console.print(f"float64 pairwise: {len(pair_rows)} comparisons, worst error "
                      f"{pair_rows['max_rel_err'].max():.1e}, {int((~pair_rows['passed']).sum())} failed")  # fmt: skip
    paths = write_check(result, summary, out, environment.environment(), {**settings, "complete": not interrupted})
    checkpoint.save(complete=not interrupted)
    if interrupted:
        return _interrupted(out, interrupted, len(checkpoint.units), total, "check")
    failed = int((~frame["passed"]).sum())
    if not len(frame):
        console.print(f"[bold red]nothing to check:[/] no selected backend is available on {device}")
        return 2
    console.print(f"{len(frame)} comparisons, [{'bold red' if failed else 'green'}]{failed} failed[/]; "
                  f"wrote {paths['csv']}, {paths['json'].name}, {paths['md'].name}")  # fmt: skip
    if failed:
        bad = frame[~frame["passed"]].head(10)
        for r in bad.itertuples():
            console.print(
                f"  FAIL {r.model} {r.backend} {r.mode} {r.dtype} {r.quantity}: {r.max_rel_err:.2e} > {r.tolerance:.2e}"
            )
    return 1 if failed else 0


def _check_parallel(args: argparse.Namespace, checkpoint) -> int:
    """check --workers N: each framework's data-parallel training on N workers against the single-process
    full batch (conformance/parallel.py), even and uneven splits, through the same engine."""
    from . import backends, parallel
    from .checkpoint import Checkpoint, interruptible
    from .report import fresh_results_dir

    cases = parallel.default_cases()
    if checkpoint is None:
        most = min(case.m for case in cases)
        if args.workers > most:
            raise UsageError(f"--workers {args.workers}: the data-parallel cases have m = "
                             f"{sorted({c.m for c in cases})} columns, so at most {most} workers")  # fmt: skip
        if args.device != "cpu":
            raise UsageError("check --workers runs on the CPU (processes, logical devices); --device gpu is not "
                             "supported with it")  # fmt: skip
        settings = dict(backends=_choices(args.backends, backends.NAMES, "backend(s)"),
                        dtypes=_choices(args.dtypes, backends.DTYPES, "dtype(s)"), workers=args.workers,
                        device="cpu", steps=parallel.STEPS)  # fmt: skip
        checkpoint = Checkpoint(fresh_results_dir(args.out, "check"), "check", settings)
        checkpoint.save()
    settings, out = checkpoint.settings, checkpoint.folder
    names = settings["backends"]
    console.print(f"[bold]check[/] data parallel = full batch: {settings['workers']} workers, {names}, "
                  f"{len(cases)} cases (m = 12 and 13), {parallel.STEPS} steps")  # fmt: skip
    skipped, interrupted = [], None
    with _progress() as progress, interruptible():
        task = progress.add_task("data parallel", total=len(names), cost=float("nan"))
        try:
            for name in names:
                key = f"{name}/{settings['workers']} workers"
                if not checkpoint.done(key):
                    progress.update(task, description=f"{name} {settings['workers']} workers")
                    frame, skips = parallel.check(cases, [name], [settings["workers"]], settings["dtypes"])
                    skipped += skips
                    if not skips:
                        checkpoint.add(key, frame.to_dict("records"))
                progress.advance(task)
        except KeyboardInterrupt as err:
            interrupted = err
    return _finish_check(checkpoint, skipped, settings, out, interrupted, len(names), "cpu")


def cmd_check(args: argparse.Namespace) -> int:

    from . import backends, compare
    from .checkpoint import Checkpoint, interruptible
    from .report import fresh_results_dir
    from .spec import ModelSpec

    if args.resume:
        checkpoint = Checkpoint.resume(args.resume, "check")
        if "workers" in checkpoint.settings:
            return _check_parallel(args, checkpoint)
        settings = checkpoint.settings
        names, modes, dtypes, device = settings["backends"], settings["modes"], settings["dtypes"], settings["device"]
        quick, out = settings["quick"], Path(args.resume)
    else:
        if args.workers:
            return _check_parallel(args, None)
        names = _choices(args.backends, backends.NAMES, "backend(s)")
        dtypes = _choices(args.dtypes, backends.DTYPES, "dtype(s)")
        modes = _choices(args.modes, ("eager", "compiled", "function"), "mode(s)")
        device, quick = args.device, args.quick
    steps = (1, 10) if quick else compare.STEPS
    targets = [(n, m, d, device) for n in names for m in backends.MODES[n] if m in modes for d in dtypes
               if (n, d) != ("numpy", "float64")]  # fmt: skip
    if quick:  # compiled programs cost seconds per shape: two shapes for them
        eager_cases = compare.default_cases(depths=(1, 3))
        compiled_cases = [compare.make_case(ModelSpec("logistic", (8, 1))),
                          compare.make_case(ModelSpec("deep", (8, 7, 6, 1), "relu"), seed=3)]  # fmt: skip
    else:
        eager_cases = compiled_cases = compare.default_cases()
    if not args.resume:
        settings = dict(backends=names, modes=modes, dtypes=dtypes, device=device, steps=list(steps), quick=quick,
                        cases=len(eager_cases))  # fmt: skip
        out = fresh_results_dir(args.out, "check")
        checkpoint = Checkpoint(out, "check", settings)
        checkpoint.save()
    plan = [(eager_cases if t[1] == "eager" else compiled_cases, t) for t in targets]
    pair_targets = [(n, "eager", "float64", device) for n in names if n != "numpy" and "float64" in dtypes]
    pair_targets = [t for t in pair_targets if backends.device_status(t[0], t[3])[0]]
    pairwise = len(pair_targets) > 1 and "eager" in modes
    total = sum(len(c) for c, _ in plan) + pairwise
    console.print(f"[bold]check[/] {len(targets)} targets on {device}, steps {list(steps)}; "
                  f"{len(eager_cases)} cases eager, {len(compiled_cases)} compiled"
                  + (f"; resuming {out} ({len(checkpoint.units)} units done)" if args.resume else ""))  # fmt: skip
    skipped, interrupted = [], None
    with _progress() as progress, interruptible():
        task = progress.add_task("conformance", total=total, cost=float("nan"))
        try:
            for cases, target in plan:
                for case in cases:
                    key = "/".join(target) + "/" + case.spec.label
                    if checkpoint.done(key):
                        progress.advance(task)
                        continue
                    progress.update(task, description=f"{target[0]} {target[1]} {target[2]} {case.spec.label}")
                    result = compare.run_matrix([case], [target], steps=steps, pairwise=False)
                    if result.skipped:
                        skipped += result.skipped
                        progress.advance(task, len(cases))
                        break
                    checkpoint.add(key, result.frame.to_dict("records"))
                    progress.advance(task)
            if pairwise and not checkpoint.done("float64 pairwise"):
                progress.update(task, description="float64 pairwise")
                result = compare.run_matrix(eager_cases, pair_targets, steps=steps, pairwise=True)
                checkpoint.add("float64 pairwise", result.frame.to_dict("records"))
                progress.advance(task)
        except KeyboardInterrupt as err:
            interrupted = err

    return _finish_check(checkpoint, skipped, settings, out, interrupted, total, device)


# --- bench --------------------------------------------------------------------------------------


def _workers_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise UsageError(f"--workers takes worker counts separated by commas (e.g. 1,2), got {text!r}")
    return sorted(set(values))


def _bench_parallel(args: argparse.Namespace, checkpoint) -> int:
    """bench --workers 1,2: seconds per data-parallel step, speed-up and efficiency per framework."""
    import pandas as pd

    from . import backends, parallel
    from .checkpoint import interruptible
    from .report import frame_markdown, fresh_results_dir, write_atomically

    if checkpoint is None:
        from .checkpoint import Checkpoint

        names = [n for n in _choices(args.backends, backends.NAMES, "backend(s)") if n != "numpy"]
        workers, most = _workers_list(args.workers), min(w.m for w in parallel.bench_workloads(args.quick))
        if max(workers) > most:
            raise UsageError(f"--workers {args.workers}: the smallest workload has m = {most} columns, so at most "
                             f"{most} workers")  # fmt: skip
        settings = dict(backends=names, workers=workers,
                        dtypes=_choices(args.dtypes, backends.DTYPES, "dtype(s)"), quick=args.quick)  # fmt: skip
        checkpoint = Checkpoint(fresh_results_dir(args.out, "bench"), "bench", settings)
        checkpoint.save()
    settings, out = checkpoint.settings, checkpoint.folder
    steps = 3 if settings["quick"] else 10
    workloads = [w.name for w in parallel.bench_workloads(settings["quick"])]
    console.print(f"[bold]bench[/] data parallel: {settings['backends']} on {settings['workers']} workers, one "
                  f"thread each, {steps} timed steps; workloads {workloads}")  # fmt: skip
    plan = [(n, w) for w in settings["workers"] for n in settings["backends"]]
    interrupted = None
    with _progress() as progress, interruptible():
        task = progress.add_task("data parallel", total=len(plan), cost=float("nan"))
        try:
            for name, workers in plan:
                key = f"{name}/{workers} workers"
                if not checkpoint.done(key):
                    progress.update(task, description=f"{name} {workers} workers")
                    rows = parallel.bench([name], [workers], settings["dtypes"], steps,
                                          parallel.bench_workloads(settings["quick"]))  # fmt: skip
                    checkpoint.add(key, rows)
                progress.advance(task)
        except KeyboardInterrupt as err:
            interrupted = err
    columns = ["workload", "m", "backend", "dtype", "workers", "threads", "step_s", "speedup", "efficiency",
               "comm_s", "comm_share", "check_err", "check_tol", "status"]  # fmt: skip
    frame = pd.DataFrame(parallel.add_scaling(checkpoint.rows())).reindex(columns=columns)
    table = Table(title="data-parallel step: ms (median), speed-up over 1 worker, efficiency, all-reduce share",
                  title_justify="left")  # fmt: skip
    for column in ("workload", "backend", "dtype", "workers", "ms", "speed-up", "efficiency", "all-reduce"):
        table.add_column(column, justify="left" if column in ("workload", "backend", "dtype") else "right")

    def fmt(value, pattern: str) -> str:
        return "" if value is None or value != value else pattern.format(value)

    for r in frame.itertuples():
        if r.status != "ok":
            table.add_row(r.workload, r.backend, r.dtype, str(r.workers), f"[red]{escape(str(r.status))[:40]}[/]")
            continue
        table.add_row(r.workload, r.backend, r.dtype.replace("float", "f"), str(r.workers),
                      fmt(1e3 * r.step_s, "{:.3g}"), fmt(r.speedup, "{:.2f}x"), fmt(r.efficiency, "{:.0%}"),
                      fmt(r.comm_share, "{:.0%}") or "not exposed")  # fmt: skip
    console.print(table)
    env = environment.environment()
    write_atomically(out / "parallel.csv", frame.to_csv(index=False).encode())
    meta = {"environment": env, "settings": settings, "complete": not interrupted}
    write_atomically(out / "parallel.json", json.dumps({**meta, "rows": json.loads(frame.to_json(orient="records"))},
                                                       indent=1, default=str).encode())  # fmt: skip
    head = "" if not interrupted else INCOMPLETE.format(command="bench", folder=out) + "\n\n"
    write_atomically(out / "parallel.md", (f"# Data-parallel benchmark\n\n{head}{env['cpu']}, one thread per worker."
                                           f"\n\n{frame_markdown(frame)}\n").encode())  # fmt: skip
    checkpoint.save(complete=not interrupted)
    if interrupted:
        return _interrupted(out, interrupted, len(checkpoint.units), len(plan), "bench")
    console.print(f"wrote {out / 'parallel.md'} (and parallel.csv, parallel.json)")
    return 1 if (frame["status"] == "check failed").any() else 0


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench
    from .checkpoint import Checkpoint, interruptible

    checkpoint = Checkpoint.resume(args.resume, "bench") if args.resume else None
    if (checkpoint and "workers" in checkpoint.settings) or (not checkpoint and args.workers):
        bench.limit_threads(1)  # the parent only prepares data; each worker sets its own single thread
        return _bench_parallel(args, checkpoint)
    if checkpoint:  # the interrupted run's settings, thread count first: it is applied before any import
        for key, value in checkpoint.settings.items():
            setattr(args, key, value)
    bench.limit_threads(args.threads)  # before any framework is imported
    import pandas as pd

    from . import backends
    from .bench_report import write_bench
    from .report import fresh_results_dir

    names = _choices(args.backends, backends.NAMES, "backend(s)")
    dtypes = _choices(args.dtypes, backends.DTYPES, "dtype(s)")
    modes = _choices(args.modes, ("eager", "compiled", "function"), "mode(s)")
    workloads = bench.main_workloads() + ([] if args.quick else bench.sweep_workloads())
    if args.workloads:
        wanted = _choices(args.workloads, tuple(w.name for w in workloads), "workload(s)")
        workloads = [w for w in workloads if w.name in wanted]
    peers = []
    if args.peers:
        from . import bench_peers

        peers = _choices(args.peers, bench_peers.PEERS, "peer(s)")
    min_time, min_repeats = (0.05, 2) if args.quick else (args.min_time, 5)
    for name in names:
        backends.framework_status(name)  # imports (quietly) before the thread limits are applied
    threads = bench.apply_thread_limits(args.threads)
    if checkpoint is None:
        out = fresh_results_dir(args.out, "bench")
        settings = {k: getattr(args, k) for k in ("backends", "modes", "dtypes", "workloads", "peers", "quick",
                                                  "threads", "min_time", "device")}  # fmt: skip
        checkpoint = Checkpoint(out, "bench", settings)
    out = checkpoint.folder
    then = f"; resuming {out} ({len(checkpoint.units)} rows done)" if args.resume else "; probing the machine"
    console.print(f"[bold]bench[/] {len(workloads)} workloads, backends {names}, {args.threads} threads{then}")
    if "limits" not in checkpoint.extra:  # a resumed run keeps the first run's probe: one roofline per table
        checkpoint.extra["limits"] = json.loads(json.dumps(bench.probe(quick=args.quick)))  # as a resume reads it
        checkpoint.save()
    limits = checkpoint.extra["limits"]
    console.print(f"GEMM {limits['gemm_gflops']['float32']:.1f} / {limits['gemm_gflops']['float64']:.1f} GFLOP/s "
                  f"(float32 / float64), bandwidth {limits['bandwidth_gbs']:.1f} GB/s")  # fmt: skip
    primary = [w for w in workloads if w.family == ""]
    sweeps = [w for w in workloads if w.family != ""]
    todo, rows = bench.plan(primary, names, modes, dtypes, args.device)
    if sweeps and "float32" in dtypes:  # the sweeps' plots are float32: their float64 would double the run
        more_todo, more_rows = bench.plan(sweeps, names, modes, ["float32"], args.device)
        todo, rows = todo + more_todo, rows + more_rows
    # the compiled whole training loop, where the framework has one, on the overhead-bound workloads
    loops = [(w, n, "compiled-loop", d) for w in workloads if w.family == "" and w.name != "wide"
             for n in names if n in ("jax", "tf") and "compiled" in modes and backends.device_status(n, args.device)[0]
             for d in dtypes]  # fmt: skip
    todo += loops
    if "imports" not in checkpoint.extra:
        checkpoint.extra["imports"] = {n: bench.import_seconds(backends.FRAMEWORKS[n]) for n in names if n != "numpy"}
    imports = checkpoint.extra["imports"]
    total, interrupted = len(todo) + len(peers), None
    with _progress() as progress, interruptible():
        task = progress.add_task("bench", total=total, cost=float("nan"))
        try:
            for workload, name, mode, dtype in todo:
                key = f"{workload.name}/{name}/{mode}/{dtype}"
                if checkpoint.done(key):
                    progress.advance(task)
                    continue
                progress.update(task, description=f"{workload.name} {name} {mode} {dtype}")
                try:
                    if mode == "compiled-loop":
                        iterations = 1000 if workload.name == "planar" else 20
                        row = bench.bench_loop(name, dtype, args.device, workload, iterations, min_time, min_repeats)
                    else:
                        row = bench.bench_ours(name, mode, dtype, args.device, workload, min_time, min_repeats)
                except Exception as err:  # one broken row must not lose the others
                    row = {"workload": workload.name, "family": workload.family, "backend": name, "mode": mode,
                           "dtype": dtype, "device": args.device, "m": workload.m,
                           "status": f"error: {type(err).__name__}: {err}"[:200]}  # fmt: skip
                row["import_s"] = imports.get(name)
                checkpoint.add(key, [row])
                progress.advance(task)
            for peer in peers:
                if checkpoint.done(f"peer/{peer}"):
                    progress.advance(task)
                    continue
                from . import bench_peers

                progress.update(task, description=f"peer {peer}")
                found = bench_peers.bench_peers([peer], primary, dtypes, args.threads, min_time, min_repeats)
                checkpoint.add(f"peer/{peer}", found)
                progress.advance(task)
        except KeyboardInterrupt as err:
            interrupted = err
    rows += checkpoint.rows()
    specs = {w.name: w.spec for w in workloads}
    frame = pd.DataFrame([bench.add_roofline(r, specs[r["workload"]], limits) for r in rows])
    frame = frame.reindex(columns=bench.COLUMNS)
    meta = {"environment": environment.environment(), "limits": limits, "threads": args.threads,
            "thread_settings": threads, "device": args.device, "quick": args.quick,
            "complete": not interrupted, "folder": str(out)}  # fmt: skip
    paths = write_bench(frame, meta, out)
    checkpoint.save(complete=not interrupted)
    if interrupted:
        return _interrupted(out, interrupted, len(checkpoint.units), total, "bench")
    _print_bench(frame)
    failed = frame[frame["status"] == "check failed"]
    for r in failed.itertuples():
        console.print(f"[bold red]check failed[/] {r.workload} {r.backend} {r.mode} {r.dtype}: "
                      f"error {r.check_err:.2e} > tolerance {r.check_tol:.2e}; its time is not reported")  # fmt: skip
    from .bench_report import goals

    goal_table = Table(title="speed goals", title_justify="left")
    for column in ("goal", "target", "measured", "met"):
        goal_table.add_column(column, justify="left" if column == "goal" else "right")
    for g in goals(frame):
        style = {"yes": "green", "NO": "bold red"}.get(g["met"], "dim")
        goal_table.add_row(g["goal"], g["target"], g["measured"], f"[{style}]{g['met']}[/]")
    console.print(goal_table)
    console.print(f"wrote {paths['md']} (and bench.csv, bench.json, plots)")
    return 0


def _print_bench(frame) -> None:
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


# --- determinism --------------------------------------------------------------------------------


def cmd_determinism(args: argparse.Namespace) -> int:
    import pandas as pd

    from . import backends, determinism
    from .report import frame_markdown, fresh_results_dir, write_atomically

    names = _choices(args.backends, backends.NAMES, "backend(s)")
    dtypes = _choices(args.dtypes, backends.DTYPES, "dtype(s)")
    targets = [(n, m, d) for n in names for m in backends.MODES[n] for d in dtypes]
    rows, unavailable = [], []
    with _progress() as progress:
        task = progress.add_task("determinism", total=len(targets), cost=float("nan"))
        for name, mode, dtype in targets:
            progress.update(task, description=f"{name} {mode} {dtype}")
            ok, reason = backends.framework_status(name)
            if ok:
                rows.append(determinism.measure(name, mode, dtype, runs=args.runs))
            elif name not in unavailable:
                unavailable.append(name)
                progress.console.print(f"[dim]unavailable: {name}: {escape(reason)}[/]")
            progress.advance(task)
    frame = pd.DataFrame(rows).replace({True: "same bits", False: "DIFFERS"})
    table = Table(title=f"bitwise equal: 2 calls in one process, {args.runs} fresh processes", title_justify="left")
    for column in frame.columns:
        table.add_column(column, no_wrap=column in ("backend", "mode", "dtype"))
    for record in frame.itertuples(index=False):
        table.add_row(*[f"[red]{v}[/]" if v == "DIFFERS" else str(v) for v in record])
    console.print(table)
    out = fresh_results_dir(args.out, "determinism")
    write_atomically(out / "determinism.md", (frame_markdown(frame) + "\n").encode())
    console.print(f"wrote {out / 'determinism.md'}")
    return 0


# --- code ---------------------------------------------------------------------------------------


def cmd_code(args: argparse.Namespace) -> int:
    from rich.panel import Panel
    from rich.syntax import Syntax

    from . import code

    if args.list or not args.concept:
        table = Table(title="concepts (quartet code NAME; a function name works too)", title_justify="left")
        table.add_column("concept", style="bold")
        table.add_column("the course's formula")
        for name, concept in code.CONCEPTS.items():
            table.add_row(name, concept.formula)
        console.print(table)
        return 0
    name = code.resolve(args.concept)
    concept = code.CONCEPTS[name]
    if args.markdown:
        print(code.markdown(name), end="")
        return 0
    console.print(f"[bold]{name}[/]: {concept.title}\n[cyan]{escape(concept.formula)}[/]")
    panels = [
        Panel(Syntax(text, "python", theme="ansi_dark", background_color="default"), title=code.TITLES[fw],
              title_align="left", expand=True)
        for fw, text in code.sources(name).items()
    ]  # fmt: skip
    if console.width >= 4 * 60:
        grid = Table.grid(expand=True, padding=(0, 1))
        for _ in panels:
            grid.add_column(ratio=1)
        grid.add_row(*panels)
        console.print(grid)
    else:  # a narrow terminal: one after another
        for panel in panels:
            console.print(panel)
    return 0


# --- report -------------------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace) -> int:
    from . import html_report

    path, missing = html_report.write(args.results, args.docs, args.out, environment.environment())
    for what in missing:
        command = {"check": "check", "bench": "bench --quick"}.get(what, "replicate")
        console.print(f"[yellow]not in the report:[/] no {what} results (run quartet {command})")
    console.print(f"report: {path.resolve()}")
    return 0


# --- main ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartet",
        description="The course's logistic regression and L-layer network in NumPy, PyTorch, JAX and "
        "TensorFlow: do they compute the same thing, and how fast?",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    doctor = sub.add_parser("doctor", help="which frameworks, versions, threads, BLAS and devices are here")
    doctor.add_argument("--json", action="store_true", help="print the environment as JSON")
    doctor.set_defaults(func=cmd_doctor)

    train = sub.add_parser("train", help="train the NumPy reference on a dataset")
    train.add_argument("model", choices=("logistic", "deep"))
    train.add_argument("--dataset", choices=datasets.DATASETS, default="planar")
    train.add_argument(
        "--layer-dims",
        type=_layer_dims,
        default=None,
        metavar="N0,N1,...,1",
        help="sizes from the input to the output unit (default: n_x,4,1; cat: n_x,20,7,5,1)",
    )
    train.add_argument("--hidden-activation", choices=HIDDEN_ACTIVATIONS, default="relu")
    train.add_argument("--learning-rate", type=_positive_float, default=0.0075)
    train.add_argument("--num-iterations", type=_positive_int, default=2500)
    train.add_argument(
        "--init",
        choices=SCHEMES,
        default=None,
        help="weight initialisation (default: zeros for logistic, xavier for deep)",
    )
    train.add_argument("--seed", type=int, default=1)
    train.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="directory of the course's *_catvnoncat.h5 files (default: $QUARTET_DATA_DIR or "
        "../shared/data/catvnoncat beside this checkout)",
    )
    train.add_argument("--print-every", type=_positive_int, default=100, metavar="N")
    train.add_argument("--plot", type=Path, default=None, metavar="PNG", help="save the cost curve here")
    train.set_defaults(func=cmd_train)

    check = sub.add_parser("check", help="the conformance matrix: every backend against the float64 reference")
    check.add_argument("--backends", default=",".join(("numpy", "torch", "jax", "tf")), metavar="A,B")
    check.add_argument("--modes", default="eager,compiled,function", metavar="A,B")
    check.add_argument("--dtypes", default="float32,float64", metavar="A,B")
    check.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    check.add_argument("--quick", action="store_true", help="fewer cases and steps 1 and 10 only (about a minute)")
    check.add_argument("--out", type=Path, default=Path("results"), help="results go to OUT/check-<time>/")
    check.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="instead: data-parallel training on N workers against the full batch (CPU)")  # fmt: skip
    check.add_argument("--resume", type=Path, default=None, metavar="DIR", help=RESUME_HELP)
    check.set_defaults(func=cmd_check)

    bench_parser = sub.add_parser("bench", help="time one training step of every backend and peer, with the roofline")
    bench_parser.add_argument("--quick", action="store_true", help="few repeats, no sweeps (under two minutes)")
    bench_parser.add_argument("--workloads", default="", metavar="A,B", help="a subset of the workloads by name")
    bench_parser.add_argument("--backends", default="numpy,torch,jax,tf", metavar="A,B")
    bench_parser.add_argument("--modes", default="eager,compiled,function", metavar="A,B")
    bench_parser.add_argument("--dtypes", default="float32,float64", metavar="A,B")
    bench_parser.add_argument("--peers", default="keras/tensorflow,keras/jax,keras/torch,sklearn,torch.nn",
                              metavar="A,B", help="peers to time beside ours (empty: none)")  # fmt: skip
    bench_parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    bench_parser.add_argument("--threads", type=_positive_int, default=2, help="threads for every framework")
    bench_parser.add_argument("--min-time", type=_positive_float, default=0.5, help="seconds of repeats per row")
    bench_parser.add_argument("--out", type=Path, default=Path("results"), help="results go to OUT/bench-<time>/")
    bench_parser.add_argument("--workers", default=None, metavar="N,M",
                              help="instead: data-parallel training on N and M workers, one thread each")  # fmt: skip
    bench_parser.add_argument("--resume", type=Path, default=None, metavar="DIR", help=RESUME_HELP)
    bench_parser.set_defaults(func=cmd_bench)

    det = sub.add_parser("determinism", help="which backends give the same bits run to run (same seed, same data)")
    det.add_argument("--backends", default="numpy,torch,jax,tf", metavar="A,B")
    det.add_argument("--dtypes", default="float32,float64", metavar="A,B")
    det.add_argument("--runs", type=_positive_int, default=3, help="fresh processes per target")
    det.add_argument("--out", type=Path, default=Path("results"), help="results go to OUT/determinism-<time>/")
    det.set_defaults(func=cmd_determinism)

    code_parser = sub.add_parser("code", help="one concept of the course in all four implementations, side by side")
    code_parser.add_argument("concept", nargs="?", help="e.g. L_model_forward, cost, backward, relu")
    code_parser.add_argument("--list", action="store_true", help="list the concepts")
    code_parser.add_argument("--markdown", action="store_true", help="print the four as markdown code blocks")
    code_parser.set_defaults(func=cmd_code)

    report = sub.add_parser("report", help="one self-contained HTML report of everything")
    report.add_argument(
        "--from",
        dest="results",
        type=Path,
        default=Path("results"),
        help="where the check-* and bench-* folders are (the newest of each is used)",
    )
    report.add_argument("--docs", type=Path, default=Path("docs"), help="where course-replication/ is")
    report.add_argument("--out", type=Path, default=Path("results"), help="report.html goes here")
    report.set_defaults(func=cmd_report)

    replicate = sub.add_parser("replicate", help="replay the course's four runs and write the replication page")
    replicate.add_argument("runs", nargs="*", metavar="RUN", help=f"some of {list(course.RUNS)} (default: all)")
    replicate.add_argument("--data-dir", type=Path, default=None, help="directory of the *_catvnoncat.h5 files")
    replicate.add_argument("--out", type=Path, default=Path("docs"), help="where course-replication.md goes")
    replicate.add_argument(
        "--frameworks",
        default="torch,jax,tf",
        metavar="A,B",
        help="replay in these too, float64 (empty: the NumPy reference only)",
    )
    replicate.add_argument(
        "--mode", default="compiled", choices=("eager", "compiled"), help="mode for the frameworks (default compiled)"
    )
    replicate.set_defaults(func=cmd_replicate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValueError as err:  # our own checks: UsageError, DatasetError and the models' ValueErrors
        error_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False)
        return 2
    except KeyboardInterrupt:
        error_console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
