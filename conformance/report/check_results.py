"""What a conformance run writes: conformance.csv (every comparison), conformance.json (the same with
the settings, the machine and the skipped targets) and conformance.md (the summary table)."""

import json
from pathlib import Path

from ..run.files import INCOMPLETE, frame_markdown, write_atomically


def write_check(result, summary, out_dir: Path, env: dict, settings: dict) -> dict[str, Path]:
    """conformance.csv (every comparison), conformance.json (the same with metadata and skipped targets)
    and conformance.md (the summary) in out_dir."""
    frame = result.frame
    paths = {name: out_dir / f"conformance.{name}" for name in ("csv", "json", "md")}
    write_atomically(paths["csv"], frame.to_csv(index=False).encode())
    payload = {
        "environment": env,
        "settings": settings,
        "complete": settings.get("complete", True),
        "skipped": result.skipped,
        "passed": result.passed,
        "rows": json.loads(frame.to_json(orient="records")),
    }
    write_atomically(paths["json"], json.dumps(payload, indent=1).encode())

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
        "Each cell: the worst normwise error, max |x - ref| over the larger of max |ref| and the scale of the",
        "computation (a sum that cancels is measured against its terms), over every case and quantity in its",
        "column, and in brackets the smallest margin: tolerance / error, where the tolerance is C u times the",
        "rounding error a correct implementation carries on that case (conformance/check/scales.py, tolerances.py).",
        "f32 drift: the same error of the NumPy reference itself run in float32, what float32 costs any",
        "implementation. TF32 drift (GPU runs): how far the same float32 framework moves when its matrix",
        "products use TF32, JAX's and TensorFlow's default on NVIDIA GPUs; every row above holds TF32 off.",
        "",
        frame_markdown(table),
        "",
        *tightness(summary, frame),
    ]
    if result.skipped:
        lines += ["Unavailable:", ""] + [
            f"- {s['backend']} {s['mode']} {s['dtype']} {s['device']}: {s['reason']}" for s in result.skipped
        ]
    write_atomically(paths["md"], "\n".join(lines).encode())
    return paths


def tightness(summary, frame) -> list[str]:
    """How close the tolerances sit to the errors this run measured: tolerance / error over the cells (and
    the comparisons) whose error is not exactly zero, by dtype."""
    cells = summary[(summary["max_rel_err"] > 0) & (summary["margin"] < float("inf"))]
    rows = frame[(frame["max_rel_err"] > 0) & (frame["margin"] < float("inf")) & frame["in_dtype"]]
    if not len(cells):
        return []
    parts = [f"{dtype}: median {g['margin'].median():.3g}, max {g['margin'].max():.3g}"
             for dtype, g in cells.groupby("dtype")]  # fmt: skip
    return [f"How tight: over the {len(cells)} cells with a nonzero error, tolerance / worst error has a median of "
            f"{cells['margin'].median():.3g} and a maximum of {cells['margin'].max():.3g} ({'; '.join(parts)}); over "
            f"all {len(rows):,} nonzero comparisons, a median of {rows['margin'].median():.3g}.", ""]  # fmt: skip
