"""docs/check-speed.md: how long the check takes, measured by running it, against the goals of fast feedback.

    python -m conformance.report.check_speed --suite-log LOG --cold-suite-log COLD   # 12 to 30 minutes by host

Each run is `quartet check` in a fresh process with its defaults (the usable cores, the caches in a folder of its
own, its temporary folder too: MLX and inductor keep kernels there): the quick check cold (an empty cache), again
warm, and warm without the caches (--no-cache); a porter's one-backend check (the MLX plugin, eagerly, as a
NumPy-like port is); one course function of it; and the full check. The seconds each unit took (progress.json)
give the time per backend, mode and part; the frameworks' import times are quartet doctor's; the suite's time is
pytest's own last line in the logs of `.ci/run` from a fresh clone, warm and cold."""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..bench.machine import gemm_rates
from ..core import environment
from ..run.checkpoint import FILE
from ..run.child import Child
from . import provenance

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "check-speed.md"
COMMAND = "python -m conformance.report.check_speed --suite-log LOG --cold-suite-log COLD"
PORT = ("numpy", "mlx")  # a port that checks as a porter's does: one backend beside the reference
FUNCTION = "L_model_forward"
# the goals of fast feedback (seconds on this 2-core machine), with at least the comparisons made before
GOALS = {
    "quick, warm": 60,
    "quick, cold": 90,
    "full": 360,
    "port, quick": 15,
    "port, one function": 5,
    "suite (pytest)": 600,
}
SUITE = {  # LOG and COLD, each the output of `.ci/run` in a fresh clone: how the caches were when it started
    "warm": "the user's compilation caches as earlier runs on this machine left them (a contributor's run)",
    "cold": "the user's compilation caches empty, and MLX's and inductor's own folders too (a machine that never "
    "ran quartet, as CI's)",
}
BEFORE = {"quick, warm": 135, "quick, cold": 139, "full": 760, "port, quick": 16, "suite (pytest)": 960}
QUICK_COMPARISONS = 8805  # the quick check's comparisons before this page: none may be lost


@dataclass
class Run:
    name: str
    seconds: float
    status: int
    comparisons: int
    units: int
    unit_seconds: dict[str, float]


def run_check(name: str, child: Child, cache: Path) -> Run:
    """One `quartet check` in a fresh process, its wall time, and what its results folder holds."""
    env = {**os.environ, "QUARTET_CACHE_DIR": str(cache), "TMPDIR": str(cache), "COLUMNS": "120"}
    began = time.perf_counter()
    done = subprocess.run(child.argv(), env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - began
    (folder,) = sorted(child.out.glob("check-*"))[-1:]
    state = json.loads((folder / FILE).read_text())
    comparisons = len(pd.read_csv(folder / "conformance.csv"))
    print(f"{name}: {seconds:.0f} s, exit {done.returncode}, {comparisons} comparisons", flush=True)
    return Run(name, seconds, done.returncode, comparisons, len(state["units"]), state.get("seconds", {}))


def part_of(key: str) -> tuple[str, str, str]:
    """(backend, mode, part) of a unit's key: the functions on their own, the matrix, the float64 pairwise."""
    parts = key.split("/")
    if parts[0] == "float64 pairwise":
        return "all float64", "eager", "pairwise"
    if parts[0] == "functions":
        return parts[1], parts[2], "functions"
    return parts[0], parts[1], "matrix"


def breakdown(cold: Run, warm: Run) -> pd.DataFrame:
    rows = []
    for which, run in (("cold", cold), ("warm", warm)):
        for key, seconds in run.unit_seconds.items():
            backend, mode, part = part_of(key)
            rows.append({"backend": backend, "mode": mode, "part": part, which: seconds})
    frame = pd.DataFrame(rows).groupby(["backend", "mode", "part"], sort=False).sum().reset_index()
    return frame.sort_values("cold", ascending=False)


def suite_seconds(log: Path) -> tuple[float, str, float | None]:
    """pytest's own time and counts from the last line of a `.ci/run` log, and the whole run's when the log ends
    with `time`'s: (seconds, "896 passed, 27 skipped", seconds of .ci/run or None)."""
    text = log.read_text()
    found = re.findall(r"=+ (.*?) in ([0-9.]+)s", text)
    if not found:
        raise ValueError(f"{log}: no pytest summary line (is it the output of .ci/run?)")
    counts, seconds = found[-1]
    whole = re.findall(r"^real\s+(\d+)m([0-9.]+)s", text, re.M)
    return float(seconds), counts, (60 * int(whole[-1][0]) + float(whole[-1][1])) if whole else None


def measure(out: Path, cache: Path) -> list[Run]:
    """Each run's results folder under `out` (the full check's is a conformance page's source: quartet gpu
    --from), every run's cache in `cache`, empty at first."""
    quick = lambda **kw: Child("check", quick=True, out=out, **kw)  # noqa: E731
    runs = [
        run_check("quick, cold", quick(), cache),
        run_check("quick, warm", quick(), cache),
        run_check("quick, no cache", quick(no_cache=True), cache),
        run_check("port, quick", quick(backends=PORT, modes=("eager",)), cache),
        run_check(
            "port, one function", Child("check", backends=PORT, modes=("eager",), functions=(FUNCTION,), out=out), cache
        ),
        run_check("full", Child("check", out=out), cache),
    ]
    return runs


def gemm_probe(when: str) -> dict:
    """The machine as it measures, not as it is labelled (one "AMD EPYC, 2 cores" host had more than twice
    another's rate): NumPy's matrix-product rate in GFLOP/s on one thread and on all, float64 and float32, and
    its BLAS; `when` says when it was taken (before the runs, or later for runs measured without it)."""
    from threadpoolctl import threadpool_limits

    rates = {}
    for threads in (1, None):
        with threadpool_limits(limits=threads, user_api="blas"):
            found = gemm_rates(quick=False, libraries={"float32": "numpy", "float64": "numpy"})
        rates["one thread" if threads else "all threads"] = {d: round(r, 1) for d, r in found.items()}
    return {"gemm_gflops": rates, "blas": environment.blas_info(), "when": when}


def _machine_line(env: dict, machine: dict | None) -> str:
    line = f"Measured on {env['cpu']}, {env['cores_usable']} cores usable, Python {env['python']}"
    if not machine:
        return line
    rates = "; ".join(
        f"{threads}: {r['float64']:.0f} float64, {r['float32']:.0f} float32"
        for threads, r in machine["gemm_gflops"].items()
    )
    blas = machine["blas"]
    return (
        f"{line}; NumPy's matrix product (2048 x 2048, GFLOP/s, {machine['when']}) {rates}; its BLAS "
        f"{blas['library']} {blas['version']} {blas['architecture']}"
    )


Suites = dict[str, tuple[float, str, float | None]]  # "warm" / "cold": suite_seconds() of that run's log


def page(runs: list[Run], suites: Suites | None, env: dict, machine: dict | None = None) -> str:
    by = {r.name: r for r in runs}
    lines = [
        "# How long the check takes",
        "",
        f"{_machine_line(env, machine)}: each run a "
        "fresh `quartet check` process with its defaults (as many processes as cores, at most one per framework; "
        "the compilation caches in a folder of the run's own, which is its temporary folder too, where MLX keeps its "
        "kernels and inductor its headers). Cold: the folder empty; warm: the same run again. "
        "conformance/report/check_speed.py measures and writes this page.",
        "",
        *_runs_table(runs, suites or {}),
        *_suite_lines(suites or {}),
    ]
    quick = by["quick, warm"].comparisons
    lines += [
        "",
        f"The quick check makes {quick:,} comparisons ({QUICK_COMPARISONS:,} before: "
        f'{"none lost" if quick >= QUICK_COMPARISONS else "FEWER"}). "before": the times of the issue that '
        "set these goals (the quick check in one process, the full one with `--jobs 1`, the suite 16 minutes "
        "of pytest from a fresh clone).",
        "",
        f"What the caches save: the quick check warm {by['quick, warm'].seconds:.0f} s against "
        f"{by['quick, no cache'].seconds:.0f} s without them (`--no-cache`, every program compiled again) and "
        f"{by['quick, cold'].seconds:.0f} s cold (compiling and writing every entry). Without them PyTorch "
        "recompiles a graph it compiled minutes before in the same run (each compiled backend starts afresh, "
        "conformance/core/frameworks.py), which the cold run loads from the entry it has just written.",
        "",
        *_where_the_time_goes(by, env),
    ]
    return "\n".join(lines) + "\n"


def _suite_lines(suites: Suites) -> list[str]:
    """What each suite run was: its caches, and the whole `.ci/run` where the log has it."""
    said = [
        f"{which}, {seconds:.0f} s of pytest"
        + (f" and {whole:.0f} s for the whole `.ci/run`, install included" if whole else "")
        + f", with {SUITE[which]}"
        for which, (seconds, _, whole) in suites.items()
    ]
    sentence = "The suite from a fresh clone, on two workers (pytest-xdist), each worker's BLAS, OpenMP and TensorFlow "
    sentence += "pools sized to its share of the cores (tests/conftest.py); the suite uses the compilation caches as "
    return ["", f"{sentence}quartet does: {'; '.join(said)}."] if said else []


def _runs_table(runs: list[Run], suites: Suites) -> list[str]:
    """Each run's seconds against its goal and the time before, its comparisons, units and exit status."""
    lines = [
        "| run | command | seconds | goal | before | comparisons | units | exit |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    commands = {
        "quick, cold": "quartet check --quick",
        "quick, warm": "quartet check --quick",
        "quick, no cache": "quartet check --quick --no-cache",
        "port, quick": f"quartet check --quick --backends {','.join(PORT)} --modes eager",
        "port, one function": f"quartet check --backends {','.join(PORT)} --modes eager --function {FUNCTION}",
        "full": "quartet check",
    }
    rows = [(r.name, f"`{commands[r.name]}`", r.seconds, r.name, f"{r.comparisons:,}", r.units, r.status) for r in runs]
    suite = "`make test` in a fresh clone (`.ci/run`)"  # its runs, each judged against the suite's goal
    rows += [(f"suite (pytest), {w}", suite, s, "suite (pytest)", n, "", "") for w, (s, n, _) in suites.items()]
    for name, command, seconds, judged_as, comparisons, units, status in rows:
        goal, before = GOALS.get(judged_as), BEFORE.get(judged_as)
        verdict = "" if goal is None else f"<= {goal} s: {'met' if seconds <= goal else 'missed'}"
        lines.append(
            f"| {name} | {command} | {seconds:.0f} | {verdict} | {'' if before is None else before} | "
            f"{comparisons} | {units} | {status} |"
        )
    return lines


def _where_the_time_goes(by: dict[str, Run], env: dict) -> list[str]:
    """Seconds per backend, mode and part, cold and warm, and each framework's import."""
    lines = [
        "## Where the quick check's time goes",
        "",
        "Seconds per backend, mode and part, summed over the units (two processes run at once, so the sums "
        "exceed the wall time); cold minus warm is what the caches spared that part.",
        "",
        "| backend | mode | part | cold s | warm s |",
        "|---|---|---|---:|---:|",
    ]
    for r in breakdown(by["quick, cold"], by["quick, warm"]).itertuples():
        lines.append(f"| {r.backend} | {r.mode} | {r.part} | {r.cold:.1f} | {r.warm:.1f} |")
    lines += [
        "",
        "Each framework's import, in a fresh process (quartet doctor):",
        "",
        "| framework | import s |",
        "|---|---:|",
    ]
    lines += [f"| {fw['name']} | {fw['import_s']:.1f} |" for fw in env["frameworks"] if fw["import_s"] is not None]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conformance.report.check_speed", description=__doc__.split("\n")[0]
    )
    for option, which in (("--suite-log", "warm"), ("--cold-suite-log", "cold")):
        said = f"the output of .ci/run in a fresh clone, with {SUITE[which]}"
        parser.add_argument(option, type=Path, default=None, help=said)
    parser.add_argument("--out", type=Path, default=PAGE, help=f"default: {PAGE.relative_to(ROOT)}")
    parser.add_argument(
        "--runs",
        type=Path,
        default=Path("results/check-speed"),
        help="the runs' results folders go here, and their times in RUNS/runs.json (default: results/check-speed)",
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="run no check: the page from RUNS/runs.json and RUNS/machine.json (the GEMM probe taken now where "
        "the runs have none), and a suite log measured since",
    )
    args = parser.parse_args(argv)
    logs = {"warm": args.suite_log, "cold": args.cold_suite_log}
    suites = {which: suite_seconds(log) for which, log in logs.items() if log}
    saved, probed = args.runs / "runs.json", args.runs / "machine.json"
    if args.again:
        runs = [Run(**r) for r in json.loads(saved.read_text())]
        machine = json.loads(probed.read_text()) if probed.is_file() else gemm_probe("as this page was written")
    else:
        args.runs.mkdir(parents=True, exist_ok=True)
        machine = gemm_probe("before the runs")
        probed.write_text(json.dumps(machine, indent=1))
        with tempfile.TemporaryDirectory(prefix="quartet-check-speed-") as cache:
            runs = measure(args.runs.resolve(), Path(cache))
        saved.write_text(json.dumps([asdict(r) for r in runs], indent=1))
    args.out.write_text(page(runs, suites, environment.environment(), machine))
    provenance.stamp(args.out, provenance.record("check", COMMAND))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
