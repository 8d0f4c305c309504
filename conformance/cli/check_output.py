"""What `quartet check` prints: the table of the worst errors per backend, mode and dtype, each backend's
progress per function, what raised, what is not written yet, the suspects and the failed comparisons."""

from rich.markup import escape
from rich.table import Table

from ..check import suspects
from .common import console, short


def _cell(max_rel_err: float, margin: float, passed: bool) -> str:
    style = "bold red" if not passed else "green" if margin >= 10 else "yellow"
    return f"[{style}]{'exact' if max_rel_err == 0 else short(max_rel_err)}[/]"


# the summary's columns each part of the matrix fills (measure.py's sections): a part that raised leaves them part-done
PART_COLUMNS = {
    "forward": ("forward",),
    "predictions": ("forward",),
    "cost": ("cost",),
    "course_cost": ("cost",),
    "per_sample": ("cost", "grads"),
    "grads": ("grads",),
    "train": ("train@",),
    "model": ("train@",),
}


def print_table(summary, device: str, raised: list[dict] = ()) -> None:
    """One row per backend, mode and dtype: the worst error of each column, coloured by its margin; a cell
    some of whose cases raised or were not written yet is marked *, and says so below the table."""
    columns = list(dict.fromkeys(summary["column"]))
    partial = {
        (r["backend"], r["mode"], r["dtype"], c)
        for r in raised
        for c in columns
        if c.startswith(PART_COLUMNS.get(r["section"], ()))
    }
    table = Table(
        title=f"max relative error against float64 NumPy on {device}; green: 10x inside its "
        "tolerance, yellow: inside, red: outside",
        title_justify="left",
    )
    drifts = ["f32_drift"] + (["tf32_drift"] if summary["tf32_drift"].notna().any() else [])  # TF32: GPU runs
    for column in ["backend", "mode", "dtype", *columns, *[d.replace("_", " ") for d in drifts]]:
        table.add_column(column, justify="left" if column in ("backend", "mode", "dtype") else "right", no_wrap=True)
    for (name, mode, dtype), rows in summary.groupby(["backend", "mode", "dtype"], sort=False):
        cells = {r.column: _cell(r.max_rel_err, r.margin, r.passed) for r in rows.itertuples()}
        cells = {c: text + ("*" if (name, mode, dtype, c) in partial else "") for c, text in cells.items()}
        measured = [rows[d].max() for d in drifts]
        short_dtype = dtype.replace("float", "f")
        table.add_row(
            name,
            mode,
            short_dtype,
            *[cells.get(c, "") for c in columns],
            *["" if v != v else short(v) for v in measured],
        )
    if len(summary):
        tf32 = "; tf32 drift: the same float32 framework with TF32 products" if len(drifts) > 1 else ""
        table.caption = (
            "f32 drift: the worst error of the NumPy reference itself run in float32 on the same "
            "cases, what float32 costs any implementation (1.0 where a case leaves float32 no correct "
            f"digit: a logit of 5e-11 left after a cancellation, say){tf32}"
        )
        table.caption_justify = "left"
        console.print(table)
    if partial:
        console.print(
            "[dim]*: measured on part of the cases only; on the others that part raised or is not "
            "written yet (below)[/]"
        )


def print_functions(result, found: list[dict], chosen: bool = False) -> None:
    """Each backend's progress per module (with --function, each chosen function's verdict), its stubs, what
    raised (one line per backend and message, with the targets, parts and cases it stopped), and the
    suspects: the functions to look at first."""
    for i, line in enumerate(suspects.judge_lines(result.judge)):  # the judge first (conformance/check/reference.py)
        console.print(f"{'  ' if i else ''}{escape(line)}", style=None if i == 0 else "bold red", highlight=False)
    if result.functions:
        console.print("[bold]each function on its own[/] (conformance/check/functions.py)")
        lines = (
            suspects.progress_lines(result.functions)
            if not chosen
            else [
                f"{f['backend']} {f['mode']} {f['dtype']} {f['function']}: {f['status']}"
                + (f" ({f['detail']})" if f["detail"] else "")
                for f in result.functions
            ]
        )
        for line in lines:
            console.print(f"  {escape(line)}", highlight=False)
        for name in dict.fromkeys(f["backend"] for f in result.functions):
            mine = [f for f in result.functions if f["backend"] == name]
            stubs = dict.fromkeys(f["function"] for f in mine if f["status"] == "not written yet")
            waiting = dict.fromkeys(f["function"] for f in mine if f["status"] == "not checked").keys() - stubs.keys()
            if stubs:
                console.print(
                    f"  [yellow]{name}: not written yet:[/] {', '.join(stubs)}"
                    + (f"; {len(waiting)} more not checked until they are" if waiting else ""),
                    highlight=False,
                )
    groups: dict[tuple, dict] = {}
    for r in result.raised:
        group = groups.setdefault((r["backend"], r["status"], r["detail"]), {"targets": {}, "parts": {}, "cases": {}})
        group["targets"][f"{r['mode']} {r['dtype']}"] = None
        group["parts"][r["section"]] = None
        group["cases"][r["model"]] = None
    for (name, status, detail), g in groups.items():
        what = f"{detail} not written yet" if status == "not written yet" else f"raised {escape(detail)}"
        console.print(
            f"  [bold red]{name}[/] ({', '.join(g['targets'])}): {what}; it stopped "
            f"{', '.join(g['parts'])} on {len(g['cases'])} cases, the rest of the run went on",
            highlight=False,
        )
    if found:
        console.print(f"[bold red]suspects[/], the functions to look at first ({len(found)}, all in suspects.json):")
        for line in suspects.suspect_lines(found):
            console.print(f"  {escape(line)}", highlight=False)


def print_unfinished(result) -> None:
    """The functions not written yet, the first named: what needs them was not measured."""
    stubs = list(
        dict.fromkeys(
            [f["function"] for f in result.functions if f["status"] == "not written yet"]
            + [r["detail"] for r in result.raised if r["status"] == "not written yet"]
        )
    )
    if stubs:
        console.print(
            f"[yellow]unfinished:[/] {len(stubs)} function{'s' * (len(stubs) > 1)} not written yet "
            f"({stubs[0]} first); what needs them was not measured",
            highlight=False,
        )


def print_failures(frame, shown: int) -> None:
    """The first `shown` failed comparisons, one line each: by how much, or how many labels differ."""
    for r in frame[~frame["passed"]].head(shown).itertuples():
        why = f"{r.max_rel_err:.2e} > {r.tolerance:.2e}" if r.max_rel_err > r.tolerance else ""
        if r.quantity == "predictions":  # labels: how many differ, never a relative error
            why = f"{int(r.max_abs_err)} of {round(r.max_abs_err / r.max_rel_err)} labels differ"
        why += "" if r.in_dtype else f"{', and ' if why else ''}not {r.dtype} numbers (computed in another precision)"
        console.print(f"  FAIL {r.model} {r.backend} {r.mode} {r.dtype} {r.quantity}: {why}")
