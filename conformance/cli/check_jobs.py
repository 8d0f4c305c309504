"""`quartet check --jobs N`: the matrix's units spread over N child processes, each starting on backends the
others have not reached (one framework import and one compile of each program per process), the plan made
once by the first child and read by the parent."""

import json
import time
from collections.abc import Callable
from typing import NoReturn

from .. import check
from ..core import environment
from ..run.files import write_atomically
from ..run.runner import Runner
from .common import UsageError

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
