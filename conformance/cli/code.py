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
    parser.add_argument(
        "concept",
        nargs="?",
        help="a concept (--list), or any function of the course, e.g. L_model_forward, optimize, "
        "nn_model, backward, relu",
    )
    parser.add_argument(
        "--backends",
        default=",".join(code.FRAMEWORKS),
        metavar="A,B",
        help=f"which implementations to show, any of {', '.join(code.FRAMEWORKS)}",
    )
    parser.add_argument("--list", action="store_true", help="list the concepts")
    parser.add_argument("--markdown", action="store_true", help="print them as markdown code blocks")
    parser.set_defaults(func=run)


def columns(width: int, panels: int) -> int:
    """How many panels stand side by side in `width` characters: at least one, at most all."""
    return max(1, min(panels, width // COLUMN))


def hang(text: str, width: int) -> str:
    """Each line longer than `width` broken at a space, its continuation indented four past the line's own
    indentation, as a formatter breaks a line: a wrapped line reads as one statement, never as code at column
    0. It breaks neither inside a quoted string on the line (the highlighter would read an unterminated
    string) nor a comment without carrying its `#` on."""
    out = []
    for line in text.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        if len(line) <= width or width <= len(indent) + 12:
            out.append(line)
            continue
        out += _broken(line, width, indent + "    ")
    return "\n".join(out)


def _broken(line: str, width: int, hanging: str, quotes: bool = True) -> list[str]:
    """`line` broken at its spaces outside one-line quotes (inside a triple-quoted string a break keeps it a
    string); past a `#` outside quotes every continuation starts '# '. A piece too long for any line is broken
    inside its quotes after all (quotes=False), rather than left to wrap at column 0."""
    pieces, quote, start, comment, i = [], "", 0, -1, 0
    while i < len(line):
        ch = line[i]
        if quotes and line.startswith(('"""', "'''"), i) and quote in ("", line[i : i + 3]):
            quote, i = ("" if quote else line[i : i + 3]), i + 3
            continue
        if quote and len(quote) == 1:
            quote = "" if ch == quote and line[i - 1] != "\\" else quote
        elif quotes and not quote and comment < 0 and ch in "'\"":  # a comment's apostrophe quotes nothing
            quote = ch
        elif ch == "#" and comment < 0 and not quote:
            comment = i
        elif ch == " " and i > len(hanging) - 4 and line[i - 1] != " ":
            pieces.append((start, line[start:i]))
            start = i
        i += 1
    pieces.append((start, line[start:]))
    lines, current = [], ""
    for at, piece in pieces:
        fresh = hanging + ("# " if 0 <= comment < at else "") + piece.lstrip()
        if current and len(current) + len(piece) > width and len(fresh) <= width:
            lines.append(current)
            current = fresh
        else:
            current += piece
    lines.append(current)
    if quotes and any(len(part) > width for part in lines):
        return [
            out for part in lines for out in ([part] if len(part) <= width else _broken(part, width, hanging, False))
        ]
    return lines


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
    console.print(f"[bold]{escape(code.heading(args.concept))}[/]{formula}")
    missing = [fw for fw in chosen if fw not in shown]
    if missing:
        console.print(f"not in {', '.join(code.TITLES.get(fw, fw) for fw in missing)}")
    per_row = columns(console.width, len(shown))
    inner = (console.width - (per_row - 1)) // per_row - 4  # a column less the panel's border and padding
    panels = [
        Panel(
            Syntax(hang(text, inner), "python", theme="ansi_dark", background_color="default", word_wrap=True),
            title=code.TITLES.get(fw, fw),
            title_align="left",
            expand=True,
        )
        for fw, text in shown.items()
    ]
    for start in range(0, len(panels), per_row):
        grid = Table.grid(expand=True, padding=(0, 1))
        row = panels[start : start + per_row]
        for _ in range(per_row):
            grid.add_column(ratio=1)
        grid.add_row(*row, *[""] * (per_row - len(row)))
        console.print(grid)
    return 0
