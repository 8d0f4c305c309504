"""`quartet check FILE`: a learner's notebook or script read (source.py), its assignment recognised
(assignments.py), and its functions checked in a process of their own (child.py, functions.py) with a time
limit, so that no learner code can hang or crash the check. The verdicts become the check's: a table, the
suspects in suspects.json's format, and the check's exit statuses (0 every function right, 1 one wrong or
raised, 2 the file unusable, 3 nothing wrong but some not written yet)."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import ROOT  # the source tree, on the child's PYTHONPATH when run from a checkout
from .assignments import ASSIGNMENTS, recognise
from .functions import PER_CALL_S
from .source import SourceError, read

TIME_LIMIT_S = 60.0  # the whole file; each call has its own limit (functions.PER_CALL_S)
FAILED = ("wrong", "raised")


@dataclass
class LearnerResult:
    """What `quartet check FILE` found: one row per function of the file's assignment, in the course's order."""

    path: str
    assignment: str = ""
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was not run, and why
    error: str = ""  # why the file could not be checked (exit status 2)
    seconds: float = 0.0

    @property
    def exit_status(self) -> int:
        if self.error:
            return 2
        if any(r["status"] in FAILED for r in self.rows):
            return 1
        return 3 if any(r["status"] in ("not written yet", "not checked yet") for r in self.rows) else 0

    @property
    def passed(self) -> bool:
        return self.exit_status == 0

    def suspects(self) -> list[dict]:
        """The functions to look at first, in suspects.json's format: those wrong on their own first, in the
        course's order, then those that follow from them."""
        failed = [r for r in self.rows if r["status"] in FAILED]
        where = Path(self.path).name
        out = [
            {
                "function": r["function"],
                "status": r["status"],
                "detail": r["detail"],
                "follows_from": r["follows_from"],
                "where": [f"{where} cell {r['cell']}" if r["cell"] else where],
                "backend": "notebook",
                "mode": "eager",
                "dtype": "float64",
            }
            for r in failed
        ]
        return sorted(out, key=lambda s: bool(s["follows_from"]))  # stable: the course's order within each

    def record(self) -> dict:
        return {
            "path": self.path,
            "assignment": self.assignment,
            "rows": self.rows,
            "notes": self.notes,
            "error": self.error,
            "exit_status": self.exit_status,
            "seconds": round(self.seconds, 2),
        }


def check_file(path: str | Path, time_limit_s: float = TIME_LIMIT_S, per_call_s: float = PER_CALL_S) -> LearnerResult:
    """Check the functions of a learner's .ipynb or .py against the reference, in a child process."""
    begun = time.monotonic()
    result = LearnerResult(str(path))
    try:
        learner = read(Path(path))
    except SourceError as e:
        result.error = str(e)
        return result
    assignment = recognise(set(learner.defined))
    if assignment is None:
        names = sorted({n for a in ASSIGNMENTS.values() for n in a.distinctive})
        result.error = (
            f"{path}: defines none of the course's assignment functions (looked for {', '.join(names)}); "
            f"it defines {', '.join(sorted(learner.defined)) or 'no function'}"
        )
        return result
    result.assignment = assignment.name
    result.notes = [f"cell {n} not run ({why})" for n, why in learner.left_out]
    if learner.not_imported:
        result.notes.append(
            f"not imported (plots, images, data files: no course function needs them): "
            f"{', '.join(dict.fromkeys(learner.not_imported))}"
        )
    with tempfile.TemporaryDirectory(prefix="quartet-learner-") as tmp:
        out, progress = Path(tmp) / "result.json", Path(tmp) / "progress.txt"
        ended = _run_child([str(path), str(out), str(progress), assignment.name, str(per_call_s)], time_limit_s)
        if out.is_file():
            checked = json.loads(out.read_text())
            result.rows, result.notes = checked["rows"], result.notes + checked["notes"]
        else:
            running = progress.read_text().splitlines()[-1] if progress.is_file() and progress.read_text() else ""
            result.rows = _unfinished(assignment, learner.defined, running, ended)
    result.seconds = time.monotonic() - begun
    return result


def check_cells(cells: list[str], name: str = "this notebook", time_limit_s: float = TIME_LIMIT_S) -> LearnerResult:
    """The same check on the sources of a notebook's cells, in order (a running kernel's `In`): they are
    written to a script of their own (one `# %%` cell each), which is checked as a file is."""
    with tempfile.TemporaryDirectory(prefix="quartet-cells-") as tmp:
        script = Path(tmp) / f"{Path(name).stem or 'notebook'}.py"
        script.write_text("".join(f"# %%\n{cell}\n" for cell in cells))
        result = check_file(script, time_limit_s)
    result.path = name
    return result


def _run_child(args: list[str], time_limit_s: float) -> str:
    """Run the child; "" when it finished, else how it ended (a signal, an exit status, the time limit)."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    argv = [sys.executable, "-m", "conformance.learner.child", *args]
    out = Path(args[1])
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=time_limit_s, check=False)
    except subprocess.TimeoutExpired:
        return f"the check did not finish within {time_limit_s:g} s"
    if done.returncode == 0 and out.is_file():
        return ""
    if done.returncode < 0:
        return f"the process was ended by {signal.Signals(-done.returncode).name}"
    tail = [line for line in done.stderr.splitlines() if line.strip()][-1:] or [""]
    return f"the process exited with status {done.returncode}" + (f" ({tail[0].strip()})" if tail[0] else "")


def _unfinished(assignment, defined: dict, running: str, ended: str) -> list[dict]:
    """The rows when the child ended before writing its verdicts: the function it was running is blamed."""
    name = running.split(" (")[0]
    rows = []
    for f in assignment.functions:
        row = {"function": f.name, "cell": defined.get(f.name, (None, None))[0], "case": "", "follows_from": []}
        if f.name == name:
            rows.append(
                {
                    **row,
                    "status": "raised",
                    "case": running[len(name) + 2 : -1],
                    "detail": f"{ended} while {f.name} was running",
                }
            )
        else:
            rows.append({**row, "status": "not checked", "detail": f"{ended} while {name or 'the file loaded'} ran"})
    if not name:  # it ended while loading the file: no function to blame but the file's own top level
        rows[0] = {**rows[0], "status": "raised", "detail": f"{ended} while the file's definitions were loaded"}
    return rows
