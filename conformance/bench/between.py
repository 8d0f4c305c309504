"""The spread between runs: what an hour does to a ratio on this machine, beyond what one run's rounds see.

Runs of `quartet bench` an hour apart disagree by more than each run's own interval: the machine's state
moves over the hour for every process of a run alike (three runs here put the wide net's compiled JAX
step at 75, 78 and 85 % of the roofline, each interval a few per cent wide). Only whole runs repeated
hours apart measure that part, so it is measured once per machine (its fingerprint, below) and kept per
workload and kind of ratio, one entry per machine, then carried by every later run's intervals on that machine:

    python -m conformance.bench.calibrate RUN_A/bench.json RUN_B/bench.json ... --into docs/benchmarks/between-runs.json

sigma of a group is the root mean square, over the group's ratios, of each ratio's standard deviation
in log scale across the runs; it holds each run's own noise too, so it errs wide. A ratio belongs to two
groups, each with its kind ("fraction of roofline", or "step / own products" for every ratio of two
rows' times): its workload's (the tiny nets' steps drift with the machine's memory and dispatch, more
than a large product does) and its rows' framework and mode's (an eager step's dispatch drifts, and one
TensorFlow step ran 3.7x slower in one run than in the others); it takes the larger. A run on the same
machine (CPU, cores, threads, device) widens each interval on each side to
sqrt(own half-width^2 + (1.96 sigma)^2) in log scale. A workload no calibration run had takes the
largest sigma of its kind; a row kind none had (a Keras peer's) adds nothing. A goal also has its own
sigma, from its values in the runs that picked the same rows for it (the text of a goal names them):
the larger of that and its groups' applies. Same machine means the same fingerprint (fingerprint(): the
CPU and its vector instructions, cores, threads, device, the BLAS kernel and the band of the GEMM rate
measured), not the same label; on any other machine the intervals hold the run's own rounds and processes
only, and the page says so.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import ROOT

FILE = ROOT / "docs" / "benchmarks" / "between-runs.json"  # this machine's, measured by the runs it names
KINDS = ("fraction of roofline", "step / own products")


def fingerprint(meta: dict) -> dict[str, str]:
    """The machine a run measured, known by what it measures, not by its label alone (one "AMD EPYC, 2 cores"
    label here hid hosts with a GEMM peak of 207 and of 470 GFLOP/s): the CPU and its vector instruction sets,
    its cores, the run's threads and device, NumPy's BLAS and the kernel it chose, and the band (a power of
    two) of the float64 GEMM rate the run measured."""
    env, limits = meta.get("environment", {}), meta.get("limits") or {}
    blas = env.get("blas") or {}
    gemm = (limits.get("gemm_gflops") or {}).get("float64")
    band = f"{2 ** int(np.log2(gemm))}-{2 ** (int(np.log2(gemm)) + 1)} GFLOP/s" if gemm and gemm >= 1 else "?"
    return {
        "cpu": env.get("cpu", "?"),
        "flags": env.get("cpu_flags") or "?",
        "cores": str(env.get("cores", "?")),
        "threads": str(meta.get("threads", "?")),
        "device": str(meta.get("device", "?")),
        "blas": " ".join(filter(None, [blas.get("library"), blas.get("version"), blas.get("architecture")])) or "?",
        "gemm float64": band,
    }


def machine(meta: dict) -> str:
    """What must match for a spread to apply: the fingerprint, in words."""
    return "; ".join(f"{key} {value}" for key, value in fingerprint(meta).items())


@dataclass(frozen=True)
class Spread:
    machine: str
    runs: list[str]  # the runs it was measured from (their start times)
    by_workload: dict[str, float]  # "workload | kind" -> between-run standard deviation of log(ratio)
    by_row: dict[str, float]  # "backend mode | kind" -> the same
    by_goal: dict[str, float] = field(default_factory=dict)  # a goal, with the row it picked -> the same

    def of(self, workload: str, kind: str, rows: tuple[tuple[str, str], ...] = ()) -> float:
        """sigma of a ratio of this kind on this workload between these (backend, mode) rows: the largest of
        its groups'."""
        if f"{workload} | {kind}" in self.by_workload:
            sigma = self.by_workload[f"{workload} | {kind}"]
        else:  # a workload the calibration runs did not have
            sigma = max((s for key, s in self.by_workload.items() if key.endswith(f"| {kind}")), default=0.0)
        return max([sigma, *(self.by_row.get(f"{backend} {mode} | {kind}", 0.0) for backend, mode in rows)])

    def widen(
        self,
        interval: tuple[float, float, float] | None,
        workload: str,
        kind: str,
        rows: tuple[tuple[str, str], ...] = (),
    ):
        """(centre, low, high) with this machine's spread between runs added to each side, in log scale."""
        return widen(interval, self.of(workload, kind, rows))

    def note(self) -> str:
        return (
            f"every interval also carries the spread between runs on this machine ({self.machine}), measured by "
            f"{len(self.runs)} runs an hour or more apart ({', '.join(self.runs)}; docs/benchmarks/between-runs.json)"
        )


def widen(interval: tuple[float, float, float] | None, sigma: float):
    """(centre, low, high) with a between-run sigma added to each side, in log scale."""
    if interval is None:
        return None
    centre, low, high = interval
    z = 1.96 * sigma
    if centre <= 0 or low <= 0 or z == 0:
        return interval
    return (
        centre,
        centre * np.exp(-np.hypot(np.log(centre / low), z)),
        centre * np.exp(np.hypot(np.log(high / centre), z)),
    )


def spreads(path: Path = FILE) -> list[Spread]:
    """Every machine's spread the file holds, one per fingerprint ({"machines": [...]}; a file of one machine's,
    as the first calibration wrote it, holds that one)."""
    if not Path(path).is_file():
        return []
    data = json.loads(Path(path).read_text())
    return [
        Spread(d["machine"], d["runs"], d["by_workload"], d["by_row"], d.get("by_goal", {}))
        for d in data.get("machines", [data])
    ]


def load(path: Path = FILE) -> Spread | None:
    """The first machine's spread (the one the committed runs of docs/benchmarks/ were made on), or None."""
    found = spreads(path)
    return found[0] if found else None


def store(entry: dict, path: Path = FILE) -> None:
    """calibrate()'s entry into the file, in place of an earlier one of the same machine, beside the others'."""
    others = [vars(s) for s in spreads(path) if s.machine != entry["machine"]]
    Path(path).write_text(json.dumps({"machines": [*others, entry]}, indent=1) + "\n")


def for_run(meta: dict, path: Path = FILE) -> tuple[Spread | None, str]:
    """This machine's spread for a run (the entry whose fingerprint is the run's), or None; and a sentence for its
    page."""
    found, here = spreads(path), machine(meta)
    if not found:
        return None, (
            "the intervals hold this run's rounds and processes only: no spread between runs is "
            "measured for this machine (python -m conformance.bench.calibrate, from runs hours apart)"
        )
    mine = next((s for s in found if s.machine == here), None)
    if mine is None:
        others = "; ".join(f"({s.machine})" for s in found)
        return None, (
            f"the intervals hold this run's rounds and processes only: the spread between runs was "
            f"measured on {'another machine' if len(found) == 1 else 'other machines'} {others}, not this one ({here})"
        )
    return mine, mine.note()


def calibrate(
    ratios: list[dict[tuple, tuple[float, float, float]]],
    metas: list[dict],
    goals: list[dict[str, float]] | None = None,
) -> dict:
    """The spread from runs' row ratios (agree.row_ratios: (workload, backend, mode, dtype, kind) ->
    (centre, low, high)), their metadata and their goals' measured values (goal -> value), as
    between-runs.json holds it."""
    if len(ratios) < 2:
        raise ValueError(f"the spread between runs needs at least 2 runs, got {len(ratios)}")
    machines = {machine(m) for m in metas}
    if len(machines) != 1:
        raise ValueError(f"the runs were made on different machines: {sorted(machines)}")
    logs: dict[tuple, list[float]] = {}
    for run in ratios:
        for key, (centre, _, _) in run.items():
            if centre > 0:
                logs.setdefault(key, []).append(float(np.log(centre)))
    by_workload: dict[str, list[float]] = {}
    by_row: dict[str, list[float]] = {}
    values_of: dict[str, list[float]] = {}
    for run in goals or []:
        for goal, value in run.items():
            if value > 0:
                values_of.setdefault(goal, []).append(float(np.log(value)))
    by_goal = {goal: [float(np.var(v, ddof=1))] for goal, v in values_of.items() if len(v) >= 2}
    for (workload, backend, mode, _, kind), values in logs.items():
        if len(values) >= 2:
            by_workload.setdefault(f"{workload} | {kind}", []).append(float(np.var(values, ddof=1)))
            by_row.setdefault(f"{backend} {mode} | {kind}", []).append(float(np.var(values, ddof=1)))

    def pooled(groups: dict[str, list[float]]) -> dict[str, float]:
        return {group: round(float(np.sqrt(np.mean(v))), 4) for group, v in sorted(groups.items())}

    return {
        "machine": machines.pop(),
        "runs": [m.get("started", "?") for m in metas],
        "by_workload": pooled(by_workload),
        "by_row": pooled(by_row),
        "by_goal": pooled(by_goal),
    }
