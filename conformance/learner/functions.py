"""Each function of a learner's file, checked against the reference on every case of its assignment, twice:
as written (calling the learner's own functions) and on its own (every function of the assignment it calls
replaced by the course's, through its globals). Wrong on its own: that function is to blame. Right on its own
but wrong as written: it follows from the wrong functions it calls. This runs in a process of its own
(child.py): learner code can loop, crash or exit, and each call has a time limit.

A row per function: green, wrong, raised, not written yet (not defined, the course's skeleton, or None where
the course returns something), not checked yet (it calls one not written yet), or provided (imported from the
course's helper modules, which are not here: the reference's stands in)."""

import contextlib
import copy
import inspect
import signal
import sys
import traceback
import types
from collections.abc import Callable

import numpy as np

from .assignments import Assignment, Function
from .compare import compared, initialiser, threshold
from .namespace import assignment_reference, calls, first_line, load, quiet, replaceable, skeleton, with_globals
from .source import Learner

PER_CALL_S = 5.0  # a course function on these inputs returns in milliseconds: more is a loop that never ends


class TooLong(Exception):
    pass


def check(learner: Learner, assignment: Assignment, progress: Callable[[str], None] = print) -> dict:
    """{"rows": one per function of the assignment, in the course's order; "notes": what could not be loaded}."""
    namespace, notes, provided = load(learner, assignment)
    unwritten = {
        f.name: ("not defined" if f.name not in learner.defined else skeleton(learner, f.name))
        for f in assignment.functions
        if f.name not in provided
    }
    unwritten = {k: v for k, v in unwritten.items() if v}
    rows = []
    for f in assignment.functions:
        row = {
            "function": f.name,
            "cell": learner.defined.get(f.name, (None, None))[0],
            "case": "",
            "follows_from": [],
            "detail": "",
        }
        if f.name in provided:
            rows.append({**row, "status": "provided", "detail": "imported from the course's module: the reference's"})
            continue
        if f.name in unwritten:
            rows.append({**row, "status": "not written yet", "detail": unwritten[f.name]})
            continue
        fn = namespace.get(f.name)
        if not isinstance(fn, types.FunctionType):
            rows.append({**row, "status": "not written yet", "detail": f"{f.name} is not a function here"})
            continue
        below = calls(fn, namespace) & replaceable(assignment)
        waiting = sorted(below & set(unwritten), key=_order(assignment))
        if waiting:
            rows.append(
                {
                    **row,
                    "status": "not checked yet",
                    "follows_from": waiting,
                    "detail": f"it calls {', '.join(waiting)}, not written yet",
                }
            )
            continue
        rows.append({**row, **judge(f, fn, namespace, assignment, below, progress)})
    blame(rows, namespace, assignment)
    return {"assignment": assignment.name, "rows": rows, "notes": notes}


def _order(assignment: Assignment) -> Callable[[str], int]:
    names = [f.name for f in assignment.functions]
    return names.index


def judge(f: Function, fn, namespace: dict, assignment: Assignment, below: set[str], progress) -> dict:
    """The verdict of one written function over its cases: on its own first, then as written."""
    fixed = dict(assignment.initialisers) if f.kind == "training" else {}
    alone = with_globals(fn, namespace, {**{n: assignment_reference(assignment, n) for n in below}, **fixed})
    written = with_globals(fn, namespace, fixed) if fixed else fn
    calls_mine = bool(below)
    as_written = None
    for label, args in f.cases:
        for how, callable_ in (("on its own", alone), ("as written", written)):
            if how == "as written" and not calls_mine and not fixed:
                continue
            progress(f"{f.name} ({label}, {how})")
            verdict = run_case(f, callable_, args, label)
            if verdict and how == "on its own":
                return verdict
            if verdict and as_written is None:
                as_written = verdict
    if as_written:
        return {**as_written, "status": "follows", "below": sorted(below)}
    return {"status": "green", "detail": f"{len(f.cases)} case{'s' if len(f.cases) > 1 else ''}"}


def run_case(f: Function, fn, args: Callable[[], tuple], label: str) -> dict | None:
    """None when `fn` returns the course's value on this case, else the failing verdict."""
    inputs = args()
    want = f.reference(*copy.deepcopy(inputs))
    given = copy.deepcopy(inputs)
    names = parameter_names(fn)
    before = list(arrays(dict(zip(names, given, strict=False))))  # (where, the array passed, a copy of it)
    try:
        with quiet(), time_limit(PER_CALL_S), np.errstate(all="ignore"):
            got = fn(*given)
    except TooLong:
        return {
            "status": "raised",
            "case": label,
            "detail": f"did not return within {PER_CALL_S:g} s (a loop that never ends?){where_raised()}",
        }
    except NotImplementedError:
        return {"status": "not written yet", "case": label, "detail": "it raises NotImplementedError"}
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        return {"status": "raised", "case": label, "detail": f"{type(e).__name__}: {first_line(e)}{where_raised()}"}
    if f.kind == "initialiser":
        detail = initialiser(got, want, f.name)
    else:
        detail = compared(f, got, want, dict(zip(names, inputs, strict=False)))
        if detail and f.scores is not None and "labels differ" in detail:
            detail += threshold(np.asarray(got, dtype=np.float64), np.asarray(want), f.scores(*copy.deepcopy(inputs)))
    changed = [where for where, array, saved in before if not np.array_equal(array, saved, equal_nan=True)]
    if not detail and changed:
        detail = (
            f"it changes its argument {changed[0]} in place (the caller's array); the course's leaves its "
            f"arguments as they were: write `x = x - ...`, not `x -= ...`, or copy first"
        )
    return {"status": "wrong", "case": label, "detail": detail} if detail else None


def arrays(value, where: str = ""):
    """(where, array, a copy of it) for every array in the arguments, however nested."""
    if isinstance(value, np.ndarray):
        yield where, value, value.copy()
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from arrays(v, f"{where}[{k!r}]" if where else str(k))
    elif isinstance(value, tuple | list):
        for i, v in enumerate(value):
            yield from arrays(v, f"{where}[{i}]")


def parameter_names(fn) -> list[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def blame(rows: list[dict], namespace: dict, assignment: Assignment) -> None:
    """A function right on its own but wrong as written follows from the wrong functions it calls; with none
    wrong it is its own (what it passes them)."""
    failed = {r["function"] for r in rows if r["status"] in ("wrong", "raised")}
    for r in rows:
        if r["status"] != "follows":
            continue
        causes = sorted(set(r.pop("below")) & failed, key=_order(assignment))
        if causes:
            r["status"], r["follows_from"] = "wrong", causes
            r["detail"] = f"follows from {', '.join(causes)} (right with the course's): {r['detail']}"
        else:
            r["status"] = "wrong"
            r["detail"] = (
                f"right with the course's {', '.join(_calls(r, namespace, assignment))}, wrong with yours, "
                f"which pass their own cases: look at what it passes them: {r['detail']}"
            )


def _calls(row: dict, namespace: dict, assignment: Assignment) -> list[str]:
    fn = namespace.get(row["function"])
    names = calls(fn, namespace) & {f.name for f in assignment.functions} if fn else set()
    return sorted(names, key=_order(assignment))


def where_raised() -> str:
    """Where in the learner's cells the exception being handled was raised: cell, line, function, text."""
    tb = sys.exc_info()[2]
    frames = [f for f in traceback.extract_tb(tb) if f.filename.startswith("cell ")]
    if not frames:
        return ""
    f = frames[-1]
    return f" ({f.filename}, line {f.lineno}, in {f.name}: `{(f.line or '').strip()}`)"


@contextlib.contextmanager
def time_limit(seconds: float):
    """TooLong raised in the learner's code after `seconds` (SIGALRM: this process's main thread)."""

    def expire(signum, frame):
        raise TooLong

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
