"""Mutation testing of the check: how many realistic porting bugs does `quartet check --quick` catch?

Each mutant is one small change to one implementation file (reference_numpy/ or impl_*/), made on its
syntax tree: an arithmetic operator swapped or a term dropped, a constant changed, log for log1p or
exp for expm1, maximum for minimum, a sum for a mean, a kink's > for >=, the other axis, an
activation's argument clipped at +-20, a matrix product cast to float32 or float64, each sample's
loss from a library's fused loss or a textbook form in place of the written formula, and four bugs of
compiled paths: record_every ignored, the hidden activation lost on the way to a step, m kept from the
first call, and sigmoid written as 1 / (1 + exp(-z)) (its gradient NaN where exp overflows). It is written
into a scratch copy of the tree, and the check runs there on the NumPy reference and the mutated
framework (for a mutant of the reference, PyTorch is the witness), both dtypes, eager (every mode for
a line under `if mode ...`, which eager may never run). A mutant is killed when the check fails or
cannot run.

    mutants(path)            every mutant of one file: (description, mutated source)
    run(mutant, root, ...)   "killed" or "survived", with the seconds it took
"""

import ast
import os
import random
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import ROOT
from ..core.registry import MODE_NAMES, PACKAGES
from ..run.child import Child
from .operators import FIRST_M, changes, skipped

# the plugins in this tree (plugins/DIST/PACKAGE/), mutated as the built-in three are
PLUGINS = {
    path.parent.name: path.parent.relative_to(ROOT).as_posix() for path in sorted(ROOT.glob("plugins/*/*/deep.py"))
}
FILES = [
    f"{folder}/{module}.py"
    for folder in ("reference_numpy", "impl_torch", "impl_jax", "impl_tf", *PLUGINS.values())
    for module in ("activations", "deep", "logistic")
    if (ROOT / folder / f"{module}.py").exists()
]


@dataclass(frozen=True)
class Mutant:
    file: str  # relative to the checkout
    line: int
    description: str
    source: str  # the whole mutated file
    modes: str = "eager"  # the check's --modes: every mode for a line that only a compiled mode runs


def mutants(file: str) -> list[Mutant]:
    """Every mutant of one implementation file (relative to the checkout), in source order."""
    text = (ROOT / file).read_text()
    tree = ast.parse(text)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found = []
    for node, description, replacement in changes(tree, package_of(file)):
        if skipped(node, parents) or isinstance(parents.get(node), ast.Expr):
            continue
        parent = parents[node]
        for field, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, field, replacement)
                source = ast.unparse(tree)
                setattr(parent, field, node)
            elif isinstance(value, list) and node in value:
                index = value.index(node)
                value[index] = replacement
                source = ast.unparse(tree)
                value[index] = node
        if description == "m kept from the first call":
            source = FIRST_M + source
        found.append(Mutant(file, node.lineno, description, source, _modes(node, parents)))
    return sorted(found, key=lambda m: m.line)


def _modes(node: ast.AST, parents: dict) -> str:
    """ "eager", or every mode for a line under `if mode ...` (a branch that eager may never take) or inside a
    make_train_loop (the whole loop compiled, which only the compiled modes build)."""
    while node in parents:
        node = parents[node]
        if (isinstance(node, ast.If) and "mode" in ast.unparse(node.test)) or (
            isinstance(node, ast.FunctionDef) and node.name == "make_train_loop"
        ):
            return ",".join(MODE_NAMES)
    return "eager"


def sample(files: list[str], size: int | None, seed: int = 0) -> list[Mutant]:
    every = [m for f in files for m in mutants(f)]
    return every if size is None or size >= len(every) else random.Random(seed).sample(every, size)


def with_changes(chosen: list[Mutant], changes: str) -> list[Mutant]:
    """The mutants whose change contains one of the comma-separated words of `changes` (all when it is empty)."""
    words = [word.strip() for word in changes.split(",") if word.strip()]
    return [m for m in chosen if not words or any(word in m.description for word in words)]


def package_of(file: str) -> str:
    """The package a file belongs to: its first folder, or a plugin's package (plugins/DIST/PACKAGE/...)."""
    parts = file.split("/")
    return parts[2] if parts[0] == "plugins" else parts[0]


def witness(file: str) -> str:
    """The backend a mutant is checked on beside the NumPy reference (PyTorch for the reference's own)."""
    package = package_of(file)
    return "torch" if package == "reference_numpy" else next(n for n, p in PACKAGES.items() if p == package)


def scratch_copy(mutant: Mutant, scratch: Path) -> None:
    """The harness, the implementations and the mutated package in `scratch`, the mutant in place: with
    PYTHONPATH=scratch, a plugin is imported from there, not from where it is installed."""
    for package in ("conformance", "reference_numpy", "impl_torch", "impl_jax", "impl_tf"):
        shutil.copytree(ROOT / package, scratch / package, ignore=shutil.ignore_patterns("__pycache__"))
    package = package_of(mutant.file)
    if package in PLUGINS:
        shutil.copytree(ROOT / PLUGINS[package], scratch / package, ignore=shutil.ignore_patterns("__pycache__"))
    (scratch / package / Path(mutant.file).name).write_text(mutant.source)


def run(mutant: Mutant, timeout: float = 300.0) -> tuple[str, float]:
    """("killed" or "survived", seconds): `quartet check --quick` on the mutant in a scratch copy."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="quartet-mutant-") as scratch:
        scratch_copy(mutant, Path(scratch))
        argv = Child(
            "check",
            quick=True,
            modes=tuple(mutant.modes.split(",")),
            backends=("numpy", witness(mutant.file)),
            out=Path(scratch) / "results",
        ).argv()
        env = {**os.environ, "PYTHONPATH": scratch, "TF_CPP_MIN_LOG_LEVEL": "3"}
        try:
            done = subprocess.run(argv, cwd=scratch, env=env, capture_output=True, timeout=timeout)
            verdict = "survived" if done.returncode == 0 else "killed"
        except subprocess.TimeoutExpired:
            verdict = "killed"  # a mutant that never finishes is caught too (an infinite loop is a failure)
    return verdict, time.perf_counter() - start
