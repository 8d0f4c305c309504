"""What a conformance run writes: conformance.csv (every comparison), conformance.json (the same with
the settings, the machine, the skipped targets, what raised and each function's verdict), conformance.md
(the summary table, each backend's progress, the suspects) and suspects.json (the functions to look at
first, in the order the terminal shows them)."""

import json
from pathlib import Path

import pandas as pd

from ..check import judge
from ..check.matrix import MatrixResult
from ..check.suspects import judge_lines, progress_lines, suspect_lines
from ..run.files import INCOMPLETE, frame_markdown, write_atomically
from . import provenance

# Every float read back as the bits it was written from: pandas 3's parser does so by default (and warns when
# asked); pandas 2's default rounds the last place, so it is asked for the round trip.
EXACT_FLOATS = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}


def read_check(folder: Path):
    """A finished run's result, summary, settings and suspects from its conformance.csv, .json and
    suspects.json, to draw its page again."""
    payload = json.loads((folder / "conformance.json").read_text())
    frame = pd.read_csv(folder / "conformance.csv", **EXACT_FLOATS)
    result = MatrixResult(frame, payload["skipped"], payload["raised"], payload["functions"], payload.get("judge", []))
    suspects = json.loads((folder / "suspects.json").read_text()) if (folder / "suspects.json").is_file() else []
    return result, judge.summary(frame), payload, suspects


def write_check(result, summary, out_dir: Path, env: dict, settings: dict, suspects: list[dict]) -> dict[str, Path]:
    """conformance.csv, conformance.json, conformance.md and suspects.json in out_dir."""
    frame = result.frame
    paths = {name: out_dir / f"conformance.{name}" for name in ("csv", "json", "md")}
    paths["suspects"] = out_dir / "suspects.json"
    write_atomically(paths["suspects"], json.dumps(suspects, indent=1).encode())
    write_atomically(paths["csv"], frame.to_csv(index=False).encode())
    payload = {
        "environment": env,
        "settings": settings,
        "complete": settings.get("complete", True),
        "provenance": provenance.record("check", "quartet check"),  # the code this run measured
        "skipped": result.skipped,
        "passed": result.passed,
        "raised": result.raised,
        "functions": result.functions,
        "judge": result.judge,
        "rows": json.loads(frame.to_json(orient="records")),
    }
    write_atomically(paths["json"], json.dumps(payload, indent=1).encode())
    write_atomically(paths["md"], markdown(result, summary, out_dir, settings, suspects).encode())
    return paths


def markdown(result, summary, out_dir: Path, settings: dict, suspects: list[dict]) -> str:
    """conformance.md: the summary table and what a reader needs around it (also redrawn from a run's
    files by `quartet gpu --from`)."""
    frame = result.frame

    def cell(r) -> str:
        error = "exact" if r.max_rel_err == 0 else f"{r.max_rel_err:.1e}"
        margin = "" if r.margin == float("inf") else f" ({r.margin:.3g}x)"
        return f"{error}{margin}{'' if r.passed else ' **FAIL**'}"

    table = summary.assign(cell=[cell(r) for r in summary.itertuples()]).pivot_table(
        index=["backend", "mode", "dtype", "device"], columns="column", values="cell", aggfunc="first", sort=False
    )
    drift = summary.groupby(["backend", "mode", "dtype", "device"], sort=False)["f32_drift"].max()
    table["f32 drift"] = drift.map(lambda v: "" if v != v else f"{v:.1e}")
    tf32 = summary.groupby(["backend", "mode", "dtype", "device"], sort=False)["tf32_drift"].max()
    if tf32.notna().any():  # measured on a GPU only
        table["TF32 drift"] = tf32.map(lambda v: "" if v != v else f"{v:.1e}")
    table = table.reset_index()
    lines = [
        "# Conformance",
        "",
        *([] if settings.get("complete", True) else [INCOMPLETE.format(command="check", folder=out_dir), ""]),
        f"{len(frame)} comparisons, {int((~frame['passed']).sum())} failed; settings: {settings}.",
        "",
        *pairwise(frame),
        *cases(frame),
        "Each cell: the worst normwise error, max |x - ref| over the larger of max |ref| and the scale of the",
        "computation (a sum that cancels is measured against its terms), over every case and quantity in its",
        "column, and in brackets the smallest margin: tolerance / error, where the tolerance is C u times the",
        "rounding error a correct implementation carries on that case (conformance/check/scales.py, tolerances.py).",
        "f32 drift: the same error of the NumPy reference itself run in float32, what float32 costs any",
        "implementation. TF32 drift (GPU runs): how far the same float32 framework moves when its matrix",
        "products use TF32, JAX's and TensorFlow's default on NVIDIA GPUs; every row above holds TF32 off.",
        "",
        frame_markdown(table) if len(table) else "(no comparison finished)",
        "",
        *tightness(summary, frame),
        *functions_section(result, suspects),
    ]
    if result.skipped:
        lines += ["Unavailable:", ""] + [
            f"- {s['backend']} {s['mode']} {s['dtype']} {s['device']}: {s['reason']}" for s in result.skipped
        ]
    return "\n".join(lines)


def pairwise(frame) -> list[str]:
    """The float64 backends against each other, besides against the reference."""
    pairs = frame[frame["against"] != "numpy/float64"]
    if not len(pairs):
        return []
    return [
        f"The float64 backends also against each other: {len(pairs):,} comparisons, worst error "
        f"{pairs['max_rel_err'].max():.1e}, {int((~pairs['passed']).sum())} failed.",
        "",
    ]


def cases(frame) -> list[str]:
    """The cases that ran (the default nets, then the regimes of conformance/check/regimes.py), by name."""
    names = list(dict.fromkeys(frame["model"])) if "model" in frame else []
    if not names:
        return []
    return [
        f"{len(names)} cases (the default nets, then the regimes of conformance/check/regimes.py): {'; '.join(names)}.",
        "",
    ]


def tightness(summary, frame) -> list[str]:
    """How close the tolerances sit to the errors this run measured: tolerance / error over the cells (and
    the comparisons) whose error is not exactly zero, by dtype."""
    cells = summary[(summary["max_rel_err"] > 0) & (summary["margin"] < float("inf"))]
    rows = frame[(frame["max_rel_err"] > 0) & (frame["margin"] < float("inf")) & frame["in_dtype"]]
    if not len(cells):
        return []
    parts = [
        f"{dtype}: median {g['margin'].median():.3g}, max {g['margin'].max():.3g}"
        for dtype, g in cells.groupby("dtype")
    ]
    return [
        f"How tight: over the {len(cells)} cells with a nonzero error, tolerance / worst error has a median of "
        f"{cells['margin'].median():.3g} and a maximum of {cells['margin'].max():.3g} ({'; '.join(parts)}); over "
        f"all {len(rows):,} nonzero comparisons, a median of {rows['margin'].median():.3g}.",
        "",
    ]


def functions_section(result, suspects: list[dict]) -> list[str]:
    """Each course function on its own: each backend's progress, what raised, and the suspects."""
    if not result.functions and not result.raised and not result.judge:
        return []
    said = [*judge_lines(result.judge), *progress_lines(result.functions)]
    lines = ["## Each function on its own", "", *[f"- {line}" for line in said], ""]
    for f in result.functions:
        if f["status"] != "green":
            detail = f": {f['detail']}" if f["detail"] else ""
            lines.append(f"- {f['backend']} {f['mode']} {f['dtype']} `{f['function']}`: {f['status']}{detail}")
    for r in result.raised:
        lines.append(
            f"- {r['backend']} {r['mode']} {r['dtype']} on {r['model']}: {r['section']} {r['status']}: {r['detail']}"
        )
    if suspects:
        lines += ["", "Suspects, the functions to look at first:", "", *suspect_lines(suspects)]
    return [*lines, ""]
