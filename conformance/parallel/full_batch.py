"""Data parallel = full batch: each framework's data-parallel training on N workers against the
single-process, full-batch float64 reference, through the conformance engine and tolerance table."""

import dataclasses
from dataclasses import dataclass

import pandas as pd

from ..check.cases import Case, make_case
from ..check.judge import COLUMNS, compare
from ..check.measure import measure
from ..core.backends import framework_status, load_backend
from ..core.registry import DTYPES
from ..core.spec import ModelSpec
from ..run.runner import Unit
from .engine import NAMES, STEPS, WORKERS, default_launch, job, quantities, run, workers_label


def check(
    cases: list[Case],
    names=NAMES,
    workers=WORKERS,
    dtypes=DTYPES,
    steps: int = STEPS,
    on_progress=None,
    launch: str | None = None,
) -> tuple[pd.DataFrame, list[dict]]:
    """Rows of the engine for every (case, framework, workers, dtype) against the full-batch float64
    reference; and the skipped (framework, reason). launch: "processes" or "devices" (default: processes
    for more than one worker)."""
    labels = [case.label for case in cases]
    if len(set(labels)) != len(labels):
        raise ValueError(f"two cases of one label would be one in the results: {labels}")
    rows, skipped = [], []
    available = []
    for name in names:
        ok, reason = framework_status(name)
        if ok:
            available.append(name)
        else:
            skipped.append(dict(backend=name, mode="data-parallel", dtype="", device="cpu", reason=reason))
    refs = [measure(load_backend("numpy", case.spec, "eager", "float64"), case, steps=(steps,)) for case in cases]
    for n_workers in workers:
        for name in available:
            if on_progress:
                on_progress(f"{name} {n_workers} workers")
            plan = [
                (case, ref, dtype)
                for case, ref in zip(cases, refs, strict=True)
                for dtype in dtypes
                if n_workers <= case.m
            ]
            how = launch or default_launch(n_workers)
            results = run(name, [job(case, n_workers, dtype, steps) for case, _, dtype in plan], how)
            for (case, ref, dtype), result in zip(plan, results, strict=True):
                got = quantities(result, case, steps)
                labels = dict(backend=name, mode=workers_label(n_workers, name, how), dtype=dtype, device="cpu")
                rows += compare(got, ref, case, labels, "numpy/float64", only=list(got))
    return pd.DataFrame(rows, columns=COLUMNS), skipped


def default_cases() -> list[Case]:
    """Logistic regression and a deep net, each with m = 12 (even over 1, 2 and 4 workers) and m = 13
    (uneven over 2 and 4), each named by its m: a row is known by its case's label, and two cases of one
    label would be one (a run's rows are de-duplicated by it across a resume: m = 13's rows were lost so)."""
    cases = []
    for m in (12, 13):
        cases.append(make_case(ModelSpec("logistic", (6, 1)), m=m, seed=m))
        cases.append(make_case(ModelSpec("deep", (6, 5, 3, 1), "tanh"), m=m, seed=m + 1))
    return [dataclasses.replace(case, name=f"m = {case.m}") for case in cases]


@dataclass(frozen=True)
class ParallelCheckSettings:
    """`quartet check --workers N`: these frameworks on N workers, in these dtypes, on the default cases."""

    backends: list[str]
    dtypes: list[str]
    workers: int
    device: str = "cpu"
    steps: int = STEPS
    launch: str = ""  # "processes" or "devices"; empty: processes for more than one worker


def units(settings: ParallelCheckSettings, skipped: list[dict]) -> list[Unit]:
    """One unit per framework for the runner; a framework that cannot run adds to `skipped` and keeps no rows."""

    def work(name: str) -> list[dict] | None:
        frame, skips = check(
            default_cases(), [name], [settings.workers], settings.dtypes, settings.steps, launch=settings.launch or None
        )
        skipped.extend(skips)
        return None if skips else frame.to_dict("records")

    label, how = workers_label(settings.workers), settings.launch or default_launch(settings.workers)
    return [
        Unit(
            f"{name}/{label}",
            f"data parallel: {name} on {workers_label(settings.workers, name, how)}",
            lambda name=name: work(name),
        )
        for name in settings.backends
    ]
