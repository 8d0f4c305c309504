"""Each function of a learner's file, checked against the reference on every case of its assignment, twice:
as written (calling the learner's own functions) and on its own (every function of the assignment it calls
replaced by the course's, through its globals). Wrong on its own: that function is to blame. Right on its own
but wrong as written: it follows from the wrong functions it calls. This runs in a process of its own
(child.py): learner code can loop, crash or exit, and each call has a time limit.

A row per function: green, wrong, raised, not written yet (not defined, the course's skeleton, or None where
the course returns something), not checked yet (it calls one not written yet), or provided (imported from the
course's helper modules, which are not here: the reference's stands in)."""

import ast
import builtins
import contextlib
import copy
import inspect
import io
import linecache
import signal
import sys
import traceback
import types
from collections.abc import Callable

import numpy as np

from .assignments import COURSE_MODULES, Assignment, Function
from .compare import RETURNS_NONE, difference
from .source import Learner, cell_name

PER_CALL_S = 5.0  # a course function on these inputs returns in milliseconds: more is a loop that never ends


class TooLong(Exception):
    pass


def load(learner: Learner, assignment: Assignment) -> tuple[dict, list[str], set[str]]:
    """The learner's namespace (imports, functions, constants run cell by cell), what could not be run,
    and the names the course's helper modules would have given (the reference's stand in for them)."""
    namespace: dict = {"__name__": "__learner__", "__builtins__": builtins}
    notes, provided, missing = [], set(), []
    for cell in learner.cells:
        linecache.cache[cell_name(cell.number)] = (
            len(cell.source),
            None,
            cell.source.splitlines(True),
            cell_name(cell.number),
        )
    for number, body in learner.kept.items():
        for node in body:
            code = compile(ast.Module(body=[node], type_ignores=[]), cell_name(number), "exec")
            try:
                with quiet():
                    exec(code, namespace)
            except Exception as e:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = stand_ins(node, assignment, learner)
                    namespace.update({n: assignment_reference(assignment, n) for n in names})
                    provided |= set(names)
                    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                    if names:
                        notes.append(f"{module} is not here: the reference's {', '.join(names)} stand in")
                    else:
                        missing.append(f"{module} ({type(e).__name__})")
                else:
                    notes.append(f"cell {number}, line {node.lineno}: {type(e).__name__}: {first_line(e)}")
    if missing:
        notes.append(f"not here, so not imported: {', '.join(dict.fromkeys(missing))}")
    return namespace, notes, provided


def stand_ins(node: ast.Import | ast.ImportFrom, assignment: Assignment, learner: Learner) -> list[str]:
    """The names a failed `from <one of the course's modules> import ...` would have bound, which the
    reference gives instead (a star import: those the file does not define itself)."""
    if not isinstance(node, ast.ImportFrom) or node.module not in COURSE_MODULES:
        return []
    known = COURSE_MODULES[node.module]
    if any(alias.name == "*" for alias in node.names):
        return sorted(n for n in known if n not in learner.defined)
    return [alias.asname or alias.name for alias in node.names if alias.name in known]


def assignment_reference(assignment: Assignment, name: str) -> Callable:
    """The reference's version of one of the assignment's functions, or of a helper the course provides."""
    if name in assignment.provided:
        return assignment.provided[name]
    return assignment.function(name).reference


def replaceable(assignment: Assignment) -> set[str]:
    """The names a function is checked without (on its own): the assignment's and the course's helpers."""
    return {f.name for f in assignment.functions} | set(assignment.provided)


def skeleton(learner: Learner, name: str) -> str:
    """Why the definition of `name` is still the course's skeleton, or ""."""
    node = next(
        (n for body in learner.kept.values() for n in body if isinstance(n, ast.FunctionDef) and n.name == name), None
    )
    if node is None:
        return ""
    # what is left without the docstring, `pass` and `...`
    body = [
        n
        for n in node.body
        if not isinstance(n, ast.Pass) and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]
    if not body:
        return "its body is empty (`pass`)"
    for n in ast.walk(node):
        if isinstance(n, ast.Raise) and n.exc is not None and "NotImplementedError" in ast.unparse(n.exc):
            return "it raises NotImplementedError"
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and n.value.value is None:
            target = ast.unparse(n.targets[0])
            return f"`{target} = None` (line {n.lineno}) is still the course's placeholder"
    return ""


def calls(fn: Callable, namespace: dict) -> set[str]:
    """The names of the learner's functions `fn` calls, directly or through another of theirs."""
    found, todo = set(), [fn]
    while todo:
        f = todo.pop()
        codes, names = [f.__code__], set()
        while codes:
            code = codes.pop()
            names |= set(code.co_names)
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        for n in names:
            g = namespace.get(n)
            if n not in found and isinstance(g, types.FunctionType) and g.__module__ == "__learner__":
                found.add(n)
                todo.append(g)
    return found


def with_globals(fn: types.FunctionType, namespace: dict, replaced: dict) -> types.FunctionType:
    """`fn` reading `replaced` instead of the learner's functions of those names, and so do the learner's other
    functions it calls (a helper of their own between it and linear_forward, say)."""
    scope = {**namespace, **replaced}
    for name in calls(fn, namespace) - set(replaced):
        g = namespace[name]
        scope[name] = types.FunctionType(g.__code__, scope, g.__name__, g.__defaults__, g.__closure__)
    return types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)


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


def threshold(got: np.ndarray, want: np.ndarray, scores: np.ndarray) -> str:
    """What the probabilities where the labels differ say: a threshold at 0.5 taken as >=, or another one."""
    p = scores[got != want]
    if p.size and np.all(p == 0.5):
        return ": each where the probability is exactly 0.5; the course predicts 1 only where it is > 0.5"
    if p.size:
        return f" (the probability there: {p.min():.3g} to {p.max():.3g}; the course's threshold is 0.5)"
    return ""


def compared(f: Function, got, want, inputs: dict) -> str:
    """What differs, each returned value under the course's name for it (Z, cache; dA_prev, dW, db; ...)."""
    if len(f.returns) == 1:
        return difference(got, want, f.returns[0], f.labels, inputs)
    if got is None:
        return f"{f.name} {RETURNS_NONE}"
    if not isinstance(got, tuple | list) or len(got) != len(want):
        count = len(got) if isinstance(got, tuple | list) else 1
        return (
            f"{f.name} returns {count} value{'s' if count != 1 else ''}; the course's returns {len(want)}: "
            f"{', '.join(f.returns)}"
        )
    return next(
        (d for g, w, name in zip(got, want, f.returns, strict=True) if (d := difference(g, w, name, f.labels, inputs))),
        "",
    )


def initialiser(got, want: dict, name: str) -> str:
    """Its keys and shapes the course's, biases zero, weights not all alike, at one of the course's scales."""
    if not isinstance(got, dict):
        return f"{name} returns a {type(got).__name__}; the course's returns a dict of {', '.join(want)}"
    for key, w in want.items():
        if key not in got:
            return f"parameters has no {key!r} (it has {', '.join(map(repr, got)) or 'no keys'})"
        g = np.asarray(got[key])
        if g.shape != w.shape:
            return f"parameters[{key!r}] has shape {g.shape}; the course's {w.shape}"
        if key.startswith("b") and np.any(g != 0):
            return f"parameters[{key!r}] is not all zeros; the course starts every bias at 0"
        if key.startswith("W"):
            if np.all(g == g.flat[0]):
                return f"every entry of parameters[{key!r}] is {g.flat[0]:g}: nothing breaks the symmetry (randn)"
            if g.size >= 100:
                rms, n_prev = float(np.sqrt(np.mean(g**2))), w.shape[1]
                scales = {
                    "randn * 0.01": 0.01,
                    "randn / sqrt(n[l-1])": 1 / np.sqrt(n_prev),
                    "randn * sqrt(2 / n[l-1])": np.sqrt(2 / n_prev),
                }
                if not any(0.6 < rms / s < 1.6 for s in scales.values()):
                    return f"parameters[{key!r}] has RMS {rms:.3g}; the course draws it as " + " or ".join(
                        f"{k} (RMS {v:.3g})" for k, v in scales.items()
                    )
    return ""


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


def first_line(e: BaseException) -> str:
    """The message's first line that says something (not a link to documentation)."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip() and "://" not in line]
    return lines[0] if lines else type(e).__name__


@contextlib.contextmanager
def quiet():
    """The learner's prints (print_cost=True, debugging) kept off the screen."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


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
