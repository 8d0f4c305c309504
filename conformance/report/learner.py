"""What `quartet check FILE` writes for a learner's file, as the check writes for backends: conformance.md (the
table of the file's functions, the suspects, what was not run), suspects.json (the same format as the check's)
and learner.json (every row), and the lines the terminal shows."""

import json
from pathlib import Path

from ..learner import LearnerResult
from ..learner.assignments import ASSIGNMENTS
from ..run.files import write_atomically

MARK = {"green": "green", "wrong": "WRONG", "raised": "RAISED", "not written yet": "not written yet",
        "not checked yet": "not checked yet", "not checked": "not checked", "provided": "the course's"}  # fmt: skip


def summary(result: LearnerResult) -> str:
    """The last line: what the exit status says, in words."""
    if result.error:
        return f"not checked: {result.error}"
    counts: dict[str, int] = {}
    for r in result.rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    own = [r for r in result.rows if r["status"] != "provided"]
    said = ", ".join(f"{n} {status}" for status, n in counts.items() if status != "provided")
    return f"{counts.get('green', 0)} of {len(own)} functions right ({said}) in {result.seconds:.1f} s"


def table_rows(result: LearnerResult) -> list[tuple[str, str, str, str]]:
    """(function, where, verdict, what to look at) per function, in the course's order."""
    out = []
    for r in result.rows:
        where = f"cell {r['cell']}" if r.get("cell") else ""
        detail = r["detail"] + (f" [{r['case']}]" if r.get("case") and r["status"] not in ("green",) else "")
        out.append((r["function"], where, MARK.get(r["status"], r["status"]), detail))
    return out


def markdown(result: LearnerResult) -> str:
    title = ASSIGNMENTS[result.assignment].title if result.assignment else "not recognised"
    lines = [f"# {Path(result.path).name}: the course's functions checked one by one", "",
             f"Assignment: {title}. Each function is called on the notebook's own test case and on the inputs "
             "learners' slips show on (m = 1, an odd m, (1, 1) arrays, zeros at a kink, large |z|), in float64, on "
             "its own (the functions it calls replaced by the course's) and as written; a function right on its own "
             "but wrong as written follows from the one it calls.", ""]  # fmt: skip
    if result.error:
        return "\n".join([*lines, f"**Not checked**: {result.error}", ""])
    lines += ["| function | where | verdict | what to look at |", "|---|---|---|---|"]
    lines += [f"| {f} | {w} | {v} | {d.replace('|', '/')} |" for f, w, v, d in table_rows(result)]
    suspects = result.suspects()
    if suspects:
        lines += ["", "## Look at first", ""]
        lines += [f"{i}. `{s['function']}` ({s['where'][0]}): {s['detail']}" for i, s in enumerate(suspects, 1)]
    if result.notes:
        lines += ["", "## Not run", "", *(f"- {n}" for n in result.notes)]
    return "\n".join([*lines, "", summary(result) + f"; exit status {result.exit_status}.", ""])


def write(result: LearnerResult, folder: Path) -> dict[str, Path]:
    """conformance.md, suspects.json and learner.json in `folder`."""
    paths = {"md": folder / "conformance.md", "suspects": folder / "suspects.json", "json": folder / "learner.json"}
    write_atomically(paths["suspects"], json.dumps(result.suspects(), indent=1).encode())
    write_atomically(paths["json"], json.dumps(result.record(), indent=1).encode())
    write_atomically(paths["md"], markdown(result).encode())
    return paths
