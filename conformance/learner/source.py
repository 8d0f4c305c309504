"""A learner's notebook or script, read without running it: the imports, the function definitions and the
simple constants of its code cells are kept; every other statement (training, plotting, the course's test
calls) is left out, and each cell that loses one says why.

A .ipynb is read as JSON (its code cells, in order); a .py is one cell, or one per `# %%` marker (the
percent format of Jupytext, VS Code and Spyder). IPython lines (`%matplotlib inline`, `!pip install ...`)
are blanked, so a line number here is the line in the learner's cell."""

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

# A constant is kept when it is a literal: `layers_dims = [12288, 20, 7, 5, 1]`, `LEARNING_RATE = 0.0075`.
KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)
# Imported for plots, images and data files, which no function of the course's needs: seconds saved (scikit-learn
# alone takes longer than the whole check); a function that uses one anyway raises NameError, named as its own.
NOT_IMPORTED = ("matplotlib", "sklearn", "scipy", "PIL", "h5py", "IPython", "seaborn", "pandas", "imageio")


class SourceError(ValueError):
    """The file cannot be read as code: not a notebook, or a syntax error (with the cell and the line)."""


@dataclass(frozen=True)
class Cell:
    number: int  # 1 for the first code cell, as a reader counts them
    source: str  # IPython lines blanked


@dataclass
class Learner:
    """What is loaded of a learner's file: each cell's kept statements, where each function is defined,
    and the cells that were not run in full."""

    path: str
    cells: list[Cell]
    kept: dict[int, list[ast.stmt]]  # cell number -> the statements run
    defined: dict[str, tuple[int, int]] = field(default_factory=dict)  # function -> (cell, line), the last one
    left_out: list[tuple[int, str]] = field(default_factory=list)  # (cell, why)
    not_imported: list[str] = field(default_factory=list)  # NOT_IMPORTED's modules the file imports

    def code(self) -> list[tuple[str, object]]:
        """(the cell's name for tracebacks, its compiled kept statements), in order."""
        return [
            (cell_name(n), compile(ast.Module(body=body, type_ignores=[]), cell_name(n), "exec"))
            for n, body in self.kept.items()
            if body
        ]


def cell_name(number: int) -> str:
    return f"cell {number}"


def read(path: Path) -> Learner:
    """The cells of `path` (.ipynb or .py), parsed; SourceError for anything that is not code."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            notebook = json.loads(text)
            sources = [c.get("source", "") for c in notebook["cells"] if c.get("cell_type") == "code"]
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
            raise SourceError(f"{path}: not a Jupyter notebook ({type(e).__name__}: {e})") from None
        sources = ["".join(s) if isinstance(s, list) else str(s) for s in sources]
    elif path.suffix == ".py":
        sources = split_percent(text)
    else:
        kind = path.suffix or "a file without suffix"
        raise SourceError(f"{path}: a learner's file is a .ipynb or a .py, not {kind}")
    return load([Cell(i + 1, blank_ipython(s)) for i, s in enumerate(sources)], str(path))


def split_percent(text: str) -> list[str]:
    """A .py file's cells: one per `# %%` marker (markdown cells dropped), or the whole file."""
    cells, current, markdown = [], [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("# %%"):
            if current and not markdown:
                cells.append("".join(current))
            current, markdown = [], "[markdown]" in line
            continue
        current.append(line)
    if current and not markdown:
        cells.append("".join(current))
    return [c for c in cells if c.strip()] or [""]


def blank_ipython(source: str) -> str:
    """`%magic`, `%%cell magic` and `!shell` lines blanked (kept as empty lines, so numbers hold)."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n" * (len(lines) - 1)  # a cell magic (%%time, %%capture): the whole cell is IPython's
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def load(cells: list[Cell], path: str) -> Learner:
    """Each cell parsed; the statements to run kept, the rest named in `left_out`."""
    learner = Learner(path, cells, {})
    for cell in cells:
        try:
            tree = ast.parse(cell.source, filename=cell_name(cell.number))
        except SyntaxError as e:
            raise SourceError(
                f"{path}: a syntax error in cell {cell.number}, line {e.lineno}: {e.msg}"
                + (f"\n    {e.text.rstrip()}" if e.text else "")
            ) from None
        kept, dropped = [], []
        for node in tree.body:
            if is_unneeded_import(node):
                learner.not_imported += [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            elif isinstance(node, KEPT) or is_constant(node):
                kept.append(node)
                if isinstance(node, ast.FunctionDef):
                    learner.defined[node.name] = (cell.number, node.lineno)
            elif not is_quiet(node):
                dropped.append(node)
        learner.kept[cell.number] = kept
        if dropped:
            learner.left_out.append((cell.number, why(dropped)))
    return learner


def is_unneeded_import(node: ast.stmt) -> bool:
    """An import of plotting, image or data-file libraries only."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        names = [node.module]
    else:
        return False
    return all(n.split(".")[0] in NOT_IMPORTED for n in names)


def is_constant(node: ast.stmt) -> bool:
    """`name = <literal>`: a constant the functions may read."""
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        value = node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        value = node.value
    else:
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def is_quiet(node: ast.stmt) -> bool:
    """A docstring or a bare name, which runs nothing (`parameters` at the end of a cell shows it)."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant | ast.Name)


def why(dropped: list[ast.stmt]) -> str:
    """What the left-out statements of a cell would have done, in a few words, with the first of them."""
    calls = {
        n.func.id if isinstance(n.func, ast.Name) else ast.unparse(n.func)
        for node in dropped
        for n in ast.walk(node)
        if isinstance(n, ast.Call)
    }
    first = ast.unparse(dropped[0]).split("\n")[0]
    first = first if len(first) <= 60 else first[:57] + "..."
    if any(c.startswith(("plt.", "plot", "matplotlib")) or c.endswith(("imshow", "scatter", "plot")) for c in calls):
        kind = "plots"
    elif any(c.split(".")[-1].endswith(("_test", "_test_case", "_tests")) for c in calls) or any(
        isinstance(node, ast.Assert) for node in dropped
    ):
        kind = "the course's tests"
    elif dropped and any(isinstance(n, ast.Call) for node in dropped for n in ast.walk(node)):
        kind = "calls"
    else:
        kind = "statements"
    more = f" (+{len(dropped) - 1} more)" if len(dropped) > 1 else ""
    return f"{kind}: `{first}`{more}"
