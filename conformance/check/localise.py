"""How well the suspects point at the bug: every mutant of a framework's implementation (mutation.py) put in
place in this process, each course function checked on its own (functions.py), and the first suspects
compared with the function the mutant is in. A measurement, outside `make test`:

    python -m conformance.check.localise [--files impl_torch/deep.py,...] [--out docs/localisation.csv]

A mutant is "found first" when the first suspect is its function, "in the first three" when one of the
first three is; "tied with the first" lists the other suspects that fail on their own account (ranked after
the first by the course's order only), and "first, untied" is found first with none of them; a mutant that
no function check fails is "not seen by the function checks" (the matrix's regimes may still kill it).
Mutants of the reference are left out: the reference is the judge here.
"""

import argparse
import ast
import atexit
import csv
import importlib
import shutil
import sys
import tempfile
from pathlib import Path

from .. import ROOT
from ..core.registry import AUTODIFF, MODES
from .functions import BY_KEY, HELPERS, check_functions, helper_homes
from .mutation import PLUGINS, Mutant, mutants, package_of, with_changes, witness
from .suspects import suspects

FILES = (
    *(f"impl_{n}/{m}.py" for n in AUTODIFF for m in ("deep", "logistic")),
    *(f"{folder}/{m}.py" for folder in PLUGINS.values() for m in ("deep", "logistic")),
)


def home(mutant: Mutant, source: str) -> tuple[str, ...]:
    """The course functions a mutant's line belongs to: its enclosing function (an ACTIVATIONS entry: the
    activation), or what a helper shows in."""
    tree = ast.parse(source)
    module = Path(mutant.file).stem
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.lineno <= mutant.line <= node.end_lineno:
            key = node.name if module == "deep" else f"logistic.{node.name}"
            return (key,) if key in BY_KEY else helper_homes(module, node.name) or (node.name,)
        if isinstance(node, ast.Dict) and node.lineno <= mutant.line <= node.end_lineno:
            for k, v in zip(node.keys, node.values, strict=True):
                if isinstance(k, ast.Constant) and v.lineno <= mutant.line <= v.end_lineno:
                    return (k.value,)
    for node in tree.body:  # a module-level constant
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.lineno <= mutant.line <= node.end_lineno:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            return HELPERS.get(getattr(target, "id", ""), ("(module level)",))
    return ("(module level)",)


_SCRATCH: list[Path] = []  # the folder of the mutants' files, made at the first


def _load(package: str, sources: dict[str, str]) -> None:
    """Each module of `package` re-executed in place from `sources` (deep first, so that logistic's
    `from .deep import ...` takes the mutated functions). A source that is not its file's is compiled from a file
    of its own (PACKAGE/NAME.py in a scratch folder, one per mutant): tf.function's AutoGraph reads a function's
    source from its file by line number, and a mutant's lines are not the module's file's (TensorFlow's compiled
    modes converted other lines of the file, and raised what those held)."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="quartet-localise-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], ignore_errors=True)
    for name in ("deep", "logistic"):
        module = importlib.import_module(f"{package}.{name}")
        path = Path(module.__file__)
        if sources[name] != path.read_text():
            path = _SCRATCH[0] / str(len(list(_SCRATCH[0].iterdir()))) / package / f"{name}.py"
            path.parent.mkdir(parents=True)
            path.write_text(sources[name])
        exec(compile(sources[name], str(path), "exec"), module.__dict__)


def localise(mutant: Mutant) -> dict:
    name, package = witness(mutant.file), package_of(mutant.file)
    folder = ROOT / PLUGINS.get(package, package)
    original = {m: (folder / f"{m}.py").read_text() for m in ("deep", "logistic")}
    expected = home(mutant, original[Path(mutant.file).stem])
    _load(package, {**original, Path(mutant.file).stem: mutant.source})
    try:
        modes = [m for m in mutant.modes.split(",") if m in MODES[name]]  # every mode the backend has
        verdicts = [
            v for mode in modes for dtype in ("float64", "float32") for v in check_functions(name, mode, dtype, "cpu")
        ]
    finally:
        _load(package, original)
    found = suspects(verdicts)
    ranked = [s["function"] for s in found]
    tied = [s["function"] for s in found[1:] if not s["follows_from"]] if found else []  # other failures of their own
    return {
        "file": mutant.file,
        "line": mutant.line,
        "change": mutant.description,
        "function": " or ".join(expected),
        "suspects": " > ".join(ranked[:3]),
        "first": bool(ranked) and ranked[0] in expected,
        "first three": any(r in expected for r in ranked[:3]),
        "seen": bool(ranked),
        "tied with the first": " ".join(tied),
        "first, untied": bool(ranked) and ranked[0] in expected and not tied,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.check.localise", description=__doc__.split(".")[0])
    parser.add_argument("--files", default=",".join(FILES))
    parser.add_argument("--changes", default="", help="only mutants whose change contains one of these words")
    parser.add_argument("--out", type=Path, default=Path("localisation.csv"))
    args = parser.parse_args(argv)
    unknown = [f for f in args.files.split(",") if f not in FILES]
    if unknown:
        parser.error(f"--files: {unknown} are not framework files this measures; choose from {list(FILES)}")
    rows = []
    for file in args.files.split(","):
        for mutant in with_changes(mutants(file), args.changes):
            rows.append(localise(mutant))
            r = rows[-1]
            print(f"{r['file']}:{r['line']} {r['change']}: {r['function']} -> {r['suspects'] or '(none)'}", flush=True)
    with args.out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    seen = [r for r in rows if r["seen"]]
    first, three = sum(r["first"] for r in seen), sum(r["first three"] for r in seen)
    untied = sum(r["first, untied"] for r in seen)
    share, whole = 100 / max(len(seen), 1), 100 / max(len(rows), 1)
    print(
        f"{len(rows)} mutants, {len(seen)} seen by the function checks; of those, {first} found first "
        f"({first * share:.1f} % of {len(seen)}; {first * whole:.1f} % of all {len(rows)}), {untied} of them with no "
        f"other suspect failing on its own ({untied * share:.1f} %: the rest are first by the course's order), "
        f"{three} in the first three ({three * share:.1f} %)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
