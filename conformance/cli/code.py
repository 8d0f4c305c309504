"""`quartet code CONCEPT`: one concept of the course in the implementations, side by side, read from the
modules' own files (report/code.py). As many columns as the terminal holds at COLUMN characters each (two at
160, four at 320), the rest in rows below; every line wraps inside its column, so a shape comment is never cut."""

import argparse

from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from ..report import code
from .common import choices, console

COLUMN = 78  # the narrowest column: a course line of 72 characters and the panel's border and padding


def add_parser(sub) -> None:
    parser = sub.add_parser("code", help="one concept of the course in all four implementations, side by side")
    parser.add_argument("concept", nargs="?",
                        help="a concept (--list), or any function of the course, e.g. L_model_forward, optimize, "
                             "nn_model, backward, relu")  # fmt: skip
    parser.add_argument("--backends", default=",".join(code.FRAMEWORKS), metavar="A,B",
                        help=f"which implementations to show, any of {', '.join(code.FRAMEWORKS)}")  # fmt: skip
    parser.add_argument("--list", action="store_true", help="list the concepts")
    parser.add_argument("--markdown", action="store_true", help="print them as markdown code blocks")
    parser.set_defaults(func=run)


def columns(width: int, panels: int) -> int:
    """How many panels stand side by side in `width` characters: at least one, at most all."""
    return max(1, min(panels, width // COLUMN))


def run(args: argparse.Namespace) -> int:
    if args.list or not args.concept:
        table = Table(title="concepts (quartet code NAME; any function of the course works too)", title_justify="left")
        table.add_column("concept", style="bold")
        table.add_column("the course's formula")
        for name, concept in code.CONCEPTS.items():
            table.add_row(name, concept.formula)
        console.print(table)
        return 0
    chosen = choices(args.backends, tuple(code.FRAMEWORKS), "backend(s)")
    concept = code.find(args.concept)
    shown = {fw: text for fw, text in code.sources(args.concept).items() if fw in chosen}
    if args.markdown:
        print(code.markdown(args.concept, shown), end="")
        return 0
    formula = f"\n[cyan]{escape(concept.formula)}[/]" if concept.formula else ""
    console.print(f"[bold]{escape(code.resolve(args.concept))}[/]: {escape(concept.title)}{formula}")
    missing = [fw for fw in chosen if fw not in shown]
    if missing:
        console.print(f"not in {', '.join(code.TITLES.get(fw, fw) for fw in missing)}")
    panels = [
        Panel(Syntax(text, "python", theme="ansi_dark", background_color="default", word_wrap=True),
              title=code.TITLES.get(fw, fw), title_align="left", expand=True)
        for fw, text in shown.items()
    ]  # fmt: skip
    per_row = columns(console.width, len(panels))
    for start in range(0, len(panels), per_row):
        grid = Table.grid(expand=True, padding=(0, 1))
        row = panels[start : start + per_row]
        for _ in range(per_row):
            grid.add_column(ratio=1)
        grid.add_row(*row, *[""] * (per_row - len(row)))
        console.print(grid)
    return 0
