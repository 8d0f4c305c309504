"""`quartet check FILE`: a learner's notebook (.ipynb) or script (.py), its course functions checked one by one
against the reference (conformance/learner/); the table, what to look at first, and the check's exit statuses."""

import argparse

from rich.markup import escape
from rich.table import Table

from ..learner import check_file
from ..report import learner as page
from ..run.files import fresh_results_dir
from .common import console

STYLE = {
    "green": "green",
    "WRONG": "bold red",
    "RAISED": "bold red",
    "not written yet": "yellow",
    "not checked yet": "yellow",
    "not checked": "yellow",
    "the course's": "dim",
}
BACKEND_OPTIONS = ("backends", "modes", "dtypes", "function", "workers", "jobs", "resume", "shard")


def run(args: argparse.Namespace) -> int:
    given = [
        f"--{o}"
        for o in BACKEND_OPTIONS
        if getattr(args, o, None) not in (None, False, "", ()) and getattr(args, o) != args.defaults.get(o)
    ]
    if given or args.quick:
        console.print(
            f"[yellow]{', '.join(given + (['--quick'] if args.quick else []))}: for backends; a "
            "learner's file is checked in full, in float64[/]"
        )
    result = check_file(args.file)
    show(result)
    if not result.error:
        folder = fresh_results_dir(args.out, "check")
        paths = page.write(result, folder)
        console.print(f"written: {paths['md']} and suspects.json")
    return result.exit_status


def show(result) -> None:
    """The table, the suspects and the last line, on the terminal."""
    if result.error:
        console.print(f"[bold red]not checked[/]: {escape(result.error)}")
        return
    table = Table(title=f"{result.path}: {page.ASSIGNMENTS[result.assignment].title}", title_justify="left")
    for column in ("function", "where", "verdict", "what to look at"):
        table.add_column(column, overflow="fold")
    for function, where, verdict, detail in page.table_rows(result):
        table.add_row(function, where, f"[{STYLE.get(verdict, '')}]{escape(verdict)}[/]", escape(detail))
    console.print(table)
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/]")
    suspects = result.suspects()
    if suspects:
        console.print(
            "[bold red]look at first[/]: "
            + ", ".join(f"{s['function']} ({s['where'][0]})" for s in suspects if not s["follows_from"])
        )
    console.print(page.summary(result))
