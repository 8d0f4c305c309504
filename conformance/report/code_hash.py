"""The code a kind of result measured, and its hash: the parts each kind starts from (PARTS) and, transitively,
what they import; the hash of their syntax trees with the docstrings dropped, so that a docstring, a comment or
the layout may change and a page stays current; the same hash of the code at an earlier commit, read from git.
provenance.py records it on every page and checks it."""

import ast
import functools
import hashlib
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPLEMENTATIONS = ("reference_numpy", "impl_torch", "impl_jax", "impl_tf")
# where each kind of result starts: the implementations whole (the registry loads them by name), and the
# harness's modules that compute and write it; the code it depends on is these and what they import
PARTS = {
    "check": (
        *IMPLEMENTATIONS,
        "conformance/check/__init__.py",
        "conformance/check/judge.py",
        "conformance/check/suspects.py",
        "conformance/report/check_results.py",
    ),
    "bench": (*IMPLEMENTATIONS, "conformance/bench/run.py", "conformance/bench/results.py"),
    "course": (*IMPLEMENTATIONS, "conformance/check/course.py", "conformance/report/course.py"),
    "parallel": (*IMPLEMENTATIONS, "conformance/parallel"),
    "mutation": (
        *IMPLEMENTATIONS,
        "conformance/check/__init__.py",
        "conformance/check/judge.py",
        "conformance/check/suspects.py",
        "conformance/cli/mutate.py",
        "conformance/check/localise.py",
    ),
    "porting_bugs": (
        *IMPLEMENTATIONS,
        "plugins/quartet-mlx/quartet_mlx",
        "conformance/check/__init__.py",
        "conformance/check/judge.py",
        "conformance/check/suspects.py",
        "conformance/report/porting_bugs.py",
    ),
    "report": (*IMPLEMENTATIONS, "conformance/report/html.py"),
    "learner": ("reference_numpy", "conformance/learner", "conformance/report/learner.py"),
}
# the command line's dispatcher imports every subcommand and computes nothing (a result depends on its own),
# and provenance.py and this module record results and compute none
NOT_FOLLOWED = ("conformance/cli/__init__.py", "conformance/report/provenance.py", "conformance/report/code_hash.py")


def _canonical(node) -> str:
    """A syntax tree as text, without positions and without empty fields (so Python 3.11 and 3.12 agree)."""
    if isinstance(node, ast.AST):
        fields = [f"{k}={_canonical(v)}" for k, v in ast.iter_fields(node) if v is not None and v != []]
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return f"[{','.join(map(_canonical, node))}]"
    return repr(node)


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return tree


@functools.cache
def _module(dotted: str, root: Path) -> tuple[Path, ...]:
    """The files that importing `dotted` runs, when it is this project's: its packages' __init__ and itself."""
    found, parts = [], dotted.split(".")
    for i in range(1, len(parts) + 1):
        path = root.joinpath(*parts[:i])
        if (path / "__init__.py").is_file():
            found.append(path / "__init__.py")
        elif path.with_suffix(".py").is_file():
            found.append(path.with_suffix(".py"))
        else:
            break
    return tuple(found)


@functools.cache
def _imported(text: str, package: tuple[str, ...]) -> tuple[str, ...]:
    """The dotted names a module's source imports (at the top or inside a function), read once per source: a
    page's check meets the same files under every kind and at every commit."""
    names: list[str] = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
            base = base if node.level else (node.module or "")
            names += [base, *(f"{base}.{a.name}" for a in node.names)]
    return tuple(names)


def _imports(path: Path, root: Path) -> list[Path]:
    """This project's files that a file imports (at the top or inside a function)."""
    return [
        found
        for name in _imported(path.read_text(), path.parent.relative_to(root).parts)
        for found in _module(name, root)
    ]


@functools.cache
def _tree(text: str) -> str:
    """A module's syntax tree as text, docstrings dropped, made once per source."""
    return _canonical(_without_docstrings(ast.parse(text)))


def files(kind: str, root: Path = ROOT) -> list[Path]:
    """The .py files a result of this kind depends on: its parts and, transitively, what they import."""
    todo = []
    for part in PARTS[kind]:
        path = root / part
        todo += [path] if path.is_file() else sorted(path.rglob("*.py"))
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in seen and path.relative_to(root).as_posix() not in NOT_FOLLOWED:
            seen.add(path)
            todo += _imports(path, root)
    return sorted(seen)


def code_hash(kind: str, root: Path = ROOT) -> str:
    """sha256 (16 hex digits) over the syntax trees, docstrings dropped, of the files a kind depends on."""
    digest = hashlib.sha256()
    for path in files(kind, root):
        digest.update(f"{path.relative_to(root).as_posix()}\0{_tree(path.read_text())}\0".encode())
    return digest.hexdigest()[:16]


def _git(*args: str, root: Path = ROOT) -> str:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


CODE = ("reference_numpy", "impl_torch", "impl_jax", "impl_tf", "conformance", "plugins")  # what a kind can import


@functools.cache
def hash_at(commit: str, kind: str, root: Path = ROOT) -> str | None:
    """The code hash of `kind` at `commit`, hashed as today's code_hash hashes (its code folders read from git
    into a scratch folder); None when git cannot give that commit."""
    present = set(_git("ls-tree", "--name-only", commit, root=root).splitlines())  # plugins/ came later
    if not present:
        return None
    folders = [c for c in CODE if c in present]
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "--", *folders], cwd=root, capture_output=True)
    if archive.returncode:
        return None
    with tempfile.TemporaryDirectory(prefix="quartet-provenance-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            for member in tar.getmembers():  # git's own archive of this repository: plain files and folders
                target = Path(tmp, member.name)
                if member.isfile() and ".." not in Path(member.name).parts:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(tar.extractfile(member).read())
        return code_hash(kind, Path(tmp))
