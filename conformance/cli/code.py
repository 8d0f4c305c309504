"""`quartet code CONCEPT`: one concept of the course in all four implementations, side by side (columns in
a wide terminal, one after another in a narrow one), read from the modules' own files (report/code.py)."""

import argparse

from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from ..report import code
from .common import console


def add_parser(sub) -> None:
    parser = sub.add_parser("code", help="one concept of the course in all four implementations, side by side")
    parser.add_argument("concept", nargs="?", help="e.g. L_model_forward, cost, backward, relu")
    parser.add_argument("--list", action="store_true", help="list the concepts")
    parser.add_argument("--markdown", action="store_true", help="print the four as markdown code blocks")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list or not args.concept:
        table = Table(title="concepts (quartet code NAME; a function name works too)", title_justify="left")
        table.add_column("concept", style="bold")
        table.add_column("the course's formula")
        for name, concept in code.CONCEPTS.items():
            table.add_row(name, concept.formula)
        console.print(table)
        return 0
    name = code.resolve(args.concept)
    concept = code.CONCEPTS[name]
    if args.markdown:
        print(code.markdown(name), end="")
        return 0
    console.print(f"[bold]{name}[/]: {concept.title}\n[cyan]{escape(concept.formula)}[/]")
    panels = [
        Panel(Syntax(text, "python", theme="ansi_dark", background_color="default"), title=code.TITLES.get(fw, fw),
              title_align="left", expand=True)
        for fw, text in code.sources(name).items()
    ]  # fmt: skip
    if console.width >= 4 * 60:
        grid = Table.grid(expand=True, padding=(0, 1))
        for _ in panels:
            grid.add_column(ratio=1)
        grid.add_row(*panels)
        console.print(grid)
    else:  # a narrow terminal: one after another
        for panel in panels:
            console.print(panel)
    return 0
