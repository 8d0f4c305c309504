"""`quartet check`: the conformance matrix (conformance/check/planner.py), or with --workers N data-parallel
training against the full batch (conformance/parallel/full_batch.py), run by the runner; the table of the
worst errors, the written results, and exit status 1 on any failure. `quartet check FILE`: a learner's
notebook instead (cli/learner.py)."""

import argparse
from dataclasses import asdict
from pathlib import Path

from rich.markup import escape

from .. import check
from ..check import judge, suspects
from ..check.functions import BY_KEY
from ..core import environment
from ..core.backends import DTYPES, FRAMEWORKS, NAMES
from ..core.registry import MODE_NAMES
from ..parallel import full_batch as parallel
from ..parallel.engine import LAUNCHES, default_launch, engine_label
from ..parallel.engine import NAMES as ENGINES
from ..report.check_results import write_check
from ..run.child import add_child_options
from ..run.runner import Runner
from . import learner
from .check_jobs import PLANS, default_jobs, plan_of_children, run_shard, run_units
from .check_output import print_failures, print_functions, print_table, print_unfinished
from .common import (
    EXIT_STATUSES,
    FAILED,
    GREEN,
    UNFINISHED,
    USAGE,
    UsageError,
    add_selection,
    choices,
    console,
    count,
    data_parallel_backends,
    positive_int,
)


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "check",
        help="the conformance matrix: every backend against the float64 reference",
        description="First the judge: the float64 NumPy reference against the numbers the "
        "course printed. Then each course function of every backend on its own, with inputs the "
        "reference built, and the matrix of cases; in a full run, last, each framework's data-parallel "
        "training on two devices against the full batch. A case of the matrix that fails is replayed "
        "through the backend's functions one call at a time; the functions to look at first "
        "(the suspects) are printed and written to suspects.json, and a run that fails always "
        "names one.",
        epilog=EXIT_STATUSES,
    )
    add_selection(parser, "check")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer cases and steps 1 and 10 only (on 2 cores, from a little over a minute to two and a quarter "
        "with the caches warm and two and a half to four and a half cold, by host: docs/check-speed.md)",
    )
    parser.add_argument(
        "--function",
        default="",
        metavar="NAME[,NAME]",
        help="only these course functions, each on its own, no matrix (e.g. L_model_forward, "
        "logistic.propagate; default: every part)",
    )
    _add_data_parallel(parser)
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=None,
        metavar="N",
        help="spread the matrix over N processes, each taking the backends in its own order "
        f"(default: the usable cores, {environment.usable_cores()} here, at most one per "
        "framework checked)",
    )
    add_child_options(parser)  # --resume DIR, and --shard i/N for a child of --jobs N
    parser.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=None,
        metavar="FILE",
        help="instead: a learner's notebook (.ipynb) or script (.py), its course functions checked "
        "one by one against the reference (docs/learners.md)",
    )
    parser.set_defaults(func=run, defaults={a.dest: a.default for a in parser._actions})


def _add_data_parallel(parser: argparse.ArgumentParser) -> None:
    """--workers N (data parallel instead of the matrix), --data-parallel N (after it) and --launch."""
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="instead: data-parallel training on N workers against the full batch (CPU; default: none, the matrix)",
    )
    parser.add_argument(
        "--data-parallel",
        type=count,
        default=None,
        metavar="N",
        help="after the matrix, each framework's data-parallel training on N devices in one process against "
        "the full batch, as --workers N --launch devices does (default: 2 in a full run on the CPU; 0, none, "
        "with --quick, --function or --device gpu)",
    )
    parser.add_argument(
        "--launch",
        choices=LAUNCHES,
        default=None,
        help="with --workers: separate processes that meet over TCP (torchrun, jax.distributed, "
        "MultiWorkerMirroredStrategy; default for N > 1) or devices in one process",
    )


def run(args: argparse.Namespace) -> int:
    if args.file is not None:
        return learner.run(args)
    runner = Runner.resume(args.resume, "check", console) if args.resume else None
    if args.launch and not args.workers and not runner:
        raise UsageError("--launch chooses how data-parallel workers start: use it with --workers N")
    if args.workers and args.data_parallel is not None:
        raise UsageError(
            "--data-parallel N adds data parallel to the matrix; --workers N runs it instead: one or the other"
        )
    if (runner and "workers" in runner.settings) or (not runner and args.workers):
        return run_parallel(args, runner)
    if runner:
        settings = check.CheckSettings.from_record(runner.settings)
    else:
        settings = check.CheckSettings(
            backends=choices(args.backends, NAMES, "backend(s)"),
            modes=choices(args.modes, MODE_NAMES, "mode(s)"),
            dtypes=choices(args.dtypes, DTYPES, "dtype(s)"),
            device=args.device,
            quick=args.quick,
            functions=tuple(choices(args.function, tuple(BY_KEY), "course function(s)") if args.function else ()),
            data_parallel=data_parallel_workers(args),
        )
    if args.shard:  # a child of --jobs: its share of the units, its rows in its own folder
        run_shard(runner, check.plan(settings), args.shard)
    eager_cases = len(check.planner.cases(settings.quick)[0])
    runner = runner or Runner.start(args.out, "check", settings.record(eager_cases), console)
    planned: list[check.Plan] = []
    jobs = args.jobs or default_jobs(settings)

    def plan() -> list:
        """The plan (which imports every framework, to see which can run; in processes, the children's), and
        what it is, said once."""
        planned.append(plan_of_children(runner, settings) if jobs > 1 else check.plan(settings))
        p = planned[0]
        console.print(
            f"[bold]check[/] {len(p.targets)} targets on {settings.device}, "
            + (
                f"the course function(s) {', '.join(settings.functions)} on their own"
                if settings.functions
                else f"steps {list(settings.steps)}; {len(p.eager_cases)} cases eager, {len(p.compiled_cases)} compiled"
            )
            + (f"; resuming {runner.folder} ({len(runner.checkpoint.units)} units done)" if runner.resumed else "")
        )
        return p.units

    for old in runner.folder.glob(PLANS):  # a resumed run's children plan again
        old.unlink()
    run_units(runner, plan, jobs)
    for written in runner.folder.glob(PLANS):
        written.unlink()
    skipped = planned[0].skipped if planned else []  # [] if stopped while planning
    stage = data_parallel_units(settings, skipped) if runner.complete else []
    if stage:
        runner.run("data parallel", stage)
    return finish(runner, skipped, settings.device)


def data_parallel_workers(args: argparse.Namespace) -> int:
    """--data-parallel N, or its default: 2 in a full run on the CPU, none in a quick one or a function's own."""
    if args.data_parallel is None:
        return 0 if args.quick or args.function or args.device != "cpu" else 2
    if args.data_parallel and args.device != "cpu":
        raise UsageError("--data-parallel runs on the CPU (logical devices); --device gpu is not supported with it")
    fits_the_cases("--data-parallel", args.data_parallel)
    return args.data_parallel


def fits_the_cases(option: str, workers: int) -> None:
    """UsageError unless every data-parallel case has at least `workers` columns to share out."""
    ms = sorted({case.m for case in parallel.default_cases()})
    if workers > ms[0]:
        raise UsageError(f"{option} {workers}: the data-parallel cases have m = {ms} columns, so at most {ms[0]}")


def data_parallel_units(settings: check.CheckSettings, skipped: list[dict]) -> list:
    """The stage after the matrix: each framework with a data-parallel engine (a plugin has none) on
    settings.data_parallel devices in one process, its rows judged and reported with the matrix's; a
    framework that cannot run it is added to `skipped` with its reason."""
    names = [n for n in settings.backends if n in ENGINES and n != "numpy"]
    if not settings.data_parallel or not names:
        return []
    stage = parallel.ParallelCheckSettings(names, settings.dtypes, settings.data_parallel, launch="devices")
    return parallel.units(stage, skipped)


def run_parallel(args: argparse.Namespace, runner: Runner | None) -> int:
    """check --workers N: each framework's data-parallel training on N workers against the single-process
    full batch, even and uneven splits, through the same engine."""
    cases = parallel.default_cases()
    if runner:
        settings = parallel.ParallelCheckSettings(**runner.settings)
    else:
        fits_the_cases("--workers", args.workers)
        if args.device != "cpu":
            raise UsageError(
                "check --workers runs on the CPU (processes, logical devices); --device gpu is not supported with it"
            )
        settings = parallel.ParallelCheckSettings(
            backends=data_parallel_backends(args.backends),
            dtypes=choices(args.dtypes, DTYPES, "dtype(s)"),
            workers=args.workers,
            launch=args.launch or "",
        )
        runner = Runner.start(args.out, "check", asdict(settings), console)
    launch = settings.launch or default_launch(settings.workers)
    console.print(
        f"[bold]check[/] data parallel = full batch: {settings.workers} workers as {launch}, "
        f"{settings.backends}, {len(cases)} cases (m = "
        f"{' and '.join(str(m) for m in sorted({c.m for c in cases}))}), {settings.steps} steps"
    )
    for name in settings.backends:
        console.print(f"  {name}: {engine_label(name, launch)}")
    skipped: list[dict] = []
    runner.run("data parallel", parallel.units(settings, skipped))
    return finish(runner, skipped, "cpu")


def finish(runner: Runner, skipped: list[dict], device: str) -> int:
    """The table, the files and the exit status of a check run from its finished rows: GREEN, FAILED
    (a number outside its tolerance), or UNFINISHED (a backend raised, or a function is not written yet;
    it comes first: a port is finished before its numbers are)."""
    result = check.result(runner.rows(), skipped)
    frame, summary = result.frame, judge.summary(result.frame)
    print_table(summary, device, result.raised)
    reasons: dict[tuple[str, str], list[str]] = {}
    for skip in skipped:
        reasons.setdefault((skip["backend"], skip["reason"]), []).append(f"{skip['mode']} {skip['dtype']}")
    for (name, reason), which in reasons.items():
        console.print(f"[dim]unavailable: {name} ({', '.join(which)}): {escape(reason)}[/]")
    pair_rows = frame[frame["against"] != "numpy/float64"]
    if len(pair_rows):
        console.print(
            f"float64 pairwise: {len(pair_rows)} comparisons, worst error "
            f"{pair_rows['max_rel_err'].max():.1e}, {int((~pair_rows['passed']).sum())} failed"
        )
    found = suspects.of_run(result.functions, frame, result.raised, result.judge)  # never none when the run failed
    settings = {**runner.settings, "complete": runner.complete}
    used = {*frame["backend"], *(v["backend"] for v in result.functions)}  # run here, or in child processes
    elsewhere = {FRAMEWORKS[b].split(".")[0]: device for b in used if b in FRAMEWORKS}
    env = environment.environment(used_only=True, elsewhere=elsewhere)  # the others: their versions only
    paths = write_check(result, summary, runner.folder, env, settings, found)
    interrupted = runner.finish()
    if interrupted:
        return interrupted
    if not len(frame) and not result.functions and not result.raised:
        console.print(f"[bold red]nothing to check:[/] no selected backend is available on {device}")
        return USAGE
    print_functions(result, found, bool(runner.settings.get("functions")))
    failed = int((~frame["passed"]).sum())
    shown = min(failed, 10)
    wrote = ", ".join([str(paths["csv"]), *(paths[k].name for k in ("json", "md", "suspects"))])
    # a function check that failed is said here too: a half-written port's matrix may hold no row of it
    wrong = list(dict.fromkeys(f["function"] for f in result.functions if f["status"] in ("wrong", "raised")))
    console.print(
        f"{len(frame)} comparisons, [{'bold red' if failed else 'green'}]{failed} failed[/]"
        + (f", {shown} shown, all in {paths['csv'].name}" if failed else "")
        + (f"; [bold red]{len(wrong)} function{'s' * (len(wrong) != 1)} wrong[/] ({', '.join(wrong)})" if wrong else "")
        + f"; wrote {wrote}"
    )
    print_unfinished(result)
    print_failures(frame, shown)
    unfinished = result.raised or any(f["status"] in ("raised", "not written yet") for f in result.functions)
    return UNFINISHED if unfinished else FAILED if failed or found else GREEN
