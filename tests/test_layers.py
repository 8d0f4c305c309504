"""The harness's structure, read from its imports: they go one way down the layers (command line -> report ->
check / bench / parallel -> core and run plumbing -> implementations), no module reaches itself again through
others (no cycle), and only a heavy or optional library waits inside a function to be imported."""

import ast
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPLEMENTATIONS = ("reference_numpy", "impl_torch", "impl_jax", "impl_tf")
PACKAGES = ("quartet", "conformance", *IMPLEMENTATIONS)
# Imported where they are used, inside a function, and only there: the frameworks take seconds to import and
# are optional (a run of NumPy alone never loads them), and h5py, scikit-learn, threadpoolctl and pygments
# are not on the lent GPU machine's image, where `python -m conformance gpu` runs from the source tree.
LAZY = {
    "torch",
    "jax",
    "jaxlib",
    "tensorflow",
    "keras",
    "mlx",
    "sklearn",
    "matplotlib",
    "h5py",
    "threadpoolctl",
    "pygments",
    "impl_torch",
    "impl_jax",
    "impl_tf",
    "jupytext",
    "nbclient",
    "nbformat",
    "IPython",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports(source: str, module: str, is_package: bool = False, modules=MODULES) -> set[str]:
    """Every module `source` (the text of `module`) imports, anywhere in it (inside functions too), absolute:
    `from . import judge` names the module judge, `from .judge import compare` the module judge."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = parts[: len(parts) - node.level + 1] if node.level else []
            stem = ".".join([*base, *([node.module] if node.module else [])])
            found.add(stem)
            found |= {f"{stem}.{alias.name}" for alias in node.names if f"{stem}.{alias.name}" in modules}
    return found


def layer(module: str) -> int:
    """0 the implementations, 1 core and run plumbing, 2 check / bench / parallel, 3 report, 4 the command line,
    5 the Python API (quartet/)."""
    parts = module.split(".")
    if parts[0] in IMPLEMENTATIONS:
        return 0
    if parts[0] == "quartet":
        return 5  # the Python API, over everything
    if parts[0] != "conformance":
        return -1  # a library
    if len(parts) == 1:
        return 1
    return {"check": 2, "bench": 2, "parallel": 2, "learner": 2, "report": 3, "cli": 4, "__main__": 4}.get(parts[1], 1)


def graph(modules: dict[str, str]) -> dict[str, set[str]]:
    """module -> the modules of `modules` it imports, from each one's source."""
    return {
        name: {
            t
            for t in imports(source, name.removesuffix(".__init__"), name.endswith(".__init__"), modules)
            if t in modules and t != name
        }
        for name, source in modules.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted: every import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def sources() -> dict[str, str]:
    return {name: path.read_text() for name, path in MODULES.items()}


def test_imports_go_one_way_down_the_layers():
    upward = []
    for name, path in MODULES.items():
        here = layer(name)
        for target in imports(path.read_text(), name, path.name == "__init__.py"):
            if layer(target) > here or (here == 0 and target.startswith("conformance")):
                upward.append(f"{name} imports {target}")
    assert not upward, "imports that climb a layer:\n" + "\n".join(sorted(set(upward)))


def test_the_layer_check_sees_an_upward_import():
    """The check above must be able to fail: the core importing the command line, or bench importing report."""
    found = imports("from ..cli import main\nfrom ..check import judge\n", "conformance.core.spec")
    assert {"conformance.cli", "conformance.check.judge"} <= found
    assert layer("conformance.cli") > layer("conformance.core.spec")
    found = imports("from ..report.check_results import write_check\n", "conformance.bench.run")
    assert "conformance.report.check_results" in found
    assert layer("conformance.report.check_results") > layer("conformance.bench.run")


def test_no_module_imports_itself_through_others():
    found = cycles(graph(sources()))
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_cycle_check_finds_a_planted_cycle():
    """paired imports between; plant the reverse import, as between.py once had one (of goals) inside a function."""
    planted = dict(sources())
    planted["conformance.bench.between"] += "\n\ndef planted():\n    from .paired import ratio\n"
    found = cycles(graph(planted))
    assert ["conformance.bench.between", "conformance.bench.paired"] in found
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_heavy_or_optional_libraries_are_imported_inside_functions():
    inside = []
    for name, path in MODULES.items():
        if not name.startswith("conformance"):
            continue
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    top = node.names[0].name if isinstance(node, ast.Import) else node.module or ""
                    if getattr(node, "level", 0) or top.split(".")[0] not in LAZY:
                        inside.append(
                            f"{name}:{node.lineno} ({function.name}) imports {'.' * getattr(node, 'level', 0)}{top}"
                        )
    assert not inside, "imports inside functions that could be at the top:\n" + "\n".join(inside)


def _spells_a_quartet_command(tree: ast.AST) -> bool:
    """A list that starts a `python -m conformance ...` by hand: the constants "-m" then "conformance"."""
    for node in ast.walk(tree):
        if isinstance(node, ast.List):
            words = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
            if any(a == "-m" and b == "conformance" for a, b in itertools.pairwise(words)):
                return True
    return False


def test_child_commands_are_built_in_one_place():
    """A child `quartet` process is a run.child.Child, whose argv() is the only hand-built command line;
    a flag assembled in another module would escape test_runner's round trip through the real parser."""
    spelled = [name for name, path in MODULES.items() if _spells_a_quartet_command(ast.parse(path.read_text()))]
    assert spelled == ["conformance.run.child"]
    assert _spells_a_quartet_command(ast.parse('argv = [sys.executable, "-m", "conformance", "check"]'))


def test_every_module_reads_whole_and_every_function_on_one_screen():
    """No module over 300 lines and no function over 60, in the package, the implementations and the plugin: a
    reader takes a module in whole and a function at a glance (the structure's third step)."""
    long_modules, long_functions = [], []
    plugin = {p.relative_to(ROOT).as_posix(): p for p in sorted((ROOT / "plugins").glob("*/*/*.py"))}
    for name, path in {**MODULES, **plugin}.items():
        source = path.read_text()
        if len(source.splitlines()) > 300:
            long_modules.append(f"{name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 60:
                long_functions.append(f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert not long_modules and not long_functions, long_modules + long_functions
