"""A learner's file loaded without running it: its imports (the course's helper modules that are not here
replaced by the reference's), its function definitions and literal constants executed one statement at a
time into a namespace, each cell's text kept for tracebacks; which of its functions are still the course's
skeleton; which of the assignment's functions each calls; a function given other globals (the course's
functions in place of the learner's)."""

import ast
import builtins
import contextlib
import io
import linecache
import types
from collections.abc import Callable

from .assignments import COURSE_MODULES, Assignment
from .source import Learner, cell_name


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


@contextlib.contextmanager
def quiet():
    """The learner's prints (print_cost=True, debugging) kept off the screen."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def first_line(e: BaseException) -> str:
    """The message's first line that says something (not a link to documentation)."""
    lines = [line.strip() for line in str(e).splitlines() if line.strip() and "://" not in line]
    return lines[0] if lines else type(e).__name__
