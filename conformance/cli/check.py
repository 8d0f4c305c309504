"""`quartet check`: the conformance matrix (conformance/check/planner.py), or with --workers N data-parallel
training against the full batch (conformance/parallel/full_batch.py), run by the runner; the table of the
worst errors, the written results, and exit status 1 on any failure. `quartet check FILE`: a learner's
notebook instead (cli/learner.py)."""

import argparse
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

from rich.markup import escape
from rich.table import Table

from .. import check
from ..check import judge, suspects
from ..check.functions import BY_KEY
from ..core import environment
from ..core.backends import DTYPES, FRAMEWORKS, NAMES
from ..core.registry import MODE_NAMES
from ..parallel import full_batch as parallel
from ..parallel.engine import LAUNCHES, default_launch, engine_label
from ..report.check_results import write_check
from ..run.child import add_child_options
from ..run.files import write_atomically
from ..run.runner import Runner
from . import learner
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
    data_parallel_backends,
    positive_int,
    short,
)


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "check",
        help="the conformance matrix: every backend against the float64 reference",
        description="First the judge: the float64 NumPy reference against the numbers the "
        "course printed. Then each course function of every backend on its own, with inputs the "
        "reference built, and the matrix of cases. A case of the matrix that fails is replayed "
        "through the backend's functions one call at a time; the functions to look at first "
        "(the suspects) are printed and written to suspects.json, and a run that fails always "
        "names one.",
        epilog=EXIT_STATUSES,
    )
    add_selection(parser, "check")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer cases and steps 1 and 10 only (a little over a minute "
        "on 2 cores with the caches warm, two and a half cold: docs/check-speed.md)",
    )
    parser.add_argument(
        "--function",
        default="",
        metavar="NAME[,NAME]",
        help="only these course functions, each on its own, no matrix (e.g. L_model_forward, "
        "logistic.propagate; default: every part)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=None,
        metavar="N",
        help="instead: data-parallel training on N workers against the full batch (CPU; default: none, the matrix)",
    )
    parser.add_argument(
        "--launch",
        choices=LAUNCHES,
        default=None,
        help="with --workers: separate processes that meet over TCP (torchrun, jax.distributed, "
        "MultiWorkerMirroredStrategy; default for N > 1) or devices in one process",
    )
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


def run(args: argparse.Namespace) -> int:
    if args.file is not None:
        return learner.run(args)
    runner = Runner.resume(args.resume, "check", console) if args.resume else None
    if args.launch and not args.workers and not runner:
        raise UsageError("--launch chooses how data-parallel workers start: use it with --workers N")
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
    return finish(runner, planned[0].skipped if planned else [], settings.device)  # [] if stopped while planning


PLANS = "plan-*.json"  # what each child of --jobs planned (run_shard), read by the parent (plan_of_children)


def plan_of_children(runner: Runner, settings: check.CheckSettings) -> check.Plan:
    """A run in processes: the plan that its first child to finish planning wrote. Planning imports every
    framework to see which can run (5 s of CPU for the four here, TensorFlow's 4); the parent, which runs
    none of the units, then imports none, and neither competes with its children for the cores nor pays
    the frameworks' teardown at its exit. If every child has ended without writing one, planned here."""
    while True:
        ended = all(child.poll() is not None for child in runner.children)  # before the look: a child that
        for path in sorted(runner.folder.glob(PLANS)):  # wrote its plan and ended at once is still read
            return check.Plan.from_record(settings, json.loads(path.read_text()))
        if ended:
            return check.plan(settings)
        time.sleep(0.05)


def run_units(runner: Runner, units: list | Callable[[], list], jobs: int) -> None:
    """The matrix's units in this process, or spread over `jobs` child processes (no more than there are
    frameworks to check: a process imports its frameworks and compiles their programs once, and a second
    process for the same one pays both again). `units` may be the function that plans them: with child
    processes it is called once they have started."""
    if jobs > 1:
        runner.run_in_processes("conformance", units, jobs)
    else:
        runner.run("conformance", units() if callable(units) else units)


def default_jobs(settings: check.CheckSettings) -> int:
    """The usable cores, but no more processes than frameworks to check: a second process for the same
    framework imports it and compiles its programs again (a porter's `--backends numpy,myport` runs in one)."""
    return max(1, min(environment.usable_cores(), len(set(settings.backends) - {"numpy"})))


def in_order_of(units: list, index: int, jobs: int) -> list:
    """Child `index` of `jobs`: the plan's units, its backends taken from a starting point of its own (child 0
    from the first, child 1 from halfway for two), the float64 pairwise units last. Each child then works
    on backends the others have not reached, imports those, and compiles each program once; the claims
    share out the rest when they meet."""
    groups: dict[str, list] = {}
    for unit in units:
        groups.setdefault(unit_backend(unit.key), []).append(unit)
    last = groups.pop(JUDGE, []) + groups.pop(PAIRWISE, [])  # the judge's unit is a second's NumPy: any child
    names = list(groups)
    start = index * len(names) // jobs
    return [unit for name in names[start:] + names[:start] for unit in groups[name]] + last


PAIRWISE = "float64 pairwise"
JUDGE = "reference"  # the judge's own unit, "reference/course" (conformance/check/reference.py)


def unit_backend(key: str) -> str:
    """The backend a unit's key names ("functions/jax/eager/...", "jax/eager/float32/cpu/CASE"), or PAIRWISE."""
    parts = key.split("/")
    return PAIRWISE if parts[0] == PAIRWISE else parts[1] if parts[0] == "functions" else parts[0]


def run_shard(runner: Runner | None, plan: check.Plan, shard: tuple[int, int]) -> NoReturn:
    """A child of --jobs: its plan written for the parent (plan_of_children), then every unit of it that
    no other child has claimed; a line per unit, since the children share a screen."""
    if runner is None:
        raise UsageError("--shard is for the children of --jobs, with --resume DIR")
    index, jobs = shard
    write_atomically(runner.folder / PLANS.replace("*", str(index)), json.dumps(plan.record()).encode())
    runner.child(index, jobs)
    runner.run(f"conformance {index + 1}/{jobs}", in_order_of(plan.units, index, jobs))  # what no other child claimed
    runner.leave()


def run_parallel(args: argparse.Namespace, runner: Runner | None) -> int:
    """check --workers N: each framework's data-parallel training on N workers against the single-process
    full batch, even and uneven splits, through the same engine."""
    cases = parallel.default_cases()
    if runner:
        settings = parallel.ParallelCheckSettings(**runner.settings)
    else:
        most = min(case.m for case in cases)
        if args.workers > most:
            raise UsageError(
                f"--workers {args.workers}: the data-parallel cases have m = "
                f"{sorted({c.m for c in cases})} columns, so at most {most} workers"
            )
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


def _cell(max_rel_err: float, margin: float, passed: bool) -> str:
    style = "bold red" if not passed else "green" if margin >= 10 else "yellow"
    return f"[{style}]{'exact' if max_rel_err == 0 else short(max_rel_err)}[/]"


# the summary's columns each part of the matrix fills (measure.py's sections): a part that raised leaves them part-done
PART_COLUMNS = {
    "forward": ("forward",),
    "predictions": ("forward",),
    "cost": ("cost",),
    "course_cost": ("cost",),
    "per_sample": ("cost", "grads"),
    "grads": ("grads",),
    "train": ("train@",),
    "model": ("train@",),
}


def print_table(summary, device: str, raised: list[dict] = ()) -> None:
    """One row per backend, mode and dtype: the worst error of each column, coloured by its margin; a cell
    some of whose cases raised or were not written yet is marked *, and says so below the table."""
    columns = list(dict.fromkeys(summary["column"]))
    partial = {
        (r["backend"], r["mode"], r["dtype"], c)
        for r in raised
        for c in columns
        if c.startswith(PART_COLUMNS.get(r["section"], ()))
    }
    table = Table(
        title=f"max relative error against float64 NumPy on {device}; green: 10x inside its "
        "tolerance, yellow: inside, red: outside",
        title_justify="left",
    )
    drifts = ["f32_drift"] + (["tf32_drift"] if summary["tf32_drift"].notna().any() else [])  # TF32: GPU runs
    for column in ["backend", "mode", "dtype", *columns, *[d.replace("_", " ") for d in drifts]]:
        table.add_column(column, justify="left" if column in ("backend", "mode", "dtype") else "right", no_wrap=True)
    for (name, mode, dtype), rows in summary.groupby(["backend", "mode", "dtype"], sort=False):
        cells = {r.column: _cell(r.max_rel_err, r.margin, r.passed) for r in rows.itertuples()}
        cells = {c: text + ("*" if (name, mode, dtype, c) in partial else "") for c, text in cells.items()}
        measured = [rows[d].max() for d in drifts]
        short_dtype = dtype.replace("float", "f")
        table.add_row(
            name,
            mode,
            short_dtype,
            *[cells.get(c, "") for c in columns],
            *["" if v != v else short(v) for v in measured],
        )
    if len(summary):
        tf32 = "; tf32 drift: the same float32 framework with TF32 products" if len(drifts) > 1 else ""
        table.caption = (
            "f32 drift: the worst error of the NumPy reference itself run in float32 on the same "
            "cases, what float32 costs any implementation (1.0 where a case leaves float32 no correct "
            f"digit: a logit of 5e-11 left after a cancellation, say){tf32}"
        )
        table.caption_justify = "left"
        console.print(table)
    if partial:
        console.print(
            "[dim]*: measured on part of the cases only; on the others that part raised or is not "
            "written yet (below)[/]"
        )


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
    console.print(
        f"{len(frame)} comparisons, [{'bold red' if failed else 'green'}]{failed} failed[/]"
        + (f", {shown} shown, all in {paths['csv'].name}" if failed else "")
        + f"; wrote {wrote}"
    )
    stubs = list(
        dict.fromkeys(
            [f["function"] for f in result.functions if f["status"] == "not written yet"]
            + [r["detail"] for r in result.raised if r["status"] == "not written yet"]
        )
    )
    if stubs:
        console.print(
            f"[yellow]unfinished:[/] {len(stubs)} function{'s' * (len(stubs) > 1)} not written yet "
            f"({stubs[0]} first); what needs them was not measured",
            highlight=False,
        )
    for r in frame[~frame["passed"]].head(shown).itertuples():
        why = f"{r.max_rel_err:.2e} > {r.tolerance:.2e}" if r.max_rel_err > r.tolerance else ""
        if r.quantity == "predictions":  # labels: how many differ, never a relative error
            why = f"{int(r.max_abs_err)} of {round(r.max_abs_err / r.max_rel_err)} labels differ"
        why += "" if r.in_dtype else f"{', and ' if why else ''}not {r.dtype} numbers (computed in another precision)"
        console.print(f"  FAIL {r.model} {r.backend} {r.mode} {r.dtype} {r.quantity}: {why}")
    unfinished = result.raised or any(f["status"] in ("raised", "not written yet") for f in result.functions)
    return UNFINISHED if unfinished else FAILED if failed or found else GREEN


def print_functions(result, found: list[dict], chosen: bool = False) -> None:
    """Each backend's progress per module (with --function, each chosen function's verdict), its stubs, what
    raised (one line per backend and message, with the targets, parts and cases it stopped), and the
    suspects: the functions to look at first."""
    for i, line in enumerate(suspects.judge_lines(result.judge)):  # the judge first (conformance/check/reference.py)
        console.print(f"{'  ' if i else ''}{escape(line)}", style=None if i == 0 else "bold red", highlight=False)
    if result.functions:
        console.print("[bold]each function on its own[/] (conformance/check/functions.py)")
        lines = (
            suspects.progress_lines(result.functions)
            if not chosen
            else [
                f"{f['backend']} {f['mode']} {f['dtype']} {f['function']}: {f['status']}"
                + (f" ({f['detail']})" if f["detail"] else "")
                for f in result.functions
            ]
        )
        for line in lines:
            console.print(f"  {escape(line)}", highlight=False)
        for name in dict.fromkeys(f["backend"] for f in result.functions):
            mine = [f for f in result.functions if f["backend"] == name]
            stubs = dict.fromkeys(f["function"] for f in mine if f["status"] == "not written yet")
            waiting = dict.fromkeys(f["function"] for f in mine if f["status"] == "not checked").keys() - stubs.keys()
            if stubs:
                console.print(
                    f"  [yellow]{name}: not written yet:[/] {', '.join(stubs)}"
                    + (f"; {len(waiting)} more not checked until they are" if waiting else ""),
                    highlight=False,
                )
    groups: dict[tuple, dict] = {}
    for r in result.raised:
        group = groups.setdefault((r["backend"], r["status"], r["detail"]), {"targets": {}, "parts": {}, "cases": {}})
        group["targets"][f"{r['mode']} {r['dtype']}"] = None
        group["parts"][r["section"]] = None
        group["cases"][r["model"]] = None
    for (name, status, detail), g in groups.items():
        what = f"{detail} not written yet" if status == "not written yet" else f"raised {escape(detail)}"
        console.print(
            f"  [bold red]{name}[/] ({', '.join(g['targets'])}): {what}; it stopped "
            f"{', '.join(g['parts'])} on {len(g['cases'])} cases, the rest of the run went on",
            highlight=False,
        )
    if found:
        console.print(f"[bold red]suspects[/], the functions to look at first ({len(found)}, all in suspects.json):")
        for line in suspects.suspect_lines(found):
            console.print(f"  {escape(line)}", highlight=False)
