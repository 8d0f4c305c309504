"""`quartet check` as a run: the targets and cases it visits, planned as units for the runner (one per
target and case, and one for the float64 pairwise comparison), and its rows gathered into one frame.

    settings = CheckSettings(backends=["numpy", "jax"], modes=["eager"], dtypes=["float32"], quick=True)
    plan = check.plan(settings)     # plan.units for the runner; plan.skipped fills as targets turn out missing
    result = check.result(rows, plan.skipped)
"""

import functools
from dataclasses import asdict, dataclass, field

import pandas as pd

from ..core.backends import MODES, device_status
from ..core.registry import Target
from ..core.spec import ModelSpec
from ..run.runner import Unit
from . import matrix, reference, regimes
from .cases import STEPS, Case, default_cases, make_case
from .functions import BY_KEY, check_functions, replay
from .judge import COLUMNS


@dataclass(frozen=True)
class CheckSettings:
    backends: list[str]
    modes: list[str]
    dtypes: list[str]
    device: str = "cpu"
    quick: bool = False
    functions: tuple[str, ...] = ()  # only these course functions, each on its own (no matrix); () every part
    data_parallel: int = 0  # then data parallel on this many devices against the full batch (cli/check.py); 0 none

    @property
    def steps(self) -> tuple[int, ...]:
        return (1, 10) if self.quick else STEPS

    def record(self, cases: int) -> dict:
        """What progress.json and conformance.json keep: the settings, the steps and the number of cases."""
        return {**asdict(self), "steps": list(self.steps), "cases": cases}

    @classmethod
    def from_record(cls, record: dict) -> "CheckSettings":
        return cls(
            **{k: record[k] for k in ("backends", "modes", "dtypes", "device", "quick")},
            functions=tuple(record.get("functions", ())),
            data_parallel=record.get("data_parallel", 0),
        )


def cases(quick: bool) -> tuple[list[Case], list[Case]]:
    """(eager cases, compiled cases): the default nets and the regimes (conformance/check/regimes.py). Compiled
    programs cost seconds per shape, so a quick run gives them two shapes, each also saturated."""
    if not quick:
        return default_cases() + regimes.cases(), default_cases() + regimes.compiled_cases()
    logistic, deep = ModelSpec("logistic", (8, 1)), ModelSpec("deep", (8, 7, 6, 1), "relu")
    compiled = [
        make_case(logistic),
        make_case(deep, seed=3),
        regimes.saturated(logistic, m=32),
        regimes.saturated(deep, m=32),
    ]
    return default_cases(depths=(1, 3)) + regimes.cases(quick=True), compiled


@dataclass
class Plan:
    settings: CheckSettings
    targets: list[Target]  # against the reference
    eager_cases: list[Case]
    compiled_cases: list[Case]
    units: list[Unit] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # targets that cannot run here, with the reason

    def record(self) -> dict:
        """What a parent needs of a plan its child made (cli/check.py): the units' keys and labels, the
        targets and the skipped ones; no work."""
        return {
            "targets": [list(t) for t in self.targets],
            "skipped": self.skipped,
            "units": [[u.key, u.label] for u in self.units],
        }

    @classmethod
    def from_record(cls, settings: CheckSettings, record: dict) -> "Plan":
        """The plan a child recorded, its units only to be counted and ordered: running one is a mistake."""
        eager_cases, compiled_cases = cases(settings.quick)
        units = [Unit(key, label, functools.partial(_elsewhere, key)) for key, label in record["units"]]
        return cls(
            settings, [Target(*t) for t in record["targets"]], eager_cases, compiled_cases, units, record["skipped"]
        )


def plan(settings: CheckSettings) -> Plan:
    """Every available target on each of its cases, then the float64 backends against each other."""
    device, steps = settings.device, settings.steps
    eager_cases, compiled_cases = cases(settings.quick)
    targets = [
        Target(n, m, d, device)
        for n in settings.backends
        for m in MODES[n]
        if m in settings.modes
        for d in settings.dtypes
        if (n, d) != ("numpy", "float64")
    ]
    result = Plan(settings, targets, eager_cases, compiled_cases)
    if not settings.functions:  # the judge first: the reference against the course's own numbers (seconds)
        result.units.append(
            Unit("reference/course", "the reference against the course's printed numbers", reference.check_reference)
        )
    for target in targets:
        target_cases = eager_cases if target.mode == "eager" else compiled_cases
        skip = matrix.unavailable(target, target_cases[0].spec)
        if skip:
            result.skipped.append(skip)
            continue
        if settings.functions and target.mode != "eager" and not any(BY_KEY[f].moded for f in settings.functions):
            continue  # a function without a mode is checked eagerly only
        if target.backend != "numpy":  # each course function on its own first (the reference is the judge)
            only = settings.functions or None
            key, label = "functions/" + "/".join(target), f"{' '.join(target[:3])} {_which(settings.functions)}"
            result.units.append(Unit(key, label, functools.partial(check_functions, *target, only=only)))
        if settings.functions:
            continue
        for case in target_cases:
            key, label = "/".join(target) + "/" + case.label, f"{' '.join(target[:3])} {case.label}"
            result.units.append(Unit(key, label, functools.partial(_rows, [case], [target], steps, pairwise=False)))
    pairs = [(n, "eager", "float64", device) for n in settings.backends if n != "numpy"]
    pairs = [t for t in pairs if "float64" in settings.dtypes and device_status(t[0], t[3])[0]]
    # a unit per case, as the others: a run in processes shares them
    if len(pairs) > 1 and "eager" in settings.modes and not settings.functions:
        names = ", ".join(t[0] for t in pairs)
        result.units += [
            Unit(
                f"float64 pairwise/{case.label}",
                f"float64 pairwise ({names}) {case.label}",
                functools.partial(_rows, [case], pairs, steps, pairwise=True),
            )
            for case in eager_cases
        ]
    return result


def _elsewhere(key: str) -> list[dict]:
    raise RuntimeError(f"unit {key} was planned by a child process and runs there only")


def _which(functions: tuple[str, ...]) -> str:
    return ", ".join(functions) if functions else "each function"


REPLAYS = 2  # cases of one target and model replayed function by function per process: the first failures say it
_replayed: dict[tuple, int] = {}


def _rows(cases: list[Case], targets: list, steps: tuple[int, ...], pairwise: bool) -> list[dict]:
    """A unit's rows: its comparisons, and what raised (marked "raised", so result() can tell them apart);
    where a target failed on a case, that case replayed through its course functions one at a time
    (functions.replay: the first that disagrees on the reference's inputs is the suspect)."""
    done = matrix.run_matrix(cases, targets, steps=steps, pairwise=pairwise)
    rows = done.frame.to_dict("records") + [{"raised": True, **r} for r in done.raised]
    if pairwise:
        return rows
    failed = {
        (r["backend"], r["mode"], r["dtype"], r["device"], r["model"])
        for r in rows
        if r.get("raised") or not r["passed"]
    }
    for case in cases:
        for target in [t for t in targets if (*t, case.label) in failed]:
            key = (tuple(target), case.spec.kind)
            if _replayed.get(key, 0) < REPLAYS and target[0] != "numpy":
                _replayed[key] = _replayed.get(key, 0) + 1
                rows += replay(*target, case)
    return rows


def result(rows: list[dict], skipped: list[dict]) -> matrix.MatrixResult:
    """The finished rows as the engine's frame, the parts that raised and each function's verdict (a unit
    finished twice, across a resume, counts once)."""
    raised = [{k: v for k, v in r.items() if k != "raised"} for r in rows if r.get("raised")]
    functions = [{k: v for k, v in r.items() if k != "function_check"} for r in rows if r.get("function_check")]
    judged = [{k: v for k, v in r.items() if k != "judge_check"} for r in rows if r.get("judge_check")]
    comparisons = [r for r in rows if not r.get("raised") and not r.get("function_check") and not r.get("judge_check")]
    frame = pd.DataFrame(comparisons, columns=COLUMNS).drop_duplicates(
        subset=["model", "backend", "mode", "dtype", "device", "quantity", "against"]
    )
    frame["passed"] = frame["passed"].astype(bool)
    return matrix.MatrixResult(frame, skipped, raised, functions, judged)
