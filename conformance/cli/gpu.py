"""`quartet gpu`: the GPU half of the design in one command, on a machine whose Python already has CUDA
builds of PyTorch and JAX and nothing to install: the conformance matrix with --device gpu (TF32 off,
its drift measured), then the benchmark on the GPU (the GPU's own GEMM peak with TF32 off and on and
its memory bandwidth, measured in the same run; workloads that fill it), and two pages with their CSVs:
docs/conformance-gpu.md and docs/benchmarks-gpu.md. TensorFlow, where it is not installed, is a row
that says so. `--device cpu` runs the same code path on the CPU (a proof of the command, written
elsewhere); without a GPU, `--device gpu` stops with one line."""

import argparse
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from .. import check
from ..bench import profile, results
from ..bench.roofline import COLUMNS
from ..bench.run import BenchSettings
from ..bench.run import run as run_bench
from ..core.backends import DTYPES, NAMES, device_status
from ..core.registry import MODE_NAMES
from ..report import check_results, provenance
from ..run import checkpoint
from ..run.runner import Runner
from . import check as check_cli
from . import check_jobs
from .common import UsageError, choices, console, seconds_or_none

PAGES = {"check": "conformance-{device}.md", "bench": "benchmarks-{device}.md"}
PARTS = tuple(PAGES)
TITLES = {"check": "conformance", "bench": "the benchmark"}
# On a GPU the host's cores time nothing (one thread launches the kernels), but the float64 NumPy reference
# that checks every row's first step runs on them: all of them, or the width-8192 check alone takes a
# minute. A GPU's step times vary far less from call to call than a shared CPU's: 5 rounds of 0.2 s per
# row keep the whole command inside 8 minutes with its compilations.
# The conformance matrix needs no clock: on a GPU machine it runs in 4 processes (their compilations, the
# longest part, in parallel), which one GPU serves without trouble.
GPU_JOBS = 4
# one process: a fresh one per share of the rounds would start CUDA and compile again, on a lent device's minutes
GPU_BENCH = {"threads": os.cpu_count() or 1, "rounds": 5, "min_time": 0.2, "processes": 1}


def add_parser(sub) -> None:
    parser = sub.add_parser("gpu", help="conformance and benchmark on the GPU, written to docs/*-gpu.md")
    parser.add_argument(
        "--device",
        choices=("gpu", "cpu"),
        default="gpu",
        help="cpu: the same path on the CPU, to prove the command without a GPU",
    )
    parser.add_argument("--backends", default=",".join(NAMES), metavar="A,B", help="backends (default: all)")
    parser.add_argument("--quick", action="store_true", help="the quick check and benchmark (a few minutes)")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the pages' folder (default: docs on a GPU, results/gpu-command on the CPU)",
    )
    parser.add_argument("--results", type=Path, default=Path("results"), help="the runs' own folders go here")
    parser.add_argument(
        "--decide",
        type=seconds_or_none,
        default=None,
        metavar="SECONDS",
        help="as quartet bench: seconds of extra rounds for goals within noise (default: 15 quick, 120 full)",
    )
    parser.add_argument(
        "--only",
        choices=PARTS,
        default=None,
        help="one half: its page alone (a GPU lent in short calls runs each in its own; default: both)",
    )
    parser.add_argument(
        "--from",
        dest="runs",
        type=Path,
        nargs="+",
        default=None,
        metavar="DIR",
        help="run nothing: write the pages of runs already made, from their results folders "
        "(a check's, a bench's; made on a lent GPU and brought back, say; default: none, run "
        "both here)",
    )
    parser.set_defaults(func=run)


def _publish_runs(folders: list[Path], out: Path) -> int:
    for folder in folders:
        if checkpoint.status(folder) is None:
            raise UsageError(f"--from {folder}: no {checkpoint.FILE} there (a results folder of check or bench?)")
    out.mkdir(parents=True, exist_ok=True)
    for folder in folders:
        publish(folder, out, from_folder=True)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.runs:
        return _publish_runs(args.runs, args.out or Path("docs"))
    device, names = args.device, choices(args.backends, NAMES, "backend(s)")
    seen = {n: device_status(n, device) for n in names if n != "numpy"}
    if not any(ok for ok, _ in seen.values()):
        reasons = "; ".join(f"{n}: {reason}" for n, (_, reason) in seen.items())
        raise UsageError(f"no framework sees a {device.upper()} here ({reasons})")
    out = args.out or (Path("docs") if device == "gpu" else Path("results") / "gpu-command")
    out.mkdir(parents=True, exist_ok=True)
    parts = [args.only] if args.only else list(PARTS)
    console.print(f"[bold]gpu[/] on {device}: {', then '.join(TITLES[p] for p in parts)}; pages to {out}")
    checked = _check(names, device, args, out) if "check" in parts else 0
    if checked not in (0, 1) or "bench" not in parts:
        return checked
    return _bench(names, device, args, out) or checked


def _check(names: list[str], device: str, args: argparse.Namespace, out: Path) -> int:
    """The conformance matrix on the device and its page; the check's exit status."""
    settings = check.CheckSettings(
        backends=names, modes=list(MODE_NAMES), dtypes=list(DTYPES), device=device, quick=args.quick
    )
    plan = check.plan(settings)
    runner = Runner.start(args.results, "check", settings.record(len(plan.eager_cases)), console)
    check_jobs.run_units(runner, plan.units, GPU_JOBS if device == "gpu" else 1)
    checked = check_cli.finish(runner, plan.skipped, device)
    publish(runner.folder, out, f"quartet gpu --device {device}{' --quick' if args.quick else ''} --only check")
    return checked


def _bench(names: list[str], device: str, args: argparse.Namespace, out: Path) -> int:
    """The benchmark on the device and its page (an interrupted run's too, marked incomplete); 1 when a row
    failed its check, 130 when interrupted."""
    bench = BenchSettings(
        backends=names,
        dtypes=list(DTYPES),
        quick=args.quick,
        device=device,
        decide_s=args.decide,
        workloads=[] if not args.quick else ["planar", "course_logistic"],
        **(GPU_BENCH if device == "gpu" else {}),
    )
    runner = Runner.start(args.results, "bench", asdict(bench), console)
    frame, meta = run_bench(bench, runner)
    if runner.complete and "torch" in names and device_status("torch", device)[0]:  # where PyTorch's time goes
        console.print("profiling PyTorch's steps (profile.TARGETS)")
        profile.write_profiles(bench.workload_list(), device, runner.folder)
    results.write_bench(frame, meta, runner.folder)
    interrupted = runner.finish()
    publish(runner.folder, out, f"quartet gpu --device {device}{' --quick' if args.quick else ''} --only bench")
    return interrupted or (1 if (frame["status"] == "check failed").any() else 0)


def _regenerate(state: dict, out: Path) -> str:
    """The commands that make a page from a run of `quartet check` or `quartet bench`, said by its settings."""
    settings, command = state["settings"], state["command"]
    options = " --device gpu" if settings.get("device") == "gpu" else ""
    options += " --quick" if settings.get("quick") else ""
    out_option = "docs" if out.resolve() == (provenance.ROOT / "docs") else "DIR"
    return f"quartet {command}{options}, then quartet gpu --from results/{command}-<time> --out {out_option}"


def publish(folder: Path, out: Path, command: str = "", from_folder: bool = False) -> Path:
    """The page of one run, a check's or a bench's, finished or not, with its CSV (and figures) in `out`,
    headed by what ran it as the run itself recorded it: pages written on another machine than the run
    (a lent GPU's results brought back) still name the machine that ran them. The page records its
    provenance (conformance/report/provenance.py), the command that regenerates it: `command`, or for
    --from the run's command and this one. Returns the page."""
    state = json.loads((folder / checkpoint.FILE).read_text())
    command_name, device, not_run = state["command"], state["settings"]["device"], []
    command = _regenerate(state, out) if from_folder or not command else command
    if command_name == "check":
        result, summary, payload, found = check_results.read_check(folder)  # the page drawn again by this version
        text = check_results.markdown(result, summary, folder, payload["settings"], found)
        env, csv = payload["environment"], folder / "conformance.csv"
    else:
        payload = json.loads((folder / "bench.json").read_text())
        frame = pd.DataFrame(payload.pop("rows")).reindex(columns=COLUMNS)
        paths = results.write_bench(frame, payload, folder)  # drawn again by this version
        text, env, csv = paths["md"].read_text(), payload["environment"], paths["csv"]
        for figure in folder.glob("*.png"):
            shutil.copyfile(figure, out / figure.name.replace("bench-", f"bench-{device}-"))
        planned = [w.name for w in BenchSettings(**state["settings"]).workload_list()]
        ran = set(frame.loc[~frame["status"].astype(str).str.startswith("unavailable"), "workload"])
        not_run = [name for name in planned if name not in ran]
    # the code the run measured, as it recorded it when it did (a bench, and a check written before it did: now)
    kind = "check" if command_name == "check" else "bench"
    rec = {**(payload.get("provenance") or provenance.record(kind, command)), "command": command}
    target = out / PAGES[command_name].format(device=device)
    found = [f for f in env.get("frameworks", []) if f.get("installed")]
    versions = ", ".join(
        f"{f['name']} {f['version']} ({', '.join(map(str, f.get('devices') or [])) or '-'})" for f in found
    )
    missing = [f["name"] for f in env.get("frameworks", []) if not f.get("installed")]
    head = (
        f"Run on {env.get('cpu', 'this machine')}, Python "
        f"{env.get('python')}: {versions}" + (f"; not installed: {', '.join(missing)}" if missing else "") + ".\n\n"
    )
    if command_name == "bench" and not_run:
        head += f"Not run, the run having stopped before them: {', '.join(not_run)}.\n\n"
    first, _, rest = text.partition("\n")
    rest = rest.replace("](bench-", f"](bench-{device}-")  # the figures as copied beside the page
    target.write_text(f"{first}\n\n{head}{rest.lstrip()}")
    shutil.copyfile(csv, target.with_suffix(".csv"))
    page = target.name if target.parent.resolve() != provenance.ROOT / "docs" else f"docs/{target.name}"
    provenance.stamp(target, rec)
    provenance.stamp(target.with_suffix(".csv"), rec, page=page)
    for figure in out.glob(f"bench-{device}-*.png") if command_name == "bench" else []:
        provenance.stamp(figure, rec, page=page)
    console.print(f"wrote {target}")
    return target
