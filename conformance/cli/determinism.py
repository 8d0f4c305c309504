"""`quartet determinism`: which backends give the same bits run to run, in one process and in fresh ones."""

import argparse

import pandas as pd
from rich.markup import escape
from rich.table import Table

from ..check import determinism
from ..core import backends
from ..run.files import frame_markdown, fresh_results_dir, write_atomically
from ..run.runner import progress_bar
from .common import add_selection, choices, console, positive_int


def add_parser(sub) -> None:
    parser = sub.add_parser("determinism", help="which backends give the same bits run to run (same seed, same data)")
    add_selection(parser, "determinism", modes=False, device=False)
    parser.add_argument("--runs", type=positive_int, default=3, help="fresh processes per target")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = choices(args.backends, backends.NAMES, "backend(s)")
    dtypes = choices(args.dtypes, backends.DTYPES, "dtype(s)")
    targets = [(n, m, d) for n in names for m in backends.MODES[n] for d in dtypes]
    rows, unavailable = [], []
    with progress_bar(console) as progress:
        task = progress.add_task("determinism", total=len(targets))
        for name, mode, dtype in targets:
            progress.update(task, description=f"{name} {mode} {dtype}")
            ok, reason = backends.framework_status(name)
            if ok:
                rows.append(determinism.measure(name, mode, dtype, runs=args.runs))
            elif name not in unavailable:
                unavailable.append(name)
                progress.console.print(f"[dim]unavailable: {name}: {escape(reason)}[/]")
            progress.advance(task)
    frame = pd.DataFrame(rows).replace({True: "same bits", False: "DIFFERS"})
    table = Table(title=f"bitwise equal: 2 calls in one process, {args.runs} fresh processes", title_justify="left")
    for column in frame.columns:
        table.add_column(column, no_wrap=column in ("backend", "mode", "dtype"))
    for record in frame.itertuples(index=False):
        table.add_row(*[f"[red]{v}[/]" if v == "DIFFERS" else str(v) for v in record])
    console.print(table)
    out = fresh_results_dir(args.out, "determinism")
    write_atomically(out / "determinism.md", (frame_markdown(frame) + "\n").encode())
    console.print(f"wrote {out / 'determinism.md'}")
    return 0
