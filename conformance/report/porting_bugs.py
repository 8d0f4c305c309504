"""The check measured on porting bugs nobody wrote it for: each patch of porting_bugs/ (bugs.toml gives its
backend, file and the function it is in) applied to a scratch copy of the tree, `quartet check --quick` of the
NumPy reference and that backend run there (eager, and the modes where the bug shows, as the mutation pass runs
a compiled path's mutant), and the run's exit status and suspects.json read. A bug is killed when the check
fails; named first when the first suspect is its function; and every failing run must name a suspect. A
measurement, outside `make test` (one to two minutes a bug):

    python -m conformance.report.porting_bugs [--bugs 01,07] [--folder porting_bugs_2] [--out docs]

It writes porting-bugs.csv (one row per bug) and porting-bugs.md (the table, with provenance) in --out. The
operator mutants (check/mutation.py, check/localise.py) are measured apart: these are the bugs they do not
produce.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import ROOT
from ..check.functions import ACTIVATIONS, helper_homes
from ..check.mutation import Mutant, scratch_copy, witness
from ..core.registry import MODES
from ..run.child import Child
from ..run.files import frame_markdown, write_atomically
from . import provenance

FOLDER = ROOT / "porting_bugs"
COMMAND = "python -m conformance.report.porting_bugs --out docs"


@dataclass(frozen=True)
class Bug:
    patch: str
    backend: str
    file: str
    function: str
    mode: str
    kind: str
    description: str

    @property
    def functions(self) -> tuple[str, ...]:
        """The names a suspect may carry and be right: the function (a def of logistic.py is logistic.NAME,
        whether bugs.toml writes the prefix or not), what a helper shows in, or for an entry of the ACTIVATIONS
        dict an activation (bugs.toml names the dict)."""
        if self.function == "ACTIVATIONS":
            return ACTIVATIONS
        module, name = Path(self.file).stem, self.function.removeprefix("logistic.")
        return (f"logistic.{name}" if module == "logistic" else name, *helper_homes(module, name))


def bugs(folder: Path = FOLDER) -> list[Bug]:
    """The bugs of the manifest, in its order."""
    manifest = tomllib.loads((folder / "bugs.toml").read_text())
    return [Bug(**{k: b[k] for k in Bug.__dataclass_fields__}) for b in manifest["bug"]]


def patched(bug: Bug, folder: Path = FOLDER) -> str:
    """The bug's file with its patch applied (git apply, in a folder of its own)."""
    with tempfile.TemporaryDirectory(prefix="quartet-bug-") as tmp:
        target = Path(tmp) / bug.file
        target.parent.mkdir(parents=True)
        shutil.copy(ROOT / bug.file, target)
        done = subprocess.run(
            ["git", "apply", str((folder / bug.patch).resolve())], cwd=tmp, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"{bug.patch} does not apply to {bug.file}: {done.stderr.strip()}")
        return target.read_text()


def run(bug: Bug, folder: Path = FOLDER, timeout: float = 600.0) -> dict:
    """The bug's row: exit status, the first three suspects, whether the first is its function."""
    start = time.perf_counter()
    mutant = Mutant(bug.file, 0, bug.description, patched(bug, folder))
    name = witness(bug.file)
    with tempfile.TemporaryDirectory(prefix="quartet-bug-") as scratch:
        scratch_copy(mutant, Path(scratch))
        out = Path(scratch) / "results"
        modes = tuple(m for m in MODES[name] if m == "eager" or m in bug.mode.split(","))
        argv = Child("check", quick=True, modes=modes, backends=("numpy", name), out=out).argv()
        env = {**os.environ, "PYTHONPATH": scratch, "TF_CPP_MIN_LOG_LEVEL": "3"}
        try:
            code = subprocess.run(argv, cwd=scratch, env=env, capture_output=True, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            code = -1
        found = sorted(out.glob("check-*/suspects.json"))
        ranked = [s["function"] for s in json.loads(found[-1].read_text())] if found else []
    return {
        "patch": bug.patch,
        "backend": bug.backend,
        "function": bug.function,
        "kind": bug.kind,
        "exit": code,
        "killed": code != 0,
        "suspects": " > ".join(ranked[:3]),
        "first": bool(ranked) and ranked[0] in bug.functions,
        "first three": any(r in bug.functions for r in ranked[:3]),
        "named": bool(ranked),
        "seconds": round(time.perf_counter() - start, 1),
    }


def summary(frame: pd.DataFrame) -> str:
    n, killed = len(frame), int(frame["killed"].sum())
    failing = frame[frame["killed"]]
    first, three, named = (int(failing[c].sum()) for c in ("first", "first three", "named"))
    share = 100 / max(killed, 1)
    return (
        f"{n} porting bugs, {killed} killed by `quartet check --quick`; of the {killed} failing runs, "
        f"{first} name the bug's function first ({first * share:.0f} %), {three} in the first three "
        f"({three * share:.0f} %), {named} name a suspect ({named * share:.0f} %)"
    )


def main(argv: list[str] | None = None) -> int:
    prog = "python -m conformance.report.porting_bugs"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split(":")[0])
    parser.add_argument("--bugs", default="", help="only the patches whose names start with one of these (A,B)")
    parser.add_argument(
        "--folder",
        type=Path,
        default=FOLDER,
        help="the patches and their bugs.toml (default: "
        "porting_bugs/; the page is named after the folder: porting-bugs.md)",
    )
    parser.add_argument("--out", type=Path, default=Path("."), help="porting-bugs.csv and .md go here")
    args = parser.parse_args(argv)
    if not (args.folder / "bugs.toml").is_file():
        parser.error(f"--folder: {args.folder} has no bugs.toml")
    words = [w for w in args.bugs.split(",") if w]
    chosen = [b for b in bugs(args.folder) if not words or b.patch.startswith(tuple(words))]
    if not chosen:
        parser.error(f"--bugs: no patch of {args.folder.name}/ starts with any of {words}")
    stem = args.folder.resolve().name.replace("_", "-")
    args.out.mkdir(parents=True, exist_ok=True)
    done_path = args.out / f"{stem}.rows.jsonl"  # each bug's row as it finishes: a run stopped midway goes on
    done = {r["patch"]: r for r in map(json.loads, done_path.read_text().splitlines())} if done_path.exists() else {}
    rows = []
    for bug in chosen:
        if bug.patch in done:
            rows.append(done[bug.patch])
            continue
        rows.append(run(bug, args.folder))
        with done_path.open("a") as f:
            f.write(json.dumps(rows[-1]) + "\n")
        r = rows[-1]
        print(
            f"{r['patch']} ({r['backend']}, {r['function']}): exit {r['exit']}, suspects "
            f"{r['suspects'] or '(none)'}{'' if r['first'] else '  <- not first'}",
            flush=True,
        )
    frame = pd.DataFrame(rows)
    done_path.unlink()
    write_atomically(args.out / f"{stem}.csv", frame.to_csv(index=False).encode())
    head = summary(frame)
    table = frame.drop(columns=["named"]).assign(
        **{c: frame[c].map({True: "yes", False: "no"}) for c in ("killed", "first", "first three")}
    )
    intro = " ".join(__doc__.split("\n\n")[0].split())
    title = f"# The check on porting bugs nobody wrote it for ({args.folder.resolve().name}/)"
    page = f"{title}\n\n{intro}\n\n{head}.\n\n{frame_markdown(table)}\n"
    write_atomically(args.out / f"{stem}.md", page.encode())
    command = f"{COMMAND} --folder {args.folder.resolve().name}"
    for path in (args.out / f"{stem}.md", args.out / f"{stem}.csv"):
        provenance.stamp(path, provenance.record("porting_bugs", command), page=f"docs/{stem}.md")
    print(head)
    return 0


if __name__ == "__main__":
    sys.exit(main())
